/**
 * The NetworkPolicy model of the network rules (specs/rbac-network-attack-paths.md §3): which
 * policies select which pods, in which directions they isolate them, and what they allow. Built
 * once per scan (`policiesOf`), indexed by namespace and by selector, so that coverage of N
 * workloads by P policies costs about O(N + P), not O(N × P).
 */
import type { Inventory } from '../../engine/inventory.js';
import type { InventoryViolation } from '../../engine/rule.js';
import { asArray, asObject, asString } from '../../k8s/object.js';
import { labelSetOf, matchesSelector, parseLabelSelector, SelectorIndex, type LabelSelector, type LabelSet, type Requirement } from '../../k8s/selectors.js';
import type { LoadedObject } from '../../load/types.js';
import type { JsonObject, JsonValue } from '../../types.js';

/** A traffic direction of NetworkPolicy. */
export type Direction = 'Ingress' | 'Egress';

/** A Kubernetes NetworkPolicy (networking.k8s.io) as the rules see it. */
export interface Policy {
  loaded: LoadedObject;
  name: string;
  namespace: string;
  selector: LabelSelector;
  /** Directions in the effective `policyTypes` (Ingress unless listed otherwise; Egress when listed or when egress rules exist). */
  ingress: boolean;
  egress: boolean;
  /** Index of the first ingress / egress rule that allows every peer on every port, if any. */
  allowAllIngress: number | undefined;
  allowAllEgress: number | undefined;
}

/** A CiliumNetworkPolicy, reduced to what decides isolation: its endpoint selectors and directions. */
export interface CiliumPolicy {
  name: string;
  parts: { selector: LabelSelector; ingress: boolean; egress: boolean }[];
}

/** The policies of one namespace. */
export interface NamespacePolicies {
  namespace: string;
  /** Kubernetes NetworkPolicies, in input order. */
  policies: Policy[];
  /** NetworkPolicies indexed by pod selector; `index.everything` holds the select-all ones. */
  index: SelectorIndex<Policy>;
  cilium: CiliumPolicy[];
  /**
   * Every label key some selector of the namespace tests, with the values its requirements name:
   * other labels cannot change a verdict, and other values of a key are all treated alike.
   */
  values: Map<string, Set<string>>;
  /** Calico (projectcalico.org) policies are here: their selector language is not evaluated, so coverage is unknown. */
  calico: boolean;
}

/** Every policy of the input, by namespace. */
export interface PolicyModel {
  byNamespace: Map<string, NamespacePolicies>;
  /**
   * Cluster-wide policies are in the input (CiliumClusterwideNetworkPolicy, Calico
   * GlobalNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy): they may isolate any
   * pod, so the rules do not claim a pod or namespace is open.
   */
  clusterWide: string | undefined;
}

const CLUSTER_WIDE_KINDS: ReadonlySet<string> = new Set([
  'CiliumClusterwideNetworkPolicy',
  'GlobalNetworkPolicy',
  'AdminNetworkPolicy',
  'BaselineAdminNetworkPolicy',
  'ClusterNetworkPolicy',
]);

/** Every kind the policy model reads: what rules built on it list in their `context`. */
export const POLICY_KINDS: readonly string[] = ['NetworkPolicy', 'CiliumNetworkPolicy', ...CLUSTER_WIDE_KINDS];

