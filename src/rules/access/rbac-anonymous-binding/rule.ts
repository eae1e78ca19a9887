import { defineRule } from '../../../engine/rule.js';
import { RBAC_KINDS, type Subject } from '../../../k8s/rbac.js';
import { bindingLabel } from '../permissions.js';
import { bindingScope, dangerList, reviewedBindings, roleRefLabel, subjectPath } from '../subjects.js';

/** Roles Kubernetes binds to anonymous requests on purpose: health and version endpoints, kubeadm's cluster-info ConfigMap. */
const PUBLIC_ROLES = new Set(['system:public-info-viewer', 'kubeadm:bootstrap-signer-clusterinfo']);
/**
 * Default bindings that named `system:unauthenticated` before Kubernetes 1.14, which took it away
 * (API discovery and self-reviews); the bootstrap reconciler never removes a subject, so clusters
 * created earlier still have it.
 */
const LEGACY_PUBLIC = new Set(['system:discovery', 'system:basic-user']);

function isAnonymous(subject: Subject): boolean {
  return (subject.kind === 'User' && subject.name === 'system:anonymous') || (subject.kind === 'Group' && subject.name === 'system:unauthenticated');
}

export const rule = defineRule({
  id: 'rbac-anonymous-binding',
  title: 'Binding grants a role to unauthenticated users',
  severity: 'high',
  target: 'inventory',
  context: RBAC_KINDS,
  controls: ['ACC-2', 'ACC-1'],
  frameworks: { nsa: ['Authentication and authorization'], kubescape: ['C-0262'] },
  description:
    'With anonymous authentication on (the API server default), a request without credentials is user `system:anonymous` in group `system:unauthenticated`. A binding to either gives its role to anyone who can reach the API server, with no identity in the audit log. Kubernetes binds only `system:public-info-viewer` (health and version endpoints) this way, and kubeadm the `cluster-info` ConfigMap reader; those are not reported while their roles grant nothing sensitive. Clusters created before Kubernetes 1.14 also bind `system:discovery` and `system:basic-user` to `system:unauthenticated` (upgrades keep the subject): reported at low severity while those roles grant nothing sensitive.',
  remediation:
    'Remove `system:anonymous` and `system:unauthenticated` from the binding\'s `subjects`; bind the role to the authenticated identities that need it. Consider `--anonymous-auth=false` or an AuthenticationConfiguration that allows anonymous requests only to health endpoints.',
  *check({ inventory }) {
    for (const { binding, analysed } of reviewedBindings(inventory)) {
      const anonymous = binding.subjects.filter(isAnonymous);
      const first = anonymous[0];
      if (first === undefined) continue;
      const danger = dangerList(analysed);
      if (binding.roleRef !== undefined && PUBLIC_ROLES.has(binding.roleRef.name) && danger === '') continue;
      const who = anonymous.map((s) => `${s.kind} ${s.name}`).join(' and ');
      const what = danger === '' ? '' : `, including: ${danger}`;
      const message = `${bindingLabel(binding)} grants ${roleRefLabel(binding)} to ${who} ${bindingScope(binding)}: anyone who can reach the API server gets it without credentials${what}`;
      // Only upstream's old subject, the group: a user system:anonymous was never bound there.
      const legacy =
        binding.roleRef !== undefined && LEGACY_PUBLIC.has(binding.roleRef.name) && binding.name === binding.roleRef.name && danger === '' && anonymous.every((s) => s.kind === 'Group');
      yield legacy
        ? {
            target: binding.object,
            path: subjectPath(first),
            severity: 'low',
            message: `${message}; Kubernetes bound it so before 1.14, which removed the subject for new clusters, and upgrades keep it: remove it`,
          }
        : { target: binding.object, path: subjectPath(first), message };
    }
  },
});
