import { describe, expect, it } from 'vitest'
import { compile } from '../src/policy/cel.js'
import { VARS, evalError, runCel } from './helpers/cel.js'

// Cases written from the Kubernetes CEL library documentation ("Kubernetes CEL libraries") and the
// behaviour of apiserver pkg/cel/library (quantity/ip/cidr/urls/semverlib/format) and apimachinery.

const run = (expression: string, kubeMinor?: number, activation: Record<string, unknown> = {}): unknown => runCel(expression, activation, kubeMinor)

function compileError(expression: string, kubeMinor?: number): string {
  const c = compile(expression, kubeMinor === undefined ? { variables: VARS } : { variables: VARS, kubeMinor })
  if (c.ok) throw new Error('expected a compile error')
  return c.error
}

const FORMAT_ERR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"

describe('Quantity', () => {
  it.each([
    ['isQuantity("20")', true],
    ['isQuantity("20M")', true],
    ['isQuantity("20Mi")', true],
    ['isQuantity("1.5G")', true],
    ['isQuantity("-1.5e3")', true],
    ['isQuantity("+5E-2")', true],
    ['isQuantity("100m")', true],
    ['isQuantity("1Ei")', true],
    ['isQuantity("200K")', false],
    ['isQuantity("1.5.5")', false],
    ['isQuantity("")', false],
    ['isQuantity(" 1")', false],
    ['isQuantity("1 ")', false],
    ['isQuantity("1i")', false],
    ['isQuantity("0.1mi")', false],
    ['isQuantity("-3.01e-")', false],
    ['isQuantity("aoeu")', false],
    ['isQuantity("K")', false],
    ['isQuantity("1e99999999999999999999")', false],
    // apimachinery: the numeric part may be empty when the suffix is known (value 0).
    ['isQuantity("Mi")', true],
    ['quantity("Mi").sign() == 0', true],
  ])('%s -> %s', (e, want) => expect(run(e)).toBe(want))

  it('compares exactly', () => {
    expect(run('quantity("50M") == quantity("50000k")')).toBe(true)
    expect(run('quantity("200M") == quantity("0.2G")')).toBe(true)
    expect(run('quantity("1") == quantity("1000m")')).toBe(true)
    expect(run('quantity("50Mi") == quantity("50M")')).toBe(false)
    expect(run('quantity("1Ki") == quantity("1024")')).toBe(true)
    expect(run('quantity("50k").isLessThan(quantity("100k"))')).toBe(true)
    expect(run('quantity("100k").isLessThan(quantity("50k"))')).toBe(false)
    expect(run('quantity("50M").isGreaterThan(quantity("50Mi"))')).toBe(false)
    expect(run('quantity("50Mi").isGreaterThan(quantity("50M"))')).toBe(true)
    expect(run('quantity("1e3").compareTo(quantity("1k"))')).toBe(0n)
    expect(run('quantity("1").compareTo(quantity("2"))')).toBe(-1n)
    expect(run('quantity("2").compareTo(quantity("1"))')).toBe(1n)
    // 10^20 + 1 vs 10^20: beyond float64 precision, still ordered exactly
    expect(run('quantity("100000000000000000001").isGreaterThan(quantity("1e20"))')).toBe(true)
    expect(run('quantity("1n").isGreaterThan(quantity("0"))')).toBe(true)
    // values below a nano are rounded up (away from zero) to 1n
    expect(run('quantity("0.1n") == quantity("1n")')).toBe(true)
    expect(run('quantity("-0.1n") == quantity("-1n")')).toBe(true)
  })

  it('isInteger / asInteger follow resource.Quantity.AsInt64', () => {
    expect(run('quantity("50").isInteger()')).toBe(true)
    expect(run('quantity("50k").isInteger()')).toBe(true)
    expect(run('quantity("50.5").isInteger()')).toBe(false)
    expect(run('quantity("50k").asInteger()')).toBe(50000n)
    expect(run('quantity("10Mi").asInteger()')).toBe(10485760n)
    expect(run('quantity("-5").asInteger()')).toBe(-5n)
    expect(evalError('quantity("50.5").asInteger()')).toBe('cannot convert value to integer')
    // overflow
    expect(run('quantity("1e20").isInteger()')).toBe(false)
    expect(evalError('quantity("100E").asInteger()')).toBe('cannot convert value to integer')
    // AsInt64 is false for a negative scale (1000m) and for the inf.Dec form (1.5Gi, 19 digits)
    expect(run('quantity("1000m").isInteger()')).toBe(false)
    expect(run('quantity("1.5Gi").isInteger()')).toBe(false)
    expect(run('quantity("9223372036854775807").isInteger()')).toBe(false)
    expect(run('quantity("922337203685477580").isInteger()')).toBe(true)
  })

  it('asApproximateFloat and sign', () => {
    expect(run('quantity("50k").asApproximateFloat()')).toBe(50000)
    expect(run('quantity("1.5Gi").asApproximateFloat()')).toBe(1610612736)
    expect(run('quantity("-250m").asApproximateFloat()')).toBe(-0.25)
    expect(run('quantity("50M").sign()')).toBe(1n)
    expect(run('quantity("-50M").sign()')).toBe(-1n)
    expect(run('quantity("0").sign()')).toBe(0n)
  })

  it('add and sub, with Quantity or int', () => {
    expect(run('quantity("50k").add(quantity("20k")) == quantity("70k")')).toBe(true)
    expect(run('quantity("50k").add(20) == quantity("50020")')).toBe(true)
    expect(run('quantity("50k").sub(quantity("20k")) == quantity("30k")')).toBe(true)
    expect(run('quantity("50k").sub(20000) == quantity("30k")')).toBe(true)
    expect(run('quantity("50k").sub(quantity("50k")).sign()')).toBe(0n)
    expect(run('quantity("1k").add(quantity("1m")).isInteger()')).toBe(false)
    expect(run('quantity("1.5Gi").add(quantity("512Mi")) == quantity("2Gi")')).toBe(true)
    // int64 overflow falls back to exact decimal arithmetic
    expect(run('quantity("9223372036854775807").add(1).isGreaterThan(quantity("9223372036854775807"))')).toBe(true)
    expect(run('quantity("922337203685477580").add(quantity("922337203685477580")).isInteger()')).toBe(true)
    expect(run('quantity("9e18").add(quantity("9e18")).isInteger()')).toBe(false)
  })

  it('reports apimachinery parse errors', () => {
    expect(evalError('quantity("200K")')).toBe("unable to parse quantity's suffix")
    expect(evalError('quantity("1.5.5")')).toBe(FORMAT_ERR)
    expect(evalError('quantity("")')).toBe(FORMAT_ERR)
    expect(evalError('quantity("1 ")')).toBe(FORMAT_ERR)
    expect(evalError('quantity("-e-10")')).toBe('unable to parse numeric part of quantity')
  })
})

