import { defineRule } from '../../../engine/rule.js';
import type { InventoryViolation } from '../../../engine/rule.js';
import { asArray } from '../../../k8s/object.js';
import { apiGroupMatches, policyRule, RBAC_GROUP, RBAC_KINDS, rbacIndexOf, type PolicyRule, type RoleRecord } from '../../../k8s/rbac.js';
import type { Path } from '../../../types.js';
import { push } from '../permissions.js';

/**
 * Resources of Kubernetes' API groups that live outside namespaces, with their group: a Role's
 * rules on them grant nothing. A resource of the same name in another group may be namespaced
 * (Longhorn's `nodes.longhorn.io`), so a rule matches only through the group or `*`. (`namespaces`
 * is not listed: a RoleBinding reaches its own.)
 */
const CLUSTER_SCOPED_RESOURCES: ReadonlyMap<string, string> = new Map([
  ['apiservices', 'apiregistration.k8s.io'],
  ['certificatesigningrequests', 'certificates.k8s.io'],
  ['clustertrustbundles', 'certificates.k8s.io'],
  ['clusterrolebindings', RBAC_GROUP],
  ['clusterroles', RBAC_GROUP],
  ['componentstatuses', ''],
  ['csidrivers', 'storage.k8s.io'],
  ['csinodes', 'storage.k8s.io'],
  ['customresourcedefinitions', 'apiextensions.k8s.io'],
  ['deviceclasses', 'resource.k8s.io'],
  ['flowschemas', 'flowcontrol.apiserver.k8s.io'],
  ['ingressclasses', 'networking.k8s.io'],
  ['ipaddresses', 'networking.k8s.io'],
  ['mutatingadmissionpolicies', 'admissionregistration.k8s.io'],
  ['mutatingadmissionpolicybindings', 'admissionregistration.k8s.io'],
  ['mutatingwebhookconfigurations', 'admissionregistration.k8s.io'],
  ['nodes', ''],
  ['persistentvolumes', ''],
  ['priorityclasses', 'scheduling.k8s.io'],
  ['prioritylevelconfigurations', 'flowcontrol.apiserver.k8s.io'],
  ['resourceslices', 'resource.k8s.io'],
  ['runtimeclasses', 'node.k8s.io'],
  ['selfsubjectaccessreviews', 'authorization.k8s.io'],
  ['selfsubjectreviews', 'authentication.k8s.io'],
  ['selfsubjectrulesreviews', 'authorization.k8s.io'],
  ['servicecidrs', 'networking.k8s.io'],
  ['storageclasses', 'storage.k8s.io'],
  ['storageversionmigrations', 'storagemigration.k8s.io'],
  ['subjectaccessreviews', 'authorization.k8s.io'],
  ['tokenreviews', 'authentication.k8s.io'],
  ['validatingadmissionpolicies', 'admissionregistration.k8s.io'],
  ['validatingadmissionpolicybindings', 'admissionregistration.k8s.io'],
  ['validatingwebhookconfigurations', 'admissionregistration.k8s.io'],
  ['volumeattachments', 'storage.k8s.io'],
  ['volumeattributesclasses', 'storage.k8s.io'],
]);

/** The group of a cluster-scoped Kubernetes resource the rule names through its apiGroups; undefined when it names none. */
function clusterScopedGroup(rule: PolicyRule, resource: string): string | undefined {
  const group = CLUSTER_SCOPED_RESOURCES.get(resource);
  return group !== undefined && apiGroupMatches(rule, group) ? group : undefined;
}

/** The rules of a role that allow one verb (or `*`), indexed for `UnnamedGrants`. */
interface VerbIndex {
  /** The groups of the rules on every resource (`resources: ["*"]`): each allows them on any resource. */
  anyResource: Set<string>;
  /** The resources of the rules in every group (`apiGroups: ["*"]`): each allows them in any group. */
  anyGroup: Set<string>;
  /** The other rules: their groups by each resource they name, and their resources by each group. */
  groupsByResource: Map<string, ReadonlySet<string>[]>;
  resourcesByGroup: Map<string, ReadonlySet<string>[]>;
}

