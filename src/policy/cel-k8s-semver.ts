/**
 * Kubernetes CEL Semver library: a port of blang/semver/v4 `Parse` and `Compare` and of the
 * apiserver `normalizeAndParse` (`pkg/cel/library/semverlib.go`), with their error messages.
 */
import { goQuote } from './cel-lib.js'

const UINT64_MAX = 18446744073709551615n
const NUMBERS = /^[0-9]*$/
const ALPHANUM = /^[-A-Za-z0-9]*$/

interface PRVersion { readonly str: string; readonly num: bigint; readonly isNum: boolean }

/** A parsed semantic version (CEL type `kubernetes.Semver`). */
export class Semver {
  constructor(readonly major: bigint, readonly minor: bigint, readonly patch: bigint, readonly pre: readonly PRVersion[], readonly build: readonly string[]) {}
}

class SemverError extends Error {}

const containsOnly = (s: string, set: RegExp): boolean => set.test(s)
const hasLeadingZeroes = (s: string): boolean => s.length > 1 && s[0] === '0'

/** strconv.ParseUint(s, 10, 64). */
function parseUint(s: string): bigint {
  if (!/^[0-9]+$/.test(s)) throw new SemverError(`strconv.ParseUint: parsing ${goQuote(s)}: invalid syntax`)
  // Past 20 digits (leading zeros aside) out of range, without making a BigInt of them.
  const v = s.length - (/^0*/.exec(s)?.[0].length ?? 0) > 20 ? UINT64_MAX + 1n : BigInt(s)
  if (v > UINT64_MAX) throw new SemverError(`strconv.ParseUint: parsing ${goQuote(s)}: value out of range`)
  return v
}

function parsePart(s: string, what: 'major' | 'minor'): bigint {
  const label = what === 'major' ? 'Major' : 'Minor'
  if (!containsOnly(s, NUMBERS)) throw new SemverError(`Invalid character(s) found in ${what} number ${goQuote(s)}`)
  if (hasLeadingZeroes(s)) throw new SemverError(`${label} number must not contain leading zeroes ${goQuote(s)}`)
  return parseUint(s)
}

function prVersion(s: string): PRVersion {
  if (s.length === 0) throw new SemverError('Prerelease is empty')
  if (containsOnly(s, NUMBERS)) {
    if (hasLeadingZeroes(s)) throw new SemverError(`Numeric PreRelease version must not contain leading zeroes ${goQuote(s)}`)
    return { str: '', num: parseUint(s), isNum: true }
  }
  if (containsOnly(s, ALPHANUM)) return { str: s, num: 0n, isNum: false }
  throw new SemverError(`Invalid character(s) found in prerelease ${goQuote(s)}`)
}

function strictParse(s: string): Semver {
  if (s.length === 0) throw new SemverError('Version string empty')
  const first = s.indexOf('.')
  const second = first < 0 ? -1 : s.indexOf('.', first + 1)
  if (second < 0) throw new SemverError('No Major.Minor.Patch elements found')
  const major = parsePart(s.slice(0, first), 'major')
  const minor = parsePart(s.slice(first + 1, second), 'minor')
  let patchStr = s.slice(second + 1)
  let build: string[] = []
  let pre: string[] = []
  const b = patchStr.indexOf('+')
  if (b !== -1) { build = patchStr.slice(b + 1).split('.'); patchStr = patchStr.slice(0, b) }
  const p = patchStr.indexOf('-')
  if (p !== -1) { pre = patchStr.slice(p + 1).split('.'); patchStr = patchStr.slice(0, p) }
  if (!containsOnly(patchStr, NUMBERS)) throw new SemverError(`Invalid character(s) found in patch number ${goQuote(patchStr)}`)
  if (hasLeadingZeroes(patchStr)) throw new SemverError(`Patch number must not contain leading zeroes ${goQuote(patchStr)}`)
  const patch = parseUint(patchStr)
  const prs = pre.map(prVersion)
  for (const x of build) {
    if (x.length === 0) throw new SemverError('Build meta data is empty')
    if (!containsOnly(x, ALPHANUM)) throw new SemverError(`Invalid character(s) found in build meta data ${goQuote(x)}`)
  }
  return new Semver(major, minor, patch, prs, build)
}

function normalizeAndParse(input: string): Semver {
  const s = input.startsWith('v') ? input.slice(1) : input
  const first = s.indexOf('.')
  const second = first < 0 ? -1 : s.indexOf('.', first + 1)
  const parts = first < 0 ? [s] : second < 0 ? [s.slice(0, first), s.slice(first + 1)] : [s.slice(0, first), s.slice(first + 1, second), s.slice(second + 1)]
  for (let i = 0; i < parts.length; i++) {
    let p = parts[i] ?? ''
    if (p.length > 1) {
      p = p.replace(/^0+/, '')
      if (p.length === 0 || !/[0-9]/.test(p[0] ?? '')) p = `0${p}`
      parts[i] = p
    }
  }
  if (parts.length < 3) {
    if (/[+-]/.test(parts[parts.length - 1] ?? '')) throw new SemverError('short version cannot contain PreRelease/Build meta data')
    while (parts.length < 3) parts.push('0')
  }
  return strictParse(parts.join('.'))
}

/** `semver(s[, normalize])`; returns the error message on failure. */
export function parseSemver(s: string, normalize: boolean): Semver | string {
  try {
    return normalize ? normalizeAndParse(s) : strictParse(s)
  } catch (e) {
    if (e instanceof SemverError) return e.message
    throw e
  }
}

const cmp = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0)

function comparePR(a: PRVersion, b: PRVersion): number {
  if (a.isNum && b.isNum) return cmp(a.num, b.num)
  if (a.isNum) return -1
  if (b.isNum) return 1
  return a.str < b.str ? -1 : a.str > b.str ? 1 : 0
}

/** semver.Version.Compare (build metadata ignored). */
export function semverCompare(a: Semver, b: Semver): number {
  const c = cmp(a.major, b.major) || cmp(a.minor, b.minor) || cmp(a.patch, b.patch)
  if (c !== 0) return c
  if (a.pre.length === 0 && b.pre.length === 0) return 0
  if (a.pre.length === 0) return 1
  if (b.pre.length === 0) return -1
  let i = 0
  for (; i < a.pre.length && i < b.pre.length; i++) {
    const r = comparePR(a.pre[i] as PRVersion, b.pre[i] as PRVersion)
    if (r !== 0) return r
  }
  if (i === a.pre.length && i === b.pre.length) return 0
  return i === a.pre.length ? -1 : 1
}

/** types.Int(uint64): Go's conversion wraps. */
export const semverInt = (v: bigint): bigint => BigInt.asIntN(64, v)
