/**
 * A fake Kubernetes API server for tests: HTTPS with its own CA, bearer-token auth, discovery,
 * lists with pagination (limit/continue over a consistent snapshot), get, and watches streaming
 * JSON lines (chunked) from a resourceVersion, with 410 Gone for compacted resourceVersions and
 * expired continue tokens. Faults (403, 429 with Retry-After, 500, ...) are injected on demand and
 * every request is logged. The real @kubernetes/client-node talks to it through `kubeconfig()`.
 * SubjectAccessReviews (POST) are validated as the API server does and answered by a test's
 * `answerAccessReviews` function (by default: not allowed, no opinion); their bodies are kept.
 *
 * Objects live in an in-memory store per resource type; `upsert` and `remove` bump the global
 * resourceVersion and notify watchers, as the API server does.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { generateCertificates, type GeneratedCertificates } from '../../src/admission/certs.js';

/** A kind of resource the fake serves. */
export interface ResourceType {
  /** API group; '' for the core group. */
  group: string;
  version: string;
  /** Plural resource name, as in the URL. */
  resource: string;
  kind: string;
  namespaced: boolean;
}

/** The resources served unless others are passed. */
export const DEFAULT_RESOURCES: readonly ResourceType[] = [
  { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false },
  { group: '', version: 'v1', resource: 'nodes', kind: 'Node', namespaced: false },
  { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true },
  { group: '', version: 'v1', resource: 'services', kind: 'Service', namespaced: true },
  { group: '', version: 'v1', resource: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true },
  { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true },
  { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true },
  { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', namespaced: true },
  { group: 'apps', version: 'v1', resource: 'daemonsets', kind: 'DaemonSet', namespaced: true },
  { group: 'apps', version: 'v1', resource: 'statefulsets', kind: 'StatefulSet', namespaced: true },
  { group: 'batch', version: 'v1', resource: 'jobs', kind: 'Job', namespaced: true },
  { group: 'batch', version: 'v1', resource: 'cronjobs', kind: 'CronJob', namespaced: true },
  { group: 'networking.k8s.io', version: 'v1', resource: 'networkpolicies', kind: 'NetworkPolicy', namespaced: true },
  { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'roles', kind: 'Role', namespaced: true },
  { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'rolebindings', kind: 'RoleBinding', namespaced: true },
  { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles', kind: 'ClusterRole', namespaced: false },
  { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: false },
];

/** A Kubernetes object as stored (metadata is filled in by the store). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; resourceVersion?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** One request the fake received. */
export interface RecordedRequest {
  method: string;
  /** The path without the query. */
  path: string;
  query: Record<string, string>;
  watch: boolean;
  /** performance.now() when it arrived. */
  time: number;
  /** The status answered (for watches: the status of the stream's headers). */
  status: number;
  /** Whether the request carried the expected bearer token. */
  authenticated: boolean;
}

/** Which requests a fault applies to. */
export interface RequestMatch {
  /** Exact path, or a pattern. */
  path?: string | RegExp;
  /** Only watches (true) or only non-watch requests (false). */
  watch?: boolean;
  /** Any further condition (for example on the query). */
  when?: (request: RecordedRequest) => boolean;
}

/** An injected failure answer. */
export interface Fault {
  status: number;
  /** Sent as the Retry-After header (seconds) and in the Status details. */
  retryAfterSeconds?: number;
  /** How many matching requests get it (default 1). */
  times?: number;
  /** The Status message (default: one like the API server's for the code). */
  message?: string;
  /** Answer only after this long (a slow or hanging server); the client may give up first. */
  delayMs?: number;
}

/** Where SubjectAccessReviews are created. */
export const SUBJECT_ACCESS_REVIEWS = '/apis/authorization.k8s.io/v1/subjectaccessreviews';

/** The status of a SubjectAccessReview (authorization.k8s.io/v1). */
export interface AccessReviewStatus {
  allowed: boolean;
  denied?: boolean;
  reason?: string;
  evaluationError?: string;
}

/** A test's authorizer: the status for a review's spec, at once or later. */
export type AccessReviewer = (spec: Record<string, unknown>) => AccessReviewStatus | Promise<AccessReviewStatus>;

/** How an expired watch resourceVersion is answered. */
export type GoneStyle = 'event' | 'status';

export interface FakeApiServerOptions {
  /** The bearer token required (default: random). */
  token?: string;
  resources?: readonly ResourceType[];
  /** The first resourceVersion (default 1000). */
  initialResourceVersion?: number;
  /**
   * A watch from a compacted resourceVersion gets: 'event' (default, as the API server does) a
   * 200 stream with one ERROR event holding a 410 Status; 'status' a plain 410 answer.
   */
  goneStyle?: GoneStyle;
  /** Kubernetes version reported by /version (default 1.33.0). */
  gitVersion?: string;
}

interface StoredEvent {
  rv: number;
  key: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
}

interface Watcher {
  key: string;
  namespace: string | undefined;
  selector: (object: KubeObject) => boolean;
  bookmarks: boolean;
  res: ServerResponse;
  timer: NodeJS.Timeout | undefined;
}

interface Snapshot {
  rv: number;
  items: KubeObject[];
}

const STATUS_REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** A Kubernetes Status object. */
export function status(code: number, message: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: STATUS_REASONS[code] ?? 'Unknown', code, ...extra };
}

let sharedCerts: GeneratedCertificates | undefined;
/** One certificate for every fake in a test process (RSA key generation takes a few hundred ms). */
function certificates(): GeneratedCertificates {
  sharedCerts ??= generateCertificates({ commonName: 'fake-apiserver', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'], days: 2, caDays: 2, caCommonName: 'fake-apiserver-ca' });
  return sharedCerts;
}

const typeKey = (t: Pick<ResourceType, 'group' | 'version' | 'resource'>): string => `${t.group}/${t.version}/${t.resource}`;
const objectKey = (namespace: string | undefined, name: string): string => (namespace === undefined ? name : `${namespace}/${name}`);

/** Parses `a=b,c!=d,e,!f` (equality-based label selectors). */
function labelSelector(text: string | undefined): (labels: Record<string, string>) => boolean {
  if (text === undefined || text === '') return () => true;
  const terms = text.split(',').map((t) => t.trim()).filter((t) => t !== '');
  return (labels) =>
    terms.every((term) => {
      const ne = term.indexOf('!=');
      if (ne > 0) return labels[term.slice(0, ne).trim()] !== term.slice(ne + 2).trim();
      const eq = term.indexOf('=');
      if (eq > 0) return labels[term.slice(0, eq).replace(/=$/, '').trim()] === term.slice(eq + 1).replace(/^=/, '').trim();
      if (term.startsWith('!')) return !(term.slice(1) in labels);
      return term in labels;
    });
}

/** Supports `metadata.name=` and `metadata.namespace=` (and `!=`). */
function fieldSelector(text: string | undefined): (object: KubeObject) => boolean {
  if (text === undefined || text === '') return () => true;
  const terms = text.split(',').map((t) => t.trim()).filter((t) => t !== '');
  return (object) =>
    terms.every((term) => {
      const match = /^(metadata\.name|metadata\.namespace)(!=|==|=)(.*)$/.exec(term);
      if (match === null) return false;
      const value = match[1] === 'metadata.name' ? object.metadata.name : (object.metadata.namespace ?? '');
      return match[2] === '!=' ? value !== match[3] : value === match[3];
    });
}

/** A fake Kubernetes API server over HTTPS. Create with `FakeApiServer.start()`. */
export class FakeApiServer {
  readonly token: string;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[] = [];
  /** The bodies of the SubjectAccessReviews received (valid or not), in order. */
  readonly accessReviews: unknown[] = [];
  #reviewer: AccessReviewer = () => ({ allowed: false });
  readonly #server: Server;
  readonly #types: Map<string, ResourceType>;
  readonly #objects = new Map<string, Map<string, KubeObject>>();
  readonly #events: StoredEvent[] = [];
  readonly #watchers = new Set<Watcher>();
  readonly #snapshots = new Map<string, Snapshot>();
  readonly #faults: { match: RequestMatch; fault: Fault; left: number }[] = [];
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #goneStyle: GoneStyle;
  readonly #gitVersion: string;
  #rv: number;
  #muted = false;
  /** Watches from a resourceVersion below this are answered 410 Gone. */
  #compacted: number;
  #port = 0;

  private constructor(options: FakeApiServerOptions) {
    this.token = options.token ?? randomBytes(16).toString('hex');
    this.#types = new Map((options.resources ?? DEFAULT_RESOURCES).map((t) => [typeKey(t), t]));
    for (const key of this.#types.keys()) this.#objects.set(key, new Map());
    this.#rv = options.initialResourceVersion ?? 1000;
    this.#compacted = this.#rv;
    this.#goneStyle = options.goneStyle ?? 'event';
    this.#gitVersion = options.gitVersion ?? 'v1.33.0';
    const certs = certificates();
    this.#server = createServer({ cert: certs.cert, key: certs.key, minVersion: 'TLSv1.2' }, (req, res) => this.#handle(req, res));
    this.#server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  /** Starts a fake on a free loopback port. */
  static async start(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
    const fake = new FakeApiServer(options);
    await new Promise<void>((resolve, reject) => {
      fake.#server.once('error', reject);
      fake.#server.listen(0, '127.0.0.1', () => resolve());
    });
    fake.#port = (fake.#server.address() as AddressInfo).port;
    return fake;
  }

  /** The server URL (https://127.0.0.1:PORT). */
  get url(): string {
    return `https://127.0.0.1:${this.#port}`;
  }

  /** The PEM of the CA that signed the server's certificate. */
  get caPem(): string {
    return certificates().caCert;
  }

  /** The current (latest) resourceVersion. */
  get resourceVersion(): number {
    return this.#rv;
  }

  /** Open watch streams. */
  get watchCount(): number {
    return this.#watchers.size;
  }

  /** A kubeconfig (YAML) for this server: its CA as certificate-authority-data, token auth. */
  kubeconfig(options: { token?: string } = {}): string {
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: fake',
      '  cluster:',
      `    server: ${this.url}`,
      `    certificate-authority-data: ${Buffer.from(this.caPem).toString('base64')}`,
      'users:',
      '- name: fake',
      '  user:',
      `    token: ${options.token ?? this.token}`,
      'contexts:',
      '- name: fake',
      '  context:',
      '    cluster: fake',
      '    user: fake',
      'current-context: fake',
      '',
    ].join('\n');
  }

  /** Writes `kubeconfig()` to DIR/kubeconfig and returns its path. */
  writeKubeconfig(dir: string, options: { token?: string } = {}): string {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'kubeconfig');
    writeFileSync(path, this.kubeconfig(options), { mode: 0o600 });
    return path;
  }

  /**
   * Writes the in-cluster service account files (token, ca.crt, namespace) under PREFIX as
   * `KubeConfig.loadFromCluster(PREFIX)` reads them, and returns the environment a pod would have.
   */
  writeInClusterFiles(prefix: string, namespace = 'default'): { KUBERNETES_SERVICE_HOST: string; KUBERNETES_SERVICE_PORT: string } {
    const dir = join(prefix, 'var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'token'), this.token, { mode: 0o600 });
    writeFileSync(join(dir, 'ca.crt'), this.caPem);
    writeFileSync(join(dir, 'namespace'), namespace);
    return { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(this.#port) };
  }

  /** Adds a resource type (for discovery, lists, gets and watches). */
  addResourceType(type: ResourceType): void {
    const key = typeKey(type);
    this.#types.set(key, type);
    if (!this.#objects.has(key)) this.#objects.set(key, new Map());
  }

  #type(resource: string): ResourceType {
    const matches = [...this.#types.values()].filter((t) => t.resource === resource || typeKey(t) === resource);
    if (matches.length !== 1) throw new Error(`fake-apiserver: ${matches.length === 0 ? 'unknown' : 'ambiguous'} resource ${resource}; add it or use group/version/resource`);
    return matches[0] as ResourceType;
  }

  /**
   * Creates or replaces an object of a resource ('namespaces', 'pods', or 'apps/v1/deployments'),
   * stamping apiVersion, kind, uid and a new resourceVersion; notifies watchers (ADDED or MODIFIED).
   * Returns the stored copy.
   */
  upsert(resource: string, object: KubeObject): KubeObject {
    const type = this.#type(resource);
    const key = typeKey(type);
    const store = this.#objects.get(key) as Map<string, KubeObject>;
    const namespace = type.namespaced ? (object.metadata.namespace ?? 'default') : undefined;
    const id = objectKey(namespace, object.metadata.name);
    const previous = store.get(id);
    this.#rv++;
    const stored: KubeObject = structuredClone({
      ...object,
      apiVersion: type.group === '' ? type.version : `${type.group}/${type.version}`,
      kind: type.kind,
      metadata: {
        ...object.metadata,
        ...(namespace === undefined ? {} : { namespace }),
        uid: previous?.metadata['uid'] ?? `${randomBytes(4).toString('hex')}-0000-4000-8000-${randomBytes(6).toString('hex')}`,
        creationTimestamp: previous?.metadata['creationTimestamp'] ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        resourceVersion: String(this.#rv),
      },
    });
    store.set(id, stored);
    this.#emit({ rv: this.#rv, key, type: previous === undefined ? 'ADDED' : 'MODIFIED', object: stored });
    return stored;
  }

  /** Adds many objects (one resourceVersion each). */
  upsertAll(resource: string, objects: readonly KubeObject[]): void {
    for (const object of objects) this.upsert(resource, object);
  }

  /** Deletes an object; notifies watchers (DELETED). Returns whether it existed. */
  remove(resource: string, name: string, namespace?: string): boolean {
    const type = this.#type(resource);
    const key = typeKey(type);
    const store = this.#objects.get(key) as Map<string, KubeObject>;
    const id = objectKey(type.namespaced ? (namespace ?? 'default') : undefined, name);
    const previous = store.get(id);
    if (previous === undefined) return false;
    store.delete(id);
    this.#rv++;
    const deleted = structuredClone({ ...previous, metadata: { ...previous.metadata, resourceVersion: String(this.#rv) } });
    this.#emit({ rv: this.#rv, key, type: 'DELETED', object: deleted });
    return true;
  }

  /** The stored objects of a resource, sorted by namespace and name. */
  objects(resource: string): KubeObject[] {
    const store = this.#objects.get(typeKey(this.#type(resource))) as Map<string, KubeObject>;
    return [...store.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, o]) => structuredClone(o));
  }

  /**
   * Forgets the event history up to now, as etcd compaction does: a watch from an older
   * resourceVersion gets 410 Gone, and continue tokens of older lists expire.
   */
  compact(): void {
    this.#compacted = this.#rv;
    this.#events.length = 0;
    for (const [id, snapshot] of this.#snapshots) if (snapshot.rv < this.#compacted) this.#snapshots.delete(id);
  }

  /** Makes every outstanding continue token expire (410 on the next page). */
  expireContinueTokens(): void {
    this.#snapshots.clear();
  }

  /** Sends a BOOKMARK at the current resourceVersion to the watchers of a resource that asked for bookmarks. */
  bookmark(resource: string): void {
    const type = this.#type(resource);
    const apiVersion = type.group === '' ? type.version : `${type.group}/${type.version}`;
    for (const watcher of this.#watchers) {
      if (watcher.key !== typeKey(type) || !watcher.bookmarks) continue;
      this.#write(watcher, { type: 'BOOKMARK', object: { kind: type.kind, apiVersion, metadata: { resourceVersion: String(this.#rv) } } });
    }
  }

  /** Sends raw text to every watch stream of a resource (for malformed-input tests). */
  sendRaw(resource: string, text: string): void {
    const key = typeKey(this.#type(resource));
    for (const watcher of this.#watchers) if (watcher.key === key) watcher.res.write(text);
  }

  /** Sends an ERROR event with a Status to every watch of a resource, then ends those streams. */
  sendWatchError(resource: string, code: number, message = code === 410 ? `too old resource version: ${this.#compacted - 1} (${this.#compacted})` : 'watch failed'): void {
    const key = typeKey(this.#type(resource));
    for (const watcher of [...this.#watchers]) {
      if (watcher.key !== key) continue;
      this.#write(watcher, { type: 'ERROR', object: status(code, message) });
      this.#endWatch(watcher);
    }
  }

  /**
   * While muted, changes are recorded (a later watch from an older resourceVersion replays them)
   * but not sent to open watch streams: a stream that silently lost its events.
   */
  muteWatches(muted: boolean): void {
    this.#muted = muted;
  }

  /** Ends every watch stream (as the server's timeoutSeconds does). */
  closeWatches(): void {
    for (const watcher of [...this.#watchers]) this.#endWatch(watcher);
  }

  /** Decides the SubjectAccessReviews from now on (the default answers every one not allowed). */
  answerAccessReviews(reviewer: AccessReviewer): void {
    this.#reviewer = reviewer;
  }

  /** Answers the next matching request(s) with a failure. */
  fail(match: RequestMatch, fault: Fault): void {
    this.#faults.push({ match, fault, left: fault.times ?? 1 });
  }

  /** Requests matching a filter. */
  requestsMatching(match: RequestMatch): RecordedRequest[] {
    return this.requests.filter((r) => FakeApiServer.#matches(match, r));
  }

  /** Resolves once `count` requests match (default 1); rejects after `timeoutMs`. */
  async waitForRequests(match: RequestMatch, count = 1, timeoutMs = 10_000): Promise<RecordedRequest[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.requestsMatching(match);
      if (found.length >= count) return found;
      if (Date.now() > deadline) throw new Error(`fake-apiserver: ${found.length} of ${count} requests matching ${String(match.path)} (watch ${String(match.watch)}) after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Stops the server, ending watches and connections. */
  async close(): Promise<void> {
    this.closeWatches();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      for (const socket of this.#sockets) socket.destroy();
    });
  }

  static #matches(match: RequestMatch, request: RecordedRequest): boolean {
    if (match.watch !== undefined && match.watch !== request.watch) return false;
    if (match.when !== undefined && !match.when(request)) return false;
    if (match.path === undefined) return true;
    return typeof match.path === 'string' ? match.path === request.path : match.path.test(request.path);
  }

  #emit(event: StoredEvent): void {
    this.#events.push(event);
    if (this.#muted) return;
    for (const watcher of this.#watchers) {
      if (watcher.key !== event.key) continue;
      if (watcher.namespace !== undefined && event.object.metadata.namespace !== watcher.namespace) continue;
      if (!watcher.selector(event.object)) continue;
      this.#write(watcher, { type: event.type, object: event.object });
    }
  }

  #write(watcher: Watcher, event: unknown): void {
    if (!watcher.res.writableEnded) watcher.res.write(`${JSON.stringify(event)}\n`);
  }

  #endWatch(watcher: Watcher): void {
    clearTimeout(watcher.timer);
    this.#watchers.delete(watcher);
    if (!watcher.res.writableEnded) watcher.res.end();
  }

  #send(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'https://fake');
    const query = Object.fromEntries(url.searchParams.entries());
    const watch = query['watch'] === 'true' || query['watch'] === '1';
    const authenticated = req.headers.authorization === `Bearer ${this.token}`;
    const record: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query, watch, time: performance.now(), status: 0, authenticated };
    this.requests.push(record);
    const send = (code: number, body: unknown, headers: Record<string, string> = {}): void => {
      record.status = code;
      this.#send(res, code, body, headers);
    };
    const accessReview = record.method === 'POST' && url.pathname === SUBJECT_ACCESS_REVIEWS;
    if (!accessReview) req.resume();

    if (!authenticated) {
      req.resume();
      send(401, status(401, 'Unauthorized'));
      return;
    }
    const fault = this.#faults.find((f) => f.left > 0 && FakeApiServer.#matches(f.match, record));
    if (fault !== undefined) {
      req.resume();
      fault.left--;
      const { fault: f } = fault;
      const headers: Record<string, string> = f.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(f.retryAfterSeconds) };
      const details = f.retryAfterSeconds === undefined ? {} : { details: { retryAfterSeconds: f.retryAfterSeconds } };
      const answer = (): void => {
        if (!res.destroyed) send(f.status, status(f.status, f.message ?? this.#defaultMessage(f.status, url.pathname), details), headers);
      };
      if (f.delayMs === undefined) {
        answer();
      } else {
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          answer();
        }, f.delayMs);
        this.#timers.add(timer);
      }
      return;
    }
    if (accessReview) {
      this.#accessReview(req, res, send);
      return;
    }
    if (record.method !== 'GET') {
      send(405, status(405, `the fake API server only serves GET and POST ${SUBJECT_ACCESS_REVIEWS} (got ${record.method})`));
      return;
    }
    const path = url.pathname.replace(/\/+$/, '');
    if (path === '/version') {
      const [major, minor] = this.#gitVersion.replace(/^v/, '').split('.');
      send(200, { major, minor, gitVersion: this.#gitVersion, platform: 'linux/amd64' });
      return;
    }
    if (path === '/api') {
      send(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${this.#port}` }] });
      return;
    }
    if (path === '/apis') {
      send(200, { kind: 'APIGroupList', apiVersion: 'v1', groups: this.#groups() });
      return;
    }
    const segments = path.split('/').filter((s) => s !== '').map(decodeURIComponent);
    let group: string;
    let version: string;
    let rest: string[];
    if (segments[0] === 'api' && segments.length >= 2) {
      group = '';
      version = segments[1] as string;
      rest = segments.slice(2);
    } else if (segments[0] === 'apis' && segments.length >= 2) {
      group = segments[1] as string;
      if (segments.length === 2) {
        const found = this.#groups().find((g) => g.name === group);
        if (found === undefined) send(404, status(404, 'the server could not find the requested resource'));
        else send(200, { kind: 'APIGroup', apiVersion: 'v1', ...found });
        return;
      }
      version = segments[2] as string;
      rest = segments.slice(3);
    } else {
      send(404, status(404, 'the server could not find the requested resource'));
      return;
    }
    if (rest.length === 0) {
      const resources = [...this.#types.values()].filter((t) => t.group === group && t.version === version);
      if (resources.length === 0) {
        send(404, status(404, 'the server could not find the requested resource'));
        return;
      }
      send(200, {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: group === '' ? version : `${group}/${version}`,
        resources: resources.map((t) => ({
          name: t.resource,
          singularName: t.kind.toLowerCase(),
          namespaced: t.namespaced,
          kind: t.kind,
          verbs: ['get', 'list', 'watch'],
        })),
      });
      return;
    }
    // namespaces/NS/RESOURCE[/NAME] is namespaced; RESOURCE[/NAME] otherwise.
    let namespace: string | undefined;
    let resource: string;
    let name: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      resource = rest[2] as string;
      name = rest[3];
      if (rest.length > 4) {
        send(404, status(404, 'subresources are not served by the fake API server'));
        return;
      }
    } else {
      resource = rest[0] as string;
      name = rest[1];
      if (rest.length > 2) {
        send(404, status(404, 'subresources are not served by the fake API server'));
        return;
      }
    }
    const type = this.#types.get(`${group}/${version}/${resource}`);
    if (type === undefined || (namespace !== undefined && !type.namespaced)) {
      send(404, status(404, 'the server could not find the requested resource'));
      return;
    }
    const key = typeKey(type);
    const store = this.#objects.get(key) as Map<string, KubeObject>;
    if (name !== undefined) {
      if (type.namespaced && namespace === undefined) {
        send(404, status(404, 'the server could not find the requested resource'));
        return;
      }
      const object = store.get(objectKey(namespace, name));
      if (object === undefined) send(404, status(404, `${resource} "${name}" not found`, { details: { name, kind: resource } }));
      else send(200, object);
      return;
    }
    const labels = labelSelector(query['labelSelector']);
    const fields = fieldSelector(query['fieldSelector']);
    const selector = (object: KubeObject): boolean => labels(object.metadata.labels ?? {}) && fields(object);
    const inScope = (object: KubeObject): boolean => namespace === undefined || object.metadata.namespace === namespace;

    if (watch) {
      this.#watch(res, record, { key, type, namespace, selector, inScope, query });
      return;
    }

    // A list: the first page takes a snapshot that later pages (continue tokens) are served from.
    let snapshot: Snapshot;
    let offset = 0;
    let snapshotId: string;
    const token = query['continue'];
    if (token !== undefined && token !== '') {
      let decoded: { s?: unknown; o?: unknown };
      try {
        decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { s?: unknown; o?: unknown };
      } catch {
        send(400, status(400, 'continue key is not valid: illegal base64 data'));
        return;
      }
      const found = typeof decoded.s === 'string' ? this.#snapshots.get(decoded.s) : undefined;
      if (found === undefined || typeof decoded.o !== 'number') {
        send(410, status(410, 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue value from this response to get a paginated list.'));
        return;
      }
      snapshot = found;
      snapshotId = decoded.s as string;
      offset = decoded.o;
    } else {
      const items = [...store.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([, o]) => o)
        .filter((o) => inScope(o) && selector(o))
        .map((o) => structuredClone(o));
      snapshot = { rv: this.#rv, items };
      snapshotId = randomBytes(8).toString('hex');
    }
    const limit = Number(query['limit'] ?? '0');
    const end = Number.isInteger(limit) && limit > 0 ? Math.min(offset + limit, snapshot.items.length) : snapshot.items.length;
    const metadata: Record<string, unknown> = { resourceVersion: String(snapshot.rv) };
    if (end < snapshot.items.length) {
      this.#snapshots.set(snapshotId, snapshot);
      metadata['continue'] = Buffer.from(JSON.stringify({ s: snapshotId, o: end })).toString('base64url');
      metadata['remainingItemCount'] = snapshot.items.length - end;
    }
    send(200, {
      kind: `${type.kind}List`,
      apiVersion: type.group === '' ? type.version : `${type.group}/${type.version}`,
      metadata,
      items: snapshot.items.slice(offset, end),
    });
  }

  /**
   * POST subjectaccessreviews: the body is checked as the API server validates a
   * SubjectAccessReview (400 for a body that is not one, 422 for an invalid spec), then the
   * status comes from the test's reviewer; the answer is 201 Created with spec and status.
   */
  #accessReview(req: IncomingMessage, res: ServerResponse, send: (code: number, body: unknown) => void): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
      } catch {
        send(400, status(400, 'the body of the request was in an unknown format'));
        return;
      }
      this.accessReviews.push(body);
      const review = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {};
      if (review['apiVersion'] !== 'authorization.k8s.io/v1' || review['kind'] !== 'SubjectAccessReview') {
        send(400, status(400, `the body is not an authorization.k8s.io/v1 SubjectAccessReview (got ${JSON.stringify(review['apiVersion'] ?? null)} ${JSON.stringify(review['kind'] ?? null)})`));
        return;
      }
      const spec = review['spec'] !== null && typeof review['spec'] === 'object' ? (review['spec'] as Record<string, unknown>) : {};
      const invalid = (message: string): void => send(422, status(422, `SubjectAccessReview.authorization.k8s.io "" is invalid: ${message}`, { reason: 'Invalid' }));
      const hasResource = spec['resourceAttributes'] !== undefined && spec['resourceAttributes'] !== null;
      const hasPath = spec['nonResourceAttributes'] !== undefined && spec['nonResourceAttributes'] !== null;
      if (hasResource && hasPath) return invalid('spec.nonResourceAttributes: Invalid value: "": cannot be specified in combination with resourceAttributes');
      if (!hasResource && !hasPath) return invalid('spec.resourceAttributes: Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified');
      const groups = Array.isArray(spec['groups']) ? spec['groups'] : [];
      if ((typeof spec['user'] !== 'string' || spec['user'] === '') && groups.length === 0) return invalid('spec.user: Invalid value: "": at least one of user or group must be specified');
      Promise.resolve()
        .then(() => this.#reviewer(spec))
        .then(
          (answer) => {
            if (!res.destroyed) send(201, { kind: 'SubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: {}, spec, status: answer });
          },
          (error: unknown) => {
            if (!res.destroyed) send(500, status(500, `the test's reviewer failed: ${(error as Error).message}`));
          },
        );
      return undefined;
    });
  }

  #watch(
    res: ServerResponse,
    record: RecordedRequest,
    scope: { key: string; type: ResourceType; namespace: string | undefined; selector: (o: KubeObject) => boolean; inScope: (o: KubeObject) => boolean; query: Record<string, string> },
  ): void {
    const { key, namespace, selector, inScope, query } = scope;
    const from = query['resourceVersion'];
    const rv = from === undefined || from === '' || from === '0' ? undefined : Number(from);
    if (rv !== undefined && !Number.isSafeInteger(rv)) {
      record.status = 400;
      this.#send(res, 400, status(400, `resourceVersion: Invalid value: ${JSON.stringify(from)}`));
      return;
    }
    const gone = rv !== undefined && rv < this.#compacted;
    if (gone && this.#goneStyle === 'status') {
      record.status = 410;
      this.#send(res, 410, status(410, `too old resource version: ${rv} (${this.#compacted})`));
      return;
    }
    record.status = 200;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    const watcher: Watcher = { key, namespace, selector, bookmarks: query['allowWatchBookmarks'] === 'true', res, timer: undefined };
    if (gone) {
      this.#write(watcher, { type: 'ERROR', object: status(410, `too old resource version: ${rv} (${this.#compacted})`) });
      res.end();
      return;
    }
    if (rv === undefined) {
      // "Any" resourceVersion: the current state as ADDED events, then changes.
      const store = this.#objects.get(key) as Map<string, KubeObject>;
      for (const object of store.values()) if (inScope(object) && selector(object)) this.#write(watcher, { type: 'ADDED', object });
    } else {
      for (const event of this.#events) {
        if (event.rv > rv && event.key === key && inScope(event.object) && selector(event.object)) this.#write(watcher, { type: event.type, object: event.object });
      }
    }
    const timeout = Number(query['timeoutSeconds'] ?? '0');
    if (Number.isFinite(timeout) && timeout > 0) watcher.timer = setTimeout(() => this.#endWatch(watcher), timeout * 1000);
    this.#watchers.add(watcher);
    const drop = (): void => {
      clearTimeout(watcher.timer);
      this.#watchers.delete(watcher);
    };
    res.on('close', drop);
  }

  #groups(): { name: string; versions: { groupVersion: string; version: string }[]; preferredVersion: { groupVersion: string; version: string } }[] {
    const groups = new Map<string, Set<string>>();
    for (const t of this.#types.values()) {
      if (t.group === '') continue;
      const versions = groups.get(t.group) ?? new Set<string>();
      versions.add(t.version);
      groups.set(t.group, versions);
    }
    return [...groups.entries()].map(([name, versions]) => {
      const list = [...versions].map((version) => ({ groupVersion: `${name}/${version}`, version }));
      return { name, versions: list, preferredVersion: list[0] as { groupVersion: string; version: string } };
    });
  }

  #defaultMessage(code: number, path: string): string {
    const resource = path.split('/').filter((s) => s !== '').pop() ?? '';
    if (code === 403) return `${resource} is forbidden: User "system:serviceaccount:mamori-system:mamori-webhook" cannot list resource "${resource}" in API group "" at the cluster scope`;
    if (code === 429) return 'Too many requests, please try again later.';
    if (code === 500) return 'Internal error occurred: etcdserver: request timed out';
    return STATUS_REASONS[code] ?? `HTTP ${code}`;
  }
}
