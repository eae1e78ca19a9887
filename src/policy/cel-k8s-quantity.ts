/**
 * Kubernetes `resource.Quantity` for CEL: a port of apimachinery `ParseQuantity` (fast int64 path
 * and inf.Dec slow path, kept apart because `isInteger()`/`asInteger()` depend on which one a
 * value took) and of the apiserver `pkg/cel/library/quantity.go` functions. Exact BigInt arithmetic.
 */
import type { Charge } from './cel-lib.js'

const INT64_MAX = 9223372036854775807n
const INT64_MIN = -9223372036854775808n

export const QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
export const QUANTITY_NUMERIC_ERROR = 'unable to parse numeric part of quantity'
export const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix"

/** Decimal exponents beyond this are refused (apimachinery would materialise 10^exp digits). */
const MAX_EXPONENT = 100_000

/** int64Amount: value × 10^scale, value within int64. */
interface IntAmount { readonly kind: 'int'; readonly value: bigint; readonly scale: number }
/** inf.Dec: unscaled × 10^scale (scale is the Kubernetes Scale, i.e. minus inf.Scale). */
interface DecAmount { readonly kind: 'dec'; readonly unscaled: bigint; readonly scale: number }

/** A parsed Kubernetes quantity (CEL type `kubernetes.Quantity`). */
export class Quantity {
  constructor(readonly amount: IntAmount | DecAmount) {}
}

const fitsInt64 = (v: bigint): boolean => v >= INT64_MIN && v <= INT64_MAX
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9'
const intAmount = (value: bigint, scale: number): Quantity => new Quantity({ kind: 'int', value, scale })
const decAmount = (unscaled: bigint, scale: number): Quantity => new Quantity({ kind: 'dec', unscaled, scale })

function pow10(n: number, charge?: Charge): bigint {
  if (n > MAX_EXPONENT) throw new Error('quantity exponent too large to evaluate')
  charge?.(n / 100)
  return 10n ** BigInt(n)
}

interface Scanned { positive: boolean; value: string; num: string; denom: string; suffix: string }

/** parseQuantityString. */
function scan(str: string): Scanned | undefined {
  let positive = true
  let pos = 0
  const end = str.length
  if (pos < end) {
    if (str[0] === '-') { positive = false; pos++ } else if (str[0] === '+') pos++
  }
  for (let i = pos; ; i++) {
    if (i >= end) return { positive, value: '0', num: '0', denom: '', suffix: '' }
    if (str[i] === '0') pos++
    else break
  }
  let num = ''
  for (let i = pos; ; i++) {
    if (i >= end) return { positive, value: str, num: str.slice(pos), denom: '', suffix: '' }
    if (!isDigit(str[i])) { num = str.slice(pos, i); pos = i; break }
  }
  if (num.length === 0) num = '0'
  let denom = ''
  if (pos < end && str[pos] === '.') {
    pos++
    for (let i = pos; ; i++) {
      if (i >= end) return { positive, value: str, num, denom: str.slice(pos), suffix: '' }
      if (!isDigit(str[i])) { denom = str.slice(pos, i); pos = i; break }
    }
  }
  const value = str.slice(0, pos)
  const suffixStart = pos
  for (let i = pos; ; i++) {
    if (i >= end) return { positive, value, num, denom, suffix: str.slice(suffixStart) }
    if (!'eEinumkKMGTP'.includes(str[i] ?? '')) { pos = i; break }
  }
  if (pos < end && (str[pos] === '-' || str[pos] === '+')) pos++
  for (let i = pos; ; i++) {
    if (i >= end) return { positive, value, num, denom, suffix: str.slice(suffixStart) }
    if (!isDigit(str[i])) return undefined
  }
}

const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 }
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 }

type Format = 'DecimalSI' | 'BinarySI' | 'DecimalExponent'

