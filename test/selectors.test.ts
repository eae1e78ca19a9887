/** Label selectors: Kubernetes semantics, validation, and the selector index against brute force. */
import { describe, expect, it } from 'vitest';
import { mulberry32 as rng } from './helpers/prng.js';
import {
  formatSelector,
  isValidLabelKey,
  isValidLabelValue,
  labelSetKey,
  labelSetOf,
  matchesSelector,
  parseLabelSelector,
  parseSelectorMap,
  SelectorIndex,
  type LabelSelector,
} from '../src/k8s/selectors.js';

const labels = (o: Record<string, string>): Map<string, string> => new Map(Object.entries(o));

describe('parseLabelSelector', () => {
  it('treats {} and empty parts as matching everything', () => {
    for (const s of [{}, { matchLabels: {} }, { matchExpressions: [] }, { matchLabels: {}, matchExpressions: [] }]) {
      const sel = parseLabelSelector(s);
      expect(sel.everything).toBe(true);
      expect(matchesSelector(sel, labels({}))).toBe(true);
      expect(matchesSelector(sel, labels({ app: 'x' }))).toBe(true);
    }
  });

  it('gives an absent selector the meaning of its field', () => {
    expect(parseLabelSelector(undefined).nothing).toBe(true);
    expect(parseLabelSelector(null).nothing).toBe(true);
    expect(parseLabelSelector(undefined, 'everything').everything).toBe(true);
    expect(matchesSelector(parseLabelSelector(undefined), labels({}))).toBe(false);
  });

  it('ANDs matchLabels and matchExpressions', () => {
    const sel = parseLabelSelector({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['frontend', 'edge'] },
        { key: 'track', operator: 'NotIn', values: ['canary'] },
        { key: 'team', operator: 'Exists' },
        { key: 'debug', operator: 'DoesNotExist' },
      ],
    });
    expect(sel.error).toBeUndefined();
    expect(matchesSelector(sel, labels({ app: 'web', tier: 'edge', team: 'a' }))).toBe(true);
    expect(matchesSelector(sel, labels({ app: 'web', tier: 'edge', team: 'a', track: 'stable' }))).toBe(true);
    expect(matchesSelector(sel, labels({ app: 'web', tier: 'edge', team: 'a', track: 'canary' }))).toBe(false);
    expect(matchesSelector(sel, labels({ app: 'web', tier: 'backend', team: 'a' }))).toBe(false);
    expect(matchesSelector(sel, labels({ app: 'web', tier: 'edge' }))).toBe(false);
    expect(matchesSelector(sel, labels({ app: 'web', tier: 'edge', team: 'a', debug: '' }))).toBe(false);
    expect(matchesSelector(sel, labels({ app: 'api', tier: 'edge', team: 'a' }))).toBe(false);
  });

  it('matches NotIn and DoesNotExist when the key is absent', () => {
    expect(matchesSelector(parseLabelSelector({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }), labels({}))).toBe(true);
    expect(matchesSelector(parseLabelSelector({ matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }), labels({}))).toBe(true);
  });

  it('distinguishes an empty label value from an absent label', () => {
    const sel = parseLabelSelector({ matchLabels: { canary: '' } });
    expect(matchesSelector(sel, labels({ canary: '' }))).toBe(true);
    expect(matchesSelector(sel, labels({}))).toBe(false);
  });

  it('does not read inherited properties as labels', () => {
    const sel = parseLabelSelector({ matchExpressions: [{ key: 'constructor', operator: 'Exists' }] });
    expect(matchesSelector(sel, labelSetOf({ app: 'x' }))).toBe(false);
  });

  it.each([
    ['an unknown operator', { matchExpressions: [{ key: 'app', operator: 'Exist' }] }],
    ['In without values', { matchExpressions: [{ key: 'app', operator: 'In', values: [] }] }],
    ['NotIn without values', { matchExpressions: [{ key: 'app', operator: 'NotIn' }] }],
    ['Exists with values', { matchExpressions: [{ key: 'app', operator: 'Exists', values: ['x'] }] }],
    ['a non-string value', { matchLabels: { version: 2 } }],
    ['an invalid key', { matchLabels: { 'bad key': 'x' } }],
    ['an invalid value', { matchLabels: { app: 'has spaces' } }],
    ['matchLabels as a list', { matchLabels: ['app=web'] }],
    ['matchExpressions as a map', { matchExpressions: { key: 'app' } }],
    ['a string selector', 'app=web'],
  ])('rejects %s: it matches nothing and says why', (_name, raw) => {
    const sel = parseLabelSelector(raw);
    expect(sel.nothing).toBe(true);
    expect(sel.error).toBeTypeOf('string');
    expect(matchesSelector(sel, labels({ app: 'web', version: '2' }))).toBe(false);
  });
});

