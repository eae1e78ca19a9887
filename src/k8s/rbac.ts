/**
 * RBAC as the Kubernetes RBAC authorizer evaluates it (`pkg/apis/rbac/v1/evaluation_helpers.go`):
 * rule matching, label selectors, aggregated ClusterRoles resolved offline, and an index of the
 * roles and bindings of an input.
 */
import { trimRuns } from '../text.js';
import type { LoadedObject } from '../load/types.js';
import { asArray, asObject, asString, isObject } from './object.js';
import { ASSUMED_ROLES, defaultKey, defaultPolicy, type DefaultRole } from './rbac-defaults.js';

/** The API group of Roles, ClusterRoles and their bindings. */
export const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** The kinds the RBAC index reads: what rules built on it list in their `context`. */
export const RBAC_KINDS: readonly string[] = ['ClusterRole', 'Role', 'ClusterRoleBinding', 'RoleBinding'];

/** The label the API server puts on the roles and bindings it creates at start-up. */
const BOOTSTRAP_LABEL = 'kubernetes.io/bootstrapping';
const BOOTSTRAP_VALUE = 'rbac-defaults';

/** One rule of a Role or ClusterRole; lists hold only the strings of the manifest. */
export interface PolicyRule {
  readonly verbs: readonly string[];
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly resourceNames: readonly string[];
  readonly nonResourceURLs: readonly string[];
}

/** A request on an API resource, as the authorizer sees it. */
export interface ResourceAttributes {
  verb: string;
  /** `''` for the core group. */
  apiGroup: string;
  resource: string;
  subresource?: string;
  /** `''` or absent for requests without a name (list, create). */
  name?: string;
}

/** A request on a non-resource URL (`/healthz`, `/metrics`). */
export interface NonResourceAttributes {
  verb: string;
  path: string;
}

function strings(value: unknown): string[] {
  const out: string[] = [];
  for (const item of asArray(value)) if (typeof item === 'string') out.push(item);
  return out;
}

/** A rule read from a manifest; undefined when the value is not an object. Non-string list items are dropped. */
export function policyRule(value: unknown): PolicyRule | undefined {
  const rule = asObject(value);
  if (rule === undefined) return undefined;
  return {
    verbs: strings(rule['verbs']),
    apiGroups: strings(rule['apiGroups']),
    resources: strings(rule['resources']),
    resourceNames: strings(rule['resourceNames']),
    nonResourceURLs: strings(rule['nonResourceURLs']),
  };
}

/** `verbs` contains `*` or the verb. */
export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.some((v) => v === '*' || v === verb);
}

/** `apiGroups` contains `*` or the group (`''` is the core group). */
export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return rule.apiGroups.some((g) => g === '*' || g === group);
}

/**
 * `resources` contains `*` (everything, subresources included), the combined `resource/subresource`,
 * or `*\/<subresource>`. `pods/*` is not a wildcard: it only names a subresource called `*`.
 */
export function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  for (const r of rule.resources) {
    if (r === '*' || r === combined) return true;
    if (subresource !== '' && r.length === subresource.length + 2 && r.startsWith('*/') && r.endsWith(subresource)) return true;
  }
  return false;
}

/** An empty `resourceNames` matches every name; otherwise only an exact name (so never an unnamed request). */
export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  return rule.resourceNames.length === 0 || rule.resourceNames.includes(name);
}

/** `nonResourceURLs` contains `*`, the path, or a prefix ending in `*`. */
export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const url of rule.nonResourceURLs) {
    if (url === '*' || url === path) return true;
    if (url.endsWith('*') && path.startsWith(trimRuns(url, '*'))) return true;
  }
  return false;
}

/** True when the rule allows the resource request. */
export function ruleAllows(rule: PolicyRule, request: ResourceAttributes): boolean {
  const sub = request.subresource ?? '';
  const combined = sub === '' ? request.resource : `${request.resource}/${sub}`;
  return (
    verbMatches(rule, request.verb) &&
    apiGroupMatches(rule, request.apiGroup) &&
    resourceMatches(rule, combined, sub) &&
    resourceNameMatches(rule, request.name ?? '')
  );
}

/** True when the rule allows the non-resource request (only ClusterRoleBindings grant these). */
export function ruleAllowsNonResource(rule: PolicyRule, request: NonResourceAttributes): boolean {
  return verbMatches(rule, request.verb) && nonResourceURLMatches(rule, request.path);
}

/** True when any of the rules allows the request. */
export function rulesAllow(rules: Iterable<PolicyRule>, request: ResourceAttributes): boolean {
  for (const rule of rules) if (ruleAllows(rule, request)) return true;
  return false;
}

/** True when the rule grants `*` verbs on `*` resources of `*` groups, for every name. */
export function isFullWildcard(rule: PolicyRule): boolean {
  return rule.verbs.includes('*') && rule.apiGroups.includes('*') && rule.resources.includes('*') && rule.resourceNames.length === 0;
}

// ---------------------------------------------------------------------------------------------
// Label selectors

