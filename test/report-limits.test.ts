import { describe, expect, it } from 'vitest';
import { applyBaseline } from '../src/engine/baseline.js';
import { fixSources } from '../src/fix/apply.js';
import { defineRule } from '../src/engine/rule.js';
import { MAX_ERRORS, MAX_WAITING_PER_OBJECT, scanObjects, scanTexts } from '../src/engine/scan.js';
import { RULES } from '../src/rules/index.js';
import { writeText } from '../src/report/text.js';
import type { JsonObject } from '../src/types.js';

// The report's limits keep memory bounded on hostile input: a file of hundreds of thousands of
// tiny pods, or a few pods of 100,000 containers each, made the scan run out of memory and abort.

/** A pod with `n` containers, each with findings of several rules (no tag, no resources, ...). */
function widePod(name: string, n: number): JsonObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'shop' }, spec: { containers: Array.from({ length: n }, (_, i) => ({ name: `c${i}`, image: 'x' })) } };
}

/** Rules whose findings are decided on the object alone (none waits for the whole input). */
const CONTAINER_RULES = RULES.filter((r) => r.target === 'container');

describe('the most findings a report lists', () => {
  it('lists the first findings, counts the others in the summary, and says so in an error', () => {
    const pods = [widePod('a', 30), widePod('b', 30)];
    const full = scanObjects(pods, { rules: CONTAINER_RULES });
    const capped = scanObjects(pods, { rules: CONTAINER_RULES, maxFindings: 50 });
    expect(full.findings.length).toBeGreaterThan(100);
    expect(full.errors).toEqual([]);
    expect(capped.findings).toHaveLength(50);
    // The summary counts every finding, listed or not.
    expect(capped.summary).toEqual(full.summary);
    // Each listed finding is one of the full report's.
    const key = (f: (typeof full.findings)[number]): string => JSON.stringify([f.ruleId, f.object, f.path, f.message]);
    const keys = new Set(full.findings.map(key));
    expect(capped.findings.every((f) => keys.has(key(f)))).toBe(true);
    const unlisted = full.findings.length - capped.findings.length;
    expect(capped.errors).toContainEqual({ file: '', message: `${unlisted.toLocaleString('en-US')} findings past the limit of 50 are not listed (the summary counts them); scan fewer files at a time`, code: 'too-many-findings' });
    // The text report's last line counts them all and says how many are listed.
    const text = writeText(capped, { color: false });
    expect(text).toContain(`${full.findings.length} findings (`);
    expect(text).toContain('; 50 listed) in 1 object;');
  });

  it('decides every finding that waits for the whole input, listed or counted', () => {
    // memory-limit waits for the whole input once per container (a LimitRange of the namespace
    // may set a default limit); most such findings are dropped at the end, so they are not capped
    // while they wait, only once decided.
    const pods = [widePod('a', 40)];
    const rules = RULES.filter((r) => r.id === 'memory-limit');
    const full = scanObjects(pods, { rules });
    expect(full.findings).toHaveLength(40);
    const capped = scanObjects(pods, { rules, maxFindings: 25 });
    expect(capped.findings).toHaveLength(25);
    expect(capped.summary).toEqual(full.summary);
    expect(capped.errors).toEqual([{ file: '', message: '15 findings past the limit of 25 are not listed (the summary counts them); scan fewer files at a time', code: 'too-many-findings' }]);
  });

  it('decides at most MAX_WAITING_PER_OBJECT waiting findings of one rule on one object, and says how many were not', () => {
    expect(MAX_WAITING_PER_OBJECT).toBe(10_000);
    const rules = RULES.filter((r) => r.id === 'memory-limit');
    const report = scanObjects([widePod('a', 10_003)], { rules });
    expect(report.findings).toHaveLength(10_000);
    expect(report.errors).toEqual([{ file: '', message: '3 findings that depend on other objects were not decided: an object had more than 10,000 of one rule', code: 'too-many-findings' }]);
  });

  it('lists the too-many-findings error even when the errors are past their own limit', () => {
    const broken = { file: 'broken.yaml', text: '---\nfoo: 1\n'.repeat(1_000) };
    const files = [...Array.from({ length: 101 }, (_, i) => ({ ...broken, file: `b${i}.yaml` })), { file: 'pods.yaml', text: JSON.stringify(widePod('a', 30)) }];
    const report = scanTexts(files, { rules: CONTAINER_RULES, maxFindings: 10 });
    expect(report.errors.filter((e) => e.file === '').map((e) => e.code)).toEqual(['too-many-errors', 'too-many-findings']);
  });

  it('limits suppressed findings the same way', () => {
    const pod = widePod('a', 30);
    (pod['metadata'] as JsonObject)['annotations'] = { 'mamori.io/ignore.image-latest-tag': 'pinned by the platform' };
    const rules = RULES.filter((r) => r.id === 'image-latest-tag');
    const full = scanObjects([pod], { rules });
    expect(full.suppressed).toHaveLength(30);
    const capped = scanObjects([pod], { rules, maxFindings: 10 });
    expect(capped.suppressed).toHaveLength(10);
    expect(capped.errors).toEqual([{ file: '', message: '20 suppressed findings past the limit of 10 are not listed (the summary counts them); scan fewer files at a time', code: 'too-many-findings' }]);
  });

  it('keeps counting findings a baseline cannot match because they were not listed', () => {
    const pods = [widePod('a', 30)];
    const capped = scanObjects(pods, { rules: RULES, maxFindings: 20 });
    const baseline = applyBaseline(capped, { file: 'baseline.json', version: 3, entries: new Map(), size: 0, narrowable: new Map(), widened: new Map() });
    expect(baseline.summary).toEqual(capped.summary);
  });

  it('lists at most a number of findings per rule and severity when asked (the admission webhook)', () => {
    const pods = [widePod('a', 30)];
    const full = scanObjects(pods, { rules: RULES });
    const capped = scanObjects(pods, { rules: RULES, maxFindingsPerRule: 5 });
    const count = (findings: readonly { ruleId: string; severity: string }[]): Map<string, number> => {
      const out = new Map<string, number>();
      for (const f of findings) out.set(`${f.ruleId} ${f.severity}`, (out.get(`${f.ruleId} ${f.severity}`) ?? 0) + 1);
      return out;
    };
    const expected = new Map([...count(full.findings)].map(([k, n]) => [k, Math.min(n, 5)]));
    expect(count(capped.findings)).toEqual(expected);
    expect(capped.summary).toEqual(full.summary);
    // No error: the webhook's answer counts the rest.
    expect(capped.errors).toEqual([]);
  });
});

