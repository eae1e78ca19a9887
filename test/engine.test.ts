/** The engine's loop: dispatch by target, paths and locations, order, and rules that throw. */
import { describe, expect, it } from 'vitest';
import { knownRules, parseConfig } from '../src/engine/config.js';
import { defineRule, type Rule } from '../src/engine/rule.js';
import { scanObjects, scanTexts } from '../src/engine/scan.js';
import { MamoriError } from '../src/errors.js';
import { asString, formatPath, PathTexts } from '../src/k8s/object.js';
import { RULES } from '../src/rules/index.js';

const manifest = [
  'apiVersion: batch/v1', //            1
  'kind: CronJob',
  'metadata: {name: nightly, namespace: ops}',
  'spec:',
  '  schedule: "0 1 * * *"', //         5
  '  jobTemplate:',
  '    spec:',
  '      template:',
  '        spec:',
  '          initContainers:', //       10
  '            - name: init',
  '              image: busybox',
  '          containers:',
  '            - name: main',
  '              image: app:1', //      15
  '---',
  'apiVersion: v1',
  'kind: ConfigMap',
  'metadata: {name: settings, namespace: ops}',
  '',
].join('\n');

const seen: string[] = [];
const objectRule = defineRule({
  id: 'test-object',
  title: 'Every object is visited',
  severity: 'info',
  target: 'object',
  controls: ['DEV-2'],
  description: 'A test rule that reports every object it is given, to check the dispatch.',
  remediation: 'Nothing to do.',
  *check({ object }) {
    seen.push(`object:${asString(object['kind'])}`);
    yield { path: ['metadata', 'name'], message: 'seen' };
  },
});
const podRule = defineRule({
  id: 'test-pod',
  title: 'Every pod spec is visited',
  severity: 'low',
  target: 'pod',
  controls: ['CMP-1'],
  description: 'A test rule that reports every pod spec it is given, to check the dispatch.',
  remediation: 'Nothing to do.',
  *check({ specPath, kind }) {
    seen.push(`pod:${kind}`);
    yield { path: [...specPath, 'containers'], message: 'pod' };
  },
});
const containerRule = defineRule({
  id: 'test-container',
  title: 'Every container is visited',
  severity: 'medium',
  target: 'container',
  controls: ['DIST-6'],
  description: 'A test rule that reports every container it is given, to check the dispatch.',
  remediation: 'Nothing to do.',
  *check({ name, path }) {
    seen.push(`container:${name}`);
    yield { path: [...path, 'image'], message: `container ${name}` };
  },
});
const inventoryRule = defineRule({
  id: 'test-inventory',
  title: 'The inventory sees everything',
  severity: 'high',
  target: 'inventory',
  controls: ['NET-1'],
  description: 'A test rule that reports the ConfigMaps of the inventory, to check cross-object rules.',
  remediation: 'Nothing to do.',
  *check({ inventory }) {
    for (const target of inventory.byKind('ConfigMap')) yield { target, path: ['kind'], message: `${inventory.objects.length} objects` };
  },
});
const throwing = defineRule({
  id: 'test-throws',
  title: 'A rule with a bug',
  severity: 'critical',
  target: 'pod',
  controls: ['CMP-1'],
  description: 'A test rule that throws, to check that a failing rule is reported, never passed.',
  remediation: 'Nothing to do.',
  // eslint-disable-next-line require-yield
  *check() {
    throw new Error('boom');
  },
});
const rules: Rule[] = [throwing, inventoryRule, containerRule, podRule, objectRule];