/**
 * Evaluates a `metav1.LabelSelector` on labels: `matchLabels` and every `matchExpressions`
 * requirement must hold (`In`, `NotIn`, `Exists`, `DoesNotExist`). An empty selector matches
 * everything. Returns undefined for a selector the API server cannot convert (unknown operator,
 * `In`/`NotIn` without values, `Exists`/`DoesNotExist` with values, non-string values).
 */
export function labelSelectorMatches(selector: unknown, labels: Readonly<Record<string, string>>): boolean | undefined {
  const compiled = compileLabelSelector(selector);
  return compiled === undefined ? undefined : compiled(labels);
}

/** A label selector compiled once into a predicate; undefined for a selector the API server cannot convert. */
export function compileLabelSelector(selector: unknown): ((labels: Readonly<Record<string, string>>) => boolean) | undefined {
  if (selector === null || selector === undefined) return () => true;
  if (!isObject(selector)) return undefined;
  const checks: ((labels: Readonly<Record<string, string>>) => boolean)[] = [];
  const matchLabels = selector['matchLabels'];
  if (matchLabels !== undefined && matchLabels !== null) {
    if (!isObject(matchLabels)) return undefined;
    for (const [key, value] of Object.entries(matchLabels)) {
      if (typeof value !== 'string') return undefined;
      checks.push((labels) => labels[key] === value);
    }
  }
  const expressions = selector['matchExpressions'];
  if (expressions !== undefined && expressions !== null) {
    if (!Array.isArray(expressions)) return undefined;
    for (const item of expressions) {
      const expr = asObject(item);
      const key = asString(expr?.['key']);
      const operator = asString(expr?.['operator']);
      if (expr === undefined || key === undefined || operator === undefined) return undefined;
      const rawValues = expr['values'];
      if (rawValues !== undefined && rawValues !== null && !Array.isArray(rawValues)) return undefined;
      const values: string[] = [];
      for (const v of asArray(rawValues)) {
        if (typeof v !== 'string') return undefined;
        values.push(v);
      }
      const has = (labels: Readonly<Record<string, string>>): boolean => Object.hasOwn(labels, key);
      // A set: the selector is tested against every candidate role, and its list may be long.
      const set = new Set(values);
      switch (operator) {
        case 'In':
          if (values.length === 0) return undefined;
          checks.push((labels) => has(labels) && set.has(labels[key] ?? ''));
          break;
        case 'NotIn':
          if (values.length === 0) return undefined;
          checks.push((labels) => !has(labels) || !set.has(labels[key] ?? ''));
          break;
        case 'Exists':
          if (values.length > 0) return undefined;
          checks.push(has);
          break;
        case 'DoesNotExist':
          if (values.length > 0) return undefined;
          checks.push((labels) => !has(labels));
          break;
        default:
          return undefined;
      }
    }
  }
  return (labels) => checks.every((check) => check(labels));
}

// ---------------------------------------------------------------------------------------------
// Roles, bindings and their index

/** A rule a role grants, with the role whose literal `rules` hold it (differs for aggregated roles). */
export interface GrantedRule {
  readonly rule: PolicyRule;
  readonly source: RoleRecord;
  /** Index of the rule in the source role's `rules`. */
  readonly index: number;
}

/** A Role or ClusterRole of the input, or a Kubernetes default ClusterRole assumed absent from it. */
export interface RoleRecord {
  readonly kind: 'Role' | 'ClusterRole';
  readonly name: string;
  /** The namespace of a Role; undefined for ClusterRoles. */
  readonly namespace: string | undefined;
  /** The object in the input; undefined for an assumed default role. */
  readonly object: LoadedObject | undefined;
  readonly labels: Readonly<Record<string, string>>;
  /** The `rules` as written (ignored by the API server for aggregated roles). */
  readonly literal: readonly PolicyRule[];
  /** The rules the role grants: its literal rules, or for an aggregated ClusterRole the union of the selected roles'. */
  rules: readonly GrantedRule[];
  /** The `aggregationRule.clusterRoleSelectors` of an aggregated ClusterRole. */
  readonly selectors: readonly unknown[] | undefined;
  /** True when an aggregated role has a selector the API server rejects, so its rules stay as written. */
  invalidSelector: boolean;
  /** The ClusterRoles an aggregated role selects, in the controller's order; undefined for other roles and invalid selectors. */
  aggregates?: readonly RoleRecord[] | undefined;
  /**
   * Kubernetes' own role as the API server creates it: an assumed default role, or a role of the
   * input labelled `kubernetes.io/bootstrapping: rbac-defaults` that grants nothing beyond
   * upstream's role of its kind, namespace and name (`changes`).
   */
  bootstrap: boolean;
  /** A Kubernetes default role that is not in the input; its rules are assumed from upstream defaults. */
  readonly assumed: boolean;
  /** For a role of the input with the bootstrapping label: how it differs from upstream's role (absent for other roles). */
  changes?: DefaultRoleChanges;
}

