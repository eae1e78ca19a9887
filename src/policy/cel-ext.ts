/**
 * Language features of the Kubernetes CEL environment that cel-js lacks, and corrections where cel-js
 * differs from cel-go (found with the cel-spec conformance suite, test/cel-conformance.test.ts):
 *
 * - ext.TwoVarComprehensions: `all(i, v, p)`, `exists(i, v, p)`, `existsOne(i, v, p)`, `exists_one(i, v, p)`,
 *   `transformList`, `transformMap`, `transformMapEntry` (3 and 4 arguments); the `existsOne(x, p)` macro;
 * - ext.Lists v3: `slice`, `flatten`, `distinct`, `reverse`, `sort`, `sortBy`, `lists.range`;
 * - optional types: `optional.ofNonZeroValue`, `optMap`, `optFlatMap`, optional equality;
 * - type checking as cel-go does it: aggregate literals and conditionals join element types (dyn absorbs,
 *   null joins the nullable types), `null` compares with nullable types;
 * - runtime behaviour as cel-go: int64 overflow of `-` and `/`, range errors of `int(double)`, ASCII-only
 *   `lowerAscii`/`upperAscii`, Go's `trim`, numeric time zone offsets, timestamp and duration ranges,
 *   repeated map literal keys, numeric equality in `in`, ordering of bytes, missing conversions
 *   (`int(uint)`, `int(duration)`, `string(timestamp)`, ...).
 *
 * Relies on cel-js 8.0.0 AST internals (`setMeta`, `meta.check`, `checkedType`, `handle`): the version is
 * pinned and every hook is covered by tests.
 */
import { trimRuns } from '../text.js'
import { Optional, type Environment } from '@marcbachmann/cel-js'
import { celEquals, chargedEquals, codePoints, formatDuration, formatTimestamp, isDurationValue, isPlainMap, isUint, celTypeName as typeName, type Charge } from './cel-lib.js'

const INT64_MAX = 9223372036854775807n
const INT64_MIN = -9223372036854775808n
const MIN_TIMESTAMP_MS = -62135596800000 // 0001-01-01T00:00:00Z
const MAX_TIMESTAMP_MS = 253402300799999 // 9999-12-31T23:59:59.999Z
const MAX_RANGE = 10_000_000

// ---------------------------------------------------------------------------------------------------------
// Minimal view of the cel-js internals used here (pinned version).

interface TypeDecl {
  readonly kind: string
  readonly name: string
  readonly valueType?: TypeDecl
  readonly keyType?: TypeDecl
  unify(registry: Registry, other: TypeDecl): TypeDecl | null
}
interface Registry {
  getType(name: string): TypeDecl
  getListType(t: TypeDecl): TypeDecl
  getMapType(k: TypeDecl, v: TypeDecl): TypeDecl
  getOptionalType(t: TypeDecl): TypeDecl
}
interface OverlayCtx {
  forkWithVariable(name: string, type: TypeDecl): OverlayCtx
  reuse(parent: unknown): OverlayCtx
  setIterValue(value: unknown, ev: Evaluator): OverlayCtx
}
interface Checker {
  readonly registry: Registry
  check(node: Node, ctx: unknown): TypeDecl
  getType(name: string): TypeDecl
  formatType(t: TypeDecl): string
  createError(code: string, message: string, node: Node): Error
}
interface Evaluator {
  run(node: Node, ctx: unknown): unknown
}
type CheckFn = (chk: Checker, ast: Node, ctx: unknown) => TypeDecl
type EvalFn = (ev: Evaluator, ast: Node, ctx: unknown) => unknown
type Handle = (...args: unknown[]) => unknown
interface Node {
  readonly op: string
  readonly args: unknown
  readonly pos: number
  readonly meta: { check: CheckFn; evaluate: EvalFn; alternate?: Node; macro?: unknown }
  setMeta(key: string, value: unknown): Node
  checkedType?: TypeDecl
  handle?: Handle
  left?: Node
  right?: Node
}
interface MacroInput { ast: Node; args: Node[]; receiver: Node | null }

/** An error attached to an AST node, so `compile` reports its position. */
function nodeError(message: string, node: Node): Error {
  return Object.assign(new Error(message), { node })
}

function errorCode(e: unknown): string | undefined {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined
  return typeof code === 'string' ? code : undefined
}

// ---------------------------------------------------------------------------------------------------------
// Values.

type DurationLike = { readonly seconds: bigint; readonly nanos: number }

const isDuration = isDurationValue

function durationNanos(d: DurationLike): bigint {
  return d.seconds * 1_000_000_000n + BigInt(d.nanos)
}

function checkDuration<T>(v: T): T {
  if (isDuration(v)) {
    const n = durationNanos(v)
    if (n > INT64_MAX || n < INT64_MIN) throw new Error('duration out of range')
  }
  return v
}

function checkTimestamp<T>(v: T): T {
  if (v instanceof Date) {
    const t = v.getTime()
    if (!(t >= MIN_TIMESTAMP_MS && t <= MAX_TIMESTAMP_MS)) throw new Error('timestamp out of range')
  }
  return v
}

const RFC3339_FIELDS = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})/

/**
 * The range checks of Go's `time.Parse`, which cel-go's `timestamp()` uses: a day past the end of
 * its month or an hour of 24 is an error, where a JavaScript date rolls over (30 February is 1 March).
 */
function checkTimestampFields(s: string): void {
  const m = RFC3339_FIELDS.exec(s)
  if (!m) return
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number]
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate()
  const field = month < 1 || month > 12 ? 'month' : day < 1 || day > daysInMonth ? 'day' : hour > 23 ? 'hour' : minute > 59 ? 'minute' : second > 59 ? 'second' : undefined
  if (field !== undefined) throw new Error(`parsing time ${JSON.stringify(s)}: ${field} out of range`)
}

function checkInt<T>(v: T): T {
  if (typeof v === 'bigint' && (v > INT64_MAX || v < INT64_MIN)) throw new Error('integer overflow')
  return v
}

function mapEntries(m: Map<unknown, unknown> | Record<string, unknown>): [unknown, unknown][] {
  return m instanceof Map ? [...m.entries()] : Object.entries(m)
}

