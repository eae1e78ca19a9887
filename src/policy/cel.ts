/**
 * Kubernetes CEL environment (ValidatingAdmissionPolicy flavour) on top of @marcbachmann/cel-js.
 * `compile` never throws; `evaluate` enforces a step budget so runaway expressions are errors.
 * See docs/cel.md for the library choice, what is supported and what is not.
 */
import { DeadlineExceeded } from '../errors.js'
import { Environment, Optional } from '@marcbachmann/cel-js'
import { AUTHORIZER_TYPE, registerAuthorizerLibrary } from './cel-authz.js'
import { finishNode, prepareNode, registerExtensionLibraries, validateNode } from './cel-ext.js'
import { registerKubernetesValueLibraries } from './cel-k8s.js'
import { registerKubernetesLibraries } from './cel-lib.js'
import { balanceLogicalChains, collapseUnaryRuns, maskLiterals, MAX_RECURSION_DEPTH, nestingDepth, PARSE_DEPTH_ERROR, sizeError, TREE_DEPTH_ERROR, treeDepth } from './cel-limits.js'
import { compileRe2, patternFor } from './cel-re2.js'

/** Default per-expression step budget, the analogue of the apiserver's PerCallLimit. */
export const DEFAULT_MAX_STEPS = 1_000_000

/** A compiled expression; evaluate it with `evaluate`. */
export interface CelProgram {
  readonly expression: string
  /** @internal */
  readonly run: (activation: Record<string, unknown>) => unknown
}

export type CompileResult =
  | { ok: true; program: CelProgram; /** The type the checker infers, e.g. `bool`, `string`, `dyn`. */ type: string }
  | { ok: false; error: string; position?: { line: number; column: number } }

/** `cost`: the steps the evaluation used (approximate CEL cost units), also when it failed. */
export type EvaluateResult = { ok: true; value: unknown; cost: number } | { ok: false; error: string; cost: number }

// Minimal view of cel-js AST internals that this layer relies on (pinned package version).
type EvalFn = (this: AstNode, ev: Evaluator, ast: AstNode, ctx: unknown) => unknown
interface Evaluator { run(node: AstNode, ctx: unknown): unknown }
interface Checker {
  check(node: AstNode, ctx: unknown): unknown
  getType(name: string): unknown
  createError(code: string, message: string, node: AstNode): Error
}
interface Macro {
  args?: AstNode[]
  typeCheck?: (checker: Checker, macro: Macro, ctx: unknown) => unknown
  evaluate?: (ev: Evaluator, macro: Macro, ctx: unknown) => unknown
  [k: string]: unknown
}
interface AstNode {
  op: string
  args: unknown
  pos: number
  input: string
  meta: { macro?: Macro; alternate?: AstNode }
  evaluate: EvalFn
}

/** Functions of unreleased Kubernetes CEL libraries: compile refuses them rather than guess their meaning. */
const NOT_SUPPORTED = new Set([
  // Lists v1 (Kubernetes 1.37, unreleased).
  'includes',
])

/** Functions of the MutatingAdmissionPolicy environment only (JSONPatch library). */
const MUTATING_ONLY = new Set(['escapeKey'])

/** cel-js built-ins that are not part of the Kubernetes environment. */
const NOT_IN_KUBERNETES = new Set(['bind', 'hex', 'base64', 'json', 'at'])

