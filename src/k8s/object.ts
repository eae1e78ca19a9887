import type { JsonObject, JsonValue, ObjectRef, Path } from '../types.js';

/** True for a plain JSON object (not an array, not null). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value as an object, or undefined when it is missing or not an object. */
export function asObject(value: unknown): JsonObject | undefined {
  return isObject(value) ? value : undefined;
}

/** The value as an array, or an empty array when it is missing or not an array. */
export function asArray(value: unknown): readonly JsonValue[] {
  return Array.isArray(value) ? (value as JsonValue[]) : [];
}

/** The value as a string, or undefined when it is not a string. */
export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** True when a JSON value nests collections `limit` levels deep or more (the walk stops there). */
export function nestedDeeperThan(value: JsonValue, limit: number, depth = 0): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (depth >= limit) return true;
  if (Array.isArray(value)) {
    for (const child of value) if (nestedDeeperThan(child, limit, depth + 1)) return true;
    return false;
  }
  for (const key in value) if (nestedDeeperThan(value[key] as JsonValue, limit, depth + 1)) return true;
  return false;
}

/**
 * Sets a field of an object built from input keys. A `__proto__` key becomes an own field, as the
 * loaders and JSON.parse make it; an assignment would set the object's prototype and drop the key.
 */
export function setOwn(object: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  else object[key] = value;
}

/**
 * A copy of a string that shares no memory with the text it was cut from. Parsers hand out
 * slices of the whole document; a finding that kept one would keep the document alive.
 */
export function detach(text: string): string {
  return text.length < 13 ? text : (` ${text}`).slice(1);
}

/** The ObjectRef of a Kubernetes object (empty strings where fields are missing). */
export function objectRef(object: JsonObject): ObjectRef {
  const metadata = asObject(object['metadata']);
  const namespace = asString(metadata?.['namespace']);
  const name = asString(metadata?.['name']) ?? asString(metadata?.['generateName']) ?? '';
  const ref: ObjectRef = {
    apiVersion: detach(asString(object['apiVersion']) ?? ''),
    kind: detach(asString(object['kind']) ?? ''),
    name: detach(name),
  };
  if (namespace !== undefined && namespace !== '') ref.namespace = detach(namespace);
  return ref;
}

/** Renders a path the way users read it: `spec.containers[0].image`; odd keys are quoted. */
export function formatPath(path: Path): string {
  let out = '';
  for (const segment of path) out += pathPiece(segment, out === '');
  return out;
}

/** What one segment adds to a rendered path (`first`: nothing is before it). */
function pathPiece(segment: string | number, first: boolean): string {
  if (typeof segment === 'number') return `[${segment}]`;
  if (/^[A-Za-z_$][\w$-]*$/.test(segment)) return first ? segment : `.${segment}`;
  return `[${JSON.stringify(segment)}]`;
}

interface PathNode {
  text: string;
  children: Map<string | number, PathNode> | undefined;
}

/**
 * Rendered paths (`formatPath`), one shared copy of each, holding no slice of a file's text:
 * findings repeat a few hundred paths. A tree by segment, so a known path costs a lookup per
 * segment and no rendering; it stops growing at `max` nodes, and then renders what it lacks.
 */
export class PathTexts {
  private readonly root: PathNode = { text: '', children: undefined };
  private size = 0;

  constructor(private readonly max: number) {}

  text(path: Path): string {
    let node = this.root;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i] as string | number;
      let child = node.children?.get(segment);
      if (child === undefined) {
        if (this.size >= this.max) return detach(formatPath(path));
        child = { text: detach(node.text + pathPiece(segment, node.text === '')), children: undefined };
        (node.children ??= new Map()).set(typeof segment === 'string' ? detach(segment) : segment, child);
        this.size++;
      }
      node = child;
    }
    return node.text;
  }
}