/** What a role labelled as Kubernetes' own grants beyond upstream's role of its kind, namespace and name. */
export interface DefaultRoleChanges {
  /** False when upstream defines no such role: every rule is then an addition. */
  readonly known: boolean;
  /**
   * The rules that grant more than upstream's role, each cut down to what upstream's role does not
   * allow (an API group, resource, verb, name or non-resource URL, `*` included); empty when
   * nothing was added. Their `source` and `index` are the rules of the input they come from.
   */
  readonly added: readonly GrantedRule[];
}

/** A subject of a binding. */
export interface Subject {
  /** `User`, `Group` or `ServiceAccount` (anything else as written). */
  readonly kind: string;
  readonly name: string;
  /** For service accounts: their namespace (the binding's when the subject omits it). */
  readonly namespace: string | undefined;
  /** Index in the binding's `subjects`. */
  readonly index: number;
}

/** A RoleBinding or ClusterRoleBinding of the input, with its role resolved. */
export interface BindingRecord {
  readonly kind: 'RoleBinding' | 'ClusterRoleBinding';
  readonly name: string;
  /** The namespace of a RoleBinding; undefined for ClusterRoleBindings. */
  readonly namespace: string | undefined;
  readonly object: LoadedObject;
  readonly roleRef: { readonly kind: string; readonly name: string } | undefined;
  /** The role the binding grants, when the input (or the assumed defaults) has it. */
  readonly role: RoleRecord | undefined;
  readonly subjects: readonly Subject[];
  /** Carries `kubernetes.io/bootstrapping: rbac-defaults`. */
  readonly bootstrap: boolean;
  /**
   * One of Kubernetes' own bindings, as upstream defines it: the bootstrapping label, and the kind,
   * namespace, name and roleRef of a default binding, with no subject that binding lacks.
   */
  readonly upstream: boolean;
}

/** The RBAC objects of an input. */
export interface RbacIndex {
  /** Every role: the input's, then the assumed defaults the input lacks. */
  readonly roles: readonly RoleRecord[];
  readonly bindings: readonly BindingRecord[];
  /** The ClusterRole of that name (preferring one from the same file as `near`). */
  clusterRole(name: string, near?: LoadedObject): RoleRecord | undefined;
  /** The Role of that namespace and name (preferring one from the same file as `near`). */
  role(namespace: string, name: string, near?: LoadedObject): RoleRecord | undefined;
  /** The Kubernetes default ClusterRole of that name (`cluster-admin`, `admin`, `edit`, `view`, …), as upstream defines it. */
  defaultRole(name: string): RoleRecord | undefined;
}

/** What the index reads: the inventory satisfies it. */
export interface RbacSource {
  byKind(kind: string): readonly LoadedObject[];
  namespaceOf(object: LoadedObject): string | undefined;
}

/** A source that can keep derived indexes (the inventory's `memo`). */
export interface MemoRbacSource extends RbacSource {
  memo<T>(key: symbol, build: () => T): T;
}

function isRbacObject(object: LoadedObject): boolean {
  return object.ref.apiVersion.startsWith(`${RBAC_GROUP}/`);
}

function labelsOf(object: LoadedObject): Record<string, string> {
  const out: Record<string, string> = {};
  const labels = asObject(asObject(object.object['metadata'])?.['labels']);
  if (labels === undefined) return out;
  for (const [key, value] of Object.entries(labels)) if (typeof value === 'string') out[key] = value;
  return out;
}

function rulesOf(value: unknown): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const item of asArray(value)) {
    const rule = policyRule(item);
    if (rule !== undefined) out.push(rule);
  }
  return out;
}

function literalGranted(record: RoleRecord): GrantedRule[] {
  return record.literal.map((rule, index) => ({ rule, source: record, index }));
}

const RULE_KEYS = new WeakMap<PolicyRule, string>();

/** A rule's identity for de-duplication (the controller compares rules with deep equality). */
function ruleKey(rule: PolicyRule): string {
  let key = RULE_KEYS.get(rule);
  if (key === undefined) {
    key = JSON.stringify([rule.verbs, rule.apiGroups, rule.resources, rule.resourceNames, rule.nonResourceURLs]);
    RULE_KEYS.set(rule, key);
  }
  return key;
}

function roleRecord(object: LoadedObject, kind: 'Role' | 'ClusterRole', namespace: string | undefined): RoleRecord {
  const labels = labelsOf(object);
  const aggregation = kind === 'ClusterRole' ? asObject(object.object['aggregationRule']) : undefined;
  const record: RoleRecord = {
    kind,
    name: object.ref.name,
    namespace,
    object,
    labels,
    literal: rulesOf(object.object['rules']),
    rules: [],
    selectors: aggregation === undefined ? undefined : asArray(aggregation['clusterRoleSelectors']),
    invalidSelector: false,
    // Set once the rules are known (`compareWithDefault`).
    bootstrap: false,
    assumed: false,
  };
  record.rules = literalGranted(record);
  return record;
}

/**
 * The ClusterRoles a selector can match, in the order of `clusterRoles`: those carrying a label its
 * `matchLabels` or an `In` requirement asks for, or the key an `Exists` requirement asks for,
 * whichever list is shortest; every role for a selector of `NotIn` and `DoesNotExist` alone.
 */
