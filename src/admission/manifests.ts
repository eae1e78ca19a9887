import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import { MamoriError } from '../errors.js';
import { effectiveTag, parseImageReference } from '../k8s/image.js';
import type { JsonObject, JsonValue } from '../types.js';
import { VERSION } from '../version.js';
import type { FailurePolicy } from './types.js';

/**
 * What the generated manifests and `mamori admission serve` agree on: the server listens on
 * `port` and serves the paths; the Service forwards `servicePort` to it; the TLS Secret is
 * mounted at `tlsDir`.
 */
export const WEBHOOK = {
  namespace: 'mamori-system',
  /** The Service, and the name of the ServiceAccount, Deployment and other objects of the webhook. */
  name: 'mamori-webhook',
  servicePort: 443,
  port: 8443,
  validatePath: '/validate',
  mutatePath: '/mutate',
  healthPath: '/healthz',
  readyPath: '/readyz',
  metricsPath: '/metrics',
  tlsSecret: 'mamori-webhook-tls',
  tlsDir: '/etc/mamori/tls',
  configDir: '/etc/mamori/config',
  configMap: 'mamori-config',
  /** The webhook names (at least three DNS segments, as the API requires); they prefix every denial message. */
  validateWebhook: 'validate.mamori.io',
  mutateWebhook: 'mutate.mamori.io',
  /** The distroless `nonroot` user the image and the pod run as. */
  uid: 65532,
  image: `ghcr.io/mamori-dev/mamori:${VERSION}`,
} as const;

/** Namespaces the webhooks never see, besides mamori's own: an outage must not lock the control plane out. */
export const ALWAYS_EXCLUDED = ['kube-system', 'kube-node-lease'] as const;

/** Which webhook configurations are emitted. */
export type WebhookMode = 'validate' | 'mutate' | 'both';

/** Where the API server's trust in the serving certificate comes from. */
export type TlsSource =
  /** A CA certificate (PEM) for caBundle; with `secret`, the serving certificate and key are emitted as the TLS Secret. */
  | { kind: 'ca-bundle'; caPem: string; secret?: { certPem: string; keyPem: string } }
  /**
   * cert-manager issues the serving certificate and its CA injector fills caBundle. Without
   * `issuer`, a self-signed CA and its Issuer are emitted in the namespace.
   */
  | { kind: 'cert-manager'; issuer?: { kind: 'Issuer' | 'ClusterIssuer'; name: string } };

/** Options of `mamori admission manifests`; every field but `tls` has a default. */
export interface ManifestOptions {
  tls: TlsSource;
  namespace?: string;
  image?: string;
  replicas?: number;
  /** The validating webhook's failurePolicy, and the server's answer when it cannot decide in time. */
  failurePolicy?: FailurePolicy;
  timeoutSeconds?: number;
  mode?: WebhookMode;
  /** The pods' priority class; '' for none. Default system-cluster-critical. */
  priorityClassName?: string;
  /** More namespaces to exclude (kube-system, kube-node-lease and the own namespace always are). */
  excludeNamespaces?: readonly string[];
  /** The text of a mamori configuration file, shipped as a ConfigMap and given to the server. */
  config?: string;
}

/** The manifests, in the order `kubectl apply -f -` should create them, and notes for the user. */
export interface Manifests {
  objects: JsonObject[];
  notes: string[];
}

/** The defaults of the options (docs/admission.md says why). */
export const DEFAULTS = {
  replicas: 2,
  failurePolicy: 'Fail' as FailurePolicy,
  timeoutSeconds: 5,
  mode: 'validate' as WebhookMode,
  priorityClassName: 'system-cluster-critical',
};

/** Resources of the one container; the namespace's LimitRange and ResourceQuota are sized from them. */
const RESOURCES = {
  // Memory requested as much as the limit: under memory pressure the kubelet evicts pods that use
  // more than they requested first, and these never do.
  requests: { cpu: 100, memoryMi: 384, storageMi: 64 },
  // Container logs count against ephemeral storage; the kubelet rotates them at 5 x 10 MiB by default.
  limits: { cpu: 1000, memoryMi: 384, storageMi: 256 },
};

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function usage(message: string): never {
  throw new MamoriError('usage', message);
}

