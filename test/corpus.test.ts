/**
 * The whole catalog over the real-world manifests of external-fixtures/manifests/ (argo-cd,
 * kube-prometheus, istio samples, ingress-nginx, microservices-demo, ...): the number of findings
 * per rule is pinned in test/golden/corpus-counts.json, so any change in behaviour shows up here and
 * is reviewed. After a deliberate change, rerun with UPDATE_GOLDEN=1 and review the diff.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanPaths } from '../src/engine/scan.js';
import { RULES } from '../src/rules/index.js';

const root = process.env['MAMORI_FIXTURES'];
const suite = root === undefined ? describe.skip : describe;
const GOLDEN = 'test/golden/corpus-counts.json';

suite(root === undefined ? 'real-world corpus (skipped: set MAMORI_FIXTURES=../shared/external-fixtures)' : 'real-world corpus', () => {
  it('gives the pinned number of findings per rule, and the pinned errors', () => {
    const report = scanPaths([join(root ?? '', 'manifests')], { rules: RULES });
    const byRule: Record<string, number> = {};
    for (const f of report.findings) byRule[f.ruleId] = (byRule[f.ruleId] ?? 0) + 1;
    const actual = {
      files: report.inputs.files,
      objects: report.inputs.objects,
      errors: Object.fromEntries(
        Object.entries(
          report.errors.reduce<Record<string, number>>((acc, e) => {
            acc[e.code] = (acc[e.code] ?? 0) + 1;
            return acc;
          }, {}),
        ).sort(),
      ),
      findings: report.findings.length,
      byRule: Object.fromEntries(Object.entries(byRule).sort(([a], [b]) => (a < b ? -1 : 1))),
    };
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(GOLDEN, `${JSON.stringify(actual, null, 2)}\n`);
    expect(actual).toEqual(JSON.parse(readFileSync(GOLDEN, 'utf8')) as unknown);
  });
});
