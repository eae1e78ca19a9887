import { MamoriError } from '../errors.js';
import { compileGlob, type Glob } from './glob.js';
import { asArray, asObject, asString, isObject } from '../k8s/object.js';
import { isClusterScoped } from '../k8s/scope.js';
import type { ExceptionStatus, Finding, JsonObject, Location, ObjectRef, Path, Severity, SuppressionKind } from '../types.js';

/*
 * Accepting a risk on purpose. An exception of the configuration names a rule and narrows it to
 * namespaces, kinds, names and containers (globs), with a required reason and an optional end
 * date; the annotation `mamori.io/ignore.<rule-id>: "<reason>"` does the same for one object.
 * Suppressed findings stay in every report, marked as such. An exception past its date
 * suppresses nothing and is itself a finding; one that matched nothing is reported as stale.
 */

/**
 * The rules of the findings about exceptions. The engine writes them (they check the
 * configuration, not manifests), so they are not in the catalog; the configuration can turn
 * them off or change their severity, and `--skip-rules` skips them, as for any rule.
 */
export const EXCEPTION_RULES = {
  expired: { id: 'exception-expired', title: 'Exception past its expiry date', severity: 'medium' },
  stale: { id: 'exception-stale', title: 'Exception that matches nothing', severity: 'info' },
} as const satisfies Record<string, { id: string; title: string; severity: Severity }>;

/** The ids of the findings about exceptions. */
export const EXCEPTION_RULE_IDS: readonly string[] = Object.values(EXCEPTION_RULES).map((r) => r.id);

/** How the configuration sets one of `EXCEPTION_RULES` (`rules: { exception-stale: off }`). */
export interface ExceptionRuleSetting {
  enabled: boolean | undefined;
  severity: Severity | undefined;
}

const EXCEPTION_API_VERSION = 'mamori.io/v1';

/** The pseudo-object findings about exceptions are reported on. */
export function exceptionRef(index: number): ObjectRef {
  return { apiVersion: EXCEPTION_API_VERSION, kind: 'Exception', name: `exceptions[${index}]` };
}

/** True for a finding about an exception of the configuration (not about a manifest). */
export function isExceptionFinding(finding: Finding): boolean {
  return finding.object.kind === 'Exception' && finding.object.apiVersion === EXCEPTION_API_VERSION;
}

/** One exception of the configuration, validated. */
export interface ExceptionSpec {
  rule: string;
  namespace?: string;
  kind?: string;
  name?: string;
  container?: string;
  reason: string;
  /** YYYY-MM-DD: in force through the end of that day (UTC). */
  expires?: string;
  /** Where it is written, for findings about the exception itself. */
  location?: Location;
}

const KEYS = new Set(['rule', 'namespace', 'kind', 'name', 'container', 'reason', 'expires']);
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function fail(file: string, key: string, message: string): never {
  throw new MamoriError('config', `${key}: ${message}`, { file });
}

