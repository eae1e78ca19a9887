import { MamoriError } from '../errors.js';
import { asString, isObject, objectRef } from '../k8s/object.js';
import type { JsonObject, Location, Path, ReportError } from '../types.js';
import { expandPaths, readInput, type InputRef } from './files.js';
import { DEFAULT_LIMITS, type LoadLimits } from './limits.js';
import { TextLocator } from './locate.js';
import { parseDocument, splitDocuments } from './parse.js';
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

/**
 * Reads the Kubernetes objects of a text: every document, with `List` kinds expanded. A document
 * that fails to parse or is not a Kubernetes object is an error; the others are still returned.
 */
export function loadText(file: string, text: string, limits: LoadLimits = DEFAULT_LIMITS): LoadedFile {
  const objects: LoadedObject[] = [];
  const errors = new FileErrors(file, limits.maxErrorsPerFile);
  let locator: TextLocator | undefined;
  const index: { nodes?: Int32Array | undefined } = {};
  for (const chunk of splitDocuments(text)) {
    let value: unknown;
    index.nodes = undefined;
    try {
      value = parseDocument(text, chunk, file, limits, index);
    } catch (error) {
      if (!(error instanceof MamoriError)) throw error;
      errors.add(toReportError(error, file));
      continue;
    }
    if (value === null || value === undefined) continue; // an empty document
    if (index.nodes !== undefined) (locator ??= new TextLocator(text)).addIndex(chunk, value, index.nodes);
    const source: SourceDocument = { file, document: chunk.index, line: chunk.line, start: chunk.start, end: chunk.end };
    const notObject = (what: string, path: Path = []): void => {
      // Point at the offending item, or at the document's first line of content.
      locator ??= new TextLocator(text);
      const line = locator.locate(chunk, path).line;
      errors.add({ file, line, message: `${what} is not a Kubernetes object (it needs apiVersion and kind)`, code: 'not-kubernetes' });
    };
    if (!isObject(value) || typeof value['apiVersion'] !== 'string' || typeof value['kind'] !== 'string' || value['kind'] === '') {
      notObject(`document ${chunk.index + 1}`);
      continue;
    }
    const kind = value['kind'];
    const items = value['items'];
    if (kind.endsWith('List') && Array.isArray(items)) {
      // Typed lists (PodList) may omit the items' kind; `kind: List` items carry their own.
      const itemKind = kind === 'List' ? undefined : kind.slice(0, -'List'.length);
      items.forEach((item, i) => {
        if (!isObject(item)) return notObject(`document ${chunk.index + 1}, item ${i},`, ['items', i]);
        const withKind: JsonObject =
          itemKind !== undefined && asString(item['kind']) === undefined
            ? { apiVersion: value['apiVersion'] as string, kind: itemKind, ...item }
            : item;
        if (typeof withKind['apiVersion'] !== 'string' || typeof withKind['kind'] !== 'string') return notObject(`document ${chunk.index + 1}, item ${i},`, ['items', i]);
        addObject(objects, withKind, source, ['items', i]);
      });
      continue;
    }
    addObject(objects, value, source, []);
  }
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
  const loaded = loadText(input.file, text, limits);
  if (!input.stdin) loaded.rereadable = true;
  return loaded;
}

/** The inputs named by the user's paths (see `expandPaths`), with errors for paths that do not exist. */
export function resolveInputs(paths: readonly string[]): { inputs: InputRef[]; errors: ReportError[] } {
  const { inputs, errors } = expandPaths(paths.length === 0 ? ['.'] : paths);
  return { inputs, errors: errors.map((e) => toReportError(e)) };
}

/** The location of a field of a loaded object in its file. */
export function locateIn(file: LoadedFile, object: LoadedObject, path: Path): Location | undefined {
  if (file.locator === undefined) return undefined;
  const position = file.locator.locate(object.source, object.prefix.length === 0 ? path : [...object.prefix, ...path]);
  return { file: object.source.file, line: position.line, column: position.column };
}