describe('engine', () => {
  const report = scanTexts([{ file: 'm.yaml', text: manifest }], { rules, pss: 'privileged' });

  it('visits each target once: objects, the pod spec of a CronJob, init and regular containers', () => {
    expect(seen).toEqual(['object:CronJob', 'pod:CronJob', 'container:init', 'container:main', 'object:ConfigMap']);
  });

  it('reports findings with paths and locations, in file, line, rule order', () => {
    expect(report.findings.map((f) => [f.ruleId, f.path, f.location?.line, f.location?.column])).toEqual([
      ['test-object', 'metadata.name', 3, 12],
      ['test-container', 'spec.jobTemplate.spec.template.spec.initContainers[0].image', 12, 15],
      ['test-pod', 'spec.jobTemplate.spec.template.spec.containers', 13, 11],
      ['test-container', 'spec.jobTemplate.spec.template.spec.containers[0].image', 15, 15],
      ['test-inventory', 'kind', 18, 1],
      ['test-object', 'metadata.name', 19, 12],
    ]);
    expect(report.findings[4]?.message).toBe('2 objects');
    expect(report.findings[0]).toMatchObject({ phase: 'develop', object: { kind: 'CronJob', namespace: 'ops', name: 'nightly' } });
    expect(report.findings[1]?.phase).toBe('distribute');
  });

  it('turns a rule that throws into an error that names it, never a pass', () => {
    expect(report.errors).toEqual([
      {
        file: 'm.yaml',
        line: 1,
        code: 'rule-error',
        message: 'rule test-throws failed on CronJob/nightly: boom; the object was not fully checked',
      },
    ]);
  });

  it('counts by severity, phase and control', () => {
    expect(report.summary).toEqual({
      total: 6,
      bySeverity: { high: 1, medium: 2, low: 1, info: 2 },
      byPhase: { develop: 2, distribute: 2, network: 1, 'runtime-compute': 1 },
      byControl: { 'CMP-1': 1, 'DEV-2': 2, 'DIST-6': 2, 'NET-1': 1 },
    });
  });

  it('applies the configuration: rules off, severity overrides', () => {
    const known = knownRules(rules);
    const config = parseConfig({ rules: { 'test-throws': 'off', 'test-object': { severity: 'critical' } } }, 'c.yaml', known);
    const configured = scanTexts([{ file: 'm.yaml', text: manifest }], { rules, config, pss: 'privileged' });
    expect(configured.errors).toEqual([]);
    expect(configured.findings.filter((f) => f.ruleId === 'test-object').map((f) => f.severity)).toEqual(['critical', 'critical']);
  });

  it('rejects configuration it does not understand, naming the key', () => {
    const known = knownRules(rules);
    const attempt = (value: unknown): MamoriError => {
      try {
        parseConfig(value, 'c.yaml', known);
      } catch (error) {
        return error as MamoriError;
      }
      throw new Error('accepted');
    };
    expect(attempt({ failon: 'high' }).message).toMatch(/^failon: unknown key/);
    expect(attempt({ failOn: 'severe' }).message).toMatch(/^failOn: must be one of/);
    expect(attempt({ rules: { nope: 'off' } }).message).toMatch(/^rules\.nope: unknown rule id/);
    expect(attempt({ rules: { 'test-pod': { severity: 'huge' } } }).message).toMatch(/^rules\.test-pod\.severity/);
    expect(attempt({ rules: { 'test-pod': { colour: 'red' } } }).code).toBe('config');
  });
});

