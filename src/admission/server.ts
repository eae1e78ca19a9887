/**
 * The HTTPS server of the admission webhook (specs/admission-and-cel.md A.6, pss.md §6.8):
 * - `POST /validate`, `POST /mutate`: AdmissionReview in, AdmissionReview out (review.ts);
 * - `GET /healthz` (the process serves), `GET /readyz` (rules and configuration loaded, not
 *   shutting down), `GET /metrics` (Prometheus text format, metrics.ts).
 *
 * TLS 1.2 or newer, with the certificate and key read from files and reloaded without a restart when
 * they change (cert-manager and kubelet secret volumes swap them in place); a new pair that does not
 * load is logged and the old one kept. Bodies are limited to 3 MiB (413, as PSA's webhook), must be
 * `application/json` (415) and a well-formed AdmissionReview (400 with the reason); the bodies held at
 * once to `maxInFlightBytes` (429 with Retry-After past it, and the connection closed). Each review has
 * a time budget (the smaller of `timeoutMs` and the API server's `?timeout=`): a review that could
 * not be decided within it (policy evaluation is stopped at its end, so a costly policy does not
 * hold the event loop past it), or whose evaluation failed, is answered per the failure policy
 * (`Ignore`: allowed with a warning; `Fail`: refused with status 500). A validation whose policies
 * ask the API server (`authorizer` checks, authz.ts) is answered asynchronously within the same
 * budget, its SubjectAccessReviews cancelled when it runs out. The mutating webhook is always
 * `Ignore`: a mutation that fails or runs out of time is allowed without a patch, whatever the
 * failure policy.
 *
 * Connections are bounded in number (`maxConnections`, by default one per 64 KiB of
 * `maxInFlightBytes`) and in time: the TLS handshake must end within `handshakeTimeoutMs`, and a
 * connection idle before its first request or between requests is closed after IDLE_TIMEOUT_MS.
 * Idle connections cannot lock new clients out: one source address holds at most half of the
 * connections, and at the limit a new connection takes the place of the least recently active idle
 * one (no request in flight) of the source holding the most, never of a source holding fewer than
 * the newcomer's own; a connection with a request in flight is never closed for room. Only when no
 * connection can give way is the new one closed as it is accepted.
 *
 * A body that has not arrived when the budget runs out is answered 408 when the server was free to
 * read it. When the event loop was busy (judging other reviews) for most of the budget, the body is
 * given back the time the loop was busy (at most another budget) to be read: then it is answered
 * per the failure policy (it arrived: its uid is known, and its budget is spent), or, still unread
 * while the loop stayed busy, 429 with Retry-After (the server's overload, not the client's delay).
 * Shutdown stops accepting connections, lets the requests in flight finish, then closes every
 * connection, those still in their handshake included.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { DeadlineExceeded, MamoriError } from '../errors.js';
import type { Logger } from './log.js';
import { AdmissionMetrics, METRICS_CONTENT_TYPE } from './metrics.js';
import { AdmissionRequestError, failureOutcome, mutateRequest, needsAuthorizer, parseReview, validateRequest, validateRequestAsync, type ReviewContext } from './review.js';
import type { AdmissionRequest, Decision, FailurePolicy, ReviewOutcome } from './types.js';

/** Largest request body accepted, as PSA's webhook and the API server's request limit: 3 MiB. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;
/** The buffer a request body starts in; it doubles as the body arrives. */
const BODY_START_BYTES = 16 * 1024;
/** Default per-request time budget. */
export const DEFAULT_TIMEOUT_MS = 2000;
/** Default port. */
export const DEFAULT_PORT = 8443;
/**
 * Default limit of the bytes of request bodies held at once (being received, or their reviews being
 * answered): each byte of a review costs some three more while it is parsed and judged, so 64 MiB
 * of bodies stay within the Deployment's 384 MiB of memory.
 */
export const DEFAULT_MAX_IN_FLIGHT_BYTES = 64 * 1024 * 1024;
/**
 * Bytes of `maxInFlightBytes` that allow one connection, for the default `maxConnections`: a connection
 * costs some 40 KiB of memory before it sends anything (its TLS state), so the default of 1,024
 * connections takes some 40 MiB next to the 64 MiB of bodies.
 */
const BYTES_PER_CONNECTION = 64 * 1024;
/** The fewest connections the default `maxConnections` allows, however small the byte budget. */
const MIN_CONNECTIONS = 64;
/**
 * The share of `maxConnections` one source address may hold: the rest stays open to others (the API
 * server among them), even while that source keeps a request in flight on each of its connections.
 */
const SOURCE_SHARE = 0.5;
/**
 * The share of a body's time budget the event loop must have spent busy for the server, not the
 * client, to be the reason the body was not read in time.
 */
