import { definePssRule } from '../define.js';
import { fixProcMount } from '../fixes.js';

export const rule = definePssRule({
  checkId: 'procMount',
  id: 'pss-proc-mount',
  title: 'Container unmasks /proc',
  severity: 'high',
  controls: ['CMP-1', 'DEP-1'],
  frameworks: { cis: ['5.6.3'], nsa: ['Kubernetes Pod security'], kubescape: ['C-0211'] },
  description:
    'The container runtime masks and makes read-only the sensitive parts of /proc (such as /proc/kcore, /proc/sys and /proc/sysrq-trigger). `procMount: Unmasked` removes that protection and exposes kernel memory, kernel settings and node-wide controls to the container. From policy v1.35 the baseline level allows it for pods in a user namespace (`hostUsers: false`).',
  remediation:
    'Remove `securityContext.procMount` or set it to `Default`; if an unmasked /proc is really needed (nested containers), also run the pod in a user namespace with `spec.hostUsers: false`.',
  fix: fixProcMount,
});
