import { definePssRule } from '../define.js';
import { fixCapabilitiesRestricted } from '../fixes.js';

export const rule = definePssRule({
  checkId: 'capabilities_restricted',
  id: 'pss-capabilities-restricted',
  title: 'Capabilities not dropped',
  severity: 'medium',
  baselineSeverity: 'high',
  controls: ['CMP-1', 'DEP-1'],
  frameworks: { cis: ['5.2.8', '5.2.9', '5.6.3'], nsa: ['Kubernetes Pod security'], kubescape: ['C-0046', 'C-0055', 'C-0199', 'C-0200', 'C-0201', 'C-0211'] },
  description:
    'Containers start with the runtime\'s default capabilities, such as NET_RAW (forged packets, ARP and DNS spoofing inside the cluster network), DAC_OVERRIDE, CHOWN and SETUID, which help an attacker escalate after a compromise. The restricted level requires dropping all of them and adding back at most NET_BIND_SERVICE. A container that adds a capability beyond the baseline level\'s list (SYS_ADMIN, NET_ADMIN, SYS_PTRACE, …) fails `pss-capabilities-baseline` too, which this rule replaces under the restricted level: such a finding is reported at high, that rule\'s severity. With this rule turned off, `pss-capabilities-baseline` runs on its own.',
  remediation:
    'Set `securityContext.capabilities.drop: ["ALL"]` on every container, init container and ephemeral container, and remove every `capabilities.add` entry other than `NET_BIND_SERVICE`. From policy v1.25, pods with `spec.os.name: windows` are exempt.',
  fix: fixCapabilitiesRestricted,
});
