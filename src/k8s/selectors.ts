/**
 * Kubernetes label selectors, evaluated exactly as the API server and controllers do
 * (`metav1.LabelSelectorAsSelector`, `labels.SelectorFromSet`), plus an index that finds the
 * selectors matching a label set without testing every selector.
 */
import { asArray, asObject, asString, isObject } from './object.js';

/** The operators of `matchExpressions`. */
export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

/** One requirement of a selector; `matchLabels` entries become `In` with one value. */
export interface Requirement {
  key: string;
  operator: SelectorOperator;
  values: ReadonlySet<string>;
}

/** A parsed label selector. */
export interface LabelSelector {
  /** Matches every label set: the empty selector `{}`. */
  readonly everything: boolean;
  /** Matches no label set: an absent selector where absence means nothing, or an invalid one. */
  readonly nothing: boolean;
  /** All must hold (AND); empty when `everything` or `nothing`. */
  readonly requirements: readonly Requirement[];
  /** Why Kubernetes would reject the selector; such a selector matches nothing. */
  readonly error?: string;
}

/** A set of labels: the labels of a pod, a namespace, a role. */
export type LabelSet = ReadonlyMap<string, string>;

/** What an absent (`null` or missing) selector means where it is read. */
export type AbsentSelector = 'everything' | 'nothing';

const EVERYTHING: LabelSelector = { everything: true, nothing: false, requirements: [] };
const NOTHING: LabelSelector = { everything: false, nothing: true, requirements: [] };
const OPERATORS: ReadonlySet<string> = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

function invalid(error: string): LabelSelector {
  return { everything: false, nothing: true, requirements: [], error };
}

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** True for a valid label key: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
export function isValidLabelKey(key: string): boolean {
  const slash = key.indexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (name.length === 0 || name.length > 63 || !NAME.test(name)) return false;
  if (slash < 0) return true;
  const prefix = key.slice(0, slash);
  return prefix.length > 0 && prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix);
}

/** True for a valid label value: empty, or at most 63 alphanumerics, `-`, `_`, `.`, starting and ending alphanumeric. */
export function isValidLabelValue(value: string): boolean {
  return value === '' || (value.length <= 63 && NAME.test(value));
}

/**
 * Parses a `LabelSelector` (`matchLabels` and `matchExpressions`, ANDed). `{}` matches everything;
 * an absent selector means what the field says (`absent`). A selector Kubernetes would reject
 * (bad operator, values where none are allowed, an invalid key, a value that is not a string)
 * matches nothing and carries the reason in `error`.
 */
export function parseLabelSelector(value: unknown, absent: AbsentSelector = 'nothing'): LabelSelector {
  if (value === undefined || value === null) return absent === 'everything' ? EVERYTHING : NOTHING;
  if (!isObject(value)) return invalid('the selector is not an object');
  const requirements: Requirement[] = [];
  const matchLabels = value['matchLabels'];
  if (matchLabels !== undefined && matchLabels !== null) {
    if (!isObject(matchLabels)) return invalid('matchLabels is not a map');
    for (const [key, v] of Object.entries(matchLabels)) {
      if (!isValidLabelKey(key)) return invalid(`matchLabels key "${key}" is not a valid label key`);
      if (typeof v !== 'string') return invalid(`matchLabels value of "${key}" is not a string`);
      if (!isValidLabelValue(v)) return invalid(`matchLabels value of "${key}" is not a valid label value`);
      requirements.push({ key, operator: 'In', values: new Set([v]) });
    }
  }
  const expressions = value['matchExpressions'];
  if (expressions !== undefined && expressions !== null) {
    if (!Array.isArray(expressions)) return invalid('matchExpressions is not a list');
    for (const [i, raw] of expressions.entries()) {
      const expression = asObject(raw);
      const key = asString(expression?.['key']);
      const operator = asString(expression?.['operator']);
      if (key === undefined || !isValidLabelKey(key)) return invalid(`matchExpressions[${i}].key is not a valid label key`);
      if (operator === undefined || !OPERATORS.has(operator)) return invalid(`matchExpressions[${i}].operator must be In, NotIn, Exists or DoesNotExist`);
      const rawValues = expression?.['values'];
      if (rawValues !== undefined && rawValues !== null && !Array.isArray(rawValues)) return invalid(`matchExpressions[${i}].values is not a list`);
      const values = asArray(rawValues);
      if (values.some((v) => typeof v !== 'string')) return invalid(`matchExpressions[${i}].values must be strings`);
      const set = new Set(values as string[]);
      if ((operator === 'In' || operator === 'NotIn') && set.size === 0) return invalid(`matchExpressions[${i}] with operator ${operator} needs values`);
      if ((operator === 'Exists' || operator === 'DoesNotExist') && set.size > 0) return invalid(`matchExpressions[${i}] with operator ${operator} must have no values`);
      requirements.push({ key, operator: operator as SelectorOperator, values: set });
    }
  }
  return requirements.length === 0 ? EVERYTHING : { everything: false, nothing: false, requirements };
}

