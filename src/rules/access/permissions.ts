/**
 * The dangerous-permission catalogue of the access rules (specs/rbac-network-attack-paths.md §2),
 * evaluated once per inventory on every binding: which permission classes the binding grants to
 * its subjects, in which scope, through which roles.
 */
import type { Inventory } from '../../engine/inventory.js';
import {
  apiGroupMatches,
  formatSubject,
  implicitGroups,
  isFullWildcard,
  isUnchangedDefaultBinding,
  judgedRules,
  rbacIndexOf,
  resourceMatches,
  roleNote,
  verbMatches,
  type BindingRecord,
  type GrantedRule,
  type PolicyRule,
  type RoleRecord,
  type Subject,
} from '../../k8s/rbac.js';
import { BUILT_IN_GROUPS } from '../../k8s/scope.js';
import type { Path } from '../../types.js';

/** A class of dangerous permission; one rule (per scope tier) reports each. */
export type PermissionClass =
  | 'admin'
  | 'wildcard'
  | 'secrets-read'
  | 'workload-write'
  | 'pod-exec'
  | 'port-forward'
  | 'escalate-bind'
  | 'rbac-write'
  | 'impersonate'
  | 'nodes-proxy'
  | 'csr-approval'
  | 'token-create'
  | 'webhook-write'
  | 'pv-create'
  | 'namespace-write'
  | 'secrets-write'
  | 'configmap-write'
  | 'network-write'
  | 'destructive-delete';

/**
 * Where a permission applies: `namespaced` resources are granted by RoleBindings within their
 * namespace; `cluster` resources only by ClusterRoleBindings; `own-namespace` is the Namespace
 * object itself, which a RoleBinding grants for its own namespace (the request's namespace is the
 * Namespace's name).
 */
type ResourceScope = 'namespaced' | 'cluster' | 'own-namespace';

/**
 * How `resourceNames` count: `unnamed` needs an empty list (a list of names limits the grant to
 * objects the team chose: not reported); `any` reports the grant either way (a named object is
 * enough for the attack); `role` keeps the roles whose binding grants a dangerous permission (a
 * `RoleJudge` decides); a function keeps only the names that matter.
 */
type NamePolicy = 'unnamed' | 'any' | 'role' | ((name: string) => boolean);

/**
 * Whether binding the Role or ClusterRole of that name grants a dangerous permission: what `bind`
 * limited to that name amounts to (`roleJudge`).
 */
export type RoleJudge = (kind: 'Role' | 'ClusterRole', name: string) => boolean;

interface Probe {
  cls: PermissionClass;
  /** For classes that need several grants together (CSR approval): which one this is. */
  part?: string;
  group: string;
  /** `<parent>/*` stands for every subresource of `<parent>` (`userextras/<key>`). */
  resources: readonly { name: string; scope: ResourceScope }[];
  verbs: readonly string[];
  names: NamePolicy;
}

const CORE = '';
const RBAC = 'rbac.authorization.k8s.io';
const WRITE = ['create', 'update', 'patch'] as const;

const ns = (name: string): { name: string; scope: ResourceScope } => ({ name, scope: 'namespaced' });
const cl = (name: string): { name: string; scope: ResourceScope } => ({ name, scope: 'cluster' });


const SYSTEM_IDENTITY = (name: string): boolean => name.startsWith('system:');
/** Signers whose certificates authenticate to the API server as any user or node. */
const CLIENT_SIGNERS = new Set(['kubernetes.io/kube-apiserver-client', 'kubernetes.io/kube-apiserver-client-kubelet', 'kubernetes.io/legacy-unknown', 'kubernetes.io/*']);
/**
 * ConfigMaps the cluster itself reads its configuration from (kube-system unless noted): cluster
 * DNS (`coredns`, AKS `coredns-custom`, GKE `kube-dns`), EKS IAM mappings (`aws-auth`), kube-proxy,
 * kubeadm and kubelet settings, the aggregation layer's client CA, kubeadm's bootstrap trust
 * anchor (`cluster-info` in kube-public) and the API server CA published to every namespace.
 */
const SENSITIVE_CONFIGMAPS = new Set([
  'coredns',
  'coredns-custom',
  'kube-dns',
  'aws-auth',
  'kube-proxy',
  'kubeadm-config',
  'kubelet-config',
  'extension-apiserver-authentication',
  'cluster-info',
  'kube-root-ca.crt',
]);
const SENSITIVE_CONFIGMAP = (name: string): boolean => SENSITIVE_CONFIGMAPS.has(name) || name.startsWith('kubelet-config-');
/** `default/kubernetes`: the Service, Endpoints and EndpointSlice every pod reaches the API server through. */
const API_SERVER_SERVICE = (name: string): boolean => name === 'kubernetes';

