import type { Inventory } from '../../engine/inventory.js';
import { asArray, asObject, asString } from '../../k8s/object.js';
import type { JsonObject, Path } from '../../types.js';

/** The ServiceAccounts and service-account bindings of the input, indexed once per scan. */
export interface ServiceAccountIndex {
  /** ServiceAccount objects by `accountKey(namespace, name)`. */
  accounts: ReadonlyMap<string, JsonObject>;
  /** `accountKey(namespace, name)` of every ServiceAccount that a RoleBinding or ClusterRoleBinding of the input names. */
  bound: ReadonlySet<string>;
}

const INDEX = Symbol('workload.service-accounts');

/**
 * The index key of a ServiceAccount. The namespace's length comes first, so that names holding a
 * `/` (invalid in a cluster, possible in files) cannot make two accounts one key.
 */
export function accountKey(namespace: string, name: string): string {
  return `${namespace.length}:${namespace}/${name}`;
}

/** The ServiceAccounts and bound ServiceAccounts of the input, built once per scan. */
export function serviceAccountIndex(inventory: Inventory): ServiceAccountIndex {
  return inventory.memo(INDEX, () => {
    const accounts = new Map<string, JsonObject>();
    for (const loaded of inventory.byKind('ServiceAccount')) {
      const key = accountKey(inventory.namespaceOf(loaded) ?? 'default', loaded.ref.name);
      if (!accounts.has(key)) accounts.set(key, loaded.object);
    }
    const bound = new Set<string>();
    for (const kind of ['RoleBinding', 'ClusterRoleBinding']) {
      for (const loaded of inventory.byKind(kind)) {
        const own = inventory.namespaceOf(loaded);
        for (const entry of asArray(loaded.object['subjects'])) {
          const subject = asObject(entry);
          if (asString(subject?.['kind']) !== 'ServiceAccount') continue;
          const name = asString(subject?.['name']);
          const namespace = asString(subject?.['namespace']) ?? own;
          if (name !== undefined && namespace !== undefined) bound.add(accountKey(namespace, name));
        }
      }
    }
    return { accounts, bound };
  });
}

/** The ServiceAccount a pod spec runs as, and the field that names it (if any). */
export function serviceAccountOf(spec: JsonObject, specPath: Path): { name: string; path: Path | undefined } {
  for (const field of ['serviceAccountName', 'serviceAccount'] as const) {
    const name = asString(spec[field]);
    if (name !== undefined && name !== '') return { name, path: [...specPath, field] };
  }
  return { name: 'default', path: undefined };
}

/**
 * Whether the API token is auto-mounted: the pod's `automountServiceAccountToken` if set, else
 * the ServiceAccount's (when the input has it), else true; and where that decision was made.
 */
export function automount(spec: JsonObject, account: JsonObject | undefined): { mounted: boolean; by: 'pod' | 'serviceaccount' | 'default' } {
  const own = spec['automountServiceAccountToken'];
  if (typeof own === 'boolean') return { mounted: own, by: 'pod' };
  const inherited = account?.['automountServiceAccountToken'];
  if (typeof inherited === 'boolean') return { mounted: inherited, by: 'serviceaccount' };
  return { mounted: true, by: 'default' };
}

/** True when a projected volume of the pod requests a ServiceAccount token explicitly. */
export function projectsToken(spec: JsonObject): boolean {
  for (const entry of asArray(spec['volumes'])) {
    const sources = asArray(asObject(asObject(entry)?.['projected'])?.['sources']);
    for (const source of sources) if (asObject(source)?.['serviceAccountToken'] !== undefined) return true;
  }
  return false;
}