function interpret(suffix: string): { base: 2 | 10; exponent: number; format: Format } | undefined {
  const dec = DECIMAL_SUFFIXES[suffix]
  if (dec !== undefined && Object.hasOwn(DECIMAL_SUFFIXES, suffix)) return { base: 10, exponent: dec, format: 'DecimalSI' }
  const bin = BINARY_SUFFIXES[suffix]
  if (bin !== undefined && Object.hasOwn(BINARY_SUFFIXES, suffix)) return { base: 2, exponent: bin, format: 'BinarySI' }
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E')) {
    // strconv.ParseInt(s, 10, 64): optional sign, then decimal digits only.
    const digits = suffix.slice(1)
    if (!/^[+-]?[0-9]+$/.test(digits)) return undefined
    const parsed = BigInt(digits)
    if (!fitsInt64(parsed)) return undefined
    return { base: 10, exponent: Number(BigInt.asIntN(32, parsed)), format: 'DecimalExponent' }
  }
  return undefined
}

/** inf.Dec SetString: optional leading sign, digits with at most one '.', at least one digit. */
function decFromString(s: string): { unscaled: bigint; infScale: number } | undefined {
  const m = /^([+-]?)([0-9]*)(?:\.([0-9]*))?$/.exec(s)
  if (!m) return undefined
  const int = m[2] ?? ''
  const frac = m[3] ?? ''
  if (int.length + frac.length === 0) return undefined
  const mag = BigInt(int + frac)
  return { unscaled: m[1] === '-' ? -mag : mag, infScale: frac.length }
}

/** resource.ParseQuantity; returns the error message on failure. */
export function parseQuantity(str: string, charge?: Charge): Quantity | string {
  charge?.(str.length / 10)
  if (str.length === 0) return QUANTITY_FORMAT_ERROR
  if (str === '0') return intAmount(0n, 0)
  const s = scan(str)
  if (!s) return QUANTITY_FORMAT_ERROR
  const suffix = interpret(s.suffix)
  if (!suffix) return QUANTITY_SUFFIX_ERROR
  const { base, exponent, format } = suffix

  let precision = 0
  let scale = 0
  let mantissa = 1n
  if (format === 'BinarySI') {
    if (exponent >= 0 && s.denom.length === 0) {
      mantissa = 1n << BigInt(exponent)
      precision = 15 - s.num.length - Math.trunc((exponent * 3) / 10) - 1
    } else precision = -1
  } else {
    scale = exponent
    precision = 18 - (s.num.length + s.denom.length)
  }
  if (precision >= 0) {
    scale -= s.denom.length
    if (scale >= -9) {
      const value = BigInt(s.num + s.denom)
      if (value > INT64_MAX) return QUANTITY_NUMERIC_ERROR
      const result = value * mantissa
      if (fitsInt64(result)) return intAmount(s.positive ? result : -result, scale)
    }
  }

  const parsed = decFromString(s.value)
  if (!parsed) return QUANTITY_NUMERIC_ERROR
  let { unscaled, infScale } = parsed
  if (base === 10) infScale -= exponent
  else unscaled *= 1n << BigInt(exponent)
  const negative = unscaled < 0n
  if (negative) unscaled = -unscaled
  if (unscaled !== 0n) {
    // Round to nano, away from zero.
    if (infScale > 9) {
      const shift = infScale - 9
      if (shift > unscaled.toString().length) unscaled = 1n
      else {
        const d = pow10(shift, charge)
        unscaled = (unscaled + d - 1n) / d
      }
    } else if (infScale < 9) unscaled *= pow10(9 - infScale, charge)
    infScale = 9
  }
  if (format === 'BinarySI' && cmpParts(unscaled, -infScale, INT64_MAX, 0, charge) > 0) {
    unscaled = INT64_MAX
    infScale = 0
  }
  return decAmount(negative ? -unscaled : unscaled, -infScale)
}

function cmpParts(a: bigint, aScale: number, b: bigint, bScale: number, charge?: Charge): number {
  if (a === 0n || b === 0n || (a < 0n) !== (b < 0n)) return a < b ? -1 : a > b ? 1 : 0
  // Same sign, both non-zero: compare decimal magnitudes before aligning.
  const la = (a < 0n ? -a : a).toString().length + aScale
  const lb = (b < 0n ? -b : b).toString().length + bScale
  if (la !== lb) return (la > lb ? 1 : -1) * (a < 0n ? -1 : 1)
  const min = Math.min(aScale, bScale)
  const x = a * pow10(aScale - min, charge)
  const y = b * pow10(bScale - min, charge)
  return x < y ? -1 : x > y ? 1 : 0
}

function parts(q: Quantity): [bigint, number] {
  const a = q.amount
  return a.kind === 'int' ? [a.value, a.scale] : [a.unscaled, a.scale]
}