describe('label syntax', () => {
  it('validates keys like Kubernetes', () => {
    expect(isValidLabelKey('app')).toBe(true);
    expect(isValidLabelKey('app.kubernetes.io/name')).toBe(true);
    expect(isValidLabelKey('a'.repeat(63))).toBe(true);
    expect(isValidLabelKey('a'.repeat(64))).toBe(false);
    expect(isValidLabelKey('Example.com/app')).toBe(false);
    expect(isValidLabelKey('/app')).toBe(false);
    expect(isValidLabelKey('app/')).toBe(false);
    expect(isValidLabelKey('-app')).toBe(false);
    expect(isValidLabelKey('')).toBe(false);
  });

  it('validates values like Kubernetes', () => {
    expect(isValidLabelValue('')).toBe(true);
    expect(isValidLabelValue('v1.2_3-rc')).toBe(true);
    expect(isValidLabelValue('-x')).toBe(false);
    expect(isValidLabelValue('x'.repeat(64))).toBe(false);
  });
});

describe('parseSelectorMap (Service spec.selector)', () => {
  it('requires every pair', () => {
    const sel = parseSelectorMap({ app: 'web', tier: 'frontend' });
    expect(matchesSelector(sel, labels({ app: 'web', tier: 'frontend', extra: 'x' }))).toBe(true);
    expect(matchesSelector(sel, labels({ app: 'web' }))).toBe(false);
  });

  it('selects nothing when absent or empty (a Service without selector), unless told otherwise', () => {
    expect(parseSelectorMap(undefined).nothing).toBe(true);
    expect(parseSelectorMap({}).nothing).toBe(true);
    expect(parseSelectorMap({}, 'everything').everything).toBe(true);
  });

  it('is invalid with non-string values', () => {
    expect(parseSelectorMap({ port: 80 }).error).toBeTypeOf('string');
  });
});

describe('helpers', () => {
  it('keeps only string labels', () => {
    expect([...labelSetOf({ app: 'web', replicas: 3, on: true })]).toEqual([['app', 'web']]);
    expect(labelSetOf(undefined).size).toBe(0);
  });

  it('gives equal label sets equal keys, whatever their order', () => {
    expect(labelSetKey(labels({ a: '1', b: '2' }))).toBe(labelSetKey(labels({ b: '2', a: '1' })));
    expect(labelSetKey(labels({ a: '1' }))).not.toBe(labelSetKey(labels({ a: '1', b: '' })));
  });

  it('formats selectors like kubectl', () => {
    const sel = parseLabelSelector({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['a', 'b'] },
        { key: 'x', operator: 'NotIn', values: ['y'] },
        { key: 'team', operator: 'Exists' },
        { key: 'debug', operator: 'DoesNotExist' },
      ],
    });
    expect(formatSelector(sel)).toBe('app=web,tier in (a,b),x notin (y),team,!debug');
  });
});


describe('SelectorIndex', () => {
  it('finds exactly the selectors brute force finds, in insertion order', () => {
    const next = rng(42);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
    const keys = ['app', 'tier', 'team', 'env', 'track'];
    const values = ['a', 'b', 'c', ''];
    const randomSelector = (): unknown => {
      if (next() < 0.05) return {};
      const matchLabels: Record<string, string> = {};
      const matchExpressions: unknown[] = [];
      const n = 1 + Math.floor(next() * 3);
      for (let i = 0; i < n; i++) {
        const key = pick(keys);
        const r = next();
        if (r < 0.4) matchLabels[key] = pick(values);
        else if (r < 0.6) matchExpressions.push({ key, operator: 'In', values: [pick(values), pick(values)] });
        else if (r < 0.75) matchExpressions.push({ key, operator: 'NotIn', values: [pick(values)] });
        else if (r < 0.9) matchExpressions.push({ key, operator: 'Exists' });
        else matchExpressions.push({ key, operator: 'DoesNotExist' });
      }
      return { matchLabels, matchExpressions };
    };
    const selectors: LabelSelector[] = [];
    const index = new SelectorIndex<number>();
    for (let i = 0; i < 400; i++) {
      const sel = parseLabelSelector(randomSelector());
      selectors.push(sel);
      index.add(sel, i);
    }
    for (let j = 0; j < 400; j++) {
      const set = new Map<string, string>();
      for (const key of keys) if (next() < 0.6) set.set(key, pick(values));
      const expected = selectors.flatMap((s, i) => (matchesSelector(s, set) ? [i] : []));
      const everything = selectors.flatMap((s, i) => (s.everything ? [i] : []));
      expect([...index.everything]).toEqual(everything);
      expect(index.matchingSpecific(set)).toEqual(expected.filter((i) => !everything.includes(i)));
      expect([...index.matching(set)].sort((a, b) => a - b)).toEqual(expected);
    }
  });

  it('drops selectors that match nothing', () => {
    const index = new SelectorIndex<string>();
    index.add(parseLabelSelector(undefined), 'absent');
    index.add(parseLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Bad' }] }), 'invalid');
    expect(index.matching(labels({ a: 'x' }))).toEqual([]);
  });
});
