/**
 * The `authorizer` of ValidatingAdmissionPolicies in the webhook, answered by the API server with
 * SubjectAccessReviews: the real @kubernetes/client-node against the fake API server over HTTPS.
 *
 * Expected values come from the Kubernetes API (SubjectAccessReview spec and status fields, the
 * CEL authorizer library's attributes: `version: "*"`, a service account user in
 * `system:serviceaccounts` and `system:serviceaccounts:<ns>` without uid or extra), the VAP
 * denial format (`<resource> "<name>" is forbidden: ValidatingAdmissionPolicy '<p>' with binding
 * '<b>' denied request: <message>`) and the answers the tests' own reviewer gives.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  decisionOfStatus,
  policiesUseAuthorizer,
  reviewUser,
  SubjectAccessReviewAuthorizer,
  subjectAccessReviewSpec,
  type SubjectAccessReviewAuthorizerOptions,
} from '../src/admission/authz.js';
import { generateCertificates } from '../src/admission/certs.js';
import { Logger } from '../src/admission/log.js';
import { loadKubeConfig, StaticNamespaceLabels } from '../src/admission/namespaces.js';
import { EvaluationError, Evaluator, needsAuthorizer, parseReview, validateRequest, validateRequestAsync, type ReviewContext } from '../src/admission/review.js';
import { AdmissionServer } from '../src/admission/server.js';
import type { AdmissionResponse, AdmissionReviewResponse, AdmissionSettings, FailurePolicy, ReviewOutcome } from '../src/admission/types.js';
import { authorizerSource } from '../src/cli/admission.js';
import { MamoriError } from '../src/errors.js';
import { loadPolicies, type LoadResult } from '../src/policy/vap.js';
import { RULES } from '../src/rules/index.js';
import type { JsonObject, JsonValue } from '../src/types.js';
import { FakeApiServer, SUBJECT_ACCESS_REVIEWS, type AccessReviewStatus } from './helpers/fake-apiserver.js';

// ---------------------------------------------------------------------------------------------
// Fixtures

const dir = mkdtempSync(join(tmpdir(), 'mamori-authz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function docs(text: string): JsonObject[] {
  return parseAllDocuments(text).map((d) => d.toJSON() as JsonObject).filter((d) => d !== null);
}

/** A policy on CREATE and UPDATE of ConfigMaps with these validations (and variables), bound with Deny. */
function policy(name: string, validations: JsonValue[], options: { failurePolicy?: FailurePolicy; variables?: JsonValue[]; resources?: string[] } = {}): LoadResult {
  const objects: JsonObject[] = [
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name },
      spec: {
        failurePolicy: options.failurePolicy ?? 'Fail',
        matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: options.resources ?? ['configmaps'] }] },
        ...(options.variables === undefined ? {} : { variables: options.variables }),
        validations,
      },
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: `${name}-binding` },
      spec: { policyName: name, validationActions: ['Deny'] },
    },
  ];
  const loaded = loadPolicies(objects);
  expect(loaded.errors).toEqual([]);
  return loaded;
}

const CAN_CREATE_PODS = "authorizer.group('').resource('pods').namespace('shop').check('create').allowed()";
const createPods = (failurePolicy: FailurePolicy = 'Fail'): LoadResult =>
  policy('may-create-pods', [{ expression: CAN_CREATE_PODS, message: 'the user may not create pods in shop', reason: 'Forbidden' }], { failurePolicy });

const ALICE = {
  username: 'alice',
  uid: 'a1b2c3',
  groups: ['dev', 'system:authenticated'],
  extra: { scopes: ['read', 'write'], 'authentication.kubernetes.io/credential-id': ['JTI=7f2e'] },
};

let uids = 0;
/** An AdmissionReview of a ConfigMap in `shop`. */
function configMapReview(userInfo: JsonObject = ALICE, operation: 'CREATE' | 'UPDATE' = 'CREATE', name = 'settings'): JsonObject {
  const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'shop' }, data: { a: '1' } };
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `uid-${++uids}`,
      kind: { group: '', version: 'v1', kind: 'ConfigMap' },
      resource: { group: '', version: 'v1', resource: 'configmaps' },
      requestKind: { group: '', version: 'v1', kind: 'ConfigMap' },
      requestResource: { group: '', version: 'v1', resource: 'configmaps' },
      name,
      namespace: 'shop',
      operation,
      userInfo,
      object,
      oldObject: operation === 'UPDATE' ? object : null,
      dryRun: false,
    },
  };
}