function candidatesOf(selector: unknown, clusterRoles: readonly RoleRecord[], byLabel: ReadonlyMap<string, RoleRecord[]>, byKey: ReadonlyMap<string, RoleRecord[]>, position: ReadonlyMap<RoleRecord, number>): readonly RoleRecord[] {
  const s = asObject(selector);
  let best: RoleRecord[][] | undefined;
  let size = Infinity;
  const offer = (lists: RoleRecord[][]): void => {
    const n = lists.reduce((sum, list) => sum + list.length, 0);
    if (n < size) [best, size] = [lists, n];
  };
  for (const [key, value] of Object.entries(asObject(s?.['matchLabels']) ?? {})) offer([byLabel.get(`${key}\u0000${String(value)}`) ?? []]);
  for (const item of asArray(s?.['matchExpressions'])) {
    const expression = asObject(item);
    const key = asString(expression?.['key']) ?? '';
    if (expression?.['operator'] === 'In') offer([...new Set(strings(expression['values']))].map((v) => byLabel.get(`${key}\u0000${v}`) ?? []));
    else if (expression?.['operator'] === 'Exists') offer([byKey.get(key) ?? []]);
  }
  if (best === undefined) return clusterRoles;
  if (best.length === 1) return best[0] ?? [];
  return best.flat().sort((a, b) => (position.get(a) ?? 0) - (position.get(b) ?? 0));
}

/**
 * Resolves aggregated ClusterRoles as the clusterrole-aggregation controller does: the rules of an
 * aggregated role are the union (without duplicates) of the rules of every other ClusterRole whose
 * labels match any of its selectors; its own `rules` are overwritten. Aggregated roles may select
 * each other, and the controller recomputes them until nothing changes: each ends with the rules of
 * every role it reaches through selections. That is computed directly, each role once, after the
 * roles it selects (strongly connected components, sinks first). Roles that select each other in a
 * cycle reach the same roles, so they share one union: their selections in input order, the rules
 * in the order of their selections, without duplicates. The set of rules is the controller's; the
 * order, and which role a rule held by several is credited to, may differ from where the
 * controller settles (which depends on the order of its watch events).
 */
export function resolveAggregation(clusterRoles: readonly RoleRecord[]): void {
  const aggregated = clusterRoles.filter((r) => r.selectors !== undefined);
  if (aggregated.length === 0) return;
  // Candidates by label and by label key, so that a selector looks at the roles it can match only.
  const byLabel = new Map<string, RoleRecord[]>();
  const byKey = new Map<string, RoleRecord[]>();
  const position = new Map<RoleRecord, number>();
  clusterRoles.forEach((candidate, i) => {
    position.set(candidate, i);
    for (const [k, v] of Object.entries(candidate.labels)) {
      push(byLabel, `${k}\u0000${v}`, candidate);
      push(byKey, k, candidate);
    }
  });
  const selected = new Map<RoleRecord, RoleRecord[]>();
  for (const role of aggregated) {
    const selectors = role.selectors ?? [];
    const predicates = selectors.map(compileLabelSelector);
    if (predicates.some((p) => p === undefined)) {
      // The controller fails on a selector it cannot convert and leaves the rules as written.
      role.invalidSelector = true;
      role.rules = literalGranted(role);
      role.aggregates = undefined;
      continue;
    }
    const picks = new Set<RoleRecord>();
    selectors.forEach((selector, i) => {
      const predicate = predicates[i];
      if (predicate === undefined) return;
      const candidates = candidatesOf(selector, clusterRoles, byLabel, byKey, position);
      const matches = candidates.filter((candidate) => candidate.name !== role.name && predicate(candidate.labels));
      // The controller takes each selector's matches sorted by name, in selector order.
      matches.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const match of matches) picks.add(match);
    });
    const list = [...picks];
    selected.set(role, list);
    role.aggregates = list;
    role.rules = [];
  }
  const order = [...selected.keys()];
  const rank = new Map(order.map((role, i) => [role, i]));
  // The aggregated roles each one selects, by their index in `order`.
  const picks = order.map((role) => (selected.get(role) ?? []).flatMap((pick) => rank.get(pick) ?? []));
  const union = (members: readonly number[], inside: (pick: RoleRecord) => boolean): GrantedRule[] => {
    const seen = new Set<string>();
    const out: GrantedRule[] = [];
    for (const i of members) {
      for (const pick of selected.get(order[i] as RoleRecord) ?? []) {
        if (inside(pick)) continue;
        for (const granted of pick.rules) {
          const key = ruleKey(granted.rule);
          if (seen.has(key)) continue;
          seen.add(key);
          out.push(granted);
        }
      }
    }
    return out;
  };
  for (const component of components(picks)) {
    if (component.length === 1) {
      const role = order[component[0] as number] as RoleRecord;
      role.rules = union(component, () => false);
      continue;
    }
    component.sort((a, b) => a - b);
    const members = new Set(component.map((i) => order[i] as RoleRecord));
    const rules = union(component, (pick) => members.has(pick));
    for (const role of members) role.rules = rules;
  }
  // An aggregated role of the input that selects none of the input's roles, yet lists rules, is as
  // a cluster export has it: the rules are the controller's union of roles the input lacks, so
  // they are what it grants. (When the input's roles are selected, their union replaces them.)
  for (const role of order) {
    if (role.object !== undefined && role.literal.length > 0 && (selected.get(role) ?? []).length === 0) role.rules = literalGranted(role);
  }
}

