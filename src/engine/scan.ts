import { getHeapStatistics } from 'node:v8';
import { DeadlineExceeded } from '../errors.js';
import { wrongTypes } from '../k8s/field-types.js';
import { detach, formatPath, nestedDeeperThan, objectRef, PathTexts } from '../k8s/object.js';
import { containersOf, isIncompletePodSpec, POD_BEARING_KINDS, podSpecOf } from '../k8s/pod.js';
import { readInput } from '../load/files.js';
import { loadInput, loadText, locateIn, resolveInputs, type LoadedFile } from '../load/load.js';
import { locatePositions, TextLocator, type ObjectPositions } from '../load/locate.js';
import { DEFAULT_LIMITS, type LoadLimits } from '../load/limits.js';
import type { LoadedObject, SourceDocument } from '../load/types.js';
import { parsePssPolicy, resolvePssMinor } from '../rules/pss/psa.js';
import type { ExceptionStatus, Finding, JsonObject, JsonValue, Location, Path, SuppressedFinding, PssPolicy, Report, ReportError, Severity, Summary } from '../types.js';
import { ruleSetting, type Config } from './config.js';
import { phaseOf } from './controls.js';
import { annotationReason, containersAt, Exceptions, IGNORE_PREFIX, type Suppression } from './exceptions.js';
import { nameContainers } from './fingerprint.js';
import { Inventory, namespaceOf, objectKey } from './inventory.js';
import { buildReport, countFinding } from './report.js';
import type { InventoryViolation, PssContext, Rule, RuleContext, RuleSpec, Violation } from './rule.js';

/** What a scan evaluates and how. */
export interface ScanOptions {
  /** The rule catalog; the configuration decides which are on. */
  rules: readonly Rule[];
  /** Pod Security policy; defaults to the configuration's, else `restricted:latest`. */
  pss?: PssPolicy | string;
  config?: Config;
  limits?: LoadLimits;
  /** Cap on the policy version `latest` resolves to (a Kubernetes minor version). */
  maxPssMinor?: number;
  /** The time of the scan, against which exceptions expire. */
  now?: Date;
  /** Record each finding's automatic fix, where its rule has one (`Finding.fix`). */
  fixes?: boolean;
  /**
   * A `performance.now()` time past which no further rule runs: the scan throws DeadlineExceeded
   * (the admission webhook's time budget). Checked before each rule on each object.
   */
  deadline?: number;
  /**
   * The most findings the report lists, and the most suppressed findings (DEFAULT_MAX_FINDINGS);
   * past it findings are counted in the summary only, and an error says so. This bounds the memory
   * findings take: an object can have hundreds of thousands of them.
   */
  maxFindings?: number;
  /**
   * The most findings listed per rule and severity (and as many suppressed); the rest are counted
   * in the summary only, with no error (the admission webhook: its answer needs a few of each).
   */
  maxFindingsPerRule?: number;
  /** The most findings that wait for the whole input (MAX_WAITING, which follows the heap). */
  maxWaiting?: number;
  /**
   * Named files that hold no Kubernetes object (CI configuration, Helm values) are passed over as
   * a directory walk passes them, not errors (`scanPaths` only; `--skip-non-manifests`).
   */
  skipNonManifests?: boolean;
}

/** The most findings a report lists by default: a million take about 1.5 GB to hold and write. */
export const DEFAULT_MAX_FINDINGS = 1_000_000;
/** The most errors a report lists; the rest are counted in one last error. */
export const MAX_ERRORS = 100_000;
/**
 * The most findings of one rule on one object that wait for the whole input (a memory limit a
 * LimitRange may supply, per container); the rest are not decided, and an error says so. A pod
 * of 100,000 containers (3 MB) would otherwise hold 200,000 of them until the end.
 */
export const MAX_WAITING_PER_OBJECT = 10_000;
/** The most findings that wait for the whole input, whatever the heap. */
const MAX_WAITING_CEILING = 2_000_000;
/** What a waiting finding takes on the heap: about 650 bytes on real manifests (the bench corpus), less on bare pods, which share messages and predicates. */
const WAITING_BYTES = 650;
/** The share of the heap waiting findings may take: the objects of the file at hand and the findings listed need the rest. */
const WAITING_SHARE = 0.25;

/**
 * The most findings that wait for the whole input with a JavaScript heap of `heapLimit` bytes
 * (`v8.getHeapStatistics().heap_size_limit`): a quarter of it, and at most 2,000,000. Most are
 * dropped at the end (a hardened pod leaves 3, a bare one 8); past the limit they are not decided,
 * and an error says so.
 */
export function maxWaitingFor(heapLimit: number): number {
  return Math.min(MAX_WAITING_CEILING, Math.floor((heapLimit * WAITING_SHARE) / WAITING_BYTES));
}

/** The most findings that wait for the whole input in this process (`maxWaitingFor` its heap). */
export const MAX_WAITING = maxWaitingFor(getHeapStatistics().heap_size_limit);
/** How many distinct messages of waiting findings the engine shares. */
const MAX_MESSAGES = 100_000;

interface ActiveRule {
  rule: Rule;
  severity: Severity;
  /** True when the configuration sets the rule's severity (it then wins over a violation's own). */
  configured: boolean;
  phase: Finding['phase'];
  ctx: RuleContext;
  /** For Pod Security rules: the policy recorded in each finding (one object, shared). */
  pss?: NonNullable<Finding['pss']>;
  /** The annotation that suppresses the rule on an object. */
  ignoreKey: string;
}

