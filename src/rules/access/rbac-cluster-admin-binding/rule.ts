import { defineClassRule } from '../define.js';

export const rule = defineClassRule({
  id: 'rbac-cluster-admin-binding',
  title: 'Binding grants cluster-admin-level access',
  severity: 'critical',
  controls: ['ACC-2', 'DEV-1'],
  frameworks: { cis: ['5.1.1', '5.1.3'], nsa: ['Authentication and authorization'], kubescape: ['C-0185', 'C-0035'] },
  classes: ['admin'],
  tier: 'cluster',
  description:
    'A ClusterRoleBinding to `cluster-admin`, or to any role with every verb on every resource of every API group, gives its subjects full control of the cluster: every Secret, every workload, RBAC itself, and every custom resource installed later. A RoleBinding of such a role in a privileged namespace (kube-system by default) is as strong, because the control plane\'s identities and credentials live there. Whoever steals the token of a service account bound this way owns the cluster. Kubernetes\' own bindings are not reported while they match upstream\'s bootstrap policy (name, role and subjects); one given another role or another subject is.',
  remediation:
    'Bind a role that lists only the verbs, resources and, where possible, `resourceNames` the subject needs. For people, bind `admin` or `edit` with a RoleBinding in each namespace they work in; keep cluster-wide administration for a break-glass identity outside the cluster\'s service accounts. For an operator that asks for cluster-admin, write its real permissions into a ClusterRole (its documentation or `kubectl auth can-i --list --as` shows them).',
});
