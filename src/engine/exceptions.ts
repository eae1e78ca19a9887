import { MamoriError } from '../errors.js';
import { compileGlob, type Glob } from './glob.js';
import { asArray, asObject, asString, isObject } from '../k8s/object.js';
import type { ExceptionStatus, Finding, JsonObject, Location, ObjectRef, Path, SuppressionKind } from '../types.js';

/*
 * Accepting a risk on purpose. An exception of the configuration names a rule and narrows it to
 * namespaces, kinds, names and containers (globs), with a required reason and an optional end
 * date; the annotation `mamori.io/ignore.<rule-id>: "<reason>"` does the same for one object.
 * Suppressed findings stay in every report, marked as such. An exception past its date
 * suppresses nothing and is itself a finding; one that matched nothing is reported as stale.
 */

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
}

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
      const compiled: Compiled = { spec, index, rule: compileGlob(spec.rule), prefix: '', expired, matched: 0 };
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
   * The exception in force that suppresses a finding of `ruleId` on `ref` in `container` (the
   * container its path points into, if any), counting every match, expired or not.
   */
  match(ruleId: string, ref: ObjectRef, container: string | undefined): Suppression | undefined {
    const { byPrefix, lengths, anyName } = this.ofRule(ruleId);
    let first: Compiled | undefined;
    const consider = (list: readonly Compiled[]): void => {
      for (const e of list) {
        if (e.kind !== undefined && e.kind !== ref.kind) continue;
        if (e.namespace !== undefined && !e.namespace.test(ref.namespace ?? '')) continue;
        if (e.name !== undefined && !e.name.test(ref.name)) continue;
        if (e.container !== undefined && (container === undefined || !e.container.test(container))) continue;
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

  /** Each exception with its status; `active` tells which rules ran (an exception of a rule that did not run is not stale). */
  statuses(active: (rule: Glob) => boolean): ExceptionStatus[] {
    return this.list.map((e) => {
      const { spec } = e;
      const status: ExceptionStatus['status'] = e.expired ? 'expired' : e.matched === 0 && active(e.rule) ? 'stale' : 'active';
      const out: ExceptionStatus = { rule: spec.rule, reason: spec.reason, status, matched: e.matched };
      for (const key of ['namespace', 'kind', 'name', 'container', 'expires'] as const) {
        const v = spec[key];
        if (v !== undefined) out[key] = v;
      }
      if (spec.location !== undefined) out.location = spec.location;
      return out;
    });
  }
}

/** What an exception covers, in words: `rule X in namespace Y, kind Z, name W, container V`. */
export function describeException(e: ExceptionStatus): string {
  const scope = (['namespace', 'kind', 'name', 'container'] as const).filter((k) => e[k] !== undefined).map((k) => `${k} ${JSON.stringify(e[k])}`);
  return `rule ${JSON.stringify(e.rule)}${scope.length > 0 ? ` (${scope.join(', ')})` : ''}`;
}

/** The pseudo-object findings about exceptions are reported on. */
export function exceptionRef(index: number): ObjectRef {
  return { apiVersion: 'mamori.io/v1', kind: 'Exception', name: `exceptions[${index}]` };
}

/** Findings about the configuration's exceptions: expired ones, and stale ones. */
export function exceptionFindings(statuses: readonly ExceptionStatus[]): Finding[] {
  const out: Finding[] = [];
  statuses.forEach((e, i) => {
    if (e.status === 'active') return;
    const expired = e.status === 'expired';
    const finding: Finding = {
      ruleId: expired ? 'exception-expired' : 'exception-stale',
      title: expired ? 'Exception past its expiry date' : 'Exception that matches nothing',
      severity: expired ? 'medium' : 'info',
      controls: ['DEV-1'],
      phase: 'develop',
      object: exceptionRef(i),
      path: `exceptions[${i}]`,
      message: expired
        ? `the exception for ${describeException(e)} expired on ${e.expires ?? ''}; it no longer suppresses its ${e.matched === 1 ? 'finding' : `${e.matched} findings`}, which are reported again. Fix them, or renew the exception with a new reason and date`
        : `the exception for ${describeException(e)} suppressed no finding in this scan: the risk it accepted may be gone (remove it), or it is written too narrowly`,
    };
    if (e.location !== undefined) finding.location = e.location;
    out.push(finding);
  });
  return out;
}
