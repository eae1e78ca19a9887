import yaml from 'js-yaml';
import { MamoriError } from '../errors.js';
import { isObject } from '../k8s/object.js';
import type { LoadLimits } from './limits.js';
import { DECLINED, readFast, takeIndex } from './fast.js';
import { indexJson, UNORDERED_KEYS } from './json-index.js';
import { KUBE_SCHEMA } from './schema.js';
import { LINE_TERMINATOR } from '../text.js';

/** One YAML document of a file: its text range and first line. */
export interface DocumentChunk {
  /** 0-based document index, counted as a YAML parser counts documents. */
  index: number;
  /** Offset of the document's first character in the file text. */
  start: number;
  end: number;
  /** 1-based line of `start`. */
  line: number;
}

/** True when a line starting at `offset` is a `---` or `...` marker. */
function isSeparator(text: string, offset: number): boolean {
  const c = text.charCodeAt(offset);
  if ((c !== 45 && c !== 46) || text.charCodeAt(offset + 1) !== c || text.charCodeAt(offset + 2) !== c) return false;
  const after = text.charCodeAt(offset + 3);
  return Number.isNaN(after) || after === 32 || after === 9 || after === 10 || after === 13;
}

/** True when the text holds something besides blank lines, comments and directives. */
function hasContent(text: string, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    let lineEnd = text.indexOf('\n', i);
    if (lineEnd === -1 || lineEnd > end) lineEnd = end;
    const line = text.slice(i, lineEnd).trim();
    if (line !== '' && !line.startsWith('#') && !line.startsWith('%') && line !== '---' && line !== '...') return true;
    i = lineEnd + 1;
  }
  return false;
}

/**
 * Splits a multi-document YAML text at its `---` and `...` lines, without parsing it, so that one
 * broken document does not take the others with it. Leading comments are not a document; empty
 * documents between separators are (as `loadAll` counts them).
 */
export function splitDocuments(text: string): DocumentChunk[] {
  return splitDocumentsWithin(text, Infinity).chunks;
}

/**
 * `splitDocuments`, reading at most `max` documents: `rest` is then the line where the part not
 * read begins (a file of millions of `---` lines would otherwise hold a record for each).
 */
export function splitDocumentsWithin(text: string, max: number): { chunks: DocumentChunk[]; rest: number | undefined } {
  const cuts: { offset: number; line: number; kind: 'start' | 'document' | 'end' }[] = [{ offset: 0, line: 1, kind: 'start' }];
  let line = 1;
  let offset = 0;
  let rest: number | undefined;
  while (offset < text.length) {
    if (isSeparator(text, offset)) {
      // Every cut but the first starts a document at most: past `max` of them, the rest is not read.
      if (cuts.length > max) {
        rest = line;
        break;
      }
      cuts.push({ offset, line, kind: text.charCodeAt(offset) === 45 ? 'document' : 'end' });
    }
    const next = text.indexOf('\n', offset);
    if (next === -1) break;
    offset = next + 1;
    line++;
  }
  const chunks: DocumentChunk[] = [];
  const stop = rest === undefined ? text.length : offset;
  for (let i = 0; i < cuts.length; i++) {
    const cut = cuts[i]!;
    const end = i + 1 < cuts.length ? cuts[i + 1]!.offset : stop;
    if (cut.kind === 'document') {
      chunks.push({ index: chunks.length, start: cut.offset, end, line: cut.line });
      continue;
    }
    // Text before the first `---` and after a `...` is a document only if it has content. A bare
    // document after `...` starts below the marker: kept in the chunk, the marker would end an
    // empty document there and the parser would see two. (Junk after the marker stays, to fail.)
    let start = cut.offset;
    let first = cut.line;
    if (cut.kind === 'end') {
      const eol = text.indexOf('\n', cut.offset);
      const rest = text.slice(cut.offset + 3, eol === -1 || eol > end ? end : eol).trim();
      if (rest === '' || rest.startsWith('#')) {
        start = eol === -1 || eol >= end ? end : eol + 1;
        first++;
      }
    }
    if (hasContent(text, start, end)) chunks.push({ index: chunks.length, start, end, line: first });
  }
  if (chunks.length > max) {
    rest = chunks[max]!.line;
    chunks.length = max;
  }
  return { chunks, rest };
}

/**
 * Line (1-based) of the first `{{` in a range that can be template syntax, for "render the chart
 * first" errors. A `{{` in a comment or inside a quoted string on its line is valid YAML and cannot
 * be what broke the parse, so it is skipped (by a line-local look, which is enough for charts).
 * The text before each `{{` on its line is read once for all the `{{` of the line: a long line of
 * them is otherwise quadratic.
 */
