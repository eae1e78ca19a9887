import { MamoriError } from '../errors.js';
import { asArray, asObject, asString, formatPath, isObject, objectRef } from '../k8s/object.js';
import type { JsonObject, Location, Path, ReportError } from '../types.js';
import { expandPaths, readInput, walkPassesOver, type InputRef } from './files.js';
import { DEFAULT_LIMITS, type LoadLimits } from './limits.js';
import { TextLocator } from './locate.js';
import { parseDocument, splitDocumentsWithin } from './parse.js';
import type { LoadedObject, SourceDocument } from './types.js';

/** The objects of one input file, the errors met reading it, and a locator into its text. */
export interface LoadedFile {
  file: string;
  objects: LoadedObject[];
  errors: ReportError[];
  locator: TextLocator | undefined;
  /** The text can be read again from `file` (a file on disk, not stdin or text in memory). */
  rereadable?: boolean;
}

/** Turns a MamoriError into the report's error entry. */
export function toReportError(error: MamoriError, file?: string): ReportError {
  const entry: ReportError = { file: error.file ?? file ?? '', message: error.message, code: error.code };
  if (error.line !== undefined) entry.line = error.line;
  if (error.column !== undefined) entry.column = error.column;
  return entry;
}

function addObject(out: LoadedObject[], object: JsonObject, source: SourceDocument, prefix: Path): void {
  out.push({ object, ref: objectRef(object), source, prefix });
}

/** Built-in objects of Helm (`.Values`, `.Release`...) and its own functions: a rendered manifest names none of them. */
const HELM_ACTION = /\.(?:Values|Release|Chart|Capabilities|Files|Template)\b|\b(?:include|tpl)\s/;

/**
 * True for a string that a Helm template fills in: a template action that names a Helm built-in
 * object or function, with no white space outside the actions (`{{ .Release.Name }}`,
 * `nginx:{{ .Values.tag }}`). Other `{{ }}` are data that rendered manifests carry for other
 * template engines (Prometheus and Alertmanager rules, Grafana dashboards, Argo CD
 * ApplicationSets), and prose that mentions a Helm action (`use {{ .Values.x }} here`) is text.
 */
function isHelmFill(value: string): boolean {
  let helm = false;
  let from = 0;
  for (let open = value.indexOf('{{'); open !== -1; open = value.indexOf('{{', from)) {
    const close = value.indexOf('}}', open + 2);
    if (close === -1) break;
    if (/\s/.test(value.slice(from, open))) return false;
    helm ||= HELM_ACTION.test(value.slice(open + 2, close));
    from = close + 2;
  }
  return helm && !/\s/.test(value.slice(from));
}

/** A place in a parsed document: its last path segment, and the place that holds it. */
interface Place {
  segment: string | number;
  parent: Place | undefined;
}

function pathOf(place: Place | undefined): Path {
  const path: (string | number)[] = [];
  for (let at = place; at !== undefined; at = at.parent) path.push(at.segment);
  return path.reverse();
}

/**
 * The fields of a document that hold Helm values handed to a chart, not fields of the object, as
 * parent and key: Flux HelmRelease `spec.values` and `valuesFrom`, Argo CD Application (and an
 * ApplicationSet's template) `spec.source.helm` and `spec.sources[].helm`, k3s HelmChart and
 * HelmChartConfig `spec.valuesContent` and `spec.set`. Charts pass such strings through `tpl`, so
 * `"{{ .Release.Name }}-auth"` is an idiom there, in a rendered manifest.
 */
