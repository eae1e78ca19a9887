import { definePssRule } from '../define.js';
import { fixCapabilitiesBaseline } from '../fixes.js';

export const rule = definePssRule({
  checkId: 'capabilities_baseline',
  id: 'pss-capabilities-baseline',
  title: 'Container adds non-default capabilities',
  severity: 'high',
  controls: ['CMP-1', 'DEP-1'],
  frameworks: { cis: ['5.2.9'], nsa: ['Kubernetes Pod security'], kubescape: ['C-0046', 'C-0200', 'C-0201'] },
  description:
    'Capabilities outside the container runtime\'s default set hand kernel privileges to the container: SYS_ADMIN allows mounting filesystems and is the classic container-escape primitive, SYS_PTRACE lets it inject code into other processes, NET_ADMIN lets it rewrite the node\'s routing and firewall rules, SYS_MODULE loads kernel modules.',
  remediation:
    'Remove every entry of `securityContext.capabilities.add` except AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID and SYS_CHROOT (names exactly, upper case, without `CAP_`). A workload that truly needs more belongs in a namespace labelled with the privileged level, with the reason recorded.',
  fix: fixCapabilitiesBaseline,
});