const BUSY_SHARE = 0.5;
/** Default limit of the TLS handshake: an API server's takes milliseconds. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5000;
/**
 * How long a connection may stay idle, before its first request or between requests (Go's idle
 * timeout, on the API server's side, is 90 s): then it is closed.
 */
const IDLE_TIMEOUT_MS = 65_000;
/** On shutdown, how long no request must be in flight before the server stops accepting connections. */
const QUIET_MS = 500;

/** The default limit of connections for a limit of bytes in flight: one per 64 KiB, at least 64. */
export function defaultMaxConnections(maxInFlightBytes: number): number {
  return Math.max(MIN_CONNECTIONS, Math.floor(maxInFlightBytes / BYTES_PER_CONNECTION));
}
/** What a request refused at the limit asks the client to wait, in seconds (the API server's own answer when overloaded). */
const RETRY_AFTER_SECONDS = 1;

/** The most connections one source address may hold, out of `maxConnections`. */
export function sourceShare(maxConnections: number): number {
  return Math.max(1, Math.ceil(maxConnections * SOURCE_SHARE));
}

/** One TCP connection, from its acceptance on. */
interface Connection {
  /** The TCP socket. */
  readonly socket: Socket;
  /** The TLS socket over it, once its handshake is done. */
  secure: Socket | undefined;
  /** The peer's address. */
  readonly source: string;
  /** Requests being answered on it. */
  busy: number;
  /** When it was accepted or last ended a request (`performance.now()`). */
  since: number;
  /** False once it is closed or closing. */
  open: boolean;
}

/** The connections of one source address. */
interface Source {
  count: number;
  /** Those without a request in flight, least recently active first (insertion order). */
  readonly idle: Set<Connection>;
}

/**
 * Why the server closed a connection still in its TLS handshake (to make room, or past the limit):
 * Node reports such a close as a failed handshake, which it is not.
 */
class ClosedForRoom extends Error {}

/** The peer address of a socket, IPv4-mapped IPv6 addresses as IPv4. */
function sourceOf(socket: Socket): string | undefined {
  const address = socket.remoteAddress;
  return address?.startsWith('::ffff:') === true && address.includes('.') ? address.slice(7) : address;
}

/** What the server is started with. */
export interface AdmissionServerOptions {
  certFile: string;
  keyFile: string;
  port: number;
  /** Address to listen on (default: every address). */
  host?: string;
  context: ReviewContext;
  failurePolicy: FailurePolicy;
  /** Per-request time budget in milliseconds. */
  timeoutMs: number;
  /**
   * Most bytes of request bodies held at once (default DEFAULT_MAX_IN_FLIGHT_BYTES): a request whose
   * body would pass it is answered 429 as it arrives, and its connection closed.
   */
  maxInFlightBytes?: number;
  /**
   * Most connections open at once, in their TLS handshake or not (default: one per 64 KiB of
   * `maxInFlightBytes`, at least 64), at most half of them from one source address: past it a new
   * connection takes the place of an idle one, or is closed as it is accepted when none is idle.
   */
  maxConnections?: number;
  /** How long a TLS handshake may take before its connection is closed (default DEFAULT_HANDSHAKE_TIMEOUT_MS). */
  handshakeTimeoutMs?: number;
  logger: Logger;
  metrics?: AdmissionMetrics;
  /** How often the certificate files are checked for changes (default 2000 ms). */
  certPollMs?: number;
  /** How long shutdown waits for requests in flight before closing their connections (default 25 s). */
  shutdownGraceMs?: number;
  /** Ready once this is true (rules and configuration loaded); default: always. */
  ready?: () => boolean;
  /**
   * Called with every decision that is not a dry run: the place for side effects such as a ledger
   * record, which a dry run must not have.
   */
  onDecision?: (endpoint: 'validate' | 'mutate', decision: Decision) => void;
}

type Endpoint = 'validate' | 'mutate';

/** Kubernetes Status reasons for the HTTP statuses the server refuses requests with. */
const STATUS_REASONS: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  408: 'Timeout',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

/** Error counter reasons for refused requests. */
const ERROR_REASONS: Readonly<Record<number, string>> = {
  400: 'bad_request',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'timeout',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
  500: 'internal',
};

/**
 * The API server's `?timeout=` (a Go duration such as `10s` or `1m0s`) in milliseconds, or
 * undefined when absent or not understood.
 */
