import type { JsonObject, Location, ObjectRef, Path, ReportError } from '../types.js';

/** Where an object came from: a file (or stdin) and the document inside it. */
export interface SourceDocument {
  /** The path as the user gave it (`<stdin>` for standard input). */
  file: string;
  /** 0-based index of the YAML document in the file. */
  document: number;
  /** 1-based line on which the document's text starts. */
  line: number;
  /** Character offsets of the document in the file text. */
  start: number;
  end: number;
}

/** A Kubernetes object read from some source, with what is needed to point back into it. */
export interface LoadedObject {
  object: JsonObject;
  ref: ObjectRef;
  source: SourceDocument;
  /** Path of the object inside its document: `[]`, or `['items', i]` for an item of a List. */
  prefix: Path;
}

/** Maps a field path of a loaded object to a place in its file. */
export type LocateFn = (object: LoadedObject, path: Path) => Location | undefined;

/** What loading produced: the objects, the inputs that failed, and a locator for findings. */
export interface LoadResult {
  objects: LoadedObject[];
  errors: ReportError[];
  files: number;
  locate: LocateFn;
}
