/*
 * The node index of the fast reader and of JSON documents must place every path exactly where
 * the text walker places it:
 * the key of a mapping entry, the content of a sequence item (its dash when the content starts
 * below), the member of a flow collection, or the deepest existing ancestor of a path that goes
 * past the value. Held to that on every node of every document of the rule fixtures, the
 * examples, the goldens and (with MAMORI_FIXTURES) the upstream manifests.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { yamlFiles } from './helpers/files.js';
import { readFast, takeIndex } from '../src/load/fast.js';
import { DEFAULT_LIMITS } from '../src/load/limits.js';
import { locatePositions, TextLocator } from '../src/load/locate.js';
import { parseDocument, splitDocuments } from '../src/load/parse.js';
import { scanTexts } from '../src/engine/scan.js';
import { RULES } from '../src/rules/index.js';
import type { Path } from '../src/types.js';

/** Every path to a node of the value, and for each collection a path to a missing member and one past a scalar. */
function allPaths(value: unknown, path: Path = [], out: Path[] = []): Path[] {
  out.push(path);
  if (Array.isArray(value)) {
    value.forEach((item, i) => allPaths(item, [...path, i], out));
    out.push([...path, value.length], [...path, 'name']);
  } else if (typeof value === 'object' && value !== null) {
    for (const key of Object.keys(value)) allPaths((value as Record<string, unknown>)[key], [...path, key], out);
    out.push([...path, 'no-such-key', 'deeper'], [...path, 0]);
  } else {
    out.push([...path, 'past-the-scalar']);
  }
  return out;
}

/** Compares the two locators on every path of every document of the files; returns the count of indexed documents and paths. */
function compare(files: readonly string[]): { documents: number; indexed: number; paths: number } {
  return compareTexts(files.map((file) => ({ file, text: readFileSync(file, 'utf8') })));
}

function compareTexts(texts: readonly { file: string; text: string }[]): { documents: number; indexed: number; paths: number } {
  let documents = 0;
  let indexed = 0;
  let paths = 0;
  for (const { file, text } of texts) {
    const byText = new TextLocator(text);
    const byIndex = new TextLocator(text);
    for (const chunk of splitDocuments(text)) {
      const index: { nodes?: Int32Array } = {};
      let value: unknown;
      try {
        value = parseDocument(text, chunk, file, DEFAULT_LIMITS, index);
      } catch {
        continue;
      }
      documents++;
      if (index.nodes === undefined) continue;
      indexed++;
      byIndex.addIndex(chunk, value, index.nodes);
      // The positions kept with a copy of the document's value place paths in the copy the same way.
      const positions = byIndex.positionsOf(chunk, [], value);
      if (positions === undefined) throw new Error(`${file}:${chunk.line}: no positions for an indexed document`);
      const copy = structuredClone(value);
      for (const path of allPaths(value)) {
        paths++;
        const expected = byText.locate(chunk, path);
        for (const [how, actual] of [['index', byIndex.locate(chunk, path)], ['kept positions', locatePositions(positions, copy, path)]] as const) {
          if (actual.line !== expected.line || actual.column !== expected.column) {
            throw new Error(`${file}:${chunk.line} ${JSON.stringify(path)}: ${how} ${actual.line}:${actual.column}, text ${expected.line}:${expected.column}`);
          }
        }
      }
    }
  }
  return { documents, indexed, paths };
}

/** The first document of a text, read with its node index, and a locator that follows it. */
function indexed(text: string, file = 'f.yaml'): { chunk: ReturnType<typeof splitDocuments>[number]; value: unknown; locator: TextLocator } {
  const chunk = splitDocuments(text)[0]!;
  const index: { nodes?: Int32Array } = {};
  const value = parseDocument(text, chunk, file, DEFAULT_LIMITS, index);
  const locator = new TextLocator(text);
  if (index.nodes !== undefined) locator.addIndex(chunk, value, index.nodes);
  return { chunk, value, locator };
}

/** The index of one document read fast, or undefined. */
function indexOf(source: string): Int32Array | undefined {
  readFast(source, 128);
  return takeIndex();
}