/** Kubernetes minor from which a feature is accepted in new expressions (spec B.4). */
const SINCE: Record<string, number> = {
  replace: 30, format: 30, quote: 30, optional: 29,
  // Quantity (1.29); isLessThan/isGreaterThan/compareTo are shared with Semver, whose constructors are gated at 1.34.
  quantity: 29, isQuantity: 29, isInteger: 29, asInteger: 29, asApproximateFloat: 29, sign: 29, add: 29, sub: 29,
  isLessThan: 29, isGreaterThan: 29, compareTo: 29,
  // IP and CIDR (1.31).
  ip: 31, isIP: 31, isCanonical: 31, family: 31, isUnspecified: 31, isLoopback: 31, isLinkLocalMulticast: 31,
  isLinkLocalUnicast: 31, isGlobalUnicast: 31, cidr: 31, isCIDR: 31, containsIP: 31, containsCIDR: 31, masked: 31, prefixLength: 31,
  // Format (1.32).
  validate: 32,
  // Semver (1.34).
  semver: 34, isSemver: 34, major: 34, minor: 34, patch: 34,
  // AuthzSelectors (1.32).
  fieldSelector: 32, labelSelector: 32,
  // Optional types (1.29): functions and macros beyond `of`/`none`.
  ofNonZeroValue: 29, optMap: 29, optFlatMap: 29,
  // ext.TwoVarComprehensions (introduced 1.32); the two-variable `all`/`exists`/`exists_one` are gated in checkCalls.
  transformList: 33, transformMap: 33, transformMapEntry: 33,
  // existsOne(x, p): cel-go v0.22 standard macro (Kubernetes 1.32); existsOne(i, v, p) is gated in checkCalls.
  existsOne: 32,
  // ext.Lists v3 (introduced 1.34); `lists.range` through NAMESPACE_SINCE.
  slice: 35, flatten: 35, distinct: 35, reverse: 35, sort: 35, sortBy: 35,
}
/** Kubernetes minor from which the two-variable comprehension forms (3 arguments) are accepted. */
const TWO_VAR_SINCE = 33
const TWO_VAR_FORMS = new Set(['all', 'exists', 'exists_one', 'existsOne'])
/** Namespaced libraries (`sets.contains(...)`) and the minor they are accepted from. */
const NAMESPACE_SINCE: Record<string, number> = { sets: 30, strings: 30, ip: 31, format: 32, lists: 35 }

interface Budget { steps: number; max: number; exhausted: boolean }
let budget: Budget = { steps: 0, max: Infinity, exhausted: false }

class BudgetExceeded extends Error {}

/** Steps between two looks at the clock: about 0.1 ms of evaluation, at most ~0.3 ms of regex matching. */
const CLOCK_EVERY = 512
/** The `performance.now()` past which evaluation stops (`withDeadline`); Infinity outside it. */
let deadline = Infinity
let sinceClock = 0
let expired = false

function tick(n = 1): void {
  budget.steps += n
  if (budget.steps > budget.max) {
    budget.exhausted = true
    throw new BudgetExceeded('operation cancelled: actual cost limit exceeded')
  }
  if (deadline !== Infinity && (expired || (sinceClock += n) >= CLOCK_EVERY)) {
    sinceClock = 0
    if (expired || performance.now() > deadline) {
      expired = true
      throw new DeadlineExceeded()
    }
  }
}

/**
 * Runs `run` (synchronous) with CEL evaluation stopped at `at` (a `performance.now()` time):
 * past it, the running `evaluate` throws DeadlineExceeded, and so does every later one inside
 * `run`. An outer deadline that comes sooner stays in force.
 */
export function withDeadline<T>(at: number, run: () => T): T {
  const outer = { deadline, sinceClock, expired }
  deadline = Math.min(at, deadline)
  sinceClock = 0
  expired = expired || performance.now() > deadline
  try {
    return run()
  } finally {
    ;({ deadline, sinceClock, expired } = outer)
  }
}

// cel-go, hence the API server, bounds an expression by its size and nesting only (cel-limits.ts,
// checked before and after parsing); cel-js's own limits (1,000 list elements or map entries, 32
// call arguments, 100,000 nodes, a depth counted its own way) are lifted. Evaluation stays bounded by
// the cost budget.
const UNLIMITED = Number.POSITIVE_INFINITY
const base = new Environment({
  unlistedVariablesAreDyn: false, enableOptionalTypes: true, homogeneousAggregateLiterals: true,
  limits: { maxAstNodes: UNLIMITED, maxDepth: UNLIMITED, maxListElements: UNLIMITED, maxMapEntries: UNLIMITED, maxCallArguments: UNLIMITED },
})
registerKubernetesLibraries(base, (n) => tick(Math.ceil(n)))
registerKubernetesValueLibraries(base, (n) => tick(Math.ceil(n)))
registerAuthorizerLibrary(base, (n) => tick(Math.ceil(n)))
// Errors raised after the budget is exhausted or the deadline has passed are never absorbed by a comprehension.
registerExtensionLibraries(base, { charge: (n) => tick(Math.ceil(n)), isFatal: () => budget.exhausted || expired })
const envs = new Map<string, Environment>()