const NONE: readonly ActiveRule[] = [];
/** A rule's `keep`: which objects of its context kinds it reads. */
type KeepFilter = (object: JsonObject) => boolean;
/** How many rendered paths the engine shares at most. */
const MAX_PATHS = 200_000;
/** Kinds whose objects run pods (a PodTemplate only describes one). */
const RUNNING: ReadonlySet<string> = new Set(POD_BEARING_KINDS.filter((k) => k !== 'PodTemplate'));

/** Resolves the configured Pod Security policy. */
export function resolvePss(options: ScanOptions): { policy: PssPolicy; ctx: PssContext } {
  const raw = options.pss ?? options.config?.pss ?? 'restricted:latest';
  const policy = typeof raw === 'string' ? parsePssPolicy(raw) : raw;
  return { policy, ctx: { level: policy.level, version: policy.version, minor: resolvePssMinor(policy.version, options.maxPssMinor) } };
}

/** The one evaluation loop: rules dispatched by target, violations turned into findings. */
export class Engine {
  readonly policy: PssPolicy;
  private readonly byTarget: { object: ActiveRule[]; pod: ActiveRule[]; container: ActiveRule[]; inventory: ActiveRule[] } = {
    object: [],
    pod: [],
    container: [],
    inventory: [],
  };
  /** Object and pod rules by the kind they declare; rules without `kinds` are under '*'. */
  private readonly byKind = { object: new Map<string, ActiveRule[]>(), pod: new Map<string, ActiveRule[]>() };
  /** The rules each kind gets, computed once per kind. */
  private readonly merged = { object: new Map<string, readonly ActiveRule[]>(), pod: new Map<string, readonly ActiveRule[]>() };
  /** Objects kept for the inventory: a copy of their fields, and how to locate findings on them (no text). */
  private readonly kept: { object: LoadedObject; spot: KeptSpot }[] = [];
  /** Findings on kept objects the full parser read (no node positions): located at the end, reading their file again. */
  private readonly later: Kept[] = [];
  /**
   * Kinds kept for the inventory (undefined keeps every object): null keeps every object of the
   * kind, else an object is kept when one of the filters (rules' `keep`) accepts it.
   */
  private readonly keepKinds: ReadonlyMap<string, KeepFilter[] | null> | undefined;
  private readonly keepAny: boolean;
  private readonly seen = new Set<string>();
  private readonly workloadNamespaces = new Set<string>();
  private readonly namespaces = new Set<string>();
  /** The namespace of every namespaced object of the input (`default` for one that names none), for reports by namespace. */
  readonly inputNamespaces = new Set<string>();
  /** Findings that wait for the whole input (an entry is cleared once decided). */
  private readonly pending: (Pending | undefined)[] = [];
  /** The messages of waiting findings, one copy of each: the pods of a namespace repeat a few. */
  private readonly messages = new SharedTexts(MAX_MESSAGES);
  private readonly maxWaiting: number;
  private readonly exceptions: Exceptions;
  /** For the settings of the findings about exceptions (`rules: { exception-stale: off }`). */
  private readonly config: Config | undefined;
  /** Findings suppressed by an exception or an annotation. */
  readonly suppressed: SuppressedFinding[] = [];
  /** The configuration's exceptions and what they did, once the scan is finished. */
  exceptionStatuses: ExceptionStatus[] = [];
  /** Texts of inputs that cannot be read again (stdin, texts in memory) with findings or kept objects waiting on them. */
  private readonly texts = new Map<string, string>();
  /** Where the document of the last waiting finding or kept object is. */
  private lastOrigin: { source: SourceDocument; origin: Origin } | undefined;
  private readonly limits: LoadLimits;
  private readonly fixes: boolean;
  private readonly deadline: number;
  readonly findings: Finding[] = [];
  readonly errors: ReportError[] = [];
  /** Findings past `maxFindings` or `maxFindingsPerRule`: counted for the summary, not listed. */
  readonly unlisted: Summary = { total: 0, bySeverity: {}, byPhase: {}, byControl: {} };
  /** Findings and suppressed findings not listed past `maxFindings` (reported as an error). */
  private readonly overLimit = { findings: 0, suppressed: 0 };
  /** The object whose waiting findings `waitingCounts` counts, per rule (MAX_WAITING_PER_OBJECT). */
  private waitingObject: LoadedObject | undefined;
  private readonly waitingCounts = new Map<ActiveRule, number>();
  /** Waiting findings not decided: past MAX_WAITING_PER_OBJECT, and past MAX_WAITING. */
  private readonly undecided = { perObject: 0, inAll: 0 };
  private unlistedErrors = 0;
  private readonly maxFindings: number;
  private readonly maxPerRule: number;
  /** Findings listed so far per list, rule and severity, under `maxFindingsPerRule`. */
  private readonly perRule = new Map<string, number>();
  private readonly activeIds: string[] = [];
  /** Paths of findings, rendered once each. */
  private readonly paths = new PathTexts(MAX_PATHS);
  /** The last object whose containers `named` recorded. */
  private lastNamed: Finding['object'] | undefined;