/**
 * A depth-first walk from `root` without recursion (a chain of aggregated roles may be as long as
 * the input): `visit(next, node)` says whether to go into a successor, `leave(node, parent)` runs
 * once all of a node's successors are done.
 */
function walk(successors: readonly (readonly number[])[], root: number, visit: (next: number, node: number) => boolean, leave: (node: number, parent: number | undefined) => void): void {
  const work: [number, number][] = [[root, 0]];
  while (work.length > 0) {
    const frame = work[work.length - 1] as [number, number];
    const [node, edge] = frame;
    const next = successors[node]?.[edge];
    if (next !== undefined) {
      frame[1]++;
      if (visit(next, node)) work.push([next, 0]);
      continue;
    }
    work.pop();
    leave(node, work[work.length - 1]?.[0]);
  }
}

/**
 * The strongly connected components of a graph (each node's successors by index), each component
 * after every component it reaches (Tarjan's algorithm, without recursion).
 */
function components(successors: readonly (readonly number[])[]): number[][] {
  const n = successors.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  const out: number[][] = [];
  let counter = 0;
  const enter = (node: number): void => {
    index[node] = low[node] = counter++;
    stack.push(node);
    onStack[node] = 1;
  };
  const visit = (next: number, node: number): boolean => {
    if (index[next] === -1) {
      enter(next);
      return true;
    }
    if (onStack[next] === 1) low[node] = Math.min(low[node] ?? 0, index[next] ?? 0);
    return false;
  };
  const leave = (node: number, parent: number | undefined): void => {
    if (parent !== undefined) low[parent] = Math.min(low[parent] ?? 0, low[node] ?? 0);
    if (low[node] !== index[node]) return;
    const component: number[] = [];
    for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
      onStack[member] = 0;
      component.push(member);
      if (member === node) break;
    }
    out.push(component);
  };
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    enter(root);
    walk(successors, root, visit, leave);
  }
  return out;
}

/** Builds the index of the RBAC objects of a source; `defaults: false` leaves out the assumed default roles. */
export function buildRbacIndex(source: RbacSource, options: { defaults?: boolean } = {}): RbacIndex {
  const clusterRoles: RoleRecord[] = [];
  const roles: RoleRecord[] = [];
  for (const object of source.byKind('ClusterRole')) if (isRbacObject(object)) clusterRoles.push(roleRecord(object, 'ClusterRole', undefined));
  for (const object of source.byKind('Role')) {
    if (isRbacObject(object)) roles.push(roleRecord(object, 'Role', source.namespaceOf(object) ?? 'default'));
  }
  const present = new Set(clusterRoles.map((r) => r.name));
  // Two copies: the pool ones may aggregate the input's roles; the reference ones stay as upstream defines them.
  const defaults = defaultClusterRoles();
  if (options.defaults !== false) for (const role of defaultClusterRoles().values()) if (!present.has(role.name)) clusterRoles.push(role);
  resolveAggregation(clusterRoles);
  for (const role of [...roles, ...clusterRoles]) if (role.object !== undefined && role.labels[BOOTSTRAP_LABEL] === BOOTSTRAP_VALUE) compareWithDefault(role);

  const clusterByName = new Map<string, RoleRecord[]>();
  for (const r of clusterRoles) push(clusterByName, r.name, r);
  const roleByKey = new Map<string, RoleRecord[]>();
  for (const r of roles) push(roleByKey, `${r.namespace ?? ''}\u0000${r.name}`, r);
  // Roles that set no namespace are created in the namespace they are applied to (`kubectl -n`).
  const implicitRoles = new Map<string, RoleRecord[]>();
  for (const r of roles) if (r.object !== undefined && r.object.ref.namespace === undefined) push(implicitRoles, r.name, r);

  // Names can collide when several applications are scanned together: prefer the role defined
  // nearest to the binding (same file, then the deepest shared directory), else the last one
  // applied, as in a cluster.
  const nearest = new Map<readonly RoleRecord[], NearestRole>();
  const pick = (list: readonly RoleRecord[] | undefined, near: LoadedObject | undefined): RoleRecord | undefined => {
    if (list === undefined || list.length === 0) return undefined;
    if (list.length === 1 || near === undefined) return list[list.length - 1];
    let finder = nearest.get(list);
    if (finder === undefined) {
      finder = new NearestRole(list);
      nearest.set(list, finder);
    }
    return finder.to(near.source.file);
  };
  const bindings: BindingRecord[] = [];
  const index: RbacIndex = {
    roles: [...roles, ...clusterRoles],
    bindings,
    clusterRole: (name, near) => pick(clusterByName.get(name), near),
    role: (namespace, name, near) => pick(roleByKey.get(`${namespace}\u0000${name}`), near),
    defaultRole: (name) => defaults.get(name),
  };

  for (const kind of ['ClusterRoleBinding', 'RoleBinding'] as const) {
    for (const object of source.byKind(kind)) {
      if (!isRbacObject(object)) continue;
      const namespace = kind === 'RoleBinding' ? (source.namespaceOf(object) ?? 'default') : undefined;
      const ref = asObject(object.object['roleRef']);
      const refKind = asString(ref?.['kind']);
      const refName = asString(ref?.['name']);
      const roleRef = refKind !== undefined && refName !== undefined ? { kind: refKind, name: refName } : undefined;
      let role: RoleRecord | undefined;
      if (roleRef !== undefined) {
        if (roleRef.kind === 'ClusterRole') role = index.clusterRole(roleRef.name, object);
        // A ClusterRoleBinding cannot reference a Role (the API server rejects it).
        // A Role of the input that sets no namespace answers for a RoleBinding of any namespace
        // naming it, when none of that namespace does: both are meant for where they are applied.
        else if (roleRef.kind === 'Role' && namespace !== undefined) role = index.role(namespace, roleRef.name, object) ?? pick(implicitRoles.get(roleRef.name), object);
      }
      const subjects: Subject[] = [];
      asArray(object.object['subjects']).forEach((item, i) => {
        const s = asObject(item);
        const subjectKind = asString(s?.['kind']);
        const name = asString(s?.['name']);
        if (s === undefined || subjectKind === undefined || name === undefined) return;
        const ns = asString(s['namespace']);
        subjects.push({
          kind: subjectKind,
          name,
          namespace: subjectKind === 'ServiceAccount' ? (ns !== undefined && ns !== '' ? ns : namespace) : undefined,
          index: i,
        });
      });
      const bootstrap = labelsOf(object)[BOOTSTRAP_LABEL] === BOOTSTRAP_VALUE;
      bindings.push({
        kind,
        name: object.ref.name,
        namespace,
        object,
        roleRef,
        role,
        subjects,
        bootstrap,
        upstream: bootstrap && isUpstreamBinding(kind, namespace, object.ref.name, roleRef, subjects),
      });
    }
  }
  return index;
}

