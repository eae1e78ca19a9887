/**
 * The parser limits of cel-go, as the API server applies them: its CEL environments set no parser
 * option, so cel-go's defaults hold. An expression has at most 100,000 code points, and nesting is
 * bounded at 250 in two places, each with its own error:
 * - while parsing, an `expr` inside 250 others (brackets: parentheses, list elements, map entries,
 *   call arguments, indexes; and the `else` branch of a conditional, which nests the next one) is
 *   `expression recursion limit exceeded: 250`;
 * - while building the syntax tree, 251 selections, member calls, indexes, conditionals,
 *   relations and arithmetic operators inside one another (`1 + 1 + …` 251 times, `a.b.c…`) are
 *   `max recursion depth exceeded`. `&&` and `||` are not counted: cel-go parses a chain of them as
 *   a loop and builds a balanced tree, so a chain of any length is accepted, and a run of `!` or
 *   `-` is one token list: an even run cancels out, an odd one is a single operator.
 * Both errors have no location (`<input>:-1:0`). cel-js (`@marcbachmann/cel-js`) counts depth its
 * own way and recurses once per `!` and per operand of a chain; these functions bring its input and
 * its syntax tree to cel-go's shape and limits before it type-checks, so no expression the API
 * server accepts is refused and none can exhaust the JavaScript stack.
 */

/** cel-go's `expressionSizeCodePointLimit` default. */
export const EXPRESSION_SIZE_LIMIT = 100_000

/** cel-go's `maxRecursionDepth` default. */
export const MAX_RECURSION_DEPTH = 250

/** cel-go's words for an expression nested deeper than `MAX_RECURSION_DEPTH` while parsing. */
export const PARSE_DEPTH_ERROR = `expression recursion limit exceeded: ${MAX_RECURSION_DEPTH}`

/** cel-go's words for a syntax tree deeper than `MAX_RECURSION_DEPTH` (its parser's visitor). */
export const TREE_DEPTH_ERROR = 'max recursion depth exceeded'

/** The number of Unicode code points of `s` (a surrogate pair is one). */
export function codePointLength(s: string): number {
  let n = s.length
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--
        i++
      }
    }
  }
  return n
}

/** cel-go's error for an expression over `EXPRESSION_SIZE_LIMIT` code points, checked before parsing. */
export function sizeError(expression: string): string | undefined {
  // A string of at most the limit in UTF-16 units has at most as many code points.
  if (expression.length <= EXPRESSION_SIZE_LIMIT) return undefined
  const size = codePointLength(expression)
  return size > EXPRESSION_SIZE_LIMIT ? `expression code point size exceeds limit: size: ${size}, limit ${EXPRESSION_SIZE_LIMIT}` : undefined
}

/**
 * The expression with the contents of its string and bytes literals and its comments blanked out
 * (same length, so positions hold): quoted text is no code.
 */
export function maskLiterals(expression: string): string {
  const out: string[] = []
  const special = /\/\/|["']/g
  let i = 0
  while (i < expression.length) {
    special.lastIndex = i
    const next = special.exec(expression)
    if (next === null) {
      out.push(expression.slice(i))
      break
    }
    out.push(expression.slice(i, next.index))
    i = next.index
    const c = expression[i] ?? ''
    if (c === '/') {
      const end = expression.indexOf('\n', i)
      const stop = end < 0 ? expression.length : end
      out.push(' '.repeat(stop - i))
      i = stop
      continue
    }
    // A raw literal (`r'...'`, `br'...'`) takes backslashes as they are.
    const raw = /[^A-Za-z0-9_](?:[bB]?[rR]|[rR][bB])$/.test((i >= 3 ? '' : ' ') + expression.slice(Math.max(0, i - 3), i))
    const quote = expression.startsWith(c.repeat(3), i) ? c.repeat(3) : c
    let j = i + quote.length
    while (j < expression.length && !expression.startsWith(quote, j)) j += !raw && expression[j] === '\\' ? 2 : 1
    const body = Math.min(j, expression.length) - i - quote.length
    const closed = j < expression.length
    out.push(quote + ' '.repeat(body) + (closed ? quote : ''))
    i += quote.length + body + (closed ? quote.length : 0)
  }
  return out.join('')
}

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f'
}

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_]/.test(c)
}

/**
 * The deepest `expr` of cel-go's grammar in `masked` (an expression through `maskLiterals`): the
 * whole expression is at depth 1, the contents of each bracket one deeper, and the `else` branch of
 * each conditional one deeper than the conditional (up to the next `,` or closing bracket). An
 * empty bracket holds no `expr`. Stops counting past `MAX_RECURSION_DEPTH`.
 */
