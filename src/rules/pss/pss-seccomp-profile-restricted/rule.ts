import { definePssRule } from '../define.js';
import { fixSeccompRestricted } from '../fixes.js';

export const rule = definePssRule({
  checkId: 'seccompProfile_restricted',
  id: 'pss-seccomp-profile-restricted',
  title: 'Seccomp profile not set',
  severity: 'medium',
  controls: ['CMP-1', 'DEP-1', 'CMP-6'],
  frameworks: { cis: ['5.6.2', '5.6.3'], nsa: ['Kubernetes Pod security'], kubescape: ['C-0055', 'C-0210', 'C-0211'] },
  description:
    'Without a seccomp profile the container can make every system call the kernel offers, including those used by most kernel privilege-escalation exploits. The restricted level requires the runtime\'s default filter or a node-local profile on every container.',
  remediation:
    'Set `spec.securityContext.seccompProfile.type: RuntimeDefault` (or `Localhost` with `localhostProfile`), or set it on every container; never set it to `Unconfined`. From policy v1.25, pods with `spec.os.name: windows` are exempt.',
  fix: fixSeccompRestricted,
});