  constructor(options: ScanOptions) {
    const { policy, ctx: pss } = resolvePss(options);
    this.policy = policy;
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.fixes = options.fixes === true;
    this.deadline = options.deadline ?? Infinity;
    this.maxFindings = options.maxFindings ?? DEFAULT_MAX_FINDINGS;
    this.maxPerRule = options.maxFindingsPerRule ?? Infinity;
    this.maxWaiting = options.maxWaiting ?? MAX_WAITING;
    this.exceptions = new Exceptions(options.config?.exceptions ?? [], options.now ?? new Date());
    this.config = options.config;
    const enabled = options.rules
      .map((rule) => ({ rule, setting: ruleSetting(options.config, rule.id, rule.options ?? {}) }))
      .filter(({ rule, setting }) => setting.enabled ?? !rule.optional);
    // The Pod Security checks of the rules that run: a restricted check replaces its baseline
    // counterpart only while its own rule runs.
    pss.running = new Set(enabled.flatMap(({ rule }) => (rule.frameworks?.pss ?? []).map((ref) => ref.slice(ref.indexOf(':') + 1))));
    for (const { rule, setting } of enabled) {
      this.activeIds.push(rule.id);
      const active: ActiveRule = {
        rule,
        severity: setting.severity ?? rule.severity,
        configured: setting.severity !== undefined,
        phase: phaseOf(rule.controls),
        ctx: { pss, options: setting.options },
        ignoreKey: IGNORE_PREFIX + rule.id,
      };
      if (rule.frameworks?.pss !== undefined) active.pss = { level: pss.level, version: pss.version, resolved: `v1.${pss.minor}` };
      this.byTarget[rule.target].push(active);
      if (rule.target === 'object' || rule.target === 'pod') {
        for (const kind of rule.kinds ?? ['*']) {
          const list = this.byKind[rule.target].get(kind);
          if (list) list.push(active);
          else this.byKind[rule.target].set(kind, [active]);
        }
      }
    }
    const all = [...this.byTarget.object, ...this.byTarget.pod, ...this.byTarget.container, ...this.byTarget.inventory];
    const kinds = new Map<string, KeepFilter[] | null>();
    let everything = false;
    for (const { rule } of all) {
      if (rule.context !== undefined) {
        for (const kind of rule.context) {
          const filters = kinds.get(kind);
          if (filters === null) continue;
          if (rule.keep === undefined) kinds.set(kind, null);
          else if (filters === undefined) kinds.set(kind, [rule.keep]);
          else filters.push(rule.keep);
        }
      } else if (rule.target === 'inventory') everything = true;
    }
    this.keepKinds = everything ? undefined : kinds;
    this.keepAny = everything || kinds.size > 0 || this.byTarget.inventory.length > 0;
  }

  /** Whether an object is kept for the inventory once its file is scanned. */
  private keeps(kind: string, object: JsonObject): boolean {
    if (this.keepKinds === undefined) return true;
    const filters = this.keepKinds.get(kind);
    if (filters === undefined) return false;
    return filters === null || filters.some((keep) => keep(object));
  }

  /** The rules of a target for one kind: those declaring it and those declaring no kinds. */
  private rulesFor(target: 'object' | 'pod', kind: string): readonly ActiveRule[] {
    const merged = this.merged[target];
    let rules = merged.get(kind);
    if (rules === undefined) {
      const index = this.byKind[target];
      rules = [...(index.get('*') ?? NONE), ...(index.get(kind) ?? NONE)];
      merged.set(kind, rules);
    }
    return rules;
  }

  private record(active: ActiveRule, file: LoadedFile | undefined, object: LoadedObject, violation: Violation, spot?: KeptSpot): void {
    const { unless, resolve } = violation;
    if (resolve !== undefined || unless !== undefined) {
      this.wait(active, file, object, violation, spot);
      return;
    }
    // Fields in the order of the JSON contract: location, further paths, policy, fix.
    const finding = this.finding(active, object.ref, this.paths.text(violation.path), violation.message, violation.severity);
    this.named(object);
    const where = placeOf(file, object, violation.path, spot);
    const at = where !== undefined && 'source' in where ? where : undefined;
    if (where !== undefined && at === undefined) finding.location = where as Location;
    if (violation.paths !== undefined && violation.paths.length > 0) finding.paths = violation.paths.map((p) => this.paths.text(p));
    if (active.pss !== undefined) finding.pss = active.pss;
    if (this.fixes && violation.fix !== undefined) finding.fix = violation.fix();
    const scope = this.scopeOf(active, object, violation);
    if (at !== undefined) this.later.push({ finding, at, scope });
    else this.keep(finding, scope);
  }

  /** Records, once for the findings of an object, how their fingerprints name its containers (`nameContainers`). */
  private named(object: LoadedObject): void {
    if (this.lastNamed === object.ref) return;
    this.lastNamed = object.ref;
    nameContainers(object.ref, object.object);
  }

  /** A finding's first fields (location, further paths, policy and fix follow, in that order); `path` is from `paths`, the message is copied off the file's text. */
  private finding(active: ActiveRule, object: Finding['object'], path: string, message: string, severity: Severity | undefined): Finding {
    const { rule } = active;
    const finding: Finding = {
      ruleId: rule.id,
      title: rule.title,
      severity: severity !== undefined && !active.configured ? severity : active.severity,
      controls: rule.controls,
      phase: active.phase,
      object,
      path,
      message: detach(message),
    };
    return finding;
  }

