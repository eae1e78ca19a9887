import { defineFlagRule, requireBool } from '../define.js';

export const rule = defineFlagRule({
  id: 'controller-manager-use-service-account-credentials',
  cis: '1.3.3',
  component: 'kube-controller-manager',
  title: 'Controllers share the controller manager credentials',
  severity: 'medium',
  controls: ['ACC-2', 'ACC-3'],
  kubescape: ['C-0146'],
  nsa: ['Authentication and authorization'],
  description:
    'Without `--use-service-account-credentials` every controller acts with the controller manager\'s own identity, which must then hold the union of all their permissions. RBAC cannot limit a single controller, and audit logs do not say which controller made a change.',
  remediation:
    'Set `--use-service-account-credentials=true` on kube-controller-manager; the bootstrap ClusterRoles `system:controller:*` then give each controller only what it needs.',
  evaluate: (flags) =>
    requireBool(flags, '--use-service-account-credentials', false, true, 'every controller acts with the controller manager\'s own broad identity'),
});
