import { namespaceOf, type Inventory } from '../../../engine/inventory.js';
import { defineRule, type Violation } from '../../../engine/rule.js';
import { asArray, asObject, asString, detach, isObject } from '../../../k8s/object.js';
import { parseLabelSelector, SelectorIndex, type LabelSelector, type Requirement } from '../../../k8s/selectors.js';
import type { LoadedObject } from '../../../load/types.js';
import type { JsonObject, Path } from '../../../types.js';

/** A Velero Schedule as far as coverage goes. */
interface Schedule {
  name: string;
  paused: boolean;
  included: ReadonlySet<string> | undefined;
  excluded: ReadonlySet<string>;
  /** Any of these selectors must match (Velero's labelSelector, or its orLabelSelectors); undefined: all. */
  selectors: readonly LabelSelector[] | undefined;
  /** Persistent volume data is left out (resources filtered, or snapshots off without file-system backup). */
  volumesExcluded: boolean;
  defaultFsBackup: boolean;
}

const SCHEDULES = Symbol('velero-schedules');

function strings(value: unknown): string[] {
  return asArray(value).filter((v): v is string => typeof v === 'string');
}

const VOLUME_RESOURCES = /^(?:\*|persistentvolumeclaims?|persistentvolumes?|pvc|pv)(?:$|\.)/;

function parseSchedule(o: LoadedObject): Schedule {
  const spec = asObject(o.object['spec']) ?? {};
  const template = asObject(spec['template']) ?? {};
  const included = strings(template['includedNamespaces']);
  const selectors: JsonObject[] = [];
  const single = asObject(template['labelSelector']);
  if (single !== undefined) selectors.push(single);
  for (const s of asArray(template['orLabelSelectors'])) if (isObject(s)) selectors.push(s);
  const includedResources = strings(template['includedResources']).map((r) => r.toLowerCase());
  const excludedResources = strings(template['excludedResources']).map((r) => r.toLowerCase());
  const defaultFsBackup = template['defaultVolumesToFsBackup'] === true || template['defaultVolumesToRestic'] === true;
  const volumesExcluded =
    (includedResources.length > 0 && !includedResources.some((r) => VOLUME_RESOURCES.test(r))) ||
    excludedResources.some((r) => r !== '*' && VOLUME_RESOURCES.test(r)) ||
    (template['snapshotVolumes'] === false && !defaultFsBackup);
  return {
    name: `${o.ref.namespace ?? 'default'}/${o.ref.name}`,
    paused: spec['paused'] === true,
    included: included.length === 0 ? undefined : new Set(included),
    excluded: new Set(strings(template['excludedNamespaces'])),
    selectors: selectors.length === 0 ? undefined : selectors.map(veleroSelector),
    volumesExcluded,
    defaultFsBackup,
  };
}

function schedules(inventory: Inventory): readonly Schedule[] {
  return inventory.memo(SCHEDULES, () => inventory.byKind('Schedule').filter((o) => o.ref.apiVersion.startsWith('velero.io/')).map(parseSchedule));
}

/**
 * A Velero label selector (matchLabels and matchExpressions; an empty one matches everything) in
 * the terms of `k8s/selectors`, as mamori has always read it: a `matchLabels` value that is not a
 * string requires the label to be absent (and matches nothing for a key every object inherits,
 * such as `constructor`); an expression that is not a mapping, of an unknown operator, or `In`
 * without values matches nothing; `NotIn` without values, and the values of `Exists` and
 * `DoesNotExist`, are ignored.
 */
function veleroSelector(selector: JsonObject): LabelSelector {
  const nothing = parseLabelSelector(undefined, 'nothing');
  const requirements: Requirement[] = [];
  for (const [key, v] of Object.entries(asObject(selector['matchLabels']) ?? {})) {
    const value = asString(v);
    if (value !== undefined) requirements.push({ key, operator: 'In', values: new Set([value]) });
    else if (key in {}) return nothing;
    else requirements.push({ key, operator: 'DoesNotExist', values: new Set() });
  }
  for (const e of asArray(selector['matchExpressions'])) {
    if (!isObject(e)) return nothing;
    const key = asString(e['key']) ?? '';
    const values = new Set(strings(e['values']));
    const operator = asString(e['operator']);
    if (operator === 'In' && values.size === 0) return nothing;
    if (operator === 'In' || (operator === 'NotIn' && values.size > 0)) requirements.push({ key, operator, values });
    else if (operator === 'Exists' || operator === 'DoesNotExist') requirements.push({ key, operator, values: new Set() });
    else if (operator !== 'NotIn') return nothing;
  }
  return requirements.length === 0 ? parseLabelSelector({}) : { everything: false, nothing: false, requirements };
}

