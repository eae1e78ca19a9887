/**
 * kube-bench parity of the control-plane rules' "CIS literal" engine (specs/control-plane.md §2, §7),
 * against upstream data read in place from MAMORI_FIXTURES/kube-bench:
 * - `compareOp`: the 70 comparison cases of check/test_test.go;
 * - `testExecute` / `testExecuteExceptions`: the checks of check/data evaluated on the recorded audit
 *   outputs, directly and, where the output is a command line, through a static pod built from it
 *   (mamori's flag map must agree);
 * - the audit/config/env precedence checks of check/data groups 2.1 and 3.1;
 * - mamori's CIS 1.12 catalogue equals cfg/cis-1.12/*.yaml;
 * - every CIS id a rule's `frameworks` names is a check of cfg/cis-1.12.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { CIS_1_12 } from '../src/k8s/control-plane/cis.js';
import { compareOp, executeTests, type AuditOutputs, type CisTestItem, type CisTests } from '../src/k8s/control-plane/compare.js';
import { controlPlaneContainers, flagList, flagValue, isListFlag, type ComponentFlags } from '../src/k8s/control-plane/flags.js';
import { isObject } from '../src/k8s/object.js';
import { RULES } from '../src/rules/index.js';
import type { JsonObject } from '../src/types.js';

const root = process.env['MAMORI_FIXTURES'];
const suite = root === undefined ? describe.skip : describe;
const title = (name: string): string =>
  root === undefined ? `${name} (skipped: set MAMORI_FIXTURES=../shared/external-fixtures to run it)` : name;
const base = join(root ?? '.', 'kube-bench');
// The suites' cases come from the fixture files: without them each suite is skipped (its title says why) before reading any.

interface CompareCase {
  label: string;
  op: string;
  flagVal: string;
  compareValue: string;
  expectedResultPattern: string;
  flagName: string;
  testResult: boolean;
}
interface ExecuteCase {
  groupIndex: number;
  checkIndex: number;
  auditOutput?: string;
  auditConfigOutput: string;
  auditEnvOutput?: string;
  expectedPass: boolean;
  expectedResultText?: string;
}
interface Expectations {
  compareOp: CompareCase[];
  testExecute: ExecuteCase[];
  testExecuteExceptions: ExecuteCase[];
}
interface RawItem {
  flag?: unknown;
  path?: unknown;
  env?: unknown;
  set?: unknown;
  compare?: { op?: unknown; value?: unknown };
}
interface RawCheck {
  id: unknown;
  text: string;
  audit?: string;
  audit_config?: string;
  audit_env?: string;
  type?: string;
  scored?: boolean;
  use_multiple_values?: boolean;
  tests?: { bin_op?: string; test_items?: RawItem[] };
}
interface RawControls {
  groups: { id: unknown; checks: RawCheck[] }[];
}

/** kube-bench unmarshals scalars of test items into strings (`value: false` → "false"). */
function toTests(raw: RawCheck['tests']): CisTests {
  const items = (raw?.test_items ?? []).map((t): CisTestItem => {
    const item: CisTestItem = {};
    if (t.flag !== undefined) item.flag = String(t.flag);
    if (t.path !== undefined) item.path = String(t.path);
    if (t.env !== undefined) item.env = String(t.env);
    if (t.set !== undefined) item.set = t.set === true;
    if (t.compare !== undefined) item.compare = { op: String(t.compare.op ?? ''), value: String(t.compare.value ?? '') };
    return item;
  });
  return raw?.bin_op === undefined ? { test_items: items } : { bin_op: raw.bin_op, test_items: items };
}

/** kube-bench's `unmarshal`: JSON first, then YAML; a failure makes path items fail. */
function parseConfig(text: string): NonNullable<AuditOutputs['config']> {
  const trimmed = text.replace(/[ \n]+$/, '');
  try {
    return { value: JSON.parse(trimmed) as unknown };
  } catch {
    try {
      return { value: yaml.load(trimmed) };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  }
}

function outputsFor(check: RawCheck, audit: string, config: string, env: string): AuditOutputs {
  const outputs: AuditOutputs = { audit, env };
  // kube-bench consults the config output only when the check defines an audit_config command.
  if (check.audit_config !== undefined && check.audit_config !== '') outputs.config = parseConfig(config);
  return outputs;
}

const BINARIES = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'] as const;

/** A kubeadm-style static pod running the command line of a `ps` output (its tokens from the first flag on). */
function staticPodFrom(auditOutput: string, envOutput: string): JsonObject {
  const tokens = auditOutput.split(/\s+/).filter((t) => t !== '');
  const first = tokens.findIndex((t) => t.startsWith('-'));
  const binary = BINARIES.find((b) => tokens.some((t) => t === b || t.endsWith(`/${b}`))) ?? 'kube-apiserver';
  const env = envOutput
    .split('\n')
    .filter((l) => l.includes('='))
    .map((l) => ({ name: l.slice(0, l.indexOf('=')), value: l.slice(l.indexOf('=') + 1) }));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `${binary}-cp-1`, namespace: 'kube-system' },
    spec: {
      hostNetwork: true,
      containers: [{ name: binary, image: `registry.k8s.io/${binary}:v1.33.2`, command: [binary, ...(first < 0 ? [] : tokens.slice(first))], env }],
    },
  };
}

