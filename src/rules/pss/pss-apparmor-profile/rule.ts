import { definePssRule } from '../define.js';
import { fixAppArmor } from '../fixes.js';

export const rule = definePssRule({
  checkId: 'appArmorProfile',
  id: 'pss-apparmor-profile',
  title: 'AppArmor profile disabled',
  severity: 'medium',
  controls: ['CMP-1', 'DEP-1', 'CMP-6'],
  frameworks: { nsa: ['Kubernetes Pod security'] },
  description:
    'AppArmor confines what a container\'s processes may do with files, mounts, signals and network. An Unconfined (or unknown) profile removes that confinement, so a compromised process can write to /proc and /sys paths, mount filesystems or use raw sockets that the runtime\'s default profile denies: the usual first steps of a container escape.',
  remediation:
    'Remove `securityContext.appArmorProfile` from the pod and its containers, or set its `type` to `RuntimeDefault` (or `Localhost` with `localhostProfile`). Remove `container.apparmor.security.beta.kubernetes.io/<container>` annotations or set them to `runtime/default` or `localhost/<profile>`.',
  fix: fixAppArmor,
});