describe('rule options', () => {
  const withOptions = defineRule({
    id: 'test-options',
    title: 'A rule with options',
    severity: 'low',
    target: 'object',
    kinds: ['ConfigMap'],
    controls: ['DIST-6'],
    description: 'A test rule that reports its options, to check how the configuration reaches rules.',
    remediation: 'Nothing to do.',
    options: { allowed: ['a.example'], strict: false },
    *check(_input, ctx) {
      yield { path: [], message: JSON.stringify(ctx.options) };
    },
  });
  const known = knownRules([withOptions]);

  it('merges configured options over the defaults, and runs only on the declared kinds', () => {
    const config = parseConfig({ rules: { 'test-options': { options: { allowed: ['b.example'] } } } }, 'c.yaml', known);
    const report = scanTexts([{ file: 'm.yaml', text: manifest }], { rules: [withOptions], config, pss: 'privileged' });
    expect(report.findings.map((f) => [f.object.kind, f.message])).toEqual([['ConfigMap', '{"allowed":["b.example"],"strict":false}']]);
  });

  it('rejects unknown options and values of the wrong type, naming the key', () => {
    expect(() => parseConfig({ rules: { 'test-options': { options: { allow: [] } } } }, 'c.yaml', known)).toThrow(/rules\.test-options\.options\.allow: unknown option \(known: allowed, strict\)/);
    expect(() => parseConfig({ rules: { 'test-options': { options: { allowed: 'x' } } } }, 'c.yaml', known)).toThrow(/rules\.test-options\.options\.allowed: must be a list of strings/);
    expect(() => parseConfig({ rules: { 'test-options': { options: { strict: 'yes' } } } }, 'c.yaml', known)).toThrow(/rules\.test-options\.options\.strict: must be a boolean/);
  });

  const optionsOf = (config: unknown, rules: Rule[] = [withOptions]): Record<string, string> => {
    const parsed = parseConfig(config, 'c.yaml', knownRules(rules));
    const report = scanTexts([{ file: 'm.yaml', text: manifest }], { rules, config: parsed, pss: 'privileged' });
    return Object.fromEntries(report.findings.map((f) => [`${f.ruleId} ${f.severity}`, f.message]));
  };

  it('edits a list option\'s default with add and remove instead of replacing it', () => {
    expect(optionsOf({ rules: { 'test-options': { options: { allowed: { add: ['b.example', 'a.example', 'b.example'] } } } } })).toEqual({
      'test-options low': '{"allowed":["a.example","b.example"],"strict":false}',
    });
    expect(optionsOf({ rules: { 'test-options': { options: { allowed: { remove: ['a.example'], add: ['c.example'] } } } } })).toEqual({
      'test-options low': '{"allowed":["c.example"],"strict":false}',
    });
    expect(optionsOf({ rules: { 'test-options': { options: { allowed: { remove: ['a.example'] } } } } })).toEqual({ 'test-options low': '{"allowed":[],"strict":false}' });
  });

  it('rejects list edits it does not understand, naming the key', () => {
    const at = (value: unknown): RegExp => new RegExp(`^${String(value)}`);
    const edit = (value: unknown): unknown => ({ rules: { 'test-options': { options: { allowed: value } } } });
    expect(() => parseConfig(edit({ remove: ['z.example'] }), 'c.yaml', known)).toThrow(at('rules\\.test-options\\.options\\.allowed\\.remove: "z\\.example" is not in the default list \\(\\["a\\.example"\\]\\)'));
    expect(() => parseConfig(edit({ append: ['b'] }), 'c.yaml', known)).toThrow(at('rules\\.test-options\\.options\\.allowed\\.append: unknown key \\(known: add, remove\\)'));
    expect(() => parseConfig(edit({ add: 'b' }), 'c.yaml', known)).toThrow(at('rules\\.test-options\\.options\\.allowed\\.add: must be a list of strings'));
    expect(() => parseConfig(edit({}), 'c.yaml', known)).toThrow(at('rules\\.test-options\\.options\\.allowed: an edit of the default list needs add or remove entries'));
    // Only lists are edited.
    expect(() => parseConfig({ rules: { 'test-options': { options: { strict: { add: ['x'] } } } } }, 'c.yaml', known)).toThrow(at('rules\\.test-options\\.options\\.strict: must be a boolean'));
  });

  const sibling = defineRule({ ...withOptions, id: 'test-options-2', options: { allowed: ['z.example'], depth: 2 } });
  const third = defineRule({ ...withOptions, id: 'other-rule', options: undefined });

  it('applies a glob\'s setting to every rule it matches, the rule\'s own entry after it', () => {
    const rules = [withOptions, sibling, third];
    expect(
      optionsOf(
        {
          rules: {
            'test-options': { options: { allowed: { add: ['own.example'] } } },
            'test-*': { severity: 'high', options: { allowed: { add: ['glob.example'] }, depth: 5 } },
            '*-2': { severity: 'medium' },
          },
        },
        rules,
      ),
    ).toEqual({
      // Globs in the order written, then the rule's own entry, each setting only what it names.
      'test-options high': '{"allowed":["a.example","glob.example","own.example"],"strict":false}',
      'test-options-2 medium': '{"allowed":["z.example","glob.example"],"depth":5}',
      'other-rule low': '{}',
    });
    // A glob turns rules off; a rule's own entry turns one back on.
    expect(Object.keys(optionsOf({ rules: { 'test-options': 'on', 'test-*': 'off' } }, rules))).toEqual(['other-rule low', 'test-options low']);
  });

  it('rejects globs that match no rule, and options none of their rules takes', () => {
    const known3 = knownRules([withOptions, sibling, third]);
    expect(() => parseConfig({ rules: { 'tset-*': 'off' } }, 'c.yaml', known3)).toThrow(/^rules\.tset-\*: matches no rule/);
    expect(() => parseConfig({ rules: { 'test-*': { options: { colour: 'red' } } } }, 'c.yaml', known3)).toThrow(/^rules\.test-\*\.options\.colour: no rule it matches takes this option \(known: allowed, strict, depth\)/);
    expect(() => parseConfig({ rules: { 'other-*': { options: { allowed: [] } } } }, 'c.yaml', known3)).toThrow(/^rules\.other-\*\.options\.allowed: none of the rules it matches takes options/);
    // Checked against each rule that takes the option: `depth` is a number.
    expect(() => parseConfig({ rules: { 'test-*': { options: { depth: 'deep' } } } }, 'c.yaml', known3)).toThrow(/^rules\.test-\*\.options\.depth: must be a number/);
    // Removing an entry that is in the default of one of the matched rules is fine.
    expect(parseConfig({ rules: { 'test-*': { options: { allowed: { remove: ['z.example'] } } } } }, 'c.yaml', known3).ruleGlobs?.map((g) => g.pattern)).toEqual(['test-*']);
    // Policies' rules are known later: a policy glob is accepted, without options.
    expect(parseConfig({ rules: { 'policy:*': { severity: 'low' } } }, 'c.yaml', known3).ruleGlobs?.[0]?.setting).toEqual({ severity: 'low' });
    expect(() => parseConfig({ rules: { 'policy:*': { options: { x: 1 } } } }, 'c.yaml', known3)).toThrow(/^rules\.policy:\*\.options\.x: none of the rules it matches takes options/);
  });
});