const ALL_WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection'] as const;
const DELETE = ['delete', 'deletecollection'] as const;

/**
 * Write verbs on resources where a name limits the grant: `create` and `deletecollection` cannot be
 * limited by name (the grant needs an empty list); `update`, `patch` and `delete` of named objects
 * count only for the names `names` keeps (`unnamed`: none).
 */
function writeProbes(cls: PermissionClass, group: string, resources: Probe['resources'], names: NamePolicy): Probe[] {
  return [
    { cls, group, resources, verbs: ['create', 'deletecollection'], names: 'unnamed' },
    { cls, group, resources, verbs: ['update', 'patch', 'delete'], names },
  ];
}

/** Workload resources outside Kubernetes' own groups that run pods from a template (see `isPodBearing`). */
const WORKLOAD_EXTENSIONS: readonly { group: string; resource: string }[] = [
  { group: 'argoproj.io', resource: 'rollouts' },
  { group: 'apps.openshift.io', resource: 'deploymentconfigs' },
  { group: CORE, resource: 'deploymentconfigs' },
];

const PROBES: readonly Probe[] = [
  // A patch answers with the whole object, so an empty patch reads a Secret as `get` does.
  { cls: 'secrets-read', group: CORE, resources: [ns('secrets')], verbs: ['get', 'list', 'watch', 'patch'], names: 'unnamed' },
  // `create` cannot be limited by name (a named create grants nothing); a change to a named
  // controller can still rewrite its pod template, service account included.
  { cls: 'workload-write', group: CORE, resources: [ns('pods'), ns('replicationcontrollers')], verbs: ['create'], names: 'unnamed' },
  { cls: 'workload-write', group: CORE, resources: [ns('pods'), ns('pods/ephemeralcontainers'), ns('replicationcontrollers')], verbs: ['update', 'patch'], names: 'any' },
  {
    cls: 'workload-write',
    group: 'apps',
    resources: [ns('deployments'), ns('daemonsets'), ns('statefulsets'), ns('replicasets')],
    verbs: ['create'],
    names: 'unnamed',
  },
  {
    cls: 'workload-write',
    group: 'apps',
    resources: [ns('deployments'), ns('daemonsets'), ns('statefulsets'), ns('replicasets')],
    verbs: ['update', 'patch'],
    names: 'any',
  },
  { cls: 'workload-write', group: 'batch', resources: [ns('jobs'), ns('cronjobs')], verbs: ['create'], names: 'unnamed' },
  // A Job's pod template is immutable; a CronJob's is not.
  { cls: 'workload-write', group: 'batch', resources: [ns('cronjobs')], verbs: ['update', 'patch'], names: 'any' },
  // Argo Rollouts and OpenShift DeploymentConfigs (also served in the legacy core group) run pods as Deployments do.
  ...WORKLOAD_EXTENSIONS.flatMap(({ group, resource }): Probe[] => [
    { cls: 'workload-write', group, resources: [ns(resource)], verbs: ['create'], names: 'unnamed' },
    { cls: 'workload-write', group, resources: [ns(resource)], verbs: ['update', 'patch'], names: 'any' },
  ]),
  // A named pod is still a pod to run commands in (StatefulSet pods have stable names). A WebSocket
  // connection is an HTTP GET, authorized as `get` on the subresource: `create` is needed too only
  // from Kubernetes 1.35, with the AuthorizePodWebsocketUpgradeCreatePermission feature gate on.
  { cls: 'pod-exec', group: CORE, resources: [ns('pods/exec'), ns('pods/attach')], verbs: ['get', 'create'], names: 'any' },
  { cls: 'port-forward', group: CORE, resources: [ns('pods/portforward')], verbs: ['get', 'create'], names: 'any' },
  { cls: 'escalate-bind', group: RBAC, resources: [ns('roles'), cl('clusterroles')], verbs: ['escalate'], names: 'any' },
  // `bind` is checked in the namespace of the RoleBinding being created, for Roles and ClusterRoles alike.
  { cls: 'escalate-bind', group: RBAC, resources: [ns('roles'), ns('clusterroles')], verbs: ['bind'], names: 'role' },
  { cls: 'rbac-write', group: RBAC, resources: [ns('roles'), ns('rolebindings'), cl('clusterroles'), cl('clusterrolebindings')], verbs: WRITE, names: 'unnamed' },
  { cls: 'impersonate', group: CORE, resources: [cl('users'), cl('groups')], verbs: ['impersonate'], names: SYSTEM_IDENTITY },
  // A named service account is an identity with its own permissions (service-account names cannot start with `system:`).
  { cls: 'impersonate', group: CORE, resources: [ns('serviceaccounts')], verbs: ['impersonate'], names: 'any' },
  // A UID or extra only qualifies an impersonated user (the API server refuses them without one):
  // listed with the grants above, never reported alone.
  { cls: 'impersonate', part: 'qualifier', group: 'authentication.k8s.io', resources: [cl('uids'), cl('userextras/*')], verbs: ['impersonate'], names: 'any' },
  { cls: 'nodes-proxy', group: CORE, resources: [cl('nodes/proxy')], verbs: ['get', 'create'], names: 'any' },
  { cls: 'nodes-proxy', group: CORE, resources: [cl('nodes')], verbs: ['proxy'], names: 'any' },
  { cls: 'csr-approval', part: 'approval', group: 'certificates.k8s.io', resources: [cl('certificatesigningrequests/approval')], verbs: ['update', 'patch'], names: 'any' },
  { cls: 'csr-approval', part: 'signer', group: 'certificates.k8s.io', resources: [cl('signers')], verbs: ['approve'], names: (n) => CLIENT_SIGNERS.has(n) },
  // TokenRequest names its service account (`POST …/serviceaccounts/<name>/token`): a named grant
  // still mints tokens for those service accounts, as strong as their own permissions.
  { cls: 'token-create', group: CORE, resources: [ns('serviceaccounts/token')], verbs: ['create'], names: 'any' },
  {
    cls: 'webhook-write',
    group: 'admissionregistration.k8s.io',
    resources: [
      cl('validatingwebhookconfigurations'),
      cl('mutatingwebhookconfigurations'),
      cl('validatingadmissionpolicies'),
      cl('validatingadmissionpolicybindings'),
      cl('mutatingadmissionpolicies'),
      cl('mutatingadmissionpolicybindings'),
    ],
    verbs: ['create', 'update', 'patch', 'delete'],
    names: 'any',
  },
  // An APIService points a whole API group at a Service of the writer's choice: the API server
  // then sends it every request for that group, with the caller's identity.
  { cls: 'webhook-write', group: 'apiregistration.k8s.io', resources: [cl('apiservices')], verbs: ['create', 'update', 'patch'], names: 'any' },
  { cls: 'pv-create', group: CORE, resources: [cl('persistentvolumes')], verbs: ['create'], names: 'unnamed' },
  { cls: 'namespace-write', group: CORE, resources: [{ name: 'namespaces', scope: 'own-namespace' }], verbs: ['update', 'patch'], names: 'any' },
  // A named Secret is one the team chose; a `kubernetes.io/service-account-token` Secret is minted by `create`.
  { cls: 'secrets-write', group: CORE, resources: [ns('secrets')], verbs: ALL_WRITE, names: 'unnamed' },
  ...writeProbes('configmap-write', CORE, [ns('configmaps')], SENSITIVE_CONFIGMAP),
  ...writeProbes('network-write', CORE, [ns('services'), ns('endpoints')], API_SERVER_SERVICE),
  ...writeProbes('network-write', 'discovery.k8s.io', [ns('endpointslices')], API_SERVER_SERVICE),
  { cls: 'network-write', group: 'networking.k8s.io', resources: [ns('networkpolicies'), ns('ingresses')], verbs: ALL_WRITE, names: 'unnamed' },
  // Covering tracks: events are the record of who ran, pulled, scheduled and killed what.
  { cls: 'destructive-delete', group: CORE, resources: [ns('events')], verbs: DELETE, names: 'unnamed' },
  { cls: 'destructive-delete', group: 'events.k8s.io', resources: [ns('events')], verbs: DELETE, names: 'unnamed' },
  // Mass deletion: a Namespace takes everything in it along; volumes and claims take their data.
  { cls: 'destructive-delete', group: CORE, resources: [cl('namespaces'), cl('persistentvolumes'), ns('persistentvolumeclaims')], verbs: DELETE, names: 'unnamed' },
  // Controllers take their pods along (pods alone are restarts, not destruction).
  { cls: 'destructive-delete', part: 'workload', group: 'apps', resources: [ns('deployments'), ns('daemonsets'), ns('statefulsets'), ns('replicasets')], verbs: DELETE, names: 'unnamed' },
  { cls: 'destructive-delete', part: 'workload', group: 'batch', resources: [ns('jobs'), ns('cronjobs')], verbs: DELETE, names: 'unnamed' },
  { cls: 'destructive-delete', part: 'workload', group: CORE, resources: [ns('replicationcontrollers')], verbs: DELETE, names: 'unnamed' },
  ...WORKLOAD_EXTENSIONS.map(({ group, resource }): Probe => ({ cls: 'destructive-delete', part: 'workload', group, resources: [ns(resource)], verbs: DELETE, names: 'unnamed' })),
];

