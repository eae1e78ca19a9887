// Deterministic benchmark corpus: a realistic mix of Kubernetes objects spread over nested
// directories of single- and multi-document YAML files (plus a few JSON files and `kind: List`s).
//
//   node bench/corpus.js [1k 10k 100k netpol]   generate (if missing or stale) and print a summary
//   import { ensureCorpus } from './corpus.js'
//
// The output lives in bench/.corpus/<size>/ (gitignored) and is regenerated only when it is missing
// GENERATOR_VERSION or this file changed. Everything comes from a seeded PRNG: same version, same bytes.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jsyaml from 'js-yaml';

/** Bump whenever the output would change, so stale corpora are rebuilt. */
export const GENERATOR_VERSION = 1;

const HERE = dirname(fileURLToPath(import.meta.url));
export const CORPUS_ROOT = join(HERE, '.corpus');
const STAMP = '.stamp'; // no manifest extension: never scanned
/** The generator's identity: its version and source, so an edit without a version bump still regenerates. */
const GENERATOR_ID = `${GENERATOR_VERSION}:${createHash('sha256').update(readFileSync(fileURLToPath(import.meta.url))).digest('hex').slice(0, 16)}`;

export const SIZES = { '1k': 1_000, '10k': 10_000, '100k': 100_000 };

// ---------------------------------------------------------------------------------------------
// PRNG (mulberry32) and helpers

function makeRng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const r = {
    next,
    /** Integer in [lo, hi]. */
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    pick: (list) => list[Math.floor(next() * list.length)],
    /** Picks from [[weight, value], ...]. */
    weighted: (entries) => {
      const total = entries.reduce((s, [w]) => s + w, 0);
      let x = next() * total;
      for (const [w, v] of entries) {
        if ((x -= w) < 0) return v;
      }
      return entries[entries.length - 1][1];
    },
    /** Up to n distinct items of list. */
    some: (list, n) => {
      const copy = list.slice();
      const out = [];
      while (out.length < n && copy.length > 0) out.push(copy.splice(Math.floor(next() * copy.length), 1)[0]);
      return out;
    },
    hex: (n) => {
      let s = '';
      for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(next() * 16)];
      return s;
    },
    b64: (bytes) => {
      const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
      let s = '';
      const n = Math.ceil(bytes / 3) * 4;
      for (let i = 0; i < n; i++) s += abc[Math.floor(next() * 64)];
      return s;
    },
  };
  return r;
}

// ---------------------------------------------------------------------------------------------
// Vocabulary

const WORDS = [
  'api', 'auth', 'billing', 'cart', 'catalog', 'checkout', 'search', 'gateway', 'orders', 'payments',
  'profile', 'inventory', 'shipping', 'notify', 'reports', 'ledger', 'media', 'session', 'pricing',
  'reviews', 'analytics', 'events', 'scheduler', 'worker', 'ingest', 'export', 'frontend', 'backend',
  'identity', 'audit', 'metrics', 'tracing', 'storage', 'cache', 'queue', 'stream', 'feeds', 'admin',
];
const SUFFIXES = ['', '', '', '-svc', '-api', '-worker', '-web', '-consumer', '-sync', '-v2'];
const TEAMS = ['platform', 'payments', 'growth', 'core', 'data', 'search', 'mobile', 'infra', 'sre', 'security', 'ml', 'commerce'];
const ENVS = ['dev', 'staging', 'prod', 'qa', 'sandbox'];
const CLUSTERS = ['eu-west-1', 'us-east-1', 'us-west-2', 'ap-south-1', 'on-prem'];
const REGISTRIES = ['registry.example.com', 'ghcr.io/example', 'docker.io/library', '123456789012.dkr.ecr.eu-west-1.amazonaws.com', 'quay.io/example'];
const SIDECARS = [
  { name: 'envoy', image: 'envoyproxy/envoy:v1.30.1', port: 15001 },
  { name: 'fluent-bit', image: 'fluent/fluent-bit:3.0.4', port: 2020 },
  { name: 'metrics-exporter', image: 'prom/statsd-exporter:v0.26.1', port: 9102 },
  { name: 'cloudsql-proxy', image: 'gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.11.0', port: 5432 },
  { name: 'oauth2-proxy', image: 'quay.io/oauth2-proxy/oauth2-proxy:v7.6.0', port: 4180 },
];
const ENV_NAMES = [
  'LOG_LEVEL', 'PORT', 'DATABASE_URL', 'DATABASE_PASSWORD', 'REDIS_HOST', 'REDIS_PORT', 'JAVA_OPTS', 'GOMAXPROCS',
  'OTEL_EXPORTER_OTLP_ENDPOINT', 'FEATURE_FLAGS', 'AWS_REGION', 'KAFKA_BROKERS', 'SENTRY_DSN', 'HTTP_TIMEOUT',
  'CACHE_TTL', 'NODE_ENV', 'TZ', 'API_KEY', 'MAX_CONNECTIONS', 'WORKERS', 'POD_NAME', 'POD_NAMESPACE', 'NODE_IP',
];
const CAPS_RISKY = ['NET_ADMIN', 'SYS_ADMIN', 'SYS_PTRACE', 'NET_RAW', 'SYS_MODULE', 'DAC_READ_SEARCH', 'BPF'];
const CAPS_BENIGN = ['NET_BIND_SERVICE', 'CHOWN', 'SETUID', 'SETGID', 'KILL'];
const HOST_PATHS = ['/var/run/docker.sock', '/var/log', '/proc', '/', '/etc', '/var/lib/kubelet', '/run/containerd/containerd.sock', '/sys'];

// Kind mix, percent of objects.
const KIND_WEIGHTS = [
  [35, 'Deployment'], [20, 'Service'], [10, 'ConfigMap'], [6, 'ServiceAccount'], [3, 'Secret'],
  [2, 'Role'], [3, 'RoleBinding'], [1, 'ClusterRole'], [1, 'ClusterRoleBinding'], [4, 'StatefulSet'],
  [2, 'DaemonSet'], [2, 'Job'], [2, 'CronJob'], [2, 'Pod'], [4, 'NetworkPolicy'], [3, 'Ingress'],
];

// ---------------------------------------------------------------------------------------------
// Object generators

class Gen {
  constructor(rng) {
    this.r = rng;
    this.app = null;
    this.appObjects = 0;
    this.serial = 0;
  }

