import { spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yaml from 'js-yaml';

// End to end: the built CLI (`node bin/mamori.js`), as users and CI run it.
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'mamori.js');
const DATA = 'test/data/cli';
const HARDENED = `${DATA}/hardened-pod.yaml`;
const PRIVILEGED = `${DATA}/privileged-pod.yaml`;
const ROOT_POD = `${DATA}/may-run-as-root.yaml`;
const ESC = '\u001b[';

/** The ids the restricted level reports for privileged-pod.yaml, as Pod Security Admission would. */
const RESTRICTED_IDS = ['pss-allow-privilege-escalation', 'pss-capabilities-restricted', 'pss-privileged', 'pss-run-as-non-root', 'pss-seccomp-profile-restricted'];

/** The environment without anything that forces or forbids colour. */
const BASE_ENV: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !['FORCE_COLOR', 'NO_COLOR', 'CI', 'TERM', 'COLORTERM'].includes(k)),
);

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function mamori(args: string[], options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    input: options.input ?? '',
    encoding: 'utf8',
    env: { ...BASE_ENV, ...options.env },
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface Finding {
  ruleId: string;
  title: string;
  severity: string;
  controls: string[];
  phase: string;
  object: { apiVersion: string; kind: string; namespace?: string; name: string };
  path: string;
  message: string;
  location: { file: string; line: number; column: number };
}
interface Report {
  schemaVersion: number;
  tool: { name: string; version: string };
  pss: { level: string; version: string };
  inputs: { files: number; objects: number };
  findings: Finding[];
  suppressed: unknown[];
  errors: { file: string; line?: number; column?: number; message: string; code: string }[];
  summary: { bySeverity: Record<string, number>; byPhase: Record<string, number>; byControl: Record<string, number> };
}

/** Runs a JSON scan and parses its report. */
function scanJson(args: string[], options: Parameters<typeof mamori>[1] = {}): { run: Run; report: Report } {
  const run = mamori(['scan', '--format', 'json', ...args], options);
  let report: Report;
  try {
    report = JSON.parse(run.stdout) as Report;
  } catch {
    throw new Error(`not JSON (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
  }
  return { run, report };
}

const ids = (report: Report): string[] => [...new Set(report.findings.map((f) => f.ruleId))].sort();

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mamori-e2e-'));
  temps.push(dir);
  return dir;
}
function put(dir: string, file: string, content: string): void {
  mkdirSync(dirname(join(dir, file)), { recursive: true });
  writeFileSync(join(dir, file), content);
}
/** A privileged pod named `name`, so a finding tells which file it came from. */
const privilegedPod = (name: string): string => readFileSync(join(ROOT, PRIVILEGED), 'utf8').replace('name: privileged', `name: ${name}`);

beforeAll(() => {
  if (existsSync(join(ROOT, 'dist', 'bundle', 'cli', 'main.js'))) return;
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
}, 180_000);

afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

describe('exit codes', () => {
  it('writes an error naming a file with a line break on one line, so no CI log reads it as a command', () => {
    const run = mamori(['scan', '-c', 'missing\n::error::injected', HARDENED]);
    expect(run.status).toBe(2);
    expect(run.stderr.split('\n').filter((line) => line !== '')).toHaveLength(1);
    expect(run.stderr).toContain('missing\\x0a::error::injected');
  });

  it('exits 0 on a hardened pod', () => {
    const run = mamori(['scan', HARDENED]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('No findings');
    const { report } = scanJson([HARDENED]);
    expect(report.findings).toEqual([]);
    expect(report.errors).toEqual([]);
    expect(report.inputs).toEqual({ files: 1, objects: 1 });
  });

  it('exits 1 on a privileged pod, pointing at the offending field', () => {
    const run = mamori(['scan', PRIVILEGED]);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/test\/data\/cli\/privileged-pod\.yaml:12:9 +critical +pss-privileged/);

    const { run: jsonRun, report } = scanJson([PRIVILEGED]);
    expect(jsonRun.status).toBe(1);
    const privileged = report.findings.find((f) => f.ruleId === 'pss-privileged');
    expect(privileged).toMatchObject({
      severity: 'critical',
      object: { apiVersion: 'v1', kind: 'Pod', namespace: 'demo', name: 'privileged' },
      path: 'spec.containers[0].securityContext.privileged',
      message: 'privileged (container "app" must not set securityContext.privileged=true)',
      location: { file: PRIVILEGED, line: 12, column: 9 },
    });
  });

  it('exits 2 on a broken file beside a good one, and still reports the good file', () => {
    const dir = tempDir();
    put(dir, 'good.yaml', privilegedPod('good'));
    put(dir, 'broken.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: broken\n   bad: indent\n');
    const { run, report } = scanJson(['.'], { cwd: dir });
    expect(run.status).toBe(2);
    expect(report.inputs).toEqual({ files: 2, objects: 1 });
    expect(report.errors).toEqual([expect.objectContaining({ file: 'broken.yaml', line: 5, code: 'parse' })]);
    expect(report.findings.find((f) => f.ruleId === 'pss-privileged')).toMatchObject({
      object: { name: 'good' },
      location: { file: 'good.yaml', line: 12, column: 9 },
    });
    // The text report names the error too.
    const text = mamori(['scan', '.'], { cwd: dir });
    expect(text.status).toBe(2);
    expect(text.stdout).toContain('broken.yaml:5:7');
  });

  it('exits 2 on an unknown flag', () => {
    const run = mamori(['scan', '--no-such-flag', HARDENED]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--no-such-flag');
    expect(run.stdout).toBe('');
  });

  it('exits 2 on a missing path, still scanning the others', () => {
    const alone = scanJson(['does-not-exist.yaml']);
    expect(alone.run.status).toBe(2);
    expect(alone.report.errors).toEqual([expect.objectContaining({ file: 'does-not-exist.yaml', code: 'io' })]);

    const beside = scanJson(['does-not-exist.yaml', PRIVILEGED]);
    expect(beside.run.status).toBe(2);
    expect(beside.report.errors.map((e) => e.file)).toEqual(['does-not-exist.yaml']);
    expect(ids(beside.report)).toContain('pss-privileged');
  });
});

describe('inputs', () => {
  it('reads standard input for `-` and names it <stdin>', () => {
    const { run, report } = scanJson(['-'], { input: readFileSync(join(ROOT, PRIVILEGED), 'utf8') });
    expect(run.status).toBe(1);
    expect(report.inputs).toEqual({ files: 1, objects: 1 });
    expect(report.findings.length).toBeGreaterThan(0);
    for (const f of report.findings) expect(f.location.file).toBe('<stdin>');
    expect(report.findings.find((f) => f.ruleId === 'pss-privileged')?.location).toEqual({ file: '<stdin>', line: 12, column: 9 });

    const broken = scanJson(['-'], { input: 'apiVersion: v1\nkind: Pod\nmetadata: {name: [unclosed\n' });
    expect(broken.run.status).toBe(2);
    expect(broken.report.errors).toEqual([expect.objectContaining({ file: '<stdin>', code: 'parse' })]);
  });

  it('recurses into directories, skipping node_modules, hidden folders and other extensions', () => {
    const dir = tempDir();
    put(dir, 'top.yaml', privilegedPod('top'));
    put(dir, 'a/b/c/deep.yml', privilegedPod('deep'));
    put(dir, 'a/pod.json', JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'json' }, spec: { containers: [{ name: 'c', image: 'x', securityContext: { privileged: true } }] } }));
    put(dir, 'node_modules/pkg/nm.yaml', privilegedPod('node-modules'));
    put(dir, 'a/node_modules/inner.yaml', privilegedPod('inner-node-modules'));
    put(dir, '.hidden/h.yaml', privilegedPod('hidden'));
    put(dir, 'a/.git/g.yaml', privilegedPod('git'));
    put(dir, 'a/readme.txt', privilegedPod('txt'));
    put(dir, 'a/notes.md', privilegedPod('md'));
    put(dir, 'a/template.yaml.tpl', privilegedPod('tpl'));

    const { report } = scanJson(['.', '--pss', 'baseline', '--rules', 'pss-*'], { cwd: dir });
    expect(report.errors).toEqual([]);
    expect(report.inputs).toEqual({ files: 3, objects: 3 });
    expect(report.findings.map((f) => [f.location.file, f.object.name]).sort()).toEqual([
      ['a/b/c/deep.yml', 'deep'],
      ['a/pod.json', 'json'],
      ['top.yaml', 'top'],
    ]);

    // Named directly, they are read.
    const named = scanJson(['node_modules', '.hidden', 'a/node_modules', 'a/readme.txt', '--pss', 'baseline', '--rules', 'pss-*'], { cwd: dir }).report;
    expect(named.errors).toEqual([]);
    expect(named.findings.map((f) => f.location.file).sort()).toEqual(['.hidden/h.yaml', 'a/node_modules/inner.yaml', 'a/readme.txt', 'node_modules/pkg/nm.yaml']);
  });
  it('--skip-non-manifests reads named files as a directory walk does (pre-commit file lists)', () => {
    const dir = tempDir();
    put(dir, 'k8s/pod.yaml', privilegedPod('app'));
    put(dir, '.github/workflows/ci.yaml', 'on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n');
    put(dir, 'chart/Chart.yaml', 'apiVersion: v2\nname: demo\nversion: 0.1.0\n');
    put(dir, 'chart/values.yaml', 'image: {tag: latest}\n');
    put(dir, 'chart/templates/deploy.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n');
    put(dir, 'k8s/broken.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: {name: [unclosed\n');
    const files = ['k8s/pod.yaml', '.github/workflows/ci.yaml', 'chart/Chart.yaml', 'chart/values.yaml', 'chart/templates/deploy.yaml'];
    // Named as they are, the files that are no manifests are errors.
    const strict = scanJson([...files, '--rules', 'pss-privileged'], { cwd: dir });
    expect(strict.run.status).toBe(2);
    expect(strict.report.errors.map((e) => e.file).sort()).toEqual(['.github/workflows/ci.yaml', 'chart/Chart.yaml', 'chart/templates/deploy.yaml', 'chart/values.yaml']);
    // With the flag they are passed over, and the manifest is still reported.
    const lenient = scanJson([...files, '--rules', 'pss-privileged', '--skip-non-manifests'], { cwd: dir });
    expect(lenient.run.status).toBe(1);
    expect(lenient.report.errors).toEqual([]);
    expect(lenient.report.inputs).toEqual({ files: 2, objects: 1 });
    expect(lenient.report.findings.map((f) => [f.ruleId, f.location.file])).toEqual([['pss-privileged', 'k8s/pod.yaml']]);
    // Other tools' configuration and the test data of policy test suites are passed over too.
    put(dir, 'k8s/kustomization.yaml', 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [pod.yaml]\n');
    put(dir, 'policies/limits/mamori-test.yaml', 'policies: [policy.yaml]\nresources: [cases/]\ntests: []\n');
    put(dir, 'policies/limits/cases/too-big.yaml', privilegedPod('too-big'));
    const tools = scanJson(['k8s/kustomization.yaml', 'policies/limits/cases/too-big.yaml', 'k8s/pod.yaml', '--rules', 'pss-privileged', '--skip-non-manifests'], { cwd: dir });
    expect(tools.report.inputs).toEqual({ files: 1, objects: 1 });
    expect(tools.report.findings.map((f) => f.object.name)).toEqual(['app']);
    // A broken manifest is still an error.
    const broken = scanJson(['k8s/broken.yaml', '--skip-non-manifests'], { cwd: dir });
    expect(broken.run.status).toBe(2);
    expect(broken.report.errors).toEqual([expect.objectContaining({ file: 'k8s/broken.yaml', code: 'parse' })]);
  });
  it('reads a pipe given as a path: /dev/stdin and <(...)', () => {
    const pod = readFileSync(join(ROOT, PRIVILEGED), 'utf8');
    const { run, report } = scanJson(['/dev/stdin'], { input: pod });
    expect(run.status).toBe(1);
    expect(report.inputs).toEqual({ files: 1, objects: 1 });
    expect(report.findings.find((f) => f.ruleId === 'pss-privileged')?.location).toEqual({ file: '/dev/stdin', line: 12, column: 9 });
    if (spawnSync('bash', ['-c', 'true']).status !== 0) return;
    const substituted = spawnSync('bash', ['-c', `"$0" "$1" scan --format json <(cat "$2")`, process.execPath, BIN, PRIVILEGED], { cwd: ROOT, encoding: 'utf8', env: BASE_ENV });
    expect(substituted.status).toBe(1);
    const fromPipe = JSON.parse(substituted.stdout) as Report;
    expect(fromPipe.inputs).toEqual({ files: 1, objects: 1 });
    expect(ids(fromPipe)).toContain('pss-privileged');
  });

  it('a scan of the working directory reads its manifests, not its configuration, baselines, kustomizations or charts', () => {
    const dir = tempDir();
    put(dir, 'deploy/pod.yaml', privilegedPod('pod'));
    put(dir, '.mamori.yaml', 'failOn: critical\n');
    put(dir, '.pre-commit-config.yaml', 'repos: []\n');
    put(dir, 'deploy/kustomization.yaml', 'resources: [pod.yaml]\n');
    put(dir, 'chart/Chart.yaml', 'apiVersion: v2\nname: chart\nversion: 1.0.0\n');
    put(dir, 'chart/values.yaml', 'tag: "1.0"\n');
    put(dir, 'chart/templates/pod.yaml', privilegedPod('"{{ .Release.Name }}"'));
    put(dir, 'ci/mamori.yaml', 'failOn: high\n');
    const first = scanJson([], { cwd: dir });
    expect(first.report.errors).toEqual([]);
    expect(first.run.status).toBe(1);
    expect(first.report.inputs).toEqual({ files: 2, objects: 1 });
    expect([...new Set(first.report.findings.map((f) => f.location.file))]).toEqual(['deploy/pod.yaml']);
    // The baseline written into the directory is no manifest when the directory is scanned again.
    expect(mamori(['scan', '--write-baseline', 'mamori-baseline.json'], { cwd: dir }).status).toBe(0);
    const again = scanJson(['--baseline', 'mamori-baseline.json'], { cwd: dir });
    expect(again.report.errors).toEqual([]);
    expect(again.report.findings).toEqual([]);
    expect(again.run.status).toBe(0);
  });

  it('a Helm template that parses is an error at its first action (exit 2); a chart named on the command line too', () => {
    const dir = tempDir();
    put(dir, 'chart/Chart.yaml', 'apiVersion: v2\nname: chart\nversion: 1.0.0\n');
    put(dir, 'chart/templates/pod.yaml', privilegedPod('"{{ .Release.Name }}"'));
    const file = scanJson(['chart/templates/pod.yaml'], { cwd: dir });
    expect(file.run.status).toBe(2);
    expect(file.report.findings).toEqual([]);
    expect(file.report.errors).toEqual([expect.objectContaining({ file: 'chart/templates/pod.yaml', line: 5, code: 'template' })]);
    const chart = scanJson(['chart'], { cwd: dir });
    expect(chart.run.status).toBe(2);
    expect(chart.report.errors).toEqual([expect.objectContaining({ file: 'chart', code: 'template' })]);
    expect(chart.report.errors[0]?.message).toContain('helm template chart | mamori scan -');
  });
});

describe('output', () => {
  it('writes the report to --output and nothing to stdout', () => {
    const dir = tempDir();
    const out = join(dir, 'report.json');
    const run = mamori(['scan', PRIVILEGED, '--format', 'json', '--output', out]);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('');
    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    expect(ids(report)).toContain('pss-privileged');

    const textOut = join(dir, 'report.txt');
    const text = mamori(['scan', PRIVILEGED, '--output', textOut], { env: { FORCE_COLOR: '1' } });
    expect(text.stdout).toBe('');
    const written = readFileSync(textOut, 'utf8');
    expect(written).toContain('pss-privileged');
    expect(written).not.toContain(ESC); // a file is never coloured
  });

  /** A file of `count` privileged pods: a JSON report of it is larger than a pipe holds. */
  const manyPods = (count: number): string => {
    const dir = tempDir();
    put(dir, 'many.yaml', Array.from({ length: count }, (_, i) => privilegedPod(`p${i}`)).join('---\n'));
    return join(dir, 'many.yaml');
  };

  it('a reader that goes away ends the scan with exit code 2 and no message; a slow one gets the whole report', async () => {
    const many = manyPods(300);
    const whole = join(dirname(many), 'report.json');
    expect(mamori(['scan', many, '--format', 'json', '--output', whole]).status).toBe(1);
    /** Runs a scan to stdout; `read` takes its stdout stream. */
    const scanTo = (read: (stdout: NodeJS.ReadableStream, child: ReturnType<typeof spawn>) => void): Promise<{ status: number | null; stderr: string }> =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [BIN, 'scan', many, '--format', 'json'], { cwd: ROOT, env: BASE_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        read(child.stdout, child);
        child.on('close', (status) => resolve({ status, stderr }));
      });
    // `| head -c 10`: the pipe is closed after the first bytes.
    const gone = await scanTo((stdout) => stdout.once('data', () => (stdout as unknown as { destroy(): void }).destroy()));
    expect(gone).toEqual({ status: 2, stderr: '' });
    // A reader that waits before it reads still gets every byte.
    let received = '';
    const slow = await scanTo((stdout) => {
      stdout.pause();
      setTimeout(() => {
        stdout.on('data', (chunk: Buffer) => (received += chunk.toString()));
        stdout.resume();
      }, 1_000);
    });
    expect(slow).toEqual({ status: 1, stderr: '' });
    expect(received).toBe(readFileSync(whole, 'utf8'));
  });

  it.skipIf(!existsSync('/dev/full'))('a report that cannot be written to stdout is one line and exit code 2', () => {
    const full = openSync('/dev/full', 'w');
    try {
      const run = spawnSync(process.execPath, [BIN, 'scan', PRIVILEGED], { cwd: ROOT, env: BASE_ENV, stdio: ['ignore', full, 'pipe'], encoding: 'utf8' });
      expect(run.status).toBe(2);
      expect(run.stderr).toBe('mamori: cannot write the report to stdout: ENOSPC: no space left on device, write\n');
    } finally {
      closeSync(full);
    }
  });

  it.skipIf(!existsSync('/dev/full'))('help, version and rule lists that cannot be written are one line and exit code 2 too', () => {
    const full = openSync('/dev/full', 'w');
    try {
      for (const args of [['--help'], ['--version'], ['rules']]) {
        const run = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env: BASE_ENV, stdio: ['ignore', full, 'pipe'], encoding: 'utf8' });
        expect([run.status, run.stderr], args.join(' ')).toEqual([2, 'mamori: cannot write to stdout: ENOSPC: no space left on device, write\n']);
      }
    } finally {
      closeSync(full);
    }
  });

  it('-o - writes the report to stdout', () => {
    const run = mamori(['scan', PRIVILEGED, '-f', 'json', '-o', '-']);
    expect(run.status).toBe(1);
    expect((JSON.parse(run.stdout) as { schemaVersion: number }).schemaVersion).toBe(1);
    expect(existsSync(join(ROOT, '-'))).toBe(false);
  });

  it('--format json follows the contract of DESIGN.md', () => {
    const { report } = scanJson([PRIVILEGED, '--rules', 'pss-*']);
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(report.schemaVersion).toBe(1);
    expect(report.tool).toEqual({ name: 'mamori', version });
    expect(report.pss).toEqual({ level: 'restricted', version: 'latest' });
    expect(report.inputs).toEqual({ files: 1, objects: 1 });
    expect(report.suppressed).toEqual([]);
    expect(report.errors).toEqual([]);
    expect(ids(report)).toEqual(RESTRICTED_IDS);

    const severities = ['critical', 'high', 'medium', 'low', 'info'];
    for (const f of report.findings) {
      expect(typeof f.ruleId).toBe('string');
      expect(typeof f.title).toBe('string');
      expect(f.title).not.toBe('');
      expect(severities).toContain(f.severity);
      expect(f.controls.length).toBeGreaterThan(0);
      for (const c of f.controls) expect(c).toMatch(/^[A-Z]+-\d+$/);
      expect(['develop', 'distribute', 'deploy', 'runtime-access', 'runtime-compute', 'runtime-storage', 'network', 'observability']).toContain(f.phase);
      expect(f.object).toEqual({ apiVersion: 'v1', kind: 'Pod', namespace: 'demo', name: 'privileged' });
      expect(f.path).toMatch(/^spec\.containers\[0\]/);
      expect(typeof f.message).toBe('string');
      expect(f.location.file).toBe(PRIVILEGED);
      expect(Number.isInteger(f.location.line) && f.location.line >= 1).toBe(true);
      expect(Number.isInteger(f.location.column) && f.location.column >= 1).toBe(true);
    }
    // Sorted by file, line, column, rule id.
    const keys = report.findings.map((f) => [f.location.line, f.location.column, f.ruleId] as const);
    const sorted = [...keys].sort((a, b) => a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : a[2] > b[2] ? 1 : 0));
    expect(keys).toEqual(sorted);

    // The summary counts exactly the findings.
    const count = (key: (f: Finding) => string[]): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const f of report.findings) for (const k of key(f)) out[k] = (out[k] ?? 0) + 1;
      return out;
    };
    expect(report.summary.bySeverity).toEqual(count((f) => [f.severity]));
    expect(report.summary.byPhase).toEqual(count((f) => [f.phase]));
    expect(report.summary.byControl).toEqual(count((f) => f.controls));
    expect(report.summary.bySeverity['critical']).toBe(1);
  });

  it('never colours when stdout is not a terminal, and FORCE_COLOR=1 colours', () => {
    const plain = mamori(['scan', PRIVILEGED]);
    expect(plain.stdout).toContain('pss-privileged');
    expect(plain.stdout).not.toContain(ESC);

    const forced = mamori(['scan', PRIVILEGED], { env: { FORCE_COLOR: '1' } });
    expect(forced.status).toBe(1);
    expect(forced.stdout).toContain(ESC);
    // Colour does not change the text itself.
    // eslint-disable-next-line no-control-regex
    expect(forced.stdout.replace(/\u001b\[[0-9;]*m/g, '')).toBe(plain.stdout);

    expect(mamori(['scan', PRIVILEGED, '--no-color'], { env: { FORCE_COLOR: '1' } }).stdout).not.toContain(ESC);
    expect(mamori(['scan', PRIVILEGED], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } }).stdout).not.toContain(ESC);
    expect(mamori(['scan', PRIVILEGED, '--format', 'json'], { env: { FORCE_COLOR: '1' } }).stdout).not.toContain(ESC);
  });
});

describe('--fail-on and --pss', () => {
  it('--fail-on sets the severity that fails the run', () => {
    expect(mamori(['scan', PRIVILEGED, '--fail-on', 'critical']).status).toBe(1);
    expect(mamori(['scan', PRIVILEGED, '--fail-on', 'none']).status).toBe(0);
    // may-run-as-root.yaml only has a medium finding.
    expect(mamori(['scan', ROOT_POD]).status).toBe(1);
    expect(mamori(['scan', ROOT_POD, '--fail-on', 'medium']).status).toBe(1);
    expect(mamori(['scan', ROOT_POD, '--fail-on', 'high']).status).toBe(0);
    expect(mamori(['scan', ROOT_POD, '--fail-on', 'critical']).status).toBe(0);
    // Findings are still reported when they do not fail the run.
    expect(mamori(['scan', ROOT_POD, '--fail-on', 'none']).stdout).toContain('pss-run-as-non-root');
  });

  it('--fail-on with a bad value is a usage error', () => {
    const run = mamori(['scan', PRIVILEGED, '--fail-on', 'severe']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('severe');
  });

  it('--fail-on none does not hide input errors', () => {
    const dir = tempDir();
    put(dir, 'broken.yaml', 'a: [unclosed\n');
    expect(mamori(['scan', 'broken.yaml', '--fail-on', 'none'], { cwd: dir }).status).toBe(2);
  });

  it('--pss baseline reports fewer checks than restricted', () => {
    const baseline = scanJson([PRIVILEGED, '--pss', 'baseline', '--rules', 'pss-*']);
    expect(baseline.run.status).toBe(1);
    expect(baseline.report.pss).toEqual({ level: 'baseline', version: 'latest' });
    expect(ids(baseline.report)).toEqual(['pss-privileged']);

    const restricted = scanJson([PRIVILEGED, '--pss', 'restricted', '--rules', 'pss-*']);
    expect(restricted.report.pss).toEqual({ level: 'restricted', version: 'latest' });
    expect(ids(restricted.report)).toEqual(RESTRICTED_IDS);

    expect(scanJson([PRIVILEGED, '--pss', 'privileged', '--rules', 'pss-*']).report.findings).toEqual([]);

    // A pod that only fails a restricted check passes baseline.
    expect(mamori(['scan', ROOT_POD, '--pss', 'baseline', '--rules', 'pss-*']).status).toBe(0);
    expect(mamori(['scan', ROOT_POD, '--pss', 'restricted', '--rules', 'pss-*']).status).toBe(1);
  });

  it('--pss with an unknown level exits 2 with a message', () => {
    const run = mamori(['scan', PRIVILEGED, '--pss', 'foo']);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('"foo"');
    expect(run.stderr).toMatch(/privileged, baseline, restricted/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('mamori rules', () => {
  it('lists the catalog', () => {
    const run = mamori(['rules']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^pss-privileged +critical /m);
    expect(run.stdout).toMatch(/^pss-run-as-non-root /m);
  });

  it('--format json parses and describes every rule', () => {
    const run = mamori(['rules', '--format', 'json']);
    expect(run.status).toBe(0);
    const rules = JSON.parse(run.stdout) as { id: string; title: string; severity: string; controls: string[]; description: string; remediation: string }[];
    expect(Array.isArray(rules)).toBe(true);
    for (const r of rules) {
      expect(r.id).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
      expect(r.title).not.toBe('');
      expect(r.description).not.toBe('');
      expect(r.controls.length).toBeGreaterThan(0);
    }
    expect(new Set(rules.map((r) => r.id)).size).toBe(rules.length);
    expect(rules.map((r) => r.id)).toEqual(expect.arrayContaining(RESTRICTED_IDS));
    expect(rules.find((r) => r.id === 'pss-privileged')?.severity).toBe('critical');
  });

  it('prints the docs of one rule', () => {
    const info = (JSON.parse(mamori(['rules', '--format', 'json']).stdout) as { id: string; title: string; description: string; remediation: string }[]).find(
      (r) => r.id === 'pss-privileged',
    )!;
    const run = mamori(['rules', 'pss-privileged']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`pss-privileged: ${info.title}`);
    expect(run.stdout).toContain(info.description);
    expect(run.stdout).toContain(info.remediation);
  });

  it('describes the findings about exceptions, which the catalog does not list', () => {
    const run = mamori(['rules', 'exception-stale']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^exception-stale: Exception that matches nothing\n\n {2}severity {2}info\n/);
    const json = JSON.parse(mamori(['rules', 'exception-expired', '--format', 'json']).stdout) as { id: string; severity: string };
    expect([json.id, json.severity]).toEqual(['exception-expired', 'medium']);
  });

  it('exits 2 on an unknown rule id', () => {
    const run = mamori(['rules', 'nope']);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('nope');
  });
});

describe('configuration', () => {
  it('a .mamori.yaml with an unknown key exits 2 naming the key', () => {
    const dir = tempDir();
    copyFileSync(join(ROOT, PRIVILEGED), join(dir, 'pod.yaml'));
    put(dir, '.mamori.yaml', 'pss: baseline\nfailon: high\n');
    const run = mamori(['scan', 'pod.yaml'], { cwd: dir });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('failon');
    expect(run.stdout).toBe('');

    put(dir, '.mamori.yaml', 'rules:\n  pss-privileged: { severity: low, colour: red }\n');
    const nested = mamori(['scan', 'pod.yaml'], { cwd: dir });
    expect(nested.status).toBe(2);
    expect(nested.stderr).toContain('rules.pss-privileged.colour');
  });

  it('`rules: { pss-privileged: off }` removes only that rule\'s findings', () => {
    const dir = tempDir();
    copyFileSync(join(ROOT, PRIVILEGED), join(dir, 'pod.yaml'));
    put(dir, '.mamori.yaml', 'rules: { pss-privileged: off }\n');
    const { run, report } = scanJson(['pod.yaml', '--rules', 'pss-*'], { cwd: dir });
    expect(run.status).toBe(1);
    expect(ids(report)).toEqual(RESTRICTED_IDS.filter((id) => id !== 'pss-privileged'));
    // At baseline, that was the only Pod Security finding.
    expect(mamori(['scan', 'pod.yaml', '--pss', 'baseline', '--rules', 'pss-*'], { cwd: dir }).status).toBe(0);
    // The other rules of the catalog still run without --rules.
    expect(ids(scanJson(['pod.yaml'], { cwd: dir }).report).some((id) => !id.startsWith('pss-'))).toBe(true);
  });

  it('--rules and --skip-rules narrow the catalog; a pattern that matches nothing is a usage error', () => {
    const only = scanJson([PRIVILEGED, '--rules', 'pss-privileged,pss-run-as-*']).report;
    expect(ids(only)).toEqual(['pss-privileged', 'pss-run-as-non-root']);
    const skipped = scanJson([PRIVILEGED, '--rules', 'pss-*', '--skip-rules', 'pss-privileged']).report;
    expect(ids(skipped)).toEqual(RESTRICTED_IDS.filter((id) => id !== 'pss-privileged'));
    const bad = mamori(['scan', PRIVILEGED, '--rules', 'no-such-rule']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--rules: no rule matches "no-such-rule"');
  });

  it('a --rules pattern that names only policies that could not be loaded says why they are missing', () => {
    const dir = tempDir();
    // Refused as a whole (a match rule with no operations), so no rule `policy:empty-ops` exists.
    put(dir, 'policy.yaml', 'apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {name: empty-ops}\nspec:\n  matchConstraints:\n    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [], resources: [pods]}]\n  validations: [{expression: "true"}]\n');
    const run = mamori(['scan', PRIVILEGED, '--policy', join(dir, 'policy.yaml'), '--rules', 'policy:*']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--rules: no rule matches "policy:*"');
    expect(run.stderr).toContain(`a policy file could not be loaded: ${join(dir, 'policy.yaml')}:1: ValidatingAdmissionPolicy "empty-ops": spec.matchConstraints.resourceRules[0].operations: Required value`);
    // A pattern of the catalog is not about policies: no such note.
    expect(mamori(['scan', PRIVILEGED, '--policy', join(dir, 'policy.yaml'), '--rules', 'nosuch']).stderr).not.toContain('could not be loaded');
  });

  it('a list option\'s default is edited with add and remove, and a glob sets every rule it matches', () => {
    const dir = tempDir();
    put(dir, 'pod.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: {name: build, namespace: tenants}\nspec:\n  runtimeClassName: my-sandbox\n  containers: [{name: job, image: "registry.example.com/ci/job:1.0"}]\n');
    const config = (sandboxes: string): void => put(dir, '.mamori.yaml', `rules:\n  untrusted-*: { severity: low }\n  untrusted-workload-sandbox:\n    options:\n      untrustedNamespaces: [tenants]\n${sandboxes}`);
    const scan = (): { run: Run; report: Report } => scanJson(['pod.yaml', '--rules', 'untrusted-workload-sandbox', '--fail-on', 'low'], { cwd: dir });
    config('');
    const before = scan();
    expect(before.run.status).toBe(1);
    expect(before.report.findings.map((f) => [f.ruleId, f.severity, f.location?.line])).toEqual([['untrusted-workload-sandbox', 'low', 5]]);
    // Adding the sandbox keeps the built-in runtime classes and accepts this one.
    config('      sandboxedRuntimeClasses: { add: [my-sandbox] }\n');
    const after = scan();
    expect(after.run.status).toBe(0);
    expect(after.report.findings).toEqual([]);
    config('      sandboxedRuntimeClasses: { remove: [my-sandbox] }\n');
    const bad = mamori(['scan', 'pod.yaml'], { cwd: dir });
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain('rules.untrusted-workload-sandbox.options.sandboxedRuntimeClasses.remove: "my-sandbox" is not in the default list');
  });

  it('--config FILE is read instead of .mamori.yaml', () => {
    const dir = tempDir();
    copyFileSync(join(ROOT, PRIVILEGED), join(dir, 'pod.yaml'));
    put(dir, '.mamori.yaml', 'unknown: key\n');
    put(dir, 'ci.yaml', 'pss: baseline\n');
    const { run, report } = scanJson(['pod.yaml', '--config', 'ci.yaml', '--rules', 'pss-*'], { cwd: dir });
    expect(run.status).toBe(1);
    expect(report.pss.level).toBe('baseline');
    expect(ids(report)).toEqual(['pss-privileged']);
  });
});

describe('exceptions and baselines', () => {
  it('an exception in .mamori.yaml suppresses, lists the finding as suppressed, and changes the exit code', () => {
    const dir = tempDir();
    copyFileSync(join(ROOT, PRIVILEGED), join(dir, 'pod.yaml'));
    put(dir, '.mamori.yaml', 'pss: baseline\nexceptions:\n  - rule: pss-privileged\n    kind: Pod\n    name: priv*\n    reason: the CNI agent needs it\n    expires: 2999-12-31\n');
    const { run, report } = scanJson(['pod.yaml', '--rules', 'pss-*'], { cwd: dir });
    expect(run.status).toBe(0);
    expect(report.findings).toEqual([]);
    expect(report.suppressed).toMatchObject([{ ruleId: 'pss-privileged', suppressedBy: 'exception', reason: 'the CNI agent needs it', expires: '2999-12-31' }]);
    const text = mamori(['scan', 'pod.yaml', '--rules', 'pss-*'], { cwd: dir });
    expect(text.stdout).toContain('Suppressed (accepted risks)');
    expect(text.stdout).toContain('the CNI agent needs it (exception, until 2999-12-31)');
    expect(text.stdout).toContain('No findings; 1 suppressed;');
  });

  it('an expired exception fails the scan with the finding back and a finding at the exception', () => {
    const dir = tempDir();
    copyFileSync(join(ROOT, PRIVILEGED), join(dir, 'pod.yaml'));
    put(dir, '.mamori.yaml', 'pss: baseline\nexceptions:\n  - rule: pss-privileged\n    reason: until the migration\n    expires: 2020-01-31\n');
    const { run, report } = scanJson(['pod.yaml', '--rules', 'pss-*'], { cwd: dir });
    expect(run.status).toBe(1);
    expect(ids(report)).toEqual(['exception-expired', 'pss-privileged']);
    expect(report.findings.find((f) => f.ruleId === 'exception-expired')?.location).toEqual({ file: '.mamori.yaml', line: 3, column: 5 });
  });

  it('--write-baseline then --baseline: old findings pass, a new one fails, fixed ones are counted', () => {
    const dir = tempDir();
    put(dir, 'k8s/a.yaml', privilegedPod('alpha'));
    put(dir, 'k8s/b.yaml', privilegedPod('beta'));
    const write = mamori(['scan', 'k8s', '--rules', 'pss-*', '--write-baseline', 'baseline.json'], { cwd: dir });
    expect(write.status).toBe(0);
    expect(write.stderr).toContain('wrote 10 finding(s) to the baseline baseline.json');
    const baseline = JSON.parse(readFileSync(join(dir, 'baseline.json'), 'utf8')) as { schemaVersion: number; findings: unknown[] };
    expect(baseline.schemaVersion).toBe(3);
    expect(baseline.findings).toHaveLength(10);
    // A baseline of the previous schema is still read, with a note that says to rewrite it.
    const older = readFileSync(join(dir, 'baseline.json'), 'utf8').replace('"schemaVersion": 3', '"schemaVersion": 2');
    put(dir, 'older.json', older);
    const previous = mamori(['scan', 'k8s', '--rules', 'pss-*', '--baseline', 'older.json'], { cwd: dir });
    expect(previous.status).toBe(0);
    expect(previous.stderr).toContain('mamori: note: the baseline older.json was written by an earlier mamori (schemaVersion 2)');

    // Same input, written another way: nothing new.
    const same = scanJson(['./k8s/', '--rules', 'pss-*', '--baseline', 'baseline.json'], { cwd: dir });
    expect(same.run.status).toBe(0);
    expect(same.report.findings).toEqual([]);
    expect(same.report.suppressed).toHaveLength(10);

    // beta fixed, gamma added.
    put(dir, 'k8s/b.yaml', readFileSync(join(ROOT, HARDENED), 'utf8'));
    put(dir, 'k8s/c.yaml', privilegedPod('gamma'));
    const next = scanJson(['k8s', '--rules', 'pss-*', '--baseline', 'baseline.json'], { cwd: dir });
    expect(next.run.status).toBe(1);
    expect([...new Set(next.report.findings.map((f) => f.object.name))]).toEqual(['gamma']);
    expect((next.report as Report & { baseline: unknown }).baseline).toEqual({ file: 'baseline.json', matched: 5, fixed: 5 });
    const text = mamori(['scan', 'k8s', '--rules', 'pss-*', '--baseline', 'baseline.json'], { cwd: dir });
    expect(text.stdout).toContain('Baseline baseline.json: 5 findings still present and not reported; 5 of its entries fixed since.');

    const broken = mamori(['scan', 'k8s', '--baseline', 'nope.json'], { cwd: dir });
    expect(broken.status).toBe(2);
    expect(broken.stderr).toContain('nope.json: cannot read the baseline');
  });
});

describe('refreshing baselines, selecting rules, checking the configuration', () => {
  it('--baseline and --write-baseline of one file keep its entries still present and drop the fixed ones', () => {
    const dir = tempDir();
    put(dir, 'k8s/a.yaml', privilegedPod('alpha'));
    put(dir, 'k8s/b.yaml', privilegedPod('beta'));
    const entries = (): number => (JSON.parse(readFileSync(join(dir, 'baseline.json'), 'utf8')) as { findings: unknown[] }).findings.length;
    const refresh = (): Run => mamori(['scan', 'k8s', '--rules', 'pss-*', '--baseline', 'baseline.json', '--write-baseline', 'baseline.json'], { cwd: dir });
    expect(mamori(['scan', 'k8s', '--rules', 'pss-*', '--write-baseline', 'baseline.json'], { cwd: dir }).status).toBe(0);
    expect(entries()).toBe(10);
    const same = refresh();
    expect(same.status).toBe(0);
    expect(same.stderr).toContain('wrote 10 finding(s) to the baseline baseline.json');
    expect(entries()).toBe(10);
    // beta fixed: its entries drop out, alpha's stay.
    put(dir, 'k8s/b.yaml', readFileSync(join(ROOT, HARDENED), 'utf8'));
    expect(refresh().status).toBe(0);
    expect(entries()).toBe(5);
    const next = scanJson(['k8s', '--rules', 'pss-*', '--baseline', 'baseline.json'], { cwd: dir });
    expect(next.run.status).toBe(0);
    expect((next.report as Report & { baseline: unknown }).baseline).toEqual({ file: 'baseline.json', matched: 5, fixed: 0 });
  });

  it('a --rules without a pattern (an unset variable) is a usage error; an empty --skip-rules skips nothing', () => {
    for (const empty of ['', ',']) {
      const run = mamori(['scan', PRIVILEGED, '--rules', empty]);
      expect(run.status).toBe(2);
      expect(run.stderr).toContain('--rules: names no rule');
      expect(mamori(['fix', PRIVILEGED, '--rules', empty]).status).toBe(2);
    }
    expect(mamori(['scan', PRIVILEGED, '--rules', 'pss-privileged', '--skip-rules', '']).status).toBe(1);
    const none = mamori(['scan', PRIVILEGED, '--rules', 'pss-privileged', '--skip-rules', 'pss-*']);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('--rules and --skip-rules leave no rule to run');
  });

  it('findings about exceptions only for the rules that ran; skipped and configured like rules', () => {
    const dir = tempDir();
    copyFileSync(join(ROOT, PRIVILEGED), join(dir, 'pod.yaml'));
    const exceptions = 'exceptions:\n  - rule: pss-host-namespaces\n    reason: hosts\n    expires: 2020-01-31\n  - rule: pss-privileged\n    reason: until the migration\n    expires: 2020-01-31\n';
    put(dir, '.mamori.yaml', exceptions);
    const selected = scanJson(['pod.yaml', '--rules', 'pss-privileged'], { cwd: dir });
    expect(selected.run.status).toBe(1);
    expect(selected.report.findings.map((f) => `${f.ruleId} ${f.object.name}`)).toEqual(['exception-expired exceptions[1]', 'pss-privileged privileged']);
    expect(selected.report.findings[0]?.message).toContain('it no longer suppresses its finding, which is reported again');
    expect(ids(scanJson(['pod.yaml', '--rules', 'pss-privileged', '--skip-rules', 'exception-*'], { cwd: dir }).report)).toEqual(['pss-privileged']);
    put(dir, '.mamori.yaml', `rules:\n  exception-expired: { severity: low }\n  exception-stale: off\n${exceptions}`);
    const configured = scanJson(['pod.yaml', '--rules', 'pss-*'], { cwd: dir });
    expect(configured.run.status).toBe(1);
    expect(configured.report.findings.filter((f) => f.ruleId === 'exception-expired').map((f) => `${f.object.name} ${f.severity}`)).toEqual(['exceptions[0] low', 'exceptions[1] low']);
  });

  it('checks pss in the configuration even when --pss overrides it, and policy names against the policies loaded', () => {
    const dir = tempDir();
    copyFileSync(join(ROOT, PRIVILEGED), join(dir, 'pod.yaml'));
    put(dir, '.mamori.yaml', 'pss: bogus\n');
    for (const command of ['scan', 'fix']) {
      const run = mamori([command, 'pod.yaml', '--pss', 'baseline'], { cwd: dir });
      expect(run.status).toBe(2);
      expect(run.stderr).toContain('.mamori.yaml: pss: invalid Pod Security policy "bogus"');
    }
    put(dir, '.mamori.yaml', 'exceptions:\n  - rule: "policy:no-loadbalancr"\n    reason: typo\n');
    const typo = mamori(['scan', 'pod.yaml', '--policy', join(ROOT, 'examples/policies/no-loadbalancer')], { cwd: dir });
    expect(typo.status).toBe(2);
    expect(typo.stderr).toContain('.mamori.yaml: exceptions[0].rule: "policy:no-loadbalancr" matches none of the policies loaded');
    // Without policies, the name cannot be checked, and the exception's rule did not run: not stale.
    const without = scanJson(['pod.yaml', '--rules', 'pss-*'], { cwd: dir });
    expect(without.run.status).toBe(1);
    expect(ids(without.report)).not.toContain('exception-stale');
  });
});

describe('report formats', () => {
  it('sarif: one run, every rule described, results relative to the working directory', () => {
    const run = mamori(['scan', PRIVILEGED, '--format', 'sarif']);
    expect(run.status).toBe(1);
    const sarif = JSON.parse(run.stdout) as { version: string; runs: { tool: { driver: { rules: { id: string }[] } }; results: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[] };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs).toHaveLength(1);
    const rules = mamori(['rules', '--format', 'json']);
    const catalog = (JSON.parse(rules.stdout) as { id: string }[]).map((r) => r.id).sort();
    expect(sarif.runs[0]?.tool.driver.rules.map((r) => r.id)).toEqual(catalog);
    const results = sarif.runs[0]?.results ?? [];
    expect(results.length).toBeGreaterThan(0);
    expect(new Set(results.map((r) => r.locations[0]?.physicalLocation.artifactLocation.uri))).toEqual(new Set([PRIVILEGED]));
  });

  it('junit: a testsuite per file with failures, well-formed enough for CI readers', () => {
    const run = mamori(['scan', PRIVILEGED, HARDENED, '--format', 'junit', '--rules', 'pss-*']);
    expect(run.status).toBe(1);
    expect(run.stdout.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(run.stdout).toContain(`<testsuite name="${PRIVILEGED}"`);
    expect((run.stdout.match(/<failure /g) ?? []).length).toBe(RESTRICTED_IDS.length);
  });

  it('policyreport: PolicyReport objects that the policy working group CRDs accept', () => {
    const dir = tempDir();
    put(dir, 'pod.yaml', privilegedPod('alpha').replace('namespace: demo', 'namespace: shop'));
    const run = mamori(['scan', 'pod.yaml', '--format', 'policyreport', '--rules', 'pss-*'], { cwd: dir });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('apiVersion: "wgpolicyk8s.io/v1alpha2"');
    expect(run.stdout).toContain('kind: "ClusterPolicyReport"');
    expect(run.stdout).toMatch(/kind: "PolicyReport"\nmetadata:\n {2}name: "mamori-shop"\n {2}namespace: "shop"/);
    expect(run.stdout).toContain(`fail: ${RESTRICTED_IDS.length}`);
  });

  it('policyreport: an empty report for each namespace of the input without findings, so applying it replaces an older one', () => {
    const dir = tempDir();
    put(dir, 'pods.yaml', `${privilegedPod('alpha').replace('namespace: demo', 'namespace: shop')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: clean}\ndata: {mode: fast}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: unset}\ndata: {mode: fast}\n`);
    const run = mamori(['scan', 'pods.yaml', '--format', 'policyreport', '--rules', 'pss-*'], { cwd: dir });
    expect(run.status).toBe(1);
    const names = [...run.stdout.matchAll(/\n {2}name: "([^"]+)"\n {2}namespace: "([^"]+)"/g)].map((m) => `${m[2]}/${m[1]}`);
    expect(names).toEqual(['clean/mamori-clean', 'default/mamori-default', 'shop/mamori-shop']);
    const clean = run.stdout.slice(run.stdout.indexOf('name: "mamori-clean"'));
    expect(clean.slice(0, clean.indexOf('---'))).toMatch(/summary:\n {2}pass: 0\n {2}fail: 0\n {2}warn: 0\n {2}error: 0\n {2}skip: 0\nresults: \[\]/);
  });
});

describe('html report', () => {
  it('writes one self-contained file with the findings embedded', () => {
    const dir = tempDir();
    const run = mamori(['scan', join(ROOT, PRIVILEGED), '--format', 'html', '-o', join(dir, 'report.html'), '--rules', 'pss-*']);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<link\b|\bsrc=|https?:\/\/(?!github\.com\/mamori-dev)/);
    for (const id of RESTRICTED_IDS) expect(html).toContain(id);
  });
});

describe('mamori fix', () => {
  // The insecure examples bind their namespace's default ServiceAccount, so their pods use its token:
  // the token rules have nothing to fix there (test/fix-safety.test.ts covers those fixes).
  const FIXED_RULES = ['pss-privileged', 'pss-allow-privilege-escalation', 'pss-capabilities-restricted', 'pss-seccomp-profile-restricted'];

  it('prints a diff and exits 1; --write applies it; the fixed rules then report what the hardened twin reports', () => {
    const dir = tempDir();
    for (const file of readdirSync(join(ROOT, 'examples', 'insecure'))) copyFileSync(join(ROOT, 'examples', 'insecure', file), join(dir, file));
    const before = scanJson(['.'], { cwd: dir }).report;
    for (const id of FIXED_RULES) expect(before.findings.some((f) => f.ruleId === id), id).toBe(true);

    const diff = mamori(['fix', '.'], { cwd: dir });
    expect(diff.status).toBe(1);
    expect(diff.stdout).toMatch(/^--- a\//m);
    expect(diff.stdout).toMatch(/^\+ +allowPrivilegeEscalation: false$/m);
    // Diff mode changes nothing.
    expect(scanJson(['.'], { cwd: dir }).report.findings.length).toBe(before.findings.length);

    const write = mamori(['fix', '.', '--write'], { cwd: dir });
    expect(write.status).toBe(0);
    const after = scanJson(['.'], { cwd: dir }).report;
    const hardened = scanJson([join(ROOT, 'examples', 'hardened')]).report;
    for (const id of FIXED_RULES) {
      expect(after.findings.filter((f) => f.ruleId === id).length, id).toBe(hardened.findings.filter((f) => f.ruleId === id).length);
    }
    expect(after.findings.length).toBeLessThan(before.findings.length);
    expect(after.errors).toEqual([]);
    // Nothing left that a fix can do.
    expect(mamori(['fix', '.'], { cwd: dir }).status).toBe(0);
  });

  it('refuses stdin and reports unreadable input with exit 2', () => {
    expect(mamori(['fix', '-']).status).toBe(2);
    const dir = tempDir();
    put(dir, 'broken.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: [unclosed\n');
    const run = mamori(['fix', 'broken.yaml'], { cwd: dir });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('broken.yaml');
  });
});

describe('mamori admission certs and manifests', () => {
  it('certs writes a CA and a serving certificate; manifests built from them parse and pass the restricted scan', () => {
    const dir = tempDir();
    const certs = mamori(['admission', 'certs', '--out', join(dir, 'tls')]);
    expect(certs.status).toBe(0);
    for (const file of ['ca.crt', 'tls.crt', 'tls.key']) expect(existsSync(join(dir, 'tls', file)), file).toBe(true);
    // Refuses to overwrite.
    expect(mamori(['admission', 'certs', '--out', join(dir, 'tls')]).status).toBe(2);

    const manifests = mamori(['admission', 'manifests', '--certs', join(dir, 'tls')]);
    expect(manifests.status).toBe(0);
    expect(manifests.stdout).toContain('kind: ValidatingWebhookConfiguration');
    expect(manifests.stdout).toContain('kind: Deployment');
    const ca = readFileSync(join(dir, 'tls', 'ca.crt')).toString('base64');
    expect(manifests.stdout).toContain(ca);
    put(dir, 'webhook.yaml', manifests.stdout);
    const { run, report } = scanJson(['webhook.yaml', '--pss', 'restricted:latest'], { cwd: dir });
    expect(report.errors).toEqual([]);
    expect(report.findings).toEqual([]);
    expect(run.status).toBe(0);
  });

  it('manifests without a certificate source is a usage error naming the flags', () => {
    const run = mamori(['admission', 'manifests']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--certs DIR');
  });
});

describe('mamori admission serve', () => {
  it('serves reviews over TLS with the certificate of `admission certs`, and stops on SIGTERM', async () => {
    const dir = tempDir();
    expect(mamori(['admission', 'certs', '--out', dir, '--service', 'mamori-webhook', '--namespace', 'mamori-system']).status).toBe(0);
    const { spawn } = await import('node:child_process');
    const https = await import('node:https');
    const net = await import('node:net');
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    // A policy whose validation asks the authorizer; with --authorizer none the check errors, allowed() is false and the validation fails.
    put(dir, 'authz-policy.yaml', `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: owners-only}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["configmaps"]}]
  validations:
  - expression: "authorizer.group('').resource('secrets').namespace(object.metadata.namespace).check('get').allowed()"