describe('IP', () => {
  it.each([
    ['isIP("127.0.0.1")', true],
    ['isIP("::1")', true],
    ['isIP("2001:db8::abcd")', true],
    ['isIP("127.0.0.256")', false],
    ['isIP(":::1")', false],
    ['isIP("127.0.0.01")', false],
    ['isIP("1.2.3")', false],
    ['isIP("1.2.3.4.5")', false],
    ['isIP("::ffff:1.2.3.4")', false],
    ['isIP("::ffff:0102:0304")', false],
    ['isIP("fe80::1%eth0")', false],
    ['isIP("")', false],
    ['isIP("1::2::3")', false],
    ['isIP("::1.2.3.4")', true],
    ['ip("127.0.0.1").family()', 4n],
    ['ip("::1").family()', 6n],
    ['ip("0.0.0.0").isUnspecified()', true],
    ['ip("127.0.0.1").isUnspecified()', false],
    ['ip("::").isUnspecified()', true],
    ['ip("::1").isUnspecified()', false],
    ['ip("127.0.0.1").isLoopback()', true],
    ['ip("192.168.0.1").isLoopback()', false],
    ['ip("::1").isLoopback()', true],
    ['ip("2001:db8::abcd").isLoopback()', false],
    ['ip("224.0.0.1").isLinkLocalMulticast()', true],
    ['ip("224.0.1.1").isLinkLocalMulticast()', false],
    ['ip("ff02::1").isLinkLocalMulticast()', true],
    ['ip("fd00::1").isLinkLocalMulticast()', false],
    ['ip("169.254.169.254").isLinkLocalUnicast()', true],
    ['ip("192.168.0.1").isLinkLocalUnicast()', false],
    ['ip("fe80::1").isLinkLocalUnicast()', true],
    ['ip("fd80::1").isLinkLocalUnicast()', false],
    ['ip("192.168.0.1").isGlobalUnicast()', true],
    ['ip("255.255.255.255").isGlobalUnicast()', false],
    ['ip("2001:db8::abcd").isGlobalUnicast()', true],
    ['ip("ff00::1").isGlobalUnicast()', false],
    ['ip.isCanonical("127.0.0.1")', true],
    ['ip.isCanonical("2001:db8::abcd")', true],
    ['ip.isCanonical("2001:DB8::ABCD")', false],
    ['ip.isCanonical("2001:db8::0:0:0:abcd")', false],
    ['string(ip("2001:db8:0:0:1:0:0:1"))', '2001:db8::1:0:0:1'],
    ['string(ip("2001:0db8:0000:0000:0000:0000:0000:0001"))', '2001:db8::1'],
    ['string(ip("1:0:0:2:0:0:0:3"))', '1:0:0:2::3'],
    ['string(ip("192.168.0.1"))', '192.168.0.1'],
    ['ip("127.0.0.1") == ip("127.0.0.1")', true],
    ['ip("::1") == ip("0:0:0:0:0:0:0:1")', true],
    ['ip("127.0.0.1") == ip("127.0.0.2")', false],
  ])('%s -> %s', (e, want) => expect(run(e)).toBe(want))

  it('reports netip parse errors and the apiserver rejections', () => {
    expect(evalError('ip("127.0.0.256")')).toBe('IP Address "127.0.0.256" parse error during conversion from string: ParseAddr("127.0.0.256"): IPv4 field has value >255')
    expect(evalError('ip("01.2.3.4")')).toBe('IP Address "01.2.3.4" parse error during conversion from string: ParseAddr("01.2.3.4"): IPv4 field has octet with leading zero')
    expect(evalError('ip(":::1")')).toBe('IP Address ":::1" parse error during conversion from string: ParseAddr(":::1"): each colon-separated field must have at least one digit (at ":1")')
    expect(evalError('ip("foo")')).toBe('IP Address "foo" parse error during conversion from string: ParseAddr("foo"): unable to parse IP')
    expect(evalError('ip("::ffff:1.2.3.4")')).toBe('IPv4-mapped IPv6 address "::ffff:1.2.3.4" is not allowed')
    expect(evalError('ip("fe80::1%eth0")')).toBe('IP address "fe80::1%eth0" with zone value is not allowed')
    expect(evalError('ip.isCanonical("x")')).toMatch(/unable to parse IP/)
  })
})

