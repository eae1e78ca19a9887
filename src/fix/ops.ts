/**
 * Building blocks for the JSON Patch operations (RFC 6902) that rules declare as their fix.
 * Rules call these only inside a violation's `fix` closure, never on the path that finds nothing.
 *
 * Convention that lets fixes computed independently on the same object be applied together
 * (see `applyPatch`): a missing parent is created by an `add` of an empty object, then the leaf is
 * set by its own operation; arrays that a fix filters are replaced whole rather than edited by index.
 */
import type { PatchOperation } from '../engine/rule.js';
import { formatPath } from '../k8s/object.js';
import type { JsonValue, Path } from '../types.js';

/** A JSON Pointer (RFC 6901) for a field path: `~` is written `~0` and `/` is written `~1`. */
export function pointer(path: Path): string {
  let out = '';
  for (const segment of path) {
    const text = String(segment);
    out += `/${text.includes('~') || text.includes('/') ? text.replace(/~/g, '~0').replace(/\//g, '~1') : text}`;
  }
  return out;
}

/** The reference tokens of a JSON Pointer, unescaped; undefined when it is not a valid pointer. */
export function parsePointer(text: string): string[] | undefined {
  if (text === '') return [];
  if (!text.startsWith('/')) return undefined;
  const tokens = text.slice(1).split('/');
  for (const token of tokens) if (/~(?![01])/.test(token)) return undefined;
  return tokens.map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

const isMapping = (value: unknown): value is Record<string, JsonValue> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The value at `path` below `root`, or undefined when some step is missing. */
function valueAt(root: JsonValue | undefined, path: Path): JsonValue | undefined {
  let node: JsonValue | undefined = root;
  for (const segment of path) {
    if (typeof segment === 'number') node = Array.isArray(node) ? node[segment] : undefined;
    else node = isMapping(node) ? node[segment] : undefined;
    if (node === undefined) return undefined;
  }
  return node;
}

/**
 * Operations that make the field at `path` of `root` equal `value`: an `add` of `{}` for each
 * missing parent (or parent that is not an object, such as `securityContext: null`), then an `add`
 * of the field, or a `replace` when it exists. Steps that index an array must exist. A parent of
 * another type than null (`securityContext: "x"`) would be replaced too: `mamori fix` refuses such
 * operations (`wrongTypeOnPath`), keeping what the user wrote.
 */
export function setField(root: JsonValue, path: Path, value: JsonValue): PatchOperation[] {
  const ops: PatchOperation[] = [];
  let node: JsonValue | undefined = root;
  let created = false;
  for (let i = 0; i < path.length - 1; i++) {
    const segment = path[i] as string | number;
    if (typeof segment === 'number') {
      node = Array.isArray(node) ? node[segment] : undefined;
      if (node === undefined) throw new Error(`fix path ${pointer(path)}: no item ${segment}`);
      continue;
    }
    const child: JsonValue | undefined = created || !isMapping(node) ? undefined : node[segment];
    // A list is walked into by the next (numeric) step; anything else that is not an object is created as one.
    if (typeof path[i + 1] === 'number' && Array.isArray(child)) {
      node = child;
      continue;
    }
    if (!isMapping(child)) {
      ops.push({ op: 'add', path: pointer(path.slice(0, i + 1)), value: {} });
      created = true;
    }
    node = child;
  }
  const exists = !created && valueAt(root, path) !== undefined;
  ops.push({ op: exists ? 'replace' : 'add', path: pointer(path), value });
  return ops;
}

/** Operations that append `item` to the array at `path` (creating it, and its parents, when missing). */
export function appendItem(root: JsonValue, path: Path, item: JsonValue): PatchOperation[] {
  if (Array.isArray(valueAt(root, path))) return [{ op: 'add', path: `${pointer(path)}/-`, value: item }];
  return setField(root, path, [item]);
}

/** An operation that removes the field at `path`. */
export function removeField(path: Path): PatchOperation {
  return { op: 'remove', path: pointer(path) };
}

/** The value at a path of a JSON value (for fixes that read the object they patch). */
export function readPath(root: JsonValue, path: Path): JsonValue | undefined {
  return valueAt(root, path);
}

/** What a JSON value is, in words: `a mapping`, `a list`, `a string`, ... */
function kindOf(value: JsonValue): string {
  if (Array.isArray(value)) return 'a list';
  if (isMapping(value)) return 'a mapping';
  return `a ${typeof value}`;
}

const INDEX = /^(?:0|[1-9][0-9]*)$/;

/**
 * Why operations must not be applied to `root` because they would replace a field of the wrong
 * type, or undefined: a path that crosses a value that is not a mapping where the next step needs
 * one (or not a list where it indexes one), or an `add`/`replace` of a mapping or list where
 * another kind of value is (or of a scalar where a mapping or list is). Applied, the operation
 * would throw away what the field holds. `null` is an unset field: it may be replaced.
 */
export function wrongTypeOnPath(root: JsonValue, ops: readonly PatchOperation[]): string | undefined {
  for (const op of ops) {
    const tokens = parsePointer(op.path);
    if (tokens === undefined) continue;
    let node: JsonValue | undefined = root;
    let parent: JsonValue | undefined;
    const path: (string | number)[] = [];
    for (let i = 0; i < tokens.length && node !== undefined && node !== null; i++) {
      const token = tokens[i] as string;
      const last = i === tokens.length - 1;
      parent = node;
      if (Array.isArray(node)) {
        if (token === '-' && last) break;
        if (!INDEX.test(token)) return `${formatPath(path)} is a list, not a mapping`;
        path.push(Number(token));
        node = node[Number(token)];
      } else if (isMapping(node)) {
        if (token === '-' && last && op.op === 'add') return `${formatPath(path)} is a mapping, not a list`;
        path.push(token);
        node = Object.hasOwn(node, token) ? node[token] : undefined;
      } else {
        return `${formatPath(path)} is ${kindOf(node)}, not ${token === '-' || INDEX.test(token) ? 'a list' : 'a mapping'}`;
      }
      if (!last || node === undefined || node === null || (op.op !== 'add' && op.op !== 'replace')) continue;
      // The target: an `add` into a list inserts before the item; elsewhere the value is replaced.
      if (op.op === 'add' && Array.isArray(parent)) break;
      const value = op.value;
      if (value === undefined) break;
      const want = Array.isArray(value) ? 'a list' : isMapping(value) ? 'a mapping' : undefined;
      const have = Array.isArray(node) || isMapping(node) ? kindOf(node) : undefined;
      if (want !== have) return `${formatPath(path)} is ${kindOf(node)}, not ${want ?? kindOf(value)}`;
    }
  }
  return undefined;
}
