import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { podSpecOf } from '../src/k8s/pod.js';
import { isObject } from '../src/k8s/object.js';
import { evaluatePodSecurity, formatPssResults } from '../src/rules/pss/psa.js';
import type { PssPodInput } from '../src/rules/pss/psa.js';
import type { JsonObject, PssLevel } from '../src/types.js';

// Upstream Pod Security Admission fixtures (specs/pss.md §7), read in place.
const root = process.env['MAMORI_FIXTURES'];
const suite = root === undefined ? describe.skip : describe;
const title =
  root === undefined
    ? 'PSA conformance (skipped: set MAMORI_FIXTURES=../shared/external-fixtures to run it)'
    : 'PSA conformance';

interface Fixture {
  level: PssLevel;
  minor: number;
  verdict: 'pass' | 'fail';
  file: string;
  prefix: string;
  pod: JsonObject;
}

function loadFixtures(base: string): Fixture[] {
  const testdata = join(base, 'pod-security-admission', 'test', 'testdata');
  const out: Fixture[] = [];
  for (const level of ['baseline', 'restricted'] as const) {
    for (const version of readdirSync(join(testdata, level))) {
      const minor = Number(/^v1\.(\d+)$/.exec(version)?.[1]);
      for (const verdict of ['pass', 'fail'] as const) {
        const dir = join(testdata, level, version, verdict);
        for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
          const pod = yaml.load(readFileSync(join(dir, file), 'utf8'));
          if (!isObject(pod)) throw new Error(`${dir}/${file} is not an object`);
          out.push({ level, minor, verdict, file: `${level}/${version}/${verdict}/${file}`, prefix: file.replace(/\d*\.yaml$/, ''), pod });
        }
      }
    }
  }
  return out;
}

/** The fixture's pod, as the pod itself and wrapped in the two kinds of template. */
function wrappings(pod: JsonObject): Record<string, JsonObject> {
  const template = { metadata: pod['metadata'] ?? {}, spec: pod['spec'] ?? {} };
  return {
    Pod: pod,
    Deployment: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'test' }, spec: { template } },
    CronJob: {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'test' },
      spec: { schedule: '* * * * *', jobTemplate: { spec: { template } } },
    },
  };
}

function inputOf(object: JsonObject): PssPodInput {
  const template = podSpecOf(object);
  if (template === undefined) throw new Error('no pod template');
  return { kind: String(object['kind']), metadata: template.metadata, spec: template.spec };
}

suite(title, () => {
  const base = root ?? '';
  const fixtures = root === undefined ? [] : loadFixtures(base);
  const checkMap = root === undefined ? {} : (JSON.parse(
    readFileSync(join(base, 'pod-security-admission', 'check-map.derived.json'), 'utf8'),
  ) as { checks: Record<string, { errorSubstring: string }> }).checks;

  /** Mismatches of one fixture evaluated as `kind` at `version` (optionally `latest` capped). */
  function judge(f: Fixture, kind: string, object: JsonObject, version: string, maxMinor?: number): string[] {
    const results = evaluatePodSecurity(inputOf(object), { level: f.level, version }, maxMinor);
    const where = `${f.file} as ${kind} at ${f.level}:${version}${maxMinor === undefined ? '' : ` (max v1.${maxMinor})`}`;
    if (f.verdict === 'pass') {
      return results.length === 0 ? [] : [`${where}: expected allowed, got ${formatPssResults(results)}`];
    }
    if (results.length === 0) return [`${where}: expected denied, got allowed`];
    const message = `violates PodSecurity "${f.level}:v1.${f.minor}": ${formatPssResults(results)}`;
    const expected = checkMap[f.prefix]?.errorSubstring;
    if (expected === undefined) return [`${where}: no errorSubstring for prefix ${f.prefix}`];
    const problems: string[] = [];
    if (!message.includes(expected)) problems.push(`${where}: "${message}" lacks "${expected}"`);
    if (message.includes('unknown forbidden reason')) problems.push(`${where}: "${message}" has an unknown reason`);
    return problems;
  }

  it('has every upstream fixture (4,537 files, all in check-map.derived.json)', () => {
    expect(fixtures.length).toBe(4537);
    const unknown = new Set(fixtures.map((f) => f.prefix).filter((p) => !p.startsWith('base') && checkMap[p] === undefined));
    expect([...unknown]).toEqual([]);
  });

  it('gives the fixture verdict for each pod at its own level and version', () => {
    const mismatches = fixtures.flatMap((f) => judge(f, 'Pod', f.pod, `v1.${f.minor}`));
    expect(mismatches).toEqual([]);
  });

  it('gives the same verdict for the pod as a Deployment and a CronJob template', () => {
    // No fixture relies on the hostNetwork hostPort defaulting (applied to kind Pod only):
    // the hostnamespaces fixtures set hostNetwork without ports, so templates agree with pods.
    const mismatches = fixtures.flatMap((f) =>
      Object.entries(wrappings(f.pod))
        .filter(([kind]) => kind !== 'Pod')
        .flatMap(([kind, object]) => judge(f, kind, object, `v1.${f.minor}`)),
    );
    expect(mismatches).toEqual([]);
  });

  it('resolves latest capped at the fixture version like that version', () => {
    const mismatches = fixtures.flatMap((f) => judge(f, 'Pod', f.pod, 'latest', f.minor));
    expect(mismatches).toEqual([]);
  });
});
