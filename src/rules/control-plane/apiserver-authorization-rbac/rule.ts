import { defineFlagRule, requireMode } from '../define.js';
import { AUTHORIZATION_CONFIGURATION } from '../../../k8s/control-plane/apiserver-config.js';

export const rule = defineFlagRule({
  id: 'apiserver-authorization-rbac',
  cis: '1.2.8',
  component: 'kube-apiserver',
  configKinds: [AUTHORIZATION_CONFIGURATION],
  title: 'API server does not use RBAC',
  severity: 'high',
  controls: ['ACC-2'],
  kubescape: ['C-0120', 'C-0088'],
  nsa: ['Authentication and authorization'],
  description:
    'Without the RBAC authorizer, Roles and RoleBindings have no effect: access is decided only by the other authorizers (often AlwaysAllow or a legacy ABAC file), so least-privilege grants for users and service accounts cannot be expressed. With `--authorization-config`, the `type` of the authorizers of the AuthorizationConfiguration scanned with the manifest decides; when that file is not in the input, an info finding says it was not checked.',
  remediation:
    'Include `RBAC` in `--authorization-mode` on kube-apiserver (`--authorization-mode=Node,RBAC`).',
  evaluate: (flags) =>
    requireMode(flags, 'RBAC', 'Roles and RoleBindings are not enforced'),
});
