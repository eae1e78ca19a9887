/**
 * Kubernetes CEL libraries registered on a cel-js Environment: regex (`find`, `findAll`),
 * lists (`isSorted`, `sum`, `min`, `max`, `indexOf`, `lastIndexOf`), the ext.Strings v2 functions
 * cel-js lacks (`replace`, `format`, `strings.quote`) and ext.Sets. Ports of cel-go / apiserver
 * `pkg/cel/library` behaviour; errors are thrown and become evaluation errors.
 */
import type { Environment } from '@marcbachmann/cel-js'
import { compileRe2, re2Find, re2FindAll } from './cel-re2.js'

const INT64_MAX = 9223372036854775807n
const INT64_MIN = -9223372036854775808n

/** Adds `n` units to the running evaluation's step budget (set by cel.ts). */
export type Charge = (n: number) => void

function regex(pattern: string): RegExp {
  const re = compileRe2(pattern)
  if (typeof re === 'string') throw new Error(re)
  return re
}

function typeName(v: unknown): string {
  if (typeof v === 'bigint') return 'int'
  if (typeof v === 'number') return 'double'
  if (typeof v === 'string') return 'string'
  if (typeof v === 'boolean') return 'bool'
  if (v === null) return 'null_type'
  if (Array.isArray(v)) return 'list'
  if (v instanceof Uint8Array) return 'bytes'
  if (typeof v === 'object') return v.constructor?.name === 'UnsignedInt' ? 'uint' : 'map'
  return typeof v
}

/** CEL ordering for the comparable scalar types; cross-type numeric comparison allowed. */
export function celCompare(a: unknown, b: unknown): number {
  const numeric = (x: unknown): boolean => typeof x === 'bigint' || typeof x === 'number'
  if (numeric(a) && numeric(b)) {
    if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0
    const x = Number(a), y = Number(b)
    if (Number.isNaN(x) || Number.isNaN(y)) throw new Error('NaN values cannot be ordered')
    return x < y ? -1 : x > y ? 1 : 0
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b)
  throw new Error(`no such overload: ${typeName(a)} < ${typeName(b)}`)
}

/** CEL equality (heterogeneous numeric equality, deep for lists and maps). */
export function celEquals(a: unknown, b: unknown): boolean {
  const x = numeric(a), y = numeric(b)
  if (x !== undefined && y !== undefined) {
    return typeof x === typeof y ? x === y : Number(x) === Number(y) && !Number.isNaN(Number(x))
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => celEquals(x, b[i]))
  if (a instanceof Map || b instanceof Map) return false
  if (isPlainMap(a) && isPlainMap(b)) {
    const ka = Object.keys(a)
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && celEquals(a[k], b[k]))
  }
  return a === b
}

function numeric(v: unknown): bigint | number | undefined {
  if (typeof v === 'bigint' || typeof v === 'number') return v
  if (typeof v === 'object' && v !== null && v.constructor?.name === 'UnsignedInt') {
    const inner = (v as { value?: unknown }).value
    return typeof inner === 'bigint' ? inner : typeof inner === 'number' ? BigInt(inner) : undefined
  }
  return undefined
}

function isPlainMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && Object.getPrototypeOf(v) === Object.prototype
}

function addInt(a: bigint, b: bigint): bigint {
  const r = a + b
  if (r > INT64_MAX || r < INT64_MIN) throw new Error('integer overflow')
  return r
}

function sumList(list: readonly unknown[]): unknown {
  if (list.length === 0) return 0n
  const first = list[0]
  if (typeof first === 'bigint') {
    let acc = 0n
    for (const x of list) {
      if (typeof x !== 'bigint') throw new Error(`no such overload: sum of mixed list (${typeName(x)})`)
      acc = addInt(acc, x)
    }
    return acc
  }
  if (typeof first === 'number') {
    let acc = 0
    for (const x of list) {
      if (typeof x !== 'number') throw new Error(`no such overload: sum of mixed list (${typeName(x)})`)
      acc += x
    }
    return acc
  }
  throw new Error(`no such overload: ${typeName(first)} list has no sum()`)
}

function extreme(list: readonly unknown[], name: 'min' | 'max'): unknown {
  if (list.length === 0) throw new Error(`${name} called on empty list`)
  let best = list[0]
  for (const x of list.slice(1)) {
    const c = celCompare(x, best)
    if ((name === 'min' && c < 0) || (name === 'max' && c > 0)) best = x
  }
  return best
}

