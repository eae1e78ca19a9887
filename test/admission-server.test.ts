import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpsRequest, type RequestOptions } from 'node:https';
import { connect as netConnect, createServer as createNetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCertificates, type GeneratedCertificates } from '../src/admission/certs.js';
import { Logger } from '../src/admission/log.js';
import { DEFAULT_MODES } from '../src/admission/modes.js';
import { StaticNamespaceLabels } from '../src/admission/namespaces.js';
import { Evaluator } from '../src/admission/review.js';
import { AdmissionServer, MAX_BODY_BYTES, parseGoDuration, type AdmissionServerOptions } from '../src/admission/server.js';
import type { AdmissionResponse, AdmissionReviewResponse, Decision, FailurePolicy } from '../src/admission/types.js';
import { knownRules, parseConfig } from '../src/engine/config.js';
import { loadPolicies, type LoadResult } from '../src/policy/vap.js';
import { RULES } from '../src/rules/index.js';
import { FakeApiServer } from './helpers/fake-apiserver.js';
import type { JsonObject, JsonValue } from '../src/types.js';

// ---------------------------------------------------------------------------------------------
// Certificates, server and client

const dir = mkdtempSync(join(tmpdir(), 'mamori-admission-'));
const certFile = join(dir, 'tls.crt');
const keyFile = join(dir, 'tls.key');

function issue(): GeneratedCertificates {
  return generateCertificates({ commonName: 'mamori-webhook', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
}

/** The certificates the client trusts: every CA issued in this file. */
const trusted: string[] = [];
function install(certs: GeneratedCertificates, key = certs.key): void {
  trusted.push(certs.caCert);
  writeFileSync(keyFile, key);
  writeFileSync(certFile, certs.cert);
}

const fingerprint = (pem: string): string => new X509Certificate(pem).fingerprint256;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

function call(port: number, method: string, path: string, body?: string | Buffer, headers: Record<string, string | number> = {}, options: RequestOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, method, path, ca: trusted, servername: 'localhost', agent, headers, ...options }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const json = { 'Content-Type': 'application/json' };

async function review(port: number, endpoint: 'validate' | 'mutate', body: JsonObject): Promise<AdmissionResponse> {
  const reply = await call(port, 'POST', `/${endpoint}?timeout=10s`, JSON.stringify(body), json);
  expect(reply.status).toBe(200);
  expect(reply.headers['content-type']).toBe('application/json');
  const parsed = JSON.parse(reply.body) as AdmissionReviewResponse;
  expect(parsed.apiVersion).toBe('admission.k8s.io/v1');
  expect(parsed.kind).toBe('AdmissionReview');
  expect(parsed.response.uid).toBe((body['request'] as JsonObject)['uid']);
  return parsed.response;
}

let uids = 0;
function admission(object: JsonObject | null, request: Record<string, JsonValue> = {}): JsonObject {
  const source = object ?? (request['oldObject'] as JsonObject);
  const metadata = source['metadata'] as JsonObject;
  uids++;
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `7e3c1f0a-0000-4000-8000-${String(uids).padStart(12, '0')}`,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      name: String(metadata['name']),
      namespace: String(metadata['namespace']),
      operation: 'CREATE',
      userInfo: { username: 'alice' },
      object,
      oldObject: null,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
      ...request,
    },
  };
}

const IMAGE = 'registry.example.com/shop/cart:1.4.2';
const SECRET_ANNOTATION = 'do-not-log-this-annotation-value';

