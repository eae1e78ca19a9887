import { namespaceOf, type Inventory } from '../../../engine/inventory.js';
import { defineRule } from '../../../engine/rule.js';
import { detach } from '../../../k8s/object.js';
import { RBAC_KINDS } from '../../../k8s/rbac.js';
import { POD_BEARING_KINDS } from '../../../k8s/pod.js';
import { isFragment } from '../../workload/fragments.js';
import { accountKey, projectsToken, serviceAccountIndex, serviceAccountOf } from '../../workload/service-accounts.js';
import { DEFAULT_PRIVILEGED_NAMESPACES, privilegedNamespaces } from '../define.js';
import { sharedFunction, type SharedFunctions } from '../../shared.js';
import { analysedBindings, bindingLabel, classWords, describeScope, idleEscalation, isClusterTier, push, type AnalysedBinding, type ClassMatch, type PermissionClass } from '../permissions.js';

/** Permissions that, held cluster-wide, make the holder an administrator of the cluster (or one step from it). */
const TAKEOVER: readonly PermissionClass[] = [
  'admin',
  'wildcard',
  'secrets-read',
  'secrets-write',
  'configmap-write',
  'workload-write',
  'pod-exec',
  'escalate-bind',
  'rbac-write',
  'impersonate',
  'nodes-proxy',
  'csr-approval',
  'token-create',
  'webhook-write',
];

const GRANTS = Symbol('workload-powerful-service-account:grants');

/** The group of every ServiceAccount of one namespace: `system:serviceaccounts:<namespace>`. */
const NAMESPACE_GROUP = 'system:serviceaccounts:';

/** The grants of each ServiceAccount (`namespace/name`), and of each namespace's ServiceAccount group. */
interface AccountGrants {
  byAccount: Map<string, AccountGrant[]>;
  byNamespace: Map<string, AccountGrant[]>;
  /** By file, the namespaces in which a binding of that file grants a ServiceAccount of each name something (for workloads that set no namespace). */
  namespacesByFile: Map<string, Map<string, Set<string>>>;
}

/** What one binding grants one ServiceAccount, in words. */
interface AccountGrant {
  binding: string;
  classes: string[];
  /**
   * The classes left without `escalate` and `bind`, and the match those come from: neither takes
   * anything over unless the ServiceAccount can also write roles (`escalate`) or bindings (`bind`).
   */
  withoutEscalation?: { classes: string[]; match: ClassMatch };
}

/**
 * For each ServiceAccount (`namespace/name`), the cluster-tier bindings of the input that give it
 * takeover permissions, named directly or through the `system:serviceaccounts:<namespace>` group.
 */
function accountGrants(inventory: Inventory, privileged: readonly string[]): AccountGrants {
  const cache = inventory.memo(GRANTS, () => new Map<string, AccountGrants>());
  const key = privileged.join('\u0000');
  let out = cache.get(key);
  if (out === undefined) {
    out = { byAccount: new Map(), byNamespace: new Map(), namespacesByFile: new Map() };
    for (const analysed of analysedBindings(inventory)) {
      if (!isClusterTier(analysed.binding, privileged)) continue;
      const found = TAKEOVER.filter((cls) => takesOver(cls, analysed));
      if (found.length === 0) continue;
      const words = (classes: readonly PermissionClass[]): string[] => classes.flatMap((cls) => {
        const match = analysed.matches.get(cls);
        return match === undefined ? [] : [classWords(match)];
      });
      const grant: AccountGrant = { binding: describeBinding(analysed, privileged), classes: words(found) };
      const escalation = analysed.matches.get('escalate-bind');
      if (escalation !== undefined) grant.withoutEscalation = { classes: words(found.filter((cls) => cls !== 'escalate-bind')), match: escalation };
      for (const subject of analysed.binding.subjects) {
        if (subject.kind === 'ServiceAccount' && subject.namespace !== undefined) {
          push(out.byAccount, accountKey(subject.namespace, subject.name), grant);
          const file = analysed.binding.object.source.file;
          let byName = out.namespacesByFile.get(file);
          if (byName === undefined) out.namespacesByFile.set(file, (byName = new Map()));
          let namespaces = byName.get(subject.name);
          if (namespaces === undefined) byName.set(subject.name, (namespaces = new Set()));
          namespaces.add(subject.namespace);
        }
        else if (subject.kind === 'Group' && subject.name.startsWith(NAMESPACE_GROUP)) push(out.byNamespace, subject.name.slice(NAMESPACE_GROUP.length), grant);
      }
    }
    cache.set(key, out);
  }
  return out;
}

/**
 * True when the binding grants the class in a way that takes over the cluster: ConfigMap writes
 * count when they change an existing one (creating one matters only where an optional cluster
 * ConfigMap is absent).
 */
function takesOver(cls: PermissionClass, analysed: AnalysedBinding): boolean {
  const match = analysed.matches.get(cls);
  if (match === undefined) return false;
  if (cls !== 'configmap-write') return true;
  return match.grants.some((g) => g.verbs.has('update') || g.verbs.has('patch'));
}

function describeBinding(a: AnalysedBinding, privileged: readonly string[]): string {
  return `${bindingLabel(a.binding)} (${a.role.kind} "${a.role.name}", ${describeScope(a, privileged)})`;
}

const DECISIONS: SharedFunctions<Resolve> = new WeakMap();

type Resolve = (inventory: Inventory) => string | null;

/**
 * Whether a pod running as ServiceAccount `name` of `namespace` holds cluster-takeover permissions,
 * and which. A workload that sets no namespace (manifests applied with `kubectl -n`, as many
 * install files are; `implicit` is its file) runs in the namespace it is applied to: when it has no
 * grant in `default` and the bindings of its own file grant a ServiceAccount of its name in
 * exactly one namespace, it is judged there, and the message says so. Not for `default`, which
 * every namespace has, and not from other files, which may be other installs of the same thing.
 */
