import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyBaseline, baselineFindings, readBaseline, writeBaseline } from '../src/engine/baseline.js';
import { checkPolicyNames, knownRules, loadConfig, parseConfig } from '../src/engine/config.js';
import { containerAt, Exceptions } from '../src/engine/exceptions.js';
import { compileGlob } from '../src/engine/glob.js';
import { containerKeys, fingerprint, legacyFingerprint, reportFingerprints } from '../src/engine/fingerprint.js';
import { scanTexts } from '../src/engine/scan.js';
import { MamoriError } from '../src/errors.js';
import { RULES } from '../src/rules/index.js';
import { selectRules } from '../src/cli/scan.js';
import type { Report } from '../src/types.js';

const known = knownRules(RULES);
const NOW = new Date('2026-06-15T12:00:00Z');

const MANIFESTS = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-exporter
  namespace: monitoring
spec:
  selector: { matchLabels: { app: node-exporter } }
  template:
    metadata: { labels: { app: node-exporter } }
    spec:
      hostPID: true
      containers:
        - name: exporter
          image: quay.io/prometheus/node-exporter@sha256:${'a'.repeat(64)}
          securityContext: { privileged: true }
        - name: sidecar
          image: registry.example.com/sidecar@sha256:${'b'.repeat(64)}
          securityContext: { privileged: true }
---
apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: shop
  annotations:
    mamori.io/ignore.pss-host-namespaces: "break-glass pod, deleted after the incident (INC-42)"
    mamori.io/ignore.pss-privileged: "   "
spec:
  hostNetwork: true
  containers:
    - name: shell
      image: busybox:1.36
      securityContext: { privileged: true }