function pod(name: string, namespace: string, spec: JsonObject, metadata: JsonObject = {}): JsonObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, annotations: { note: SECRET_ANNOTATION }, ...metadata }, spec };
}
const plain = (): JsonObject => ({ containers: [{ name: 'cart', image: IMAGE }] });
const privileged = (): JsonObject => ({ containers: [{ name: 'cart', image: IMAGE, securityContext: { privileged: true } }] });
const hardened = (): JsonObject => ({
  securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
  containers: [{ name: 'cart', image: IMAGE, securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
});

/** RFC 6902 as the API server applies it (strict: parents must exist, `add` replaces a member). */
function applyStrict(doc: JsonValue, ops: readonly { op: string; path: string; value?: JsonValue }[]): JsonValue {
  const root = structuredClone(doc);
  for (const op of ops) {
    const tokens = op.path.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = tokens.pop() as string;
    let parent: JsonValue | undefined = root;
    for (const t of tokens) {
      parent = Array.isArray(parent) ? parent[Number(t)] : parent !== null && typeof parent === 'object' ? parent[t] : undefined;
      if (parent === undefined || parent === null || typeof parent !== 'object') throw new Error(`${op.path}: the parent does not exist`);
    }
    if (Array.isArray(parent) || parent === null || typeof parent !== 'object') throw new Error(`${op.path}: only object members are expected`);
    if (op.op === 'add') parent[last] = op.value as JsonValue;
    else if (op.op === 'replace' && Object.hasOwn(parent, last)) parent[last] = op.value as JsonValue;
    else if (op.op === 'remove' && Object.hasOwn(parent, last)) delete parent[last];
    else throw new Error(`${op.op} ${op.path}: invalid`);
  }
  return root;
}

const logLines: string[] = [];
const recorded: Decision[] = [];

function startServer(failurePolicy: FailurePolicy, timeoutMs: number, policies?: LoadResult, more: Partial<AdmissionServerOptions> = {}): Promise<AdmissionServer> {
  const config = parseConfig({ exceptions: [{ rule: 'pss-privileged', namespace: 'legacy', name: 'cart', reason: 'migrating off the device plugin' }] }, 'test.yaml', knownRules(RULES));
  const namespaces = StaticNamespaceLabels.fromNamespaces([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'secure', labels: { 'mamori.io/enforce': 'restricted' } } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'playground', labels: { 'pod-security.kubernetes.io/enforce': 'privileged', 'pod-security.kubernetes.io/warn': 'privileged', 'pod-security.kubernetes.io/audit': 'privileged' } } },
  ]);
  const server = new AdmissionServer({
    certFile,
    keyFile,
    port: 0,
    host: '127.0.0.1',
    context: { namespaces, settings: { defaults: DEFAULT_MODES, exemptions: { usernames: [], namespaces: [], runtimeClasses: [] }, failOn: 'low', failurePolicy }, evaluator: new Evaluator({ rules: RULES, config }), requireReview: true, policies },
    failurePolicy,
    timeoutMs,
    logger: new Logger({ write: (line: string) => logLines.push(line) }),
    certPollMs: 50,
    shutdownGraceMs: 5000,
    onDecision: (_endpoint, decision) => recorded.push(decision),
    ...more,
  });
  return server.start().then(() => server);
}

let server: AdmissionServer;
let port: number;
const first = issue();

beforeAll(async () => {
  install(first);
  server = await startServer('Fail', 2000);
  port = server.port;
});

afterAll(async () => {
  await server.shutdown();
  agent.destroy();
  rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------

describe('admission server over TLS: reviews', () => {
  it('allows a compliant pod and reports its own latency', async () => {
    const reply = await call(port, 'POST', '/validate?timeout=10s', JSON.stringify(admission(pod('cart', 'shop', hardened()))), json);
    expect(reply.status).toBe(200);
    expect(reply.headers['server-timing']).toMatch(/^mamori;dur=\d+\.\d{3}$/);
    const res = (JSON.parse(reply.body) as AdmissionReviewResponse).response;
    expect(res.allowed).toBe(true);
    expect(res.warnings).toBeUndefined();
    expect(res.auditAnnotations).toEqual({ 'enforce-policy': 'baseline:latest' });
  });

  it('denies with the exact PSA-style message', async () => {
    const res = await review(port, 'validate', admission(pod('cart', 'shop', privileged())));
    expect(res.allowed).toBe(false);
    expect(res.status).toEqual({ code: 403, reason: 'Forbidden', message: 'pods "cart" is forbidden: violates PodSecurity "baseline:latest": privileged (container "cart" must not set securityContext.privileged=true)' });
  });

  it('warns and audits what restricted would refuse', async () => {
    const res = await review(port, 'validate', admission(pod('cart', 'shop', plain())));
    const expected = [
      'allowPrivilegeEscalation != false (container "cart" must set securityContext.allowPrivilegeEscalation=false)',
      'unrestricted capabilities (container "cart" must set securityContext.capabilities.drop=["ALL"])',
      'runAsNonRoot != true (pod or container "cart" must set securityContext.runAsNonRoot=true)',
      'seccompProfile (pod or container "cart" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    ];
    expect(res.allowed).toBe(true);
    expect(res.warnings).toEqual(expected);
    expect(res.auditAnnotations?.['audit-violations']).toBe(`would violate PodSecurity "restricted:latest": ${expected.join(', ')}`);
  });

  it('follows the namespace labels', async () => {
    expect((await review(port, 'validate', admission(pod('cart', 'secure', plain())))).allowed).toBe(false);
    const playground = await review(port, 'validate', admission(pod('cart', 'playground', privileged())));
    expect(playground).toEqual({ uid: playground.uid, allowed: true, auditAnnotations: { 'enforce-policy': 'privileged:latest' } });
  });

  it('applies exceptions of the configuration', async () => {
    const res = await review(port, 'validate', admission(pod('cart', 'legacy', privileged())));
    expect(res.allowed).toBe(true);
    expect(res.auditAnnotations?.['suppressed-rules']).toBe('pss-privileged');
    expect((await review(port, 'validate', admission(pod('basket', 'legacy', privileged())))).allowed).toBe(false);
  });

  it('answers dry runs the same, without side effects', async () => {
    const before = recorded.length;
    const wet = await review(port, 'validate', admission(pod('cart', 'shop', privileged())));
    expect(recorded.length).toBe(before + 1);
    const body = admission(pod('cart', 'shop', privileged()), { dryRun: true });
    const dry = await review(port, 'validate', body);
    expect({ ...dry, uid: '' }).toEqual({ ...wet, uid: '' });
    expect(recorded.length).toBe(before + 1);
    const line = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['uid'] === (body['request'] as JsonObject)['uid']);
    expect(line).toMatchObject({ msg: 'admission decision', verdict: 'deny', dry_run: true });
  });

  it('mutates, and the patched object is then allowed', async () => {
    const body = admission(pod('cart', 'secure', plain()));
    const res = await review(port, 'mutate', body);
    expect(res.allowed).toBe(true);
    expect(res.patchType).toBe('JSONPatch');
    const ops = JSON.parse(Buffer.from(res.patch ?? '', 'base64').toString('utf8')) as { op: string; path: string; value?: JsonValue }[];
    const patched = applyStrict((body['request'] as JsonObject)['object'] as JsonObject, ops) as JsonObject;
    const again = await review(port, 'validate', admission(patched));
    expect(again.allowed).toBe(true);
    expect(again.warnings).toBeUndefined();
    const clean = await review(port, 'mutate', admission(patched));
    expect(clean).toEqual({ uid: clean.uid, allowed: true });
  });

  it('handles UPDATE (metadata-only pod updates are not re-judged) and DELETE', async () => {
    const old = pod('cart', 'shop', privileged());
    const relabelled = pod('cart', 'shop', privileged(), { labels: { release: 'canary' } });
    expect((await review(port, 'validate', admission(relabelled, { operation: 'UPDATE', oldObject: old }))).allowed).toBe(true);
    const image = privileged();
    ((image['containers'] as JsonObject[])[0] as JsonObject)['image'] = 'registry.example.com/shop/cart:1.5.0';
    expect((await review(port, 'validate', admission(pod('cart', 'shop', image), { operation: 'UPDATE', oldObject: old }))).allowed).toBe(false);
    const deleted = await review(port, 'validate', admission(null, { operation: 'DELETE', oldObject: old }));
    expect(deleted).toEqual({ uid: deleted.uid, allowed: true });
  });

  it('logs one JSON line per decision, without object content', async () => {
    const body = admission(pod('cart', 'shop', privileged()));
    await review(port, 'validate', body);
    const uid = (body['request'] as JsonObject)['uid'];
    const lines = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['uid'] === uid);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'info', msg: 'admission decision', endpoint: 'validate', operation: 'CREATE', kind: 'Pod', namespace: 'shop', name: 'cart', user: 'alice', verdict: 'deny', dry_run: false });
    expect((lines[0] as Record<string, unknown>)['rules']).toEqual(expect.arrayContaining(['pss-privileged']));
    expect(typeof (lines[0] as Record<string, unknown>)['duration_ms']).toBe('number');
    for (const line of logLines) {
      expect(line).not.toContain(IMAGE);
      expect(line).not.toContain(SECRET_ANNOTATION);
    }
  });
});

