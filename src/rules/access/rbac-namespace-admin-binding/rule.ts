import { defineClassRule, idleBindAt } from '../define.js';

export const rule = defineClassRule({
  id: 'rbac-namespace-admin-binding',
  title: 'Binding grants full control of a namespace',
  severity: 'high',
  controls: ['ACC-2'],
  frameworks: { cis: ['5.1.1', '5.1.8'], nsa: ['Authentication and authorization'], kubescape: ['C-0185', 'C-0191'] },
  classes: ['admin', 'escalate-bind'],
  also: ['rbac-write'],
  tier: 'namespace',
  adjust: idleBindAt('medium'),
  description:
    'A RoleBinding of `cluster-admin` or of a role with every verb on every resource gives full control of its namespace: all its Secrets, any pod run as any of its service accounts, its RBAC, and the Namespace object itself (so its Pod Security labels). `escalate` on Roles, or `bind` on powerful roles, reaches the same point: the subject can write a Role beyond its rights or bind `cluster-admin` with a RoleBinding. Both act through writes: `escalate` through creating or updating a Role, `bind` through creating or updating a binding. A grant whose subjects no binding of the input lets make the writes its verbs need is reported as medium, saying so (the roles `bind` names are judged as `rbac-cluster-escalate-bind` does). The damage stays in the namespace only as long as the namespace\'s service accounts hold nothing outside it.',
  remediation:
    'Bind the default `admin` or `edit` ClusterRole (or a narrower Role) instead of `cluster-admin` or wildcard roles. Remove `escalate` from Roles, and give `bind` only with `resourceNames` listing the harmless roles the subject may hand out.',
});
