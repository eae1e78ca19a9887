import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { formatPolicyTestText, policyTestExitCode, runPolicyTest } from '../src/cli/policy.js';
import { findSuites, runPolicyTests } from '../src/policy/test-suite.js';
import type { PolicyTestRun } from '../src/policy/test-suite.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLES = join(ROOT, 'examples', 'policies');
const TMP = mkdtempSync(join(tmpdir(), 'mamori-policy-test-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

let counter = 0;
/** Writes files into a fresh directory and returns it. */
function fixture(files: Record<string, string>): string {
  const dir = join(TMP, `case-${++counter}`);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** Runs the CLI entry point, capturing stdout. */
function cli(dir: string, format: 'text' | 'json' = 'text'): { code: number; out: string } {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    const code = runPolicyTest(dir, { format });
    return { code, out };
  } finally {
    spy.mockRestore();
  }
}

const REPLICAS = `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: max-replicas}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}
  validations:
  - expression: "object.spec.replicas <= 5"
    messageExpression: "'replicas must be at most 5, got ' + string(object.spec.replicas)"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: max-replicas-prod}
spec:
  policyName: max-replicas
  validationActions: [Deny]
  matchResources:
    namespaceSelector: {matchLabels: {env: prod}}
`;

const IGNORED = `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: max-replicas-lenient}
spec:
  failurePolicy: Ignore
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}
  validations:
  - expression: "object.spec.replicas <= 5"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: max-replicas-lenient}
spec:
  policyName: max-replicas-lenient
  validationActions: [Deny]
`;

const RESOURCES = `
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {env: prod}}
---
apiVersion: v1
kind: Namespace
metadata: {name: lab, labels: {env: dev}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: big, namespace: shop}
spec: {replicas: 10}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: big, namespace: lab}
spec: {replicas: 10}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: noreplicas, namespace: shop}
spec: {}
`;

function suite(tests: string, extra = ''): Record<string, string> {
  return {
    'policy.yaml': REPLICAS,
    'resources.yaml': RESOURCES,
    'mamori-test.yaml': `policies: [policy.yaml]\nresources: [resources.yaml]\n${extra}tests:\n${tests}`,
  };
}

function only(run: PolicyTestRun): NonNullable<PolicyTestRun['suites'][number]['tests'][number]> {
  const t = run.suites[0]?.tests[0];
  if (t === undefined) throw new Error(`no test ran: ${JSON.stringify(run.errors)}`);
  return t;
}

describe('mamori policy test: examples/policies', () => {
  it('finds the four suites and every test passes', () => {
    expect(findSuites(EXAMPLES).map((f) => f.slice(EXAMPLES.length + 1)).sort()).toEqual([
      'no-loadbalancer/mamori-test.yaml', 'registry-allowlist/mamori-test.yaml', 'replica-limit/mamori-test.yaml', 'required-labels/mamori-test.yaml',
    ]);
    const run = runPolicyTests(EXAMPLES);
    expect(run.errors).toEqual([]);
    const failures = run.suites.flatMap((s) => s.tests.filter((t) => !t.passed).map((t) => `${s.file}: ${t.name}: ${t.reason ?? ''}`));
    expect(failures).toEqual([]);
    expect(run.failed).toBe(0);
    expect(run.passed).toBeGreaterThanOrEqual(28);
    // Each example has passing (admit) and failing (deny/error) cases.
    for (const s of run.suites) {
      const expects = new Set(s.tests.map((t) => t.expect));
      expect(expects.has('admit')).toBe(true);
      expect(expects.has('deny')).toBe(true);
    }
  });

  it('exits 0 and reports each test', () => {
    const { code, out } = cli(EXAMPLES);
    expect(code).toBe(0);
    expect(out).toContain('PASS  10 replicas in dev (limit 3) are denied (deny)');
    expect(out).toMatch(/4 suites, \d+ tests: \d+ passed, 0 failed\n/);
  });
});

describe('mamori policy test: outcomes', () => {
  it('deny, skip (binding namespaceSelector does not match), admit', () => {
    const dir = fixture(suite(`
- {name: denied in prod, object: {kind: Deployment, name: big, namespace: shop}, expect: deny}
- {name: skipped in dev, object: {kind: Deployment, name: big, namespace: lab}, expect: skip}
- {name: skipped by labels given in the test, object: {kind: Deployment, name: big, namespace: shop}, namespaceLabels: {env: dev}, expect: skip}
- {name: a Service is not matched, object: {apiVersion: v1, kind: Service, metadata: {name: s, namespace: shop}, spec: {}}, expect: skip}
- name: admitted with 3
  object: {apiVersion: apps/v1, kind: Deployment, metadata: {name: small, namespace: shop}, spec: {replicas: 3}}
  expect: admit
`));
    const run = runPolicyTests(dir);
    expect(run.errors).toEqual([]);
    expect(run.suites[0]?.tests.map((t) => [t.name, t.actual, t.passed])).toEqual([
      ['denied in prod', ['deny'], true],
      ['skipped in dev', ['skip'], true],
      ['skipped by labels given in the test', ['skip'], true],
      ['a Service is not matched', ['skip'], true],
      ['admitted with 3', ['admit'], true],
    ]);
  });

  it('error: a runtime error under failurePolicy Fail (and Ignore: still error, not deny)', () => {
    const dir = fixture({
      'policy.yaml': REPLICAS,
      'lenient.yaml': IGNORED,
      'resources.yaml': RESOURCES,
      'mamori-test.yaml': `policies: [policy.yaml, lenient.yaml]
resources: [resources.yaml]
tests:
- name: no replicas field
  object: {kind: Deployment, name: noreplicas}
  policy: max-replicas
  expect: error
  messageRegex: "[Nn]o such key: replicas"
- name: lenient policy errors too
  object: {kind: Deployment, name: noreplicas}
  policy: max-replicas-lenient
  expect: error
- name: lenient policy does not deny
  object: {kind: Deployment, name: noreplicas}
  policy: max-replicas-lenient
  expect: deny
`,
    });
    const run = runPolicyTests(dir);
    expect(run.errors).toEqual([]);
    const [a, b, c] = run.suites[0]?.tests ?? [];
    expect(a?.passed).toBe(true);
    expect(a?.messages[0]).toMatch(/^expression 'object.spec.replicas <= 5' resulted in error: no such key: replicas$/);
    expect(b?.passed).toBe(true);
    expect(c?.passed).toBe(false);
    expect(c?.reason).toBe('expected deny, got error');
  });

  it('warn and audit of a Warn+Audit binding, evaluated per binding', () => {
    const dir = fixture({
      'p.yaml': REPLICAS.replace('validationActions: [Deny]', 'validationActions: [Warn, Audit]'),
      'r.yaml': RESOURCES,
      'x.mamori-test.yaml': `policies: [p.yaml]\nresources: [r.yaml]\ntests:\n- {name: w, object: Deployment/shop/big, expect: warn, binding: max-replicas-prod}\n- {name: a, object: Deployment/shop/big, expect: audit}\n- {name: d, object: Deployment/shop/big, expect: deny}\n`,
    });
    const run = runPolicyTests(dir);
    expect(run.errors).toEqual([]);
    expect(run.suites[0]?.tests.map((t) => [t.name, t.actual.join('+'), t.passed])).toEqual([
      ['w', 'warn+audit', true], ['a', 'warn+audit', true], ['d', 'warn+audit', false],
    ]);
  });

  it('AdmissionReview requests, inline and from a file, with userInfo', () => {
    const review = {
      apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
      request: {
        uid: '1', kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, resource: { group: 'apps', version: 'v1', resource: 'deployments' },
        name: 'big', namespace: 'shop', operation: 'CREATE', userInfo: { username: 'bob', groups: ['ops'] },
        object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'big', namespace: 'shop' }, spec: { replicas: 7 } },
      },
    };
    const dir = fixture({
      'policy.yaml': REPLICAS.replace('validations:', 'matchConditions:\n  - {name: not-ops, expression: "!(\'ops\' in request.userInfo.groups)"}\n  validations:'),
      'resources.yaml': RESOURCES,
      'review.json': JSON.stringify(review),
      'mamori-test.yaml': `policies: [policy.yaml]\nresources: [resources.yaml]\ntests:
- {name: from file, request: review.json, expect: skip}
- name: inline
  request: ${JSON.stringify({ ...review, request: { ...review.request, userInfo: { username: 'eve', groups: ['dev'] } } })}
  expect: deny
  message: "replicas must be at most 5, got 7"
`,
    });
    const run = runPolicyTests(dir);
    expect(run.errors).toEqual([]);
    expect(run.suites[0]?.tests.map((t) => [t.name, t.actual, t.passed])).toEqual([['from file', ['skip'], true], ['inline', ['deny'], true]]);
  });
});

