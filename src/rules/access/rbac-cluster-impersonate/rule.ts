import { defineClassRule } from '../define.js';

export const rule = defineClassRule({
  id: 'rbac-cluster-impersonate',
  title: 'Binding grants impersonation',
  severity: 'critical',
  controls: ['ACC-2', 'ACC-3'],
  frameworks: { cis: ['5.1.8'], nsa: ['Authentication and authorization'], kubescape: ['C-0065', 'C-0191'] },
  classes: ['impersonate'],
  subsumedBy: ['admin'],
  tier: 'cluster',
  description:
    '`impersonate` on users, groups or service accounts lets a subject send API requests as another identity and receive its permissions: a member of `system:masters`, a cluster administrator, a kube-system controller. The audit log records the impersonated identity as the actor. Impersonation of users or groups limited by `resourceNames` is reported only when a name is a `system:` identity; impersonation of service accounts is reported whatever the names, since each is an identity with its own permissions. `impersonate` on `uids` and `userextras/*` (`authentication.k8s.io`) only qualifies an impersonated user and is listed alongside, never reported alone.',
  remediation:
    'Remove the `impersonate` verb. If a tool needs it (some proxies and GitOps controllers do), limit it with `resourceNames` to the exact users and groups, none of them privileged, and to service accounts that hold no more than the tool may.',
});
