import { describe, expect, it } from 'vitest'
import { compile } from '../src/policy/cel.js'
import { VARS, evalError, runCel } from './helpers/cel.js'

const run = runCel

function compileError(expression: string, kubeMinor?: number): { error: string; position?: { line: number; column: number } } {
  const c = compile(expression, kubeMinor === undefined ? { variables: VARS } : { variables: VARS, kubeMinor })
  if (c.ok) throw new Error('expected a compile error')
  return c.position ? { error: c.error, position: c.position } : { error: c.error }
}

const pod = {
  metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
  spec: {
    replicas: 3n,
    containers: [
      { name: 'app', image: 'nginx:1.27', securityContext: { privileged: false, runAsNonRoot: true } },
      { name: 'sidecar', image: 'envoy' },
    ],
  },
}

describe('core CEL semantics', () => {
  it.each([
    ['object.spec.containers.all(c, has(c.securityContext))', false],
    ['object.spec.containers.exists(c, c.name == "sidecar")', true],
    ['object.spec.containers.exists_one(c, c.name.startsWith("s"))', true],
    ['object.spec.containers.map(c, c.name) == ["app", "sidecar"]', true],
    ['object.spec.containers.filter(c, has(c.securityContext)).size() == 1', true],
    ['object.spec.containers.map(c, has(c.securityContext), c.name) == ["app"]', true],
    ['has(object.metadata.labels.app)', true],
    ['has(object.metadata.annotations)', false],
    ['has(object.spec.containers[0].securityContext)', true],
    ['has(object.spec.containers[1].securityContext)', false],
    ['object.metadata.namespace == "shop"', true],
    ['object.spec.replicas == 3', true],
    ['object.spec.replicas == 3.0', true],
    ['1 < 2.0', true],
    ['dyn(1) == 1.0', true],
    ['2u > 1', true],
    ['object.?metadata.?annotations.orValue({}).size() == 0', true],
    ['object.metadata.labels[?"app"].orValue("none") == "web"', true],
    ['object.metadata.labels[?"tier"].orValue("none") == "none"', true],
    ['optional.of(1).hasValue() && !optional.none().hasValue()', true],
    ['optional.none().or(optional.of(2)).value() == 2', true],
    ['"abc".matches("^a.c$")', true],
    ['"ABC".matches("(?i)^abc$")', true],
    ['"a-b".matches("a\\\\-b")', true],
    ['"hello".lowerAscii() == "hello" && "a,b".split(",") == ["a", "b"] && " x ".trim() == "x"', true],
    ['"hello".charAt(1) == "e" && "hello".indexOf("l") == 2 && "hello".lastIndexOf("l") == 3', true],
    ['timestamp("2024-01-01T00:00:00Z") + duration("1h") == timestamp("2024-01-01T01:00:00Z")', true],
  ])('%s', (expression, expected) => {
    expect(run(expression, { object: pod })).toBe(expected)
  })

  it('feeds integers as int64', () => {
    expect(run('object.spec.replicas + 1', { object: pod })).toBe(4n)
  })

  it.each([
    ['9223372036854775807 + 1', /overflow/],
    ['-9223372036854775808 - 1', /overflow/],
    ['9223372036854775807 * 2', /overflow/],
    ['1 / 0', /division by zero/],
    ['1 % 0', /modulo by zero/],
    ['object.metadata.annotations.x == "y"', /No such key: annotations/],
    ['has(object.metadata.name.x)', /invalid type for field selection/],
  ])('%s is an evaluation error', (expression, message) => {
    expect(evalError(expression, { object: pod })).toMatch(message)
  })

  it('reports parse and type errors with a position, without throwing', () => {
    expect(compileError('object.spec.containers.all(c, c.name ==')).toMatchObject({ position: { line: 1 } })
    const multi = compileError('object.spec.replicas > 1 &&\n  1 + "a" == 2')
    expect(multi.position).toEqual({ line: 2, column: 3 })
    expect(compileError('unknown.field').error).toMatch(/unknown/i)
    expect(compileError('1 == 1.0').error).toMatch(/no such overload/)
    expect(compileError('[1, "a"]').error).toMatch(/same type/)
  })

  it('stops a runaway expression with a budget error', () => {
    const l = Array.from({ length: 300 }, (_, i) => BigInt(i))
    const err = evalError('object.l.all(x, object.l.all(y, object.l.all(z, x + y + z >= 0)))', { object: { l } })
    expect(err).toBe('operation cancelled: actual cost limit exceeded')
    expect(evalError('object.l.exists(x, object.l.exists(y, x > 1000))', { object: { l } }, 1000)).toMatch(/cost limit/)
    // the budget error is not absorbed by || (CEL's commutative error handling)
    expect(evalError('object.l.all(x, object.l.all(y, y >= 0)) || true', { object: { l } }, 100)).toMatch(/cost limit/)
  })

  it('rejects non-homogeneous literals, as the Kubernetes environment does', () => {
    expect(compileError('"%s %d".format(["str", 42])').error).toMatch(/same type/)
  })

  it('rejects functions outside the Kubernetes environment and unsupported ones', () => {
    expect(compileError('cel.bind(x, 1, x)').error).toBe('function bind is not part of the Kubernetes CEL environment')
    expect(compileError('[1].distinct()').error).toBe('function distinct is not supported yet')
    expect(compileError('object.x || optional.ofNonZeroValue(1).hasValue()').error).toMatch(/function ofNonZeroValue is not supported yet/)
    expect(compileError('jsonpatch.escapeKey("a/b")').error).toBe('function escapeKey is not supported yet')
    expect(compileError('[1].all(i, v, v > 0)').error).toMatch(/two iteration variables is not supported yet/)
  })

  it('gates features by Kubernetes minor', () => {
    expect(compileError('object.?spec', 28).error).toMatch(/not available before Kubernetes 1.29/)
    expect(run('object.?spec.hasValue()', { object: pod }, 29)).toBe(true)
    expect(compileError('sets.contains([1], [1])', 29).error).toMatch(/1.30/)
    expect(compileError('"a".replace("a", "b")', 29).error).toMatch(/1.30/)
    expect(run('sets.contains([1], [1])', {}, 30)).toBe(true)
  })
})