  /**
   * A violation decided once the whole input is read. Most are dropped then, so only what the
   * finding needs is kept (no Finding yet), none of it holding the file's text. It is located now,
   * while its file is at hand, or on a kept object from its node positions (see `placeOf`).
   */
  private wait(active: ActiveRule, file: LoadedFile | undefined, object: LoadedObject, violation: Violation, spot: KeptSpot | undefined): void {
    if (object !== this.waitingObject) {
      this.waitingObject = object;
      this.waitingCounts.clear();
    }
    const waiting = this.waitingCounts.get(active) ?? 0;
    if (waiting >= MAX_WAITING_PER_OBJECT) {
      this.undecided.perObject++;
      return;
    }
    if (this.pending.length >= this.maxWaiting) {
      this.undecided.inAll++;
      return;
    }
    this.waitingCounts.set(active, waiting + 1);
    const { resolve } = violation;
    let rare: RareFields | undefined;
    if (violation.severity !== undefined) (rare ??= {}).severity = violation.severity;
    if (violation.paths !== undefined && violation.paths.length > 0) {
      (rare ??= {}).paths = violation.paths.map((p) => this.paths.text(p));
      // A resolution may move the finding to one of these fields (`Resolution.at`).
      if (resolve !== undefined) rare.places = violation.paths.map((p) => placeOf(file, object, p, spot));
    }
    if (this.fixes && violation.fix !== undefined) (rare ??= {}).fix = violation.fix();
    // A resolution writes its own message.
    const message = resolve === undefined ? this.messages.text(violation.message) : undefined;
    const at = placeOf(file, object, violation.path, spot);
    // Located now, or, on a kept object, where to locate it at the end.
    const located = at !== undefined && !('source' in at) ? at : undefined;
    if (at !== undefined && located === undefined) (rare ??= {}).place = at as Place;
    const scope = this.scopeOf(active, object, violation);
    const path = this.paths.text(violation.path);
    this.named(object);
    this.pending.push(new Pending(active, object.ref, path, message, violation.unless, resolve, scope, located?.file ?? '', located?.line ?? -1, located?.column ?? -1, rare));
  }

  /** What the exceptions and the object's annotations need to judge a finding. */
  private scopeOf(active: ActiveRule, object: LoadedObject, violation: Violation): SuppressionScope {
    // Held until the end (waiting findings) and by suppressed findings: copies, not slices of the file.
    const reason = annotationReason(object.object, active.rule.id, active.ignoreKey);
    const annotation = reason === undefined ? undefined : detach(reason);
    const containers = this.exceptions.needsContainer ? containersAt(object.object, violation.path, violation.paths)?.map((name) => detach(name)) : undefined;
    return annotation === undefined && containers === undefined ? NO_SCOPE : { annotation, containers };
  }

  /** Adds a finding to the report, or to the suppressed ones when an annotation or an exception covers it. */
  private keep(finding: Finding, scope: SuppressionScope): void {
    const byException = this.exceptions.empty ? undefined : this.exceptions.match(finding.ruleId, finding.object, scope.containers);
    const suppression: Suppression | undefined = scope.annotation !== undefined ? { by: 'annotation', reason: scope.annotation } : byException;
    if (suppression === undefined) {
      if (this.listed(finding, this.findings.length, 'findings')) this.findings.push(finding);
      else countFinding(this.unlisted, finding);
      return;
    }
    if (!this.listed(finding, this.suppressed.length, 'suppressed')) return;
    const out: SuppressedFinding = { ...finding, suppressedBy: suppression.by, reason: suppression.reason };
    if (suppression.expires !== undefined) out.expires = suppression.expires;
    this.suppressed.push(out);
  }

  /** Whether a finding is listed, under the limits, in a list that holds `held` so far. */
  private listed(finding: Finding, held: number, list: 'findings' | 'suppressed'): boolean {
    if (this.maxPerRule !== Infinity) {
      const key = `${list}\u0000${finding.ruleId}\u0000${finding.severity}`;
      const n = this.perRule.get(key) ?? 0;
      if (n >= this.maxPerRule) return false;
      this.perRule.set(key, n + 1);
    }
    if (held < this.maxFindings) return true;
    this.overLimit[list]++;
    return false;
  }

  /** Adds an error to the report: the first MAX_ERRORS are listed, the rest counted. */
  addError(error: ReportError): void {
    if (this.errors.length < MAX_ERRORS) this.errors.push(error);
    else this.unlistedErrors++;
  }

  /** How to find a document's text again at the end: its file, read once more, or its text held here. */
  private originOf(file: LoadedFile, text: string, source: SourceDocument): Origin {
    if (!file.rereadable && !this.texts.has(file.file)) this.texts.set(file.file, text);
    if (this.lastOrigin?.source !== source) this.lastOrigin = { source, origin: { reread: file.rereadable === true, hash: textHash(text, source.start, source.end) } };
    return this.lastOrigin.origin;
  }