function helmValueFields(document: unknown): Map<object, ReadonlySet<string>> {
  const out = new Map<object, ReadonlySet<string>>();
  if (!isObject(document)) return out;
  const kind = document['kind'];
  const spec = asObject(document['spec']);
  if (spec === undefined) return out;
  const sources = (app: JsonObject | undefined): void => {
    if (app === undefined) return;
    const source = asObject(app['source']);
    if (source !== undefined) out.set(source, HELM);
    for (const item of asArray(app['sources'])) {
      const each = asObject(item);
      if (each !== undefined) out.set(each, HELM);
    }
  };
  if (kind === 'HelmRelease') out.set(spec, new Set(['values', 'valuesFrom']));
  else if (kind === 'HelmChart' || kind === 'HelmChartConfig') out.set(spec, new Set(['valuesContent', 'set']));
  else if (kind === 'Application') sources(spec);
  else if (kind === 'ApplicationSet') sources(asObject(asObject(spec['template'])?.['spec']));
  return out;
}

const HELM: ReadonlySet<string> = new Set(['helm']);

function helmFillPath(document: unknown): Path | undefined {
  const skipped = helmValueFields(document);
  const stack: { value: unknown; place: Place | undefined }[] = [{ value: document, place: undefined }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const { value, place } = top;
    if (typeof value === 'string') {
      if (value.includes('{{') && isHelmFill(value)) return pathOf(place);
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], place: { segment: i, parent: place } });
    } else if (isObject(value)) {
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        const at: Place = { segment: key, parent: place };
        if (skipped.get(value)?.has(key) !== true) stack.push({ value: value[key], place: at });
        if (key.includes('{{')) stack.push({ value: key, place: at }); // a key, read before its value
      }
    }
  }
  return undefined;
}

/** True for a mapping with an apiVersion, a kind or metadata. */
const meansOne = (value: unknown): boolean =>
  isObject(value) && (Object.hasOwn(value, 'apiVersion') || Object.hasOwn(value, 'kind') || Object.hasOwn(value, 'metadata'));

/**
 * True for a document that means to be Kubernetes objects: such a mapping, or a list holding one
 * (a JSON array of objects, which kubectl refuses: an error, not a file to pass over).
 */
const meansObject = (value: unknown): boolean => meansOne(value) || (Array.isArray(value) && value.some(meansOne));

/** True for a mapping with a string apiVersion and a kind. */
const isKubernetesObject = (value: unknown): value is JsonObject & { apiVersion: string; kind: string } =>
  isObject(value) && typeof value['apiVersion'] === 'string' && typeof value['kind'] === 'string' && value['kind'] !== '';

/** The error of a template, as for a document that fails to parse on one (`parseDocument`). */
const TEMPLATE_MESSAGE = 'this looks like a Helm or Go template ({{ }}); render the chart first (helm template) and scan the output';

/** How a text was found; see `loadText`. */
export interface LoadTextOptions {
  /** Found by walking a directory, not named by the user. */
  walked?: boolean;
}

/**
 * Reads the Kubernetes objects of a text: every document, with `List` kinds expanded (lists in
 * lists too, as kubectl does). A document that fails to parse or is not a Kubernetes object is an
 * error; the others are still returned. A text with a document that fails to parse on a `{{` is a
 * template: one error at the first, and none of its documents is read, as they are not what a
 * cluster would receive. A document that parses but holds a string Helm fills in (`isHelmFill`) is
 * a template error of its own; the text's other documents are read. A text
 * found by walking a directory (`walked`) that parses and holds no document meaning to be a
 * Kubernetes object (the values of a chart, a tool's configuration, a mamori baseline) is not a
 * manifest: it gives no object and no error.
 */