function labelsOf(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(asObject(asObject(value)?.['labels']) ?? {})) if (typeof v === 'string') out[detach(k)] = detach(v);
  return out;
}

/** The persistent data of a workload: where it is declared and the claims' names. */
interface Stateful {
  path: Path;
  paths: Path[];
  claims: string[];
  /** Label sets Velero may see on the workload, its pods and its claims. */
  labelSets: Record<string, string>[];
  /** Volumes the pod template opts into file-system backup (`backup.velero.io/backup-volumes`). */
  fsBackupVolumes: ReadonlySet<string>;
  /** Volumes the pod template opts out of (`backup.velero.io/backup-volumes-excludes`). */
  fsExcludedVolumes: ReadonlySet<string>;
  volumeNames: string[];
}

function statefulData(o: LoadedObject): Stateful | undefined {
  const kind = o.ref.kind;
  if (kind !== 'StatefulSet' && kind !== 'Deployment') return undefined;
  const spec = asObject(o.object['spec']);
  const template = asObject(spec?.['template']);
  const podSpec = asObject(template?.['spec']);
  if (spec === undefined) return undefined;
  const paths: Path[] = [];
  const claims: string[] = [];
  const volumeNames: string[] = [];
  const labelSets = [labelsOf(o.object['metadata']), labelsOf(template?.['metadata'])];
  const selectorLabels = asObject(asObject(spec['selector'])?.['matchLabels']);
  if (selectorLabels !== undefined) labelSets.push(labelsOf({ labels: selectorLabels }));
  if (kind === 'StatefulSet') {
    const templates = asArray(spec['volumeClaimTemplates']);
    templates.forEach((t, i) => {
      if (!isObject(t)) return;
      const name = asString(asObject(t['metadata'])?.['name']) ?? `#${i}`;
      claims.push(detach(name));
      volumeNames.push(detach(name));
      labelSets.push(labelsOf(t['metadata']));
    });
    if (claims.length > 0) paths.push(['spec', 'volumeClaimTemplates']);
  }
  asArray(podSpec?.['volumes']).forEach((v, i) => {
    if (!isObject(v)) return;
    const pvc = asObject(v['persistentVolumeClaim']);
    if (pvc === undefined) return;
    claims.push(detach(asString(pvc['claimName']) ?? '?'));
    volumeNames.push(detach(asString(v['name']) ?? ''));
    paths.push(['spec', 'template', 'spec', 'volumes', i, 'persistentVolumeClaim']);
  });
  const [path, ...rest] = paths;
  if (path === undefined) return undefined;
  const annotations = asObject(asObject(template?.['metadata'])?.['annotations']);
  const list = (key: string): Set<string> => new Set((asString(annotations?.[key]) ?? '').split(',').map((s) => detach(s.trim())).filter((s) => s !== ''));
  return {
    path,
    paths: rest,
    claims,
    labelSets,
    fsBackupVolumes: list('backup.velero.io/backup-volumes'),
    fsExcludedVolumes: list('backup.velero.io/backup-volumes-excludes'),
    volumeNames,
  };
}

type Verdict = 'covered' | 'namespace' | 'selector' | 'paused' | 'volumes';

/**
 * How a schedule that selects a workload treats its volumes: 0 keeps volume data, 1 leaves it out
 * but backs up every volume's files by default, 2 leaves it out; for 1 and 2 the workload is
 * covered only if some volume is opted into file-system backup.
 */
function volumeClass(s: Schedule): 0 | 1 | 2 {
  if (!s.volumesExcluded) return 0;
  return s.defaultFsBackup ? 1 : 2;
}

/** Whether schedules of each volume class cover a workload they select. */
function covering(data: Stateful): readonly [boolean, boolean, boolean] {
  const optedIn = (defaultFsBackup: boolean): boolean => data.volumeNames.some((v) => data.fsBackupVolumes.has(v) || (defaultFsBackup && !data.fsExcludedVolumes.has(v)));
  return [true, optedIn(true), optedIn(false)];
}

/**
 * What decides whether a schedule selects a workload: it selects every workload (`ALL`); it has a
 * selector of `NotIn` and `DoesNotExist` only (`GENERAL`), which selects most label sets; or its
 * selectors each ask for a label or key (`ANCHORED`), found through a selector index.
 */
const ALL = 0;
const GENERAL = 3;
const ANCHORED = 6;

/** The kind of a schedule plus, for `ALL` and `GENERAL`, its volume class: the lists a namespace keeps. */
type Category = number;
const CATEGORIES = 7;

