/*
 * The node index of a JSON document (see `takeIndex` in fast.ts for the YAML one): for the root,
 * every object member and every array item, in document order, the line and column a finding on
 * it points at (the member's key, the item's first character) and the number of the node after
 * its subtree. Built by one pass over the text JSON.parse accepted, beside the value it gave, so
 * that findings in `kubectl get -o json` exports are located without walking the text again.
 */

import { isArrayIndexKey, NodeIndexWriter } from './node-index.js';

const QUOTE = 34;
const BACKSLASH = 92;
const NL = 10;

let s = '';
let i = 0;
let line = 0;
let lineStart = 0;
const index = new NodeIndexWriter();

/** Thrown to give up: an object whose keys JavaScript does not keep in document order. */
const UNORDERED = { unordered: true };

/** What `indexJson` gives for an object whose keys JSON.parse did not keep in document order. */
export const UNORDERED_KEYS: unique symbol = Symbol('unordered keys');

/**
 * The index of the JSON value that starts at offset `from` of `source` (after any leading lines
 * readJson skipped); `UNORDERED_KEYS` when an object repeats a key (JSON.parse keeps the last
 * value silently, where YAML refuses it) or has keys that are array indexes (JavaScript lists
 * those first); undefined when it nests deeper than the stack. `value` is what JSON.parse gave.
 */
export function indexJson(source: string, from: number, value: unknown): Int32Array | typeof UNORDERED_KEYS | undefined {
  s = source;
  i = 0;
  line = 0;
  lineStart = 0;
  index.reset();
  try {
    advance(from);
    node(value);
    return index.take();
  } catch (error) {
    // Nesting deeper than the stack (only with the depth limit lifted) is left to the text walker.
    if (error === UNORDERED) return UNORDERED_KEYS;
    if (error instanceof RangeError) return undefined;
    throw error;
  } finally {
    s = '';
    index.shrink();
  }
}

/** Moves to offset `to`, counting lines. */
function advance(to: number): void {
  for (let nl = s.indexOf('\n', i); nl !== -1 && nl < to; nl = s.indexOf('\n', nl + 1)) {
    line++;
    lineStart = nl + 1;
  }
  i = to;
}

/** Skips white space (counting lines). */
function space(): void {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === NL) {
      line++;
      lineStart = ++i;
    } else if (c === 32 || c === 9 || c === 13) i++;
    else return;
  }
}

function open(): number {
  return index.open(line, i - lineStart);
}

function close(k: number): void {
  index.close(k);
}

/** The end of the string whose opening quote is at `i` (JSON strings hold no raw line breaks). */
function stringEnd(): number {
  let j = i + 1;
  for (;;) {
    const q = s.indexOf('"', j);
    let backslashes = 0;
    while (s.charCodeAt(q - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    j = q + 1;
  }
}

/** Reads the value at `i` (white space skipped), recording the nodes inside it. */
function value(parsed: unknown): void {
  const c = s.charCodeAt(i);
  if (c === 123 /* { */) object(parsed as Record<string, unknown>);
  else if (c === 91 /* [ */) array(parsed as unknown[]);
  else if (c === QUOTE) i = stringEnd();
  else {
    // A number, true, false or null: up to the next delimiter.
    for (let d = s.charCodeAt(i); i < s.length && d !== 44 && d !== 93 && d !== 125 && d !== 32 && d !== 9 && d !== 13 && d !== NL; d = s.charCodeAt(++i));
  }
}

/** The root: a node, then its value. */
function node(parsed: unknown): void {
  space();
  const k = open();
  value(parsed);
  close(k);
}

function object(parsed: Record<string, unknown>): void {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw UNORDERED; // misaligned by a repeated key
  i++;
  const values = Object.values(parsed);
  let members = 0;
  space();
  if (s.charCodeAt(i) === 125) {
    i++;
    return;
  }
  for (;;) {
    space();
    const k = open();
    const keyStart = i;
    i = stringEnd();
    // A key that is an array index ("0", "42") is listed first by JavaScript, not in document order.
    const first = s.charCodeAt(keyStart + 1);
    if (first >= 48 && first <= 57 && isArrayIndexKey(JSON.parse(s.slice(keyStart, i)) as string)) throw UNORDERED;
    space();
    i++; // :
    space();
    value(values[members]);
    close(k);
    members++;
    space();
    if (s.charCodeAt(i) === 44 /* , */) {
      i++;
      continue;
    }
    i++; // }
    break;
  }
  // Fewer keys than members: a key repeats, and JSON.parse kept the first one's place.
  if (members !== values.length) throw UNORDERED;
}

function array(parsed: unknown[]): void {
  if (!Array.isArray(parsed)) throw UNORDERED; // misaligned by a repeated key
  i++;
  space();
  if (s.charCodeAt(i) === 93) {
    i++;
    return;
  }
  for (let n = 0; ; n++) {
    space();
    const k = open();
    value(parsed[n]);
    close(k);
    space();
    if (s.charCodeAt(i) === 44) {
      i++;
      continue;
    }
    i++; // ]
    break;
  }
}