export function loadText(file: string, text: string, limits: LoadLimits = DEFAULT_LIMITS, options: LoadTextOptions = {}): LoadedFile {
  const walked = options.walked === true;
  const objects: LoadedObject[] = [];
  const errors = new FileErrors(file, limits.maxErrorsPerFile);
  let locator: TextLocator | undefined;
  // A document that fails to parse may be meant as an object: only a text that parses can be no manifest.
  let meant = false;
  let template: ReportError | undefined;
  // The first `{{` at or after the document being read: documents without one need no look for templates.
  let braces = text.indexOf('{{');
  const index: { nodes?: Int32Array | undefined } = {};
  const { chunks, rest } = splitDocumentsWithin(text, limits.maxDocumentsPerFile ?? Infinity);
  if (rest !== undefined) {
    meant = true;
    errors.add({ file, line: rest, message: `the file holds more than ${limits.maxDocumentsPerFile.toLocaleString('en-US')} YAML documents; those from this line on are not read`, code: 'too-large' });
  }
  for (const chunk of chunks) {
    // Named by the user, a template is an error whatever else the file holds; found by a walk, it
    // is one unless no document of the file means to be an object.
    if (template !== undefined && (!walked || meant)) break;
    let value: unknown;
    index.nodes = undefined;
    try {
      value = parseDocument(text, chunk, file, limits, index);
    } catch (error) {
      if (!(error instanceof MamoriError)) throw error;
      const entry = toReportError(error, file);
      if (error.code === 'template') template ??= entry;
      errors.add(entry);
      meant = true;
      continue;
    }
    if (value === null || value === undefined) continue; // an empty document
    if (meansObject(value)) meant = true;
    if (index.nodes !== undefined) (locator ??= new TextLocator(text)).addIndex(chunk, value, index.nodes);
    if (braces !== -1 && braces < chunk.start) braces = text.indexOf('{{', chunk.start);
    if (braces !== -1 && braces < chunk.end) {
      // A document that parses but holds a value Helm fills in is not read; the file's other
      // documents are (a bundle may hold one such object beside rendered ones).
      const path = helmFillPath(value);
      if (path !== undefined) {
        locator ??= new TextLocator(text);
        errors.add({ file, line: locator.locate(chunk, path).line, message: TEMPLATE_MESSAGE, code: 'template' });
        continue;
      }
    }
    const source: SourceDocument = { file, document: chunk.index, line: chunk.line, start: chunk.start, end: chunk.end };
    const oversized = chunk.end - chunk.start > limits.maxDocumentBytes;
    const fail = (path: Path, message: string, code: 'not-kubernetes' | 'wrong-type' | 'too-large'): void => {
      // Point at the offending item, or at the document's first line of content.
      locator ??= new TextLocator(text);
      const line = locator.locate(chunk, path).line;
      errors.add({ file, line, message: `document ${chunk.index + 1}${path.length === 0 ? '' : `, ${formatPath(path)},`} ${message}`, code });
    };
    // Lists in lists are flattened as kubectl does, depth first in the order of the file, with a
    // stack of their own: lists nested past the call stack cost no more than their size.
    const pending: { item: unknown; place: Place | undefined; list?: { kind: string; apiVersion: string } }[] = [{ item: value, place: undefined }];
    for (let top = pending.pop(); top !== undefined; top = pending.pop()) {
      const { item, place, list } = top;
      // Typed lists (PodList) may omit the items' kind; `kind: List` items carry their own.
      const object =
        list !== undefined && list.kind !== 'List' && isObject(item) && asString(item['kind']) === undefined
          ? { apiVersion: list.apiVersion, kind: list.kind.slice(0, -'List'.length), ...item }
          : item;
      if (!isKubernetesObject(object)) {
        fail(pathOf(place), 'is not a Kubernetes object (it needs apiVersion and kind)', 'not-kubernetes');
        continue;
      }
      const { kind, items } = object;
      const isList = kind.endsWith('List') && items !== undefined;
      // A document past the size limit was parsed because it declared a List (`parseDocument`):
      // the limit holds for each object in it, measured as JSON (what kubectl sends).
      if (oversized && !isList) {
        const bytes = place === undefined ? chunk.end - chunk.start : Buffer.byteLength(JSON.stringify(object));
        if (bytes > limits.maxDocumentBytes) {
          fail(pathOf(place), `is ${bytes.toLocaleString('en-US')} bytes${place === undefined ? '' : ' as JSON'}; the limit is ${limits.maxDocumentBytes.toLocaleString('en-US')} (the API server refuses larger objects)`, 'too-large');
          continue;
        }
      }
      if (!isList) addObject(objects, object, source, pathOf(place));
      else if (items === null) continue; // an empty list, as kubectl reads it
      else if (!Array.isArray(items)) fail([...pathOf(place), 'items'], `must be a list, not ${isObject(items) ? 'a mapping' : `a ${typeof items}`}; kubectl refuses the ${kind}`, 'wrong-type');
      else {
        const at: Place = { segment: 'items', parent: place };
        for (let i = items.length - 1; i >= 0; i--) pending.push({ item: items[i], place: { segment: i, parent: at }, list: { kind, apiVersion: object.apiVersion } });
      }
    }
  }
  if (walked && !meant) return { file, objects: [], errors: [], locator: undefined };
  if (template !== undefined) return { file, objects: [], errors: [template], locator: undefined };
  return { file, objects, errors: errors.list(), locator: objects.length > 0 ? (locator ?? new TextLocator(text)) : undefined };
}

