import { isArrayIndexKey, NodeIndexWriter } from './node-index.js';
import { resolvePlainScalar } from './schema.js';

/*
 * A fast reader for the block YAML that manifests are almost always written in: block mappings
 * and sequences, plain and quoted one-line scalars, literal and folded block scalars, one-line
 * flow collections of scalars, comments. It gives exactly the value js-yaml gives with the same
 * schema, several times faster, or declines: anything else (anchors, aliases, tags, multi-line
 * plain or quoted scalars, complex keys, duplicate keys, tabs, CR line ends, directives, nesting
 * near the limit, and every error) is left to the full parser, which also explains errors.
 * A differential test holds the two to the same value on every document of the corpora and on
 * mutated copies of them.
 */

/** Returned when the document needs the full YAML parser. */
export const DECLINED: unique symbol = Symbol('declined');

/** Thrown inside the reader to give up; caught at the top. */
const GIVE_UP = { giveUp: true };

// Reader state for the document being read (the reader is synchronous and not re-entrant).
let s = '';
let n = 0;
let maxDepth = 0;
/** The current content line: its start, indentation (spaces), first non-space and end. */
let ls = 0;
let ind = 0;
let cs = 0;
let le = 0;
let eof = false;
/** End offset of the last quoted scalar read. */
let qEnd = 0;
/** The number (0-based, in the document) of the current content line. */
let line = 0;

/** The node index of the document being read (see node-index.ts). */
const index = new NodeIndexWriter();
/** False once a key is an array index ("0", "42"): JavaScript then lists it first, not in document order. */
let indexable = true;
let lastIndex: Int32Array | undefined;

const SPACE = 32;
const NL = 10;
const HASH = 35;
const COLON = 58;
const DASH = 45;
const DQUOTE = 34;
const SQUOTE = 39;

/** Characters that mean "not for the fast reader" anywhere in a document. */
const UNSUPPORTED = /[^\n\x20-\x7E\xA0-\u2027\u202A-\uD7FF\uE000-\uFEFE\uFF00-\uFFFD]/;

function giveUp(): never {
  throw GIVE_UP;
}

/** True when the character at `i` separates (a space or the end of the line). */
function sepAt(i: number): boolean {
  if (i >= n) return true;
  const c = s.charCodeAt(i);
  return c === SPACE || c === NL;
}

/**
 * Moves to the first line at or after offset `from` (the start of line number `fromLine`) that has
 * content (not blank, not only a comment).
 */
function lineAt(from: number, fromLine: number): void {
  while (from < n) {
    let i = from;
    while (s.charCodeAt(i) === SPACE) i++;
    const c = s.charCodeAt(i);
    if (i >= n) break;
    if (c === NL) {
      from = i + 1;
      fromLine++;
      continue;
    }
    if (c === HASH) {
      const nl = s.indexOf('\n', i);
      if (nl === -1) break;
      from = nl + 1;
      fromLine++;
      continue;
    }
    line = fromLine;
    ls = from;
    ind = i - from;
    cs = i;
    const nl = s.indexOf('\n', i);
    le = nl === -1 ? n : nl;
    return;
  }
  eof = true;
  ls = cs = le = n;
  ind = -1;
}

function nextLine(): void {
  lineAt(le + 1, line + 1);
}

/** Requires the rest of the current line from `i` to be blank or a comment. */
function restIsBlank(i: number): void {
  const start = i;
  while (i < le && s.charCodeAt(i) === SPACE) i++;
  if (i === le) return;
  if (s.charCodeAt(i) === HASH && i > start) return;
  giveUp();
}

/**
 * Reads the document text as js-yaml would with the Kubernetes schema, or returns DECLINED.
 * `depthLimit` is the parser's nesting limit; documents that come near it are declined.
 */