`;

/** MANIFESTS with the DaemonSet's sidecar no longer privileged. */
const ONLY_EXPORTER_PRIVILEGED = MANIFESTS.replace(/(- name: sidecar\n.*\n\s+securityContext: \{ )privileged: true/, '$1allowPrivilegeEscalation: false');

function scan(exceptions: unknown, manifests = MANIFESTS): Report {
  const config = parseConfig({ exceptions }, '.mamori.yaml', known);
  return scanTexts([{ file: 'app.yaml', text: manifests }], { rules: RULES.filter((r) => r.id.startsWith('pss-')), config, now: NOW });
}

const ids = (list: readonly { ruleId: string; object: { name: string } }[]): string[] => list.map((f) => `${f.ruleId} ${f.object.name}`).sort();

describe('exceptions in the configuration', () => {
  it('suppresses by rule, namespace, kind, name glob and container, and lists what it suppressed', () => {
    const report = scan([{ rule: 'pss-privileged', namespace: 'monitoring', kind: 'DaemonSet', name: 'node-*', container: 'exporter', reason: 'reads /proc of the node' }], ONLY_EXPORTER_PRIVILEGED);
    const suppressed = report.suppressed.filter((s) => s.suppressedBy === 'exception');
    expect(ids(suppressed)).toEqual(['pss-privileged node-exporter']);
    expect(suppressed[0]?.reason).toBe('reads /proc of the node');
    expect(report.findings.some((f) => f.ruleId === 'pss-privileged' && f.object.name === 'node-exporter')).toBe(false);
    expect(report.findings.some((f) => f.ruleId === 'pss-host-namespaces' && f.object.name === 'node-exporter')).toBe(true);
    expect(report.exceptions).toEqual([
      { rule: 'pss-privileged', reason: 'reads /proc of the node', status: 'active', matched: 1, namespace: 'monitoring', kind: 'DaemonSet', name: 'node-*', container: 'exporter' },
    ]);
    expect(report.summary.total).toBe(report.findings.length);
  });

  it('takes a namespaced object without metadata.namespace as in default, as the API server and PolicyReports do', () => {
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata: { name: p }\nspec:\n  containers:\n    - { name: c, image: "nginx:1.25", securityContext: { privileged: true } }\n';
    const rules = RULES.filter((r) => r.id === 'pss-privileged');
    const run = (namespace: string, text = pod): Report =>
      scanTexts([{ file: 'p.yaml', text }], { rules, config: parseConfig({ exceptions: [{ rule: 'pss-privileged', namespace, reason: 'x' }] }, '.mamori.yaml', known), now: NOW });
    for (const namespace of ['default', 'def*', '*']) {
      const report = run(namespace);
      expect(ids(report.suppressed), namespace).toEqual(['pss-privileged p']);
      expect(report.exceptions[0]?.status, namespace).toBe('active');
      expect(report.findings, namespace).toEqual([]);
    }
    // Another namespace does not match; nor does default an object that says where it is.
    expect(run('prod').exceptions[0]).toMatchObject({ status: 'stale', matched: 0 });
    expect(run('default', pod.replace('name: p }', 'name: p, namespace: prod }')).exceptions[0]).toMatchObject({ status: 'stale', matched: 0 });
    // Cluster-scoped objects are in no namespace: `default` does not match them, `*` does (the empty text).
    const exceptions = new Exceptions(
      [
        { rule: 'rbac-wildcard-grant', namespace: 'default', reason: 'x' },
        { rule: 'rbac-wildcard-grant', namespace: '*', reason: 'y' },
      ],
      NOW,
    );
    const clusterRole = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'admin-ish' };
    expect(exceptions.match('rbac-wildcard-grant', clusterRole, undefined)?.reason).toBe('y');
    // A namespace a cluster-scoped manifest writes anyway (Helm's `{{ .Release.Namespace }}`) is
    // cleared by the API server: a namespace's exception does not reach a cluster-wide grant.
    const team = new Exceptions([{ rule: '*', namespace: 'team-a', reason: 'team-a sandbox' }], NOW);
    expect(team.match('rbac-cluster-admin-binding', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', namespace: 'team-a', name: 'team-a-admin' }, undefined)).toBeUndefined();
    expect(exceptions.match('rbac-wildcard-grant', { ...clusterRole, namespace: 'default' }, undefined)?.reason).toBe('y');
    expect(exceptions.match('rbac-wildcard-grant', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', name: 'r' }, undefined)?.reason).toBe('x');
    expect(exceptions.match('rbac-wildcard-grant', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', namespace: '', name: 'r' }, undefined)?.reason).toBe('x');
  });

  it('an exception naming a container suppresses a finding only when it names every container the finding points into', () => {
    // One privileged finding names both containers of the DaemonSet (its path points into
    // exporter, its further path into sidecar): an exception for exporter must not hide sidecar.
    const partial = scan([{ rule: 'pss-privileged', name: 'node-exporter', container: 'exporter', reason: 'x' }]);
    const finding = partial.findings.find((f) => f.ruleId === 'pss-privileged' && f.object.name === 'node-exporter');
    expect(finding?.message).toBe('privileged (containers "exporter", "sidecar" must not set securityContext.privileged=true)');
    expect(partial.suppressed.filter((s) => s.suppressedBy === 'exception')).toEqual([]);
    expect(partial.exceptions[0]).toMatchObject({ status: 'stale', matched: 0 });
    const stale = partial.findings.find((f) => f.ruleId === 'exception-stale');
    expect(stale?.message).toBe(
      'the exception for rule "pss-privileged" (name "node-exporter", container "exporter") suppressed no finding in this scan: a finding of its rule points into container "exporter" and also into "sidecar", and an exception that names a container suppresses a finding only when it names every container the finding points into. Name those containers too (a glob such as "*" names all), or fix them',
    );
    for (const container of ['*', '*e*', 'sidecar']) {
      const report = scan([{ rule: 'pss-privileged', name: 'node-exporter', container, reason: 'x' }]);
      const suppressed = ids(report.suppressed.filter((s) => s.suppressedBy === 'exception'));
      expect(suppressed, container).toEqual(container === 'sidecar' ? [] : ['pss-privileged node-exporter']);
    }
    // A finding on a field of the pod (hostPID) has no container: an exception naming one never matches it.
    const pod = scan([{ rule: 'pss-host-namespaces', name: 'node-exporter', container: '*', reason: 'x' }]);
    expect(pod.exceptions[0]).toMatchObject({ status: 'stale', matched: 0 });
    expect(pod.findings.find((f) => f.ruleId === 'exception-stale')?.message).toContain('the risk it accepted may be gone');
  });

  it('an exception naming a container matches a finding whose remedy may also be set for the whole pod', () => {
    // runAsNonRoot and the seccomp profile may be set on the pod: such findings also point at the
    // pod's securityContext, which is where a remedy goes, not another container.
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata: { name: web, namespace: shop }\nspec:\n  containers:\n    - name: app\n      image: nginx:1.27\n';
    const report = scan(
      [
        { rule: 'pss-run-as-non-root', container: 'app', reason: 'x' },
        { rule: 'pss-seccomp-profile-restricted', container: 'app', reason: 'x' },
      ],
      pod,
    );
    expect(ids(report.suppressed.filter((s) => s.suppressedBy === 'exception'))).toEqual(['pss-run-as-non-root web', 'pss-seccomp-profile-restricted web']);
    expect(report.exceptions.map((e) => [e.status, e.matched])).toEqual([
      ['active', 1],
      ['active', 1],
    ]);
  });

  it('does not suppress when one scope differs', () => {
    for (const narrow of [{ namespace: 'other' }, { kind: 'Deployment' }, { name: 'node' }, { container: 'sidecar' }]) {
      const report = scan([{ rule: 'pss-privileged', namespace: 'monitoring', ...narrow, reason: 'x' }]);
      expect(report.suppressed.filter((s) => s.suppressedBy === 'exception')).toEqual([]);
      expect(report.exceptions[0]?.status).toBe('stale');
    }
  });

  it('takes rule globs, and keeps an exception in force through its expiry day', () => {
    const through = scan([{ rule: 'pss-host-*', reason: 'hosts', expires: '2026-06-15' }]);
    expect(ids(through.suppressed.filter((s) => s.suppressedBy === 'exception'))).toEqual(['pss-host-namespaces node-exporter']);
    expect(through.suppressed.find((s) => s.suppressedBy === 'exception')?.expires).toBe('2026-06-15');
    expect(through.exceptions[0]?.status).toBe('active');
  });

  it('an expired exception suppresses nothing and is itself a finding at its line', () => {
    const config = '# accepted risks\nexceptions:\n  - rule: pss-privileged\n    reason: legacy\n    expires: 2026-06-14\n';
    const dir = mkdtempSync(join(tmpdir(), 'mamori-exc-'));
    try {
      const file = join(dir, 'config.yaml');
      writeFileSync(file, config);
      const report = scanTexts([{ file: 'app.yaml', text: MANIFESTS }], { rules: RULES, config: loadConfig(file, known), now: NOW });
      expect(report.suppressed.filter((s) => s.suppressedBy === 'exception')).toEqual([]);
      expect(report.findings.filter((f) => f.ruleId === 'pss-privileged').length).toBe(2);
      const expired = report.findings.find((f) => f.ruleId === 'exception-expired');
      expect(expired).toMatchObject({
        severity: 'medium',
        object: { kind: 'Exception', name: 'exceptions[0]' },
        path: 'exceptions[0]',
        location: { file, line: 3 },
      });
      expect(expired?.message).toContain('expired on 2026-06-14');
      expect(expired?.message).toContain('2 findings');
      expect(report.exceptions[0]).toMatchObject({ status: 'expired', matched: 2 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an exception that matches nothing is reported as stale (info), unless its rule did not run', () => {
    const report = scan([{ rule: 'pss-proc-mount', reason: 'no longer needed?' }]);
    expect(report.findings.filter((f) => f.ruleId === 'exception-stale').map((f) => f.severity)).toEqual(['info']);
    const notRun = scanTexts([{ file: 'app.yaml', text: MANIFESTS }], {
      rules: RULES.filter((r) => r.id === 'pss-privileged'),
      config: parseConfig({ exceptions: [{ rule: 'pss-proc-mount', reason: 'x' }] }, '.mamori.yaml', known),
      now: NOW,
    });
    expect(notRun.findings.some((f) => f.ruleId === 'exception-stale')).toBe(false);
    expect(notRun.exceptions[0]?.status).toBe('active');
  });

  it('says nothing about exceptions of rules that did not run, expired or not, and words the count', () => {
    const exceptions = [
      { rule: 'pss-host-namespaces', reason: 'hosts', expires: '2026-01-31' },
      { rule: 'pss-privileged', name: 'node-exporter', reason: 'legacy', expires: '2026-01-31' },
      { rule: 'pss-proc-mount', reason: 'proc', expires: '2026-01-31' },
      { rule: 'pss-proc-mount', reason: 'proc' },
    ];
    const config = parseConfig({ exceptions }, '.mamori.yaml', known);
    const report = scanTexts([{ file: 'app.yaml', text: MANIFESTS }], { rules: RULES.filter((r) => r.id === 'pss-privileged'), config, now: NOW });
    expect(report.exceptions.map((e) => `${e.status} ${e.matched}`)).toEqual(['expired 0', 'expired 1', 'expired 0', 'active 0']);
    const about = report.findings.filter((f) => f.object.kind === 'Exception');
    expect(about.map((f) => `${f.ruleId} ${f.object.name}`)).toEqual(['exception-expired exceptions[1]']);
    expect(about[0]?.message).toBe(
      'the exception for rule "pss-privileged" (name "node-exporter") expired on 2026-01-31; it no longer suppresses its finding, which is reported again. Fix it, or renew the exception with a new reason and date',
    );
    // With its rule running, an expired exception that matched nothing says so (no "its 0 findings").
    const ran = scanTexts([{ file: 'app.yaml', text: MANIFESTS }], { rules: RULES.filter((r) => r.id.startsWith('pss-')), config, now: NOW });
    const messages = ran.findings.filter((f) => f.ruleId === 'exception-expired').map((f) => f.message);
    expect(messages).toContain('the exception for rule "pss-proc-mount" expired on 2026-01-31 and matched no finding in this scan: remove it');
    expect(messages.some((m) => m.includes(' 0 findings'))).toBe(false);
  });

  it('exception-expired and exception-stale are configured like rules: turned off, given a severity, by id or glob', () => {
    const exceptions = [
      { rule: 'pss-privileged', reason: 'legacy', expires: '2026-01-31' },
      { rule: 'pss-proc-mount', reason: 'proc' },
    ];
    const run = (rules: unknown): Report =>
      scanTexts([{ file: 'app.yaml', text: MANIFESTS }], { rules: RULES.filter((r) => r.id.startsWith('pss-')), config: parseConfig({ rules, exceptions }, '.mamori.yaml', known), now: NOW });
    const about = (report: Report): string[] => report.findings.filter((f) => f.object.kind === 'Exception').map((f) => `${f.ruleId} ${f.severity}`);
    expect(about(run({}))).toEqual(['exception-expired medium', 'exception-stale info']);
    expect(about(run({ 'exception-expired': 'off', 'exception-stale': { severity: 'high' } }))).toEqual(['exception-stale high']);
    expect(about(run({ 'exception-*': 'off' }))).toEqual([]);
    // Turned off, they are still in the report's list of exceptions.
    expect(run({ 'exception-*': 'off' }).exceptions.map((e) => e.status)).toEqual(['expired', 'stale']);
    expect(() => parseConfig({ rules: { 'exception-stale': { options: { days: 3 } } } }, '.mamori.yaml', known)).toThrow('rules.exception-stale.options.days: this rule takes no options');
    // They check the configuration: an exception cannot name them.
    expect(() => parseConfig({ exceptions: [{ rule: 'exception-stale', reason: 'x' }] }, '.mamori.yaml', known)).toThrow('matches no rule');
  });

  it('rejects bad exceptions with the key named', () => {
    const bad: [unknown, string][] = [
      ['nope', 'exceptions: must be a list'],
      [[{ reason: 'x' }], 'exceptions[0].rule: is required'],
      [[{ rule: 'pss-privileged' }], 'exceptions[0].reason: is required'],
      [[{ rule: 'pss-privileged', reason: '  ' }], 'exceptions[0].reason: must be a non-empty string'],
      [[{ rule: 'no-such-rule', reason: 'x' }], 'exceptions[0].rule: "no-such-rule" matches no rule'],
      [[{ rule: 'pss-privileged', reason: 'x', expires: '2026-02-30' }], 'exceptions[0].expires: must be a date written YYYY-MM-DD'],
      [[{ rule: 'pss-privileged', reason: 'x', expires: 20260101 }], 'exceptions[0].expires: must be a date'],
      [[{ rule: 'pss-privileged', reason: 'x', namspace: 'typo' }], 'exceptions[0].namspace: unknown key'],
      [[{ rule: 'pss-privileged', reason: 'x', name: 3 }], 'exceptions[0].name: must be a non-empty string'],
    ];
    for (const [value, message] of bad) {
      let error: unknown;
      try {
        parseConfig({ exceptions: value }, '.mamori.yaml', known);
      } catch (e) {
        error = e;
      }
      expect(error, message).toBeInstanceOf(MamoriError);
      expect((error as MamoriError).code).toBe('config');
      expect((error as MamoriError).message).toContain(message);
      expect((error as MamoriError).file).toBe('.mamori.yaml');
    }
  });
});

/** The MamoriError `run` throws. */
function thrown(run: () => unknown): MamoriError {
  try {
    run();
  } catch (error) {
    if (error instanceof MamoriError) return error;
    throw error;
  }
  throw new Error('nothing thrown');
}

describe('checks of the configuration', () => {
  it('checks pss in the file, whatever --pss says, naming the key', () => {
    const error = thrown(() => parseConfig({ pss: 'bogus' }, 'ci.yaml', known));
    expect(error.code).toBe('config');
    expect(error.file).toBe('ci.yaml');
    expect(error.message).toBe('pss: invalid Pod Security policy "bogus": level "bogus" must be one of privileged, baseline, restricted; expected LEVEL[:VERSION], e.g. restricted:latest or baseline:v1.30');
    expect(thrown(() => parseConfig({ pss: 'baseline:1.30' }, 'ci.yaml', known)).message).toContain('pss: invalid Pod Security policy "baseline:1.30": version');
    expect(parseConfig({ pss: 'baseline:v1.30' }, 'ci.yaml', known).pss).toBe('baseline:v1.30');
  });

  it('names of custom policies must match a policy loaded, when policies are loaded', () => {
    const loaded = ['policy:no-loadbalancer', 'policy:no-loadbalancer-expr'];
    const config = (value: unknown) => parseConfig(value, 'ci.yaml', known);
    const typo: [unknown, string][] = [
      [{ rules: { 'policy:no-loadbalancr': 'off' } }, 'rules.policy:no-loadbalancr: "policy:no-loadbalancr" matches none of the policies loaded (policy:no-loadbalancer, policy:no-loadbalancer-expr)'],
      [{ rules: { 'policy:lb-*': 'off' } }, 'rules.policy:lb-*: "policy:lb-*" matches none of the policies loaded'],
      [{ exceptions: [{ rule: 'pss-privileged', reason: 'x' }, { rule: 'policy:no-loadbalancr', reason: 'typo' }] }, 'exceptions[1].rule: "policy:no-loadbalancr" matches none of the policies loaded'],
    ];
    for (const [value, message] of typo) {
      const error = thrown(() => checkPolicyNames(config(value), loaded));
      expect(error.code).toBe('config');
      expect(error.file).toBe('ci.yaml');
      expect(error.message).toContain(message);
      // Without policies loaded, the same configuration is accepted (shared with scans that load none).
      expect(() => checkPolicyNames(config(value), [])).not.toThrow();
    }
    expect(() => checkPolicyNames(config({ rules: { 'policy:no-*': 'off', 'policy:no-loadbalancer': 'on' }, exceptions: [{ rule: 'policy:*', reason: 'x' }] }), loaded)).not.toThrow();
  });

  it('an exception for a policy that is not loaded is not stale: its rule did not run', () => {
    const config = parseConfig({ exceptions: [{ rule: 'policy:no-loadbalancer', reason: 'x', expires: '2026-01-01' }] }, 'ci.yaml', known);
    const report = scanTexts([{ file: 'app.yaml', text: MANIFESTS }], { rules: RULES, config, now: NOW });
    expect(report.exceptions.map((e) => e.status)).toEqual(['expired']);
    expect(report.findings.filter((f) => f.object.kind === 'Exception')).toEqual([]);
  });
});

describe('rule selection', () => {
  const select = (include: string | undefined, exclude?: string): string[] => selectRules(RULES, include, exclude).map((r) => r.id);

  it('a --rules that names no pattern (an unset variable) is a usage error, an empty --skip-rules skips nothing', () => {
    for (const empty of ['', ',', ' , ']) {
      const error = thrown(() => select(empty));
      expect(error.code).toBe('usage');
      expect(error.message).toBe(`--rules: names no rule (got ${JSON.stringify(empty)}); give rule ids or globs, or leave the flag out to run every rule`);
      expect(select(undefined, empty)).toHaveLength(RULES.length);
    }
    expect(select('pss-privileged,')).toEqual(['pss-privileged']);
  });

  it('a selection that leaves no rule to run is a usage error', () => {
    expect(thrown(() => select('pss-privileged', 'pss-*')).message).toBe('--rules and --skip-rules leave no rule to run');
    expect(thrown(() => select(undefined, '*')).message).toBe('--skip-rules leaves no rule to run');
    expect(thrown(() => select('nosuch')).message).toContain('--rules: no rule matches "nosuch"');
  });

  it('patterns may name the findings about exceptions, which follow the rules that run', () => {
    expect(select(undefined, 'exception-*')).toHaveLength(RULES.length);
    expect(select('pss-privileged,exception-stale')).toEqual(['pss-privileged']);
    expect(thrown(() => select('exception-*')).message).toBe('--rules leaves no rule to run (exception-expired and exception-stale report on the exceptions of the rules that run)');
  });
});

/** node-exporter as its chart deploys it: host namespaces, a host port, the node's /proc and /sys. */
const NODE_EXPORTER = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-exporter
  namespace: monitoring
spec:
  selector: { matchLabels: { app: node-exporter } }
  template:
    metadata: { labels: { app: node-exporter } }
    spec:
      hostNetwork: true
      hostPID: true
      containers:
        - name: exporter
          image: quay.io/prometheus/node-exporter:v1.8.2
          args: [--path.procfs=/host/proc, --path.sysfs=/host/sys]
          ports: [{ name: metrics, containerPort: 9100, hostPort: 9100 }]
          volumeMounts:
            - { name: proc, mountPath: /host/proc, readOnly: true }
            - { name: sys, mountPath: /host/sys, readOnly: true }
      volumes:
        - { name: proc, hostPath: { path: /proc } }
        - { name: sys, hostPath: { path: /sys } }
`;

