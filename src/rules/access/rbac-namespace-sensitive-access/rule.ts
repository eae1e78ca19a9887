import { defineClassRule } from '../define.js';

export const rule = defineClassRule({
  id: 'rbac-namespace-sensitive-access',
  title: 'Binding grants sensitive access within a namespace',
  severity: 'medium',
  controls: ['ACC-2', 'ACC-3', 'DEP-1'],
  frameworks: { cis: ['5.1.2', '5.1.4', '5.1.13'], nsa: ['Authentication and authorization'], kubescape: ['C-0186', 'C-0188', 'C-0002', 'C-0063', 'C-0282', 'C-0015', 'C-0065'] },
  classes: ['secrets-read', 'workload-write', 'pod-exec', 'port-forward', 'impersonate', 'token-create', 'rbac-write', 'namespace-write'],
  subsumedBy: ['admin', 'escalate-bind'],
  tier: 'namespace',
  description:
    'Inside one namespace, reading Secrets, creating or changing workloads, exec or attach into pods (with `get` alone before Kubernetes 1.35, over a WebSocket), impersonating service accounts and minting their tokens all end the same way: the subject acts as any service account of the namespace and holds its credentials (tokens and impersonation limited by `resourceNames`: as the service accounts named, and reported with their names). `update` or `patch` on Namespaces lets a RoleBinding\'s subjects relabel their own namespace and lift its Pod Security enforcement. Often intended (a team\'s namespace, an operator managing its own workloads), so one finding per binding lists what it grants; the risk is as large as what the namespace\'s service accounts can do.',
  remediation:
    'Bind only what the subject uses: read specific Secrets with `get` and `resourceNames`, leave `pods/exec`, `pods/attach` and `pods/portforward` out of service-account roles (for `get` as for `create`), and grant `serviceaccounts/token` and `impersonate` only with `resourceNames` naming service accounts that hold no more than the subject may. Keep powerful service accounts out of namespaces where others have this access.',
});