describe('regex library (RE2)', () => {
  it.each([
    ['"abc 123".find("[0-9]+") == "123"', true],
    ['"abc".find("[0-9]+") == ""', true],
    ['"123 abc 456".findAll("[0-9]+") == ["123", "456"]', true],
    ['"123 abc 456".findAll("[0-9]+", 1) == ["123"]', true],
    ['"123 abc 456".findAll("[0-9]+", 0) == []', true],
    ['"123 abc 456".findAll("[0-9]+", -1) == ["123", "456"]', true],
    ['"abc".findAll("x*") == ["", "", "", ""]', true],
    ['"name-1".find("(?P<n>[a-z]+)") == "name"', true],
    ['"ab\\nc".matches("\\\\Aab")', true],
    ['"ab".matches("b\\\\z")', true],
    ['"a1".matches("[[:alpha:]][[:digit:]]")', true],
  ])('%s', (expression, expected) => {
    expect(run(expression)).toBe(expected)
  })

  it.each([
    ['"abc".matches("a(?=b)")', /unsupported Perl syntax/],
    ['"abc".find("(?<=a)b")', /unsupported Perl syntax/],
    ['"aa".matches("(a)\\\\1")', /backreferences/],
    ['"abc".findAll("(?!a)")', /unsupported Perl syntax/],
  ])('%s is rejected at compile time', (expression, message) => {
    expect(compileError(expression).error).toMatch(message)
  })

  it('rejects a non-literal RE2-invalid pattern at evaluation', () => {
    expect(evalError('"abc".matches(object.p)', { object: { p: 'a(?=b)' } })).toMatch(/unsupported Perl syntax/)
    expect(evalError('"abc".find(object.p)', { object: { p: '(a)\\1' } })).toMatch(/backreferences/)
  })
})

