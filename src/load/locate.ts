import type { Path } from '../types.js';
import { lineIndexAt, lineStarts } from '../text.js';
import { yamlLibrary } from './yaml-library.js';

/** A 1-based place in a text. */
export interface TextPosition {
  line: number;
  column: number;
}

/** The text range of one document, as `splitDocuments` gives it. */
export interface DocumentRange {
  start: number;
  end: number;
  line: number;
}

/** Result of following a path through a document's text. */
interface Walk {
  /** Where the deepest node reached starts (0-based line index within the file, 0-based column). */
  lineIndex: number;
  column: number;
  /** How many segments of the path were resolved. */
  depth: number;
  /** The walk stopped at syntax the line scanner does not follow (flow collections, aliases, complex keys). */
  unsupported: boolean;
}

type Collection =
  | { kind: 'block'; line: number; column: number }
  | { kind: 'flow'; offset: number }
  | { kind: 'scalar' }
  | { kind: 'unsupported' }
  | { kind: 'none' };

/** The entries of a block mapping (key → line and offset after the colon), or of a block sequence (item lines). */
/** A node reached by a walk: where it is reported, and what its value is. Cached, never copied. */
type Step = { line: number; column: number; value: Collection };

type MappingIndex = {
  keys: Map<string, { line: number; after: number; step?: Step }>;
  partial: boolean;
  sequence: boolean;
  /** The next line to read; entries are read only as far as a lookup needs. */
  next: number;
  done: boolean;
};

const SPACE = 32;
const HASH = 35;
const DASH = 45;

/**
 * Maps field paths to file positions. The common case (block-style YAML as people write it) is
 * answered by scanning lines, which costs far less than a full parse; documents using flow
 * collections or aliases on the path are parsed once with the `yaml` package for exact positions.
 */
export class TextLocator {
  private readonly text: string;
  private lineStarts: number[] | undefined;
  private readonly exact = new Map<number, unknown>();
  private readonly lastLines = new Map<number, number>();
  private readonly mappings = new Map<number, MappingIndex>();
  private readonly sequences = new Map<number, { lines: number[]; steps: (Step | undefined)[] }>();
  private readonly flows = new Map<number, FlowCollection>();
  private indents: Int32Array | undefined;
  /** Node indexes of documents, by document start: the parsed root and where its nodes are. */
  private readonly indexes = new Map<number, { root: unknown; nodes: Int32Array }>();

  constructor(text: string) {
    this.text = text;
  }

  /** The text of the file this locator reads. */
  get fileText(): string {
    return this.text;
  }

  private starts(): number[] {
    this.lineStarts ??= lineStarts(this.text);
    return this.lineStarts;
  }

  /**
   * Gives the locator the node index the fast reader or the JSON reader made of a document (see
   * node-index.ts) and the value read: paths in that document are then followed through the
   * value, not the text.
   */
  addIndex(doc: DocumentRange, root: unknown, nodes: Int32Array): void {
    this.indexes.set(doc.start, { root, nodes });
  }

  /**
   * The positions of the nodes of the object at `prefix` in an indexed document (`addIndex`), to
   * locate paths in a copy of it once the text is gone; undefined when the document has no index
   * or the object is not the document's own value there (a List item given its kind).
   */
  positionsOf(doc: DocumentRange, prefix: Path, object: unknown): ObjectPositions | undefined {
    const indexed = this.indexes.get(doc.start);
    if (indexed === undefined) return undefined;
    const { node, value } = follow(indexed.root, indexed.nodes, prefix);
    if (value !== object) return undefined;
    const from = indexed.nodes;
    const end = from[3 * node + 2] ?? node + 1;
    const nodes = new Int32Array(3 * (end - node));
    for (let i = node, k = 0; i < end; i++, k += 3) {
      nodes[k] = doc.line + (from[3 * i] ?? 0);
      nodes[k + 1] = (from[3 * i + 1] ?? 0) + 1;
      nodes[k + 2] = (from[3 * i + 2] ?? 0) - node;
    }
    return { nodes };
  }

