import { defineClassRule } from '../define.js';

export const rule = defineClassRule({
  id: 'rbac-cluster-pod-exec',
  title: 'Binding grants exec into pods cluster-wide',
  severity: 'high',
  controls: ['ACC-2'],
  frameworks: { nsa: ['Authentication and authorization'], kubescape: ['C-0002'] },
  classes: ['pod-exec'],
  subsumedBy: ['admin'],
  tier: 'cluster',
  description:
    '`create` on `pods/exec` or `pods/attach` runs commands inside any existing container in scope, including controllers that hold powerful service-account tokens, databases and kube-system components, and with that reads their tokens and mounted Secrets. So does `get` alone: before Kubernetes 1.35, or with the `AuthorizePodWebsocketUpgradeCreatePermission` feature gate off, a WebSocket connection is an HTTP GET that the API server authorizes as `get` on the subresource alone (the finding says when only `get` is granted). The authorizer matches the exact subresource: `pods/*` does not grant it, `*` does (a read-only `get` on `*` of the core group included).',
  remediation:
    'Remove `pods/exec` and `pods/attach` from cluster-wide roles, for `get` as for `create`, and list the resources of read-only roles instead of `*`. Grant them with RoleBindings in the namespaces where debugging is needed, to people rather than service accounts, and preferably only for the time it is needed.',
});
