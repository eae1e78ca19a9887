/**
 * Kubernetes `resource.Quantity` for CEL: a port of apimachinery `ParseQuantity` (fast int64 path
 * and inf.Dec slow path, kept apart because `isInteger()`/`asInteger()` depend on which one a
 * value took) and of the apiserver `pkg/cel/library/quantity.go` functions. Exact BigInt arithmetic.
 *
 * Parsing is linear in the input: the digits are rounded to nano on the string, and a number of more
 * than MAX_DIGITS digits is kept as its digits (a BigInt of 3 million digits takes 0.6 s to make and
 * 1.4 s to print), which comparisons, `sign()`, `isInteger()` and `asApproximateFloat()` read as
 * they are; adding to or subtracting from it is an error, as for exponents past MAX_EXPONENT.
 */
import type { Charge } from './cel-lib.js'

const INT64_MAX = 9223372036854775807n
const INT64_MIN = -9223372036854775808n

export const QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
export const QUANTITY_NUMERIC_ERROR = 'unable to parse numeric part of quantity'
export const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix"

/** Decimal exponents beyond this are refused (apimachinery would materialise 10^exp digits). */
const MAX_EXPONENT = 100_000
/** Numbers of more digits than this are kept as their digits (BigDigits), never made a BigInt. */
const MAX_DIGITS = MAX_EXPONENT
const TOO_LARGE = 'quantity too large to evaluate'

/** int64Amount: value × 10^scale, value within int64. */
interface IntAmount { readonly kind: 'int'; readonly value: bigint; readonly scale: number }
/** inf.Dec: unscaled × 10^scale (scale is the Kubernetes Scale, i.e. minus inf.Scale). */
interface DecAmount { readonly kind: 'dec'; readonly unscaled: bigint; readonly scale: number }
/**
 * An inf.Dec of more than MAX_DIGITS digits, as parsed: ±digits × 10^zeros × 10^scale, where
 * digits × 10^zeros is the unscaled value of the DecAmount it stands for (digits without leading
 * zeros, not all zero).
 */
interface BigDigits { readonly kind: 'big'; readonly negative: boolean; readonly digits: string; readonly zeros: number; readonly scale: number }

/** A parsed Kubernetes quantity (CEL type `kubernetes.Quantity`). */
export class Quantity {
  /** Decimal digits of the unscaled value, counted once. */
  private digitCount: number | undefined
  constructor(readonly amount: IntAmount | DecAmount | BigDigits, digits?: number) {
    this.digitCount = digits
  }

  /** Decimal digits of the unscaled value (its magnitude is 10^(digits + scale)). */
  get digits(): number {
    if (this.digitCount === undefined) {
      const a = this.amount
      this.digitCount = a.kind === 'big' ? a.digits.length + a.zeros : decimalLength(a.kind === 'int' ? a.value : a.unscaled)
    }
    return this.digitCount
  }
}

const fitsInt64 = (v: bigint): boolean => v >= INT64_MIN && v <= INT64_MAX
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9'
const intAmount = (value: bigint, scale: number): Quantity => new Quantity({ kind: 'int', value, scale })
const decAmount = (unscaled: bigint, scale: number, digits?: number): Quantity => new Quantity({ kind: 'dec', unscaled, scale }, digits)

/** What pow10 charges, and its refusal of exponents past MAX_EXPONENT. */
function chargePow10(n: number, charge?: Charge): void {
  if (n > MAX_EXPONENT) throw new Error('quantity exponent too large to evaluate')
  charge?.(n / 100)
}

function pow10(n: number, charge?: Charge): bigint {
  chargePow10(n, charge)
  return 10n ** BigInt(n)
}

/** Powers of ten made to count digits, kept for the next count (a few, each made once). */
const TEN_POWERS = new Map<number, bigint>()
function tenTo(n: number): bigint {
  let p = TEN_POWERS.get(n)
  if (p === undefined) {
    if (TEN_POWERS.size >= 64) TEN_POWERS.clear()
    p = 10n ** BigInt(n)
    TEN_POWERS.set(n, p)
  }
  return p
}

/**
 * The number of decimal digits of |v| (1 for 0). Printing a BigInt takes time that grows faster than
 * its length (30 ms for 100,000 digits): a large one is measured by its bits and one or two
 * comparisons with a power of ten instead.
 */