  /** Position of `path` in the document, or of its deepest existing ancestor. */
  locate(doc: DocumentRange, path: Path): TextPosition {
    const indexed = this.indexes.get(doc.start);
    if (indexed !== undefined) {
      const k = 3 * follow(indexed.root, indexed.nodes, path).node;
      return { line: doc.line + (indexed.nodes[k] ?? 0), column: (indexed.nodes[k + 1] ?? 0) + 1 };
    }
    const walk = this.walk(doc, path);
    if (walk.unsupported) {
      const exact = this.exactPosition(doc, path);
      if (exact !== undefined) return exact;
    }
    return { line: walk.lineIndex + 1, column: walk.column + 1 };
  }

  private lineEnd(index: number): number {
    const starts = this.starts();
    const next = starts[index + 1];
    if (next === undefined) return this.text.length;
    return this.text.charCodeAt(next - 2) === 13 ? next - 2 : next - 1;
  }

  /** Indent of a line, or -1 for a blank or comment line (or a document marker); cached per line. */
  private indent(index: number): number {
    this.indents ??= new Int32Array(this.starts().length).fill(-2);
    let indent = this.indents[index] ?? -1;
    if (indent === -2) {
      indent = this.measureIndent(index);
      this.indents[index] = indent;
    }
    return indent;
  }

  private measureIndent(index: number): number {
    const text = this.text;
    const start = this.starts()[index] ?? text.length;
    const end = this.lineEnd(index);
    let i = start;
    while (i < end && text.charCodeAt(i) === SPACE) i++;
    if (i >= end) return -1;
    const c = text.charCodeAt(i);
    if (c === HASH) return -1;
    if (i === start && (text.startsWith('---', i) || text.startsWith('...', i) || c === 37 /* % */)) {
      const after = text.charCodeAt(i + 3);
      if (c === 37 || Number.isNaN(after) || after === SPACE || after === 10 || after === 13 || after === 9) return -1;
    }
    return i - start;
  }

  private nextContent(from: number, lastLine: number): number {
    for (let l = from; l <= lastLine; l++) if (this.indent(l) >= 0) return l;
    return -1;
  }

  private isDashAt(index: number, column: number): boolean {
    const at = (this.starts()[index] ?? 0) + column;
    if (this.text.charCodeAt(at) !== DASH) return false;
    const after = this.text.charCodeAt(at + 1);
    return at + 1 >= this.lineEnd(index) || after === SPACE || after === 9;
  }

  /** Parses a mapping key at a place; returns the key and the offset after its colon, or undefined. */
  private keyAt(index: number, column: number): { key: string; after: number } | 'unsupported' | undefined {
    const text = this.text;
    const start = (this.starts()[index] ?? 0) + column;
    const end = this.lineEnd(index);
    const c = text.charCodeAt(start);
    if (c === 63 /* ? */ || c === 123 /* { */ || c === 91 /* [ */) return 'unsupported';
    if (c === 34 /* " */ || c === 39 /* ' */) {
      let i = start + 1;
      let raw = '';
      while (i < end) {
        const ch = text.charCodeAt(i);
        if (c === 39 && ch === 39) {
          if (text.charCodeAt(i + 1) === 39) {
            raw += "'";
            i += 2;
            continue;
          }
          break;
        }
        if (c === 34 && ch === 92 /* \ */) {
          raw += text.slice(i, i + 2);
          i += 2;
          continue;
        }
        if (c === 34 && ch === 34) break;
        raw += text[i];
        i++;
      }
      if (i >= end) return 'unsupported'; // a key spanning lines
      let j = i + 1;
      while (j < end && text.charCodeAt(j) === SPACE) j++;
      if (text.charCodeAt(j) !== 58 /* : */) return undefined;
      let key = raw;
      if (c === 34) {
        try {
          key = JSON.parse(`"${raw}"`) as string;
        } catch {
          key = raw;
        }
      }
      return { key, after: j + 1 };
    }
    for (let i = start; i < end; i++) {
      if (text.charCodeAt(i) !== 58) continue;
      const n = text.charCodeAt(i + 1);
      if (i + 1 >= end || n === SPACE || n === 9) return { key: text.slice(start, i).trimEnd(), after: i + 1 };
    }
    return undefined;
  }