const SETTINGS: AdmissionSettings = {
  defaults: { enforce: { kind: 'catalog' }, warn: { kind: 'catalog' }, audit: { kind: 'catalog' } },
  exemptions: { usernames: [], namespaces: [], runtimeClasses: [] },
  failOn: 'critical',
  failurePolicy: 'Fail',
};
const evaluator = new Evaluator({ rules: RULES });

function context(policies: LoadResult, authorizer?: SubjectAccessReviewAuthorizer): ReviewContext {
  return { namespaces: new StaticNamespaceLabels({ shop: {} }), settings: SETTINGS, evaluator, policies, ...(authorizer === undefined ? {} : { authorizer }) };
}

async function validate(body: JsonObject, ctx: ReviewContext, signal?: AbortSignal): Promise<ReviewOutcome> {
  return validateRequestAsync(parseReview(body, true), ctx, signal);
}

const forbidden = (policyName: string, message: string, name = 'settings'): string =>
  `configmaps "${name}" is forbidden: ValidatingAdmissionPolicy '${policyName}' with binding '${policyName}-binding' denied request: ${message}`;

// ---------------------------------------------------------------------------------------------
// The fake API server and the authorizer

let fake: FakeApiServer;
let kubeConfig: KubeConfig;

beforeAll(async () => {
  fake = await FakeApiServer.start();
  kubeConfig = await loadKubeConfig({ kubeconfig: fake.writeKubeconfig(dir) });
});
afterAll(async () => {
  await fake.close();
});

/** Reviews received since the test began (the fake is shared by the file's tests). */
let seen = 0;
const reviews = (): JsonObject[] => fake.accessReviews.slice(seen) as JsonObject[];
const specs = (): JsonObject[] => reviews().map((r) => r['spec'] as JsonObject);
beforeEach(() => {
  seen = fake.accessReviews.length;
  fake.answerAccessReviews(() => ({ allowed: false }));
});

function authorizer(options: Partial<SubjectAccessReviewAuthorizerOptions> = {}): SubjectAccessReviewAuthorizer {
  return new SubjectAccessReviewAuthorizer({ kubeConfig, ...options });
}

/** A reviewer that allows what `grants` lists (`user verb group/resource namespace` or `user verb path`). */
function grants(...allowed: string[]): (spec: Record<string, unknown>) => AccessReviewStatus {
  return (spec) => {
    const r = spec['resourceAttributes'] as Record<string, string> | undefined;
    const p = spec['nonResourceAttributes'] as Record<string, string> | undefined;
    const line = r !== undefined ? `${String(spec['user'])} ${r['verb']} ${r['group']}/${r['resource']} ${r['namespace']}` : `${String(spec['user'])} ${p?.['verb']} ${p?.['path']}`;
    return allowed.includes(line) ? { allowed: true, reason: `granted: ${line}` } : { allowed: false, reason: `not granted: ${line}` };
  };
}

// ---------------------------------------------------------------------------------------------

