import { describe, expect, it } from 'vitest'
import { compileRe2, estimateSize, type Re2 } from '../src/policy/cel-re2.js'
import { compile, evaluate } from '../src/policy/cel.js'
import { evalError, runCel, VARS } from './helpers/cel.js'

// CEL regexes are RE2: linear in the input whatever the pattern. `find` and `findAll` run a Pike VM
// over @bufbuild/re2's compiled program; they are held here to JS RegExp (with Go's FindAll rule
// for empty matches written out independently) on patterns where the two engines agree, to Go's
// own results where they differ, and to patterns that make a backtracking engine take exponential time.

/** A budget that never runs out. */
const free = (): void => undefined

function re2(pattern: string): Re2 {
  const re = compileRe2(pattern)
  if (typeof re === 'string') throw new Error(re)
  return re
}

/** The JS RegExp of a pattern whose leading RE2 flags (`(?i)`, `(?ms)`) become JS flags. */
function jsRegExp(pattern: string, extra = ''): RegExp {
  const lead = /^\(\?([ims]+)\)/.exec(pattern)
  return new RegExp(lead ? pattern.slice(lead[0].length) : pattern, `u${extra}${lead?.[1] ?? ''}`)
}

/** Go's FindAllString, written over a JS RegExp: an empty match right after a match is skipped. */
function referenceFindAll(pattern: string, s: string): string[] {
  const re = jsRegExp(pattern, 'g')
  const out: string[] = []
  let prevEnd = -1
  for (let pos = 0; pos <= s.length; ) {
    re.lastIndex = pos
    const m = re.exec(s)
    if (m === null) break
    const start = m.index
    const end = start + m[0].length
    let accept = true
    if (end === pos) {
      if (start === prevEnd) accept = false
      pos += pos < s.length ? ((s.codePointAt(pos) as number) > 0xffff ? 2 : 1) : 1
    } else pos = end
    prevEnd = end
    if (accept) out.push(m[0])
  }
  return out
}

/** Patterns whose meaning is the same in RE2 and in JS (leftmost-first, ASCII classes, no `\s`). */
const SHARED = [
  'a', 'ab', 'a|ab', 'ab|a', 'a*', 'a+', 'a?', 'a*?', 'a+?', '(a|b)*', '(a|b)*?b', '(ab)+', 'a{2,3}', 'a{2,}', 'a{0,2}?',
  '[a-c]+', '[^a]+', '[0-9]+', '^a', 'a$', '^$', '^', '$', '\\ba', 'a\\b', '\\Ba', '.', '.+', '.*?-', '(?:a|b-)+1',
  '(a*)*', '(a*)+b', '(a|)+', 'x*', '(?i)AB', '\\d+-\\d+', '\\w+', '(a+|b+)-', 'a.c', '(-1|1-)+',
  '(?m)^a', '(?m)b$', '(?s)a.b', '\\p{L}+', '[^\\n]+', '\\.',
]

function strings(seed: number, count: number): string[] {
  let x = seed
  const next = (): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    return x >>> 8
  }
  const alphabet = ['a', 'b', 'c', '-', '1', ' ', '\n', 'A', 'é', '😀', '.']
  const out = ['', 'a', 'ab', 'aab', 'ba', 'abc', 'a-b', 'aaa', '\n', 'a\nb']
  while (out.length < count) {
    let s = ''
    const length = next() % 14
    for (let i = 0; i < length; i++) s += alphabet[next() % alphabet.length]
    out.push(s)
  }
  return out
}