export function nestingDepth(masked: string): number {
  interface Frame { pending: number; branches: number }
  const frames: Frame[] = [{ pending: 0, branches: 0 }]
  let depth = 1
  let deepest = 0
  let previous = ''
  for (let i = 0; i < masked.length; i++) {
    const c = masked[i] ?? ''
    if (isSpace(c)) continue
    const frame = frames[frames.length - 1] as Frame
    if (c === ')' || c === ']' || c === '}') {
      if (frames.length > 1) {
        frames.pop()
        depth -= 1 + frame.branches
      }
    } else {
      if (depth > deepest) {
        deepest = depth
        if (deepest > MAX_RECURSION_DEPTH) return deepest
      }
      if (c === '(' || c === '[' || c === '{') {
        frames.push({ pending: 0, branches: 0 })
        depth++
      } else if (c === '?' && previous !== '.' && previous !== '[' && previous !== '{' && previous !== ',') {
        // A conditional; `.?`, `[?`, `{?` and `,?` are optional syntax.
        frame.pending++
      } else if (c === ':' && frame.pending > 0) {
        frame.pending--
        frame.branches++
        depth++
      } else if (c === ',') {
        depth -= frame.branches
        frame.branches = 0
        frame.pending = 0
      }
    }
    previous = c
  }
  return deepest
}

/**
 * The expression as cel-go reads its runs of unary operators: a run of `!` (or of unary `-`)
 * cancels out in pairs, so an even run is dropped and an odd one kept as one operator (cel-go's
 * `!!x` is `x`, even where `!x` would not type-check). Removed operators become spaces, so
 * positions hold. A run mixing `!` and `-` is a syntax error in cel-go; it is left to the parser,
 * and refused when longer than `MAX_RECURSION_DEPTH` (each operator is a level of cel-js's parser).
 */
export function collapseUnaryRuns(expression: string, masked: string): { source: string } | { error: string } {
  const removed: number[] = []
  let previous = -1
  let i = 0
  while (i < masked.length) {
    const c = masked[i]
    if (c !== '!' && c !== '-') {
      if (!isSpace(c)) previous = i
      i++
      continue
    }
    const run: number[] = []
    let j = i
    for (; j < masked.length; j++) {
      const d = masked[j]
      if (d === '!' || d === '-') run.push(j)
      else if (!isSpace(d)) break
    }
    // The `!` of a `!=`.
    if (masked[run[run.length - 1] ?? -1] === '!' && masked[(run[run.length - 1] ?? -1) + 1] === '=') run.pop()
    let unary = run
    // A `-` right after an operand subtracts; the operators after it are unary.
    if (masked[run[0] ?? -1] === '-' && previous >= 0 && endsOperand(masked, previous)) unary = run.slice(1)
    // `!-1`: the `-` is the sign of the literal (cel-go's grammar reads `-1` as one literal).
    if (masked[unary[unary.length - 1] ?? -1] === '-' && masked[unary[unary.length - 2] ?? -1] === '!' && /[0-9.]/.test(masked[j] ?? '')) {
      unary = unary.slice(0, -1)
    }
    const kinds = new Set(unary.map((k) => masked[k]))
    if (kinds.size === 2 && unary.length > MAX_RECURSION_DEPTH) return { error: PARSE_DEPTH_ERROR }
    if (kinds.size === 1 && unary.length > 1) {
      // Keep the first operator of an odd run: cel-go reports the operator at the first one.
      for (const k of unary.slice(unary.length % 2)) removed.push(k)
    }
    previous = run.length > 0 ? (run[run.length - 1] as number) : previous
    i = j
  }
  if (removed.length === 0) return { source: expression }
  const parts: string[] = []
  let from = 0
  for (const k of removed) {
    parts.push(expression.slice(from, k), ' ')
    from = k + 1
  }
  parts.push(expression.slice(from))
  return { source: parts.join('') }
}

/** True when the character at `at` ends an operand (an identifier, a literal, a closing bracket), so a `-` after it subtracts. */
function endsOperand(masked: string, at: number): boolean {
  const c = masked[at]
  if (c === ')' || c === ']' || c === '}' || c === '"' || c === "'") return true
  if (!isWordChar(c)) return false
  // `in` is an operator: `x in -1`.
  return !(c === 'n' && masked[at - 1] === 'i' && !isWordChar(masked[at - 2]))
}