/** Answers kept at most, so that the answers of one Role cannot fill the memory. */
const MAX_ANSWERS = 100_000;

/**
 * Whether a role's rules without `resourceNames` allow an unnamed request on a resource (no
 * subresource) in every one of some groups, as `rulesAllow` decides it for each group, from
 * indexes: testing every rule of the role for each rule of the role is quadratic in a Role of
 * many rules (a 3 MiB Role holds 60,000).
 */
class UnnamedGrants {
  private readonly verbs = new Map<string, VerbIndex>();
  private readonly answers = new Map<string, boolean>();

  constructor(private readonly rules: readonly PolicyRule[]) {}

  private index(verb: string): VerbIndex {
    let index = this.verbs.get(verb);
    if (index === undefined) {
      index = { anyResource: new Set(), anyGroup: new Set(), groupsByResource: new Map(), resourcesByGroup: new Map() };
      for (const rule of this.rules) {
        if (!rule.verbs.some((v) => v === '*' || v === verb)) continue;
        const everyResource = rule.resources.includes('*');
        if (everyResource) for (const group of rule.apiGroups) index.anyResource.add(group);
        if (rule.apiGroups.includes('*')) for (const resource of rule.resources) index.anyGroup.add(resource);
        else if (!everyResource) {
          const groups = new Set(rule.apiGroups);
          const resources = new Set(rule.resources);
          for (const resource of resources) push(index.groupsByResource, resource, groups);
          for (const group of groups) push(index.resourcesByGroup, group, resources);
        }
      }
      this.verbs.set(verb, index);
    }
    return index;
  }

  /** A test of each resource: whether `verb` is allowed on it in every one of `groups` (none: true). */
  inEvery(verb: string, groups: readonly string[]): (resource: string) => boolean {
    const index = this.index(verb);
    if (index.anyResource.has('*')) return () => true;
    // Groups a rule on every resource allows need nothing else.
    const rest = [...new Set(groups)].filter((g) => !index.anyResource.has(g));
    if (rest.length === 0) return () => true;
    const covering = new Map<ReadonlySet<string>, boolean>();
    const coversRest = (set: ReadonlySet<string>): boolean => {
      let answer = covering.get(set);
      if (answer === undefined) {
        answer = rest.every((g) => set.has(g));
        covering.set(set, answer);
      }
      return answer;
    };
    return (resource) => {
      if (index.anyGroup.has('*') || index.anyGroup.has(resource)) return true;
      const rules = index.groupsByResource.get(resource);
      if (rules === undefined) return false;
      // Often one rule naming the resource lists all the groups (the same rule without names):
      // tried first when fewer rules name the resource than there are groups to look up.
      if (rules.length <= rest.length && rules.some(coversRest)) return true;
      return rest.every((group) => this.allows(verb, index, group, resource));
    };
  }

  /** Whether one of the rules that name both `group` and `resource` exists, read from the shorter list. */
  private allows(verb: string, index: VerbIndex, group: string, resource: string): boolean {
    const key = `${verb}\u0000${group}\u0000${resource}`;
    let answer = this.answers.get(key);
    if (answer === undefined) {
      const byResource = index.groupsByResource.get(resource) ?? [];
      const byGroup = index.resourcesByGroup.get(group) ?? [];
      answer = byResource.length <= byGroup.length ? byResource.some((groups) => groups.has(group)) : byGroup.some((resources) => resources.has(resource));
      if (this.answers.size < MAX_ANSWERS) this.answers.set(key, answer);
    }
    return answer;
  }
}