/** One permission of a class: verbs on a resource, possibly limited to names. */
export interface Grant {
  readonly group: string;
  readonly resource: string;
  readonly verbs: Set<string>;
  /** The resourceNames the grant is limited to (empty: every name). */
  readonly names: Set<string>;
  readonly part: string | undefined;
  /** True while every rule granting it names it only through `*` (resources `*` or `*\/<sub>`). */
  viaWildcard: boolean;
  /** The rules that grant it. */
  readonly from: Set<GrantedRule>;
}

/** What a role grants of one class. */
export interface ClassMatch {
  readonly cls: PermissionClass;
  readonly grants: Grant[];
  /** Roles whose literal rules hold the grants (for aggregated roles, the selected roles). */
  readonly sources: Set<RoleRecord>;
  /** For `wildcard`: the offending rules, described. */
  readonly rules: string[];
  /** The rules that grant the class (for aggregated roles, rules of the selected roles). */
  readonly granted: Set<GrantedRule>;
}

type Matches = ReadonlyMap<PermissionClass, ClassMatch>;

function matchFor(map: Map<PermissionClass, ClassMatch>, cls: PermissionClass): ClassMatch {
  let match = map.get(cls);
  if (match === undefined) {
    match = { cls, grants: [], sources: new Set(), rules: [], granted: new Set() };
    map.set(cls, match);
  }
  return match;
}

