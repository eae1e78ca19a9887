import { defineClassRule } from '../define.js';

export const rule = defineClassRule({
  id: 'rbac-cluster-role-binding-write',
  title: 'Binding grants writing RBAC objects cluster-wide',
  severity: 'medium',
  controls: ['ACC-2'],
  frameworks: { nsa: ['Authentication and authorization'] },
  classes: ['rbac-write'],
  subsumedBy: ['admin', 'escalate-bind'],
  tier: 'cluster',
  description:
    'Creating or changing Roles, ClusterRoles, RoleBindings and ClusterRoleBindings lets a subject pass its own permissions to any other identity (persistence, spreading access) and rewrite the subjects of existing bindings. RBAC\'s escalation check keeps it from granting more than it holds, so on its own it is not an escalation; with a strong role, or `escalate`/`bind` from another binding, it is.',
  remediation:
    'Give RBAC write access only to the identities that manage access (a GitOps controller, administrators), with RoleBindings in the namespaces they manage; no workload service account needs it cluster-wide.',
});
