import { defineFlagRule, requireMode } from '../define.js';

export const rule = defineFlagRule({
  id: 'apiserver-authorization-rbac',
  cis: '1.2.8',
  component: 'kube-apiserver',
  title: 'API server does not use RBAC',
  severity: 'high',
  controls: ['ACC-2'],
  kubescape: ['C-0120', 'C-0088'],
  nsa: ['Authentication and authorization'],
  description:
    'Without the RBAC authorizer, Roles and RoleBindings have no effect: access is decided only by the other authorizers (often AlwaysAllow or a legacy ABAC file), so least-privilege grants for users and service accounts cannot be expressed.',
  remediation:
    'Include `RBAC` in `--authorization-mode` on kube-apiserver (`--authorization-mode=Node,RBAC`).',
  evaluate: (flags) =>
    requireMode(flags, 'RBAC', 'Roles and RoleBindings are not enforced'),
});
