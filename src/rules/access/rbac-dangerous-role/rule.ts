import type { Inventory } from '../../../engine/inventory.js';
import { defineRule } from '../../../engine/rule.js';
import { RBAC_GROUP, RBAC_KINDS, rbacIndexOf, roleNote, type RoleRecord } from '../../../k8s/rbac.js';
import { asArray, asObject, asString } from '../../../k8s/object.js';
import type { Path } from '../../../types.js';
import { DEFAULT_PRIVILEGED_NAMESPACES, PRIVILEGED_NOTE, privilegedNamespaces } from '../define.js';
import { describeClass, evaluateRules, push, roleJudge, type ClassMatch, type PermissionClass } from '../permissions.js';

/**
 * What the binding rules report on a RoleBinding in an ordinary namespace
 * (`rbac-namespace-admin-binding`, `rbac-namespace-sensitive-access`, `rbac-wildcard-grant`):
 * writes of Secrets, ConfigMaps, Services and deletions are a namespace owner's daily work.
 */
const NAMESPACE_CLASSES: ReadonlySet<PermissionClass> = new Set<PermissionClass>([
  'admin',
  'wildcard',
  'escalate-bind',
  'rbac-write',
  'secrets-read',
  'workload-write',
  'pod-exec',
  'port-forward',
  'impersonate',
  'token-create',
  'namespace-write',
]);

const REACH = Symbol('rbac-dangerous-role:reach');

/**
 * The names a role answers to in `roleRef`s, as keys: a ClusterRole by name; a Role by its
 * namespace and name, or by name alone when its manifest sets no namespace (it is applied where
 * the binding is). Names, not the role records the index resolved: when several manifests define
 * a role of the same name (a base and a Kustomize patch of it), a binding of that name grants it.
 */
function roleKeys(role: RoleRecord): string[] {
  if (role.kind === 'ClusterRole') return [`ClusterRole\u0000${role.name}`];
  const namespace = role.object?.ref.namespace;
  return namespace === undefined ? [`Role\u0000?\u0000${role.name}`] : [`Role\u0000${namespace}\u0000${role.name}`];
}

/**
 * The keys of `roleKeys` a binding's `roleRef` grants (`namespace`: the binding's own, as written).
 * A RoleBinding that sets no namespace is read in `default`, as the access rules read it: it
 * grants a Role of `default` or one that sets no namespace either, not a Role of another namespace
 * (which the access rules cannot judge through it, so it is reported here).
 */
function refKeys(bindingKind: string, refKind: string | undefined, name: string, namespace: string | undefined): string[] {
  if (refKind === 'Role') {
    if (bindingKind !== 'RoleBinding') return [];
    return [`Role\u0000${namespace ?? 'default'}\u0000${name}`, `Role\u0000?\u0000${name}`];
  }
  return [`ClusterRole\u0000${name}`];
}

/** Which roles the input grants, and what it does with the others (for the message). */
interface Reach {
  /** Keys (`roleKeys`) of the roles some binding with subjects grants, directly or through aggregation. */
  granted: Set<string>;
  /** For each ClusterRole, the aggregated ClusterRoles of the input that select it. */
  selectedBy: Map<RoleRecord, RoleRecord[]>;
  /** Bindings without subjects (they grant nothing), by the keys they reference. */
  empty: Map<string, string[]>;
}

const hasSubjects = (body: Readonly<Record<string, unknown>>): boolean => ['subjects', 'userNames', 'groupNames'].some((key) => asArray(body[key]).length > 0);

/**
 * The roles the input grants: those a binding with subjects references (RBAC bindings, and
 * OpenShift's legacy `authorization.openshift.io/v1` ones, whose `roleRef` may name a local Role by
 * a namespace instead of a kind, and whose subjects may be `userNames` or `groupNames`), and the
 * ClusterRoles an aggregated ClusterRole selects when that role is granted, or is one of
 * Kubernetes' own (`admin`, `edit`, `view`, assumed or in the input): clusters bind those, and
 * `rbac-aggregate-to-default-role` reports what a role adds to them.
 */
