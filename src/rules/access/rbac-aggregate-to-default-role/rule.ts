import { defineRule } from '../../../engine/rule.js';
import { RBAC_KINDS, rbacIndexOf, rulesAllow, type PolicyRule } from '../../../k8s/rbac.js';
import { describeClass, evaluateRules, roleJudge, type ClassMatch, type Grant } from '../permissions.js';

/** The default user-facing roles and the label that aggregates a ClusterRole into each. */
const TARGETS = ['view', 'edit', 'admin'] as const;
const LABELS: Readonly<Record<string, string>> = Object.fromEntries(TARGETS.map((t) => [t, `rbac.authorization.k8s.io/aggregate-to-${t}`]));
const label = (target: string): string => LABELS[target] ?? '';

/** True when every verb of the grant is already allowed by the default role's rules. */
function alreadyGranted(grant: Grant, rules: readonly PolicyRule[]): boolean {
  const slash = grant.resource.indexOf('/');
  const resource = slash < 0 ? grant.resource : grant.resource.slice(0, slash);
  const subresource = slash < 0 ? '' : grant.resource.slice(slash + 1);
  const names = grant.names.size > 0 ? [...grant.names] : [''];
  for (const verb of grant.verbs) {
    for (const name of names) {
      if (!rulesAllow(rules, { verb, apiGroup: grant.group, resource, subresource, name })) return false;
    }
  }
  return true;
}

export const rule = defineRule({
  id: 'rbac-aggregate-to-default-role',
  title: 'ClusterRole adds sensitive permissions to admin, edit or view',
  severity: 'high',
  target: 'inventory',
  context: RBAC_KINDS,
  controls: ['ACC-2'],
  frameworks: { nsa: ['Authentication and authorization'] },
  description:
    'The default ClusterRoles `admin`, `edit` and `view` are aggregated: the control plane adds to them the rules of every ClusterRole labelled `rbac.authorization.k8s.io/aggregate-to-<role>: "true"`. A ClusterRole with that label whose rules grant something sensitive the default role does not (Secrets for `view`, escalation, impersonation, nodes/proxy, webhooks, cluster-scoped writes…) silently extends every existing binding of that role, across every namespace, without any binding being changed. CRDs commonly aggregate read or write access to their own resources; that is not reported.',
  remediation:
    'Remove the `aggregate-to-*` label from the ClusterRole, or take the sensitive rules out of it into a separate ClusterRole bound only to the subjects that need them.',
  *check({ inventory }) {
    const index = rbacIndexOf(inventory);
    const judge = roleJudge(inventory);
    for (const role of index.roles) {
      if (role.kind !== 'ClusterRole' || role.object === undefined || role.bootstrap) continue;
      for (const target of TARGETS) {
        if (role.labels[label(target)] !== 'true') continue;
        const reference = index.defaultRole(target);
        if (reference === undefined) continue;
        const referenceRules = reference.rules.map((g) => g.rule);
        const added: ClassMatch[] = [];
        for (const match of evaluateRules(role.rules, true, judge).values()) {
          if (match.cls === 'wildcard') continue;
          if (match.cls === 'admin') {
            added.push(match);
            continue;
          }
          const grants = match.grants.filter((g) => !alreadyGranted(g, referenceRules));
          if (grants.length > 0) added.push({ ...match, grants });
        }
        if (added.length === 0) continue;
        const what = added.map(describeClass).join('; ');
        yield {
          target: role.object,
          path: ['metadata', 'labels', label(target)],
          message: `ClusterRole "${role.name}" is aggregated into the default ClusterRole "${target}" and adds what "${target}" does not grant: ${what}; every subject bound to "${target}" gets it`,
        };
      }
    }
  },
});
