/**
 * The lines of a manifest that hold a secret value, which the diff of `mamori fix` never prints:
 * the values of a Secret's `data` and `stringData` and its `kubectl.kubernetes.io/last-applied-configuration`
 * annotation (a copy of them), found in the text's structure wherever a Secret is (a document, an
 * item of a List, nested deeper), and the lines where the rules that look for secret values
 * elsewhere (an env var holding a password) point.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node as YNode } from 'yaml';
import type { Rule } from '../engine/rule.js';
import { scanTexts } from '../engine/scan.js';
import { lineIndexAt, lineStarts } from '../text.js';
import { splitDocuments } from '../load/parse.js';

/** Rules whose findings point at secret values. */
export const SECRET_VALUE_RULES: ReadonlySet<string> = new Set(['hardcoded-credential', 'hardcoded-password', 'weak-secret-value', 'secret-in-last-applied']);

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** The 1-based line of an offset. */
const lineAt = (starts: readonly number[], offset: number): number => lineIndexAt(starts, offset) + 1;

/** The lines of a text to hide (`out`), and `mark`, which adds those of a range of offsets. */
function lineMarks(text: string): { starts: number[]; out: Set<number>; mark: (from: number, to: number) => void } {
  const starts = lineStarts(text);
  const out = new Set<number>();
  const mark = (from: number, to: number): void => {
    const last = lineAt(starts, Math.max(from, to - 1));
    for (let line = lineAt(starts, from); line <= last; line++) out.add(line);
  };
  return { starts, out, mark };
}

/** A document of a text, parsed with the `yaml` package for the ranges of its nodes. */
interface ParsedDocument {
  start: number;
  end: number;
  doc: Document;
}

/** Every document of a text, each parsed once (`secretDataLines` and `secretFindingLines` share them). */
function parsedDocuments(text: string): ParsedDocument[] {
  return splitDocuments(text).map((chunk) => ({ start: chunk.start, end: chunk.end, doc: parseDocument(text.slice(chunk.start, chunk.end), { uniqueKeys: false, prettyErrors: false }) }));
}

type Found = YNode | null | undefined;

/** A node with aliases followed to the node they name (at most a few times: an alias may name an alias). */
function resolved(node: Found, doc: Document): Found {
  let at = node;
  for (let hops = 0; hops < 8 && isAlias(at); hops++) at = at.resolve(doc) as Found;
  return isAlias(at) ? undefined : at;
}

/** Work a document's walk may spend following merge keys; past it the document is hidden whole. */
const BUDGET = 1_000_000;

/** Thrown when the walk of a document spends its budget. */
class OverBudget extends Error {}

/**
 * The values of every pair of a mapping with the key `key`, its own and those of the mappings it
 * merges (`<<: *base`), each mapping looked at once. `spend` counts the work.
 */
function valuesOf(node: Found, key: string, doc: Document, spend: () => void): Found[] {
  const out: Found[] = [];
  const stack: Found[] = [node];
  const seen = new Set<object>();
  for (let at = stack.pop(); at !== undefined || stack.length > 0; at = stack.pop()) {
    const map = resolved(at, doc);
    if (!isMap(map) || seen.has(map)) continue;
    seen.add(map);
    for (const pair of map.items) {
      spend();
      if (!isPair(pair) || !isScalar(pair.key)) continue;
      if (pair.key.value === key) out.push(pair.value as Found);
      else if (pair.key.value === '<<') {
        const value = resolved(pair.value as Found, doc);
        if (isSeq(value)) for (const item of value.items) stack.push(item as Found);
        else stack.push(value);
      }
    }
  }
  return out;
}

/**
 * The line numbers (1-based) of `text` that hold a value of a Secret's `data` or `stringData`, or
 * its last-applied-configuration annotation. A document the `yaml` package cannot parse is hidden whole.
 */