  /** What follows a `key:` or `- ` on its line, and the node it starts. */
  private valueAfter(index: number, offset: number, ownerIndent: number, lastLine: number, inSequence: boolean): Collection {
    const text = this.text;
    const end = this.lineEnd(index);
    let i = offset;
    for (;;) {
      while (i < end && (text.charCodeAt(i) === SPACE || text.charCodeAt(i) === 9)) i++;
      const c = text.charCodeAt(i);
      if (i < end && (c === 38 /* & */ || c === 33) /* ! */) {
        while (i < end && text.charCodeAt(i) !== SPACE && text.charCodeAt(i) !== 9) i++;
        continue;
      }
      break;
    }
    const lineStart = this.starts()[index] ?? 0;
    if (i >= end || text.charCodeAt(i) === HASH) {
      const next = this.nextContent(index + 1, lastLine);
      if (next === -1) return { kind: 'none' };
      const indent = this.indent(next);
      if (indent > ownerIndent) {
        // A flow collection may start on the line below its key.
        const offset = (this.starts()[next] ?? 0) + indent;
        const c = this.text.charCodeAt(offset);
        return c === 123 || c === 91 ? { kind: 'flow', offset } : { kind: 'block', line: next, column: indent };
      }
      if (!inSequence && indent === ownerIndent && this.isDashAt(next, indent)) return { kind: 'block', line: next, column: indent };
      return { kind: 'none' };
    }
    const c = text.charCodeAt(i);
    if (c === 123 || c === 91) return { kind: 'flow', offset: i };
    if (c === 42 /* * */) return { kind: 'unsupported' };
    if (c === 124 /* | */ || c === 62 /* > */) return { kind: 'scalar' };
    if (inSequence) {
      // After `- `: a nested item, a mapping starting on this line, or a scalar.
      if (this.isDashAt(index, i - lineStart)) return { kind: 'block', line: index, column: i - lineStart };
      const key = this.keyAt(index, i - lineStart);
      if (key === 'unsupported') return { kind: 'unsupported' };
      if (key !== undefined) return { kind: 'block', line: index, column: i - lineStart };
    }
    return { kind: 'scalar' };
  }