/** Go's strconv.Quote, as used by cel-go `strings.quote`. */
export function goQuote(s: string): string {
  let out = '"'
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0
    switch (ch) {
      case '"': out += '\\"'; continue
      case '\\': out += '\\\\'; continue
      case '\x07': out += '\\a'; continue
      case '\b': out += '\\b'; continue
      case '\f': out += '\\f'; continue
      case '\n': out += '\\n'; continue
      case '\r': out += '\\r'; continue
      case '\t': out += '\\t'; continue
      case '\v': out += '\\v'; continue
    }
    if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd'
    else out += ch
  }
  return `${out}"`
}

function formatScalarString(v: unknown): string {
  if (typeof v === 'string') return v
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v)
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN'
    if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf'
    return String(v)
  }
  if (v === null) return 'null'
  if (Array.isArray(v)) return `[${v.map(formatScalarString).join(', ')}]`
  if (isPlainMap(v)) {
    const keys = Object.keys(v).sort()
    return `{${keys.map((k) => `${k}: ${formatScalarString(v[k])}`).join(', ')}}`
  }
  if (v instanceof Uint8Array) return new TextDecoder().decode(v)
  if (typeof v === 'object' && v.constructor?.name === 'UnsignedInt') return String(v)
  throw new Error(`string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, and timestamps, was given ${typeName(v)}`)
}