describe('CIDR', () => {
  it.each([
    ['isCIDR("192.168.0.0/16")', true],
    ['isCIDR("::1/128")', true],
    ['isCIDR("192.168.0.0/33")', false],
    ['isCIDR("::1/129")', false],
    ['isCIDR("192.168.0.0")', false],
    ['isCIDR("192.168.0.0/016")', false],
    ['isCIDR("192.168.0.0/+16")', false],
    ['isCIDR("::ffff:1.2.3.4/120")', false],
    ['isCIDR("192.168.0.01/24")', false],
    // host bits are accepted; masked() drops them
    ['isCIDR("192.168.0.1/24")', true],
    ['cidr("192.168.0.0/24").containsIP(ip("192.168.0.1"))', true],
    ['cidr("192.168.0.0/24").containsIP(ip("192.168.1.1"))', false],
    ['cidr("192.168.0.0/24").containsIP("192.168.0.1")', true],
    ['cidr("192.168.0.0/24").containsIP("192.168.1.1")', false],
    ['cidr("192.168.0.0/24").containsIP("::1")', false],
    ['cidr("2001:db8::/32").containsIP(ip("2001:db8::1"))', true],
    ['cidr("2001:db8::/32").containsIP("2001:dc8::1")', false],
    ['cidr("192.168.0.0/24").containsCIDR(cidr("192.168.0.0/25"))', true],
    ['cidr("192.168.0.0/24").containsCIDR(cidr("192.168.0.0/23"))', false],
    ['cidr("192.168.0.0/24").containsCIDR("192.168.0.0/25")', true],
    ['cidr("192.168.0.0/24").containsCIDR("192.168.0.0/23")', false],
    ['cidr("192.168.1.0/24").containsCIDR("192.168.2.0/24")', false],
    ['cidr("2001:db8::/32").containsCIDR(cidr("2001:db8::/33"))', true],
    ['cidr("2001:db8::/32").containsCIDR("2001:db8::/31")', false],
    // apiserver compares Masked() with PrefixFrom(other.Addr(), bits), which does not mask: a
    // subnet at a different address is not reported as contained (the docs example says true).
    ['cidr("192.168.0.0/16").containsCIDR(cidr("192.168.10.0/24"))', false],
    ['cidr("192.168.0.0/24").ip() == ip("192.168.0.0")', true],
    ['cidr("192.168.0.1/24").ip() == ip("192.168.0.1")', true],
    ['cidr("192.168.0.1/24").ip().family()', 4n],
    ['cidr("::1/128").ip() == ip("::1")', true],
    ['cidr("::1/128").ip().family()', 6n],
    ['cidr("192.168.0.0/24").masked() == cidr("192.168.0.0/24")', true],
    ['cidr("192.168.0.1/24").masked() == cidr("192.168.0.0/24")', true],
    ['cidr("192.168.0.0/24") == cidr("192.168.0.0/24").masked()', true],
    ['cidr("192.168.0.1/24") == cidr("192.168.0.1/24").masked()', false],
    ['cidr("2001:db8:1::/32").masked() == cidr("2001:db8::/32")', true],
    ['cidr("192.168.0.0/16").prefixLength()', 16n],
    ['cidr("::1/128").prefixLength()', 128n],
    ['string(cidr("192.168.0.0/24"))', '192.168.0.0/24'],
    ['string(cidr("2001:db8:0::/32"))', '2001:db8::/32'],
  ])('%s -> %s', (e, want) => expect(run(e)).toBe(want))

  it('reports errors as the apiserver does', () => {
    const twice = 'network address parse error during conversion from string: network address parse error during conversion from string: '
    expect(evalError('cidr("192.168.0.0/")')).toBe(`${twice}netip.ParsePrefix("192.168.0.0/"): bad bits after slash: ""`)
    expect(evalError('cidr("2001:db8::/")')).toBe(`${twice}netip.ParsePrefix("2001:db8::/"): bad bits after slash: ""`)
    expect(evalError('cidr("192.168.0.0/33")')).toBe(`${twice}netip.ParsePrefix("192.168.0.0/33"): prefix length out of range`)
    expect(evalError('cidr("10.0.0.0")')).toBe(`${twice}netip.ParsePrefix("10.0.0.0"): no '/'`)
    expect(evalError('cidr("::ffff:1.2.3.4/120")')).toBe('network address parse error during conversion from string: IPv4-mapped IPv6 address "::ffff:1.2.3.4/120" is not allowed')
    expect(evalError('cidr("10.0.0.0/8").containsCIDR("x")')).toMatch(/no '\/'/)
    // the IP parse error reaches an IP-typed overload in cel-go, which reports no such overload
    expect(evalError('cidr("10.0.0.0/8").containsIP("x")')).toMatch(/no such overload/)
  })

  it('rejects wrong argument types at compile time', () => {
    expect(compileError('cidr(192168)')).toMatch(/overload/)
    expect(compileError('ip(1)')).toMatch(/overload/)
  })
})