/** The first YAML block after `heading` in a Markdown file of the repository. */
function yamlBlockAfter(doc: string, heading: string): string {
  const text = readFileSync(new URL(`../${doc}`, import.meta.url), 'utf8');
  const block = /```yaml\n([\s\S]*?)```/.exec(text.slice(text.indexOf(heading)));
  if (!text.includes(heading) || block?.[1] === undefined) throw new Error(`${doc}: no YAML block after ${heading}`);
  return block[1];
}

describe('the documented examples', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mamori-doc-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Each exception of the examples suppresses node-exporter's finding at the default level
  // (restricted, where a hostPath volume is pss-restricted-volumes, not pss-host-path-volumes).
  for (const [doc, heading] of [
    ['docs/exceptions.md', '## Exceptions in the configuration'],
    ['README.md', '### Configuration'],
  ] as const) {
    it(`${doc}: every exception of the example applies`, () => {
      const file = join(dir, `${doc.replace('/', '-')}.yaml`);
      writeFileSync(file, yamlBlockAfter(doc, heading));
      const config = loadConfig(file, known);
      expect(config.exceptions.length).toBeGreaterThan(0);
      const report = scanTexts([{ file: 'node-exporter.yaml', text: NODE_EXPORTER }], { rules: RULES, config, now: NOW });
      expect(report.pss).toEqual({ level: 'restricted', version: 'latest' });
      expect(report.exceptions.map((e) => `${e.rule} ${e.status} ${e.matched > 0}`)).toEqual(config.exceptions.map((e) => `${e.rule} active true`));
      expect(report.findings.filter((f) => f.object.kind === 'Exception')).toEqual([]);
    });
  }
});

