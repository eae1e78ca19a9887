/**
 * Pod Security Admission conformance through the whole pipeline: each upstream fixture file is
 * loaded by mamori's loader, evaluated by the engine with the pss rules at the fixture's level and
 * version, and the findings must give PSA's verdict and message, with a location in the file.
 * The same pod is also scanned as a Deployment and a CronJob manifest.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { scanTexts } from '../src/engine/scan.js';
import { RULES } from '../src/rules/index.js';
import { PSS_CHECK_ORDER, podSecurityViolation } from '../src/rules/pss/psa.js';
import type { JsonObject, PssLevel } from '../src/types.js';

const root = process.env['MAMORI_FIXTURES'];
const suite = root === undefined ? describe.skip : describe;
const PSS_RULES = RULES.filter((r) => r.id.startsWith('pss-'));
const order = (ruleId: string): number => {
  const check = PSS_RULES.find((r) => r.id === ruleId)?.frameworks?.pss?.[0]?.split(':')[1] ?? '';
  return PSS_CHECK_ORDER.indexOf(check as (typeof PSS_CHECK_ORDER)[number]);
};

interface Case {
  file: string;
  policy: string;
  verdict: 'pass' | 'fail';
  expect: string;
  text: string;
}

function cases(base: string): Case[] {
  const testdata = join(base, 'pod-security-admission', 'test', 'testdata');
  const map = JSON.parse(readFileSync(join(base, 'pod-security-admission', 'check-map.derived.json'), 'utf8')) as {
    checks: Record<string, { errorSubstring: string }>;
  };
  const out: Case[] = [];
  for (const level of ['baseline', 'restricted']) {
    for (const version of readdirSync(join(testdata, level))) {
      for (const verdict of ['pass', 'fail'] as const) {
        const dir = join(testdata, level, version, verdict);
        for (const name of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
          const prefix = name.replace(/\d*\.yaml$/, '');
          out.push({
            file: join(dir, name),
            policy: `${level}:${version}`,
            verdict,
            expect: map.checks[prefix]?.errorSubstring ?? '',
            text: readFileSync(join(dir, name), 'utf8'),
          });
        }
      }
    }
  }
  return out;
}

function asWorkloads(text: string): Record<string, string> {
  const pod = yaml.load(text) as { metadata?: unknown; spec?: unknown };
  const template = { metadata: pod.metadata ?? {}, spec: pod.spec ?? {} };
  return {
    Pod: text,
    Deployment: yaml.dump({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'test' }, spec: { template } }),
    CronJob: yaml.dump({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'test' },
      spec: { schedule: '0 * * * *', jobTemplate: { spec: { template } } },
    }),
  };
}

suite(root === undefined ? 'PSA conformance through the scanner (skipped: set MAMORI_FIXTURES=../shared/external-fixtures)' : 'PSA conformance through the scanner', () => {
  const all = root === undefined ? [] : cases(root);

  it('reads all 4,537 fixtures', () => {
    expect(all.length).toBe(4537);
  });

  it('gives Pod Security Admission verdicts and messages as Pod, Deployment and CronJob, located in the file', () => {
    const mismatches: string[] = [];
    for (const c of all) {
      for (const [kind, text] of Object.entries(asWorkloads(c.text))) {
        const report = scanTexts([{ file: c.file, text }], { rules: PSS_RULES, pss: c.policy });
        if (report.errors.length > 0) mismatches.push(`${c.file} as ${kind}: errors ${JSON.stringify(report.errors)}`);
        const findings = [...report.findings].sort((a, b) => order(a.ruleId) - order(b.ruleId));
        const message = `violates PodSecurity "${c.policy}": ${findings.map((f) => f.message).join(', ')}`;
        if (c.verdict === 'pass' && findings.length > 0) mismatches.push(`${c.file} as ${kind}: expected allowed, got ${message}`);
        if (c.verdict === 'fail') {
          if (findings.length === 0) mismatches.push(`${c.file} as ${kind}: expected denied, got no finding`);
          else if (!message.includes(c.expect) || message.includes('unknown forbidden reason')) {
            mismatches.push(`${c.file} as ${kind}: message lacks ${JSON.stringify(c.expect)}: ${message}`);
          }
        }
        const [level = '', version = ''] = c.policy.split(':');
        const library = podSecurityViolation(yaml.load(text) as JsonObject, { level: level as PssLevel, version });
        if ((library ?? '') !== (findings.length > 0 ? message : '')) mismatches.push(`${c.file} as ${kind}: scanner says ${message}, library says ${library}`);
        const lines = text.split('\n').length;
        for (const f of findings) {
          if (f.location === undefined || f.location.line < 1 || f.location.line > lines) mismatches.push(`${c.file} as ${kind}: ${f.ruleId} has no location in the file`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });
});