/** Records that `granted` holds the class (`match`). */
function addSource(match: ClassMatch, granted: GrantedRule): void {
  match.sources.add(granted.source);
  match.granted.add(granted);
}

function addGrant(
  match: ClassMatch,
  granted: GrantedRule,
  group: string,
  resource: string,
  verbs: readonly string[],
  names: readonly string[],
  part: string | undefined,
  viaWildcard: boolean,
): void {
  addSource(match, granted);
  let grant = match.grants.find((g) => g.group === group && g.resource === resource && g.part === part);
  if (grant === undefined) {
    grant = { group, resource, verbs: new Set(), names: new Set(), part, viaWildcard, from: new Set() };
    match.grants.push(grant);
  } else if (!viaWildcard) grant.viaWildcard = false;
  grant.from.add(granted);
  for (const v of verbs) grant.verbs.add(v);
  for (const n of names) grant.names.add(n);
}

function quoteList(values: readonly string[]): string {
  return `[${values.map((v) => JSON.stringify(v)).join(', ')}]`;
}

/** `verbs ["*"] on resources ["pods"] of apiGroups [""]`: a rule as wildcard findings quote it. */
export function describePolicyRule(rule: PolicyRule): string {
  return `verbs ${quoteList(rule.verbs)} on resources ${quoteList(rule.resources)} of apiGroups ${quoteList(rule.apiGroups)}`;
}

/** The names of a rule's `resourceNames` that count for a probe's resource (all for none); undefined when none does. */
function countedNames(policy: NamePolicy, names: readonly string[], resource: string, judge: RoleJudge): readonly string[] | undefined {
  if (names.length === 0 || policy === 'any') return names;
  if (policy === 'unnamed') return undefined;
  const kept = policy === 'role' ? names.filter((n) => judge(resource === 'roles' ? 'Role' : 'ClusterRole', n)) : names.filter(policy);
  return kept.length === 0 ? undefined : kept;
}

/**
 * The resources of a probe's resource that a rule names, each with whether only through `*` (`*`,
 * or `*\/<sub>` for a subresource); a probe's `<parent>/*` gives the subresources the rule lists,
 * else itself when a `*` names it.
 */
function probeMatches(rule: PolicyRule, name: string): [resource: string, viaWildcard: boolean][] {
  if (name.endsWith('/*')) {
    const prefix = name.slice(0, -1);
    const listed = rule.resources.filter((r) => r.startsWith(prefix));
    if (listed.length > 0) return listed.map((r) => [r, false]);
    return rule.resources.some((r) => r === '*' || r.startsWith('*/')) ? [[name, true]] : [];
  }
  const slash = name.indexOf('/');
  const sub = slash < 0 ? '' : name.slice(slash + 1);
  return resourceMatches(rule, name, sub) ? [[name, !rule.resources.includes(name)]] : [];
}

/**
 * The classes a role's rules grant when bound by a ClusterRoleBinding (`cluster`) or a RoleBinding;
 * `judge` tells which named roles `bind` counts for (`roleJudge` of the input).
 */
