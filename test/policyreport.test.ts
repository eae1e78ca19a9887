/**
 * The PolicyReport writer: golden output, the objects checked against the working group's CRD
 * schema (v1alpha2, transcribed below), one report per namespace, cluster-scoped objects in the
 * ClusterPolicyReport, summaries that count the results, and YAML that stays typed for kubectl.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import jsyaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { summarize } from '../src/engine/report.js';
import { scanTexts } from '../src/engine/scan.js';
import { isClusterScoped } from '../src/k8s/scope.js';
import { KUBE_SCHEMA } from '../src/load/schema.js';
import type { WriterOptions } from '../src/report/index.js';
import { policyReports, REPORT_BYTES, reportName, writePolicyReport } from '../src/report/policyreport.js';
import { RULES } from '../src/rules/index.js';
import type { Finding, Report, SuppressedFinding } from '../src/types.js';

// The openAPIV3Schema of wgpolicyk8s.io/v1alpha2 PolicyReport and ClusterPolicyReport (the
// working group's Go types in kubernetes-sigs/wg-policy-prototypes, as Kyverno installs them),
// reduced to the fields and constraints that matter here. Unknown fields are refused, because
// the API server would silently prune them.
const objectReference = {
  type: 'object',
  additionalProperties: false,
  properties: Object.fromEntries(['apiVersion', 'fieldPath', 'kind', 'name', 'namespace', 'resourceVersion', 'uid'].map((k) => [k, { type: 'string' }])),
};
const resultSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['policy'],
  properties: {
    source: { type: 'string' },
    policy: { type: 'string' },
    rule: { type: 'string' },
    category: { type: 'string' },
    severity: { type: 'string', enum: ['critical', 'high', 'low', 'medium', 'info'] },
    timestamp: {
      type: 'object',
      additionalProperties: false,
      required: ['nanos', 'seconds'],
      properties: { nanos: { type: 'integer', minimum: 0, maximum: 999_999_999 }, seconds: { type: 'integer' } },
    },
    result: { type: 'string', enum: ['pass', 'fail', 'warn', 'error', 'skip'] },
    scored: { type: 'boolean' },
    resources: { type: 'array', items: objectReference },
    resourceSelector: { type: 'object' },
    message: { type: 'string' },
    properties: { type: 'object', additionalProperties: { type: 'string' } },
  },
};
const reportSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata'],
  properties: {
    apiVersion: { const: 'wgpolicyk8s.io/v1alpha2' },
    kind: { enum: ['PolicyReport', 'ClusterPolicyReport'] },
    metadata: { type: 'object' },
    scope: objectReference,
    scopeSelector: { type: 'object' },
    summary: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(['pass', 'fail', 'warn', 'error', 'skip'].map((k) => [k, { type: 'integer', minimum: 0 }])),
    },
    results: { type: 'array', items: resultSchema },
  },
};
const validate = new Ajv({ allErrors: true, strict: true }).compile(reportSchema);

/** A DNS-1123 label: what every object name accepts (names of these CRDs are subdomains, wider). */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

interface Result {
  policy: string;
  rule?: string;
  category?: string;
  severity?: string;
  result: string;
  scored: boolean;
  source: string;
  timestamp: { seconds: number; nanos: number };
  message: string;
  resources?: { apiVersion: string; kind: string; name: string; namespace?: string }[];
  properties: Record<string, unknown>;
}
interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels: Record<string, string> };
  summary: Record<'pass' | 'fail' | 'warn' | 'error' | 'skip', number>;
  results: Result[];
}

/** Parses the stream the way kubectl does (YAML 1.1 types); fails on any YAML error. */
function parse(text: string): Doc[] {
  return parseAllDocuments(text, { version: '1.1' }).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as Doc;
  });
}