  /** The application context: a few consecutive objects share a namespace, app name and team. */
  context() {
    const r = this.r;
    if (this.app === null || this.appObjects >= this.app.size) {
      const base = `${r.pick(WORDS)}${r.pick(SUFFIXES)}`;
      const team = r.pick(TEAMS);
      const env = r.pick(ENVS);
      this.app = {
        name: base,
        team,
        env,
        cluster: r.pick(CLUSTERS),
        namespace: r.chance(0.15) ? r.pick(['default', 'kube-system', 'monitoring', 'ingress-nginx']) : `${team}-${env}`,
        version: `${r.int(0, 4)}.${r.int(0, 30)}.${r.int(0, 12)}`,
        managedBy: r.pick(['Helm', 'Helm', 'kustomize', 'argocd', 'kubectl']),
        posture: r.weighted([[30, 'hardened'], [45, 'default'], [25, 'risky']]),
        size: r.int(3, 14),
        port: r.pick([8080, 8080, 3000, 8000, 9000, 5000, 80, 443, 8443]),
      };
      this.appObjects = 0;
    }
    this.appObjects++;
    return this.app;
  }

  labels(app, extra = {}) {
    const r = this.r;
    const labels = {
      'app.kubernetes.io/name': app.name,
      'app.kubernetes.io/instance': `${app.name}-${app.env}`,
      'app.kubernetes.io/version': app.version,
      'app.kubernetes.io/part-of': app.team,
      'app.kubernetes.io/managed-by': app.managedBy,
    };
    if (app.managedBy === 'Helm') labels['helm.sh/chart'] = `${app.name}-${app.version}`;
    if (r.chance(0.5)) labels.team = app.team;
    if (r.chance(0.3)) labels.environment = app.env;
    if (r.chance(0.1)) labels['cost-center'] = `cc-${r.int(1000, 9999)}`;
    return { ...labels, ...extra };
  }

  meta(app, name, { namespaced = true, extraLabels = {} } = {}) {
    const r = this.r;
    const m = { name };
    if (namespaced && r.chance(0.92)) m.namespace = app.namespace;
    m.labels = this.labels(app, extraLabels);
    const ann = {};
    if (app.managedBy === 'Helm') {
      ann['meta.helm.sh/release-name'] = `${app.name}-${app.env}`;
      ann['meta.helm.sh/release-namespace'] = app.namespace;
    }
    if (app.managedBy === 'argocd' && r.chance(0.7)) ann['argocd.argoproj.io/sync-wave'] = String(r.int(-2, 5));
    if (r.chance(0.15)) ann['owner'] = `${app.team}@example.com`;
    if (r.chance(0.08)) ann['description'] = `The ${app.name} ${r.pick(['service', 'component', 'workload'])} of the ${app.team} team.`;
    if (Object.keys(ann).length > 0) m.annotations = ann;
    return m;
  }

  image(app, name = app.name) {
    const r = this.r;
    const repo = `${r.pick(REGISTRIES)}/${name}`;
    return r.weighted([
      [70, `${repo}:${app.version}`],
      [12, `${repo}@sha256:${r.hex(64)}`],
      [10, `${repo}:latest`],
      [8, repo],
    ]);
  }

  env(app, n) {
    const r = this.r;
    const out = [];
    for (const name of r.some(ENV_NAMES, n)) {
      const kind = r.weighted([[60, 'value'], [15, 'secret'], [12, 'config'], [13, 'field']]);
      if (kind === 'value') out.push({ name, value: r.pick(['info', 'debug', String(r.int(1, 65535)), 'true', `${app.name}.${app.namespace}.svc.cluster.local`, '-Xmx512m -XX:+UseG1GC', 'UTC']) });
      else if (kind === 'secret') out.push({ name, valueFrom: { secretKeyRef: { name: `${app.name}-secrets`, key: name.toLowerCase().replace(/_/g, '-') } } });
      else if (kind === 'config') out.push({ name, valueFrom: { configMapKeyRef: { name: `${app.name}-config`, key: name.toLowerCase(), optional: r.chance(0.3) } } });
      else out.push({ name, valueFrom: { fieldRef: { fieldPath: r.pick(['metadata.name', 'metadata.namespace', 'status.hostIP', 'status.podIP']) } } });
    }
    return out;
  }

  resources() {
    const r = this.r;
    const res = { requests: { cpu: `${r.pick([50, 100, 250, 500])}m`, memory: `${r.pick([64, 128, 256, 512])}Mi` } };
    if (r.chance(0.7)) res.limits = { cpu: r.pick(['500m', '1', '2']), memory: `${r.pick([256, 512, 1024, 2048])}Mi` };
    if (r.chance(0.05)) res.limits = { ...res.limits, 'ephemeral-storage': '1Gi' };
    return res;
  }

  probe(port) {
    const r = this.r;
    const p = r.weighted([
      [60, { httpGet: { path: r.pick(['/healthz', '/ready', '/live', '/health']), port, scheme: 'HTTP' } }],
      [25, { tcpSocket: { port } }],
      [10, { exec: { command: ['sh', '-c', 'pg_isready -U postgres'] } }],
      [5, { grpc: { port } }],
    ]);
    return { ...structuredClone(p), initialDelaySeconds: r.pick([0, 5, 10, 30]), periodSeconds: r.pick([5, 10, 15]), timeoutSeconds: r.pick([1, 3, 5]), failureThreshold: r.pick([3, 5, 10]) };
  }

