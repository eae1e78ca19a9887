/**
 * Kubernetes CEL Format library (`format.named(n)`, `format.dns1123Label()`, …, `<Format>.validate(s)`):
 * ports of the apimachinery validators (`IsDNS1123Label`, `IsDNS1123Subdomain`, `IsDNS1035Label`,
 * `IsQualifiedName`, `IsValidLabelValue`, the `NameIs*` prefix variants) with their messages, and of
 * the kube-openapi strfmt checks used for `uri`, `uuid`, `byte`, `date`, `datetime`.
 */
import { parseRequestURI } from './cel-k8s-url.js'

/** A named format (CEL type `kubernetes.NamedFormat`). */
export class NamedFormat {
  constructor(readonly name: string, readonly validate: (s: string) => string[]) {}
}

const byteLength = (s: string): number => new TextEncoder().encode(s).length
const maxLenError = (n: number): string => `must be no more than ${n} characters`
const EMPTY_ERROR = 'must be non-empty'

function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`
  let out = `${msg} (e.g. `
  examples.forEach((e, i) => { if (i > 0) out += ' or '; out += `'${e}', ` })
  return `${out}regex used for validation is '${fmt}')`
}

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?'
const DNS1123_LABEL_MSG = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`
const DNS1123_SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?'
const DNS1035_LABEL_MSG = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character"
const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'
const QUALIFIED_NAME_MSG = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`
const LABEL_VALUE_MSG = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"

const anchored = (fmt: string): RegExp => new RegExp(`^${fmt}$`)
const dns1123Label = anchored(DNS1123_LABEL_FMT)
const dns1123Subdomain = anchored(DNS1123_SUBDOMAIN_FMT)
const dns1035Label = anchored(DNS1035_LABEL_FMT)
const qualifiedName = anchored(QUALIFIED_NAME_FMT)
const labelValue = anchored(LABEL_VALUE_FMT)

export function isDNS1123Label(value: string): string[] {
  const errs: string[] = []
  if (byteLength(value) > 63) errs.push(maxLenError(63))
  if (!dns1123Label.test(value)) {
    if (dns1123Subdomain.test(value)) errs.push('must not contain dots')
    else errs.push(regexError(DNS1123_LABEL_MSG, DNS1123_LABEL_FMT, 'my-name', '123-abc'))
  }
  return errs
}

export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = []
  if (byteLength(value) > 253) errs.push(maxLenError(253))
  if (!dns1123Subdomain.test(value)) errs.push(regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, 'example.com'))
  return errs
}

export function isDNS1035Label(value: string): string[] {
  const errs: string[] = []
  if (byteLength(value) > 63) errs.push(maxLenError(63))
  if (!dns1035Label.test(value)) errs.push(regexError(DNS1035_LABEL_MSG, DNS1035_LABEL_FMT, 'my-name', 'abc-123'))
  return errs
}

export function isQualifiedName(value: string): string[] {
  const errs: string[] = []
  const parts = value.split('/')
  let name: string
  if (parts.length === 1) name = parts[0] ?? ''
  else if (parts.length === 2) {
    const prefix = parts[0] ?? ''
    name = parts[1] ?? ''
    if (prefix.length === 0) errs.push(`prefix part ${EMPTY_ERROR}`)
    else errs.push(...isDNS1123Subdomain(prefix).map((m) => `prefix part ${m}`))
  } else {
    return [`a qualified name ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`]
  }
  if (name.length === 0) errs.push(`name part ${EMPTY_ERROR}`)
  else if (byteLength(name) > 63) errs.push(`name part ${maxLenError(63)}`)
  if (!qualifiedName.test(name)) errs.push(`name part ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')}`)
  return errs
}

export function isValidLabelValue(value: string): string[] {
  const errs: string[] = []
  if (byteLength(value) > 63) errs.push(maxLenError(63))
  if (!labelValue.test(value)) errs.push(regexError(LABEL_VALUE_MSG, LABEL_VALUE_FMT, 'MyValue', 'my_value', '12345'))
  return errs
}

/** apimachinery maskTrailingDash, used by the `*Prefix` (generateName) variants. */
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name
}

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i

/** govalidator.IsBase64 (the kube-openapi strfmt `byte` checker): padded standard alphabet, non-empty. */
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/

function daysIn(month: number, year: number): number {
  if (month === 2) return (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) ? 29 : 28
  return [4, 6, 9, 11].includes(month) ? 30 : 31
}

/** time.Parse("2006-01-02", s). */
function isDate(s: string): boolean {
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(s)
  if (!m) return false
  const year = Number(m[1]), month = Number(m[2]), day = Number(m[3])
  return month >= 1 && month <= 12 && day >= 1 && day <= daysIn(month, year)
}

const DATE_TIME_RE = /^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$/

/** strfmt IsDateTime. */
function isDateTime(str: string): boolean {
  if (str.length < 4) return false
  const s = str.toLowerCase().split('t')
  if (s.length < 2 || !isDate(s[0] ?? '')) return false
  const m = DATE_TIME_RE.exec(s[1] ?? '')
  if (!m) return false
  return (m[1] ?? '') <= '23' && (m[2] ?? '') <= '59' && (m[3] ?? '') <= '59'
}

const one = (ok: boolean, msg: string): string[] => (ok ? [] : [msg])

/** ConstantFormats of apiserver `pkg/cel/library/format.go`, by CEL function name. */
export const NAMED_FORMATS: ReadonlyMap<string, NamedFormat> = new Map([
  ['dns1123Label', new NamedFormat('DNS1123Label', (s) => isDNS1123Label(s))],
  ['dns1123Subdomain', new NamedFormat('DNS1123Subdomain', (s) => isDNS1123Subdomain(s))],
  ['dns1035Label', new NamedFormat('DNS1035Label', (s) => isDNS1035Label(s))],
  ['qualifiedName', new NamedFormat('QualifiedName', isQualifiedName)],
  ['dns1123LabelPrefix', new NamedFormat('DNS1123LabelPrefix', (s) => isDNS1123Label(maskTrailingDash(s)))],
  ['dns1123SubdomainPrefix', new NamedFormat('DNS1123SubdomainPrefix', (s) => isDNS1123Subdomain(maskTrailingDash(s)))],
  ['dns1035LabelPrefix', new NamedFormat('DNS1035LabelPrefix', (s) => isDNS1035Label(maskTrailingDash(s)))],
  ['labelValue', new NamedFormat('LabelValue', isValidLabelValue)],
  ['uri', new NamedFormat('URI', (s) => { const r = parseRequestURI(s); return typeof r === 'string' ? [r] : [] })],
  ['uuid', new NamedFormat('uuid', (s) => one(UUID_RE.test(s), 'does not match the UUID format'))],
  ['byte', new NamedFormat('byte', (s) => one(BASE64_RE.test(s), 'invalid base64'))],
  ['date', new NamedFormat('date', (s) => one(isDate(s), 'invalid date'))],
  ['datetime', new NamedFormat('datetime', (s) => one(isDateTime(s), 'invalid datetime'))],
])