  private lastLineOf(doc: DocumentRange): number {
    let last = this.lastLines.get(doc.start);
    if (last === undefined) {
      const starts = this.starts();
      // The last line that starts before the document's end.
      let lo = doc.line - 1;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((starts[mid] ?? Infinity) < doc.end) lo = mid;
        else hi = mid - 1;
      }
      last = lo;
      this.lastLines.set(doc.start, last);
    }
    return last;
  }

  /** The previous walk: findings of one object share long prefixes, so a walk resumes where they diverge. */
  private previous: { start: number; path: Path; steps: Step[] } | undefined;
  private readonly roots = new Map<number, Step | null>();

  /** The root node of a document (cached), or null for an empty one. */
  private rootOf(doc: DocumentRange, lastLine: number): Step | null {
    let root = this.roots.get(doc.start);
    if (root === undefined) {
      const line = this.nextContent(doc.line - 1, lastLine);
      if (line === -1) root = null;
      else {
        const column = this.indent(line);
        const offset = (this.starts()[line] ?? 0) + column;
        const c = this.text.charCodeAt(offset);
        root = { line, column, value: c === 123 || c === 91 ? { kind: 'flow', offset } : { kind: 'block', line, column } };
      }
      this.roots.set(doc.start, root);
    }
    return root;
  }

  private walk(doc: DocumentRange, path: Path): Walk {
    const lastLine = this.lastLineOf(doc);
    let steps: Step[];
    let depth = 0;
    const prev = this.previous;
    if (prev !== undefined && prev.start === doc.start) {
      const max = Math.min(path.length, prev.path.length, prev.steps.length - 1);
      while (depth < max && prev.path[depth] === path[depth]) depth++;
      steps = prev.steps;
      steps.length = depth + 1; // the steps past the shared prefix belong to the previous path
      prev.path = path;
    } else {
      const root = this.rootOf(doc, lastLine);
      if (root === null) return { lineIndex: doc.line - 1, column: 0, depth: 0, unsupported: false };
      steps = [root];
      this.previous = { start: doc.start, path, steps };
    }
    let step = steps[depth] as Step;
    for (; depth < path.length; depth++) {
      const node = step.value;
      if (node.kind === 'flow') return this.walkFlow(node.offset, doc.end, path.slice(depth), { lineIndex: step.line, column: step.column }, depth);
      if (node.kind !== 'block') return { lineIndex: step.line, column: step.column, depth, unsupported: node.kind === 'unsupported' };
      const segment = path[depth] as string | number;
      const found: Step | 'unsupported' | undefined =
        typeof segment === 'number' ? this.sequenceItem(node.line, node.column, segment, lastLine) : this.mappingEntry(node.line, node.column, segment, lastLine);
      if (found === 'unsupported' || found === undefined) return { lineIndex: step.line, column: step.column, depth, unsupported: found === 'unsupported' };
      step = found;
      steps.push(step);
    }
    return { lineIndex: step.line, column: step.column, depth: path.length, unsupported: false };
  }

  /** Follows the rest of a path into a flow collection (JSON, or YAML's `{...}` and `[...]`). */
  private walkFlow(offset: number, end: number, rest: Path, at: { lineIndex: number; column: number }, depth: number): Walk {
    let node = offset;
    let found: number | undefined;
    let resolved = 0;
    for (const segment of rest) {
      let collection = this.flows.get(node);
      if (collection === undefined) {
        collection = new FlowCollection(this.text, node, end);
        this.flows.set(node, collection);
      }
      const child = collection.child(segment);
      if (child === 'unsupported') return { ...at, depth: depth + resolved, unsupported: true };
      if (child === undefined) break;
      found = child.at;
      node = child.value;
      resolved++;
    }
    if (found === undefined) return { ...at, depth, unsupported: false };
    const line = this.lineIndexOf(found);
    return { lineIndex: line, column: found - (this.starts()[line] ?? 0), depth: depth + resolved, unsupported: false };
  }

  private lineIndexOf(offset: number): number {
    return lineIndexAt(this.starts(), offset);
  }

  /**
   * The cache key of the block collection whose first node is at column `k` of line `first`: its
   * offset in the text, which no other (line, column) shares (a column can pass any width).
   */
  private collectionId(first: number, k: number): number {
    return (this.starts()[first] ?? 0) + k;
  }

  /** The entry of a block mapping at (first, k); entries are indexed as far as lookups have read. */
  private mappingEntry(
    first: number,
    k: number,
    key: string,
    lastLine: number,
  ): Step | 'unsupported' | undefined {
    const id = this.collectionId(first, k);
    let index = this.mappings.get(id);
    if (index === undefined) {
      index = { keys: new Map(), partial: false, sequence: false, next: first, done: false };
      this.mappings.set(id, index);
    }
    let entry = index.keys.get(key);
    while (entry === undefined && !index.done) {
      const l = index.next++;
      if (l > lastLine) {
        index.done = true;
        break;
      }
      const indent = l === first ? k : this.indent(l);
      if (indent < 0 || indent > k) continue;
      if (indent < k) {
        index.done = true;
        break;
      }
      if (this.isDashAt(l, k)) {
        if (l === first) index.sequence = index.done = true; // a sequence, not a mapping
        continue;
      }
      const parsed = this.keyAt(l, k);
      if (parsed === 'unsupported') index.partial = true;
      else if (parsed !== undefined) {
        if (parsed.key === '<<') index.partial = true; // keys may come from a merge
        if (!index.keys.has(parsed.key)) index.keys.set(parsed.key, { line: l, after: parsed.after });
        if (parsed.key === key) entry = index.keys.get(key);
      }
    }
    if (index.sequence) return undefined;
    if (entry === undefined) return index.partial ? 'unsupported' : undefined;
    entry.step ??= { line: entry.line, column: k, value: this.valueAfter(entry.line, entry.after, k, lastLine, false) };
    return entry.step;
  }

  private sequenceItem(first: number, k: number, index: number, lastLine: number): Step | undefined {
    const id = this.collectionId(first, k);
    let items = this.sequences.get(id);
    if (items === undefined) {
      items = { lines: [], steps: [] };
      for (let l = first; l <= lastLine; l++) {
        const indent = l === first ? k : this.indent(l);
        if (indent < 0) continue;
        if (indent < k) break;
        if (indent > k) continue;
        if (!this.isDashAt(l, k)) break;
        items.lines.push(l);
      }
      this.sequences.set(id, items);
    }
    const cached = items.steps[index];
    if (cached !== undefined) return cached;
    const l = items.lines[index];
    if (l === undefined) return undefined;
    const lineStart = this.starts()[l] ?? 0;
    const value = this.valueAfter(l, lineStart + k + 1, k, lastLine, true);
    let content = lineStart + k + 1;
    const end = this.lineEnd(l);
    while (content < end && (this.text.charCodeAt(content) === SPACE || this.text.charCodeAt(content) === 9)) content++;
    const inline = content < end && this.text.charCodeAt(content) !== HASH;
    const step: Step = { line: l, column: inline ? content - lineStart : k, value };
    items.steps[index] = step;
    return step;
  }

  /** Exact position from a full parse with the `yaml` package (cached per document). */
  private exactPosition(doc: DocumentRange, path: Path): TextPosition | undefined {
    const lib = loadYamlLibrary();
    let parsed = this.exact.get(doc.start);
    if (parsed === undefined) {
      parsed = lib.parseDocument(this.text.slice(doc.start, doc.end), { uniqueKeys: false, maxAliasCount: -1 });
      this.exact.set(doc.start, parsed);
    }
    const document = parsed as YamlDocument;
    let node: YamlNode | null | undefined = document.contents;
    let offset: number | undefined = node?.range?.[0];
    for (const segment of path) {
      if (node && lib.isAlias(node)) node = resolveAlias(node, document) as YamlNode | undefined;
      if (!node) break;
      if (lib.isMap(node)) {
        const pair = findPair(lib, document, node, String(segment), 0);
        if (!pair) break;
        offset = (pair.key as YamlNode).range?.[0] ?? offset;
        node = pair.value as YamlNode | null;
      } else if (lib.isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment] as YamlNode | undefined;
        if (!item) break;
        offset = item.range?.[0] ?? offset;
        node = item;
      } else break;
    }
    if (offset === undefined) return undefined;
    const absolute = doc.start + offset;
    const index = this.lineIndexOf(absolute);
    return { line: index + 1, column: absolute - (this.starts()[index] ?? 0) + 1 };
  }
}