/**
 * Parses a plain map selector (a Service's `spec.selector`, `nodeSelector`): every pair must be
 * present. An absent or empty map means what the field says (`empty`): a Service without a
 * selector selects no pods. Non-string values make it invalid.
 */
export function parseSelectorMap(value: unknown, empty: AbsentSelector = 'nothing'): LabelSelector {
  if (value === undefined || value === null) return empty === 'everything' ? EVERYTHING : NOTHING;
  if (!isObject(value)) return invalid('the selector is not a map');
  const requirements: Requirement[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (!isValidLabelKey(key)) return invalid(`selector key "${key}" is not a valid label key`);
    if (typeof v !== 'string') return invalid(`selector value of "${key}" is not a string`);
    requirements.push({ key, operator: 'In', values: new Set([v]) });
  }
  if (requirements.length === 0) return empty === 'everything' ? EVERYTHING : NOTHING;
  return { everything: false, nothing: false, requirements };
}

/** True when the label set satisfies the selector. */
export function matchesSelector(selector: LabelSelector, labels: LabelSet): boolean {
  if (selector.everything) return true;
  if (selector.nothing) return false;
  for (const r of selector.requirements) {
    const value = labels.get(r.key);
    switch (r.operator) {
      case 'In':
        if (value === undefined || !r.values.has(value)) return false;
        break;
      case 'NotIn':
        if (value !== undefined && r.values.has(value)) return false;
        break;
      case 'Exists':
        if (value === undefined) return false;
        break;
      case 'DoesNotExist':
        if (value !== undefined) return false;
        break;
    }
  }
  return true;
}

/** The string-valued labels of a `labels` map (e.g. `metadata.labels`); other values are ignored. */
export function labelSetOf(labels: unknown): Map<string, string> {
  const out = new Map<string, string>();
  const map = asObject(labels);
  if (map === undefined) return out;
  for (const [k, v] of Object.entries(map)) if (typeof v === 'string') out.set(k, v);
  return out;
}

/** A canonical string for a label set: equal sets give equal keys (to evaluate each distinct set once). */
export function labelSetKey(labels: LabelSet): string {
  const entries: string[] = [];
  for (const [k, v] of labels) entries.push(`${k}\u0001${v}`);
  return entries.sort().join('\u0000');
}

/**
 * The longest rendering of a selector: a longer one is cut there and ends with `…`. Messages
 * quote the selector, and a hostile object repeats a selector of thousands of labels in each of
 * thousands of findings (a PeerAuthentication's ports, a NetworkPolicy's rules), which would
 * otherwise make an output quadratic in its size.
 */
const MAX_SELECTOR_TEXT = 1000;

/** Renders a selector the way `kubectl` prints one: `app=web,tier in (a,b),!debug` (cut at `MAX_SELECTOR_TEXT`). */
export function formatSelector(selector: LabelSelector): string {
  if (selector.everything) return '{} (everything)';
  if (selector.nothing) return selector.error === undefined ? '(nothing)' : `(invalid: ${selector.error})`;
  let out = '';
  for (const piece of selectorPieces(selector)) {
    out += piece.length > MAX_SELECTOR_TEXT ? piece.slice(0, MAX_SELECTOR_TEXT + 1) : piece;
    if (out.length > MAX_SELECTOR_TEXT) return `${out.slice(0, MAX_SELECTOR_TEXT)}…`;
  }
  return out;
}

/** The text of a selector in pieces, so that its rendering stops as soon as it is long enough. */
function* selectorPieces(selector: LabelSelector): Generator<string> {
  for (const [i, r] of selector.requirements.entries()) {
    if (i > 0) yield ',';
    switch (r.operator) {
      case 'In':
        if (r.values.size === 1) {
          yield `${r.key}=`;
          for (const v of r.values) yield v;
          break;
        }
        yield `${r.key} in (`;
        yield* joined(r.values);
        yield ')';
        break;
      case 'NotIn':
        yield `${r.key} notin (`;
        yield* joined(r.values);
        yield ')';
        break;
      case 'Exists':
        yield r.key;
        break;
      case 'DoesNotExist':
        yield `!${r.key}`;
        break;
      default:
        yield r.key;
    }
  }
}

