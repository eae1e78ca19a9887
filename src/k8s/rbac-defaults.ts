/**
 * Kubernetes' default RBAC policy: the roles and bindings the API server creates at start-up and
 * labels `kubernetes.io/bootstrapping: rbac-defaults`, as upstream's bootstrap policy golden files
 * list them (kubernetes/kubernetes `plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata/`:
 * `cluster-roles.yaml`, `controller-roles.yaml`, `namespace-roles.yaml`,
 * `cluster-role-bindings.yaml`, `controller-role-bindings.yaml`, `namespace-role-bindings.yaml`;
 * Kubernetes 1.34). A few rules of earlier releases are kept too, marked below: API server
 * upgrades add the new defaults to a role but never remove old rules.
 *
 * Data only; `defaultPolicy()` reads it on first use (a scan without RBAC objects never does).
 */
import type { PolicyRule } from './rbac.js';

/** `[apiGroups, resources, verbs]`, or with `resourceNames` as a fourth list. */
type Rule = readonly [apiGroups: readonly string[], resources: readonly string[], verbs: readonly string[], resourceNames?: readonly string[]];
/** `[nonResourceURLs, verbs]`. */
type UrlRule = readonly [urls: readonly string[], verbs: readonly string[]];

interface RoleData {
  name: string;
  /** A Role's namespace; absent for ClusterRoles. */
  namespace?: string;
  /** Labels besides the bootstrapping one. */
  labels?: Readonly<Record<string, string>>;
  /** An aggregated role: it selects the ClusterRoles labelled `rbac.authorization.k8s.io/aggregate-to-<aggregateTo>: "true"`. */
  aggregateTo?: string;
  rules?: readonly Rule[];
  urls?: readonly UrlRule[];
}

/** A default Role or ClusterRole. */
export interface DefaultRole {
  readonly kind: 'ClusterRole' | 'Role';
  readonly namespace: string | undefined;
  readonly name: string;
  /** Labels besides the bootstrapping one. */
  readonly labels: Readonly<Record<string, string>>;
  readonly aggregateTo: string | undefined;
  /** The rules as upstream writes them (none for an aggregated role). */
  readonly rules: readonly PolicyRule[];
}

/** A default RoleBinding or ClusterRoleBinding. */
export interface DefaultBinding {
  readonly kind: 'ClusterRoleBinding' | 'RoleBinding';
  readonly namespace: string | undefined;
  readonly name: string;
  readonly roleRef: { readonly kind: 'ClusterRole' | 'Role'; readonly name: string };
  /** Its subjects as `formatSubject` writes them (`Group system:masters`, `ServiceAccount kube-system/kube-dns`). */
  readonly subjects: ReadonlySet<string>;
}

export interface DefaultPolicy {
  /** By `defaultKey` of kind, namespace and name. */
  readonly roles: ReadonlyMap<string, DefaultRole>;
  readonly bindings: ReadonlyMap<string, DefaultBinding>;
}

/** The ClusterRoles an input may bind without containing them: their rules are assumed as upstream defines them. */
export const ASSUMED_ROLES: readonly string[] = ['cluster-admin', 'admin', 'edit', 'view', 'system:aggregate-to-admin', 'system:aggregate-to-edit', 'system:aggregate-to-view'];