function envFor(variables: readonly string[]): Environment {
  const key = [...variables].sort().join(',')
  let env = envs.get(key)
  if (!env) {
    env = base.clone()
    // `authorizer` is typed, as in the API server: a misspelt method or a Decision used as a bool is a compile error.
    for (const v of variables) env.registerVariable(v, v === 'authorizer' ? AUTHORIZER_TYPE : 'dyn')
    envs.set(key, env)
  }
  return env
}

function isNode(v: unknown): v is AstNode {
  return typeof v === 'object' && v !== null && typeof (v as { op?: unknown }).op === 'string' && 'meta' in v
}

function walk(node: AstNode, visit: (n: AstNode) => void, seen = new Set<AstNode>()): void {
  if (seen.has(node)) return
  seen.add(node)
  visit(node)
  const visitAny = (v: unknown): void => {
    if (isNode(v)) walk(v, visit, seen)
    else if (Array.isArray(v)) v.forEach(visitAny)
    else if (typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && Object.getPrototypeOf(v) === Object.prototype) Object.values(v).forEach(visitAny)
  }
  visitAny(node.args)
  const { macro, alternate } = node.meta
  if (alternate) walk(alternate, visit, seen)
  if (macro) for (const [k, v] of Object.entries(macro)) if (k !== 'ast') visitAny(v)
}

function callName(n: AstNode): string | undefined {
  if (n.op !== 'call' && n.op !== 'rcall') return undefined
  const a = n.args
  return Array.isArray(a) && typeof a[0] === 'string' ? a[0] : undefined
}

function callArgs(n: AstNode): AstNode[] {
  const a = n.args as unknown[]
  const list = n.op === 'rcall' ? a[2] : a[1]
  return Array.isArray(list) ? list.filter(isNode) : []
}

function position(input: string, pos: number): { line: number; column: number } {
  const before = input.slice(0, Math.max(0, pos))
  const lines = before.split('\n')
  return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 }
}

function errorSummary(e: unknown): string {
  if (typeof e === 'object' && e !== null && typeof (e as { summary?: unknown }).summary === 'string') return (e as { summary: string }).summary
  return e instanceof Error ? e.message : String(e)
}

/** A runtime error in cel-go's words where cel-js words it otherwise (`No such key: x` is `no such key: x`). */
function runtimeError(e: unknown): string {
  const message = errorSummary(e)
  return message.startsWith('No such key: ') && !message.startsWith('No such key: index out of bounds') ? `n${message.slice(1)}` : message
}

function errorPosition(e: unknown, expression: string): { line: number; column: number } | undefined {
  const node = typeof e === 'object' && e !== null ? (e as { node?: { pos?: unknown } }).node : undefined
  return typeof node?.pos === 'number' ? position(expression, node.pos) : undefined
}

class CompileError extends Error {
  constructor(message: string, readonly node: AstNode) { super(message) }
}

/** has() on any select expression, including `has(a[0].b)` (cel-js only accepts identifier chains). */
function fixHas(node: AstNode): void {
  const macro = node.meta.macro
  if (!macro) return
  macro.typeCheck = (checker, m, ctx) => {
    const arg = m.args?.[0]
    if (!arg || (arg.op !== '.' && arg.op !== '.?')) throw checker.createError('invalid_macro_argument', 'invalid argument to has() macro', arg ?? node)
    checker.check((arg.args as [AstNode, string])[0], ctx)
    return checker.getType('bool')
  }
  macro.evaluate = (ev, m, ctx) => {
    const arg = m.args?.[0]
    if (!arg) throw new Error('invalid argument to has() macro')
    const [operand, field] = arg.args as [AstNode, string]
    let obj = ev.run(operand, ctx)
    if (obj instanceof Optional) {
      if (!obj.hasValue()) return false
      obj = obj.value()
    }
    if (obj instanceof Map) return obj.has(field)
    if (typeof obj === 'object' && obj !== null && !Array.isArray(obj) && !(obj instanceof Uint8Array)) {
      return Object.hasOwn(obj, field) && (obj as Record<string, unknown>)[field] !== undefined
    }
    throw new Error(`invalid type for field selection: has() on ${obj === null ? 'null' : Array.isArray(obj) ? 'list' : typeof obj}`)
  }
}