describe('the ignore annotation', () => {
  it('suppresses one rule on one object with its reason; an empty reason suppresses nothing', () => {
    const report = scan([]);
    const byAnnotation = report.suppressed.filter((s) => s.suppressedBy === 'annotation');
    expect(ids(byAnnotation)).toEqual(['pss-host-namespaces debug']);
    expect(byAnnotation[0]?.reason).toBe('break-glass pod, deleted after the incident (INC-42)');
    expect(report.findings.some((f) => f.ruleId === 'pss-privileged' && f.object.name === 'debug')).toBe(true);
  });
});

describe('helpers', () => {
  it('globs match whole ids, with * and ? only', () => {
    expect(compileGlob('pss-*').test('pss-privileged')).toBe(true);
    expect(compileGlob('pss-*').test('xpss-privileged')).toBe(false);
    expect(compileGlob('node-?').test('node-a')).toBe(true);
    expect(compileGlob('a.b').test('axb')).toBe(false);
    expect(compileGlob('(x)+').test('(x)+')).toBe(true);
  });

  it('finds the container a path points into', () => {
    const object = { spec: { template: { spec: { initContainers: [{ name: 'init' }], containers: [{ name: 'a' }, { name: 'b' }] } } } };
    expect(containerAt(object, ['spec', 'template', 'spec', 'containers', 1, 'securityContext'])).toBe('b');
    expect(containerAt(object, ['spec', 'template', 'spec', 'initContainers', 0])).toBe('init');
    expect(containerAt(object, ['spec', 'template', 'spec', 'hostPID'])).toBeUndefined();
    expect(containerAt(object, ['spec', 'template', 'spec', 'containers', 7, 'image'])).toBeUndefined();
  });
});

