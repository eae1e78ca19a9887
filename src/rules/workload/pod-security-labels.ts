import { asObject } from '../../k8s/object.js';
import type { JsonObject, JsonValue, Path } from '../../types.js';

/** The three Pod Security Admission modes, in the order their labels are reported. */
export const MODES = ['enforce', 'audit', 'warn'] as const;
export type Mode = (typeof MODES)[number];
/** The Pod Security levels, weakest first. */
export const LEVELS = ['privileged', 'baseline', 'restricted'] as const;
export type Level = (typeof LEVELS)[number];

/** The prefix of every Pod Security Admission label. */
export const PREFIX = 'pod-security.kubernetes.io/';
/** Namespaces of Kubernetes itself, whose Pod Security labels the cluster installer owns. */
export const SYSTEM_NAMESPACES: readonly string[] = ['kube-system', 'kube-public', 'kube-node-lease'];

/** PSA's own version syntax (`api/helpers.go`): `latest` or `v1.<minor>` without leading zeros. */
const VERSION = /^v1\.(0|[1-9][0-9]*)$/;

/** True for a valid level label value. */
export function isLevel(value: JsonValue | undefined): value is Level {
  return typeof value === 'string' && (LEVELS as readonly string[]).includes(value);
}

/** Strictness rank of a level (privileged 0 … restricted 2). */
export function rank(level: Level): number {
  return LEVELS.indexOf(level);
}

/** The minor of a valid pinned version, `Infinity` for `latest`, undefined when invalid. */
export function versionMinor(value: JsonValue | undefined): number | undefined {
  if (value === 'latest') return Number.POSITIVE_INFINITY;
  if (typeof value !== 'string') return undefined;
  const match = VERSION.exec(value);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** The labels mapping of a Namespace object and the path where a label belongs. */
export function podSecurityLabels(object: JsonObject): { labels: JsonObject | undefined; at: (key: string) => Path } {
  const metadata = asObject(object['metadata']);
  const labels = asObject(metadata?.['labels']);
  return {
    labels,
    at: (key) => (labels !== undefined && Object.hasOwn(labels, key) ? ['metadata', 'labels', key] : labels !== undefined ? ['metadata', 'labels'] : ['metadata']),
  };
}

/** A label value for a message: short, quoted, never a whole structure. */
export function shown(value: JsonValue | undefined): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return `${String(value)} (not a string)`;
  return 'a non-string value';
}