/** The entries a comprehension ranges over: [index, element] for lists, [key, value] for maps. */
function rangeEntries(coll: unknown, name: string, node: Node): [unknown, unknown][] {
  if (Array.isArray(coll)) return coll.map((v, i) => [BigInt(i), v])
  if (coll instanceof Set) return [...coll].map((v, i) => [BigInt(i), v])
  if (coll instanceof Map) return [...coll.entries()]
  if (isPlainMap(coll)) return Object.entries(coll)
  throw nodeError(`${name}: expression of type '${typeName(coll)}' cannot be range of a comprehension (must be list, map, or dynamic)`, node)
}

/** cel-go `IsZeroValue` (traits.Zeroer) for `optional.ofNonZeroValue`. */
function isZeroValue(v: unknown): boolean {
  if (v === null || v === false || v === '' || v === 0n) return true
  if (typeof v === 'number') return v === 0
  if (isUint(v)) return v.value === 0n
  if (v instanceof Uint8Array) return v.length === 0
  if (Array.isArray(v)) return v.length === 0
  if (v instanceof Set || v instanceof Map) return v.size === 0
  if (v instanceof Date) return v.getTime() === MIN_TIMESTAMP_MS
  if (isDuration(v)) return durationNanos(v) === 0n
  if (isPlainMap(v)) return Object.keys(v).length === 0
  return false
}

const COMPARABLE = new Set(['int', 'uint', 'double', 'bool', 'string', 'bytes', 'google.protobuf.Timestamp', 'google.protobuf.Duration'])

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] ?? 0) < (b[i] ?? 0) ? -1 : 1
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1
}

/** Orders two values of the same comparable type (ext.Lists `sort`); mixed types are an error. */
function compareSame(a: unknown, b: unknown): number {
  const ta = typeName(a), tb = typeName(b)
  if (!COMPARABLE.has(ta)) throw new Error('list elements must be comparable')
  if (ta !== tb) throw new Error('list elements must have the same type')
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) throw new Error('NaN values cannot be ordered')
    return a < b ? -1 : a > b ? 1 : 0
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b)
  if (isUint(a) && isUint(b)) return a.value < b.value ? -1 : a.value > b.value ? 1 : 0
  if (a instanceof Uint8Array && b instanceof Uint8Array) return compareBytes(a, b)
  if (a instanceof Date && b instanceof Date) return Math.sign(a.getTime() - b.getTime())
  if (isDuration(a) && isDuration(b)) {
    const x = durationNanos(a), y = durationNanos(b)
    return x < y ? -1 : x > y ? 1 : 0
  }
  throw new Error('list elements must be comparable')
}

/** Stable sort of `list` by `keys` (ext.Lists `sort` and `sortBy`). */
function sortByKeys(list: readonly unknown[], keys: readonly unknown[], charge: Charge): unknown[] {
  const n = list.length
  charge(n * Math.max(1, Math.ceil(Math.log2(n + 1))))
  if (n === 0) return []
  const idx = list.map((_, i) => i)
  idx.sort((i, j) => compareSame(keys[i], keys[j]) || i - j)
  if (n === 1) compareSame(keys[0], keys[0])
  return idx.map((i) => list[i])
}

function flatten(list: readonly unknown[], depth: bigint, charge: Charge): unknown[] {
  if (depth < 0n) throw new Error('level must be non-negative')
  const out: unknown[] = []
  for (const v of list) {
    charge(1)
    if (depth > 0n && (Array.isArray(v) || v instanceof Set)) out.push(...flatten([...v], depth - 1n, charge))
    else out.push(v)
  }
  return out
}

function asList(v: unknown): unknown[] {
  if (Array.isArray(v)) return v
  if (v instanceof Set) return [...v]
  throw new Error(`no such overload: ${typeName(v)} is not a list`)
}

// ---------------------------------------------------------------------------------------------------------
// Comprehension macros (one or two iteration variables).

type LoopKind = 'all' | 'exists' | 'existsOne' | 'transformList' | 'transformMap' | 'transformMapEntry'

interface LoopMacro {
  readonly name: string
  readonly kind: LoopKind
  readonly receiver: Node
  readonly vars: readonly string[]
  readonly filter: Node | undefined
  readonly body: Node
  /** Check-time contexts, re-parented at evaluation (the pattern of cel-js `cel.bind`). */
  ctxs: OverlayCtx[]
  readonly typeCheck: (chk: Checker, m: LoopMacro, ctx: unknown) => TypeDecl
  readonly evaluate: (ev: Evaluator, m: LoopMacro, ctx: unknown) => unknown
  readonly async: false
}

function identName(node: Node | undefined, macro: string): string {
  if (node?.op === 'id' && typeof node.args === 'string') return node.args
  throw nodeError(`${macro}: argument must be a simple name`, node ?? ({ pos: 0 } as Node))
}

function isParam(t: TypeDecl | undefined): boolean {
  return t === undefined || t.kind === 'param'
}

/** Types of the iteration variables over `t` (list → index, element; map → key, value). */
function rangeTypes(chk: Checker, t: TypeDecl, node: Node, twoVars: boolean): [TypeDecl, TypeDecl] {
  const dyn = chk.getType('dyn')
  const orDyn = (x: TypeDecl | undefined): TypeDecl => (x === undefined || isParam(x) ? dyn : x)
  if (t.kind === 'dyn') return [dyn, dyn]
  if (t.kind === 'list') return twoVars ? [chk.getType('int'), orDyn(t.valueType)] : [orDyn(t.valueType), dyn]
  if (t.kind === 'map') return [orDyn(t.keyType), orDyn(t.valueType)]
  throw chk.createError('invalid_comprehension_range',
    `Expression of type '${chk.formatType(t)}' cannot be range of a comprehension (must be list, map, or dynamic).`, node)
}

function assertBool(chk: Checker, t: TypeDecl, name: string, what: string, node: Node): void {
  if (t.kind === 'dyn' || t.name === 'bool') return
  throw chk.createError('invalid_predicate', `${name}() ${what} must return bool, got '${chk.formatType(t)}'`, node)
}