/** The characters that change the nesting or quoting inside a flow collection. */
const SPECIAL = /[{}[\]"'#]/g;

const isBlank = (c: number): boolean => c === SPACE || c === 9 || c === 10 || c === 13;

/**
 * One flow collection (JSON, or YAML's `{a: b}` / `[a, b]`) of a text, read lazily: its members
 * are read only as far as lookups need, and values that are not on a path are skipped by
 * matching brackets and quotes, never parsed. Syntax it does not follow (anchors, aliases, tags,
 * complex keys) answers 'unsupported', and the caller hands the document to a full parser.
 */
class FlowCollection {
  private readonly text: string;
  private readonly end: number;
  private readonly map: boolean;
  private readonly keys = new Map<string, { at: number; value: number }>();
  private readonly items: number[] = [];
  private next: number;
  /** Start of the last member's value, skipped only when a later member is needed. */
  private pending = -1;
  private done = false;
  private broken = false;

  constructor(text: string, start: number, end: number) {
    this.text = text;
    this.end = end;
    const c = text.charCodeAt(start);
    this.map = c === 123;
    this.broken = c !== 123 && c !== 91;
    this.next = start + 1;
  }

  /** The member with this key or index: where it is reported (key or item) and where its value starts. */
  child(segment: string | number): { at: number; value: number } | 'unsupported' | undefined {
    if (this.broken) return 'unsupported';
    if (typeof segment === 'number' ? this.map : !this.map) return undefined;
    for (;;) {
      if (typeof segment === 'number') {
        const item = this.items[segment];
        if (item !== undefined) return { at: item, value: item };
      } else {
        const entry = this.keys.get(segment);
        if (entry !== undefined) return entry;
      }
      if (this.done) return undefined;
      if (!this.readMember()) return this.broken ? 'unsupported' : undefined;
    }
  }

  private space(i: number): number {
    const text = this.text;
    while (i < this.end) {
      const c = text.charCodeAt(i);
      if (isBlank(c)) i++;
      else if (c === HASH && isBlank(text.charCodeAt(i - 1))) {
        const nl = text.indexOf('\n', i);
        i = nl === -1 || nl > this.end ? this.end : nl;
      } else break;
    }
    return i;
  }

  /** End of a quoted scalar starting at `i`. */
  private skipQuoted(i: number): number {
    const text = this.text;
    const q = text.charCodeAt(i);
    for (i++; i < this.end; i++) {
      const c = text.charCodeAt(i);
      if (q === 34 && c === 92) i++;
      else if (c === q) {
        if (q === 39 && text.charCodeAt(i + 1) === 39) i++;
        else return i + 1;
      }
    }
    return -1;
  }

  /** End of a plain scalar in flow context: at `,`, `]`, `}`, ` #`, or (for keys) `: `. */
  private skipPlain(i: number, key: boolean): number {
    const text = this.text;
    for (; i < this.end; i++) {
      const c = text.charCodeAt(i);
      if (c === 44 || c === 93 || c === 125) break;
      if (key && c === 58) {
        const n = text.charCodeAt(i + 1);
        if (isBlank(n) || n === 44 || n === 125 || n === 93) break;
      }
      if (c === HASH && isBlank(text.charCodeAt(i - 1))) break;
    }
    return i;
  }

  /** End of the value starting at `i`, or -1 for syntax this reader does not follow. */
  private skipValue(i: number): number {
    const text = this.text;
    const c = text.charCodeAt(i);
    if (c === 38 || c === 42 || c === 33 || c === 63) return -1; // & * ! ?
    if (c === 34 || c === 39) return this.skipQuoted(i);
    if (c !== 123 && c !== 91) return this.skipPlain(i, false);
    let depth = 0;
    for (; i < this.end; i++) {
      // Jump to the next character that matters.
      SPECIAL.lastIndex = i;
      if (SPECIAL.exec(text) === null) return -1;
      i = SPECIAL.lastIndex - 1;
      const d = text.charCodeAt(i);
      if (d === 34 || d === 39) {
        // A quote inside a plain scalar (`don't`) is not a string; only quotes that start a value are.
        const prev = text.charCodeAt(this.spaceBack(i - 1));
        if (prev === 123 || prev === 91 || prev === 44 || prev === 58) {
          i = this.skipQuoted(i) - 1;
          if (i < 0) return -1;
        }
      } else if (d === 123 || d === 91) depth++;
      else if (d === 125 || d === 93) {
        if (--depth === 0) return i + 1;
      } else if (d === HASH && isBlank(text.charCodeAt(i - 1))) {
        const nl = text.indexOf('\n', i);
        if (nl === -1) return -1;
        i = nl;
      }
    }
    return -1;
  }

  private spaceBack(i: number): number {
    while (i > 0 && isBlank(this.text.charCodeAt(i))) i--;
    return i;
  }

  /** Reads the next member; false at the end of the collection or on syntax it does not follow. */
  private readMember(): boolean {
    const text = this.text;
    if (this.pending >= 0) {
      // Skip the previous member's value now that something after it is needed.
      const after = this.skipValue(this.pending);
      this.pending = -1;
      if (after < 0) return this.fail();
      const j = this.space(after);
      const sep = text.charCodeAt(j);
      if (sep === 44) this.next = j + 1;
      else if (sep === 125 || sep === 93) {
        this.done = true;
        return false;
      } else return this.fail();
    }
    let i = this.space(this.next);
    const c = text.charCodeAt(i);
    if (c === 125 || c === 93) {
      this.done = true;
      return false;
    }
    if (i >= this.end) return this.fail();
    if (this.map) {
      const at = i;
      let key: string;
      if (c === 34 || c === 39) {
        const close = this.skipQuoted(i);
        if (close < 0) return this.fail();
        const raw = text.slice(i, close);
        key = c === 39 ? raw.slice(1, -1).replace(/''/g, "'") : unquote(raw);
        i = close;
      } else {
        if (c === 38 || c === 42 || c === 33 || c === 63 || c === 123 || c === 91) return this.fail();
        const close = this.skipPlain(i, true);
        key = text.slice(i, close).trim();
        i = close;
      }
      i = this.space(i);
      if (text.charCodeAt(i) === 58) {
        const value = this.space(i + 1);
        if (!this.keys.has(key)) this.keys.set(key, { at, value });
        this.pending = value;
        return true;
      }
      // A key without a value (`{a, b: c}`): the member ends here.
      if (!this.keys.has(key)) this.keys.set(key, { at, value: i });
    } else {
      this.items.push(i);
      this.pending = i;
      return true;
    }
    const sep = text.charCodeAt(i);
    if (sep === 44) this.next = i + 1;
    else if (sep === 125 || sep === 93) this.next = i;
    else return this.fail();
    return true;
  }

  private fail(): false {
    this.broken = true;
    return false;
  }
}

/**
 * Follows `path` through a value and the node index made of it (see node-index.ts: three numbers
 * a node, the third the number of the node after its subtree). Gives the node the path reaches,
 * or that of its deepest existing ancestor, and the value there. A mapping's keys are in document
 * order in the value (the readers give no index when a key is an array index or repeats).
 */
function follow(root: unknown, nodes: Int32Array, path: Path): { node: number; value: unknown } {
  let node = 0;
  let value = root;
  for (let d = 0; d < path.length; d++) {
    const segment = path[d];
    let child = node + 1;
    if (Array.isArray(value)) {
      if (typeof segment !== 'number' || !Number.isInteger(segment) || segment < 0 || segment >= value.length) break;
      if (segment > WIDE) child = childrenOf(value, nodes, node).byIndex[segment] ?? child;
      else for (let i = 0; i < segment; i++) child = nodes[3 * child + 2] ?? child;
      value = value[segment];
    } else if (typeof value === 'object' && value !== null) {
      if (typeof segment !== 'string' || !Object.hasOwn(value, segment)) break;
      // A wide mapping (over WIDE keys) is walked once for all the paths through it: listing the
      // keys of an object with many is itself as slow as walking them.
      const known = (nodes[3 * node + 2] ?? 0) - node > WIDE ? wide.get(value) : undefined;
      if (known !== undefined && known.nodes === nodes && known.node === node) child = known.byKey?.get(segment) ?? child;
      else {
        let i = 0;
        for (const key in value) {
          if (key === segment) break;
          if (++i > WIDE) {
            child = childrenOf(value, nodes, node).byKey?.get(segment) ?? node + 1;
            break;
          }
          child = nodes[3 * child + 2] ?? child;
        }
      }
      value = (value as Record<string, unknown>)[segment];
    } else break;
    node = child;
  }
  return { node, value };
}

/** Entries of a collection past which its children's nodes are looked up in a table (`childrenOf`). */
const WIDE = 32;

/** The node of each child of a wide collection, by key or by index, with the node index it is of. */
interface Children {
  nodes: Int32Array;
  node: number;
  byKey?: Map<string, number>;
  byIndex: number[];
}

const wide = new WeakMap<object, Children>();

/**
 * The nodes of the children of `value`, the collection at `node` of `nodes`: one walk of its
 * keys or items, kept while the value lives, so that following n paths through a collection of
 * n entries is linear, not quadratic.
 */
function childrenOf(value: object, nodes: Int32Array, node: number): Children {
  const known = wide.get(value);
  if (known !== undefined && known.nodes === nodes && known.node === node) return known;
  const children: Children = { nodes, node, byIndex: [] };
  let child = node + 1;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      children.byIndex.push(child);
      child = nodes[3 * child + 2] ?? child;
    }
  } else {
    const byKey = new Map<string, number>();
    for (const key in value) {
      byKey.set(key, child);
      child = nodes[3 * child + 2] ?? child;
    }
    children.byKey = byKey;
  }
  wide.set(value, children);
  return children;
}

