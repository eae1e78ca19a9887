/*
 * The fast block-YAML reader must give exactly what js-yaml gives with the same schema, or decline.
 * Held to that on every document of the upstream manifests, the rule fixtures and the examples, on
 * hand-written cases of each construct it reads, and on thousands of mutated documents.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { yamlFiles } from './helpers/files.js';
import { DECLINED, readFast } from '../src/load/fast.js';
import { splitDocuments } from '../src/load/parse.js';
import { KUBE_SCHEMA } from '../src/load/schema.js';
import { mulberry32 } from './helpers/prng.js';

const DEPTH = 128;

function reference(source: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: yaml.load(source, { schema: KUBE_SCHEMA, maxDepth: DEPTH }) };
  } catch {
    return { ok: false };
  }
}

/** Same value, same types and same key order. */
function same(a: unknown, b: unknown): boolean {
  const tag = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' ? `${Object.is(x, -0) ? '-0' : String(x)}:n` : x));
  try {
    expect(a).toStrictEqual(b);
  } catch {
    return false;
  }
  return tag(a) === tag(b);
}

/** Checks one document: declined, or equal to js-yaml (which must accept it). Returns true when read fast. */
function check(source: string, where: string): boolean {
  const fast = readFast(source, DEPTH);
  if (fast === DECLINED) return false;
  const ref = reference(source);
  if (!ref.ok) throw new Error(`${where}: read fast, but js-yaml refuses it: ${JSON.stringify(source)}`);
  if (!same(fast, ref.value)) throw new Error(`${where}: fast ${JSON.stringify(fast)} != js-yaml ${JSON.stringify(ref.value)}`);
  return true;
}

function documents(files: readonly string[]): { source: string; where: string }[] {
  const out: { source: string; where: string }[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const chunk of splitDocuments(text)) out.push({ source: text.slice(chunk.start, chunk.end), where: `${file}:${chunk.line}` });
  }
  return out;
}

const fixtures = process.env['MAMORI_FIXTURES'];
const local = documents([...yamlFiles('src/rules'), ...yamlFiles('examples'), ...yamlFiles('test/golden')]);