export function parseGoDuration(text: string | null): number | undefined {
  if (text === null || text === '' || text.length > 32) return undefined;
  const re = /([0-9]+(?:\.[0-9]+)?)(h|ms|m|s|us|µs|ns)/gy;
  const unit: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };
  let total = 0;
  let end = 0;
  for (let match = re.exec(text); match !== null; match = re.exec(text)) {
    total += Number(match[1]) * (unit[match[2] as string] ?? 0);
    end = re.lastIndex;
  }
  return end === text.length && end > 0 ? total : undefined;
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** The webhook server. */
export class AdmissionServer {
  readonly metrics: AdmissionMetrics;
  private readonly options: AdmissionServerOptions;
  private readonly logger: Logger;
  private readonly server: Server;
  private current: { cert: Buffer; key: Buffer };
  private closing = false;
  /** Requests being answered (from their headers to the end of the response). */
  private active = 0;
  /** When a request or a connection last began or a request ended (`performance.now()`). */
  private lastActivity = 0;
  /** Limit of `held`. */
  private readonly maxInFlightBytes: number;
  /** Bytes of request bodies held: reserved as each body arrives, given back when its request is answered. */
  private held = 0;
  /** Requests refused at the limit (the first and every 100th are logged). */
  private overloaded = 0;
  /** Connections closed as they were accepted, past `maxConnections` (the first and every 100th are logged). */
  private dropped = 0;
  /** Idle connections closed to make room for new ones (the first and every 100th are logged). */
  private evicted = 0;
  /** Limit of open connections. */
  private readonly maxConnections: number;
  /** Limit of open connections per source address. */
  private readonly maxPerSource: number;
  /**
   * Every TCP connection open, from its acceptance on, by its TCP socket: the HTTP server knows only
   * those past their TLS handshake, and shutdown must close the others too.
   */
  private readonly connections = new Map<Socket, Connection>();
  /** Connections still in their TLS handshake, by peer address and port (how the TLS socket finds its own). */
  private readonly handshaking = new Map<string, Connection>();
  /** Connections past their handshake, by TLS socket (what requests carry). */
  private readonly secured = new WeakMap<Socket, Connection>();
  /** Connections by source address. */
  private readonly sources = new Map<string, Source>();
  private closed: Promise<void> | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  private readonly onFileChange = (): void => this.scheduleReload();

  constructor(options: AdmissionServerOptions) {
    this.options = options;
    this.logger = options.logger;
    this.metrics = options.metrics ?? new AdmissionMetrics();
    this.maxInFlightBytes = options.maxInFlightBytes ?? DEFAULT_MAX_IN_FLIGHT_BYTES;
    this.metrics.inFlightBytes = () => this.held;
    this.current = this.readPair();
    const problem = pairProblem(this.current.cert, this.current.key);
    if (problem !== undefined) throw new MamoriError('config', `the TLS certificate ${options.certFile} and key ${options.keyFile} cannot be used: ${problem}`);
    const handshakeTimeout = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    this.server = createServer({ ...this.tlsOptions(this.current), handshakeTimeout }, (req, res) => this.handle(req, res));
    // The API server keeps connections open (Go's idle timeout is 90 s); idle and slow clients are cut off.
    this.server.keepAliveTimeout = IDLE_TIMEOUT_MS;
    this.server.timeout = IDLE_TIMEOUT_MS;
    this.server.headersTimeout = 15_000;
    this.server.requestTimeout = 30_000;
    // The limit is kept here, not by Node's `maxConnections`, which closes every connection past it
    // however idle the ones it keeps.
    this.maxConnections = options.maxConnections ?? defaultMaxConnections(this.maxInFlightBytes);
    this.maxPerSource = sourceShare(this.maxConnections);
    this.server.on('connection', (socket: Socket) => this.accept(socket));
    // A handshake that fails or does not end in time: its socket is destroyed.
    this.server.on('tlsClientError', (error, socket) => {
      if (!(error instanceof ClosedForRoom)) this.metrics.errors.inc({ reason: 'tls_handshake' });
      socket.destroy();
    });
    this.server.on('secureConnection', (socket: Socket) => {
      const key = `${socket.remoteAddress ?? ''}|${socket.remotePort ?? ''}`;
      const connection = this.handshaking.get(key);
      if (connection === undefined) return;
      this.handshaking.delete(key);
      connection.secure = socket;
      this.secured.set(socket, connection);
    });
    // Node reports a failed handshake as a client error too (first): only sockets past their
    // handshake have HTTP errors, so each failure is counted once, under its own reason.
    this.server.on('clientError', (_error, socket) => {
      if (!this.secured.has(socket as Socket)) return;
      this.metrics.errors.inc({ reason: 'bad_http' });
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else socket.destroy();
    });
  }