  /** Locates the waiting findings that were kept, reading each of their files once more. */
  private placeAll(kept: readonly { finding: Finding; at: Place | undefined }[]): Finding[] {
    const byFile = new Map<string, { finding: Finding; at: Place }[]>();
    for (const entry of kept) {
      if (entry.at === undefined) continue;
      const list = byFile.get(entry.at.source.file);
      if (list) list.push(entry as { finding: Finding; at: Place });
      else byFile.set(entry.at.source.file, [entry as { finding: Finding; at: Place }]);
    }
    const located = new Map<Finding, Location>();
    for (const [file, entries] of byFile) {
      let text = this.texts.get(file);
      if (text === undefined && entries[0]?.at.reread === true) {
        try {
          text = readInput({ file, stdin: false }, this.limits);
        } catch {
          text = undefined; // gone since: the findings keep no location
        }
      }
      if (text === undefined) continue;
      const locator = new TextLocator(text);
      // In file order, as the locator is fastest walking forward.
      entries.sort((a, b) => a.at.source.start - b.at.source.start);
      let checked: SourceDocument | undefined;
      let same = false;
      for (const { finding, at } of entries) {
        const { source } = at;
        // A file changed since it was scanned gets no location rather than a wrong one.
        if (source !== checked) {
          checked = source;
          same = source.end <= text.length && textHash(text, source.start, source.end) === at.hash;
        }
        if (!same) continue;
        const position = locator.locate(source, at.path);
        located.set(finding, { file, line: position.line, column: position.column });
      }
    }
    return kept.map(({ finding }) => {
      const location = located.get(finding);
      return location === undefined ? finding : withLocation(finding, location);
    });
  }

  private failed(active: ActiveRule, file: LoadedFile, object: LoadedObject, error: unknown): void {
    const where = locateIn(file, object, []);
    const entry: ReportError = {
      file: object.source.file,
      message: `rule ${active.rule.id} failed on ${object.ref.kind}/${object.ref.name}: ${error instanceof Error ? error.message : String(error)}; the object was not fully checked`,
      code: 'rule-error',
    };
    if (where !== undefined) entry.line = where.line;
    this.addError(entry);
  }

  /** Reports the fields of a built-in object whose type the API server would refuse (field-types.ts); the object is still checked. */
  private checkTypes(file: LoadedFile, loaded: LoadedObject): void {
    const { ref } = loaded;
    const found = wrongTypes(loaded.object, ref.apiVersion, ref.kind);
    if (found === undefined) return;
    const name = `${ref.kind} ${ref.namespace === undefined ? '' : `${ref.namespace}/`}${ref.name}`;
    for (const { path, expected, found: actual } of found.wrong) {
      const where = locateIn(file, loaded, path);
      const entry: ReportError = {
        file: loaded.source.file,
        message: `${name}: ${formatPath(path)} must be ${expected}, not ${actual}; the API server refuses the object, and mamori's checks read the field as unset`,
        code: 'wrong-type',
      };
      if (where !== undefined) {
        entry.line = where.line;
        entry.column = where.column;
      }
      this.addError(entry);
    }
    if (found.more > 0) {
      const entry: ReportError = { file: loaded.source.file, message: `${name}: ${found.more} more field${found.more === 1 ? '' : 's'} of the wrong type`, code: 'wrong-type' };
      if (loaded.source.line > 0) entry.line = loaded.source.line;
      this.addError(entry);
    }
  }

  private run<I>(active: ActiveRule, input: I, file: LoadedFile, object: LoadedObject): void {
    if (this.deadline !== Infinity && performance.now() > this.deadline) throw new DeadlineExceeded();
    try {
      const check = (active.rule as RuleSpec<never>).check as unknown as (input: I, ctx: RuleContext) => Iterable<Violation>;
      const result = check(input, active.ctx);
      // Most checks return an array, most often the shared empty one: no iterator for those.
      if (Array.isArray(result)) {
        for (let i = 0; i < result.length; i++) this.record(active, file, object, result[i] as Violation);
      } else {
        for (const violation of result) this.record(active, file, object, violation);
      }
    } catch (error) {
      // Past the caller's deadline the whole scan stops; it is not this rule's error.
      if (error instanceof DeadlineExceeded) throw error;
      this.failed(active, file, object, error);
    }
  }

  /** Evaluates the object, pod and container rules on a file's objects. */
  evaluate(file: LoadedFile): void {
    // A loop, not a spread: a file can hold hundreds of thousands of errors (one per document).
    for (const error of file.errors) this.addError(error);
    const containerRules = this.byTarget.container;
    // Kept objects must not hold their file (its text, its other objects, the locator's indexes):
    // each keeps a copy of its fields, and where its document is, to locate findings at the end.
    const text = file.locator?.fileText;
    for (const loaded of file.objects) {
      const kind = loaded.ref.kind;
      const namespace = namespaceOf(loaded);
      if (namespace !== undefined) this.inputNamespaces.add(namespace);
      if (this.keepAny) {
        this.seen.add(objectKey(kind, namespace, loaded.ref.name));
        if (loaded.ref.namespace !== undefined) this.namespaces.add(loaded.ref.namespace);
        if (this.keeps(kind, loaded.object)) {
          // Located by the positions of its nodes when its document was indexed, else by reading its file again.
          const positions = file.locator?.positionsOf(loaded.source, loaded.prefix, loaded.object);
          const origin = positions !== undefined || text === undefined ? undefined : this.originOf(file, text, loaded.source);
          this.kept.push({ object: { ...loaded, object: copyJson(loaded.object) }, spot: { positions, origin } });
        }
      }
      const object = loaded.object;
      // Text read from files has not been through the API server's decoding yet.
      if (file.locator !== undefined) this.checkTypes(file, loaded);
      const root: Path = [];
      // One input object per target, shared by the rules of that target.
      const objectInput = { object, loaded, path: root };
      for (const active of this.rulesFor('object', kind)) this.run(active, objectInput, file, loaded);
      const podRules = this.rulesFor('pod', kind);
      const runs = this.keepAny && RUNNING.has(kind);
      if (podRules.length === 0 && containerRules.length === 0 && !runs) continue;
      const pod = podSpecOf(object);
      if (pod === undefined) continue;
      if (runs && !isIncompletePodSpec(pod.spec)) this.workloadNamespaces.add(namespaceOf(loaded) ?? 'default');
      const podInput = { object, loaded, path: root, kind, ...pod };
      for (const active of podRules) this.run(active, podInput, file, loaded);
      if (containerRules.length === 0) continue;
      for (const container of containersOf(pod.spec, pod.specPath)) {
        const containerInput = { container: container.container, name: container.name, field: container.field, index: container.index, path: container.path, object, loaded, pod, kind };
        for (const active of containerRules) this.run(active, containerInput, file, loaded);
      }
    }
  }