/**
 * Wraps a node's evaluation with a budget tick; `override` replaces the evaluation itself. A node
 * first evaluates through its prototype's method, which picks the real evaluation, stores it
 * (through the setter below) and calls it again: that first pass is not charged, so an evaluation
 * costs the same whether or not the program ran before.
 */
function instrument(node: AstNode, override?: EvalFn): void {
  let inner: EvalFn = override ?? node.evaluate
  const lazy = (Object.getPrototypeOf(node) as { evaluate?: EvalFn }).evaluate
  const wrapper: EvalFn = function (this: AstNode, ev, ast, ctx) {
    if (inner !== lazy) tick()
    return inner.call(this, ev, ast, ctx)
  }
  Object.defineProperty(node, 'evaluate', {
    configurable: true,
    get: () => wrapper,
    set: (f: EvalFn) => { if (!override) inner = f },
  })
}

function checkCalls(node: AstNode, kubeMinor: number): void {
  if ((node.op === '.?' || node.op === '[?]') && kubeMinor < (SINCE['optional'] ?? 0)) {
    throw new CompileError(`optional field selection is not available before Kubernetes 1.${SINCE['optional']}`, node)
  }
  const name = callName(node)
  if (name === undefined) return
  if (NOT_IN_KUBERNETES.has(name)) throw new CompileError(`function ${name} is not part of the Kubernetes CEL environment`, node)
  if (NOT_SUPPORTED.has(name)) throw new CompileError(`function ${name} is not supported yet`, node)
  if (MUTATING_ONLY.has(name)) throw new CompileError(`function ${name} is only available in MutatingAdmissionPolicy expressions`, node)
  if (TWO_VAR_FORMS.has(name) && node.op === 'rcall' && callArgs(node).length === 3 && kubeMinor < TWO_VAR_SINCE) {
    throw new CompileError(`function ${name} with two iteration variables is not available before Kubernetes 1.${TWO_VAR_SINCE}`, node)
  }
  const recv = node.op === 'rcall' ? (node.args as unknown[])[1] : undefined
  const ns = isNode(recv) && recv.op === 'id' && typeof recv.args === 'string' ? recv.args : undefined
  const since = (ns !== undefined ? NAMESPACE_SINCE[ns] : undefined) ?? SINCE[name]
  if (since !== undefined && kubeMinor < since) throw new CompileError(`function ${name} is not available before Kubernetes 1.${since}`, node)
  if ((name === 'matches' || name === 'find' || name === 'findAll')) {
    const pattern = callArgs(node)[0]
    if (pattern?.op === 'value' && typeof pattern.args === 'string') {
      const re = compileRe2(pattern.args)
      if (typeof re === 'string') throw new CompileError(re, pattern)
    }
  }
}

/**
 * Compiles (parses and type-checks) a CEL expression; never throws. An error without a position
 * has none in cel-go either (it prints `<input>:-1:0`): the size and depth limits.
 */
