import { defineAuditPolicyRule, UNNAMED } from '../audit-policy.js';

export const rule = defineAuditPolicyRule({
  id: 'audit-policy-no-catch-all',
  title: 'Audit policy has no catch-all rule',
  severity: 'low',
  controls: ['OBS-1'],
  cis: ['3.2.2'],
  kubescape: ['C-0161'],
  description:
    'A request that matches no rule is logged at level None. A policy that only lists known resources therefore records nothing about custom resources, new APIs and everything else it does not name, which is where attackers go once the obvious resources are watched. This rule also reports a policy rule without a valid level (levels are case-sensitive: `None`, `Metadata`, `Request`, `RequestResponse`): the API server refuses such a policy and does not start, so the other audit policy rules do not judge it.',
  remediation:
    'End the policy with a catch-all rule `- level: Metadata` (no users, verbs or resources) so every request not matched earlier is recorded, and give every rule one of the levels `None`, `Metadata`, `Request`, `RequestResponse`, spelled exactly so.',
  reportsRefused: true,
  probes: UNNAMED,
  bad: (d) => d.rule === undefined,
  message: (o) => `no rule matches requests the policy does not name, such as ${o.examples.join(' and ')}: they are not audited`,
});