/** True for a real calendar date written YYYY-MM-DD. */
function isDate(text: string): boolean {
  const m = DATE.exec(text);
  if (m === null) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/**
 * Validates the `exceptions` list of the configuration. Every key is checked; `rule` must match a
 * rule of the catalog (an id, a glob, or `policy:<name>`), `reason` must say something.
 */
export function parseExceptions(value: unknown, file: string, ruleIds: readonly string[], locate?: (path: Path) => Location | undefined): ExceptionSpec[] {
  if (!Array.isArray(value)) fail(file, 'exceptions', 'must be a list of exceptions, each with rule and reason');
  return value.map((item, i) => {
    const at = `exceptions[${i}]`;
    if (!isObject(item)) fail(file, at, 'must be a mapping with rule, reason and optional namespace, kind, name, container, expires');
    for (const key of Object.keys(item)) {
      if (!KEYS.has(key)) fail(file, `${at}.${key}`, `unknown key (known: ${[...KEYS].join(', ')})`);
    }
    const text = (key: string, required: boolean): string | undefined => {
      const v = item[key];
      if (v === undefined || v === null) {
        if (required) fail(file, `${at}.${key}`, 'is required');
        return undefined;
      }
      if (typeof v !== 'string' || v.trim() === '') fail(file, `${at}.${key}`, 'must be a non-empty string');
      return v;
    };
    const rule = text('rule', true) as string;
    if (!rule.startsWith('policy:')) {
      const pattern = compileGlob(rule);
      if (!ruleIds.some((id) => pattern.test(id))) fail(file, `${at}.rule`, `"${rule}" matches no rule (see \`mamori rules\`)`);
    }
    const spec: ExceptionSpec = { rule, reason: (text('reason', true) as string).trim() };
    for (const key of ['namespace', 'kind', 'name', 'container'] as const) {
      const v = text(key, false);
      if (v !== undefined) spec[key] = v;
    }
    const expires = item['expires'];
    if (expires !== undefined && expires !== null) {
      const date = expires instanceof Date ? expires.toISOString().slice(0, 10) : expires;
      if (typeof date !== 'string' || !isDate(date)) fail(file, `${at}.expires`, 'must be a date written YYYY-MM-DD');
      spec.expires = date;
    }
    const location = locate?.(['exceptions', i]);
    if (location !== undefined) spec.location = location;
    return spec;
  });
}

/** Why a finding is suppressed. */
export interface Suppression {
  by: SuppressionKind;
  reason: string;
  expires?: string;
}

/** Prefix of the annotations that suppress one rule on one object. */
export const IGNORE_PREFIX = 'mamori.io/ignore.';

/**
 * The reason an object's annotation gives for ignoring a rule, if it gives one. `key` is the
 * rule's annotation, `IGNORE_PREFIX` and its id (the engine makes it once per rule).
 */
export function annotationReason(object: JsonObject, ruleId: string, key = IGNORE_PREFIX + ruleId): string | undefined {
  const annotations = asObject(asObject(object['metadata'])?.['annotations']);
  if (annotations === undefined) return undefined;
  const reason = asString(annotations[key])?.trim();
  return reason === undefined || reason === '' ? undefined : reason;
}

const CONTAINER_FIELDS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

/** The name of the container a path inside an object points into, if it does. */
export function containerAt(object: JsonObject, path: Path): string | undefined {
  let node: unknown = object;
  for (let i = 0; i < path.length; i++) {
    const step = path[i] as string | number;
    if (typeof step === 'string' && CONTAINER_FIELDS.has(step) && typeof path[i + 1] === 'number') {
      const container = asObject(asArray(asObject(node)?.[step])[path[i + 1] as number]);
      return asString(container?.['name']);
    }
    node = Array.isArray(node) ? node[step as number] : asObject(node)?.[step as string];
    if (node === undefined) return undefined;
  }
  return undefined;
}

/**
 * The containers a finding points into, by its path and further paths (each name once), or
 * undefined when none points into a container (a field of the pod, a volume). Paths outside the
 * containers are left out: in a finding that names containers they are the pod-level place of a
 * remedy (`runAsNonRoot` may be set for the whole pod), not another place of the problem.
 */
export function containersAt(object: JsonObject, path: Path, more: readonly Path[] = []): string[] | undefined {
  const names = new Set<string>();
  for (const p of [path, ...more]) {
    const name = containerAt(object, p);
    if (name !== undefined) names.add(name);
  }
  return names.size === 0 ? undefined : [...names];
}

interface Compiled {
  spec: ExceptionSpec;
  /** Its place in the configuration: the first exception in force that matches suppresses. */
  index: number;
  rule: Glob;
  namespace?: Glob;
  kind?: string;
  name?: Glob;
  /** The text every name it matches starts with: its name up to the first wildcard ('' for none). */
  prefix: string;
  container?: Glob;
  expired: boolean;
  matched: number;
  /** Findings it matched but for their containers: they point into one it names and into others, so it did not suppress them. */
  partly: number;
  /** A few names of those other containers, for the finding about the exception. */
  others: Set<string>;
}

/** The most names of containers left out that the finding about an exception quotes. */
const MAX_OTHERS = 5;

/**
 * The exceptions of one rule, by the text their name starts with: a finding is tried only against
 * those whose name can match its object's, so thousands of exceptions do not multiply the cost of
 * every finding.
 */
interface RuleExceptions {
  /** By `prefix`, for those that have one; `lengths` are the lengths of those prefixes, ascending. */
  byPrefix: Map<string, Compiled[]>;
  lengths: number[];
  /** Those without a name, or whose name starts with a wildcard: tried on every finding. */
  anyName: Compiled[];
}

/** The exceptions of a scan: which findings they suppress, and what became of each. */
export class Exceptions {
  private readonly list: Compiled[];

  /** The exceptions of each rule met so far (see `RuleExceptions`). */
  private readonly byRule = new Map<string, RuleExceptions>();

  constructor(specs: readonly ExceptionSpec[], now: Date) {
    this.list = specs.map((spec, index) => {
      const expired = spec.expires !== undefined && now.getTime() >= Date.parse(`${spec.expires}T00:00:00Z`) + 86_400_000;
      const compiled: Compiled = { spec, index, rule: compileGlob(spec.rule), prefix: '', expired, matched: 0, partly: 0, others: new Set() };
      if (spec.namespace !== undefined) compiled.namespace = compileGlob(spec.namespace);
      if (spec.kind !== undefined) compiled.kind = spec.kind;
      if (spec.name !== undefined) {
        compiled.name = compileGlob(spec.name);
        const wildcard = spec.name.search(/[*?]/);
        compiled.prefix = wildcard === -1 ? spec.name : spec.name.slice(0, wildcard);
      }
      if (spec.container !== undefined) compiled.container = compileGlob(spec.container);
      return compiled;
    });
    this.needsContainer = this.list.some((e) => e.container !== undefined);
  }

  /** The exceptions whose rule matches `ruleId`, indexed (computed once per rule). */
  private ofRule(ruleId: string): RuleExceptions {
    let known = this.byRule.get(ruleId);
    if (known === undefined) {
      known = { byPrefix: new Map(), lengths: [], anyName: [] };
      const lengths = new Set<number>();
      for (const e of this.list) {
        if (!e.rule.test(ruleId)) continue;
        if (e.prefix === '') {
          known.anyName.push(e);
          continue;
        }
        const list = known.byPrefix.get(e.prefix);
        if (list !== undefined) list.push(e);
        else {
          known.byPrefix.set(e.prefix, [e]);
          lengths.add(e.prefix.length);
        }
      }
      known.lengths = [...lengths].sort((a, b) => a - b);
      this.byRule.set(ruleId, known);
    }
    return known;
  }

  get empty(): boolean {
    return this.list.length === 0;
  }

  /** Some exception is narrowed to containers (asked for every finding: computed once). */
  readonly needsContainer: boolean;

  /**
   * The exception in force that suppresses a finding of `ruleId` on `ref`, counting every match,
   * expired or not. `containers` are the containers the finding's paths point into (undefined
   * when one of them points into none, like a field of the pod): an exception that names a
   * container matches only when it names every one of them, since the finding stays one (the
   * Pod Security Standards word one message for all the containers of a pod).
   */
  match(ruleId: string, ref: ObjectRef, containers: readonly string[] | undefined): Suppression | undefined {
    const { byPrefix, lengths, anyName } = this.ofRule(ruleId);
    const namespace = namespaceOfRef(ref);
    let first: Compiled | undefined;
    const consider = (list: readonly Compiled[]): void => {
      for (const e of list) {
        if (e.kind !== undefined && e.kind !== ref.kind) continue;
        if (e.namespace !== undefined && !e.namespace.test(namespace)) continue;
        if (e.name !== undefined && !e.name.test(ref.name)) continue;
        if (e.container !== undefined && !coversContainers(e, containers)) continue;
        e.matched++;
        if (!e.expired && (first === undefined || e.index < first.index)) first = e;
      }
    };
    consider(anyName);
    for (const length of lengths) {
      if (length > ref.name.length) break;
      const list = byPrefix.get(ref.name.slice(0, length));
      if (list !== undefined) consider(list);
    }
    if (first === undefined) return undefined;
    const found: Suppression = { by: 'exception', reason: first.spec.reason };
    if (first.spec.expires !== undefined) found.expires = first.spec.expires;
    return found;
  }

  /**
   * Each exception with its status, and the findings about them, once the scan is done. `ran`
   * tells whether some rule an exception names ran: an exception of rules that did not run is
   * not stale, and neither its expiry nor its staleness is a finding (the scan did not look at
   * what it accepts). `settings` are the configuration's for `EXCEPTION_RULES`.
   */
  outcome(ran: (rule: Glob) => boolean, settings: (id: string) => ExceptionRuleSetting): { statuses: ExceptionStatus[]; findings: Finding[] } {
    const statuses: ExceptionStatus[] = [];
    const findings: Finding[] = [];
    const expiredRule = settings(EXCEPTION_RULES.expired.id);
    const staleRule = settings(EXCEPTION_RULES.stale.id);
    for (const e of this.list) {
      const { spec } = e;
      const running = ran(e.rule);
      const status: ExceptionStatus['status'] = e.expired ? 'expired' : e.matched === 0 && running ? 'stale' : 'active';
      const out: ExceptionStatus = { rule: spec.rule, reason: spec.reason, status, matched: e.matched };
      for (const key of ['namespace', 'kind', 'name', 'container', 'expires'] as const) {
        const v = spec[key];
        if (v !== undefined) out[key] = v;
      }
      if (spec.location !== undefined) out.location = spec.location;
      statuses.push(out);
      const setting = e.expired ? expiredRule : staleRule;
      if (status === 'active' || !running || setting.enabled === false) continue;
      findings.push(exceptionFinding(e, out, setting.severity));
    }
    return { statuses, findings };
  }
}

/**
 * The namespace an exception sees an object in: its `metadata.namespace`, or `default` when a
 * namespaced object has none (it is created there, and PolicyReports and the RBAC rules place it
 * there); '' for cluster-scoped objects, whatever namespace their manifest writes (the API server
 * clears it, and a namespace's owners must not accept a cluster-wide grant).
 */
function namespaceOfRef(ref: ObjectRef): string {
  if (isClusterScoped(ref.kind)) return '';
  return ref.namespace === undefined || ref.namespace === '' ? 'default' : ref.namespace;
}

/**
 * Whether an exception's `container` covers a finding pointing into `containers`; counts, on the
 * exception, a finding it covers in part (see `Compiled.partly`).
 */
function coversContainers(e: Compiled, containers: readonly string[] | undefined): boolean {
  const glob = e.container;
  if (glob === undefined) return true;
  if (containers === undefined || containers.length === 0) return false;
  const others = containers.filter((c) => !glob.test(c));
  if (others.length === 0) return true;
  if (others.length < containers.length) {
    e.partly++;
    for (const name of others) if (e.others.size < MAX_OTHERS) e.others.add(name);
  }
  return false;
}

/** What an exception covers, in words: `rule X in namespace Y, kind Z, name W, container V`. */
export function describeException(e: ExceptionStatus): string {
  const scope = (['namespace', 'kind', 'name', 'container'] as const).filter((k) => e[k] !== undefined).map((k) => `${k} ${JSON.stringify(e[k])}`);
  return `rule ${JSON.stringify(e.rule)}${scope.length > 0 ? ` (${scope.join(', ')})` : ''}`;
}

/** The finding about an expired or stale exception, pointing at the exception in the configuration. */
function exceptionFinding(e: Compiled, status: ExceptionStatus, severity: Severity | undefined): Finding {
  const expired = status.status === 'expired';
  const rule = expired ? EXCEPTION_RULES.expired : EXCEPTION_RULES.stale;
  const what = `the exception for ${describeException(status)}`;
  const n = e.matched;
  let message: string;
  if (expired && n > 0) {
    const them = n === 1 ? 'its finding, which is' : `its ${n} findings, which are`;
    message = `${what} expired on ${status.expires ?? ''}; it no longer suppresses ${them} reported again. Fix ${n === 1 ? 'it' : 'them'}, or renew the exception with a new reason and date`;
  } else if (expired) message = `${what} expired on ${status.expires ?? ''} and matched no finding in this scan: remove it`;
  else if (e.partly > 0) {
    const some = e.partly === 1 ? 'a finding of its rule points' : `${e.partly} findings of its rule point`;
    const others = [...e.others].map((c) => JSON.stringify(c)).join(', ') + (e.others.size === MAX_OTHERS ? ' and more' : '');
    message = `${what} suppressed no finding in this scan: ${some} into container ${JSON.stringify(status.container)} and also into ${others}, and an exception that names a container suppresses a finding only when it names every container the finding points into. Name those containers too (a glob such as "*" names all), or fix them`;
  } else message = `${what} suppressed no finding in this scan: the risk it accepted may be gone (remove it), or it is written too narrowly`;
  const finding: Finding = {
    ruleId: rule.id,
    title: rule.title,
    severity: severity ?? rule.severity,
    controls: ['DEV-1'],
    phase: 'develop',
    object: exceptionRef(e.index),
    path: `exceptions[${e.index}]`,
    message,
  };
  if (status.location !== undefined) finding.location = status.location;
  return finding;
}