const INDEX_KEY = Symbol('rbac-index');

/** The RBAC index of an inventory, built once per inventory. */
export function rbacIndexOf(source: MemoRbacSource): RbacIndex {
  return source.memo(INDEX_KEY, () => buildRbacIndex(source));
}

/** How a subject reads in messages: `ServiceAccount shop/api`, `User alice`, `Group devs`. */
export function formatSubject(subject: Subject): string {
  if (subject.kind === 'ServiceAccount') return `ServiceAccount ${subject.namespace ?? '?'}/${subject.name}`;
  return `${subject.kind} ${subject.name}`;
}

/**
 * The groups an authenticated subject belongs to by construction ("Using RBAC Authorization"):
 * every service account is in `system:serviceaccounts`, `system:serviceaccounts:<ns>` and
 * `system:authenticated`; users are in `system:authenticated` (their IdP groups are unknown offline).
 */
export function implicitGroups(subject: Subject): string[] {
  if (subject.kind === 'ServiceAccount') return ['system:serviceaccounts', `system:serviceaccounts:${subject.namespace ?? ''}`, 'system:authenticated'];
  if (subject.kind === 'User') return subject.name === 'system:anonymous' ? ['system:unauthenticated'] : ['system:authenticated'];
  return [];
}

/**
 * True for a binding the API server creates at start-up, left as created (`upstream`: the label,
 * a default binding's kind, namespace, name and roleRef, no subject of its own), granting a role
 * that is absent from the input or Kubernetes' own unchanged (`bootstrap`). Any other binding is
 * the user's: a subject added, a roleRef changed, a role redefined or given more rules.
 */
export function isUnchangedDefaultBinding(binding: BindingRecord): boolean {
  if (!binding.upstream) return false;
  const role = binding.role;
  return role === undefined || role.bootstrap;
}

/**
 * The rules the access rules judge on a binding: none for Kubernetes' own binding left unchanged;
 * for Kubernetes' own binding of a default role the input changed, only what the change added
 * (what upstream's role grants is Kubernetes' own); every rule of its role otherwise.
 */
export function judgedRules(binding: BindingRecord): readonly GrantedRule[] {
  const role = binding.role;
  if (role === undefined || isUnchangedDefaultBinding(binding)) return [];
  return binding.upstream && role.changes !== undefined ? role.changes.added : role.rules;
}

/**
 * What a message says of a binding's role after its name: that it is a Kubernetes default role
 * assumed absent, or one the input changed (judged on its additions alone when `binding` is
 * Kubernetes' own or absent, as for an unbound role); nothing for other roles.
 */
