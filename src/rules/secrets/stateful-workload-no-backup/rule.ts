import { namespaceOf, type Inventory } from '../../../engine/inventory.js';
import { defineRule, type Violation } from '../../../engine/rule.js';
import { asArray, asObject, asString, detach, isObject } from '../../../k8s/object.js';
import { isPodBearing } from '../../../k8s/pod.js';
import type { LoadedObject } from '../../../load/types.js';
import type { JsonObject, Path } from '../../../types.js';

/** A Velero Schedule as far as coverage goes. */
interface Schedule {
  name: string;
  paused: boolean;
  included: ReadonlySet<string> | undefined;
  excluded: ReadonlySet<string>;
  /** Any of these selectors must match (Velero's labelSelector, or its orLabelSelectors); undefined: all. */
  selectors: readonly Selector[] | undefined;
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
    selectors: selectors.length === 0 ? undefined : selectors.map(compileSelector),
    volumesExcluded,
    defaultFsBackup,
  };
}

/**
 * The input's Velero Schedules, and which of them can cover a namespace: a workload is checked
 * against those only, not against every schedule (one schedule per namespace is common, and a
 * cluster has thousands of namespaces).
 */
interface Schedules {
  list: readonly Schedule[];
  /** Schedules that include every namespace (no `includedNamespaces`, or `*`), in input order. */
  global: readonly number[];
  /** By namespace: the other schedules that include it by name, in input order (one as a number). */
  named: ReadonlyMap<string, number | number[]>;
  /** The schedules that include namespaces by name only: paused, and not paused. */
  listed: readonly [readonly number[], readonly number[]];
  /** By namespace: the first listed schedule not naming it, paused and not paused (-1: none); filled as asked. */
  outside: Map<string, readonly [number, number]>;
}

function schedules(inventory: Inventory): Schedules {
  return inventory.memo(SCHEDULES, () => {
    const list = inventory.byKind('Schedule').filter((o) => o.ref.apiVersion.startsWith('velero.io/')).map(parseSchedule);
    const global: number[] = [];
    const paused: number[] = [];
    const running: number[] = [];
    const named = new Map<string, number | number[]>();
    list.forEach((s, i) => {
      if (s.included === undefined || s.included.has('*')) {
        global.push(i);
        return;
      }
      (s.paused ? paused : running).push(i);
      for (const namespace of s.included) {
        const at = named.get(namespace);
        if (at === undefined) named.set(namespace, i);
        else if (typeof at === 'number') named.set(namespace, [at, i]);
        else at.push(i);
      }
    });
    return { list, global, named, listed: [paused, running], outside: new Map() };
  });
}

/**
 * The first schedule (by input order) that does not name the namespace among those that list
 * namespaces, paused and not paused. Each schedule passed over names the namespace, so over all
 * namespaces this reads each `includedNamespaces` entry at most once.
 */
function outsideOf(all: Schedules, namespace: string): readonly [number, number] {
  let found = all.outside.get(namespace);
  if (found !== undefined) return found;
  const first = (list: readonly number[]): number => {
    for (const i of list) if ((all.list[i] as Schedule).included?.has(namespace) !== true) return i;
    return -1;
  };
  found = [first(all.listed[0]), first(all.listed[1])];
  all.outside.set(namespace, found);
  return found;
}

/**
 * Whether some schedule covers the workload (null), else why none does: the reasons in the order
 * of the first schedule (by input order) giving each. Only the schedules that include the
 * namespace are evaluated; the others are paused or leave the namespace out.
 */
function verdicts(all: Schedules, namespace: string, data: Stateful): Exclude<Verdict, 'covered'>[] | null {
  // The first schedule giving each reason (-1: none), by the reason's index in REASON_ORDER.
  const first = [-1, -1, -1, -1];
  const note = (verdict: Exclude<Verdict, 'covered'>, i: number): void => {
    const k = REASON_ORDER.indexOf(verdict);
    const at = first[k] as number;
    if (at < 0 || i < at) first[k] = i;
  };
  const { global } = all;
  const entry = all.named.get(namespace);
  const named = entry === undefined ? NO_SCHEDULES : typeof entry === 'number' ? [entry] : entry;
  // The two lists in input order.
  for (let g = 0, n = 0; g < global.length || n < named.length; ) {
    const takeGlobal = n >= named.length || (g < global.length && (global[g] as number) < (named[n] as number));
    const i = (takeGlobal ? global[g++] : named[n++]) as number;
    const verdict = coverage(all.list[i] as Schedule, namespace, data);
    if (verdict === 'covered') return null;
    note(verdict, i);
  }
  const [paused, running] = outsideOf(all, namespace);
  if (paused >= 0) note('paused', paused);
  if (running >= 0) note('namespace', running);
  const given = REASON_ORDER.map((verdict, k) => [verdict, first[k] as number] as const).filter(([, at]) => at >= 0);
  return given.sort((x, y) => x[1] - y[1]).map(([verdict]) => verdict);
}

const REASON_ORDER: readonly Exclude<Verdict, 'covered'>[] = ['namespace', 'selector', 'paused', 'volumes'];
const NO_SCHEDULES: readonly number[] = [];

