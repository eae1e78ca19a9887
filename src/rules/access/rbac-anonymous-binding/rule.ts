import { defineRule } from '../../../engine/rule.js';
import { RBAC_KINDS, type Subject } from '../../../k8s/rbac.js';
import { bindingLabel, bindingScope, dangerList, reviewedBindings, roleRefLabel, subjectPath } from '../subjects.js';

/** Roles Kubernetes binds to anonymous requests on purpose: health and version endpoints, kubeadm's cluster-info ConfigMap. */
const PUBLIC_ROLES = new Set(['system:public-info-viewer', 'kubeadm:bootstrap-signer-clusterinfo']);

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
    'With anonymous authentication on (the API server default), a request without credentials is user `system:anonymous` in group `system:unauthenticated`. A binding to either gives its role to anyone who can reach the API server, with no identity in the audit log. Kubernetes binds only `system:public-info-viewer` (health and version endpoints) this way, and kubeadm the `cluster-info` ConfigMap reader; those are not reported while their roles grant nothing sensitive.',
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
      yield {
        target: binding.object,
        path: subjectPath(first),
        message: `${bindingLabel(binding)} grants ${roleRefLabel(binding)} to ${who} ${bindingScope(binding)}: anyone who can reach the API server gets it without credentials${what}`,
      };
    }
  },
});