describe('admission server over TLS: refused requests', () => {
  const status = (reply: Reply): Record<string, unknown> => JSON.parse(reply.body) as Record<string, unknown>;

  it('answers malformed bodies with 400 and the reason', async () => {
    const broken = await call(port, 'POST', '/validate', '{"apiVersion": "admission.k8s.io/v1", ', json);
    expect(broken.status).toBe(400);
    expect(status(broken)).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'BadRequest', code: 400 });
    expect(String(status(broken)['message'])).toMatch(/^the body is not valid JSON: /);
    const beta = await call(port, 'POST', '/validate', JSON.stringify({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: {} }), json);
    expect(beta.status).toBe(400);
    expect(status(beta)['message']).toBe('unsupported apiVersion "admission.k8s.io/v1beta1": only admission.k8s.io/v1 AdmissionReview is served (set admissionReviewVersions: ["v1"])');
    const bare = await call(port, 'POST', '/validate', JSON.stringify((admission(pod('cart', 'shop', plain()))['request'] as JsonObject)), json);
    expect(bare.status).toBe(400);
    expect(status(bare)['message']).toBe('the body must be an admission.k8s.io/v1 AdmissionReview (apiVersion and kind are missing)');
    // userInfo is checked in full: a wrong type is named by its key.
    const review = admission(pod('cart', 'shop', plain()));
    (review['request'] as JsonObject)['userInfo'] = { username: 'alice', groups: ['dev'], extra: { scopes: 'read' } };
    const extra = await call(port, 'POST', '/validate', JSON.stringify(review), json);
    expect(extra.status).toBe(400);
    expect(status(extra)['message']).toBe('request.userInfo.extra["scopes"] must be a list of strings');
  });

  it('refuses bodies over 3 MiB with 413, declared or streamed, and keeps serving', async () => {
    const big = Buffer.alloc(MAX_BODY_BYTES + 1, 0x20);
    const declared = await call(port, 'POST', '/validate', big, { ...json, 'Content-Length': big.length });
    expect(declared.status).toBe(413);
    expect(status(declared)).toMatchObject({ reason: 'RequestEntityTooLarge', code: 413, message: 'request entity is too large; limit is 3145728 bytes' });
    const streamed = await new Promise<Reply>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port, method: 'POST', path: '/validate', ca: trusted, servername: 'localhost', agent, headers: { ...json, 'Transfer-Encoding': 'chunked' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      for (let i = 0; i < 4; i++) req.write(Buffer.alloc(1024 * 1024, 0x20));
      req.end();
    });
    expect(streamed.status).toBe(413);
    // Exactly at the limit is fine (it is only not JSON).
    const atLimit = await call(port, 'POST', '/validate', Buffer.alloc(MAX_BODY_BYTES, 0x20), json);
    expect(atLimit.status).toBe(400);
    expect((await review(port, 'validate', admission(pod('cart', 'shop', hardened())))).allowed).toBe(true);
  });

  it('refuses other content types with 415', async () => {
    const reply = await call(port, 'POST', '/validate', JSON.stringify(admission(pod('cart', 'shop', plain()))), { 'Content-Type': 'application/yaml' });
    expect(reply.status).toBe(415);
    expect(status(reply)).toMatchObject({ reason: 'UnsupportedMediaType', code: 415, message: 'Content-Type must be application/json, got "application/yaml"' });
    const withCharset = await call(port, 'POST', '/validate', JSON.stringify(admission(pod('cart', 'shop', hardened()))), { 'Content-Type': 'application/json; charset=utf-8' });
    expect(withCharset.status).toBe(200);
  });

  it('answers unknown paths with 404 and wrong methods with 405', async () => {
    const missing = await call(port, 'GET', '/admit');
    expect(missing.status).toBe(404);
    expect(status(missing)).toMatchObject({ reason: 'NotFound', code: 404 });
    const get = await call(port, 'GET', '/validate');
    expect(get.status).toBe(405);
    expect(get.headers['allow']).toBe('POST');
    const post = await call(port, 'POST', '/healthz', '{}', json);
    expect(post.status).toBe(405);
    expect(post.headers['allow']).toBe('GET, HEAD');
  });

  it('refuses TLS older than 1.2', async () => {
    const error = await new Promise<Error>((resolve) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, ca: trusted, servername: 'localhost', minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
      socket.on('secureConnect', () => resolve(new Error(`connected with ${socket.getProtocol() ?? ''}`)));
      socket.on('error', resolve);
    });
    expect(error.message).toMatch(/protocol version|unsupported protocol/i);
    const protocol = await new Promise<string | null>((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, ca: trusted, servername: 'localhost', maxVersion: 'TLSv1.2' }, () => {
        resolve(socket.getProtocol());
        socket.end();
      });
      socket.on('error', reject);
    });
    expect(protocol).toBe('TLSv1.2');
  });
});

