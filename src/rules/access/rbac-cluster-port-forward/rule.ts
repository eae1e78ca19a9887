import { defineClassRule } from '../define.js';

export const rule = defineClassRule({
  id: 'rbac-cluster-port-forward',
  title: 'Binding grants port-forwarding to pods cluster-wide',
  severity: 'medium',
  controls: ['ACC-2', 'NET-1'],
  frameworks: { nsa: ['Authentication and authorization'], kubescape: ['C-0063'] },
  classes: ['port-forward'],
  subsumedBy: ['admin'],
  tier: 'cluster',
  description:
    '`create` on `pods/portforward` opens a tunnel through the API server to any port of any pod in scope, past NetworkPolicies and Service exposure: databases, admin interfaces and metrics endpoints meant to stay internal become reachable from the subject\'s machine. So does `get` alone: before Kubernetes 1.35, or with the `AuthorizePodWebsocketUpgradeCreatePermission` feature gate off, a WebSocket connection is an HTTP GET that the API server authorizes as `get` on the subresource alone (the finding says when only `get` is granted).',
  remediation:
    'Remove `pods/portforward` from cluster-wide roles, for `get` as for `create`; grant it with a RoleBinding in the namespaces where it is needed.',
});