/**
 * Where the nodes of one object are (line, column, and the node after each subtree, counted from
 * the object's own node), kept with a copy of the object when its file's text is gone: see
 * `TextLocator.positionsOf` and `locatePositions`.
 */
export interface ObjectPositions {
  nodes: Int32Array;
}

/** Position of `path` in an object (a copy of it, keys in the same order) whose positions were kept. */
export function locatePositions(positions: ObjectPositions, object: unknown, path: Path): TextPosition {
  const { node } = follow(object, positions.nodes, path);
  return { line: positions.nodes[3 * node] ?? 0, column: positions.nodes[3 * node + 1] ?? 0 };
}

/** The value of a double-quoted key. */
function unquote(raw: string): string {
  if (!raw.includes('\\') && !raw.includes('\n')) return raw.slice(1, -1);
  try {
    return JSON.parse(raw.replace(/\r?\n\s*/g, ' ')) as string;
  } catch {
    return raw.slice(1, -1);
  }
}

interface YamlNode {
  range?: [number, number, number] | null;
  items: { key: unknown; value: unknown }[];
  value?: unknown;
  /** An alias's anchor name; a node's own anchor. */
  source?: string;
  anchor?: string | null;
}
interface YamlDocument {
  contents: YamlNode | null;
}
interface YamlLibrary {
  parseDocument(text: string, options: Record<string, unknown>): unknown;
  isAlias(node: unknown): node is YamlNode;
  isMap(node: unknown): boolean;
  isSeq(node: unknown): boolean;
  isScalar(node: unknown): node is { value: unknown };
  visit(node: unknown, visitor: { Node: (key: unknown, node: unknown) => void }): void;
}

