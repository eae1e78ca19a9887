import { definePssRule } from '../define.js';
import { fixSeccompBaseline } from '../fixes.js';

export const rule = definePssRule({
  checkId: 'seccompProfile_baseline',
  id: 'pss-seccomp-profile-baseline',
  title: 'Seccomp explicitly disabled',
  severity: 'medium',
  controls: ['CMP-1', 'DEP-1', 'CMP-6'],
  frameworks: { cis: ['5.6.2'], nsa: ['Kubernetes Pod security'], kubescape: ['C-0210'] },
  description:
    'seccomp filters the system calls a container may make; the runtime default profile blocks calls used by many kernel exploits and escapes (such as unshare, keyctl and add_key). An Unconfined profile hands the whole kernel attack surface to a compromised process.',
  remediation:
    'Set `securityContext.seccompProfile.type` to `RuntimeDefault` (or `Localhost` with `localhostProfile`) or remove it. For policy versions before v1.19, remove the `seccomp.security.alpha.kubernetes.io/pod` and `container.seccomp.security.alpha.kubernetes.io/<container>` annotations or set them to `runtime/default`.',
  fix: fixSeccompBaseline,
});