function fixedDouble(v: unknown, precision: number, clause: string): string {
  const x = typeof v === 'bigint' ? Number(v) : v
  if (typeof x !== 'number') throw new Error(`${clause} clause can only be used on ints, uints, and doubles, was given ${typeName(v)}`)
  if (Number.isNaN(x)) return 'NaN'
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity'
  if (clause === 'scientific notation') {
    const [m, e] = x.toExponential(precision).split('e')
    const exp = Number(e)
    return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`
  }
  return x.toFixed(precision)
}

function integerClause(v: unknown, radix: number, clause: string): string {
  if (typeof v === 'bigint') return v < 0n ? `-${(-v).toString(radix)}` : v.toString(radix)
  if (typeof v === 'object' && v !== null && v.constructor?.name === 'UnsignedInt') return BigInt(String(v)).toString(radix)
  if (radix === 16 && typeof v === 'string') return [...new TextEncoder().encode(v)].map((b) => b.toString(16).padStart(2, '0')).join('')
  if (radix === 16 && v instanceof Uint8Array) return [...v].map((b) => b.toString(16).padStart(2, '0')).join('')
  throw new Error(`${clause} clause can only be used on integers, was given ${typeName(v)}`)
}

/** cel-go ext.Strings `format` (v2 subset: %s %d %f %e %x %X %o %b %%, with %.Nf / %.Ne precision). */
export function celFormat(fmt: string, args: readonly unknown[]): string {
  let out = ''
  let argi = 0
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i]
    if (c !== '%') { out += c; continue }
    i++
    if (fmt[i] === '%') { out += '%'; continue }
    let precision: number | undefined
    if (fmt[i] === '.') {
      let j = i + 1
      while (j < fmt.length && /[0-9]/.test(fmt[j] ?? '')) j++
      precision = Number(fmt.slice(i + 1, j))
      i = j
    }
    const verb = fmt[i]
    if (verb === undefined) throw new Error('unexpected end of format string')
    if (argi >= args.length) throw new Error(`index ${argi} out of range`)
    const v = args[argi++]
    switch (verb) {
      case 's': out += formatScalarString(v); break
      case 'd': {
        if (typeof v === 'number') throw new Error(`decimal clause can only be used on integers, was given ${typeName(v)}`)
        out += integerClause(v, 10, 'decimal'); break
      }
      case 'f': out += fixedDouble(v, precision ?? 6, 'fixed-point'); break
      case 'e': out += fixedDouble(v, precision ?? 6, 'scientific notation'); break
      case 'x': out += integerClause(v, 16, 'hex'); break
      case 'X': out += integerClause(v, 16, 'hex').toUpperCase(); break
      case 'o': out += integerClause(v, 8, 'octal'); break
      case 'b': {
        if (typeof v === 'boolean') { out += v ? '1' : '0'; break }
        out += integerClause(v, 2, 'binary'); break
      }
      default: throw new Error(`could not parse formatting clause: unrecognized formatting clause "${verb}"`)
    }
  }
  return out
}

function replaceN(s: string, from: string, to: string, n: bigint): string {
  // Go strings.Replace semantics (n < 0: all; an empty `from` matches before every rune and at the end).
  if (n === 0n || (from === to)) return s
  const limit = n < 0n ? Infinity : Number(n)
  if (from === '') {
    const runes = [...s]
    let out = ''
    let count = 0
    for (let i = 0; i <= runes.length; i++) {
      if (count < limit) { out += to; count++ }
      out += runes[i] ?? ''
    }
    return out
  }
  let out = ''
  let rest = s
  let count = 0
  while (count < limit) {
    const idx = rest.indexOf(from)
    if (idx < 0) break
    out += rest.slice(0, idx) + to
    rest = rest.slice(idx + from.length)
    count++
  }
  return out + rest
}

class StringsNamespace {}
class SetsNamespace {}

/** Registers the Kubernetes libraries on `env`; `charge` accounts for size-proportional work. */
export function registerKubernetesLibraries(env: Environment, charge: Charge): void {
  // Regex (RE2 semantics).
  env.registerFunction('string.find(string): string', (s: string, p: string) => { charge(s.length / 10); return re2Find(regex(p), s) })
  env.registerFunction('string.findAll(string): list<string>', (s: string, p: string) => { charge(s.length / 10); return re2FindAll(regex(p), s, -1) })
  env.registerFunction('string.findAll(string, int): list<string>', (s: string, p: string, n: bigint) => { charge(s.length / 10); return re2FindAll(regex(p), s, Number(n)) })

  // Lists v0.
  env.registerFunction('list.isSorted(): bool', (l: unknown[]) => {
    charge(l.length)
    for (let i = 1; i < l.length; i++) if (celCompare(l[i - 1], l[i]) > 0) return false
    return true
  })
  env.registerFunction('list.sum(): dyn', (l: unknown[]) => { charge(l.length); return sumList(l) })
  env.registerFunction('list.min(): dyn', (l: unknown[]) => { charge(l.length); return extreme(l, 'min') })
  env.registerFunction('list.max(): dyn', (l: unknown[]) => { charge(l.length); return extreme(l, 'max') })
  env.registerFunction('list.indexOf(dyn): int', (l: unknown[], x: unknown) => { charge(l.length); return BigInt(l.findIndex((y) => celEquals(y, x))) })
  env.registerFunction('list.lastIndexOf(dyn): int', (l: unknown[], x: unknown) => {
    charge(l.length)
    for (let i = l.length - 1; i >= 0; i--) if (celEquals(l[i], x)) return BigInt(i)
    return -1n
  })

  // ext.Strings v2 gaps.
  env.registerFunction('string.replace(string, string): string', (s: string, a: string, b: string) => { charge(s.length / 10); return replaceN(s, a, b, -1n) })
  env.registerFunction('string.replace(string, string, int): string', (s: string, a: string, b: string, n: bigint) => { charge(s.length / 10); return replaceN(s, a, b, n) })
  env.registerFunction('string.charAt(int): string', (s: string, i: bigint) => {
    const runes = [...s]
    if (i < 0n || i > BigInt(runes.length)) throw new Error(`index out of range: ${i}`)
    return runes[Number(i)] ?? ''
  })
  env.registerFunction('string.format(list): string', (s: string, args: unknown[]) => { charge(s.length / 10 + args.length); return celFormat(s, args) })
  env.registerType('StringsNamespace', StringsNamespace)
  env.registerConstant('strings', 'StringsNamespace', new StringsNamespace())
  env.registerFunction('StringsNamespace.quote(string): string', (_ns: unknown, s: string) => goQuote(s))

  // ext.Sets.
  env.registerType('SetsNamespace', SetsNamespace)
  env.registerConstant('sets', 'SetsNamespace', new SetsNamespace())
  const contains = (a: unknown[], b: unknown[]): boolean => { charge(a.length * b.length / 10); return b.every((x) => a.some((y) => celEquals(x, y))) }
  env.registerFunction('SetsNamespace.contains(list, list): bool', (_ns: unknown, a: unknown[], b: unknown[]) => contains(a, b))
  env.registerFunction('SetsNamespace.equivalent(list, list): bool', (_ns: unknown, a: unknown[], b: unknown[]) => contains(a, b) && contains(b, a))
  env.registerFunction('SetsNamespace.intersects(list, list): bool', (_ns: unknown, a: unknown[], b: unknown[]) => { charge(a.length * b.length / 10); return a.some((x) => b.some((y) => celEquals(x, y))) })
}