describe('mamori policy test: messages', () => {
  const tests = (assertion: string): string => `- name: m\n  object: {kind: Deployment, name: big, namespace: shop}\n  expect: deny\n  ${assertion}\n`;
  it('exact message: the validation message or the full denial', () => {
    expect(only(runPolicyTests(fixture(suite(tests('message: "replicas must be at most 5, got 10"'))))).passed).toBe(true);
    expect(only(runPolicyTests(fixture(suite(tests(`message: "ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-prod' denied request: replicas must be at most 5, got 10"`))))).passed).toBe(true);
    const wrong = only(runPolicyTests(fixture(suite(tests('message: "replicas must be at most 5"')))));
    expect(wrong.passed).toBe(false);
    expect(wrong.reason).toBe('expected message "replicas must be at most 5", got "replicas must be at most 5, got 10"');
  });

  it('messageRegex', () => {
    expect(only(runPolicyTests(fixture(suite(tests('messageRegex: "at most \\\\d+, got 10$"'))))).passed).toBe(true);
    const wrong = only(runPolicyTests(fixture(suite(tests('messageRegex: "got 11"')))));
    expect(wrong.passed).toBe(false);
    expect(wrong.reason).toContain('expected a message matching /got 11/');
  });

  // A nested quantifier that a backtracking engine takes 2^40 steps to fail on this message (minutes);
  // the timeout fails the test if matching backtracks again.
  it('messageRegex is RE2, as the CEL `matches` of the policies: Go syntax, no backtracking', { timeout: 10_000 }, () => {
    expect(only(runPolicyTests(fixture(suite(tests('messageRegex: "(?P<limit>at most \\\\d+), got 10"'))))).passed).toBe(true);
    const message = `${'a'.repeat(40)}b`;
    const dir = fixture({
      ...suite(tests('messageRegex: "^(a+)+$"')),
      'policy.yaml': REPLICAS.replace(/messageExpression: .*/, `message: "${message}"`),
    });
    const redos = only(runPolicyTests(dir));
    expect(redos.passed).toBe(false);
    expect(redos.reason).toBe(`expected a message matching /^(a+)+$/, got "${message}"`);
  });
});