export function readFast(text: string, depthLimit: number): unknown {
  lastIndex = undefined;
  if (UNSUPPORTED.test(text)) return DECLINED;
  s = text;
  n = text.length;
  // Deep nesting is for the full parser, which reports it (and is not bounded by this reader's stack).
  maxDepth = Math.min(depthLimit - 2, 200);
  eof = false;
  index.reset();
  indexable = true;
  try {
    lineAt(0, 0);
    if (eof) return DECLINED;
    if (ind === 0 && s.startsWith('---', cs) && sepAt(cs + 3)) {
      restIsBlank(cs + 3);
      nextLine();
      if (eof) return DECLINED;
    }
    const c = s.charCodeAt(cs);
    if (c === 37 /* % */) return DECLINED;
    const root = openNode(cs);
    const value = node(cs, -1, 1);
    if (!eof) return DECLINED;
    closeNode(root);
    if (indexable) lastIndex = index.take();
    return value;
  } catch (error) {
    if (error === GIVE_UP || error instanceof RangeError) return DECLINED;
    throw error;
  } finally {
    s = '';
    index.shrink();
  }
}

/**
 * The node index of the last document `readFast` read (undefined when it declined it, or when a
 * key is an array index): triples of (line of the node, 0-based in the document text; its
 * column, 0-based; the number of the node after its subtree), in document order. Nodes are the
 * root, every mapping entry and every sequence item, block or flow; see `TextLocator.addIndex`.
 */
export function takeIndex(): Int32Array | undefined {
  const index = lastIndex;
  lastIndex = undefined;
  return index;
}

/** Starts a node at offset `at` of the current line; returns its number, for `closeNode`. */
function openNode(at: number): number {
  return index.open(line, at - ls);
}

function closeNode(i: number): void {
  index.close(i);
}

/** Notes a key that JavaScript orders before the others (an array index), which the index cannot follow. */
function checkKey(key: string): void {
  if (isArrayIndexKey(key)) indexable = false;
}

/** A node starting at offset `p` of the current line, inside a parent whose column is `parent`. */
function node(p: number, parent: number, depth: number): unknown {
  if (s.charCodeAt(p) === DASH && sepAt(p + 1)) return sequence(p, depth);
  const colon = keyColon(p);
  if (colon !== -1) return mapping(p, colon, depth);
  return inline(p, parent);
}

/**
 * The offset of the `:` ending a key that starts at `p`, or -1 when the line from `p` is not a
 * `key: ...` entry. A quoted key is read (its value left for `mapping`).
 */
function keyColon(p: number): number {
  const c = s.charCodeAt(p);
  if (c === DQUOTE || c === SQUOTE) {
    const save = qEnd;
    quoted(p);
    const end = qEnd;
    qEnd = save;
    return s.charCodeAt(end) === COLON && sepAt(end + 1) ? end : -1;
  }
  if (!plainStart(c, p)) return -1;
  let hash = c;
  for (let i = p + 1; i < le; i++) {
    const ch = s.charCodeAt(i);
    if (ch === COLON && sepAt(i + 1)) {
      keyHash = hash;
      return i;
    }
    if (ch === HASH && s.charCodeAt(i - 1) === SPACE) return -1;
    hash = (Math.imul(hash, 31) + ch) | 0;
  }
  return -1;
}

/** Hash of the plain key `keyColon` found last. */
let keyHash = 0;
/** Keys seen before, by hash: reusing the string spares a copy and its interning per key. */
const KEYS: (string | undefined)[] = new Array<string | undefined>(4096).fill(undefined);

/** The plain key from `p` to `colon` (hash in `keyHash`) as js-yaml stores it. */
function plainKeyAt(p: number, colon: number): string {
  const length = colon - p;
  const slot = keyHash & 4095;
  const known = KEYS[slot];
  if (known !== undefined && known.length === length && s.startsWith(known, p)) return known;
  const key = plainKey(s.slice(p, colon));
  // Only keys that are their own text are kept (`on:` is stored as "true").
  if (length <= 64 && key.length === length && s.startsWith(key, p)) KEYS[slot] = key;
  return key;
}

