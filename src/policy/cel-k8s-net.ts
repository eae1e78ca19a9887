/**
 * Kubernetes CEL IP and CIDR libraries: ports of Go `net/netip` ParseAddr / ParsePrefix (strict:
 * no leading zeros in IPv4 octets) plus the apiserver rules of `pkg/cel/library/ip.go` and
 * `cidr.go` (zones and IPv4-mapped IPv6 addresses rejected), with their error messages.
 */
import { goQuote } from './go-quote.js'

/** An IP address (CEL type `net.IP`): 4 or 16 bytes. */
export class IPAddr {
  constructor(readonly bytes: Uint8Array) {}
  get is4(): boolean { return this.bytes.length === 4 }
}

/** A network prefix (CEL type `net.CIDR`); `addr` keeps host bits, as netip.Prefix does. */
export class CIDRPrefix {
  constructor(readonly addr: IPAddr, readonly bits: number) {}
}

class ParseAddrError extends Error {
  constructor(input: string, msg: string, at?: string) {
    super(`ParseAddr(${goQuote(input)}): ${msg}${at !== undefined && at !== '' ? ` (at ${goQuote(at)})` : ''}`)
  }
}

function parseIPv4Fields(input: string, off: number, end: number, out: Uint8Array, at: number): void {
  let val = 0
  let pos = 0
  let digLen = 0
  const s = input.slice(off, end)
  for (let i = 0; i < s.length; i++) {
    const c = s[i] ?? ''
    if (c >= '0' && c <= '9') {
      if (digLen === 1 && val === 0) throw new ParseAddrError(input, 'IPv4 field has octet with leading zero')
      val = val * 10 + (c.charCodeAt(0) - 48)
      digLen++
      if (val > 255) throw new ParseAddrError(input, 'IPv4 field has value >255')
    } else if (c === '.') {
      if (i === 0 || i === s.length - 1 || s[i - 1] === '.') throw new ParseAddrError(input, 'IPv4 field must have at least one digit', s.slice(i))
      if (pos === 3) throw new ParseAddrError(input, 'IPv4 address too long')
      out[at + pos] = val
      pos++
      val = 0
      digLen = 0
    } else throw new ParseAddrError(input, 'unexpected character', s.slice(i))
  }
  if (pos < 3) throw new ParseAddrError(input, 'IPv4 address too short')
  out[at + 3] = val
}

const hexVal = (c: string): number => {
  if (c >= '0' && c <= '9') return c.charCodeAt(0) - 48
  if (c >= 'a' && c <= 'f') return c.charCodeAt(0) - 87
  if (c >= 'A' && c <= 'F') return c.charCodeAt(0) - 55
  return -1
}

function parseIPv6(input: string): { addr: IPAddr; zone: string } {
  let s = input
  let zone = ''
  const pct = s.indexOf('%')
  if (pct !== -1) {
    zone = s.slice(pct + 1)
    s = s.slice(0, pct)
    if (zone === '') throw new ParseAddrError(input, 'zone must be a non-empty string')
  }
  const ip = new Uint8Array(16)
  let ellipsis = -1
  if (s.length >= 2 && s[0] === ':' && s[1] === ':') {
    ellipsis = 0
    s = s.slice(2)
    if (s.length === 0) return { addr: new IPAddr(ip), zone }
  }
  let i = 0
  while (i < 16) {
    let off = 0
    let acc = 0
    for (; off < s.length; off++) {
      const h = hexVal(s[off] ?? '')
      if (h < 0) break
      acc = acc * 16 + h
      if (off > 3) throw new ParseAddrError(input, 'each colon-separated field must have at most 4 hex digits', s)
      if (acc > 0xffff) throw new ParseAddrError(input, 'IPv6 field has value >=2^16', s)
    }
    if (off === 0) throw new ParseAddrError(input, 'each colon-separated field must have at least one digit', s)
    if (off < s.length && s[off] === '.') {
      if (ellipsis < 0 && i !== 12) throw new ParseAddrError(input, 'embedded IPv4 address must replace the final 2 fields of the address', s)
      if (i + 4 > 16) throw new ParseAddrError(input, 'too many hex fields to fit an embedded IPv4 at the end of the address', s)
      let end = input.length
      if (zone.length > 0) end -= zone.length + 1
      parseIPv4Fields(input, end - s.length, end, ip, i)
      s = ''
      i += 4
      break
    }
    ip[i] = acc >> 8
    ip[i + 1] = acc & 0xff
    i += 2
    s = s.slice(off)
    if (s.length === 0) break
    if (s[0] !== ':') throw new ParseAddrError(input, 'unexpected character, want colon', s)
    if (s.length === 1) throw new ParseAddrError(input, 'colon must be followed by more characters', s)
    s = s.slice(1)
    if (s[0] === ':') {
      if (ellipsis >= 0) throw new ParseAddrError(input, 'multiple :: in address', s)
      ellipsis = i
      s = s.slice(1)
      if (s.length === 0) break
    }
  }
  if (s.length !== 0) throw new ParseAddrError(input, 'trailing garbage after address', s)
  if (i < 16) {
    if (ellipsis < 0) throw new ParseAddrError(input, 'address string too short')
    const n = 16 - i
    for (let j = i - 1; j >= ellipsis; j--) ip[j + n] = ip[j] ?? 0
    ip.fill(0, ellipsis, ellipsis + n)
  } else if (ellipsis >= 0) throw new ParseAddrError(input, 'the :: must expand to at least one field of zeros', s)
  return { addr: new IPAddr(ip), zone }
}