export function compile(expression: string, options: { variables: readonly string[]; kubeMinor?: number }): CompileResult {
  const kubeMinor = options.kubeMinor ?? Infinity
  const tooLarge = sizeError(expression)
  if (tooLarge !== undefined) return { ok: false, error: tooLarge }
  try {
    const masked = maskLiterals(expression)
    if (nestingDepth(masked) > MAX_RECURSION_DEPTH) return { ok: false, error: PARSE_DEPTH_ERROR }
    const collapsed = collapseUnaryRuns(expression, masked)
    if ('error' in collapsed) return { ok: false, error: collapsed.error }
    const env = envFor(options.variables)
    const parsed = env.parse(collapsed.source)
    const root = parsed.ast as unknown as AstNode
    if (treeDepth(root) > MAX_RECURSION_DEPTH) return { ok: false, error: TREE_DEPTH_ERROR }
    balanceLogicalChains(root)
    walk(root, (n) => {
      checkCalls(n, kubeMinor)
      if (callName(n) === 'has' && n.op === 'call') fixHas(n)
      prepareNode(n)
    })
    const checked = parsed.check()
    if (!checked.valid) {
      if (isStackOverflow(checked.error)) return { ok: false, error: PARSE_DEPTH_ERROR }
      const pos = errorPosition(checked.error, expression)
      return { ok: false, error: errorSummary(checked.error), ...(pos ? { position: pos } : {}) }
    }
    walk(root, (n) => {
      validateNode(n)
      finishNode(n)
      const name = callName(n)
      if (name === 'matches' && n.op === 'rcall') {
        const [, recv, args] = n.args as [string, AstNode, AstNode[]]
        const pat = args[0]
        instrument(n, (ev, _ast, ctx) => matchRe2(ev.run(recv, ctx), pat ? ev.run(pat, ctx) : undefined))
      } else if (name === 'matches' && n.op === 'call') {
        const [s, pat] = callArgs(n)
        instrument(n, (ev, _ast, ctx) => matchRe2(s ? ev.run(s, ctx) : undefined, pat ? ev.run(pat, ctx) : undefined))
      } else if (n.op === 'comprehension') {
        // One step per iteration: comprehensions are the only source of unbounded work besides
        // library functions, which charge by input size. Instrumenting every node costs ~4x speed.
        const step = (n.args as { step?: unknown }).step
        if (isNode(step)) instrument(step)
      }
    })
    return { ok: true, program: { expression, run: (activation) => parsed(activation) }, type: String(checked.type ?? 'dyn') }
  } catch (e) {
    if (e instanceof CompileError) return { ok: false, error: e.message, position: position(expression, e.node.pos) }
    // The limits above keep the parser and the checker within the stack; should a shape they do not
    // foresee exhaust it, the expression is refused as too deeply nested, never with a JavaScript error.
    if (isStackOverflow(e)) return { ok: false, error: PARSE_DEPTH_ERROR }
    const pos = errorPosition(e, expression)
    return { ok: false, error: errorSummary(e), ...(pos ? { position: pos } : {}) }
  }
}

function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && /call stack/i.test(e.message)
}

function matchRe2(s: unknown, p: unknown): boolean {
  if (typeof s !== 'string' || typeof p !== 'string') throw new Error('no such overload: matches')
  return patternFor(p, s, tick).test(s)
}

/**
 * Evaluates a compiled program. Integers in the activation must be `bigint` (int64 semantics).
 * Exhausting `budget.maxSteps` (default DEFAULT_MAX_STEPS) is an error. Costs are approximate:
 * one step per comprehension iteration plus size-proportional costs in library functions;
 * `cost` reports the steps used (the VAP evaluator sums them against the per-binding budget).
 */
export function evaluate(program: CelProgram, activation: Record<string, unknown>, options?: { maxSteps: number }): EvaluateResult {
  const previous = budget
  budget = { steps: 0, max: options?.maxSteps ?? DEFAULT_MAX_STEPS, exhausted: false }
  const mine = budget
  try {
    // Past the deadline nothing is evaluated, even an expression that would not tick.
    if (expired) throw new DeadlineExceeded()
    const value = program.run(activation)
    // An operator that absorbs errors (`true || e`) may have absorbed the deadline's.
    if (expired) throw new DeadlineExceeded()
    if (value instanceof Promise) return { ok: false, error: 'asynchronous evaluation is not supported', cost: mine.steps }
    if (mine.exhausted) return { ok: false, error: 'operation cancelled: actual cost limit exceeded', cost: mine.steps }
    return { ok: true, value, cost: mine.steps }
  } catch (e) {
    if (expired) throw new DeadlineExceeded()
    if (mine.exhausted) return { ok: false, error: 'operation cancelled: actual cost limit exceeded', cost: mine.steps }
    return { ok: false, error: runtimeError(e), cost: mine.steps }
  } finally {
    budget = previous
  }
}