export function evaluateRules(rules: readonly GrantedRule[], cluster: boolean, judge: RoleJudge): Matches {
  const out = new Map<PermissionClass, ClassMatch>();
  for (const granted of rules) {
    const { rule } = granted;
    if (rule.verbs.length === 0 || rule.apiGroups.length === 0 || rule.resources.length === 0) continue;
    if (isFullWildcard(rule)) {
      addSource(matchFor(out, 'admin'), granted);
      continue;
    }
    if (rule.apiGroups.includes('*') || (rule.resources.includes('*') && rule.apiGroups.some((g) => BUILT_IN_GROUPS.has(g)))) {
      const m = matchFor(out, 'wildcard');
      addSource(m, granted);
      m.rules.push(describePolicyRule(rule));
    }
    for (const probe of PROBES) {
      if (!apiGroupMatches(rule, probe.group)) continue;
      const verbs = probe.verbs.filter((v) => verbMatches(rule, v));
      if (verbs.length === 0) continue;
      for (const resource of probe.resources) {
        if (resource.scope === 'cluster' && !cluster) continue;
        const matched = probeMatches(rule, resource.name);
        if (matched.length === 0) continue;
        const names = countedNames(probe.names, rule.resourceNames, resource.name, judge);
        if (names === undefined) continue;
        for (const [name, viaWildcard] of matched) addGrant(matchFor(out, probe.cls), granted, probe.group, name, verbs, names, probe.part, viaWildcard);
      }
    }
  }
  // Approving a CSR issues a certificate only with both the approval subresource and the signer.
  const csr = out.get('csr-approval');
  if (csr !== undefined && !(csr.grants.some((g) => g.part === 'approval') && csr.grants.some((g) => g.part === 'signer'))) out.delete('csr-approval');
  if (out.get('impersonate')?.grants.every((g) => g.part === 'qualifier') === true) out.delete('impersonate');
  // Deleting a controller destroys no more than changing it (zero replicas, a broken image, a PVC
  // retention policy of Delete): reported as workload writes, not again as deletion.
  const deletes = out.get('destructive-delete');
  const writes = out.get('workload-write')?.grants ?? [];
  if (deletes !== undefined) {
    const changes = (d: Grant): boolean =>
      writes.some((w) => w.group === d.group && w.resource === d.resource && w.names.size === 0 && (w.verbs.has('update') || w.verbs.has('patch')));
    const kept = deletes.grants.filter((d) => d.part !== 'workload' || !changes(d));
    if (kept.length === 0) out.delete('destructive-delete');
    else if (kept.length < deletes.grants.length) {
      deletes.grants.splice(0, deletes.grants.length, ...kept);
      deletes.granted.clear();
      deletes.sources.clear();
      for (const g of kept) for (const r of g.from) addSource(deletes, r);
    }
  }
  return out;
}

/** A binding with what it grants. */
export interface AnalysedBinding {
  readonly binding: BindingRecord;
  readonly role: RoleRecord;
  /** The rules judged (`judgedRules`): the role's, or only what a changed default role adds, for Kubernetes' own binding of it. */
  readonly rules: readonly GrantedRule[];
  readonly matches: Matches;
}

const ANALYSIS = Symbol('access-binding-analysis');
const JUDGE = Symbol('access-role-judge');

/** Appends a value to the list of a key. */
export function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

const systemName: RoleJudge = (_kind, name) => name.startsWith('system:');

function roleKey(kind: string, name: string): string {
  return `${kind}\u0000${name}`;
}

/** The roles (`roleKey`) a role's rules allow `bind` on by name. */
function namedBinds(role: RoleRecord): string[] {
  const out: string[] = [];
  for (const { rule } of role.rules) {
    if (rule.resourceNames.length === 0 || !verbMatches(rule, 'bind') || !apiGroupMatches(rule, RBAC)) continue;
    for (const [resource, kind] of [['roles', 'Role'], ['clusterroles', 'ClusterRole']] as const) {
      if (probeMatches(rule, resource).length > 0) for (const name of rule.resourceNames) out.push(roleKey(kind, name));
    }
  }
  return out;
}

/**
 * What `bind` on a named role amounts to, from the input: a role of that name in the input (a Role
 * of any namespace, the assumed default roles included) counts when it grants a permission class
 * (a ClusterRole as a ClusterRoleBinding would grant it), or `bind` on a role that counts; another
 * Kubernetes default ClusterRole the index knows (`defaultRole`) counts when it grants a class; a
 * name found nowhere counts when it is a `system:` name (a Kubernetes role whose rules are unknown
 * here), not otherwise (a role the team defines elsewhere). Computed for every role of the input
 * at the first name the input defines.
 */
