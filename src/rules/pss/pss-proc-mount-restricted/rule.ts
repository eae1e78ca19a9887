import { definePssRule } from '../define.js';
import { fixProcMount } from '../fixes.js';

export const rule = definePssRule({
  checkId: 'procMount_restricted',
  id: 'pss-proc-mount-restricted',
  title: 'Container unmasks /proc (restricted)',
  severity: 'high',
  controls: ['CMP-1', 'DEP-1'],
  frameworks: { cis: ['5.6.3'], nsa: ['Kubernetes Pod security'], kubescape: ['C-0211'] },
  description:
    'An unmasked /proc exposes kernel memory, kernel settings and node-wide controls that the runtime normally hides. From policy v1.35 the restricted level uses this check instead of the baseline one and does not relax it for pods in a user namespace.',
  remediation:
    'Remove `securityContext.procMount` or set it to `Default` on every container, init container and ephemeral container.',
  fix: fixProcMount,
});