/**
 * The schedules arranged so that a workload is judged without testing each one. A schedule gives
 * one verdict per workload, in this order: paused; namespace (it excludes the namespace or `*`,
 * or lists namespaces without it); selector (none of its selectors matches a label set of the
 * workload); volumes (it leaves out volume data the workload does not opt back in); else covered.
 * The message needs whether some schedule covers the workload and, if none does, the first
 * schedule of each verdict: found in per-namespace lists, skipping the few exceptions a
 * workload's labels make.
 */
interface Plan {
  list: readonly Schedule[];
  firstPaused: number;
  /** The first schedule (not paused) that excludes every namespace. */
  firstExcludingAll: number;
  /** The other schedules (those that can cover), by the namespaces they exclude. */
  excludedBy: Map<string, number[]>;
  /** Those that list their namespaces, in order, and by the namespaces they list. */
  listing: number[];
  listedBy: Map<string, number[]>;
  /** Those for every namespace, by category, in order. */
  global: number[][];
  category: Map<number, Category>;
  /** The selectors that ask for a label or key, to their schedule. */
  anchored: SelectorIndex<number>;
  /** The selectors of `NotIn` and `DoesNotExist` only (by number): their schedule, and those a label fails. */
  general: number[];
  generalCount: Map<number, number>;
  failedByPair: Map<string, number[]>;
  failedByKey: Map<string, number[]>;
  /** Label keys the selectors test, with the values they name (other values are all alike). */
  named: Map<string, Set<string>>;
  views: Map<string, NamespaceView>;
  /** Why the schedules cover no workload of a namespace and label sets (null: some covers it). */
  why: Map<string, string | null>;
}

/** Schedules of a list that pass a filter, taken from it as far as needed. */
class Filtered {
  private readonly taken: number[] = [];
  private cursor = 0;
  constructor(
    private readonly source: readonly number[],
    private readonly keep: (i: number) => boolean,
  ) {}

  /** The first one not in `skip` (Infinity: none). */
  firstNotIn(skip: ReadonlySet<number>): number {
    for (let k = 0; ; k++) {
      while (k === this.taken.length) {
        if (this.cursor === this.source.length) return Infinity;
        const i = this.source[this.cursor++] as number;
        if (this.keep(i)) this.taken.push(i);
      }
      const i = this.taken[k] as number;
      if (!skip.has(i)) return i;
    }
  }
}

/** The schedules as one namespace sees them. */
interface NamespaceView {
  firstNamespace: number;
  /** By category: the schedules listing the namespace, and the global ones not excluding it. */
  lists: [Filtered, Filtered][];
}

const PLANS = Symbol('velero-schedules:plan');
const NONE: ReadonlySet<number> = new Set();