export function roleJudge(inventory: Inventory): RoleJudge {
  return inventory.memo(JUDGE, () => {
    const index = rbacIndexOf(inventory);
    const roles = index.roles;
    const known = new Set(roles.map((r) => roleKey(r.kind, r.name)));
    const defaults = new Map<string, boolean>();
    const unknown: RoleJudge = (kind, name) => {
      if (known.has(roleKey(kind, name))) return false;
      const reference = kind === 'ClusterRole' ? index.defaultRole(name) : undefined;
      if (reference === undefined) return systemName(kind, name);
      let verdict = defaults.get(name);
      if (verdict === undefined) {
        // Kubernetes' default roles limit no `bind` by name: their rules alone decide.
        verdict = evaluateRules(reference.rules, true, systemName).size > 0;
        defaults.set(name, verdict);
      }
      return verdict;
    };
    let powerful: Set<string> | undefined;
    const compute = (): Set<string> => {
      // What each role grants by itself (its `bind` on roles of the input left out), then the
      // roles that can bind one of those, to a fixed point.
      const out = new Set<string>();
      const boundBy = new Map<string, string[]>();
      for (const role of roles) {
        const key = roleKey(role.kind, role.name);
        if (evaluateRules(role.rules, role.kind === 'ClusterRole', unknown).size > 0) out.add(key);
        for (const target of namedBinds(role)) push(boundBy, target, key);
      }
      const queue = [...out];
      for (let key = queue.pop(); key !== undefined; key = queue.pop()) {
        for (const binder of boundBy.get(key) ?? []) {
          if (out.has(binder)) continue;
          out.add(binder);
          queue.push(binder);
        }
      }
      return out;
    };
    return (kind, name) => {
      const key = roleKey(kind, name);
      if (!known.has(key)) return unknown(kind, name);
      powerful ??= compute();
      return powerful.has(key);
    };
  });
}

/**
 * Every binding that grants something, with its permission classes: built once per inventory.
 * Left out: bindings without subjects, bindings whose role is not in the input (nor a known
 * default role), and Kubernetes' own bindings left unchanged.
 */
export function analysedBindings(inventory: Inventory): readonly AnalysedBinding[] {
  return inventory.memo(ANALYSIS, () => {
    const index = rbacIndexOf(inventory);
    const judge = roleJudge(inventory);
    const cache = new Map<readonly GrantedRule[], { cluster?: Matches; namespaced?: Matches }>();
    const out: AnalysedBinding[] = [];
    for (const binding of index.bindings) {
      const role = binding.role;
      if (role === undefined || binding.subjects.length === 0 || isUnchangedDefaultBinding(binding)) continue;
      const rules = judgedRules(binding);
      let entry = cache.get(rules);
      if (entry === undefined) {
        entry = {};
        cache.set(rules, entry);
      }
      const cluster = binding.kind === 'ClusterRoleBinding';
      let matches = cluster ? entry.cluster : entry.namespaced;
      if (matches === undefined) {
        matches = evaluateRules(rules, cluster, judge);
        if (cluster) entry.cluster = matches;
        else entry.namespaced = matches;
      }
      out.push({ binding, role, rules, matches });
    }
    return out;
  });
}

const WRITERS = Symbol('access-binding-writers');

function subjectKey(kind: string, name: string, namespace: string | undefined): string {
  return `${kind}\u0000${namespace ?? ''}\u0000${name}`;
}

/** What the bindings of the input let subjects write (`subjectKey`): RoleBindings or ClusterRoleBindings, and Roles or ClusterRoles. */
interface RbacWriters {
  bindings: ReadonlySet<string>;
  roles: ReadonlySet<string>;
}

function rbacWriters(inventory: Inventory): RbacWriters {
  return inventory.memo(WRITERS, () => {
    const bindings = new Set<string>();
    const roles = new Set<string>();
    for (const { binding, matches, rules } of analysedBindings(inventory)) {
      const admin = matches.has('admin');
      // Writes limited by resourceNames count: updating the one role a subject holds is enough for
      // `escalate` to give it any rule, and updating one binding's subjects enough for `bind`.
      const writes = (resources: readonly string[]): boolean =>
        rules.some(({ rule }) => apiGroupMatches(rule, RBAC) && resources.some((r) => resourceMatches(rule, r, '')) && ['create', 'update', 'patch'].some((v) => verbMatches(rule, v)));
      const writesBindings = admin || writes(['rolebindings', 'clusterrolebindings']);
      const writesRoles = admin || writes(['roles', 'clusterroles']);
      for (const s of binding.subjects) {
        if (writesBindings) bindings.add(subjectKey(s.kind, s.name, s.namespace));
        if (writesRoles) roles.add(subjectKey(s.kind, s.name, s.namespace));
      }
    }
    return { bindings, roles };
  });
}