/** The key of a role or binding in `DefaultPolicy`. */
export function defaultKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}\u0000${namespace ?? ''}\u0000${name}`;
}

let policy: DefaultPolicy | undefined;

/** The default policy, read from the data below on first use. */
export function defaultPolicy(): DefaultPolicy {
  policy ??= readPolicy();
  return policy;
}

function readPolicy(): DefaultPolicy {
  const { clusterRoles, controllerRoles, namespaceRoles, clusterBindings, namespaceBindings } = data();
  const roles = new Map<string, DefaultRole>();
  const bindings = new Map<string, DefaultBinding>();
  const addRole = (d: RoleData): void => {
    const role: DefaultRole = {
      kind: d.namespace === undefined ? 'ClusterRole' : 'Role',
      namespace: d.namespace,
      name: d.name,
      labels: d.labels ?? {},
      aggregateTo: d.aggregateTo,
      rules: [
        ...(d.rules ?? []).map(([apiGroups, resources, verbs, resourceNames = []]) => ({ apiGroups, resources, verbs, resourceNames, nonResourceURLs: [] })),
        ...(d.urls ?? []).map(([nonResourceURLs, verbs]) => ({ apiGroups: [], resources: [], verbs, resourceNames: [], nonResourceURLs })),
      ],
    };
    roles.set(defaultKey(role.kind, role.namespace, role.name), role);
  };
  const addBinding = (binding: DefaultBinding): void => {
    bindings.set(defaultKey(binding.kind, binding.namespace, binding.name), binding);
  };
  for (const d of [...clusterRoles, ...namespaceRoles]) addRole(d);
  // controller-role-bindings.yaml: each controller's ClusterRole, bound to its service account in kube-system.
  for (const d of controllerRoles) {
    const name = `${CONTROLLER}${d.name}`;
    addRole({ ...d, name });
    addBinding({ kind: 'ClusterRoleBinding', namespace: undefined, name, roleRef: { kind: 'ClusterRole', name }, subjects: new Set([sa(d.name)]) });
  }
  // cluster-role-bindings.yaml: each binds the ClusterRole of its own name.
  for (const [name, subjects] of clusterBindings) addBinding({ kind: 'ClusterRoleBinding', namespace: undefined, name, roleRef: { kind: 'ClusterRole', name }, subjects: new Set(subjects) });
  for (const [namespace, name, role, subjects] of namespaceBindings) addBinding({ kind: 'RoleBinding', namespace, name, roleRef: { kind: 'Role', name: role }, subjects: new Set(subjects) });
  return { roles, bindings };
}

const CONTROLLER = 'system:controller:';
const RBAC = 'rbac.authorization.k8s.io';

const sa = (name: string): string => `ServiceAccount kube-system/${name}`;
const user = (name: string): string => `User ${name}`;
const group = (name: string): string => `Group ${name}`;

function data(): {
  clusterRoles: readonly RoleData[];
  controllerRoles: readonly RoleData[];
  namespaceRoles: readonly RoleData[];
  clusterBindings: readonly (readonly [name: string, subjects: readonly string[]])[];
  namespaceBindings: readonly (readonly [namespace: string, name: string, role: string, subjects: readonly string[]])[];
} {
  const RO = ['get', 'list', 'watch'];
  const RW = ['create', 'delete', 'deletecollection', 'patch', 'update'];
  const ALL = [...RW, ...RO];
  const CPU = ['create', 'patch', 'update'];
  const PU = ['patch', 'update'];
  const LW = ['list', 'watch'];
  const EVENTS: Rule = [['', 'events.k8s.io'], ['events'], CPU];
  const CERTS = 'certificates.k8s.io';
  const approver = (name: string, signer: string): RoleData => ({ name: `system:certificates.k8s.io:${name}`, rules: [[[CERTS], ['signers'], ['approve'], [signer]]] });

  const clusterRoles: RoleData[] = [
    { name: 'admin', aggregateTo: 'admin' },
    { name: 'cluster-admin', rules: [[['*'], ['*'], ['*']]], urls: [[['*'], ['*']]] },
    { name: 'edit', labels: { 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' }, aggregateTo: 'edit' },
    { name: 'view', labels: { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' }, aggregateTo: 'view' },
    {
      name: 'system:aggregate-to-admin',
      labels: { 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' },
      rules: [
        [['authorization.k8s.io'], ['localsubjectaccessreviews'], ['create']],
        [[RBAC], ['rolebindings', 'roles'], ALL],
      ],
    },
    {
      name: 'system:aggregate-to-edit',
      labels: { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' },
      rules: [
        [[''], ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy'], RO],
        [[''], ['serviceaccounts'], ['impersonate']],
        [[''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy'], RW],
        [[''], ['pods/eviction'], ['create']],
        [[''], ['configmaps', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale', 'secrets', 'serviceaccounts', 'services', 'services/proxy'], RW],
        [[''], ['serviceaccounts/token'], ['create']],
        [['', 'events.k8s.io'], ['events'], RW],
        [['apps'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'replicasets/scale', 'statefulsets', 'statefulsets/scale'], RW],
        [['autoscaling'], ['horizontalpodautoscalers'], RW],
        [['batch'], ['cronjobs', 'jobs'], RW],
        [['extensions'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'ingresses', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicationcontrollers/scale'], RW],
        [['policy'], ['poddisruptionbudgets'], RW],
        [['networking.k8s.io'], ['ingresses', 'networkpolicies'], RW],
        [['coordination.k8s.io'], ['leases'], ALL],
        [['resource.k8s.io'], ['resourceclaims', 'resourceclaimtemplates'], RW],
      ],
    },
    {
      name: 'system:aggregate-to-view',
      labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' },
      rules: [
        [[''], ['configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'pods', 'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status'], RO],
        [[''], ['bindings', 'limitranges', 'namespaces/status', 'pods/log', 'pods/status', 'replicationcontrollers/status', 'resourcequotas', 'resourcequotas/status'], RO],
        [[''], ['namespaces'], RO],
        [['', 'events.k8s.io'], ['events'], RO],
        [['discovery.k8s.io'], ['endpointslices'], RO],
        [['apps'], ['controllerrevisions', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status'], RO],
        [['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status'], RO],
        [['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status'], RO],
        [['extensions'], ['daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'ingresses', 'ingresses/status', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicasets/status', 'replicationcontrollers/scale'], RO],
        [['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status'], RO],
        [['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies'], RO],
        [['resource.k8s.io'], ['resourceclaims', 'resourceclaims/status', 'resourceclaimtemplates'], RO],
      ],
    },
    {
      name: 'system:auth-delegator',
      rules: [
        [['authentication.k8s.io'], ['tokenreviews'], ['create']],
        [['authorization.k8s.io'], ['subjectaccessreviews'], ['create']],
      ],
    },
    {
      name: 'system:basic-user',
      rules: [
        [['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'], ['create']],
        [['authentication.k8s.io'], ['selfsubjectreviews'], ['create']],
      ],
    },
    { name: 'system:certificates.k8s.io:certificatesigningrequests:nodeclient', rules: [[[CERTS], ['certificatesigningrequests/nodeclient'], ['create']]] },
    { name: 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', rules: [[[CERTS], ['certificatesigningrequests/selfnodeclient'], ['create']]] },
    approver('kube-apiserver-client-approver', 'kubernetes.io/kube-apiserver-client'),
    approver('kube-apiserver-client-kubelet-approver', 'kubernetes.io/kube-apiserver-client-kubelet'),
    approver('kubelet-serving-approver', 'kubernetes.io/kubelet-serving'),
    approver('legacy-unknown-approver', 'kubernetes.io/legacy-unknown'),
    {
      name: 'system:discovery',
      urls: [
        [['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'], ['get']],
        // Earlier releases.
        [['/swaggerapi', '/swaggerapi/*'], ['get']],
      ],
    },
    {
      name: 'system:heapster',
      rules: [
        [[''], ['events', 'namespaces', 'nodes', 'pods'], RO],
        [['extensions'], ['deployments'], RO],
      ],
    },
    { name: 'system:kube-aggregator', rules: [[[''], ['endpoints', 'services'], RO]] },
    {
      name: 'system:kube-controller-manager',
      rules: [
        EVENTS,
        [['coordination.k8s.io'], ['leases'], ['create']],
        [['coordination.k8s.io'], ['leases'], ['get', 'update'], ['kube-controller-manager']],
        [[''], ['secrets', 'serviceaccounts'], ['create']],
        [[''], ['secrets'], ['delete']],
        [[''], ['configmaps', 'namespaces', 'secrets', 'serviceaccounts'], ['get']],
        [[''], ['secrets', 'serviceaccounts'], ['update']],
        [['authentication.k8s.io'], ['tokenreviews'], ['create']],
        [['authorization.k8s.io'], ['subjectaccessreviews'], ['create']],
        [['*'], ['*'], LW],
        [[''], ['serviceaccounts/token'], ['create']],
        // Earlier releases: leader election on an Endpoints object.
        [[''], ['endpoints'], ['create', 'get', 'update']],
      ],
    },
    { name: 'system:kube-dns', rules: [[[''], ['endpoints', 'services'], LW]] },
    {
      name: 'system:kube-scheduler',
      rules: [
        EVENTS,
        [['coordination.k8s.io'], ['leases'], ['create']],
        [['coordination.k8s.io'], ['leases'], ['get', 'list', 'update', 'watch'], ['kube-scheduler']],
        [['coordination.k8s.io'], ['leasecandidates'], ALL],
        [[''], ['nodes'], RO],
        [[''], ['pods'], ['delete', ...RO]],
        [[''], ['bindings', 'pods/binding'], ['create']],
        [[''], ['pods/status'], PU],
        [[''], ['replicationcontrollers', 'services'], RO],
        [['apps', 'extensions'], ['replicasets'], RO],
        [['apps'], ['statefulsets'], RO],
        [['policy'], ['poddisruptionbudgets'], RO],
        [[''], ['persistentvolumeclaims', 'persistentvolumes'], RO],
        [['authentication.k8s.io'], ['tokenreviews'], ['create']],
        [['authorization.k8s.io'], ['subjectaccessreviews'], ['create']],
        [['storage.k8s.io'], ['csinodes'], RO],
        [['storage.k8s.io'], ['volumeattachments'], RO],
        [[''], ['namespaces'], RO],
        [['storage.k8s.io'], ['csidrivers'], RO],
        [['storage.k8s.io'], ['csistoragecapacities'], RO],
        [['resource.k8s.io'], ['deviceclasses'], RO],
        [['resource.k8s.io'], ['resourceclaims'], [...PU, ...RO]],
        [['resource.k8s.io'], ['resourceclaims/status'], [...PU, ...RO]],
        [[''], ['pods/finalizers'], ['update']],
        [['resource.k8s.io'], ['resourceslices'], RO],
        [['resource.k8s.io'], ['resourceclaims'], ['create', 'delete']],
        // Earlier releases: leader election on an Endpoints object.
        [[''], ['endpoints'], ['create']],
        [[''], ['endpoints'], ['delete', 'get', 'patch', 'update'], ['kube-scheduler']],
      ],
    },
    {
      name: 'system:kubelet-api-admin',
      rules: [
        [[''], ['nodes'], RO],
        [[''], ['nodes'], ['proxy']],
        [[''], ['nodes/log', 'nodes/metrics', 'nodes/proxy', 'nodes/stats'], ['*']],
        [[''], ['nodes/configz', 'nodes/healthz', 'nodes/pods'], ['*']],
      ],
    },
    {
      name: 'system:monitoring',
      rules: [[[''], ['nodes/metrics'], ['get']]],
      urls: [[['/healthz', '/healthz/*', '/livez', '/livez/*', '/metrics', '/metrics/slis', '/readyz', '/readyz/*', '/statusz'], ['get']]],
    },
    {
      name: 'system:node',
      rules: [
        [['authentication.k8s.io'], ['tokenreviews'], ['create']],
        [['authorization.k8s.io'], ['localsubjectaccessreviews', 'subjectaccessreviews'], ['create']],
        [[''], ['services'], RO],
        [[''], ['nodes'], ['create', ...RO]],
        [[''], ['nodes/status'], PU],
        [[''], ['nodes'], PU],
        EVENTS,
        [[''], ['pods'], RO],
        [[''], ['pods'], ['create', 'delete']],
        [[''], ['pods/status'], PU],
        [[''], ['pods/eviction'], ['create']],
        [[''], ['configmaps', 'secrets'], RO],
        [[''], ['persistentvolumeclaims', 'persistentvolumes'], ['get']],
        [[''], ['endpoints'], ['get']],
        [[CERTS], ['certificatesigningrequests'], ['create', ...RO]],
        [['coordination.k8s.io'], ['leases'], ['create', 'delete', 'get', ...PU]],
        [['storage.k8s.io'], ['volumeattachments'], ['get']],
        [[''], ['serviceaccounts/token'], ['create']],
        [[''], ['persistentvolumeclaims/status'], ['get', ...PU]],
        [['storage.k8s.io'], ['csidrivers'], RO],
        [['storage.k8s.io'], ['csinodes'], ['create', 'delete', 'get', ...PU]],
        [['node.k8s.io'], ['runtimeclasses'], RO],
        [['resource.k8s.io'], ['resourceclaims'], ['get']],
        [['resource.k8s.io'], ['resourceslices'], ['deletecollection']],
        [[''], ['serviceaccounts'], ['get']],
        // Earlier releases.
        [[''], ['nodes'], ['delete']],
      ],
    },
    { name: 'system:node-bootstrapper', rules: [[[CERTS], ['certificatesigningrequests'], ['create', ...RO]]] },
    {
      name: 'system:node-problem-detector',
      rules: [
        [[''], ['nodes'], ['get']],
        [[''], ['nodes/status'], ['patch']],
        EVENTS,
      ],
    },
    {
      name: 'system:node-proxier',
      rules: [
        [[''], ['endpoints', 'services'], LW],
        [[''], ['nodes'], RO],
        EVENTS,
        [['networking.k8s.io'], ['servicecidrs'], LW],
        [['discovery.k8s.io'], ['endpointslices'], LW],
      ],
    },
    {
      name: 'system:persistent-volume-provisioner',
      rules: [
        [[''], ['persistentvolumes'], ['create', 'delete', ...RO]],
        [[''], ['persistentvolumeclaims'], ['update', ...RO]],
        [['storage.k8s.io'], ['storageclasses'], RO],
        [[''], ['events'], ['watch']],
        EVENTS,
      ],
    },
    { name: 'system:public-info-viewer', urls: [[['/healthz', '/livez', '/readyz', '/version', '/version/'], ['get']]] },
    {
      name: 'system:service-account-issuer-discovery',
      urls: [[['/.well-known/openid-configuration', '/.well-known/openid-configuration/', '/openid/v1/jwks', '/openid/v1/jwks/'], ['get']]],
    },
    {
      name: 'system:volume-scheduler',
      rules: [
        [[''], ['persistentvolumes'], [...PU, ...RO]],
        [['storage.k8s.io'], ['storageclasses'], RO],
        [[''], ['persistentvolumeclaims'], [...PU, ...RO]],
      ],
    },
  ];

  // Named without the `system:controller:` prefix; the binding's service account has that name.
  const controllerRoles: RoleData[] = [
    {
      name: 'attachdetach-controller',
      rules: [
        [[''], ['persistentvolumeclaims', 'persistentvolumes'], LW],
        [[''], ['nodes'], RO],
        [[''], ['nodes/status'], PU],
        [[''], ['pods'], LW],
        EVENTS,
        [['storage.k8s.io'], ['volumeattachments'], ['create', 'delete', ...RO]],
        [['storage.k8s.io'], ['csidrivers'], RO],
        [['storage.k8s.io'], ['csinodes'], RO],
      ],
    },
    {
      name: 'certificate-controller',
      rules: [
        [[CERTS], ['certificatesigningrequests'], ['delete', ...RO]],
        [[CERTS], ['certificatesigningrequests/approval', 'certificatesigningrequests/status'], ['update']],
        [[CERTS], ['signers'], ['approve'], ['kubernetes.io/kube-apiserver-client-kubelet']],
        [[CERTS], ['signers'], ['sign'], ['kubernetes.io/kube-apiserver-client', 'kubernetes.io/kube-apiserver-client-kubelet', 'kubernetes.io/kubelet-serving', 'kubernetes.io/legacy-unknown']],
        [['authorization.k8s.io'], ['subjectaccessreviews'], ['create']],
        EVENTS,
      ],
    },
    { name: 'clusterrole-aggregation-controller', rules: [[[RBAC], ['clusterroles'], ['escalate', 'get', 'list', 'patch', 'update', 'watch']]] },
    {
      name: 'cronjob-controller',
      rules: [
        [['batch'], ['cronjobs'], ['update', ...RO]],
        [['batch'], ['jobs'], ['create', 'delete', ...PU, ...RO]],
        [['batch'], ['cronjobs/status'], ['update']],
        [['batch'], ['cronjobs/finalizers'], ['update']],
        [[''], ['pods'], ['delete', ...LW]],
        EVENTS,
      ],
    },
    {
      name: 'daemon-set-controller',
      rules: [
        [['apps', 'extensions'], ['daemonsets'], RO],
        [['apps', 'extensions'], ['daemonsets/status'], ['update']],
        [['apps', 'extensions'], ['daemonsets/finalizers'], ['update']],
        [[''], ['nodes'], LW],
        [[''], ['pods'], ['create', 'delete', 'patch', ...LW]],
        [[''], ['pods/binding'], ['create']],
        [['apps'], ['controllerrevisions'], ['create', 'delete', ...PU, ...RO]],
        EVENTS,
      ],
    },
    {
      name: 'deployment-controller',
      rules: [
        [['apps', 'extensions'], ['deployments'], ['update', ...RO]],
        [['apps', 'extensions'], ['deployments/status'], ['update']],
        [['apps', 'extensions'], ['deployments/finalizers'], ['update']],
        [['apps', 'extensions'], ['replicasets'], ['create', 'delete', ...PU, ...RO]],
        [[''], ['pods'], ['update', ...RO]],
        EVENTS,
      ],
    },
    {
      name: 'device-taint-eviction-controller',
      rules: [
        [[''], ['pods'], ['delete', ...RO]],
        [[''], ['pods/status'], PU],
        [['resource.k8s.io'], ['resourceclaims'], RO],
        [['resource.k8s.io'], ['resourceslices'], RO],
        [['resource.k8s.io'], ['deviceclasses'], RO],
        EVENTS,
        [['resource.k8s.io'], ['devicetaintrules/status'], PU],
        [['resource.k8s.io'], ['devicetaintrules'], RO],
      ],
    },
    {
      name: 'disruption-controller',
      rules: [
        [['apps', 'extensions'], ['deployments'], RO],
        [['apps', 'extensions'], ['replicasets'], RO],
        [[''], ['replicationcontrollers'], RO],
        [['policy'], ['poddisruptionbudgets'], RO],
        [['apps'], ['statefulsets'], RO],
        [['policy'], ['poddisruptionbudgets/status'], ['update']],
        [[''], ['pods/status'], PU],
        [['*'], ['*/scale'], ['get']],
        EVENTS,
      ],
    },
    {
      name: 'endpoint-controller',
      rules: [
        [[''], ['pods', 'services'], RO],
        [[''], ['endpoints'], ['create', 'delete', 'update', ...RO]],
        [[''], ['endpoints/restricted'], ['create']],
        EVENTS,
      ],
    },
    {
      name: 'endpointslice-controller',
      rules: [
        [[''], ['nodes', 'pods', 'services'], RO],
        [[''], ['services/finalizers'], ['update']],
        [['discovery.k8s.io'], ['endpointslices'], ['create', 'delete', 'update', ...RO]],
        [['discovery.k8s.io'], ['endpointslices/restricted'], ['create']],
        EVENTS,
      ],
    },
    {
      name: 'endpointslicemirroring-controller',
      rules: [
        [[''], ['endpoints', 'services'], RO],
        [[''], ['services/finalizers'], ['update']],
        [[''], ['endpoints/finalizers'], ['update']],
        [['discovery.k8s.io'], ['endpointslices'], ['create', 'delete', 'update', ...RO]],
        [['discovery.k8s.io'], ['endpointslices/restricted'], ['create']],
        EVENTS,
      ],
    },
    {
      name: 'ephemeral-volume-controller',
      rules: [
        [[''], ['pods'], RO],
        [[''], ['pods/finalizers'], ['update']],
        [[''], ['persistentvolumeclaims'], ['create', ...RO]],
        EVENTS,
      ],
    },
    {
      name: 'expand-controller',
      rules: [
        [[''], ['persistentvolumes'], [...PU, ...RO]],
        [[''], ['persistentvolumeclaims/status'], PU],
        [[''], ['persistentvolumeclaims'], RO],
        EVENTS,
        // Earlier releases: the in-tree glusterfs and portworx volume plugins.
        [[''], ['secrets'], ['get']],
        [[''], ['endpoints', 'services'], ['get']],
        [['storage.k8s.io'], ['storageclasses'], RO],
      ],
    },
    { name: 'generic-garbage-collector', rules: [[['*'], ['*'], ['delete', ...PU, ...RO]], EVENTS] },
    {
      name: 'horizontal-pod-autoscaler',
      rules: [
        [['autoscaling'], ['horizontalpodautoscalers'], RO],
        [['autoscaling'], ['horizontalpodautoscalers/status'], ['update']],
        [['*'], ['*/scale'], ['get', 'update']],
        [[''], ['pods'], LW],
        [['metrics.k8s.io'], ['pods'], LW],
        [['custom.metrics.k8s.io'], ['*'], RO],
        [['external.metrics.k8s.io'], ['*'], RO],
        EVENTS,
      ],
    },
    {
      name: 'job-controller',
      rules: [
        [['batch'], ['jobs'], [...PU, ...RO]],
        [['batch'], ['jobs/status'], ['update']],
        [['batch'], ['jobs/finalizers'], ['update']],
        [[''], ['pods'], ['create', 'delete', 'patch', ...LW]],
        EVENTS,
      ],
    },
    {
      name: 'kube-apiserver-serving-clustertrustbundle-publisher',
      rules: [
        [[CERTS], ['signers'], ['attest'], ['kubernetes.io/kube-apiserver-serving']],
        [[CERTS], ['clustertrustbundles'], ['create', 'delete', 'update', ...LW]],
        EVENTS,
      ],
    },
    {
      name: 'legacy-service-account-token-cleaner',
      rules: [
        [[''], ['configmaps'], ['get'], ['kube-apiserver-legacy-service-account-token-tracking']],
        [[''], ['secrets'], ['delete', 'patch']],
      ],
    },
    {
      name: 'namespace-controller',
      rules: [
        [[''], ['namespaces'], ['delete', ...RO]],
        [[''], ['namespaces/finalize', 'namespaces/status'], ['update']],
        [['*'], ['*'], ['delete', 'deletecollection', ...RO]],
      ],
    },
    {
      name: 'node-controller',
      rules: [
        [[''], ['nodes'], ['delete', ...PU, ...RO]],
        [[''], ['nodes/status'], PU],
        [[''], ['pods/status'], PU],
        [[''], ['pods'], ['delete', ...RO]],
        [['coordination.k8s.io'], ['leases'], RO],
        EVENTS,
      ],
    },
    {
      name: 'persistent-volume-binder',
      rules: [
        [[''], ['persistentvolumes'], ['create', 'delete', 'update', ...RO]],
        [[''], ['persistentvolumes/status'], ['update']],
        [[''], ['persistentvolumeclaims'], ['update', ...RO]],
        [[''], ['persistentvolumeclaims/status'], ['update']],
        [[''], ['pods'], ['create', 'delete', ...RO]],
        [['storage.k8s.io'], ['storageclasses'], RO],
        [[''], ['nodes'], LW],
        EVENTS,
        [[''], ['events'], ['watch']],
        // Earlier releases: the in-tree glusterfs and portworx volume plugins.
        [[''], ['endpoints'], ['create', 'delete', 'get', 'update']],
        [[''], ['services'], ['create', 'delete', 'get']],
        [[''], ['secrets'], ['get']],
        [[''], ['nodes'], ['get', 'list']],
      ],
    },
    {
      name: 'pod-garbage-collector',
      rules: [
        [[''], ['pods'], ['delete', ...LW]],
        [[''], ['nodes'], RO],
        [[''], ['pods/status'], ['patch']],
      ],
    },
    { name: 'podcertificaterequestcleaner', rules: [[[CERTS], ['podcertificaterequests'], ['delete', ...RO]]] },
    { name: 'pv-protection-controller', rules: [[[''], ['persistentvolumes'], ['update', ...RO]], EVENTS] },
    {
      name: 'pvc-protection-controller',
      rules: [
        [[''], ['persistentvolumeclaims'], ['update', ...RO]],
        [[''], ['persistentvolumeclaims/status'], ['update']],
        [[''], ['pods'], RO],
        EVENTS,
      ],
    },
    {
      name: 'replicaset-controller',
      rules: [
        [['apps', 'extensions'], ['replicasets'], ['update', ...RO]],
        [['apps', 'extensions'], ['replicasets/status'], ['update']],
        [['apps', 'extensions'], ['replicasets/finalizers'], ['update']],
        [[''], ['pods'], ['create', 'delete', 'patch', ...LW]],
        EVENTS,
      ],
    },
    {
      name: 'replication-controller',
      rules: [
        [[''], ['replicationcontrollers'], ['update', ...RO]],
        [[''], ['replicationcontrollers/status'], ['update']],
        [[''], ['replicationcontrollers/finalizers'], ['update']],
        [[''], ['pods'], ['create', 'delete', 'patch', ...LW]],
        EVENTS,
      ],
    },
    {
      name: 'resource-claim-controller',
      rules: [
        [[''], ['pods'], RO],
        [[''], ['pods/finalizers'], ['update']],
        [['resource.k8s.io'], ['resourceclaims'], ['create', 'delete', ...RO]],
        [['resource.k8s.io'], ['resourceclaims', 'resourceclaims/status'], PU],
        [[''], ['pods/status'], PU],
        EVENTS,
        [['resource.k8s.io'], ['resourceclaims/binding'], PU],
      ],
    },
    {
      name: 'resourcequota-controller',
      rules: [
        [['*'], ['*'], LW],
        [[''], ['resourcequotas/status'], ['update']],
        EVENTS,
      ],
    },
    { name: 'root-ca-cert-publisher', rules: [[[''], ['configmaps'], ['create', 'update']], EVENTS] },
    {
      name: 'route-controller',
      rules: [
        [[''], ['nodes'], LW],
        [[''], ['nodes/status'], ['patch']],
        EVENTS,
      ],
    },
    {
      name: 'selinux-warning-controller',
      rules: [
        EVENTS,
        [[''], ['persistentvolumes'], RO],
        [[''], ['persistentvolumeclaims'], RO],
        [[''], ['pods'], RO],
        [['storage.k8s.io'], ['csidrivers'], RO],
      ],
    },
    { name: 'service-account-controller', rules: [[[''], ['serviceaccounts'], ['create']], EVENTS] },
    {
      name: 'service-cidrs-controller',
      rules: [
        [['networking.k8s.io'], ['servicecidrs'], [...PU, ...RO]],
        [['networking.k8s.io'], ['servicecidrs/finalizers'], PU],
        [['networking.k8s.io'], ['servicecidrs/status'], PU],
        [['networking.k8s.io'], ['ipaddresses'], RO],
        EVENTS,
      ],
    },
    {
      name: 'service-controller',
      rules: [
        [[''], ['services'], RO],
        [[''], ['services/status'], PU],
        [[''], ['nodes'], LW],
        EVENTS,
      ],
    },
    {
      name: 'statefulset-controller',
      rules: [
        [[''], ['pods'], LW],
        [['apps'], ['statefulsets'], RO],
        [['apps'], ['statefulsets/status'], ['update']],
        [['apps'], ['statefulsets/finalizers'], ['update']],
        [[''], ['pods'], ['create', 'delete', 'get', ...PU]],
        [['apps'], ['controllerrevisions'], ['create', 'delete', ...PU, ...RO]],
        [[''], ['persistentvolumeclaims'], ['create', ...RO]],
        [[''], ['persistentvolumeclaims'], ['delete', 'update']],
        [[''], ['pods/finalizers'], ['update']],
        EVENTS,
      ],
    },
    {
      name: 'storage-version-migrator-controller',
      rules: [
        [['*'], ['*'], ['list', 'patch']],
        [['apiextensions.k8s.io'], ['customresourcedefinitions'], ['get']],
        [['apiextensions.k8s.io'], ['customresourcedefinitions/status'], ['patch']],
        [['storagemigration.k8s.io'], ['storageversionmigrations/status'], ['update']],
      ],
    },
    { name: 'ttl-after-finished-controller', rules: [[['batch'], ['jobs'], ['delete', ...RO]], EVENTS] },
    { name: 'ttl-controller', rules: [[[''], ['nodes'], [...PU, ...LW]], EVENTS] },
    {
      name: 'validatingadmissionpolicy-status-controller',
      rules: [
        [['admissionregistration.k8s.io'], ['validatingadmissionpolicies'], RO],
        [['admissionregistration.k8s.io'], ['validatingadmissionpolicies/status'], ['get', ...PU]],
        EVENTS,
      ],
    },
    {
      name: 'volumeattributesclass-protection-controller',
      rules: [
        [[''], ['persistentvolumeclaims'], RO],
        [[''], ['persistentvolumes'], RO],
        [['storage.k8s.io'], ['volumeattributesclasses'], ['update', ...RO]],
        EVENTS,
      ],
    },
  ];

  const SYSTEM = 'kube-system';
  const leaderLocking = (name: string): RoleData => ({
    namespace: SYSTEM,
    name: `system::leader-locking-${name}`,
    rules: [
      [[''], ['configmaps'], ['watch']],
      [[''], ['configmaps'], ['get', 'update'], [name]],
      [['coordination.k8s.io'], ['leases'], ['create', 'update', ...RO]],
      [['coordination.k8s.io'], ['leasecandidates'], ['create', 'update', ...RO]],
    ],
  });
  const namespaceRoles: RoleData[] = [
    {
      namespace: 'kube-public',
      name: `${CONTROLLER}bootstrap-signer`,
      rules: [
        [[''], ['configmaps'], RO],
        [[''], ['configmaps'], ['update'], ['cluster-info']],
        EVENTS,
      ],
    },
    { namespace: SYSTEM, name: 'extension-apiserver-authentication-reader', rules: [[[''], ['configmaps'], RO, ['extension-apiserver-authentication']]] },
    leaderLocking('kube-controller-manager'),
    leaderLocking('kube-scheduler'),
    { namespace: SYSTEM, name: `${CONTROLLER}bootstrap-signer`, rules: [[[''], ['secrets'], RO]] },
    { namespace: SYSTEM, name: `${CONTROLLER}cloud-provider`, rules: [[[''], ['configmaps'], ['create', ...RO]]] },
    {
      namespace: SYSTEM,
      name: `${CONTROLLER}token-cleaner`,
      rules: [
        [[''], ['secrets'], ['delete', ...RO]],
        EVENTS,
      ],
    },
  ];

  const clusterBindings: (readonly [string, readonly string[]])[] = [
    ['cluster-admin', [group('system:masters')]],
    ['system:basic-user', [group('system:authenticated')]],
    ['system:discovery', [group('system:authenticated')]],
    ['system:kube-controller-manager', [user('system:kube-controller-manager')]],
    ['system:kube-dns', [sa('kube-dns')]],
    ['system:kube-scheduler', [user('system:kube-scheduler')]],
    ['system:monitoring', [group('system:monitoring')]],
    // Without subjects since Kubernetes 1.8 (the Node authorizer took over).
    ['system:node', []],
    ['system:node-proxier', [user('system:kube-proxy')]],
    ['system:public-info-viewer', [group('system:authenticated'), group('system:unauthenticated')]],
    ['system:service-account-issuer-discovery', [group('system:serviceaccounts')]],
    ['system:volume-scheduler', [user('system:kube-scheduler')]],
  ];

  const namespaceBindings: (readonly [string, string, string, readonly string[]])[] = [
    ['kube-public', `${CONTROLLER}bootstrap-signer`, `${CONTROLLER}bootstrap-signer`, [sa('bootstrap-signer')]],
    [SYSTEM, 'system::extension-apiserver-authentication-reader', 'extension-apiserver-authentication-reader', [user('system:kube-controller-manager'), user('system:kube-scheduler')]],
    [SYSTEM, 'system::leader-locking-kube-controller-manager', 'system::leader-locking-kube-controller-manager', [user('system:kube-controller-manager'), sa('kube-controller-manager'), sa('leader-election-controller')]],
    [SYSTEM, 'system::leader-locking-kube-scheduler', 'system::leader-locking-kube-scheduler', [user('system:kube-scheduler'), sa('kube-scheduler')]],
    [SYSTEM, `${CONTROLLER}bootstrap-signer`, `${CONTROLLER}bootstrap-signer`, [sa('bootstrap-signer')]],
    [SYSTEM, `${CONTROLLER}cloud-provider`, `${CONTROLLER}cloud-provider`, [sa('cloud-provider')]],
    [SYSTEM, `${CONTROLLER}token-cleaner`, `${CONTROLLER}token-cleaner`, [sa('token-cleaner')]],
  ];

  return { clusterRoles, controllerRoles, namespaceRoles, clusterBindings, namespaceBindings };
}
