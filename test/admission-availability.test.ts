import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { generateCertificates } from '../src/admission/certs.js';
import { AdmissionServer, sourceShare, type AdmissionServerOptions } from '../src/admission/server.js';
import type { AdmissionReviewResponse } from '../src/admission/types.js';
import { podCreateReview, webhookOptions } from './helpers/admission.js';

// The webhook stays reachable for new clients (the API server among them) however many
// connections others hold open: a client that opened the whole limit of connections and sent a
// request on each every 20 s locked every new client out (each reset as it connected), for as long
// as it kept them. And a review whose body had arrived while the server was busy judging others
// was answered 408, as if the client had been slow.

const dir = mkdtempSync(join(tmpdir(), 'mamori-admission-availability-'));
const certs = generateCertificates({ commonName: 'mamori-webhook', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
writeFileSync(join(dir, 'tls.crt'), certs.cert);
writeFileSync(join(dir, 'tls.key'), certs.key);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const servers: AdmissionServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.shutdown()));
});

async function startServer(more: Partial<AdmissionServerOptions>): Promise<AdmissionServer> {
  const server = new AdmissionServer(webhookOptions(dir, more));
  await server.start();
  servers.push(server);
  return server;
}

interface Response {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * A keep-alive HTTP/1.1 client on one TLS connection from a given loopback address (Linux routes
 * all of 127.0.0.0/8 to the loopback interface, so each address is a distinct source).
 */
class Client {
  private buffer = Buffer.alloc(0);
  private readonly responses: Response[] = [];
  private waiting: ((response: Response | undefined) => void) | undefined;
  /** True once the connection closed. */
  ended = false;
  readonly closed: Promise<void>;