const RBAC = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: inventory-reader
rules:
  - apiGroups: [""]
    resources: ["*"]
    verbs: ["get", "list"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: inventory-reader
subjects:
  - kind: ServiceAccount
    name: inventory
    namespace: tools
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: inventory-reader
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: ops
  namespace: payments
rules:
  - apiGroups: ["*"]
    resources: ["deployments"]
    verbs: ["get"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: ops
  namespace: payments
subjects:
  - kind: Group
    name: ops
    apiGroup: rbac.authorization.k8s.io
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: ops
`;

const LEGACY = `apiVersion: v1
kind: Pod
metadata:
  name: legacy
spec:
  hostPID: true
  containers:
    - name: app
      image: legacy:1.0
      securityContext:
        privileged: true
`;

const SELECTED = new Set(['pss-privileged', 'pss-host-namespaces', 'namespace-pod-security', 'rbac-wildcard-grant']);

function options(): WriterOptions {
  return { color: false, rules: RULES, cwd: process.cwd(), now: new Date(Date.UTC(2026, 0, 15, 12, 30, 45, 250)) };
}

/** A real scan, with suppressions added as the engine records them. */
function fixture(): Report {
  const scanned = scanTexts(
    [
      { file: 'test/golden/input.yaml', text: readFileSync('test/golden/input.yaml', 'utf8') },
      { file: 'deploy/legacy.yaml', text: LEGACY },
      { file: 'deploy/rbac.yaml', text: RBAC },
      { file: 'deploy/broken.yaml', text: 'apiVersion: v1\nkind: Pod\nmetadata: [unclosed\n' },
    ],
    { rules: RULES.filter((r) => SELECTED.has(r.id)), pss: 'baseline:latest' },
  );
  const findings: Finding[] = [];
  const suppressed: SuppressedFinding[] = [];
  for (const f of scanned.findings) {
    if (f.object.name === 'legacy' && f.ruleId === 'pss-privileged') suppressed.push({ ...f, suppressedBy: 'exception', reason: 'legacy driver needs /dev access', expires: '2027-01-31' });
    else if (f.object.kind === 'Namespace') suppressed.push({ ...f, suppressedBy: 'annotation', reason: 'labels are set by the platform team' });
    else findings.push(f);
  }
  return { ...scanned, findings, suppressed, summary: summarize(findings) };
}

describe('PolicyReport writer', () => {
  const report = fixture();
  const text = writePolicyReport(report, options());
  const docs = parse(text);

  it('the fixture is what the tests below assume', () => {
    const ids = (list: readonly Finding[]): string[] => list.map((f) => `${f.object.kind}/${f.object.namespace ?? '-'}/${f.object.name} ${f.ruleId}`);
    expect(ids(report.findings)).toEqual([
      'Pod/-/legacy pss-host-namespaces',
      'ClusterRoleBinding/-/inventory-reader rbac-wildcard-grant',
      'RoleBinding/payments/ops rbac-wildcard-grant',
      'Deployment/shop/web pss-host-namespaces',
      'Deployment/shop/web pss-privileged',
    ]);
    expect(ids(report.suppressed)).toEqual(['Pod/-/legacy pss-privileged', 'Namespace/-/shop namespace-pod-security']);
    expect(report.errors.map((e) => `${e.code} ${e.file}`)).toEqual(['parse deploy/broken.yaml']);
  });

  it('matches the golden file', () => {
    const path = 'test/golden/report.policyreport.yaml';
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(path, text);
    expect(text).toBe(readFileSync(path, 'utf8'));
  });

  it('gives objects the CRD accepts', () => {
    for (const doc of docs) expect(validate(doc) ? [] : validate.errors).toEqual([]);
  });

  it('gives the cluster report and one report per namespace, with valid names', () => {
    expect(docs.map((d) => [d.kind, d.metadata.name, d.metadata.namespace])).toEqual([
      ['ClusterPolicyReport', 'mamori-cluster', undefined],
      // The Pod without a namespace is reported in `default`.
      ['PolicyReport', 'mamori-default', 'default'],
      ['PolicyReport', 'mamori-payments', 'payments'],
      ['PolicyReport', 'mamori-shop', 'shop'],
    ]);
    for (const d of docs) {
      expect(d.metadata.name).toMatch(DNS_LABEL);
      expect(d.metadata.name.length).toBeLessThanOrEqual(63);
      expect(d.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'mamori' });
    }
  });

  it('puts cluster-scoped objects in the ClusterPolicyReport and the others in their namespace', () => {
    const [cluster, ...namespaced] = docs as [Doc, ...Doc[]];
    expect(cluster.results.map((r) => `${r.result} ${r.resources?.map((x) => `${x.kind}/${x.name}`).join() ?? '(none)'}`)).toEqual([
      'fail ClusterRoleBinding/inventory-reader',
      'skip Namespace/shop',
      'error (none)',
    ]);
    for (const r of cluster.results) for (const x of r.resources ?? []) {
      expect(isClusterScoped(x.kind)).toBe(true);
      expect(x.namespace).toBeUndefined();
    }
    for (const d of namespaced) {
      for (const r of d.results) {
        expect(r.resources).toHaveLength(1);
        expect(isClusterScoped(r.resources?.[0]?.kind ?? '')).toBe(false);
        expect(r.resources?.[0]?.namespace).toBe(d.metadata.namespace);
      }
    }
    // Every finding, suppressed finding and error appears exactly once.
    expect(docs.reduce((n, d) => n + d.results.length, 0)).toBe(report.findings.length + report.suppressed.length + report.errors.length);
  });

  it('counts the results in every summary', () => {
    for (const d of docs) {
      const count = (r: string): number => d.results.filter((x) => x.result === r).length;
      expect(d.summary).toEqual({ pass: count('pass'), fail: count('fail'), warn: count('warn'), error: count('error'), skip: count('skip') });
    }
    expect(docs.map((d) => d.summary)).toEqual([
      { pass: 0, fail: 1, warn: 0, error: 1, skip: 1 },
      { pass: 0, fail: 1, warn: 0, error: 0, skip: 1 },
      { pass: 0, fail: 1, warn: 0, error: 0, skip: 0 },
      { pass: 0, fail: 2, warn: 0, error: 0, skip: 0 },
    ]);
  });

  it('fills a result from its finding, every property a string', () => {
    const shop = docs[3] as Doc;
    const privileged = shop.results.find((r) => r.policy === 'pss-privileged');
    expect(privileged).toEqual({
      policy: 'pss-privileged',
      rule: 'Privileged container',
      category: 'runtime-compute',
      severity: 'critical',
      result: 'fail',
      scored: true,
      source: 'mamori',
      timestamp: { seconds: 1768480245, nanos: 250_000_000 },
      message: 'privileged (container "web" must not set securityContext.privileged=true)',
      resources: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'shop' }],
      properties: {
        path: 'spec.template.spec.containers[0].securityContext.privileged',
        file: 'test/golden/input.yaml',
        line: '24',
        column: '13',
        controls: 'CMP-1, DEP-1',
        pss: 'baseline:latest (v1.37)',
        fingerprint: expect.stringMatching(/^[0-9a-f]{32}$/),
        docs: 'https://github.com/mamori-dev/mamori/blob/main/docs/rules/pss-privileged.md',
      },
    });
    for (const d of docs) for (const r of d.results) for (const v of Object.values(r.properties)) expect(typeof v).toBe('string');
  });

  it('shows a suppressed finding as skip, with what suppressed it, why and until when', () => {
    const legacy = (docs[1] as Doc).results.find((r) => r.result === 'skip');
    expect(legacy?.policy).toBe('pss-privileged');
    expect(legacy?.resources).toEqual([{ apiVersion: 'v1', kind: 'Pod', name: 'legacy', namespace: 'default' }]);
    expect(legacy?.properties).toMatchObject({ suppressedBy: 'exception', reason: 'legacy driver needs /dev access', expires: '2027-01-31' });
    const namespace = (docs[0] as Doc).results.find((r) => r.result === 'skip');
    expect(namespace?.properties).toMatchObject({ suppressedBy: 'annotation', reason: 'labels are set by the platform team' });
    expect(namespace?.properties['expires']).toBeUndefined();
  });

  it('reports an input that could not be read as an error of the cluster report', () => {
    const error = (docs[0] as Doc).results.find((r) => r.result === 'error');
    expect(error).toEqual({
      policy: 'parse',
      result: 'error',
      scored: true,
      source: 'mamori',
      timestamp: { seconds: 1768480245, nanos: 250_000_000 },
      message: 'invalid YAML: unexpected end of the stream within a flow collection',
      properties: { code: 'parse', file: 'deploy/broken.yaml', line: '4', column: '1' },
    });
  });

  it('gives a clean scan an empty ClusterPolicyReport that replaces an older one', () => {
    const clean = scanTexts([], { rules: RULES });
    const out = parse(writePolicyReport(clean, options()));
    expect(out).toEqual([
      {
        apiVersion: 'wgpolicyk8s.io/v1alpha2',
        kind: 'ClusterPolicyReport',
        metadata: { name: 'mamori-cluster', labels: { 'app.kubernetes.io/managed-by': 'mamori' } },
        summary: { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 },
        results: [],
      },
    ]);
  });
});

describe('hostile and awkward values', () => {
  const report = fixture();
  const base = report.findings[3] as Finding;

  it('keeps strings that YAML 1.1 would read as booleans, numbers or dates as strings', () => {
    const awkward: Finding = { ...base, message: 'on', path: '2027-01-31', object: { ...base.object, name: 'yes' }, location: { file: '0755', line: 1, column: 1 } };
    const suppressed: SuppressedFinding = { ...awkward, suppressedBy: 'exception', reason: 'y', expires: '2027-01-31' };
    const docs = parse(writePolicyReport({ ...report, findings: [awkward], suppressed: [suppressed], errors: [] }, options()));
    const results = docs.flatMap((d) => d.results);
    expect(results.map((r) => [r.message, r.resources?.[0]?.name, r.properties['path'], r.properties['file']])).toEqual([
      ['on', 'yes', '2027-01-31', '0755'],
      ['on', 'yes', '2027-01-31', '0755'],
    ]);
    expect(results[1]?.properties).toMatchObject({ reason: 'y', expires: '2027-01-31' });
    for (const d of docs) expect(validate(d) ? [] : validate.errors).toEqual([]);
  });

  it('round-trips quotes, markup, C0 controls, non-ASCII and very long messages', () => {
    const message = `"'\u0000\u001b[31m\t --- \n# not a comment\r\n: {a: [b]} & *x !tag | > ポッド 🚀 ${'x'.repeat(20_000)}`;
    const text = writePolicyReport({ ...report, findings: [{ ...base, message }], suppressed: [], errors: [] }, options());
    // C0 controls are escaped by YAML itself, so the text carries none raw.
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
    const docs = parse(text);
    expect(docs).toHaveLength(2);
    expect(docs[1]?.results[0]?.message).toBe(message);
    expect(parseAllDocuments(text).map((d) => d.toJS() as Doc)).toEqual(docs);
  });

  it('replaces, visibly, what kubectl cannot read: DEL, C1 controls, line separators, non-characters', () => {
    const message = 'a\u007fb\u0085c\u009fd\u2028e\u2029f\ufeffg\ud800h\uffffi 🚀';
    const text = writePolicyReport({ ...report, findings: [{ ...base, message, object: { ...base.object, name: 'n\u0085' } }], suppressed: [], errors: [] }, options());
    // What go-yaml refuses (outside tab, LF, CR, U+0020–U+007E, U+0085, U+00A0–U+D7FF,
    // U+E000–U+FFFD but the BOM, and astral characters) and what YAML 1.1 reads as a line break.
    expect(text).not.toMatch(/[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])/);
    const result = parse(text)[1]?.results[0];
    expect(result?.message).toBe('a\\x7fb\\x85c\\x9fd\\u2028e\\u2029f\\ufeffg\ufffdh\ufffdi 🚀');
    expect(result?.resources?.[0]?.name).toBe('n\\x85');
  });

  it('names reports of namespaces that are not valid names with valid, distinct names', () => {
    const namespaces = ['Team_A', 'team.a', 'team-a', '___', 'a'.repeat(63), `${'b'.repeat(56)}`, `${'b'.repeat(57)}`];
    const findings = namespaces.map((namespace) => ({ ...base, object: { ...base.object, namespace } }));
    const docs = parse(writePolicyReport({ ...report, findings, suppressed: [], errors: [] }, options()));
    const names = docs.slice(1).map((d) => d.metadata.name);
    expect(new Set(names).size).toBe(namespaces.length);
    for (const name of names) {
      expect(name).toMatch(DNS_LABEL);
      expect(name.length).toBeLessThanOrEqual(63);
    }
    // Valid namespaces keep their plain name; the others get a hash of the original.
    expect(reportName('team-a')).toBe('mamori-team-a');
    expect(reportName('b'.repeat(56))).toBe(`mamori-${'b'.repeat(56)}`);
    expect(reportName('Team_A')).toMatch(/^mamori-team-a-[0-9a-f]{8}$/);
    expect(reportName('___')).toMatch(/^mamori-[0-9a-f]{8}$/);
    expect(reportName('Team_A')).not.toBe(reportName('team.a'));
    // metadata.namespace stays what the input said.
    expect(docs.slice(1).map((d) => d.metadata.namespace).sort()).toEqual([...namespaces].sort());
  });
});

