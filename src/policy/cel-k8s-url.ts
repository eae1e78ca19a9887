/**
 * Kubernetes CEL URL library: a port of the parts of Go `net/url` it uses (`ParseRequestURI` to
 * validate, `Parse` to build the value, `Hostname`, `Port`, `EscapedPath`, `Query`) and of
 * apiserver `pkg/cel/library/urls.go`. Strings are handled as UTF-8 bytes, as in Go.
 */
import { goQuote } from './cel-lib.js'

/** A parsed URL (CEL type `kubernetes.URL`); fields as in Go's url.URL. */
export class URLValue {
  constructor(
    readonly scheme: string,
    readonly opaque: string,
    readonly user: string | undefined,
    readonly host: string,
    readonly path: string,
    readonly rawPath: string,
    readonly forceQuery: boolean,
    readonly rawQuery: string,
    readonly fragment: string,
  ) {}
}

type Mode = 'path' | 'host' | 'zone' | 'userPassword' | 'queryComponent' | 'fragment'

class URLError extends Error {}

/** Go's shouldEscape, for one byte; read through ESCAPED, made once per mode. */
function shouldEscapeByte(c: number, mode: Mode): boolean {
  const ch = String.fromCharCode(c)
  if (/[a-zA-Z0-9]/.test(ch)) return false
  if ((mode === 'host' || mode === 'zone') && `!$&'()*+,;=:[]<>"`.includes(ch)) return false
  if ('-_.~'.includes(ch)) return false
  if ('$&+,/:;=?@'.includes(ch)) {
    switch (mode) {
      case 'path': return ch === '?'
      case 'userPassword': return ch === '@' || ch === '/' || ch === '?' || ch === ':'
      case 'queryComponent': return true
      case 'fragment': return false
      default: break
    }
  }
  if (mode === 'fragment' && '!()*'.includes(ch)) return false
  return true
}

const MODES: readonly Mode[] = ['path', 'host', 'zone', 'userPassword', 'queryComponent', 'fragment']
/** shouldEscape of every byte, per mode (a test per byte built a string and ran a regular expression on it). */
const ESCAPED = new Map(MODES.map((mode) => [mode, Uint8Array.from({ length: 256 }, (_, c) => (shouldEscapeByte(c, mode) ? 1 : 0))]))
const shouldEscape = (c: number, mode: Mode): boolean => (ESCAPED.get(mode) as Uint8Array)[c] === 1

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const utf8 = (s: string): Uint8Array => encoder.encode(s)
const fromUtf8 = (b: Uint8Array): string => decoder.decode(b)
const isHex = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)
const unhex = (c: number): number => (c <= 57 ? c - 48 : c >= 97 ? c - 87 : c - 55)

function unescape(str: string, mode: Mode): string {
  const hostLike = mode === 'host' || mode === 'zone'
  // Nothing to unescape or check: the string itself, which its UTF-8 decodes to (without surrogates,
  // of which a lone one would decode to U+FFFD).
  if (!hostLike && !str.includes('%') && !(mode === 'queryComponent' && str.includes('+')) && !/[\ud800-\udfff]/.test(str)) return str
  const s = utf8(str)
  let changes = false
  for (let i = 0; i < s.length;) {
    const c = s[i] ?? 0
    if (c === 0x25) {
      if (i + 2 >= s.length || !isHex(s[i + 1] ?? 0) || !isHex(s[i + 2] ?? 0)) {
        throw new URLError(`invalid URL escape ${goQuote(fromUtf8(s.slice(i, Math.min(i + 3, s.length))))}`)
      }
      if (mode === 'host' && unhex(s[i + 1] ?? 0) < 8 && fromUtf8(s.slice(i, i + 3)) !== '%25') throw new URLError(`invalid URL escape ${goQuote(fromUtf8(s.slice(i, i + 3)))}`)
      changes = true
      i += 3
    } else {
      if (hostLike && c < 0x80 && shouldEscape(c, mode)) {
        throw new URLError(`invalid character ${goQuote(String.fromCharCode(c))} in host name`)
      }
      if (c === 0x2b && mode === 'queryComponent') changes = true
      i++
    }
  }
  if (!changes) return fromUtf8(s)
  const out = new Uint8Array(s.length)
  let n = 0
  for (let i = 0; i < s.length;) {
    const c = s[i] ?? 0
    if (c === 0x25) { out[n++] = unhex(s[i + 1] ?? 0) * 16 + unhex(s[i + 2] ?? 0); i += 3 }
    else if (c === 0x2b && mode === 'queryComponent') { out[n++] = 0x20; i++ }
    else { out[n++] = c; i++ }
  }
  return fromUtf8(out.subarray(0, n))
}

