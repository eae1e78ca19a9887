/**
 * Registers the Kubernetes CEL value libraries on a cel-js Environment: Quantity, IP, CIDR, URL,
 * Semver and Format. Type names follow the apiserver (`kubernetes.Quantity`, `net.IP`, `net.CIDR`,
 * `kubernetes.URL`, `kubernetes.Semver`, `kubernetes.NamedFormat`). Errors are thrown and become
 * evaluation errors; each function charges the step budget in proportion to its input size.
 */
import { Optional, type Environment } from '@marcbachmann/cel-js'
import type { Charge } from './cel-lib.js'
import { NAMED_FORMATS, NamedFormat } from './cel-k8s-format.js'
import {
  CIDRPrefix, IPAddr, cidrContainsCIDR, cidrContainsIP, cidrEquals, cidrMasked, cidrString, ipEquals, ipIsCanonical,
  ipIsGlobalUnicast, ipIsLinkLocalMulticast, ipIsLinkLocalUnicast, ipIsLoopback, ipIsUnspecified, ipString, parseCIDR, parseIP,
} from './cel-k8s-net.js'
import {
  Quantity, parseQuantity, quantityAdd, quantityApproximateFloat, quantityAsInt64, quantityCompare, quantityFromInt, quantitySign, quantitySub,
} from './cel-k8s-quantity.js'
import { Semver, parseSemver, semverCompare, semverInt } from './cel-k8s-semver.js'
import { URLValue, parseURL, parseRequestURI, urlEquals, urlEscapedPath, urlHostname, urlPort, urlQuery } from './cel-k8s-url.js'

class IPNamespace {}
class FormatNamespace {}

function orThrow<T>(v: T | string): T {
  if (typeof v === 'string') throw new Error(v)
  return v
}

