import { closeSync, fstatSync, openSync, readdirSync, readSync, realpathSync, statSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import yaml from 'js-yaml';
import { MamoriError } from '../errors.js';
import type { LoadLimits } from './limits.js';

/** The name findings and errors use for standard input. */
export const STDIN_NAME = '<stdin>';

const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

/**
 * Names of standard input, read from the descriptor mamori already holds: opening them again
 * fails where standard input is a socket (as a parent process in Node gives it).
 */
const STDIN_PATHS = new Set(['/dev/stdin', '/dev/fd/0', '/proc/self/fd/0']);

/** Files a directory walk passes over by name: configuration of tools that read manifests, not manifests. */
const NOT_MANIFESTS = new Set(['kustomization.yaml', 'kustomization.yml', 'helmfile.yaml', 'helmfile.yml']);

/**
 * The files of a Helm chart (a directory holding a `Chart.yaml`) that are not manifests: its
 * metadata, its values and their schema. Its `templates/` become manifests only once rendered.
 */
const CHART_FILES = /^(?:Chart\.yaml|requirements\.yaml|values.*\.ya?ml|values\.schema\.json)$/;

/** A test suite of `mamori policy test` (docs/policies.md): its `resources` are test data. */
const POLICY_TEST_SUITE = /^(?:.+\.)?mamori-test\.ya?ml$/;
/** The largest test suite read for the names of its test data. */
const MAX_SUITE_BYTES = 1 << 20;

/**
 * The files and folders a policy test suite names as `resources`, as real paths: objects made to
 * pass or fail a policy's tests, not manifests of the user's. Only a suite that `mamori policy
 * test` could run names any (a mapping with `policies` and a list of `tests`), and only what lies
 * below the suite's own folder: a suite cannot hide the manifests it tests against, nor anything
 * outside its folder.
 */
function suiteTestData(suite: string): string[] {
  try {
    if (statSync(suite).size > MAX_SUITE_BYTES) return [];
    const text = readFileLimited(suite, MAX_SUITE_BYTES).toString('utf8');
    const parsed: unknown = yaml.load(text, { schema: yaml.JSON_SCHEMA, json: true });
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return [];
    const { resources, policies, tests } = parsed as { resources?: unknown; policies?: unknown; tests?: unknown };
    if (!Array.isArray(resources) || policies === undefined || !Array.isArray(tests)) return [];
    const home = realpathSync.native(dirname(suite));
    const out: string[] = [];
    for (const entry of resources) {
      if (typeof entry !== 'string' || entry.trim() === '' || isAbsolute(entry)) continue;
      let real: string;
      try {
        real = realpathSync.native(resolve(dirname(suite), entry));
      } catch {
        continue; // missing: nothing to pass over
      }
      if (real.startsWith(home + sep)) out.push(real);
    }
    return out;
  } catch {
    return [];
  }
}

/**
 * For files named on the command line and read as a walk reads them (`--skip-non-manifests`): a
 * test of whether a walk would pass over a file as part of a Helm chart (below a folder that holds
 * a `Chart.yaml`: its metadata, values and their schema, and what is under its `templates/`), as
 * another tool's configuration (`kustomization.yaml`), or as the test data of a policy test suite
 * in its folder or a folder above it, up to the working directory (a file outside it: its own
 * folder only). What it learns of each folder is kept for the next file.
 */
export function walkPassesOver(): (file: string) => boolean {
  const folders = new Map<string, { chart: boolean; testData: readonly string[] }>();
  let top: string | undefined;
  const folder = (dir: string): { chart: boolean; testData: readonly string[] } => {
    let known = folders.get(dir);
    if (known === undefined) {
      let names: string[] = [];
      try {
        names = readdirSync(dir);
      } catch {
        names = [];
      }
      known = { chart: names.includes('Chart.yaml'), testData: names.filter((entry) => POLICY_TEST_SUITE.test(entry)).flatMap((entry) => suiteTestData(join(dir, entry))) };
      folders.set(dir, known);
    }
    return known;
  };
  return (file) => {
    if (NOT_MANIFESTS.has(file.slice(file.lastIndexOf(sep) + 1))) return true;
    let real: string;
    try {
      real = realpathSync.native(file);
      top ??= realpathSync.native(process.cwd());
    } catch {
      return false;
    }
    const inside = real.startsWith(top + sep);
    let suites = true;
    for (let dir = dirname(real); ; dir = dirname(dir)) {
      const { chart, testData } = folder(dir);
      if (chart) {
        const below = real.slice(dir.length + 1).split(sep);
        if (below[0] === 'templates' || (below.length === 1 && CHART_FILES.test(below[0] as string))) return true;
      }
      if (suites && testData.some((d) => real === d || real.startsWith(d + sep))) return true;
      // Suites are looked for up to the working directory; charts up to the root.
      if (!inside || dir === top) suites = false;
      if (dirname(dir) === dir) return false;
    }
  };
}

/** One input to read: a file path as the user gave it (or joined below a directory they gave), or stdin. */
export interface InputRef {
  /** The path as shown to the user. */
  file: string;
  stdin: boolean;
  /** Found by walking a directory, not named by the user: a file that holds no Kubernetes object is then no error. */
  walked?: boolean;
  /** Not a regular file (a pipe, `<(...)`, `/dev/stdin`): read once, to its end, and never again. */
  stream?: boolean;
}

/**
 * Expands the user's paths into the files to read: files as given (pipes and devices too), `-` and
 * `/dev/stdin` for stdin, and directories recursively: their regular `.yaml`, `.yml` and `.json` files, skipping
 * below the named directory hidden files and folders, `node_modules`, files of tools that are not
 * manifests (`kustomization.yaml`, `helmfile.yaml`) and, in a Helm chart, `Chart.yaml`, the values
 * files and `templates/`. Paths that do not exist, and a named directory that is a Helm chart, are
 * returned as errors; the rest is still read.
 */
export function expandPaths(paths: readonly string[]): { inputs: InputRef[]; errors: MamoriError[] } {
  const inputs: InputRef[] = [];
  const errors: MamoriError[] = [];
  const seen = new Map<string, InputRef>();
  /** The test data of the policy test suites met in the walk (absolute paths of files and folders). */
  const testData: string[] = [];
  /** Adds a file once, by its real path (`real`, when its directory's is known and it is no link). */
  const add = (input: InputRef, real?: string): void => {
    if (real === undefined) {
      try {
        real = realpathSync.native(input.file);
      } catch {
        real = input.file;
      }
    }
    const known = seen.get(real);
    if (known !== undefined) {
      // Found by a walk and named too: it is the user's file (errors are reported, test data is read).
      if (input.walked !== true) delete known.walked;
      return;
    }
    seen.set(real, input);
    inputs.push(input);
  };
  /**
   * Reads a directory and those below it. `real` is its real path when its parent's is known and
   * it is no link: asking the system for the real path of every entry costs a look-up of each
   * directory above it, cubic in the depth of a tree (a thousand nested directories took minutes).
   * `named`: the user named this directory.
   */
  const walk = (dir: string, visited: Set<string>, real?: string, named = false): void => {
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
    const chart = entries.some((entry) => entry.name === 'Chart.yaml');
    if (chart && named) {
      // Nothing of it can be checked before it is rendered: passing it in silence would report it clean.
      errors.push(new MamoriError('template', `a Helm chart: render it and scan the output (helm template ${dir} | mamori scan -)`, { file: dir }));
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
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
        if (entry.name === 'node_modules' || (chart && entry.name === 'templates')) continue;
        walk(full, visited, inside);
      } else if (
        // Only regular files: a pipe or a device met in a tree would block the walk or never end.
        isFile &&
        MANIFEST_EXTENSIONS.some((ext) => entry.name.toLowerCase().endsWith(ext)) &&
        !NOT_MANIFESTS.has(entry.name) &&
        !(chart && CHART_FILES.test(entry.name))
      ) {
        add({ file: full, stdin: false, walked: true }, inside);
        if (POLICY_TEST_SUITE.test(entry.name)) testData.push(...suiteTestData(full));
      }
    }
  };
  for (const path of paths) {
    if (path === '-' || STDIN_PATHS.has(path)) {
      inputs.push({ file: path === '-' ? STDIN_NAME : path, stdin: true });
      continue;
    }
    let st;
    try {
      st = statSync(path);
    } catch {
      errors.push(new MamoriError('io', 'no such file or directory', { file: path }));
      continue;
    }
    if (st.isDirectory()) walk(path, new Set(), undefined, true);
    else if (st.isFile()) add({ file: path, stdin: false });
    else add({ file: path, stdin: false, stream: true });
  }
  if (testData.length === 0) return { inputs, errors };
  // Found by walking, a policy test suite's test data is passed over, by its real path (a link to
  // it too); named, it is read.
  const isTestData = (file: string): boolean => {
    let path: string;
    try {
      path = realpathSync.native(file);
    } catch {
      return false;
    }
    return testData.some((data) => path === data || path.startsWith(data + sep));
  };
  return { inputs: inputs.filter((input) => input.walked !== true || !isTestData(input.file)), errors };
}