/** The API group of an object's apiVersion ('' for the core group). */
function groupOf(object: JsonObject): string {
  const apiVersion = asString(object['apiVersion']) ?? '';
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** True for a Kubernetes NetworkPolicy (not Calico's kind of the same name). */
export function isKubernetesNetworkPolicy(object: JsonObject): boolean {
  if (asString(object['kind']) !== 'NetworkPolicy') return false;
  const group = groupOf(object);
  // extensions/v1beta1 served NetworkPolicy until 1.16; a missing apiVersion is taken as Kubernetes'.
  return group === 'networking.k8s.io' || group === 'extensions' || asString(object['apiVersion']) === undefined;
}

function isCalico(object: JsonObject): boolean {
  const group = groupOf(object);
  return group === 'projectcalico.org' || group === 'crd.projectcalico.org';
}

/** True when a rule has no peers (all sources / destinations) and no ports (all ports). */
function allowsAll(rule: JsonValue | undefined, peers: 'from' | 'to'): boolean {
  const r = asObject(rule);
  if (r === undefined) return false;
  return asArray(r[peers]).length === 0 && asArray(r['ports']).length === 0;
}

/** The effective policyTypes of a NetworkPolicy spec, as the API server defaults them. */
export function effectiveTypes(spec: JsonObject): { ingress: boolean; egress: boolean } {
  const listed = asArray(spec['policyTypes']);
  if (listed.length > 0) return { ingress: listed.includes('Ingress'), egress: listed.includes('Egress') };
  return { ingress: true, egress: asArray(spec['egress']).length > 0 };
}

function firstAllowAll(rules: JsonValue | undefined, peers: 'from' | 'to'): number | undefined {
  const list = asArray(rules);
  for (let i = 0; i < list.length; i++) if (allowsAll(list[i], peers)) return i;
  return undefined;
}

/** Parses a Kubernetes NetworkPolicy. */
export function parsePolicy(loaded: LoadedObject, namespace: string): Policy {
  const spec = asObject(loaded.object['spec']) ?? {};
  const types = effectiveTypes(spec);
  return {
    loaded,
    name: loaded.ref.name,
    namespace,
    // podSelector is a required struct: absent decodes to the empty selector, every pod of the namespace.
    selector: parseLabelSelector(spec['podSelector'], 'everything'),
    ingress: types.ingress,
    egress: types.egress,
    allowAllIngress: types.ingress ? firstAllowAll(spec['ingress'], 'from') : undefined,
    allowAllEgress: types.egress ? firstAllowAll(spec['egress'], 'to') : undefined,
  };
}

/** Cilium label keys carry a source prefix (`k8s:app`, `any:app`); other sources never match pod labels. */
function ciliumSelector(value: unknown): LabelSelector {
  const raw = asObject(value);
  if (raw === undefined) return parseLabelSelector(undefined, 'nothing');
  const strip = (key: string): string | undefined => {
    if (key.startsWith('k8s:')) return key.slice(4);
    if (key.startsWith('any:')) return key.slice(4);
    return /^[a-z0-9-]+:/.test(key) && !key.includes('/') ? undefined : key;
  };
  const matchLabels: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(asObject(raw['matchLabels']) ?? {})) {
    const key = strip(k);
    if (key === undefined) return parseLabelSelector(undefined, 'nothing');
    // Namespaced Cilium policies apply in their own namespace; this label only restates it.
    if (key === 'io.kubernetes.pod.namespace') continue;
    matchLabels[key] = v;
  }
  const expressions: JsonValue[] = [];
  for (const e of asArray(raw['matchExpressions'])) {
    const expression = asObject(e);
    const key = strip(asString(expression?.['key']) ?? '');
    if (expression === undefined || key === undefined) return parseLabelSelector(undefined, 'nothing');
    expressions.push({ ...expression, key });
  }
  return parseLabelSelector({ matchLabels, matchExpressions: expressions }, 'nothing');
}

function parseCilium(loaded: LoadedObject): CiliumPolicy {
  const specs = [asObject(loaded.object['spec']), ...asArray(loaded.object['specs']).map(asObject)];
  const parts: CiliumPolicy['parts'] = [];
  for (const spec of specs) {
    if (spec === undefined || spec['endpointSelector'] === undefined) continue;
    const defaultDeny = asObject(spec['enableDefaultDeny']);
    parts.push({
      selector: ciliumSelector(spec['endpointSelector']),
      ingress: (spec['ingress'] !== undefined || spec['ingressDeny'] !== undefined) && defaultDeny?.['ingress'] !== false,
      egress: (spec['egress'] !== undefined || spec['egressDeny'] !== undefined) && defaultDeny?.['egress'] !== false,
    });
  }
  return { name: loaded.ref.name, parts };
}

const MODEL = Symbol('network.policies');

/** Records the keys a selector tests and the values it names. */
function noteValues(ns: NamespacePolicies, selector: LabelSelector): void {
  for (const r of selector.requirements) {
    let values = ns.values.get(r.key);
    if (values === undefined) ns.values.set(r.key, (values = new Set()));
    for (const v of r.values) values.add(v);
  }
}

/** The policy model of the input, built once per inventory. */
export function policiesOf(inventory: Inventory): PolicyModel {
  return inventory.memo(MODEL, () => {
    const byNamespace = new Map<string, NamespacePolicies>();
    const get = (namespace: string): NamespacePolicies => {
      let ns = byNamespace.get(namespace);
      if (ns === undefined) {
        ns = { namespace, policies: [], index: new SelectorIndex<Policy>(), cilium: [], values: new Map(), calico: false };
        byNamespace.set(namespace, ns);
      }
      return ns;
    };
    for (const loaded of inventory.byKind('NetworkPolicy')) {
      const namespace = inventory.namespaceOf(loaded) ?? 'default';
      if (isKubernetesNetworkPolicy(loaded.object)) {
        const policy = parsePolicy(loaded, namespace);
        const ns = get(namespace);
        ns.policies.push(policy);
        ns.index.add(policy.selector, policy);
        noteValues(ns, policy.selector);
      } else if (isCalico(loaded.object)) get(namespace).calico = true;
    }
    for (const loaded of inventory.byKind('CiliumNetworkPolicy')) {
      const ns = get(inventory.namespaceOf(loaded) ?? 'default');
      const policy = parseCilium(loaded);
      for (const part of policy.parts) noteValues(ns, part.selector);
      ns.cilium.push(policy);
    }
    let clusterWide: string | undefined;
    for (const kind of CLUSTER_WIDE_KINDS) {
      const first = inventory.byKind(kind)[0];
      if (first !== undefined) {
        clusterWide = `${kind} "${first.ref.name}"`;
        break;
      }
    }
    return { byNamespace, clusterWide };
  });
}

/** How the policies of a namespace treat pods with one label set. */
export interface Isolation {
  ingress: boolean;
  egress: boolean;
  /**
   * Names of the first (at most three) policies that select the pods, Kubernetes ones in input
   * order (select-all first) then Cilium ones; empty when the pods are isolated both ways.
   */
  selectedBy: string[];
  /** How many policies select the pods (0 when they are isolated both ways). */
  selected: number;
}

/** How many names of selecting policies a verdict keeps: the message shows three and counts the rest. */
const SHOWN = 3;

/** A policy as isolation sees it: a NetworkPolicy, or a Cilium policy and its parts (it selects a pod when one part does). */
interface Unit {
  /** Place in the list of selecting policies: Kubernetes select-all, other Kubernetes, then Cilium, each in input order. */
  order: number;
  parts: { selector: LabelSelector; ingress: boolean; egress: boolean }[];
}

/** What the units selecting a label set add up to: counts, so that they can also be taken away. */
interface Tally {
  count: number;
  ingress: number;
  egress: number;
  /** The smallest orders among them (at most `SHOWN`), ascending. */
  first: number[];
}

/** Whether a unit selects a label set, and the directions its selecting parts isolate. */
interface Verdict {
  match: boolean;
  ingress: boolean;
  egress: boolean;
}

function verdictOf(unit: Unit, labels: LabelSet): Verdict {
  let match = false;
  let ingress = false;
  let egress = false;
  for (const part of unit.parts) {
    if (!matchesSelector(part.selector, labels)) continue;
    match = true;
    ingress ||= part.ingress;
    egress ||= part.egress;
  }
  return { match, ingress, egress };
}

/** The `SHOWN` smallest of some ascending lists. */
function firstOf(lists: readonly (readonly number[])[]): number[] {
  const all = lists.flat();
  if (lists.length > 1) all.sort((a, b) => a - b);
  return all.length > SHOWN ? all.slice(0, SHOWN) : all;
}

/**
 * The units whose selectors test one label key only: whether they select a pod depends on that
 * label alone, absent, set to a value one of their requirements names, or set to any other value
 * (all of which they treat alike). Each of these cases is tallied once, so that a pod costs a
 * look-up per label instead of a test per unit, however many units there are.
 */
class KeyTable {
  readonly units: Unit[] = [];
  /** Units naming each value in a requirement on the key. */
  private readonly naming = new Map<string, Set<Unit>>();
  private absentTally: Tally | undefined;
  /** Verdicts for a value no requirement names, and the units selecting it. */
  private other: Tallied | undefined;
  private readonly byValue = new Map<string, Tally>();

  constructor(private readonly key: string) {}

  add(unit: Unit): void {
    this.units.push(unit);
    for (const part of unit.parts) for (const r of part.selector.requirements) for (const v of r.values) {
      let units = this.naming.get(v);
      if (units === undefined) this.naming.set(v, (units = new Set()));
      units.add(unit);
    }
  }

  get absent(): Tally {
    return (this.absentTally ??= tally(this.units, new Map()).tally);
  }

  /** The tally of pods whose label is `value`. */
  tallyOf(value: string): Tally {
    const naming = this.naming.get(value);
    const other = (this.other ??= this.otherVerdicts());
    if (naming === undefined) return other.tally;
    let hit = this.byValue.get(value);
    if (hit !== undefined) return hit;
    const labels = new Map([[this.key, value]]);
    const out = { ...other.tally, first: [] as number[] };
    const added: number[] = [];
    for (const unit of naming) {
      const before = other.verdicts.get(unit);
      if (before?.match === true) add(out, before, -1);
      const after = verdictOf(unit, labels);
      if (after.match) {
        add(out, after, 1);
        added.push(unit.order);
      }
    }
    // The units selecting any other value, less those naming this one, plus those selecting it.
    const kept: number[] = [];
    for (const unit of other.selecting) {
      if (kept.length === SHOWN) break;
      if (!naming.has(unit)) kept.push(unit.order);
    }
    added.sort((a, b) => a - b);
    out.first = firstOf([kept, added.slice(0, SHOWN)]);
    hit = out;
    this.byValue.set(value, hit);
    return hit;
  }

  private otherVerdicts(): Tallied {
    // A value no requirement on the key names: the first of "\u0000", "\u0000\u0000", … that none does.
    let value = '\u0000';
    while (this.naming.has(value)) value += '\u0000';
    return tally(this.units, new Map([[this.key, value]]));
  }
}

/** Adds (`sign` 1) or takes away (-1) the verdict of a selecting unit. */
function add(t: Tally, verdict: Verdict, sign: 1 | -1): void {
  t.count += sign;
  if (verdict.ingress) t.ingress += sign;
  if (verdict.egress) t.egress += sign;
}

/** A tally with each unit's verdict and the units selecting the labels, in order. */
interface Tallied {
  tally: Tally;
  selecting: Unit[];
  verdicts: Map<Unit, Verdict>;
}

/** The tally of units (in ascending order) for one label set. */
function tally(units: readonly Unit[], labels: LabelSet): Tallied {
  const out: Tally = { count: 0, ingress: 0, egress: 0, first: [] };
  const selecting: Unit[] = [];
  const verdicts = new Map<Unit, Verdict>();
  for (const unit of units) {
    const verdict = verdictOf(unit, labels);
    verdicts.set(unit, verdict);
    if (!verdict.match) continue;
    add(out, verdict, 1);
    selecting.push(unit);
  }
  out.first = selecting.slice(0, SHOWN).map((u) => u.order);
  return { tally: out, selecting, verdicts };
}

/** What the units selecting a label set add up to, as `isolationOf` gathers it. */
interface Sum {
  count: number;
  ingress: number;
  egress: number;
  /** Ascending lists whose union holds the `SHOWN` smallest orders of the selecting units. */
  firsts: (readonly number[])[];
}

function addTally(sum: Sum, t: Tally, sign: 1 | -1): void {
  sum.count += sign * t.count;
  sum.ingress += sign * t.ingress;
  sum.egress += sign * t.egress;
}

/**
 * Units that each test one label key, in tables by key. A label set lacks most keys of a big
 * namespace: what the tables give without their keys is summed once, and a label set pays for the
 * keys it has, plus a walk of the keys by their first unit for the names.
 */
class KeyedUnits {
  private readonly tables = new Map<string, KeyTable>();
  private absent: { tally: Tally; keys: { key: string; first: number[] }[] } | undefined;

  add(key: string, unit: Unit): void {
    let table = this.tables.get(key);
    if (table === undefined) this.tables.set(key, (table = new KeyTable(key)));
    table.add(unit);
  }

  addTo(sum: Sum, labels: LabelSet): void {
    const absent = (this.absent ??= this.absentTally());
    addTally(sum, absent.tally, 1);
    const present = new Set<string>();
    for (const [key, value] of labels) {
      const table = this.tables.get(key);
      if (table === undefined) continue;
      present.add(key);
      addTally(sum, table.absent, -1);
      const t = table.tallyOf(value);
      addTally(sum, t, 1);
      sum.firsts.push(t.first);
    }
    // The first units selecting label sets without their key, among the keys these labels lack.
    let taken = 0;
    for (const { key, first } of absent.keys) {
      if (taken === SHOWN) break;
      if (present.has(key)) continue;
      sum.firsts.push(first);
      taken++;
    }
  }

  private absentTally(): NonNullable<KeyedUnits['absent']> {
    const tally: Tally = { count: 0, ingress: 0, egress: 0, first: [] };
    const keys: { key: string; first: number[] }[] = [];
    for (const [key, table] of this.tables) {
      const t = table.absent;
      tally.count += t.count;
      tally.ingress += t.ingress;
      tally.egress += t.egress;
      if (t.first.length > 0) keys.push({ key, first: t.first });
    }
    keys.sort((a, b) => (a.first[0] ?? 0) - (b.first[0] ?? 0));
    return { tally, keys };
  }
}

/** Units of the same selectors and directions, which select the same pods: evaluated once. */
interface UnitGroup {
  unit: Unit;
  size: number;
  /** The smallest orders of the group (at most `SHOWN`), ascending. */
  first: number[];
}

/** The policies of a namespace arranged to tell how they treat a label set (see `isolationOf`). */
interface IsolationModel {
  names: string[];
  /** Units that select every pod, whatever its labels. */
  always: Tally;
  /** Units whose selectors test one key. */
  keyed: KeyedUnits;
  /**
   * Units of one selector testing several keys, by the requirements they share on all keys but
   * one (their gate), each kept with its requirements on that one key.
   */
  gates: SelectorIndex<KeyedUnits>;
  /** Units of several selectors testing several keys, grouped, and indexed by each part's selector. */
  index: SelectorIndex<UnitGroup>;
  /** Such groups with a part that selects every pod: tested for each label set. */
  general: UnitGroup[];
}

const MODELS = new WeakMap<NamespacePolicies, IsolationModel>();

/** A canonical text of requirements (their order does not matter). */
function requirementsText(requirements: readonly Requirement[]): string {
  return JSON.stringify(requirements.map((r) => JSON.stringify([r.key, r.operator, [...r.values].sort()])).sort());
}

function unitSignature(unit: Unit): string {
  return JSON.stringify(unit.parts.map((p) => [p.ingress, p.egress, requirementsText(p.selector.requirements)]));
}

/** A unit of one selector, cut to its requirements on `key` (for a label set its gate admits). */
function restrict(unit: Unit, key: string): Unit {
  const part = unit.parts[0] as Unit['parts'][number];
  const selector: LabelSelector = { everything: false, nothing: false, requirements: part.selector.requirements.filter((r) => r.key === key) };
  return { order: unit.order, parts: [{ selector, ingress: part.ingress, egress: part.egress }] };
}

function isolationModel(ns: NamespacePolicies): IsolationModel {
  let model = MODELS.get(ns);
  if (model !== undefined) return model;
  const names: string[] = [];
  const units: Unit[] = [];
  const unit = (name: string, parts: Unit['parts']): void => {
    // Parts that select nothing never count; neither does a policy made only of them.
    const live = parts.filter((p) => !p.selector.nothing);
    if (live.length > 0) units.push({ order: names.length, parts: live });
    names.push(name);
  };
  const policies = ns.policies.filter((p) => !p.selector.nothing);
  for (const p of policies) if (p.selector.everything) unit(p.name, [{ selector: p.selector, ingress: p.ingress, egress: p.egress }]);
  for (const p of policies) if (!p.selector.everything) unit(p.name, [{ selector: p.selector, ingress: p.ingress, egress: p.egress }]);
  for (const c of ns.cilium) unit(c.name, c.parts);
  const always: Tally = { count: 0, ingress: 0, egress: 0, first: [] };
  const keyed = new KeyedUnits();
  const groups = new Map<string, UnitGroup>();
  const index = new SelectorIndex<UnitGroup>();
  const general: UnitGroup[] = [];
  // Units of one selector testing several keys, with their possible gates: one per key left out.
  const gated: { unit: Unit; gates: { key: string; text: string; requirements: Requirement[] }[] }[] = [];
  const shared = new Map<string, number>();
  for (const u of units) {
    const keys = new Set<string>();
    for (const part of u.parts) for (const r of part.selector.requirements) keys.add(r.key);
    if (keys.size === 0) {
      add(always, verdictOf(u, new Map()), 1);
      if (always.first.length < SHOWN) always.first.push(u.order);
    } else if (keys.size === 1) {
      keyed.add(keys.values().next().value as string, u);
    } else if (u.parts.length === 1) {
      const requirements = u.parts[0]?.selector.requirements ?? [];
      const gates = [...keys].map((key) => {
        const rest = requirements.filter((r) => r.key !== key);
        return { key, text: requirementsText(rest), requirements: rest };
      });
      for (const g of gates) shared.set(g.text, (shared.get(g.text) ?? 0) + 1);
      gated.push({ unit: u, gates });
    } else {
      const signature = unitSignature(u);
      const group = groups.get(signature);
      if (group !== undefined) {
        group.size++;
        if (group.first.length < SHOWN) group.first.push(u.order);
        continue;
      }
      const created: UnitGroup = { unit: u, size: 1, first: [u.order] };
      groups.set(signature, created);
      if (u.parts.some((p) => p.selector.everything)) general.push(created);
      else for (const part of u.parts) index.add(part.selector, created);
    }
  }
  // Each unit goes behind the gate most units share, so that many units differing in one key
  // (`tier Exists, app NotIn [a<i>]`) are tallied like units of that key alone.
  const byGate = new Map<string, KeyedUnits>();
  const gates = new SelectorIndex<KeyedUnits>();
  for (const { unit: u, gates: options } of gated) {
    let best = options[0] as (typeof options)[number];
    for (const g of options) if ((shared.get(g.text) ?? 0) > (shared.get(best.text) ?? 0)) best = g;
    let behind = byGate.get(best.text);
    if (behind === undefined) {
      byGate.set(best.text, (behind = new KeyedUnits()));
      gates.add({ everything: false, nothing: false, requirements: best.requirements }, behind);
    }
    behind.add(best.key, restrict(u, best.key));
  }
  model = { names, always, keyed, gates, index, general };
  MODELS.set(ns, model);
  return model;
}

/**
 * Directions in which pods with these labels are isolated, and the policies that select them.
 * Policies testing one label key are tallied per key (`KeyedUnits`): a pod costs a look-up per
 * label, however many policies test it with `NotIn`, `Exists` or `DoesNotExist`; so are policies
 * that differ in one key only, behind the requirements they share; the others are found through
 * a selector index, identical ones once.
 */
export function isolationOf(ns: NamespacePolicies, labels: LabelSet): Isolation {
  const model = isolationModel(ns);
  const sum: Sum = { count: 0, ingress: 0, egress: 0, firsts: [model.always.first] };
  addTally(sum, model.always, 1);
  model.keyed.addTo(sum, labels);
  for (const behind of model.gates.matchingSpecific(labels)) behind.addTo(sum, labels);
  const seen = new Set<UnitGroup>();
  const visit = (group: UnitGroup): void => {
    if (seen.has(group)) return;
    seen.add(group);
    const verdict = verdictOf(group.unit, labels);
    if (!verdict.match) return;
    sum.count += group.size;
    if (verdict.ingress) sum.ingress += group.size;
    if (verdict.egress) sum.egress += group.size;
    sum.firsts.push(group.first);
  };
  for (const group of model.general) visit(group);
  for (const group of model.index.matchingSpecific(labels)) visit(group);
  if (sum.ingress > 0 && sum.egress > 0) return { ingress: true, egress: true, selectedBy: [], selected: 0 };
  return { ingress: sum.ingress > 0, egress: sum.egress > 0, selectedBy: firstOf(sum.firsts).map((order) => model.names[order] ?? ''), selected: sum.count };
}

/**
 * Isolation of pods by their labels, memoised per namespace and per distinct set of *relevant*
 * labels: only keys that some selector of the namespace tests can change a verdict, and of their
 * values only those some selector names (any other value is treated alike), so pods that differ
 * only in other labels (pod-template-hash, version, chart labels) or in values no policy names
 * share one evaluation, and the key is built from the template's labels without copying them.
 */
export function isolationCache(ns: NamespacePolicies): (kind: string, name: string, metadata: JsonObject) => Isolation {
  const cache = new Map<string, Isolation>();
  const named = ns.values;
  return (kind, name, metadata) => {
    const raw = asObject(metadata['labels']);
    const pairs: [string, string][] = [];
    if (raw !== undefined) {
      for (const k of Object.keys(raw)) {
        if (!named.has(k)) continue;
        const v = raw[k];
        if (typeof v === 'string') pairs.push([k, v]);
      }
    }
    if (kind === 'Job' && name !== '') {
      // The Job controller labels its pods with the Job's name.
      for (const k of JOB_LABELS) if (named.has(k) && raw?.[k] === undefined) pairs.push([k, name]);
    }
    if (pairs.length > 1) pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    // Keys are valid label keys (no control characters); values are quoted, those no selector names left out.
    let key = '';
    for (const [k, v] of pairs) key += named.get(k)?.has(v) === true ? `${k}=${JSON.stringify(v)}\u0000` : `${k}\u0000`;
    let hit = cache.get(key);
    if (hit === undefined) {
      hit = isolationOf(ns, new Map(pairs));
      cache.set(key, hit);
    }
    return hit;
  };
}

const JOB_LABELS = ['job-name', 'batch.kubernetes.io/job-name'] as const;

/** The labels of a pod template, plus those the controller adds that policies may select on. */
export function podLabels(kind: string, name: string, metadata: JsonObject): Map<string, string> {
  const labels = labelSetOf(metadata['labels']);
  if (kind === 'Job' && name !== '') for (const k of JOB_LABELS) if (!labels.has(k)) labels.set(k, name);
  return labels;
}

/** Namespaces that ship with every cluster: their defaults are not the input's to fix. */
export const BUILT_IN_NAMESPACES: ReadonlySet<string> = new Set(['kube-system', 'kube-public', 'kube-node-lease']);

/** "ingress", "egress" or "ingress and egress". */
export function directionsText(ingress: boolean, egress: boolean): string {
  if (ingress && egress) return 'ingress and egress';
  return ingress ? 'ingress' : 'egress';
}

/**
 * Why a namespace has no default deny for a direction, or undefined when it has one: a policy
 * selecting every pod (`podSelector: {}`) with that direction in its effective policyTypes, and no
 * select-all policy whose rule allows every peer on every port (which would cancel it). Cilium
 * policies with an empty endpointSelector and that direction count too.
 */
export function defaultDenyGap(ns: NamespacePolicies | undefined, namespace: string, direction: Direction): string | undefined {
  const ingress = direction === 'Ingress';
  const what = ingress ? 'every pod in it accepts connections from any pod in the cluster' : 'every pod in it can connect to any address, including the cloud metadata endpoint and the internet';
  if (ns === undefined || (ns.policies.length === 0 && ns.cilium.length === 0)) return `namespace "${namespace}" has no NetworkPolicy: ${what}`;
  const selectAll = ns.index.everything.filter((p) => (ingress ? p.ingress : p.egress));
  const cilium = ns.cilium.some((c) => c.parts.some((part) => part.selector.everything && (ingress ? part.ingress : part.egress)));
  if (selectAll.length === 0 && !cilium) {
    return `namespace "${namespace}" has no default-deny ${direction.toLowerCase()} NetworkPolicy (podSelector: {} with ${direction} in policyTypes): pods that no other policy selects for ${direction.toLowerCase()} are open${ingress ? ' to any pod in the cluster' : ' to any destination'}`;
  }
  for (const p of selectAll) {
    const rule = ingress ? p.allowAllIngress : p.allowAllEgress;
    if (rule !== undefined) {
      const field = ingress ? 'ingress' : 'egress';
      return `NetworkPolicy "${p.name}" selects every pod of namespace "${namespace}" and its ${field}[${rule}] rule allows every ${ingress ? 'source' : 'destination'} on every port, which cancels any default deny ${field}`;
    }
  }
  return undefined;
}

/**
 * The findings of the namespace default-deny rules: each Namespace object of the input (built-in
 * ones aside) without a select-all policy that isolates its pods in `direction`.
 */
export function* namespacesWithoutDefaultDeny(inventory: Inventory, direction: 'Ingress' | 'Egress'): Generator<InventoryViolation> {
  const model = policiesOf(inventory);
  if (model.clusterWide !== undefined) return;
  for (const namespace of inventory.byKind('Namespace')) {
    const name = namespace.ref.name;
    if (name === '' || BUILT_IN_NAMESPACES.has(name)) continue;
    const ns = model.byNamespace.get(name);
    if (ns?.calico === true) continue;
    const gap = defaultDenyGap(ns, name, direction);
    if (gap !== undefined) yield { target: namespace, path: ['metadata', 'name'], message: gap };
  }
}