type YamlPair = { key: unknown; value: unknown };

/**
 * What aliases resolve to, found for all the aliases of a document in one walk of it (the `yaml`
 * package's `resolve` walks the whole document for each alias): as `resolve` does, the last node
 * before the alias that carries its anchor.
 */
const aliasTargets = new WeakMap<YamlNode, YamlNode | undefined>();
const walkedDocuments = new WeakSet<YamlDocument>();

function resolveAlias(alias: YamlNode, document: YamlDocument): unknown {
  if (!walkedDocuments.has(document)) {
    walkedDocuments.add(document);
    const lib = loadYamlLibrary();
    const anchored = new Map<string, YamlNode>();
    lib.visit(document, {
      Node: (_key, node) => {
        if (lib.isAlias(node)) aliasTargets.set(node, anchored.get(node.source ?? ''));
        else {
          const anchor = (node as YamlNode).anchor;
          if (typeof anchor === 'string' && anchor !== '') anchored.set(anchor, node as YamlNode);
        }
      },
    });
  }
  return aliasTargets.get(alias);
}

/**
 * A mapping's pairs by key (the first of each key) and its merge keys (`<<`), listed once per
 * mapping; and the keys its merges were searched for in vain, with the least depth searched from
 * (a search from as deep or deeper sees no more). Merges can share sources: without this, looking
 * through a chain of `<<: [*a, *a]` took a look at 2^16 mappings for each finding.
 */
