/**
 * Namespace labels for the admission webhook. The API server sends webhooks no namespace object, so
 * the per-namespace modes (`mamori.io/enforce`, `pod-security.kubernetes.io/enforce`, ...) come from
 * a cache: `NamespaceLabelCache` lists and watches namespaces in a cluster; `StaticNamespaceLabels`
 * is a fixed map, for tests and for running outside a cluster.
 *
 * `@kubernetes/client-node` takes about half a second to import, so it is loaded only when a cache
 * is started (`StaticNamespaceLabels` never loads it).
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig, Observable, RequestContext, ResponseContext, V1NamespaceList } from '@kubernetes/client-node';
import { MamoriError } from '../errors.js';
import type { NamespaceLabels } from './types.js';

export type { NamespaceLabels } from './types.js';

type Labels = Readonly<Record<string, string>>;

/**
 * A frozen copy of a label map with a null prototype (so no inherited key such as `constructor`
 * reads as a label), keeping only string values.
 */
export function frozenLabels(raw: unknown): Labels {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    for (const [key, value] of Object.entries(raw)) if (typeof value === 'string') out[key] = value;
  }
  return Object.freeze(out);
}

function namespaceName(object: unknown): string | undefined {
  if (object === null || typeof object !== 'object') return undefined;
  const metadata = (object as { metadata?: unknown }).metadata;
  if (metadata === null || typeof metadata !== 'object') return undefined;
  const name = (metadata as { name?: unknown }).name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

function metadataField(object: unknown, field: 'labels' | 'resourceVersion'): unknown {
  if (object === null || typeof object !== 'object') return undefined;
  const metadata = (object as { metadata?: unknown }).metadata;
  if (metadata === null || typeof metadata !== 'object') return undefined;
  return (metadata as Record<string, unknown>)[field];
}

/** Namespace labels from a fixed map (always synced). */
export class StaticNamespaceLabels implements NamespaceLabels {
  readonly synced = true;
  readonly #labels: ReadonlyMap<string, Labels>;

  /** From a map or a plain object of namespace name to labels. */
  constructor(labels: ReadonlyMap<string, Readonly<Record<string, string>>> | Readonly<Record<string, Readonly<Record<string, string>>>> = new Map()) {
    const entries = labels instanceof Map ? [...labels.entries()] : Object.entries(labels);
    this.#labels = new Map(entries.map(([name, value]) => [name, frozenLabels(value)]));
  }

  /**
   * From Namespace objects (for example loaded from manifests); other kinds are ignored. The
   * `kubernetes.io/metadata.name` label the API server sets on every namespace is added when absent.
   */
  static fromNamespaces(objects: Iterable<unknown>): StaticNamespaceLabels {
    const map = new Map<string, Record<string, string>>();
    for (const object of objects) {
      if (object === null || typeof object !== 'object' || (object as { kind?: unknown }).kind !== 'Namespace') continue;
      const name = namespaceName(object);
      if (name === undefined) continue;
      map.set(name, { 'kubernetes.io/metadata.name': name, ...frozenLabels(metadataField(object, 'labels')) });
    }
    return new StaticNamespaceLabels(map);
  }

  labels(namespace: string): Labels | undefined {
    return this.#labels.get(namespace);
  }

  /** The namespaces known, sorted. */
  names(): string[] {
    return [...this.#labels.keys()].sort();
  }
}

/** Where the cache's connection comes from. */
export interface KubeConfigSource {
  /** A kubeconfig file; without it: in-cluster (KUBERNETES_SERVICE_HOST), else $KUBECONFIG or ~/.kube/config. */
  kubeconfig?: string | undefined;
  /** A context of the kubeconfig (default: its current context). */
  context?: string | undefined;
  /** Prefix of the in-cluster service account files (tests); default none. */
  inClusterPathPrefix?: string | undefined;
}

/**
 * Loads a KubeConfig: from `kubeconfig` if given; else in-cluster (the pod's service account) when
 * KUBERNETES_SERVICE_HOST is set; else $KUBECONFIG or ~/.kube/config. Throws a usage error when
 * there is none, rather than falling back to http://localhost:8080 as the client library would.
 */
export async function loadKubeConfig(source: KubeConfigSource = {}): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  try {
    if (source.kubeconfig !== undefined) {
      kc.loadFromFile(source.kubeconfig);
    } else if (process.env['KUBERNETES_SERVICE_HOST'] !== undefined && process.env['KUBERNETES_SERVICE_HOST'] !== '') {
      kc.loadFromCluster(source.inClusterPathPrefix);
    } else if ((process.env['KUBECONFIG'] ?? '') !== '' || existsSync(join(homedir(), '.kube', 'config'))) {
      kc.loadFromDefault();
    } else {
      throw new MamoriError('usage', 'no cluster to watch namespaces in: not running in a pod, and no --kubeconfig, $KUBECONFIG or ~/.kube/config');
    }
  } catch (error) {
    if (error instanceof MamoriError) throw error;
    const where = source.kubeconfig !== undefined ? { file: source.kubeconfig } : {};
    throw new MamoriError('config', `cannot load the kubeconfig: ${(error as Error).message}`, { ...where, cause: error });
  }
  if (source.context !== undefined) {
    if (kc.getContextObject(source.context) === null) throw new MamoriError('usage', `the kubeconfig has no context ${JSON.stringify(source.context)}`);
    kc.setCurrentContext(source.context);
  }
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new MamoriError('config', 'the kubeconfig has no current cluster');
  if (cluster.server.startsWith('http:') && cluster.skipTLSVerify !== true) {
    throw new MamoriError('config', `the cluster server ${cluster.server} is plain HTTP; use https`);
  }
  return kc;
}

/** One log entry of the cache; `fields` never hold credentials. */
export type NamespaceCacheLog = (level: 'info' | 'warn' | 'error', message: string, fields?: Readonly<Record<string, unknown>>) => void;

/** The default log: one JSON line on stderr. */
export const stderrLog: NamespaceCacheLog = (level, message, fields = {}) => {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, component: 'namespace-cache', msg: message, ...fields })}\n`);
};

/** Options of `NamespaceLabelCache`. */
export interface NamespaceLabelCacheOptions {
  /** The connection (see `loadKubeConfig`). */
  kubeConfig: KubeConfig;
  /** Namespaces per list page (default 500, as client-go's reflector). */
  pageSize?: number | undefined;
  /** Time budget of one list page, and of a watch request until its response headers (default 30 s). */
  requestTimeoutMs?: number | undefined;
  /**
   * Server-side length of one watch (`timeoutSeconds`); default a random value in [300, 600) s,
   * as client-go does, so many replicas do not reconnect at the same moment.
   */
  watchTimeoutSeconds?: number | undefined;
  /** First retry delay after an error, doubling up to `backoffMaxMs` (defaults 800 ms and 30 s), with jitter. */
  backoffInitialMs?: number | undefined;
  backoffMaxMs?: number | undefined;
  /** Longest Retry-After honoured (default 300 s); a longer one is shortened to this. */
  maxRetryAfterMs?: number | undefined;
  /** Where to log (default: JSON lines on stderr). */
  log?: NamespaceCacheLog | undefined;
  /** Source of randomness for jitter, in [0, 1) (default Math.random). */
  random?: (() => number) | undefined;
}

/** The longest watch event line accepted (etcd's object size limit is 1.5 MiB). */
const MAX_EVENT_BYTES = 4 * 1024 * 1024;
/** The most of an error body read (for its message). */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** A failed request, as the cache classifies it. */
class RequestFailure extends Error {
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, status?: number, retryAfterMs?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RequestFailure';
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

/** Retry-After as seconds or an HTTP date, in milliseconds; undefined when absent or malformed. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^[0-9]{1,9}$/.test(text)) return Number(text) * 1000;
  // An HTTP date names its weekday or month; Date.parse alone would read "-1" as a year.
  if (!/[a-z]{3}/i.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The `message` of a Kubernetes Status body (an object or its JSON text), if it is one. */
export function statusMessage(body: unknown): string | undefined {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body) as unknown;
    } catch {
      return body.trim() === '' ? undefined : body.slice(0, 300);
    }
  }
  if (value !== null && typeof value === 'object') {
    const message = (value as { message?: unknown }).message;
    if (typeof message === 'string') return message.slice(0, 500);
  }
  return undefined;
}

type WatchOutcome = { kind: 'gone' } | { kind: 'closed'; progressed: boolean; ms: number } | { kind: 'stopped' };

/**
 * The labels of every namespace of a cluster, kept current by a list and a watch (as client-go's
 * reflector): the first complete list (paginated) marks it synced; the watch resumes from the last
 * resourceVersion seen (BOOKMARK events keep it fresh); an expired resourceVersion (410 Gone) leads
 * to a new list; other errors are retried with exponential backoff and jitter, honouring
 * Retry-After on 429. Until synced, `labels()` answers undefined for every namespace (the webhook
 * applies its defaults); after a sync, a failing connection keeps the last known labels.
 *
 * `start()` resolves with `true` once synced, or with `false` when `stop()` comes first; it never
 * rejects for API errors (they are logged and retried forever), so it is safe not to await it.
 */
export class NamespaceLabelCache implements NamespaceLabels {
  readonly #kc: KubeConfig;
  readonly #pageSize: number;
  readonly #requestTimeoutMs: number;
  readonly #watchTimeoutSeconds: number | undefined;
  readonly #backoffInitialMs: number;
  readonly #backoffMaxMs: number;
  readonly #maxRetryAfterMs: number;
  readonly #log: NamespaceCacheLog;
  readonly #random: () => number;

  #labels = new Map<string, Labels>();
  #synced = false;
  #resourceVersion: string | undefined;
  readonly #stop = new AbortController();
  #started: Promise<boolean> | undefined;
  #loop: Promise<void> | undefined;
  #resolveSynced: ((synced: boolean) => void) | undefined;
  #wake: (() => void) | undefined;
  #lastFailureKey = '';
  /** Whether the current (or last) watch applied an event: failures after progress start the backoff over. */
  #watchProgressed = false;

  constructor(options: NamespaceLabelCacheOptions) {
    this.#kc = options.kubeConfig;
    this.#pageSize = options.pageSize ?? 500;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.#watchTimeoutSeconds = options.watchTimeoutSeconds;
    this.#backoffInitialMs = options.backoffInitialMs ?? 800;
    this.#backoffMaxMs = options.backoffMaxMs ?? 30_000;
    this.#maxRetryAfterMs = options.maxRetryAfterMs ?? 300_000;
    this.#log = options.log ?? stderrLog;
    this.#random = options.random ?? Math.random;
    if (!Number.isInteger(this.#pageSize) || this.#pageSize < 1) throw new MamoriError('usage', 'the namespace page size must be a positive whole number');
  }

  /** True once a complete list of namespaces has been received. */
  get synced(): boolean {
    return this.#synced;
  }

  labels(namespace: string): Labels | undefined {
    return this.#labels.get(namespace);
  }

  /** How many namespaces are known. */
  get size(): number {
    return this.#labels.size;
  }

  /** The resourceVersion the watch resumes from (undefined before a list, or when a relist is due). */
  get resourceVersion(): string | undefined {
    return this.#resourceVersion;
  }

  /** Starts listing and watching; resolves true once synced, false if stopped first. Idempotent. */
  start(): Promise<boolean> {
    if (this.#started !== undefined) return this.#started;
    this.#started = new Promise<boolean>((resolve) => {
      this.#resolveSynced = resolve;
    });
    if (this.#stop.signal.aborted) {
      this.#resolveSynced?.(false);
    } else {
      this.#loop = this.#run();
    }
    return this.#started;
  }

  /** Stops the watch and every timer; resolves once no request is in flight. */
  async stop(): Promise<void> {
    this.#stop.abort();
    this.#wake?.();
    this.#resolveSynced?.(this.#synced);
    await this.#loop;
  }

  async #run(): Promise<void> {
    let failures = 0;
    let gone = 0;
    while (!this.#stop.signal.aborted) {
      let delay = 0;
      try {
        if (this.#resourceVersion === undefined) {
          await this.#list();
          failures = 0;
          this.#lastFailureKey = '';
        }
        if (this.#stop.signal.aborted) break;
        const outcome = await this.#watch(this.#resourceVersion as string);
        if (outcome.kind === 'stopped') break;
        if (outcome.kind === 'gone') {
          // Expected now and then (the API server keeps a few minutes of history): relist at
          // once, but back off when the fresh resourceVersion is refused again and again.
          gone = this.#watchProgressed ? 1 : gone + 1;
          this.#watchProgressed = false;
          this.#resourceVersion = undefined;
          delay = gone > 1 ? this.#backoff(gone - 1) : 0;
          this.#log('info', 'namespace watch expired (410 Gone): listing again', { attempt: gone });
        } else if (outcome.progressed || outcome.ms >= 1000) {
          // The server ended the watch (its timeoutSeconds): resume from the last resourceVersion.
          failures = 0;
          gone = 0;
        } else {
          failures++;
          delay = this.#failed(new RequestFailure('the API server ended the namespace watch at once, without an event'), failures);
        }
      } catch (error) {
        if (this.#stop.signal.aborted) break;
        if (this.#watchProgressed) {
          failures = 0;
          gone = 0;
          this.#watchProgressed = false;
        }
        failures++;
        delay = this.#failed(error, failures);
        if (error instanceof RequestFailure && error.status === 410) {
          gone++;
          this.#resourceVersion = undefined;
          delay = gone > 1 ? this.#backoff(gone - 1) : 0;
        }
      }
      if (delay > 0) await this.#sleep(delay);
    }
    this.#resolveSynced?.(this.#synced);
  }

  /** Exponential backoff with jitter: a random delay in [d/2, d), d = initial * 2^(n-1), capped. */
  #backoff(attempt: number): number {
    const ceiling = Math.min(this.#backoffMaxMs, this.#backoffInitialMs * 2 ** Math.min(attempt - 1, 30));
    return Math.round(ceiling / 2 + (ceiling / 2) * this.#random());
  }

  /** Logs a failure (once per kind while it repeats, then every 10th) and returns the retry delay. */
  #failed(error: unknown, attempt: number): number {
    const failure = error instanceof RequestFailure ? error : new RequestFailure((error as Error).message ?? String(error));
    const status = failure.status;
    let delay = this.#backoff(attempt);
    let level: 'warn' | 'error' = 'warn';
    let message: string;
    if (status === 403) {
      level = 'error';
      message = 'forbidden (403) to list or watch namespaces: RBAC must allow the webhook\'s ServiceAccount to get, list and watch namespaces (a ClusterRole bound with a ClusterRoleBinding); until then every namespace gets the default modes';
    } else if (status === 401) {
      level = 'error';
      message = 'the API server rejected the credentials (401) when listing namespaces: check the service account token or kubeconfig';
    } else if (status === 429) {
      if (failure.retryAfterMs !== undefined) delay = Math.min(Math.max(failure.retryAfterMs, 0), this.#maxRetryAfterMs);
      message = 'the API server asked to retry later (429 Too Many Requests)';
    } else if (status === 410) {
      message = 'the namespace list expired (410 Gone): listing again';
      level = 'warn';
    } else {
      message = `listing or watching namespaces failed${status === undefined ? '' : ` (${status})`}`;
    }
    const key = `${status ?? ''}:${message}`;
    if (key !== this.#lastFailureKey || attempt % 10 === 0) {
      this.#log(level, message, {
        ...(status === undefined ? {} : { status }),
        reason: failure.message,
        retryInMs: status === 410 ? 0 : delay,
        attempt,
        synced: this.#synced,
      });
    }
    this.#lastFailureKey = key;
    return delay;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const signal = this.#stop.signal;
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      this.#wake = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** A signal for one request: aborted by stop() or after the time budget. */
  #requestSignal(timeoutMs: number): { signal: AbortSignal; done: () => void; timedOut: () => boolean } {
    const controller = new AbortController();
    let expired = false;
    const onStop = (): void => controller.abort();
    const timer = setTimeout(() => {
      expired = true;
      controller.abort();
    }, timeoutMs);
    this.#stop.signal.addEventListener('abort', onStop, { once: true });
    return {
      signal: controller.signal,
      done: () => {
        clearTimeout(timer);
        this.#stop.signal.removeEventListener('abort', onStop);
      },
      timedOut: () => expired,
    };
  }

  async #list(): Promise<void> {
    const { CoreV1Api, ApiException, Observable } = await import('@kubernetes/client-node');
    const api = this.#kc.makeApiClient(CoreV1Api);
    const next = new Map<string, Labels>();
    let token: string | undefined;
    let resourceVersion: string | undefined;
    let pages = 0;
    const seen = new Set<string>();
    do {
      const request = this.#requestSignal(this.#requestTimeoutMs);
      const signalMiddleware = {
        pre: (context: RequestContext): Observable<RequestContext> => {
          context.setSignal(request.signal);
          return new Observable(Promise.resolve(context));
        },
        post: (context: ResponseContext): Observable<ResponseContext> => new Observable(Promise.resolve(context)),
      };
      let page: V1NamespaceList;
      try {
        page = await api.listNamespace(
          token === undefined ? { limit: this.#pageSize } : { limit: this.#pageSize, _continue: token },
          { middleware: [signalMiddleware], middlewareMergeStrategy: 'append' },
        );
      } catch (error) {
        if (this.#stop.signal.aborted) return;
        if (request.timedOut()) throw new RequestFailure(`no answer to the namespace list within ${this.#requestTimeoutMs} ms`);
        if (error instanceof ApiException) {
          const code = (error as { code: number }).code;
          const headers = (error as { headers: Record<string, string> }).headers;
          const body = (error as { body: unknown }).body;
          throw new RequestFailure(statusMessage(body) ?? `HTTP ${code}`, code, parseRetryAfter(headers['retry-after']), { cause: error });
        }
        throw new RequestFailure((error as Error).message, undefined, undefined, { cause: error });
      } finally {
        request.done();
      }
      pages++;
      for (const namespace of page.items) {
        const name = namespace.metadata?.name;
        if (name !== undefined && name !== '') next.set(name, frozenLabels(namespace.metadata?.labels));
      }
      resourceVersion = page.metadata?.resourceVersion;
      token = page.metadata?._continue || undefined;
      if (token !== undefined) {
        if (seen.has(token)) throw new RequestFailure('the API server repeated a continue token in the namespace list');
        seen.add(token);
      }
    } while (token !== undefined && !this.#stop.signal.aborted);
    if (this.#stop.signal.aborted) return;
    if (resourceVersion === undefined || resourceVersion === '') throw new RequestFailure('the namespace list has no resourceVersion');
    // Swap in the complete list at once: a namespace deleted while the watch was down disappears.
    this.#labels = next;
    this.#resourceVersion = resourceVersion;
    const first = !this.#synced;
    this.#synced = true;
    this.#log('info', first ? 'namespaces synced' : 'namespaces listed again', { namespaces: next.size, pages, resourceVersion });
    if (first) this.#resolveSynced?.(true);
  }

  /** Applies one watch event; returns 'gone' for an expired resourceVersion, throws for other ERROR events. */
  #apply(event: unknown): 'ok' | 'gone' {
    if (event === null || typeof event !== 'object') throw new RequestFailure('malformed watch event: not an object');
    const { type, object } = event as { type?: unknown; object?: unknown };
    const resourceVersion = metadataField(object, 'resourceVersion');
    switch (type) {
      case 'ADDED':
      case 'MODIFIED': {
        const name = namespaceName(object);
        if (name !== undefined) this.#labels.set(name, frozenLabels(metadataField(object, 'labels')));
        break;
      }
      case 'DELETED': {
        const name = namespaceName(object);
        if (name !== undefined) this.#labels.delete(name);
        break;
      }
      case 'BOOKMARK':
        break;
      case 'ERROR': {
        const code = object !== null && typeof object === 'object' ? (object as { code?: unknown }).code : undefined;
        if (code === 410) return 'gone';
        throw new RequestFailure(`watch error: ${statusMessage(object) ?? 'unknown'}`, typeof code === 'number' ? code : undefined);
      }
      default:
        throw new RequestFailure(`malformed watch event: type ${JSON.stringify(type)}`);
    }
    if (typeof resourceVersion === 'string' && resourceVersion !== '') this.#resourceVersion = resourceVersion;
    return 'ok';
  }

  async #watch(resourceVersion: string): Promise<WatchOutcome> {
    const options: RequestOptions & { headers?: Record<string, string> } = {};
    await this.#kc.applyToHTTPSOptions(options);
    const cluster = this.#kc.getCurrentCluster();
    if (cluster === null) throw new RequestFailure('the kubeconfig has no current cluster');
    const url = new URL(`${cluster.server.replace(/\/+$/, '')}/api/v1/namespaces`);
    const timeoutSeconds = this.#watchTimeoutSeconds ?? Math.floor(300 + 300 * this.#random());
    url.searchParams.set('watch', 'true');
    url.searchParams.set('resourceVersion', resourceVersion);
    url.searchParams.set('allowWatchBookmarks', 'true');
    url.searchParams.set('timeoutSeconds', String(timeoutSeconds));
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    const began = Date.now();
    const stop = this.#stop.signal;
    this.#watchProgressed = false;

    return new Promise<WatchOutcome>((resolve, reject) => {
      let settled = false;
      let progressed = false;
      let idle: NodeJS.Timeout | undefined;
      let req: ClientRequest | undefined;
      const finish = (outcome: WatchOutcome | RequestFailure): void => {
        if (settled) return;
        settled = true;
        clearTimeout(headers);
        clearTimeout(idle);
        stop.removeEventListener('abort', onStop);
        req?.destroy();
        if (outcome instanceof RequestFailure) reject(outcome);
        else resolve(outcome);
      };
      const onStop = (): void => finish({ kind: 'stopped' });
      // The time budget covers the wait for the response headers; the stream then lasts timeoutSeconds.
      const headers = setTimeout(() => finish(new RequestFailure(`no answer to the namespace watch within ${this.#requestTimeoutMs} ms`)), this.#requestTimeoutMs);
      stop.addEventListener('abort', onStop, { once: true });

      req = send(url, {
        method: 'GET',
        agent: options.agent,
        headers: { ...(options.headers ?? {}), Accept: 'application/json' },
        ...(options.auth === undefined ? {} : { auth: options.auth }),
      });
      req.on('error', (error) => finish(this.#stop.signal.aborted ? { kind: 'stopped' } : new RequestFailure(error.message, undefined, undefined, { cause: error })));
      req.on('response', (res: IncomingMessage) => {
        clearTimeout(headers);
        if (res.statusCode !== 200) {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            if (body.length < MAX_ERROR_BODY_BYTES) body += chunk;
          });
          res.on('error', () => undefined);
          res.on('end', () => {
            if (res.statusCode === 410) finish({ kind: 'gone' });
            else {
              const retry = res.headers['retry-after'];
              finish(new RequestFailure(statusMessage(body) ?? `HTTP ${res.statusCode}`, res.statusCode, parseRetryAfter(Array.isArray(retry) ? retry[0] : retry)));
            }
          });
          return;
        }
        // A stream the server does not end by timeoutSeconds (a half-open connection) is dropped.
        idle = setTimeout(() => finish({ kind: 'closed', progressed, ms: Date.now() - began }), (timeoutSeconds + 30) * 1000);
        res.socket?.setKeepAlive(true, 30_000);
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk: string) => {
          if (settled) return;
          buffer += chunk;
          let newline = buffer.indexOf('\n');
          while (newline >= 0) {
            const line = buffer.slice(0, newline).trim();
            buffer = buffer.slice(newline + 1);
            if (line !== '') {
              let event: unknown;
              try {
                event = JSON.parse(line) as unknown;
              } catch {
                finish(new RequestFailure('malformed watch event: not JSON'));
                return;
              }
              try {
                if (this.#apply(event) === 'gone') {
                  finish({ kind: 'gone' });
                  return;
                }
              } catch (error) {
                finish(error as RequestFailure);
                return;
              }
              progressed = true;
              this.#watchProgressed = true;
            }
            newline = buffer.indexOf('\n');
          }
          if (buffer.length > MAX_EVENT_BYTES) finish(new RequestFailure(`a namespace watch event is longer than ${MAX_EVENT_BYTES} bytes`));
        });
        res.on('error', (error) => finish(this.#stop.signal.aborted ? { kind: 'stopped' } : new RequestFailure(error.message, undefined, undefined, { cause: error })));
        res.on('close', () => finish(this.#stop.signal.aborted ? { kind: 'stopped' } : { kind: 'closed', progressed, ms: Date.now() - began }));
      });
      req.end();
    });
  }
}