/** A compiled label selector: whether it matches a label set. */
type Selector = (labels: Readonly<Record<string, string>>) => boolean;

/**
 * Label selector semantics (matchLabels and matchExpressions); an empty selector matches
 * everything. Compiled once per schedule, its values in sets: a schedule is tested against every
 * stateful workload, and reading a selector of many values each time is quadratic.
 */
function compileSelector(selector: JsonObject): Selector {
  const matchLabels = Object.entries(asObject(selector['matchLabels']) ?? {}).map(([k, v]) => [k, asString(v)] as const);
  const expressions = asArray(selector['matchExpressions']).map((e) =>
    isObject(e) ? { key: asString(e['key']) ?? '', operator: asString(e['operator']), values: new Set(strings(e['values'])) } : undefined,
  );
  return (labels) => {
    for (const [k, v] of matchLabels) if (labels[k] !== v) return false;
    for (const e of expressions) {
      if (e === undefined) return false;
      const has = Object.hasOwn(labels, e.key);
      switch (e.operator) {
        case 'In':
          if (!has || !e.values.has(labels[e.key] ?? '')) return false;
          break;
        case 'NotIn':
          if (has && e.values.has(labels[e.key] ?? '')) return false;
          break;
        case 'Exists':
          if (!has) return false;
          break;
        case 'DoesNotExist':
          if (has) return false;
          break;
        default:
          return false;
      }
    }
    return true;
  };
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

/** The kinds whose pod template may mount claims that hold the workload's data. */
const KINDS = ['StatefulSet', 'Deployment', 'Rollout', 'DeploymentConfig'];

function statefulData(o: LoadedObject): Stateful | undefined {
  const kind = o.ref.kind;
  if (!KINDS.includes(kind) || !isPodBearing(o.ref.apiVersion, kind)) return undefined;
  const spec = asObject(o.object['spec']);
  const template = asObject(spec?.['template']);
  const podSpec = asObject(template?.['spec']);
  if (spec === undefined) return undefined;
  const paths: Path[] = [];
  const claims: string[] = [];
  const volumeNames: string[] = [];
  const labelSets = [labelsOf(o.object['metadata']), labelsOf(template?.['metadata'])];
  // A DeploymentConfig's selector is a plain map, as a ReplicationController's.
  const selectorLabels = kind === 'DeploymentConfig' ? asObject(spec['selector']) : asObject(asObject(spec['selector'])?.['matchLabels']);
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

function coverage(s: Schedule, namespace: string, data: Stateful): Verdict {
  if (s.paused) return 'paused';
  if (s.excluded.has(namespace) || s.excluded.has('*')) return 'namespace';
  if (s.included !== undefined && !s.included.has('*') && !s.included.has(namespace)) return 'namespace';
  if (s.selectors !== undefined && !s.selectors.some((matches) => data.labelSets.some(matches))) return 'selector';
  if (s.volumesExcluded) {
    // Without snapshots, data is still copied for volumes opted into file-system backup.
    const optedIn = data.volumeNames.some((v) => data.fsBackupVolumes.has(v) || (s.defaultFsBackup && !data.fsExcludedVolumes.has(v)));
    if (!optedIn) return 'volumes';
  }
  return 'covered';
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
  kinds: KINDS,
  context: ['Schedule'],
  controls: ['STO-3'],
  options: { reportWithoutSchedules: false },
  description:
    'A StatefulSet with volumeClaimTemplates, or a Deployment (an Argo Rollout, an OpenShift DeploymentConfig) mounting a PersistentVolumeClaim, keeps data that no Velero Schedule in the input backs up: its namespace is not included (or is excluded), the schedule\'s label selector does not match it, the schedule is paused, or it leaves out volume data. Without a backup, a deleted namespace or PVC, a corrupted volume, ransomware or a lost cluster means lost data; replicas and snapshots on the same storage do not help. The rule reports only when the input contains Velero Schedules (teams that back up another way, or keep schedules elsewhere, get no finding); set the option `reportWithoutSchedules: true` to report every stateful workload when there are none. Velero applies `labelSelector` to the workload, its pods and its PVCs, so any of their labels matching counts as covered.',
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
      const all = schedules(inventory);
      const { list } = all;
      if (list.length === 0 && !required) return null;
      let why: string;
      if (list.length === 0) why = 'the input has no Velero Schedule';
      else {
        const found = verdicts(all, namespace, data);
        if (found === null) return null;
        const one = list.length === 1;
        const reasons = found.map((v) => REASONS[v][one ? 0 : 1]);
        why = `${one ? `the Velero Schedule ${list[0]?.name ?? ''}` : `the ${list.length} Velero Schedules`} ${reasons.join(' or ')}`;
      }
      return `${kind} "${name}" in namespace "${namespace}" keeps data in PersistentVolumeClaims (${claims}) that no backup schedule covers: ${why}`;
    };
    const violation: Violation = { path: data.path, message: `${kind} "${name}" keeps data no backup schedule covers`, resolve };
    if (data.paths.length > 0) violation.paths = data.paths;
    yield violation;
  },
});
