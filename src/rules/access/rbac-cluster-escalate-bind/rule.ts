import { defineClassRule, idleBindAt } from '../define.js';

export const rule = defineClassRule({
  id: 'rbac-cluster-escalate-bind',
  title: 'Binding grants escalate or bind on roles cluster-wide',
  severity: 'critical',
  controls: ['ACC-2'],
  frameworks: { cis: ['5.1.8'], nsa: ['Authentication and authorization'], kubescape: ['C-0191'] },
  classes: ['escalate-bind'],
  also: ['rbac-write'],
  subsumedBy: ['admin'],
  tier: 'cluster',
  adjust: idleBindAt('high'),
  description:
    'RBAC stops a subject from granting permissions it does not hold, except through two verbs: `escalate` on roles lets it write a Role or ClusterRole with any rule, and `bind` lets it bind any role (cluster-admin included) once it can create bindings. Either makes the subject a cluster administrator in one request. `bind` limited by `resourceNames` counts for the roles it names that grant a dangerous permission: a role of the input, or a Kubernetes default role whose rules mamori knows (`cluster-admin`, `admin`, `edit`, `view`, …), is judged by its rules; a `system:` role found in neither counts, a role of another name does not. Both verbs act only through writes, which the API server authorizes first: `escalate` through creating or updating a Role or ClusterRole, `bind` through creating or updating a RoleBinding or ClusterRoleBinding. When no binding of the input lets any subject of the binding (itself, or a group it belongs to by construction such as `system:serviceaccounts:<namespace>`) make the writes its verbs need, the grant is reported as high, saying so: it does nothing until that permission is added.',
  remediation:
    'Remove `escalate` and `bind` from the role. Where a controller must create bindings, give `bind` with `resourceNames` listing exactly the roles it hands out, and `create` on RoleBindings in the namespaces it manages only.',
});
