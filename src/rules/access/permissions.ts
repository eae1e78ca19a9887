/**
 * The dangerous-permission catalogue of the access rules (specs/rbac-network-attack-paths.md §2),
 * evaluated once per inventory on every binding: which permission classes the binding grants to
 * its subjects, in which scope, through which roles.
 */
import type { Inventory } from '../../engine/inventory.js';
import {
  apiGroupMatches,
  formatSubject,
  isFullWildcard,
  isUnchangedDefaultBinding,
  rbacIndexOf,
  resourceMatches,
  verbMatches,
  type BindingRecord,
  type GrantedRule,
  type PolicyRule,
  type RoleRecord,
} from '../../k8s/rbac.js';
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
 * enough for the attack); a function keeps only the names that matter.
 */
type NamePolicy = 'unnamed' | 'any' | ((name: string) => boolean);

interface Probe {
  cls: PermissionClass;
  /** For classes that need several grants together (CSR approval): which one this is. */
  part?: string;
  group: string;
  resources: readonly { name: string; scope: ResourceScope }[];
  verbs: readonly string[];
  names: NamePolicy;
}

const CORE = '';
const RBAC = 'rbac.authorization.k8s.io';
const WRITE = ['create', 'update', 'patch'] as const;

const ns = (name: string): { name: string; scope: ResourceScope } => ({ name, scope: 'namespaced' });
const cl = (name: string): { name: string; scope: ResourceScope } => ({ name, scope: 'cluster' });

/**
 * API groups served by Kubernetes itself: their resource sets grow with each release and hold the
 * sensitive resources. A `*` over the resources of another group (an operator's CRDs, an
 * aggregated metrics API) stays within that group and is not reported as a wildcard grant.
 */
export const BUILT_IN_GROUPS: ReadonlySet<string> = new Set([
  '',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'apps',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'batch',
  'certificates.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'events.k8s.io',
  'extensions',
  'flowcontrol.apiserver.k8s.io',
  'internal.apiserver.k8s.io',
  'networking.k8s.io',
  'node.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'resource.k8s.io',
  'scheduling.k8s.io',
  'storage.k8s.io',
  'storagemigration.k8s.io',
]);

/** Roles whose `bind` (or impersonation of names) amounts to full control. */
const POWERFUL_ROLE = (name: string): boolean => name === 'cluster-admin' || name === 'admin' || name === 'edit' || name.startsWith('system:');
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
  // A named pod is still a pod to run commands in (StatefulSet pods have stable names).
  { cls: 'pod-exec', group: CORE, resources: [ns('pods/exec'), ns('pods/attach')], verbs: ['create'], names: 'any' },
  { cls: 'port-forward', group: CORE, resources: [ns('pods/portforward')], verbs: ['create'], names: 'any' },
  { cls: 'escalate-bind', group: RBAC, resources: [ns('roles'), cl('clusterroles')], verbs: ['escalate'], names: 'any' },
  // `bind` is checked in the namespace of the RoleBinding being created, for Roles and ClusterRoles alike.
  { cls: 'escalate-bind', group: RBAC, resources: [ns('roles'), ns('clusterroles')], verbs: ['bind'], names: POWERFUL_ROLE },
  { cls: 'rbac-write', group: RBAC, resources: [ns('roles'), ns('rolebindings'), cl('clusterroles'), cl('clusterrolebindings')], verbs: WRITE, names: 'unnamed' },
  { cls: 'impersonate', group: CORE, resources: [cl('users'), cl('groups'), cl('uids')], verbs: ['impersonate'], names: SYSTEM_IDENTITY },
  { cls: 'impersonate', group: CORE, resources: [ns('serviceaccounts')], verbs: ['impersonate'], names: 'unnamed' },
  { cls: 'nodes-proxy', group: CORE, resources: [cl('nodes/proxy')], verbs: ['get', 'create'], names: 'any' },
  { cls: 'nodes-proxy', group: CORE, resources: [cl('nodes')], verbs: ['proxy'], names: 'any' },
  { cls: 'csr-approval', part: 'approval', group: 'certificates.k8s.io', resources: [cl('certificatesigningrequests/approval')], verbs: ['update', 'patch'], names: 'any' },
  { cls: 'csr-approval', part: 'signer', group: 'certificates.k8s.io', resources: [cl('signers')], verbs: ['approve'], names: (n) => CLIENT_SIGNERS.has(n) },
  { cls: 'token-create', group: CORE, resources: [ns('serviceaccounts/token')], verbs: ['create'], names: 'unnamed' },
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

