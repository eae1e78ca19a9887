import type { Report } from '../types.js';

/** `JSON.stringify(value, null, 2)` as it would appear nested at `depth` levels of indentation. */
function nested(value: unknown, depth: number): string {
  const text = JSON.stringify(value, null, 2);
  return depth === 0 ? text : text.replace(/\n/g, `\n${'  '.repeat(depth)}`);
}

/** Findings per piece: large enough to be fast, small enough that no piece is a large object for the heap (peak memory). */
const BATCH = 64;

/**
 * The JSON report (`schemaVersion: 1`, the contract of DESIGN.md) in pieces, so a report of
 * 100,000 findings is written without ever holding it as one string. The pieces joined are
 * exactly `JSON.stringify(report, null, 2)` and a newline.
 */
export function* writeJsonChunks(report: Report): Generator<string> {
  const entries = Object.entries(report);
  yield '{\n';
  for (let i = 0; i < entries.length; i++) {
    const [key, value] = entries[i] as [string, unknown];
    const comma = i + 1 < entries.length ? ',' : '';
    if (Array.isArray(value) && value.length > 0) {
      const head = `{\n  ${JSON.stringify(key)}: [\n`;
      yield head.slice(2);
      for (let j = 0; j < value.length; j += BATCH) {
        const batch = value.slice(j, j + BATCH);
        const last = j + BATCH >= value.length;
        // Stringified as the only key of an object, a batch comes out indented exactly as in the
        // whole report; only its first two and last two lines need cutting.
        const whole = JSON.stringify({ [key]: batch }, null, 2);
        const text = whole.slice(head.length, whole.length - '\n  ]\n}'.length);
        yield `${text}${last ? '' : ','}\n`;
      }
      yield `  ]${comma}\n`;
    } else {
      yield `  ${JSON.stringify(key)}: ${nested(value, 1)}${comma}\n`;
    }
  }
  yield '}\n';
}

/** Pieces a writer gathers before it joins them into one chunk of its output (see `takeChunk`). */
export const CHUNK_PIECES = 16_384;

/**
 * For writers that build their output from pieces (mostly texts that findings share): once there
 * are many, all but the last joined, for the writer to yield, and `out` left with the last one
 * (which writers may still change). Output written chunk by chunk is never one string, which V8
 * refuses past 2^29 characters: the SARIF log of a million findings is about twice that. The
 * writers that return one string pass a `limit` of Infinity, and join their pieces once.
 */
export function takeChunk(out: string[], limit: number): string | undefined {
  if (out.length < limit) return undefined;
  const last = out.pop() as string;
  const chunk = out.join('');
  out.length = 0;
  out.push(last);
  return chunk;
}

/** The JSON report as one string (the same bytes as the pieces joined). */
export function writeJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