describe('URL', () => {
  it.each([
    ['isURL("https://user:pass@example.com:80/path?query=val#fragment")', true],
    ['isURL("/absolute-path")', true],
    ['isURL("https://a:b:c/")', false],
    ['isURL("../relative-path")', false],
    ['isURL("example.com")', false],
    ['isURL("")', false],
    ['isURL("http://[::1")', false],
    ['isURL("http://example.com/%zz")', false],
    ['url("https://example.com/path").getScheme()', 'https'],
    ['url("HTTPS://example.com/").getScheme()', 'https'],
    ['url("/path").getScheme()', ''],
    ['url("https://example.com/path").getHost()', 'example.com'],
    ['url("https://example.com:80/path").getHost()', 'example.com:80'],
    ['url("https://[::1]:80/path").getHost()', '[::1]:80'],
    ['url("https://[::1]/path").getHost()', '[::1]'],
    ['url("/path").getHost()', ''],
    ['url("https://example.com:80/path").getHostname()', 'example.com'],
    ['url("https://127.0.0.1:80/path").getHostname()', '127.0.0.1'],
    ['url("https://[::1]:80/path").getHostname()', '::1'],
    ['url("/path").getHostname()', ''],
    ['url("https://example.com:80/path").getPort()', '80'],
    ['url("https://example.com/path").getPort()', ''],
    ['url("/path").getPort()', ''],
    ['url("https://example.com/path").getEscapedPath()', '/path'],
    ['url("https://example.com/path with spaces/").getEscapedPath()', '/path%20with%20spaces/'],
    ['url("https://example.com/a%2Fb").getEscapedPath()', '/a%2Fb'],
    ['url("https://example.com").getEscapedPath()', ''],
    ['url("https://example.com/path?k1=a&k2=b&k2=c").getQuery()["k2"] == ["b", "c"]', true],
    ['url("https://example.com/path?key with spaces=value with spaces").getQuery()["key with spaces"][0]', 'value with spaces'],
    ['url("https://example.com/path?k=a+b%21").getQuery()["k"][0]', 'a b!'],
    ['url("https://example.com/path?").getQuery().size()', 0n],
    ['url("https://example.com/path").getQuery().size()', 0n],
    ['url("https://example.com/path?a;b=1&c=2").getQuery() == {"c": ["2"]}', true],
    ['url("https://example.com/path#frag") == url("https://example.com/path#frag")', true],
    ['url("https://example.com/a") == url("https://example.com/b")', false],
  ])('%s -> %s', (e, want) => expect(run(e)).toBe(want))

  it('reports Go net/url errors', () => {
    expect(evalError('url("../relative-path")')).toBe('URL parse error during conversion from string: parse "../relative-path": invalid URI for request')
    expect(evalError('url("")')).toBe('URL parse error during conversion from string: parse "": empty url')
    expect(evalError('url("https://a:b:c/")')).toBe('URL parse error during conversion from string: parse "https://a:b:c/": invalid port ":c" after host')
    expect(evalError('url(":foo")')).toBe('URL parse error during conversion from string: parse ":foo": missing protocol scheme')
    expect(evalError('url("http://exa mple.com/")')).toBe('URL parse error during conversion from string: parse "http://exa mple.com/": invalid character " " in host name')
  })
})

