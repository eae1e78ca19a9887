import type { Report } from '../types.js';

/** `JSON.stringify(value, null, 2)` as it would appear nested at `depth` levels of indentation. */
function nested(value: unknown, depth: number): string {
  const text = JSON.stringify(value, null, 2);
  return depth === 0 ? text : text.replace(/\n/g, `\n${'  '.repeat(depth)}`);
}

/** Findings per piece: large enough to be fast, small enough to keep memory flat. */
const BATCH = 512;

/**
 * The JSON report (`schemaVersion: 1`, the contract of DESIGN.md) in pieces, one per finding, so
 * a report of 100,000 findings is written without ever holding it as one string. The pieces
 * joined are exactly `JSON.stringify(report, null, 2)` and a newline.
 */
export function* writeJsonChunks(report: Report): Generator<string> {
  const entries = Object.entries(report);
  yield '{\n';
  for (let i = 0; i < entries.length; i++) {
    const [key, value] = entries[i] as [string, unknown];
    const comma = i + 1 < entries.length ? ',' : '';
    if (Array.isArray(value) && value.length > 0) {
      // A batch stringified as the only key of an object comes out indented exactly as in the
      // whole report; only its first two and last two lines need cutting.
      const head = `{\n  ${JSON.stringify(key)}: [\n`;
      yield head.slice(2);
      for (let j = 0; j < value.length; j += BATCH) {
        const text = JSON.stringify({ [key]: value.slice(j, j + BATCH) }, null, 2);
        yield `${text.slice(head.length, text.length - '\n  ]\n}'.length)}${j + BATCH < value.length ? ',' : ''}\n`;
      }
      yield `  ]${comma}\n`;
    } else {
      yield `  ${JSON.stringify(key)}: ${nested(value, 1)}${comma}\n`;
    }
  }
  yield '}\n';
}

/** The JSON report as one string. */
export function writeJson(report: Report): string {
  return [...writeJsonChunks(report)].join('');
}