/**
 * Reads a stream to its end (standard input, a pipe, a device), refusing more than `limit` bytes:
 * its size is known only once it is read. `tooLarge` words the error.
 */
function readToEnd(fd: number, limit: number, tooLarge: () => MamoriError): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  const buffer = Buffer.alloc(1 << 16);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buffer, 0, buffer.length, null);
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
    if (total > limit) throw tooLarge();
    chunks.push(Buffer.from(buffer.subarray(0, n)));
  }
  return Buffer.concat(chunks);
}

const byteCount = (n: number): string => n.toLocaleString('en-US');

/**
 * Reads a whole file with one open. A regular file over `limit` bytes is refused before it is
 * read; anything else (a pipe, `<(...)`, a device) reports a size of 0 and is read to its end.
 */
function readFileLimited(file: string, limit: number): Buffer {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (cause) {
    throw new MamoriError('io', `cannot read file: ${(cause as Error).message}`, { file, cause });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return readToEnd(fd, limit, () => new MamoriError('too-large', `file is larger than the limit of ${byteCount(limit)} bytes`, { file }));
    const size = st.size;
    if (size > limit) {
      throw new MamoriError('too-large', `file is ${byteCount(size)} bytes; the limit is ${byteCount(limit)}`, { file });
    }
    const buffer = Buffer.allocUnsafe(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, buffer, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    return read === size ? buffer : buffer.subarray(0, read);
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
    const limit = limits.maxFileBytes;
    bytes = readToEnd(0, limit, () => new MamoriError('too-large', `standard input is larger than ${byteCount(limit)} bytes`, { file: input.file }));
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