`);
    // The configuration's defaults apply where no flag is given, and the ready line says what applies.
    put(dir, '.mamori.yaml', 'admission:\n  defaults:\n    audit: catalog\n    warn: baseline:v1.30\n');
    const child = spawn(process.execPath, [BIN, 'admission', 'serve', '--port', String(port), '--host', '127.0.0.1', '--tls-cert', join(dir, 'tls.crt'), '--tls-key', join(dir, 'tls.key'), '--policy', 'authz-policy.yaml', '--authorizer', 'none', '--default-warn', 'restricted:v1.29'], {
      cwd: dir,
      env: { ...BASE_ENV, KUBERNETES_SERVICE_HOST: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 20_000;
      while (!log.includes('"listening"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(log).toContain('"listening"');
      const ca = readFileSync(join(dir, 'ca.crt'));
      const post = (body: string): Promise<{ status: number; body: string }> =>
        new Promise((resolve, reject) => {
          const req = https.request(
            { host: '127.0.0.1', port, path: '/validate', method: 'POST', ca, servername: 'mamori-webhook.mamori-system.svc', headers: { 'content-type': 'application/json' } },
            (res) => {
              let text = '';
              res.on('data', (c: Buffer) => (text += c.toString()));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
            },
          );
          req.on('error', reject);
          req.end(body);
        });
      const pod = readFileSync(join(ROOT, PRIVILEGED), 'utf8');
      const object = (await import('js-yaml')).default.load(pod) as { metadata: { name: string; namespace: string } };
      const review = {
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: {
          uid: 'e2e-1',
          kind: { group: '', version: 'v1', kind: 'Pod' },
          resource: { group: '', version: 'v1', resource: 'pods' },
          name: object.metadata.name,
          namespace: object.metadata.namespace,
          operation: 'CREATE',
          userInfo: { username: 'alice' },
          object,
          oldObject: null,
          dryRun: false,
        },
      };
      const denied = await post(JSON.stringify(review));
      expect(denied.status).toBe(200);
      const answer = JSON.parse(denied.body) as { response: { uid: string; allowed: boolean; status: { code: number; message: string } } };
      expect(answer.response.uid).toBe('e2e-1');
      expect(answer.response.allowed).toBe(false);
      expect(answer.response.status.code).toBe(403);
      expect(answer.response.status.message).toContain('pods "privileged" is forbidden: violates PodSecurity "baseline:latest": privileged');
      expect((await post('{not json')).status).toBe(400);
      expect(log).toMatch(/"ready".*"authorizer":"none"/);
      expect(log).toMatch(/"ready".*"default_enforce":"baseline:latest","default_warn":"restricted:v1.29","default_audit":"catalog"/);
      const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'shop' } };
      const cm = JSON.parse((await post(JSON.stringify({ ...review, request: { ...review.request, uid: 'e2e-2', kind: { group: '', version: 'v1', kind: 'ConfigMap' }, resource: { group: '', version: 'v1', resource: 'configmaps' }, name: 'c', namespace: 'shop', object: configMap } }))).body) as { response: { allowed: boolean; status: { message: string } } };
      expect(cm.response.allowed).toBe(false);
      expect(cm.response.status.message).toContain("ValidatingAdmissionPolicy 'owners-only' with binding 'mamori.io/implicit-binding' denied request");
      expect(cm.response.status.message).toContain("denied request: failed expression: authorizer.group('')");
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 60_000);
});

describe('scan --policy', () => {
  const POLICY = `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: replica-limit
  annotations:
    mamori.io/severity: medium
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
      - apiGroups: ["apps"]
        apiVersions: ["v1"]
        operations: ["CREATE", "UPDATE"]
        resources: ["deployments"]
  validations:
    - expression: "object.spec.replicas <= 5"
      messageExpression: "'replicas must be at most 5, got ' + string(object.spec.replicas)"