/** netip.ParseAddr; throws with Go's message. */
function netipParseAddr(s: string): { addr: IPAddr; zone: string } {
  for (const c of s) {
    if (c === '.') {
      const out = new Uint8Array(4)
      parseIPv4Fields(s, 0, s.length, out, 0)
      return { addr: new IPAddr(out), zone: '' }
    }
    if (c === ':') return parseIPv6(s)
    if (c === '%') throw new ParseAddrError(s, 'missing IPv6 address')
  }
  throw new ParseAddrError(s, 'unable to parse IP')
}

function is4In6(a: IPAddr): boolean {
  const b = a.bytes
  return b.length === 16 && b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff
}

/** apiserver parseIPAddr; returns the error message on failure. */
export function parseIP(raw: string): IPAddr | string {
  let parsed: { addr: IPAddr; zone: string }
  try {
    parsed = netipParseAddr(raw)
  } catch (e) {
    return `IP Address ${goQuote(raw)} parse error during conversion from string: ${(e as Error).message}`
  }
  if (parsed.zone !== '') return `IP address ${goQuote(raw)} with zone value is not allowed`
  if (is4In6(parsed.addr)) return `IPv4-mapped IPv6 address ${goQuote(raw)} is not allowed`
  return parsed.addr
}

/** netip.Addr.String (RFC 5952 for IPv6). */
export function ipString(a: IPAddr): string {
  const b = a.bytes
  if (a.is4) return [...b].join('.')
  const g = (k: number): number => ((b[2 * k] ?? 0) << 8) | (b[2 * k + 1] ?? 0)
  let zs = 255, ze = 255
  for (let i = 0; i < 8; i++) {
    let j = i
    while (j < 8 && g(j) === 0) j++
    const l = j - i
    if (l >= 2 && l > ze - zs) { zs = i; ze = j }
  }
  let out = ''
  for (let i = 0; i < 8; i++) {
    if (i === zs) {
      out += '::'
      i = ze
      if (i >= 8) break
    } else if (i > 0) out += ':'
    out += g(i).toString(16)
  }
  return out
}

export function ipEquals(a: IPAddr, b: IPAddr): boolean {
  return a.bytes.length === b.bytes.length && a.bytes.every((x, i) => x === b.bytes[i])
}

export function ipIsCanonical(raw: string): boolean | string {
  const a = parseIP(raw)
  return typeof a === 'string' ? a : ipString(a) === raw
}

const isMulticast = (a: IPAddr): boolean => a.is4 ? ((a.bytes[0] ?? 0) & 0xf0) === 0xe0 : a.bytes[0] === 0xff
export const ipIsUnspecified = (a: IPAddr): boolean => a.bytes.every((x) => x === 0)
export const ipIsLoopback = (a: IPAddr): boolean => a.is4 ? a.bytes[0] === 127 : a.bytes.slice(0, 15).every((x) => x === 0) && a.bytes[15] === 1
export const ipIsLinkLocalMulticast = (a: IPAddr): boolean =>
  a.is4 ? a.bytes[0] === 224 && a.bytes[1] === 0 && a.bytes[2] === 0 : a.bytes[0] === 0xff && ((a.bytes[1] ?? 0) & 0x0f) === 0x02