/** The errors of one file: the first `max` listed, the rest counted in one last error. */
class FileErrors {
  private readonly listed: ReportError[] = [];
  private unlisted = 0;

  constructor(
    private readonly file: string,
    private readonly max: number,
  ) {}

  add(error: ReportError): void {
    if (this.listed.length < this.max) this.listed.push(error);
    else this.unlisted++;
  }

  list(): ReportError[] {
    if (this.unlisted > 0) {
      const n = this.unlisted.toLocaleString('en-US');
      this.listed.push({
        file: this.file,
        message: `${n} more error${this.unlisted === 1 ? '' : 's'} in this file ${this.unlisted === 1 ? 'is' : 'are'} not listed (at most ${this.max.toLocaleString('en-US')} are listed per file)`,
        code: 'too-many-errors',
      });
    }
    return this.listed;
  }
}

/** Reads one input (file or stdin) and loads its objects; unreadable input becomes an error. */
export function loadInput(input: InputRef, limits: LoadLimits = DEFAULT_LIMITS): LoadedFile {
  let text: string;
  try {
    text = readInput(input, limits);
  } catch (error) {
    if (!(error instanceof MamoriError)) throw error;
    return { file: input.file, objects: [], errors: [toReportError(error, input.file)], locator: undefined };
  }
  const loaded = loadText(input.file, text, limits, { walked: input.walked === true });
  if (!input.stdin && input.stream !== true) loaded.rereadable = true;
  return loaded;
}

/** The inputs named by the user's paths (see `expandPaths`), with errors for paths that do not exist and for named Helm charts. */
export function resolveInputs(paths: readonly string[], options: { skipNonManifests?: boolean } = {}): { inputs: InputRef[]; errors: ReportError[] } {
  const { inputs, errors } = expandPaths(paths.length === 0 ? ['.'] : paths);
  if (options.skipNonManifests !== true) return { inputs, errors: errors.map((e) => toReportError(e)) };
  // Files named by a tool that lists every changed file (pre-commit, git): read as a walk reads them,
  // passing over the parts of a Helm chart (its templates become manifests only once rendered),
  // other tools' configuration and the test data of policy test suites.
  const passesOver = walkPassesOver();
  const read = inputs.filter((input) => input.stdin || input.stream === true || !passesOver(input.file));
  for (const input of read) if (!input.stdin) input.walked = true;
  return { inputs: read, errors: errors.map((e) => toReportError(e)) };
}

/** The location of a field of a loaded object in its file. */
export function locateIn(file: LoadedFile, object: LoadedObject, path: Path): Location | undefined {
  if (file.locator === undefined) return undefined;
  const position = file.locator.locate(object.source, object.prefix.length === 0 ? path : [...object.prefix, ...path]);
  return { file: object.source.file, line: position.line, column: position.column };
}
