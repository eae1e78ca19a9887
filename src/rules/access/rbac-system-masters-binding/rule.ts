import { defineRule } from '../../../engine/rule.js';
import { RBAC_KINDS, type Subject } from '../../../k8s/rbac.js';
import { bindingLabel } from '../permissions.js';
import { bindingScope, reviewedBindings, roleRefLabel, subjectPath } from '../subjects.js';

/** The group the API server authorizes before RBAC (`user.SystemPrivilegedGroup`). */
const MASTERS = 'system:masters';

function isMasters(subject: Subject): boolean {
  return subject.kind === 'Group' && subject.name === MASTERS;
}

export const rule = defineRule({
  id: 'rbac-system-masters-binding',
  title: 'Binding names the system:masters group',
  severity: 'low',
  target: 'inventory',
  context: RBAC_KINDS,
  controls: ['ACC-2', 'ACC-1'],
  frameworks: { cis: ['5.1.7'], nsa: ['Authentication and authorization'], kubescape: ['C-0246'] },
  description:
    'The API server allows every request of a member of `system:masters` before any authorizer runs: RBAC cannot grant it more, restrict it or take it away. Membership comes from the credential itself, usually a client certificate with `O=system:masters`, which stays valid until it expires (certificates cannot be revoked) and survives the removal of every binding. A binding that names the group therefore grants it nothing: it misleads reviewers into thinking that deleting the binding removes the access, and it shows that someone uses, or plans to use, the break-glass group for everyday access. Kubernetes\' own `cluster-admin` binding to the group, left unchanged, is not reported.',
  remediation:
    'Remove the `system:masters` subject from the binding. Give administrators a group of your own bound to `cluster-admin` (as kubeadm does with `kubeadm:cluster-admins`), so that access can be reviewed and revoked through RBAC; keep credentials in `system:masters` offline for break-glass use, and issue no other certificates with `O=system:masters`.',
  *check({ inventory }) {
    for (const { binding } of reviewedBindings(inventory)) {
      const first = binding.subjects.find(isMasters);
      if (first === undefined) continue;
      yield {
        target: binding.object,
        path: subjectPath(first),
        message: `${bindingLabel(binding)} binds ${roleRefLabel(binding)} to Group ${MASTERS} ${bindingScope(binding)}: the group bypasses RBAC, so this grants it nothing, and signals that credentials of the break-glass group are in use`,
      };
    }
  },
});
