import { asArray, asObject, asString } from '../../../k8s/object.js';
import type { JsonObject } from '../../../types.js';

/**
 * Stands for a value that the kubelet fills in per pod and that is one path segment naming that pod
 * (its name, namespace, UID, node, ServiceAccount, IP) or a number (a resource field): never `/`,
 * and no runtime socket or directory name.
 */
export const POD_SEGMENT = '\u0000';

/** Downward API fields of that kind; labels and annotations are free text and count as unknown. */
const POD_IDENTITY_FIELDS: ReadonlySet<string> = new Set([
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
]);

/** A `subPathExpr` as far as the pod spec fixes it. */
export interface Expansion {
  /** The expanded text, POD_SEGMENT for each per-pod value; up to the first unknown value when there is one. */
  known: string;
  /** The first variable whose value the pod spec does not fix (a Secret, a ConfigMap, a label); it may be any relative path. */
  unknown?: string;
  /** The text after the last unknown value, expanded likewise. */
  tail: string;
}

/**
 * The value the container's variable `name` takes in a `subPathExpr`: its text, POD_SEGMENT, or
 * undefined when the pod spec does not fix it. An undefined variable stays `$(name)`, as the kubelet
 * leaves it, unless `envFrom` may define it.
 */
function variable(container: JsonObject, name: string): string | undefined {
  let entry: JsonObject | undefined;
  for (const item of asArray(container['env'])) {
    const env = asObject(item);
    if (asString(env?.['name']) === name) entry = env;
  }
  if (entry === undefined) return asArray(container['envFrom']).length > 0 ? undefined : `$(${name})`;
  const from = asObject(entry['valueFrom']);
  if (from === undefined) {
    const value = asString(entry['value']) ?? '';
    // A value that refers to other variables is not followed.
    return value.includes('$(') ? undefined : value;
  }
  if (asObject(from['resourceFieldRef']) !== undefined) return POD_SEGMENT;
  const field = asString(asObject(from['fieldRef'])?.['fieldPath']);
  return field !== undefined && POD_IDENTITY_FIELDS.has(field) ? POD_SEGMENT : undefined;
}

/** Expands `$(VAR)` references as the kubelet does (`$$` is a literal `$`) with what the pod spec says of each. */
export function expandSubPath(expression: string, container: JsonObject): Expansion {
  let text = '';
  let known: string | undefined;
  let unknown: string | undefined;
  // Once no `)` follows, none follows any later `$(` either: searching again would be quadratic.
  let closes = true;
  for (let i = 0; i < expression.length; i++) {
    const char = expression[i];
    const next = expression[i + 1];
    if (char === '$' && next === '$') {
      text += '$';
      i++;
      continue;
    }
    const close = closes && char === '$' && next === '(' ? expression.indexOf(')', i + 2) : -1;
    if (close < 0) {
      if (char === '$' && next === '(') closes = false;
      text += char;
      continue;
    }
    const name = expression.slice(i + 2, close);
    const value = variable(container, name);
    i = close;
    if (value !== undefined) {
      text += value;
      continue;
    }
    if (unknown === undefined) {
      unknown = name;
      known = text;
    }
    text = '';
  }
  return unknown === undefined ? { known: text, tail: '' } : { known: known ?? '', unknown, tail: text };
}
