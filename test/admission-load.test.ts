import { request as httpsRequest, type ClientRequest } from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCertificates } from '../src/admission/certs.js';
import { AdmissionServer, DEFAULT_MAX_IN_FLIGHT_BYTES } from '../src/admission/server.js';
import type { AdmissionReviewResponse } from '../src/admission/types.js';
import { admissionSettings } from '../src/cli/admission.js';
import { knownRules, parseConfig } from '../src/engine/config.js';
import { MamoriError } from '../src/errors.js';
import { RULES } from '../src/rules/index.js';
import { podCreateReview, webhookOptions } from './helpers/admission.js';

// The webhook under many large requests at once. Without a limit every request's body was buffered
// and judged, each 3 MiB review holding some 10 MB: `mamori admission serve` peaked at 285 MB of
// resident memory for 20 concurrent reviews of 2.9 MiB, 437 MB for 100 and 637 MB for 200 (past the
// Deployment's 384 MiB limit). With the default limit of 64 MiB of bodies: 253, 282 and 325 MB, the
// requests past the limit answered 429. The timeouts only catch hangs.
const TIMEOUT = 30_000;

const dir = mkdtempSync(join(tmpdir(), 'mamori-admission-load-'));
const certs = generateCertificates({ commonName: 'mamori-webhook', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
writeFileSync(join(dir, 'tls.crt'), certs.cert);
writeFileSync(join(dir, 'tls.key'), certs.key);

function startServer(maxInFlightBytes: number): Promise<AdmissionServer> {
  const server = new AdmissionServer(webhookOptions(dir, { maxInFlightBytes }));
  return server.start().then(() => server);
}

/** An AdmissionReview of a Pod CREATE, padded by an annotation to exactly `bytes` bytes of JSON. */
function review(uid: string, bytes: number, privileged = false): Buffer {
  const make = (padding: string): string =>
    podCreateReview(uid, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: uid, namespace: 'shop', annotations: { padding } },
      spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1.0', ...(privileged ? { securityContext: { privileged: true } } : {}) }] },
    });
  const body = Buffer.from(make(''));
  return Buffer.from(make('x'.repeat(bytes - body.length)));
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A POST /validate on its own connection; `write` sends (part of) the body, `done` is the reply. */
function open(port: number, headers: Record<string, string | number>): { req: ClientRequest; done: Promise<Reply> } {
  let req!: ClientRequest;
  const done = new Promise<Reply>((resolve, reject) => {
    req = httpsRequest({ host: '127.0.0.1', port, method: 'POST', path: '/validate?timeout=10s', ca: [certs.caCert], servername: 'localhost', agent: false, headers: { 'Content-Type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  return { req, done };
}

function post(port: number, body: Buffer): Promise<Reply> {
  const { req, done } = open(port, { 'Content-Length': body.length });
  req.end(body);
  return done;
}

const verdict = (reply: Reply): { allowed: boolean; message?: string } => {
  expect(reply.status).toBe(200);
  const response = (JSON.parse(reply.body) as AdmissionReviewResponse).response;
  return response.status?.message === undefined ? { allowed: response.allowed } : { allowed: response.allowed, message: response.status.message };
};

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** The most bytes of bodies the server held, sampled every millisecond until stopped. */
function watchHeld(server: AdmissionServer): () => number {
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, server.metrics.inFlightBytes())), 1);
  return () => {
    clearInterval(timer);
    return Math.max(peak, server.metrics.inFlightBytes());
  };
}

const PRIVILEGED = 'pods "held-0" is forbidden: violates PodSecurity "baseline:latest": privileged (container "app" must not set securityContext.privileged=true)';

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('admission server: the bytes of requests in flight are limited', () => {
  const LIMIT = 1024 * 1024;
  const SIZE = 300_000;
  let server: AdmissionServer;
  beforeAll(async () => {
    server = await startServer(LIMIT);
  });
  afterAll(() => server.shutdown());

  it(
    'answers requests past the limit at once with 429 and Retry-After, judges those within it, and recovers',
    async () => {
      const stop = watchHeld(server);
      // Three requests within the limit, whose bodies have not all arrived: the bytes of the buffers
      // their bodies fill are held (up to the declared length, which all but the last byte reach).
      const bodies = [review('held-0', SIZE, true), review('held-1', SIZE), review('held-2', SIZE)];
      const held = bodies.map((body) => {
        const call = open(server.port, { 'Content-Length': body.length });
        call.req.write(body.subarray(0, SIZE - 1));
        return { ...call, body };
      });
      await until(() => server.metrics.inFlightBytes() === 3 * SIZE);

      // Ten more would pass the limit: each is refused as its body arrives, and never held whole,
      // while the three held requests are still waiting for theirs.
      const refused = await Promise.all(Array.from({ length: 10 }, (_, i) => post(server.port, review(`late-${i}`, SIZE))));
      for (const reply of refused) {
        expect(reply.status).toBe(429);
        expect(reply.headers['retry-after']).toBe('1');
        expect(JSON.parse(reply.body)).toEqual({
          kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'TooManyRequests', code: 429,
          message: 'too many requests in flight: their bodies would pass the limit of 1048576 bytes; retry later',
        });
      }
      // A body without a declared length is held as it grows, and refused when it would pass the limit.
      const chunked = open(server.port, { 'Transfer-Encoding': 'chunked' });
      for (let i = 0; i < 3; i++) chunked.req.write(Buffer.alloc(100_000, 0x20));
      chunked.req.end();
      expect((await chunked.done).status).toBe(429);
      expect(server.metrics.inFlightBytes()).toBe(3 * SIZE);

      // The held requests are judged as usual once their bodies arrive.
      for (const h of held) h.req.end(h.body.subarray(SIZE - 1));
      const judged = await Promise.all(held.map((h) => h.done));
      expect(judged.map(verdict)).toEqual([{ allowed: false, message: PRIVILEGED }, { allowed: true }, { allowed: true }]);
      await until(() => server.metrics.inFlightBytes() === 0);

      // A connection that sends its headers and waits holds nothing: idle connections cannot lock
      // real reviews out.
      const idle = Array.from({ length: 8 }, () => open(server.port, { 'Content-Length': SIZE }));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(server.metrics.inFlightBytes()).toBe(0);

      // Recovered: as many requests as fit are all judged.
      const again = await Promise.all([0, 1, 2].map((i) => post(server.port, review(`again-${i}`, SIZE))));
      expect(again.map(verdict)).toEqual([{ allowed: true }, { allowed: true }, { allowed: true }]);
      for (const call of idle) {
        call.done.catch(() => undefined);
        call.req.destroy();
      }
      expect(server.metrics.errors.get({ reason: 'too_many_requests' })).toBe(11);
      expect(server.metrics.render()).toContain('\nmamori_admission_in_flight_request_bytes 0\n');
      expect(stop()).toBeLessThanOrEqual(LIMIT);
    },
    TIMEOUT,
  );
});

describe('admission server: many requests of 3 MiB at once', () => {
  it(
    'never holds more than the limit of bodies, and judges every request it lets in',
    async () => {
      const limit = 6 * 1024 * 1024;
      const server = await startServer(limit);
      const stop = watchHeld(server);
      try {
        const size = 3 * 1024 * 1024 - 64 * 1024;
        const replies = await Promise.all(Array.from({ length: 24 }, (_, i) => post(server.port, review(`big-${i}`, size, i % 2 === 0))));
        const statuses = replies.map((r) => r.status);
        expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
        const judged = replies.flatMap((r, i) => (r.status === 200 ? [{ i, ...verdict(r) }] : []));
        expect(judged.length).toBeGreaterThanOrEqual(2);
        for (const { i, allowed, message } of judged) {
          expect(allowed).toBe(i % 2 !== 0);
          if (!allowed) expect(message).toBe(PRIVILEGED.replace('held-0', `big-${i}`));
        }
        expect(stop()).toBeLessThanOrEqual(limit);
        expect(server.metrics.inFlightBytes()).toBe(0);
      } finally {
        stop();
        await server.shutdown();
      }
    },
    TIMEOUT,
  );
});

describe('the limit of bytes in flight', () => {
  const known = knownRules(RULES);

  it('comes from --max-in-flight-bytes, else admission.maxInFlightBytes, else 64 MiB', () => {
    expect(admissionSettings({}, undefined).maxInFlightBytes).toBe(DEFAULT_MAX_IN_FLIGHT_BYTES);
    expect(DEFAULT_MAX_IN_FLIGHT_BYTES).toBe(64 * 1024 * 1024);
    const section = parseConfig({ admission: { maxInFlightBytes: '32Mi' } }, '.mamori.yaml', known).admission;
    expect(admissionSettings({}, undefined, section).maxInFlightBytes).toBe(32 * 1024 * 1024);
    expect(admissionSettings({ maxInFlightBytes: '8388608' }, undefined, section).maxInFlightBytes).toBe(8 * 1024 * 1024);
    expect(parseConfig({ admission: { maxInFlightBytes: 4194304 } }, '.mamori.yaml', known).admission?.maxInFlightBytes).toBe(4 * 1024 * 1024);
  });

  it('must hold at least one request of 3 MiB; errors name the flag or the key', () => {
    expect(() => admissionSettings({ maxInFlightBytes: '2Mi' }, undefined)).toThrow(
      '--max-in-flight-bytes must be a whole number of bytes from 3145728 (3Mi) to 17179869184 (16Gi), or one with a suffix Ki, Mi or Gi (got "2Mi")',
    );
    for (const value of ['64MB', 1.5, '17Gi', -1]) {
      let error: unknown;
      try {
        parseConfig({ admission: { maxInFlightBytes: value } }, '.mamori.yaml', known);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(MamoriError);
      expect((error as MamoriError).message).toBe('admission.maxInFlightBytes: must be a whole number of bytes from 3145728 (3Mi) to 17179869184 (16Gi), or one with a suffix Ki, Mi or Gi');
    }
  });
});