function checkLabel(flag: string, value: string): string {
  if (!DNS_LABEL.test(value)) usage(`${flag} must be a namespace name (lower-case letters, digits and '-', at most 63 characters; got ${JSON.stringify(value)})`);
  return value;
}

function checkInteger(flag: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) usage(`${flag} must be a whole number from ${min} to ${max} (got ${String(value)})`);
  return value;
}

/**
 * The pull policy that keeps every replica on the same build: a digest or a release tag (one with
 * a digit, not `latest`) is pulled once per node; a moving tag is checked at every start.
 */
function pullPolicy(image: string): 'IfNotPresent' | 'Always' {
  const parsed = parseImageReference(image);
  if (!parsed.ok || parsed.ref.digest !== undefined) return 'IfNotPresent';
  const tag = effectiveTag(parsed.ref) ?? 'latest';
  return tag === 'latest' || !/[0-9]/.test(tag) ? 'Always' : 'IfNotPresent';
}

function labels(): JsonObject {
  return {
    'app.kubernetes.io/name': 'mamori',
    'app.kubernetes.io/component': 'admission-webhook',
    'app.kubernetes.io/part-of': 'mamori',
    'app.kubernetes.io/version': VERSION,
    'app.kubernetes.io/managed-by': 'mamori',
  };
}

/** The pod labels the Deployment, Service, PodDisruptionBudget and NetworkPolicy select on (the version is left out: selectors are immutable). */
function selector(): JsonObject {
  return { 'app.kubernetes.io/name': 'mamori', 'app.kubernetes.io/component': 'admission-webhook' };
}

function metadata(name: string, namespace?: string, annotations?: JsonObject): JsonObject {
  const out: JsonObject = { name };
  if (namespace !== undefined) out['namespace'] = namespace;
  out['labels'] = labels();
  if (annotations !== undefined) out['annotations'] = annotations;
  return out;
}