function withoutLocation(f: Finding): Finding {
  const { location: _, ...rest } = f;
  return rest;
}

describe('the YAML reads back as exactly the report objects', () => {
  const report = fixture();
  const [legacy, , rbac, , web] = report.findings as [Finding, Finding, Finding, Finding, Finding];
  const supp = report.suppressed[0] as SuppressedFinding;
  const awkward = `on "y" 'n' 0755 2027-01-31 ~ null: [a, {b}] # & *x !t | > % @ \` \\ \u0000\u0007\u001b[1m\t\r\n ポッド 🚀 ${'z'.repeat(5_000)}`;
  // Findings the writer's shortcuts (text shared per rule, object, file and policy) must not mix
  // up: the same rule with another title or severity, another controls array, a rule outside
  // the catalog, no location, further paths, awkward strings anywhere, suppressions with and
  // without an end date in a namespace and at cluster scope.
  const findings: Finding[] = [
    ...report.findings,
    // Each differs from the finding before it in one field only.
    ...[
      { ...web, title: 'Privileged container (custom title)' },
      { ...web, severity: 'high' as const },
      { ...web, phase: 'deploy' as const },
      { ...web, controls: ['CMP-1'] },
      { ...web, controls: ['CMP-1', 'DEP-1'] },
      { ...web, object: { ...web.object, kind: 'StatefulSet' } },
      { ...web, object: { ...web.object, apiVersion: 'apps/v1beta2' } },
    ].flatMap((f) => [f, web]),
    { ...web, message: awkward, path: awkward, paths: ['a', awkward] },
    { ...web, object: { ...web.object, name: awkward }, location: { file: awkward, line: 7, column: 1 } },
    { ...web, ruleId: 'custom-policy', title: 'y', phase: 'deploy', controls: [] },
    { ...legacy, pss: { level: 'restricted', version: 'v1.30', resolved: 'v1.30' } },
    withoutLocation(rbac),
    { ...web, object: { ...web.object, namespace: 'on' } },
  ];
  const suppressed: SuppressedFinding[] = [
    ...report.suppressed,
    { ...web, suppressedBy: 'baseline', reason: awkward },
    { ...rbac, suppressedBy: 'exception', reason: 'no', expires: '2026-02-01' },
    { ...supp, object: { ...supp.object, name: 'other' }, suppressedBy: 'annotation', reason: '' },
  ];
  const errors = [...report.errors, { file: '', message: 'rule custom-policy failed: boom', code: 'rule' }, { file: awkward, line: 3, message: awkward, code: 'parse' }];
  const big: Report = { ...report, findings, suppressed, errors, summary: summarize(findings) };
  const expected = policyReports(big, options());
  const text = writePolicyReport(big, options());

  it('covers what it should', () => {
    expect(expected.map((d) => d.metadata.name)).toEqual(['mamori-cluster', 'mamori-default', 'mamori-on', 'mamori-payments', 'mamori-shop']);
    const results = expected.flatMap((d) => d.results);
    expect(results).toHaveLength(findings.length + suppressed.length + errors.length);
    expect(results.filter((r) => r.properties['docs'] === undefined).map((r) => r.policy)).toEqual(['parse', 'rule', 'parse', 'custom-policy']);
    expect(results.filter((r) => r.properties['file'] === undefined).map((r) => r.policy)).toEqual(['rule', 'rbac-wildcard-grant']);
  });

  it('with js-yaml and the schema manifests are read with (YAML 1.1 as kubectl)', () => {
    expect(jsyaml.loadAll(text, null, { schema: KUBE_SCHEMA })).toEqual(expected);
  });

  it('with the yaml package, as YAML 1.1 and as YAML 1.2', () => {
    for (const version of ['1.1', '1.2'] as const) {
      const docs = parseAllDocuments(text, { version, uniqueKeys: true, strict: true });
      for (const d of docs) expect(d.errors).toEqual([]);
      expect(docs.map((d) => d.toJS())).toEqual(expected);
    }
  });

  it('for the golden fixture and for a clean scan too', () => {
    expect(jsyaml.loadAll(writePolicyReport(report, options()), null, { schema: KUBE_SCHEMA })).toEqual(policyReports(report, options()));
    const clean = scanTexts([], { rules: RULES });
    expect(jsyaml.loadAll(writePolicyReport(clean, options()), null, { schema: KUBE_SCHEMA })).toEqual(policyReports(clean, options()));
  });

  it('is block YAML with every string double-quoted and nothing else in quotes', () => {
    expect(text.startsWith('---\napiVersion: "wgpolicyk8s.io/v1alpha2"\nkind: "ClusterPolicyReport"\nmetadata:\n  name: "mamori-cluster"\n')).toBe(true);
    for (const line of text.split('\n')) {
      if (line === '' || line === '---') continue;
      // key: "string" | key: number | key: true | key: (a block follows) | key: [] | - key: ...
      expect(line).toMatch(/^ *(?:- )?[A-Za-z][\w./-]*:(?: "(?:[^"\\]|\\.)*"| \d+| true| \[\])?$/);
    }
  });
});