function templateLine(file: string, chunk: DocumentChunk): number | undefined {
  // Read within the document only: searching the whole file from each broken document of a file
  // of many would be quadratic.
  const text = file.slice(chunk.start, chunk.end);
  // The line being read (from `from`, to `lineEnd`), and what its text up to `raw` holds: a
  // comment, and the quotes (double ones counted up to `escaped`, an escaping `\` skipping the
  // character after it, as long as that is no line terminator).
  let from = 0;
  let lineEnd = -1;
  let raw = 0;
  let escaped = 0;
  let comment = false;
  let doubles = 0;
  let singles = 0;
  for (let at = text.indexOf('{{'); at !== -1; at = text.indexOf('{{', at + 2)) {
    if (at > lineEnd) {
      from = raw = escaped = text.lastIndexOf('\n', at - 1) + 1;
      const nl = text.indexOf('\n', at);
      lineEnd = nl === -1 ? text.length : nl;
      comment = false;
      doubles = singles = 0;
    }
    for (; raw < at && !comment; raw++) {
      const c = text.charCodeAt(raw);
      if (c === HASH && (raw === from || /\s/.test(text.charAt(raw - 1)))) comment = true;
      else if (c === SINGLE_QUOTE) singles++;
    }
    if (comment) {
      at = lineEnd - 1; // every `{{` after it on the line is in the comment: go on from the next line
      continue;
    }
    while (escaped < at) {
      const c = text.charCodeAt(escaped);
      if (c !== BACKSLASH) {
        if (c === DOUBLE_QUOTE) doubles++;
        escaped++;
      } else if (escaped + 1 === at) break; // it escapes the `{` at `at`, which only a later `{{` reads
      else escaped += LINE_TERMINATOR.test(text.charAt(escaped + 1)) ? 1 : 2;
    }
    if (doubles % 2 === 1 || singles % 2 === 1) continue; // inside a quoted string
    let line = chunk.line;
    for (let i = text.indexOf('\n'); i !== -1 && i < at; i = text.indexOf('\n', i + 1)) line++;
    return line;
  }
  return undefined;
}

/** A js-yaml artefact of an unquoted `{{ ... }}`: a flow mapping used as a key. */
function hasTemplateArtefact(value: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (Array.isArray(value)) return value.some((v) => hasTemplateArtefact(v, depth + 1));
  if (!isObject(value)) return false;
  for (const [k, v] of Object.entries(value)) {
    if (k === '[object Object]' || hasTemplateArtefact(v, depth + 1)) return true;
  }
  return false;
}

/**
 * Counts the nodes a value expands to when aliases are followed, memoised per shared node so the
 * count itself stays linear; throws on a recursive alias or when `limit` is passed.
 */
function checkExpansion(root: unknown, limit: number): void {
  const sizes = new Map<object, number>();
  const active = new Set<object>();
  const size = (node: unknown): number => {
    if (typeof node !== 'object' || node === null) return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    if (active.has(node)) throw new MamoriError('alias-limit', 'recursive alias: a node contains itself');
    active.add(node);
    let total = 1;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      total += size(child);
      if (total > limit) {
        throw new MamoriError('alias-limit', `aliases expand to more than ${limit.toLocaleString('en-US')} nodes (alias bomb?)`);
      }
    }
    active.delete(node);
    sizes.set(node, total);
    return total;
  };
  size(root);
}

const NOT_JSON = Symbol('not JSON');

/**
 * A document in JSON (as tools and `kubectl get -o json` write them) is read with the native JSON
 * parser: JSON is YAML, and the value is the same, many times faster. Anything it refuses (YAML
 * flow syntax, comments inside, nesting past the limit) goes to the YAML parser, which explains
 * the problem with a line and column. Gives the value and the offset where it starts.
 */
function readJson(source: string, maxDepth: number): { value: unknown; start: number } | typeof NOT_JSON {
  let i = 0;
  for (;;) {
    while (i < source.length && /\s/.test(source[i] ?? '')) i++;
    if (source.startsWith('---', i) || source.charCodeAt(i) === HASH) {
      const nl = source.indexOf('\n', i);
      if (nl === -1) return NOT_JSON;
      i = nl + 1;
      continue;
    }
    break;
  }
  const first = source.charCodeAt(i);
  if (first !== 123 && first !== 91) return NOT_JSON;
  let value: unknown;
  try {
    value = JSON.parse(source.slice(i)) as unknown;
  } catch {
    return NOT_JSON;
  }
  if (typeof value === 'object' && value !== null && deeperThan(value, maxDepth)) return NOT_JSON;
  // Where the value starts, after the lines skipped above: the JSON node index counts from there.
  return { value, start: i };
}