const HEX_UPPER = '0123456789ABCDEF'

function escape(str: string, mode: Mode): string {
  const bytes = utf8(str)
  const escaped = ESCAPED.get(mode) as Uint8Array
  let first = 0
  while (first < bytes.length && escaped[bytes[first] ?? 0] !== 1) first++
  // Nothing to escape: the bytes are ASCII (any other byte is escaped), the string itself.
  if (first === bytes.length) return str
  const out = new Uint8Array(bytes.length * 3)
  out.set(bytes.subarray(0, first))
  let n = first
  for (let i = first; i < bytes.length; i++) {
    const b = bytes[i] ?? 0
    if (escaped[b] !== 1) out[n++] = b
    else if (b === 0x20 && mode === 'queryComponent') out[n++] = 0x2b
    else {
      out[n++] = 0x25
      out[n++] = HEX_UPPER.charCodeAt(b >> 4)
      out[n++] = HEX_UPPER.charCodeAt(b & 15)
    }
  }
  return fromUtf8(out.subarray(0, n))
}

function getScheme(raw: string): [string, string] {
  // A letter, then letters, digits, '+', '-' or '.', then ':'; anything else before a ':' is no scheme.
  if (raw[0] === ':') throw new URLError('missing protocol scheme')
  const scheme = /^[a-zA-Z][a-zA-Z0-9+\-.]*:/.exec(raw)
  return scheme === null ? ['', raw] : [raw.slice(0, scheme[0].length - 1), raw.slice(scheme[0].length)]
}

function validOptionalPort(port: string): boolean {
  if (port === '') return true
  if (port[0] !== ':') return false
  return /^[0-9]*$/.test(port.slice(1))
}

function parseHost(host: string): string {
  if (host.startsWith('[')) {
    const i = host.lastIndexOf(']')
    if (i < 0) throw new URLError("missing ']' in host")
    const colonPort = host.slice(i + 1)
    if (!validOptionalPort(colonPort)) throw new URLError(`invalid port ${goQuote(colonPort)} after host`)
    const zone = host.slice(0, i).indexOf('%25')
    if (zone >= 0) {
      const host1 = unescape(host.slice(0, zone), 'host')
      const host2 = unescape(host.slice(zone, i), 'zone')
      const host3 = unescape(host.slice(i), 'host')
      return host1 + host2 + host3
    }
  } else {
    const i = host.lastIndexOf(':')
    if (i !== -1) {
      const colonPort = host.slice(i)
      if (!validOptionalPort(colonPort)) throw new URLError(`invalid port ${goQuote(colonPort)} after host`)
    }
  }
  return unescape(host, 'host')
}