  containerSecurity(posture) {
    const r = this.r;
    if (posture === 'hardened') {
      const sc = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] } };
      if (r.chance(0.5)) sc.seccompProfile = { type: 'RuntimeDefault' };
      if (r.chance(0.3)) sc.runAsUser = r.pick([1000, 10001, 65532]);
      if (r.chance(0.1)) sc.capabilities.add = ['NET_BIND_SERVICE'];
      return sc;
    }
    if (posture === 'default') {
      return r.weighted([
        [60, undefined],
        [20, { runAsNonRoot: true }],
        [10, { allowPrivilegeEscalation: false }],
        [10, { readOnlyRootFilesystem: r.chance(0.5), capabilities: { add: [r.pick(CAPS_BENIGN)] } }],
      ]);
    }
    const sc = {};
    const risks = r.some(['privileged', 'caps', 'root', 'escalate', 'unconfined', 'procMount', 'seLinux'], r.int(1, 3));
    for (const risk of risks) {
      if (risk === 'privileged') sc.privileged = true;
      if (risk === 'caps') sc.capabilities = { add: r.some(CAPS_RISKY, r.int(1, 3)) };
      if (risk === 'root') sc.runAsUser = 0;
      if (risk === 'escalate') sc.allowPrivilegeEscalation = true;
      if (risk === 'unconfined') sc.seccompProfile = { type: 'Unconfined' };
      if (risk === 'procMount') sc.procMount = 'Unmasked';
      if (risk === 'seLinux') sc.seLinuxOptions = { type: r.pick(['spc_t', 'container_t']), level: 's0:c123,c456' };
    }
    return sc;
  }

  container(app, { name, image, port, posture, main, volumes }) {
    const r = this.r;
    const c = { name, image };
    if (r.chance(0.6)) c.imagePullPolicy = r.pick(['IfNotPresent', 'Always', 'IfNotPresent']);
    if (r.chance(0.2)) c.command = r.pick([['/app/server'], ['java'], ['python', '-m', 'app'], ['node', 'dist/index.js']]);
    if (r.chance(0.3)) c.args = r.some(['--config=/etc/app/config.yaml', `--port=${port}`, '--log-format=json', '--metrics', '-v=2'], r.int(1, 4));
    if (port !== undefined) {
      c.ports = [{ name: 'http', containerPort: port, protocol: 'TCP' }];
      if (r.chance(0.3)) c.ports.push({ name: 'metrics', containerPort: 9090, protocol: 'TCP' });
      if (posture === 'risky' && r.chance(0.2)) c.ports[0].hostPort = port;
    }
    const nEnv = main ? r.weighted([[20, 0], [50, r.int(1, 6)], [30, r.int(7, 15)]]) : r.int(0, 3);
    if (nEnv > 0) c.env = this.env(app, nEnv);
    if (main && r.chance(0.25)) c.envFrom = [{ configMapRef: { name: `${app.name}-config` } }, ...(r.chance(0.5) ? [{ secretRef: { name: `${app.name}-secrets` } }] : [])];
    if (r.chance(0.8)) c.resources = this.resources();
    if (port !== undefined && r.chance(main ? 0.65 : 0.2)) {
      c.livenessProbe = this.probe(port);
      c.readinessProbe = this.probe(port);
      if (r.chance(0.15)) c.startupProbe = this.probe(port);
    }
    if (main && r.chance(0.05)) c.lifecycle = { preStop: { exec: { command: ['sh', '-c', 'sleep 10'] } } };
    const mounts = [];
    for (const v of volumes) {
      if (r.chance(main ? 0.9 : 0.3)) {
        const m = { name: v.name, mountPath: v.mountPath };
        if (v.readOnly) m.readOnly = true;
        mounts.push(m);
      }
    }
    if (mounts.length > 0) c.volumeMounts = mounts;
    const sc = this.containerSecurity(posture);
    if (sc !== undefined && Object.keys(sc).length > 0) c.securityContext = sc;
    if (r.chance(0.03)) c.tty = true;
    if (main && r.chance(0.05)) c.terminationMessagePolicy = 'FallbackToLogsOnError';
    return c;
  }

  volumes(app, posture, kind) {
    const r = this.r;
    const out = [];
    if (r.chance(0.5)) out.push({ name: 'config', mountPath: '/etc/app', readOnly: true, spec: { configMap: { name: `${app.name}-config`, ...(r.chance(0.2) ? { defaultMode: 420 } : {}) } } });
    if (r.chance(0.3)) out.push({ name: 'secrets', mountPath: '/var/run/secrets/app', readOnly: true, spec: { secret: { secretName: `${app.name}-secrets` } } });
    if (r.chance(0.35)) out.push({ name: 'tmp', mountPath: '/tmp', spec: { emptyDir: r.chance(0.3) ? { medium: 'Memory', sizeLimit: '64Mi' } : {} } });
    if (kind !== 'StatefulSet' && r.chance(0.08)) out.push({ name: 'data', mountPath: '/data', spec: { persistentVolumeClaim: { claimName: `${app.name}-data` } } });
    if (r.chance(0.05)) {
      out.push({
        name: 'token', mountPath: '/var/run/secrets/tokens', readOnly: true,
        spec: { projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600, audience: 'vault' } }, { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }] } },
      });
    }
    const hostPathOdds = posture === 'risky' ? (kind === 'DaemonSet' ? 0.8 : 0.45) : kind === 'DaemonSet' ? 0.3 : 0;
    if (r.chance(hostPathOdds)) {
      for (const [i, path] of r.some(HOST_PATHS, r.int(1, 2)).entries()) {
        out.push({ name: `host-${i}`, mountPath: `/host${path === '/' ? '' : path}`, readOnly: r.chance(0.5), spec: { hostPath: { path, ...(r.chance(0.5) ? { type: r.pick(['Directory', 'Socket', 'DirectoryOrCreate']) } : {}) } } });
      }
    }
    return out;
  }

  podSpec(app, kind) {
    const r = this.r;
    const posture = kind === 'DaemonSet' && app.posture === 'default' && r.chance(0.3) ? 'risky' : app.posture;
    const volumes = this.volumes(app, posture, kind);
    const spec = {};
    if (r.chance(0.75)) spec.serviceAccountName = r.chance(0.85) ? app.name : 'default';
    if (posture === 'hardened' && r.chance(0.6)) spec.automountServiceAccountToken = false;
    if (posture === 'hardened') {
      spec.securityContext = { runAsNonRoot: true, runAsUser: r.pick([1000, 10001, 65532]), runAsGroup: r.pick([1000, 10001, 65532]), fsGroup: r.pick([1000, 2000]), seccompProfile: { type: 'RuntimeDefault' } };
    } else if (posture === 'default' && r.chance(0.3)) {
      spec.securityContext = r.pick([{ fsGroup: 2000 }, { runAsNonRoot: true }, { runAsUser: 1000, fsGroup: 1000 }]);
    } else if (posture === 'risky') {
      for (const risk of r.some(['hostNetwork', 'hostPID', 'hostIPC', 'sysctls', 'rootPod', 'none', 'none'], r.int(1, 2))) {
        if (risk === 'hostNetwork') {
          spec.hostNetwork = true;
          spec.dnsPolicy = 'ClusterFirstWithHostNet';
        }
        if (risk === 'hostPID') spec.hostPID = true;
        if (risk === 'hostIPC') spec.hostIPC = true;
        if (risk === 'sysctls') spec.securityContext = { ...spec.securityContext, sysctls: [{ name: r.pick(['net.core.somaxconn', 'kernel.shm_rmid_forced', 'net.ipv4.ip_unprivileged_port_start']), value: '1024' }] };
        if (risk === 'rootPod') spec.securityContext = { ...spec.securityContext, runAsUser: 0, runAsNonRoot: false };
      }
    }
    const nInit = r.chance(0.2) ? r.int(1, 2) : 0;
    if (nInit > 0) {
      spec.initContainers = [];
      for (let i = 0; i < nInit; i++) {
        const init = this.container(app, { name: r.pick(['init-db', 'migrate', 'wait-for-deps', 'fix-permissions', 'fetch-config']) + (i > 0 ? `-${i}` : ''), image: r.chance(0.5) ? 'busybox:1.36' : this.image(app), port: undefined, posture: r.chance(0.15) ? 'risky' : posture, main: false, volumes });
        if (r.chance(0.5)) init.command = ['sh', '-c', r.pick(['until nc -z db 5432; do sleep 2; done', 'chown -R 1000:1000 /data', 'cp /config/* /etc/app/'])];
        spec.initContainers.push(init);
      }
    }
    const nContainers = r.weighted([[70, 1], [22, 2], [8, 3]]);
    spec.containers = [this.container(app, { name: app.name, image: this.image(app), port: app.port, posture, main: true, volumes })];
    for (const sidecar of r.some(SIDECARS, nContainers - 1)) {
      spec.containers.push(this.container(app, { name: sidecar.name, image: sidecar.image, port: sidecar.port, posture: posture === 'risky' && r.chance(0.5) ? 'default' : posture, main: false, volumes }));
    }
    if (r.chance(0.04)) {
      spec.ephemeralContainers = [{ name: 'debugger', image: 'busybox:1.36', command: ['sh'], stdin: true, tty: true, targetContainerName: app.name, ...(posture === 'risky' ? { securityContext: { privileged: true } } : {}) }];
    }
    if (volumes.length > 0) spec.volumes = volumes.map((v) => ({ name: v.name, ...v.spec }));
    if (r.chance(0.25)) spec.nodeSelector = r.pick([{ 'kubernetes.io/os': 'linux' }, { 'node.kubernetes.io/instance-type': 'm5.xlarge' }, { pool: app.team }]);
    if (r.chance(0.2) || kind === 'DaemonSet') spec.tolerations = [{ key: r.pick(['dedicated', 'node-role.kubernetes.io/control-plane', 'gpu']), operator: r.pick(['Exists', 'Equal']), effect: r.pick(['NoSchedule', 'NoExecute']) }];
    if (r.chance(0.15)) {
      spec.affinity = { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { 'app.kubernetes.io/name': app.name } }, topologyKey: 'kubernetes.io/hostname' } }] } };
    }
    if (r.chance(0.1)) spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { 'app.kubernetes.io/name': app.name } } }];
    if (r.chance(0.3)) spec.terminationGracePeriodSeconds = r.pick([10, 30, 60]);
    if (r.chance(0.1)) spec.priorityClassName = r.pick(['high-priority', 'system-cluster-critical']);
    if (r.chance(0.1)) spec.imagePullSecrets = [{ name: 'regcred' }];
    return spec;
  }

  template(app, kind) {
    const r = this.r;
    const metadata = { labels: { 'app.kubernetes.io/name': app.name, 'app.kubernetes.io/instance': `${app.name}-${app.env}` } };
    const ann = {};
    if (r.chance(0.3)) Object.assign(ann, { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090' });
    if (r.chance(0.2)) ann['checksum/config'] = r.hex(64);
    if (app.posture === 'risky' && r.chance(0.1)) ann[`container.apparmor.security.beta.kubernetes.io/${app.name}`] = 'unconfined';
    if (r.chance(0.05)) ann['sidecar.istio.io/inject'] = 'false';
    if (Object.keys(ann).length > 0) metadata.annotations = ann;
    return { metadata, spec: this.podSpec(app, kind) };
  }

  lastApplied(obj) {
    // kubectl's last-applied annotation: a big JSON string, typical of objects exported from a cluster.
    obj.metadata.annotations = { ...obj.metadata.annotations, 'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify(obj)}\n` };
  }

  object(kind) {
    const r = this.r;
    const app = this.context();
    const id = ++this.serial;
    const uniq = (base) => `${base}-${id.toString(36)}`;
    const selector = { matchLabels: { 'app.kubernetes.io/name': app.name, 'app.kubernetes.io/instance': `${app.name}-${app.env}` } };
    let o;
    switch (kind) {
      case 'Deployment': {
        o = { apiVersion: 'apps/v1', kind, metadata: this.meta(app, uniq(app.name)), spec: { replicas: r.pick([1, 2, 3, 3, 5, 10]), revisionHistoryLimit: r.chance(0.3) ? 5 : undefined, selector, strategy: r.chance(0.4) ? { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } } : undefined, template: this.template(app, kind) } };
        break;
      }
      case 'StatefulSet': {
        o = {
          apiVersion: 'apps/v1', kind, metadata: this.meta(app, uniq(app.name)),
          spec: {
            serviceName: app.name, replicas: r.pick([1, 3, 5]), selector, podManagementPolicy: r.chance(0.3) ? 'Parallel' : undefined, template: this.template(app, kind),
            volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: r.pick(['gp3', 'standard', 'fast-ssd']), resources: { requests: { storage: `${r.pick([1, 10, 50, 100])}Gi` } } } }],
          },
        };
        break;
      }
      case 'DaemonSet':
        o = { apiVersion: 'apps/v1', kind, metadata: this.meta(app, uniq(`${app.name}-agent`)), spec: { selector, updateStrategy: { type: 'RollingUpdate' }, template: this.template(app, kind) } };
        break;
      case 'Job': {
        const t = this.template(app, kind);
        t.spec.restartPolicy = r.pick(['Never', 'OnFailure']);
        o = { apiVersion: 'batch/v1', kind, metadata: this.meta(app, uniq(`${app.name}-migrate`)), spec: { backoffLimit: r.pick([0, 3, 6]), ttlSecondsAfterFinished: r.chance(0.5) ? 3600 : undefined, template: t } };
        break;
      }
      case 'CronJob': {
        const t = this.template(app, kind);
        t.spec.restartPolicy = 'OnFailure';
        o = { apiVersion: 'batch/v1', kind, metadata: this.meta(app, uniq(`${app.name}-cron`)), spec: { schedule: r.pick(['*/5 * * * *', '0 3 * * *', '@hourly', '30 2 * * 0']), concurrencyPolicy: r.pick(['Forbid', 'Allow', 'Replace']), successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1, jobTemplate: { spec: { backoffLimit: 2, template: t } } } };
        break;
      }
      case 'Pod': {
        const t = this.template(app, kind);
        o = { apiVersion: 'v1', kind, metadata: { ...this.meta(app, uniq(`${app.name}-debug`)), labels: { ...this.labels(app), ...t.metadata.labels } }, spec: { restartPolicy: r.pick(['Always', 'Never']), ...t.spec } };
        if (t.metadata.annotations) o.metadata.annotations = { ...o.metadata.annotations, ...t.metadata.annotations };
        break;
      }
      case 'Service': {
        const type = r.weighted([[70, 'ClusterIP'], [12, 'NodePort'], [10, 'LoadBalancer'], [8, 'headless']]);
        const spec = { type: type === 'headless' ? 'ClusterIP' : type };
        if (type === 'headless') spec.clusterIP = 'None';
        spec.selector = { ...selector.matchLabels };
        spec.ports = [{ name: 'http', port: r.pick([80, 443, app.port]), targetPort: r.chance(0.5) ? 'http' : app.port, protocol: 'TCP' }];
        if (r.chance(0.3)) spec.ports.push({ name: 'metrics', port: 9090, targetPort: 9090, protocol: 'TCP' });
        if (type === 'NodePort') spec.ports[0].nodePort = r.int(30000, 32767);
        if (type === 'LoadBalancer' && r.chance(0.5)) spec.loadBalancerSourceRanges = ['10.0.0.0/8'];
        if (r.chance(0.1)) spec.sessionAffinity = 'ClientIP';
        o = { apiVersion: 'v1', kind, metadata: this.meta(app, uniq(app.name)), spec };
        if (type === 'LoadBalancer') o.metadata.annotations = { ...o.metadata.annotations, 'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb', 'service.beta.kubernetes.io/aws-load-balancer-internal': String(r.chance(0.6)) };
        break;
      }
      case 'ConfigMap': {
        const data = {};
        const n = r.int(1, 8);
        for (let i = 0; i < n; i++) {
          const k = r.weighted([[50, 'kv'], [25, 'props'], [15, 'yaml'], [10, 'conf']]);
          if (k === 'kv') data[r.pick(ENV_NAMES).toLowerCase() + (i > 0 ? `_${i}` : '')] = r.pick(['true', 'info', '30s', String(r.int(1, 9999)), `https://${app.name}.example.com`]);
          if (k === 'props') data[`application-${i}.properties`] = `server.port=${app.port}\nspring.datasource.url=jdbc:postgresql://db:5432/${app.name}\nlogging.level.root=INFO\nmanagement.endpoints.web.exposure.include=health,info,prometheus\n`;
          if (k === 'yaml') data[`config-${i}.yaml`] = `server:\n  port: ${app.port}\n  timeout: 30s\nfeatures:\n  - ${r.pick(WORDS)}\n  - ${r.pick(WORDS)}\nlog:\n  level: info\n  format: json\n`;
          if (k === 'conf') data[`nginx-${i}.conf`] = `server {\n  listen ${app.port};\n  location / {\n    proxy_pass http://127.0.0.1:${app.port + 1};\n    proxy_set_header Host $host;\n  }\n}\n`;
        }
        o = { apiVersion: 'v1', kind, metadata: this.meta(app, uniq(`${app.name}-config`)), data };
        break;
      }
      case 'Secret': {
        const type = r.weighted([[60, 'Opaque'], [20, 'kubernetes.io/tls'], [15, 'kubernetes.io/dockerconfigjson'], [5, 'kubernetes.io/service-account-token']]);
        o = { apiVersion: 'v1', kind, metadata: this.meta(app, uniq(`${app.name}-secrets`)), type };
        if (type === 'Opaque') {
          if (r.chance(0.2)) o.stringData = { username: app.name, password: r.b64(12) };
          else o.data = Object.fromEntries(r.some(['database-password', 'api-key', 'jwt-secret', 'redis-password', 'sentry-dsn'], r.int(1, 4)).map((k) => [k, r.b64(r.int(12, 48))]));
        } else if (type === 'kubernetes.io/tls') o.data = { 'tls.crt': r.b64(r.int(600, 1200)), 'tls.key': r.b64(r.int(800, 1200)) };
        else if (type === 'kubernetes.io/dockerconfigjson') o.data = { '.dockerconfigjson': r.b64(r.int(100, 200)) };
        else o.metadata.annotations = { ...o.metadata.annotations, 'kubernetes.io/service-account.name': app.name };
        break;
      }
      case 'ServiceAccount': {
        o = { apiVersion: 'v1', kind, metadata: this.meta(app, uniq(app.name)) };
        if (r.chance(0.2)) o.metadata.annotations = { ...o.metadata.annotations, 'eks.amazonaws.com/role-arn': `arn:aws:iam::123456789012:role/${app.name}` };
        if (app.posture === 'hardened' || r.chance(0.2)) o.automountServiceAccountToken = false;
        if (r.chance(0.1)) o.imagePullSecrets = [{ name: 'regcred' }];
        break;
      }
      case 'Role':
      case 'ClusterRole': {
        const rules = [];
        const n = r.int(1, 5);
        for (let i = 0; i < n; i++) {
          rules.push(r.weighted([
            [40, { apiGroups: [''], resources: r.some(['pods', 'services', 'endpoints', 'configmaps', 'events'], r.int(1, 3)), verbs: ['get', 'list', 'watch'] }],
            [15, { apiGroups: ['apps'], resources: ['deployments', 'replicasets'], verbs: ['get', 'list', 'watch', 'update', 'patch'] }],
            [10, { apiGroups: [''], resources: ['secrets'], verbs: r.pick([['get'], ['get', 'list', 'watch']]) }],
            [8, { apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
            [7, { apiGroups: [''], resources: ['pods/exec', 'pods/attach'], verbs: ['create', 'get'] }],
            [5, { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles', 'rolebindings'], verbs: ['bind', 'escalate'] }],
            [5, { apiGroups: [''], resources: ['users', 'groups', 'serviceaccounts'], verbs: ['impersonate'] }],
            [10, { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'], resourceNames: [`${app.name}-leader`] }],
          ]));
        }
        o = { apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: this.meta(app, uniq(`${app.name}-${kind === 'Role' ? 'role' : 'clusterrole'}`), { namespaced: kind === 'Role' }), rules: structuredClone(rules) };
        break;
      }
      case 'RoleBinding':
      case 'ClusterRoleBinding': {
        const subjects = [{ kind: 'ServiceAccount', name: app.name, namespace: app.namespace }];
        if (r.chance(0.1)) subjects.push({ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: r.pick(['system:authenticated', 'system:serviceaccounts', `${app.team}-admins`]) });
        if (r.chance(0.1)) subjects.push({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: `${app.team}-lead@example.com` });
        const roleKind = kind === 'ClusterRoleBinding' || r.chance(0.3) ? 'ClusterRole' : 'Role';
        o = {
          apiVersion: 'rbac.authorization.k8s.io/v1', kind,
          metadata: this.meta(app, uniq(`${app.name}-binding`), { namespaced: kind === 'RoleBinding' }),
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: r.chance(0.15) ? r.pick(['cluster-admin', 'edit', 'view', 'admin']) : `${app.name}-${roleKind.toLowerCase()}` },
          subjects,
        };
        break;
      }
      case 'NetworkPolicy': {
        const spec = { podSelector: r.chance(0.2) ? {} : { matchLabels: { 'app.kubernetes.io/name': app.name } }, policyTypes: r.pick([['Ingress'], ['Ingress', 'Egress'], ['Egress']]) };
        if (spec.policyTypes.includes('Ingress') && r.chance(0.8)) {
          spec.ingress = [{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': r.pick(WORDS) } } }, { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': r.pick(['ingress-nginx', 'monitoring', app.namespace]) } } }], ports: [{ protocol: 'TCP', port: app.port }] }];
        }
        if (spec.policyTypes.includes('Egress') && r.chance(0.8)) {
          spec.egress = [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.0.5.0/24'] } }], ports: [{ protocol: 'TCP', port: 443 }] }, { to: [{ namespaceSelector: {} , podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }] }];
        }
        o = { apiVersion: 'networking.k8s.io/v1', kind, metadata: this.meta(app, uniq(`${app.name}-netpol`)), spec };
        break;
      }
      case 'Ingress': {
        const host = `${app.name}.${app.env}.example.com`;
        o = {
          apiVersion: 'networking.k8s.io/v1', kind, metadata: this.meta(app, uniq(app.name)),
          spec: {
            ingressClassName: r.pick(['nginx', 'alb', 'traefik']),
            tls: r.chance(0.7) ? [{ hosts: [host], secretName: `${app.name}-tls` }] : undefined,
            rules: [{ host, http: { paths: [{ path: r.pick(['/', '/api', '/v1']), pathType: 'Prefix', backend: { service: { name: app.name, port: { number: 80 } } } }] } }],
          },
        };
        if (r.chance(0.5)) o.metadata.annotations = { ...o.metadata.annotations, 'nginx.ingress.kubernetes.io/proxy-body-size': '8m', 'cert-manager.io/cluster-issuer': 'letsencrypt' };
        if (r.chance(0.03)) o.metadata.annotations = { ...o.metadata.annotations, 'nginx.ingress.kubernetes.io/server-snippet': 'location /internal { deny all; }' };
        break;
      }
      default:
        throw new Error(`unknown kind ${kind}`);
    }
    o = dropUndefined(o);
    if (r.chance(0.04)) this.lastApplied(o);
    return { object: o, app, kind };
  }
}