/** The classes a role's rules grant when bound by a ClusterRoleBinding (`cluster`) or a RoleBinding. */
export function evaluateRules(rules: readonly GrantedRule[], cluster: boolean): Matches {
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
      let names: readonly string[] = rule.resourceNames;
      if (names.length > 0) {
        if (probe.names === 'unnamed') continue;
        if (typeof probe.names === 'function') {
          names = names.filter(probe.names);
          if (names.length === 0) continue;
        }
      }
      for (const resource of probe.resources) {
        if (resource.scope === 'cluster' && !cluster) continue;
        const slash = resource.name.indexOf('/');
        const sub = slash < 0 ? '' : resource.name.slice(slash + 1);
        if (!resourceMatches(rule, resource.name, sub)) continue;
        addGrant(matchFor(out, probe.cls), granted, probe.group, resource.name, verbs, names, probe.part, !rule.resources.includes(resource.name));
      }
    }
  }
  // Approving a CSR issues a certificate only with both the approval subresource and the signer.
  const csr = out.get('csr-approval');
  if (csr !== undefined && !(csr.grants.some((g) => g.part === 'approval') && csr.grants.some((g) => g.part === 'signer'))) out.delete('csr-approval');
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
  readonly matches: Matches;
}

const ANALYSIS = Symbol('access-binding-analysis');

/**
 * Every binding that grants something, with its permission classes: built once per inventory.
 * Left out: bindings without subjects, bindings whose role is not in the input (nor a known
 * default role), and Kubernetes' own bindings left unchanged.
 */
export function analysedBindings(inventory: Inventory): readonly AnalysedBinding[] {
  return inventory.memo(ANALYSIS, () => {
    const index = rbacIndexOf(inventory);
    const cache = new Map<RoleRecord, { cluster?: Matches; namespaced?: Matches }>();
    const out: AnalysedBinding[] = [];
    for (const binding of index.bindings) {
      const role = binding.role;
      if (role === undefined || binding.subjects.length === 0 || isUnchangedDefaultBinding(binding)) continue;
      let entry = cache.get(role);
      if (entry === undefined) {
        entry = {};
        cache.set(role, entry);
      }
      const cluster = binding.kind === 'ClusterRoleBinding';
      let matches = cluster ? entry.cluster : entry.namespaced;
      if (matches === undefined) {
        matches = evaluateRules(role.rules, cluster);
        if (cluster) entry.cluster = matches;
        else entry.namespaced = matches;
      }
      out.push({ binding, role, matches });
    }
    return out;
  });
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

/** `get, list, watch on secrets; create on pods/exec (only "web-0")`. */
export function describeGrants(match: ClassMatch): string {
  if (match.cls === 'admin') return 'every verb on every resource';
  if (match.cls === 'wildcard') return match.rules.join('; ');
  const groups = new Map<string, string[]>();
  for (const g of match.grants) {
    const names =
      (g.names.size > 0 ? ` (only ${[...g.names].map((n) => `"${n}"`).join(', ')})` : '') + (g.viaWildcard ? ' through a "*" resource' : '');
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
  const note = role.assumed ? ' (Kubernetes default role, not in the input: upstream rules assumed)' : '';
  return `${role.kind} "${role.name}"${note}`;
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

/** `reads Secrets (get, list on secrets)`: a class in words, with its grants. */
export function describeClass(match: ClassMatch): string {
  return `${CLASS_WORDS[match.cls]} (${describeGrants(match)})`;
}

/** The finding message of a binding for the classes a rule reports. */
export function classMessage(a: AnalysedBinding, matches: readonly ClassMatch[], privileged: readonly string[]): string {
  const { binding } = a;
  const where = binding.kind === 'RoleBinding' ? ` in namespace "${binding.namespace ?? 'default'}"` : '';
  const parts = matches.map(describeClass);
  return `${binding.kind} "${binding.name}"${where} grants ${roleLabel(a)} to ${describeSubjects(binding)} ${describeScope(a, privileged)}: ${parts.join('; ')}${provenance(a, matches)}`;
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
  'webhook-write': 'writes admission webhook or policy configurations',
  'pv-create': 'creates PersistentVolumes',
  'namespace-write': 'changes Namespaces and their labels',
  'secrets-write': 'writes Secrets',
  'configmap-write': 'writes ConfigMaps',
  'network-write': 'changes Services, endpoints, Ingresses or NetworkPolicies',
  'destructive-delete': 'deletes events, Namespaces, volumes or workloads',
};