/** True when a parsed value nests collections more than `max` levels (it stops looking there). */
function deeperThan(root: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[root, 1]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [value, depth] = top;
    if (depth > max) return true;
    for (const child of Array.isArray(value) ? value : Object.values(value as object)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** A top-level `kind` ending in `List`, as JSON (`"kind": "List"`) or block YAML (`kind: PodList`). */
const LIST_KIND = /(?:^|[{,]\s*)"kind"\s*:\s*"[A-Za-z]*List"|^kind:[ \t]*["']?[A-Za-z]*List["']?[ \t]*$/m;

/**
 * True when a document declares a List kind in its first or last 4 KiB, where the top-level
 * `kind` is (kubectl writes it after `items`). A guess to let the document be parsed; what it is
 * is decided on the parsed value.
 */
function isListDocument(text: string, chunk: DocumentChunk): boolean {
  const edge = 4096;
  if (chunk.end - chunk.start <= 2 * edge) return LIST_KIND.test(text.slice(chunk.start, chunk.end));
  return LIST_KIND.test(text.slice(chunk.start, chunk.start + edge)) || LIST_KIND.test(text.slice(chunk.end - edge, chunk.end));
}

const HASH = 35;
const SINGLE_QUOTE = 39;
const DOUBLE_QUOTE = 34;
const BACKSLASH = 92;
const ANCHOR = /(?:^|[\s[{,])&[^\s[\]{},]/;

/**
 * Parses one document of a file. Returns the parsed value (null for an empty document), or throws
 * a MamoriError whose line is the file line of the problem. When the fast reader or the JSON
 * parser read it, `index` receives its node index (see `takeIndex` and `indexJson`).
 */
export function parseDocument(text: string, chunk: DocumentChunk, file: string, limits: LoadLimits, index?: { nodes?: Int32Array | undefined }): unknown {
  const size = chunk.end - chunk.start;
  // A List is no object the API server receives (kubectl sends its items one by one), so the limit
  // applies to each item (`loadText`): `kubectl get -o json` exports are Lists of many megabytes.
  if (size > limits.maxDocumentBytes && !isListDocument(text, chunk)) {
    throw new MamoriError(
      'too-large',
      `document ${chunk.index + 1} is ${size.toLocaleString('en-US')} bytes; the limit is ${limits.maxDocumentBytes.toLocaleString('en-US')} (the API server refuses larger objects)`,
      { file, line: chunk.line },
    );
  }
  const source = text.slice(chunk.start, chunk.end);
  const json = readJson(source, limits.maxDepth);
  const nodes = json === NOT_JSON ? undefined : indexJson(source, json.start, json.value);
  // A repeated key (or an array-index key) goes to the YAML parser, which refuses the first and
  // names its line, and reads the second as JSON.parse does.
  if (json !== NOT_JSON && nodes !== UNORDERED_KEYS) {
    if (index !== undefined) index.nodes = nodes;
    return json.value;
  }
  let value = readFast(source, limits.maxDepth);
  if (value !== DECLINED) {
    const nodes = takeIndex();
    if (index !== undefined) index.nodes = nodes;
    return value;
  }
  try {
    const options: yaml.LoadOptions & { maxDepth: number } = { schema: KUBE_SCHEMA, maxDepth: limits.maxDepth, filename: file };
    value = yaml.load(source, options);
  } catch (error) {
    const tl = templateLine(text, chunk);
    if (tl !== undefined) {
      throw new MamoriError('template', 'this looks like a Helm or Go template ({{ }}); render the chart first (helm template) and scan the output', { file, line: tl });
    }
    if (error instanceof yaml.YAMLException) {
      const mark = error.mark as { line?: number; column?: number; position?: number } | undefined;
      const depth = /maxDepth/.test(error.reason);
      const options: { file: string; line: number; column?: number; cause: unknown } = { file, line: chunk.line + (mark?.line ?? 0), cause: error };
      if (mark?.column !== undefined) options.column = mark.column + 1;
      if (mark?.position !== undefined && mark.position > source.length) {
        // js-yaml appends a newline to text that lacks one; an error at the end of the stream
        // would then point at a line the file does not have. Point at the end of the text.
        let newlines = 0;
        for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) newlines++;
        options.line = chunk.line + newlines;
        options.column = source.length - source.lastIndexOf('\n');
      }
      throw new MamoriError(
        depth ? 'too-deep' : 'parse',
        depth ? `nesting deeper than ${limits.maxDepth} levels` : `invalid ${json === NOT_JSON ? 'YAML' : 'JSON'}: ${error.reason}`,
        options,
      );
    }
    if (error instanceof RangeError) {
      throw new MamoriError('too-deep', 'document is nested too deeply to parse', { file, line: chunk.line, cause: error });
    }
    throw error;
  }
  if (typeof value === 'object' && value !== null && source.includes('&') && ANCHOR.test(source)) {
    try {
      checkExpansion(value, limits.maxExpandedNodes);
    } catch (error) {
      if (error instanceof MamoriError) throw new MamoriError(error.code, error.message, { file, line: chunk.line });
      if (error instanceof RangeError) throw new MamoriError('too-deep', 'aliases nest too deeply', { file, line: chunk.line });
      throw error;
    }
  }
  if (source.includes('{{') && hasTemplateArtefact(value)) {
    throw new MamoriError('template', 'this looks like a Helm or Go template ({{ }}); render the chart first (helm template) and scan the output', {
      file,
      line: templateLine(text, chunk) ?? chunk.line,
    });
  }
  return value;
}
