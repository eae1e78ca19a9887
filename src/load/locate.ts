import { createRequire } from 'node:module';
import type { Path } from '../types.js';

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
type MappingIndex = {
  keys: Map<string, { line: number; after: number }>;
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
  private readonly sequences = new Map<number, number[]>();
  private readonly flows = new Map<number, Map<string, number> | null>();
  private indents: Int32Array | undefined;

  constructor(text: string) {
    this.text = text;
  }

  private starts(): number[] {
    if (this.lineStarts === undefined) {
      const starts = [0];
      const text = this.text;
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
      this.lineStarts = starts;
    }
    return this.lineStarts;
  }

  /** Position of `path` in the document, or of its deepest existing ancestor. */
  locate(doc: DocumentRange, path: Path): TextPosition {
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
      if (indent > ownerIndent) return { kind: 'block', line: next, column: indent };
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
  private previous: { start: number; path: Path; states: { node: Collection; at: { lineIndex: number; column: number } }[] } | undefined;

  private walk(doc: DocumentRange, path: Path): Walk {
    const starts = this.starts();
    const firstLine = doc.line - 1;
    const lastLine = this.lastLineOf(doc);
    let states: { node: Collection; at: { lineIndex: number; column: number } }[];
    let depth = 0;
    const prev = this.previous;
    if (prev !== undefined && prev.start === doc.start) {
      const max = Math.min(path.length, prev.path.length, prev.states.length - 1);
      while (depth < max && prev.path[depth] === path[depth]) depth++;
      states = prev.states.slice(0, depth + 1);
    } else {
      const root = this.nextContent(firstLine, lastLine);
      if (root === -1) return { lineIndex: firstLine, column: 0, depth: 0, unsupported: false };
      const rootIndent = this.indent(root);
      const rootStart = (starts[root] ?? 0) + rootIndent;
      const rc = this.text.charCodeAt(rootStart);
      const node: Collection = rc === 123 || rc === 91 ? { kind: 'flow', offset: rootStart } : { kind: 'block', line: root, column: rootIndent };
      states = [{ node, at: { lineIndex: root, column: rootIndent } }];
    }
    this.previous = { start: doc.start, path, states };
    let { node, at } = states[depth] as { node: Collection; at: { lineIndex: number; column: number } };
    for (; depth < path.length; depth++) {
      const segment = path[depth] as string | number;
      if (node.kind === 'flow') return this.walkFlow(node.offset, doc.end, path.slice(depth), at, depth);
      if (node.kind !== 'block') return { ...at, depth, unsupported: node.kind === 'unsupported' };
      const k: number = node.column;
      const found: { line: number; column: number; value: Collection } | 'unsupported' | undefined =
        typeof segment === 'number' ? this.sequenceItem(node.line, k, segment, lastLine) : this.mappingEntry(node.line, k, segment, lastLine);
      if (found === 'unsupported') return { ...at, depth, unsupported: true };
      if (found === undefined) return { ...at, depth, unsupported: false };
      at = { lineIndex: found.line, column: found.column };
      node = found.value;
      states.push({ node, at });
    }
    return { ...at, depth: path.length, unsupported: false };
  }

  /** Follows the rest of a path into a flow collection (JSON, or YAML's `{...}` and `[...]`). */
  private walkFlow(offset: number, end: number, rest: Path, at: { lineIndex: number; column: number }, depth: number): Walk {
    let index = this.flows.get(offset);
    if (index === undefined) {
      index = indexFlow(this.text, offset, end) ?? null;
      this.flows.set(offset, index);
    }
    if (index === null) return { ...at, depth, unsupported: true };
    let key = '';
    let found: number | undefined;
    let resolved = 0;
    for (const segment of rest) {
      key += flowKey(segment);
      const position = index.get(key);
      if (position === undefined) break;
      found = position;
      resolved++;
    }
    if (found === undefined) return { ...at, depth, unsupported: false };
    const line = this.lineIndexOf(found);
    return { lineIndex: line, column: found - (this.starts()[line] ?? 0), depth: depth + resolved, unsupported: false };
  }

  private lineIndexOf(offset: number): number {
    const starts = this.starts();
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The entry of a block mapping at (first, k); entries are indexed as far as lookups have read. */
  private mappingEntry(
    first: number,
    k: number,
    key: string,
    lastLine: number,
  ): { line: number; column: number; value: Collection } | 'unsupported' | undefined {
    const id = first * 4096 + k;
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
    return { line: entry.line, column: k, value: this.valueAfter(entry.line, entry.after, k, lastLine, false) };
  }

  private sequenceItem(first: number, k: number, index: number, lastLine: number): { line: number; column: number; value: Collection } | undefined {
    const id = first * 4096 + k;
    let items = this.sequences.get(id);
    if (items === undefined) {
      items = [];
      for (let l = first; l <= lastLine; l++) {
        const indent = l === first ? k : this.indent(l);
        if (indent < 0) continue;
        if (indent < k) break;
        if (indent > k) continue;
        if (!this.isDashAt(l, k)) break;
        items.push(l);
      }
      this.sequences.set(id, items);
    }
    const l = items[index];
    if (l === undefined) return undefined;
    const lineStart = this.starts()[l] ?? 0;
    const value = this.valueAfter(l, lineStart + k + 1, k, lastLine, true);
    let content = lineStart + k + 1;
    const end = this.lineEnd(l);
    while (content < end && (this.text.charCodeAt(content) === SPACE || this.text.charCodeAt(content) === 9)) content++;
    const inline = content < end && this.text.charCodeAt(content) !== HASH;
    return { line: l, column: inline ? content - lineStart : k, value };
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
      if (node && lib.isAlias(node)) node = node.resolve(document) as YamlNode | undefined;
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
    const starts = this.starts();
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= absolute) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: absolute - (starts[lo] ?? 0) + 1 };
  }
}