describe('decisions that wait for the whole input', () => {
  const waits = defineRule({
    id: 'test-unless',
    title: 'A finding another object can cancel',
    severity: 'low',
    target: 'pod',
    controls: ['CMP-3'],
    context: ['ConfigMap'],
    description: 'A test rule whose finding is dropped when a ConfigMap named "allow" exists in the namespace.',
    remediation: 'Nothing to do.',
    *check({ loaded }) {
      const namespace = loaded.ref.namespace ?? 'default';
      yield { path: ['spec'], message: 'pending', unless: (inventory) => inventory.inNamespace('ConfigMap', namespace).some((c) => c.ref.name === 'allow') };
    },
  });
  const sees = defineRule({
    id: 'test-sees',
    title: 'What the inventory keeps',
    severity: 'info',
    target: 'inventory',
    controls: ['DEV-2'],
    context: ['ConfigMap'],
    description: 'A test rule that reports what the inventory holds, to check that only context kinds are kept.',
    remediation: 'Nothing to do.',
    *check({ inventory }) {
      const first = inventory.objects[0];
      if (first === undefined) return;
      const kinds = inventory.objects.map((o) => o.ref.kind).join(',');
      yield { target: first, path: [], message: `kept ${kinds}; CronJob exists: ${inventory.exists('CronJob', 'ops', 'nightly')}; workload namespaces: ${[...inventory.workloadNamespaces()].join(',')}` };
    },
  });

  it('drops a pending finding when the predicate holds, keeps it otherwise', () => {
    const allow = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: allow, namespace: ops}\n';
    const kept = scanTexts([{ file: 'm.yaml', text: manifest }], { rules: [waits], pss: 'privileged' });
    expect(kept.findings.map((f) => [f.ruleId, f.location?.line])).toEqual([['test-unless', 4]]);
    const dropped = scanTexts([{ file: 'm.yaml', text: manifest }, { file: 'allow.yaml', text: allow }], { rules: [waits], pss: 'privileged' });
    expect(dropped.findings).toEqual([]);
  });

  it('words a pending finding once the input is read, with its further paths, or drops it', () => {
    const words = defineRule({
      id: 'test-resolve',
      title: 'A finding whose wording depends on other objects',
      severity: 'low',
      target: 'pod',
      controls: ['CMP-3'],
      context: ['ConfigMap'],
      description: 'A test rule that names the ConfigMaps of the namespace, and is dropped when there are none.',
      remediation: 'Nothing to do.',
      *check({ loaded }) {
        const namespace = loaded.ref.namespace ?? 'default';
        yield {
          path: ['spec'],
          message: 'pending',
          paths: [['metadata']],
          resolve: (inventory) => {
            const names = inventory.inNamespace('ConfigMap', namespace).map((c) => c.ref.name);
            return names.length === 0 ? null : { message: `sees ${names.join(',')}`, paths: names.map((_, i) => ['spec', i]) };
          },
        };
      },
    });
    const cm = (name: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: ops}\n`;
    const cronJob = manifest.slice(0, manifest.indexOf('---'));
    expect(scanTexts([{ file: 'm.yaml', text: cronJob }], { rules: [words], pss: 'privileged' }).findings).toEqual([]);
    const report = scanTexts([{ file: 'm.yaml', text: manifest }, { file: 'a.yaml', text: cm('a') }], { rules: [words], pss: 'privileged' });
    expect(report.findings.map((f) => [f.message, f.location?.line, f.paths])).toEqual([['sees settings,a', 4, ['spec[0]', 'spec[1]']]]);
    expect(Object.keys(report.findings[0] ?? {})).toEqual(['ruleId', 'title', 'severity', 'controls', 'phase', 'object', 'path', 'message', 'location', 'paths']);
  });

  it('decides the waiting violations of inventory rules too', () => {
    const both = defineRule({
      id: 'test-inventory-waits',
      title: 'An inventory finding decided against the whole input',
      severity: 'low',
      target: 'inventory',
      controls: ['DEV-2'],
      context: ['ConfigMap'],
      description: 'A test rule whose findings on ConfigMaps wait: one is dropped when a ConfigMap named "allow" exists, the other names the ConfigMaps.',
      remediation: 'Nothing to do.',
      *check({ inventory }) {
        for (const target of inventory.byKind('ConfigMap')) {
          if (target.ref.name === 'allow') continue;
          yield { target, path: ['data'], message: 'no allow', unless: (all) => all.byKind('ConfigMap').some((c) => c.ref.name === 'allow') };
          yield { target, path: ['metadata'], message: '', resolve: (all) => `one of ${all.byKind('ConfigMap').length}` };
        }
      },
    });
    const cm = (name: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: ops}\n`;
    const alone = scanTexts([{ file: 'a.yaml', text: cm('a') }], { rules: [both] });
    expect(alone.findings.map((f) => [f.message, f.path, f.location?.line])).toEqual([
      ['no allow', 'data', 1],
      ['one of 1', 'metadata', 3],
    ]);
    const allowed = scanTexts([{ file: 'a.yaml', text: cm('a') }, { file: 'b.yaml', text: cm('allow') }], { rules: [both] });
    expect(allowed.findings.map((f) => f.message)).toEqual(['one of 2']);
  });

  it('knows the namespaces of objects it did not keep', () => {
    const where = defineRule({
      id: 'test-namespaces',
      title: 'Namespaces of the input',
      severity: 'info',
      target: 'inventory',
      controls: ['DEV-2'],
      context: ['ConfigMap'],
      description: 'A test rule that reports whether objects of the input are in some namespaces.',
      remediation: 'Nothing to do.',
      *check({ inventory }) {
        const first = inventory.objects[0];
        if (first !== undefined) yield { target: first, path: [], message: ['ops', 'kube-system'].map((ns) => `${ns}: ${inventory.hasObjectsIn(ns)}`).join(', ') };
      },
    });
    const report = scanTexts([{ file: 'm.yaml', text: manifest }], { rules: [where], pss: 'privileged' });
    expect(report.findings.map((f) => f.message)).toEqual(['ops: true, kube-system: false']);
  });

  it('locates findings on kept objects from a copy of their document, at the same place', () => {
    const sees = defineRule({
      id: 'test-kept-location',
      title: 'Where kept objects are',
      severity: 'info',
      target: 'inventory',
      controls: ['DEV-2'],
      context: ['ConfigMap'],
      description: 'A test rule that reports a field of every kept object.',
      remediation: 'Nothing to do.',
      *check({ inventory }) {
        for (const o of inventory.objects) yield { target: o, path: ['data', 'b'], message: `${o.ref.name}` };
      },
    });
    const text = ['kind: ConfigMap', 'apiVersion: v1', 'metadata: {name: one}', 'data: {a: x, b: y}', '--- ', 'apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: two}', 'data:', '  a: x', '  b: y', ''].join('\n');
    const report = scanTexts([{ file: 'k.yaml', text }], { rules: [sees], pss: 'privileged' });
    expect(report.findings.map((f) => [f.message, f.location?.line, f.location?.column])).toEqual([['one', 4, 14], ['two', 11, 3]]);
  });

  it('keeps only the kinds rules ask for, and still knows every object and workload namespace', () => {
    const report = scanTexts([{ file: 'm.yaml', text: manifest }], { rules: [sees], pss: 'privileged' });
    expect(report.findings.map((f) => f.message)).toEqual(['kept ConfigMap; CronJob exists: true; workload namespaces: ops']);
  });
});