/** True when some binding of the input lets the subject, or a group it is in by construction, write what `which` names. */
function canWrite(inventory: Inventory, subject: Subject, which: keyof RbacWriters): boolean {
  const writers = rbacWriters(inventory)[which];
  return writers.has(subjectKey(subject.kind, subject.name, subject.namespace)) || implicitGroups(subject).some((g) => writers.has(subjectKey('Group', g, undefined)));
}

/**
 * True when a subject can use none of an `escalate-bind` match: `bind` binds nothing without
 * create or update on RoleBindings or ClusterRoleBindings, and `escalate` writes nothing without
 * create or update on Roles or ClusterRoles, and no binding of the input gives the subject those.
 */
export function idleEscalation(match: ClassMatch, subject: Subject, inventory: Inventory): boolean {
  const verb = (v: string): boolean => match.grants.some((g) => g.verbs.has(v));
  return (!verb('bind') || !canWrite(inventory, subject, 'bindings')) && (!verb('escalate') || !canWrite(inventory, subject, 'roles'));
}

/**
 * Why a binding's escalation is idle: no subject of the binding can use its `escalate` or `bind`
 * (`idleEscalation`). Undefined when it is not idle.
 */
export function idleBind(analysed: AnalysedBinding, inventory: Inventory): string | undefined {
  const match = analysed.matches.get('escalate-bind');
  if (match === undefined || !analysed.binding.subjects.every((s) => idleEscalation(match, s, inventory))) return undefined;
  const verb = (v: string): boolean => match.grants.some((g) => g.verbs.has(v));
  if (!verb('escalate')) return '"bind" is used by creating or updating a RoleBinding or ClusterRoleBinding, which no binding of the input lets its subjects do';
  if (!verb('bind')) return '"escalate" is used by creating or updating a Role or ClusterRole, which no binding of the input lets its subjects do';
  return '"escalate" and "bind" are used by creating or updating roles and bindings, which no binding of the input lets its subjects do';
}

/** The scope tier of a binding: cluster-wide (or a privileged namespace) vs one ordinary namespace. */
export function isClusterTier(binding: BindingRecord, privileged: readonly string[]): boolean {
  return binding.kind === 'ClusterRoleBinding' || privileged.includes(binding.namespace ?? '');
}

// ---------------------------------------------------------------------------------------------
// Messages

/** `deployments.apps`, `pods/exec`: how kubectl names a resource of a group. */
function resourceName(group: string, resource: string): string {
  return group === '' ? resource : `${resource}.${group}`;
}

const VERB_ORDER = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection', 'escalate', 'bind', 'impersonate', 'approve', 'proxy'];

function sortedVerbs(verbs: Set<string>): string[] {
  return [...verbs].sort((a, b) => VERB_ORDER.indexOf(a) - VERB_ORDER.indexOf(b));
}

const WEBSOCKET_RESOURCES: ReadonlySet<string> = new Set(['pods/exec', 'pods/attach', 'pods/portforward']);

/** A grant of `get` without `create` on exec, attach or port-forward: enough for a WebSocket connection on older clusters. */
function websocketOnly(g: Grant): boolean {
  return g.group === CORE && WEBSOCKET_RESOURCES.has(g.resource) && g.verbs.has('get') && !g.verbs.has('create');
}

const WEBSOCKET_NOTE = 'a WebSocket connection, which "get" alone opens before Kubernetes 1.35 or with the AuthorizePodWebsocketUpgradeCreatePermission feature gate off';

/** `get, list, watch on secrets; create on pods/exec (only "web-0")`. */
export function describeGrants(match: ClassMatch): string {
  if (match.cls === 'admin') return 'every verb on every resource';
  if (match.cls === 'wildcard') return match.rules.join('; ');
  const groups = new Map<string, string[]>();
  for (const g of match.grants) {
    const names =
      (g.names.size > 0 ? ` (only ${[...g.names].map((n) => `"${n}"`).join(', ')})` : '') +
      (g.viaWildcard ? ' through a "*" resource' : '') +
      (websocketOnly(g) ? `: ${WEBSOCKET_NOTE}` : '');
    const key = `${sortedVerbs(g.verbs).join(', ')}\u0000${names}`;
    const list = groups.get(key) ?? [];
    list.push(resourceName(g.group, g.resource));
    groups.set(key, list);
  }
  return [...groups].map(([key, resources]) => {
    const [verbs = '', names = ''] = key.split('\u0000');
    return `${verbs} on ${resources.join(', ')}${names}`;
  }).join('; ');
}

