import { defineRule } from '../../../engine/rule.js';
import { RBAC_KINDS, type Subject } from '../../../k8s/rbac.js';
import { bindingLabel } from '../permissions.js';
import { bindingScope, dangerList, reviewedBindings, roleRefLabel, subjectPath } from '../subjects.js';

/** Groups every authenticated identity, or every service account of the cluster, belongs to. */
const BROAD_GROUPS: Readonly<Record<string, string>> = {
  'system:authenticated': 'every authenticated user and service account',
  'system:serviceaccounts': 'every service account of every namespace',
};

function isBroad(subject: Subject): boolean {
  return subject.kind === 'Group' && Object.hasOwn(BROAD_GROUPS, subject.name);
}

export const rule = defineRule({
  id: 'rbac-authenticated-binding',
  title: 'Binding grants sensitive permissions to every authenticated identity',
  severity: 'high',
  target: 'inventory',
  context: RBAC_KINDS,
  controls: ['ACC-2', 'ACC-3'],
  frameworks: { nsa: ['Authentication and authorization'], kubescape: ['C-0265'] },
  description:
    'Every service account of every namespace and every user your identity provider admits is in `system:authenticated`, and every service account in `system:serviceaccounts`. Binding a role with sensitive permissions (reading Secrets, creating workloads, exec, escalation, impersonation, tokens, webhooks, wildcards…) to these groups gives it to all of them: one compromised pod anywhere inherits it. Bindings of harmless roles (discovery, self-reviews, read-only views without Secrets) are not reported.',
  remediation:
    'Replace the `system:authenticated` or `system:serviceaccounts` subject with the specific users, groups or service accounts that need the role, or narrow the role to what everyone may safely do.',
  *check({ inventory }) {
    for (const { binding, analysed } of reviewedBindings(inventory)) {
      const broad = binding.subjects.filter(isBroad);
      const first = broad[0];
      if (first === undefined) continue;
      const danger = dangerList(analysed);
      if (danger === '') continue;
      const who = broad.map((s) => `Group ${s.name} (${BROAD_GROUPS[s.name] ?? ''})`).join(' and ');
      yield {
        target: binding.object,
        path: subjectPath(first),
        message: `${bindingLabel(binding)} grants ${roleRefLabel(binding)} to ${who} ${bindingScope(binding)}: ${danger}`,
      };
    }
  },
});