const mapPairs = new WeakMap<YamlNode, { byKey: Map<string, YamlPair>; merges: YamlPair[]; missing: Map<string, number> }>();

/** The pair of a mapping with this key, looking through merge keys (`<<: *base`) as YAML merges them. */
function findPair(lib: YamlLibrary, document: YamlDocument, map: YamlNode, key: string, depth: number): YamlPair | undefined {
  let pairs = mapPairs.get(map);
  if (pairs === undefined) {
    pairs = { byKey: new Map(), merges: [], missing: new Map() };
    for (const pair of map.items) {
      if (!lib.isScalar(pair.key)) continue;
      const name = String(pair.key.value);
      if (!pairs.byKey.has(name)) pairs.byKey.set(name, pair);
      if (pair.key.value === '<<') pairs.merges.push(pair);
    }
    mapPairs.set(map, pairs);
  }
  const own = pairs.byKey.get(key);
  if (own !== undefined || depth > 16) return own;
  if ((pairs.missing.get(key) ?? Infinity) <= depth) return undefined;
  for (const pair of pairs.merges) {
    let source = pair.value as YamlNode | null | undefined;
    if (source && lib.isAlias(source)) source = resolveAlias(source, document) as YamlNode | undefined;
    const sources = source && lib.isSeq(source) ? source.items.map((i) => (lib.isAlias(i) ? resolveAlias(i as YamlNode, document) : i)) : [source];
    for (const merged of sources) {
      if (merged && lib.isMap(merged)) {
        const found = findPair(lib, document, merged as YamlNode, key, depth + 1);
        if (found !== undefined) return found;
      }
    }
  }
  if (pairs.merges.length > 0) pairs.missing.set(key, depth);
  return undefined;
}

function loadYamlLibrary(): YamlLibrary {
  return yamlLibrary() as unknown as YamlLibrary;
}
