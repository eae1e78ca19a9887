import { defineClassRule } from '../define.js';

export const rule = defineClassRule({
  id: 'rbac-wildcard-grant',
  title: 'Role bound with wildcard resources or API groups',
  severity: 'medium',
  controls: ['ACC-2'],
  frameworks: { cis: ['5.1.3'], nsa: ['Authentication and authorization'], kubescape: ['C-0187'] },
  classes: ['wildcard'],
  subsumedBy: ['admin'],
  tier: 'any',
  description:
    'A `*` in `apiGroups`, or in `resources` of a Kubernetes API group (core, `apps`, `rbac.authorization.k8s.io`, …), grants every resource of those groups, including ones that do not exist yet: a CRD installed later, or a new subresource, is granted silently, and reviews cannot tell what the role allows. Not reported here: `*` over the resources of a non-Kubernetes group (an operator\'s own CRDs, an aggregated metrics API), and `*` in `verbs` alone; what such rules grant on sensitive resources is reported by the permission rules.',
  remediation:
    'List the API groups and resources the subject uses (`kubectl api-resources` shows them) instead of `*`.',
});