describe('Semver', () => {
  it.each([
    ['isSemver("1.0.0")', true],
    ['isSemver("1.0.0-alpha.1+build.5")', true],
    ['isSemver("1.0")', false],
    ['isSemver("v1.0.0")', false],
    ['isSemver("01.0.0")', false],
    ['isSemver("1.0.0-01")', false],
    ['isSemver("1.0.0-")', false],
    ['isSemver("1.0.0+")', false],
    ['isSemver("1.0.0-a_b")', false],
    ['isSemver("v1.0", true)', true],
    ['isSemver("1", true)', true],
    ['isSemver("01.02.03", true)', true],
    ['isSemver("1.0-alpha", true)', false],
    ['isSemver("1.0.0", false)', true],
    ['semver("1.2.3").major()', 1n],
    ['semver("1.2.3").minor()', 2n],
    ['semver("1.2.3").patch()', 3n],
    ['semver("v1.2", true).minor()', 2n],
    ['semver("v1.2", true).patch()', 0n],
    ['semver("01.02.03", true) == semver("1.2.3")', true],
    ['semver("1.2.3") == semver("1.2.3")', true],
    ['semver("1.2.3+build") == semver("1.2.3")', true],
    ['semver("1.2.3").isGreaterThan(semver("1.2.0"))', true],
    ['semver("1.2.3").isLessThan(semver("1.10.0"))', true],
    ['semver("1.0.0-alpha").isLessThan(semver("1.0.0"))', true],
    ['semver("1.2.3").compareTo(semver("1.2.3"))', 0n],
    ['semver("1.2.3").compareTo(semver("2.0.0"))', -1n],
    ['semver("2.0.0").compareTo(semver("1.2.3"))', 1n],
    // semver.org precedence chain
    ['semver("1.0.0-alpha").isLessThan(semver("1.0.0-alpha.1"))', true],
    ['semver("1.0.0-alpha.1").isLessThan(semver("1.0.0-alpha.beta"))', true],
    ['semver("1.0.0-alpha.beta").isLessThan(semver("1.0.0-beta"))', true],
    ['semver("1.0.0-beta.2").isLessThan(semver("1.0.0-beta.11"))', true],
    ['semver("1.0.0-beta.11").isLessThan(semver("1.0.0-rc.1"))', true],
    ['semver("1.0.0-rc.1").isLessThan(semver("1.0.0"))', true],
  ])('%s -> %s', (e, want) => expect(run(e)).toBe(want))

  it('reports blang/semver errors', () => {
    expect(evalError('semver("1.0")')).toBe('No Major.Minor.Patch elements found')
    expect(evalError('semver("")')).toBe('Version string empty')
    expect(evalError('semver("01.0.0")')).toBe('Major number must not contain leading zeroes "01"')
    expect(evalError('semver("1.a.0")')).toBe('Invalid character(s) found in minor number "a"')
    expect(evalError('semver("1.0.0-01")')).toBe('Numeric PreRelease version must not contain leading zeroes "01"')
    expect(evalError('semver("1.0-beta", true)')).toBe('short version cannot contain PreRelease/Build meta data')
  })
})

