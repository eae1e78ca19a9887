import { defineAuditPolicyRule, SENSITIVE, where } from '../audit-policy.js';

export const rule = defineAuditPolicyRule({
  id: 'audit-policy-secrets-not-audited',
  title: 'Audit policy does not record access to secrets',
  severity: 'medium',
  controls: ['OBS-1'],
  cis: ['3.2.2'],
  kubescape: ['C-0161'],
  description:
    'Reading Secrets, ConfigMaps and service account tokens is how attackers collect credentials after a first foothold. Rules are evaluated in order and the first match wins, so an early `level: None` rule, or a policy with no rule matching these requests, leaves that access out of the audit log entirely.',
  remediation:
    'Record secrets, configmaps, tokenreviews and serviceaccounts/token at level Metadata in a rule placed before any `level: None` rule that could match them, and end the policy with a catch-all `- level: Metadata`.',
  probes: SENSITIVE,
  bad: (d) => !d.recorded,
  message: (o) =>
    `${where(o, true)} ${o.rule === undefined ? 'matches' : 'is the first rule matching'} ${o.examples.join(' and ')}: access to ${o.resources.join(', ')} is not audited`,
});
