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
    '`create` on `pods/exec` or `pods/attach` runs commands inside any existing container in scope, including controllers that hold powerful service-account tokens, databases and kube-system components, and with that reads their tokens and mounted Secrets. The authorizer matches the exact subresource: `pods/*` does not grant it, `*` does.',
  remediation:
    'Remove `pods/exec` and `pods/attach` from cluster-wide roles. Grant them with RoleBindings in the namespaces where debugging is needed, to people rather than service accounts, and preferably only for the time it is needed.',
});
