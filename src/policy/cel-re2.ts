/**
 * RE2 regular expressions on top of JS `RegExp`: Kubernetes CEL (`matches`, `find`, `findAll`)
 * uses RE2, which has no lookaround and no backreferences. Patterns are translated
 * (`(?P<name>`, leading `(?flags)`, `\A`, `\z`) or rejected with an error, never silently
 * given JS semantics that RE2 would not accept.
 */

const cache = new Map<string, RegExp | string>()

/** Compiles an RE2 pattern; returns an error message when RE2 would reject it or it is unsupported. */
export function compileRe2(pattern: string): RegExp | string {
  const hit = cache.get(pattern)
  if (hit !== undefined) return hit
  const result = translate(pattern)
  if (cache.size > 1000) cache.clear()
  cache.set(pattern, result)
  return result
}

function translate(pattern: string): RegExp | string {
  let flags = ''
  let src = pattern
  // RE2 allows flag groups such as (?i) or (?is); JS only has whole-pattern flags, so accept them
  // only at the very start.
  const lead = /^\(\?([imsU]+)\)/.exec(src)
  if (lead) {
    const f = lead[1] ?? ''
    if (f.includes('U')) return `error parsing regexp: unsupported flag U in ${quote(pattern)}`
    flags += [...new Set(f)].join('')
    src = src.slice(lead[0].length)
  }
  let out = ''
  let inClass = false
  for (let i = 0; i < src.length; i++) {
    const c = src[i] ?? ''
    if (c === '\\') {
      const n = src[i + 1]
      if (n === undefined) return `error parsing regexp: trailing backslash at end of expression: \`\``
      if (!inClass && /[1-9]/.test(n)) return `error parsing regexp: invalid escape sequence: \`\\${n}\` (backreferences are not supported by RE2)`
      if (n === 'k') return `error parsing regexp: invalid escape sequence: \`\\k\``
      if (n === 'A' && !inClass) { out += '(?<![\\s\\S])'; i++; continue }
      if (n === 'z' && !inClass) { out += '(?![\\s\\S])'; i++; continue }
      if (n === 'Q' || n === 'C' || n === 'Z') return `error parsing regexp: invalid escape sequence: \`\\${n}\``
      if ((n === 'p' || n === 'P') && src[i + 2] !== '{') {
        const cls = src[i + 2]
        if (cls === undefined) return `error parsing regexp: invalid character class range: \`\\${n}\``
        out += `\\${n}{${cls}}`
        i += 2
        continue
      }
      if (n === 's') { out += inClass ? '\\t\\n\\f\\r ' : '[\\t\\n\\f\\r ]'; i++; continue }
      if (n === 'S' && !inClass) { out += '[^\\t\\n\\f\\r ]'; i++; continue }
      if (!/[0-9A-Za-z]/.test(n) && !SYNTAX.has(n)) {
        // RE2 accepts any escaped punctuation; JS in unicode mode only accepts syntax characters.
        out += inClass && n === '-' ? '\\-' : `\\u{${(n.codePointAt(0) ?? 0).toString(16)}}`
        i++
        continue
      }
      out += c + n
      i++
      continue
    }
    if (inClass) {
      if (c === ']') inClass = false
      // [[:alpha:]] style classes
      if (c === '[' && src[i + 1] === ':') {
        const end = src.indexOf(':]', i + 2)
        const name = end > 0 ? src.slice(i + 2, end) : ''
        const posix = POSIX[name]
        if (posix === undefined) return `error parsing regexp: invalid character class range: \`${src.slice(i, end + 2)}\``
        out += posix
        i = end + 1
        continue
      }
      out += c
      continue
    }
    if (c === '[') {
      inClass = true
      out += c
      if (src[i + 1] === '^') { out += '^'; i++ }
      if (src[i + 1] === ']') { out += '\\]'; i++ }
      continue
    }
    if (c === '(' && src[i + 1] === '?') {
      const rest = src.slice(i + 2)
      if (rest.startsWith('P<')) { out += '(?<'; i += 3; continue }
      if (rest.startsWith('<') && !rest.startsWith('<=') && !rest.startsWith('<!')) { out += '(?<'; i += 2; continue }
      if (rest.startsWith(':')) { out += '(?:'; i += 2; continue }
      return `error parsing regexp: invalid or unsupported Perl syntax: \`(?${rest.slice(0, 1)}\``
    }
    if ((c === '*' || c === '+' || c === '?' || c === '}') && src[i + 1] === '+') {
      return `error parsing regexp: invalid nested repetition operator: \`${c}+\``
    }
    out += c
  }
  try {
    return new RegExp(out, `${flags}u`)
  } catch (e) {
    return `error parsing regexp: ${e instanceof Error ? e.message : String(e)}`
  }
}

const SYNTAX = new Set('^$\\.*+?()[]{}|/'.split(''))

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7F', blank: '\\t ', cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9', graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~', space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z', word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
}

function quote(s: string): string {
  return JSON.stringify(s)
}

/** RE2 match anywhere in the string (CEL `matches`). */
export function re2Test(re: RegExp, s: string): boolean {
  re.lastIndex = 0
  return re.test(s)
}

/** First match or '' (Kubernetes `find`). */
export function re2Find(re: RegExp, s: string): string {
  const m = new RegExp(re.source, re.flags).exec(s)
  return m ? m[0] : ''
}

/** All non-overlapping matches, at most `limit` when limit >= 0 (Kubernetes `findAll`). */
export function re2FindAll(re: RegExp, s: string, limit: number): string[] {
  if (limit === 0) return []
  const g = new RegExp(re.source, `${re.flags}g`)
  const out: string[] = []
  let prevEnd = -1
  for (let m = g.exec(s); m !== null; m = g.exec(s)) {
    // Go's FindAllString skips an empty match immediately after the previous match.
    if (m[0] === '' ) {
      if (m.index === prevEnd) { g.lastIndex = m.index + 1; continue }
      g.lastIndex = m.index + 1
    }
    out.push(m[0])
    prevEnd = m.index + m[0].length
    if (limit > 0 && out.length >= limit) break
  }
  return out
}
