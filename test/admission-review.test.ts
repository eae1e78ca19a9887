import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODES, namespaceModes, parseAdmissionSection, parseModePolicy } from '../src/admission/modes.js';
import { AdmissionRequestError, diffPatch, EvaluationError, Evaluator, failureOutcome, MAX_FINDINGS_PER_RULE, isSignificantPodUpdate, mutate, mutateRequest, parseReview, truncate, validate, validateRequest, type ReviewContext } from '../src/admission/review.js';
import type { AdmissionResponse, AdmissionSettings, ReviewOutcome } from '../src/admission/types.js';
import { knownRules, parseConfig, type Config } from '../src/engine/config.js';
import { DeadlineExceeded, MamoriError } from '../src/errors.js';
import { scanObjects } from '../src/engine/scan.js';
import { loadPolicies } from '../src/policy/vap.js';
import { RULES } from '../src/rules/index.js';
import { podSecurityDenial } from '../src/rules/pss/psa.js';
import type { JsonObject, JsonValue } from '../src/types.js';

// ---------------------------------------------------------------------------------------------
// Helpers

type Op = { op: string; path: string; value?: JsonValue };

/** RFC 6902 as the API server applies it (strict: `add` replaces an existing member, parents must exist). */
function applyStrict(doc: JsonValue, ops: readonly Op[]): JsonValue {
  const root = structuredClone(doc);
  for (const op of ops) {
    if (!op.path.startsWith('/')) throw new Error(`${op.path}: not a pointer`);
    const tokens = op.path.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = tokens.pop() as string;
    let parent: JsonValue | undefined = root;
    for (const t of tokens) {
      parent = Array.isArray(parent) ? parent[Number(t)] : parent !== null && typeof parent === 'object' ? parent[t] : undefined;
      if (parent === undefined || parent === null || typeof parent !== 'object') throw new Error(`${op.path}: the parent does not exist`);
    }
    if (Array.isArray(parent)) {
      const i = last === '-' ? parent.length : Number(last);
      if (op.op === 'add' && i <= parent.length) parent.splice(i, 0, op.value as JsonValue);
      else if (op.op === 'replace' && i < parent.length) parent[i] = op.value as JsonValue;
      else if (op.op === 'remove' && i < parent.length) parent.splice(i, 1);
      else throw new Error(`${op.op} ${op.path}: invalid`);
    } else if (parent !== null && typeof parent === 'object') {
      if (op.op === 'add') parent[last] = op.value as JsonValue;
      else if (op.op === 'replace' && Object.hasOwn(parent, last)) parent[last] = op.value as JsonValue;
      else if (op.op === 'remove' && Object.hasOwn(parent, last)) delete parent[last];
      else throw new Error(`${op.op} ${op.path}: invalid`);
    }
  }
  return root;
}

function decodePatch(response: AdmissionResponse): Op[] {
  expect(response.patchType).toBe('JSONPatch');
  const ops = JSON.parse(Buffer.from(response.patch ?? '', 'base64').toString('utf8')) as unknown;
  expect(Array.isArray(ops)).toBe(true);
  return ops as Op[];
}

const evaluator = new Evaluator({ rules: RULES });
const NO_EXEMPTIONS = { usernames: [], namespaces: [], runtimeClasses: [] };

function context(options: { labels?: Record<string, Record<string, string>>; synced?: boolean; settings?: Partial<AdmissionSettings>; config?: Config; now?: Date } = {}): ReviewContext {
  const labels = options.labels ?? {};
  const ev = options.config === undefined && options.now === undefined ? evaluator : new Evaluator({ rules: RULES, ...(options.config === undefined ? {} : { config: options.config }), ...(options.now === undefined ? {} : { now: () => options.now as Date }) });
  return {
    namespaces: { labels: (ns) => labels[ns], synced: options.synced ?? true },
    settings: { defaults: DEFAULT_MODES, exemptions: NO_EXEMPTIONS, failOn: 'low', failurePolicy: 'Fail', ...options.settings },
    evaluator: ev,
  };
}

const RESOURCES: Record<string, { group: string; version: string; resource: string }> = {
  Pod: { group: '', version: 'v1', resource: 'pods' },
  Deployment: { group: 'apps', version: 'v1', resource: 'deployments' },
  Service: { group: '', version: 'v1', resource: 'services' },
};

let uidCounter = 0;
function reviewOf(object: JsonObject | null, request: Record<string, JsonValue> = {}): JsonObject {
  const source = object ?? (request['oldObject'] as JsonObject);
  const kind = String(source['kind']);
  const resource = RESOURCES[kind] ?? { group: '', version: 'v1', resource: `${kind.toLowerCase()}s` };
  uidCounter++;
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `uid-${uidCounter}`,
      kind: { group: resource.group, version: resource.version, kind },
      resource,
      requestKind: { group: resource.group, version: resource.version, kind },
      requestResource: resource,
      name: String((source['metadata'] as JsonObject)['name']),
      namespace: 'shop',
      operation: 'CREATE',
      userInfo: { username: 'alice', groups: ['system:authenticated'] },
      object,
      oldObject: null,
      dryRun: false,
      ...request,
    },
  };
}

function pod(name: string, spec: JsonObject, metadata: JsonObject = {}): JsonObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'shop', ...metadata }, spec };
}

/** A pod every Pod Security level allows. */
const hardenedSpec = (): JsonObject => ({
  securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
  containers: [{ name: 'app', image: 'registry.example.com/app:1.0', securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } } }],
});

/** A pod baseline allows and restricted does not. */
const plainSpec = (): JsonObject => ({ containers: [{ name: 'app', image: 'registry.example.com/app:1.0' }] });

/** A pod baseline refuses: host PID namespace and a privileged container. */
const privilegedSpec = (): JsonObject => ({ hostPID: true, containers: [{ name: 'app', image: 'registry.example.com/app:1.0', securityContext: { privileged: true } }] });

const PLAIN_RESTRICTED = [
  'allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false)',
  'unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"])',
  'runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true)',
  'seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
];

function response(outcome: ReviewOutcome): AdmissionResponse {
  expect(outcome.review.apiVersion).toBe('admission.k8s.io/v1');
  expect(outcome.review.kind).toBe('AdmissionReview');
  return outcome.review.response;
}

/** The checks every response must pass, whatever it decided (specs/admission-and-cel.md A.2). */
function expectWellFormed(res: AdmissionResponse, uid: string, endpoint: 'validate' | 'mutate'): void {
  expect(res.uid).toBe(uid);
  expect(typeof res.allowed).toBe('boolean');
  if (!res.allowed) {
    expect(res.status?.code).toBe(403);
    expect(res.status?.reason).toBe('Forbidden');
    expect(res.status?.message.length).toBeGreaterThan(0);
  }
  for (const w of res.warnings ?? []) {
    expect(typeof w).toBe('string');
    expect(Array.from(w).length).toBeLessThanOrEqual(120);
    expect(w.startsWith('Warning:')).toBe(false);
  }
  expect((res.warnings ?? []).length).toBeLessThanOrEqual(21);
  expect((res.warnings ?? []).join('').length).toBeLessThanOrEqual(4096);
  for (const [key, value] of Object.entries(res.auditAnnotations ?? {})) {
    // A name without '/', as the API server prefixes it with "<webhook name>/".
    expect(key).toMatch(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/);
    expect(typeof value).toBe('string');
  }
  if (endpoint === 'validate') {
    expect(res.patch).toBeUndefined();
    expect(res.patchType).toBeUndefined();
  } else {
    expect(res.allowed).toBe(true);
    expect(res.patch === undefined).toBe(res.patchType === undefined);
  }
}

// ---------------------------------------------------------------------------------------------

