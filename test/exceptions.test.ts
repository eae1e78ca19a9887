import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyBaseline, readBaseline, writeBaseline } from '../src/engine/baseline.js';
import { knownRules, loadConfig, parseConfig } from '../src/engine/config.js';
import { containerAt } from '../src/engine/exceptions.js';
import { compileGlob } from '../src/engine/glob.js';
import { fingerprint } from '../src/engine/fingerprint.js';
import { scanTexts } from '../src/engine/scan.js';
import { MamoriError } from '../src/errors.js';
import { RULES } from '../src/rules/index.js';
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

function scan(exceptions: unknown, manifests = MANIFESTS): Report {
  const config = parseConfig({ exceptions }, '.mamori.yaml', known);
  return scanTexts([{ file: 'app.yaml', text: manifests }], { rules: RULES.filter((r) => r.id.startsWith('pss-')), config, now: NOW });
}

const ids = (list: readonly { ruleId: string; object: { name: string } }[]): string[] => list.map((f) => `${f.ruleId} ${f.object.name}`).sort();

describe('exceptions in the configuration', () => {
  it('suppresses by rule, namespace, kind, name glob and container, and lists what it suppressed', () => {
    const report = scan([{ rule: 'pss-privileged', namespace: 'monitoring', kind: 'DaemonSet', name: 'node-*', container: 'exporter', reason: 'reads /proc of the node' }]);
    // The DaemonSet's privileged finding names both containers; the exception scopes one: the
    // finding's path points at the first offending container (exporter), which it covers.
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
    expect(baseline.fingerprints.size).toBe(new Set(report.findings.map((f) => fingerprint(f))).size);
    const parsed = JSON.parse(text) as { findings: { fingerprint: string; ruleId: string; object: string }[] };
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

  it('refuses a broken baseline, naming the file and key', () => {
    const cases: [string, string][] = [
      ['{', 'not valid JSON'],
      ['{"schemaVersion": 2, "findings": []}', 'schemaVersion: must be 1'],
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
