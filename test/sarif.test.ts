/**
 * The SARIF 2.1.0 writer: golden files, validity against the OASIS schema, and the values code
 * scanning relies on (levels, regions, relative URIs, fingerprints, rule metadata, suppressions).
 * Set UPDATE_GOLDEN=1 to rewrite test/golden/*.sarif after a deliberate change.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import AjvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { fingerprint } from '../src/engine/fingerprint.js';
import { summarize } from '../src/engine/report.js';
import { scanTexts } from '../src/engine/scan.js';
import type { WriterOptions } from '../src/report/index.js';
import { sarifLog, writeSarif } from '../src/report/sarif.js';
import { RULES } from '../src/rules/index.js';
import type { Finding, Report, Severity, SuppressedFinding } from '../src/types.js';
import { tempDirs } from './helpers/files.js';

const tempDir = tempDirs('mamori-sarif-');

// --- The parts of a SARIF log the assertions read. ---

interface Region {
  startLine: number;
  startColumn?: number;
}
interface PhysicalLocation {
  artifactLocation: { uri: string; uriBaseId?: string };
  region?: Region;
}
interface LogicalLocation {
  name: string;
  fullyQualifiedName: string;
  kind: string;
  properties?: Record<string, string>;
}
interface SarifLocation {
  physicalLocation?: PhysicalLocation;
  logicalLocations?: LogicalLocation[];
}
interface Descriptor {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help?: { text: string; markdown: string };
  helpUri?: string;
  defaultConfiguration: { level: string };
  properties: { tags: string[]; precision: string; 'security-severity'?: string; optional?: boolean };
}
interface Suppression {
  kind: string;
  status: string;
  justification: string;
  properties?: { suppressedBy: string; expires?: string };
}
interface Result {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: SarifLocation[];
  partialFingerprints: Record<string, string>;
  suppressions?: Suppression[];
  properties: { severity: string; controls: string[]; phase: string; paths?: string[] };
}
interface Notification {
  level: string;
  message: { text: string };
  locations?: SarifLocation[];
  properties?: { code: string };
}
interface Run {
  tool: { driver: { name: string; version: string; semanticVersion?: string; informationUri: string; rules: Descriptor[] } };
  invocations: { executionSuccessful: boolean; toolExecutionNotifications?: Notification[] }[];
  originalUriBaseIds: Record<string, { uri: string }>;
  columnKind: string;
  results: Result[];
}
interface SarifLog {
  $schema: string;
  version: string;
  runs: Run[];
}

// --- Schema validation. ---

// Both packages are CommonJS whose `exports.default` is the export itself (typed that way under nodenext).
const ajv = new AjvDraft04.default({ allErrors: true });
ajvFormats.default(ajv);
const validateSchema = ajv.compile(JSON.parse(readFileSync('/work/shared/schemas/sarif-2.1.0.json', 'utf8')) as object);

/** Parses a SARIF text after checking it against the OASIS schema. */
function valid(text: string): SarifLog {
  const log: unknown = JSON.parse(text);
  const ok = validateSchema(log);
  expect(ok, JSON.stringify(validateSchema.errors, null, 2)).toBe(true);
  return log as SarifLog;
}

function only<T>(items: readonly T[]): T {
  expect(items).toHaveLength(1);
  return items[0] as T;
}

function runOf(text: string): Run {
  return only(valid(text).runs);
}

// --- Fixtures. ---

const CWD = '/repo';
const options: WriterOptions = { color: false, rules: RULES, cwd: CWD, now: new Date('2026-01-15T00:00:00Z') };
const input = 'test/golden/input.yaml';
const inputText = readFileSync(input, 'utf8');
const PSS_RULES = RULES.filter((r) => r.id.startsWith('pss-'));
const scanned = scanTexts([{ file: input, text: inputText }], { rules: PSS_RULES, pss: 'restricted:latest' });

function findingOf(report: Report, ruleId: string): Finding {
  return only(report.findings.filter((f) => f.ruleId === ruleId));
}

/** The golden report: the scan of input.yaml, two of its findings suppressed, and two errors. */
function goldenReport(): Report {
  const hostPorts = findingOf(scanned, 'pss-host-ports');
  const seccomp = findingOf(scanned, 'pss-seccomp-profile-restricted');
  const findings = scanned.findings.filter((f) => f !== hostPorts && f !== seccomp);
  const suppressed: SuppressedFinding[] = [
    { ...hostPorts, suppressedBy: 'exception', reason: 'the ingress controller needs port 8080 on the node', expires: '2027-01-31' },
    { ...seccomp, suppressedBy: 'annotation', reason: 'profile installed by the node image' },
  ];
  return {
    ...scanned,
    findings,
    suppressed,
    errors: [
      { file: 'test/golden/broken.yaml', line: 3, column: 5, message: 'bad indentation of a mapping entry', code: 'parse' },
      { file: '', message: 'rule example failed: boom; it was not checked', code: 'rule-error' },
    ],
    summary: summarize(findings),
  };
}

