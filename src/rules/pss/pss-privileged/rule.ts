import { definePssRule } from '../define.js';
import { fixPrivileged } from '../fixes.js';

export const rule = definePssRule({
  checkId: 'privileged',
  id: 'pss-privileged',
  title: 'Privileged container',
  severity: 'critical',
  controls: ['CMP-1', 'DEP-1'],
  frameworks: { cis: ['5.2.2'], nsa: ['Kubernetes Pod security'], kubescape: ['C-0057', 'C-0193'] },
  description:
    'A privileged container gets every capability, every device of the node and no seccomp or AppArmor confinement. It can mount the node\'s disks, load kernel modules and enter the node\'s namespaces, so whoever compromises the container owns the node.',
  remediation:
    'Remove `securityContext.privileged` or set it to `false` on every container, init container and ephemeral container; grant the one capability the workload needs instead, if any.',
  fix: fixPrivileged,
});
