import { defineFlagRule, requirePresent } from '../define.js';

export const rule = defineFlagRule({
  id: 'apiserver-audit-policy-file',
  cis: '3.2.1',
  component: 'kube-apiserver',
  title: 'API server has no audit policy',
  severity: 'medium',
  controls: ['OBS-1'],
  kubescape: ['C-0160'],
  nsa: ['Kubernetes native audit logging configuration'],
  description:
    'The audit policy decides which requests are recorded and at which level. Without `--audit-policy-file` the API server records no audit events at all, even when a log file or webhook backend is configured.',
  remediation:
    'Write an audit Policy (audit.k8s.io/v1) that logs at least Metadata for every request, Metadata only for secrets, configmaps and tokenreviews, and RequestResponse for RBAC changes, and set `--audit-policy-file` (plus `--audit-log-path`) on kube-apiserver.',
  evaluate: (flags) =>
    requirePresent(flags, '--audit-policy-file', 'the API server records no audit events, whatever backend is configured'),
});
