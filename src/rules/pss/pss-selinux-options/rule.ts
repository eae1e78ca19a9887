import { definePssRule } from '../define.js';
import { fixSeLinuxOptions } from '../fixes.js';

export const rule = definePssRule({
  checkId: 'seLinuxOptions',
  id: 'pss-selinux-options',
  title: 'Custom SELinux type, user or role',
  severity: 'high',
  controls: ['CMP-1', 'DEP-1', 'CMP-6'],
  frameworks: { nsa: ['Kubernetes Pod security'] },
  description:
    'On SELinux-enforcing nodes the container\'s label is what keeps it away from the node\'s files and from other containers. A type such as spc_t (super-privileged container) or unconfined_t, or a custom SELinux user or role, lifts that confinement.',
  remediation:
    'Remove `seLinuxOptions.type`, `.user` and `.role` from the pod\'s and containers\' `securityContext`, or set `type` to `container_t`, `container_init_t`, `container_kvm_t` or (policy v1.31+) `container_engine_t`. `level` (MCS categories) may still be set.',
  fix: fixSeLinuxOptions,
});
