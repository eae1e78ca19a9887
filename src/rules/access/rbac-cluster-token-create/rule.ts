import { defineClassRule } from '../define.js';

export const rule = defineClassRule({
  id: 'rbac-cluster-token-create',
  title: 'Binding grants minting service account tokens cluster-wide',
  severity: 'critical',
  controls: ['ACC-3'],
  frameworks: { cis: ['5.1.13'], nsa: ['Authentication and authorization'], kubescape: ['C-0282'] },
  classes: ['token-create'],
  subsumedBy: ['admin'],
  tier: 'cluster',
  description:
    '`create` on `serviceaccounts/token` (the TokenRequest API) mints a valid token for any service account in scope, so the subject gets the permissions of every one of them; cluster-wide, that includes the controllers of kube-system and every operator. `resourceNames` limits the grant to the service accounts it names (in every namespace, for a ClusterRoleBinding), but a token for a named one is as strong as that service account, a kube-system controller\'s included: named grants are reported too, with their names.',
  remediation:
    'Remove `serviceaccounts/token` from cluster-wide roles and from roles bound in privileged namespaces. A component that needs tokens for specific service accounts should get `create` on `serviceaccounts/token` through RoleBindings in their own namespaces, with `resourceNames` naming them, and those service accounts should hold no more than the component may; accept such a grant with a documented exception when it must stay.',
});
