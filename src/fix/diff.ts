/**
 * Unified diffs of two texts by lines (Myers' O(ND) algorithm), as `diff -u` and `git diff` print
 * them, so that `git apply` or `patch -p1` can apply the output of `mamori fix`.
 */

/** Options of a unified diff. */
export interface DiffOptions {
  /** Names printed in the `---` and `+++` headers. */
  oldName: string;
  newName: string;
  /** Unchanged lines shown around each change (default 3). */
  context?: number;
  /**
   * Old line numbers (1-based) never shown, such as lines holding a secret value: context stops
   * before them, splitting hunks where needed, and the diff still applies (see `DiffResult`).
   */
  hidden?: ReadonlySet<number>;
  /** The same for line numbers of the new text. */
  hiddenAfter?: ReadonlySet<number>;
}

/** A unified diff, and what applying it takes. */
export interface DiffResult {
  /** The diff; empty when the texts are equal, or when it is `withheld`. */
  text: string;
  /**
   * Why no diff is printed (`text` is empty): a hidden line changes (`hidden-change`), or a hidden
   * line follows a change right away (`no-context`): a hunk without context after its change is
   * anchored by `git apply` and `patch` at the end of the file, where a line equal to its context
   * before makes them apply it, silently in the wrong place.
   */
  withheld?: 'hidden-change' | 'no-context';
}

interface Lines {
  lines: string[];
  /** The text does not end with a line break (its last line is incomplete). */
  incomplete: boolean;
}

function splitLines(text: string): Lines {
  if (text === '') return { lines: [], incomplete: false };
  const lines = text.split('\n');
  const incomplete = lines[lines.length - 1] !== '';
  if (!incomplete) lines.pop();
  return { lines, incomplete };
}

type Op = 0 | 1 | 2; // equal, delete, insert
const EQUAL: Op = 0;
const DELETE: Op = 1;
const INSERT: Op = 2;

/** Beyond this many differing lines the diff no longer searches for the shortest script. */
const MAX_D = 4000;

/** The edit script turning `a` into `b`, shortest when at most MAX_D lines differ. */
function editScript(a: readonly number[], b: readonly number[]): Op[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const x0 = a.slice(head, a.length - tail);
  const y0 = b.slice(head, b.length - tail);
  const middle = myers(x0, y0) ?? [...x0.map((): Op => DELETE), ...y0.map((): Op => INSERT)];
  return [...new Array<Op>(head).fill(EQUAL), ...middle, ...new Array<Op>(tail).fill(EQUAL)];
}

/** Myers' greedy algorithm with the trace kept for the backtrack; undefined past MAX_D. */
function myers(a: readonly number[], b: readonly number[]): Op[] | undefined {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, MAX_D);
  const offset = max + 1;
  let v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    const next = v;
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && (v[offset + k - 1] ?? 0) < (v[offset + k + 1] ?? 0)) ? (v[offset + k + 1] ?? 0) : (v[offset + k - 1] ?? 0) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      next[offset + k] = x;
      if (x >= n && y >= m) return backtrack(trace, d, offset, n, m);
    }
    v = next;
  }
  return undefined;
}

function backtrack(trace: readonly Int32Array[], depth: number, offset: number, n: number, m: number): Op[] {
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = depth; d > 0; d--) {
    const v = trace[d] as Int32Array;
    const k = x - y;
    const down = k === -d || (k !== d && (v[offset + k - 1] ?? 0) < (v[offset + k + 1] ?? 0));
    const prevK = down ? k + 1 : k - 1;
    const prevX = v[offset + prevK] ?? 0;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push(EQUAL);
      x--;
      y--;
    }
    ops.push(down ? INSERT : DELETE);
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) {
    ops.push(EQUAL);
    x--;
    y--;
  }
  return ops.reverse();
}

interface Row {
  op: Op;
  text: string;
  /** 1-based line numbers in the old and new text (of the line itself, or of the line before an insertion/deletion). */
  oldLine: number;
  newLine: number;
  /** The line is the last of its text and has no line break. */
  incomplete: boolean;
}

const range = (start: number, count: number): string => (count === 1 ? `${start}` : `${count === 0 ? start - 1 : start},${count}`);

/**
 * The unified diff of two texts; empty when they are equal. Throws when a hidden line changes
 * (`diffTexts` tells that case apart).
 */