function decimalLength(value: bigint): number {
  const v = value < 0n ? -value : value
  if (v < 1n << 1024n) return v.toString().length
  const hex = v.toString(16)
  const bits = (hex.length - 1) * 4 + Math.floor(Math.log2(Number.parseInt(hex[0] ?? '1', 16))) + 1
  // 10^e <= 2^(bits-1) <= v, give or take the rounding of the logarithm.
  let e = Math.floor((bits - 1) * Math.log10(2))
  while (e > 0 && tenTo(e) > v) e--
  while (tenTo(e + 1) <= v) e++
  return e + 1
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
    const text = suffix.slice(1)
    const m = /^([+-]?)0*([0-9]*)$/.exec(text)
    if (m === null || text.length === (m[1] ?? '').length) return undefined
    const significant = m[2] ?? ''
    // More than 19 digits never fit: not made a BigInt (one of a million digits takes 0.1 s).
    if (significant.length > 19) return undefined
    const parsed = BigInt(`${m[1] ?? ''}${significant === '' ? '0' : significant}`)
    if (!fitsInt64(parsed)) return undefined
    return { base: 10, exponent: Number(BigInt.asIntN(32, parsed)), format: 'DecimalExponent' }
  }
  return undefined
}

/**
 * inf.Dec SetString (optional leading sign, digits with at most one '.', at least one digit), as
 * digits: the sign, the digits without leading zeros ('' for zero) and how many were after the point.
 */
function decimalDigits(s: string): { negative: boolean; digits: string; fraction: number } | undefined {
  const m = /^([+-]?)([0-9]*)(?:\.([0-9]*))?$/.exec(s)
  if (!m) return undefined
  const int = m[2] ?? ''
  const frac = m[3] ?? ''
  if (int.length + frac.length === 0) return undefined
  const all = int + frac
  let first = 0
  while (first < all.length && all.charCodeAt(first) === 48) first++
  return { negative: m[1] === '-', digits: all.slice(first), fraction: frac.length }
}

/** The digits of ceil(digits / 10^shift), for shift at most their number. */
function roundUpDropping(digits: string, shift: number): string {
  const kept = digits.slice(0, digits.length - shift)
  if (!/[1-9]/.test(digits.slice(digits.length - shift))) return kept
  let i = kept.length - 1
  while (i >= 0 && kept[i] === '9') i--
  if (i < 0) return `1${'0'.repeat(kept.length)}`
  return `${kept.slice(0, i)}${String.fromCharCode(kept.charCodeAt(i) + 1)}${'0'.repeat(kept.length - i - 1)}`
}

/** The digits of digits × 2^e (e at most 64), in time linear in their number. */
function timesPowerOfTwo(digits: string, e: number): string {
  if (digits.length <= 300) return (BigInt(digits) << BigInt(e)).toString()
  // Groups of 9 digits, the last first, multiplied by at most 2^20 at a time: below 2^53 with the carry.
  const groups: number[] = []
  for (let end = digits.length; end > 0; end -= 9) groups.push(Number(digits.slice(Math.max(0, end - 9), end)))
  for (let left = e; left > 0; left -= 20) {
    const factor = 2 ** Math.min(20, left)
    let carry = 0
    for (let i = 0; i < groups.length; i++) {
      const v = (groups[i] ?? 0) * factor + carry
      carry = Math.floor(v / 1e9)
      groups[i] = v - carry * 1e9
    }
    for (; carry > 0; carry = Math.floor(carry / 1e9)) groups.push(carry % 1e9)
  }
  const out = [String(groups[groups.length - 1])]
  for (let i = groups.length - 2; i >= 0; i--) out.push(String(groups[i]).padStart(9, '0'))
  return out.join('')
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

  const parsed = decimalDigits(s.value)
  if (!parsed) return QUANTITY_NUMERIC_ERROR
  const { negative } = parsed
  let { digits } = parsed
  let infScale = parsed.fraction
  if (base === 10) infScale -= exponent
  if (digits === '') return decAmount(0n, -infScale)
  if (base === 2) digits = timesPowerOfTwo(digits, exponent)
  // Round to nano, away from zero, on the digits: unscaled is digits × 10^zeros, with infScale 9.
  let zeros = 0
  if (infScale > 9) {
    const shift = infScale - 9
    if (shift > digits.length) digits = '1'
    else {
      chargePow10(shift, charge)
      digits = roundUpDropping(digits, shift)
    }
  } else if (infScale < 9) {
    chargePow10(9 - infScale, charge)
    zeros = 9 - infScale
  }
  const length = digits.length + zeros
  const unscaled = (): bigint => BigInt(digits) * (zeros === 0 ? 1n : 10n ** BigInt(zeros))
  // BinarySI is capped at the int64 maximum: past 19 digits before the point, without a BigInt.
  if (format === 'BinarySI' && (length - 9 > 19 || (length - 9 === 19 && cmpParts(unscaled(), -9, INT64_MAX, 0, charge) > 0))) {
    return decAmount(negative ? -INT64_MAX : INT64_MAX, -0)
  }
  if (digits.length > MAX_DIGITS) return new Quantity({ kind: 'big', negative, digits, zeros, scale: -9 })
  return decAmount(negative ? -unscaled() : unscaled(), -9, length)
}

