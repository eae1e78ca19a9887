import { defineAuditPolicyRule, SENSITIVE } from '../audit-policy.js';

const WRITES_BODY = new Set(['create', 'update', 'patch']);

export const rule = defineAuditPolicyRule({
  id: 'audit-policy-logs-secret-data',
  title: 'Audit policy writes secret values into the log',
  severity: 'high',
  controls: ['OBS-1', 'STO-5'],
  cis: ['3.2.2'],
  kubescape: ['C-0161'],
  description:
    'At level Request the audit event carries the request body, at RequestResponse also the response body. For Secrets, ConfigMaps, TokenReviews and service account token requests those bodies are the secret values and bearer tokens themselves, so the audit log (and every system it is shipped to) becomes a copy of the cluster\'s credentials. CIS 3.2.2 asks for exactly Metadata on these resources.',
  remediation:
    'Add a rule `- level: Metadata` with `resources: [{group: "", resources: ["secrets", "configmaps", "serviceaccounts/token"]}, {group: "authentication.k8s.io", resources: ["tokenreviews"]}]` before any rule that logs at Request or RequestResponse.',
  probes: SENSITIVE,
  bad: (d, req) => {
    if (!d.recorded) return false;
    if (d.level === 'RequestResponse') return true;
    // A Request-level event holds the request body: secret data on writes, the token of a TokenReview.
    return d.level === 'Request' && req.resource !== 'serviceaccounts' && WRITES_BODY.has(req.verb);
  },
  message: (o) =>
    `rules[${o.rule?.index ?? -1}] records ${o.resources.join(', ')} at ${o.level} (e.g. ${o.examples[0] ?? ''}): secret values or tokens in the request or response bodies are written into the audit log`,
});