describe('validate: decisions and messages', () => {
  it('denies with the API server\'s Forbidden message in PSA\'s words, checks in PSA order', () => {
    const body = reviewOf(pod('web', privilegedSpec()));
    const res = response(validate(body, context()));
    expect(res.allowed).toBe(false);
    expect(res.status).toEqual({
      code: 403,
      reason: 'Forbidden',
      message: 'pods "web" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostPID=true), privileged (container "app" must not set securityContext.privileged=true)',
    });
    // PSA parity: the same text as the PSA evaluator's enforce denial.
    expect(res.status?.message).toBe(podSecurityDenial(pod('web', privilegedSpec()), { level: 'baseline', version: 'latest' }));
    // No warnings on a denial (as PSA); the audit mode still records.
    expect(res.warnings).toBeUndefined();
    expect(res.auditAnnotations?.['enforce-policy']).toBe('baseline:latest');
    expect(res.auditAnnotations?.['audit-violations']).toBe(
      'would violate PodSecurity "restricted:latest": host namespaces (hostPID=true), privileged (container "app" must not set securityContext.privileged=true), allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
  });

  it('refuses a Deployment whose pods could never start (templates are enforced)', () => {
    const deployment: JsonObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api', namespace: 'shop' }, spec: { replicas: 2, template: { metadata: { labels: { app: 'api' } }, spec: privilegedSpec() } } };
    const outcome = validate(reviewOf(deployment), context());
    const res = response(outcome);
    expect(res.allowed).toBe(false);
    expect(res.status?.message).toBe('deployments.apps "api" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostPID=true), privileged (container "app" must not set securityContext.privileged=true)');
    expect(outcome.decision).toMatchObject({ verdict: 'deny', kind: 'Deployment', operation: 'CREATE', namespace: 'shop', name: 'api', user: 'alice' });
    expect(outcome.decision.rules).toContain('pss-privileged');
    expect(outcome.decision.rules).toContain('pss-host-namespaces');
  });

  it('allows with one warning per warn-mode finding, and records the audit mode', () => {
    const outcome = validate(reviewOf(pod('plain', plainSpec())), context());
    const res = response(outcome);
    expect(res.allowed).toBe(true);
    expect(res.status).toBeUndefined();
    expect(res.warnings).toEqual(PLAIN_RESTRICTED);
    expect(res.auditAnnotations).toEqual({
      'enforce-policy': 'baseline:latest',
      'audit-violations': `would violate PodSecurity "restricted:latest": ${PLAIN_RESTRICTED.join(', ')}`,
      'audit-rules': 'pss-allow-privilege-escalation,pss-capabilities-restricted,pss-run-as-non-root,pss-seccomp-profile-restricted',
    });
    expect(outcome.decision.verdict).toBe('warn');
  });

  it('allows a compliant pod with nothing to say but the policy', () => {
    const outcome = validate(reviewOf(pod('hardened', hardenedSpec())), context());
    expect(response(outcome)).toEqual({ uid: outcome.decision.uid, allowed: true, auditAnnotations: { 'enforce-policy': 'baseline:latest' } });
    expect(outcome.decision.verdict).toBe('allow');
    expect(outcome.decision.rules).toEqual([]);
  });

  it('echoes the uid, and takes the bare request only when allowed to', () => {
    const body = reviewOf(pod('hardened', hardenedSpec()));
    const bare = body['request'] as JsonObject;
    expect(response(validate(bare, context())).uid).toBe(bare['uid']);
    expect(() => validate(bare, { ...context(), requireReview: true })).toThrow(AdmissionRequestError);
  });

  it('limits warnings to 20 of at most 120 characters, then a summary', () => {
    const containers = Array.from({ length: 25 }, (_, i) => ({ name: `container-with-a-rather-long-name-${String(i).padStart(2, '0')}`, image: 'registry.example.com/app:1.0', ports: [{ containerPort: 80, hostPort: 8000 + i }] }));
    // Enforce privileged, warn catalog: every container gets findings of several rules.
    const ctx = context({ labels: { shop: { 'mamori.io/enforce': 'privileged', 'mamori.io/warn': 'catalog' } } });
    const res = response(validate(reviewOf(pod('many', { containers })), ctx));
    const warnings = res.warnings ?? [];
    expect(warnings).toHaveLength(21);
    expect(warnings[20]).toMatch(/^…and \d+ more findings$/);
    for (const w of warnings) expect(Array.from(w).length).toBeLessThanOrEqual(120);
    // Most severe first: the hostPort finding (medium) names every container; it is long, so cut.
    expect(warnings[0]).toBe('hostPort (containers "container-with-a-rather-long-name-00", "container-with-a-rather-long-name-01", "container-with-a-…');
    // Then the low ones, in the order of the containers.
    expect(warnings.slice(5, 20).map((w) => /name-(\d\d)"/.exec(w)?.[1])).toEqual(['00', '01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12', '13', '14']);
    expect(warnings[5]).toBe('writable-root-filesystem: container "container-with-a-rather-long-name-00" does not set securityContext.readOnlyRootFil…');
    expect(warnings[20]).toBe('…and 10 more findings');
  });

  it('truncates by code points, ending with an ellipsis', () => {
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abcd', 3)).toBe('ab…');
    expect(truncate('😀😀😀😀', 3)).toBe('😀😀…');
  });

  it('honours dryRun: the same answer, marked as a dry run', () => {
    const wet = validate(reviewOf(pod('web', privilegedSpec())), context());
    const dry = validate(reviewOf(pod('web', privilegedSpec()), { dryRun: true }), context());
    expect(dry.decision.dryRun).toBe(true);
    expect(wet.decision.dryRun).toBe(false);
    expect({ ...dry.review.response, uid: '' }).toEqual({ ...wet.review.response, uid: '' });
  });
});

describe('validate: namespaces, modes and exemptions', () => {
  it('reads mamori.io labels, which win over PSA labels', () => {
    const ctx = context({ labels: { shop: { 'mamori.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce': 'privileged' } } });
    const res = response(validate(reviewOf(pod('plain', plainSpec())), ctx));
    expect(res.allowed).toBe(false);
    expect(res.status?.message).toBe(`pods "plain" is forbidden: violates PodSecurity "restricted:latest": ${PLAIN_RESTRICTED.join(', ')}`);
  });

  it('honours PSA labels when mamori has none, with their version', () => {
    const ctx = context({ labels: { shop: { 'pod-security.kubernetes.io/enforce': 'privileged', 'pod-security.kubernetes.io/warn': 'baseline', 'pod-security.kubernetes.io/warn-version': 'v1.30' } } });
    const res = response(validate(reviewOf(pod('web', privilegedSpec())), ctx));
    expect(res.allowed).toBe(true);
    expect(res.warnings).toEqual(['host namespaces (hostPID=true)', 'privileged (container "app" must not set securityContext.privileged=true)']);
    expect(res.auditAnnotations?.['enforce-policy']).toBe('privileged:latest');
  });

  it('applies the defaults to namespaces without labels and until labels are synced', () => {
    const labels = { shop: { 'mamori.io/enforce': 'privileged' } };
    expect(response(validate(reviewOf(pod('web', privilegedSpec())), context({ labels }))).allowed).toBe(true);
    expect(response(validate(reviewOf(pod('web', privilegedSpec())), context({ labels, synced: false }))).allowed).toBe(false);
    expect(response(validate(reviewOf(pod('web', privilegedSpec()), { namespace: 'other' }), context({ labels }))).allowed).toBe(false);
  });

  it('falls back as PSA on invalid labels: restricted enforce, reported in the error annotation', () => {
    const ctx = context({ labels: { shop: { 'mamori.io/enforce': 'strict', 'mamori.io/enforce-version': 'v1.05' } } });
    const res = response(validate(reviewOf(pod('plain', plainSpec())), ctx));
    expect(res.allowed).toBe(false);
    expect(res.status?.message.startsWith('pods "plain" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false')).toBe(true);
    expect(res.auditAnnotations?.['error']).toBe(
      'Failed to parse policy: mamori.io/enforce-version: invalid value "v1.05": must be "latest" or "v1.x"; mamori.io/enforce: invalid value "strict": must be one of privileged, baseline, restricted, catalog',
    );
  });

  it('enforces the catalog (single-object rules) at failOn, warning below it', () => {
    const spec = hardenedSpec();
    ((spec['containers'] as JsonObject[])[0] as JsonObject)['image'] = 'nginx';
    const labels = { shop: { 'mamori.io/enforce': 'catalog' } };
    const denied = response(validate(reviewOf(pod('cat', spec)), context({ labels })));
    expect(denied.allowed).toBe(false);
    expect(denied.status?.message).toBe('pods "cat" is forbidden: violates mamori rules: image-latest-tag (medium): container "app" image "nginx" has neither tag nor digest, so it pulls "latest"');
    expect(denied.auditAnnotations?.['enforce-policy']).toBe('catalog');
    const lenient = response(validate(reviewOf(pod('cat', spec)), context({ labels, settings: { failOn: 'high' } })));
    expect(lenient.allowed).toBe(true);
    expect(lenient.warnings).toEqual(['image-latest-tag: container "app" image "nginx" has neither tag nor digest, so it pulls "latest"']);
  });

  it('writes at most 20 catalog findings into a denial and the audit annotation, then counts the rest', () => {
    // 50 AWS access key ids (random letters from a set that spells no placeholder word).
    const letters = 'FGHJKMNPQRSVWZ234567';
    const data: JsonObject = {};
    for (let i = 0; i < 50; i++) data[`k${i}`] = `AKIA${Array.from({ length: 16 }, (_, j) => letters[(i * 7 + j * j * 3 + j) % letters.length]).join('')}`;
    const keys: JsonObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'keys', namespace: 'shop' }, data };
    const labels = { shop: { 'mamori.io/enforce': 'catalog', 'mamori.io/audit': 'catalog' } };
    const denied = response(validate(reviewOf(keys), context({ labels })));
    expect(denied.allowed).toBe(false);
    const listed = (text: string | undefined, verb: string): string[] => {
      const prefix = `${verb} mamori rules: `;
      expect(text?.includes(prefix)).toBe(true);
      return (text ?? '').slice((text ?? '').indexOf(prefix) + prefix.length).split('; ');
    };
    for (const entries of [listed(denied.status?.message, 'violates'), listed(denied.auditAnnotations?.['audit-violations'], 'would violate')]) {
      expect(entries).toHaveLength(21);
      // Ordered by path with its numbers as numbers: k0 … k19, then the count of the other 30.
      expect(entries.slice(0, 20).map((e) => /^hardcoded-credential \(high\): ConfigMap key "(k\d+)" holds an AWS access key id/.exec(e)?.[1])).toEqual(Array.from({ length: 20 }, (_, i) => `k${i}`));
      expect(entries[20]).toBe('…and 30 more');
    }
    expect(denied.status?.message.startsWith('configmaps "keys" is forbidden: violates mamori rules: hardcoded-credential (high): ')).toBe(true);
    expect(denied.auditAnnotations?.['audit-rules']).toBe('hardcoded-credential');
  });

  it('holds at most MAX_FINDINGS_PER_RULE findings of a rule, and counts the rest in its answer', () => {
    // 1,500 AWS access key ids: 1,500 findings of one rule and severity; 1,000 are held.
    const letters = 'FGHJKMNPQRSVWZ234567';
    const data: JsonObject = {};
    for (let i = 0; i < 1_500; i++) data[`k${i}`] = `AKIA${Array.from({ length: 16 }, (_, j) => letters[(i * 7 + j * j * 3 + j + Math.floor(i / 20) * 11) % letters.length]).join('')}`;
    const keys: JsonObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'keys', namespace: 'shop' }, data };
    expect(MAX_FINDINGS_PER_RULE).toBe(1_000);
    const all = scanObjects([keys], { rules: RULES.filter((r) => r.id === 'hardcoded-credential') }).findings;
    expect(all).toHaveLength(1_500);
    const evaluation = new Evaluator({ rules: RULES }).evaluate(keys, { kind: 'catalog' });
    expect(evaluation.findings.filter((f) => f.ruleId === 'hardcoded-credential')).toHaveLength(1_000);
    expect(evaluation.unlisted).toEqual({ high: 500 });
    const labels = { shop: { 'mamori.io/enforce': 'catalog', 'mamori.io/audit': 'catalog' } };
    const denied = response(validate(reviewOf(keys), context({ labels })));
    expect(denied.allowed).toBe(false);
    // 20 listed, then the other 1,480: 980 held and 500 counted.
    expect(denied.status?.message.endsWith('; …and 1480 more')).toBe(true);
    expect(denied.auditAnnotations?.['audit-violations']?.endsWith('; …and 1480 more')).toBe(true);
    // Below failOn the same findings warn: 20 warnings and the count of the rest.
    const warned = response(validate(reviewOf(keys), context({ labels: { shop: { 'mamori.io/enforce': 'catalog' } }, settings: { failOn: 'critical' } })));
    expect(warned.allowed).toBe(true);
    expect(warned.warnings).toHaveLength(21);
    expect(warned.warnings?.[20]).toBe('…and 1480 more findings');
  });

  it('stops mamori\'s own rules once the deadline has passed, in validation and mutation', () => {
    const labels = { shop: { 'mamori.io/enforce': 'catalog', 'mamori.io/audit': 'catalog' } };
    const ctx = context({ labels });
    const small = parseReview(reviewOf(pod('plain', plainSpec())), true);
    // No deadline, or one far off: decided as usual.
    expect(response(validateRequest(small, ctx)).allowed).toBe(false);
    expect(response(validateRequest(small, ctx, performance.now() + 60_000)).allowed).toBe(false);
    expect(response(mutateRequest(small, ctx, performance.now() + 60_000)).patchType).toBe('JSONPatch');
    // Passed already: no rule runs.
    expect(() => validateRequest(small, ctx, performance.now() - 1)).toThrow(DeadlineExceeded);
    expect(() => mutateRequest(small, ctx, performance.now() - 1)).toThrow(DeadlineExceeded);
    // Passing during the evaluation: 20,000 credential-looking values take the rules far longer than 20 ms.
    const data: JsonObject = {};
    for (let i = 0; i < 20_000; i++) data[`k${i}`] = `AKIA${String(i).padStart(16, 'Z').replace(/0/g, 'F').replace(/1/g, 'G')}`;
    const keys = parseReview(reviewOf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'keys', namespace: 'shop' }, data }), true);
    expect(() => validateRequest(keys, ctx, performance.now() + 20)).toThrow(DeadlineExceeded);
  });

  it('judges other kinds in catalog mode only', () => {
    const service: JsonObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'edge', namespace: 'shop' }, spec: { type: 'ClusterIP', externalIPs: ['203.0.113.7'], ports: [{ port: 80 }] } };
    const pssOnly = validate(reviewOf(service), context());
    expect(response(pssOnly)).toEqual({ uid: pssOnly.decision.uid, allowed: true });
    expect(pssOnly.decision.verdict).toBe('skip');
    const catalog = response(validate(reviewOf(service), context({ labels: { shop: { 'mamori.io/enforce': 'catalog' } } })));
    expect(catalog.allowed).toBe(false);
    expect(catalog.status?.message.startsWith('services "edge" is forbidden: violates mamori rules: service-external-ips (medium): ')).toBe(true);
  });

  it('exempts namespaces, users and RuntimeClasses, in PSA\'s order', () => {
    const settings = { exemptions: { usernames: ['system:serviceaccount:kube-system:replicaset-controller'], namespaces: ['kube-system'], runtimeClasses: ['kata'] } };
    const byNamespace = validate(reviewOf(pod('web', privilegedSpec()), { namespace: 'kube-system' }), context({ settings }));
    expect(response(byNamespace)).toEqual({ uid: byNamespace.decision.uid, allowed: true, auditAnnotations: { exempt: 'namespace' } });
    expect(byNamespace.decision.verdict).toBe('exempt');
    const byUser = response(validate(reviewOf(pod('web', privilegedSpec()), { userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' } }), context({ settings })));
    expect(byUser.auditAnnotations).toEqual({ exempt: 'user' });
    const byRuntime = response(validate(reviewOf(pod('web', { ...privilegedSpec(), runtimeClassName: 'kata' })), context({ settings })));
    expect(byRuntime).toMatchObject({ allowed: true, auditAnnotations: { exempt: 'runtimeClass' } });
    // A human is exempt; the same pod from someone else is not.
    expect(response(validate(reviewOf(pod('web', privilegedSpec()), { userInfo: { username: 'bob' } }), context({ settings }))).allowed).toBe(false);
  });
});

describe('validate: exceptions from the configuration and the annotation', () => {
  const config = (expires: string): Config =>
    parseConfig({ exceptions: [{ rule: 'pss-privileged', namespace: 'shop', name: 'web', container: 'app', reason: 'node agent, reviewed', expires }] }, 'test.yaml', knownRules(RULES));

  it('suppresses a rule for one workload until the exception expires', () => {
    const now = new Date('2027-01-10T00:00:00Z');
    const active = response(validate(reviewOf(pod('web', privilegedSpec())), context({ config: config('2027-01-31'), now })));
    expect(active.allowed).toBe(false);
    // Only the host namespace remains: the exception covers pss-privileged for this pod.
    expect(active.status?.message).toBe('pods "web" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostPID=true)');
    expect(active.auditAnnotations?.['suppressed-rules']).toBe('pss-privileged');
    const other = response(validate(reviewOf(pod('db', privilegedSpec())), context({ config: config('2027-01-31'), now })));
    expect(other.status?.message).toContain('privileged (container "app" must not set securityContext.privileged=true)');
    const expired = response(validate(reviewOf(pod('web', privilegedSpec())), context({ config: config('2027-01-05'), now })));
    expect(expired.status?.message).toContain('privileged (container "app" must not set securityContext.privileged=true)');
    expect(expired.auditAnnotations?.['suppressed-rules']).toBeUndefined();
  });

  it('suppresses by the inline annotation, with its reason', () => {
    const spec = { containers: [{ name: 'app', image: 'registry.example.com/app:1.0', securityContext: { privileged: true } }] };
    const annotated = pod('web', spec, { annotations: { 'mamori.io/ignore.pss-privileged': 'needs the device, ticket SEC-12' } });
    const res = response(validate(reviewOf(annotated), context()));
    expect(res.allowed).toBe(true);
    expect(res.auditAnnotations?.['suppressed-rules']).toBe('pss-privileged');
    // An empty reason suppresses nothing.
    const empty = pod('web', spec, { annotations: { 'mamori.io/ignore.pss-privileged': ' ' } });
    expect(response(validate(reviewOf(empty), context())).allowed).toBe(false);
  });
});

describe('validate: operations and subresources', () => {
  it('re-evaluates a pod update only when it is significant (PSA)', () => {
    const old = pod('web', privilegedSpec());
    const relabelled = pod('web', privilegedSpec(), { labels: { tier: 'front' } });
    const metaOnly = validate(reviewOf(relabelled, { operation: 'UPDATE', oldObject: old }), context());
    expect(response(metaOnly).allowed).toBe(true);
    expect(metaOnly.decision.verdict).toBe('skip');
    const newImage = privilegedSpec();
    ((newImage['containers'] as JsonObject[])[0] as JsonObject)['image'] = 'registry.example.com/app:2.0';
    const imageChange = response(validate(reviewOf(pod('web', newImage), { operation: 'UPDATE', oldObject: old }), context()));
    expect(imageChange.allowed).toBe(false);
    expect(isSignificantPodUpdate(pod('web', { ...privilegedSpec(), ephemeralContainers: [{ name: 'debug', image: 'busybox' }] }), old)).toBe(true);
    expect(isSignificantPodUpdate(relabelled, old)).toBe(false);
  });

  it('re-evaluates a pod update that changes a seccomp annotation (PSA), not one that changes other metadata', () => {
    const POD_KEY = 'seccomp.security.alpha.kubernetes.io/pod';
    const APP_KEY = 'container.seccomp.security.alpha.kubernetes.io/app';
    const annotated = (annotations: Record<string, string>, spec: JsonObject = privilegedSpec()): JsonObject => pod('web', spec, { annotations });
    const old = annotated({ [POD_KEY]: 'runtime/default', [APP_KEY]: 'runtime/default', note: 'a' });
    // The pod's annotation changed, or was removed.
    expect(isSignificantPodUpdate(annotated({ [POD_KEY]: 'unconfined', [APP_KEY]: 'runtime/default', note: 'a' }), old)).toBe(true);
    expect(isSignificantPodUpdate(annotated({ [APP_KEY]: 'runtime/default', note: 'a' }), old)).toBe(true);
    // The annotation of an existing container changed.
    expect(isSignificantPodUpdate(annotated({ [POD_KEY]: 'runtime/default', [APP_KEY]: 'unconfined', note: 'a' }), old)).toBe(true);
    // Other annotations and labels are not significant.
    expect(isSignificantPodUpdate(annotated({ [POD_KEY]: 'runtime/default', [APP_KEY]: 'runtime/default', note: 'b' }), old)).toBe(false);
    expect(isSignificantPodUpdate(pod('web', privilegedSpec(), { labels: { tier: 'front' }, annotations: { [POD_KEY]: 'runtime/default', [APP_KEY]: 'runtime/default', note: 'a' } }), old)).toBe(false);
    // An annotation added where there was none, at the pod or for a container.
    const bare = pod('web', privilegedSpec());
    expect(isSignificantPodUpdate(annotated({ [POD_KEY]: 'runtime/default' }), bare)).toBe(true);
    expect(isSignificantPodUpdate(annotated({ [APP_KEY]: 'runtime/default' }), bare)).toBe(true);
    // As in Go, an absent annotation equals an empty one.
    expect(isSignificantPodUpdate(annotated({ [POD_KEY]: '', [APP_KEY]: '' }), bare)).toBe(false);
    // Only the containers of the new pod count: an annotation for a container it does not have is not significant.
    expect(isSignificantPodUpdate(annotated({ 'container.seccomp.security.alpha.kubernetes.io/ghost': 'unconfined' }), bare)).toBe(false);
    // Init and ephemeral containers' annotations count too.
    const withInit = (): JsonObject => ({ ...privilegedSpec(), initContainers: [{ name: 'setup', image: 'busybox:1' }], ephemeralContainers: [{ name: 'debug', image: 'busybox:1' }] });
    const oldFull = pod('web', withInit());
    expect(isSignificantPodUpdate(pod('web', withInit(), { annotations: { 'container.seccomp.security.alpha.kubernetes.io/setup': 'unconfined' } }), oldFull)).toBe(true);
    expect(isSignificantPodUpdate(pod('web', withInit(), { annotations: { 'container.seccomp.security.alpha.kubernetes.io/debug': 'unconfined' } }), oldFull)).toBe(true);

    // Through the webhook: a violating pod is denied on a seccomp-annotation-only update, allowed unevaluated on a label-only one.
    const seccompOnly = validate(reviewOf(annotated({ [POD_KEY]: 'unconfined', [APP_KEY]: 'runtime/default', note: 'a' }), { operation: 'UPDATE', oldObject: old }), context());
    expect(seccompOnly.decision.verdict).not.toBe('skip');
    expect(response(seccompOnly).allowed).toBe(false);
    expect(response(seccompOnly).status?.message).toContain('violates PodSecurity "baseline:latest"');
    const containerOnly = response(validate(reviewOf(annotated({ [POD_KEY]: 'runtime/default', [APP_KEY]: 'unconfined', note: 'a' }), { operation: 'UPDATE', oldObject: old }), context()));
    expect(containerOnly.allowed).toBe(false);
    const labelOnly = validate(reviewOf(pod('web', privilegedSpec(), { labels: { tier: 'front' }, annotations: { [POD_KEY]: 'runtime/default', [APP_KEY]: 'runtime/default', note: 'b' } }), { operation: 'UPDATE', oldObject: old }), context());
    expect(labelOnly.decision.verdict).toBe('skip');
    expect(response(labelOnly).allowed).toBe(true);
  });

  it('evaluates workload updates that change the pod template, not those that only scale', () => {
    const deployment = (replicas: number, spec: JsonObject): JsonObject => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api', namespace: 'shop' }, spec: { replicas, template: { spec } } });
    const old = deployment(1, privilegedSpec());
    const scaled = validate(reviewOf(deployment(3, privilegedSpec()), { operation: 'UPDATE', oldObject: old }), context());
    expect(scaled.decision.verdict).toBe('skip');
    expect(response(scaled).allowed).toBe(true);
    const changed = response(validate(reviewOf(deployment(1, { ...privilegedSpec(), hostIPC: true }), { operation: 'UPDATE', oldObject: old }), context()));
    expect(changed.allowed).toBe(false);
    expect(changed.status?.message).toContain('host namespaces (hostPID=true, hostIPC=true)');
  });

  it('allows DELETE and CONNECT without evaluating', () => {
    const outcome = validate(reviewOf(null, { operation: 'DELETE', oldObject: pod('web', privilegedSpec()) }), context());
    expect(response(outcome)).toEqual({ uid: outcome.decision.uid, allowed: true });
    expect(outcome.decision).toMatchObject({ verdict: 'skip', operation: 'DELETE', name: 'web' });
  });

  it('ignores the subresources PSA ignores, and evaluates ephemeral containers', () => {
    const status = validate(reviewOf(pod('web', privilegedSpec()), { subResource: 'status', operation: 'UPDATE', oldObject: pod('web', privilegedSpec()) }), context());
    expect(status.decision.verdict).toBe('skip');
    const ephemeral = response(validate(reviewOf(pod('web', { ...hardenedSpec(), ephemeralContainers: [{ name: 'debug', image: 'busybox:1', securityContext: { privileged: true } }] }), { subResource: 'ephemeralcontainers', operation: 'UPDATE', oldObject: pod('web', hardenedSpec()) }), context()));
    expect(ephemeral.allowed).toBe(false);
    expect(ephemeral.status?.message).toBe('pods "web" is forbidden: violates PodSecurity "baseline:latest": privileged (container "debug" must not set securityContext.privileged=true)');
  });
});

describe('validate: malformed requests', () => {
  const cases: [string, unknown, string][] = [
    ['not an object', [1, 2], 'the body must be a JSON object (an admission.k8s.io/v1 AdmissionReview)'],
    ['v1beta1', { apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: {} }, 'unsupported apiVersion "admission.k8s.io/v1beta1": only admission.k8s.io/v1 AdmissionReview is served (set admissionReviewVersions: ["v1"])'],
    ['wrong kind', { apiVersion: 'admission.k8s.io/v1', kind: 'Pod', request: {} }, 'kind must be AdmissionReview, got "Pod"'],
    ['no request', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, 'the AdmissionReview has no request object'],
    ['no uid', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { operation: 'CREATE' } }, 'request.uid must be a non-empty string'],
    ['bad operation', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', operation: 'PATCH' } }, 'request.operation must be one of CREATE, UPDATE, DELETE, CONNECT, got "PATCH"'],
    ['no kind', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', operation: 'CREATE' } }, 'request.kind must be an object with a kind (group, version, kind)'],
    ['no object on CREATE', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', operation: 'CREATE', kind: { group: '', version: 'v1', kind: 'Pod' } } }, 'request.object is required for CREATE'],
    ['object not an object', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', operation: 'CREATE', kind: { kind: 'Pod' }, object: 'pod' } }, 'request.object must be an object or null'],
    ['metadata not an object', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', operation: 'CREATE', kind: { kind: 'Pod' }, object: { metadata: [] } } }, 'request.object.metadata must be an object'],
    ['dryRun not a boolean', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', operation: 'DELETE', kind: { kind: 'Pod' }, dryRun: 'yes' } }, 'request.dryRun must be true or false'],
    ['username not a string', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', operation: 'DELETE', kind: { kind: 'Pod' }, userInfo: { username: 7 } } }, 'request.userInfo.username must be a string'],
    ['userInfo not an object', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', operation: 'DELETE', kind: { kind: 'Pod' }, userInfo: 'alice' } }, 'request.userInfo must be an object'],
    ['uid not a string', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', operation: 'DELETE', kind: { kind: 'Pod' }, userInfo: { username: 'a', uid: 12 } } }, 'request.userInfo.uid must be a string'],
    ['groups not a list', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', operation: 'DELETE', kind: { kind: 'Pod' }, userInfo: { groups: 'dev' } } }, 'request.userInfo.groups must be a list of strings'],
    ['a group not a string', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', operation: 'DELETE', kind: { kind: 'Pod' }, userInfo: { groups: ['dev', 3] } } }, 'request.userInfo.groups[1] must be a string'],
    ['extra not an object', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', operation: 'DELETE', kind: { kind: 'Pod' }, userInfo: { extra: ['a'] } } }, 'request.userInfo.extra must be an object whose values are lists of strings'],
    ['an extra value not a list', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', operation: 'DELETE', kind: { kind: 'Pod' }, userInfo: { extra: { scopes: 'read' } } } }, 'request.userInfo.extra["scopes"] must be a list of strings'],
    ['an extra item not a string', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', operation: 'DELETE', kind: { kind: 'Pod' }, userInfo: { extra: { 'a.io/k': ['x', null] } } } }, 'request.userInfo.extra["a.io/k"][1] must be a string'],
  ];
  for (const [name, body, message] of cases) {
    it(`refuses ${name} with the reason`, () => {
      expect(() => parseReview(body)).toThrow(new AdmissionRequestError(message));
      expect(() => mutate(body, context())).toThrow(AdmissionRequestError);
    });
  }

  it('refuses objects nested deeper than mamori scans', () => {
    let deep: JsonValue = 'x';
    for (let i = 0; i < 200; i++) deep = { a: deep };
    const body = reviewOf(pod('deep', { ...hardenedSpec(), extra: deep }));
    expect(() => validate(body, context())).toThrow(EvaluationError);
  });

  it('keeps the whole userInfo: username, uid, groups and extra (absent fields empty, unknown ones ignored)', () => {
    const full = parseReview(reviewOf(pod('web', plainSpec()), { userInfo: { username: 'alice', uid: 'u-9', groups: ['dev'], extra: { scopes: ['a', 'b'], empty: null }, unknown: 1 } }));
    expect(full.username).toBe('alice');
    expect(full.userInfo).toEqual({ username: 'alice', uid: 'u-9', groups: ['dev'], extra: { scopes: ['a', 'b'], empty: [] } });
    expect(parseReview(reviewOf(pod('web', plainSpec()), { userInfo: null })).userInfo).toEqual({ username: '', uid: '', groups: [], extra: {} });
    expect(parseReview(reviewOf(pod('web', plainSpec()), { userInfo: { username: null, groups: null, extra: null } })).userInfo).toEqual({ username: '', uid: '', groups: [], extra: {} });
    // An extra key named __proto__ is a key like any other.
    const odd = parseReview(JSON.parse(JSON.stringify(reviewOf(pod('web', plainSpec()))).replace('"userInfo":{', '"userInfo":{"extra":{"__proto__":["p"]},')) as unknown).userInfo.extra;
    expect(Object.keys(odd)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(odd, '__proto__')?.value).toEqual(['p']);
  });

  it('answers per the failure policy when it cannot decide', () => {
    const request = parseReview(reviewOf(pod('web', plainSpec())));
    const closed = failureOutcome(request, 'evaluation failed: boom', 'Fail');
    expect(closed.review.response).toEqual({ uid: request.uid, allowed: false, status: { code: 500, reason: 'InternalError', message: 'mamori could not check this request: evaluation failed: boom (failurePolicy Fail refuses it)' }, auditAnnotations: { error: 'evaluation failed: boom' } });
    expect(closed.decision.verdict).toBe('fail-closed');
    const open = failureOutcome(request, 'evaluation failed: boom', 'Ignore');
    expect(open.review.response).toEqual({ uid: request.uid, allowed: true, warnings: ['allowed without a check by mamori (failurePolicy Ignore): evaluation failed: boom'], auditAnnotations: { 'failed-open': 'evaluation failed: boom' } });
    expect(open.decision.verdict).toBe('fail-open');
  });
});

describe('mutate', () => {
  const restrictedNs = { shop: { 'mamori.io/enforce': 'restricted' } };

  it('returns nothing for an object that complies', () => {
    const outcome = mutate(reviewOf(pod('hardened', hardenedSpec())), context({ labels: restrictedNs }));
    expect(response(outcome)).toEqual({ uid: outcome.decision.uid, allowed: true });
  });

  it('patches the safe fixes; the patched object is then allowed', () => {
    const body = reviewOf(pod('plain', plainSpec()));
    const ctx = context({ labels: restrictedNs });
    const outcome = mutate(body, ctx);
    const res = response(outcome);
    expectWellFormed(res, outcome.decision.uid, 'mutate');
    const ops = decodePatch(res);
    // Parents that two fixes both need are created once, by adding the whole subtree.
    expect(ops).toEqual([
      { op: 'add', path: '/spec/containers/0/securityContext', value: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } },
      { op: 'add', path: '/spec/securityContext', value: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } } },
    ]);
    expect(res.auditAnnotations).toEqual({ 'patched-rules': 'pss-allow-privilege-escalation,pss-capabilities-restricted,pss-run-as-non-root,pss-seccomp-profile-restricted' });
    const patched = applyStrict((body['request'] as JsonObject)['object'] as JsonObject, ops) as JsonObject;
    const again = response(validate(reviewOf(patched), ctx));
    expect(again.allowed).toBe(true);
    expect(again.warnings).toBeUndefined();
    // Idempotent: the patched object needs no further patch.
    expect(response(mutate(reviewOf(patched), ctx)).patch).toBeUndefined();
  });

  it('applies fixes that another fix enables (rounds), and only safe ones', () => {
    const spec: JsonObject = { containers: [{ name: 'app', image: 'registry.example.com/app:1.0', securityContext: { privileged: true, capabilities: { add: ['NET_ADMIN', 'CHOWN'] } } }] };
    const body = reviewOf(pod('priv', spec));
    const ctx = context({ labels: restrictedNs });
    const ops = decodePatch(response(mutate(body, ctx)));
    const patched = applyStrict((body['request'] as JsonObject)['object'] as JsonObject, ops) as JsonObject;
    const container = ((patched['spec'] as JsonObject)['containers'] as JsonObject[])[0] as JsonObject;
    expect(container['securityContext']).toEqual({ privileged: false, capabilities: { drop: ['ALL'] }, allowPrivilegeEscalation: false });
    expect(response(validate(reviewOf(patched), ctx)).allowed).toBe(true);
  });

  it('leaves what has no safe fix (a hostPath) for validation to refuse', () => {
    const spec: JsonObject = { volumes: [{ name: 'data', hostPath: { path: '/data' } }], containers: [{ name: 'app', image: 'registry.example.com/app:1.0' }] };
    const outcome = mutate(reviewOf(pod('hp', spec)), context());
    expect(response(outcome)).toEqual({ uid: outcome.decision.uid, allowed: true });
  });

  it('does not patch exempt requests, pod updates or mirror pods', () => {
    const settings = { exemptions: { usernames: [], namespaces: ['shop'], runtimeClasses: [] } };
    expect(response(mutate(reviewOf(pod('plain', plainSpec())), context({ labels: restrictedNs, settings }))).patch).toBeUndefined();
    expect(response(mutate(reviewOf(pod('plain', plainSpec()), { operation: 'UPDATE', oldObject: pod('plain', plainSpec()) }), context({ labels: restrictedNs }))).patch).toBeUndefined();
    const mirror = pod('plain', plainSpec(), { annotations: { 'kubernetes.io/config.mirror': 'abc' } });
    expect(response(mutate(reviewOf(mirror), context({ labels: restrictedNs }))).patch).toBeUndefined();
  });

  it('diffs into strict JSON Patch operations', () => {
    expect(diffPatch({ a: 1, b: { c: [1, 2] }, d: 'x' }, { a: 1, b: { c: [1, 3], e: {} }, f: true })).toEqual([
      { op: 'remove', path: '/d' },
      { op: 'replace', path: '/b/c/1', value: 3 },
      { op: 'add', path: '/b/e', value: {} },
      { op: 'add', path: '/f', value: true },
    ]);
    expect(diffPatch({ l: [1] }, { l: [1, 2] })).toEqual([{ op: 'replace', path: '/l', value: [1, 2] }]);
    expect(diffPatch({ 'a/b': { '~': 0 } }, { 'a/b': { '~': 1 } })).toEqual([{ op: 'replace', path: '/a~1b/~0', value: 1 }]);
    expect(diffPatch({ x: 1 }, { x: 1 })).toEqual([]);
  });
});

describe('modes', () => {
  it('parses modes as written in flags and configuration', () => {
    expect(parseModePolicy('catalog', '--default-enforce')).toEqual({ kind: 'catalog' });
    expect(parseModePolicy('baseline', 'x')).toEqual({ kind: 'pss', policy: { level: 'baseline', version: 'latest' } });
    expect(parseModePolicy('restricted:v1.30', 'x')).toEqual({ kind: 'pss', policy: { level: 'restricted', version: 'v1.30' } });
    expect(() => parseModePolicy('strict', '--default-warn')).toThrow(MamoriError);
    expect(() => parseModePolicy('baseline:1.30', '--default-warn')).toThrow('--default-warn: version "1.30" must be "latest" or "v1.x" (for example v1.30)');
  });

  it('defaults warn to a stricter enforce label, as PSA', () => {
    const defaults = { ...DEFAULT_MODES, warn: { kind: 'pss' as const, policy: { level: 'baseline' as const, version: 'latest' } } };
    const modes = namespaceModes({ 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.29' }, defaults);
    expect(modes.warn).toEqual({ kind: 'pss', policy: { level: 'restricted', version: 'v1.29' } });
    expect(modes.enforce).toEqual({ kind: 'pss', policy: { level: 'restricted', version: 'v1.29' } });
    expect(namespaceModes({ 'pod-security.kubernetes.io/enforce': 'privileged' }, defaults).warn).toEqual(defaults.warn);
    // Invalid warn and audit levels fail open.
    const invalid = namespaceModes({ 'mamori.io/warn': 'loud', 'mamori.io/audit': 'catalog' }, DEFAULT_MODES);
    expect(invalid.warn).toEqual({ kind: 'pss', policy: { level: 'privileged', version: 'latest' } });
    expect(invalid.audit).toEqual({ kind: 'catalog' });
    expect(invalid.errors).toEqual(['mamori.io/warn: invalid value "loud": must be one of privileged, baseline, restricted, catalog']);
    // `catalog` is mamori's: PSA's label cannot say it.
    expect(namespaceModes({ 'pod-security.kubernetes.io/enforce': 'catalog' }, DEFAULT_MODES).enforce).toEqual({ kind: 'pss', policy: { level: 'restricted', version: 'latest' } });
  });

  it('validates the admission section of the configuration', () => {
    expect(parseAdmissionSection({ defaults: { enforce: 'restricted', audit: 'catalog' }, exemptions: { namespaces: ['kube-system'] }, failurePolicy: 'Ignore', timeoutMs: 1500 }, 'c.yaml')).toEqual({
      defaults: { enforce: { kind: 'pss', policy: { level: 'restricted', version: 'latest' } }, audit: { kind: 'catalog' } },
      exemptions: { namespaces: ['kube-system'] },
      failurePolicy: 'Ignore',
      timeoutMs: 1500,
    });
    expect(() => parseAdmissionSection({ failurePolicy: 'Open' }, 'c.yaml')).toThrow('admission.failurePolicy: must be Fail or Ignore');
    expect(() => parseAdmissionSection({ exemptions: { users: [] } }, 'c.yaml')).toThrow('admission.exemptions.users: unknown key (known: usernames, namespaces, runtimeClasses)');
    expect(() => parseAdmissionSection({ defaults: { enforce: 'max' } }, 'c.yaml')).toThrow(MamoriError);
  });
});

// ---------------------------------------------------------------------------------------------
// Real AdmissionRequests: kubewarden's test data (specs/admission-and-cel.md A.1)

const fixtures = process.env['MAMORI_FIXTURES'];
const suite = fixtures === undefined ? describe.skip : describe;
const title =
  fixtures === undefined
    ? 'kubewarden AdmissionRequests (skipped: set MAMORI_FIXTURES=../shared/external-fixtures to run it)'
    : 'kubewarden AdmissionRequests';

/**
 * The requests baseline must refuse, with the PSA reason of the check each violates, decided from
 * the objects (privileged containers, host namespaces, hostPath volumes, capabilities outside the
 * baseline set, an unconfined AppArmor profile, SELinux type/user/role, an unsafe sysctl); every
 * other request is compliant at baseline or not a pod.
 */
const DENIED_AT_BASELINE: Record<string, string> = {
  'apparmor-psp-policy/test_data/pod_invalid.json': 'forbidden AppArmor profile (',
  'capabilities-psp-policy/test_data/req_pod_with_allowed_capabilities_reject.json': 'non-default capabilities (container "hello" must not include "BPF"',
  'capabilities-psp-policy/test_data/req_pod_with_capabilities_in_required_drop_capabilities.json': 'non-default capabilities (container "hello" must not include "NET_ADMIN"',
  'capabilities-psp-policy/test_data/req_pod_with_container_with_capabilities_added.json': 'non-default capabilities (container "nginx" must not include "NET_ADMIN", "SYS_TIME"',
  'capabilities-psp-policy/test_data/req_pod_with_container_with_capabilities_added_and_sidecar.json': 'non-default capabilities (container "nginx" must not include "NET_ADMIN", "SYS_TIME"',
  'capabilities-psp-policy/test_data/req_pod_with_container_with_capabilities_added_for_deployment.json': 'non-default capabilities (container "nginx" must not include "NET_ADMIN", "SYS_TIME"',
  'host-namespaces-psp-policy/test_data/deployment_request.json': 'host namespaces (hostNetwork=true, hostPID=true, hostIPC=true), hostPort (container "nginx" uses hostPort 443)',
  'host-namespaces-psp-policy/test_data/pod_request.json': 'host namespaces (hostNetwork=true, hostPID=true, hostIPC=true), hostPort (container "nginx" uses hostPort 443)',
  'hostpaths-psp-policy/test_data/request-pod-hostpaths.json': 'hostPath volumes (',
  'hostpaths-psp-policy/test_data/request-pod-multiple-containers.json': 'hostPath volumes (',
  'hostpaths-psp-policy/test_data/request-pod-precedence-least.json': 'hostPath volumes (',
  'hostpaths-psp-policy/test_data/request-pod-precedence.json': 'hostPath volumes (',
  'namespace-label-propagator-policy/test_data/pod.json': 'privileged (container "pause" must not set securityContext.privileged=true)',
  'namespace-label-propagator-policy/test_data/pod_with_no_labels.json': 'privileged (container "pause" must not set securityContext.privileged=true)',
  'namespace-label-propagator-policy/test_data/pod_with_wrong_label_value.json': 'privileged (container "pause" must not set securityContext.privileged=true)',
  'pod-privileged-policy/test_data/deployment_with_privileged_containers.json': 'privileged (container "nginx" must not set securityContext.privileged=true)',
  'pod-privileged-policy/test_data/privileged_container.json': 'privileged (container "nginx" must not set securityContext.privileged=true)',
  'pod-privileged-policy/test_data/privileged_ephemeral_container.json': 'privileged (container "nginx" must not set securityContext.privileged=true)',
  'pod-privileged-policy/test_data/privileged_init_container.json': 'privileged (container "nginx" must not set securityContext.privileged=true)',
  'pod-privileged-policy/test_data/statefulset_with_privileged_container.json': 'privileged (container "nginx" must not set securityContext.privileged=true)',
  'selinux-psp-policy/test_data/pod_bad_selinux.json': 'seLinuxOptions (container "nginx" set forbidden securityContext.seLinuxOptions: type "wrong_type"; user may not be set; role may not be set)',
  'sysctl-psp-policy/test_data/request-pod-somaxconn.json': 'forbidden sysctls (net.core.somaxconn)',
  'user-group-psp-policy/test_data/daemonset_root_user.json': 'hostPath volumes (volume "varlog")',
  'user-group-psp-policy/test_data/daemonset_with_no_securitycontext.json': 'hostPath volumes (volume "varlog")',
  'volumeMounts-policy/test_data/pod_creation_volume_mounts.json': 'hostPath volumes (volumes "test-data", "test-var", "test-var-local-aaa")',
  'volumeMounts-policy/test_data/pod_creation_volume_mounts_only2.json': 'hostPath volumes (volumes "test-data", "test-var", "test-var-local-aaa")',
  'volumes-psp-policy/test_data/request-pod-volumes.json': 'hostPath volumes (volumes "test-var", "test-var-local-aaa")',
};

/** Denied requests whose only violations have safe fixes: the mutating webhook's patch makes them pass. */
const FIXABLE_AT_BASELINE = new Set([
  'capabilities-psp-policy/test_data/req_pod_with_allowed_capabilities_reject.json',
  'capabilities-psp-policy/test_data/req_pod_with_container_with_capabilities_added.json',
  'namespace-label-propagator-policy/test_data/pod.json',
  'pod-privileged-policy/test_data/privileged_container.json',
  'pod-privileged-policy/test_data/deployment_with_privileged_containers.json',
  'selinux-psp-policy/test_data/pod_bad_selinux.json',
  'apparmor-psp-policy/test_data/pod_invalid.json',
]);

interface Sample {
  file: string;
  body: JsonObject;
  uid: string;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** The AdmissionRequest bodies of kubewarden's test data, wrapped in an AdmissionReview where bare. */
function loadSamples(base: string): Sample[] {
  const root = join(base, 'kubewarden-policies', 'policies');
  if (!existsSync(root)) throw new Error(`MAMORI_FIXTURES is set but ${root} is missing`);
  const out: Sample[] = [];
  for (const path of walk(root).filter((p) => p.endsWith('.json') && p.includes('/test_data/')).sort()) {
    const json = JSON.parse(readFileSync(path, 'utf8')) as JsonObject;
    const wrapped = json['kind'] === 'AdmissionReview' && typeof json['request'] === 'object';
    const request = (wrapped ? json['request'] : json) as JsonObject;
    if (typeof request['uid'] !== 'string' || typeof request['operation'] !== 'string') continue; // settings files
    out.push({ file: relative(root, path), body: wrapped ? json : { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request }, uid: request['uid'] });
  }
  return out;
}

suite(title, () => {
  const samples = fixtures === undefined ? [] : loadSamples(fixtures);
  const ctx = { ...context(), requireReview: true };

  it('finds the 192 request bodies', () => {
    expect(samples).toHaveLength(192);
    const operations = samples.map((s) => (s.body['request'] as JsonObject)['operation']);
    expect(operations.filter((o) => o === 'CREATE')).toHaveLength(187);
    expect(operations.filter((o) => o === 'UPDATE')).toHaveLength(2);
    expect(operations.filter((o) => o === 'DELETE')).toHaveLength(3);
  });

  it('answers every request with a well-formed response echoing its uid (validate and mutate)', () => {
    for (const sample of samples) {
      expectWellFormed(response(validate(sample.body, ctx)), sample.uid, 'validate');
      const mutated = response(mutate(sample.body, ctx));
      expectWellFormed(mutated, sample.uid, 'mutate');
      if (mutated.patch !== undefined) applyStrict((sample.body['request'] as JsonObject)['object'] as JsonObject, decodePatch(mutated));
    }
  });

  it('denies at baseline exactly the privileged, host-namespace, hostPath, capability and similar cases', () => {
    const denied: Record<string, string> = {};
    for (const sample of samples) {
      const res = response(validate(sample.body, ctx));
      if (!res.allowed) denied[sample.file] = res.status?.message ?? '';
    }
    expect(Object.keys(denied).sort()).toEqual(Object.keys(DENIED_AT_BASELINE).sort());
    for (const [file, reason] of Object.entries(DENIED_AT_BASELINE)) {
      expect(denied[file]).toMatch(/^[a-z.]+ "[^"]+" is forbidden: violates PodSecurity "baseline:latest": /);
      expect(denied[file]).toContain(`: ${reason}`);
    }
  });

  it('gives pods PSA\'s own denial text', () => {
    for (const sample of samples.filter((s) => Object.hasOwn(DENIED_AT_BASELINE, s.file))) {
      const request = sample.body['request'] as JsonObject;
      if ((request['kind'] as JsonObject)['kind'] !== 'Pod') continue;
      const object: JsonObject = { apiVersion: 'v1', kind: 'Pod', ...(request['object'] as JsonObject) };
      const metadata = object['metadata'] as JsonObject;
      const name = typeof request['name'] === 'string' && request['name'] !== '' ? request['name'] : String(metadata['name']);
      const expected = podSecurityDenial({ ...object, metadata: { ...metadata, name } }, { level: 'baseline', version: 'latest' });
      expect(response(validate(sample.body, ctx)).status?.message).toBe(expected);
    }
  });

  it('allows and denies exactly what `mamori scan` reports for the same object at the same level', () => {
    const pssRules = RULES.filter((r) => r.id.startsWith('pss-'));
    let compared = 0;
    for (const sample of samples) {
      const request = sample.body['request'] as JsonObject;
      const object = request['object'] as JsonObject | null;
      if (request['operation'] !== 'CREATE' || object === null || typeof object !== 'object') continue;
      const gvk = request['kind'] as JsonObject;
      const apiVersion = gvk['group'] === '' ? String(gvk['version']) : `${String(gvk['group'])}/${String(gvk['version'])}`;
      const full: JsonObject = { apiVersion, kind: String(gvk['kind']), ...object };
      const scan = scanObjects([full], { rules: pssRules, pss: 'baseline:latest' });
      const verdict = response(validate(sample.body, ctx));
      expect({ file: sample.file, allowed: verdict.allowed }).toEqual({ file: sample.file, allowed: scan.findings.length === 0 });
      // Every check the scan reports is named in the denial, with the scan's own words.
      for (const f of scan.findings) expect(verdict.status?.message, sample.file).toContain(f.message);
      compared++;
    }
    expect(compared).toBeGreaterThan(150);
  });

  it('patches what has a safe fix so that validation then allows it', () => {
    for (const sample of samples.filter((s) => FIXABLE_AT_BASELINE.has(s.file))) {
      const request = sample.body['request'] as JsonObject;
      const ops = decodePatch(response(mutate(sample.body, ctx)));
      const patched = applyStrict(request['object'] as JsonObject, ops);
      const again = response(validate({ ...sample.body, request: { ...request, object: patched } }, ctx));
      expect({ file: sample.file, allowed: again.allowed, message: again.status?.message }).toEqual({ file: sample.file, allowed: true, message: undefined });
    }
  });
});

describe('ValidatingAdmissionPolicies in the webhook', () => {
  const policy = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: 'replica-limit' },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'] }] },
      validations: [{ expression: 'object.spec.replicas <= 5', messageExpression: "'replicas must be at most 5, got ' + string(object.spec.replicas)" }],
    },
  };
  const binding = (actions: string[]) => ({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: 'replica-limit-binding' },
    spec: { policyName: 'replica-limit', validationActions: actions },
  });
  const deployment = (replicas: number): JsonObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'registry.example.com/web:1.0' }] } },
    },
  });

  it('denies with the API server\'s status when a Deny binding fails, allows otherwise', () => {
    const policies = loadPolicies([policy, binding(['Deny'])]);
    const ctx = { ...context(), policies };
    const denied = response(validate(reviewOf(deployment(10)), ctx));
    expect(denied.allowed).toBe(false);
    expect(denied.status?.code).toBe(422);
    expect(denied.status?.message).toBe('deployments.apps "web" is forbidden: ValidatingAdmissionPolicy \'replica-limit\' with binding \'replica-limit-binding\' denied request: replicas must be at most 5, got 10');
    expect(response(validate(reviewOf(deployment(3)), ctx)).allowed).toBe(true);
  });

  it('request.userInfo in CEL is the whole userInfo the API server sent', () => {
    const userInfo = { username: 'alice', uid: '4a2f-91', groups: ['dev', 'system:authenticated'], extra: { scopes: ['read', 'write'], 'authentication.kubernetes.io/pod-name': ['ci-7'] } };
    const who = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: 'who' },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['deployments'] }] },
        validations: [
          {
            expression: "request.userInfo.username == 'alice' && request.userInfo.uid == '4a2f-91' && request.userInfo.groups == ['dev', 'system:authenticated'] && request.userInfo.extra['scopes'] == ['read', 'write'] && request.userInfo.extra['authentication.kubernetes.io/pod-name'] == ['ci-7'] && request.userInfo.extra.size() == 2",
            message: 'userInfo differs',
          },
        ],
      },
    };
    const whoBinding = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: 'who-binding' }, spec: { policyName: 'who', validationActions: ['Deny'] } };
    const ctx = { ...context(), policies: loadPolicies([who, whoBinding]) };
    expect(response(validate(reviewOf(deployment(1), { userInfo }), ctx)).allowed).toBe(true);
    for (const other of [
      { ...userInfo, uid: 'other' },
      { ...userInfo, groups: ['dev'] },
      { ...userInfo, extra: { scopes: ['read'], 'authentication.kubernetes.io/pod-name': ['ci-7'] } },
      { username: 'alice', groups: ['dev', 'system:authenticated'] },
    ]) {
      expect(response(validate(reviewOf(deployment(1), { userInfo: other }), ctx)).status?.message).toBe('deployments.apps "web" is forbidden: ValidatingAdmissionPolicy \'who\' with binding \'who-binding\' denied request: userInfo differs');
    }
    // Without userInfo the fields are empty, as in the API server's request.
    const empty = { ...who, metadata: { name: 'empty' }, spec: { ...who.spec, validations: [{ expression: "request.userInfo.username == '' && request.userInfo.uid == '' && request.userInfo.groups == [] && request.userInfo.extra.size() == 0" }] } };
    const emptyCtx = { ...context(), policies: loadPolicies([empty, { ...whoBinding, metadata: { name: 'empty-binding' }, spec: { policyName: 'empty', validationActions: ['Deny'] } }]) };
    expect(response(validate(reviewOf(deployment(1), { userInfo: null }), emptyCtx)).allowed).toBe(true);
  });

  it('user exemptions still go by username alone', () => {
    const settings = { exemptions: { usernames: ['ci'], namespaces: [], runtimeClasses: [] } };
    const privileged = deployment(1);
    ((privileged['spec'] as JsonObject)['template'] as { spec: { containers: JsonObject[] } }).spec.containers[0]!['securityContext'] = { privileged: true };
    const ctx = { ...context({ settings }), policies: loadPolicies([policy, binding(['Deny'])]) };
    const outcome = validate(reviewOf(privileged, { userInfo: { username: 'ci', uid: 'x', groups: ['ops'], extra: { k: ['v'] } } }), ctx);
    expect(outcome.decision.verdict).toBe('exempt');
    expect(outcome.decision.user).toBe('ci');
    expect(response(validate(reviewOf(privileged, { userInfo: { username: 'cid', groups: ['ci'] } }), ctx)).allowed).toBe(false);
  });

  it('a Warn binding warns and allows; mamori\'s own denial comes first', () => {
    const ctx = { ...context(), policies: loadPolicies([policy, binding(['Warn'])]) };
    const warned = response(validate(reviewOf(deployment(10)), ctx));
    expect(warned.allowed).toBe(true);
    expect(warned.warnings).toContain("Validation failed for ValidatingAdmissionPolicy 'replica-limit' with binding 'replica-limit-binding': replicas must be at most 5, got 10");
    const privileged = deployment(10);
    ((privileged['spec'] as JsonObject)['template'] as { spec: { containers: JsonObject[] } }).spec.containers[0]!['securityContext'] = { privileged: true };
    const denied = response(validate(reviewOf(privileged), ctx));
    expect(denied.allowed).toBe(false);
    expect(denied.status?.message).toContain('violates PodSecurity "baseline:latest": privileged');
  });
});