describe('lists library', () => {
  it.each([
    ['[1, 2, 3].isSorted()', true],
    ['[1, 3, 2].isSorted()', false],
    ['["a", "b", "b"].isSorted()', true],
    ['[].isSorted()', true],
    ['[1, 2, 3].sum() == 6', true],
    ['[1.5, 2.5].sum() == 4.0', true],
    ['[].sum() == 0', true],
    ['[1, 2, 3].min() == 1', true],
    ['[1, 2, 3].max() == 3', true],
    ['["b", "a"].min() == "a"', true],
    ['[1, 2, 2, 3].indexOf(2) == 1', true],
    ['[1, 2, 2, 3].lastIndexOf(2) == 2', true],
    ['[1, 2, 3].indexOf(4) == -1', true],
    ['[[1], [2]].indexOf([2]) == 1', true],
    ['[dyn(1), dyn(2.0)].isSorted()', true],
  ])('%s', (expression, expected) => {
    expect(run(expression)).toBe(expected)
  })

  it('errors like the apiserver', () => {
    expect(evalError('[].min()')).toMatch(/min called on empty list/)
    expect(evalError('[].max()')).toMatch(/max called on empty list/)
    expect(evalError('[9223372036854775807, 1].sum()')).toMatch(/overflow/)
  })
})

describe('ext.Strings v2 additions', () => {
  it.each([
    ['"hello hello".replace("he", "we") == "wello wello"', true],
    ['"hello hello".replace("he", "we", -1) == "wello wello"', true],
    ['"hello hello".replace("he", "we", 1) == "wello hello"', true],
    ['"hello hello".replace("he", "we", 0) == "hello hello"', true],
    ['"abc".replace("", "-") == "-a-b-c-"', true],
    ['strings.quote("single-quote with \\"double quote\\"") == "\\"single-quote with \\\\\\"double quote\\\\\\"\\""', true],
    ['strings.quote("line\\nbreak") == "\\"line\\\\nbreak\\""', true],
    ['"this is a string: %s\\nand an integer: %d".format([dyn("str"), dyn(42)]) == "this is a string: str\\nand an integer: 42"', true],
    ['"%.3f".format([3.14159]) == "3.142"', true],
    ['"%f".format([1]) == "1.000000"', true],
    ['"%x %X %o %b".format([255, 255, 8, 5]) == "ff FF 10 101"', true],
    ['"%e".format([1234.5678]) == "1.234568e+03"', true],
    ['"%s %s".format([dyn(true), dyn([1, 2])]) == "true [1, 2]"', true],
    ['"100%%".format([]) == "100%"', true],
  ])('%s', (expression, expected) => {
    expect(run(expression)).toBe(expected)
  })

  it('format errors', () => {
    expect(evalError('"%d".format([1.5])')).toMatch(/decimal clause can only be used on integers/)
    expect(evalError('"%s %s".format(["a"])')).toMatch(/index 1 out of range/)
  })
})

describe('ext.Sets', () => {
  it.each([
    ['sets.contains([], [])', true],
    ['sets.contains([1, 2, 3, 4], [2, 3])', true],
    ['sets.contains([1, 2], [3])', false],
    ['sets.contains([dyn(1), dyn(2.0), dyn(3u)], [dyn(1.0), dyn(2u), dyn(3)])', true],
    ['sets.equivalent([], [])', true],
    ['sets.equivalent([1], [1, 1])', true],
    ['sets.equivalent([dyn(1), dyn(2), dyn(3)], [dyn(3u), dyn(2.0), dyn(1)])', true],
    ['sets.equivalent([1, 2], [2, 2, 2])', false],
    ['sets.intersects([1], [])', false],
    ['sets.intersects([1], [1, 2])', true],
    ['sets.intersects([[1], [2, 3]], [[1, 2], [2, 3]])', true],
  ])('%s', (expression, expected) => {
    expect(run(expression)).toBe(expected)
  })
})