  /** Runs the inventory rules, and decides the waiting findings, over everything evaluated so far. */
  finish(): void {
    this.settle();
    const exceptions = this.exceptions.outcome(
      (rule) => this.activeIds.some((id) => rule.test(id)),
      (id) => ruleSetting(this.config, id, {}),
    );
    this.exceptionStatuses = exceptions.statuses;
    for (const finding of exceptions.findings) this.findings.push(finding);
    this.waitingObject = undefined;
    const { perObject, inAll } = this.undecided;
    const undecided = (n: number, why: string): void => {
      if (n === 0) return;
      // Listed even past MAX_ERRORS: it says the report is incomplete.
      this.errors.push({ file: '', message: `${plural(n, 'finding')} that depend${n === 1 ? 's' : ''} on other objects ${n === 1 ? 'was' : 'were'} not decided: ${why}`, code: 'too-many-findings' });
    };
    undecided(perObject, `an object had more than ${MAX_WAITING_PER_OBJECT.toLocaleString('en-US')} of one rule`);
    const heap = this.maxWaiting === MAX_WAITING && MAX_WAITING < MAX_WAITING_CEILING ? `, as many as a JavaScript heap of ${heapMegabytes()} MB holds (node --max-old-space-size sets it)` : '';
    undecided(inAll, `more than ${this.maxWaiting.toLocaleString('en-US')} were waiting for the whole input${heap}; scan fewer files at a time`);
    const { findings, suppressed } = this.overLimit;
    if (findings + suppressed > 0) {
      const what = [findings > 0 ? plural(findings, 'finding') : '', suppressed > 0 ? plural(suppressed, 'suppressed finding') : ''].filter((t) => t !== '').join(' and ');
      // Listed even past MAX_ERRORS: it says the report is incomplete.
      this.errors.push({
        file: '',
        message: `${what} past the limit of ${this.maxFindings.toLocaleString('en-US')} ${findings + suppressed === 1 ? 'is' : 'are'} not listed (the summary counts them); scan fewer files at a time`,
        code: 'too-many-findings',
      });
    }
    if (this.unlistedErrors > 0) {
      this.errors.push({ file: '', message: `${plural(this.unlistedErrors, 'more error')} ${this.unlistedErrors === 1 ? 'is' : 'are'} not listed (at most ${MAX_ERRORS.toLocaleString('en-US')} are listed)`, code: 'too-many-errors' });
      this.unlistedErrors = 0;
    }
  }

  /** Decides the waiting findings over the whole input, adding those kept to `kept`. */
  private decide(inventory: Inventory, broken: Set<string>, kept: Kept[]): void {
    const { pending } = this;
    for (let i = 0; i < pending.length; i++) {
      const entry = pending[i];
      if (entry === undefined) continue;
      // Released as decided: most are dropped, and the whole list is the scan's largest structure.
      pending[i] = undefined;
      const { active, unless, resolve, rare } = entry;
      const rule = active.rule.id;
      if (broken.has(rule)) continue;
      try {
        const resolved = resolve !== undefined ? resolve(inventory) : unless?.(inventory) === true ? null : (entry.message as string);
        if (resolved === null) continue;
        const moved = typeof resolved === 'string' || resolved.at === undefined ? undefined : resolved.at;
        const alternative = moved === undefined ? undefined : rare?.paths?.[moved];
        const at = entry.line >= 0 ? { file: entry.file, line: entry.line, column: entry.column } : rare?.place;
        const where = alternative === undefined ? at : rare?.places?.[moved as number];
        const finding = this.finding(active, entry.object, alternative ?? entry.path, typeof resolved === 'string' ? resolved : resolved.message, rare?.severity);
        const place = where !== undefined && 'source' in where ? where : undefined;
        if (where !== undefined && place === undefined) finding.location = where as Location;
        const paths = typeof resolved === 'string' ? rare?.paths : resolved.paths.map((p) => this.paths.text(p));
        if (paths !== undefined && paths.length > 0) finding.paths = paths;
        if (active.pss !== undefined) finding.pss = active.pss;
        if (rare?.fix !== undefined) finding.fix = rare.fix;
        kept.push({ finding, at: place, scope: entry.scope });
      } catch (error) {
        broken.add(rule);
        this.addError({ file: '', message: `rule ${rule} failed: ${error instanceof Error ? error.message : String(error)}; its findings were not decided`, code: 'rule-error' });
      }
    }
    this.pending.length = 0;
  }