function isGlobal(s: Schedule): boolean {
  return s.included === undefined || s.included.has('*');
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

function planOf(inventory: Inventory): Plan {
  return inventory.memo(PLANS, () => {
    const list = schedules(inventory);
    const plan: Plan = {
      list,
      firstPaused: Infinity,
      firstExcludingAll: Infinity,
      excludedBy: new Map(),
      listing: [],
      listedBy: new Map(),
      global: Array.from({ length: CATEGORIES }, () => []),
      category: new Map(),
      anchored: new SelectorIndex<number>(),
      general: [],
      generalCount: new Map(),
      failedByPair: new Map(),
      failedByKey: new Map(),
      named: new Map(),
      views: new Map(),
      why: new Map(),
    };
    list.forEach((s, i) => {
      if (s.paused) {
        plan.firstPaused = Math.min(plan.firstPaused, i);
        return;
      }
      if (s.excluded.has('*')) {
        plan.firstExcludingAll = Math.min(plan.firstExcludingAll, i);
        return;
      }
      for (const ns of s.excluded) push(plan.excludedBy, ns, i);
      const selectors = s.selectors?.some((selector) => selector.everything) === false ? s.selectors : undefined;
      let kind = selectors === undefined ? ALL : ANCHORED;
      for (const selector of selectors ?? []) {
        if (selector.nothing) continue;
        for (const r of selector.requirements) {
          let values = plan.named.get(r.key);
          if (values === undefined) plan.named.set(r.key, (values = new Set()));
          for (const v of r.values) values.add(v);
        }
        if (selector.requirements.some((r) => r.operator === 'In' || r.operator === 'Exists')) {
          plan.anchored.add(selector, i);
          continue;
        }
        kind = GENERAL;
        const id = plan.general.length;
        plan.general.push(i);
        plan.generalCount.set(i, (plan.generalCount.get(i) ?? 0) + 1);
        for (const r of selector.requirements) {
          if (r.operator === 'DoesNotExist') push(plan.failedByKey, r.key, id);
          else for (const v of r.values) push(plan.failedByPair, `${r.key}\u0000${v}`, id);
        }
      }
      const category = kind === ANCHORED ? kind : kind + volumeClass(s);
      plan.category.set(i, category);
      if (isGlobal(s)) plan.global[category]?.push(i);
      else {
        plan.listing.push(i);
        for (const ns of s.included ?? []) push(plan.listedBy, ns, i);
      }
    });
    return plan;
  });
}

function viewOf(plan: Plan, namespace: string): NamespaceView {
  let view = plan.views.get(namespace);
  if (view !== undefined) return view;
  const excluded = new Set(plan.excludedBy.get(namespace));
  const listed = plan.listedBy.get(namespace) ?? [];
  const listedSet = new Set(listed);
  // The first schedule listing namespaces but not this one.
  const unlisted = new Filtered(plan.listing, (i) => !listedSet.has(i)).firstNotIn(NONE);
  const lists: NamespaceView['lists'] = plan.global.map((global, category) => [
    new Filtered(listed, (i) => plan.category.get(i) === category && !excluded.has(i)),
    new Filtered(global, (i) => !excluded.has(i)),
  ]);
  view = { firstNamespace: Math.min(plan.firstExcludingAll, plan.excludedBy.get(namespace)?.[0] ?? Infinity, unlisted), lists };
  plan.views.set(namespace, view);
  return view;
}

/** The first schedule of the namespace in a category, skipping some. */
function firstOf(view: NamespaceView, category: Category, skip: ReadonlySet<number>): number {
  const [listed, global] = view.lists[category] as [Filtered, Filtered];
  return Math.min(listed.firstNotIn(skip), global.firstNotIn(skip));
}

/** A key for the label sets of a workload: their labels the selectors test, values they do not name left out. */
function labelSetsKey(plan: Plan, sets: readonly Record<string, string>[]): string {
  const keys = new Set<string>();
  for (const labels of sets) {
    const pairs: string[] = [];
    for (const k of Object.keys(labels)) {
      const named = plan.named.get(k);
      if (named === undefined) continue;
      const v = labels[k] as string;
      pairs.push(JSON.stringify(named.has(v) ? [k, v] : [k]));
    }
    keys.add(pairs.sort().join(','));
  }
  return [...keys].sort().join('\u0000');
}

/** The general selectors (by number) that fail every label set: one of the set's labels is excluded, or present where it must not be. */
function failingAll(plan: Plan, sets: readonly Record<string, string>[]): Set<number> {
  let out: Set<number> | undefined;
  for (const labels of sets) {
    const failing = new Set<number>();
    for (const k of Object.keys(labels)) {
      for (const id of plan.failedByKey.get(k) ?? []) if (out === undefined || out.has(id)) failing.add(id);
      for (const id of plan.failedByPair.get(`${k}\u0000${labels[k] ?? ''}`) ?? []) if (out === undefined || out.has(id)) failing.add(id);
    }
    out = failing;
    if (out.size === 0) break;
  }
  return out ?? new Set();
}

/** Why no schedule covers the workload, or null when one does. */
function whyUncovered(plan: Plan, namespace: string, data: Stateful): string | null {
  const covers = covering(data);
  const key = JSON.stringify([namespace, covers, labelSetsKey(plan, data.labelSets)]);
  const known = plan.why.get(key);
  if (known !== undefined) return known;
  const view = viewOf(plan, namespace);
  const first: Record<Exclude<Verdict, 'covered'>, number> = { paused: plan.firstPaused, namespace: view.firstNamespace, selector: Infinity, volumes: Infinity };
  let covered = false;
  /** A schedule of the namespace that selects the workload. */
  const selecting = (i: number, c: number): void => {
    if (i === Infinity) return;
    if (covers[c] === true) covered = true;
    else first.volumes = Math.min(first.volumes, i);
  };
  for (let c = 0; c < 3; c++) selecting(firstOf(view, ALL + c, NONE), c);
  // Schedules of the namespace with a selector asking for a label or key the workload has.
  const matched = new Set<number>();
  for (const labels of data.labelSets) {
    for (const i of plan.anchored.matchingSpecific(new Map(Object.entries(labels)))) {
      const s = plan.list[i] as Schedule;
      if (matched.has(i) || s.excluded.has(namespace) || (!isGlobal(s) && s.included?.has(namespace) !== true)) continue;
      matched.add(i);
      selecting(i, volumeClass(s));
    }
  }
  // Schedules of the namespace with general selectors, all failing the workload, and no other selector matching.
  const failing = new Map<number, number>();
  for (const id of failingAll(plan, data.labelSets)) {
    const i = plan.general[id] as number;
    failing.set(i, (failing.get(i) ?? 0) + 1);
  }
  const missing = new Set<number>();
  let firstMissing = Infinity;
  for (const [i, n] of failing) {
    const s = plan.list[i] as Schedule;
    if (n !== plan.generalCount.get(i) || matched.has(i) || s.excluded.has(namespace) || (!isGlobal(s) && s.included?.has(namespace) !== true)) continue;
    missing.add(i);
    firstMissing = Math.min(firstMissing, i);
  }
  for (let c = 0; c < 3; c++) selecting(firstOf(view, GENERAL + c, missing), c);
  let why: string | null = null;
  if (!covered) {
    first.selector = Math.min(firstMissing, firstOf(view, ANCHORED, matched));
    const verdicts = (Object.keys(first) as Exclude<Verdict, 'covered'>[]).filter((v) => first[v] !== Infinity).sort((a, b) => first[a] - first[b]);
    const one = plan.list.length === 1;
    const reasons = verdicts.map((v) => REASONS[v][one ? 0 : 1]);
    why = `${one ? `the Velero Schedule ${plan.list[0]?.name ?? ''}` : `the ${plan.list.length} Velero Schedules`} ${reasons.join(' or ')}`;
  }
  plan.why.set(key, why);
  return why;
}

/** Why a schedule does not cover a workload: [said of one schedule, said of several]. */
const REASONS: Readonly<Record<Exclude<Verdict, 'covered'>, readonly [string, string]>> = {
  namespace: ['does not include its namespace', 'do not include its namespace'],
  selector: ['selects other labels', 'select other labels'],
  paused: ['is paused', 'are paused'],
  volumes: ['leaves out volume data', 'leave out volume data'],
};

export const rule = defineRule({
  id: 'stateful-workload-no-backup',
  title: 'Stateful workload not covered by a backup schedule',
  severity: 'medium',
  target: 'object',
  kinds: ['StatefulSet', 'Deployment'],
  context: ['Schedule'],
  controls: ['STO-3'],
  options: { reportWithoutSchedules: false },
  description:
    'A StatefulSet with volumeClaimTemplates, or a Deployment mounting a PersistentVolumeClaim, keeps data that no Velero Schedule in the input backs up: its namespace is not included (or is excluded), the schedule\'s label selector does not match it, the schedule is paused, or it leaves out volume data. Without a backup, a deleted namespace or PVC, a corrupted volume, ransomware or a lost cluster means lost data; replicas and snapshots on the same storage do not help. The rule reports only when the input contains Velero Schedules (teams that back up another way, or keep schedules elsewhere, get no finding); set the option `reportWithoutSchedules: true` to report every stateful workload when there are none. Velero applies `labelSelector` to the workload, its pods and its PVCs, so any of their labels matching counts as covered.',
  remediation:
    'Add a Velero `Schedule` (velero.io/v1) whose `spec.template.includedNamespaces` lists the namespace (or `*`), without it in `excludedNamespaces`, with a `labelSelector` that matches the workload\'s labels (or none), `paused` unset, and volume data kept (`snapshotVolumes` not false, or `defaultVolumesToFsBackup: true`); set a `ttl` that fits the retention policy. Test a restore. If backups are done by another tool, suppress the finding with an exception naming it.',
  *check({ loaded }, { options }) {
    const data = statefulData(loaded);
    if (data === undefined) return;
    const { kind, name } = loaded.ref;
    const namespace = detach(namespaceOf(loaded) ?? 'default');
    const claims = detach(data.claims.map((c) => JSON.stringify(c)).join(', '));
    const required = options['reportWithoutSchedules'] === true;
    const resolve = (inventory: Inventory): string | null => {
      const list = schedules(inventory);
      if (list.length === 0 && !required) return null;
      const why = list.length === 0 ? 'the input has no Velero Schedule' : whyUncovered(planOf(inventory), namespace, data);
      if (why === null) return null;
      return `${kind} "${name}" in namespace "${namespace}" keeps data in PersistentVolumeClaims (${claims}) that no backup schedule covers: ${why}`;
    };
    const violation: Violation = { path: data.path, message: `${kind} "${name}" keeps data no backup schedule covers`, resolve };
    if (data.paths.length > 0) violation.paths = data.paths;
    yield violation;
  },
});