describe('RE2 regexes in CEL', () => {
  it('agrees with a backtracking engine wherever the two define the same matches', () => {
    const inputs = strings(7, 120)
    let compared = 0
    for (const pattern of SHARED) {
      const re = re2(pattern)
      const js = jsRegExp(pattern)
      for (const s of inputs) {
        const expected = js.exec(s)
        expect([pattern, s, re.test(s)]).toEqual([pattern, s, expected !== null])
        expect([pattern, s, re.find(s)]).toEqual([pattern, s, expected?.[0] ?? ''])
        const all = referenceFindAll(pattern, s)
        expect([pattern, s, re.findAll(s, -1, free)]).toEqual([pattern, s, all])
        expect([pattern, s, re.findAll(s, 1, free)]).toEqual([pattern, s, all.slice(0, 1)])
        compared++
      }
    }
    expect(compared).toBe(SHARED.length * 120)
  })

  it('gives Go\'s results where RE2 differs from JS', () => {
    // RE2's \s is [\t\n\f\r ], without \v or Unicode spaces; \b is ASCII.
    expect(re2('\\s').test('\v')).toBe(false)
    expect(re2('\\s').test('\u00a0')).toBe(false)
    expect(re2('\\bé').test(' é')).toBe(false)
    // `$` without (?m) is the end of the text only (JS without m too), \z likewise; \A is the start.
    expect(re2('\\Aab').test('x\nab')).toBe(false)
    expect(re2('b\\z').find('ab\n')).toBe('')
    // RE2 reads \Q...\E literally and (?U) makes repetitions lazy.
    expect(re2('\\Qa.b\\E').find('xa.bx')).toBe('a.b')
    expect(re2('(?U)a+').find('aaa')).toBe('a')
    // POSIX classes, and Unicode classes without braces.
    expect(re2('[[:digit:]]+').find('ab12c')).toBe('12')
    expect(re2('\\pL+').findAll('héllo wörld 42', -1, free)).toEqual(['héllo', 'wörld'])
    // Named groups in Go's and Perl's syntax; a code point outside the BMP is one character.
    expect(re2('(?P<n>[a-z]+)-(?<m>\\d)').find('x name-1')).toBe('name-1')
    expect(re2('^.$').test('😀')).toBe(true)
    expect(re2('.').findAll('a😀b', -1, free)).toEqual(['a', '😀', 'b'])
    expect(re2('x*').findAll('😀😀', -1, free)).toEqual(['', '', ''])
    // Kubernetes' documented examples.
    expect(runCel('"abc 123".find("[0-9]+")')).toBe('123')
    expect(runCel('"123 abc 456".findAll("[0-9]+")')).toEqual(['123', '456'])
  })

  it('rejects what RE2 rejects, with Go\'s message', () => {
    expect(compileRe2('a(?=b)')).toMatch(/^error parsing regexp: invalid or unsupported Perl syntax: `\(\?=`/)
    expect(compileRe2('(?<=a)b')).toBe('error parsing regexp: invalid or unsupported Perl syntax: `(?<`')
    expect(compileRe2('(a)\\1')).toBe('error parsing regexp: invalid escape sequence: `\\1` (backreferences are not supported by RE2)')
    expect(compileRe2('\\Z')).toBe('error parsing regexp: invalid escape sequence: `\\Z`')
    expect(compileRe2('a{1001}')).toBe('error parsing regexp: invalid repeat count: `{1001}`')
    expect(compileRe2('x**')).toBe('error parsing regexp: invalid nested repetition operator: `**`')
    expect(compileRe2('[a')).toBe('error parsing regexp: missing closing ]: `[a`')
    // Patterns past 8,192 characters are refused: the parser is quadratic in a run of literals.
    expect(compileRe2('a'.repeat(8192))).not.toBeTypeOf('string')
    expect(compileRe2('a'.repeat(64_000))).toBe('error parsing regexp: expression too large: 64000 characters, over the limit of 8192')
    expect(evalError('object.metadata.name.matches(object.metadata.annotations.p)', { object: { metadata: { name: 'x', annotations: { p: 'a'.repeat(100_000) } } } })).toMatch(/expression too large: 100000 characters/)
    // An escaped parenthesis before `?<` is a literal, not a lookbehind, and so is one in a class.
    expect(re2('\\(?<=').find('<=')).toBe('<=')
    expect(re2('[(?<=]+').find('x(?<=y')).toBe('(?<=')
    expect(re2('[(?<!a]+').find('x!<y')).toBe('!<')
    // Repetitions multiply: refused before compiling (this one is a million instructions).
    expect(compileRe2('a{1000}'.repeat(1000))).toMatch(/^error parsing regexp: expression too large: about \d+ instructions, over the limit of 50000$/)
    expect(compileRe2('(?:[a-z0-9]{1,63}\\.){0,4}[a-z]{2,63}')).not.toBeTypeOf('string')
  })

  it('takes linear time on patterns that make a backtracking engine explode', { timeout: 20_000 }, () => {
    // Each of these takes a backtracking engine 2^n steps (n the length of the run of `a`s):
    // at these sizes, longer than the age of the universe.
    const run = 'a'.repeat(50_000)
    expect(re2('^([a-z0-9]+-?)+$').test(`${run}!`)).toBe(false)
    expect(re2('^(a|a)*$').find(`${run}b`)).toBe('')
    expect(re2('(a|aa)*b|c').find(`${run.slice(0, 5000)}c`)).toBe('c')
    expect(re2('(x+x+)+y').findAll('x'.repeat(5000), -1, free)).toEqual([])
    expect(re2(`${'(a?)'.repeat(30)}${'a'.repeat(30)}`).find('a'.repeat(30))).toBe('a'.repeat(30))
    // Through CEL, as a ValidatingAdmissionPolicy in the webhook evaluates it on an object's field.
    const name = `${'a'.repeat(5000)}!`
    expect(runCel('object.metadata.name.matches("^([a-z0-9]+-?)+$")', { object: { metadata: { name } } })).toBe(false)
    expect(runCel('object.metadata.name.find("(a|aa)*!")', { object: { metadata: { name } } })).toBe(name)
  })

  it('estimates a program\'s size from the pattern, never below what it compiles to', () => {
    for (const pattern of ['a', 'a|b', '(a|b)*c', 'a{3}', '(?:ab){2,5}', '[a-z]{0,61}', '\\Qa.b\\E+', '(?i)(?P<n>x)?', '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$', '((a{2}){3}){4}', 'x\\p{Greek}+\\x{41}']) {
      const re = re2(pattern)
      expect([pattern, estimateSize(pattern) >= re.size]).toEqual([pattern, true])
    }
  })

  it('charges every search of findAll, so the budget stops a quadratic one', { timeout: 20_000 }, () => {
    // Each search runs to the end of the input (the `a*b` thread waits for a `b`), then the next
    // starts one character further: input length squared in all.
    const s = 'a'.repeat(20_000)
    let charged = 0
    const matches = re2('a*b|a').findAll(s.slice(0, 2000), -1, (n) => {
      charged += n
    })
    expect(matches).toHaveLength(2000)
    expect(charged).toBeGreaterThan(2000 * 2000 / 2 / 50)
    expect(evalError('object.s.findAll("a*b|a").size() > 0', { object: { s } })).toMatch(/cost limit exceeded/)
  })

  it('charges a pattern\'s compile cost the first time it is seen', () => {
    // A new pattern from the object each time: 8,000 literal characters cost 100,000 steps and more.
    const pattern = (n: number): string => `${'b'.repeat(8000)}${n}`
    expect(evalError('object.s.matches(object.p)', { object: { s: 'x', p: pattern(1) } }, 50_000)).toMatch(/cost limit exceeded/)
    expect(runCel('object.s.matches(object.p)', { object: { s: 'x', p: pattern(2) } })).toBe(false)
    // A literal pattern is compiled with the expression, so evaluating it charges only the match.
    const literal = compile(`object.s.matches("${pattern(3)}")`, { variables: VARS })
    if (!literal.ok) throw new Error(literal.error)
    expect(evaluate(literal.program, { object: { s: 'x' } }, { maxSteps: 50_000 })).toMatchObject({ ok: true, value: false })
  })

  it('charges evaluation cost by input length and program size', () => {
    const big = 'a'.repeat(100_000)
    // The same input fits the budget with a small pattern and exhausts it with a large one.
    expect(runCel('object.s.matches("^a+$")', { object: { s: big } })).toBe(true)
    expect(evalError('object.s.matches("^(a?){500}a+$")', { object: { s: big } }, 100_000)).toMatch(/budget|cost|exceed/i)
  })
})