/** True when a plain scalar may start with `c` (checked for the forms the fast reader takes). */
function plainStart(c: number, p: number): boolean {
  switch (c) {
    case 35: // #
    case 38: // &
    case 42: // *
    case 33: // !
    case 124: // |
    case 62: // >
    case 39: // '
    case 34: // "
    case 37: // %
    case 64: // @
    case 96: // `
    case 44: // ,
    case 91: // [
    case 93: // ]
    case 123: // {
    case 125: // }
    case 63: // ?
    case 58: // :
      return false;
    case DASH:
      // `---` (and `...` below) may be document markers to js-yaml: left to it.
      return !sepAt(p + 1) && !s.startsWith('--', p + 1);
    case 46: // .
      return !s.startsWith('..', p + 1);
    default:
      return true;
  }
}

/** A block mapping whose first key starts at `p` and ends at `colon` (found by `keyColon`). */
function mapping(p: number, colon: number, depth: number): Record<string, unknown> {
  if (depth > maxDepth) giveUp();
  const col = p - ls;
  const map: Record<string, unknown> = {};
  for (;;) {
    let key: string;
    const c = s.charCodeAt(p);
    if (c === DQUOTE || c === SQUOTE) {
      key = quoted(p);
      colon = qEnd;
      if (s.charCodeAt(colon) !== COLON || !sepAt(colon + 1)) giveUp();
    } else {
      if (colon === -1 || s.charCodeAt(colon - 1) === SPACE) giveUp();
      key = plainKeyAt(p, colon);
    }
    if (key === '__proto__' || Object.hasOwn(map, key)) giveUp();
    checkKey(key);
    const entry = openNode(p);
    map[key] = value(colon + 1, col, depth + 1);
    closeNode(entry);
    if (eof || ind < col) return map;
    if (ind > col) giveUp();
    p = cs;
    colon = keyColon(p);
  }
}

/** A plain key as js-yaml stores it: resolved by the schema, then turned into a string. */
function plainKey(raw: string): string {
  const value = plain(raw);
  return typeof value === 'string' ? value : String(value);
}

/** The value after a key's `:` at offset `p`; the key is at column `col`. */
function value(p: number, col: number, depth: number): unknown {
  let q = p;
  while (q < le && s.charCodeAt(q) === SPACE) q++;
  if (q === le || s.charCodeAt(q) === HASH) {
    nextLine();
    if (eof) return null;
    if (ind > col) return node(cs, col, depth);
    if (ind === col && s.charCodeAt(cs) === DASH && sepAt(cs + 1)) return sequence(cs, depth);
    return null;
  }
  if (s.charCodeAt(q) === DASH && sepAt(q + 1)) giveUp();
  return inline(q, col);
}

function sequence(p: number, depth: number): unknown[] {
  if (depth > maxDepth) giveUp();
  const col = p - ls;
  const list: unknown[] = [];
  for (;;) {
    let q = p + 1;
    while (q < le && s.charCodeAt(q) === SPACE) q++;
    if (q === le || s.charCodeAt(q) === HASH) {
      // An empty item of a sequence nested on its parent's line (`- -`) is read oddly by js-yaml.
      if (p !== cs) giveUp();
      const item = openNode(p);
      nextLine();
      list.push(!eof && ind > col ? node(cs, col, depth + 1) : null);
      closeNode(item);
    } else {
      const item = openNode(q);
      list.push(node(q, col, depth + 1));
      closeNode(item);
    }
    if (eof || ind < col) return list;
    if (ind > col) giveUp();
    if (s.charCodeAt(cs) !== DASH || !sepAt(cs + 1)) return list;
    p = cs;
  }
}

/** A scalar or flow collection on one line, at offset `p`; its parent is at column `parent`. */
function inline(p: number, parent: number): unknown {
  const c = s.charCodeAt(p);
  let result: unknown;
  if (c === DQUOTE || c === SQUOTE) {
    result = quoted(p);
    restIsBlank(qEnd);
  } else if (c === 124 || c === 62) {
    return block(p, parent);
  } else if (c === 91 || c === 123) {
    result = flow(p);
    restIsBlank(qEnd);
  } else {
    if (!plainStart(c, p)) giveUp();
    let end = le;
    for (let i = p + 1; i < le; i++) {
      const ch = s.charCodeAt(i);
      if (ch === COLON && sepAt(i + 1)) giveUp();
      if (ch === HASH && s.charCodeAt(i - 1) === SPACE) {
        end = i;
        break;
      }
    }
    while (s.charCodeAt(end - 1) === SPACE) end--;
    result = plain(s.slice(p, end));
  }
  nextLine();
  if (!eof && ind > parent) giveUp();
  return result;
}