function* joined(values: Iterable<string>): Generator<string> {
  let first = true;
  for (const v of values) {
    if (!first) yield ',';
    first = false;
    yield v;
  }
}

interface Entry<T> {
  selector: LabelSelector;
  item: T;
  order: number;
}

/**
 * Finds the selectors that match a label set without testing every selector. Each selector is
 * filed under one label it cannot match without: a `key=value` pair of an `In` requirement (one
 * bucket per value), else the key of an `Exists` requirement; only selectors made of `NotIn` and
 * `DoesNotExist` alone are tested against every label set. A lookup thus visits the buckets of the
 * set's own labels, and the index costs O(labels) per lookup instead of O(selectors).
 * Selectors that match everything are kept apart (`everything`) so callers can decide on them once.
 */
export class SelectorIndex<T> {
  private readonly all: T[] = [];
  private readonly byPair = new Map<string, Entry<T>[]>();
  private readonly byKey = new Map<string, Entry<T>[]>();
  private readonly general: Entry<T>[] = [];
  private count = 0;

  /** Items whose selector is the empty selector (matches every label set), in insertion order. */
  get everything(): readonly T[] {
    return this.all;
  }

  /** Files an item under its selector; selectors that match nothing are dropped. */
  add(selector: LabelSelector, item: T): void {
    if (selector.nothing) return;
    if (selector.everything) {
      this.all.push(item);
      return;
    }
    const entry: Entry<T> = { selector, item, order: this.count++ };
    let anchor: Requirement | undefined;
    for (const r of selector.requirements) {
      if (r.operator === 'In' && (anchor === undefined || anchor.operator !== 'In' || r.values.size < anchor.values.size)) anchor = r;
      else if (r.operator === 'Exists' && anchor === undefined) anchor = r;
    }
    if (anchor === undefined) this.general.push(entry);
    else if (anchor.operator === 'Exists') push(this.byKey, anchor.key, entry);
    else for (const v of anchor.values) push(this.byPair, `${anchor.key}\u0000${v}`, entry);
  }

  /**
   * Items whose (non-empty) selector matches the labels, in insertion order. Items under the
   * empty selector are not included: read `everything` for those.
   */
  matchingSpecific(labels: LabelSet): T[] {
    const hits: Entry<T>[] = [];
    for (const entry of this.general) if (matchesSelector(entry.selector, labels)) hits.push(entry);
    for (const [k, v] of labels) {
      const pair = this.byPair.get(`${k}\u0000${v}`);
      if (pair !== undefined) for (const entry of pair) if (matchesSelector(entry.selector, labels)) hits.push(entry);
      const key = this.byKey.get(k);
      if (key !== undefined) for (const entry of key) if (matchesSelector(entry.selector, labels)) hits.push(entry);
    }
    // Each entry sits in one bucket, reached through one label at most: no duplicates to remove.
    if (hits.length > 1) hits.sort((a, b) => a.order - b.order);
    return hits.map((h) => h.item);
  }

  /**
   * Calls `visit` for each item whose (non-empty) selector matches the labels, in no particular
   * order, until it returns true; returns whether one did. Cheaper than `matchingSpecific` when
   * the caller only needs to know whether some match has a property.
   */
  someSpecific(labels: LabelSet, visit: (item: T) => boolean): boolean {
    for (const entry of this.general) if (matchesSelector(entry.selector, labels) && visit(entry.item)) return true;
    for (const [k, v] of labels) {
      const pair = this.byPair.get(`${k}\u0000${v}`);
      if (pair !== undefined) for (const entry of pair) if (matchesSelector(entry.selector, labels) && visit(entry.item)) return true;
      const key = this.byKey.get(k);
      if (key !== undefined) for (const entry of key) if (matchesSelector(entry.selector, labels) && visit(entry.item)) return true;
    }
    return false;
  }

  /** Every item whose selector matches the labels: `everything` first, then the specific ones. */
  matching(labels: LabelSet): T[] {
    return [...this.all, ...this.matchingSpecific(labels)];
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