describe('admission server over TLS: health, readiness and metrics', () => {
  it('serves /healthz, /readyz and /metrics in the Prometheus text format', async () => {
    expect(await call(port, 'GET', '/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    expect(await call(port, 'GET', '/readyz')).toMatchObject({ status: 200, body: 'ok\n' });
    const metrics = await call(port, 'GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const lines = metrics.body.split('\n').filter((l) => l !== '');
    for (const line of lines) expect(line).toMatch(/^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{([a-z_]+="[^"]*",?)+\})? [0-9.e+-]+|[a-z_]+(\{([a-z_]+="[^"]*",?)+\})? \+Inf)$/);
    const value = (sample: string): number => Number(lines.find((l) => l.startsWith(`${sample} `))?.split(' ')[1] ?? Number.NaN);
    expect(value('mamori_admission_requests_total{operation="CREATE",kind="Pod",verdict="deny",endpoint="validate"}')).toBeGreaterThanOrEqual(2);
    expect(value('mamori_admission_requests_total{operation="DELETE",kind="Pod",verdict="skip",endpoint="validate"}')).toBe(1);
    expect(value('mamori_admission_errors_total{reason="payload_too_large"}')).toBe(2);
    expect(value('mamori_admission_errors_total{reason="unsupported_media_type"}')).toBe(1);
    expect(value('mamori_admission_errors_total{reason="not_found"}')).toBe(1);
    expect(value('mamori_admission_errors_total{reason="tls_handshake"}')).toBeGreaterThanOrEqual(1);
    const count = value('mamori_admission_request_duration_seconds_count{endpoint="validate"}');
    expect(count).toBeGreaterThan(10);
    expect(value('mamori_admission_request_duration_seconds_bucket{endpoint="validate",le="+Inf"}')).toBe(count);
    expect(value('mamori_admission_request_duration_seconds_bucket{endpoint="validate",le="0.0005"}')).toBeLessThanOrEqual(value('mamori_admission_request_duration_seconds_bucket{endpoint="validate",le="1"}'));
    expect(value('process_resident_memory_bytes')).toBeGreaterThan(1e6);
  });

  it('parses the API server\'s timeout parameter', () => {
    expect(parseGoDuration('10s')).toBe(10_000);
    expect(parseGoDuration('1m0s')).toBe(60_000);
    expect(parseGoDuration('1.5s')).toBe(1500);
    expect(parseGoDuration('250ms')).toBe(250);
    expect(parseGoDuration('10')).toBeUndefined();
    expect(parseGoDuration('s')).toBeUndefined();
    expect(parseGoDuration(null)).toBeUndefined();
  });
});

describe('admission server: failure policy and time budget', () => {
  let deep: JsonValue = 'x';
  for (let i = 0; i < 300; i++) deep = { a: deep };

  it('refuses what it cannot check with failurePolicy Fail, allows it with Ignore', async () => {
    const closed = await review(port, 'validate', admission(pod('cart', 'shop', { ...hardened(), extra: deep })));
    expect(closed.allowed).toBe(false);
    expect(closed.status?.code).toBe(500);
    expect(closed.status?.message).toBe('mamori could not check this request: evaluation failed: the object is nested deeper than 128 levels (failurePolicy Fail refuses it)');
    const lenient = await startServer('Ignore', 2000);
    try {
      const open = await review(lenient.port, 'validate', admission(pod('cart', 'shop', { ...hardened(), extra: deep })));
      expect(open).toEqual({
        uid: open.uid,
        allowed: true,
        warnings: ['allowed without a check by mamori (failurePolicy Ignore): evaluation failed: the object is nested deeper than 128 levels'],
        auditAnnotations: { 'failed-open': 'evaluation failed: the object is nested deeper than 128 levels' },
      });
    } finally {
      await lenient.shutdown();
    }
  });

  it('stops a costly policy at the end of the budget, answers per the failure policy, and serves the next review', async () => {
    // Ten validations of about a million CEL steps each on a pod with 1,000 annotations: seconds of
    // evaluation, against a budget of 300 ms.
    const square = 'object.metadata.annotations.all(k, object.metadata.annotations.all(j, object.metadata.annotations[j] != "x"))';
    const policies = loadPolicies([
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicy',
        metadata: { name: 'costly' },
        spec: {
          failurePolicy: 'Fail',
          matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }] },
          validations: Array.from({ length: 10 }, () => ({ expression: square })),
        },
      },
      { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: 'costly' }, spec: { policyName: 'costly', validationActions: ['Deny'] } },
    ]);
    expect(policies.errors).toEqual([]);
    const annotations: JsonObject = {};
    for (let i = 0; i < 1000; i++) annotations[`example.com/a${i}`] = String(i);
    const busy = await startServer('Ignore', 300, policies);
    try {
      const before = performance.now();
      const open = await review(busy.port, 'validate', admission(pod('cart', 'shop', hardened(), { annotations })));
      const took = performance.now() - before;
      expect(open).toEqual({
        uid: open.uid,
        allowed: true,
        warnings: ['allowed without a check by mamori (failurePolicy Ignore): not evaluated within the time budget of 300 ms'],
        auditAnnotations: { 'failed-open': 'not evaluated within the time budget of 300 ms' },
      });
      // Stopped near the budget, far from the seconds the ten validations take.
      expect(took).toBeLessThan(1500);
      // The deadline was one review's: a pod the policy finds cheap is judged by it as usual.
      const small = await review(busy.port, 'validate', admission(pod('cart', 'shop', hardened(), { annotations: { note: 'x' } })));
      expect(small.allowed).toBe(false);
      expect(small.status?.message).toBe(`pods "cart" is forbidden: ValidatingAdmissionPolicy 'costly' with binding 'costly' denied request: failed expression: ${square}`);
    } finally {
      await busy.shutdown();
    }
  });

  it('answers /mutate as Ignore whatever the failure policy: allowed, without a patch', async () => {
    const counted = (): number => Number(/mamori_admission_errors_total\{reason="evaluation"\} (\d+)/.exec(server.metrics.render())?.[1] ?? 0);
    const before = counted();
    const open = await review(port, 'mutate', admission(pod('cart', 'shop', { ...privileged(), extra: deep })));
    expect(open).toEqual({
      uid: open.uid,
      allowed: true,
      warnings: ['allowed without a check by mamori (failurePolicy Ignore): evaluation failed: the object is nested deeper than 128 levels'],
      auditAnnotations: { 'failed-open': 'evaluation failed: the object is nested deeper than 128 levels' },
    });
    expect(counted()).toBe(before + 1);
  });

  it('gives up on a body that does not arrive within the budget (408)', async () => {
    const slow = await startServer('Fail', 150);
    try {
      const reply = await new Promise<Reply>((resolve, reject) => {
        const req = httpsRequest({ host: '127.0.0.1', port: slow.port, method: 'POST', path: '/validate', ca: trusted, servername: 'localhost', headers: { ...json, 'Content-Length': 100 } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        });
        req.on('error', reject);
        req.write('{"apiVersion":');
      });
      expect(reply.status).toBe(408);
      expect(JSON.parse(reply.body)).toMatchObject({ reason: 'Timeout', message: 'the request body did not arrive within the time budget of 150 ms' });
    } finally {
      await slow.shutdown();
    }
  });
});