  /**
   * Admits a connection as it is accepted: within the limits, or in place of an idle one, or not at
   * all (closed at once).
   */
  private accept(socket: Socket): void {
    this.lastActivity = performance.now();
    const address = sourceOf(socket);
    const port = socket.remotePort;
    // Reset before it could be read: nothing to serve.
    if (address === undefined || port === undefined) {
      socket.destroy();
      return;
    }
    if (!this.makeRoom(address)) {
      socket.destroy(new ClosedForRoom('too many connections open'));
      this.dropped++;
      this.metrics.errors.inc({ reason: 'too_many_connections' });
      if (this.dropped % 100 === 1) this.logger.warn('connection closed: too many connections open, none of them idle', { limit: this.maxConnections, limit_per_source: this.maxPerSource, dropped: this.dropped });
      return;
    }
    const connection: Connection = { socket, secure: undefined, source: address, busy: 0, since: performance.now(), open: true };
    const key = `${socket.remoteAddress ?? ''}|${port}`;
    this.connections.set(socket, connection);
    this.handshaking.set(key, connection);
    let source = this.sources.get(address);
    if (source === undefined) {
      source = { count: 0, idle: new Set() };
      this.sources.set(address, source);
    }
    source.count++;
    source.idle.add(connection);
    socket.once('close', () => {
      if (this.handshaking.get(key) === connection) this.handshaking.delete(key);
      this.release(connection);
    });
  }

  /**
   * Makes room for a new connection from `address`, closing an idle connection if need be: false
   * when none may give way. A source at its share gives up its own least recently active idle
   * connection; at the limit, the least recently active idle connection of the source holding the
   * most goes, provided that source holds at least as many as the newcomer's would with it.
   */
  private makeRoom(address: string): boolean {
    const own = this.sources.get(address);
    const held = own?.count ?? 0;
    if (held >= this.maxPerSource) return this.evict(own?.idle.values().next().value);
    if (this.connections.size < this.maxConnections) return true;
    let victim: Connection | undefined;
    let most = held + 1;
    for (const [name, source] of this.sources) {
      const oldest = source.idle.values().next().value;
      if (oldest === undefined) continue;
      const count = name === address ? held + 1 : source.count;
      if (count > most || (count === most && (victim === undefined || oldest.since < victim.since))) {
        victim = oldest;
        most = count;
      }
    }
    return this.evict(victim);
  }

  /** Closes an idle connection to make room for a new one; false when there is none. */
  private evict(connection: Connection | undefined): boolean {
    if (connection === undefined) return false;
    this.release(connection);
    if (connection.secure === undefined) connection.socket.destroy(new ClosedForRoom('closed to admit a new connection'));
    else connection.secure.destroy();
    this.evicted++;
    this.metrics.errors.inc({ reason: 'idle_connection_closed' });
    if (this.evicted % 100 === 1) this.logger.warn('idle connection closed to admit a new one: too many connections open', { limit: this.maxConnections, limit_per_source: this.maxPerSource, closed: this.evicted });
    return true;
  }

  /** Forgets a connection that is closed or closing (once). */
  private release(connection: Connection): void {
    if (!connection.open) return;
    connection.open = false;
    this.connections.delete(connection.socket);
    const source = this.sources.get(connection.source);
    if (source === undefined) return;
    source.idle.delete(connection);
    if (--source.count === 0) this.sources.delete(connection.source);
  }

  /** Marks a request begun on a connection: it is no longer idle. */
  private requestBegan(connection: Connection | undefined): void {
    if (connection === undefined) return;
    connection.busy++;
    this.sources.get(connection.source)?.idle.delete(connection);
  }

  /** Marks a request ended on a connection: idle again once none is left, as its most recently active. */
  private requestEnded(connection: Connection | undefined): void {
    if (connection === undefined) return;
    connection.busy--;
    if (connection.busy > 0 || !connection.open) return;
    connection.since = performance.now();
    this.sources.get(connection.source)?.idle.add(connection);
  }

  private tlsOptions(pair: { cert: Buffer; key: Buffer }): SecureContextOptions {
    return { cert: pair.cert, key: pair.key, minVersion: 'TLSv1.2' };
  }

  private readPair(): { cert: Buffer; key: Buffer } {
    const read = (file: string, what: string): Buffer => {
      try {
        return readFileSync(file);
      } catch (cause) {
        throw new MamoriError('io', `cannot read the TLS ${what}: ${(cause as Error).message}`, { file, cause });
      }
    };
    return { cert: read(this.options.certFile, 'certificate'), key: read(this.options.keyFile, 'key') };
  }