`;
  const deployment = (replicas: number): string =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  replicas: ${replicas}\n  selector: { matchLabels: { app: web } }\n  template:\n    metadata: { labels: { app: web } }\n    spec:\n      containers:\n        - name: web\n          image: registry.example.com/web:1.0\n`;

  it('reports a ValidatingAdmissionPolicy as rule policy:<name>, with the API server\'s message', () => {
    const dir = tempDir();
    put(dir, 'policies/replicas.yaml', POLICY);
    put(dir, 'big.yaml', deployment(10));
    put(dir, 'small.yaml', deployment(2));
    const { run, report } = scanJson(['big.yaml', 'small.yaml', '--policy', 'policies', '--rules', 'policy:*'], { cwd: dir });
    expect(run.status).toBe(1);
    expect(report.findings.map((f) => [f.ruleId, f.severity, f.location.file, f.message])).toEqual([
      ['policy:replica-limit', 'medium', 'big.yaml', "ValidatingAdmissionPolicy 'replica-limit' with binding 'mamori.io/implicit-binding' denied request: replicas must be at most 5, got 10"],
    ]);
  });

  it('reads the policies named by `policies:` in .mamori.yaml, relative to it', () => {
    const dir = tempDir();
    put(dir, 'config/policies/replicas.yaml', POLICY);
    put(dir, 'config/mamori.yaml', 'policies: [policies/]\n');
    put(dir, 'big.yaml', deployment(10));
    const { run, report } = scanJson(['big.yaml', '-c', 'config/mamori.yaml', '--rules', 'pss-privileged,policy:replica-*'], { cwd: dir });
    expect(run.status).toBe(1);
    expect(report.findings.map((f) => f.ruleId)).toEqual(['policy:replica-limit']);
    // The configuration may set a policy's severity, and --skip-rules drops it.
    put(dir, 'config/mamori.yaml', 'policies: [policies/]\nrules:\n  "policy:replica-limit": {severity: critical}\n');
    expect(scanJson(['big.yaml', '-c', 'config/mamori.yaml', '--rules', 'policy:*'], { cwd: dir }).report.findings.map((f) => f.severity)).toEqual(['critical']);
    const skipped = scanJson(['big.yaml', '-c', 'config/mamori.yaml', '--skip-rules', 'policy:*'], { cwd: dir }).report;
    expect(skipped.findings.length).toBeGreaterThan(0);
    expect(skipped.findings.filter((f) => f.ruleId.startsWith('policy:'))).toEqual([]);
  });

  it('a policy whose expression does not compile is an error naming its file and field (exit 2)', () => {
    const dir = tempDir();
    put(dir, 'bad.yaml', POLICY.replace('object.spec.replicas <= 5', 'object.spec.replicas <= '));
    put(dir, 'app.yaml', deployment(2));
    const { run, report } = scanJson(['app.yaml', '--policy', 'bad.yaml', '--rules', 'pss-privileged'], { cwd: dir });
    expect(run.status).toBe(2);
    const error = report.errors.find((e) => e.code === 'policy');
    expect(error?.file).toBe('bad.yaml');
    expect(error?.message).toContain('spec.validations[0].expression');
  });
});