describe('admission server: certificate rotation and shutdown', () => {
  function peer(at: number): Promise<PeerCertificate> {
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: at, ca: trusted, servername: 'localhost' }, () => {
        resolve(socket.getPeerCertificate());
        socket.end();
      });
      socket.on('error', reject);
    });
  }

  async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (await check()) return true;
      await new Promise((r) => setTimeout(r, 25));
    }
    return check();
  }

  it('serves a new certificate once the files change, and keeps the old one when the new pair is broken', async () => {
    expect((await peer(port)).fingerprint256).toBe(fingerprint(first.cert));
    const second = issue();
    install(second);
    expect(await until(async () => (await peer(port)).fingerprint256 === fingerprint(second.cert), 5000)).toBe(true);
    expect(logLines.some((l) => l.includes('"msg":"certificate reloaded"') && l.includes(fingerprint(second.cert)))).toBe(true);
    // A certificate with a key that is not its own: logged, and the working pair stays.
    const third = issue();
    install(third, first.key);
    expect(await until(async () => logLines.some((l) => l.includes('"msg":"certificate reload failed; keeping the certificate in use"')), 5000)).toBe(true);
    expect((await peer(port)).fingerprint256).toBe(fingerprint(second.cert));
    expect((await review(port, 'validate', admission(pod('cart', 'shop', hardened())))).allowed).toBe(true);
    install(third);
    expect(await until(async () => (await peer(port)).fingerprint256 === fingerprint(third.cert), 5000)).toBe(true);
  });

  it('finishes a request in flight on shutdown, then accepts no new connection', async () => {
    const own = await startServer('Fail', 10_000);
    const body = Buffer.from(JSON.stringify(admission(pod('cart', 'shop', privileged()))));
    let sent!: () => void;
    const headersSent = new Promise<void>((r) => (sent = r));
    const inFlight = new Promise<Reply>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port: own.port, method: 'POST', path: '/validate', ca: trusted, servername: 'localhost', headers: { ...json, 'Content-Length': body.length } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.write(body.subarray(0, 10), () => sent());
      setTimeout(() => req.end(body.subarray(10)), 400);
    });
    await headersSent;
    await new Promise((r) => setTimeout(r, 100));
    let stopped = false;
    const closing = own.shutdown().then(() => {
      stopped = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    // While a request is in flight the listener stays open (a request already sent must not be
    // reset), and says it is shutting down.
    const ready = await call(own.port, 'GET', '/readyz', undefined, {}, { agent: false });
    expect([ready.status, ready.body]).toEqual([503, 'shutting down\n']);
    expect(stopped).toBe(false);
    const reply = await inFlight;
    expect(reply.status).toBe(200);
    expect(reply.headers['connection']).toBe('close');
    expect((JSON.parse(reply.body) as AdmissionReviewResponse).response.allowed).toBe(false);
    await closing;
    expect(stopped).toBe(true);
    const refused = await call(own.port, 'GET', '/healthz', undefined, {}, { agent: false }).then(
      () => 'accepted',
      (error: NodeJS.ErrnoException) => error.code,
    );
    expect(refused).toBe('ECONNREFUSED');
  });
});

