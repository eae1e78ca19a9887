import { defineFlagRule, requireMode } from '../define.js';
import { AUTHORIZATION_CONFIGURATION } from '../../../k8s/control-plane/apiserver-config.js';

export const rule = defineFlagRule({
  id: 'apiserver-authorization-node',
  cis: '1.2.7',
  component: 'kube-apiserver',
  configKinds: [AUTHORIZATION_CONFIGURATION],
  title: 'API server does not use the Node authorizer',
  severity: 'medium',
  controls: ['ACC-2'],
  kubescape: ['C-0119'],
  nsa: ['Authentication and authorization'],
  description:
    'The Node authorizer limits each kubelet to the pods, secrets, config maps and volumes of the pods bound to its own node. Without it kubelets need broad RBAC grants (or stop working), so the credentials of one compromised node read the secrets of every node. With `--authorization-config`, the `type` of the authorizers of the AuthorizationConfiguration scanned with the manifest decides; when that file is not in the input, an info finding says it was not checked.',
  remediation:
    'Include `Node` in `--authorization-mode` on kube-apiserver (`--authorization-mode=Node,RBAC`) together with the NodeRestriction admission plugin.',
  evaluate: (flags) =>
    requireMode(flags, 'Node', "kubelets are not limited to their own node's pods and secrets"),
});