  private settle(): void {
    if (this.byTarget.inventory.length === 0 && this.pending.length === 0) return;
    const spots = new Map<LoadedObject, KeptSpot>(this.kept.map((k) => [k.object, k.spot]));
    const inventory = new Inventory(
      this.kept.map((k) => k.object),
      this.seen,
      this.workloadNamespaces,
      this.namespaces,
    );
    const broken = new Set<string>();
    const kept: Kept[] = [];
    this.decide(inventory, broken, kept);
    for (const active of this.byTarget.inventory) {
      try {
        const check = active.rule.check as (input: { inventory: Inventory }, ctx: RuleContext) => Iterable<InventoryViolation>;
        for (const violation of check({ inventory }, active.ctx)) {
          const spot = spots.get(violation.target);
          if (spot !== undefined) this.record(active, undefined, violation.target, violation, spot);
        }
      } catch (error) {
        this.addError({ file: '', message: `rule ${active.rule.id} failed: ${error instanceof Error ? error.message : String(error)}; it was not checked`, code: 'rule-error' });
      }
    }
    // An inventory rule's violation may also wait (`unless`, `resolve`): the inventory is complete now.
    this.decide(inventory, broken, kept);
    this.messages.clear();
    for (const entry of this.later) kept.push(entry);
    this.later.length = 0;
    const placed = this.placeAll(kept);
    for (let i = 0; i < placed.length; i++) this.keep(placed[i] as Finding, (kept[i] as { scope: SuppressionScope }).scope);
    this.texts.clear();
  }
}

/** A finding decided at the end, with where to locate it and what suppression needs. */
type Kept = { finding: Finding; at: Place | undefined; scope: SuppressionScope };

/** What few waiting findings have, kept aside. */
interface RareFields {
  severity?: Severity;
  /** Further paths, as the report writes them. */
  paths?: string[];
  /** Where each of `paths` is, for a resolution that moves the finding there. */
  places?: (Place | Location | undefined)[];
  fix?: Finding['fix'];
  /** Where it points on a kept object, to locate it at the end. */
  place?: Place;
}

/**
 * A finding that waits for the whole input: what it will say (or the resolution that writes it),
 * the predicate that may drop it, and where it points. On a large input these are the scan's
 * largest structure (a bare pod leaves several), so the location is kept as plain fields and what
 * few findings have is kept apart.
 */
class Pending {
  constructor(
    readonly active: ActiveRule,
    readonly object: Finding['object'],
    /** The path inside the object as the report writes it (a shared copy). */
    readonly path: string,
    /** The message, unless `resolve` writes its own (a shared copy). */
    readonly message: string | undefined,
    /** The violation's predicates: drop it when `unless` holds; or `resolve` decides it. */
    readonly unless: Violation['unless'],
    readonly resolve: Violation['resolve'],
    /** What exceptions need to judge it, taken from the object before it is gone. */
    readonly scope: SuppressionScope,
    /** Where it is, once located (line -1: not located, or located at the end from `rare.place`). */
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly rare: RareFields | undefined,
  ) {}
}

/**
 * Texts, one shared copy of each, holding no slice of a file's text; it stops growing at `max`
 * texts, and then copies what it lacks.
 */
class SharedTexts {
  private readonly known = new Map<string, string>();

  constructor(private readonly max: number) {}

  text(text: string): string {
    const known = this.known.get(text);
    if (known !== undefined) return known;
    const copy = detach(text);
    if (this.known.size < this.max) this.known.set(copy, copy);
    return copy;
  }

  clear(): void {
    this.known.clear();
  }
}

/** The heap's size limit in MB, as `node --max-old-space-size` sets it. */
function heapMegabytes(): string {
  return Math.round(getHeapStatistics().heap_size_limit / 2 ** 20).toLocaleString('en-US');
}

/** `1 finding`, `2,000 findings`. */
function plural(n: number, what: string): string {
  return `${n.toLocaleString('en-US')} ${what}${n === 1 ? '' : 's'}`;
}

const detachSegment = (p: string | number): string | number => (typeof p === 'string' ? detach(p) : p);

/** A path inside an object as a path inside its document, holding no slice of the file's text. */
function fullPath(object: LoadedObject, path: Path): Path {
  return (object.prefix.length === 0 ? path : [...object.prefix, ...path]).map(detachSegment);
}

/** How findings on a kept object are located: by its nodes' positions, or by its document, read again at the end. */
interface KeptSpot {
  positions: ObjectPositions | undefined;
  origin: Origin | undefined;
}

/**
 * Where a finding is: located now in the file at hand, or on a kept object (`spot`) from its
 * positions; else where to locate it at the end by reading its file again; or nowhere (no text).
 */
function placeOf(file: LoadedFile | undefined, object: LoadedObject, path: Path, spot: KeptSpot | undefined): Location | Place | undefined {
  if (spot === undefined) return file === undefined ? undefined : locateIn(file, object, path);
  if (spot.positions !== undefined) return { file: object.source.file, ...locatePositions(spot.positions, object.object, path) };
  const { origin } = spot;
  return origin === undefined ? undefined : { source: object.source, path: fullPath(object, path), hash: origin.hash, reread: origin.reread };
}