function dropUndefined(value) {
  if (Array.isArray(value)) return value.map(dropUndefined);
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = dropUndefined(v);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Serialisation

const HEADER_COMMENTS = [
  (e) => `# Source: ${e.app.name}/templates/${e.kind.toLowerCase()}.yaml`,
  (e) => `# ${e.kind} for ${e.app.name} (${e.app.team} team)`,
  () => '# Managed by the platform team. Do not edit by hand.',
  (e) => `# yaml-language-server: $schema=https://kubernetesjsonschema.dev/v1.29.0/${e.kind.toLowerCase()}.json`,
];

/** Dumps one document, with the comments people and tools leave in manifests. */
function documentText(r, entry, style) {
  let text = jsyaml.dump(entry.object, style);
  if (r.chance(0.2)) {
    // Comments before top-level keys (never inside a block scalar, which is always indented).
    text = text.replace(/^(spec|data|rules|subjects|roleRef):/m, (m) => `# ${r.pick(['---- spec ----', 'TODO: review', 'see README', 'generated'])}\n${m}`);
  }
  if (r.chance(0.15)) text = text.replace(/^( +replicas: \d+)$/m, '$1 # scaled by the HPA in prod');
  if (r.chance(0.35)) text = `${r.pick(HEADER_COMMENTS)(entry)}\n${text}`;
  return text;
}

function dumpStyle(r) {
  return r.weighted([
    [60, { lineWidth: 120 }],
    [25, { lineWidth: -1, noArrayIndent: true }], // kubectl / kustomize style lists
    [10, { lineWidth: 80, quotingType: '"' }],
    [5, { lineWidth: -1, forceQuotes: true, quotingType: '"' }],
  ]);
}

function fileText(r, entries, format) {
  if (format === 'list-json' || format === 'list-yaml') {
    const list = { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: entries.map((e) => e.object) };
    return format === 'list-json' ? `${JSON.stringify(list, null, 2)}\n` : `${r.chance(0.5) ? '# kubectl get all -o yaml\n' : ''}${jsyaml.dump(list, { lineWidth: -1 })}`;
  }
  if (format === 'json') return `${JSON.stringify(entries[0].object, null, r.chance(0.8) ? 2 : 0)}\n`;
  const style = dumpStyle(r);
  const leading = r.chance(0.3);
  const parts = entries.map((e, i) => `${i > 0 || leading ? '---\n' : ''}${documentText(r, e, style)}`);
  let text = parts.join('');
  if (r.chance(0.05)) text += '---\n'; // a trailing separator, as `helm template` leaves
  return text;
}

// ---------------------------------------------------------------------------------------------
// Layout and generation

function seedOf(objects) {
  return (0x6d616d6f ^ Math.imul(objects, 2654435761)) >>> 0;
}

/** Generates the corpus into dir: returns { objects, files, documents, bytes, kinds }. */
function generate(dir, objects) {
  const r = makeRng(seedOf(objects));
  const gen = new Gen(r);
  const kinds = {};
  let made = 0;
  let files = 0;
  let documents = 0;
  let bytes = 0;
  let dirPath = null;
  let dirFiles = 0;
  let dirBudget = 0;
  const names = new Set();
  while (made < objects) {
    if (dirPath === null || dirFiles >= dirBudget) {
      const app = gen.context();
      gen.appObjects--; // peeking the context does not consume an object
      const layout = r.weighted([
        [35, ['clusters', app.cluster, app.namespace, app.name]],
        [25, ['apps', app.team, app.name, r.pick(['base', `overlays/${app.env}`])]],
        [20, ['charts', `${app.name}-rendered`, app.env]],
        [10, ['teams', app.team, app.name]],
        [10, ['legacy', `${app.namespace}`]],
      ]);
      dirPath = join(dir, ...layout.flatMap((p) => p.split('/')));
      dirFiles = 0;
      dirBudget = r.int(1, 12);
      mkdirSync(dirPath, { recursive: true });
    }
    const format = r.weighted([[94, 'yaml'], [3, 'json'], [2, 'list-yaml'], [1, 'list-json']]);
    let count;
    if (format === 'json') count = 1;
    else if (format.startsWith('list')) count = r.int(20, 100);
    else count = r.weighted([[45, 1], [30, r.int(2, 10)], [20, r.int(11, 30)], [5, r.int(31, 50)]]);
    count = Math.min(count, objects - made);
    const entries = [];
    for (let i = 0; i < count; i++) {
      const kind = r.weighted(KIND_WEIGHTS);
      entries.push(gen.object(kind));
      kinds[kind] = (kinds[kind] ?? 0) + 1;
    }
    const text = fileText(r, entries, format);
    const first = entries[0];
    const ext = format.endsWith('json') ? '.json' : r.chance(0.2) ? '.yml' : '.yaml';
    let base = format.startsWith('list') ? `${first.app.name}-export` : count === 1 ? `${first.app.name}-${first.kind.toLowerCase()}` : r.pick([first.app.name, 'all', 'resources', `${first.app.name}-bundle`, 'manifest']);
    let file = join(dirPath, base + ext);
    for (let n = 2; names.has(file); n++) file = join(dirPath, `${base}-${n}${ext}`);
    names.add(file);
    writeFileSync(file, text);
    made += count;
    files++;
    documents += format.startsWith('list') ? 1 : count;
    bytes += Buffer.byteLength(text);
    dirFiles++;
  }
  return { objects: made, files, documents, bytes, kinds };
}

// ---------------------------------------------------------------------------------------------
// The `netpol` corpus: one namespace with 10k pod-bearing objects (Pods and Deployments) and 2k
// NetworkPolicies, with varied labels and selectors. Inventory rules that relate objects (which
// pods no policy selects, which policies select nothing) must stay linear on it: a naive
// policies × pods match is 20M selector evaluations.

export const NETPOL = { name: 'netpol', namespace: 'shop-prod', workloads: 10_000, policies: 2_000, apps: 400 };

const TIERS = ['frontend', 'backend', 'api', 'data', 'cache', 'queue', 'batch', 'edge', 'monitoring'];
const COMPONENTS = ['web', 'worker', 'scheduler', 'consumer', 'migrator'];
const VERSIONS = ['v1', 'v2', 'v3', 'v4', 'v5', 'v6'];

/** Picks an index in [0, n), skewed to the low end (a few big apps, a long tail of small ones). */
const skewed = (r, n) => Math.floor(r.next() ** 2 * n);

function netpolApps(r) {
  const apps = [];
  const names = new Set();
  while (apps.length < NETPOL.apps) {
    let name = `${r.pick(WORDS)}${r.pick(SUFFIXES)}`;
    if (names.has(name)) name = `${name}-${r.pick(['eu', 'us', 'b', 'x', 'ng', 'lite', 'pro'])}`;
    if (names.has(name)) continue;
    names.add(name);
    const team = r.pick(TEAMS);
    apps.push({
      name,
      team,
      env: 'prod',
      cluster: 'eu-west-1',
      namespace: NETPOL.namespace,
      version: `${r.int(0, 4)}.${r.int(0, 30)}.${r.int(0, 12)}`,
      managedBy: r.pick(['Helm', 'Helm', 'kustomize', 'argocd']),
      posture: r.weighted([[30, 'hardened'], [50, 'default'], [20, 'risky']]),
      size: Infinity,
      port: r.pick([8080, 8080, 3000, 8000, 9000, 5000, 80, 443, 8443]),
      tier: r.pick(TIERS),
      versions: r.some(VERSIONS, r.int(1, 3)),
      labelled: r.weighted([[85, 'full'], [10, 'no-team'], [5, 'app-only']]),
    });
  }
  return apps;
}

/** The pod labels of one workload of app: app/tier/team/version, and sometimes track/component. */
function podLabels(r, app) {
  const labels = { app: app.name };
  if (app.labelled !== 'app-only') labels.tier = app.tier;
  if (app.labelled === 'full') labels.team = app.team;
  labels.version = r.pick(app.versions);
  const track = r.weighted([[60, 'stable'], [10, 'canary'], [30, undefined]]);
  if (track) labels.track = track;
  if (r.chance(0.3)) labels.component = r.pick(COMPONENTS);
  return labels;
}

/**
 * A pod selector, from the everything-selector `{}` to set-based expressions; some select nothing.
 * Without `broad`, only selectors naming the app (the podSelector of an Ingress policy: so pods of
 * apps without one stay unisolated, and coverage is decided pod by pod).
 */
function netpolSelector(r, app, apps, broad = true) {
  const others = () => r.some(apps, r.int(2, 6)).map((a) => a.name);
  const b = broad ? 1 : 0;
  return r.weighted([
    [6 * b, () => ({})],
    [38, () => ({ matchLabels: { app: app.name } })],
    [8 * b, () => ({ matchLabels: { tier: app.tier } })],
    [8, () => ({ matchLabels: { app: app.name, version: r.pick(app.versions) } })],
    [5 * b, () => ({ matchLabels: { team: app.team, tier: app.tier } })],
    [10, () => ({ matchExpressions: [{ key: 'app', operator: 'In', values: [app.name, ...others()] }] })],
    [6 * b, () => ({ matchExpressions: [{ key: 'tier', operator: 'In', values: r.some(TIERS, r.int(1, 3)) }, { key: 'track', operator: 'NotIn', values: ['canary'] }] })],
    [5 * b, () => ({ matchLabels: { team: app.team }, matchExpressions: [{ key: 'version', operator: 'Exists' }] })],
    [4, () => ({ matchLabels: { app: app.name }, matchExpressions: [{ key: 'component', operator: r.pick(['Exists', 'DoesNotExist']) }] })],
    [4 * b, () => ({ matchExpressions: [{ key: 'team', operator: 'NotIn', values: r.some(TEAMS, r.int(2, 5)) }, { key: 'tier', operator: 'Exists' }] })],
    [6 - 3 * b, () => ({ matchLabels: { app: `${app.name}-legacy` } })], // stale: selects nothing
    [6 - 3 * b, () => ({ matchLabels: { app: app.name, version: 'v0' } })], // stale: selects nothing
    [4 * (1 - b), () => ({ matchLabels: { app: app.name }, matchExpressions: [{ key: 'track', operator: 'NotIn', values: ['canary'] }] })],
  ])();
}

function netpolPolicy(r, app, apps, serial) {
  // No policy selects every pod (or a tier or team) for Ingress: a select-all Ingress policy would
  // isolate the whole namespace at once. Whether a pod is isolated depends on matching it against
  // the app-specific policies, and the pods of apps without one are not.
  const kind = r.weighted([[4, 'deny-egress'], [3, 'allow-dns'], [60, 'ingress'], [18, 'egress'], [15, 'both']]);
  const metadata = { name: `${app.name}-${kind}-${serial.toString(36)}`, namespace: NETPOL.namespace, labels: { team: app.team, 'app.kubernetes.io/managed-by': app.managedBy } };
  if (r.chance(0.3)) metadata.labels.app = app.name;
  if (r.chance(0.1)) metadata.annotations = { description: `Network access of ${app.name} (${app.team} team).` };
  const peer = () => r.weighted([
    [55, () => ({ podSelector: netpolSelector(r, r.pick(apps), apps) })],
    [15, () => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': r.pick(['ingress-nginx', 'monitoring', 'istio-system']) } } })],
    [10, () => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } })],
    [10, () => ({ ipBlock: { cidr: r.pick(['10.0.0.0/8', '172.16.0.0/12', '192.168.10.0/24']), ...(r.chance(0.3) ? { except: ['10.0.5.0/24'] } : {}) } })],
    [10, () => ({ podSelector: {} })],
  ])();
  const ports = () => r.weighted([[70, () => [{ protocol: 'TCP', port: app.port }]], [15, () => [{ protocol: 'TCP', port: app.port }, { protocol: 'TCP', port: 9090 }]], [10, () => [{ protocol: 'TCP', port: 'http' }]], [5, () => undefined]])();
  const rules = (n) => Array.from({ length: n }, () => ({ peers: Array.from({ length: r.int(1, 3) }, peer), ports: ports() }));
  let spec;
  if (kind === 'deny-egress') spec = { podSelector: {}, policyTypes: ['Egress'] };
  else if (kind === 'allow-dns') {
    spec = { podSelector: r.chance(0.5) ? {} : netpolSelector(r, app, apps), policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }] };
  } else {
    spec = { podSelector: netpolSelector(r, app, apps, kind === 'egress'), policyTypes: kind === 'ingress' ? ['Ingress'] : kind === 'egress' ? ['Egress'] : ['Ingress', 'Egress'] };
    if (kind !== 'egress') spec.ingress = r.chance(0.05) ? [{}] : rules(r.int(1, 3)).map((x) => dropUndefined({ from: x.peers, ports: x.ports }));
    if (kind !== 'ingress') spec.egress = rules(r.int(1, 2)).map((x) => dropUndefined({ to: x.peers, ports: x.ports }));
  }
  return { object: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata, spec }, app, kind: 'NetworkPolicy' };
}

