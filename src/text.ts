/**
 * `text` without the run of trimmed characters at its end (and at its start too, with `both`):
 * what `text.replace(/[…]+$/, '')` gives, in linear time. That regex retries from every such
 * character inside the text, which is quadratic on a long run of them. `trimmed` is the set of
 * characters, or a test of one.
 */
export function trimRuns(text: string, trimmed: string | ((c: string) => boolean), both = false): string {
  const test = typeof trimmed === 'string' ? (c: string): boolean => trimmed.includes(c) : trimmed;
  let start = 0;
  let end = text.length;
  if (both) while (start < end && test(text[start] as string)) start++;
  while (end > start && test(text[end - 1] as string)) end--;
  return text.slice(start, end);
}

/** Line terminators: the characters a regular expression's `.` does not match. */
export const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;

/** `1 file`, `2 files`: a count and its noun, in the plural unless it is 1. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * Replaces, visibly (`\x0a`, `\u202e`), the control characters of text taken from input files,
 * line breaks and tabs included: such text can neither drive a terminal nor start a line of its
 * own, which a CI log reads as a command (`::error file=…::` in GitHub Actions, `##vso[…]` in
 * Azure Pipelines). So are the Unicode line and paragraph separators and the bidirectional
 * controls, which would reorder what a reader sees (a name that displays as another).
 */
export function escapeControls(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** The offset where each line of a text starts (index 0 is line 1). */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** The index (0-based) in `starts` (`lineStarts`) of the line that holds `offset`. */
export function lineIndexAt(starts: readonly number[], offset: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((starts[mid] ?? 0) <= offset) low = mid;
    else high = mid - 1;
  }
  return low;
}
