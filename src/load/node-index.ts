/**
 * Writes a node index as the readers go through a document (fast.ts for block YAML, json-index.ts
 * for JSON): for the root, every mapping entry or object member, and every sequence or array item,
 * in document order, three numbers: the line (0-based in the document) and column (0-based) a
 * finding on it points at, and the number of the node after its subtree. `TextLocator.addIndex`
 * follows paths with it. One scratch array per reader, reused between documents.
 */
export class NodeIndexWriter {
  private nodes = new Int32Array(3 * 2048);
  private count = 0;

  /** Forgets the previous document. */
  reset(): void {
    this.count = 0;
  }

  /** Starts a node at `line` and `column`; returns its number, for `close`. */
  open(line: number, column: number): number {
    const k = 3 * this.count;
    if (k + 3 > this.nodes.length) {
      const grown = new Int32Array(this.nodes.length * 2);
      grown.set(this.nodes);
      this.nodes = grown;
    }
    this.nodes[k] = line;
    this.nodes[k + 1] = column;
    return this.count++;
  }

  /** Ends node `i`: what follows is after its subtree. */
  close(i: number): void {
    this.nodes[3 * i + 2] = this.count;
  }

  /** The index of the document written (a copy). */
  take(): Int32Array {
    return this.nodes.slice(0, 3 * this.count);
  }

  /** Lets a huge document's scratch array go rather than keep it for the life of the process (over 3 MiB). */
  shrink(): void {
    if (this.nodes.length > 3 << 18) this.nodes = new Int32Array(3 * 2048);
  }
}

/**
 * True for a key JavaScript lists before the others whatever its place in the document (an array
 * index: "0", "42", up to 2^32 - 2); an object with one has no node index.
 */
export function isArrayIndexKey(key: string): boolean {
  const c = key.charCodeAt(0);
  return c >= 48 && c <= 57 && /^(?:0|[1-9]\d{0,9})$/.test(key) && Number(key) < 4294967295;
}