export function unifiedDiff(oldText: string, newText: string, options: DiffOptions): string {
  const result = diffTexts(oldText, newText, options);
  if (result.withheld !== undefined) throw new Error(`the diff cannot leave its hidden lines out (${result.withheld})`);
  return result.text;
}

/**
 * The unified diff of two texts, never showing a hidden line. Where a hidden line cuts the
 * context after a change short, the context before it is cut to the same length (at least one
 * line), as `patch` expects of a hunk that does not end the file: it anchors a hunk with less
 * context after than before (by more than its fuzz) at the end of the file.
 */
export function diffTexts(oldText: string, newText: string, options: DiffOptions): DiffResult {
  if (oldText === newText) return { text: '' };
  const context = options.context ?? 3;
  const hidden = options.hidden ?? new Set<number>();
  const hiddenAfter = options.hiddenAfter ?? new Set<number>();
  const a = splitLines(oldText);
  const b = splitLines(newText);
  const ids = new Map<string, number>();
  const id = (line: string): number => {
    let n = ids.get(line);
    if (n === undefined) ids.set(line, (n = ids.size));
    return n;
  };
  // The incomplete last line differs from the same text with a line break.
  const codes = (t: Lines): number[] => t.lines.map((line, i) => id(i === t.lines.length - 1 && t.incomplete ? `${line}\u0000` : line));
  const script = editScript(codes(a), codes(b));
  const rows: Row[] = [];
  let i = 0;
  let j = 0;
  for (const op of script) {
    if (op === EQUAL) {
      rows.push({ op, text: a.lines[i] ?? '', oldLine: i + 1, newLine: j + 1, incomplete: a.incomplete && i === a.lines.length - 1 });
      i++;
      j++;
    } else if (op === DELETE) {
      rows.push({ op, text: a.lines[i] ?? '', oldLine: i + 1, newLine: j + 1, incomplete: a.incomplete && i === a.lines.length - 1 });
      i++;
    } else {
      rows.push({ op, text: b.lines[j] ?? '', oldLine: i + 1, newLine: j + 1, incomplete: b.incomplete && j === b.lines.length - 1 });
      j++;
    }
  }
  const concealed = (row: Row): boolean => (row.op !== INSERT && hidden.has(row.oldLine)) || (row.op !== DELETE && hiddenAfter.has(row.newLine));
  if (rows.some((row) => row.op !== EQUAL && concealed(row))) return { text: '', withheld: 'hidden-change' };
  const shown = (r: number): boolean => {
    const row = rows[r];
    return row !== undefined && row.op === EQUAL && !concealed(row);
  };
  const hunks: [number, number][] = [];
  let r = 0;
  while (r < rows.length) {
    if (rows[r]?.op === EQUAL) {
      r++;
      continue;
    }
    let start = r;
    while (start > 0 && r - start < context && shown(start - 1)) start--;
    let end = r;
    for (;;) {
      while (end < rows.length && rows[end]?.op !== EQUAL) end++;
      // Equal rows up to the next change: join it when the gap is short and all of it may be shown.
      let gap = end;
      while (gap < rows.length && rows[gap]?.op === EQUAL) gap++;
      const joinable = gap < rows.length && gap - end <= 2 * context;
      let all = true;
      for (let g = end; g < gap && all; g++) all = shown(g);
      if (joinable && all) {
        end = gap;
        continue;
      }
      let after = end;
      while (after < rows.length && after - end < context && shown(after)) after++;
      const trailing = after - end;
      if (after < rows.length && trailing < context) {
        // A hidden line stops the context after the change (a change or the end would not).
        if (trailing === 0) return { text: '', withheld: 'no-context' };
        start = Math.max(start, r - trailing);
      }
      end = after;
      break;
    }
    hunks.push([start, end]);
    r = end;
  }
  const out = [`--- ${options.oldName}`, `+++ ${options.newName}`];
  for (const [start, end] of hunks) {
    const slice = rows.slice(start, end);
    const first = slice[0] as Row;
    const oldCount = slice.filter((row) => row.op !== INSERT).length;
    const newCount = slice.filter((row) => row.op !== DELETE).length;
    out.push(`@@ -${range(first.oldLine, oldCount)} +${range(first.newLine, newCount)} @@`);
    for (const row of slice) {
      out.push(`${row.op === EQUAL ? ' ' : row.op === DELETE ? '-' : '+'}${row.text}`);
      if (row.incomplete) out.push('\\ No newline at end of file');
    }
  }
  return { text: `${out.join('\n')}\n` };
}