  /** Starts listening and watching the certificate files; resolves with the port. */
  async start(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(new MamoriError('io', `cannot listen on port ${this.options.port}: ${error.message}`, { cause: error }));
      this.server.once('error', onError);
      this.server.listen({ port: this.options.port, ...(this.options.host === undefined ? {} : { host: this.options.host }) }, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    const interval = this.options.certPollMs ?? 2000;
    watchFile(this.options.certFile, { interval, persistent: false }, this.onFileChange);
    watchFile(this.options.keyFile, { interval, persistent: false }, this.onFileChange);
    const port = (this.server.address() as AddressInfo).port;
    this.logger.info('listening', { port, tls_min_version: 'TLSv1.2', failure_policy: this.options.failurePolicy, timeout_ms: this.options.timeoutMs, max_in_flight_bytes: this.maxInFlightBytes, max_connections: this.maxConnections, max_connections_per_source: this.maxPerSource, ...certificateFields(this.current.cert) });
    return port;
  }

  /** The port listened on. */
  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? 0;
  }

  private scheduleReload(): void {
    // Both files usually change together: wait for the second before loading the pair.
    if (this.reloadTimer !== undefined) clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = undefined;
      this.reloadCertificate();
    }, 100);
    this.reloadTimer.unref();
  }

  /**
   * Reads the certificate and key again and serves them from the next handshake on; returns false
   * (and keeps the pair in use) when they cannot be read or do not form a usable pair.
   */
  reloadCertificate(): boolean {
    let pair: { cert: Buffer; key: Buffer };
    try {
      pair = this.readPair();
    } catch (error) {
      this.metrics.certificateReloads.inc({ result: 'failure' });
      this.metrics.errors.inc({ reason: 'certificate_reload' });
      this.logger.error('certificate reload failed; keeping the certificate in use', { error: (error as Error).message });
      return false;
    }
    if (pair.cert.equals(this.current.cert) && pair.key.equals(this.current.key)) return true;
    const problem = pairProblem(pair.cert, pair.key);
    if (problem !== undefined) {
      this.metrics.certificateReloads.inc({ result: 'failure' });
      this.metrics.errors.inc({ reason: 'certificate_reload' });
      this.logger.error('certificate reload failed; keeping the certificate in use', { error: problem });
      return false;
    }
    this.server.setSecureContext(this.tlsOptions(pair));
    this.current = pair;
    this.metrics.certificateReloads.inc({ result: 'success' });
    this.logger.info('certificate reloaded', certificateFields(pair.cert));
    return true;
  }

  /**
   * Answers the requests in flight and those already sent; once none has been in flight for
   * `QUIET_MS`, stops accepting connections and closes idle ones; closes every connection left
   * after `shutdownGraceMs`. Idempotent.
   */
  shutdown(): Promise<void> {
    if (this.closed !== undefined) return this.closed;
    this.closing = true;
    unwatchFile(this.options.certFile, this.onFileChange);
    unwatchFile(this.options.keyFile, this.onFileChange);
    if (this.reloadTimer !== undefined) clearTimeout(this.reloadTimer);
    this.logger.info('shutting down: answering the requests in flight and those already sent, then closing connections');
    this.closed = new Promise<void>((resolve) => {
      // Closing the server at once would reset requests already sent: those the event loop has
      // not read yet, busy evaluating another (they look idle to the HTTP server), and connections
      // not yet accepted (still in the listen backlog), each a denial under failurePolicy Fail.
      // The listener stays open, answers carrying `Connection: close` and /readyz 503, until no
      // request or connection has begun or ended for QUIET_MS and none is in flight; by then the
      // loop has read every request waiting.
      // Then the server closes: no new connection, idle ones closed.
      let stopping = false;
      const stop = (): void => {
        if (stopping) return;
        stopping = true;
        clearInterval(poll);
        this.server.close(() => {
          clearTimeout(grace);
          this.logger.info('stopped');
          resolve();
        });
        this.server.closeIdleConnections();
      };
      this.lastActivity = performance.now();
      const poll = setInterval(() => {
        if (this.active === 0 && performance.now() - this.lastActivity >= QUIET_MS) stop();
      }, QUIET_MS / 5);
      const grace = setTimeout(() => {
        stop();
        this.server.closeAllConnections();
        // Those the HTTP server does not know: still in their TLS handshake.
        for (const socket of [...this.connections.keys()]) socket.destroy();
      }, this.options.shutdownGraceMs ?? 25_000);
      grace.unref();
    });
    return this.closed;
  }

  // -------------------------------------------------------------------------------------------

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    this.active++;
    this.lastActivity = started;
    const connection = this.secured.get(req.socket);
    this.requestBegan(connection);
    res.once('close', () => {
      this.active--;
      this.lastActivity = performance.now();
      this.requestEnded(connection);
    });
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const method = req.method ?? '';
    if (path === '/validate' || path === '/mutate') {
      if (method !== 'POST') {
        this.refuse(req, res, 405, `${method} is not allowed on ${path}; use POST`, { Allow: 'POST' });
        return;
      }
      this.review(req, res, path === '/validate' ? 'validate' : 'mutate', q < 0 ? '' : url.slice(q + 1), started);
      return;
    }
    if (path === '/healthz' || path === '/readyz' || path === '/metrics') {
      if (method !== 'GET' && method !== 'HEAD') {
        this.refuse(req, res, 405, `${method} is not allowed on ${path}; use GET`, { Allow: 'GET, HEAD' });
        return;
      }
      req.resume();
      if (path === '/metrics') {
        this.send(res, 200, METRICS_CONTENT_TYPE, this.metrics.render(), method === 'HEAD');
        return;
      }
      const ready = path === '/healthz' || (!this.closing && (this.options.ready?.() ?? true));
      this.send(res, ready ? 200 : 503, 'text/plain; charset=utf-8', ready ? 'ok\n' : this.closing ? 'shutting down\n' : 'not ready\n', method === 'HEAD');
      return;
    }
    this.refuse(req, res, 404, `no such path ${JSON.stringify(path.slice(0, 200))}: the webhook serves POST /validate, POST /mutate, GET /healthz, /readyz and /metrics`);
  }

  private send(res: ServerResponse, status: number, type: string, body: string, head = false, headers: Readonly<Record<string, string>> = {}): void {
    if (res.headersSent || res.destroyed) return;
    const data = Buffer.from(body);
    // While shutting down, every answer closes its connection, so that clients move to another replica.
    const closing: Record<string, string> = this.closing ? { Connection: 'close' } : {};
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': data.length, ...headers, ...closing });
    res.end(head ? undefined : data);
  }

  /**
   * Refuses a request with a Kubernetes Status body (what the API server's client decodes). The
   * rest of the body is read and dropped (up to DRAIN_BYTES, then the connection is cut), so the
   * client reads the answer rather than a reset; with `close`, the connection is closed at once.
   */
  private refuse(req: IncomingMessage, res: ServerResponse, code: number, message: string, headers: Record<string, string> = {}, close = false): void {
    this.metrics.errors.inc({ reason: ERROR_REASONS[code] ?? String(code) });
    const status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: STATUS_REASONS[code] ?? 'Unknown', code };
    if (close) {
      headers['Connection'] = 'close';
      res.once('finish', () => req.socket.destroySoon());
    } else drain(req);
    this.send(res, code, 'application/json', JSON.stringify(status), false, headers);
  }

  private review(req: IncomingMessage, res: ServerResponse, endpoint: Endpoint, query: string, started: number): void {
    if (mediaType(req.headers['content-type']) !== 'application/json') {
      this.refuse(req, res, 415, `Content-Type must be application/json, got ${JSON.stringify((req.headers['content-type'] ?? '').slice(0, 100))}`);
      return;
    }
    const declared = req.headers['content-length'];
    const length = declared === undefined ? undefined : Number(declared);
    if (length !== undefined && length > MAX_BODY_BYTES) {
      this.refuse(req, res, 413, `request entity is too large; limit is ${MAX_BODY_BYTES} bytes`);
      return;
    }
    // The body's buffer is reserved as the body arrives (again each time it grows), never by the
    // declared length: a connection that sends headers and waits holds nothing, so idle connections
    // cannot lock real reviews out. A request whose body would pass the limit is refused then.
    const limit = length ?? MAX_BODY_BYTES;
    let reserved = 0;
    const apiTimeout = parseGoDuration(new URLSearchParams(query).get('timeout'));
    // Answer before the API server gives up, leaving it a tenth of its timeout for the round trip.
    const budget = Math.max(1, Math.min(this.options.timeoutMs, apiTimeout === undefined ? Number.POSITIVE_INFINITY : apiTimeout * 0.9));
    this.metrics.started();
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      this.held -= reserved;
      reserved = 0;
      this.metrics.finished();
    };
    res.once('close', finish);
    // Without its body there is no uid an AdmissionReview could answer, so the API server's failure
    // policy decides; what the refusal says depends on whose the delay was. While the event loop is
    // busy judging other reviews, a body the client has sent waits unread in its socket, and its
    // timer fires before the loop reads it: that is the server's overload, not the client's delay.
    let extended = false;
    let measured: EventLoopUtilization = performance.eventLoopUtilization();
    const expire = (): void => {
      if (res.headersSent || finished) return;
      const usage = performance.eventLoopUtilization(measured);
      const busy = usage.active > (usage.active + usage.idle) * BUSY_SHARE;
      if (busy && !extended) {
        // The time the loop could not read is given back, at most another budget: a body that
        // arrives then is answered per the failure policy, as any review past its budget.
        extended = true;
        measured = performance.eventLoopUtilization();
        timer = setTimeout(expire, Math.max(1, Math.min(budget, usage.active)));
        timer.unref();
        return;
      }
      if (busy) this.tooBusy(req, res, 'request refused: the server was too busy to read its body within the time budget', `the server is too busy: the request body could not be read within the time budget of ${Math.round(budget)} ms; retry later`);
      // The server was free to read the body (within the budget, or in the time given back): it did not come.
      else this.refuse(req, res, 408, `the request body did not arrive within the time budget of ${Math.round(budget)} ms`, {}, true);
      finish();
    };
    let timer = setTimeout(expire, budget);
    timer.unref();
    // The body is copied into one buffer as it arrives (doubled when full, never sized by the
    // declared length, which may lie): a Buffer kept per chunk costs some 300 bytes, so a body
    // sent in 1-byte TLS records took a hundred times its size.
    let body = Buffer.alloc(0);
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        refused = true;
        body = Buffer.alloc(0);
        this.refuse(req, res, 413, `request entity is too large; limit is ${MAX_BODY_BYTES} bytes`);
        finish();
        return;
      }
      if (size > body.length) {
        // Never past the declared length, which the HTTP parser holds the body to.
        const capacity = Math.min(limit, Math.max(size, body.length * 2, BODY_START_BYTES));
        if (capacity > reserved) {
          if (!this.reserve(capacity - reserved)) {
            refused = true;
            body = Buffer.alloc(0);
            this.tooBusy(req, res, 'request refused: too many bytes of requests in flight', `too many requests in flight: their bodies would pass the limit of ${this.maxInFlightBytes} bytes; retry later`);
            finish();
            return;
          }
          reserved = capacity;
        }
        const grown = Buffer.allocUnsafe(capacity);
        body.copy(grown, 0, 0, size - chunk.length);
        body = grown;
      }
      chunk.copy(body, size - chunk.length);
    });
    req.on('error', finish);
    req.on('end', () => {
      if (refused || res.headersSent) return;
      clearTimeout(timer);
      const answered = this.answer(req, res, endpoint, body.subarray(0, size), started, budget);
      if (answered === undefined) finish();
      else {
        answered
          .catch((error: unknown) => {
            this.metrics.errors.inc({ reason: 'internal' });
            this.logger.error('answering a review failed', { error: (error as Error).message });
            if (!res.headersSent) res.destroy();
          })
          .finally(finish);
      }
    });
  }

  /** Reserves `bytes` of request bodies; false (and nothing reserved) when that would pass the limit. */
  private reserve(bytes: number): boolean {
    if (this.held + bytes > this.maxInFlightBytes) return false;
    this.held += bytes;
    return true;
  }

  /**
   * Refuses a request the server is too loaded to read (at the limit of bytes in flight, or with its
   * body left unread while the event loop was busy): 429 with `Retry-After`, as the API server
   * answers when overloaded, and the connection closed: its body is never held. Without the body
   * there is no uid to answer an AdmissionReview with: the API server's webhook client retries after
   * the time asked while its timeout allows, then applies the webhook's failure policy.
   */
  private tooBusy(req: IncomingMessage, res: ServerResponse, why: string, message: string): void {
    this.overloaded++;
    if (this.overloaded % 100 === 1) this.logger.warn(why, { limit_bytes: this.maxInFlightBytes, held_bytes: this.held, refused: this.overloaded });
    // The connection is closed once answered, not drained: a client that keeps sending slowly
    // would otherwise hold its socket until Node's request timeout.
    this.refuse(req, res, 429, message, { 'Retry-After': String(RETRY_AFTER_SECONDS) }, true);
  }

  /**
   * Answers a review whose body has arrived: at once, or (a validation that asks the API server
   * about `authorizer` checks) through the returned promise, within what is left of the budget.
   */
  private answer(req: IncomingMessage, res: ServerResponse, endpoint: Endpoint, body: Buffer, started: number, budget: number): Promise<void> | undefined {
    let request: AdmissionRequest;
    try {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch (error) {
        throw new AdmissionRequestError(`the body is not valid JSON: ${(error as Error).message}`);
      }
      request = parseReview(parsed, true);
    } catch (error) {
      if (!(error instanceof AdmissionRequestError)) throw error;
      this.refuse(req, res, 400, error.message);
      return undefined;
    }
    let outcome: ReviewOutcome;
    if (performance.now() - started > budget) {
      // It waited too long already (a busy server): answer per the failure policy at once.
      outcome = this.timedOut(endpoint, request, budget);
    } else if (endpoint === 'validate' && needsAuthorizer(this.options.context)) {
      return this.answerLater(res, request, started, budget);
    } else {
      try {
        outcome = endpoint === 'validate' ? validateRequest(request, this.options.context, started + budget) : mutateRequest(request, this.options.context, started + budget);
      } catch (error) {
        outcome = error instanceof DeadlineExceeded ? this.timedOut(endpoint, request, budget) : this.failed(endpoint, request, error);
      }
    }
    this.reply(res, endpoint, outcome, started);
    return undefined;
  }

  /**
   * A validation that may wait for SubjectAccessReviews: aborted when the budget runs out (then
   * answered per the failure policy, as a review that took too long) or when the client goes away.
   */
  private async answerLater(res: ServerResponse, request: AdmissionRequest, started: number, budget: number): Promise<void> {
    const controller = new AbortController();
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      controller.abort(new Error('the time budget ran out'));
    }, Math.max(0, budget - (performance.now() - started)));
    let gone = false;
    const onClose = (): void => {
      gone = true;
      controller.abort(new Error('the client closed the connection'));
    };
    res.once('close', onClose);
    let outcome: ReviewOutcome;
    try {
      outcome = await validateRequestAsync(request, this.options.context, controller.signal, started + budget);
    } catch (error) {
      if (gone && !expired) {
        // Nobody is left to answer (the API server gave up first): nothing was decided.
        this.logger.warn('the client closed the connection before the answer', { uid: request.uid });
        return;
      }
      outcome = expired || error instanceof DeadlineExceeded ? this.timedOut('validate', request, budget) : this.failed('validate', request, error);
    } finally {
      clearTimeout(timer);
      res.off('close', onClose);
    }
    this.reply(res, 'validate', outcome, started);
  }

  private timedOut(endpoint: Endpoint, request: AdmissionRequest, budget: number): ReviewOutcome {
    this.metrics.errors.inc({ reason: 'timeout' });
    return failureOutcome(request, `not evaluated within the time budget of ${Math.round(budget)} ms`, this.failurePolicy(endpoint));
  }

  private failed(endpoint: Endpoint, request: AdmissionRequest, error: unknown): ReviewOutcome {
    this.metrics.errors.inc({ reason: 'evaluation' });
    return failureOutcome(request, `evaluation failed: ${(error as Error).message}`, this.failurePolicy(endpoint));
  }

  /**
   * The failure policy an endpoint answers by: the configured one for validation; always `Ignore`
   * for mutation (as its webhook registration), whose patches only help and never guard.
   */
  private failurePolicy(endpoint: Endpoint): FailurePolicy {
    return endpoint === 'mutate' ? 'Ignore' : this.options.failurePolicy;
  }

  /** Sends the review's answer, then records it (metrics, log, `onDecision`). */
  private reply(res: ServerResponse, endpoint: Endpoint, outcome: ReviewOutcome, started: number): void {
    const json = JSON.stringify(outcome.review);
    const seconds = (performance.now() - started) / 1000;
    // Server-Timing carries the server's own latency to clients (the benchmark reads it).
    this.send(res, 200, 'application/json', json, false, { 'Server-Timing': `mamori;dur=${(seconds * 1000).toFixed(3)}` });
    this.metrics.duration.observe({ endpoint }, seconds);
    this.metrics.review(endpoint, outcome.decision.operation, outcome.decision.kind, outcome.decision.verdict);
    this.logger.decision(endpoint, outcome.decision, seconds * 1000);
    if (!outcome.decision.dryRun) this.options.onDecision?.(endpoint, outcome.decision);
  }
}

/** Most bytes of a refused request's body read and dropped before its connection is cut. */
const DRAIN_BYTES = 16 * 1024 * 1024;

/** Reads and drops the rest of a request body, cutting the connection past DRAIN_BYTES. */
function drain(req: IncomingMessage): void {
  let dropped = 0;
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > DRAIN_BYTES) req.socket.destroy();
  });
  req.resume();
}

/** Why a certificate and key cannot serve TLS together, or undefined when they can. */
export function pairProblem(cert: Buffer, key: Buffer): string | undefined {
  try {
    const x509 = new X509Certificate(cert);
    if (!x509.checkPrivateKey(createPrivateKey(key))) return 'the key does not belong to the certificate';
    createSecureContext({ cert, key, minVersion: 'TLSv1.2' });
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Log fields that identify a certificate: its subject, expiry and SHA-256 fingerprint (nothing secret). */
function certificateFields(cert: Buffer): Record<string, string> {
  try {
    const x509 = new X509Certificate(cert);
    return { cert_subject: x509.subject.replace(/\n/g, ', '), cert_not_after: new Date(x509.validTo).toISOString(), cert_sha256: x509.fingerprint256 };
  } catch {
    return {};
  }
}
