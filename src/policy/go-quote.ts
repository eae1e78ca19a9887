/**
 * Go's strconv.Quote as cel-go's `strings.quote` writes it, in a module of its own: the IP and
 * CIDR library (and the NetworkPolicy rules through it) use it without the CEL engine.
 */
/** What goQuote escapes: quotes, backslashes, control characters and lone surrogates. */
const GO_QUOTE_ESCAPED = /["\\\x00-\x1f\x7f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g
const GO_ESCAPES: Readonly<Record<string, string>> = { '"': '\\"', '\\': '\\\\', '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' }
function goEscape(ch: string): string {
  const cp = ch.charCodeAt(0)
  return GO_ESCAPES[ch] ?? (cp >= 0xd800 ? '\\ufffd' : `\\x${cp.toString(16).padStart(2, '0')}`)
}

/** Go's strconv.Quote, as used by cel-go `strings.quote`. */
export function goQuote(s: string): string {
  // One pass of a regular expression: appending 3 million characters one by one took 0.1 s and
  // as much again in garbage collection.
  return `"${s.replace(GO_QUOTE_ESCAPED, goEscape)}"`
}