/** Quantity.Cmp. */
export function quantityCompare(a: Quantity, b: Quantity, charge?: Charge): number {
  const [x, xs] = parts(a)
  const [y, ys] = parts(b)
  return cmpParts(x, xs, y, ys, charge)
}

/** int64Amount.AsInt64 (Quantity.AsInt64: always false for the inf.Dec form). */
export function quantityAsInt64(q: Quantity): bigint | undefined {
  const a = q.amount
  if (a.kind === 'dec') return undefined
  if (a.scale === 0) return a.value
  if (a.scale < 0) return undefined
  return positiveScale(a.value, a.scale)
}

function positiveScale(value: bigint, scale: number): bigint | undefined {
  if (value === 0n) return 0n
  if (scale > 19) return undefined
  const r = value * 10n ** BigInt(scale)
  return fitsInt64(r) ? r : undefined
}

/** int64Amount.Add; undefined when the int64 fast path overflows. */
function addInt(a: IntAmount, b: IntAmount): IntAmount | undefined {
  if (b.value === 0n) return a
  if (a.value === 0n) return b
  if (a.scale === b.scale) {
    const c = a.value + b.value
    return fitsInt64(c) ? { kind: 'int', value: c, scale: a.scale } : undefined
  }
  if (a.scale > b.scale) {
    const c = positiveScale(a.value, a.scale - b.scale)
    if (c === undefined) return undefined
    const r = c + b.value
    return fitsInt64(r) ? { kind: 'int', value: r, scale: b.scale } : undefined
  }
  const c = positiveScale(b.value, b.scale - a.scale)
  if (c === undefined) return undefined
  const r = a.value + c
  return fitsInt64(r) ? { kind: 'int', value: r, scale: a.scale } : undefined
}

function addDec(a: Quantity, b: Quantity, negateB: boolean, charge?: Charge): Quantity {
  const [x, xs] = parts(a)
  const [y0, ys] = parts(b)
  const y = negateB ? -y0 : y0
  const min = Math.min(xs, ys)
  return decAmount(x * pow10(xs - min, charge) + y * pow10(ys - min, charge), min)
}

/** Quantity.Add (on a copy). */
export function quantityAdd(a: Quantity, b: Quantity, charge?: Charge): Quantity {
  if (a.amount.kind === 'int' && b.amount.kind === 'int') {
    const r = addInt(a.amount, b.amount)
    if (r) return new Quantity(r)
  }
  return addDec(a, b, false, charge)
}

/** Quantity.Sub (on a copy). */
export function quantitySub(a: Quantity, b: Quantity, charge?: Charge): Quantity {
  if (a.amount.kind === 'int' && b.amount.kind === 'int' && b.amount.value !== INT64_MIN) {
    const r = addInt(a.amount, { kind: 'int', value: -b.amount.value, scale: b.amount.scale })
    if (r) return new Quantity(r)
  }
  return addDec(a, b, true, charge)
}

/** resource.NewQuantity(v, DecimalExponent). */
export function quantityFromInt(v: bigint): Quantity {
  return intAmount(v, 0)
}

export function quantitySign(q: Quantity): bigint {
  const [v] = parts(q)
  return v < 0n ? -1n : v > 0n ? 1n : 0n
}

const POW10_TAB = Array.from({ length: 32 }, (_, i) => Number(`1e${i}`))
const POW10_POS32 = Array.from({ length: 10 }, (_, i) => Number(`1e${i * 32}`))
const POW10_NEG32 = Array.from({ length: 11 }, (_, i) => Number(`1e-${i * 32}`))

/** Go math.Pow10. */
function goPow10(n: number): number {
  if (n >= 0 && n <= 308) return (POW10_POS32[Math.trunc(n / 32)] ?? Infinity) * (POW10_TAB[n % 32] ?? Infinity)
  if (n >= -323 && n <= 0) return (POW10_NEG32[Math.trunc(-n / 32)] ?? 0) / (POW10_TAB[-n % 32] ?? Infinity)
  return n > 0 ? Infinity : 0
}

/** Quantity.AsApproximateFloat64. */
export function quantityApproximateFloat(q: Quantity): number {
  const [v, scale] = parts(q)
  const base = Number(v)
  return scale === 0 ? base : base * goPow10(scale)
}
