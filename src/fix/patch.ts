/**
 * Applies JSON Patch operations (RFC 6902) to a JSON value. Each finding's fix is computed on the
 * object as it was scanned, independently of the other findings of the same object, so two fixes
 * may both create the same missing parent (`securityContext`). Two rules make them compose:
 * - an `add` of an empty object where an object already is does nothing (that parent was created
 *   by an earlier fix, and replacing it would undo that fix);
 * - a `remove` of a member that is already gone does nothing.
 * Everything else follows RFC 6902; a fix whose operations fail is not applied at all.
 */
import type { PatchOperation } from '../engine/rule.js';
import type { JsonValue } from '../types.js';
import { parsePointer } from './ops.js';

type Container = Record<string, JsonValue> | JsonValue[];

const isMapping = (value: unknown): value is Record<string, JsonValue> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Deep equality of JSON values (key order ignored). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (!isMapping(a) || !isMapping(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) if (!Object.hasOwn(b, key) || !jsonEqual(a[key], b[key])) return false;
  return true;
}

/** A deep copy of a JSON value. */
export function cloneJson<T extends JsonValue>(value: T): T {
  return structuredClone(value);
}

/** Why a patch could not be applied. */
export class PatchError extends Error {}

/** An array index token: `-` (after the last item, where allowed) or a decimal without leading zeros. */
function arrayIndex(token: string, length: number, append: boolean): number {
  if (token === '-' && append) return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new PatchError(`"${token}" is not an array index`);
  const index = Number(token);
  if (index > length || (!append && index === length)) throw new PatchError(`index ${index} is out of range`);
  return index;
}

/** The parent container of a pointer's target, and the last token. */
function parentOf(root: JsonValue, tokens: readonly string[], path: string): { parent: Container; last: string } {
  let node: JsonValue | undefined = root;
  for (let i = 0; i < tokens.length - 1; i++) {
    const token = tokens[i] as string;
    if (Array.isArray(node)) node = node[arrayIndex(token, node.length, false)];
    else if (isMapping(node)) node = Object.hasOwn(node, token) ? node[token] : undefined;
    else node = undefined;
    if (node === undefined) throw new PatchError(`${path}: the parent does not exist`);
  }
  if (!Array.isArray(node) && !isMapping(node)) throw new PatchError(`${path}: the parent is not an object or array`);
  return { parent: node, last: tokens[tokens.length - 1] as string };
}

/** Undoes one change of `applyOne` (see `applyPatchInPlace`). */
type Undo = () => void;

/** Puts back an object's members as `entries` lists them, in that order. */
function restoreMembers(object: Record<string, JsonValue>, entries: readonly [string, JsonValue][]): void {
  for (const key of Object.keys(object)) delete object[key];
  for (const [key, value] of entries) object[key] = value;
}

/**
 * Applies one operation to `root` in place; returns the new root (which changes only for the root
 * path). With `log`, each change first pushes how to undo it there.
 */
function applyOne(root: JsonValue, op: PatchOperation, log?: Undo[]): JsonValue {
  const tokens = parsePointer(op.path);
  if (tokens === undefined) throw new PatchError(`"${op.path}" is not a JSON Pointer`);
  if (tokens.length === 0) {
    if (op.op === 'remove') throw new PatchError('cannot remove the whole document');
    if (op.op === 'test') {
      if (!jsonEqual(root, op.value)) throw new PatchError('test failed at the root');
      return root;
    }
    return cloneJson(op.value);
  }
  const { parent, last } = parentOf(root, tokens, op.path);
  switch (op.op) {
    case 'add': {
      if (Array.isArray(parent)) {
        const index = arrayIndex(last, parent.length, true);
        log?.push(() => parent.splice(index, 1));
        parent.splice(index, 0, cloneJson(op.value));
        return root;
      }
      const had = Object.hasOwn(parent, last);
      const current = had ? parent[last] : undefined;
      if (isMapping(current) && isMapping(op.value) && Object.keys(op.value).length === 0) return root;
      log?.push(had ? () => (parent[last] = current as JsonValue) : () => delete parent[last]);
      parent[last] = cloneJson(op.value);
      return root;
    }
    case 'replace': {
      if (Array.isArray(parent)) {
        const index = arrayIndex(last, parent.length, false);
        const current = parent[index] as JsonValue;
        log?.push(() => (parent[index] = current));
        parent[index] = cloneJson(op.value);
        return root;
      }
      if (!Object.hasOwn(parent, last)) throw new PatchError(`${op.path}: nothing to replace`);
      const current = parent[last] as JsonValue;
      log?.push(() => (parent[last] = current));
      parent[last] = cloneJson(op.value);
      return root;
    }
    case 'remove': {
      if (Array.isArray(parent)) {
        const index = arrayIndex(last, parent.length, false);
        const current = parent[index] as JsonValue;
        log?.push(() => parent.splice(index, 0, current));
        parent.splice(index, 1);
        return root;
      }
      // Put back, a member would come last: the undo restores the order of all of them.
      if (log !== undefined && Object.hasOwn(parent, last)) {
        const entries = Object.entries(parent);
        log.push(() => restoreMembers(parent, entries));
      }
      delete parent[last];
      return root;
    }
    case 'test': {
      const current = Array.isArray(parent) ? parent[arrayIndex(last, parent.length, false)] : Object.hasOwn(parent, last) ? parent[last] : undefined;
      if (!jsonEqual(current, op.value)) throw new PatchError(`test failed at ${op.path}`);
      return root;
    }
  }
}

/**
 * `applyPatch` without its copy of the whole document: the operations change `doc` itself, all or
 * nothing (when one fails, those before it are undone and the PatchError is thrown). Patching a
 * document once per finding is then linear in its size, not quadratic. Gives the new root (which
 * differs from `doc` only after an operation on the root path) and how to undo the patch, which
 * leaves `doc` as it was. A `__proto__` on a path (an assignment that would set a prototype) is
 * patched on a copy, as `applyPatch` does.
 */
export function applyPatchInPlace(doc: JsonValue, ops: readonly PatchOperation[]): { root: JsonValue; undo: () => void } {
  if (ops.some((op) => op.path.includes('__proto__'))) return { root: applyPatch(doc, ops), undo: () => undefined };
  const log: Undo[] = [];
  const undo = (): void => {
    for (let i = log.length - 1; i >= 0; i--) (log[i] as Undo)();
    log.length = 0;
  };
  let root = doc;
  try {
    for (const op of ops) root = applyOne(root, op, log);
  } catch (error) {
    undo();
    throw error;
  }
  return { root, undo };
}

/**
 * The result of applying a patch to `doc`, which is left untouched; throws a PatchError (and
 * applies nothing) when an operation fails.
 */
export function applyPatch(doc: JsonValue, ops: readonly PatchOperation[]): JsonValue {
  let out = cloneJson(doc);
  for (const op of ops) out = applyOne(out, op);
  return out;
}

/** The operations with their paths moved below `prefix` (a JSON Pointer, e.g. `/items/2`). */
export function prefixPatch(ops: readonly PatchOperation[], prefix: string): PatchOperation[] {
  if (prefix === '') return [...ops];
  return ops.map((op) => ({ ...op, path: prefix + op.path }));
}
