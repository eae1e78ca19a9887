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

type Collection = { kind: 'block'; line: number; column: number } | { kind: 'scalar' } | { kind: 'unsupported' } | { kind: 'none' };

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

  /** Indent of a line, or -1 for a blank or comment line (or a document marker). */
  private indent(index: number): number {
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
    if (c === 123 || c === 91 || c === 42 /* * */) return { kind: 'unsupported' };
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

  private walk(doc: DocumentRange, path: Path): Walk {
    const starts = this.starts();
    const firstLine = doc.line - 1;
    let lastLine = firstLine;
    while (lastLine + 1 < starts.length && (starts[lastLine + 1] ?? Infinity) < doc.end) lastLine++;
    const root = this.nextContent(firstLine, lastLine);
    if (root === -1) return { lineIndex: firstLine, column: 0, depth: 0, unsupported: false };
    let node: Collection = { kind: 'block', line: root, column: this.indent(root) };
    const rootStart = (starts[root] ?? 0) + this.indent(root);
    const rc = this.text.charCodeAt(rootStart);
    if (rc === 123 || rc === 91) node = { kind: 'unsupported' };
    let at = { lineIndex: root, column: this.indent(root) };
    let depth = 0;
    for (const segment of path) {
      if (node.kind !== 'block') return { ...at, depth, unsupported: node.kind === 'unsupported' };
      const k: number = node.column;
      const found: { line: number; column: number; value: Collection } | 'unsupported' | undefined =
        typeof segment === 'number' ? this.sequenceItem(node.line, k, segment, lastLine) : this.mappingEntry(node.line, k, segment, lastLine);
      if (found === 'unsupported') return { ...at, depth, unsupported: true };
      if (found === undefined) return { ...at, depth, unsupported: false };
      at = { lineIndex: found.line, column: found.column };
      node = found.value;
      depth++;
    }
    return { ...at, depth, unsupported: false };
  }

  private mappingEntry(
    first: number,
    k: number,
    key: string,
    lastLine: number,
  ): { line: number; column: number; value: Collection } | 'unsupported' | undefined {
    let unsupported = false;
    for (let l = first; l <= lastLine; l++) {
      const indent = l === first ? k : this.indent(l);
      if (indent < 0) continue;
      if (indent < k) break;
      if (indent > k) continue;
      if (this.isDashAt(l, k)) {
        if (l === first) return undefined; // a sequence, not a mapping
        continue;
      }
      const parsed = this.keyAt(l, k);
      if (parsed === 'unsupported') {
        unsupported = true;
        continue;
      }
      if (parsed === undefined || parsed.key !== key) {
        if (parsed?.key === '<<') unsupported = true; // the key may come from a merge
        continue;
      }
      return { line: l, column: k, value: this.valueAfter(l, parsed.after, k, lastLine, false) };
    }
    return unsupported ? 'unsupported' : undefined;
  }

  private sequenceItem(first: number, k: number, index: number, lastLine: number): { line: number; column: number; value: Collection } | undefined {
    let count = 0;
    for (let l = first; l <= lastLine; l++) {
      const indent = l === first ? k : this.indent(l);
      if (indent < 0) continue;
      if (indent < k) break;
      if (indent > k) continue;
      if (!this.isDashAt(l, k)) break;
      if (count === index) {
        const lineStart = this.starts()[l] ?? 0;
        const value = this.valueAfter(l, lineStart + k + 1, k, lastLine, true);
        let content = lineStart + k + 1;
        const end = this.lineEnd(l);
        while (content < end && (this.text.charCodeAt(content) === SPACE || this.text.charCodeAt(content) === 9)) content++;
        const inline = content < end && this.text.charCodeAt(content) !== HASH;
        return { line: l, column: inline ? content - lineStart : k, value };
      }
      count++;
    }
    return undefined;
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
