/**
 * No rule may fail on an object of the wrong shape. Manifests are written by anyone and admission
 * objects are not type-checked: any field may hold any JSON type, and keys such as `__proto__` or
 * `constructor` may appear at any level. A rule reads a wrong-typed field as unset and judges what
 * it can; one that throws becomes a `rule-error` (an inventory rule that throws loses all its
 * findings). The property test mutates the rule fixtures with a fixed seed, so a failure replays.
 */
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { knownRules, parseConfig, type Config } from '../src/engine/config.js';
import { scanObjects, scanTexts, type ScanOptions } from '../src/engine/scan.js';
import { RULES } from '../src/rules/index.js';
import type { JsonObject, JsonValue, Report } from '../src/types.js';
import { fixtures, ruleFolders } from '../scripts/gen.js';
import { mulberry32 } from './helpers/prng.js';

/** Every rule on, the optional ones too. */
const ALL_ON: Config = parseConfig({ rules: Object.fromEntries(RULES.filter((r) => r.optional).map((r) => [r.id, { enabled: true }])) }, 'test', knownRules(RULES));

const ruleErrors = (report: Report): string[] => report.errors.filter((e) => e.code === 'rule-error').map((e) => e.message);

/** A key that is an own property even when it is `__proto__`, as JSON.parse and the YAML loader make it. */
function setOwn(object: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Both ways into the engine: parsed objects (admission, cluster) and text (manifests). */
function scanBoth(objects: JsonObject[], options: Omit<ScanOptions, 'rules'> = {}): { objects: Report; text: Report } {
  const text = objects.map((o) => JSON.stringify(o)).join('\n---\n');
  return {
    objects: scanObjects(objects, { rules: RULES, config: ALL_ON, ...options }),
    text: scanTexts([{ file: 'in.yaml', text }], { rules: RULES, config: ALL_ON, ...options }),
  };
}

const pod = (image: string): JsonObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'shop' },
  spec: { containers: [{ name: 'app', image }] },
});