function reach(inventory: Inventory): Reach {
  return inventory.memo(REACH, () => {
    const granted = new Set<string>();
    const empty = new Map<string, string[]>();
    for (const kind of ['ClusterRoleBinding', 'RoleBinding']) {
      for (const object of inventory.byKind(kind)) {
        const api = object.ref.apiVersion;
        const openShift = api.startsWith('authorization.openshift.io/');
        if (!openShift && !api.startsWith(`${RBAC_GROUP}/`)) continue;
        const ref = asObject(object.object['roleRef']);
        const name = asString(ref?.['name']);
        if (name === undefined) continue;
        const refKind = openShift && asString(ref?.['namespace']) !== undefined ? 'Role' : asString(ref?.['kind']);
        const keys = refKeys(kind, refKind, name, object.ref.namespace);
        if (hasSubjects(object.object)) for (const key of keys) granted.add(key);
        else for (const key of keys) push(empty, key, `${kind} "${object.ref.name}"`);
      }
    }
    const clusterRoles = rbacIndexOf(inventory).roles.filter((r) => r.kind === 'ClusterRole');
    const selects = new Map<RoleRecord, readonly RoleRecord[]>();
    const selectedBy = new Map<RoleRecord, RoleRecord[]>();
    for (const aggregator of clusterRoles) {
      if (aggregator.selectors === undefined || aggregator.invalidSelector) continue;
      // The roles its selectors match, as the index resolved them (in its own order, which no output shows).
      const picks = aggregator.aggregates ?? [];
      selects.set(aggregator, picks);
      for (const pick of picks) push(selectedBy, pick, aggregator);
    }
    const isGranted = (role: RoleRecord): boolean => roleKeys(role).some((key) => granted.has(key));
    const pending = [...selects.keys()].filter((r) => r.assumed || r.bootstrap || isGranted(r));
    for (let role = pending.pop(); role !== undefined; role = pending.pop()) {
      for (const pick of selects.get(role) ?? []) {
        if (isGranted(pick)) continue;
        for (const key of roleKeys(pick)) granted.add(key);
        pending.push(pick);
      }
    }
    return { granted, selectedBy, empty };
  });
}

/** A label that by convention asks an aggregated ClusterRole to select the role (`…/aggregate-to-<role>: "true"`). */
const AGGREGATION_LABEL = /(^|[/.-])aggregate-to-/;

/** What the input does with an ungranted role, for the message: empty bindings, aggregations that are not granted either. */
function reachNote(role: RoleRecord, { selectedBy, empty }: Reach): string {
  const notes: string[] = [];
  const bindings = [...new Set(roleKeys(role).flatMap((key) => empty.get(key) ?? []))];
  if (bindings.length > 0) notes.push(`${bindings.join(', ')} references it without subjects`);
  const aggregators = selectedBy.get(role) ?? [];
  if (aggregators.length > 0) notes.push(`nor is the aggregated ClusterRole ${aggregators.map((a) => `"${a.name}"`).join(', ')} that selects it`);
  else {
    const labels = Object.entries(role.labels).filter(([k, v]) => v === 'true' && AGGREGATION_LABEL.test(k));
    if (labels.length > 0) notes.push(`its label ${labels.map(([k]) => `"${k}"`).join(', ')} aggregates it into a ClusterRole that is not in the input, whose bindings grant it too`);
  }
  return notes.length === 0 ? '' : ` (${notes.join('; ')})`;
}

/** The rules of the role (by index) that grant the classes, sorted. */
function offendingRules(role: RoleRecord, matches: readonly ClassMatch[]): number[] {
  const indexes = new Set<number>();
  for (const m of matches) for (const g of m.granted) if (g.source === role) indexes.add(g.index);
  return [...indexes].sort((a, b) => a - b);
}