/** Where a kept object's document is: its file can be read again, or its text is held by the engine. */
interface Origin {
  reread: boolean;
  /** Hash of the document's text, to tell whether the file changed since. */
  hash: number;
}

/** What decides whether an exception or annotation suppresses a finding, besides its rule and object. */
interface SuppressionScope {
  /** The reason of the object's `mamori.io/ignore.<rule>` annotation. */
  annotation: string | undefined;
  /**
   * The containers the finding's paths point into, when exceptions name containers (undefined
   * when one of its paths points into none).
   */
  containers: readonly string[] | undefined;
}

/** The scope of most findings: no annotation, no container asked for. */
const NO_SCOPE: SuppressionScope = { annotation: undefined, containers: undefined };

/** Where a waiting finding points: its document, the path inside it, and a hash of the document's text. */
interface Place {
  source: SourceDocument;
  path: Path;
  hash: number;
  /** The file can be read again; otherwise its text is held by the engine. */
  reread: boolean;
}

/**
 * FNV-1a over the length of a range of a text and up to 1,024 of its characters spread over it:
 * tells, cheaply, whether a document is still the one that was scanned.
 */
function textHash(text: string, start: number, end: number): number {
  const step = Math.max(1, Math.floor((end - start) / 1024));
  let hash = Math.imul(0x811c9dc5 ^ (end - start), 0x01000193);
  for (let i = start; i < end; i += step) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** A finding with its location, written in the order `record` writes a finding's fields (that of the JSON contract). */
function withLocation(finding: Finding, at: Location): Finding {
  const { location: _, paths, pss, fix, ...head } = finding;
  const out: Finding = { ...head, location: at };
  if (paths !== undefined) out.paths = paths;
  if (pss !== undefined) out.pss = pss;
  if (fix !== undefined) out.fix = fix;
  return out;
}

/** A copy of parsed YAML whose strings no longer hold the file text they were sliced from. */
function copyJson(value: JsonObject): JsonObject;
function copyJson(value: JsonValue): JsonValue;
function copyJson(value: JsonValue): JsonValue {
  if (typeof value === 'string') return detach(value);
  if (Array.isArray(value)) return value.map(copyJson);
  if (value !== null && typeof value === 'object') {
    const out: JsonObject = {};
    for (const key of Object.keys(value)) {
      const copy = copyJson(value[key] as JsonValue);
      // `__proto__` is an ordinary key in YAML: define it, do not set the prototype.
      if (key === '__proto__') Object.defineProperty(out, key, { value: copy, enumerable: true, writable: true, configurable: true });
      else out[detach(key)] = copy;
    }
    return out;
  }
  return value;
}

/** Scans files and directories (or `-` for stdin), streaming one file at a time. */
export function scanPaths(paths: readonly string[], options: ScanOptions): Report {
  const engine = new Engine(options);
  const { inputs, errors } = resolveInputs(paths, { skipNonManifests: options.skipNonManifests === true });
  for (const error of errors) engine.addError(error);
  let objects = 0;
  for (const input of inputs) {
    const file = loadInput(input, options.limits ?? DEFAULT_LIMITS);
    objects += file.objects.length;
    engine.evaluate(file);
  }
  engine.finish();
  return buildReport(engine, { files: inputs.length, objects });
}

/** Scans texts held in memory (for the library API and tests). */
export function scanTexts(sources: readonly { file: string; text: string; walked?: boolean }[], options: ScanOptions): Report {
  const engine = new Engine(options);
  let objects = 0;
  for (const source of sources) {
    // A file found by walking a directory that holds no manifest is passed over (`loadText`).
    const file = loadText(source.file, source.text, options.limits ?? DEFAULT_LIMITS, source.walked === true ? { walked: true } : {});
    objects += file.objects.length;
    engine.evaluate(file);
  }
  engine.finish();
  return buildReport(engine, { files: sources.length, objects });
}


/**
 * Scans Kubernetes objects already parsed (an admission request's object, a cluster's live
 * objects): no text, so findings carry no location. `file` names where they came from in errors.
 * Objects without a string apiVersion and kind, or nested deeper than the limit (`limits.maxDepth`, 128
 * levels, as for text), are reported as errors, the others still scanned.
 */
export function scanObjects(objects: readonly JsonObject[], options: ScanOptions, file = '<objects>'): Report {
  const engine = new Engine(options);
  const loaded: LoadedObject[] = [];
  const errors: ReportError[] = [];
  const { maxDepth } = options.limits ?? DEFAULT_LIMITS;
  objects.forEach((object, document) => {
    if (typeof object['apiVersion'] !== 'string' || typeof object['kind'] !== 'string' || object['kind'] === '') {
      errors.push({ file, message: `object ${document + 1} is not a Kubernetes object (it needs apiVersion and kind)`, code: 'not-kubernetes' });
      return;
    }
    // As for text: the checks, and the copies kept for the inventory, walk objects recursively.
    if (nestedDeeperThan(object, maxDepth)) {
      errors.push({ file, message: `object ${document + 1} is nested deeper than ${maxDepth} levels`, code: 'too-deep' });
      return;
    }
    loaded.push({ object, ref: objectRef(object), source: { file, document, line: 0, start: 0, end: 0 }, prefix: [] });
  });
  engine.evaluate({ file, objects: loaded, errors, locator: undefined });
  engine.finish();
  return buildReport(engine, { files: 0, objects: loaded.length });
}