/** Registers Quantity, IP, CIDR, URL, Semver and Format functions on `env`. */
export function registerKubernetesValueLibraries(env: Environment, charge: Charge): void {
  const size = (s: string): void => charge(s.length / 10)

  // Quantity.
  const Q = 'kubernetes.Quantity'
  env.registerType(Q, Quantity)
  env.registerOperator(`${Q} == ${Q}`, (a: Quantity, b: Quantity) => quantityCompare(a, b, charge) === 0)
  env.registerFunction(`quantity(string): ${Q}`, (s: string) => orThrow(parseQuantity(s, charge)))
  env.registerFunction('isQuantity(string): bool', (s: string) => typeof parseQuantity(s, charge) !== 'string')
  env.registerFunction(`${Q}.isInteger(): bool`, (q: Quantity) => quantityAsInt64(q) !== undefined)
  env.registerFunction(`${Q}.asInteger(): int`, (q: Quantity) => {
    const v = quantityAsInt64(q)
    if (v === undefined) throw new Error('cannot convert value to integer')
    return v
  })
  env.registerFunction(`${Q}.asApproximateFloat(): double`, (q: Quantity) => quantityApproximateFloat(q))
  env.registerFunction(`${Q}.sign(): int`, (q: Quantity) => quantitySign(q))
  env.registerFunction(`${Q}.add(${Q}): ${Q}`, (a: Quantity, b: Quantity) => quantityAdd(a, b, charge))
  env.registerFunction(`${Q}.add(int): ${Q}`, (a: Quantity, b: bigint) => quantityAdd(a, quantityFromInt(b), charge))
  env.registerFunction(`${Q}.sub(${Q}): ${Q}`, (a: Quantity, b: Quantity) => quantitySub(a, b, charge))
  env.registerFunction(`${Q}.sub(int): ${Q}`, (a: Quantity, b: bigint) => quantitySub(a, quantityFromInt(b), charge))
  env.registerFunction(`${Q}.isLessThan(${Q}): bool`, (a: Quantity, b: Quantity) => quantityCompare(a, b, charge) === -1)
  env.registerFunction(`${Q}.isGreaterThan(${Q}): bool`, (a: Quantity, b: Quantity) => quantityCompare(a, b, charge) === 1)
  env.registerFunction(`${Q}.compareTo(${Q}): int`, (a: Quantity, b: Quantity) => BigInt(quantityCompare(a, b, charge)))

  // IP.
  const IP = 'net.IP'
  env.registerType(IP, IPAddr)
  env.registerOperator(`${IP} == ${IP}`, (a: IPAddr, b: IPAddr) => ipEquals(a, b))
  env.registerType('IPNamespace', IPNamespace)
  env.registerConstant('ip', 'IPNamespace', new IPNamespace())
  env.registerFunction(`ip(string): ${IP}`, (s: string) => { size(s); return orThrow(parseIP(s)) })
  env.registerFunction('isIP(string): bool', (s: string) => { size(s); return typeof parseIP(s) !== 'string' })
  env.registerFunction('IPNamespace.isCanonical(string): bool', (_ns: unknown, s: string) => { size(s); return orThrow(ipIsCanonical(s)) })
  env.registerFunction(`string(${IP}): string`, (a: IPAddr) => ipString(a))
  env.registerFunction(`${IP}.family(): int`, (a: IPAddr) => (a.is4 ? 4n : 6n))
  env.registerFunction(`${IP}.isUnspecified(): bool`, (a: IPAddr) => ipIsUnspecified(a))
  env.registerFunction(`${IP}.isLoopback(): bool`, (a: IPAddr) => ipIsLoopback(a))
  env.registerFunction(`${IP}.isLinkLocalMulticast(): bool`, (a: IPAddr) => ipIsLinkLocalMulticast(a))
  env.registerFunction(`${IP}.isLinkLocalUnicast(): bool`, (a: IPAddr) => ipIsLinkLocalUnicast(a))
  env.registerFunction(`${IP}.isGlobalUnicast(): bool`, (a: IPAddr) => ipIsGlobalUnicast(a))

  // CIDR.
  const C = 'net.CIDR'
  env.registerType(C, CIDRPrefix)
  env.registerOperator(`${C} == ${C}`, (a: CIDRPrefix, b: CIDRPrefix) => cidrEquals(a, b))
  env.registerFunction(`cidr(string): ${C}`, (s: string) => { size(s); return orThrow(parseCIDR(s)) })
  env.registerFunction('isCIDR(string): bool', (s: string) => { size(s); return typeof parseCIDR(s) !== 'string' })
  env.registerFunction(`string(${C}): string`, (c: CIDRPrefix) => cidrString(c))
  env.registerFunction(`${C}.containsIP(${IP}): bool`, (c: CIDRPrefix, a: IPAddr) => cidrContainsIP(c, a))
  env.registerFunction(`${C}.containsIP(string): bool`, (c: CIDRPrefix, s: string) => {
    size(s)
    const a = parseIP(s)
    // apiserver passes the parse error to an IP-typed overload, which reports "no such overload".
    if (typeof a === 'string') throw new Error('no such overload')
    return cidrContainsIP(c, a)
  })
  env.registerFunction(`${C}.containsCIDR(${C}): bool`, (c: CIDRPrefix, o: CIDRPrefix) => cidrContainsCIDR(c, o))
  env.registerFunction(`${C}.containsCIDR(string): bool`, (c: CIDRPrefix, s: string) => { size(s); return cidrContainsCIDR(c, orThrow(parseCIDR(s))) })
  env.registerFunction(`${C}.ip(): ${IP}`, (c: CIDRPrefix) => c.addr)
  env.registerFunction(`${C}.masked(): ${C}`, (c: CIDRPrefix) => cidrMasked(c))
  env.registerFunction(`${C}.prefixLength(): int`, (c: CIDRPrefix) => BigInt(c.bits))

  // URL.
  const U = 'kubernetes.URL'
  env.registerType(U, URLValue)
  env.registerOperator(`${U} == ${U}`, (a: URLValue, b: URLValue) => urlEquals(a, b))
  env.registerFunction(`url(string): ${U}`, (s: string) => { size(s); return orThrow(parseURL(s)) })
  env.registerFunction('isURL(string): bool', (s: string) => { size(s); return typeof parseRequestURI(s) !== 'string' })
  env.registerFunction(`${U}.getScheme(): string`, (u: URLValue) => u.scheme)
  env.registerFunction(`${U}.getHost(): string`, (u: URLValue) => u.host)
  env.registerFunction(`${U}.getHostname(): string`, (u: URLValue) => urlHostname(u))
  env.registerFunction(`${U}.getPort(): string`, (u: URLValue) => urlPort(u))
  env.registerFunction(`${U}.getEscapedPath(): string`, (u: URLValue) => { size(u.path); return urlEscapedPath(u) })
  env.registerFunction(`${U}.getQuery(): map<string, list<string>>`, (u: URLValue) => { size(u.rawQuery); return urlQuery(u) })

  // Semver.
  const S = 'kubernetes.Semver'
  env.registerType(S, Semver)
  env.registerOperator(`${S} == ${S}`, (a: Semver, b: Semver) => semverCompare(a, b) === 0)
  env.registerFunction(`semver(string): ${S}`, (s: string) => { size(s); return orThrow(parseSemver(s, false)) })
  env.registerFunction(`semver(string, bool): ${S}`, (s: string, n: boolean) => { size(s); return orThrow(parseSemver(s, n)) })
  env.registerFunction('isSemver(string): bool', (s: string) => { size(s); return typeof parseSemver(s, false) !== 'string' })
  env.registerFunction('isSemver(string, bool): bool', (s: string, n: boolean) => { size(s); return typeof parseSemver(s, n) !== 'string' })
  env.registerFunction(`${S}.major(): int`, (v: Semver) => semverInt(v.major))
  env.registerFunction(`${S}.minor(): int`, (v: Semver) => semverInt(v.minor))
  env.registerFunction(`${S}.patch(): int`, (v: Semver) => semverInt(v.patch))
  env.registerFunction(`${S}.isLessThan(${S}): bool`, (a: Semver, b: Semver) => semverCompare(a, b) === -1)
  env.registerFunction(`${S}.isGreaterThan(${S}): bool`, (a: Semver, b: Semver) => semverCompare(a, b) === 1)
  env.registerFunction(`${S}.compareTo(${S}): int`, (a: Semver, b: Semver) => BigInt(semverCompare(a, b)))

  // Format.
  const F = 'kubernetes.NamedFormat'
  env.registerType(F, NamedFormat)
  env.registerType('FormatNamespace', FormatNamespace)
  env.registerConstant('format', 'FormatNamespace', new FormatNamespace())
  env.registerFunction(`FormatNamespace.named(string): optional<${F}>`, (_ns: unknown, name: string) => {
    const f = NAMED_FORMATS.get(name)
    return f ? Optional.of(f) : Optional.none()
  })
  for (const [name, f] of NAMED_FORMATS) env.registerFunction(`FormatNamespace.${name}(): ${F}`, () => f)
  env.registerFunction(`${F}.validate(string): optional<list<string>>`, (f: NamedFormat, s: string) => {
    charge(s.length / 10)
    const errs = f.validate(s)
    return errs.length === 0 ? Optional.none() : Optional.of(errs)
  })
}
