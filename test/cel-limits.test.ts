// The parser limits of cel-go as the API server applies them (its CEL environments set no parser
// option, so cel-go's defaults hold: parser.NewParser sets expressionSizeCodePointLimit 100,000 and
// maxRecursionDepth 250). Expected values come from cel-go's parser: its wording
// ("expression code point size exceeds limit: size: %d, limit %d", "expression recursion limit
// exceeded: %d" from the grammar listener, "max recursion depth exceeded" from the tree builder),
// and the thresholds of its own tests at a limit of 32 (32 nested lists, 33 `+`, 33 selections
// fail), here at 250. VAP errors print as the API server's compile errors: "compilation failed: "
// then cel-go's issues, whose location is `<input>:-1:0` when it has none.
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { compile, evaluate } from '../src/policy/cel.js'
import { evaluatePolicies, loadPolicies } from '../src/policy/vap.js'
import type { JsonObject } from '../src/types.js'
import { VARS } from './helpers/cel.js'

function outcome(expression: string, activation: Record<string, unknown> = {}): { value?: unknown; error?: string; cost?: number } {
  const c = compile(expression, { variables: VARS })
  if (!c.ok) return { error: c.error }
  const r = evaluate(c.program, activation)
  return r.ok ? { value: r.value, cost: r.cost } : { error: r.error }
}

const r = (s: string, n: number): string => s.repeat(n)
const names = (n: number): string => `[${Array.from({ length: n }, (_, i) => `'n${i}'`).join(', ')}]`