describe('SubjectAccessReviews for authorizer checks', () => {
  it('asks the API server with the request user in full, and allows what it allows', async () => {
    fake.answerAccessReviews(grants('alice create /pods shop'));
    const outcome = await validate(configMapReview(), context(createPods(), authorizer()));
    expect(outcome.review.response.allowed).toBe(true);
    expect(outcome.review.response.status).toBeUndefined();
    expect(reviews()).toEqual([
      {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: 'alice',
          uid: 'a1b2c3',
          groups: ['dev', 'system:authenticated'],
          extra: { 'authentication.kubernetes.io/credential-id': ['JTI=7f2e'], scopes: ['read', 'write'] },
          resourceAttributes: { namespace: 'shop', verb: 'create', group: '', version: '*', resource: 'pods', subresource: '', name: '' },
        },
      },
    ]);
    expect(fake.requestsMatching({ path: SUBJECT_ACCESS_REVIEWS }).every((r) => r.method === 'POST' && r.authenticated && r.status === 201)).toBe(true);
  });

  it('denies with the policy message when the API server does not allow', async () => {
    fake.answerAccessReviews(grants('bob create /pods shop'));
    const outcome = await validate(configMapReview(), context(createPods(), authorizer()));
    expect(outcome.review.response.allowed).toBe(false);
    expect(outcome.review.response.status).toEqual({ code: 403, reason: 'Forbidden', message: forbidden('may-create-pods', 'the user may not create pods in shop') });
    expect(outcome.decision.verdict).toBe('deny');
    expect(outcome.decision.rules).toEqual(['policy:may-create-pods']);
    expect(specs()).toHaveLength(1);
  });

  it('reads allowed, denied, reason and evaluationError as the Decision functions see them', async () => {
    const loaded = policy('decision', [
      { expression: "authorizer.path('/a').check('get').allowed()", message: 'a not allowed' },
      { expression: "authorizer.path('/a').check('get').reason() == 'RBAC: allowed by ClusterRoleBinding \"ops\"'", message: 'a reason' },
      { expression: "!authorizer.path('/b').check('get').allowed() && authorizer.path('/b').check('get').reason() == 'denied by the webhook authorizer'", message: 'b' },
      { expression: "authorizer.path('/c').check('get').errored() && authorizer.path('/c').check('get').error() == 'webhook authorizer unavailable'", message: 'c' },
      { expression: "!authorizer.path('/a').check('get').errored() && authorizer.path('/a').check('get').error() == ''", message: 'a errored' },
    ]);
    fake.answerAccessReviews((spec) => {
      const path = (spec['nonResourceAttributes'] as Record<string, string>)['path'];
      if (path === '/a') return { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding "ops"' };
      if (path === '/b') return { allowed: false, denied: true, reason: 'denied by the webhook authorizer' };
      return { allowed: false, evaluationError: 'webhook authorizer unavailable' };
    });
    const outcome = await validate(configMapReview(), context(loaded, authorizer()));
    expect(outcome.review.response).toMatchObject({ allowed: true });
    // One review per distinct check, however often the expressions repeat it.
    expect(specs().map((s) => s['nonResourceAttributes']).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([
      { path: '/a', verb: 'get' },
      { path: '/b', verb: 'get' },
      { path: '/c', verb: 'get' },
    ]);
  });

  it('checks a service account as the API server builds it: its groups, no uid, no extra', async () => {
    const loaded = policy('builder-may-update', [
      { expression: "authorizer.serviceAccount('shop', 'builder').group('apps').resource('deployments').namespace('shop').check('update').allowed()", message: 'builder may not update deployments' },
    ]);
    fake.answerAccessReviews(grants('system:serviceaccount:shop:builder update apps/deployments shop'));
    const outcome = await validate(configMapReview(), context(loaded, authorizer()));
    expect(outcome.review.response.allowed).toBe(true);
    expect(specs()).toEqual([
      {
        user: 'system:serviceaccount:shop:builder',
        groups: ['system:serviceaccounts', 'system:serviceaccounts:shop'],
        resourceAttributes: { namespace: 'shop', verb: 'update', group: 'apps', version: '*', resource: 'deployments', subresource: '', name: '' },
      },
    ]);
  });

  it('checks the request\'s own resource with authorizer.requestResource', async () => {
    const loaded = policy('may-approve', [{ expression: "authorizer.requestResource.check('approve').allowed()", message: 'approval needed', reason: 'Forbidden' }]);
    fake.answerAccessReviews(grants('carol approve /configmaps shop'));
    const carol = { username: 'carol', groups: ['system:authenticated'] };
    const allowed = await validate(configMapReview(carol, 'UPDATE'), context(loaded, authorizer()));
    expect(allowed.review.response.allowed).toBe(true);
    expect(specs()).toEqual([
      { user: 'carol', groups: ['system:authenticated'], resourceAttributes: { namespace: 'shop', verb: 'approve', group: '', version: '*', resource: 'configmaps', subresource: '', name: 'settings' } },
    ]);
    const denied = await validate(configMapReview({ username: 'dan', groups: ['system:authenticated'] }, 'UPDATE'), context(loaded, authorizer()));
    expect(denied.review.response.status).toEqual({ code: 403, reason: 'Forbidden', message: forbidden('may-approve', 'approval needed') });
  });

  it('checks non-resource paths', async () => {
    const loaded = policy('may-read-metrics', [{ expression: "authorizer.path('/metrics').check('get').allowed()", message: 'no metrics access' }]);
    fake.answerAccessReviews(grants('alice get /metrics'));
    expect((await validate(configMapReview(), context(loaded, authorizer()))).review.response.allowed).toBe(true);
    expect(specs()).toEqual([
      {
        user: 'alice',
        uid: 'a1b2c3',
        groups: ['dev', 'system:authenticated'],
        extra: { 'authentication.kubernetes.io/credential-id': ['JTI=7f2e'], scopes: ['read', 'write'] },
        nonResourceAttributes: { path: '/metrics', verb: 'get' },
      },
    ]);
    const denied = await validate(configMapReview({ username: 'eve', groups: ['system:authenticated'] }), context(loaded, authorizer()));
    expect(denied.review.response.status).toEqual({ code: 422, reason: 'Invalid', message: forbidden('may-read-metrics', 'no metrics access') });
  });

  it('sends nothing when no loaded policy uses authorizer, or when the one that does not match', async () => {
    const plain = policy('has-data', [{ expression: 'has(object.data)', message: 'data needed' }]);
    expect(policiesUseAuthorizer(plain)).toBe(false);
    const ctx = context(plain, authorizer());
    expect(needsAuthorizer(ctx)).toBe(false);
    expect((await validate(configMapReview(), ctx)).review.response.allowed).toBe(true);
    // Synchronous validation works as before for such policies.
    expect(validateRequest(parseReview(configMapReview(), true), ctx).review.response.allowed).toBe(true);
    // A policy using authorizer, but on Secrets: a ConfigMap request asks nothing.
    const secrets = policy('secrets-only', [{ expression: CAN_CREATE_PODS }], { resources: ['secrets'] });
    expect(policiesUseAuthorizer(secrets)).toBe(true);
    expect((await validate(configMapReview(), context(secrets, authorizer()))).review.response.allowed).toBe(true);
    expect(reviews()).toEqual([]);
  });

  it('refuses to validate synchronously when the API server must answer', () => {
    const ctx = context(createPods(), authorizer());
    expect(needsAuthorizer(ctx)).toBe(true);
    expect(() => validateRequest(parseReview(configMapReview(), true), ctx)).toThrow(EvaluationError);
  });

  it('without an authorizer, checks get the offline answer (no RBAC objects) and ask nothing', async () => {
    const loaded = policy('offline', [{ expression: "authorizer.path('/x').check('get').error()  == 'no RBAC objects in the input'", message: 'unexpected' }]);
    expect((await validate(configMapReview(), context(loaded))).review.response.allowed).toBe(true);
    expect(reviews()).toEqual([]);
  });
});

describe('failures of the SubjectAccessReview', () => {
  const FORBIDDEN = 'subjectaccessreviews.authorization.k8s.io is forbidden: User "system:serviceaccount:mamori-system:mamori-webhook" cannot create resource "subjectaccessreviews" in API group "authorization.k8s.io" at the cluster scope';

  it('a 403 makes the check an error: failurePolicy Fail denies with it, Ignore admits', async () => {
    fake.answerAccessReviews(() => ({ allowed: true }));
    fake.fail({ path: SUBJECT_ACCESS_REVIEWS }, { status: 403, message: FORBIDDEN, times: 2 });
    const logged: string[] = [];
    const withLog = authorizer({ log: (level, message, fields) => logged.push(`${level} ${message} ${JSON.stringify(fields)}`) });
    const closed = await validate(configMapReview(), context(createPods('Fail'), withLog));
    expect(closed.review.response.allowed).toBe(false);
    expect(closed.review.response.status).toEqual({
      code: 422,
      reason: 'Invalid',
      message: forbidden('may-create-pods', `expression '${CAN_CREATE_PODS}' resulted in error: authorization check could not be answered: SubjectAccessReview failed: HTTP 403: ${FORBIDDEN}`),
    });
    const open = await validate(configMapReview(), context(createPods('Ignore'), withLog));
    expect(open.review.response.allowed).toBe(true);
    expect(withLog.stats).toMatchObject({ sent: 2, failed: 2, cached: 0 });
    expect(logged[0]).toMatch(/^error forbidden to create SubjectAccessReviews: RBAC must allow .*"status":403/);
    expect(logged).toHaveLength(1);
    // Failures are not remembered: the next request asks again, and is allowed.
    expect((await validate(configMapReview(), context(createPods('Fail'), withLog))).review.response.allowed).toBe(true);
    expect(reviews()).toHaveLength(1);
    expect(fake.requestsMatching({ path: SUBJECT_ACCESS_REVIEWS }).slice(-3).map((r) => r.status)).toEqual([403, 403, 201]);
  });

  it('429 and 5xx are errors of the check as well', async () => {
    for (const [status, text] of [[429, 'Too many requests, please try again later.'], [500, 'Internal error occurred: etcdserver: request timed out'], [503, 'ServiceUnavailable']] as const) {
      fake.fail({ path: SUBJECT_ACCESS_REVIEWS }, { status, ...(status === 429 ? { retryAfterSeconds: 1 } : {}) });
      const outcome = await validate(configMapReview(), context(createPods('Fail'), authorizer()));
      expect(outcome.review.response.status?.message).toBe(
        forbidden('may-create-pods', `expression '${CAN_CREATE_PODS}' resulted in error: authorization check could not be answered: SubjectAccessReview failed: HTTP ${status}: ${text}`),
      );
    }
  });

  it('a review without an answer in time is an error of the check', async () => {
    fake.answerAccessReviews(() => new Promise((resolve) => setTimeout(() => resolve({ allowed: true }), 1500)));
    const started = performance.now();
    const outcome = await validate(configMapReview(), context(createPods('Fail'), authorizer({ reviewTimeoutMs: 150 })));
    expect(performance.now() - started).toBeLessThan(1200);
    expect(outcome.review.response.status?.message).toBe(
      forbidden('may-create-pods', `expression '${CAN_CREATE_PODS}' resulted in error: authorization check could not be answered: SubjectAccessReview failed: no answer within 150 ms`),
    );
  });

  it('an evaluationError is an errored decision, not an error: allowed() is false, and it is not cached', async () => {
    fake.answerAccessReviews(() => ({ allowed: false, evaluationError: 'webhook authorizer unavailable' }));
    const shared = authorizer();
    for (let i = 0; i < 2; i++) {
      const outcome = await validate(configMapReview(), context(createPods('Ignore'), shared));
      // Ignore does not apply: the expression did not fail, it returned false.
      expect(outcome.review.response.status).toEqual({ code: 403, reason: 'Forbidden', message: forbidden('may-create-pods', 'the user may not create pods in shop') });
    }
    expect(reviews()).toHaveLength(2);
  });

  it('the client of an unauthenticated connection gets an error, not a crash', async () => {
    const dir2 = mkdtempSync(join(tmpdir(), 'mamori-authz-bad-'));
    try {
      const bad = await loadKubeConfig({ kubeconfig: fake.writeKubeconfig(dir2, { token: 'wrong' }) });
      const outcome = await validate(configMapReview(), context(createPods('Fail'), new SubjectAccessReviewAuthorizer({ kubeConfig: bad })));
      expect(outcome.review.response.status?.message).toBe(
        forbidden('may-create-pods', `expression '${CAN_CREATE_PODS}' resulted in error: authorization check could not be answered: SubjectAccessReview failed: HTTP 401: Unauthorized`),
      );
    } finally {
      rmSync(dir2, { recursive: true, force: true });
    }
  });
});

describe('rounds, cache and limits', () => {
  /** Variables chained so that each check is only made once the previous one is allowed. */
  function chain(paths: string[]): LoadResult {
    const variables = paths.map((p, i) => ({
      name: `v${i}`,
      expression: i === 0 ? `authorizer.path('${p}').check('get').allowed()` : `variables.v${i - 1} && authorizer.path('${p}').check('get').allowed()`,
    }));
    return policy('chain', [{ expression: `variables.v${paths.length - 1}`, message: 'chain broken' }], { variables });
  }

  it('evaluates again with the answers until nothing new is asked', async () => {
    fake.answerAccessReviews(() => ({ allowed: true }));
    const outcome = await validate(configMapReview(), context(chain(['/a', '/b']), authorizer()));
    expect(outcome.review.response.allowed).toBe(true);
    expect(specs().map((s) => (s['nonResourceAttributes'] as JsonObject)['path'])).toEqual(['/a', '/b']);
    // Denied at the first link: the second is never asked.
    seen = fake.accessReviews.length;
    fake.answerAccessReviews(() => ({ allowed: false }));
    const denied = await validate(configMapReview({ username: 'zed', groups: ['system:authenticated'] }), context(chain(['/a', '/b']), authorizer()));
    expect(denied.review.response.status?.message).toBe(forbidden('chain', 'chain broken'));
    expect(specs().map((s) => (s['nonResourceAttributes'] as JsonObject)['path'])).toEqual(['/a']);
  });

  it('a check still unknown after 3 rounds errors, and failurePolicy applies', async () => {
    fake.answerAccessReviews(() => ({ allowed: true }));
    const shared = authorizer();
    const outcome = await validate(configMapReview(), context(chain(['/a', '/b', '/c', '/d']), shared));
    expect(specs().map((s) => (s['nonResourceAttributes'] as JsonObject)['path'])).toEqual(['/a', '/b', '/c']);
    expect(outcome.review.response.status?.message).toBe(
      forbidden(
        'chain',
        'expression \'variables.v3\' resulted in error: composited variable "v3" fails to evaluate: authorization check could not be answered: still unknown after 3 rounds of SubjectAccessReviews (each check depends on the answer of another)',
      ),
    );
    // With the first answers cached, the same request needs one round only, and passes.
    const again = await validate(configMapReview(), context(chain(['/a', '/b', '/c', '/d']), shared));
    expect(again.review.response.allowed).toBe(true);
    expect(specs().map((s) => (s['nonResourceAttributes'] as JsonObject)['path'])).toEqual(['/a', '/b', '/c', '/d']);
    // With maxRounds 1, a chain of two is already too deep.
    const shallow = await validate(configMapReview({ username: 'new', groups: ['g'] }), context(chain(['/a', '/b']), authorizer({ maxRounds: 1 })));
    expect(shallow.review.response.status?.message).toContain('still unknown after 1 rounds of SubjectAccessReviews');
  });

  it('caches answers for their TTL, per user and check; an identical request asks nothing', async () => {
    let now = 1_000_000;
    const cached = authorizer({ now: () => now, cacheTtlMs: 10_000 });
    fake.answerAccessReviews(grants('alice create /pods shop'));
    const ctx = context(createPods(), cached);
    expect((await validate(configMapReview(), ctx)).review.response.allowed).toBe(true);
    expect((await validate(configMapReview(), ctx)).review.response.allowed).toBe(true);
    expect(reviews()).toHaveLength(1);
    expect(cached.stats).toMatchObject({ sent: 1, cacheHits: 1, cached: 1 });
    // Another user is another question; a denial is cached too.
    const bob = { username: 'bob', groups: ['system:authenticated'] };
    expect((await validate(configMapReview(bob), ctx)).review.response.allowed).toBe(false);
    expect((await validate(configMapReview(bob), ctx)).review.response.allowed).toBe(false);
    expect(reviews()).toHaveLength(2);
    // Within the TTL the cached answer holds even if the cluster changed its mind...
    fake.answerAccessReviews(() => ({ allowed: false }));
    now += 9_999;
    expect((await validate(configMapReview(), ctx)).review.response.allowed).toBe(true);
    // ...and once it expires, the API server is asked again.
    now += 1;
    expect((await validate(configMapReview(), ctx)).review.response.allowed).toBe(false);
    expect(reviews()).toHaveLength(3);
  });

  it('keeps at most cacheEntries answers, dropping the oldest', async () => {
    const small = authorizer({ cacheEntries: 1 });
    fake.answerAccessReviews(() => ({ allowed: true }));
    const ctx = context(createPods(), small);
    const users = [{ username: 'u1', groups: ['g'] }, { username: 'u2', groups: ['g'] }];
    for (const user of [...users, ...users]) await validate(configMapReview(user), ctx);
    expect(reviews()).toHaveLength(4);
    expect(small.stats.cached).toBe(1);
    await validate(configMapReview(users[1]), ctx);
    expect(reviews()).toHaveLength(4);
  });

  it('asks independent checks concurrently, at most `concurrency` at a time', async () => {
    let active = 0;
    let peak = 0;
    fake.answerAccessReviews(async () => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((resolve) => setTimeout(resolve, 60));
      active--;
      return { allowed: true };
    });
    const paths = ['/p1', '/p2', '/p3', '/p4', '/p5', '/p6'];
    const loaded = policy('many', paths.map((p) => ({ expression: `authorizer.path('${p}').check('get').allowed()` })));
    const outcome = await validate(configMapReview(), context(loaded, authorizer({ concurrency: 2 })));
    expect(outcome.review.response.allowed).toBe(true);
    expect(reviews()).toHaveLength(6);
    expect(peak).toBe(2);
    // Unbounded by a lower limit, they all go at once.
    seen = fake.accessReviews.length;
    peak = 0;
    await validate(configMapReview({ username: 'other', groups: ['g'] }), context(loaded, authorizer({ concurrency: 8 })));
    expect(peak).toBe(6);
  });

  it('concurrent requests with the same check share one review', async () => {
    fake.answerAccessReviews(() => new Promise((resolve) => setTimeout(() => resolve({ allowed: true }), 100)));
    const shared = authorizer();
    const ctx = context(createPods(), shared);
    const outcomes = await Promise.all([validate(configMapReview(), ctx), validate(configMapReview(), ctx), validate(configMapReview(), ctx)]);
    expect(outcomes.map((o) => o.review.response.allowed)).toEqual([true, true, true]);
    expect(reviews()).toHaveLength(1);
  });

  it('rejects when the caller gives up, and cancels the review nobody waits for', async () => {
    fake.answerAccessReviews(() => new Promise((resolve) => setTimeout(() => resolve({ allowed: true }), 3000)));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('budget')), 100);
    const started = performance.now();
    const shared = authorizer();
    await expect(validate(configMapReview(), context(createPods(), shared), controller.signal)).rejects.toThrow('budget');
    expect(performance.now() - started).toBeLessThan(1000);
    // The cancelled review is not joined by the next request for the same check: it asks anew.
    fake.answerAccessReviews(() => ({ allowed: true }));
    const next = performance.now();
    expect((await validate(configMapReview(), context(createPods(), shared))).review.response.allowed).toBe(true);
    expect(performance.now() - next).toBeLessThan(1000);
    expect(reviews()).toHaveLength(2);
  });
});