describe('Format', () => {
  const LABEL_MSG = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
  const SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
  const DNS1035_MSG = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
  const QNAME_MSG = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
  const LABEL_VALUE_MSG = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

  const errors = (expr: string): unknown => run(`${expr}.orValue(["<valid>"])`)

  it('validates the apimachinery name formats with their messages', () => {
    expect(run('format.dns1123Label().validate("my-name").hasValue()')).toBe(false)
    expect(errors('format.dns1123Label().validate("My-Name")')).toEqual([LABEL_MSG])
    expect(errors('format.dns1123Label().validate("a.b")')).toEqual(['must not contain dots'])
    expect(errors(`format.dns1123Label().validate("${'a'.repeat(64)}")`)).toEqual(['must be no more than 63 characters'])
    expect(errors('format.dns1123Subdomain().validate("example.com")')).toEqual(['<valid>'])
    expect(errors('format.dns1123Subdomain().validate("-example.com")')).toEqual([SUBDOMAIN_MSG])
    expect(errors(`format.dns1123Subdomain().validate("${'a'.repeat(254)}")`)).toEqual(['must be no more than 253 characters'])
    expect(errors('format.dns1035Label().validate("my-name")')).toEqual(['<valid>'])
    expect(errors('format.dns1035Label().validate("1abc")')).toEqual([DNS1035_MSG])
    expect(errors('format.qualifiedName().validate("example.com/MyName")')).toEqual(['<valid>'])
    expect(errors('format.qualifiedName().validate("my.name")')).toEqual(['<valid>'])
    expect(errors('format.qualifiedName().validate("/MyName")')).toEqual(['prefix part must be non-empty'])
    expect(errors('format.qualifiedName().validate("example.com/")')).toEqual(['name part must be non-empty', `name part ${QNAME_MSG}`])
    expect(errors('format.qualifiedName().validate("Example.com/a")')).toEqual([`prefix part ${SUBDOMAIN_MSG}`])
    expect(errors('format.qualifiedName().validate("a/b/c")')).toEqual([`a qualified name ${QNAME_MSG} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`])
    expect(errors('format.labelValue().validate("")')).toEqual(['<valid>'])
    expect(errors('format.labelValue().validate("my_value")')).toEqual(['<valid>'])
    expect(errors('format.labelValue().validate("-bad")')).toEqual([LABEL_VALUE_MSG])
  })

  it('prefix variants accept a trailing dash (generateName)', () => {
    expect(errors('format.dns1123LabelPrefix().validate("my-name-")')).toEqual(['<valid>'])
    expect(errors('format.dns1123Label().validate("my-name-")')).toEqual([LABEL_MSG])
    expect(errors('format.dns1123SubdomainPrefix().validate("example-")')).toEqual(['<valid>'])
    expect(errors('format.dns1035LabelPrefix().validate("abc-")')).toEqual(['<valid>'])
    expect(errors('format.dns1035LabelPrefix().validate("1abc-")')).toEqual([DNS1035_MSG])
  })

  it('validates the OpenAPI string formats', () => {
    expect(errors('format.uri().validate("http://example.com")')).toEqual(['<valid>'])
    expect(errors('format.uri().validate("example.com")')).toEqual(['parse "example.com": invalid URI for request'])
    expect(errors('format.uuid().validate("123e4567-e89b-12d3-a456-426614174000")')).toEqual(['<valid>'])
    expect(errors('format.uuid().validate("123E4567E89B12D3A456426614174000")')).toEqual(['<valid>'])
    expect(errors('format.uuid().validate("not-a-uuid")')).toEqual(['does not match the UUID format'])
    expect(errors('format.byte().validate("aGVsbG8=")')).toEqual(['<valid>'])
    expect(errors('format.byte().validate("aGVsbG8")')).toEqual(['invalid base64'])
    expect(errors('format.byte().validate("")')).toEqual(['invalid base64'])
    expect(errors('format.byte().validate("aGVs bG8=")')).toEqual(['invalid base64'])
    expect(errors('format.date().validate("2021-01-01")')).toEqual(['<valid>'])
    expect(errors('format.date().validate("2021-02-30")')).toEqual(['invalid date'])
    expect(errors('format.date().validate("2021-1-01")')).toEqual(['invalid date'])
    expect(errors('format.datetime().validate("2021-01-01T00:00:00Z")')).toEqual(['<valid>'])
    expect(errors('format.datetime().validate("2021-01-01T23:59:59.123+02:00")')).toEqual(['<valid>'])
    expect(errors('format.datetime().validate("2021-01-01T24:00:00Z")')).toEqual(['invalid datetime'])
    expect(errors('format.datetime().validate("2021-01-01")')).toEqual(['invalid datetime'])
  })

  it('format.named returns an optional format', () => {
    expect(run('format.named("dns1123Label").hasValue()')).toBe(true)
    expect(run('format.named("dns1123Label").value().validate("a.b").value()')).toEqual(['must not contain dots'])
    expect(run('format.named("unknown").hasValue()')).toBe(false)
    for (const n of ['dns1123Label', 'dns1123Subdomain', 'dns1035Label', 'qualifiedName', 'dns1123LabelPrefix', 'dns1123SubdomainPrefix', 'dns1035LabelPrefix', 'labelValue', 'uri', 'uuid', 'byte', 'date', 'datetime']) {
      expect(run(`format.named("${n}").hasValue()`)).toBe(true)
    }
  })
})