function golden(name: string, actual: string): void {
  const path = `test/golden/${name}`;
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

/** A report of the given findings and nothing else. */
function reportOf(findings: Finding[], extra: Partial<Report> = {}): Report {
  return { ...scanned, findings, suppressed: [], errors: [], summary: summarize(findings), ...extra };
}

const base = findingOf(scanned, 'pss-host-namespaces');

function resultOf(finding: Finding, opts: WriterOptions = options): Result {
  return only(runOf(writeSarif(reportOf([finding]), opts)).results);
}

function locationOf(result: Result): SarifLocation {
  return only(result.locations);
}

// --- Tests. ---

describe('SARIF golden files', () => {
  it('report.sarif', () => {
    golden('report.sarif', writeSarif(goldenReport(), options));
  });

  it('report.empty.sarif: no findings, a two-rule catalog', () => {
    const empty = scanTexts([], { rules: RULES });
    const rules = RULES.filter((r) => r.id === 'service-node-port' || r.id === 'pss-host-namespaces');
    golden('report.empty.sarif', writeSarif(empty, { ...options, rules }));
  });

  it('every golden SARIF file is valid SARIF 2.1.0', () => {
    const files = readdirSync('test/golden').filter((f) => f.endsWith('.sarif'));
    expect(files).toEqual(expect.arrayContaining(['report.sarif', 'report.empty.sarif']));
    for (const file of files) valid(readFileSync(`test/golden/${file}`, 'utf8'));
  });

  it('the schema check rejects what SARIF forbids (so the validation above means something)', () => {
    const log = JSON.parse(writeSarif(reportOf([base]), options)) as SarifLog;
    expect(validateSchema(log)).toBe(true);
    const badLevel = structuredClone(log);
    (badLevel.runs[0] as Run).results[0]!.level = 'critical';
    expect(validateSchema(badLevel)).toBe(false);
    const badLine = structuredClone(log);
    locationOf((badLine.runs[0] as Run).results[0]!).physicalLocation!.region!.startLine = 0;
    expect(validateSchema(badLine)).toBe(false);
    const badSuppression = structuredClone(log);
    (badSuppression.runs[0] as Run).results[0]!.suppressions = [{ kind: 'exception', status: 'accepted', justification: 'x' }];
    expect(validateSchema(badSuppression)).toBe(false);
  });

  it('is JSON indented by two spaces with one result per line, a final newline, and deterministic', () => {
    const text = writeSarif(goldenReport(), options);
    expect(text.endsWith('}\n')).toBe(true);
    const log = JSON.parse(text) as SarifLog;
    const run = only(log.runs);
    expect(run.results.length).toBeGreaterThan(2);
    // Each result is JSON.stringify's compact text on a line of its own; the rest is indented JSON.
    const lines = run.results.map((r, i) => `        ${JSON.stringify(r)}${i + 1 < run.results.length ? ',' : ''}`);
    const skeleton = `${JSON.stringify({ ...log, runs: [{ ...run, results: [] }] }, null, 2)}\n`;
    expect(text).toBe(skeleton.replace('\n      "results": []', `\n      "results": [\n${lines.join('\n')}\n      ]`));
    expect(writeSarif(goldenReport(), options)).toBe(text);
    // Without results, the log is JSON.stringify's alone.
    const empty = writeSarif(reportOf([]), options);
    expect(empty).toBe(`${JSON.stringify(JSON.parse(empty), null, 2)}\n`);
  });
});

describe('SARIF run', () => {
  const log = valid(writeSarif(goldenReport(), options));
  const run = only(log.runs);

  it('names the schema, the version and the tool', () => {
    expect(log.version).toBe('2.1.0');
    expect(log.$schema).toBe('https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json');
    const { name, version, semanticVersion, informationUri } = run.tool.driver;
    expect({ name, version, semanticVersion, informationUri }).toEqual({
      name: 'mamori',
      version: scanned.tool.version,
      semanticVersion: scanned.tool.version,
      informationUri: 'https://github.com/mamori-dev/mamori',
    });
    expect(run.columnKind).toBe('utf16CodeUnits');
  });

  it('maps %SRCROOT% to the working directory, ending with a slash', () => {
    expect(run.originalUriBaseIds).toEqual({ '%SRCROOT%': { uri: 'file:///repo/' } });
    expect(runOf(writeSarif(reportOf([]), { ...options, cwd: '/work/some dir/' })).originalUriBaseIds['%SRCROOT%']?.uri).toBe('file:///work/some%20dir/');
  });

  it('omits semanticVersion for a version that is not semver', () => {
    const driver = runOf(writeSarif(reportOf([], { tool: { name: 'mamori', version: 'dev build' } }), options)).tool.driver;
    expect(driver.version).toBe('dev build');
    expect(driver.semanticVersion).toBeUndefined();
  });
});

describe('SARIF rules', () => {
  const run = runOf(writeSarif(goldenReport(), options));
  const rules = run.tool.driver.rules;
  const rule = (id: string): Descriptor => only(rules.filter((r) => r.id === id));

  it('lists every rule of the catalog once, sorted by id, even rules without results', () => {
    const ids = rules.map((r) => r.id);
    expect(ids).toHaveLength(RULES.length);
    expect(new Set(ids)).toEqual(new Set(RULES.map((r) => r.id)));
    for (let i = 1; i < ids.length; i++) expect((ids[i - 1] as string) < (ids[i] as string)).toBe(true);
    expect(run.results.length).toBeLessThan(20);
    expect(ids).toContain('apiserver-anonymous-auth'); // a rule with no result in this report
  });

  it('describes a rule with its metadata, help with remediation and docs link', () => {
    const r = rule('pss-host-namespaces');
    const source = only(RULES.filter((x) => x.id === 'pss-host-namespaces'));
    expect(r.name).toBe('PssHostNamespaces');
    expect(r.shortDescription.text).toBe('Pod shares host namespaces');
    expect(r.fullDescription.text).toBe(source.description);
    expect(r.helpUri).toBe('https://github.com/mamori-dev/mamori/blob/main/docs/rules/pss-host-namespaces.md');
    expect(r.help?.text).toContain(source.remediation);
    expect(r.help?.text).toContain(source.description);
    expect(r.help?.markdown).toContain(`**How to fix:** ${source.remediation}`);
    expect(r.help?.markdown).toContain('[Rule documentation](https://github.com/mamori-dev/mamori/blob/main/docs/rules/pss-host-namespaces.md)');
    expect(r.defaultConfiguration).toEqual({ level: 'error' });
    expect(r.properties).toEqual({
      tags: [
        'security',
        'runtime-compute',
        'CMP-1',
        'DEP-1',
        'NET-1',
        'pss:baseline:hostNamespaces',
        'cis:5.2.3',
        'cis:5.2.4',
        'cis:5.2.5',
        'nsa:kubernetes-pod-security',
        'kubescape:C-0038',
        'kubescape:C-0041',
        'kubescape:C-0194',
        'kubescape:C-0195',
        'kubescape:C-0196',
        'kubescape:C-0275',
        'kubescape:C-0276',
      ],
      precision: 'very-high',
      'security-severity': '9.5',
    });
  });

  it('tags CIS, NSA and Kubescape references', () => {
    expect(rule('apiserver-anonymous-auth').properties.tags).toEqual([
      'security',
      'runtime-access',
      'ACC-1',
      'ACC-2',
      'cis:1.2.1',
      'nsa:authentication-and-authorization',
      'kubescape:C-0113',
    ]);
  });

  it('gives security-severity and default level by severity, as GitHub code scanning bands them', () => {
    const expected: [string, Severity, string | undefined, string][] = [
      ['pss-host-namespaces', 'critical', '9.5', 'error'],
      ['image-insecure-registry', 'high', '8.0', 'error'],
      ['apiserver-anonymous-auth', 'medium', '5.5', 'warning'],
      ['service-node-port', 'low', '2.0', 'note'],
      ['rbac-ineffective-rule', 'info', undefined, 'note'],
    ];
    for (const [id, severity, score, level] of expected) {
      expect(only(RULES.filter((r) => r.id === id)).severity).toBe(severity);
      expect(rule(id).properties['security-severity']).toBe(score);
      expect(rule(id).defaultConfiguration.level).toBe(level);
    }
    // GitHub: critical over 9.0, high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9.
    const bands: Record<Severity, [number, number] | undefined> = { critical: [9.1, 10], high: [7, 8.9], medium: [4, 6.9], low: [0.1, 3.9], info: undefined };
    for (const source of RULES) {
      const score = rule(source.id).properties['security-severity'];
      const band = bands[source.severity];
      if (band === undefined) expect(score).toBeUndefined();
      else {
        expect(score).toMatch(/^\d+\.\d$/);
        expect(Number(score)).toBeGreaterThanOrEqual(band[0]);
        expect(Number(score)).toBeLessThanOrEqual(band[1]);
      }
    }
  });

  it('links every rule to a documentation page that exists, and tags every rule', () => {
    for (const r of rules) {
      expect(r.helpUri).toBe(`https://github.com/mamori-dev/mamori/blob/main/docs/rules/${r.id}.md`);
      expect(existsSync(`docs/rules/${r.id}.md`), r.id).toBe(true);
      expect(r.properties.tags.slice(0, 1)).toEqual(['security']);
      expect(new Set(r.properties.tags).size).toBe(r.properties.tags.length);
      expect(r.name).toMatch(/^[A-Z][A-Za-z0-9]*$/);
    }
  });

  it('marks rules that are off by default', () => {
    const optional = RULES.filter((r) => r.optional === true);
    expect(optional.length).toBeGreaterThan(0);
    for (const r of rules) expect(r.properties.optional === true, r.id).toBe(optional.some((o) => o.id === r.id));
  });

  it('points every ruleIndex at the rule of its ruleId', () => {
    expect(run.results.length).toBe(7);
    for (const r of run.results) expect(rules[r.ruleIndex]?.id).toBe(r.ruleId);
  });

  it('describes a rule with the severity the configuration gives it, as its results have it (mamori scan)', async () => {
    const { runScan } = await import('../src/cli/scan.js');
    const dir = tempDir();
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata: { name: p, namespace: shop }\nspec:\n  hostPID: true\n  containers:\n    - { name: c, image: "nginx:1.25", securityContext: { privileged: true } }\n';
    writeFileSync(join(dir, 'pod.yaml'), pod);
    // pss-run-as-non-root is medium in the catalog, the pss-host-* rules critical or high.
    writeFileSync(join(dir, 'config.yaml'), 'rules:\n  pss-run-as-non-root: { severity: critical }\n  "pss-host-*": { severity: low }\n');
    const output = join(dir, 'out.sarif');
    await runScan([join(dir, 'pod.yaml')], { format: 'sarif', output, config: join(dir, 'config.yaml'), rules: 'pss-*', color: false });
    const run = runOf(readFileSync(output, 'utf8'));
    const described = (id: string): [string, string | undefined] => {
      const d = only(run.tool.driver.rules.filter((r) => r.id === id));
      return [d.defaultConfiguration.level, d.properties['security-severity']];
    };
    const result = (id: string): [string, string] => {
      const r = only(run.results.filter((x) => x.ruleId === id));
      return [r.level, r.properties.severity];
    };
    expect(described('pss-run-as-non-root')).toEqual(['error', '9.5']);
    expect(result('pss-run-as-non-root')).toEqual(['error', 'critical']);
    expect(described('pss-host-namespaces')).toEqual(['note', '2.0']);
    expect(result('pss-host-namespaces')).toEqual(['note', 'low']);
    expect(described('pss-host-ports')).toEqual(['note', '2.0']);
    // Rules the configuration leaves alone keep the catalog's severity.
    expect(described('pss-privileged')).toEqual(['error', '9.5']);
    expect(result('pss-privileged')).toEqual(['error', 'critical']);
    expect(described('pss-seccomp-profile-restricted')).toEqual(['warning', '5.5']);
  });

  it('describes a rule missing from the catalog (a custom policy) from its findings', () => {
    const policy: Finding = { ...base, ruleId: 'policy:no-host-network', title: 'No host network', severity: 'high', controls: ['CMP-1'] };
    const run2 = runOf(writeSarif(reportOf([policy, base]), options));
    const d = only(run2.tool.driver.rules.filter((r) => r.id === 'policy:no-host-network'));
    expect(d.name).toBe('PolicyNoHostNetwork');
    expect(d.shortDescription.text).toBe('No host network');
    expect(d.defaultConfiguration.level).toBe('error');
    expect(d.properties['security-severity']).toBe('8.0');
    expect(run2.tool.driver.rules).toHaveLength(RULES.length + 1);
    for (const r of run2.results) expect(run2.tool.driver.rules[r.ruleIndex]?.id).toBe(r.ruleId);
  });
});

describe('SARIF results', () => {
  it('gives a finding its level, message, region, logical location and properties', () => {
    const r = resultOf(base);
    expect(r.ruleId).toBe('pss-host-namespaces');
    expect(r.level).toBe('error');
    expect(r.message).toEqual({ text: 'host namespaces (hostNetwork=true)' });
    expect(locationOf(r)).toEqual({
      physicalLocation: { artifactLocation: { uri: 'test/golden/input.yaml', uriBaseId: '%SRCROOT%' }, region: { startLine: 19, startColumn: 7 } },
      logicalLocations: [
        { name: 'web', fullyQualifiedName: 'Deployment/shop/web', kind: 'object', properties: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop' } },
        { name: 'spec.template.spec.hostNetwork', fullyQualifiedName: 'Deployment/shop/web#spec.template.spec.hostNetwork', kind: 'property' },
      ],
    });
    // The object and the field are the logical locations above; properties hold the rest.
    expect(r.properties).toEqual({ severity: 'critical', controls: ['CMP-1', 'DEP-1', 'NET-1'], phase: 'runtime-compute' });
    expect(r.suppressions).toBeUndefined();
  });

  it('maps severity to level: critical and high to error, medium to warning, low and info to note', () => {
    const expected: Record<Severity, string> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };
    for (const [severity, level] of Object.entries(expected) as [Severity, string][]) {
      const r = resultOf({ ...base, severity });
      expect(r.level).toBe(level);
      expect(r.properties.severity).toBe(severity);
    }
  });

  it('makes file URIs relative to the working directory, with forward slashes and percent-encoding', () => {
    const uriOf = (file: string, cwd = CWD): PhysicalLocation['artifactLocation'] | undefined =>
      locationOf(resultOf({ ...base, location: { file, line: 2, column: 3 } }, { ...options, cwd })).physicalLocation?.artifactLocation;
    expect(uriOf('deploy/web.yaml')).toEqual({ uri: 'deploy/web.yaml', uriBaseId: '%SRCROOT%' });
    expect(uriOf('./deploy/./web.yaml')).toEqual({ uri: 'deploy/web.yaml', uriBaseId: '%SRCROOT%' });
    expect(uriOf('/repo/deploy/web.yaml')).toEqual({ uri: 'deploy/web.yaml', uriBaseId: '%SRCROOT%' });
    expect(uriOf('deploy/web.yaml', '/repo/')).toEqual({ uri: 'deploy/web.yaml', uriBaseId: '%SRCROOT%' });
    expect(uriOf('/repo/deploy/web.yaml', '/')).toEqual({ uri: 'repo/deploy/web.yaml', uriBaseId: '%SRCROOT%' });
    expect(uriOf('dir with space/守り#1.yaml')).toEqual({ uri: 'dir%20with%20space/%E5%AE%88%E3%82%8A%231.yaml', uriBaseId: '%SRCROOT%' });
    expect(uriOf('..foo/a.yaml')).toEqual({ uri: '..foo/a.yaml', uriBaseId: '%SRCROOT%' });
    // Outside the working directory there is no relative URI that code scanning could place: an absolute file URI.
    expect(uriOf('/elsewhere/a b.yaml')).toEqual({ uri: 'file:///elsewhere/a%20b.yaml' });
    expect(uriOf('../up.yaml')).toEqual({ uri: 'file:///up.yaml' });
    expect(uriOf('/repository/x.yaml')).toEqual({ uri: 'file:///repository/x.yaml' });
  });

  it('keeps the region 1-based as given, and drops what is not a valid position', () => {
    const regionOf = (line: number, column: number): Region | undefined =>
      locationOf(resultOf({ ...base, location: { file: 'a.yaml', line, column } })).physicalLocation?.region;
    expect(regionOf(1, 1)).toEqual({ startLine: 1, startColumn: 1 });
    expect(regionOf(120000, 42)).toEqual({ startLine: 120000, startColumn: 42 });
    expect(regionOf(5, 0)).toEqual({ startLine: 5 });
    expect(regionOf(0, 0)).toBeUndefined();
  });

  it('places a finding read from stdin at the relative URI <stdin>, with its region, for code scanning to accept the log', () => {
    // GitHub rejects a whole log in which one result has no artifact location ("locationFromSarifResult: expected artifact location").
    const loc = locationOf(resultOf({ ...base, location: { file: '<stdin>', line: 4, column: 1 } }));
    expect(loc.physicalLocation).toEqual({ artifactLocation: { uri: '%3Cstdin%3E' }, region: { startLine: 4, startColumn: 1 } });
    expect(loc.logicalLocations?.[0]?.fullyQualifiedName).toBe('Deployment/shop/web');
  });

  it('has no physical location for a finding without location, but keeps the logical one', () => {
    const { location: _location, ...unlocated } = base;
    const loc = locationOf(resultOf(unlocated));
    expect(loc.physicalLocation).toBeUndefined();
    expect(loc.logicalLocations?.[0]?.fullyQualifiedName).toBe('Deployment/shop/web');
  });

  it('names a cluster-scoped object without a namespace, and an object path of the root without a property', () => {
    const object = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'system:admin-ish' };
    const loc = locationOf(resultOf({ ...base, object, path: '' }));
    expect(loc.logicalLocations).toEqual([
      { name: 'system:admin-ish', fullyQualifiedName: 'ClusterRole/system:admin-ish', kind: 'object', properties: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' } },
    ]);
  });

  it('lists the further offending paths of a finding', () => {
    const r = resultOf({ ...base, paths: ['spec.template.spec.hostPID', 'spec.template.spec.hostIPC'] });
    expect(r.properties.paths).toEqual(['spec.template.spec.hostPID', 'spec.template.spec.hostIPC']);
    expect(resultOf(base).properties.paths).toBeUndefined();
  });

  it('does not copy object content into the log (plaintext credentials stay out)', () => {
    const secret = 'Zq8-very-secret-value-7Hx';
    const text = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: leaky\n  namespace: shop\nspec:\n  containers:\n    - name: app\n      image: app:1.0\n      env:\n        - name: DB_PASSWORD\n          value: ${secret}\n`;
    const report = scanTexts([{ file: 'leaky.yaml', text }], { rules: RULES });
    expect(report.findings.some((f) => f.ruleId === 'hardcoded-password')).toBe(true);
    const sarif = writeSarif(report, options);
    valid(sarif);
    expect(sarif).not.toContain(secret);
  });
});

describe('SARIF fingerprints', () => {
  const key = 'mamori/v2';
  const fingerprints = (report: Report): string[] => runOf(writeSarif(report, options)).results.map((r) => r.partialFingerprints[key] as string);

  it('are the engine fingerprint of each finding, distinct within the run', () => {
    const report = goldenReport();
    const expected = [...report.findings, ...report.suppressed].map((f) => fingerprint(f, options.cwd));
    expect(new Set(expected).size).toBe(expected.length);
    expect(fingerprints(report)).toEqual(expected);
    for (const fp of expected) expect(fp).toMatch(/^[0-9a-f]{32}$/);
  });

  it('tell apart equal findings of one file at other lines (two objects of one name), and count a namespaced object without namespace as in default', () => {
    const pod = (field: string, ns = ''): string => `apiVersion: v1\nkind: Pod\nmetadata: {${ns}}\nspec: {${field}: true, containers: [{name: c, image: "nginx:1.25"}]}\n`;
    const rules = RULES.filter((r) => r.id.startsWith('pss-'));
    const report = scanTexts([{ file: 'noname.yaml', text: `${pod('hostPID')}---\n${pod('hostNetwork')}` }], { rules, pss: 'restricted:latest' });
    const prints = fingerprints(report);
    // Five restricted checks fail on each pod; all but the host namespaces one alike on both.
    expect(prints.length).toBe(10);
    expect(new Set(prints).size).toBe(prints.length);
    const unset = scanTexts([{ file: 'p.yaml', text: pod('hostPID') }], { rules, pss: 'restricted:latest' });
    const explicit = scanTexts([{ file: 'p.yaml', text: pod('hostPID', 'namespace: default') }], { rules, pss: 'restricted:latest' });
    expect(fingerprints(explicit)).toEqual(fingerprints(unset));
  });

  it('number the findings that share a fingerprint, so code scanning keeps them apart', () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: shop}\ndata:\n  app.properties: |\n    db.password=k7Qv9mZp2wLx\n    admin.password=Rt5nB8cJ3qWe\n    smtp.password=Hy6uK1oP4sDf\n';
    const report = scanTexts([{ file: 'app.yaml', text }], { rules: RULES.filter((r) => r.id === 'hardcoded-password') });
    expect(report.findings).toHaveLength(3);
    const plain = report.findings.map((f) => fingerprint(f, options.cwd));
    expect(new Set(plain).size).toBe(1);
    const prints = fingerprints(report);
    expect(new Set(prints).size).toBe(3);
    expect(prints[0]).toBe(plain[0]);
    for (const fp of prints) expect(fp).toMatch(/^[0-9a-f]{32}$/);
  });

  it('stay the same when the manifest moves down, while the regions follow', () => {
    const moved = scanTexts([{ file: input, text: `# two lines\n# added above\n${inputText}` }], { rules: PSS_RULES, pss: 'restricted:latest' });
    const before = runOf(writeSarif(scanned, options)).results;
    const after = runOf(writeSarif(moved, options)).results;
    expect(after.map((r) => r.partialFingerprints[key])).toEqual(before.map((r) => r.partialFingerprints[key]));
    expect(after.map((r) => locationOf(r).physicalLocation?.region?.startLine)).toEqual(before.map((r) => (locationOf(r).physicalLocation?.region?.startLine ?? 0) + 2));
  });

  it('stay the same when a message is reworded or the line changes', () => {
    const [a] = fingerprints(reportOf([base]));
    const [b] = fingerprints(reportOf([{ ...base, message: 'reworded', location: { file: input, line: 99, column: 1 } }]));
    expect(b).toBe(a);
  });

  it('differ between field paths, objects and files', () => {
    const all = fingerprints(scanned);
    expect(all).toHaveLength(7);
    expect(new Set(all).size).toBe(7);
    const [a] = fingerprints(reportOf([base]));
    const [otherPath] = fingerprints(reportOf([{ ...base, path: 'spec.template.spec.hostPID' }]));
    const [otherObject] = fingerprints(reportOf([{ ...base, object: { ...base.object, name: 'web2' } }]));
    const [otherFile] = fingerprints(reportOf([{ ...base, location: { file: 'other.yaml', line: 19, column: 7 } }]));
    expect(new Set([a, otherPath, otherObject, otherFile]).size).toBe(4);
  });
});

describe('SARIF suppressions', () => {
  const run = runOf(writeSarif(goldenReport(), options));

  it('lists suppressed findings as results with their suppression, after the open findings', () => {
    expect(run.results.map((r) => [r.ruleId, r.suppressions?.length ?? 0])).toEqual([
      ['pss-host-namespaces', 0],
      ['pss-allow-privilege-escalation', 0],
      ['pss-capabilities-restricted', 0],
      ['pss-run-as-non-root', 0],
      ['pss-privileged', 0],
      ['pss-host-ports', 1],
      ['pss-seccomp-profile-restricted', 1],
    ]);
    const hostPorts = run.results[5] as Result;
    expect(hostPorts.suppressions).toEqual([
      { kind: 'external', status: 'accepted', justification: 'the ingress controller needs port 8080 on the node', properties: { suppressedBy: 'exception', expires: '2027-01-31' } },
    ]);
    expect(hostPorts.level).toBe('warning');
    expect(locationOf(hostPorts).physicalLocation?.region).toEqual({ startLine: 27, startColumn: 15 });
    expect((run.results[6] as Result).suppressions).toEqual([
      { kind: 'inSource', status: 'accepted', justification: 'profile installed by the node image', properties: { suppressedBy: 'annotation' } },
    ]);
  });

  it('marks baseline suppressions as external', () => {
    const suppressed: SuppressedFinding = { ...base, suppressedBy: 'baseline', reason: 'in baseline .mamori-baseline.json' };
    const r = only(runOf(writeSarif(reportOf([], { suppressed: [suppressed] }), options)).results);
    expect(r.suppressions).toEqual([{ kind: 'external', status: 'accepted', justification: 'in baseline .mamori-baseline.json', properties: { suppressedBy: 'baseline' } }]);
    expect(r.partialFingerprints['mamori/v2']).toBe(fingerprint(base, options.cwd));
  });
});

describe('SARIF errors', () => {
  it('become error notifications of a failed invocation, with their location', () => {
    const invocation = only(runOf(writeSarif(goldenReport(), options)).invocations);
    expect(invocation).toEqual({
      executionSuccessful: false,
      toolExecutionNotifications: [
        {
          level: 'error',
          message: { text: 'bad indentation of a mapping entry' },
          locations: [{ physicalLocation: { artifactLocation: { uri: 'test/golden/broken.yaml', uriBaseId: '%SRCROOT%' }, region: { startLine: 3, startColumn: 5 } } }],
          properties: { code: 'parse' },
        },
        { level: 'error', message: { text: 'rule example failed: boom; it was not checked' }, properties: { code: 'rule-error' } },
      ],
    });
  });

  it('an error on a whole file points at the file without a region', () => {
    const report = reportOf([], { errors: [{ file: 'missing.yaml', message: 'no such file or directory', code: 'io' }] });
    const n = only(only(runOf(writeSarif(report, options)).invocations).toolExecutionNotifications ?? []);
    expect(n.locations).toEqual([{ physicalLocation: { artifactLocation: { uri: 'missing.yaml', uriBaseId: '%SRCROOT%' } } }]);
  });

  it('an error of stdin points at <stdin>', () => {
    const report = reportOf([], { errors: [{ file: '<stdin>', line: 2, column: 3, message: 'invalid YAML', code: 'parse' }] });
    const n = only(only(runOf(writeSarif(report, options)).invocations).toolExecutionNotifications ?? []);
    expect(n.locations).toEqual([{ physicalLocation: { artifactLocation: { uri: '%3Cstdin%3E' }, region: { startLine: 2, startColumn: 3 } } }]);
  });

  it('a clean run is successful and has no notifications', () => {
    const run = runOf(writeSarif(reportOf([]), options));
    expect(run.invocations).toEqual([{ executionSuccessful: true }]);
    expect(run.results).toEqual([]);
  });
});

describe('SARIF escaping', () => {
  const odd = `<script>alert("x")</script> & 'q' \\ \u0000\u0007\b\f\n\r\t\u001b[31m\u007f\u0085\u2028\u2029 守り 🔒 é\u0301`;

  it('keeps every character of messages, names, reasons and errors through a JSON round trip', () => {
    const long = `${odd} ${'long message '.repeat(20_000)}end`;
    const finding: Finding = { ...base, message: long, object: { ...base.object, name: odd }, path: `metadata.annotations["${odd}"]` };
    const suppressed: SuppressedFinding = { ...base, message: odd, suppressedBy: 'annotation', reason: odd };
    const report = reportOf([finding], { suppressed: [suppressed], errors: [{ file: `bad ${odd}.yaml`, line: 1, message: odd, code: 'parse' }] });
    const text = writeSarif(report, options);
    // No raw control characters: JSON escapes them, the only raw one is the line break of the indentation.
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(text).toContain('\\u001b[31m');
    const run = runOf(text);
    const [open, closed] = run.results as [Result, Result];
    expect(open.message.text).toBe(long);
    expect(open.message.text.length).toBe(long.length);
    expect(locationOf(open).logicalLocations?.[0]?.name).toBe(odd);
    expect(locationOf(open).logicalLocations?.[1]?.name).toBe(`metadata.annotations["${odd}"]`);
    expect(locationOf(open).logicalLocations?.[1]?.fullyQualifiedName).toBe(`Deployment/shop/${odd}#metadata.annotations["${odd}"]`);
    expect(closed.suppressions?.[0]?.justification).toBe(odd);
    const n = only(only(run.invocations).toolExecutionNotifications ?? []);
    expect(n.message.text).toBe(odd);
    // The file name is percent-encoded into a URI that decodes back to it.
    const uri = n.locations?.[0]?.physicalLocation?.artifactLocation.uri ?? '';
    expect(uri).toMatch(/^[A-Za-z0-9%._~!*'()/-]+$/);
    expect(decodeURIComponent(uri)).toBe(`bad ${odd}.yaml`);
  });

  it('keeps a lone surrogate in a message and still writes a URI for a file name with one', () => {
    const lone = 'half \ud83d of an emoji';
    const text = writeSarif(reportOf([{ ...base, message: lone, location: { file: `a${lone}.yaml`, line: 1, column: 1 } }]), options);
    const r = only(runOf(text).results);
    expect(r.message.text).toBe(lone);
    expect(locationOf(r).physicalLocation?.artifactLocation.uri).toBe('ahalf%20%EF%BF%BD%20of%20an%20emoji.yaml');
  });

  it('survives hostile names read from a manifest', () => {
    const hostile = scanTexts(
      [{ file: 'evil.yaml', text: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: "x\\u001b[31my"\nspec:\n  containers:\n    - name: "c\\u001b]0;pwned\\u0007"\n      image: a\n      securityContext: { privileged: true }\n' }],
      { rules: RULES, pss: 'baseline:latest' },
    );
    expect(hostile.findings.length).toBeGreaterThan(0);
    const run = runOf(writeSarif(hostile, options));
    expect(run.results.length).toBe(hostile.findings.length);
    expect(run.results.every((r) => locationOf(r).logicalLocations?.[0]?.name === 'x\u001b[31my')).toBe(true);
  });
});

describe('SARIF text and log', () => {
  // The writer serialises each result from texts it keeps per rule, object and file; every way a
  // finding can differ from the one before it must show in its own result.
  const web = base;
  const { location: _location, ...unlocated } = web;
  const variants: Finding[] = [
    { ...web, severity: 'medium' },
    { ...web, phase: 'network' },
    { ...web, controls: ['NET-1'] },
    { ...web, controls: [...web.controls] },
    { ...web, ruleId: 'custom-policy', title: 'custom' },
    { ...web, object: { ...web.object, name: 'other' } },
    { ...web, object: { ...web.object, kind: 'StatefulSet' } },
    { ...web, object: { ...web.object, apiVersion: 'apps/v1beta2' } },
    { ...web, object: { ...web.object, namespace: 'other' } },
    { ...web, object: { apiVersion: 'v1', kind: 'Namespace', name: 'shop' } },
    { ...web, location: { file: 'other.yaml', line: 3, column: 4 } },
    { ...web, location: { ...web.location!, line: 7 } },
    { ...web, location: { ...web.location!, column: 0 } },
    { ...web, location: { ...web.location!, line: 0 } },
    { ...web, location: { file: '<stdin>', line: 2, column: 1 } },
    { ...web, location: { file: '/elsewhere/x.yaml', line: 2, column: 1 } },
    unlocated,
    { ...web, path: '' },
    { ...web, paths: ['a', 'b"c'] },
    { ...web, message: 'quote " backslash \\ tab \t nul \u0000 lone \ud800 pair 🔒 é' },
    { ...web, path: 'metadata.annotations["a\\"b"]', object: { ...web.object, name: 'n"\\\u0001' } },
  ];
  const findings = variants.flatMap((f) => [f, web]);
  const suppressed: SuppressedFinding[] = [
    { ...web, suppressedBy: 'exception', reason: 'why "not"', expires: '2027-01-31' },
    { ...web, paths: ['x'], suppressedBy: 'annotation', reason: '' },
    { ...unlocated, suppressedBy: 'baseline', reason: 'in the baseline' },
  ];
  const reports: [string, Report][] = [
    ['the golden report', goldenReport()],
    ['findings that differ one field at a time', reportOf(findings, { suppressed })],
    ['a clean scan', reportOf([])],
  ];

  it.each(reports)('writes exactly sarifLog() for %s, each result as JSON.stringify writes it', (_name, report) => {
    const text = writeSarif(report, options);
    const log = sarifLog(report, options) as SarifLog;
    expect(JSON.parse(text)).toEqual(log);
    const results = only(log.runs).results;
    const lines = text.split('\n').filter((l) => l.startsWith('        {"ruleId"'));
    expect(lines).toEqual(results.map((r, i) => `        ${JSON.stringify(r)}${i + 1 < results.length ? ',' : ''}`));
    valid(text);
  });

  it('keeps the object and the field in the logical locations only', () => {
    const r = resultOf(base);
    expect(Object.keys(r)).toEqual(['ruleId', 'ruleIndex', 'level', 'message', 'locations', 'partialFingerprints', 'properties']);
    expect(Object.keys(r.properties)).toEqual(['severity', 'controls', 'phase']);
  });
});