describe('the webhook server with authorizer checks', () => {
  const certs = generateCertificates({ commonName: 'mamori-webhook', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  writeFileSync(certFile, certs.cert);
  writeFileSync(keyFile, certs.key);
  const agent = new Agent({ keepAlive: false });
  const servers: AdmissionServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.shutdown()));
  });

  const logLines: string[] = [];
  async function serve(ctx: ReviewContext, failurePolicy: FailurePolicy, timeoutMs = 5000): Promise<number> {
    const logger = new Logger({ write: (line: string) => logLines.push(line) });
    const server = new AdmissionServer({ certFile, keyFile, port: 0, host: '127.0.0.1', context: { ...ctx, requireReview: true }, failurePolicy, timeoutMs, logger, shutdownGraceMs: 100 });
    servers.push(server);
    return server.start();
  }

  function post(port: number, body: JsonObject): Promise<AdmissionResponse> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port, method: 'POST', path: '/validate?timeout=10s', ca: certs.caCert, servername: 'localhost', agent, headers: { 'Content-Type': 'application/json' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            expect(res.statusCode).toBe(200);
            resolve((JSON.parse(Buffer.concat(chunks).toString('utf8')) as AdmissionReviewResponse).response);
          } catch (error) {
            reject(error as Error);
          }
        });
      });
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
  }

  it('answers over HTTPS with the API server\'s verdict, asking once per user', async () => {
    fake.answerAccessReviews(grants('alice create /pods shop'));
    const port = await serve(context(createPods(), authorizer()), 'Fail');
    const alice = await post(port, configMapReview());
    expect(alice.allowed).toBe(true);
    const bob = await post(port, configMapReview({ username: 'bob', uid: 'b-1', groups: ['system:authenticated'] }));
    expect(bob).toMatchObject({ allowed: false, status: { code: 403, reason: 'Forbidden', message: forbidden('may-create-pods', 'the user may not create pods in shop') } });
    expect((await post(port, configMapReview())).allowed).toBe(true);
    expect(specs().map((s) => [s['user'], s['uid']])).toEqual([['alice', 'a1b2c3'], ['bob', 'b-1']]);
  });

  it('a review that outlasts the server\'s time budget is answered per the webhook\'s failure policy', async () => {
    fake.answerAccessReviews(() => new Promise((resolve) => setTimeout(() => resolve({ allowed: true }), 2500)));
    for (const failurePolicy of ['Fail', 'Ignore'] as const) {
      const port = await serve(context(createPods(), authorizer()), failurePolicy, 300);
      const started = performance.now();
      const response = await post(port, configMapReview({ username: `late-${failurePolicy}`, groups: ['g'] }));
      expect(performance.now() - started).toBeLessThan(2000);
      if (failurePolicy === 'Fail') {
        expect(response).toMatchObject({ allowed: false, status: { code: 500, reason: 'InternalError', message: 'mamori could not check this request: not evaluated within the time budget of 300 ms (failurePolicy Fail refuses it)' } });
      } else {
        expect(response).toMatchObject({ allowed: true, warnings: ['allowed without a check by mamori (failurePolicy Ignore): not evaluated within the time budget of 300 ms'] });
      }
    }
    // The reviews nobody waited for any more were cancelled: the fake never got to answer them.
    await new Promise((resolve) => setTimeout(resolve, 2600));
    expect(fake.requestsMatching({ path: SUBJECT_ACCESS_REVIEWS }).slice(-2).map((r) => r.status)).toEqual([0, 0]);
  });

  it('stops a costly policy at the end of the time budget between and during its rounds', async () => {
    fake.answerAccessReviews(() => ({ allowed: true }));
    const square = 'object.data.all(k, object.data.all(j, object.data[j] != "x"))';
    const costly = policy('costly', [{ expression: CAN_CREATE_PODS }, ...Array.from({ length: 10 }, () => ({ expression: square }))]);
    const port = await serve(context(costly, authorizer()), 'Fail', 300);
    const big = configMapReview({ username: 'carol', groups: ['g'] });
    const data: JsonObject = {};
    for (let i = 0; i < 1000; i++) data[`k${i}`] = String(i);
    ((big['request'] as JsonObject)['object'] as JsonObject)['data'] = data;
    const started = performance.now();
    const response = await post(port, big);
    expect(performance.now() - started).toBeLessThan(1500);
    expect(response).toMatchObject({ allowed: false, status: { code: 500, reason: 'InternalError', message: 'mamori could not check this request: not evaluated within the time budget of 300 ms (failurePolicy Fail refuses it)' } });
    // The next review, cheap for the policy, is decided by it.
    expect(await post(port, configMapReview({ username: 'carol', groups: ['g'] }))).toMatchObject({ allowed: true });
  });

  it('a client that goes away stops the reviews of its request; the server keeps serving', async () => {
    fake.answerAccessReviews(() => new Promise((resolve) => setTimeout(() => resolve({ allowed: true }), 800)));
    const port = await serve(context(createPods(), authorizer()), 'Fail');
    await new Promise<void>((resolve) => {
      const req = httpsRequest({ host: '127.0.0.1', port, method: 'POST', path: '/validate', ca: certs.caCert, servername: 'localhost', agent, headers: { 'Content-Type': 'application/json' } });
      req.on('error', () => resolve());
      req.end(JSON.stringify(configMapReview({ username: 'leaver', groups: ['g'] })));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 150);
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(fake.requestsMatching({ path: SUBJECT_ACCESS_REVIEWS }).at(-1)?.status).toBe(0);
    expect(logLines.some((l) => l.includes('the client closed the connection before the answer'))).toBe(true);
    fake.answerAccessReviews(() => ({ allowed: true }));
    expect((await post(port, configMapReview())).allowed).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------

describe('pieces', () => {
  it('a SubjectAccessReview status becomes the Decision the API server\'s authorizer returned', () => {
    expect(decisionOfStatus({ allowed: true, reason: 'r' })).toEqual({ decision: 'Allow', reason: 'r' });
    expect(decisionOfStatus({ allowed: false, denied: true })).toEqual({ decision: 'Deny', reason: '' });
    expect(decisionOfStatus({ allowed: false })).toEqual({ decision: 'NoOpinion', reason: '' });
    expect(decisionOfStatus({ allowed: false, evaluationError: 'e' })).toEqual({ decision: 'NoOpinion', reason: '', error: 'e' });
  });

  it('the request user keeps its uid and extra; another user (a service account) has none', () => {
    const request = { username: 'system:serviceaccount:shop:builder', uid: 'u', groups: ['system:serviceaccounts', 'system:serviceaccounts:shop', 'system:authenticated'], extra: { k: ['v'] } };
    expect(reviewUser({ name: request.username, groups: request.groups, uid: request.uid, extra: request.extra })).toEqual(request);
    expect(reviewUser({ name: request.username, groups: ['system:serviceaccounts', 'system:serviceaccounts:shop'] })).toEqual({
      username: 'system:serviceaccount:shop:builder', uid: '', groups: ['system:serviceaccounts', 'system:serviceaccounts:shop'], extra: {},
    });
    const spec = subjectAccessReviewSpec({ username: 'x', uid: '', groups: [], extra: { b: ['2'], a: ['1'] } }, { kind: 'resource', verb: 'get', apiGroup: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'n', name: 'd' });
    expect(JSON.stringify(spec)).toBe('{"user":"x","groups":[],"extra":{"a":["1"],"b":["2"]},"resourceAttributes":{"namespace":"n","verb":"get","group":"apps","version":"*","resource":"deployments","subresource":"scale","name":"d"}}');
  });

  it('--authorizer: api by default with a cluster connection, none without; only api or none', () => {
    expect(authorizerSource(undefined, undefined, true)).toBe('api');
    expect(authorizerSource(undefined, undefined, false)).toBe('none');
    expect(authorizerSource('none', undefined, true)).toBe('none');
    expect(authorizerSource(undefined, 'none', true)).toBe('none');
    expect(authorizerSource('api', 'none', false)).toBe('api');
    expect(() => authorizerSource('rbac', undefined, true)).toThrow(new MamoriError('usage', '--authorizer must be api or none (got "rbac")'));
  });
});
