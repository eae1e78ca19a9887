import { defineRule } from '../../../engine/rule.js';
import { RBAC_KINDS, type GrantedRule } from '../../../k8s/rbac.js';
import { privilegedNamespaces } from '../define.js';
import { BUILT_IN_GROUPS } from '../../../k8s/scope.js';
import { analysedBindings, classMessage, describePolicyRule, rolePath, type ClassMatch } from '../permissions.js';

/**
 * Rules with `*` in `verbs` only, on named resources of a Kubernetes API group, for every name:
 * the wildcard grants whatever verb those resources serve or will serve. Rules that the
 * `wildcard` class already holds (`*` in `apiGroups`, or in `resources` of a Kubernetes group)
 * are left out, and so are `*` verbs on a non-Kubernetes group (an operator's own CRDs serve the
 * standard verbs only) and on named objects.
 */
function verbWildcards(rules: readonly GrantedRule[]): GrantedRule[] {
  return rules.filter(({ rule }) =>
    rule.verbs.includes('*') &&
    rule.resourceNames.length === 0 &&
    rule.resources.length > 0 &&
    !rule.resources.includes('*') &&
    !rule.apiGroups.includes('*') &&
    rule.apiGroups.some((g) => BUILT_IN_GROUPS.has(g)));
}

export const rule = defineRule({
  id: 'rbac-wildcard-grant',
  title: 'Role bound with wildcard verbs, resources or API groups',
  severity: 'medium',
  target: 'inventory',
  context: RBAC_KINDS,
  controls: ['ACC-2'],
  frameworks: { cis: ['5.1.3'], nsa: ['Authentication and authorization'], kubescape: ['C-0187'] },
  description:
    'A `*` in `apiGroups`, or in `resources` of a Kubernetes API group (core, `apps`, `rbac.authorization.k8s.io`, …), grants every resource of those groups, including ones that do not exist yet: a CRD installed later, or a new subresource, is granted silently, and reviews cannot tell what the role allows. A `*` in `verbs` alone, on named resources of a Kubernetes group, is reported at low severity: it grants every verb the resources serve, including the special ones (`escalate` and `bind` on roles, `impersonate` on users, groups and service accounts, `approve` on signers) and any verb a later Kubernetes version adds. What such grants allow on sensitive resources is reported by the permission rules (`rbac-cluster-secrets-read`, `rbac-cluster-escalate-bind`, …). Not reported: `*` over the resources or verbs of a non-Kubernetes group (an operator\'s own CRDs, an aggregated metrics API), which serve the standard verbs only, and `*` verbs limited by `resourceNames`.',
  remediation:
    'List the API groups, resources and verbs the subject uses (`kubectl api-resources -o wide` shows them) instead of `*`.',
  *check({ inventory }, ctx) {
    const privileged = privilegedNamespaces(ctx.options);
    for (const analysed of analysedBindings(inventory)) {
      if (analysed.matches.has('admin')) continue;
      const wildcard = analysed.matches.get('wildcard');
      const verbsOnly = verbWildcards(analysed.rules);
      if (wildcard === undefined && verbsOnly.length === 0) continue;
      const match: ClassMatch = {
        cls: 'wildcard',
        grants: [],
        sources: new Set(wildcard?.sources),
        rules: [...(wildcard?.rules ?? [])],
        granted: new Set(wildcard?.granted),
      };
      for (const granted of verbsOnly) {
        match.sources.add(granted.source);
        match.granted.add(granted);
        match.rules.push(describePolicyRule(granted.rule));
      }
      yield {
        target: analysed.binding.object,
        path: rolePath(analysed.binding),
        message: classMessage(analysed, [match], privileged),
        // `*` in verbs alone widens what the subject does with resources it was given, not which resources.
        ...(wildcard === undefined ? { severity: 'low' as const } : {}),
      };
    }
  },
});
