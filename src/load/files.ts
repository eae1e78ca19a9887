import { closeSync, fstatSync, openSync, readdirSync, readSync, realpathSync, statSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { join } from 'node:path';
import { MamoriError } from '../errors.js';
import type { LoadLimits } from './limits.js';

/** The name findings and errors use for standard input. */
export const STDIN_NAME = '<stdin>';

const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

/** One input to read: a file path as the user gave it (or joined below a directory they gave), or stdin. */
export interface InputRef {
  /** The path as shown to the user. */
  file: string;
  stdin: boolean;
}

/**
 * Expands the user's paths into the files to read: files as given, directories recursively
 * (`.yaml`, `.yml`, `.json`; skipping `node_modules` and hidden folders below the named one), `-`
 * for stdin. Paths that do not exist are returned as errors, the rest is still read.
 */
export function expandPaths(paths: readonly string[]): { inputs: InputRef[]; errors: MamoriError[] } {
  const inputs: InputRef[] = [];
  const errors: MamoriError[] = [];
  const seen = new Set<string>();
  /** Adds a file once, by its real path (`real`, when its directory's is known and it is no link). */
  const add = (file: string, real?: string): void => {
    if (real === undefined) {
      try {
        real = realpathSync.native(file);
      } catch {
        real = file;
      }
    }
    if (seen.has(real)) return;
    seen.add(real);
    inputs.push({ file, stdin: false });
  };
  /**
   * Reads a directory and those below it. `real` is its real path when its parent's is known and
   * it is no link: asking the system for the real path of every entry costs a look-up of each
   * directory above it, cubic in the depth of a tree (a thousand nested directories took minutes).
   */
  const walk = (dir: string, visited: Set<string>, real?: string): void => {
    const known = real !== undefined;
    if (real === undefined) {
      try {
        real = realpathSync.native(dir);
      } catch (cause) {
        errors.push(new MamoriError('io', `cannot read directory: ${(cause as Error).message}`, { file: dir, cause }));
        return;
      }
    }
    if (visited.has(real)) return; // a symlink loop
    visited.add(real);
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (cause) {
      // Where the system cannot resolve the directory, say so as asking for its real path would have.
      if (known) {
        try {
          realpathSync.native(dir);
        } catch (unresolved) {
          cause = unresolved;
        }
      }
      errors.push(new MamoriError('io', `cannot read directory: ${(cause as Error).message}`, { file: dir, cause }));
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = join(dir, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      const link = entry.isSymbolicLink();
      if (link) {
        try {
          const st = statSync(full);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch {
          continue; // a dangling link is not an input
        }
      }
      const inside = link ? undefined : join(real, entry.name);
      if (isDir) {
        if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
        walk(full, visited, inside);
      } else if (isFile && MANIFEST_EXTENSIONS.some((ext) => entry.name.toLowerCase().endsWith(ext))) {
        add(full, inside);
      }
    }
  };
  for (const path of paths) {
    if (path === '-') {
      inputs.push({ file: STDIN_NAME, stdin: true });
      continue;
    }
    let st;
    try {
      st = statSync(path);
    } catch {
      errors.push(new MamoriError('io', 'no such file or directory', { file: path }));
      continue;
    }
    if (st.isDirectory()) walk(path, new Set());
    else add(path);
  }
  return { inputs, errors };
}

/** Reads all of standard input, refusing more than `limit` bytes. */
function readStdin(limit: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  const buffer = Buffer.alloc(1 << 16);
  for (;;) {
    let n: number;
    try {
      n = readSync(0, buffer, 0, buffer.length, null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10); // a non-blocking pipe: wait for data
        continue;
      }
      if (code === 'EOF') break;
      throw error;
    }
    if (n === 0) break;
    total += n;
    if (total > limit) throw new MamoriError('too-large', `standard input is larger than ${limit.toLocaleString('en-US')} bytes`, { file: STDIN_NAME });
    chunks.push(Buffer.from(buffer.subarray(0, n)));
  }
  return Buffer.concat(chunks);
}


/** Reads a whole file with one open, refusing files over `limit` bytes before reading them. */
function readFileLimited(file: string, limit: number): Buffer {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (cause) {
    throw new MamoriError('io', `cannot read file: ${(cause as Error).message}`, { file, cause });
  }
  try {
    const size = fstatSync(fd).size;
    if (size > limit) {
      throw new MamoriError('too-large', `file is ${size.toLocaleString('en-US')} bytes; the limit is ${limit.toLocaleString('en-US')}`, { file });
    }
    const bytes = Buffer.allocUnsafe(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, bytes, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    return read === size ? bytes : bytes.subarray(0, read);
  } catch (cause) {
    if (cause instanceof MamoriError) throw cause;
    throw new MamoriError('io', `cannot read file: ${(cause as Error).message}`, { file, cause });
  } finally {
    closeSync(fd);
  }
}

/** 1-based line of a character offset. */
function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/**
 * Reads one input as UTF-8 text. Binary files, invalid UTF-8 and files over the size limit are
 * errors that name the file (and the line, where there is one).
 */
export function readInput(input: InputRef, limits: LoadLimits): string {
  let bytes: Buffer;
  if (input.stdin) {
    bytes = readStdin(limits.maxFileBytes);
  } else {
    bytes = readFileLimited(input.file, limits.maxFileBytes);
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new MamoriError('encoding', 'file is UTF-16; save it as UTF-8', { file: input.file, line: 1 });
  }
  const probe = bytes.subarray(0, 8192);
  if (probe.includes(0)) throw new MamoriError('binary', 'binary file (contains NUL bytes), not a manifest', { file: input.file });
  if (!isUtf8(bytes)) {
    const text = bytes.toString('utf8');
    const at = text.indexOf('\uFFFD');
    throw new MamoriError('encoding', 'invalid UTF-8', { file: input.file, line: lineOf(text, at === -1 ? 0 : at) });
  }
  if (bytes.includes(0)) throw new MamoriError('binary', 'binary file (contains NUL bytes), not a manifest', { file: input.file });
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