const mi = (n: number): string => `${n}Mi`;
const cpu = (millis: number): string => (millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`);

/** The DNS names the serving certificate must cover (the API server dials `<service>.<namespace>.svc`). */
function serviceDnsNames(namespace: string): string[] {
  return [WEBHOOK.name, `${WEBHOOK.name}.${namespace}`, `${WEBHOOK.name}.${namespace}.svc`, `${WEBHOOK.name}.${namespace}.svc.cluster.local`];
}

/** The server's command line after the image's entrypoint (`node bin/mamori.js`). */
function serverArgs(failurePolicy: FailurePolicy, config: boolean): string[] {
  const args = [
    'admission',
    'serve',
    '--tls-cert',
    `${WEBHOOK.tlsDir}/tls.crt`,
    '--tls-key',
    `${WEBHOOK.tlsDir}/tls.key`,
    '--port',
    String(WEBHOOK.port),
    '--failure-policy',
    failurePolicy,
  ];
  if (config) args.push('--config', `${WEBHOOK.configDir}/config.yaml`);
  return args;
}

function httpsProbe(path: string, periodSeconds: number, failureThreshold: number): JsonObject {
  return { httpGet: { path, port: 'https', scheme: 'HTTPS' }, periodSeconds, timeoutSeconds: 2, failureThreshold };
}

interface Resolved {
  namespace: string;
  image: string;
  replicas: number;
  failurePolicy: FailurePolicy;
  timeoutSeconds: number;
  mode: WebhookMode;
  priorityClassName: string;
  excluded: string[];
  tls: TlsSource;
  config: string | undefined;
}

function resolve(options: ManifestOptions): Resolved {
  const namespace = checkLabel('--namespace', options.namespace ?? WEBHOOK.namespace);
  const image = options.image ?? WEBHOOK.image;
  const parsed = parseImageReference(image);
  if (!parsed.ok) usage(`--image ${JSON.stringify(image)} is not a valid image reference: ${parsed.error}`);
  const failurePolicy = options.failurePolicy ?? DEFAULTS.failurePolicy;
  if (failurePolicy !== 'Fail' && failurePolicy !== 'Ignore') usage(`--failure-policy must be Fail or Ignore (got ${JSON.stringify(failurePolicy)})`);
  const mode = options.mode ?? DEFAULTS.mode;
  if (mode !== 'validate' && mode !== 'mutate' && mode !== 'both') usage(`--mode must be validate, mutate or both (got ${JSON.stringify(mode)})`);
  const priorityClassName = options.priorityClassName ?? DEFAULTS.priorityClassName;
  if (priorityClassName !== '' && (priorityClassName.length > 253 || !DNS_SUBDOMAIN.test(priorityClassName))) {
    usage(`--priority-class must be a PriorityClass name or '' for none (got ${JSON.stringify(priorityClassName)})`);
  }
  // The own namespace is always excluded: the webhook must never decide whether its own pods may start.
  const excluded = [...ALWAYS_EXCLUDED, namespace];
  for (const extra of options.excludeNamespaces ?? []) if (!excluded.includes(checkLabel('--exclude-namespaces', extra))) excluded.push(extra);
  const tls = options.tls;
  if (tls.kind === 'cert-manager' && tls.issuer !== undefined && !DNS_SUBDOMAIN.test(tls.issuer.name)) {
    usage(`--cert-manager: ${JSON.stringify(tls.issuer.name)} is not a valid issuer name`);
  }
  return {
    namespace,
    image,
    replicas: checkInteger('--replicas', options.replicas ?? DEFAULTS.replicas, 1, 100),
    failurePolicy,
    // The API server accepts 1 to 30 seconds.
    timeoutSeconds: checkInteger('--timeout-seconds', options.timeoutSeconds ?? DEFAULTS.timeoutSeconds, 1, 30),
    mode,
    priorityClassName,
    excluded,
    tls,
    config: options.config,
  };
}

function namespaceObject(r: Resolved): JsonObject {
  const meta = metadata(r.namespace);
  // The webhook excludes its own namespace, so Pod Security Admission is what guards it: at restricted.
  meta['labels'] = {
    ...labels(),
    'pod-security.kubernetes.io/enforce': 'restricted',
    'pod-security.kubernetes.io/enforce-version': 'latest',
    'pod-security.kubernetes.io/warn': 'restricted',
    'pod-security.kubernetes.io/warn-version': 'latest',
    'pod-security.kubernetes.io/audit': 'restricted',
    'pod-security.kubernetes.io/audit-version': 'latest',
  };
  return { apiVersion: 'v1', kind: 'Namespace', metadata: meta };
}

/** Room for every replica, a rollout's surge and pods still terminating: twice the replicas, plus two. */
function podBudget(r: Resolved): number {
  return 2 * r.replicas + 2;
}

function quotas(r: Resolved): JsonObject[] {
  const pods = podBudget(r);
  const out: JsonObject[] = [
    {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: metadata('mamori-quota', r.namespace),
      spec: {
        hard: {
          pods: String(pods),
          'requests.cpu': cpu(pods * RESOURCES.requests.cpu),
          'requests.memory': mi(pods * RESOURCES.requests.memoryMi),
          'requests.ephemeral-storage': mi(pods * RESOURCES.requests.storageMi),
          'limits.cpu': cpu(pods * RESOURCES.limits.cpu),
          'limits.memory': mi(pods * RESOURCES.limits.memoryMi),
          'limits.ephemeral-storage': mi(pods * RESOURCES.limits.storageMi),
          'services.loadbalancers': '0',
          'services.nodeports': '0',
          persistentvolumeclaims: '0',
        },
      },
    },
  ];
  if (r.priorityClassName !== '') {
    // Clusters that limit critical priority classes to namespaces with a matching quota (GKE does,
    // through the ResourceQuota admission plugin's limitedResources) admit the pods with this one.
    out.push({
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: metadata('mamori-priority-class', r.namespace),
      spec: {
        hard: { pods: String(pods) },
        scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: [r.priorityClassName] }] },
      },
    });
  }
  out.push({
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: metadata('mamori-limits', r.namespace),
    spec: {
      limits: [
        {
          type: 'Container',
          default: { cpu: cpu(RESOURCES.limits.cpu), memory: mi(RESOURCES.limits.memoryMi), 'ephemeral-storage': mi(RESOURCES.limits.storageMi) },
          defaultRequest: { cpu: cpu(RESOURCES.requests.cpu), memory: mi(RESOURCES.requests.memoryMi), 'ephemeral-storage': mi(RESOURCES.requests.storageMi) },
          max: { cpu: cpu(2 * RESOURCES.limits.cpu), memory: mi(4 * RESOURCES.limits.memoryMi), 'ephemeral-storage': mi(4 * RESOURCES.limits.storageMi) },
        },
      ],
    },
  });
  return out;
}

function rbac(r: Resolved): JsonObject[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: metadata(WEBHOOK.name, r.namespace),
      // The pod mounts a short-lived projected token itself; nothing else using this account gets one.
      automountServiceAccountToken: false,
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: metadata(WEBHOOK.name),
      // Namespace labels choose each namespace's mode; SubjectAccessReviews answer the `authorizer`
      // checks of ValidatingAdmissionPolicies (a review is a question: nothing is stored or changed).
      rules: [
        { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: metadata(WEBHOOK.name),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: WEBHOOK.name },
      subjects: [{ kind: 'ServiceAccount', name: WEBHOOK.name, namespace: r.namespace }],
    },
  ];
}

function configMap(r: Resolved, config: string): JsonObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: metadata(WEBHOOK.configMap, r.namespace), data: { 'config.yaml': config } };
}

function tlsSecret(r: Resolved, certPem: string, keyPem: string): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: metadata(WEBHOOK.tlsSecret, r.namespace),
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': Buffer.from(certPem, 'utf8').toString('base64'), 'tls.key': Buffer.from(keyPem, 'utf8').toString('base64') },
  };
}

function certManager(r: Resolved, issuer: { kind: 'Issuer' | 'ClusterIssuer'; name: string } | undefined): JsonObject[] {
  const out: JsonObject[] = [];
  let issuerRef: JsonObject;
  if (issuer === undefined) {
    // A self-signed root signs a long-lived CA; the CA issues the short-lived serving certificate.
    // The CA injector copies that CA into caBundle, so renewing the serving certificate changes nothing there.
    out.push(
      { apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: metadata('mamori-selfsigned', r.namespace), spec: { selfSigned: {} } },
      {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: metadata('mamori-ca', r.namespace),
        spec: {
          isCA: true,
          commonName: 'mamori-webhook-ca',
          secretName: 'mamori-ca',
          duration: '43800h',
          renewBefore: '2160h',
          privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
          issuerRef: { group: 'cert-manager.io', kind: 'Issuer', name: 'mamori-selfsigned' },
        },
      },
      { apiVersion: 'cert-manager.io/v1', kind: 'Issuer', metadata: metadata('mamori-ca', r.namespace), spec: { ca: { secretName: 'mamori-ca' } } },
    );
    issuerRef = { group: 'cert-manager.io', kind: 'Issuer', name: 'mamori-ca' };
  } else {
    issuerRef = { group: 'cert-manager.io', kind: issuer.kind, name: issuer.name };
  }
  out.push({
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: metadata(WEBHOOK.name, r.namespace),
    spec: {
      secretName: WEBHOOK.tlsSecret,
      dnsNames: serviceDnsNames(r.namespace),
      duration: '2160h',
      renewBefore: '720h',
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      usages: ['server auth', 'digital signature'],
      issuerRef,
    },
  });
  return out;
}

function service(r: Resolved): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metadata(WEBHOOK.name, r.namespace),
    spec: {
      type: 'ClusterIP',
      selector: selector(),
      ports: [{ name: 'https', port: WEBHOOK.servicePort, targetPort: 'https', protocol: 'TCP' }],
    },
  };
}

function deployment(r: Resolved): JsonObject {
  const uid = WEBHOOK.uid;
  const volumes: JsonValue[] = [
    // Read by the server, which reloads the files when cert-manager or the user rotates them.
    { name: 'tls', secret: { secretName: WEBHOOK.tlsSecret, defaultMode: 0o440 } },
    // The token the server watches namespaces with: what automounting would give, but short-lived
    // and only in this pod (the ServiceAccount turns automounting off). No audience is set, so the
    // token is for the API server's own audience, whatever the cluster calls it.
    {
      name: 'kube-api-access',
      projected: {
        defaultMode: 0o440,
        sources: [
          { serviceAccountToken: { path: 'token', expirationSeconds: 3600 } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    },
  ];
  const mounts: JsonValue[] = [
    { name: 'tls', mountPath: WEBHOOK.tlsDir, readOnly: true },
    { name: 'kube-api-access', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
  ];
  const templateAnnotations: JsonObject = {};
  if (r.config !== undefined) {
    volumes.push({ name: 'config', configMap: { name: WEBHOOK.configMap, defaultMode: 0o440 } });
    mounts.push({ name: 'config', mountPath: WEBHOOK.configDir, readOnly: true });
    // A changed configuration rolls the pods when the manifests are applied again.
    templateAnnotations['mamori.io/config-sha256'] = createHash('sha256').update(r.config).digest('hex');
  }
  const podLabels = { ...labels() };
  const spec: JsonObject = {
    serviceAccountName: WEBHOOK.name,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
  };
  if (r.priorityClassName !== '') spec['priorityClassName'] = r.priorityClassName;
  Object.assign(spec, {
    securityContext: {
      runAsNonRoot: true,
      runAsUser: uid,
      runAsGroup: uid,
      fsGroup: uid,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    affinity: {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector() } } },
          { weight: 50, podAffinityTerm: { topologyKey: 'topology.kubernetes.io/zone', labelSelector: { matchLabels: selector() } } },
        ],
      },
    },
    // ScheduleAnyway: a cluster with one node or one zone still runs every replica.
    topologySpreadConstraints: [
      { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector() }, matchLabelKeys: ['pod-template-hash'] },
      { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector() }, matchLabelKeys: ['pod-template-hash'] },
    ],
    terminationGracePeriodSeconds: 30,
    containers: [
      {
        name: 'mamori',
        image: r.image,
        imagePullPolicy: pullPolicy(r.image),
        args: serverArgs(r.failurePolicy, r.config !== undefined),
        ports: [{ name: 'https', containerPort: WEBHOOK.port, protocol: 'TCP' }],
        // Until /readyz answers, the rules and configuration are still loading.
        startupProbe: httpsProbe(WEBHOOK.readyPath, 2, 30),
        readinessProbe: httpsProbe(WEBHOOK.readyPath, 5, 2),
        livenessProbe: httpsProbe(WEBHOOK.healthPath, 10, 3),
        // Endpoints drop a terminating pod a moment after it gets SIGTERM; the API server keeps
        // calling it meanwhile. Sleeping first lets those calls land (the image has no shell).
        lifecycle: { preStop: { sleep: { seconds: 5 } } },
        resources: {
          requests: { cpu: cpu(RESOURCES.requests.cpu), memory: mi(RESOURCES.requests.memoryMi), 'ephemeral-storage': mi(RESOURCES.requests.storageMi) },
          limits: { cpu: cpu(RESOURCES.limits.cpu), memory: mi(RESOURCES.limits.memoryMi), 'ephemeral-storage': mi(RESOURCES.limits.storageMi) },
        },
        securityContext: {
          allowPrivilegeEscalation: false,
          privileged: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          runAsUser: uid,
          runAsGroup: uid,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        },
        volumeMounts: mounts,
      },
    ],
    volumes,
  });
  const template: JsonObject = { metadata: Object.keys(templateAnnotations).length > 0 ? { labels: podLabels, annotations: templateAnnotations } : { labels: podLabels }, spec };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: metadata(WEBHOOK.name, r.namespace),
    spec: {
      replicas: r.replicas,
      revisionHistoryLimit: 5,
      selector: { matchLabels: selector() },
      // A new pod is ready before an old one goes: a rollout never lowers the serving capacity.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template,
    },
  };
}

function disruptionBudget(r: Resolved): JsonObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: metadata(WEBHOOK.name, r.namespace),
    spec: {
      minAvailable: 1,
      selector: { matchLabels: selector() },
      // A pod that is not ready serves nothing: evicting it must not be blocked (node drains of a broken rollout).
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  };
}

function networkPolicies(r: Resolved): JsonObject[] {
  return [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: metadata('default-deny', r.namespace),
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: metadata(WEBHOOK.name, r.namespace),
      spec: {
        podSelector: { matchLabels: selector() },
        policyTypes: ['Ingress', 'Egress'],
        // The API server's addresses are not known here (and differ per cluster): any source, this port only.
        // Kubelet probes and a Prometheus scrape of /metrics use the same port.
        ingress: [{ ports: [{ protocol: 'TCP', port: WEBHOOK.port }] }],
        egress: [
          // The API server, through the kubernetes Service (443) or at its endpoints (6443 on most distributions).
          { ports: [{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 6443 }] },
          { ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
        ],
      },
    },
  ];
}

interface RuleSpec {
  group: string;
  /** The API versions matched (default `v1`). */
  versions?: string[];
  resources: string[];
  operations: string[];
}

function webhookRules(specs: readonly RuleSpec[]): JsonValue[] {
  return specs.map((s) => ({ apiGroups: [s.group], apiVersions: s.versions ?? ['v1'], resources: s.resources, operations: s.operations, scope: 'Namespaced' }));
}

/** What the validating webhook sees: pods and every kind that carries a pod template, created or changed. */
export const VALIDATE_RULES: readonly RuleSpec[] = [
  { group: '', resources: ['pods', 'replicationcontrollers', 'podtemplates'], operations: ['CREATE', 'UPDATE'] },
  // `kubectl debug` adds ephemeral containers through this subresource; the object sent is the Pod.
  { group: '', resources: ['pods/ephemeralcontainers'], operations: ['UPDATE'] },
  { group: 'apps', resources: ['deployments', 'replicasets', 'statefulsets', 'daemonsets'], operations: ['CREATE', 'UPDATE'] },
  { group: 'batch', resources: ['jobs', 'cronjobs'], operations: ['CREATE', 'UPDATE'] },
  // Workload kinds of Argo Rollouts and OpenShift: a rule for a resource the cluster does not serve matches nothing.
  { group: 'argoproj.io', versions: ['*'], resources: ['rollouts'], operations: ['CREATE', 'UPDATE'] },
  { group: 'apps.openshift.io', resources: ['deploymentconfigs'], operations: ['CREATE', 'UPDATE'] },
];

/**
 * What the mutating webhook sees. Pods and Jobs only on CREATE: their pod spec is immutable
 * afterwards, so a patch on UPDATE would fail the user's request. No ReplicaSets: the Deployment
 * controller recognises its ReplicaSet by an identical template, and a patched one would make it
 * create another; their Deployment is patched instead.
 */
export const MUTATE_RULES: readonly RuleSpec[] = [
  { group: '', resources: ['pods'], operations: ['CREATE'] },
  { group: '', resources: ['replicationcontrollers', 'podtemplates'], operations: ['CREATE', 'UPDATE'] },
  { group: 'apps', resources: ['deployments', 'statefulsets', 'daemonsets'], operations: ['CREATE', 'UPDATE'] },
  { group: 'batch', resources: ['jobs'], operations: ['CREATE'] },
  { group: 'batch', resources: ['cronjobs'], operations: ['CREATE', 'UPDATE'] },
];

function webhookConfiguration(r: Resolved, kind: 'ValidatingWebhookConfiguration' | 'MutatingWebhookConfiguration'): JsonObject {
  const validating = kind === 'ValidatingWebhookConfiguration';
  const clientConfig: JsonObject = {
    service: { namespace: r.namespace, name: WEBHOOK.name, path: validating ? WEBHOOK.validatePath : WEBHOOK.mutatePath, port: WEBHOOK.servicePort },
  };
  let annotations: JsonObject | undefined;
  if (r.tls.kind === 'ca-bundle') clientConfig['caBundle'] = Buffer.from(r.tls.caPem, 'utf8').toString('base64');
  else annotations = { 'cert-manager.io/inject-ca-from': `${r.namespace}/${WEBHOOK.name}` };
  const webhook: JsonObject = {
    name: validating ? WEBHOOK.validateWebhook : WEBHOOK.mutateWebhook,
    clientConfig,
    rules: webhookRules(validating ? VALIDATE_RULES : MUTATE_RULES),
    // Mutation is a convenience the validating webhook does not rely on: it judges the final object.
    failurePolicy: validating ? r.failurePolicy : 'Ignore',
    matchPolicy: 'Equivalent',
    namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: r.excluded }] },
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    timeoutSeconds: r.timeoutSeconds,
  };
  if (!validating) {
    // The patches are idempotent (nothing for a compliant object), so a second call after another
    // webhook changed the object (a sidecar injector) only costs a round trip.
    webhook['reinvocationPolicy'] = 'IfNeeded';
    // Mirror pods of static pods cannot be changed: the kubelet owns them.
    webhook['matchConditions'] = [
      { name: 'not-a-mirror-pod', expression: "!has(object.metadata.annotations) || !('kubernetes.io/config.mirror' in object.metadata.annotations)" },
    ];
  }
  return { apiVersion: 'admissionregistration.k8s.io/v1', kind, metadata: metadata(WEBHOOK.name, undefined, annotations), webhooks: [webhook] };
}

/** The objects that run mamori's admission webhook in a cluster, in the order they should be applied. */
export function admissionManifests(options: ManifestOptions): Manifests {
  const r = resolve(options);
  const notes: string[] = [];
  const objects: JsonObject[] = [namespaceObject(r), ...quotas(r), ...rbac(r)];
  if (r.config !== undefined) objects.push(configMap(r, r.config));
  if (r.tls.kind === 'ca-bundle') {
    if (r.tls.secret !== undefined) {
      objects.push(tlsSecret(r, r.tls.secret.certPem, r.tls.secret.keyPem));
      notes.push(`the output holds the serving certificate's private key (Secret ${r.namespace}/${WEBHOOK.tlsSecret}): pipe it to kubectl, do not commit it`);
    } else notes.push(`create the Secret ${r.namespace}/${WEBHOOK.tlsSecret} with the serving certificate and key (kubectl -n ${r.namespace} create secret tls ${WEBHOOK.tlsSecret} --cert=tls.crt --key=tls.key): the pods start once it exists`);
  } else {
    objects.push(...certManager(r, r.tls.issuer));
    notes.push('cert-manager (its cert-manager.io/v1 CRDs and CA injector) must be installed before these manifests are applied');
  }
  objects.push(service(r), deployment(r));
  if (r.replicas >= 2) objects.push(disruptionBudget(r));
  else notes.push('one replica: no PodDisruptionBudget is emitted (it would block every node drain), and each restart of the pod interrupts admission');
  if (r.replicas < 2 && r.failurePolicy === 'Fail' && r.mode !== 'mutate') {
    notes.push('failurePolicy Fail with one replica: while that pod restarts, pods and workloads cannot be created or changed outside the excluded namespaces');
  }
  objects.push(...networkPolicies(r));
  // The webhooks come last: by then the Service and Deployment they call exist.
  if (r.mode !== 'validate') objects.push(webhookConfiguration(r, 'MutatingWebhookConfiguration'));
  if (r.mode !== 'mutate') objects.push(webhookConfiguration(r, 'ValidatingWebhookConfiguration'));
  return { objects, notes };
}

/**
 * The manifests as one multi-document YAML stream. Written for YAML 1.1, which kubectl reads:
 * strings such as `y`, `on` or `2001-12-14` (valid namespace names) are quoted, or kubectl would
 * read a boolean or a timestamp.
 */
export function renderManifests(objects: readonly JsonObject[]): string {
  const header = `# mamori ${VERSION} admission webhook: generated by \`mamori admission manifests\`; apply with kubectl apply -f -\n`;
  const docs = objects.map((o) => `---\n${stringify(o, { version: '1.1', lineWidth: 0, minContentWidth: 0 })}`);
  return header + docs.join('');
}