describe('scanObjects', () => {
  it('scans parsed objects without text: findings without location, bad objects as errors', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [{ name: 'c', image: 'x', securityContext: { privileged: true } }] } };
    const report = scanObjects([pod, { kind: 'Pod' } as never], { rules: RULES.filter((r) => r.id === 'pss-privileged'), pss: 'baseline' }, '<admission>');
    expect(report.findings.map((f) => [f.ruleId, f.object.name, f.path, f.location])).toEqual([['pss-privileged', 'p', 'spec.containers[0].securityContext.privileged', undefined]]);
    expect(report.errors).toEqual([{ file: '<admission>', message: 'object 2 is not a Kubernetes object (it needs apiVersion and kind)', code: 'not-kubernetes' }]);
    expect(report.inputs).toEqual({ files: 0, objects: 1 });
  });
});

describe('where findings that wait for the whole input are located', () => {
  it('at once while the file is read; on kept objects from their positions, or by reading the file again when the fast reader did not read it', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { Engine } = await import('../src/engine/scan.js');
    const { loadInput } = await import('../src/load/load.js');
    const { buildReport } = await import('../src/engine/report.js');
    const dir = mkdtempSync(join(tmpdir(), 'mamori-late-'));
    try {
      const file = join(dir, 'pod.yaml');
      const role = (name: string, verbs: string) =>
        `---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: ${name}\nrules:\n  - apiGroups: [""]\n    resources: ["secrets"]\n    verbs: ${verbs}\n`;
      const text =
        '# a pod on the default service account\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\nspec:\n  containers:\n    - name: c\n      image: registry.example.com/c@sha256:' +
        'a'.repeat(64) +
        '\n' +
        role('reader', '["get"]') +
        // An anchor: this document is left to the full parser, which gives no node positions.
        role('anchored', '&verbs ["get"]');
      // automount-service-account-token waits for the whole input (a ServiceAccount elsewhere may turn the token off);
      // rbac-dangerous-role judges the ClusterRoles, kept for the inventory, once everything is read.
      const rules = RULES.filter((r) => r.id === 'automount-service-account-token' || r.id === 'rbac-dangerous-role');
      const run = (change: boolean) => {
        writeFileSync(file, text);
        const engine = new Engine({ rules });
        engine.evaluate(loadInput({ file, stdin: false }));
        if (change) writeFileSync(file, text.replace('name: p\n', 'name: p2\n'));
        engine.finish();
        return buildReport(engine, { files: 1, objects: 3 }).findings.map((f) => [f.ruleId, f.object.name, f.location?.line]);
      };
      expect(run(false)).toEqual([
        ['automount-service-account-token', 'p', 7],
        ['rbac-dangerous-role', 'reader', 17],
        ['rbac-dangerous-role', 'anchored', 26],
      ]);
      // Only the finding located by reading the changed file again loses its location (and sorts first).
      expect(run(true)).toEqual([
        ['rbac-dangerous-role', 'anchored', undefined],
        ['automount-service-account-token', 'p', 7],
        ['rbac-dangerous-role', 'reader', 17],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('rendered paths', () => {
  const paths: (string | number)[][] = [
    [],
    ['spec'],
    ['spec', 'containers', 0, 'image'],
    [0, 'name'],
    ['metadata', 'annotations', 'example.com/key'],
    ['data', 'with space', 3],
    ['data', '0'],
    ['data', 0],
  ];

  it('are written the way users read them', () => {
    expect(paths.map(formatPath)).toEqual(['', 'spec', 'spec.containers[0].image', '[0].name', 'metadata.annotations["example.com/key"]', 'data["with space"][3]', 'data["0"]', 'data[0]']);
  });

  it('come out of the shared table as formatPath writes them, before and after it is full', () => {
    // Six nodes (spec, containers, [0], image, [0] at the root, name) fill it: the rest is rendered afresh.
    const table = new PathTexts(6);
    expect(paths.map((p) => table.text(p))).toEqual(paths.map(formatPath));
    expect(paths.map((p) => table.text([...p]))).toEqual(paths.map(formatPath));
    expect(new PathTexts(1000).text(['data', 'with space', 3])).toBe('data["with space"][3]');
  });
});

describe('a resolution that moves its finding', () => {
  const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: a\n      image: x\n    - name: b\n      image: y\n    - name: c\n      image: z\n';
  const moving = (at: number | undefined) =>
    defineRule({
      id: 'test-moving',
      title: 'A waiting finding on one of several fields',
      severity: 'low',
      target: 'pod',
      controls: ['DIST-6'],
      description: 'A test rule whose resolution picks the field its finding points at.',
      remediation: 'Nothing to do.',
      *check({ specPath }) {
        const image = (i: number) => [...specPath, 'containers', i, 'image'];
        yield {
          path: image(0),
          message: '',
          paths: [image(1), image(2)],
          resolve: () => ({ message: `moved to ${String(at)}`, paths: [image(0)], ...(at === undefined ? {} : { at }) }),
        };
      },
    });

  it('points at the field the resolution names, located while the file was read', () => {
    const run = (at: number | undefined) =>
      scanTexts([{ file: 'p.yaml', text }], { rules: [moving(at)] }).findings.map((f) => [f.path, f.location?.line, f.location?.column, f.paths]);
    expect(run(undefined)).toEqual([['spec.containers[0].image', 8, 7, ['spec.containers[0].image']]]);
    expect(run(0)).toEqual([['spec.containers[1].image', 10, 7, ['spec.containers[0].image']]]);
    expect(run(1)).toEqual([['spec.containers[2].image', 12, 7, ['spec.containers[0].image']]]);
    // A place the violation did not name leaves the finding where it was.
    expect(run(5)).toEqual([['spec.containers[0].image', 8, 7, ['spec.containers[0].image']]]);
  });
});