function loopTypeCheck(chk: Checker, m: LoopMacro, ctx: unknown): TypeDecl {
  const recv = chk.check(m.receiver, ctx)
  const [t1, t2] = rangeTypes(chk, recv, m.receiver, m.vars.length === 2)
  const c1 = (ctx as OverlayCtx).forkWithVariable(m.vars[0] ?? '', t1)
  m.ctxs = m.vars.length === 2 ? [c1, c1.forkWithVariable(m.vars[1] ?? '', t2)] : [c1]
  const inner = m.ctxs[m.ctxs.length - 1]
  if (m.filter) assertBool(chk, chk.check(m.filter, inner), m.name, 'filter', m.filter)
  const bodyType = chk.check(m.body, inner)
  switch (m.kind) {
    case 'all': case 'exists': case 'existsOne':
      assertBool(chk, bodyType, m.name, 'predicate', m.body)
      return chk.getType('bool')
    case 'transformList':
      return chk.registry.getListType(bodyType)
    case 'transformMap':
      return chk.registry.getMapType(recv.kind === 'list' ? chk.getType('int') : t1, bodyType)
    case 'transformMapEntry':
      if (bodyType.kind !== 'map' && bodyType.kind !== 'dyn') {
        throw chk.createError('invalid_argument', `transformMapEntry() transform must return a map, got '${chk.formatType(bodyType)}'`, m.body)
      }
      return bodyType.kind === 'map' ? bodyType : chk.getType('map')
  }
}

function bindVars(m: LoopMacro, ev: Evaluator, ctx: unknown, k: unknown, v: unknown): unknown {
  const [c1, c2] = m.ctxs
  if (!c1) throw new Error(`${m.name}: not type-checked`)
  c1.reuse(ctx)
  if (c2) {
    c1.setIterValue(k, ev)
    c2.reuse(c1)
    c2.setIterValue(v, ev)
    return c2
  }
  c1.setIterValue(k, ev)
  return c1
}

/**
 * cel-go `cel.@mapInsert`: a repeated key is an error. Keys are compared by their string form (cel-js
 * keeps map literal keys as strings, so `{1: x}` and the index 1 are the same key).
 */
function insertEntry(out: Map<unknown, unknown>, seen: Set<string>, k: unknown, v: unknown): void {
  const key = typeof k === 'object' && k !== null && !isUint(k) ? undefined : String(k)
  if (key === undefined ? [...out.keys()].some((e) => celEquals(e, k)) : seen.has(key)) throw new Error(`insert failed: key ${String(k)} already exists`)
  if (key !== undefined) seen.add(key)
  out.set(k, v)
}