describe('version gating and budget', () => {
  it('accepts each library from the minor of spec B.4', () => {
    expect(compileError('quantity("1")', 28)).toMatch(/not available before Kubernetes 1.29/)
    expect(run('quantity("1").isInteger()', 29)).toBe(true)
    expect(compileError('isIP("1.2.3.4")', 30)).toMatch(/1.31/)
    expect(compileError('ip.isCanonical("1.2.3.4")', 30)).toMatch(/1.31/)
    expect(compileError('cidr("10.0.0.0/8")', 30)).toMatch(/1.31/)
    expect(run('cidr("10.0.0.0/8").containsIP("10.1.2.3")', 31)).toBe(true)
    expect(compileError('format.dns1123Label().validate("a")', 31)).toMatch(/1.32/)
    expect(compileError('format.named("uuid")', 31)).toMatch(/1.32/)
    expect(run('format.dns1123Label().validate("a").hasValue()', 32)).toBe(false)
    expect(compileError('semver("1.0.0")', 33)).toMatch(/1.34/)
    expect(compileError('isSemver("1.0.0")', 33)).toMatch(/1.34/)
    expect(run('semver("1.0.0").major()', 34)).toBe(1n)
    expect(run('url("https://x.io/").getHost()', 20)).toBe('x.io')
    // ext.Strings format is still gated separately from the Format library
    expect(run('"%s".format(["a"])', 30)).toBe('a')
  })

  it('works on values from the activation', () => {
    const object = { spec: { cpu: '500m', memory: '1Gi', ip: '10.0.0.5', url: 'https://example.com:8443/x' } }
    expect(run('quantity(object.spec.cpu).isLessThan(quantity("1"))', undefined, { object })).toBe(true)
    expect(run('quantity(object.spec.memory).compareTo(quantity("1024Mi")) == 0', undefined, { object })).toBe(true)
    expect(run('cidr("10.0.0.0/24").containsIP(object.spec.ip)', undefined, { object })).toBe(true)
    expect(run('url(object.spec.url).getPort() == "8443"', undefined, { object })).toBe(true)
  })

  it('string() keeps its built-in overloads', () => {
    expect(run('string(1) == "1" && string(2.5) == "2.5" && string("x") == "x"')).toBe(true)
  })

  it('the ip and format namespaces do not shadow comprehension variables', () => {
    const object = { ips: ['1.2.3.4', '::1'] }
    expect(run('object.ips.all(ip, isIP(ip))', undefined, { object })).toBe(true)
    expect(run('object.ips.map(ip, ip(ip).family()) == [4, 6]', undefined, { object })).toBe(true)
    expect(run('object.ips.exists(format, format == "::1")', undefined, { object })).toBe(true)
  })

  it('charges the step budget in proportion to input size', () => {
    const s = '1'.repeat(200_000)
    const object = { s }
    for (const e of ['isQuantity(object.s)', 'isIP(object.s)', 'isCIDR(object.s)', 'isURL(object.s)', 'isSemver(object.s)', 'format.dns1123Subdomain().validate(object.s).hasValue()']) {
      expect(evalError(e, { object }, 1000)).toBe('operation cancelled: actual cost limit exceeded')
    }
    expect(run('isQuantity(object.s)', undefined, { object })).toBe(true)
  })
})