describe('baselines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mamori-baseline-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const rules = RULES.filter((r) => r.id.startsWith('pss-'));
  const run = (text: string): Report => scanTexts([{ file: 'k8s/app.yaml', text }], { rules, now: NOW });

  it('records findings by fingerprint, sorted and without dates, and reads them back', () => {
    const report = run(MANIFESTS);
    const text = writeBaseline(report.findings);
    expect(writeBaseline([...report.findings].reverse())).toBe(text);
    const file = join(dir, 'baseline.json');
    writeFileSync(file, text);
    const baseline = readBaseline(file);
    // One entry per finding, each fingerprint once here.
    expect(baseline.version).toBe(3);
    expect(baseline.size).toBe(report.findings.length);
    expect([...baseline.entries.values()].every((n) => n === 1)).toBe(true);
    const parsed = JSON.parse(text) as { schemaVersion: number; findings: { fingerprint: string; ruleId: string; object: string }[] };
    expect(parsed.schemaVersion).toBe(3);
    expect(parsed.findings.map((f) => f.fingerprint)).toEqual([...parsed.findings.map((f) => f.fingerprint)].sort());
    expect(parsed.findings.some((f) => f.ruleId === 'pss-privileged' && f.object === 'DaemonSet/monitoring/node-exporter')).toBe(true);
  });

  it('reports only new findings, lists the rest as suppressed, and counts fixed entries', () => {
    const before = run(MANIFESTS);
    const file = join(dir, 'b2.json');
    writeFileSync(file, writeBaseline(before.findings));
    // Lines move (a comment on top), one finding is fixed (hostPID removed), one is new (hostIPC).
    const after = `# moved down\n\n${MANIFESTS.replace('hostPID: true', 'hostIPC: true\n      hostUsers: true').replace('busybox:1.36', 'busybox:1.37')}`;
    const report = applyBaseline(run(after), readBaseline(file));
    expect(report.findings.map((f) => `${f.ruleId} ${f.object.name} ${f.path}`)).toEqual(['pss-host-namespaces node-exporter spec.template.spec.hostIPC']);
    expect(report.summary.total).toBe(1);
    const fromBaseline = report.suppressed.filter((s) => s.suppressedBy === 'baseline');
    expect(fromBaseline.every((s) => s.reason === `in the baseline ${file}`)).toBe(true);
    // Every finding of before but the fixed hostPID one is still there, now suppressed.
    expect(fromBaseline.length).toBe(before.findings.length - 1);
    expect(report.suppressed.filter((s) => s.suppressedBy === 'annotation').length).toBe(1);
    expect(report.baseline).toEqual({ file, matched: fromBaseline.length, fixed: 1 });
  });

  it('a baseline rewritten through itself keeps the entries still present and drops the fixed ones', () => {
    const config = parseConfig({ exceptions: [{ rule: 'pss-privileged', name: 'debug', reason: 'break-glass' }, { rule: 'pss-proc-mount', reason: 'stale' }] }, '.mamori.yaml', known);
    const scanned = (text: string): Report => scanTexts([{ file: 'k8s/app.yaml', text }], { rules, config, now: NOW });
    const file = join(dir, 'refresh.json');
    const first = scanned(MANIFESTS);
    writeFileSync(file, writeBaseline(baselineFindings(first)));
    const entries = (): { ruleId: string; object: string; path: string }[] => (JSON.parse(readFileSync(file, 'utf8')) as { findings: { ruleId: string; object: string; path: string }[] }).findings;
    const written = entries();
    // Neither what exceptions and annotations accept, nor the findings about exceptions.
    expect(written.some((e) => e.ruleId.startsWith('exception-') || (e.object === 'Pod/shop/debug' && ['pss-privileged', 'pss-host-namespaces'].includes(e.ruleId)))).toBe(false);
    expect(written).toHaveLength(first.findings.length - 1);

    // Rewritten from a scan with the baseline: the same entries, not only the new findings (none).
    const same = applyBaseline(scanned(MANIFESTS), readBaseline(file));
    expect(same.findings.map((f) => f.ruleId)).toEqual(['exception-stale']);
    writeFileSync(file, writeBaseline(baselineFindings(same)));
    expect(entries()).toEqual(written);

    // hostPID fixed, hostIPC new: the fixed entry drops out, the new finding is added, the rest stay.
    const next = applyBaseline(scanned(MANIFESTS.replace('hostPID: true', 'hostIPC: true')), readBaseline(file));
    expect(next.baseline?.fixed).toBe(1);
    writeFileSync(file, writeBaseline(baselineFindings(next)));
    const paths = entries().map((e) => `${e.ruleId} ${e.path}`);
    expect(paths).toContain('pss-host-namespaces spec.template.spec.hostIPC');
    expect(paths).not.toContain('pss-host-namespaces spec.template.spec.hostPID');
    expect(paths).toHaveLength(written.length);
  });

  it('findings about exceptions are not suppressed by a baseline that holds them', () => {
    const config = parseConfig({ exceptions: [{ rule: 'pss-privileged', reason: 'legacy', expires: '2026-01-31' }] }, '.mamori.yaml', known);
    const report = scanTexts([{ file: 'k8s/app.yaml', text: MANIFESTS }], { rules, config, now: NOW });
    const file = join(dir, 'with-exception.json');
    // As an older mamori wrote them: every reported finding, the expired exception's too.
    writeFileSync(file, writeBaseline(report.findings));
    const applied = applyBaseline(report, readBaseline(file));
    expect(applied.findings.map((f) => f.ruleId)).toEqual(['exception-expired']);
  });

  it('refuses a broken baseline, naming the file and key', () => {
    const cases: [string, string][] = [
      ['{', 'not valid JSON'],
      ['{"schemaVersion": 4, "findings": []}', 'schemaVersion: must be 1, 2 or 3'],
      ['{"schemaVersion": 1}', 'findings: must be a list'],
      ['{"schemaVersion": 1, "findings": [{"fingerprint": "xyz"}]}', 'findings[0].fingerprint'],
    ];
    for (const [text, message] of cases) {
      const file = join(dir, 'bad.json');
      writeFileSync(file, text);
      expect(() => readBaseline(file)).toThrow(message);
      try {
        readBaseline(file);
      } catch (e) {
        expect((e as MamoriError).code).toBe('baseline');
        expect((e as MamoriError).file).toBe(file);
      }
    }
    expect(() => readBaseline(join(dir, 'missing.json'))).toThrow('cannot read the baseline');
  });

  it('fingerprints do not depend on how the file path was written', () => {
    const [f] = run(MANIFESTS).findings;
    if (f === undefined) throw new Error('no finding');
    const withFile = (file: string) => ({ ...f, location: { file, line: 1, column: 1 } });
    expect(fingerprint(withFile('./k8s/app.yaml'))).toBe(fingerprint(withFile('k8s/app.yaml')));
    expect(fingerprint(withFile(join(process.cwd(), 'k8s', 'app.yaml')))).toBe(fingerprint(withFile('k8s/app.yaml')));
    expect(fingerprint(withFile('k8s/other.yaml'))).not.toBe(fingerprint(withFile('k8s/app.yaml')));
    expect(fingerprint({ ...withFile('k8s/app.yaml'), location: { file: 'k8s/app.yaml', line: 99, column: 3 } })).toBe(fingerprint(withFile('k8s/app.yaml')));
  });
});