describe('mamori policy test', () => {
  it('runs the example suites (all pass, exit 0) and fails on a wrong expectation (exit 1)', () => {
    const ok = mamori(['policy', 'test', 'examples/policies']);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/4 suites, \d+ tests: \d+ passed, 0 failed/);
    const dir = tempDir();
    for (const file of ['policy.yaml', 'resources.yaml', 'mamori-test.yaml']) {
      put(dir, file, readFileSync(join(ROOT, 'examples', 'policies', 'required-labels', file), 'utf8'));
    }
    const suite = readFileSync(join(dir, 'mamori-test.yaml'), 'utf8');
    const flipped = suite.replace(/expect: deny/, 'expect: admit');
    expect(flipped).not.toBe(suite);
    put(dir, 'mamori-test.yaml', flipped);
    const failed = mamori(['policy', 'test', dir]);
    expect(failed.status).toBe(1);
    expect(failed.stdout).toContain('FAIL');
    put(dir, 'mamori-test.yaml', `${suite}\nbogus: 1\n`);
    expect(mamori(['policy', 'test', dir]).status).toBe(2);
  });
});

describe('mamori policy export', () => {
  it('writes the Pod Security checks as policies that flag exactly what the pss-* rules flag', () => {
    const dir = tempDir();
    const written = mamori(['policy', 'export', '--pss', 'baseline:latest', '-o', join(dir, 'pss.yaml')]);
    expect(written.status).toBe(0);
    expect(written.stderr).toMatch(/^mamori: wrote (\d+) ValidatingAdmissionPolicies and (\d+) bindings to /);
    const [, policies, bindings] = /wrote (\d+) ValidatingAdmissionPolicies and (\d+) bindings/.exec(written.stderr) ?? [];
    expect(Number(bindings)).toBe(2 * Number(policies));
    const objects = yaml.loadAll(readFileSync(join(dir, 'pss.yaml'), 'utf8')) as { kind: string; metadata: { name: string } }[];
    expect(objects.filter((o) => o.kind === 'ValidatingAdmissionPolicy')).toHaveLength(Number(policies));
    // Same YAML on stdout without -o.
    expect(mamori(['policy', 'export', '--pss', 'baseline:latest']).stdout).toBe(readFileSync(join(dir, 'pss.yaml'), 'utf8'));

    const pairs = (report: Report, rule: (id: string) => string | undefined): string[] =>
      [...new Set(report.findings.flatMap((f) => {
        const id = rule(f.ruleId);
        return id === undefined ? [] : [`${f.object.kind}/${f.object.name} ${id}`];
      }))].sort();
    const catalog = scanJson(['examples/', '--pss', 'baseline', '--rules', 'pss-*']).report;
    const exported = scanJson(['examples/', '--pss', 'baseline', '--rules', 'policy:*', '--policy', join(dir, 'pss.yaml')]).report;
    const expected = pairs(catalog, (id) => id);
    expect(expected.length).toBeGreaterThan(0);
    expect(pairs(exported, (id) => /^policy:mamori-pss-baseline-(.+)$/.exec(id)?.[1]).map((p) => p.replace(/ (.+)$/, ' pss-$1'))).toEqual(expected);
  });

  it('refuses an unknown level with exit 2', () => {
    const run = mamori(['policy', 'export', '--pss', 'strict']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('strict');
  });
});