function takeover(given: string, name: string, tokenByPod: boolean, privileged: readonly string[], implicit: string | undefined): Resolve {
  return (inventory) => {
    const { byAccount, byNamespace, namespacesByFile } = accountGrants(inventory, privileged);
    let assumed: string | undefined;
    if (implicit !== undefined && name !== 'default' && !byAccount.has(accountKey(given, name)) && !byNamespace.has(given)) {
      const namespaces = namespacesByFile.get(implicit)?.get(name);
      if (namespaces?.size === 1) [assumed] = namespaces;
    }
    const namespace = assumed ?? given;
    const key = accountKey(namespace, name);
    const classesOf = (g: AccountGrant): string[] => {
      const without = g.withoutEscalation;
      if (without === undefined) return g.classes;
      return idleEscalation(without.match, { kind: 'ServiceAccount', name, namespace, index: 0 }, inventory) ? without.classes : g.classes;
    };
    const grants = [...(byAccount.get(key) ?? []), ...(byNamespace.get(namespace) ?? [])].filter((g) => classesOf(g).length > 0);
    if (grants.length === 0) return null;
    // A ServiceAccount object that sets no namespace either is indexed where the workload is: `given`.
    const accounts = serviceAccountIndex(inventory).accounts;
    const account = accounts.get(key) ?? (assumed === undefined ? undefined : accounts.get(accountKey(given, name)));
    if (!tokenByPod && account?.['automountServiceAccountToken'] === false) return null;
    // The same binding in several files of the input (one manifest per provider) is named once.
    const what = [...new Set(grants.map((g) => `${g.binding}: ${classesOf(g).join(', ')}`))].join('; ');
    const where = assumed === undefined ? '' : ` (the workload sets no namespace; its file grants a ServiceAccount of that name only in namespace "${assumed}", where it is taken to be applied)`;
    return `pod runs as ServiceAccount "${name}"${where} with its API token mounted, and ${what}; code execution in any container of this pod can take over the cluster`;
  };
}

export const rule = defineRule({
  id: 'workload-powerful-service-account',
  title: 'Workload runs with cluster-takeover permissions',
  severity: 'high',
  target: 'pod',
  kinds: POD_BEARING_KINDS,
  context: [...RBAC_KINDS, 'ServiceAccount'],
  controls: ['ACC-3', 'ACC-2'],
  frameworks: { nsa: ['Authentication and authorization'], kubescape: ['C-0267', 'C-0272', 'C-0053'] },
  options: { privilegedNamespaces: DEFAULT_PRIVILEGED_NAMESPACES },
  description:
    'A pod holds the API token of its ServiceAccount. When a ClusterRoleBinding (or a RoleBinding in a privileged namespace) gives that ServiceAccount full control, wildcard permissions, Secret reads or writes (a written `service-account-token` Secret mints a token), writes to cluster ConfigMaps (CoreDNS, `aws-auth`), workload creation, exec into pods (through `get` alone before Kubernetes 1.35, over a WebSocket), role escalation or binding (`escalate` counts when the ServiceAccount can also create or update roles, `bind` when it can create or update bindings), RBAC writes, impersonation, nodes/proxy, certificate approval, token minting or admission-webhook writes across the cluster, then remote code execution, a file-read bug or a malicious dependency in any container of the pod is a takeover of the whole cluster: the token is in the container\'s filesystem. The RBAC rules report the binding; this rule reports every workload that would hand those permissions to an attacker, so the blast radius is seen where the code runs. Bindings through the group `system:serviceaccounts:<namespace>` count; bindings to every ServiceAccount (`system:serviceaccounts`) are left to `rbac-authenticated-binding`-style review of the binding itself. A workload that sets no namespace (an install file applied with `kubectl apply -n`) is judged in the one namespace where the bindings of its own file grant a ServiceAccount of its name, when there is exactly one (never for `default`), and the message says so. Not reported when the token is not mounted (the pod, or its ServiceAccount in the input, sets `automountServiceAccountToken: false` and no projected volume requests a token). Which RoleBindings count as cluster-wide is the `privilegedNamespaces` option (default `["kube-system"]`), as for the `rbac-cluster-*` rules.',
  remediation:
    'Give the workload a ServiceAccount of its own that holds only what it calls (namespaced Roles, `resourceNames`, no wildcards), and move cluster-wide powers to a separate component with a small attack surface. Where the workload needs no API access at all, set `automountServiceAccountToken: false` on the pod. Keep controllers that need such permissions (GitOps, operators) in namespaces of their own, hardened with the restricted Pod Security level and network policies.',
  *check({ loaded, kind, spec, specPath }, ctx) {
    // A PodTemplate only describes pods; nothing runs as it.
    if (kind === 'PodTemplate' || isFragment(spec)) return;
    const own = spec['automountServiceAccountToken'];
    // Whether the pod itself decides that a token is there (set true, or a projected token volume).
    const tokenByPod = own === true || projectsToken(spec);
    if (own === false && !tokenByPod) return;
    const account = serviceAccountOf(spec, specPath);
    const namespace = namespaceOf(loaded) ?? 'default';
    // A workload that sets no namespace may be judged where the bindings of its file put its ServiceAccount.
    const implicit = loaded.ref.namespace === undefined ? loaded.source.file : undefined;
    // One decision for the pods that run as the same ServiceAccount the same way.
    const resolve = sharedFunction(DECISIONS, ctx, [namespace, account.name, tokenByPod, implicit], () => takeover(namespace, detach(account.name), tokenByPod, privilegedNamespaces(ctx.options), implicit));
    yield { path: account.path ?? specPath, message: '', resolve };
  },
});
