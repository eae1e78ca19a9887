/**
 * Escaping for XML 1.0 output (the JUnit writer). Text taken from input files (object names,
 * messages quoting field values) may hold anything, so every string goes through here.
 *
 * Characters XML 1.0 does not allow at all, not even as character references, cannot be escaped;
 * they are replaced, visibly, so the reader still sees that something was there:
 * - C0 control characters other than tab, line feed and carriage return (U+0000–U+0008,
 *   U+000B, U+000C, U+000E–U+001F) become `\xNN`, as the text writer shows them;
 * - DEL and the C1 controls (U+007F–U+009F), allowed but "discouraged" by XML 1.0 §2.2 and
 *   able to drive a terminal that prints the report, become `\xNN` as well;
 * - lone surrogates, U+FFFE and U+FFFF (not characters) become U+FFFD, the replacement character.
 * Everything else, non-ASCII included, is written as is (the output is UTF-8).
 */

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;
const NOT_CHARACTER = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|[\ufffe\uffff]/g;

/** Any character of the two patterns above (a surrogate pair too, which the second then keeps). */
// eslint-disable-next-line no-control-regex
const SUSPECT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ud800-\udfff\ufffe\uffff]/;

/** Replaces the characters XML 1.0 cannot carry (see the module comment); no escaping. */
export function xmlSafe(text: string): string {
  if (!SUSPECT.test(text)) return text;
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`).replace(NOT_CHARACTER, '\ufffd');
}

const TEXT_ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  // A parser turns a literal CR (and CR LF) into LF; a reference keeps it.
  '\r': '&#13;',
  // Text from the input stays on its line of the file: none can start with it, which a CI log
  // that prints the file would read as a command (`::error::` in GitHub Actions).
  '\n': '&#10;',
};
const ATTRIBUTE_ENTITIES: Readonly<Record<string, string>> = {
  ...TEXT_ENTITIES,
  // Attribute-value normalisation (XML 1.0 §3.3.3) turns literal tabs and newlines into spaces.
  '\t': '&#9;',
};

/**
 * Character data for element content: `&`, `<`, `>` (so `]]>` cannot occur), quotes, CR and LF
 * escaped. A text of several lines is written by escaping each and joining them with line breaks.
 */
export function xmlText(text: string): string {
  const safe = xmlSafe(text);
  // Most texts (names, paths, messages) hold none of these: returned as they are.
  return TEXT_SPECIAL.test(safe) ? safe.replace(TEXT_SPECIALS, (c) => TEXT_ENTITIES[c] ?? c) : safe;
}

const TEXT_SPECIAL = /[&<>"'\r\n]/;
const TEXT_SPECIALS = /[&<>"'\r\n]/g;

/** An attribute value, to be written between double quotes; tabs and newlines survive parsing. */
export function xmlAttr(text: string): string {
  return xmlSafe(text).replace(/[&<>"'\r\n\t]/g, (c) => ATTRIBUTE_ENTITIES[c] ?? c);
}