/** A report object's size as kubectl sends it: JSON as Go's encoder writes it (`<`, `>`, `&` as `\u003c`), in UTF-8. */
function goJsonBytes(doc: unknown): number {
  return Buffer.byteLength(JSON.stringify(doc).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`), 'utf8');
}

describe('findings about exceptions', () => {
  const pod = 'apiVersion: v1\nkind: Pod\nmetadata: { name: p, namespace: shop }\nspec:\n  containers:\n    - { name: c, image: "nginx:1.25", securityContext: { privileged: true } }\n';
  const config = {
    rules: {},
    policies: [],
    exceptions: [
      { rule: 'pss-privileged', namespace: 'shop', reason: 'node agent', location: { file: '.mamori.yaml', line: 3, column: 5 } },
      { rule: 'pss-privileged', namespace: 'other', reason: 'gone', location: { file: '.mamori.yaml', line: 5, column: 5 } },
    ],
  };
  const report = scanTexts([{ file: 'pod.yaml', text: pod }], { rules: RULES.filter((r) => r.id === 'pss-privileged'), pss: 'baseline:latest', config, now: new Date(Date.UTC(2026, 0, 15)) });

  it('are in the ClusterPolicyReport, with no resource: they concern the configuration, not an object', () => {
    expect(report.findings.map((f) => `${f.ruleId} ${f.object.kind}/${f.object.name}`)).toEqual(['exception-stale Exception/exceptions[1]']);
    const docs = parse(writePolicyReport(report, options()));
    expect(docs.map((d) => [d.kind, d.metadata.name, d.summary.fail, d.summary.skip])).toEqual([
      ['ClusterPolicyReport', 'mamori-cluster', 1, 0],
      ['PolicyReport', 'mamori-shop', 0, 1],
    ]);
    expect(docs[0]?.results).toEqual([
      {
        policy: 'exception-stale',
        rule: 'Exception that matches nothing',
        category: 'develop',
        severity: 'info',
        result: 'fail',
        scored: true,
        source: 'mamori',
        timestamp: { seconds: 1768480245, nanos: 250_000_000 },
        message: report.findings[0]?.message,
        properties: { path: 'exceptions[1]', file: '.mamori.yaml', line: '5', column: '5', controls: 'DEV-1', fingerprint: expect.stringMatching(/^[0-9a-f]{32}$/) },
      },
    ]);
    for (const d of docs) expect(validate(d) ? [] : validate.errors).toEqual([]);
    expect(jsyaml.loadAll(writePolicyReport(report, options()), null, { schema: KUBE_SCHEMA })).toEqual(policyReports(report, options()));
  });
});

describe('namespaces without results', () => {
  const report = fixture();

  it('get an empty report each when the writer is told the input\'s namespaces, so a clean namespace replaces its older report', () => {
    const opts = { ...options(), namespaces: ['zeta', 'shop', '', 'tools', 'default', 'tools'] };
    const docs = parse(writePolicyReport(report, opts));
    expect(docs.map((d) => [d.metadata.name, d.metadata.namespace, d.results.length])).toEqual([
      ['mamori-cluster', undefined, 3],
      ['mamori-default', 'default', 2],
      ['mamori-payments', 'payments', 1],
      ['mamori-shop', 'shop', 2],
      ['mamori-tools', 'tools', 0],
      ['mamori-zeta', 'zeta', 0],
    ]);
    expect(docs[4]).toEqual({
      apiVersion: 'wgpolicyk8s.io/v1alpha2',
      kind: 'PolicyReport',
      metadata: { name: 'mamori-tools', namespace: 'tools', labels: { 'app.kubernetes.io/managed-by': 'mamori' } },
      summary: { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 },
      results: [],
    });
    expect(jsyaml.loadAll(writePolicyReport(report, opts), null, { schema: KUBE_SCHEMA })).toEqual(policyReports(report, opts));
  });
});

describe('report objects past REPORT_BYTES', () => {
  const report = fixture();
  const web = report.findings[4] as Finding;
  expect(web.object.name).toBe('web');

  it('names the parts of a scope mamori-<namespace>-<n>, as valid, distinct names', () => {
    expect(reportName('shop', 1)).toBe('mamori-shop');
    expect(reportName('shop', 2)).toBe('mamori-shop-2');
    expect(reportName('shop', 14)).toBe('mamori-shop-14');
    expect(reportName('b'.repeat(54), 2)).toBe(`mamori-${'b'.repeat(54)}-2`);
    // Too long for the suffix: the hashed form, which leaves room for it.
    expect(reportName('b'.repeat(56), 2)).toMatch(new RegExp(`^mamori-${'b'.repeat(40)}-[0-9a-f]{8}-2$`));
    expect(reportName('Team_A', 3)).toMatch(/^mamori-team-a-[0-9a-f]{8}-3$/);
    for (const namespace of ['shop', 'b'.repeat(56), 'a'.repeat(63), 'Team_A', '___']) {
      const names = [1, 2, 10, 999_999].map((part) => reportName(namespace, part));
      expect(new Set(names).size).toBe(names.length);
      for (const name of names) {
        expect(name).toMatch(DNS_LABEL);
        expect(name.length).toBeLessThanOrEqual(63);
      }
    }
  });

  it('splits a namespace of 700 findings into reports of at most REPORT_BYTES as kubectl sends them', () => {
    const findings = Array.from({ length: 700 }, (_, i) => ({ ...web, object: { ...web.object, name: `web-${i}` }, location: { file: `deploy/web-${i}.yaml`, line: 24, column: 13 } }));
    const suppressed: SuppressedFinding[] = [{ ...web, suppressedBy: 'exception', reason: 'accepted' }];
    const big: Report = { ...report, findings, suppressed, errors: [], summary: summarize(findings) };
    const text = writePolicyReport(big, options());
    const docs = parse(text);
    const shop = docs.slice(1);
    expect(docs[0]?.metadata.name).toBe('mamori-cluster');
    expect(shop.map((d) => d.metadata.name)).toEqual(shop.map((_, i) => (i === 0 ? 'mamori-shop' : `mamori-shop-${i + 1}`)));
    expect(shop.length).toBeGreaterThan(2);
    for (const [i, d] of shop.entries()) {
      const bytes = goJsonBytes(d);
      expect(bytes).toBeLessThanOrEqual(REPORT_BYTES);
      // Not cut much earlier than needed: each part but the last is more than three quarters full.
      if (i < shop.length - 1) expect(bytes).toBeGreaterThan(REPORT_BYTES * 0.75);
      expect(d.metadata.namespace).toBe('shop');
      expect(d.summary).toEqual({ pass: 0, fail: d.results.filter((r) => r.result === 'fail').length, warn: 0, error: 0, skip: d.results.filter((r) => r.result === 'skip').length });
      expect(validate(d) ? [] : validate.errors).toEqual([]);
    }
    // The parts hold every result once, in order: the findings, then the suppressed one.
    const results = shop.flatMap((d) => d.results);
    expect(results.map((r) => r.resources?.[0]?.name)).toEqual([...findings.map((f) => f.object.name), 'web']);
    expect(results.at(-1)?.result).toBe('skip');
    expect(jsyaml.loadAll(text, null, { schema: KUBE_SCHEMA })).toEqual(policyReports(big, options()));
  });

  it('counts what JSON makes larger: markup Go escapes, non-ASCII characters', () => {
    const awkward = `<a href="x">&amp;</a> ポッド 🚀 \u0000 "q" \\ ${'<&>'.repeat(200)} ${'é'.repeat(300)}`;
    const findings = Array.from({ length: 120 }, (_, i) => ({ ...web, message: `${i} ${awkward}`, path: awkward, object: { ...web.object, name: `web-${i}` } }));
    const big: Report = { ...report, findings, suppressed: [], errors: [], summary: summarize(findings) };
    const maxBytes = 16 * 1024;
    const text = writePolicyReport(big, options(), maxBytes);
    const docs = parse(text);
    expect(docs.length).toBeGreaterThan(5);
    for (const d of docs) expect(goJsonBytes(d)).toBeLessThanOrEqual(maxBytes);
    expect(docs.flatMap((d) => d.results).map((r) => r.message)).toEqual(findings.map((f) => f.message));
    expect(jsyaml.loadAll(text, null, { schema: KUBE_SCHEMA })).toEqual(policyReports(big, options(), maxBytes));
  });

  it('splits where the findings say, whatever the clock: the timestamp is sized at its widest', () => {
    const findings = Array.from({ length: 400 }, (_, i) => ({ ...web, message: `${i} ${'x'.repeat(i % 37)}`, object: { ...web.object, name: `web-${i}` } }));
    const big: Report = { ...report, findings, suppressed: [], errors: [], summary: summarize(findings) };
    const at = (ms: number): WriterOptions => ({ ...options(), now: new Date(Date.UTC(2026, 0, 15, 12, 30, 45, ms)) });
    const shape = (o: WriterOptions): string[] => parse(writePolicyReport(big, o, 24 * 1024)).map((d) => `${d.metadata.name} ${d.results.length}`);
    // 1 ms is 1000000 ns (7 digits), 250 ms 250000000 (9 digits).
    expect(shape(at(1))).toEqual(shape(at(250)));
    expect(shape(at(0))).toEqual(shape(at(250)));
    expect(shape(at(250)).length).toBeGreaterThan(3);
  });

  it('gives a result larger than a report a report of its own, and cuts the cluster report too', () => {
    // With 1 byte, every result is a part of its own.
    const docs = parse(writePolicyReport(report, options(), 1));
    expect(docs.map((d) => [d.metadata.name, d.results.map((r) => r.result).join()])).toEqual([
      ['mamori-cluster', 'fail'],
      ['mamori-cluster-2', 'skip'],
      ['mamori-cluster-3', 'error'],
      ['mamori-default', 'fail'],
      ['mamori-default-2', 'skip'],
      ['mamori-payments', 'fail'],
      ['mamori-shop', 'fail'],
      ['mamori-shop-2', 'fail'],
    ]);
    expect(jsyaml.loadAll(writePolicyReport(report, options(), 1), null, { schema: KUBE_SCHEMA })).toEqual(policyReports(report, options(), 1));
  });

  it('keeps the output the same in chunks as whole', async () => {
    const { writePolicyReportChunks } = await import('../src/report/policyreport.js');
    const findings = Array.from({ length: 1200 }, (_, i) => ({ ...web, object: { ...web.object, name: `web-${i}`, namespace: `ns-${i % 3}` } }));
    const big: Report = { ...report, findings, suppressed: [], errors: [], summary: summarize(findings) };
    const pieces = [...writePolicyReportChunks(big, options(), 500)];
    expect(pieces.length).toBeGreaterThan(3);
    expect(pieces.join('')).toBe(writePolicyReport(big, options()));
    const names = (jsyaml.loadAll(pieces.join(''), null, { schema: KUBE_SCHEMA }) as Doc[]).map((d) => d.metadata.name);
    const parts = names.filter((n) => n.startsWith('mamori-ns-0')).length;
    expect(parts).toBeGreaterThan(1);
    expect(names).toEqual(['mamori-cluster', ...['ns-0', 'ns-1', 'ns-2'].flatMap((ns) => Array.from({ length: parts }, (_, i) => reportName(ns, i + 1)))]);
  });
});