/**
 * Quantity.Cmp on unscaled values and scales; `la` and `lb` give the decimal digits of `a` and `b`
 * when they are known.
 */
function cmpParts(a: bigint, aScale: number, b: bigint, bScale: number, charge?: Charge, la = decimalLength(a), lb = decimalLength(b)): number {
  if (a === 0n || b === 0n || (a < 0n) !== (b < 0n)) return a < b ? -1 : a > b ? 1 : 0
  // Same sign, both non-zero: compare decimal magnitudes before aligning.
  const ma = la + aScale
  const mb = lb + bScale
  if (ma !== mb) return (ma > mb ? 1 : -1) * (a < 0n ? -1 : 1)
  const min = Math.min(aScale, bScale)
  const x = a * pow10(aScale - min, charge)
  const y = b * pow10(bScale - min, charge)
  return x < y ? -1 : x > y ? 1 : 0
}

/** The digits of a quantity's unscaled value, without its trailing zeros when it is kept as digits. */
function digitString(q: Quantity): string {
  const a = q.amount
  if (a.kind === 'big') return a.digits
  const v = a.kind === 'int' ? a.value : a.unscaled
  return (v < 0n ? -v : v).toString()
}

/**
 * Quantity.Cmp when one side is kept as its digits: by sign, then magnitude, then digit by digit
 * (charged and refused as the aligning powers of ten of cmpParts would be).
 */
function compareDigits(a: Quantity, b: Quantity, charge?: Charge): number {
  const sa = Number(quantitySign(a))
  const sb = Number(quantitySign(b))
  if (sa === 0 || sb === 0 || sa !== sb) return sa < sb ? -1 : sa > sb ? 1 : 0
  const ma = a.digits + a.amount.scale
  const mb = b.digits + b.amount.scale
  if (ma !== mb) return (ma > mb ? 1 : -1) * sa
  const min = Math.min(a.amount.scale, b.amount.scale)
  chargePow10(a.amount.scale - min, charge)
  chargePow10(b.amount.scale - min, charge)
  // Same magnitude: the digits line up from the first; missing ones are zeros.
  const x = digitString(a)
  const y = digitString(b)
  const n = Math.min(x.length, y.length)
  for (let i = 0; i < n; i++) {
    const d = x.charCodeAt(i) - y.charCodeAt(i)
    if (d !== 0) return (d > 0 ? 1 : -1) * sa
  }
  const rest = /[1-9]/.test(x.slice(n)) ? 1 : /[1-9]/.test(y.slice(n)) ? -1 : 0
  return rest * sa
}

/** The unscaled value and scale of a quantity; one kept as its digits is too large to compute with. */
function parts(q: Quantity): [bigint, number] {
  const a = q.amount
  if (a.kind === 'big') throw new Error(TOO_LARGE)
  return a.kind === 'int' ? [a.value, a.scale] : [a.unscaled, a.scale]
}

/** Quantity.Cmp. */
export function quantityCompare(a: Quantity, b: Quantity, charge?: Charge): number {
  if (a.amount.kind === 'big' || b.amount.kind === 'big') return compareDigits(a, b, charge)
  const [x, xs] = parts(a)
  const [y, ys] = parts(b)
  return cmpParts(x, xs, y, ys, charge, a.digits, b.digits)
}

/** int64Amount.AsInt64 (Quantity.AsInt64: always false for the inf.Dec form). */
export function quantityAsInt64(q: Quantity): bigint | undefined {
  const a = q.amount
  if (a.kind !== 'int') return undefined
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
  if (q.amount.kind === 'big') return q.amount.negative ? -1n : 1n
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
  // More than MAX_DIGITS digits with scale -9: past the largest double.
  if (q.amount.kind === 'big') return q.amount.negative ? -Infinity : Infinity
  const [v, scale] = parts(q)
  const base = Number(v)
  return scale === 0 ? base : base * goPow10(scale)
}