/** One Pod or Deployment of app in the namespace, its pods labelled by podLabels. */
function netpolWorkload(r, gen, app, kind) {
  gen.app = app;
  gen.appObjects = 0;
  const entry = gen.object(kind);
  const o = entry.object;
  o.metadata.namespace = NETPOL.namespace;
  const labels = podLabels(r, app);
  if (kind === 'Deployment') {
    o.metadata.name = `${app.name}${labels.component ? `-${labels.component}` : ''}-${labels.version}-${r.hex(4)}`;
    o.spec.selector = { matchLabels: { app: app.name, version: labels.version, ...(labels.component ? { component: labels.component } : {}) } };
    o.spec.template.metadata.labels = { ...o.spec.template.metadata.labels, ...labels };
  } else {
    const hash = r.hex(10);
    o.metadata.name = `${app.name}-${hash}-${r.hex(5)}`;
    o.metadata.labels = { ...o.metadata.labels, ...labels, 'pod-template-hash': hash };
    if (labels.team === undefined) delete o.metadata.labels.team;
    if (r.chance(0.85)) {
      o.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${app.name}-${hash}`, uid: `${r.hex(8)}-${r.hex(4)}-${r.hex(4)}-${r.hex(4)}-${r.hex(12)}`, controller: true, blockOwnerDeletion: true }];
    }
  }
  return entry;
}

/** Generates the netpol corpus into dir: returns { objects, files, documents, bytes, kinds }. */
function generateNetpol(dir) {
  const r = makeRng(0x6e657470);
  const gen = new Gen(r);
  const apps = netpolApps(r);
  const perApp = apps.map(() => ({ workloads: [], policies: [] }));
  for (let i = 0; i < NETPOL.workloads; i++) {
    const a = skewed(r, apps.length);
    perApp[a].workloads.push(netpolWorkload(r, gen, apps[a], r.chance(0.3) ? 'Deployment' : 'Pod'));
  }
  for (let i = 0; i < NETPOL.policies; i++) {
    const a = skewed(r, apps.length);
    perApp[a].policies.push(netpolPolicy(r, apps[a], apps, i + 1));
  }
  const kinds = {};
  let files = 0;
  let documents = 0;
  let bytes = 0;
  const write = (path, entries) => {
    const format = entries.length >= 20 && r.chance(0.04) ? 'list-yaml' : 'yaml';
    const text = fileText(r, entries, format);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    files++;
    documents += format === 'list-yaml' ? 1 : entries.length;
    bytes += Buffer.byteLength(text);
    for (const e of entries) kinds[e.kind] = (kinds[e.kind] ?? 0) + 1;
  };
  /** Writes entries into files of 1–30 documents named base-N.yaml in folder. */
  const chunked = (folder, base, entries) => {
    for (let i = 0, n = 1; i < entries.length; n++) {
      const count = r.weighted([[40, 1], [35, r.int(2, 10)], [25, r.int(11, 30)]]);
      write(join(folder, `${base}-${n}.yaml`), entries.slice(i, i + count));
      i += count;
    }
  };
  apps.forEach((app, a) => {
    const { workloads, policies } = perApp[a];
    const folder = join(dir, 'apps', app.team, app.name);
    if (workloads.length > 0) chunked(folder, 'workloads', workloads);
    if (policies.length > 0) {
      if (r.chance(0.5)) chunked(folder, 'networkpolicies', policies);
      else chunked(join(dir, 'network-policies', app.team), app.name, policies);
    }
  });
  return { objects: NETPOL.workloads + NETPOL.policies, files, documents, bytes, kinds };
}

function readStamp(dir) {
  try {
    return JSON.parse(readFileSync(join(dir, STAMP), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Removes half-written corpora left by interrupted runs (whose process is gone). */
function removeStaleTemps(name) {
  let entries = [];
  try {
    entries = readdirSync(CORPUS_ROOT);
  } catch {
    return;
  }
  for (const entry of entries) {
    const m = /^(.+)\.tmp-(\d+)$/.exec(entry);
    if (m === null || m[1] !== name) continue;
    let alive = false;
    try {
      process.kill(Number(m[2]), 0);
      alive = true;
    } catch (error) {
      alive = error.code === 'EPERM';
    }
    if (!alive) rmSync(join(CORPUS_ROOT, entry), { recursive: true, force: true });
  }
}

/**
 * Returns the corpus of the given size ('1k', '10k', '100k', a number of objects, or 'netpol'), generating
 * it first if it is missing or was made by another generator version.
 */
export function ensureCorpus(size, { log = () => {} } = {}) {
  const netpol = size === NETPOL.name;
  const objects = netpol ? NETPOL.workloads + NETPOL.policies : typeof size === 'number' ? size : SIZES[size];
  if (!Number.isInteger(objects) || objects <= 0) throw new Error(`unknown corpus size ${size}`);
  const name = typeof size === 'number' ? String(size) : size;
  const dir = join(CORPUS_ROOT, name);
  const stamp = readStamp(dir);
  if (stamp?.generator === GENERATOR_ID && stamp.objects === objects) return { dir, ...stamp };
  log(`generating corpus ${name} (${objects.toLocaleString('en-US')} objects) ...`);
  const started = performance.now();
  removeStaleTemps(name);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const stats = netpol ? generateNetpol(tmp) : generate(tmp, objects);
  const out = { version: GENERATOR_VERSION, generator: GENERATOR_ID, ...stats };
  writeFileSync(join(tmp, STAMP), `${JSON.stringify(out, null, 2)}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  log(`  ${stats.files} files, ${(stats.bytes / 1e6).toFixed(1)} MB in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { dir, ...out };
}

/** A small single-Deployment file for start-up measurements. */
export function ensureSmallFile() {
  const dir = join(CORPUS_ROOT, 'startup');
  const file = join(dir, 'deployment.yaml');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const r = makeRng(42);
    const gen = new Gen(r);
    writeFileSync(file, jsyaml.dump(gen.object('Deployment').object));
  }
  return file;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const sizes = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(SIZES);
  for (const size of sizes) {
    const c = ensureCorpus(/^\d+$/.test(size) ? Number(size) : size, { log: (m) => console.log(m) });
    console.log(`${size}: ${c.dir}: ${c.objects} objects, ${c.documents} documents, ${c.files} files, ${(c.bytes / 1e6).toFixed(1)} MB`);
    console.log(`  kinds: ${Object.entries(c.kinds).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${((100 * n) / c.objects).toFixed(1)}%`).join(', ')}`);
  }
}