/** The key of a path segment in a flow index: indexes and keys never collide. */
function flowKey(segment: string | number): string {
  return typeof segment === 'number' ? `\u0001${segment}` : `\u0002${segment}`;
}

/**
 * Indexes a flow collection (JSON, or YAML's `{a: b}` / `[a, b]`) starting at `start`: every
 * member's key position and every item's position, by path. Returns undefined for syntax it does
 * not follow (anchors, aliases, tags, complex keys), which the caller hands to a full parser.
 */
function indexFlow(text: string, start: number, end: number): Map<string, number> | undefined {
  const out = new Map<string, number>();
  let i = start;
  let depth = 0;
  const fail = (): never => {
    throw indexFlow;
  };
  const space = (): void => {
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c === SPACE || c === 9 || c === 10 || c === 13) i++;
      else if (c === HASH && (i === start || /\s/.test(text[i - 1] ?? ''))) {
        const nl = text.indexOf('\n', i);
        i = nl === -1 || nl > end ? end : nl;
      } else break;
    }
  };
  const quoted = (): string => {
    const q = text.charCodeAt(i);
    const from = i;
    i++;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (q === 34 && c === 92) i += 2;
      else if (c === q) {
        if (q === 39 && text.charCodeAt(i + 1) === 39) i += 2;
        else {
          i++;
          const raw = text.slice(from, i);
          if (q === 39) return raw.slice(1, -1).replace(/''/g, "'");
          if (!raw.includes('\\') && !raw.includes('\n')) return raw.slice(1, -1);
          try {
            return JSON.parse(raw.replace(/\r?\n\s*/g, ' ')) as string;
          } catch {
            return raw.slice(1, -1);
          }
        }
      } else i++;
    }
    return fail();
  };
  // A plain scalar in flow context ends at `,`, `]`, `}`, or `: ` (for keys), or ` #`.
  const plain = (key: boolean): string => {
    const from = i;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c === 44 || c === 93 || c === 125) break;
      if (c === 58 && key) {
        const n = text.charCodeAt(i + 1);
        if (n === SPACE || n === 9 || n === 10 || n === 13 || n === 44 || n === 125 || n === 93) break;
      }
      if (c === HASH && /\s/.test(text[i - 1] ?? '')) break;
      if (c === 10 && !key) {
        i++;
        continue;
      }
      i++;
    }
    return text.slice(from, i).trim();
  };
  const value = (path: string): void => {
    space();
    const c = text.charCodeAt(i);
    if (c === 38 || c === 42 || c === 33 || c === 63) fail(); // & * ! ?
    if (c === 123 || c === 91) {
      if (++depth > 256) fail();
      const close = c === 123 ? 125 : 93;
      i++;
      for (let n = 0; ; n++) {
        space();
        if (text.charCodeAt(i) === close) {
          i++;
          break;
        }
        if (i >= end) fail();
        if (c === 123) {
          const at = i;
          const k = text.charCodeAt(i);
          if (k === 38 || k === 42 || k === 33 || k === 63 || k === 123 || k === 91) fail();
          const name = k === 34 || k === 39 ? quoted() : plain(true);
          const child = path + flowKey(name);
          if (!out.has(child)) out.set(child, at);
          space();
          if (text.charCodeAt(i) === 58) {
            i++;
            value(child);
          }
        } else {
          const child = path + flowKey(n);
          space();
          out.set(child, i);
          value(child);
        }
        space();
        const sep = text.charCodeAt(i);
        if (sep === 44) i++;
        else if (sep !== close) fail();
      }
      depth--;
      return;
    }
    if (c === 34 || c === 39) quoted();
    else plain(false);
  };
  try {
    value('');
  } catch (error) {
    if (error === indexFlow) return undefined;
    throw error;
  }
  return out;
}

interface YamlNode {
  range?: [number, number, number] | null;
  items: { key: unknown; value: unknown }[];
  value?: unknown;
  resolve(doc: unknown): unknown;
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
}

/** The pair of a mapping with this key, looking through merge keys (`<<: *base`) as YAML merges them. */
function findPair(lib: YamlLibrary, document: YamlDocument, map: YamlNode, key: string, depth: number): { key: unknown; value: unknown } | undefined {
  const own = map.items.find((p) => lib.isScalar(p.key) && String(p.key.value) === key);
  if (own !== undefined || depth > 16) return own;
  for (const pair of map.items) {
    if (!lib.isScalar(pair.key) || pair.key.value !== '<<') continue;
    let source = pair.value as YamlNode | null | undefined;
    if (source && lib.isAlias(source)) source = source.resolve(document) as YamlNode | undefined;
    const sources = source && lib.isSeq(source) ? source.items.map((i) => (lib.isAlias(i) ? (i as YamlNode).resolve(document) : i)) : [source];
    for (const merged of sources) {
      if (merged && lib.isMap(merged)) {
        const found = findPair(lib, document, merged as YamlNode, key, depth + 1);
        if (found !== undefined) return found;
      }
    }
  }
  return undefined;
}

let yamlLibrary: YamlLibrary | undefined;
/** The `yaml` package is loaded only when a document needs it, to keep start-up small. */
function loadYamlLibrary(): YamlLibrary {
  yamlLibrary ??= createRequire(import.meta.url)('yaml') as YamlLibrary;
  return yamlLibrary;
}
