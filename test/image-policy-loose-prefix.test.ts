/**
 * The CEL reading of image-policy-loose-prefix: which literals count as image prefixes that a
 * true result admits, string literal decoding, and bounded work on hostile expressions (the
 * timeouts only catch hangs; speed is measured by the bench).
 */
import { describe, expect, it } from 'vitest';
import { celImagePrefixes, regexPrefix, type CelSource } from '../src/rules/image/image-policy-loose-prefix/cel.js';

function source(expression: string, label = 'validation #0'): CelSource {
  return { expression, path: ['spec', 'validations', 0, 'expression'], label };
}

/** The prefixes one validation allows by, with these variables. */
function prefixes(expression: string, variables: Record<string, string> = {}): string[] {
  const vars = new Map(Object.entries(variables).map(([name, e], i) => [name, { expression: e, path: ['spec', 'variables', i, 'expression'], label: `variable "${name}"` }]));
  return celImagePrefixes([source(expression)], vars).map((f) => f.prefix);
}

describe('image-policy-loose-prefix CEL reading', () => {
  it('reads startsWith literals on images, in both quote styles and every string form', () => {
    expect(prefixes(`object.spec.containers.all(c, c.image.startsWith('a.io/x'))`)).toEqual(['a.io/x']);
    expect(prefixes(`object.spec.containers.all(c, c.image.startsWith("a.io/x"))`)).toEqual(['a.io/x']);
    expect(prefixes(`object.spec.containers.all(c, c.image.startsWith('a.io/\\'x'))`)).toEqual(["a.io/'x"]);
    expect(prefixes(`object.spec.containers.all(c, c.image.startsWith("a.io/\\"x\\x41\\u00e9\\101"))`)).toEqual(['a.io/"xAéA']);
    expect(prefixes(`object.spec.containers.all(c, c.image.startsWith(r'a.io/\\x'))`)).toEqual(['a.io/\\x']);
    expect(prefixes(`object.spec.containers.all(c, c.image.startsWith('''a.io/'x'''))`)).toEqual(["a.io/'x"]);
    expect(prefixes(`object.spec.containers.all(c, // a comment with 'quotes'\n c.image.startsWith('a.io/x'))`)).toEqual(['a.io/x']);
    // Bytes are not strings; an invalid escape is not CEL.
    expect(prefixes(`object.spec.containers.all(c, c.image.startsWith(b'a.io/x'))`)).toEqual([]);
    expect(prefixes(`object.spec.containers.all(c, c.image.startsWith('a.io/\\.x'))`)).toEqual([]);
  });

  it('follows images through bindings, maps, variables and lists of prefixes', () => {
    expect(prefixes(`object.spec.containers.map(c, c.image).all(i, i.startsWith('a.io/x'))`)).toEqual(['a.io/x']);
    expect(prefixes(`object.spec.containers.map(c, c.name != '', c.image.lowerAscii()).all(i, i.startsWith('a.io/x'))`)).toEqual(['a.io/x']);
    expect(prefixes(`object.spec.?initContainers.orValue([]).all(i, c, c.image.startsWith('a.io/x'))`)).toEqual(['a.io/x']);
    expect(prefixes(`[object.spec.containers, object.spec.initContainers].all(l, l.all(c, c.image.startsWith('a.io/x')))`)).toEqual(['a.io/x']);
    expect(prefixes(`cel.bind(p, ['a.io/x', 'b.io/'], object.spec.containers.all(c, p.exists(q, c.image.startsWith(q))))`)).toEqual(['a.io/x', 'b.io/']);
    expect(prefixes(`variables.imgs.all(i, (variables.ok + ['c.io/z']).exists(p, i.startsWith(p)))`, { imgs: 'object.spec.containers.map(c, c.image)', ok: `['a.io/x']` })).toEqual(['a.io/x', 'c.io/z']);
    expect(prefixes(`variables.fine`, { fine: `object.spec.containers.all(c, c.image.startsWith('a.io/x'))` })).toEqual(['a.io/x']);
  });

  it('reports a literal at the expression that holds it, once', () => {
    const vars = new Map([['ok', { expression: `['a.io/x']`, path: ['spec', 'variables', 0, 'expression'], label: 'variable "ok"' }]]);
    const found = celImagePrefixes(
      [source(`object.spec.containers.all(c, variables.ok.exists(p, c.image.startsWith(p)))`), source(`object.spec.initContainers.all(c, variables.ok.exists(p, c.image.startsWith(p)))`, 'validation #1')],
      vars,
    );
    expect(found).toEqual([{ kind: 'prefix', entry: 'a.io/x', prefix: 'a.io/x', path: ['spec', 'variables', 0, 'expression'], label: 'variable "ok"' }]);
  });

  it('ignores other fields, deny lists and results that are compared or counted', () => {
    for (const expression of [
      `object.metadata.name.startsWith('team')`,
      `object.spec.containers.all(c, c.name.startsWith('team'))`,
      `object.spec.containers.filter(c, c.image != '').all(c, c.name.startsWith('team'))`,
      `object.spec.containers.all(c, c.image == 'a.io/x:1')`,
      `object.spec.containers.all(c, !c.image.startsWith('a.io/x'))`,
      `!object.spec.containers.exists(c, c.image.startsWith('a.io/x'))`,
      `object.spec.containers.all(c, c.image.startsWith('a.io/x') == false)`,
      `object.spec.containers.all(c, c.image.startsWith('a.io/x') ? false : true)`,
      `size(object.spec.containers.filter(c, c.image.startsWith('a.io/x'))) == 0`,
      `object.spec.containers.all(c, c.image.startsWith('a.io/' + params.team))`,
      `variables.unused == 1`,
    ]) {
      expect(prefixes(expression, { unused: `object.spec.containers.all(c, c.image.startsWith('a.io/x'))` }), expression).toEqual([]);
    }
    expect(prefixes(`!object.spec.containers.exists(c, !c.image.startsWith('a.io/x'))`)).toEqual(['a.io/x']);
  });

  it('reads anchored regexes that are a literal prefix only', () => {
    expect(regexPrefix('^registry\\.example\\.com/team')).toBe('registry.example.com/team');
    expect(regexPrefix('^ghcr\\.io/acme.*')).toBe('ghcr.io/acme');
    expect(regexPrefix('^ghcr\\.io/acme/.+')).toBe('ghcr.io/acme/');
    for (const pattern of ['registry\\.example\\.com/team', '^registry.example.com/team', '^a\\.io/x$', '^a\\.io/(x|y)', '^a\\.io/[a-z]+', '^a\\.io/x\\d', '(?i)^a\\.io/x', '^a\\.io/x|b'])
      expect(regexPrefix(pattern), pattern).toBeUndefined();
    expect(prefixes(`object.spec.containers.all(c, c.image.matches('^a\\\\.io/x'))`)).toEqual(['a.io/x']);
    expect(prefixes(`object.spec.containers.all(c, matches(c.image, r'^a\\.io/x'))`)).toEqual(['a.io/x']);
  });

  it('bounds its work on hostile expressions', () => {
    const MB = 1024 * 1024;
    // Many quotes and calls: 256 KB is read (a long || chain nests nothing), one megabyte is
    // refused as cel-js refuses it (over 100,000 nodes).
    const call = `c.image.startsWith('a.io/\\'x') || `;
    expect(prefixes(`object.spec.containers.all(c, ${call.repeat((MB / 4) / call.length)}true)`)).toEqual(["a.io/'x"]);
    expect(prefixes(`object.spec.containers.all(c, ${call.repeat(MB / call.length)}true)`)).toEqual([]);
    // Unterminated strings, unbalanced calls and deep nesting give nothing and do not overflow the stack.
    expect(prefixes(`c.image.startsWith('${"\\'".repeat(MB / 2)}`)).toEqual([]);
    expect(prefixes(`${'c.image.startsWith('.repeat(MB / 19)}'a.io/x'`)).toEqual([]);
    expect(prefixes(`${'('.repeat(MB)}x`)).toEqual([]);
    expect(prefixes(`${'!'.repeat(MB)}x`)).toEqual([]);
    expect(prefixes(`object${'.a'.repeat(MB / 2)}.image.startsWith('a.io/x')`)).toEqual([]);
    expect(prefixes(`"${'"'.repeat(MB)}`)).toEqual([]);
    // Variables that read each other end the analysis, they do not loop.
    expect(prefixes(`variables.a`, { a: 'variables.b', b: 'variables.a' })).toEqual([]);
    expect(prefixes(`variables.a.all(i, i.startsWith('a.io/x'))`, { a: 'variables.b', b: 'variables.a' })).toEqual([]);
  });
});
