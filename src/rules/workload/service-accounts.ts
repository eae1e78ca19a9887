import type { Inventory } from '../../engine/inventory.js';
import { asArray, asObject, asString } from '../../k8s/object.js';
import type { JsonObject, Path } from '../../types.js';

/** The ServiceAccounts and service-account bindings of the input, indexed once per scan. */
export interface ServiceAccountIndex {
  /** ServiceAccount objects by `accountKey(namespace, name)`. */
  accounts: ReadonlyMap<string, JsonObject>;
  /**
   * `accountKey(namespace, name)` of every ServiceAccount that a RoleBinding or ClusterRoleBinding
   * of the input names: as a ServiceAccount subject, or as the User `system:serviceaccount:<namespace>:<name>`.
   */
  bound: ReadonlySet<string>;
  /** Namespaces whose every ServiceAccount a binding names, through the Group `system:serviceaccounts:<namespace>`. */
  boundNamespaces: ReadonlySet<string>;
}

/**
 * Whether a binding of the input grants the ServiceAccount something, naming it or the group of
 * its namespace. A grant to every ServiceAccount of the cluster (the Group `system:serviceaccounts`,
 * as for PodSecurityPolicy `use` or the issuer discovery Kubernetes binds by default) does not
 * count: it says nothing about one workload, and would count for every workload of the input.
 */
export function isBound(index: ServiceAccountIndex, namespace: string, name: string): boolean {
  return index.boundNamespaces.has(namespace) || index.bound.has(accountKey(namespace, name));
}

const USER_PREFIX = 'system:serviceaccount:';
const NAMESPACE_GROUP = 'system:serviceaccounts:';

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
    const index = { accounts, bound: new Set<string>(), boundNamespaces: new Set<string>() };
    for (const kind of ['RoleBinding', 'ClusterRoleBinding']) {
      for (const loaded of inventory.byKind(kind)) {
        const own = inventory.namespaceOf(loaded);
        for (const entry of asArray(loaded.object['subjects'])) {
          const subject = asObject(entry);
          const name = asString(subject?.['name']);
          if (name === undefined) continue;
          const subjectKind = asString(subject?.['kind']);
          if (subjectKind === 'ServiceAccount') {
            const namespace = asString(subject?.['namespace']) ?? own;
            if (namespace !== undefined) index.bound.add(accountKey(namespace, name));
          } else if (subjectKind === 'User' && name.startsWith(USER_PREFIX)) {
            // The API server's user name of a ServiceAccount token: system:serviceaccount:<namespace>:<name>.
            const [namespace, account, ...rest] = name.slice(USER_PREFIX.length).split(':');
            if (namespace !== undefined && account !== undefined && rest.length === 0) index.bound.add(accountKey(namespace, account));
          } else if (subjectKind === 'Group' && name.startsWith(NAMESPACE_GROUP)) index.boundNamespaces.add(name.slice(NAMESPACE_GROUP.length));
        }
      }
    }
    return index;
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
