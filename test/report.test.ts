/**
 * Golden tests of the writers: the report of a fixed input, rendered in every format, must equal
 * the reviewed file under test/golden/. Set UPDATE_GOLDEN=1 to rewrite them after a deliberate change.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { summarize } from '../src/engine/report.js';
import { scanTexts } from '../src/engine/scan.js';
import { WRITERS, type Format } from '../src/report/index.js';
import { RULES } from '../src/rules/index.js';
import type { Finding } from '../src/types.js';

const input = 'test/golden/input.yaml';
const report = scanTexts([{ file: input, text: readFileSync(input, 'utf8') }], {
  rules: RULES.filter((r) => r.id.startsWith('pss-')),
  pss: 'restricted:latest',
});

function golden(name: string, actual: string): void {
  const path = `test/golden/${name}`;
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(path, actual);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

const cases: [string, Format, boolean][] = [
  ['report.txt', 'text', false],
  ['report.color.txt', 'text', true],
  ['report.json', 'json', false],
];

describe('writers', () => {
  it.each(cases)('%s', (name, format, color) => {
    golden(name, WRITERS[format](report, { color }));
  });

  it('text without colour has no escape sequences', () => {
    expect(WRITERS.text(report, { color: false, rules: [], cwd: process.cwd(), now: new Date(0) })).not.toMatch(/\u001b/);
  });

  it('neutralises control characters taken from input', () => {
    const hostile = scanTexts(
      [{ file: 'evil.yaml', text: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: "x\\u001b[31my"\nspec:\n  containers:\n    - name: "c\\u001b]0;pwned\\u0007"\n      image: a\n      securityContext: { privileged: true }\n' }],
      { rules: RULES, pss: 'baseline:latest' },
    );
    const text = WRITERS.text(hostile, { color: false, rules: [], cwd: process.cwd(), now: new Date(0) });
    expect(hostile.findings.length).toBeGreaterThan(0);
    expect(text).not.toMatch(/\u001b/);
    expect(text).toContain('\\x1b');
  });

  it('shows Unicode bidirectional controls and line separators from input as escapes', () => {
    // U+202E would display "exe.txt" as "txt.exe"; U+2028 breaks a line in some viewers.
    const hostile = scanTexts(
      [{ file: 'evil.yaml', text: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: "safe\u202etxt.exe"\nspec:\n  containers:\n    - name: "c\u2028d\u2066"\n      image: a\n      securityContext: { privileged: true }\n' }],
      { rules: RULES.filter((r) => r.id === 'pss-privileged'), pss: 'baseline:latest' },
    );
    const text = WRITERS.text(hostile, { color: false, rules: [], cwd: process.cwd(), now: new Date(0) });
    expect(text).not.toMatch(/[\u202e\u2028\u2066]/);
    expect(text).toContain('Pod safe\\u202etxt.exe');
    expect(text).toContain('container "c\\u2028d\\u2066" must not set');
  });

  it('keeps text from input on its line: line breaks and tabs cannot start a CI log command', () => {
    const pod = [
      'apiVersion: v1',
      'kind: Pod',
      'metadata:',
      '  name: "p\\n::error file=x.yaml,line=1::fake"',
      '  namespace: "ns\\r##vso[task.setvariable variable=x]1"',
      'spec:',
      '  containers:',
      '    - name: "c\\t\\n::warning::injected"',
      '      image: a',
      '      securityContext: { privileged: true }',
    ].join('\n');
    const hostile = scanTexts([{ file: 'evil\n::notice::file.yaml', text: pod }], { rules: RULES.filter((r) => r.id === 'pss-privileged'), pss: 'baseline:latest' });
    const [finding] = hostile.findings as [Finding];
    // A custom policy's rule id is its name, from a file too; a suppression's reason from the configuration.
    const custom: Finding = { ...finding, ruleId: 'policy:bad\n::error::rule' };
    const report = { ...hostile, findings: [finding, custom], summary: summarize([finding, custom]), suppressed: [{ ...finding, suppressedBy: 'exception' as const, reason: 'why\n::error::reason' }] };
    const text = WRITERS.text(report, { color: false, rules: [], cwd: process.cwd(), now: new Date(0) });
    expect(text.split('\n')).toEqual([
      'Pod ns\\x0d##vso[task.setvariable variable=x]1/p\\x0a::error file=x.yaml,line=1::fake',
      '  evil\\x0a::notice::file.yaml:10:26  critical  pss-privileged               privileged (container "c\\x09\\x0a::warning::injected" must not set securityContext.privileged=true)',
      '  evil\\x0a::notice::file.yaml:10:26  critical  policy:bad\\x0a::error::rule  privileged (container "c\\x09\\x0a::warning::injected" must not set securityContext.privileged=true)',
      '',
      'Suppressed (accepted risks)',
      '  evil\\x0a::notice::file.yaml:10:26  pss-privileged  Pod ns\\x0d##vso[task.setvariable variable=x]1/p\\x0a::error file=x.yaml,line=1::fake: why\\x0a::error::reason (exception)',
      '',
      '2 findings (2 critical) in 1 object; 1 suppressed; scanned 1 object in 1 file. Pod Security: baseline:latest.',
      '',
    ]);
  });
});

describe('JSON in pieces', () => {
  it('joins to exactly JSON.stringify of the report, for empty and full reports', async () => {
    const { writeJsonChunks } = await import('../src/report/json.js');
    const empty = scanTexts([], { rules: RULES });
    for (const r of [report, empty]) expect([...writeJsonChunks(r)].join('')).toBe(`${JSON.stringify(r, null, 2)}\n`);
  });

  it('is exactly JSON.stringify on a full scan of the insecure example with every rule', async () => {
    const { writeJsonChunks } = await import('../src/report/json.js');
    const { scanPaths } = await import('../src/engine/scan.js');
    const full = scanPaths(['examples/insecure'], { rules: RULES });
    expect(full.findings.length).toBeGreaterThan(50);
    expect(full.findings.some((f) => f.paths !== undefined)).toBe(true);
    expect([...writeJsonChunks(full)].join('')).toBe(`${JSON.stringify(full, null, 2)}\n`);
    // A finding whose fields are not in the engine's order still comes out as JSON.stringify has it.
    const reordered = { ...full, findings: full.findings.map(({ message, ...rest }) => ({ message, ...rest })) };
    expect([...writeJsonChunks(reordered)].join('')).toBe(`${JSON.stringify(reordered, null, 2)}\n`);
  });

  it('stays exact across batches of findings', async () => {
    const { writeJsonChunks } = await import('../src/report/json.js');
    const many = { ...report, findings: Array.from({ length: 1300 }, (_, i) => ({ ...report.findings[i % report.findings.length]!, message: `finding ${i}` })) };
    const pieces = [...writeJsonChunks(many)];
    expect(pieces.join('')).toBe(`${JSON.stringify(many, null, 2)}\n`);
    expect(pieces.length).toBeGreaterThan(3);
  });
});
