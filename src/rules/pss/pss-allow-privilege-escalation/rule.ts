import { definePssRule } from '../define.js';
import { fixAllowPrivilegeEscalation } from '../fixes.js';

export const rule = definePssRule({
  checkId: 'allowPrivilegeEscalation',
  id: 'pss-allow-privilege-escalation',
  title: 'Privilege escalation not disabled',
  severity: 'medium',
  controls: ['CMP-1', 'DEP-1'],
  frameworks: { cis: ['5.2.6', '5.6.3'], nsa: ['Kubernetes Pod security'], kubescape: ['C-0016', 'C-0197', 'C-0211'] },
  description:
    'Unless `allowPrivilegeEscalation` is `false`, the container\'s processes run without the no_new_privs flag and can gain privileges through setuid and setgid binaries or file capabilities in the image, turning a foothold as an unprivileged user into root inside the container.',
  remediation:
    'Set `securityContext.allowPrivilegeEscalation: false` on every container, init container and ephemeral container. From policy v1.25, pods with `spec.os.name: windows` are exempt.',
  fix: fixAllowPrivilegeEscalation,
});