export function secretDataLines(text: string, documents: readonly ParsedDocument[] = parsedDocuments(text)): Set<number> {
  const { out, mark } = lineMarks(text);
  for (const chunk of documents) {
    const source = text.slice(chunk.start, chunk.end);
    const { doc } = chunk;
    if (doc.errors.length > 0) {
      mark(chunk.start, chunk.end);
      continue;
    }
    // Marks the lines of a node, and of the nodes its aliases name (each node once).
    const seen = new Set<object>();
    const hide = (node: Found): void => {
      const stack: Found[] = [node];
      for (let at = stack.pop(); stack.length > 0 || at !== undefined; at = stack.pop()) {
        if (at === undefined || at === null || seen.has(at)) continue;
        seen.add(at);
        if (isAlias(at)) {
          stack.push(resolved(at, doc));
          continue;
        }
        const range = at.range;
        if (range !== undefined && range !== null) {
          // A block scalar's range runs on over the line breaks after it.
          let end = range[1];
          while (end > range[0] && /\s/.test(source.charAt(end - 1))) end--;
          mark(chunk.start + range[0], chunk.start + Math.max(end, range[0] + 1));
        }
        if (isMap(at)) for (const pair of at.items) stack.push(pair.key as Found, pair.value as Found);
        else if (isSeq(at)) for (const item of at.items) stack.push(item as Found);
      }
    };
    // Every mapping of the document: a Secret may be an item of a List, or nested deeper.
    let spent = 0;
    const spend = (): void => {
      if (++spent > BUDGET) throw new OverBudget();
    };
    const values = (node: Found, key: string): Found[] => valuesOf(node, key, doc, spend);
    const all = (nodes: readonly Found[], key: string): Found[] => nodes.flatMap((node) => values(node, key));
    try {
      const stack: Found[] = [doc.contents as Found];
      const walked = new Set<object>();
      for (let node = stack.pop(); node !== undefined || stack.length > 0; node = stack.pop()) {
        if (node === undefined || node === null || isAlias(node) || walked.has(node)) continue;
        walked.add(node);
        spend();
        if (isSeq(node)) {
          for (const item of node.items) stack.push(item as Found);
          continue;
        }
        if (!isMap(node)) continue;
        const kind = (of: Found): boolean | string => {
          const found = values(of, 'kind').map((k) => resolved(k, doc)).find((k) => isScalar(k));
          return isScalar(found) ? String(found.value) : false;
        };
        const hideSecret = (secret: Found): void => {
          for (const value of [...values(secret, 'data'), ...values(secret, 'stringData')]) hide(value);
          for (const value of all(all(values(secret, 'metadata'), 'annotations'), LAST_APPLIED)) hide(value);
        };
        const own = kind(node);
        if (own === 'Secret') hideSecret(node);
        // A SecretList's items are Secrets whether or not they say so (kubectl reads them so).
        if (own === 'SecretList') {
          for (const items of values(node, 'items')) {
            const list = resolved(items, doc);
            if (isSeq(list)) for (const item of list.items) hideSecret(item as Found);
          }
        }
        for (const pair of node.items) stack.push(pair.value as Found);
      }
    } catch (error) {
      if (!(error instanceof OverBudget)) throw error;
      mark(chunk.start, chunk.end);
    }
  }
  return out;
}

/**
 * The lines where `rules` (those of SECRET_VALUE_RULES) find a secret value in a text, with the
 * lines below each that are indented deeper (the rest of a multi-line value), and every line of a
 * value that starts on such a line or whose key does (a value continued less indented, inside a
 * flow collection or a quoted string).
 */
export function secretFindingLines(file: string, text: string, rules: readonly Rule[], documents?: readonly ParsedDocument[]): Set<number> {
  const report = scanTexts([{ file, text }], { rules: rules.filter((r) => SECRET_VALUE_RULES.has(r.id)), pss: 'privileged' });
  const lines = text.split('\n');
  const indent = (line: string): number => line.length - line.trimStart().length;
  const out = new Set<number>();
  // Findings inside one value (a block scalar of keys) share its line: its lines are added once.
  const seen = new Set<number>();
  for (const finding of report.findings) {
    const line = finding.location?.line;
    if (line === undefined || seen.has(line)) continue;
    seen.add(line);
    out.add(line);
    const base = indent(lines[line - 1] ?? '');
    for (let n = line + 1; n <= lines.length; n++) {
      const next = lines[n - 1] ?? '';
      if (next.trim() !== '' && indent(next) <= base) break;
      out.add(n);
    }
  }
  if (seen.size > 0) for (const line of valueLinesFrom(text, seen, documents ?? parsedDocuments(text))) out.add(line);
  return out;
}

/**
 * Every line of the scalar values that start on one of `lines`, or whose key does. A document the
 * `yaml` package cannot parse, or that takes more than the budget to walk, is hidden whole.
 */
function valueLinesFrom(text: string, lines: ReadonlySet<number>, documents: readonly ParsedDocument[]): Set<number> {
  const { starts, out, mark } = lineMarks(text);
  for (const chunk of documents) {
    const first = lineAt(starts, chunk.start);
    const last = lineAt(starts, Math.max(chunk.start, chunk.end - 1));
    let inside = false;
    for (const line of lines) if (line >= first && line <= last) inside = true;
    if (!inside) continue;
    const { doc } = chunk;
    if (doc.errors.length > 0) {
      mark(chunk.start, chunk.end);
      continue;
    }
    const startsOn = (node: Found): boolean => {
      const range = node?.range;
      return range !== undefined && range !== null && lines.has(lineAt(starts, chunk.start + range[0]));
    };
    const markNode = (node: Found): void => {
      const range = node?.range;
      if (range === undefined || range === null) return;
      mark(chunk.start + range[0], chunk.start + Math.max(range[1], range[0] + 1));
    };
    let spent = 0;
    const stack: Found[] = [doc.contents as Found];
    const walked = new Set<object>();
    for (let node = stack.pop(); node !== undefined || stack.length > 0; node = stack.pop()) {
      if (node === undefined || node === null || isAlias(node) || walked.has(node)) continue;
      walked.add(node);
      if (++spent > BUDGET) {
        mark(chunk.start, chunk.end);
        break;
      }
      if (isMap(node)) {
        for (const pair of node.items) {
          const value = pair.value as Found;
          if (isScalar(value) && (startsOn(pair.key as Found) || startsOn(value))) markNode(value);
          stack.push(value);
        }
      } else if (isSeq(node)) {
        for (const item of node.items) {
          if (isScalar(item) && startsOn(item as Found)) markNode(item as Found);
          stack.push(item as Found);
        }
      }
    }
  }
  return out;
}

/** Every line of a text that holds a secret value (`secretDataLines` and `secretFindingLines`). */
export function secretLines(file: string, text: string, rules: readonly Rule[]): Set<number> {
  const documents = parsedDocuments(text);
  const out = secretDataLines(text, documents);
  for (const line of secretFindingLines(file, text, rules, documents)) out.add(line);
  return out;
}