function flagsOf(pod: JsonObject): ComponentFlags {
  const spec = pod['spec'];
  if (!isObject(spec)) throw new Error('no spec');
  const found = controlPlaneContainers(pod, spec, ['spec'])[0];
  if (found === undefined) throw new Error('no control-plane container recognised');
  return found;
}

/**
 * The check evaluated on mamori's effective flag map instead of the command line: a flag is found
 * when the map has it (last occurrence wins), and has/nothave on list flags compare whole elements.
 */
function executeOnFlags(tests: CisTests, flags: ComponentFlags): boolean {
  const results = tests.test_items.map((item) => {
    const name = item.flag ?? '';
    const occurrence = flagValue(flags, name);
    const found = occurrence !== undefined;
    if (!(item.set ?? true)) return !found;
    const op = item.compare?.op ?? '';
    if (!found || op === '') return found;
    const want = item.compare?.value ?? '';
    if (isListFlag(name) && (op === 'has' || op === 'nothave')) {
      const has = flagList(flags, name).some((e) => e.element === want);
      return op === 'has' ? has : !has;
    }
    return compareOp(op, occurrence.value, want, name).pass;
  });
  return tests.bin_op === 'or' ? results.some(Boolean) : results.every(Boolean);
}

suite(title('kube-bench: compareOp semantics'), () => {
  if (root === undefined) return;
  const expectations = JSON.parse(readFileSync(join(base, 'expectations.derived.json'), 'utf8')) as Expectations;
  it('has the 70 upstream cases', () => {
    expect(expectations.compareOp).toHaveLength(70);
  });
  it.each(expectations.compareOp.map((c) => [c.label, c] as const))('%s', (_label, c) => {
    const result = compareOp(c.op, c.flagVal, c.compareValue, c.flagName);
    expect(result.pass).toBe(c.testResult);
    expect(result.expected).toBe(c.expectedResultPattern);
  });
});