describe('fast YAML reader', () => {
  it('reads the rule fixtures and examples exactly as js-yaml, most of them fast', () => {
    let fast = 0;
    for (const { source, where } of local) if (check(source, where)) fast++;
    expect(local.length).toBeGreaterThan(300);
    expect(fast / local.length).toBeGreaterThan(0.9);
  });

  it.runIf(fixtures !== undefined)('reads every upstream manifest exactly as js-yaml, most of them fast', () => {
    const docs = documents(yamlFiles(join(fixtures ?? '', 'manifests')));
    let fast = 0;
    for (const { source, where } of docs) if (check(source, where)) fast++;
    expect(docs.length).toBeGreaterThan(1000);
    expect(fast / docs.length).toBeGreaterThan(0.85);
  });

  const cases: [string, string][] = [
    ['mapping and nesting', 'a: 1\nb:\n  c: two\n  d:\n    e: null\n'],
    ['sequence at the key\'s indentation', 'a:\n- x\n- y: 1\n  z: 2\nb: c\n'],
    ['indented sequence', 'a:\n  - x\n  -   y\n  -\n    k: v\n  -\n'],
    ['compact nested sequences', 'a:\n- - 1\n  - 2\n- - 3\n'],
    ['empty values', 'a:\nb: ~\nc: ""\nd: \'\'\ne:   # comment\nf: null\n'],
    ['comments everywhere', '# head\na: 1 # one\n\n  # indented comment\nb:\n  # before\n  c: d#not-a-comment\n'],
    ['YAML 1.1 scalars', 'a: yes\nb: on\nc: Off\nd: 0644\ne: 8_080\nf: -0\ng: 1e3\nh: .5\ni: .inf\nj: 0x1F\nk: +12\nl: 1_000.5\nm: 2001-12-14\nn: y\n'],
    ['keys resolved then stringified', 'on: 1\n0644: 2\n1.50: 3\n~: 4\nfalse: 5\n'],
    ['quoted scalars', 'a: "x \\"y\\" \\\\ \\t \\u00e9 \\x41 \\U0001F600 \\/ \\N"\nb: \'it\'\'s # not a comment\'\n"c d": 1\n\'e\': 2\n'],
    ['plain scalars with indicators inside', 'a: http://x:80/y?z=1#frag\nb: a-b: c\n'],
    ['plain scalars with indicators inside, valid', 'a: http://x:80/y?z=1#frag\nb: foo[1]{2},3\nc: -dash\nd: a:b\n'],
    ['flow collections', 'a: []\nb: {}\nc: [x, "y, z", 3, yes]\nd: {k: v, "q": 1}\ne: [ a , b ]\n'],
    ['literal block scalars', 'a: |\n  line 1\n    indented\n\n  line 3\nb: |-\n  stripped\n\n\nc: |+\n  kept\n\n\nd: x\n'],
    ['folded block scalars', 'a: >\n  folded\n  text\n\n  para\n    more\n  back\nb: >-\n  x\n  y\n'],
    ['block scalar with comment header and blank lines', 'a: | # header\n\n  first\n\n\nb: 1\n'],
    ['block scalar at end without newline', 'a: |\n  x\n  y'],
    ['block scalar keep at end', 'a: |+\n  x\n\n'],
    ['block scalar in a sequence', '- |\n  a\n  b\n- >-\n  c\n  d\n'],
    ['block scalar empty', 'a: |\nb: 1\n'],
    ['block scalar with spaces-only lines', 'a: |\n  x\n     \n  y\n'],
    ['document header', '--- # comment\na: 1\n'],
    ['whole document indented', '  a: 1\n  b: 2\n'],
    ['duplicate key (refused by js-yaml)', 'a: 1\na: 2\n'],
    ['anchor and alias', 'a: &x 1\nb: *x\n'],
    ['merge key', 'a: &x {k: 1}\nb:\n  <<: *x\n'],
    ['tab indentation', 'a:\n\tb: 1\n'],
    ['multi-line plain scalar', 'a: one\n  two\n'],
    ['multi-line quoted scalar', 'a: "one\n  two"\n'],
    ['bad indentation', 'a:\n    b: 1\n  c: 2\n'],
    ['tag', 'a: !!str 1\n'],
    ['__proto__ key', '__proto__: 1\nb: 2\n'],
    ['CRLF', 'a: 1\r\nb: 2\r\n'],
    ['explicit indentation indicator', 'a: |2\n   x\n'],
    ['non-printable character', 'a: "\u0007"\n'],
    ['emoji', 'a: 😀 ok\n'],
    ['mapping value after sequence item (invalid)', 'a:\n- 1\n b: 2\n'],
    ['trailing comma in flow', 'a: [1, 2, ]\n'],
    ['flow mapping with JSON-like key', 'a: {"k":1}\n'],
  ];
  for (const [name, source] of cases) {
    it(`agrees with js-yaml or declines: ${name}`, () => {
      check(source, name);
    });
  }

  it('reads the common constructs fast rather than declining them', () => {
    const fastOnes = [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21];
    for (const i of fastOnes) {
      const [name, source] = cases[i] as [string, string];
      expect(readFast(source, DEPTH), name).not.toBe(DECLINED);
    }
    expect(readFast('a: 1\na: 2\n', DEPTH)).toBe(DECLINED);
    expect(readFast('a: &x 1\nb: *x\n', DEPTH)).toBe(DECLINED);
  });

  it('declines nesting near the depth limit and never overflows the stack', () => {
    const deep = Array.from({ length: 5000 }, (_, i) => `${' '.repeat(i)}- `).join('\n');
    expect(readFast(`${deep}x\n`, 1_000_000)).toBe(DECLINED);
    const nested = Array.from({ length: 140 }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n');
    expect(readFast(`${nested} 1\n`, DEPTH)).toBe(DECLINED);
  });

  it('agrees with js-yaml on 4,000 mutated documents', () => {
    const random = mulberry32(20261128);
    const pool = local.filter((d) => d.source.length < 4000);
    const pieces = [' ', '  ', '\n', '-', '- ', ':', ': ', '#', ' #', '"', "'", '|', '>', '|-', '>+', '[', ']', '{', '}', ',', '&a', '*a', '!', '?', '\\', 'yes', '0644', '~', '\t', '%', '@', '`', '---', '\n  ', '\n- '];
    let readFastCount = 0;
    for (let i = 0; i < 4000; i++) {
      const { source, where } = pool[Math.floor(random() * pool.length)] as { source: string; where: string };
      let text = source;
      const edits = 1 + Math.floor(random() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(random() * (text.length + 1));
        const kind = random();
        const piece = pieces[Math.floor(random() * pieces.length)] as string;
        if (kind < 0.4) text = text.slice(0, at) + piece + text.slice(at);
        else if (kind < 0.7) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 3));
        else if (kind < 0.85) text = text.slice(0, at) + piece + text.slice(at + piece.length);
        else {
          // Re-indent one line.
          const start = text.lastIndexOf('\n', at - 1) + 1;
          text = random() < 0.5 ? `${text.slice(0, start)} ${text.slice(start)}` : text.slice(0, start) + text.slice(start).replace(/^ /, '');
        }
      }
      if (check(text, `${where} mutation ${i}`)) readFastCount++;
    }
    // Most mutations still leave valid block YAML, which is read fast.
    expect(readFastCount).toBeGreaterThan(1000);
  });
});