/** A plain scalar resolved by the schema. */
function plain(raw: string): unknown {
  if (raw === '<<') giveUp();
  return resolvePlainScalar(raw);
}

/** Escapes of double-quoted scalars, as js-yaml reads them. */
const ESCAPES: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  '\t': '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\x1B',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  N: '\x85',
  _: '\xA0',
  L: '\u2028',
  P: '\u2029',
};
const HEX_LENGTH: Record<string, number> = { x: 2, u: 4, U: 8 };
const HEX = /^[0-9a-fA-F]+$/;

/** A one-line quoted scalar at `p`; sets `qEnd` after its closing quote. */
function quoted(p: number): string {
  const quote = s.charCodeAt(p);
  let out = '';
  let from = p + 1;
  for (let i = from; ; i++) {
    if (i >= le) giveUp();
    const ch = s.charCodeAt(i);
    if (ch === quote) {
      if (quote === SQUOTE && s.charCodeAt(i + 1) === SQUOTE) {
        out += s.slice(from, i + 1);
        from = i + 2;
        i++;
        continue;
      }
      qEnd = i + 1;
      return out + s.slice(from, i);
    }
    if (ch === 92 /* \ */ && quote === DQUOTE) {
      out += s.slice(from, i);
      const e = s[i + 1] ?? '';
      const simple = ESCAPES[e];
      if (simple !== undefined) {
        out += simple;
        i++;
      } else {
        const length = HEX_LENGTH[e];
        if (length === undefined) giveUp();
        const hex = s.slice(i + 2, i + 2 + length);
        if (hex.length !== length || !HEX.test(hex)) giveUp();
        const code = parseInt(hex, 16);
        if (code > 0x10ffff) giveUp();
        out += String.fromCodePoint(code);
        i += 1 + length;
      }
      from = i + 1;
    }
  }
}

/** A one-line flow sequence or mapping of scalars at `p`; sets `qEnd` after its closing bracket. */
function flow(p: number): unknown {
  const isMap = s.charCodeAt(p) === 123;
  const close = isMap ? 125 : 93;
  const result: unknown = isMap ? {} : [];
  let i = p + 1;
  while (i < le && s.charCodeAt(i) === SPACE) i++;
  if (s.charCodeAt(i) === close) {
    qEnd = i + 1;
    return result;
  }
  for (;;) {
    const member = openNode(i);
    const first = flowScalar(i);
    i = qEnd;
    while (i < le && s.charCodeAt(i) === SPACE) i++;
    if (isMap) {
      if (s.charCodeAt(i) !== COLON || !(s.charCodeAt(i + 1) === SPACE)) giveUp();
      i += 2;
      while (i < le && s.charCodeAt(i) === SPACE) i++;
      const key = first.raw === undefined ? (first.value as string) : plainKey(first.raw);
      const map = result as Record<string, unknown>;
      if (key === '__proto__' || Object.hasOwn(map, key)) giveUp();
      checkKey(key);
      map[key] = flowScalar(i).value;
      i = qEnd;
      while (i < le && s.charCodeAt(i) === SPACE) i++;
    } else {
      if (s.charCodeAt(i) === COLON) giveUp();
      (result as unknown[]).push(first.value);
    }
    closeNode(member);
    const c = s.charCodeAt(i);
    if (c === close) {
      qEnd = i + 1;
      return result;
    }
    if (c !== 44 /* , */) giveUp();
    i++;
    while (i < le && s.charCodeAt(i) === SPACE) i++;
    if (s.charCodeAt(i) === close) giveUp();
  }
}