describe('admission server: connections', () => {
  /** A TCP connection that never starts TLS; resolves once connected. */
  function raw(at: number): Promise<{ socket: Socket; closed: Promise<number> }> {
    return new Promise((resolve, reject) => {
      const socket = netConnect(at, '127.0.0.1');
      const opened = performance.now();
      const closed = new Promise<number>((r) => socket.once('close', () => r(performance.now() - opened)));
      socket.once('error', () => undefined);
      socket.once('connect', () => resolve({ socket, closed }));
      socket.once('close', () => reject(new Error('closed before connecting')));
    });
  }

  it('closes a connection whose TLS handshake does not end in time', async () => {
    const own = await startServer('Fail', 2000, undefined, { handshakeTimeoutMs: 300 });
    try {
      const { closed } = await raw(own.port);
      const after = await closed;
      expect(after).toBeGreaterThan(250);
      expect(after).toBeLessThan(2000);
      expect(own.metrics.render()).toContain('mamori_admission_errors_total{reason="tls_handshake"} 1');
      // Counted once: a failed handshake is no HTTP error.
      expect(own.metrics.render()).not.toContain('reason="bad_http"');
      expect((await call(own.port, 'GET', '/healthz', undefined, {}, { agent: false })).status).toBe(200);
    } finally {
      await own.shutdown();
    }
  });

  it('answers every request already sent when shutdown begins, though the event loop has not read them yet', async () => {
    // Shutdown begins as the first answer is decided: the loop was busy evaluating it (a large
    // pod), so the other requests wait unread in their sockets, and look idle to the HTTP server.
    let closing: Promise<void> | undefined;
    const own: AdmissionServer = await startServer('Fail', 10_000, undefined, { onDecision: () => (closing ??= own.shutdown()) });
    const containers = Array.from({ length: 1500 }, (_, i) => ({ name: `c${i}`, image: IMAGE, securityContext: { privileged: true } }));
    const body = Buffer.from(JSON.stringify(admission(pod('cart', 'shop', { containers }))));
    const replies = Array.from(
      { length: 8 },
      () =>
        new Promise<number | string>((resolve) => {
          const req = httpsRequest({ host: '127.0.0.1', port: own.port, method: 'POST', path: '/validate', ca: trusted, servername: 'localhost', agent: false, headers: { ...json, 'Content-Length': body.length } }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
          req.end(body);
        }),
    );
    expect(await Promise.all(replies)).toEqual(Array.from({ length: 8 }, () => 200));
    await closing;
  });

  it('keeps answering a client that sends a request every 150 ms during shutdown, then stops', async () => {
    const own = await startServer('Fail', 10_000, undefined, { shutdownGraceMs: 10_000 });
    const body = JSON.stringify(admission(pod('cart', 'shop', plain())));
    let stopped = false;
    let closing: Promise<void> | undefined;
    const statuses: (number | string)[] = [];
    for (let i = 0; i < 8; i++) {
      const reply = await call(own.port, 'POST', '/validate', body, json, { agent: false }).then(
        (r) => r.status,
        (error: NodeJS.ErrnoException) => error.code ?? 'error',
      );
      statuses.push(reply);
      closing ??= own.shutdown().then(() => {
        stopped = true;
      });
      await new Promise((r) => setTimeout(r, 150));
    }
    // Requests never paused for 0.5 s: each was answered, and the server had not stopped.
    expect(statuses).toEqual(Array.from({ length: 8 }, () => 200));
    expect(stopped).toBe(false);
    await closing;
    expect(stopped).toBe(true);
  });

  it('shuts down within the grace period with a connection still in its TLS handshake', async () => {
    const own = await startServer('Fail', 2000, undefined, { handshakeTimeoutMs: 60_000, shutdownGraceMs: 300 });
    const { closed } = await raw(own.port);
    const before = performance.now();
    await own.shutdown();
    expect(performance.now() - before).toBeLessThan(3000);
    await closed;
  });

  it('past maxConnections, admits a new client in place of a connection still in its TLS handshake', async () => {
    // Connections that never start TLS fill the limit (two sources, at most two each): the next
    // client takes the place of the oldest of the source holding the most, not of 127.0.0.3's.
    const own = await startServer('Fail', 2000, undefined, { maxConnections: 4 });
    try {
      const from = (address: string): Promise<{ socket: Socket; closed: Promise<number> }> =>
        new Promise((resolve, reject) => {
          const socket = netConnect({ port: own.port, host: '127.0.0.1', localAddress: address });
          const opened = performance.now();
          const closed = new Promise<number>((r) => socket.once('close', () => r(performance.now() - opened)));
          socket.once('error', () => undefined);
          socket.once('connect', () => resolve({ socket, closed }));
          socket.once('close', () => reject(new Error('closed before connecting')));
        });
      const held = [await from('127.0.0.2'), await from('127.0.0.2'), await from('127.0.0.3'), await from('127.0.0.3')];
      let closed = -1;
      held.forEach((h, i) => void h.closed.then(() => (closed = closed < 0 ? i : closed)));
      await new Promise((r) => setTimeout(r, 50));
      expect((await call(own.port, 'GET', '/healthz', undefined, {}, { agent: false })).status).toBe(200);
      expect(await held[0]?.closed).toBeLessThan(1000);
      expect(closed).toBe(0);
      expect(own.metrics.render()).toContain('mamori_admission_errors_total{reason="idle_connection_closed"} 1');
      expect(own.metrics.render()).not.toContain('reason="too_many_connections"');
      // Closed by the server, not a failed handshake.
      expect(own.metrics.render()).not.toContain('reason="tls_handshake"');
      for (const h of held) h.socket.destroy();
    } finally {
      await own.shutdown();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The command, as a process: `runAdmissionServe` until SIGTERM.

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as { port: number };
      probe.close(() => resolve(free));
    });
  });
}

describe('mamori admission serve (process)', () => {
  it('serves with namespace labels from a file, and exits 0 on SIGTERM after finishing a request in flight', async () => {
    const at = await freePort();
    const labels = join(dir, 'namespaces.yaml');
    writeFileSync(labels, 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: secure\n  labels:\n    mamori.io/enforce: restricted\n');
    const flags = { port: String(at), host: '127.0.0.1', tlsCert: certFile, tlsKey: keyFile, namespaceLabels: labels, failurePolicy: 'Ignore', timeout: '5000', exemptNamespaces: 'kube-system' };
    const code = `import('./src/cli/admission.ts').then((m) => m.runAdmissionServe(${JSON.stringify(flags)})).then((c) => { process.exitCode = c; });`;
    const child = spawn(join(process.cwd(), 'node_modules', '.bin', 'tsx'), ['--eval', code], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    try {
      const started = Date.now();
      while (!stderr.includes('"msg":"ready"')) {
        if (Date.now() - started > 60_000) throw new Error(`the server did not start: ${stderr}`);
        if (child.exitCode !== null) throw new Error(`the server exited: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect((await call(at, 'GET', '/readyz', undefined, {}, { agent: false })).status).toBe(200);
      expect((await review(at, 'validate', admission(pod('cart', 'secure', plain())))).allowed).toBe(false);
      expect((await review(at, 'validate', admission(pod('cart', 'shop', plain())))).allowed).toBe(true);
      expect((await review(at, 'validate', admission(pod('cart', 'kube-system', privileged())))).auditAnnotations).toEqual({ exempt: 'namespace' });
      // A request in flight when SIGTERM arrives is still answered.
      const body = Buffer.from(JSON.stringify(admission(pod('cart', 'shop', privileged()))));
      const inFlight = new Promise<Reply>((resolve, reject) => {
        const req = httpsRequest({ host: '127.0.0.1', port: at, method: 'POST', path: '/validate', ca: trusted, servername: 'localhost', agent: false, headers: { ...json, 'Content-Length': body.length } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        });
        req.on('error', reject);
        req.write(body.subarray(0, 10));
        setTimeout(() => {
          child.kill('SIGTERM');
          setTimeout(() => req.end(body.subarray(10)), 300);
        }, 200);
      });
      const reply = await inFlight;
      expect(reply.status).toBe(200);
      expect((JSON.parse(reply.body) as AdmissionReviewResponse).response.allowed).toBe(false);
      expect(await exited).toBe(0);
      expect(stderr).toContain('"msg":"signal received","signal":"SIGTERM"');
      expect(stderr).toContain('"msg":"stopped"');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('follows namespace labels from a watch of the cluster (--kubeconfig)', async () => {
    const api = await FakeApiServer.start();
    api.upsert('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'secure', labels: { 'mamori.io/enforce': 'restricted' } } });
    const kubeconfig = api.writeKubeconfig(dir);
    const at = await freePort();
    const flags = { port: String(at), host: '127.0.0.1', tlsCert: certFile, tlsKey: keyFile, kubeconfig };
    const code = `import('./src/cli/admission.ts').then((m) => m.runAdmissionServe(${JSON.stringify(flags)})).then((c) => { process.exitCode = c; });`;
    const child = spawn(join(process.cwd(), 'node_modules', '.bin', 'tsx'), ['--eval', code], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    const allowedIn = async (namespace: string): Promise<boolean> => (await review(at, 'validate', admission(pod('cart', namespace, plain())))).allowed;
    const eventually = async (check: () => Promise<boolean>): Promise<boolean> => {
      const end = Date.now() + 20_000;
      while (Date.now() < end) {
        if (await check()) return true;
        await new Promise((r) => setTimeout(r, 50));
      }
      return false;
    };
    try {
      const started = Date.now();
      while (!stderr.includes('"msg":"ready"')) {
        if (Date.now() - started > 60_000 || child.exitCode !== null) throw new Error(`the server did not start: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(stderr).toContain('"namespace_labels":"watch"');
      // Once the cache has synced, the namespace's label decides; a label change is followed.
      expect(await eventually(async () => !(await allowedIn('secure')))).toBe(true);
      expect(await allowedIn('shop')).toBe(true);
      api.upsert('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'secure', labels: { 'mamori.io/enforce': 'baseline' } } });
      expect(await eventually(() => allowedIn('secure'))).toBe(true);
      // SIGTERM stops the watch too, and the process exits.
      child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running 15 s after SIGTERM'), 15_000))]);
      expect(code).toBe(0);
      expect(stderr).not.toContain('the namespace watch did not stop in time');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await api.close();
    }
  });

  it('refuses bad flags as usage errors', async () => {
    const { runAdmissionServe } = await import('../src/cli/admission.js');
    await expect(runAdmissionServe({ failurePolicy: 'Open' })).rejects.toThrow('--failure-policy must be Fail or Ignore (got "Open")');
    await expect(runAdmissionServe({ port: '99999' })).rejects.toThrow('--port must be a whole number from 0 to 65535 (got "99999")');
    await expect(runAdmissionServe({ namespaceLabels: 'x.yaml', inCluster: true })).rejects.toThrow('--namespace-labels reads labels from a file; it cannot be combined with --kubeconfig or --in-cluster');
    await expect(runAdmissionServe({ tlsCert: join(dir, 'missing.crt'), tlsKey: keyFile, port: '0', namespaceLabels: join(dir, 'namespaces.yaml') })).rejects.toThrow(/cannot read the TLS certificate/);
  });
});