describe('baselines accept each finding once, and know containers by name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mamori-baseline-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const FILE = 'k8s/app.yaml';
  const scanWith = (ruleIds: readonly string[], text: string, pss = 'baseline'): Report =>
    scanTexts([{ file: FILE, text }], { rules: RULES.filter((r) => ruleIds.some((id) => compileGlob(id).test(r.id))), pss, now: NOW });
  let n = 0;
  /** The baseline of `before`, applied to the scan of `after`. */
  const applied = (ruleIds: readonly string[], before: string, after: string): Report => {
    const file = join(dir, `b${n++}.json`);
    writeFileSync(file, writeBaseline(scanWith(ruleIds, before).findings));
    return applyBaseline(scanWith(ruleIds, after), readBaseline(file));
  };
  const lines = (list: readonly { ruleId: string; path: string }[]): string[] => list.map((f) => `${f.ruleId} ${f.path}`);
  /** SHA-256 of the parts of a fingerprint, as docs/exceptions.md lists them. */
  const expected = (...parts: string[]): string => createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);

  /** A Deployment with the pod spec fields `spec` (indented for the pod spec). */
  const deployment = (namespace: string, name: string, spec: string): string =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: ${name}, namespace: ${namespace} }\nspec:\n  selector: { matchLabels: { app: ${name} } }\n  template:\n    metadata: { labels: { app: ${name} } }\n    spec:\n${spec}`;

  const POD = `apiVersion: v1
kind: Pod
metadata: { name: p, namespace: ops }
spec:
  hostNetwork: true
  containers:
    - name: c
      image: c:1.0
      securityContext:
        capabilities: { add: [NET_ADMIN] }