function problems(role: RoleRecord): InventoryViolation[] {
  const target = role.object;
  const out: InventoryViolation[] = [];
  if (target === undefined) return out;
  const report = (path: Path, message: string): void => {
    out.push({ target, path, message: `${role.kind} "${role.name}": ${message}` });
  };
  const raw = asArray(target.object['rules']);
  let grants: UnnamedGrants | undefined;
  if (role.selectors !== undefined) {
    if (role.invalidSelector) {
      report(['aggregationRule', 'clusterRoleSelectors'], 'a selector of aggregationRule is invalid (unknown operator, or values that do not fit it), so the aggregation controller cannot compute the role and leaves its rules as written');
    } else if (raw.length > 0) {
      report(['rules'], 'the role has an aggregationRule, so the control plane overwrites these rules with those of the selected ClusterRoles; move them to a labelled ClusterRole (in a cluster export they are that union, and the access rules count them as granted)');
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
      const group = role.kind === 'Role' ? clusterScopedGroup(rule, parent) : undefined;
      if (slash > 0 && resource.slice(slash + 1) === '*') {
        report(
          ['rules', i, 'resources', j],
          parent === '*'
            ? `"*/*" in rule ${i} is not a wildcard: it matches only a subresource literally named "*"; use "*" for everything or list the subresources`
            : `"${resource}" in rule ${i} is not a wildcard: it matches only a subresource literally named "*", not ${parent}/exec, ${parent}/log or the others; list the subresources`,
        );
      } else if (group !== undefined && !(parent === 'clusterroles' && rule.verbs.some((v) => v === 'bind' || v === '*'))) {
        // (`bind` on ClusterRoles is checked in the RoleBinding's namespace, so a Role can grant it.)
        const of = group === '' ? '' : ` of apiGroup "${group}"`;
        report(['rules', i, 'resources', j], `rule ${i} names the cluster-scoped resource "${resource}"${of}, which a Role cannot grant; use a ClusterRole with a ClusterRoleBinding`);
      }
    });
    // A create (or deletecollection) request on a resource carries no object name when it is authorized.
    // Not reported when another rule of the role grants the same request without names (the author's intent holds).
    const unnamed = rule.verbs.filter((v) => v === 'create' || v === 'deletecollection');
    if (rule.resourceNames.length === 0 || unnamed.length === 0) return;
    const known = (grants ??= new UnnamedGrants(role.literal.filter((r) => r.resourceNames.length === 0)));
    // Allowed elsewhere: in each of the rule's groups (`*` asks about the core group).
    const groups = rule.apiGroups.map((group) => (group === '*' ? '' : group));
    const elsewhere = unnamed.map((verb) => known.inEvery(verb, groups));
    const plain = rule.resources.filter((r) => !r.includes('/') && elsewhere.some((allowed) => !allowed(r)));
    if (plain.length > 0) {
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
    'Some rules look like grants but the RBAC authorizer never matches them: `pods/*` and `*/*` are not wildcards (they name a subresource called `*`); a rule without `apiGroups` grants nothing; `create` and `deletecollection` limited by `resourceNames` are never allowed, because the request has no name when it is authorized; a Role cannot grant cluster-scoped resources such as nodes or PersistentVolumes (matched with their API group: a CRD of the same name in another group, such as `nodes.longhorn.io`, may be namespaced); the `rules` of a ClusterRole with an `aggregationRule` are overwritten by the control plane. The rule fails open or shut in a way its author did not intend, and peer tools that read `pods/*` as a wildcard report findings that the cluster does not have.',
  remediation:
    'List the subresources explicitly (`pods/exec`, `pods/log`), write `apiGroups: [""]` for the core group, drop `resourceNames` from `create` rules (or move them to the verbs that carry a name), move cluster-scoped resources to a ClusterRole bound with a ClusterRoleBinding, and put the rules of an aggregated ClusterRole into a ClusterRole its selector matches.',
  *check({ inventory }) {
    for (const role of rbacIndexOf(inventory).roles) {
      if (role.object === undefined || role.bootstrap) continue;
      yield* problems(role);
    }
  },
});
