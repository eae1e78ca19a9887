import { defineRule } from '../../../engine/rule.js';
import type { InventoryViolation } from '../../../engine/rule.js';
import { asArray } from '../../../k8s/object.js';
import { policyRule, RBAC_KINDS, rbacIndexOf, rulesAllow, type RoleRecord } from '../../../k8s/rbac.js';
import type { Path } from '../../../types.js';

/** Resources outside namespaces: a Role's rules on them grant nothing. (`namespaces` is not listed: a RoleBinding reaches its own.) */
const CLUSTER_SCOPED_RESOURCES: ReadonlySet<string> = new Set([
  'apiservices',
  'certificatesigningrequests',
  'clusterrolebindings',
  'clusterroles',
  'componentstatuses',
  'csidrivers',
  'csinodes',
  'customresourcedefinitions',
  'flowschemas',
  'ingressclasses',
  'mutatingadmissionpolicies',
  'mutatingadmissionpolicybindings',
  'mutatingwebhookconfigurations',
  'nodes',
  'persistentvolumes',
  'priorityclasses',
  'prioritylevelconfigurations',
  'runtimeclasses',
  'selfsubjectaccessreviews',
  'selfsubjectreviews',
  'selfsubjectrulesreviews',
  'storageclasses',
  'subjectaccessreviews',
  'tokenreviews',
  'validatingadmissionpolicies',
  'validatingadmissionpolicybindings',
  'validatingwebhookconfigurations',
  'volumeattachments',
]);

function problems(role: RoleRecord): InventoryViolation[] {
  const target = role.object;
  const out: InventoryViolation[] = [];
  if (target === undefined) return out;
  const report = (path: Path, message: string): void => {
    out.push({ target, path, message: `${role.kind} "${role.name}": ${message}` });
  };
  const raw = asArray(target.object['rules']);
  const unnamedRules = role.literal.filter((r) => r.resourceNames.length === 0);
  if (role.selectors !== undefined) {
    if (role.invalidSelector) {
      report(['aggregationRule', 'clusterRoleSelectors'], 'a selector of aggregationRule is invalid (unknown operator, or values that do not fit it), so the aggregation controller cannot compute the role and leaves its rules as written');
    } else if (raw.length > 0) {
      report(['rules'], 'the role has an aggregationRule, so the control plane overwrites these rules with those of the selected ClusterRoles; move them to a labelled ClusterRole');
    }
    return out;
  }
  raw.forEach((item, i) => {
    const rule = policyRule(item);
    if (rule === undefined) return;
    if (rule.verbs.length > 0 && rule.resources.length > 0 && rule.apiGroups.length === 0) {
      report(['rules', i], `rule ${i} has no apiGroups, so it grants nothing on ${rule.resources.join(', ')}; the core group is written apiGroups: [""]`);
    }
    rule.resources.forEach((resource, j) => {
      const slash = resource.indexOf('/');
      const parent = slash < 0 ? resource : resource.slice(0, slash);
      if (slash > 0 && resource.slice(slash + 1) === '*') {
        report(
          ['rules', i, 'resources', j],
          parent === '*'
            ? `"*/*" in rule ${i} is not a wildcard: it matches only a subresource literally named "*"; use "*" for everything or list the subresources`
            : `"${resource}" in rule ${i} is not a wildcard: it matches only a subresource literally named "*", not ${parent}/exec, ${parent}/log or the others; list the subresources`,
        );
      } else if (role.kind === 'Role' && CLUSTER_SCOPED_RESOURCES.has(parent) && !(parent === 'clusterroles' && rule.verbs.some((v) => v === 'bind' || v === '*'))) {
        // (`bind` on ClusterRoles is checked in the RoleBinding's namespace, so a Role can grant it.)
        report(['rules', i, 'resources', j], `rule ${i} names the cluster-scoped resource "${resource}", which a Role cannot grant; use a ClusterRole with a ClusterRoleBinding`);
      }
    });
    // A create (or deletecollection) request on a resource carries no object name when it is authorized.
    // Not reported when another rule of the role grants the same request without names (the author's intent holds).
    const elsewhere = (verb: string, resource: string): boolean =>
      rule.apiGroups.every((group) => rulesAllow(unnamedRules, { verb, apiGroup: group === '*' ? '' : group, resource }));
    const unnamed = rule.verbs.filter((v) => v === 'create' || v === 'deletecollection');
    const plain = rule.resources.filter((r) => !r.includes('/') && unnamed.some((v) => !elsewhere(v, r)));
    if (rule.resourceNames.length > 0 && unnamed.length > 0 && plain.length > 0) {
      report(
        ['rules', i, 'resourceNames'],
        `rule ${i} limits ${unnamed.map((v) => `"${v}"`).join(' and ')} on ${plain.join(', ')} by resourceNames, but these requests carry no name when they are authorized, so the rule never allows them`,
      );
    }
  });
  return out;
}

export const rule = defineRule({
  id: 'rbac-ineffective-rule',
  title: 'Role rule does not grant what it appears to',
  severity: 'info',
  target: 'inventory',
  context: RBAC_KINDS,
  controls: ['ACC-2'],
  frameworks: { nsa: ['Authentication and authorization'] },
  description:
    'Some rules look like grants but the RBAC authorizer never matches them: `pods/*` and `*/*` are not wildcards (they name a subresource called `*`); a rule without `apiGroups` grants nothing; `create` and `deletecollection` limited by `resourceNames` are never allowed, because the request has no name when it is authorized; a Role cannot grant cluster-scoped resources such as nodes or PersistentVolumes; the `rules` of a ClusterRole with an `aggregationRule` are overwritten by the control plane. The rule fails open or shut in a way its author did not intend, and peer tools that read `pods/*` as a wildcard report findings that the cluster does not have.',
  remediation:
    'List the subresources explicitly (`pods/exec`, `pods/log`), write `apiGroups: [""]` for the core group, drop `resourceNames` from `create` rules (or move them to the verbs that carry a name), move cluster-scoped resources to a ClusterRole bound with a ClusterRoleBinding, and put the rules of an aggregated ClusterRole into a ClusterRole its selector matches.',
  *check({ inventory }) {
    for (const role of rbacIndexOf(inventory).roles) {
      if (role.object === undefined || role.bootstrap) continue;
      yield* problems(role);
    }
  },
});
