import { definePssRule } from '../define.js';

export const rule = definePssRule({
  checkId: 'windowsHostProcess',
  id: 'pss-windows-host-process',
  title: 'Windows HostProcess container',
  severity: 'critical',
  controls: ['CMP-1', 'DEP-1'],
  frameworks: { cis: ['5.2.10'], nsa: ['Kubernetes Pod security'], kubescape: ['C-0202'] },
  description:
    'A HostProcess container runs directly on the Windows node, outside any container isolation, with the node\'s filesystem and network and a node account such as SYSTEM. It is the Windows equivalent of a privileged container: administrator on the node.',
  remediation:
    'Remove `securityContext.windowsOptions.hostProcess` or set it to `false` at the pod level and on every container.',
});