export function roleNote(role: RoleRecord, binding?: BindingRecord): string {
  if (role.assumed) return ' (Kubernetes default role, not in the input: upstream rules assumed)';
  const changes = role.changes;
  if (changes === undefined || changes.added.length === 0) return '';
  if (!changes.known) return ' (labelled as a Kubernetes default role, but not one Kubernetes defines)';
  return binding === undefined || binding.upstream
    ? ' (Kubernetes default role, changed: judged on what it grants beyond its upstream rules)'
    : ' (Kubernetes default role, changed: it grants more than its upstream rules)';
}

interface Directory {
  readonly children: Map<string, Directory>;
  /** The last role (index in the list) whose file is in this directory or below. */
  last: number;
}

/**
 * Which of several roles of one name a binding gets: the last one of its file, else the last one
 * of the deepest directory it shares with the binding's file (the leading path segments both
 * have), else the last one; an assumed default role only when the input has none. Found by
 * walking the binding's directories through those of the roles, not by comparing the binding's
 * file with every role's (quadratic when many bindings name one of many roles of a name).
 */
class NearestRole {
  private readonly root: Directory = { children: new Map(), last: -1 };
  private readonly byFile = new Map<string, number>();

  constructor(private readonly list: readonly RoleRecord[]) {
    list.forEach((role, i) => {
      if (role.object === undefined) return;
      const file = role.object.source.file;
      this.byFile.set(file, i);
      const parts = file.split(/[\\/]/);
      let dir = this.root;
      dir.last = i;
      for (let k = 0; k < parts.length - 1; k++) {
        const name = parts[k] ?? '';
        let child = dir.children.get(name);
        if (child === undefined) {
          child = { children: new Map(), last: i };
          dir.children.set(name, child);
        }
        child.last = i;
        dir = child;
      }
    });
  }