describe('node index of the fast reader and of JSON documents', () => {
  it('places every path of the rule fixtures, examples and goldens where the text walker does', () => {
    const { documents, indexed, paths } = compare([...yamlFiles('src/rules'), ...yamlFiles('examples'), ...yamlFiles('test/golden')]);
    expect(indexed / documents).toBeGreaterThan(0.85);
    expect(paths).toBeGreaterThan(50_000);
  });

  it.runIf(process.env['MAMORI_FIXTURES'] !== undefined)('places every path of the upstream manifests where the text walker does', () => {
    const { documents, indexed } = compare(yamlFiles(process.env['MAMORI_FIXTURES'] as string));
    expect(indexed / documents).toBeGreaterThan(0.8);
  });

  it('places every path of the JSON forms of those documents (indented and compact) where the text walker does', () => {
    const texts: { file: string; text: string }[] = [];
    for (const file of [...yamlFiles('src/rules'), ...yamlFiles('examples')]) {
      const text = readFileSync(file, 'utf8');
      splitDocuments(text).forEach((chunk, n) => {
        let value: unknown;
        try {
          value = parseDocument(text, chunk, file, DEFAULT_LIMITS);
        } catch {
          return;
        }
        if (typeof value !== 'object' || value === null) return;
        texts.push({ file: `${file}#${n}.json`, text: `${JSON.stringify(value, null, 2)}\n` });
        texts.push({ file: `${file}#${n}.min.json`, text: `---\n# exported\n${JSON.stringify(value)}\r\n` });
      });
    }
    const { documents, indexed, paths } = compareTexts(texts);
    expect(indexed / documents).toBeGreaterThan(0.95);
    expect(paths).toBeGreaterThan(50_000);
  });

  it('refuses a JSON document whose key repeats, gives one with an array-index key no index, and reads escapes in keys and strings', () => {
    const indexOfJson = (text: string): Int32Array | undefined => {
      const index: { nodes?: Int32Array } = {};
      parseDocument(text, splitDocuments(text)[0]!, 'f.json', DEFAULT_LIMITS, index);
      return index.nodes;
    };
    expect(() => indexOfJson('{"a": 1, "b": {"c": 2}, "a": 3}')).toThrow('invalid JSON: duplicated mapping key');
    expect(() => indexOfJson('{"b": [{"x": 1, "x": {"y": [1]}}], "c": {"d": 1}}')).toThrow('invalid JSON: duplicated mapping key');
    expect(indexOfJson('{"data": {"b": 1, "10": 2}}')).toBeUndefined();
    expect(indexOfJson('{"data": {"b": 1, "01": 2, "1x": 3}}')).toBeDefined();
    const text = '{"k\\"": "a\\"\\\\", "list": [ [], {}, "]", 1e3, null ],\n "last": {"z": true}}';
    const { chunk, locator } = indexed(text, 'f.json');
    const walker = new TextLocator(text);
    for (const [path, at] of [
      [['list', 2], { line: 1, column: 36 }],
      [['list', 4], { line: 1, column: 46 }],
      [['last', 'z'], { line: 2, column: 11 }],
    ] as const) {
      expect(locator.locate(chunk, [...path])).toEqual(at);
      expect(walker.locate(chunk, [...path])).toEqual(at);
    }
  });

  it('records the root, entries, items and flow members in document order, with the node after each subtree', () => {
    const source = 'a: 1\nb:\n  - x\n  -\n    c: [1, 2]\nd: {e: f}\n';
    const nodes = indexOf(source);
    // root; a; b; b[0] (its content); b[1] (its dash: the content starts below); c; c[0]; c[1]; d; d.e
    const lines = [0, 0, 1, 2, 3, 4, 4, 4, 5, 5];
    const columns = [0, 0, 0, 4, 2, 4, 8, 11, 0, 4];
    const next = [10, 2, 8, 4, 8, 8, 7, 8, 10, 10];
    expect(nodes).toEqual(Int32Array.from(lines.flatMap((l, i) => [l, columns[i] as number, next[i] as number])));
  });

  it('keeps the positions of a List item, and none for an object that is not the value read', () => {
    const text = '# list\napiVersion: v1\nkind: List\nitems:\n  - kind: A\n    metadata:\n      name: a\n  - kind: B\n    spec:\n      x: [1, 2]\n';
    const read = indexed(text, 'l.yaml');
    const { chunk, locator } = read;
    const value = read.value as { items: object[] };
    const positions = locator.positionsOf(chunk, ['items', 1], value.items[1]);
    expect(positions).toBeDefined();
    const copy = structuredClone(value.items[1]);
    expect(locatePositions(positions!, copy, [])).toEqual({ line: 8, column: 5 });
    expect(locatePositions(positions!, copy, ['spec', 'x', 1])).toEqual({ line: 10, column: 14 });
    expect(locatePositions(positions!, copy, ['spec', 'missing'])).toEqual({ line: 9, column: 5 });
    // A typed List's item given its kind is a new object: its findings are located another way.
    expect(locator.positionsOf(chunk, ['items', 1], { ...value.items[1] })).toBeUndefined();
    expect(new TextLocator(text).positionsOf(chunk, [], value)).toBeUndefined();
  });

  it('agrees with the text walker on a flow collection that starts on the line below its key', () => {
    const text = 'a:\n  [x, y]\nb:\n  - {c: d}\n';
    const { chunk, locator: byIndex } = indexed(text);
    const byText = new TextLocator(text);
    for (const [path, at] of [
      [['a', 1], { line: 2, column: 7 }],
      [['b', 0, 'c'], { line: 4, column: 6 }],
    ] as const) {
      expect(byIndex.locate(chunk, [...path])).toEqual(at);
      expect(byText.locate(chunk, [...path])).toEqual(at);
    }
  });

  it('gives no index when a key is an array index, which JavaScript lists before the other keys', () => {
    expect(indexOf('data:\n  b: 1\n  "10": 2\n')).toBeUndefined();
    expect(indexOf('data: {b: 1, 7: 2}\n')).toBeUndefined();
    // Keys that only look like numbers keep their place.
    expect(indexOf('data:\n  b: 1\n  "01": 2\n  "-1": 3\n  4294967295: 4\n')).toBeDefined();
  });

  it('gives no index for a declined document, and hands each index out once', () => {
    expect(indexOf('a: &x 1\nb: *x\n')).toBeUndefined();
    readFast('a: 1\n', 128);
    expect(takeIndex()).toBeDefined();
    expect(takeIndex()).toBeUndefined();
  });

  it('follows the value, so keys the schema rewrites are found where the text walker gives up', () => {
    const text = 'on: push\nspec:\n  z: 1\n';
    const { chunk, value, locator } = indexed(text);
    expect(value).toEqual({ true: 'push', spec: { z: 1 } });
    expect(locator.locate(chunk, ['true'])).toEqual({ line: 1, column: 1 });
    expect(locator.locate(chunk, ['spec', 'z'])).toEqual({ line: 3, column: 3 });
  });
});