describe('fields of the wrong shape', () => {
  it('reads a digest algorithm named like an Object.prototype member as unsupported', () => {
    // `constructor` was looked up in the table of digest lengths and found (a function): the
    // finding said the digest "must have function Object() { [native code] } hexadecimal digits".
    const image = 'nginx@constructor:0123456789abcdef0123456789abcdef';
    for (const report of Object.values(scanBoth([pod(image)]))) {
      expect(ruleErrors(report)).toEqual([]);
      expect(report.findings.filter((f) => f.ruleId === 'image-reference-invalid').map((f) => [f.path, f.message])).toEqual([
        ['spec.containers[0].image', `container "app" image "${image}" is not a valid image reference: unsupported digest algorithm "constructor"`],
      ]);
    }
  });

  // JSON.parse keeps `__proto__` as an ordinary key, as the loaders and the webhook do.
  const ingressPolicy = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'frontend', namespace: 'store' }, spec: { podSelector: { matchLabels: { app: 'frontend' } }, ingress: [{}] } };

  it('reads a Cilium endpointSelector with a __proto__ label key as selecting no pod, not every pod', () => {
    // The key was assigned into a fresh object, which set its prototype and dropped the key: the
    // selector became `{}`, every pod of the namespace looked isolated, and the finding was lost.
    const cilium = JSON.parse('{"apiVersion":"cilium.io/v2","kind":"CiliumNetworkPolicy","metadata":{"name":"cart","namespace":"store"},"spec":{"endpointSelector":{"matchLabels":{"__proto__":"cart"}},"ingress":[{}]}}') as JsonObject;
    const deployment: JsonObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'cart', namespace: 'store' },
      spec: { selector: { matchLabels: { app: 'cart' } }, template: { metadata: { labels: { app: 'cart' } }, spec: { containers: [{ name: 'cart', image: 'registry.example.com/store/cart:3.0.0' }] } } },
    };
    for (const report of Object.values(scanBoth([ingressPolicy, cilium, deployment]))) {
      expect(ruleErrors(report)).toEqual([]);
      expect(report.findings.filter((f) => f.ruleId === 'pod-not-isolated').map((f) => [`${f.object.kind}/${f.object.name}`, f.path, f.message])).toEqual([
        [
          'Deployment/cart',
          'spec.template.metadata.labels',
          'no NetworkPolicy in namespace "store" selects the pods of Deployment "cart" (labels app=cart), so they are not isolated for ingress: any pod in the cluster can connect to them',
        ],
      ]);
    }
  });

  it('names a __proto__ label of a pod that is not isolated', () => {
    // The copy of the labels lost the key, and the finding said "(no labels)".
    const labelled = JSON.parse('{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"store","labels":{"app":"x","__proto__":"v"}},"spec":{"containers":[{"name":"c","image":"registry.example.com/x:1"}]}}') as JsonObject;
    for (const report of Object.values(scanBoth([ingressPolicy, labelled]))) {
      expect(ruleErrors(report)).toEqual([]);
      expect(report.findings.filter((f) => f.ruleId === 'pod-not-isolated').map((f) => [f.path, f.message])).toEqual([
        ['metadata.labels', 'no NetworkPolicy in namespace "store" selects pod "p" (labels app=x,__proto__=v), so it is not isolated for ingress: any pod in the cluster can connect to it'],
      ]);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The property: a fixed seed, a few thousand mutations of the rule fixtures, no rule-error.

type Slot = { parent: JsonObject | JsonValue[]; key: string | number };

const ODD_KEYS = ['__proto__', 'constructor', 'hasOwnProperty', 'toString', 'valueOf', '', '0'];
const ODD_VALUES: JsonValue[] = [
  null, true, false, 0, -1, 1.5, Number.NaN, Infinity, 1e308, -1e308, 2 ** 53 + 1, 65536, '', ' ', 'x', '0', '*', '(', '%', '__proto__', 'constructor', 'toString',
  'a'.repeat(300), [], [null], [null, 3, 'x'], [[]], [{}], {}, { a: 1 }, { toString: 1 }, { '': '' },
];

/** The documents of every rule fixture, one set a fixture (inventory rules see them together). */
function fixtureSets(): JsonObject[][] {
  const sets: JsonObject[][] = [];
  for (const folder of ruleFolders()) {
    for (const example of fixtures(folder.dir)) {
      const docs = parseAllDocuments(example.yaml)
        .map((d) => d.toJS() as unknown)
        .filter((d): d is JsonObject => typeof d === 'object' && d !== null && !Array.isArray(d) && typeof (d as JsonObject)['kind'] === 'string');
      if (docs.length > 0) sets.push(docs);
    }
  }
  return sets;
}

function slotsOf(value: JsonValue, out: Slot[] = []): Slot[] {
  if (Array.isArray(value)) value.forEach((item, i) => (out.push({ parent: value, key: i }), slotsOf(item, out)));
  else if (typeof value === 'object' && value !== null) for (const key of Object.keys(value)) out.push({ parent: value, key }), slotsOf(value[key] as JsonValue, out);
  return out;
}

function typeOf(value: JsonValue): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

/** One mutation of an object: a field of another type, an odd key, a deleted, duplicated or odd list item. */
function mutate(random: () => number, object: JsonObject): void {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const odd = (): JsonValue => structuredClone(pick(ODD_VALUES));
  const slots = slotsOf(object);
  if (slots.length === 0) return setOwn(object, pick(ODD_KEYS), odd());
  const { parent, key } = pick(slots);
  const current = (parent as JsonObject)[key as string] as JsonValue;
  const set = (value: JsonValue): void => (Array.isArray(parent) ? void (parent[key as number] = value) : setOwn(parent, key as string, value));
  const op = random();
  if (op < 0.55) {
    let value = odd();
    while (typeOf(value) === typeOf(current)) value = odd();
    set(value);
  } else if (op < 0.7) {
    const objects = slots.map((s) => (s.parent as JsonObject)[s.key as string]).filter((v): v is JsonObject => typeOf(v as JsonValue) === 'object');
    setOwn(pick([object, ...objects]), pick(ODD_KEYS), random() < 0.5 ? structuredClone(current) : odd());
  } else if (op < 0.8) {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key as string];
  } else if (Array.isArray(parent)) {
    parent.splice(key as number, 0, random() < 0.5 ? structuredClone(current) : odd());
  } else set(pick(['', '__proto__', 'constructor', '*', ' '] as JsonValue[]));
}

describe('shape robustness (seeded property)', () => {
  it('no rule fails and no scan throws on 500 mutated fixture sets, as objects and as text', () => {
    const random = mulberry32(0x5eed15);
    const sets = fixtureSets();
    expect(sets.length).toBeGreaterThan(500);
    const failures: string[] = [];
    let mutations = 0;
    for (let round = 0; round < 500; round++) {
      const objects = structuredClone(sets[Math.floor(random() * sets.length)] as JsonObject[]);
      for (const object of objects) {
        const n = 1 + Math.floor(random() * 6);
        for (let i = 0; i < n; i++) mutate(random, object);
        mutations += n;
      }
      const options = { rules: RULES, config: ALL_ON, fixes: random() < 0.5, pss: random() < 0.5 ? 'restricted:latest' : 'baseline:v1.18' };
      // Serialized before the scan, in JSON or YAML, and replayable from the round number.
      const text = random() < 0.5 ? objects.map((o) => JSON.stringify(o)).join('\n---\n') : objects.map((o) => stringify(o)).join('---\n');
      for (const [via, scan] of [
        ['objects', () => scanObjects(objects, options)],
        ['text', () => scanTexts([{ file: 'fuzz.yaml', text }], options)],
      ] as const) {
        try {
          for (const message of ruleErrors(scan())) failures.push(`round ${round} (${via}): ${message}`);
        } catch (error) {
          failures.push(`round ${round} (${via}) threw: ${(error as Error).stack ?? String(error)}`);
        }
      }
    }
    expect(mutations).toBeGreaterThan(2000);
    expect(failures).toEqual([]);
  }, 30_000);
});

describe('objects too deep to check', () => {
  it('reports a parsed object nested deeper than 128 levels as an error and scans the others', () => {
    // A custom resource that keeps unknown fields can nest thousands of levels; the copy kept for
    // the inventory used to overflow the stack and throw out of scanObjects.
    let deep: JsonValue = 'x';
    for (let i = 0; i < 3_000; i++) deep = { a: deep };
    const policy: JsonObject = { apiVersion: 'kyverno.io/v1', kind: 'ClusterPolicy', metadata: { name: 'deep' }, spec: { rules: [{ name: 'r', x: deep }] } };
    const pod: JsonObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'shop' }, spec: { containers: [{ name: 'c', image: 'x', securityContext: { privileged: true } }] } };
    const report = scanObjects([policy, pod], { rules: RULES });
    expect(report.errors).toEqual([{ file: '<objects>', message: 'object 1 is nested deeper than 128 levels', code: 'too-deep' }]);
    expect(report.findings.some((f) => f.ruleId === 'pss-privileged' && f.object.name === 'p')).toBe(true);
    expect(report.inputs.objects).toBe(1);
  });
});
