/**
 * Globs (`*` any run of characters, `?` one, everything else literal) matched in time
 * proportional to pattern × text at worst, whatever the pattern. A glob translated to a regular
 * expression backtracks: `*a*a*a*a*a*a*a*a*a*a*a*a*b` against forty `a`s takes minutes, and the
 * texts globs are matched against (object names, image tags) come from the scanned input or an
 * admission request.
 */

/** A compiled glob. */
export interface Glob {
  /** The glob as written. */
  readonly source: string;
  test(text: string): boolean;
}

/** True when `text` matches `glob` (`*` any run of characters, `/` included; `?` one character). */
export function globMatch(glob: string, text: string): boolean {
  // Greedy, with one backtrack point (the last `*`): each `*` only ever extends, so at most
  // pattern × text steps.
  let g = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    const c = glob.charCodeAt(g);
    if (c === STAR) {
      star = g++;
      mark = t;
    } else if (g < glob.length && (c === QUESTION || c === text.charCodeAt(t))) {
      g++;
      t++;
    } else if (star !== -1) {
      g = star + 1;
      t = ++mark;
    } else return false;
  }
  while (glob.charCodeAt(g) === STAR) g++;
  return g === glob.length;
}

const STAR = 42;
const QUESTION = 63;

/** Compiles a glob; one without wildcards compares whole. */
export function compileGlob(glob: string): Glob {
  if (!glob.includes('*') && !glob.includes('?')) return { source: glob, test: (text) => text === glob };
  return { source: glob, test: (text) => globMatch(glob, text) };
}

/**
 * True when `text` matches `glob` where `*` matches a run of characters that `inRun` accepts (and
 * `?` one character, any, unless `question` is false: then it is literal): the pattern's
 * positions are followed as a set, one step per character.
 */
export function boundedGlobMatch(glob: string, text: string, inRun: (code: number) => boolean, question = true): boolean {
  const size = glob.length + 1;
  let current = new Uint8Array(size);
  let next = new Uint8Array(size);
  const close = (states: Uint8Array): void => {
    for (let i = 0; i < glob.length; i++) if (states[i] === 1 && glob.charCodeAt(i) === STAR) states[i + 1] = 1;
  };
  current[0] = 1;
  close(current);
  for (let t = 0; t < text.length; t++) {
    const c = text.charCodeAt(t);
    next.fill(0);
    let any = false;
    for (let i = 0; i < glob.length; i++) {
      if (current[i] !== 1) continue;
      const g = glob.charCodeAt(i);
      if (g === STAR) {
        if (inRun(c)) {
          next[i] = 1;
          any = true;
        }
      } else if ((question && g === QUESTION) || g === c) {
        next[i + 1] = 1;
        any = true;
      }
    }
    if (!any) return false;
    close(next);
    const swap = current;
    current = next;
    next = swap;
  }
  return current[glob.length] === 1;
}