  /** The role a binding of `file` gets. */
  to(file: string): RoleRecord | undefined {
    if (this.root.last === -1) return this.list[this.list.length - 1];
    const same = this.byFile.get(file);
    if (same !== undefined) return this.list[same];
    const parts = file.split(/[\\/]/);
    let dir = this.root;
    for (let k = 0; k < parts.length - 1; k++) {
      const child = dir.children.get(parts[k] ?? '');
      if (child === undefined) break;
      dir = child;
    }
    return this.list[dir.last];
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

// ---------------------------------------------------------------------------------------------
// Kubernetes' default policy (`rbac-defaults.ts`): the ClusterRoles assumed for manifests that
// bind them without containing them, and what a default role or binding of the input changed.

/** A default role as a record of the index (not in the input). */
function upstreamRecord(d: DefaultRole): RoleRecord {
  const record: RoleRecord = {
    kind: d.kind,
    name: d.name,
    namespace: d.namespace,
    object: undefined,
    labels: { [BOOTSTRAP_LABEL]: BOOTSTRAP_VALUE, ...d.labels },
    literal: d.rules,
    rules: [],
    selectors: d.aggregateTo === undefined ? undefined : [{ matchLabels: { [`rbac.authorization.k8s.io/aggregate-to-${d.aggregateTo}`]: 'true' } }],
    invalidSelector: false,
    bootstrap: true,
    assumed: true,
  };
  record.rules = literalGranted(record);
  return record;
}

/** The assumed default ClusterRoles by name, aggregation resolved among themselves; a fresh set per call. */
function defaultClusterRoles(): Map<string, RoleRecord> {
  const { roles } = defaultPolicy();
  const records = ASSUMED_ROLES.flatMap((name) => {
    const d = roles.get(defaultKey('ClusterRole', undefined, name));
    return d === undefined ? [] : [upstreamRecord(d)];
  });
  resolveAggregation(records);
  return new Map(records.map((r) => [r.name, r]));
}

let upstreamRules: ReadonlyMap<string, readonly PolicyRule[]> | undefined;

/** The rules each default role grants (for an aggregated ClusterRole, those of the default roles it selects), by `defaultKey`. */
function upstreamRulesOf(key: string): readonly PolicyRule[] | undefined {
  if (upstreamRules === undefined) {
    const records = new Map<string, RoleRecord>();
    for (const [k, d] of defaultPolicy().roles) records.set(k, upstreamRecord(d));
    resolveAggregation([...records.values()].filter((r) => r.kind === 'ClusterRole'));
    upstreamRules = new Map([...records].map(([k, r]) => [k, r.rules.map((g) => g.rule)]));
  }
  return upstreamRules.get(key);
}

/**
 * Sets `changes` and `bootstrap` of a role of the input labelled as Kubernetes' own: what it grants
 * beyond upstream's role of its kind, namespace and name. An aggregated role that upstream
 * aggregates too adds nothing of its own: the roles it selects are judged themselves.
 */
function compareWithDefault(role: RoleRecord): void {
  const key = defaultKey(role.kind, role.namespace, role.name);
  const reference = upstreamRulesOf(key);
  let added: GrantedRule[];
  if (reference === undefined) added = [...role.rules];
  else if (role.selectors !== undefined && !role.invalidSelector && defaultPolicy().roles.get(key)?.aggregateTo !== undefined) added = [];
  else added = role.rules.flatMap((granted) => beyond(granted.rule, reference).map((rule) => ({ ...granted, rule })));
  role.changes = { known: reference !== undefined, added };
  role.bootstrap = added.length === 0;
}

/** Above this many API group, resource and name combinations, a rule is not taken apart (`beyond`). */
const MAX_PIECES = 10_000;

/**
 * The part of `rule` that no rule of `reference` allows, as rules (the rule itself when no part
 * of it is allowed; none when all is): each API group, resource, verb and name (or every name,
 * for a rule without `resourceNames`) of the rule, and each verb and non-resource URL, is allowed
 * when one reference rule matches them all as the authorizer matches a request, taking a `*` or a
 * `<prefix>*` of the rule literally: only a reference `*` (or a wider prefix) covers it.
 */
function beyond(rule: PolicyRule, reference: readonly PolicyRule[]): PolicyRule[] {
  // A rule too large to take apart is kept whole: an addition is never missed.
  if (rule.apiGroups.length * rule.resources.length * Math.max(1, rule.resourceNames.length) + rule.nonResourceURLs.length > MAX_PIECES) return [rule];
  let covered = false;
  // Uncovered [group, resource, verbs, names] pieces, names undefined for every name.
  const pieces: [string, string, string[], (string | undefined)[]][] = [];
  if (rule.apiGroups.length > 0 && rule.resources.length > 0) {
    const names: (string | undefined)[] = rule.resourceNames.length === 0 ? [undefined] : [...new Set(rule.resourceNames)];
    for (const group of new Set(rule.apiGroups)) {
      for (const resource of new Set(rule.resources)) {
        const slash = resource.indexOf('/');
        const candidates = reference.filter((r) => apiGroupMatches(r, group) && resourceMatches(r, resource, slash < 0 ? '' : resource.slice(slash + 1)));
        const byVerbs = new Map<string, [string[], (string | undefined)[]]>();
        for (const name of names) {
          const verbs = [...new Set(rule.verbs)].filter(
            (verb) => !candidates.some((r) => verbMatches(r, verb) && (name === undefined ? r.resourceNames.length === 0 : resourceNameMatches(r, name))),
          );
          if (verbs.length < new Set(rule.verbs).size) covered = true;
          if (verbs.length === 0) continue;
          const entry = byVerbs.get(verbs.join('\u0000'));
          if (entry === undefined) byVerbs.set(verbs.join('\u0000'), [verbs, [name]]);
          else entry[1].push(name);
        }
        for (const [verbs, forNames] of byVerbs.values()) pieces.push([group, resource, verbs, forNames]);
      }
    }
  }
  const urlPieces = new Map<string, [string[], string[]]>();
  for (const url of new Set(rule.nonResourceURLs)) {
    const verbs = [...new Set(rule.verbs)].filter((verb) => !reference.some((r) => verbMatches(r, verb) && nonResourceURLMatches(r, url)));
    if (verbs.length < new Set(rule.verbs).size) covered = true;
    if (verbs.length === 0) continue;
    const entry = urlPieces.get(verbs.join('\u0000'));
    if (entry === undefined) urlPieces.set(verbs.join('\u0000'), [verbs, [url]]);
    else entry[1].push(url);
  }
  if (!covered) return pieces.length > 0 || urlPieces.size > 0 ? [rule] : [];
  // Pieces that differ only by resource, then only by group, become one rule.
  const byResources = new Map<string, { groups: string[]; resources: string[]; verbs: string[]; names: string[] }>();
  const byGroup = new Map<string, { group: string; resources: string[]; verbs: string[]; names: string[] }>();
  for (const [group, resource, verbs, names] of pieces) {
    const named = names.filter((n): n is string => n !== undefined);
    const key = JSON.stringify([group, verbs, named]);
    const entry = byGroup.get(key);
    if (entry === undefined) byGroup.set(key, { group, resources: [resource], verbs, names: named });
    else entry.resources.push(resource);
  }
  for (const { group, resources, verbs, names } of byGroup.values()) {
    const key = JSON.stringify([resources, verbs, names]);
    const entry = byResources.get(key);
    if (entry === undefined) byResources.set(key, { groups: [group], resources, verbs, names });
    else entry.groups.push(group);
  }
  const out: PolicyRule[] = [...byResources.values()].map(({ groups, resources, verbs, names }) => ({ apiGroups: groups, resources, verbs, resourceNames: names, nonResourceURLs: [] }));
  for (const [verbs, urls] of urlPieces.values()) out.push({ apiGroups: [], resources: [], verbs, resourceNames: [], nonResourceURLs: urls });
  return out;
}

/** True when a labelled binding is one of upstream's default bindings, with none but its subjects. */
function isUpstreamBinding(kind: string, namespace: string | undefined, name: string, roleRef: BindingRecord['roleRef'], subjects: readonly Subject[]): boolean {
  const d = defaultPolicy().bindings.get(defaultKey(kind, namespace, name));
  if (d === undefined || roleRef === undefined || roleRef.kind !== d.roleRef.kind || roleRef.name !== d.roleRef.name) return false;
  return subjects.every((s) => d.subjects.has(formatSubject(s)));
}