function makeLoopEvaluate(charge: Charge, isFatal: (e: unknown) => boolean): LoopMacro['evaluate'] {
  return (ev, m, ctx) => {
    const coll = ev.run(m.receiver, ctx)
    let entries = rangeEntries(coll, m.name, m.receiver)
    if (m.vars.length === 1) entries = entries.map(([k, v]) => [Array.isArray(coll) || coll instanceof Set ? v : k, undefined])
    const predicate = (c: unknown, node: Node, what: string): boolean => {
      const r = ev.run(node, c)
      if (typeof r !== 'boolean') throw new Error(`${m.name}() ${what} must return bool, got '${typeName(r)}'`)
      return r
    }
    switch (m.kind) {
      case 'all': case 'exists': {
        const stopOn = m.kind === 'exists'
        let error: unknown
        for (const [k, v] of entries) {
          charge(1)
          try {
            if (predicate(bindVars(m, ev, ctx, k, v), m.body, 'predicate') === stopOn) return stopOn
          } catch (e) {
            if (isFatal(e)) throw e
            error ??= e
          }
        }
        if (error !== undefined) throw error
        return !stopOn
      }
      case 'existsOne': {
        let count = 0
        for (const [k, v] of entries) {
          charge(1)
          if (predicate(bindVars(m, ev, ctx, k, v), m.body, 'predicate')) count++
        }
        return count === 1
      }
      case 'transformList': {
        const out: unknown[] = []
        for (const [k, v] of entries) {
          charge(1)
          const c = bindVars(m, ev, ctx, k, v)
          if (m.filter && !predicate(c, m.filter, 'filter')) continue
          out.push(ev.run(m.body, c))
        }
        return out
      }
      case 'transformMap': case 'transformMapEntry': {
        const out = new Map<unknown, unknown>()
        const seen = new Set<string>()
        for (const [k, v] of entries) {
          charge(1)
          const c = bindVars(m, ev, ctx, k, v)
          if (m.filter && !predicate(c, m.filter, 'filter')) continue
          const r = ev.run(m.body, c)
          if (m.kind === 'transformMap') { out.set(k, r); continue }
          if (!(r instanceof Map) && !isPlainMap(r)) throw new Error(`transformMapEntry() transform must return a map, got '${typeName(r)}'`)
          for (const [ek, evv] of mapEntries(r)) { charge(1); insertEntry(out, seen, ek, evv) }
        }
        return out
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Macros binding one variable to a value: `sortBy`, `optMap`, `optFlatMap`.

interface BindMacro {
  readonly name: string
  readonly variable: string
  readonly receiver: Node
  readonly expr: Node
  ctx: OverlayCtx | undefined
  readonly typeCheck: (chk: Checker, m: BindMacro, ctx: unknown) => TypeDecl
  readonly evaluate: (ev: Evaluator, m: BindMacro, ctx: unknown) => unknown
  readonly async: false
}

function sortByTypeCheck(chk: Checker, m: BindMacro, ctx: unknown): TypeDecl {
  const recv = chk.check(m.receiver, ctx)
  if (recv.kind !== 'list' && recv.kind !== 'dyn') {
    throw chk.createError('invalid_argument', `sortBy can only be applied to a list, got '${chk.formatType(recv)}'`, m.receiver)
  }
  const elem = recv.kind === 'list' && recv.valueType && !isParam(recv.valueType) ? recv.valueType : chk.getType('dyn')
  m.ctx = (ctx as OverlayCtx).forkWithVariable(m.variable, elem)
  const kt = chk.check(m.expr, m.ctx)
  if (kt.kind !== 'dyn' && !COMPARABLE.has(kt.name)) {
    throw chk.createError('no_matching_overload',
      `sortBy() key must be comparable (int, uint, double, bool, duration, timestamp, string, bytes), got '${chk.formatType(kt)}'`, m.expr)
  }
  return recv.kind === 'list' ? recv : chk.getType('list')
}

function sortByEvaluate(charge: Charge): BindMacro['evaluate'] {
  return (ev, m, ctx) => {
    const list = asList(ev.run(m.receiver, ctx))
    const c = m.ctx
    if (!c) throw new Error('sortBy: not type-checked')
    const keys = list.map((v) => { charge(1); return ev.run(m.expr, c.reuse(ctx).setIterValue(v, ev)) })
    return sortByKeys(list, keys, charge)
  }
}

function optMapTypeCheck(chk: Checker, m: BindMacro, ctx: unknown): TypeDecl {
  const recv = chk.check(m.receiver, ctx)
  if (recv.kind !== 'optional' && recv.kind !== 'dyn') {
    throw chk.createError('no_matching_overload', `${m.name}() can only be applied to an optional, got '${chk.formatType(recv)}'`, m.receiver)
  }
  const inner = recv.kind === 'optional' && recv.valueType && !isParam(recv.valueType) ? recv.valueType : chk.getType('dyn')
  m.ctx = (ctx as OverlayCtx).forkWithVariable(m.variable, inner)
  const t = chk.check(m.expr, m.ctx)
  if (m.name === 'optMap') return chk.registry.getOptionalType(t)
  if (t.kind !== 'optional' && t.kind !== 'dyn') {
    throw chk.createError('no_matching_overload', `optFlatMap() expression must return an optional, got '${chk.formatType(t)}'`, m.expr)
  }
  return t.kind === 'optional' ? t : chk.getType('optional')
}

function optMapEvaluate(ev: Evaluator, m: BindMacro, ctx: unknown): unknown {
  const o = ev.run(m.receiver, ctx)
  if (!(o instanceof Optional)) throw new Error(`${m.name}() can only be applied to an optional, got '${typeName(o)}'`)
  if (!o.hasValue()) return Optional.none()
  const c = m.ctx
  if (!c) throw new Error(`${m.name}: not type-checked`)
  const r = ev.run(m.expr, c.reuse(ctx).setIterValue(o.value(), ev))
  if (m.name === 'optMap') return Optional.of(r)
  if (!(r instanceof Optional)) throw new Error(`optFlatMap() expression must return an optional, got '${typeName(r)}'`)
  return r
}

// ---------------------------------------------------------------------------------------------------------
// Registration.

/** Hooks from cel.ts: the step budget and the test for errors no comprehension may absorb. */
export interface ExtensionHooks {
  readonly charge: Charge
  readonly isFatal: (e: unknown) => boolean
}

class ListsNamespace {}

/** Registers the macros, functions and operators of this module on `env` (before it is cloned). */
export function registerExtensionLibraries(env: Environment, hooks: ExtensionHooks): void {
  const { charge } = hooks
  chargeScan = charge
  const loopEvaluate = makeLoopEvaluate(charge, hooks.isFatal)
  const loop = (name: string, kind: LoopKind, vars: number, filtered: boolean) => ({ args, receiver, ast }: MacroInput): LoopMacro => {
    const names = args.slice(0, vars).map((a) => identName(a, name))
    if (names.length === 2 && names[0] === names[1]) throw nodeError(`${name}: duplicate iteration variable name '${names[0]}'`, args[1] ?? ast)
    const body = args[args.length - 1]
    if (!receiver || !body) throw nodeError(`${name}: invalid arguments`, ast)
    return {
      name, kind, receiver, vars: names, filter: filtered ? args[vars] : undefined, body, ctxs: [],
      typeCheck: loopTypeCheck, evaluate: loopEvaluate, async: false,
    }
  }
  const macro = (signature: string, expand: (input: MacroInput) => unknown): void => { env.registerFunction(signature, expand as never) }

  // ext.TwoVarComprehensions.
  macro('list.all(ast, ast, ast): bool', loop('all', 'all', 2, false))
  macro('list.exists(ast, ast, ast): bool', loop('exists', 'exists', 2, false))
  macro('list.existsOne(ast, ast, ast): bool', loop('existsOne', 'existsOne', 2, false))
  macro('list.exists_one(ast, ast, ast): bool', loop('exists_one', 'existsOne', 2, false))
  macro('list.transformList(ast, ast, ast): list', loop('transformList', 'transformList', 2, false))
  macro('list.transformList(ast, ast, ast, ast): list', loop('transformList', 'transformList', 2, true))
  macro('list.transformMap(ast, ast, ast): map', loop('transformMap', 'transformMap', 2, false))
  macro('list.transformMap(ast, ast, ast, ast): map', loop('transformMap', 'transformMap', 2, true))
  macro('list.transformMapEntry(ast, ast, ast): map', loop('transformMapEntry', 'transformMapEntry', 2, false))
  macro('list.transformMapEntry(ast, ast, ast, ast): map', loop('transformMapEntry', 'transformMapEntry', 2, true))
  // cel-go standard macro `existsOne(x, p)` (alias of `exists_one`).
  macro('list.existsOne(ast, ast): bool', loop('existsOne', 'existsOne', 1, false))

  // ext.Lists v3.
  env.registerFunction('list<A>.slice(int, int): list<A>', (l: unknown[], start: bigint, end: bigint) => {
    const list = asList(l)
    if (start < 0n || end < 0n) throw new Error(`cannot slice(${start}, ${end}), negative indexes not supported`)
    if (start > end) throw new Error(`cannot slice(${start}, ${end}), start index must be less than or equal to end index`)
    if (BigInt(list.length) < end) throw new Error(`cannot slice(${start}, ${end}), list is length ${list.length}`)
    charge(Number(end - start))
    return list.slice(Number(start), Number(end))
  })
  env.registerFunction('list<list<A>>.flatten(): list<A>', (l: unknown[]) => flatten(asList(l), 1n, charge))
  // Lists of dyn (object fields) may mix lists and other values: flatten keeps the others (cel-go disables type guards).
  env.registerFunction('list.flatten(): list', (l: unknown[]) => flatten(asList(l), 1n, charge))
  env.registerFunction('list.flatten(int): list', (l: unknown[], depth: bigint) => flatten(asList(l), depth, charge))
  env.registerFunction('list<A>.distinct(): list<A>', (l: unknown[]) => {
    const list = asList(l)
    charge(list.length * list.length / 10)
    const out: unknown[] = []
    for (const v of list) if (!out.some((u) => celEquals(u, v))) out.push(v)
    return out
  })
  env.registerFunction('list<A>.reverse(): list<A>', (l: unknown[]) => { const list = asList(l); charge(list.length); return [...list].reverse() })
  env.registerFunction('list<A>.sort(): list<A>', (l: unknown[]) => { const list = asList(l); return sortByKeys(list, list, charge) })
  env.registerType('ListsNamespace', ListsNamespace)
  env.registerConstant('lists', 'ListsNamespace', new ListsNamespace())
  env.registerFunction('ListsNamespace.range(int): list<int>', (_ns: unknown, n: bigint) => {
    if (n < 0n) throw new Error(`lists.range: size must be non-negative, got ${n}`)
    if (n > BigInt(MAX_RANGE)) throw new Error(`lists.range: size ${n} exceeds maximum allowed (${MAX_RANGE})`)
    charge(Number(n))
    return Array.from({ length: Number(n) }, (_, i) => BigInt(i))
  })
  macro('list.sortBy(ast, ast): list', ({ args, receiver, ast }: MacroInput): BindMacro => {
    const key = args[1]
    if (!receiver || !key) throw nodeError('sortBy: invalid arguments', ast)
    return { name: 'sortBy', variable: identName(args[0], 'sortBy'), receiver, expr: key, ctx: undefined, typeCheck: sortByTypeCheck, evaluate: sortByEvaluate(charge), async: false }
  })

  // Optional types.
  env.registerFunction('OptionalNamespace.ofNonZeroValue(A): optional<A>', (_ns: unknown, v: unknown) => (isZeroValue(v) ? Optional.none() : Optional.of(v)))
  env.registerOperator('optional<A> == optional<A>', (a: Optional, b: Optional) => celEquals(a, b))
  for (const name of ['optMap', 'optFlatMap']) {
    macro(`optional.${name}(ast, ast): optional`, ({ args, receiver, ast }: MacroInput): BindMacro => {
      const expr = args[1]
      if (!receiver || !expr) throw nodeError(`${name}: invalid arguments`, ast)
      return { name, variable: identName(args[0], name), receiver, expr, ctx: undefined, typeCheck: optMapTypeCheck, evaluate: optMapEvaluate, async: false }
    })
  }

  // Ordering of bytes (lexicographic by byte), which cel-js lacks.
  env.registerOperator('bytes < bytes', (a: Uint8Array, b: Uint8Array) => compareBytes(a, b) < 0)
  env.registerOperator('bytes <= bytes', (a: Uint8Array, b: Uint8Array) => compareBytes(a, b) <= 0)
  env.registerOperator('bytes > bytes', (a: Uint8Array, b: Uint8Array) => compareBytes(a, b) > 0)
  env.registerOperator('bytes >= bytes', (a: Uint8Array, b: Uint8Array) => compareBytes(a, b) >= 0)

  // Conversions cel-js lacks.
  const TS = 'google.protobuf.Timestamp'
  const DUR = 'google.protobuf.Duration'
  env.registerFunction('int(uint): int', (u: { value: bigint }) => {
    if (u.value > INT64_MAX) throw new Error('integer overflow')
    return u.value
  })
  env.registerFunction(`int(${TS}): int`, (d: Date) => BigInt(Math.floor(d.getTime() / 1000)))
  env.registerFunction(`int(${DUR}): int`, (d: DurationLike) => checkInt(durationNanos(d)))
  env.registerFunction(`string(${TS}): string`, (d: Date) => formatTimestamp(d))
  env.registerFunction(`string(${DUR}): string`, (d: DurationLike) => formatDuration(d))
  env.registerFunction(`timestamp(${TS}): ${TS}`, (d: Date) => d)
  env.registerFunction(`duration(${DUR}): ${DUR}`, (d: DurationLike) => d)
}

// ---------------------------------------------------------------------------------------------------------
// Type checking as cel-go does it.

function isNullType(t: TypeDecl): boolean {
  return t.kind === 'primitive' && t.name === 'null'
}

/** cel-go `isLegacyNullable`: opaque and message types (timestamps, durations, Kubernetes types, optionals). */
function isNullable(t: TypeDecl): boolean {
  return t.kind === 'message' || t.kind === 'optional'
}

/**
 * cel-go `joinTypes` in homogeneous-literal mode: the types must be assignable (dyn absorbs any type;
 * `null` is assignable to nullable types); the result is the more general type. A join of `null` with a
 * nullable type is typed `dyn`, because cel-js checks list elements against their static type at runtime.
 */
function joinTypes(r: Registry, a: TypeDecl, b: TypeDecl): TypeDecl | null {
  const u = a.unify(r, b)
  if (u) return u
  if ((isNullType(a) && isNullable(b)) || (isNullType(b) && isNullable(a))) return r.getType('dyn')
  if (a.kind !== b.kind || !a.valueType || !b.valueType) return null
  const v = joinTypes(r, a.valueType, b.valueType)
  if (!v) return null
  if (a.kind === 'list') return r.getListType(v)
  if (a.kind === 'optional') return r.getOptionalType(v)
  if (a.kind === 'map' && a.keyType && b.keyType) {
    const k = joinTypes(r, a.keyType, b.keyType)
    return k ? r.getMapType(k, v) : null
  }
  return null
}

function checkListLiteral(orig: CheckFn): CheckFn {
  return (chk, ast, ctx) => {
    const items = ast.args as Node[]
    if (items.length === 0) return orig(chk, ast, ctx)
    let t = chk.check(items[0] as Node, ctx)
    for (const item of items.slice(1)) {
      const it = chk.check(item, ctx)
      const j = joinTypes(chk.registry, t, it)
      if (!j) throw chk.createError('heterogeneous_list_element', `List elements must have the same type, expected type '${chk.formatType(t)}' but found '${chk.formatType(it)}'`, item)
      t = j
    }
    return chk.registry.getListType(t)
  }
}

function checkMapLiteral(orig: CheckFn): CheckFn {
  return (chk, ast, ctx) => {
    const entries = ast.args as [Node, Node][]
    const first = entries[0]
    if (!first) return orig(chk, ast, ctx)
    let kt = chk.check(first[0], ctx)
    let vt = chk.check(first[1], ctx)
    for (const [kn, vn] of entries.slice(1)) {
      const k = chk.check(kn, ctx)
      const jk = joinTypes(chk.registry, kt, k)
      if (!jk) throw chk.createError('heterogeneous_map_key', `Map key uses wrong type, expected type '${chk.formatType(kt)}' but found '${chk.formatType(k)}'`, kn)
      const v = chk.check(vn, ctx)
      const jv = joinTypes(chk.registry, vt, v)
      if (!jv) throw chk.createError('heterogeneous_map_value', `Map value uses wrong type, expected type '${chk.formatType(vt)}' but found '${chk.formatType(v)}'`, vn)
      kt = jk
      vt = jv
    }
    return chk.registry.getMapType(kt, vt)
  }
}

function checkTernary(orig: CheckFn): CheckFn {
  return (chk, ast, ctx) => {
    try {
      return orig(chk, ast, ctx)
    } catch (e) {
      const l = ast.left?.checkedType, r = ast.right?.checkedType
      if (errorCode(e) !== 'incompatible_ternary_branches' || !l || !r) throw e
      const j = joinTypes(chk.registry, l, r)
      if (!j) throw e
      return j
    }
  }
}

function checkEquality(orig: CheckFn, op: string): CheckFn {
  return (chk, ast, ctx) => {
    try {
      return orig(chk, ast, ctx)
    } catch (e) {
      const l = ast.left?.checkedType, r = ast.right?.checkedType
      if (errorCode(e) !== 'no_such_overload' || !l || !r) throw e
      if (!((isNullType(l) && isNullable(r)) || (isNullType(r) && isNullable(l)))) throw e
      ast.handle = op === '==' ? (a: unknown, b: unknown) => a === b : (a: unknown, b: unknown) => a !== b
      return chk.getType('bool')
    }
  }
}

/** Selection on a value whose type is an unresolved type parameter (`{}.?a.b`, `optional.none().?x`) is dyn. */
function checkAccess(orig: CheckFn): CheckFn {
  return (chk, ast, ctx) => {
    try {
      return orig(chk, ast, ctx)
    } catch (e) {
      const left = ast.left?.checkedType
      if (errorCode(e) !== 'cannot_index_type' || !left) throw e
      const base = left.kind === 'optional' ? left.valueType : left
      if (!isParam(base)) throw e
      const dyn = chk.getType('dyn')
      return ast.op === '.?' || ast.op === '[?]' || left.kind === 'optional' ? chk.registry.getOptionalType(dyn) : dyn
    }
  }
}

/** cel-js types `duration + timestamp` as a duration; it is a timestamp. */
function checkAdd(orig: CheckFn): CheckFn {
  return (chk, ast, ctx) => {
    const t = orig(chk, ast, ctx)
    if (ast.left?.checkedType?.name === 'google.protobuf.Duration' && ast.right?.checkedType?.name === 'google.protobuf.Timestamp') {
      return chk.getType('google.protobuf.Timestamp')
    }
    return t
  }
}

/** An empty literal ranged over by a comprehension gets element type dyn (cel-js cannot check `e > 0` on a type parameter). */
function checkEmptyRange(list: boolean): CheckFn {
  return (chk) => chk.getType(list ? 'list' : 'map')
}

/** Empty literals already typed as comprehension ranges (the order nodes are prepared in does not matter). */
const emptyRanges = new WeakSet<object>()

/** Installs the type-checking corrections on `node`; call for every node before type checking. */
export function prepareNode(node: object): void {
  const n = node as Node
  if (emptyRanges.has(n)) return
  const orig = n.meta.check
  switch (n.op) {
    case 'list': n.setMeta('check', checkListLiteral(orig)); break
    case 'map': n.setMeta('check', checkMapLiteral(orig)); break
    case '?:': n.setMeta('check', checkTernary(orig)); break
    case '==': case '!=': n.setMeta('check', checkEquality(orig, n.op)); break
    case '.': case '.?': case '[]': case '[?]': n.setMeta('check', checkAccess(orig)); break
    case '+': n.setMeta('check', checkAdd(orig)); break
    case 'comprehension': {
      const iter = (n.args as { iterable?: Node }).iterable
      if (iter && !iter.meta.alternate && !iter.meta.macro && (iter.op === 'list' || iter.op === 'map') && (iter.args as unknown[]).length === 0) {
        iter.setMeta('check', checkEmptyRange(iter.op === 'list'))
        emptyRanges.add(iter)
      }
      break
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Runtime corrections, installed on the checked AST.

const ASCII_LOWER = (s: string): string => s.replace(/[A-Z]+/g, (m) => m.toLowerCase())
const ASCII_UPPER = (s: string): string => s.replace(/[a-z]+/g, (m) => m.toUpperCase())
/** Go `unicode.IsSpace` (strings.TrimSpace). */
const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000'
const GO_SPACE_CHAR = new RegExp(`[${GO_SPACE}]`)
/** Go's `strings.TrimSpace`, in linear time (`trimRuns`). */
const GO_TRIM = (s: string): string => trimRuns(s, (c) => GO_SPACE_CHAR.test(c), true)

const TZ_GETTERS = new Set(['getDate', 'getDayOfMonth', 'getDayOfWeek', 'getDayOfYear', 'getFullYear', 'getHours', 'getMilliseconds', 'getMinutes', 'getMonth', 'getSeconds'])

/** cel-go numeric time zone `[+-]HH:MM` (anything with a colon); undefined for zone names. */
function parseOffsetMinutes(tz: string): number | undefined {
  const i = tz.indexOf(':')
  if (i < 0) return undefined
  const h = tz.slice(0, i), m = tz.slice(i + 1)
  if (!/^[+-]?\d+$/.test(h) || !/^[+-]?\d+$/.test(m)) throw new Error(`invalid time zone offset: ${tz}`)
  const hr = Number(h), min = Number(m)
  return tz.startsWith('-') ? hr * 60 - min : hr * 60 + min
}

function zonedField(name: string, d: Date, offsetMinutes: number): bigint {
  const t = new Date(d.getTime() + offsetMinutes * 60_000)
  switch (name) {
    case 'getDate': return BigInt(t.getUTCDate())
    case 'getDayOfMonth': return BigInt(t.getUTCDate() - 1)
    case 'getDayOfWeek': return BigInt(t.getUTCDay())
    case 'getDayOfYear': return BigInt(Math.floor((t.getTime() - Date.UTC(t.getUTCFullYear(), 0, 1)) / 86_400_000))
    case 'getFullYear': return BigInt(t.getUTCFullYear())
    case 'getHours': return BigInt(t.getUTCHours())
    case 'getMilliseconds': return BigInt(t.getUTCMilliseconds())
    case 'getMinutes': return BigInt(t.getUTCMinutes())
    case 'getMonth': return BigInt(t.getUTCMonth())
    default: return BigInt(t.getUTCSeconds())
  }
}

function callName(n: Node): string | undefined {
  const a = n.args
  return (n.op === 'call' || n.op === 'rcall') && Array.isArray(a) && typeof a[0] === 'string' ? a[0] : undefined
}

function argCount(n: Node): number {
  const a = n.args as unknown[]
  const list = n.op === 'rcall' ? a[2] : a[1]
  return Array.isArray(list) ? list.length : 0
}

function wrapHandle(n: Node, wrap: (inner: Handle) => Handle): void {
  const inner = n.handle
  if (typeof inner === 'function') n.handle = wrap(inner)
}

function literalKey(n: Node): string | undefined {
  if (n.op !== 'value') return undefined
  const v = n.args
  return typeof v === 'string' ? `s:${v}` : typeof v === 'bigint' ? `i:${v}` : typeof v === 'boolean' ? `b:${v}` : undefined
}

/**
 * The cel-js string functions that read their strings whole, charged as the other string functions
 * are, a tenth of a step per character read (cel-go's StringTraversalCostFactor): uncharged, a
 * comprehension calling one on the same long string at each step did work growing with the square
 * of its input in a step each (`object.spec.containers.all(c, object.metadata.annotations['allowed']
 * .split(',')...)`: 39 s for 20,000 containers and 1.3 MB). `startsWith` and `endsWith` read
 * their argument's length; `join` is charged for the string it makes.
 */
const STRING_SCANS: ReadonlySet<string> = new Set(['contains', 'startsWith', 'endsWith', 'indexOf', 'lastIndexOf', 'split', 'join'])

/** The budget's charge, from cel.ts (set by registerExtensionLibraries). */
let chargeScan: Charge = () => undefined

/** The size cel-go's cost model reads: of a string, bytes, list or map; 0 for the rest (charged nothing here). */
function sizeOf(v: unknown): number {
  if (typeof v === 'string' || Array.isArray(v) || v instanceof Uint8Array) return v.length
  if (v instanceof Map) return v.size
  return isPlainMap(v) ? Object.keys(v).length : 0
}

/** A tenth of a step per item, in whole steps: short operands, the most common, cost nothing more. */
function chargeTenths(items: number): void {
  if (items >= 10) chargeScan(Math.floor(items / 10))
}

/**
 * `a + b` on strings, bytes and lists, charged a tenth of a step per item of its operands (cel-go's
 * cost of string and bytes concatenation). cel-go joins lists lazily and charges them nothing;
 * here a list is copied, so it is charged as a string: uncharged, a comprehension that
 * concatenated a long list at each step ran for the square of its length in a step each.
 */
const chargeConcatenation = (h: Handle): Handle => (...a) => {
  const [x, y] = a
  chargeTenths(sizeOf(x) + sizeOf(y))
  return h(...a)
}

function isContainer(v: unknown): boolean {
  return Array.isArray(v) || v instanceof Map || isPlainMap(v)
}

/**
 * `==` and `!=` on strings and bytes: a tenth of a step per item of the smaller operand, as cel-go.
 * Lists and maps are compared item by item, nested ones too: cel-go charges only their outer size,
 * and a comprehension comparing large nested values at each step, charged one, ran for minutes. The
 * charged comparison runs first, so the budget stops it; cel-js then gives the result.
 */
const chargeEquality = (h: Handle): Handle => (...a) => {
  const [x, y] = a
  if (x !== y && isContainer(x) && isContainer(y)) chargedEquals(x, y, chargeScan)
  else {
    chargeTenths(Math.min(sizeOf(x), sizeOf(y)))
  }
  return h(...a)
}

/** `size` of a string from its remembered count of code points (cel-js counts them at each call). */
const stringSize = (h: Handle): Handle => (...a) => {
  const s = (a[0] as unknown[])[0]
  return typeof s === 'string' ? BigInt(codePoints(s).count) : h(...a)
}

/** Lists searched with `in` once (`0`), and those searched again: the set of their strings, or `false` when not all are strings. */
const searched = new WeakMap<readonly unknown[], 0 | false | ReadonlySet<string>>()

/**
 * The strings of a list of strings that `in` searches a second time, for lookups in constant time:
 * `variables.names` searched from a comprehension over as many items took time growing with the
 * square of the list (20,000 names: 5 s), each step charged one. A string is in a list of strings
 * exactly when the set has it; lists of other values, and short ones, are searched as before.
 */
function stringIndex(list: readonly unknown[]): ReadonlySet<string> | undefined {
  if (list.length <= 16) return undefined
  const seen = searched.get(list)
  if (seen === undefined) {
    searched.set(list, 0)
    return undefined
  }
  if (seen !== 0) return seen === false ? undefined : seen
  const index = list.every((v) => typeof v === 'string') ? new Set(list as readonly string[]) : false
  searched.set(list, index)
  return index === false ? undefined : index
}

/** Installs the runtime corrections on a type-checked node; call for every node after type checking. */
export function finishNode(node: object): void {
  const n = node as Node
  const t = n.checkedType?.name
  switch (n.op) {
    case '-_': case '/':
      wrapHandle(n, (h) => (...a) => checkInt(h(...a)))
      return
    case 'in':
      // cel-js compares int, uint and double list elements by type; CEL equality is numeric across them.
      wrapHandle(n, (h) => (...a) => {
        const [x, list] = a
        if (!Array.isArray(list)) return h(...a)
        if (typeof x === 'string') {
          const index = stringIndex(list)
          if (index !== undefined) return index.has(x)
        }
        // A search through the list is charged by the list's size, as cel-go charges it, and a
        // list or map searched for by the items it is compared on.
        chargeScan(list.length)
        if (isContainer(x)) list.some((y) => chargedEquals(x, y, chargeScan))
        if (typeof x === 'bigint' || typeof x === 'number' || isUint(x)) return list.some((y) => celEquals(x, y))
        return h(...a)
      })
      return
    case '+': case '-':
      if (t === 'google.protobuf.Timestamp') wrapHandle(n, (h) => (...a) => checkTimestamp(h(...a)))
      else if (t === 'google.protobuf.Duration') wrapHandle(n, (h) => (...a) => checkDuration(h(...a)))
      else if (n.op === '+') wrapHandle(n, chargeConcatenation)
      return
    case '==': case '!=':
      wrapHandle(n, chargeEquality)
      return
    case 'map': {
      const entries = n.args as [Node, Node][]
      if (entries.length < 2) return
      const keys = entries.map(([k]) => literalKey(k))
      if (keys.every((k) => k !== undefined)) {
        if (new Set(keys).size === keys.length) return
        n.setMeta('evaluate', () => { throw new Error('Failed with repeated key') })
        return
      }
      const orig = n.meta.evaluate
      n.setMeta('evaluate', (ev: Evaluator, ast: Node, ctx: unknown) => {
        const seen: unknown[] = []
        for (const [k] of entries) {
          const v = ev.run(k, ctx)
          if (seen.some((s) => celEquals(s, v))) throw new Error('Failed with repeated key')
          seen.push(v)
        }
        return orig(ev, ast, ctx)
      })
      return
    }
  }
  const name = callName(n)
  if (name === undefined) return
  const args = argCount(n)
  if (n.op === 'call' && args === 1) {
    if (name === 'int') {
      wrapHandle(n, (h) => (...a) => {
        const x = (a[0] as unknown[])[0]
        if (typeof x === 'number' && !(x > -9223372036854775808 && x < 9223372036854775808)) throw new Error(`range error converting ${x} to int`)
        return h(...a)
      })
    } else if (name === 'string') {
      wrapHandle(n, (h) => (...a) => {
        const x = (a[0] as unknown[])[0]
        if (x instanceof Uint8Array) {
          try { return new TextDecoder('utf-8', { fatal: true }).decode(x) } catch { throw new Error('invalid UTF-8 in bytes, cannot convert to string') }
        }
        return h(...a)
      })
    } else if (name === 'duration') {
      wrapHandle(n, (h) => (...a) => checkDuration(h(...a)))
    } else if (name === 'timestamp') {
      wrapHandle(n, (h) => (...a) => {
        const x = (a[0] as unknown[])[0]
        if (typeof x === 'string') checkTimestampFields(x)
        return checkTimestamp(h(...a))
      })
    } else if (name === 'size') {
      wrapHandle(n, stringSize)
    }
    return
  }
  if (n.op !== 'rcall') return
  if (args === 0 && name === 'size') {
    wrapHandle(n, stringSize)
  } else if (args === 0 && (name === 'lowerAscii' || name === 'upperAscii' || name === 'trim')) {
    const f = name === 'lowerAscii' ? ASCII_LOWER : name === 'upperAscii' ? ASCII_UPPER : GO_TRIM
    wrapHandle(n, (h) => (...a) => {
      const recv = (a[0] as unknown[])[0]
      if (typeof recv !== 'string') return h(...a)
      chargeScan(recv.length / 10)
      return f(recv)
    })
  } else if (STRING_SCANS.has(name)) {
    wrapHandle(n, (h) => (...a) => {
      const [recv, arg] = a[0] as unknown[]
      if (typeof recv === 'string') chargeScan(((name === 'startsWith' || name === 'endsWith' ? 0 : recv.length) + (typeof arg === 'string' ? arg.length : 0)) / 10)
      const result = h(...a)
      if (name === 'join' && typeof result === 'string') chargeScan(result.length / 10)
      return result
    })
  } else if (args === 1 && TZ_GETTERS.has(name)) {
    wrapHandle(n, (h) => (...a) => {
      const [d, tz] = a[0] as unknown[]
      if (d instanceof Date && typeof tz === 'string') {
        const off = parseOffsetMinutes(tz)
        if (off !== undefined) return zonedField(name, d, off)
      }
      return h(...a)
    })
  }
}

/**
 * Compile-time checks cel-js does not make: `sort()` needs a list of a comparable type, `flatten()` a list of lists.
 * Throws an error carrying the node (reported with its position).
 */
export function validateNode(node: object): void {
  const n = node as Node
  const name = callName(n)
  if (n.op !== 'rcall' || argCount(n) !== 0 || (name !== 'sort' && name !== 'flatten')) return
  const recv = (n.args as unknown[])[1] as Node | undefined
  const t = recv?.checkedType
  if (!t || t.kind !== 'list' || !t.valueType) return
  const e = t.valueType
  if (e.kind === 'dyn' || e.kind === 'param') return
  if (name === 'sort' && !COMPARABLE.has(e.name)) throw nodeError(`found no matching overload for '${t.name}.sort()': list elements must be comparable`, n)
  if (name === 'flatten' && e.kind !== 'list') throw nodeError(`found no matching overload for '${t.name}.flatten()': a list of lists is required`, n)
}