describe('mamori policy test: failing suites', () => {
  it('a wrong expectation reports expected vs actual and the actual message; exit 1', () => {
    const dir = fixture(suite('- {name: expected admit, object: {kind: Deployment, name: big, namespace: shop}, expect: admit}\n- {name: fine, object: {kind: Deployment, name: big, namespace: lab}, expect: skip}\n'));
    const run = runPolicyTests(dir);
    expect(run.passed).toBe(1);
    expect(run.failed).toBe(1);
    expect(policyTestExitCode(run)).toBe(1);
    const text = formatPolicyTestText(run);
    expect(text).toContain('  FAIL  expected admit\n        expected: admit\n        actual:   deny\n        expected admit, got deny\n        message: replicas must be at most 5, got 10\n');
    expect(text).toContain('  PASS  fine (skip)');
    expect(text).toContain('1 suite, 2 tests: 1 passed, 1 failed\n');
    const { code, out } = cli(dir, 'json');
    expect(code).toBe(1);
    const json = JSON.parse(out) as PolicyTestRun;
    expect(json.failed).toBe(1);
    expect(json.suites[0]?.tests[0]).toMatchObject({ name: 'expected admit', expect: 'admit', actual: ['deny'], passed: false });
  });
});

describe('mamori policy test: invalid suites (exit 2)', () => {
  const cases: [string, Record<string, string>, string][] = [
    ['unknown expectation', suite('- {name: a, object: Deployment/shop/big, expect: rejected}\n'), 'tests[0].expect: Unsupported value: "rejected"'],
    ['missing expect', suite('- {name: a, object: Deployment/shop/big}\n'), 'tests[0].expect: Required value'],
    ['unknown key', suite('- {name: a, object: Deployment/shop/big, expected: deny}\n'), 'tests[0].expected: unknown key'],
    ['unknown suite key', suite('- {name: a, object: Deployment/shop/big, expect: deny}\n', 'policy: [x]\n'), 'policy: unknown key'],
    ['unknown object', suite('- {name: a, object: {kind: Deployment, name: nope}, expect: deny}\n'), 'tests[0].object: no Deployment "nope"'],
    ['unknown policy', suite('- {name: a, object: Deployment/shop/big, expect: deny, policy: nope}\n'), 'tests[0].policy: no ValidatingAdmissionPolicy "nope"'],
    ['duplicate name', suite('- {name: a, object: Deployment/shop/big, expect: deny}\n- {name: a, object: Deployment/shop/big, expect: deny}\n'), 'tests[1].name: Duplicate value: "a"'],
    ['bad regex', suite('- {name: a, object: Deployment/shop/big, expect: deny, messageRegex: "("}\n'), 'tests[0].messageRegex: invalid regular expression: error parsing regexp: missing closing ): `(`'],
    ['regex syntax RE2 lacks', suite('- {name: a, object: Deployment/shop/big, expect: deny, messageRegex: "at most (?=5)"}\n'), 'tests[0].messageRegex: invalid regular expression: error parsing regexp: invalid or unsupported Perl syntax: `(?=`'],
    ['a request file holding text', { ...suite('- {name: a, request: host.txt, expect: deny}\n'), 'host.txt': 'node-1.internal\n' }, 'tests[0].request: host.txt: the file holds a string, not an AdmissionReview or an AdmissionRequest'],
    ['a request file holding a list', { ...suite('- {name: a, request: list.yaml, expect: deny}\n'), 'list.yaml': '- a\n- b\n' }, 'tests[0].request: list.yaml: the file holds a list, not an AdmissionReview or an AdmissionRequest'],
    ['an empty request file', { ...suite('- {name: a, request: empty.json, expect: deny}\n'), 'empty.json': '' }, 'tests[0].request: empty.json: the file holds no document (it is empty), not an AdmissionReview or an AdmissionRequest'],
    ['unquoted kubeVersion', suite('- {name: a, object: Deployment/shop/big, expect: deny}\n', 'kubeVersion: 1.30\n'), 'kubeVersion: write the version quoted'],
    ['no tests', { 'policy.yaml': REPLICAS, 'mamori-test.yaml': 'policies: [policy.yaml]\n' }, 'tests: Required value'],
    ['missing policy file', { 'mamori-test.yaml': 'policies: [gone.yaml]\ntests:\n- {name: a, object: {apiVersion: v1, kind: Pod, metadata: {name: p}}, expect: skip}\n' }, 'policies[0]: gone.yaml'],
    ['invalid YAML', { 'mamori-test.yaml': 'policies: [a\ntests: :\n' }, 'invalid YAML'],
    ['invalid policy', { ...suite('- {name: a, object: Deployment/shop/big, expect: deny}\n'), 'policy.yaml': REPLICAS.replace('"object.spec.replicas <= 5"', '"object.spec.replicas <="') }, 'ValidatingAdmissionPolicy "max-replicas": spec.validations[0].expression: Invalid value'],
  ];
  for (const [title, files, message] of cases) {
    it(title, () => {
      const dir = fixture(files);
      const run = runPolicyTests(dir);
      expect(run.errors.map((e) => e.message).join('\n')).toContain(message);
      expect(run.errors.every((e) => e.file !== '')).toBe(true);
      const { code, out } = cli(dir);
      expect(code).toBe(2);
      expect(out).toContain('ERROR');
      expect(out).toContain(message);
    });
  }

  it('a request file that is not an AdmissionReview is named, its contents are not shown', () => {
    const dir = fixture({ ...suite('- {name: a, request: token, expect: deny}\n'), token: 's3cr3t-t0ken-value\n' });
    const { code, out } = cli(dir);
    expect(code).toBe(2);
    expect(out).toContain('tests[0].request: token: the file holds a string, not an AdmissionReview or an AdmissionRequest');
    expect(out).not.toContain('s3cr3t');
  });

  it('names the line of the key at fault', () => {
    const dir = fixture(suite('- name: a\n  object: Deployment/shop/big\n  expect: nope\n'));
    const [error] = runPolicyTests(dir).errors;
    expect(error).toMatchObject({ file: join(dir, 'mamori-test.yaml'), key: 'tests[0].expect', line: 6 });
  });

  it('a directory without suites', () => {
    const dir = fixture({ 'policy.yaml': REPLICAS });
    const { code, out } = cli(dir);
    expect(code).toBe(2);
    expect(out).toContain('no test suites found');
  });

  it('a path that does not exist says so', () => {
    const missing = join(TMP, 'does-not-exist');
    expect(runPolicyTests(missing).errors).toEqual([{ file: missing, message: 'no such file or directory' }]);
    const { code, out } = cli(missing);
    expect(code).toBe(2);
    expect(out).toContain(`${missing}: no such file or directory`);
  });
});