`;

  it('a grouped Pod Security finding that comes to name one more field is a new finding', () => {
    const grown = POD.replace('hostNetwork: true', 'hostNetwork: true\n  hostPID: true\n  hostIPC: true').replace('[NET_ADMIN]', '[NET_ADMIN, SYS_ADMIN, SYS_PTRACE]');
    const report = applied(['pss-*'], POD, grown);
    expect(lines(report.findings)).toEqual(['pss-host-namespaces spec.hostNetwork', 'pss-capabilities-baseline spec.containers[0].securityContext.capabilities.add[0]']);
    expect(report.baseline).toMatchObject({ matched: 0, fixed: 2 });
    // Unchanged, both are accepted.
    expect(applied(['pss-*'], POD, POD).baseline).toMatchObject({ matched: 2, fixed: 0 });
  });

  it('a second container joining a baselined finding of the pod is reported', () => {
    const one = deployment('ops', 'agent', '      containers:\n        - { name: agent, image: "agent:1.0", securityContext: { privileged: true } }\n');
    const two = `${one}        - { name: helper, image: "helper:1.0", securityContext: { privileged: true } }\n`;
    const report = applied(['pss-privileged'], one, two);
    expect(report.findings.map((f) => f.message)).toEqual(['privileged (containers "agent", "helper" must not set securityContext.privileged=true)']);
    expect(report.baseline).toMatchObject({ matched: 0, fixed: 1 });
  });

  it('a baselined finding that comes to name fewer places (part of it fixed) is still accepted, and only by its own entry', () => {
    const two = deployment('ops', 'agent', '      containers:\n        - { name: agent, image: "agent:1.0", securityContext: { privileged: true } }\n        - { name: helper, image: "helper:1.0", securityContext: { privileged: true } }\n');
    const one = two.replace('name: helper, image: "helper:1.0", securityContext: { privileged: true }', 'name: helper, image: "helper:1.0", securityContext: { privileged: false }');
    const report = applied(['pss-privileged'], two, one);
    expect(report.findings).toEqual([]);
    expect(report.suppressed.map((f) => f.reason)).toEqual([expect.stringMatching(/ \(partly fixed since\)$/)]);
    expect(report.baseline).toMatchObject({ matched: 1, fixed: 0 });
    // Another place in exchange for one fixed is not fewer: it is new.
    const swapped = deployment(
      'ops',
      'agent',
      '      containers:\n        - { name: agent, image: "agent:1.0" }\n        - { name: helper, image: "helper:1.0", securityContext: { privileged: true } }\n        - { name: third, image: "third:1.0", securityContext: { privileged: true } }\n',
    );
    const other = applied(['pss-privileged'], two, swapped);
    expect(other.findings.map((f) => f.message)).toEqual(['privileged (containers "helper", "third" must not set securityContext.privileged=true)']);
    expect(other.baseline).toMatchObject({ matched: 0, fixed: 1 });
  });

  it('each entry accepts one finding: more findings at one path than entries are new', () => {
    const configMap = (...keys: string[]): string =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: app, namespace: shop }\ndata:\n  app.properties: |\n${keys.map((k) => `    ${k}.password=s3cret-${k}-value\n`).join('')}`;
    const rules = ['hardcoded-password'];
    const report = applied(rules, configMap('db'), configMap('db', 'admin', 'smtp'));
    expect(report.findings.map((f) => f.message)).toEqual([
      'ConfigMap key "app.properties" (line 2) under "admin.password" holds a password in plain text (value withheld)',
      'ConfigMap key "app.properties" (line 3) under "smtp.password" holds a password in plain text (value withheld)',
    ]);
    expect(report.suppressed.map((f) => f.message)).toEqual(['ConfigMap key "app.properties" (line 1) under "db.password" holds a password in plain text (value withheld)']);
    expect(report.baseline).toMatchObject({ matched: 1, fixed: 0 });

    // A baseline of three such findings records three entries, which accept three findings, not four.
    const three = scanWith(rules, configMap('db', 'admin', 'smtp'));
    const text = writeBaseline(three.findings);
    const entries = (JSON.parse(text) as { findings: { fingerprint: string; path: string }[] }).findings;
    expect(entries.map((e) => e.path)).toEqual(['data["app.properties"]', 'data["app.properties"]', 'data["app.properties"]']);
    const print = expected('hardcoded-password', FILE, 'v1', 'ConfigMap', 'shop', 'app', 'data["app.properties"]');
    expect(entries.map((e) => e.fingerprint)).toEqual([print, print, print]);
    const file = join(dir, 'three.json');
    writeFileSync(file, text);
    expect(readBaseline(file).entries).toEqual(new Map([[print, 3]]));
    expect(applyBaseline(three, readBaseline(file)).baseline).toMatchObject({ matched: 3, fixed: 0 });
    const four = applyBaseline(scanWith(rules, configMap('db', 'admin', 'smtp', 'ldap')), readBaseline(file));
    expect(four.findings.map((f) => f.message)).toEqual(['ConfigMap key "app.properties" (line 4) under "ldap.password" holds a password in plain text (value withheld)']);
    // One fixed: two of the three entries are matched, one is left over.
    expect(applyBaseline(scanWith(rules, configMap('db', 'admin')), readBaseline(file)).baseline).toMatchObject({ matched: 2, fixed: 1 });
  });

  const DEPLOYMENT = deployment('shop', 'web', '      containers:\n        - name: web\n          image: nginx:1.25\n          securityContext: { privileged: true }\n');
  const WITH_SIDECARS = DEPLOYMENT.replace(
    '      containers:\n',
    '      initContainers:\n        - { name: init, image: "busybox:1.36" }\n      containers:\n        - { name: log-shipper, image: "fluentbit:2.0" }\n',
  );

  it('a fingerprint names the container, so adding containers before it keeps the findings of the others', () => {
    const [before] = scanWith(['pss-privileged'], DEPLOYMENT).findings;
    const [after] = scanWith(['pss-privileged'], WITH_SIDECARS).findings;
    expect(before?.path).toBe('spec.template.spec.containers[0].securityContext.privileged');
    expect(after?.path).toBe('spec.template.spec.containers[1].securityContext.privileged');
    const print = expected('pss-privileged', FILE, 'apps/v1', 'Deployment', 'shop', 'web', 'spec.template.spec.containers["web"].securityContext.privileged');
    expect(before && fingerprint(before)).toBe(print);
    expect(after && fingerprint(after)).toBe(print);
    // Every finding of the web container, of every rule, is still accepted; the new containers' are new.
    const report = applied(['*'], DEPLOYMENT, WITH_SIDECARS);
    expect(report.baseline?.fixed).toBe(0);
    expect(report.baseline?.matched).toBe(scanWith(['*'], DEPLOYMENT).findings.length);
    expect(report.findings.length).toBeGreaterThan(0);
    expect(report.findings.every((f) => /\.(initContainers|containers)\[0\]/.test(f.path))).toBe(true);
  });

  it('the suppressed copies of a finding keep its fingerprint', () => {
    const config = parseConfig({ exceptions: [{ rule: 'pss-privileged', reason: 'x' }] }, '.mamori.yaml', known);
    const report = scanTexts([{ file: FILE, text: WITH_SIDECARS }], { rules: RULES.filter((r) => r.id === 'pss-privileged'), config, now: NOW });
    const [suppressed] = report.suppressed;
    expect(suppressed && fingerprint(suppressed)).toBe(expected('pss-privileged', FILE, 'apps/v1', 'Deployment', 'shop', 'web', 'spec.template.spec.containers["web"].securityContext.privileged'));
  });

  it('counts every path of a finding, in any order, each once', () => {
    const [f] = scanWith(['pss-host-namespaces'], POD.replace('hostNetwork: true', 'hostNetwork: true\n  hostPID: true')).findings;
    if (f === undefined) throw new Error('no finding');
    expect([f.path, ...(f.paths ?? [])]).toEqual(['spec.hostNetwork', 'spec.hostPID']);
    const print = expected('pss-host-namespaces', FILE, 'v1', 'Pod', 'ops', 'p', 'spec.hostNetwork', 'spec.hostPID');
    expect(fingerprint(f)).toBe(print);
    expect(fingerprint({ ...f, path: 'spec.hostPID', paths: ['spec.hostNetwork', 'spec.hostPID'] })).toBe(print);
    expect(fingerprint({ ...f, paths: [] })).toBe(expected('pss-host-namespaces', FILE, 'v1', 'Pod', 'ops', 'p', 'spec.hostNetwork'));
  });

  it('keeps the index of a container without a name, or with the name of another', () => {
    const pod = (a: string, b: string): Record<string, unknown> => ({ kind: 'Pod', spec: { containers: [{ name: a }, { name: b }], initContainers: [{ image: 'x' }] } });
    expect(containerKeys(pod('web', 'side') as never)).toEqual([
      ['spec.containers[0]', 'spec.containers["web"]'],
      ['spec.containers[1]', 'spec.containers["side"]'],
    ]);
    expect(containerKeys(pod('web', 'web') as never)).toBeUndefined();
    expect(containerKeys({ kind: 'CronJob', spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: '0' }] } } } } } })).toEqual([
      ['spec.jobTemplate.spec.template.spec.containers[0]', 'spec.jobTemplate.spec.template.spec.containers["0"]'],
    ]);
    expect(containerKeys({ kind: 'ConfigMap', data: {} })).toBeUndefined();
  });

  it('reads a baseline of schemaVersion 1 as it was read then, and rewrites it in the current form', () => {
    // test/data/baseline-v1/baseline.json was written by mamori before schemaVersion 2, from app.yaml next to it:
    // 4 entries for 5 findings (the two passwords of the ConfigMap share one).
    const input = 'test/data/baseline-v1/app.yaml';
    const text = readFileSync(input, 'utf8');
    const scanned = (t: string): Report =>
      scanTexts([{ file: input, text: t }], { rules: RULES.filter((r) => r.id.startsWith('pss-') || r.id === 'hardcoded-password'), pss: 'baseline', now: NOW });
    const legacy = readBaseline('test/data/baseline-v1/baseline.json');
    expect(legacy.version).toBe(1);
    expect(legacy.size).toBe(4);
    const report = applyBaseline(scanned(text), legacy);
    expect(report.findings).toEqual([]);
    expect(report.baseline).toEqual({ file: 'test/data/baseline-v1/baseline.json', matched: 5, fixed: 0 });
    // Its fingerprints are the earlier ones: the first path, containers by index.
    const privileged = report.suppressed.find((f) => f.ruleId === 'pss-privileged');
    expect(privileged && legacyFingerprint(privileged)).toBe(expected('pss-privileged', input, 'apps/v1', 'Deployment', 'shop', 'web', 'spec.template.spec.initContainers[0].securityContext.privileged'));
    // A fixed finding is counted as then.
    expect(applyBaseline(scanned(text.replace('hostNetwork: true', 'hostNetwork: false')), legacy).baseline).toMatchObject({ matched: 4, fixed: 1 });

    // Rewritten: one entry per finding, in the current form, which accepts the same findings.
    const file = join(dir, 'rewritten.json');
    writeFileSync(file, writeBaseline(baselineFindings(report)));
    const current = readBaseline(file);
    expect(current.version).toBe(3);
    expect(current.size).toBe(5);
    expect(applyBaseline(scanned(text), current).baseline).toEqual({ file, matched: 5, fixed: 0 });
    // Now a third password is new.
    const more = applyBaseline(scanned(text.replace('admin.password=legacy-too', 'admin.password=legacy-too\n    smtp.password=brand-new')), current);
    expect(lines(more.findings)).toEqual(['hardcoded-password data["app.properties"]']);
  });

  it('gives findings that share a fingerprint distinct fingerprints within a report, the first keeping its own', () => {
    const configMap = `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: app, namespace: shop }\ndata:\n  app.properties: |\n    db.password=s3cret-one\n    admin.password=s3cret-two\n    smtp.password=s3cret-three\n`;
    const rules = ['hardcoded-password'];
    const file = join(dir, 'first.json');
    writeFileSync(file, writeBaseline(scanWith(rules, configMap).findings.slice(0, 1)));
    // The first (line 1) is suppressed by the baseline, the two others reported: one report, three results.
    const report = applyBaseline(scanWith(rules, configMap), readBaseline(file));
    expect(report.findings).toHaveLength(2);
    const of = reportFingerprints(report);
    const print = expected('hardcoded-password', FILE, 'v1', 'ConfigMap', 'shop', 'app', 'data["app.properties"]');
    const [suppressed] = report.suppressed;
    const [second, third] = report.findings;
    expect([suppressed, second, third].map((f) => f && of(f))).toEqual([print, expected(print, '2'), expected(print, '3')]);
    // Findings with a fingerprint of their own keep it.
    const alone = scanWith(['pss-*'], POD);
    const all = reportFingerprints(alone);
    expect(alone.findings.map(all)).toEqual(alone.findings.map((f) => fingerprint(f)));
  });
});
