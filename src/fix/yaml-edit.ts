/**
 * Minimal text edits of one YAML (or JSON) document: given the value it holds and the value it
 * should hold, rewrite only the lines that differ. Re-serialising the document with the `yaml`
 * package would re-indent sequences, re-space flow collections and comments and fold long strings,
 * so instead the package's parse tree gives the position of every node and each difference
 * becomes a splice: a scalar replaced in place (keeping its quoting style), new keys inserted as
 * lines at their siblings' indentation, removed keys and items cut out with their lines. Comments,
 * blank lines, key order and quoting elsewhere stay byte for byte.
 *
 * The caller checks the result by parsing it again (`fixText`); anything this cannot edit safely
 * (aliases, anchors, merge keys, unusual layouts) throws an EditError and the document is left as it was.
 * A `DocumentEditor` parses its text once and can then edit it many times, and try the edit of one
 * region alone (`trial`): fixing a document tries its fixes one at a time when they fail together.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument, type Pair, type ParsedNode, type Range, type YAMLMap, type YAMLSeq } from 'yaml';
import type { JsonValue } from '../types.js';
import { jsonEqual } from './patch.js';

/** A document this module cannot edit without reformatting it. */
export class EditError extends Error {
  /** Where the edit failed: the path (keys, and indexes as strings) of the node being edited. */
  path: readonly string[] | undefined;
}

type Node = ParsedNode | null;
type YMap = YAMLMap<unknown, unknown>;
type YSeq = YAMLSeq<unknown>;
type AnyPair = Pair<unknown, unknown>;

/** Where a node sits: the value of a mapping pair, an item of a sequence, or the document root. */
type Place = { kind: 'pair'; pair: AnyPair; map: YMap } | { kind: 'item'; seq: YSeq } | { kind: 'root' };

/** A path in the document, as a chain from its last token up to the root; shared, never copied. */
interface Trail {
  up: Trail | undefined;
  token: string;
}

const tokensOf = (trail: Trail | undefined): string[] => {
  const out: string[] = [];
  for (let t = trail; t !== undefined; t = t.up) out.push(t.token);
  return out.reverse();
};

const trailOf = (path: readonly string[]): Trail | undefined => path.reduce<Trail | undefined>((up, token) => ({ up, token }), undefined);

interface Edit {
  start: number;
  end: number;
  text: string;
  /** The path of the node whose edit this is. */
  at: Trail | undefined;
}

/** Where a mapping's keys (as the parsed value lists them) are, and the first that its text lacks. */
interface KeyOrder {
  index: Map<string, number>;
  /** Position of the first key without a pair in the text, or -1; and that key. */
  missing: number;
  missingKey: string;
}

/** A collection the diff passes through on its way down to a region (see `trial`). */
interface Ancestor {
  node: Node & object;
  before: JsonValue;
  token: string;
  depth: number;
}

const isMapping = (value: unknown): value is Record<string, JsonValue> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const nonEmpty = (value: JsonValue): boolean =>
  Array.isArray(value) ? value.length > 0 : isMapping(value) ? Object.keys(value).length > 0 : false;

/** Words that a YAML 1.1 or 1.2 parser reads as a boolean or null when plain. */
const RESERVED = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL)$/;
/** Strings safe to write unquoted in block and flow context alike. */
const PLAIN = /^[A-Za-z_][A-Za-z0-9_./-]*$/;

function plainSafe(text: string): boolean {
  return PLAIN.test(text) && !RESERVED.test(text);
}

/**
 * JSON text of a value, read the same by JSON and by YAML (as a double-quoted scalar for a string),
 * with every control character escaped: `JSON.stringify` escapes the C0 controls only, and leaves
 * DEL, the C1 controls and the Unicode line separators as they are, which would reach the file and
 * the terminal that shows the diff.
 */
