/**
 * Where `mamori fix` may write, and how its diff names the files it changes.
 *
 * A file reached through a symbolic link (the file itself, or a directory on its path) is never
 * edited: the edit would land where the link points, perhaps outside the tree the user named, and
 * `git apply` refuses a patch "beyond a symbolic link". Components are counted below the working
 * directory for a path inside it, else below the directory the user named (or the named file's
 * own directory), so that a link above the tree (a home directory, `/tmp` on macOS) does not count.
 */
import { lstatSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** Whether `path` lies strictly below the directory `dir` (both absolute). */
function below(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * The first symbolic link on the way to `file` (as the user's paths `named` reached it), shown
 * relative to the working directory `cwd`, or undefined when there is none.
 */
export function linkOnPath(file: string, named: readonly string[], cwd: string): string | undefined {
  const target = resolve(cwd, file);
  let base = cwd;
  if (!below(cwd, target)) {
    // The deepest named directory it lies below; a named file counts from its own directory.
    const roots = named.map((p) => resolve(cwd, p)).filter((p) => below(p, target));
    base = roots.length === 0 ? dirname(target) : roots.reduce((a, b) => (b.length > a.length ? b : a));
  }
  let at = base;
  for (const part of relative(base, target).split(sep)) {
    at = join(at, part);
    try {
      if (lstatSync(at).isSymbolicLink()) return relative(cwd, at) || at;
    } catch {
      return undefined; // gone: reading it reports that
    }
  }
  return undefined;
}

/**
 * The directory the diff names files from: the working directory when every file lies below it,
 * else the deepest directory all of them lie below (a name with `../` is refused by `git apply`
 * and by `patch`).
 */
export function diffBase(files: readonly string[], cwd: string): string {
  const targets = files.map((f) => resolve(cwd, f));
  if (targets.every((t) => below(cwd, t))) return cwd;
  let base = dirname(targets[0] ?? cwd);
  while (!targets.every((t) => below(base, t)) && dirname(base) !== base) base = dirname(base);
  return base;
}

const C_ESCAPES: Readonly<Record<string, string>> = { '\u0007': '\\a', '\b': '\\b', '\t': '\\t', '\n': '\\n', '\u000b': '\\v', '\f': '\\f', '\r': '\\r', '"': '\\"', '\\': '\\\\' };

/**
 * Characters a name is quoted for: the controls (C0, DEL, C1), a quote and a backslash, and the
 * characters that move or reorder what a terminal shows (line and paragraph separators,
 * bidirectional controls).
 */
// eslint-disable-next-line no-control-regex
const QUOTED = /[\u0000-\u001f\u007f-\u009f"\\\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;
const QUOTED_ALL = new RegExp(QUOTED.source, 'g');
const UTF8 = new TextEncoder();

/** A character as `git` quotes it: a C escape, or its UTF-8 bytes in octal (`\302\233`). */
function quoteChar(c: string): string {
  const named = C_ESCAPES[c];
  if (named !== undefined) return named;
  return [...UTF8.encode(c)].map((byte) => `\\${byte.toString(8).padStart(3, '0')}`).join('');
}

/**
 * A file's name in a diff header, as `git diff` writes it: quoted in C style when it holds a
 * control character, a quote, a backslash or a character that would move or reorder the text on
 * a terminal (`QUOTED`); followed by a TAB when it holds a space, so that `git apply` and `patch`
 * read the name to its end.
 */
export function diffName(prefix: string, name: string): string {
  if (QUOTED.test(name)) return `"${(prefix + name).replace(QUOTED_ALL, quoteChar)}"`;
  return name.includes(' ') ? `${prefix}${name}\t` : prefix + name;
}