/** A scalar inside a flow collection at `i`: its value, and its text when plain (undefined when quoted); sets `qEnd` after it. */
function flowScalar(i: number): { value: unknown; raw: string | undefined } {
  const c = s.charCodeAt(i);
  if (c === DQUOTE || c === SQUOTE) return { value: quoted(i), raw: undefined };
  if (!plainStart(c, i)) giveUp();
  let end = i + 1;
  for (; end < le; end++) {
    const ch = s.charCodeAt(end);
    if (ch === 44 || ch === 93 || ch === 125) break;
    if (ch === 91 || ch === 123) giveUp();
    if (ch === COLON) {
      const next = s.charCodeAt(end + 1);
      if (next === SPACE || next === 44 || next === 93 || next === 125 || next === 91 || next === 123 || end + 1 >= le) break;
    }
    if (ch === HASH && s.charCodeAt(end - 1) === SPACE) giveUp();
  }
  if (end >= le) giveUp();
  qEnd = end;
  while (s.charCodeAt(end - 1) === SPACE) end--;
  const raw = s.slice(i, end);
  return { value: plain(raw), raw };
}

/**
 * A literal (`|`) or folded (`>`) block scalar whose header is at `p`, inside a parent at column
 * `parent`, read line by line as js-yaml reads it (indentation detection, folding, chomping).
 */
function block(p: number, parent: number): string {
  if (parent < 0) giveUp();
  const folding = s.charCodeAt(p) === 62;
  let chomp = 0; // 0 clip, 1 strip, 2 keep
  let i = p + 1;
  const c = s.charCodeAt(i);
  if (c === DASH) {
    chomp = 1;
    i++;
  } else if (c === 43 /* + */) {
    chomp = 2;
    i++;
  }
  const d = s.charCodeAt(i);
  if (d >= 48 && d <= 57) giveUp();
  if (i < le && s.charCodeAt(i) !== SPACE) giveUp();
  restIsBlank(i);
  let textIndent = parent + 1;
  let detected = false;
  let emptyLines = 0;
  let didRead = false;
  let atMore = false;
  let out = '';
  // As js-yaml reads it: the text ends with a line break (added when missing), then a NUL.
  const last = s.charCodeAt(n - 1) === NL ? n : n + 1;
  const at = (i: number): number => (i < n ? s.charCodeAt(i) : i < last ? NL : 0);
  let pos = le;
  let ch = at(pos);
  let lineStart = pos;
  let lineNumber = line;
  while (ch !== 0) {
    if (ch === NL) {
      pos++;
      lineNumber++;
    }
    lineStart = pos;
    let lineIndent = 0;
    ch = at(pos);
    while ((!detected || lineIndent < textIndent) && ch === SPACE) {
      lineIndent++;
      ch = at(++pos);
    }
    if (!detected && lineIndent > textIndent) textIndent = lineIndent;
    if (ch === NL) {
      emptyLines++;
      continue;
    }
    if (lineIndent < textIndent) {
      if (chomp === 2) out += '\n'.repeat(didRead ? 1 + emptyLines : emptyLines);
      else if (chomp === 0 && didRead) out += '\n';
      break;
    }
    if (folding) {
      if (ch === SPACE) {
        atMore = true;
        out += '\n'.repeat(didRead ? 1 + emptyLines : emptyLines);
      } else if (atMore) {
        atMore = false;
        out += '\n'.repeat(emptyLines + 1);
      } else if (emptyLines === 0) {
        if (didRead) out += ' ';
      } else {
        out += '\n'.repeat(emptyLines);
      }
    } else {
      out += '\n'.repeat(didRead ? 1 + emptyLines : emptyLines);
    }
    didRead = true;
    detected = true;
    emptyLines = 0;
    let end = s.indexOf('\n', pos);
    if (end === -1) end = n;
    out += s.slice(pos, end);
    pos = end;
    ch = at(pos);
  }
  lineAt(lineStart, lineNumber);
  if (!eof && ind > parent) giveUp();
  return out;
}
