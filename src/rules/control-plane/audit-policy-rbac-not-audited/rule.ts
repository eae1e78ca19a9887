import { defineAuditPolicyRule, RBAC, where } from '../audit-policy.js';

export const rule = defineAuditPolicyRule({
  id: 'audit-policy-rbac-not-audited',
  title: 'Audit policy does not record RBAC changes',
  severity: 'medium',
  controls: ['OBS-1', 'ACC-2'],
  cis: ['3.2.2'],
  kubescape: ['C-0161'],
  description:
    'Creating or changing Roles, ClusterRoles and their bindings is how privileges are escalated and persistence is kept. If those writes match a `level: None` rule first, or no rule at all, the audit log cannot show who granted what.',
  remediation:
    'Record create, update, patch and delete of roles, rolebindings, clusterroles and clusterrolebindings (group rbac.authorization.k8s.io) at RequestResponse (or at least Metadata) in a rule placed before any `level: None` rule that could match them.',
  probes: RBAC,
  bad: (d) => !d.recorded,
  message: (o) =>
    `${where(o, true)} ${o.rule === undefined ? 'matches' : 'is the first rule matching'} ${o.examples.join(' and ')}: changes to ${o.resources.join(', ')} are not audited`,
});