describe('the most errors a report lists', () => {
  it('lists 1,000 errors per file and MAX_ERRORS in all, and counts the rest', () => {
    expect(MAX_ERRORS).toBe(100_000);
    const text = '---\nfoo: 1\n'.repeat(1_001);
    const files = Array.from({ length: 101 }, (_, i) => ({ file: `f${String(i).padStart(3, '0')}.yaml`, text }));
    const report = scanTexts(files, { rules: [] });
    // Each file: 1,000 errors and the count of its last one; 101 files: 101,101 entries, of which
    // 100,000 are listed and 1,101 counted.
    expect(report.errors).toHaveLength(100_001);
    expect(report.errors.filter((e) => e.code === 'too-many-errors' && e.file === '')).toEqual([
      { file: '', message: '1,101 more errors are not listed (at most 100,000 are listed)', code: 'too-many-errors' },
    ]);
    expect(report.errors.find((e) => e.file === 'f000.yaml' && e.code === 'too-many-errors')).toEqual({
      file: 'f000.yaml',
      message: '1 more error in this file is not listed (at most 1,000 are listed per file)',
      code: 'too-many-errors',
    });
  });
});

describe('objects kept for the inventory', () => {
  it('keeps only the objects of a context kind that the rule\'s keep accepts', () => {
    const seen: string[] = [];
    const rule = defineRule({
      id: 'test-keep',
      title: 'test',
      severity: 'low',
      target: 'inventory',
      context: ['ConfigMap'],
      keep: (object) => (object['metadata'] as JsonObject)['name'] !== 'skip',
      controls: ['DEV-1'],
      description: 'test',
      remediation: 'test',
      *check({ inventory }) {
        for (const o of inventory.byKind('ConfigMap')) seen.push(o.ref.name);
      },
    });
    const cm = (name: string): JsonObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'shop' } });
    scanObjects([cm('a'), cm('skip'), cm('b')], { rules: [rule] });
    expect(seen).toEqual(['a', 'b']);
    // Another rule reading every ConfigMap keeps them all.
    seen.length = 0;
    const all = { ...rule, id: 'test-all', keep: undefined, check: function* () {} };
    scanObjects([cm('a'), cm('skip'), cm('b')], { rules: [rule, all] });
    expect(seen).toEqual(['a', 'skip', 'b']);
  });
});

describe('mamori fix past the limit', () => {
  it('says which fixes were not tried because their findings were not listed', () => {
    // 30 pods, each with one fixable finding of pss-allow-privilege-escalation; 10 listed.
    const text = Array.from({ length: 30 }, (_, i) => `apiVersion: v1\nkind: Pod\nmetadata: {name: p${String(i).padStart(2, '0')}, namespace: shop}\nspec:\n  containers: [{name: c, image: x}]\n`).join('---\n');
    const rules = RULES.filter((r) => r.id === 'pss-allow-privilege-escalation');
    const run = fixSources([{ file: 'pods.yaml', text }], { rules, maxFindings: 10 });
    // Each round fixes the 10 findings it lists: 5 rounds fix 50, so all 30 are fixed.
    expect(run.failed).toEqual([]);
    expect(run.files[0]?.after.match(/allowPrivilegeEscalation: false/g)).toHaveLength(30);
    // With one round's worth of listed findings per round and more pods than rounds can reach,
    // those never listed say so.
    const many = Array.from({ length: 80 }, (_, i) => `apiVersion: v1\nkind: Pod\nmetadata: {name: p${String(i).padStart(2, '0')}, namespace: shop}\nspec:\n  containers: [{name: c, image: x}]\n`).join('---\n');
    const capped = fixSources([{ file: 'pods.yaml', text: many }], { rules, maxFindings: 10 });
    expect(capped.files[0]?.after.match(/allowPrivilegeEscalation: false/g)).toHaveLength(50);
    expect(capped.failed).toHaveLength(10);
    expect(new Set(capped.failed.map((f) => f.reason))).toEqual(new Set(['not tried: the scan found more findings than it lists (see the errors); fix fewer files at a time']));
  });
});
