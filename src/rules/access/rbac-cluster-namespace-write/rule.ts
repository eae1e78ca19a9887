import { defineClassRule } from '../define.js';

export const rule = defineClassRule({
  id: 'rbac-cluster-namespace-write',
  title: 'Binding grants changing Namespaces',
  severity: 'medium',
  controls: ['ACC-2', 'DEP-1'],
  frameworks: { nsa: ['Authentication and authorization'] },
  classes: ['namespace-write'],
  subsumedBy: ['admin'],
  tier: 'cluster',
  description:
    'Updating or patching a Namespace changes its labels: removing `pod-security.kubernetes.io/enforce` turns Pod Security Admission off for it, and relabelling makes it match, or escape, the `namespaceSelector` of NetworkPolicies and admission webhooks. Cluster-wide this weakens every namespace, kube-system included.',
  remediation:
    'Keep `update` and `patch` on Namespaces for cluster administrators and the tool that provisions namespaces; protect Pod Security labels with an admission policy.',
});
