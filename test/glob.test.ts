import { describe, expect, it } from 'vitest';
import { boundedGlobMatch, compileGlob, globMatch } from '../src/engine/glob.js';
import { Exceptions } from '../src/engine/exceptions.js';

// Globs of the configuration (exceptions, rule keys, --rules, allowed names, mutable tags) and of
// registry patterns, matched without backtracking. Held to the regular expression each stands for,
// on every glob and text over a small alphabet, and timed against globs that make a backtracking
// engine take minutes.

/** The regular expression a glob stands for: `*` is `run*`, `?` any one character (or itself). */
function reference(glob: string, run: string, question = true): RegExp {
  const body = [...glob].map((c) => (c === '*' ? `${run}*` : c === '?' && question ? '.' : c.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 's');
}

/** Every string of length 0..max over `alphabet`. */
function all(alphabet: string, max: number): string[] {
  let level = [''];
  const out = [''];
  for (let n = 1; n <= max; n++) {
    level = level.flatMap((s) => [...alphabet].map((c) => s + c));
    out.push(...level);
  }
  return out;
}

describe('globs', () => {
  it('match exactly what the equivalent regular expression matches', () => {
    const globs = all('a*?.', 4);
    const texts = all('ab.?', 4);
    let compared = 0;
    for (const glob of globs) {
      const any = reference(glob, '.');
      const label = reference(glob, '[^./:]');
      const literalQuestion = reference(glob, '[^./:]', false);
      const compiled = compileGlob(glob);
      for (const text of texts) {
        expect([glob, text, globMatch(glob, text)]).toEqual([glob, text, any.test(text)]);
        expect([glob, text, compiled.test(text)]).toEqual([glob, text, any.test(text)]);
        expect([glob, text, boundedGlobMatch(glob, text, (c) => c !== 0x2e)]).toEqual([glob, text, label.test(text)]);
        expect([glob, text, boundedGlobMatch(glob, text, (c) => c !== 0x2e, false)]).toEqual([glob, text, literalQuestion.test(text)]);
        compared++;
      }
    }
    expect(compared).toBe(341 * 341);
  });

  it('take time linear in the text on globs that make a regular expression backtrack for minutes', { timeout: 20_000 }, () => {
    // As a regular expression this pair takes about three minutes; the texts here are far longer.
    const glob = `${'*a'.repeat(12)}*b`;
    const text = 'a'.repeat(100_000);
    expect(globMatch(glob, text)).toBe(false);
    expect(boundedGlobMatch(glob, text, () => true)).toBe(false);
    expect(globMatch(glob, `${text}b`)).toBe(true);
    // An exception's name glob against object names, as the admission webhook matches them.
    const exceptions = new Exceptions([{ rule: 'pss-*', name: glob, reason: 'test' }], new Date('2026-01-01'));
    expect(exceptions.match('pss-privileged', { apiVersion: 'v1', kind: 'Pod', name: 'a'.repeat(253) }, undefined)).toBeUndefined();
    expect(exceptions.match('pss-privileged', { apiVersion: 'v1', kind: 'Pod', name: `${'a'.repeat(252)}b` }, undefined)?.reason).toBe('test');
  });
});