describe('list and map literals: no element limit (cel-go has none)', () => {
  it.each([1000, 1001, 5000])('a list of %i strings', (n) => {
    expect(outcome(`object.metadata.name in ${names(n)}`, { object: { metadata: { name: `n${n - 1}` } } }).value).toBe(true)
    expect(outcome(`object.metadata.name in ${names(n)}`, { object: { metadata: { name: 'other' } } }).value).toBe(false)
  })
  it('a map of 1,001 entries', () => {
    const map = `{${Array.from({ length: 1001 }, (_, i) => `'k${i}': ${i}`).join(', ')}}`
    expect(outcome(`${map}.size() == 1001 && ${map}['k1000'] == 1000`).value).toBe(true)
  })
  it('a call with more than 32 arguments is an overload error, not a parser limit', () => {
    expect(outcome(`f(${r('1, ', 39)}1)`).error).toMatch(/^found no matching overload for 'f\(int, int/)
  })
  it('cost accounting still applies: `in` is charged by the size of the list', () => {
    expect(outcome(`'x' in ${names(5000)}`).cost).toBeGreaterThanOrEqual(5000)
  })
})

describe('expression size: at most 100,000 code points', () => {
  it('100,000 is accepted, 100,001 refused before parsing, in cel-go words', () => {
    const fill = (n: number): string => `'${r('a', n - 2)}'`
    expect(outcome(`${fill(100_000 - 11)}.size() > 0`).value).toBe(true)
    expect(outcome(`${fill(100_001 - 11)}.size() > 0`).error).toBe('expression code point size exceeds limit: size: 100001, limit 100000')
    // A syntax error past the limit is not reached.
    expect(outcome(`${r(' ', 100_001)}(`).error).toBe('expression code point size exceeds limit: size: 100002, limit 100000')
  })
  it('counts code points, not UTF-16 units', () => {
    // 60,000 emoji: 120,008 UTF-16 units, 60,008 code points.
    expect(outcome(`'${r('😀', 60_000)}' != ''`).value).toBe(true)
    expect(outcome(`'${r('😀', 100_000)}' != ''`).error).toBe('expression code point size exceeds limit: size: 100008, limit 100000')
  })
})

describe('nesting while parsing: an expr inside 250 others is refused', () => {
  const ERROR = 'expression recursion limit exceeded: 250'
  it.each([
    ['parentheses', (n: number) => `${r('(', n)}true${r(')', n)}`],
    ['list literals', (n: number) => `${r('[', n)}1${r(']', n)} != []`],
    ['call arguments', (n: number) => `${r('int(', n)}1${r(')', n)} == 1`],
    ['map values', (n: number) => `${r("{'a': ", n)}1${r('}', n)} != {}`],
    ['conditionals in the else branch', (n: number) => `${r('true ? true : ', n)}false`],
  ])('%s: 249 levels compile, 250 do not', (_, shape) => {
    expect(outcome(shape(249)).error).toBeUndefined()
    expect(outcome(shape(250)).error).toBe(ERROR)
  })
  it('brackets in the condition or the then branch of a conditional count once', () => {
    expect(outcome(`true ? ${r('(', 249)}true${r(')', 249)} : false`).value).toBe(true)
  })
  it('an empty bracket holds no expr', () => {
    expect(outcome(`${r('[', 249)}[]${r(']', 249)} != []`).error).toBeUndefined()
  })
  it('brackets inside string literals and comments are text', () => {
    expect(outcome(`'${r('(', 300)}' != '' // ${r('[', 300)}`).value).toBe(true)
  })
})

describe('depth of the syntax tree: 251 selections, indexes, calls, relations or operators inside one another are refused', () => {
  const ERROR = 'max recursion depth exceeded'
  it.each([
    ['selections', (n: number) => `has(object${r('.a', n)})`],
    ['indexes', (n: number) => `object${r('[0]', n)}`],
    ['member calls', (n: number) => `'a'${r('.lowerAscii()', n)}`],
    ['arithmetic', (n: number) => `1${r(' + 1', n)}`],
    ['relations', (n: number) => `true${r(' == true', n)}`],
  ])('%s: 250 compile, 251 do not', (_, shape) => {
    expect(compile(shape(250), { variables: VARS }).ok).toBe(true)
    expect(compile(shape(251), { variables: VARS })).toEqual({ ok: false, error: ERROR })
  })
  it('the levels of different kinds add up', () => {
    expect(outcome(`1${r(' + 1', 249)} > 0`).value).toBe(true)
    expect(outcome(`1${r(' + 1', 250)} > 0`).error).toBe(ERROR)
  })
  it('a chain of 49,000 `+` is refused without exhausting the stack', () => {
    expect(outcome(`1${r('+1', 49_000)} > 0`).error).toBe(ERROR)
  })
})

describe('chains of && and ||: any length, balanced as cel-go builds them', () => {
  it.each([['&&', 'true', 'false'], ['||', 'false', 'true']])('10,000 operands of %s', (op, unit, other) => {
    expect(outcome(r(`${unit} ${op} `, 9999) + unit).value).toBe(unit === 'true')
    expect(outcome(r(`${unit} ${op} `, 5000) + other + r(` ${op} ${unit}`, 4999)).value).toBe(other === 'true')
  })
  it('errors are absorbed whatever the shape: a false operand wins over errors on either side', () => {
    const a = { object: { a: 1n } }
    expect(outcome('object.x == 1 && object.y == 1 && object.a == 2 && true', a).value).toBe(false)
    expect(outcome('true && object.x == 1 && true && true', a).error).toBe('no such key: x')
    expect(outcome('object.x == 1 || object.y == 1 || object.a == 1 || false', a).value).toBe(true)
  })
  it('a type error names the operator cel-go blames: the one joining `1` and `true`', () => {
    const c = compile('true && true && 1 && true', { variables: VARS })
    expect(c.ok).toBe(false)
    if (!c.ok) expect(c.position).toEqual({ line: 1, column: 17 })
  })
})

describe('runs of unary operators: cel-go cancels them out in pairs', () => {
  it.each([
    ["!!'a' == 'a'", true], // an even run is dropped before type-checking: the operand stays a string
    [`${r('!', 99_990)}true`, true],
    [`${r('!', 99_991)}true`, false],
    [`${r('-', 99_990)}1 == 1`, true],
    [`${r('-', 99_991)}1 == -1`, true],
    ['3---1 == 2', true], // a binary minus, then two unary ones
    ['1 in --[1]', true], // `in` is an operator: both minus signs are unary
    ['!!-1 == -1', true], // `-1` is a literal
    ['1 != -1', true],
    ["'!!x--' == '!!x--'", true],
  ])('%#', (expression, value) => {
    expect(outcome(expression)).toMatchObject({ value })
  })
  it('an odd run keeps one operator, which type-checks', () => {
    expect(outcome("!!!'a'").error).toMatch(/overload/)
  })
  it('a long run mixing ! and - (a syntax error in cel-go) is refused without exhausting the stack', () => {
    expect(outcome(`${r('!-', 40_000)}true`).error).toBe('expression recursion limit exceeded: 250')
  })
})

describe('ValidatingAdmissionPolicy: limit errors as the API server words them', () => {
  const policy = (expression: string): JsonObject[] => parseAllDocuments(`
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: limits}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
  validations:
  - expression: ${JSON.stringify(expression)}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: limits-b}
spec: {policyName: limits, validationActions: [Deny]}
`).map((d) => d.toJSON() as JsonObject)
  const pod = (name: string): JsonObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'd' }, spec: { containers: [{ name: 'c', image: 'x' }] } })

  it('a list of 1,001 names loads and admits a listed pod', () => {
    const loaded = loadPolicies(policy(`object.metadata.name in ${names(1001)}`))
    expect(loaded.errors).toEqual([])
    expect(evaluatePolicies({ object: pod('n1000') }, loaded).allowed).toBe(true)
    expect(evaluatePolicies({ object: pod('other') }, loaded).allowed).toBe(false)
  })
  it('an oversized expression: compilation failed, no location; with Fail it denies', () => {
    const expression = `${r('!', 100_000)}true`
    const loaded = loadPolicies(policy(expression))
    expect(loaded.errors.map((e) => e.message)).toEqual([
      `spec.validations[0].expression: Invalid value: ${JSON.stringify(expression)}: compilation failed: ERROR: <input>:-1:0: expression code point size exceeds limit: size: 100004, limit 100000`,
    ])
    expect(evaluatePolicies({ object: pod('p') }, loaded).denial?.decision.message)
      .toBe('compilation error: ERROR: <input>:-1:0: expression code point size exceeds limit: size: 100004, limit 100000')
  })
  it('too deep a nesting', () => {
    const loaded = loadPolicies(policy(`${r('[', 300)}1${r(']', 300)} != []`))
    expect(loaded.errors[0]?.message).toMatch(/: compilation failed: ERROR: <input>:-1:0: expression recursion limit exceeded: 250$/)
    expect(loaded.errors[0]?.position).toBeUndefined()
  })
})