function roleLabel(a: AnalysedBinding): string {
  const { role } = a;
  return `${role.kind} "${role.name}"${roleNote(role, a.binding)}`;
}

/** `ServiceAccount shop/api, User alice and 3 more`. */
export function describeSubjects(binding: BindingRecord): string {
  const shown = binding.subjects.slice(0, 4).map(formatSubject);
  const more = binding.subjects.length - shown.length;
  return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ');
}

/** Where the binding's grant applies. */
export function describeScope(a: AnalysedBinding, privileged: readonly string[]): string {
  const { binding } = a;
  if (binding.kind === 'ClusterRoleBinding') return 'cluster-wide';
  const nsName = binding.namespace ?? 'default';
  const where = privileged.includes(nsName) ? `in the privileged namespace "${nsName}"` : `in namespace "${nsName}"`;
  return a.role.kind === 'ClusterRole' ? `${where} only (a RoleBinding limits a ClusterRole to its namespace)` : where;
}

function provenance(a: AnalysedBinding, matches: readonly ClassMatch[]): string {
  const others = new Set<RoleRecord>();
  for (const m of matches) for (const s of m.sources) if (s !== a.role) others.add(s);
  if (others.size === 0) return '';
  const names = [...others].map((s) => `"${s.name}"${s.assumed ? ' (default rules assumed)' : ''}`);
  return `; aggregated from ClusterRole ${names.join(', ')}`;
}

/** A class in words; exec and port-forward granted by `get` alone say so. */
export function classWords(match: ClassMatch): string {
  const words = CLASS_WORDS[match.cls];
  return match.grants.length > 0 && match.grants.every(websocketOnly) ? `${words} through ${WEBSOCKET_NOTE}` : words;
}

/** `reads Secrets (get, list on secrets)`: a class in words, with its grants. */
export function describeClass(match: ClassMatch): string {
  return `${CLASS_WORDS[match.cls]} (${describeGrants(match)})`;
}

/** `ClusterRoleBinding "x"` or `RoleBinding "x" in namespace "y"`. */
export function bindingLabel(binding: BindingRecord): string {
  if (binding.kind !== 'RoleBinding') return `ClusterRoleBinding "${binding.name}"`;
  // A RoleBinding that sets no namespace goes where it is applied: `default`, unless `kubectl -n` says otherwise.
  const unset = binding.object.ref.namespace === undefined ? ' (none set: it goes where it is applied)' : '';
  return `RoleBinding "${binding.name}" in namespace "${binding.namespace ?? 'default'}"${unset}`;
}

/** The finding message of a binding for the classes a rule reports. */
export function classMessage(a: AnalysedBinding, matches: readonly ClassMatch[], privileged: readonly string[]): string {
  const { binding } = a;
  const parts = matches.map(describeClass);
  return `${bindingLabel(binding)} grants ${roleLabel(a)} to ${describeSubjects(binding)} ${describeScope(a, privileged)}: ${parts.join('; ')}${provenance(a, matches)}`;
}

/** Where a binding finding points: the role it grants. */
export function rolePath(binding: BindingRecord): Path {
  return binding.roleRef === undefined ? [] : ['roleRef', 'name'];
}

/** Human words for each class, used in messages. */
export const CLASS_WORDS: Readonly<Record<PermissionClass, string>> = {
  admin: 'full control',
  wildcard: 'wildcard permissions',
  'secrets-read': 'reads Secrets',
  'workload-write': 'creates or changes workloads',
  'pod-exec': 'executes commands in pods',
  'port-forward': 'forwards ports of pods',
  'escalate-bind': 'escalates or binds roles',
  'rbac-write': 'writes Roles and bindings',
  impersonate: 'impersonates identities',
  'nodes-proxy': 'reaches the kubelet API through nodes/proxy',
  'csr-approval': 'approves client certificates',
  'token-create': 'mints service account tokens',
  'webhook-write': 'writes admission webhook, admission policy or APIService configurations',
  'pv-create': 'creates PersistentVolumes',
  'namespace-write': 'changes Namespaces and their labels',
  'secrets-write': 'writes Secrets',
  'configmap-write': 'writes ConfigMaps',
  'network-write': 'changes Services, endpoints, Ingresses or NetworkPolicies',
  'destructive-delete': 'deletes events, Namespaces, volumes or workloads',
};
