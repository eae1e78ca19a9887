import { defineClassRule } from '../define.js';

export const rule = defineClassRule({
  id: 'rbac-cluster-secrets-read',
  title: 'Binding grants reading Secrets cluster-wide',
  severity: 'critical',
  controls: ['ACC-2'],
  frameworks: { cis: ['5.1.2'], nsa: ['Authentication and authorization'], kubescape: ['C-0186', 'C-0015'] },
  classes: ['secrets-read'],
  subsumedBy: ['admin'],
  tier: 'cluster',
  description:
    '`get`, `list` or `watch` on Secrets across the cluster (or in a privileged namespace) returns every credential stored there (so does `patch`, which answers with the whole Secret: an empty patch is a read): database passwords, TLS keys, registry and cloud credentials, bootstrap tokens and legacy service-account tokens, some of which belong to cluster administrators. `list` and `watch` return the contents, not just the names. A code-execution bug in a component holding this permission becomes a cluster takeover, as with ingress-nginx\'s CVE-2025-1974.',
  remediation:
    'Grant Secret access with RoleBindings in the namespaces that need it, and for `get` limit it with `resourceNames` to the Secrets the subject reads. Components that must watch Secrets everywhere (ingress controllers, certificate managers) should be the only ones, with the narrowest configuration they support (a watched-namespace list or a label selector), and accepted with a documented exception.',
});