/** The view of cel-js syntax-tree nodes these functions rely on. */
interface TreeNode {
  op: string
  args: unknown
  pos: number
  start?: number
  end?: number
}

function isTreeNode(v: unknown): v is TreeNode {
  return typeof v === 'object' && v !== null && typeof (v as { op?: unknown }).op === 'string' && typeof (v as { pos?: unknown }).pos === 'number'
}

/** The nodes directly below `node` (its operands, elements, entries, arguments, receiver). */
function children(node: TreeNode): TreeNode[] {
  const out: TreeNode[] = []
  const add = (v: unknown, nested: boolean): void => {
    if (isTreeNode(v)) out.push(v)
    else if (nested && Array.isArray(v)) for (const w of v) add(w, false)
  }
  const a = node.args
  if (isTreeNode(a)) out.push(a)
  else if (Array.isArray(a)) for (const v of a) add(v, true)
  return out
}

/** The syntax-tree nodes cel-go's parser counts towards its depth limit, by cel-js operator. */
const COUNTED = new Set(['?:', '==', '!=', '<', '<=', '>', '>=', 'in', '+', '-', '*', '/', '%', '.', '.?', 'rcall', '[]', '[?]'])

/**
 * The depth of `root` as cel-go's parser counts it while building the tree (selections, member
 * calls, indexes, conditionals, relations and arithmetic inside one another), without recursion.
 * Stops counting past `MAX_RECURSION_DEPTH`.
 */
export function treeDepth(root: TreeNode): number {
  const stack: [TreeNode, number][] = [[root, 0]]
  let deepest = 0
  while (stack.length > 0) {
    const [node, above] = stack.pop() as [TreeNode, number]
    const depth = above + (COUNTED.has(node.op) ? 1 : 0)
    if (depth > deepest) {
      deepest = depth
      if (deepest > MAX_RECURSION_DEPTH) return deepest
    }
    for (const child of children(node)) stack.push([child, depth])
  }
  return deepest
}

/**
 * Rebuilds each chain of `&&` (or `||`) as cel-go's parser does: a balanced tree over its operands
 * in their order, each operator node joining the operands on either side of it, so a chain of any
 * length is log(n) deep. cel-js builds the chain leaning left, one level per operand. The nodes are
 * reused; `root` stays the root of the whole tree. Without recursion but over a chain's log depth.
 */
export function balanceLogicalChains(root: TreeNode): void {
  const done = new Set<TreeNode>()
  const stack: TreeNode[] = [root]
  while (stack.length > 0) {
    const node = stack.pop() as TreeNode
    if ((node.op === '&&' || node.op === '||') && !done.has(node)) {
      // The left spine: top operator first.
      const spine: TreeNode[] = []
      let left: unknown = node
      while (isTreeNode(left) && left.op === node.op && !done.has(left) && Array.isArray(left.args) && left.args.length === 2) {
        spine.push(left)
        left = left.args[0]
      }
      const ops = spine.reverse()
      const terms = [left as TreeNode, ...ops.map((o) => (o.args as TreeNode[])[1] as TreeNode)]
      for (const o of ops) done.add(o)
      if (ops.length > 1) {
        // `node` must stay where its parent holds it: it takes the place of the root operator.
        const last = ops.length - 1
        const rootIndex = Math.floor((last + 1) / 2)
        ops[last] = ops[rootIndex] as TreeNode
        ops[rootIndex] = node
        build(ops, terms, 0, last)
      }
      for (const term of terms) stack.push(term)
      continue
    }
    for (const child of children(node)) stack.push(child)
  }
}

/**
 * cel-go's balanced tree over operators `lo`..`hi` (operator k joins terms k and k + 1). Each
 * operator spans its operands and sits at its left one, as cel-js places a binary operator.
 */
function build(ops: TreeNode[], terms: TreeNode[], lo: number, hi: number): TreeNode {
  const mid = Math.floor((lo + hi + 1) / 2)
  const left = mid === lo ? (terms[mid] as TreeNode) : build(ops, terms, lo, mid - 1)
  const right = mid === hi ? (terms[mid + 1] as TreeNode) : build(ops, terms, mid + 1, hi)
  const op = ops[mid] as TreeNode
  op.args = [left, right]
  op.pos = left.start ?? left.pos
  op.start = left.start ?? left.pos
  if (right.end !== undefined) op.end = right.end
  return op
}