function jsonText(value: JsonValue, space?: string): string {
  // eslint-disable-next-line no-control-regex
  return JSON.stringify(value, null, space).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A character that a single-quoted scalar can only hold raw: a line break, or a control character other than TAB. */
// eslint-disable-next-line no-control-regex
const RAW_ONLY = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/;

function rangeOf(node: unknown): Range {
  const range = (node as { range?: Range | null } | null)?.range;
  if (range === undefined || range === null) throw new EditError('a node without a source position');
  return range;
}

/**
 * The edits that turn one document's text from holding `before` into holding `after`. The text is
 * parsed once; `edit` and `trial` may then be called any number of times with the same `before`.
 */
export class DocumentEditor {
  private edits: Edit[] = [];
  /** The path of the node the diff is at. */
  private trail: Trail | undefined;
  private readonly eol: string;
  /** Indentation of a nested block mapping, of a block sequence under a key, and of a nested JSON object. */
  private unit = 2;
  private seqIndent = 2;
  private readonly json: boolean;
  /**
   * The character lines are indented with: a space, or a TAB in a JSON document indented with
   * TABs. Columns count characters, so `unit` and the other widths are in that character.
   */
  private readonly indentChar: string;
  private readonly root: Node;
  /** Why the text cannot be edited at all, or undefined. */
  private readonly problem: string | undefined;
  private readonly pairIndex = new WeakMap<YMap, Map<string, AnyPair>>();
  private readonly keyOrders = new WeakMap<YMap, KeyOrder>();
  private readonly guards = new WeakMap<object, string | null>();

  constructor(private readonly src: string) {
    this.eol = src.includes('\r\n') ? '\r\n' : '\n';
    this.json = /^\s*\{/.test(src.replace(/^(?:\s*#[^\n]*\n|\s*---[^\n]*\n|\s*%[^\n]*\n)*/, ''));
    // YAML indents with spaces only; a JSON document takes its first indented line's character.
    this.indentChar = this.json && /\n[ \t]/.exec(src)?.[0] === '\n\t' ? '\t' : ' ';
    const doc = parseDocument(src, { uniqueKeys: false, keepSourceTokens: false, prettyErrors: false });
    this.root = doc.contents as Node;
    if (doc.errors.length > 0) this.problem = `the document does not parse: ${doc.errors[0]?.message ?? ''}`;
    else this.measure(this.root);
  }

  private reset(): void {
    if (this.problem !== undefined) throw Object.assign(new EditError(this.problem), { path: [] });
    this.edits = [];
    this.trail = undefined;
  }

  /** The text changed from holding `before` to holding `after`; throws an EditError when that is not possible. */
  edit(before: JsonValue, after: JsonValue): string {
    this.reset();
    this.diff(this.root, before, after, { kind: 'root' });
    return this.apply();
  }

  /**
   * Whether `edit` could make the change that `work` (the patched value, unpruned) holds in the
   * region at `path` without failing there, found in time proportional to the region rather than
   * to the document: the diff goes down `path` as `edit`'s would (as far as the two values let
   * it), passing each collection on the way as `edit` does, then edits the region's node against
   * `after(before, work)` of its values. Throws the EditError that `edit` would throw in that
   * region; gives the depth of the region's node, and whether its value changes at all. The
   * collections on the way are assumed to hold no other change that fails.
   */
  trial(path: readonly string[], before: JsonValue, work: JsonValue, after: (before: JsonValue, work: JsonValue) => JsonValue): { depth: number; changed: boolean } {
    this.reset();
    const ancestors: Ancestor[] = [];
    let node = this.root;
    let b = before;
    let w = work;
    let place: Place = { kind: 'root' };
    let depth = 0;
    for (; depth < path.length && node !== null; depth++) {
      const token = path[depth] as string;
      if (isMap(node) && isMapping(b) && isMapping(w)) {
        const pair = Object.hasOwn(b, token) && Object.hasOwn(w, token) ? this.pairsOf(node).get(token) : undefined;
        if (pair === undefined) break;
        ancestors.push({ node, before: b, token, depth });
        place = { kind: 'pair', pair, map: node };
        node = pair.value as Node;
        b = b[token] as JsonValue;
        w = w[token] as JsonValue;
      } else if (isSeq(node) && Array.isArray(b) && Array.isArray(w) && w.length > 0 && node.items.length === b.length && b.length === w.length) {
        const i = /^(?:0|[1-9][0-9]*)$/.test(token) ? Number(token) : b.length;
        if (i >= b.length) break;
        ancestors.push({ node, before: b, token, depth });
        place = { kind: 'item', seq: node };
        node = node.items[i] as Node;
        b = b[i] as JsonValue;
        w = w[i] as JsonValue;
      } else break;
    }
    const value = after(b, w);
    if (jsonEqual(b, value)) return { depth, changed: false };
    let late: EditError | undefined;
    for (const ancestor of ancestors) {
      this.trail = trailOf(path.slice(0, ancestor.depth));
      const problem = this.cachedGuard(ancestor.node);
      if (problem !== null) this.fail(problem);
      if (!isMap(ancestor.node)) continue;
      // `edit` looks up every key of the mapping in order: a key the text lacks fails before or after the region.
      const order = this.keyOrder(ancestor.node, ancestor.before as Record<string, JsonValue>);
      if (order.missing === -1) continue;
      const error = Object.assign(new EditError(`key "${order.missingKey}" not found where expected`), { path: path.slice(0, ancestor.depth) });
      if (order.missing < (order.index.get(ancestor.token) ?? 0)) throw error;
      late = error;
    }
    this.trail = trailOf(path.slice(0, depth));
    this.diff(node, b, value, place);
    this.merged();
    if (late !== undefined) throw late;
    return { depth, changed: true };
  }

  private fail(message: string): never {
    throw Object.assign(new EditError(message), { path: tokensOf(this.trail) });
  }

  private push(start: number, end: number, text: string): void {
    this.edits.push({ start, end, text, at: this.trail });
  }

  /**
   * `push` of a text of several lines in place of text on one line: a comment after `end` on that
   * line (`securityContext: {}  # why`) stays at the end of its first line, by the key it was
   * written for, rather than ending up after the last line inserted.
   */
  private pushLines(start: number, end: number, text: string): void {
    const lineBreak = text.indexOf('\n');
    if (lineBreak !== -1 && this.sameLine(start, end)) {
      const nl = this.src.indexOf('\n', end);
      let stop = nl === -1 ? this.src.length : nl;
      if (this.src.charAt(stop - 1) === '\r') stop--;
      const rest = this.src.slice(end, stop);
      if (/^[ \t]+#/.test(rest)) {
        const firstEnd = text.charAt(lineBreak - 1) === '\r' ? lineBreak - 1 : lineBreak;
        this.push(start, stop, text.slice(0, firstEnd) + rest + text.slice(firstEnd));
        return;
      }
    }
    this.push(start, end, text);
  }

  // -- positions -------------------------------------------------------------------------------

  private lineStart(pos: number): number {
    return this.src.lastIndexOf('\n', pos - 1) + 1;
  }

  private column(pos: number): number {
    return pos - this.lineStart(pos);
  }

  private onlySpacesBefore(pos: number): boolean {
    return /^[ \t]*$/.test(this.src.slice(this.lineStart(pos), pos));
  }

  /** Just past the end of the line holding `pos` (after its newline), or the text's end. */
  private lineEndIncl(pos: number): number {
    const nl = this.src.indexOf('\n', pos);
    return nl === -1 ? this.src.length : nl + 1;
  }

  /** Back over trailing blanks and line breaks. */
  private trimBack(pos: number): number {
    let p = pos;
    while (p > 0 && /[ \t\r\n]/.test(this.src.charAt(p - 1))) p--;
    return p;
  }

  /** Where the meaningful text of a node ends (no trailing comment or line break); undefined for an empty value. */
  private contentEnd(node: Node): number | undefined {
    if (node === null) return undefined;
    const range = rangeOf(node);
    if (isScalar(node)) {
      if (range[0] === range[1]) return undefined;
      if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') return this.trimBack(range[1]);
      return range[1];
    }
    if (isAlias(node)) return range[1];
    if (node.flow === true) return range[1];
    const last = node.items[node.items.length - 1];
    if (last === undefined) return range[1];
    if (isPair(last)) return this.pairEnd(last);
    return this.contentEnd(last as Node) ?? this.dashOf(last as Node) + 1;
  }

  /** Just past the `:` after a pair's key. */
  private colonEnd(pair: AnyPair): number {
    const key = pair.key as Node;
    let p = this.contentEnd(key) ?? rangeOf(key)[1];
    while (p < this.src.length && (this.src[p] === ' ' || this.src[p] === '\t')) p++;
    if (this.src[p] !== ':') throw new EditError('a key without a colon after it');
    return p + 1;
  }

  private pairEnd(pair: AnyPair): number {
    return this.contentEnd(pair.value as Node) ?? this.colonEnd(pair);
  }

  private keyStart(pair: AnyPair): number {
    return rangeOf(pair.key)[0];
  }

  private keyColumn(pair: AnyPair): number {
    return this.column(this.keyStart(pair));
  }

  /** The `-` of a block sequence item. */
  private dashOf(item: Node): number {
    let p = rangeOf(item)[0] - 1;
    while (p >= 0 && (this.src[p] === ' ' || this.src[p] === '\t')) p--;
    if (this.src[p] !== '-') throw new EditError('a sequence item without its dash');
    return p;
  }

  private itemStart(item: unknown): number {
    return isPair(item) ? this.keyStart(item) : rangeOf(item)[0];
  }

  private itemEnd(item: unknown): number {
    if (isPair(item)) return this.pairEnd(item);
    const end = this.contentEnd(item as Node);
    if (end === undefined) throw new EditError('an empty item in a flow collection');
    return end;
  }

  /** True when no line break lies between two positions. */
  private sameLine(a: number, b: number): boolean {
    const nl = this.src.indexOf('\n', Math.min(a, b));
    return nl === -1 || nl >= Math.max(a, b);
  }

  /** The indentation units the document uses, from its first nested mappings and block sequence. */
  private measure(root: Node): void {
    let unit: number | undefined;
    let seqIndent: number | undefined;
    const done = (): boolean => unit !== undefined && (this.json || seqIndent !== undefined);
    const visit = (node: Node, depth: number): void => {
      if (node === null || depth > 64 || done()) return;
      if (isMap(node)) {
        for (const pair of node.items) {
          const value = pair.value as Node;
          const child = isMap(value) ? value.items[0] : undefined;
          // A nested mapping on lines of its own (flow ones count only in JSON documents).
          if (unit === undefined && child !== undefined && ((value as YMap).flow === true) === this.json && !this.sameLine(this.keyStart(child), this.keyStart(pair))) {
            const delta = this.keyColumn(child) - this.keyColumn(pair);
            if (delta > 0) unit = delta;
          }
          if (seqIndent === undefined && isSeq(value) && value.flow !== true && value.items[0] !== undefined) {
            const dash = this.src.lastIndexOf('-', rangeOf(value.items[0])[0]);
            if (dash >= 0 && this.onlySpacesBefore(dash)) seqIndent = Math.max(0, this.column(dash) - this.keyColumn(pair));
          }
          visit(value, depth + 1);
        }
      } else if (isSeq(node)) {
        for (const item of node.items) visit(item as Node, depth + 1);
      }
    };
    visit(root, 0);
    this.unit = unit ?? 2;
    this.seqIndent = seqIndent ?? this.unit;
  }

  // -- rendering -------------------------------------------------------------------------------

  private scalar(value: JsonValue): string {
    if (typeof value === 'string') return !this.json && plainSafe(value) ? value : jsonText(value);
    return jsonText(value);
  }

  private key(key: string): string {
    return !this.json && plainSafe(key) ? key : jsonText(key);
  }

  /** A value in flow style: JSON in a JSON document (pretty, continuing at `indent`), `{a: b}` in YAML. */
  private flow(value: JsonValue, indent: number): string {
    if (this.json && nonEmpty(value)) return jsonText(value, this.pad(this.unit)).replace(/\n/g, this.eol + this.pad(indent));
    return this.inline(value);
  }

  /** A value in flow style on one line: `{"a": [1, 2]}` in a JSON document, `{a: [1, 2]}` in YAML. */
  private inline(value: JsonValue): string {
    if (Array.isArray(value)) return `[${value.map((v) => this.inline(v)).join(', ')}]`;
    if (isMapping(value)) return `{${Object.entries(value).map(([k, v]) => `${this.key(k)}: ${this.inline(v)}`).join(', ')}}`;
    return this.scalar(value);
  }

  /** The lines of a non-empty mapping in block style, its keys at column `indent`. */
  private mapLines(value: Record<string, JsonValue>, indent: number): string[] {
    const pad = this.pad(indent);
    const lines: string[] = [];
    for (const [key, child] of Object.entries(value)) {
      if (isMapping(child) && nonEmpty(child)) lines.push(`${pad}${this.key(key)}:`, ...this.mapLines(child, indent + this.unit));
      else if (Array.isArray(child) && nonEmpty(child)) lines.push(`${pad}${this.key(key)}:`, ...this.seqLines(child, indent + this.seqIndent));
      else lines.push(`${pad}${this.key(key)}: ${this.flow(child, indent)}`);
    }
    return lines;
  }

  /** The lines of a non-empty sequence in block style, its dashes at column `indent`. */
  private seqLines(value: readonly JsonValue[], indent: number): string[] {
    const pad = this.pad(indent);
    const lines: string[] = [];
    for (const item of value) {
      if (isMapping(item) && nonEmpty(item)) {
        const [first, ...rest] = this.mapLines(item, indent + 2);
        lines.push(`${pad}- ${(first ?? '').trimStart()}`, ...rest);
      } else lines.push(`${pad}- ${this.flow(item, indent)}`);
    }
    return lines;
  }

  /** A non-empty collection in block style, below a key at column `keyColumn`. */
  private blockUnder(value: JsonValue, keyColumn: number): string[] {
    return Array.isArray(value) ? this.seqLines(value, keyColumn + this.seqIndent) : this.mapLines(value as Record<string, JsonValue>, keyColumn + this.unit);
  }

  // -- the walk --------------------------------------------------------------------------------

  /** Why a node must not be edited (an alias, an anchor, a merge key), or null. */
  private guardProblem(node: Node & object): string | null {
    if (isAlias(node)) return 'the field is a YAML alias';
    if (node.anchor !== undefined && node.anchor !== null && node.anchor !== '') return 'the field carries a YAML anchor that aliases may share';
    if (isMap(node)) {
      for (const pair of node.items) if (isScalar(pair.key) && pair.key.value === '<<') return 'the mapping uses a YAML merge key';
    }
    return null;
  }

  private guard(node: Node): void {
    if (node === null) return;
    const problem = this.guardProblem(node);
    if (problem !== null) throw new EditError(problem);
  }

  /** `guardProblem`, remembered: trials pass the same collections again and again. */
  private cachedGuard(node: Node & object): string | null {
    let problem = this.guards.get(node);
    if (problem === undefined) {
      problem = this.guardProblem(node);
      this.guards.set(node, problem);
    }
    return problem;
  }

  /** A mapping's pairs by key; a key written twice gives its last pair. */
  private pairsOf(map: YMap): Map<string, AnyPair> {
    let pairs = this.pairIndex.get(map);
    if (pairs === undefined) {
      pairs = new Map();
      for (const item of map.items) {
        const pair = item as AnyPair;
        if (isScalar(pair.key)) pairs.set(String(pair.key.value), pair);
      }
      this.pairIndex.set(map, pairs);
    }
    return pairs;
  }

  private findPair(map: YMap, key: string): AnyPair {
    const items = map.items as AnyPair[];
    if (items.length <= 16) {
      // Small mappings (nearly all) are searched as they are, from the last pair.
      for (let i = items.length - 1; i >= 0; i--) {
        const pair = items[i] as AnyPair;
        if (isScalar(pair.key) && String(pair.key.value) === key) return pair;
      }
    } else {
      const pair = this.pairsOf(map).get(key);
      if (pair !== undefined) return pair;
    }
    throw new EditError(`key "${key}" not found where expected`);
  }

  private keyOrder(map: YMap, before: Record<string, JsonValue>): KeyOrder {
    let order = this.keyOrders.get(map);
    if (order === undefined) {
      const pairs = this.pairsOf(map);
      const keys = Object.keys(before);
      const missing = keys.findIndex((key) => !pairs.has(key));
      order = { index: new Map(keys.map((key, i) => [key, i])), missing, missingKey: keys[missing] ?? '' };
      this.keyOrders.set(map, order);
    }
    return order;
  }

  private diff(node: Node, before: JsonValue, after: JsonValue, place: Place): void {
    try {
      this.diffNode(node, before, after, place);
    } catch (error) {
      // The innermost node the diff was at when the edit failed.
      if (error instanceof EditError) error.path ??= tokensOf(this.trail);
      throw error;
    }
  }

  private diffNode(node: Node, before: JsonValue, after: JsonValue, place: Place): void {
    if (jsonEqual(before, after)) return;
    this.guard(node);
    if (isMapping(before) && isMapping(after) && isMap(node) && nonEmpty(after)) {
      const added: [string, JsonValue][] = [];
      const removed: AnyPair[] = [];
      for (const key of Object.keys(before)) {
        const pair = this.findPair(node, key);
        if (!Object.hasOwn(after, key)) removed.push(pair);
        else {
          const at = this.trail;
          this.trail = { up: at, token: key };
          this.diff(pair.value as Node, before[key] as JsonValue, after[key] as JsonValue, { kind: 'pair', pair, map: node });
          this.trail = at;
        }
      }
      for (const [key, value] of Object.entries(after)) if (!Object.hasOwn(before, key)) added.push([key, value]);
      if (removed.length > 0) this.removeItems(node, removed);
      if (added.length > 0) this.addPairs(node, added, place);
      return;
    }
    if (Array.isArray(before) && Array.isArray(after) && isSeq(node) && after.length > 0 && node.items.length === before.length) {
      if (before.length === after.length) {
        before.forEach((item, i) => {
          const at = this.trail;
          this.trail = { up: at, token: String(i) };
          this.diff(node.items[i] as Node, item, after[i] as JsonValue, { kind: 'item', seq: node });
          this.trail = at;
        });
        return;
      }
      const plan = removalsAndTail(before, after);
      if (plan !== undefined) {
        if (plan.removed.length > 0) this.removeItems(node, plan.removed.map((i) => node.items[i]));
        if (plan.appended.length > 0) this.appendItems(node, plan.appended, place);
        return;
      }
    }
    if (isScalar(node) && !isMapping(after) && !Array.isArray(after) && this.contentEnd(node) !== undefined) {
      this.replaceScalar(node, after);
      return;
    }
    this.replaceNode(node, after, place);
  }

  private replaceScalar(node: Node & object, value: JsonValue): void {
    const start = rangeOf(node)[0];
    const end = this.contentEnd(node) as number;
    let text = this.scalar(value);
    if (!this.json && typeof value === 'string' && isScalar(node)) {
      if (node.type === 'QUOTE_DOUBLE') text = jsonText(value);
      else if (node.type === 'QUOTE_SINGLE' && !RAW_ONLY.test(value)) text = `'${value.replace(/'/g, "''")}'`;
    }
    this.push(start, end, text);
  }

  /** Replaces a whole value (an empty one, or one whose type changes) with a rendering of `value`. */
  private replaceNode(node: Node, value: JsonValue, place: Place): void {
    const flowContext = this.json || (place.kind === 'pair' && place.map.flow === true) || (place.kind === 'item' && place.seq.flow === true);
    if (place.kind === 'root') throw new EditError('the document root would change');
    if (flowContext) {
      if (node === null) throw new EditError('an empty value in a flow collection');
      const start = rangeOf(node)[0];
      const end = this.contentEnd(node) ?? start;
      this.push(start, end, this.inParentStyle(value, place, start));
      return;
    }
    if (place.kind === 'pair') {
      const start = this.colonEnd(place.pair);
      const end = this.contentEnd(node) ?? start;
      const text = nonEmpty(value) ? this.eol + this.blockUnder(value, this.keyColumn(place.pair)).join(this.eol) : ` ${this.flow(value, 0)}`;
      this.pushLines(start, end, text);
      return;
    }
    if (node === null || this.contentEnd(node) === undefined) throw new EditError('an empty sequence item');
    const dash = this.dashOf(node);
    const start = rangeOf(node)[0];
    const end = this.contentEnd(node) as number;
    if (isMapping(value) && nonEmpty(value)) {
      const [first, ...rest] = this.mapLines(value, this.column(dash) + 2);
      this.pushLines(start, end, [(first ?? '').trimStart(), ...rest].join(this.eol));
    } else this.push(start, end, this.flow(value, 0));
  }

  /** A value in flow style: on one line inside a collection written on one line, else as `flow` does. */
  private inParentStyle(value: JsonValue, place: Place, at: number): string {
    const parent = place.kind === 'pair' ? place.map : place.kind === 'item' ? place.seq : undefined;
    const range = parent === undefined ? undefined : rangeOf(parent);
    return range !== undefined && this.sameLine(range[0], range[1] - 1) ? this.inline(value) : this.flow(value, this.indentOf(at));
  }

  /** Indentation of `width` columns. */
  private pad(width: number): string {
    return this.indentChar.repeat(width);
  }

  /** Indentation of the line holding `pos`. */
  private indentOf(pos: number): number {
    const start = this.lineStart(pos);
    let p = start;
    while (this.src[p] === this.indentChar) p++;
    return p - start;
  }

  private addPairs(map: YMap, entries: readonly [string, JsonValue][], place: Place): void {
    const range = rangeOf(map);
    if (map.flow === true) {
      const close = range[1] - 1;
      if (this.src[close] !== '}') throw new EditError('a flow mapping without its closing brace');
      const last = map.items[map.items.length - 1];
      if (last === undefined) {
        const value = Object.fromEntries(entries);
        if (!this.json && place.kind === 'pair' && place.map.flow !== true) {
          this.pushLines(this.colonEnd(place.pair), range[1], this.eol + this.mapLines(value, this.keyColumn(place.pair) + this.unit).join(this.eol));
        } else if (!this.json && place.kind === 'item' && place.seq.flow !== true) {
          const [first, ...rest] = this.mapLines(value, this.column(this.dashOf(map as unknown as Node)) + 2);
          this.pushLines(range[0], range[1], [(first ?? '').trimStart(), ...rest].join(this.eol));
        } else {
          this.push(range[0], range[1], this.inParentStyle(value, place, range[0]));
        }
        return;
      }
      const end = this.pairEnd(last);
      if (!this.sameLine(this.keyStart(last), range[0])) {
        const column = this.keyColumn(last);
        const text = entries.map(([k, v]) => `,${this.eol}${this.pad(column)}${this.key(k)}: ${this.flow(v, column)}`).join('');
        this.push(end, end, text);
      } else {
        this.push(end, end, entries.map(([k, v]) => `, ${this.key(k)}: ${this.inline(v)}`).join(''));
      }
      return;
    }
    const first = map.items[0];
    const last = map.items[map.items.length - 1];
    if (first === undefined || last === undefined) throw new EditError('an empty block mapping');
    const column = this.keyColumn(first);
    const lines = this.mapLines(Object.fromEntries(entries), column);
    this.insertLines(this.pairEnd(last), lines);
  }

  /** Inserts whole lines after the line holding `pos`. */
  private insertLines(pos: number, lines: readonly string[]): void {
    const at = this.lineEndIncl(pos);
    const text = this.src.charAt(at - 1) === '\n' ? lines.join(this.eol) + this.eol : this.eol + lines.join(this.eol);
    this.push(at, at, text);
  }

  private appendItems(seq: YSeq, values: readonly JsonValue[], place: Place): void {
    const range = rangeOf(seq);
    const last = seq.items[seq.items.length - 1];
    if (seq.flow === true) {
      if (this.src[range[1] - 1] !== ']') throw new EditError('a flow sequence without its closing bracket');
      if (last === undefined) {
        if (!this.json && place.kind === 'pair' && place.map.flow !== true) {
          this.pushLines(this.colonEnd(place.pair), range[1], this.eol + this.seqLines(values, this.keyColumn(place.pair) + this.seqIndent).join(this.eol));
        } else {
          this.push(range[0], range[1], this.inParentStyle([...values], place, range[0]));
        }
        return;
      }
      const end = this.itemEnd(last);
      if (!this.sameLine(this.itemStart(last), range[0])) {
        const column = this.column(this.itemStart(last));
        this.push(end, end, values.map((v) => `,${this.eol}${this.pad(column)}${this.flow(v, column)}`).join(''));
      } else {
        this.push(end, end, values.map((v) => `, ${this.inline(v)}`).join(''));
      }
      return;
    }
    if (last === undefined) throw new EditError('an empty block sequence');
    this.insertLines(this.contentEnd(last as Node) ?? this.dashOf(last as Node), this.seqLines(values, this.column(this.dashOf(last as Node))));
  }

  /** Cuts pairs of a mapping or items of a sequence (some survive: an emptied collection is replaced instead). */
  private removeItems(collection: YMap | YSeq, removed: readonly unknown[]): void {
    const items = collection.items as unknown[];
    const gone = new Set(removed);
    const survivor = (from: number, step: 1 | -1): unknown => {
      for (let i = from; i >= 0 && i < items.length; i += step) if (!gone.has(items[i])) return items[i];
      return undefined;
    };
    items.forEach((item, i) => {
      if (!gone.has(item)) return;
      if (collection.flow === true) {
        const next = survivor(i + 1, 1);
        if (next !== undefined) this.push(this.itemStart(item), this.itemStart(next), '');
        else {
          const previous = survivor(i - 1, -1);
          if (previous === undefined) throw new EditError('a flow collection would become empty');
          this.push(this.itemEnd(previous), this.itemEnd(item), '');
        }
        return;
      }
      const start = isPair(item) ? this.keyStart(item) : this.dashOf(item as Node);
      const end = isPair(item) ? this.pairEnd(item) : (this.contentEnd(item as Node) ?? start + 1);
      if (this.onlySpacesBefore(start)) {
        this.push(this.lineStart(start), this.lineEndIncl(end), '');
        return;
      }
      // The first key of a mapping that is a sequence item (`- name: a`): the next surviving key moves up.
      const next = survivor(i + 1, 1);
      if (!isPair(item) || next === undefined) throw new EditError('an item that shares its line with another node');
      this.push(start, this.itemStart(next), '');
    });
  }

  /** The edits in text order, checked: pure deletions may overlap (they are merged), nothing else may. */
  private merged(): Edit[] {
    const edits = this.edits.map((e, order) => ({ ...e, order })).sort((a, b) => a.start - b.start || a.order - b.order);
    let cursor = 0;
    let reaching: Edit | undefined;
    for (const edit of edits) {
      if (edit.start < cursor && edit.text !== '') {
        const one = tokensOf(edit.at);
        const other = tokensOf(reaching?.at);
        let n = 0;
        while (n < other.length && n < one.length && other[n] === one[n]) n++;
        throw Object.assign(new EditError('two changes overlap'), { path: one.slice(0, n) });
      }
      if (edit.end >= cursor) reaching = edit;
      cursor = Math.max(cursor, edit.end);
    }
    return edits;
  }

  /** Applies the edits. */
  private apply(): string {
    let out = '';
    let cursor = 0;
    for (const edit of this.merged()) {
      if (edit.start >= cursor) out += this.src.slice(cursor, edit.start) + edit.text;
      cursor = Math.max(cursor, edit.end);
    }
    return out + this.src.slice(cursor);
  }
}

/**
 * For arrays of different lengths: `after` as `before` with some items removed and some appended
 * at the end (how fixes filter and extend lists), or undefined when it is not.
 */
function removalsAndTail(before: readonly JsonValue[], after: readonly JsonValue[]): { removed: number[]; appended: JsonValue[] } | undefined {
  const removed: number[] = [];
  let j = 0;
  for (let i = 0; i < before.length; i++) {
    if (j < after.length && jsonEqual(before[i], after[j])) j++;
    else removed.push(i);
  }
  if (removed.length === before.length && before.length > 0) return undefined;
  return { removed, appended: after.slice(j) };
}

/**
 * The text of one document changed from holding `before` to holding `after`, with every line
 * that does not need to change left as it was. Throws an EditError when that is not possible.
 */
export function editDocument(text: string, before: JsonValue, after: JsonValue): string {
  return new DocumentEditor(text).edit(before, after);
}
