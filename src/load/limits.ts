/** Limits that keep hostile or broken input from hanging or exhausting mamori. */
export interface LoadLimits {
  /** Largest file read, in bytes. */
  maxFileBytes: number;
  /**
   * Largest YAML document, in bytes. The API server refuses request bodies over 3 MiB, so no
   * larger object can reach a cluster.
   */
  maxDocumentBytes: number;
  /** Deepest nesting of collections in a document. */
  maxDepth: number;
  /** Most nodes a document may expand to once its aliases are followed (alias bombs). */
  maxExpandedNodes: number;
  /**
   * Most errors listed for one file; the rest are counted in one last error. A file of millions
   * of broken one-line documents would otherwise hold an error for each.
   */
  maxErrorsPerFile: number;
  /**
   * Most YAML documents read from one file (empty ones included); the rest of the file is an
   * error. Manifests hold a few hundred at most; a file of millions of `---` lines would
   * otherwise exhaust the heap.
   */
  maxDocumentsPerFile: number;
}

export const DEFAULT_LIMITS: LoadLimits = {
  maxFileBytes: 256 * 1024 * 1024,
  maxDocumentBytes: 3 * 1024 * 1024,
  maxDepth: 128,
  maxExpandedNodes: 1_000_000,
  maxErrorsPerFile: 1_000,
  maxDocumentsPerFile: 1_000_000,
};