function validUserinfo(s: string): boolean {
  return /^[a-zA-Z0-9\-._:~!$&'()*+,;=%@]*$/.test(s)
}

function parseAuthority(authority: string): { user: string | undefined; host: string } {
  const i = authority.lastIndexOf('@')
  const host = parseHost(i < 0 ? authority : authority.slice(i + 1))
  if (i < 0) return { user: undefined, host }
  const userinfo = authority.slice(0, i)
  if (!validUserinfo(userinfo)) throw new URLError('net/url: invalid userinfo')
  const colon = userinfo.indexOf(':')
  if (colon < 0) unescape(userinfo, 'userPassword')
  else { unescape(userinfo.slice(0, colon), 'userPassword'); unescape(userinfo.slice(colon + 1), 'userPassword') }
  return { user: userinfo, host }
}

function parse(raw: string, viaRequest: boolean): URLValue {
  // Control bytes of UTF-8 are the ASCII control characters.
  if (/[\x00-\x1f\x7f]/.test(raw)) throw new URLError('net/url: invalid control character in URL')
  if (raw === '' && viaRequest) throw new URLError('empty url')
  if (raw === '*') return new URLValue('', '', undefined, '', '*', '', false, '', '')
  let [scheme, rest] = getScheme(raw)
  scheme = scheme.toLowerCase()
  let forceQuery = false
  let rawQuery = ''
  if (rest.endsWith('?') && rest.indexOf('?') === rest.length - 1) {
    forceQuery = true
    rest = rest.slice(0, -1)
  } else {
    const q = rest.indexOf('?')
    if (q >= 0) { rawQuery = rest.slice(q + 1); rest = rest.slice(0, q) }
  }
  if (!rest.startsWith('/')) {
    if (scheme !== '') return new URLValue(scheme, rest, undefined, '', '', '', forceQuery, rawQuery, '')
    if (viaRequest) throw new URLError('invalid URI for request')
    const slash = rest.indexOf('/')
    const segment = slash < 0 ? rest : rest.slice(0, slash)
    if (segment.includes(':')) throw new URLError('first path segment in URL cannot contain colon')
  }
  let user: string | undefined
  let host = ''
  if ((scheme !== '' || (!viaRequest && !rest.startsWith('///'))) && rest.startsWith('//')) {
    let authority = rest.slice(2)
    rest = ''
    const i = authority.indexOf('/')
    if (i >= 0) { rest = authority.slice(i); authority = authority.slice(0, i) }
    ;({ user, host } = parseAuthority(authority))
  }
  const path = unescape(rest, 'path')
  const rawPath = escape(path, 'path') === rest ? '' : rest
  return new URLValue(scheme, '', user, host, path, rawPath, forceQuery, rawQuery, '')
}

const wrap = (raw: string, e: unknown): string => `parse ${goQuote(raw)}: ${e instanceof Error ? e.message : String(e)}`

/** url.ParseRequestURI; returns the error text (`parse "<s>": <reason>`) on failure. */
export function parseRequestURI(raw: string): URLValue | string {
  try {
    return parse(raw, true)
  } catch (e) {
    if (e instanceof URLError) return wrap(raw, e)
    throw e
  }
}

/** apiserver `url(s)`: validated with ParseRequestURI, then built with url.Parse. */
export function parseURL(raw: string): URLValue | string {
  const check = parseRequestURI(raw)
  if (typeof check === 'string') return `URL parse error during conversion from string: ${check}`
  const hash = raw.indexOf('#')
  const u = hash < 0 ? raw : raw.slice(0, hash)
  let url: URLValue
  try {
    url = parse(u, false)
  } catch (e) {
    if (e instanceof URLError) return `URL parse error during conversion from string: ${wrap(u, e)}`
    throw e
  }
  if (hash < 0) return url
  const frag = raw.slice(hash + 1)
  let fragment: string
  try {
    fragment = unescape(frag, 'fragment')
  } catch (e) {
    if (e instanceof URLError) return `URL parse error during conversion from string: ${wrap(raw, e)}`
    throw e
  }
  return new URLValue(url.scheme, url.opaque, url.user, url.host, url.path, url.rawPath, url.forceQuery, url.rawQuery, fragment)
}

function splitHostPort(hostPort: string): [string, string] {
  let host = hostPort
  let port = ''
  const colon = host.lastIndexOf(':')
  if (colon !== -1 && validOptionalPort(host.slice(colon))) { port = host.slice(colon + 1); host = host.slice(0, colon) }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1)
  return [host, port]
}

export const urlHostname = (u: URLValue): string => splitHostPort(u.host)[0]
export const urlPort = (u: URLValue): string => splitHostPort(u.host)[1]

/** Bytes validEncoded lets through whatever shouldEscape says. */
const ENCODED_ANYWAY = new Set(Array.from("!$&'()*+,;=:@[]%", (c) => c.charCodeAt(0)))

function validEncoded(s: string, mode: Mode): boolean {
  for (const b of utf8(s)) if (!ENCODED_ANYWAY.has(b) && shouldEscape(b, mode)) return false
  return true
}

/** url.URL.EscapedPath. */
export function urlEscapedPath(u: URLValue): string {
  if (u.rawPath !== '' && validEncoded(u.rawPath, 'path')) {
    try {
      if (unescape(u.rawPath, 'path') === u.path) return u.rawPath
    } catch {
      // fall through
    }
  }
  if (u.path === '*') return '*'
  return escape(u.path, 'path')
}

/** url.URL.Query (url.ParseQuery, malformed pairs dropped). */
export function urlQuery(u: URLValue): Record<string, string[]> {
  const m: Record<string, string[]> = {}
  let query = u.rawQuery
  while (query !== '') {
    const amp = query.indexOf('&')
    let key = amp < 0 ? query : query.slice(0, amp)
    query = amp < 0 ? '' : query.slice(amp + 1)
    if (key.includes(';') || key === '') continue
    const eq = key.indexOf('=')
    let value = ''
    if (eq >= 0) { value = key.slice(eq + 1); key = key.slice(0, eq) }
    let k: string, v: string
    try {
      k = unescape(key, 'queryComponent')
      v = unescape(value, 'queryComponent')
    } catch {
      continue
    }
    if (!Object.hasOwn(m, k)) Object.defineProperty(m, k, { value: [], enumerable: true, writable: true, configurable: true })
    m[k]?.push(v)
  }
  return m
}

export function urlEquals(a: URLValue, b: URLValue): boolean {
  return a.scheme === b.scheme && a.opaque === b.opaque && a.user === b.user && a.host === b.host && a.path === b.path &&
    a.rawPath === b.rawPath && a.forceQuery === b.forceQuery && a.rawQuery === b.rawQuery && a.fragment === b.fragment
}