export const ipIsLinkLocalUnicast = (a: IPAddr): boolean =>
  a.is4 ? a.bytes[0] === 169 && a.bytes[1] === 254 : a.bytes[0] === 0xfe && ((a.bytes[1] ?? 0) & 0xc0) === 0x80
export function ipIsGlobalUnicast(a: IPAddr): boolean {
  if (a.is4 && (ipIsUnspecified(a) || a.bytes.every((x) => x === 255))) return false
  return !ipIsUnspecified(a) && !ipIsLoopback(a) && !isMulticast(a) && !ipIsLinkLocalUnicast(a)
}

const CIDR_PREFIX = 'network address parse error during conversion from string: '

/** netip.ParsePrefix + apiserver parseCIDR; returns the error message on failure (as `cidr()` reports it). */
export function parseCIDR(raw: string): CIDRPrefix | string {
  const fail = (msg: string): string => `${CIDR_PREFIX}${CIDR_PREFIX}netip.ParsePrefix(${goQuote(raw)}): ${msg}`
  const slash = raw.lastIndexOf('/')
  if (slash < 0) return fail("no '/'")
  let parsed: { addr: IPAddr; zone: string }
  try {
    parsed = netipParseAddr(raw.slice(0, slash))
  } catch (e) {
    return fail((e as Error).message)
  }
  if (!parsed.addr.is4 && parsed.zone !== '') return fail('IPv6 zones cannot be present in a prefix')
  const bitsStr = raw.slice(slash + 1)
  if (bitsStr.length > 1 && (bitsStr[0] ?? '') < '1') return fail(`bad bits after slash: ${goQuote(bitsStr)}`)
  if (bitsStr.length > 1 && (bitsStr[0] ?? '') > '9') return fail(`bad bits after slash: ${goQuote(bitsStr)}`)
  if (!/^[+-]?[0-9]+$/.test(bitsStr)) return fail(`bad bits after slash: ${goQuote(bitsStr)}`)
  // strconv.Atoi: out of the int64 range past 19 digits (no leading zero or sign gets here).
  if (bitsStr.length > 19 || BigInt(bitsStr) > 9223372036854775807n || BigInt(bitsStr) < -9223372036854775808n) return fail(`bad bits after slash: ${goQuote(bitsStr)}`)
  const bits = Number(bitsStr)
  const max = parsed.addr.is4 ? 32 : 128
  if (bits < 0 || bits > max) return fail('prefix length out of range')
  if (is4In6(parsed.addr)) return `${CIDR_PREFIX}IPv4-mapped IPv6 address ${goQuote(raw)} is not allowed`
  return new CIDRPrefix(parsed.addr, bits)
}

function maskAddr(a: IPAddr, bits: number): IPAddr {
  const out = new Uint8Array(a.bytes.length)
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8))
    out[i] = (a.bytes[i] ?? 0) & ((0xff << (8 - keep)) & 0xff)
  }
  return new IPAddr(out)
}

export const cidrMasked = (c: CIDRPrefix): CIDRPrefix => new CIDRPrefix(maskAddr(c.addr, c.bits), c.bits)
export const cidrString = (c: CIDRPrefix): string => `${ipString(c.addr)}/${c.bits}`
export const cidrEquals = (a: CIDRPrefix, b: CIDRPrefix): boolean => a.bits === b.bits && ipEquals(a.addr, b.addr)

/** netip.Prefix.Contains. */
export function cidrContainsIP(c: CIDRPrefix, ip: IPAddr): boolean {
  if (c.addr.is4 !== ip.is4) return false
  return ipEquals(maskAddr(c.addr, c.bits), maskAddr(ip, c.bits))
}

/**
 * apiserver cidrContainsCIDR: `cidr.Masked() == netip.PrefixFrom(other.Addr(), cidr.Bits())`.
 * PrefixFrom does not mask, so the other prefix's address must equal this network's address.
 */
export function cidrContainsCIDR(c: CIDRPrefix, other: CIDRPrefix): boolean {
  const m = cidrMasked(c)
  return m.addr.is4 === other.addr.is4 && ipEquals(m.addr, other.addr) && c.bits <= other.bits
}