  private constructor(readonly socket: TLSSocket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.parse();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.ended = true;
        this.waiting?.(undefined);
        this.waiting = undefined;
        resolve();
      }),
    );
  }

  /** Connects and completes the TLS handshake; rejects when the server closes the connection first. */
  static open(port: number, localAddress: string): Promise<Client> {
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({ socket: netConnect({ host: '127.0.0.1', port, localAddress }), ca: [certs.caCert], servername: 'localhost' });
      socket.once('secureConnect', () => resolve(new Client(socket)));
      socket.once('error', reject);
      socket.once('close', () => reject(new Error('closed during the handshake')));
    });
  }

  private parse(): void {
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine = '', ...lines] = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length'] ?? 0);
      if (this.buffer.length < end + 4 + length) return;
      const body = this.buffer.subarray(end + 4, end + 4 + length).toString('utf8');
      this.buffer = this.buffer.subarray(end + 4 + length);
      const response = { status: Number(statusLine.split(' ')[1]), headers, body };
      if (this.waiting === undefined) this.responses.push(response);
      else {
        this.waiting(response);
        this.waiting = undefined;
      }
    }
  }

  /** The next response, or undefined when the connection closes first. */
  next(): Promise<Response | undefined> {
    const queued = this.responses.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** `GET /healthz` on this connection: its status, or undefined when the connection is closed. */
  async healthz(): Promise<number | undefined> {
    if (this.ended) return undefined;
    this.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    return (await this.next())?.status;
  }

  /** Sends the headers of `POST /validate` and the first `sent` bytes of `body`. */
  startReview(body: Buffer, sent: number, query = 'timeout=10s'): void {
    this.socket.write(`POST /validate?${query} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    this.socket.write(body.subarray(0, sent));
  }
}

function review(uid: string, privileged: boolean): Buffer {
  return Buffer.from(
    podCreateReview(uid, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: uid, namespace: 'shop' },
      spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1.0', ...(privileged ? { securityContext: { privileged: true } } : {}) }] },
    }),
  );
}

function reviewed(response: Response | undefined): AdmissionReviewResponse['response'] {
  expect(response?.status).toBe(200);
  return (JSON.parse(response?.body ?? '') as AdmissionReviewResponse).response;
}

/** A counter or gauge of the server's metrics (0 when absent). */
function metric(server: AdmissionServer, sample: string): number {
  const line = server.metrics
    .render()
    .split('\n')
    .find((l) => l.startsWith(`${sample} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Opens `n` connections from `address`, each answering one `GET /healthz` (then idle, in that order). */
async function idle(port: number, address: string, n: number): Promise<Client[]> {
  const clients: Client[] = [];
  for (let i = 0; i < n; i++) {
    const client = await Client.open(port, address);
    expect(await client.healthz()).toBe(200);
    clients.push(client);
  }
  return clients;
}

/** Whether a connection is closed within `ms` (a closed one is closed at once; the wait only bounds a bug). */
async function closedWithin(client: Client, ms = 2000): Promise<boolean> {
  await Promise.race([client.closed, new Promise((resolve) => setTimeout(resolve, ms))]);
  return client.ended;
}

const EVICTED = 'mamori_admission_errors_total{reason="idle_connection_closed"}';
const DROPPED = 'mamori_admission_errors_total{reason="too_many_connections"}';
const IN_FLIGHT = 'mamori_admission_in_flight_requests';

describe('admission server: idle connections cannot lock new clients out', () => {
  it('one source holds at most half of the connections', () => {
    expect([sourceShare(1), sourceShare(2), sourceShare(7), sourceShare(64), sourceShare(1024)]).toEqual([1, 1, 4, 32, 512]);
  });

  it('at the limit, admits a new client in place of the least recently active idle connection', async () => {
    const server = await startServer({ maxConnections: 8 });
    const a = await idle(server.port, '127.0.0.2', 4);
    const b = await idle(server.port, '127.0.0.3', 4);
    // Every connection but b[1] serves another request: b[1] is the least recently active, though
    // a[0] was opened first.
    const others = [...a, ...b.filter((_, i) => i !== 1)];
    for (const client of others) expect(await client.healthz()).toBe(200);
    const fresh = await Client.open(server.port, '127.0.0.1');
    const body = review('fresh', true);
    fresh.startReview(body, body.length);
    const answer = reviewed(await fresh.next());
    expect(answer.uid).toBe('fresh');
    expect(answer.allowed).toBe(false);
    expect(await closedWithin(b[1] as Client)).toBe(true);
    // The others stay open and keep serving.
    for (const client of others) expect(await client.healthz()).toBe(200);
    expect(metric(server, EVICTED)).toBe(1);
    expect(metric(server, DROPPED)).toBe(0);
  });

  it('a source at its share gives way to itself, and leaves the rest to others', async () => {
    const server = await startServer({ maxConnections: 8 });
    const [other] = await idle(server.port, '127.0.0.3', 1);
    const hog = await idle(server.port, '127.0.0.2', 4);
    // The fifth connection of 127.0.0.2 takes the place of its own least recently active one, not
    // of the older one of 127.0.0.3.
    const [fifth] = await idle(server.port, '127.0.0.2', 1);
    expect(await closedWithin(hog[0] as Client)).toBe(true);
    expect(await other?.healthz()).toBe(200);
    for (const client of hog.slice(1)) expect(await client.healthz()).toBe(200);
    expect(await fifth?.healthz()).toBe(200);
    expect(metric(server, EVICTED)).toBe(1);
    // The other half stays open to other sources: three more connect without closing any.
    await idle(server.port, '127.0.0.4', 3);
    expect(metric(server, EVICTED)).toBe(1);
    // Connections closed by their clients give their places back.
    for (const client of [...hog.slice(1), fifth as Client]) client.socket.destroy();
    await Promise.all([...hog.slice(1), fifth as Client].map((c) => c.closed));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await idle(server.port, '127.0.0.2', 4);
    expect(metric(server, EVICTED)).toBe(1);
  });

  it('never pushes out a source holding fewer connections than the newcomer\'s', async () => {
    const server = await startServer({ maxConnections: 6 });
    const [light] = await idle(server.port, '127.0.0.3', 1);
    const heavy = await idle(server.port, '127.0.0.2', 3);
    const third = await idle(server.port, '127.0.0.4', 2);
    // 127.0.0.4 would hold 3 with the newcomer, as many as 127.0.0.2: the least recently active
    // idle connection of the two goes (heavy[0]); 127.0.0.3's, older still, stays.
    await idle(server.port, '127.0.0.4', 1);
    expect(await closedWithin(heavy[0] as Client)).toBe(true);
    expect(await light?.healthz()).toBe(200);
    for (const client of [...heavy.slice(1), ...third]) expect(await client.healthz()).toBe(200);
  });

  it('never closes a connection with a request in flight: a newcomer is closed when none is idle', async () => {
    const server = await startServer({ maxConnections: 4 });
    const bodies = ['a0', 'a1', 'b0', 'b1'].map((uid) => review(uid, false));
    const a = [await Client.open(server.port, '127.0.0.2'), await Client.open(server.port, '127.0.0.2')];
    a.forEach((client, i) => client.startReview(bodies[i] as Buffer, 10));
    await until(() => metric(server, IN_FLIGHT) === 2);
    // 127.0.0.2 holds its share, both busy: its third connection is closed as it is accepted.
    await expect(Client.open(server.port, '127.0.0.2')).rejects.toThrow();
    expect(metric(server, DROPPED)).toBe(1);
    const b = [await Client.open(server.port, '127.0.0.3'), await Client.open(server.port, '127.0.0.3')];
    b.forEach((client, i) => client.startReview(bodies[i + 2] as Buffer, 10));
    await until(() => metric(server, IN_FLIGHT) === 4);
    // At the limit with every connection busy: a new client is closed, none of the busy ones.
    await expect(Client.open(server.port, '127.0.0.1')).rejects.toThrow();
    expect(metric(server, DROPPED)).toBe(2);
    expect(metric(server, EVICTED)).toBe(0);
    // Closed by the server as they were accepted, not failed handshakes.
    expect(metric(server, 'mamori_admission_errors_total{reason="tls_handshake"}')).toBe(0);
    const clients = [...a, ...b];
    clients.forEach((client, i) => client.socket.write((bodies[i] as Buffer).subarray(10)));
    const answers = await Promise.all(clients.map((c) => c.next()));
    expect(answers.map((r) => reviewed(r).uid)).toEqual(['a0', 'a1', 'b0', 'b1']);
    expect(answers.map((r) => reviewed(r).allowed)).toEqual([true, true, true, true]);
    // Idle again: a new client is admitted in place of one of them.
    const late = await Client.open(server.port, '127.0.0.1');
    expect(await late.healthz()).toBe(200);
    expect(metric(server, EVICTED)).toBe(1);
  });
});

/** Holds the event loop for `ms`, as judging a large review does. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe('admission server: a late body is blamed on whoever delayed it', () => {
  // The body's budget is 200 ms; the server's event loop is held for 700 ms while the body waits,
  // as when other reviews are being judged.
  it('a body that arrived while the server was busy is answered per the failure policy, not 408', async () => {
    const server = await startServer({ timeoutMs: 200 });
    const client = await Client.open(server.port, '127.0.0.1');
    const body = review('late', false);
    client.startReview(body, 10);
    await until(() => metric(server, IN_FLIGHT) === 1);
    // The rest of the body reaches the server's socket, then the loop is held past the budget.
    setImmediate(() => {
      client.socket.write(body.subarray(10));
      busy(700);
    });
    const answer = reviewed(await client.next());
    expect(answer).toEqual({
      uid: 'late',
      allowed: false,
      status: { code: 500, reason: 'InternalError', message: 'mamori could not check this request: not evaluated within the time budget of 200 ms (failurePolicy Fail refuses it)' },
      auditAnnotations: { error: 'not evaluated within the time budget of 200 ms' },
    });
    expect(metric(server, 'mamori_admission_errors_total{reason="timeout"}')).toBe(1);
  });

  it('a body the server stayed too busy to read is answered 429 with Retry-After, not 408', async () => {
    const server = await startServer({ timeoutMs: 200 });
    const client = await Client.open(server.port, '127.0.0.1');
    client.startReview(review('unread', false), 10);
    await until(() => metric(server, IN_FLIGHT) === 1);
    // Busy past the budget, and again through the time given back.
    setImmediate(() => {
      busy(700);
      setImmediate(() => busy(700));
    });
    const response = await client.next();
    expect(response?.status).toBe(429);
    expect(response?.headers['retry-after']).toBe('1');
    expect(response?.headers['connection']).toBe('close');
    expect(JSON.parse(response?.body ?? '')).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the server is too busy: the request body could not be read within the time budget of 200 ms; retry later',
      reason: 'TooManyRequests',
      code: 429,
    });
    await client.closed;
    expect(metric(server, 'mamori_admission_errors_total{reason="too_many_requests"}')).toBe(1);
  });

  it('a body that does not come once the server is free again is answered 408', async () => {
    const server = await startServer({ timeoutMs: 200 });
    const client = await Client.open(server.port, '127.0.0.1');
    client.startReview(review('missing', false), 10);
    await until(() => metric(server, IN_FLIGHT) === 1);
    const before = performance.now();
    setImmediate(() => busy(700));
    const response = await client.next();
    // The 700 ms the loop was held are given back, at most another budget: 200 ms of a free server.
    expect(performance.now() - before).toBeGreaterThan(850);
    expect(response?.status).toBe(408);
    expect(JSON.parse(response?.body ?? '')).toMatchObject({ reason: 'Timeout', message: 'the request body did not arrive within the time budget of 200 ms' });
  });

  it('a body that does not come while the server is free is answered 408 at the end of the budget', async () => {
    const server = await startServer({ timeoutMs: 200 });
    const client = await Client.open(server.port, '127.0.0.1');
    const before = performance.now();
    client.startReview(review('slow', false), 10);
    const response = await client.next();
    expect(performance.now() - before).toBeLessThan(700);
    expect(response?.status).toBe(408);
  });
});