describe('the text walker on hostile layouts', () => {
  it('tells apart block collections whose line and column would make the same number', () => {
    // The walker cached block collections by line * 4096 + column: the Pod of item 0 (line 4,
    // column 32,771) and that of item 1 (line 12, column 3) shared one entry, and the finding of
    // item 1 was reported at a line of item 0. The anchor makes the fast reader decline the
    // document, so its paths are found by the text walker.
    const pad = ' '.repeat(8 * 4096);
    const indent = ' '.repeat(2 + pad.length);
    const first = ['apiVersion: v1', 'kind: Pod', 'metadata:', '  name: &n a', 'spec:', '  containers:', '  - name: app', '    image: nginx:1'];
    const text = `apiVersion: v1\nkind: List\nitems:\n- ${pad}${first.join(`\n${indent}`)}\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: b\n  spec:\n    containers:\n    - name: app\n      image: nginx:1\n      securityContext:\n        privileged: true\n`;
    const chunk = splitDocuments(text)[0]!;
    const index: { nodes?: Int32Array } = {};
    parseDocument(text, chunk, 'list.yaml', DEFAULT_LIMITS, index);
    expect(index.nodes).toBeUndefined();
    const locator = new TextLocator(text);
    expect(locator.locate(chunk, ['items', 0, 'spec'])).toEqual({ line: 8, column: 3 + pad.length });
    expect(locator.locate(chunk, ['items', 1, 'spec', 'containers', 0, 'securityContext', 'privileged'])).toEqual({ line: 21, column: 9 });
    expect(locator.locate(chunk, ['items', 1, 'kind'])).toEqual({ line: 13, column: 3 });
    // And through a scan: the finding of item 1 points into item 1.
    const report = scanTexts([{ file: 'list.yaml', text }], { rules: RULES.filter((r) => r.id === 'pss-privileged' || r.id === 'pss-run-as-non-root') });
    const privileged = report.findings.filter((f) => f.ruleId === 'pss-privileged');
    expect(privileged.map((f) => [f.object.name, f.location])).toEqual([['b', { file: 'list.yaml', line: 21, column: 9 }]]);
    expect(report.findings.filter((f) => f.object.name === 'a').every((f) => (f.location?.line ?? 0) <= 11)).toBe(true);
  });
});

describe('the full parser on aliases', () => {
  it(
    'finds the anchors of 2,000 aliases in one walk of the document, each the last one before its alias',
    () => {
      // Each alias was resolved by the `yaml` package, which walks the whole document for it: 44 s.
      const count = 2_000;
      let text = 'apiVersion: v1\nkind: List\nitems:\n';
      for (let i = 0; i < count; i++) {
        const securityContext = i === 0 ? '&restricted\n        privileged: true' : i === count / 2 ? '&restricted\n        privileged: false' : '*restricted';
        text += `- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: web-${i}\n  spec:\n    containers:\n    - name: app\n      image: registry.example.com/web:1.0\n      securityContext: ${securityContext}\n`;
      }
      const chunk = splitDocuments(text)[0]!;
      const locator = new TextLocator(text);
      const at = (i: number): unknown => locator.locate(chunk, ['items', i, 'spec', 'containers', 0, 'securityContext', 'privileged']);
      // Item i starts on line 4 + 9 i (one line more after each anchor); an alias is found where its anchor's value is.
      const first = { line: 13, column: 9 };
      const second = { line: 4 + 9 * (count / 2) + 1 + 9, column: 9 };
      for (let i = 0; i < count; i++) expect(at(i)).toEqual(i < count / 2 ? first : second);
      expect(locator.locate(chunk, ['items', count - 1, 'spec', 'containers', 0, 'image'])).toEqual({ line: 4 + 9 * (count - 1) + 2 + 7, column: 7 });
    },
    30_000,
  );
});