export const rule = defineRule({
  id: 'rbac-dangerous-role',
  title: 'Dangerous Role or ClusterRole that no binding of the input grants',
  severity: 'low',
  target: 'inventory',
  context: RBAC_KINDS,
  controls: ['ACC-2'],
  frameworks: { nsa: ['Authentication and authorization'] },
  description:
    'The access rules report a dangerous permission on the binding that grants it, with its subjects and scope. A Role or ClusterRole that no RoleBinding or ClusterRoleBinding of the input references is not reported there: a chart that ships a ClusterRole and leaves the binding to the operator, or to a controller that binds it per tenant, hands out whatever that role allows the day someone binds it, and the review of the binding rarely re-reads the role. This rule reports such roles, with the permission classes the binding rules would report: for a ClusterRole, what a ClusterRoleBinding would grant; for a Role, what a RoleBinding in its namespace would (every class in a privileged namespace, as the `rbac-cluster-*` rules count them). A binding grants a role by name (a second manifest of the same role, such as a Kustomize patch, counts as granted; OpenShift\'s legacy `authorization.openshift.io` bindings count too), and a binding without subjects grants nothing. A ClusterRole also counts as granted when an aggregated ClusterRole that selects it is granted, or is one of Kubernetes\' own roles (`admin`, `edit`, `view`: `rbac-aggregate-to-default-role` reports what it adds to them). An aggregated ClusterRole is judged through the roles it selects, and Kubernetes\' own roles (labelled `kubernetes.io/bootstrapping: rbac-defaults` and granting no more than upstream\'s bootstrap policy gives them) are left out; a default role given more rules is reported on what it adds. Low severity: nothing holds the permissions yet. Scan a chart or an application as a whole: a role scanned without the file that binds it is reported. ' +
    PRIVILEGED_NOTE,
  remediation:
    'Narrow the role to what its future subjects need (name Secrets and ConfigMaps with `resourceNames`, leave out `pods/exec`, `escalate`, `bind`, `impersonate` and `*`), or delete it if nothing uses it. When the role must stay broad, ship it with the binding it is meant for, so the binding rules report its subjects and scope, or accept it with a documented exception.',
  options: { privilegedNamespaces: DEFAULT_PRIVILEGED_NAMESPACES },
  *check({ inventory }, ctx) {
    const privileged = privilegedNamespaces(ctx.options);
    const reached = reach(inventory);
    const judge = roleJudge(inventory);
    for (const role of rbacIndexOf(inventory).roles) {
      const object = role.object;
      if (object === undefined || role.bootstrap || roleKeys(role).some((key) => reached.granted.has(key))) continue;
      // An aggregated role's own rules are overwritten; what it grants is judged on the selected roles.
      if (role.selectors !== undefined && !role.invalidSelector) continue;
      const cluster = role.kind === 'ClusterRole' || privileged.includes(role.namespace ?? '');
      // A changed default role is judged on what it adds to upstream's role.
      const found = [...evaluateRules(role.changes?.added ?? role.rules, role.kind === 'ClusterRole', judge).values()].filter((m) => cluster || NAMESPACE_CLASSES.has(m.cls));
      const indexes = offendingRules(role, found);
      const [first, ...others] = indexes;
      if (first === undefined) continue;
      const ruleList = indexes.map((i) => `rules[${i}]`).join(', ');
      const what = found.map(describeClass).join('; ');
      const scope =
        role.kind === 'ClusterRole'
          ? 'a ClusterRoleBinding would grant cluster-wide'
          : `a RoleBinding would grant in ${cluster ? 'this privileged namespace' : 'its namespace'}`;
      const where = role.kind === 'Role' ? ` in namespace "${role.namespace ?? 'default'}"` : '';
      const path = (i: number): Path => ['rules', i];
      yield {
        target: object,
        path: path(first),
        ...(others.length > 0 ? { paths: others.map(path) } : {}),
        message: `${role.kind} "${role.name}"${where}${roleNote(role)} is granted by no binding of the input${reachNote(role, reached)}; once bound, ${scope} through ${ruleList}: ${what}`,
      };
    }
  },
});