suite(title('kube-bench: check/data test execution'), () => {
  if (root === undefined) return;
  const expectations = JSON.parse(readFileSync(join(base, 'expectations.derived.json'), 'utf8')) as Expectations;
  const controls = yaml.load(readFileSync(join(base, 'check', 'data'), 'utf8')) as RawControls;
  const checkAt = (group: number, index: number): RawCheck => {
    const check = controls.groups[group]?.checks[index];
    if (check === undefined) throw new Error(`check/data has no check ${group}/${index}`);
    return check;
  };

  describe('testExecute (must pass with the expected text)', () => {
    it.each(expectations.testExecute.map((c, i) => [`${i}: check ${c.checkIndex}`, c] as const))('%s', (_name, c) => {
      const check = checkAt(c.groupIndex, c.checkIndex);
      const result = executeTests(toTests(check.tests), outputsFor(check, c.auditOutput ?? '', c.auditConfigOutput, c.auditEnvOutput ?? ''));
      expect(result.pass).toBe(c.expectedPass);
      expect(result.expected).toBe(c.expectedResultText);
    });
  });

  describe('testExecute through a static pod built from the audit output', () => {
    // Applies where the audit output is a process command line whose items are `--flags`. Not
    // applicable: checks 8 and 9 (`permissions=...` is stat output, not a command line), 14 (`some-arg:
    // some-val` is a config-file style token), 15–22 and 26 (config-file paths: covered above and by the
    // KubeletConfiguration rules), and checks 29–33 in effective mode (their variables are not etcd's
    // ETCD_* ones, the only variables a component reads as flags).
    const applicable = expectations.testExecute.filter((c) => {
      const check = checkAt(c.groupIndex, c.checkIndex);
      const items = toTests(check.tests).test_items;
      return (c.auditOutput ?? '') !== '' && items.every((i) => i.flag?.startsWith('--') === true && i.path === undefined);
    });
    it('covers the command-line cases', () => {
      expect(applicable.length).toBeGreaterThanOrEqual(20);
    });
    it.each(applicable.map((c, i) => [`${i}: check ${c.checkIndex}: ${c.auditOutput ?? ''}`, c] as const))('%s', (_name, c) => {
      const check = checkAt(c.groupIndex, c.checkIndex);
      const tests = toTests(check.tests);
      const flags = flagsOf(staticPodFrom(c.auditOutput ?? '', c.auditEnvOutput ?? ''));
      // Literal mode on the pod's command line and environment gives kube-bench's verdict and text.
      const literal = executeTests(tests, { audit: flags.commandLine, env: flags.envOutput });
      expect(literal.pass).toBe(c.expectedPass);
      expect(literal.expected).toBe(c.expectedResultText);
      // Effective mode (flag map) agrees wherever the items read flags.
      const env = tests.test_items.some((i) => i.env !== undefined && flagValue(flags, i.flag ?? '') === undefined);
      if (!env) expect(executeOnFlags(tests, flags)).toBe(c.expectedPass);
    });
  });

  describe('testExecuteExceptions (must fail, not error)', () => {
    it.each(expectations.testExecuteExceptions.map((c, i) => [`${i}: check ${c.checkIndex}: ${c.auditConfigOutput}`, c] as const))('%s', (_name, c) => {
      const check = checkAt(c.groupIndex, c.checkIndex);
      const result = executeTests(toTests(check.tests), outputsFor(check, c.auditOutput ?? '', c.auditConfigOutput, c.auditEnvOutput ?? ''));
      expect(result.pass).toBe(false);
    });
  });

  describe('audit, audit_config and audit_env precedence (groups 2.1 and 3.1)', () => {
    /** The output of the simple `echo` / `printf` audit commands of check/data. */
    const run = (command: string | undefined): string => {
      if (command === undefined) return '';
      const m = /^(?:echo|printf)\s+(?:'([^']*)'|(.*))$/.exec(command.trim());
      return (m?.[1] ?? m?.[2] ?? '').replace(/\\n/g, '\n');
    };
    const cases = controls.groups.slice(1).flatMap((g) =>
      g.checks
        // use_multiple_values applies to file-permission audits (one line per file), not evaluated offline.
        .filter((c) => c.use_multiple_values !== true)
        .map((c) => [`${String(g.id)}.${String(c.id)}: ${c.text}`, c] as const),
    );
    it.each(cases)('%s', (text, check) => {
      // Texts end in "-> pass" / "-> fail", or "- passing" / "- failing" (2.1.13–16).
      const expected = /(-> pass|- passing)$/.test(text);
      const outputs: AuditOutputs = { audit: run(check.audit), env: run(check.audit_env) };
      if (check.audit_config !== undefined) outputs.config = parseConfig(run(check.audit_config));
      expect(executeTests(toTests(check.tests), outputs).pass).toBe(expected);
    });
  });
});

suite(title('CIS 1.12 catalogue equals cfg/cis-1.12'), () => {
  if (root === undefined) return;
  const byId = new Map<string, RawCheck>();
  for (const file of ['master.yaml', 'etcd.yaml', 'controlplane.yaml', 'node.yaml']) {
    const controls = yaml.load(readFileSync(join(base, 'cfg', 'cis-1.12', file), 'utf8')) as RawControls;
    for (const g of controls.groups) for (const c of g.checks) byId.set(String(c.id), c);
  }
  it.each(Object.entries(CIS_1_12))('%s', (id, check) => {
    const upstream = byId.get(id);
    expect(upstream).toBeDefined();
    if (upstream === undefined) return;
    expect(check.text).toBe(upstream.text.replace(/\s+/g, ' '));
    expect(check.scored).toBe(upstream.scored === true);
    expect(check.config).toBe(upstream.audit_config !== undefined);
    expect(check.tests).toEqual(toTests(upstream.tests));
  });
});

suite(title('rules name CIS 1.12 checks that exist'), () => {
  if (root === undefined) return;
  const ids = new Set<string>();
  for (const file of ['master.yaml', 'etcd.yaml', 'controlplane.yaml', 'node.yaml', 'policies.yaml']) {
    const controls = yaml.load(readFileSync(join(base, 'cfg', 'cis-1.12', file), 'utf8')) as RawControls;
    for (const g of controls.groups) for (const c of g.checks) ids.add(String(c.id));
  }
  it.each(RULES.filter((r) => (r.frameworks?.cis ?? []).length > 0).map((r) => [r.id, r.frameworks?.cis ?? []] as const))('%s', (_id, cis) => {
    expect(cis.filter((id) => !ids.has(id))).toEqual([]);
  });
});
