/**
 * RE2 regular expressions for Kubernetes CEL (`matches`, `find`, `findAll`), in time linear in
 * the input whatever the pattern. Kubernetes evaluates them with Go's RE2, which never
 * backtracks; a backtracking engine (JS `RegExp`) would take exponential time on a pattern as
 * ordinary as `^([a-z0-9]+-?)+$` and an object field crafted to fail it, and one such request
 * would stall the admission webhook. Patterns are parsed and compiled by `@bufbuild/re2` (RE2
 * syntax and errors, as Go reports them); every match runs on the Pike VM below over the compiled
 * program (leftmost-first, Go's match positions), whose work is at most program size × input
 * length. The library's own matcher is not used: its fallback when its DFA gives up does work
 * growing with the square of the program's size per character, and its DFA keeps states per
 * pattern.
 */
import { createRequire } from 'node:module'
import type * as Re2Library from '@bufbuild/re2'

let library: typeof Re2Library | undefined

/** `@bufbuild/re2`, loaded with the first pattern: it costs about 20 ms of start-up, and most scans run no CEL. */
function re2Library(): typeof Re2Library {
  library ??= createRequire(import.meta.url)('@bufbuild/re2') as typeof Re2Library
  return library
}

/** A compiled RE2 pattern. */
export interface Re2 {
  /** True when the pattern matches anywhere in `s` (CEL `matches`). */
  test(s: string): boolean
  /** The leftmost-first match, or '' (Kubernetes `find`). */
  find(s: string): string
  /**
   * Successive non-overlapping matches as Go's `FindAllString`, at most `limit` when limit >= 0
   * (Kubernetes `findAll`). Each search after the first is charged its work (in the steps of
   * `regexCost`) through `charge`, which stops the loop by throwing when the budget is spent:
   * searches that each run to the end of the input (`a*b|a` on a run of `a`) add up to
   * input length squared.
   */
  findAll(s: string, limit: number, charge: (steps: number) => void): string[]
  /** Instructions of the compiled program: the work per input character is at most proportional to it. */
  readonly size: number
}

/** An instruction of `@bufbuild/re2`'s compiled program (RE2's `Inst`). */
interface Inst {
  op: number
  out: number
  arg: number
  runes: number[]
  matchRune(rune: number): boolean
}

// Instruction codes and empty-width flags of RE2's program (the same in RE2, RE2/J and @bufbuild/re2).
const ALT = 1
const ALT_MATCH = 2
const CAPTURE = 3
const EMPTY_WIDTH = 4
const FAIL = 5
const MATCH = 6
const NOP = 7
const RUNE1 = 9
const RUNE_ANY = 10
const RUNE_ANY_NOT_NL = 11
const EMPTY_BEGIN_LINE = 0x01
const EMPTY_END_LINE = 0x02
const EMPTY_BEGIN_TEXT = 0x04
const EMPTY_END_TEXT = 0x08
const EMPTY_WORD_BOUNDARY = 0x10
const EMPTY_NO_WORD_BOUNDARY = 0x20

/** Compiled patterns, and their instructions in all (the cache is emptied past `CACHE_INSTRUCTIONS`). */
const cache = new Map<string, Re2 | string>()
let cached = 0
const CACHE_PATTERNS = 1000
const CACHE_INSTRUCTIONS = 500_000

/** Thread steps of the Pike VM per step of the evaluation budget. */
const WORK_PER_STEP = 50

/**
 * The evaluation cost charged for running a pattern over `s`: input length × program size / 50
 * (at least a tenth of a step per character), the most work one search does. A million steps,
 * the default budget, is then a fraction of a second of matching (0.33 s measured for
 * `(a?){1000}a{1000}$`, 5,003 instructions, on 10,000 characters).
 */
function regexCost(s: string, size: number): number {
  return Math.ceil((s.length * Math.max(size, 5)) / WORK_PER_STEP)
}

/**
 * Compiles an RE2 pattern; returns Go's error message when RE2 rejects it. With `charge`, a
 * pattern not compiled before is charged its compile cost first (`compileCost`): a pattern can
 * come from the object under review, new with every request.
 */
export function compileRe2(pattern: string, charge?: (steps: number) => void): Re2 | string {
  const hit = cache.get(pattern)
  if (hit !== undefined) return hit
  // A pattern past the length limit is refused without compiling, so without cost.
  const estimate = pattern.length > MAX_PATTERN_LENGTH ? 0 : estimateSize(pattern)
  if (estimate > 0) charge?.(compileCost(pattern, estimate))
  const result = compile(pattern, estimate)
  const size = typeof result === 'string' ? 1 : result.size
  if (cache.size >= CACHE_PATTERNS || cached + size > CACHE_INSTRUCTIONS) {
    cache.clear()
    cached = 0
  }
  cache.set(pattern, result)
  cached += size
  return result
}

/**
 * The pattern to run over `input` during an evaluation: compiled (or taken from the cache), its
 * compile cost and the cost of one search over `input` charged; RE2's rejection is thrown.
 */
export function patternFor(pattern: string, input: string, charge: (steps: number) => void): Re2 {
  const re = compileRe2(pattern, charge)
  if (typeof re === 'string') throw new Error(re)
  charge(regexCost(input, re.size))
  return re
}

/**
 * The longest pattern compiled. @bufbuild/re2's parser takes time quadratic in a run of literal
 * characters (8,192 of them: about 60 ms; 64,000: 11 s), and a pattern can come from the object
 * under review (`name.matches(object.spec.pattern)`).
 */
const MAX_PATTERN_LENGTH = 8192

/**
 * The largest program compiled, in instructions. Repetitions multiply: `a{1000}` written 1,000
 * times is 7,000 characters and a million instructions (0.7 s and 260 MB to compile). Realistic
 * patterns (a DNS subdomain with its `{0,61}` labels) take a few hundred.
 */
const MAX_PROGRAM_SIZE = 50_000

/**
 * The evaluation cost charged for compiling a pattern, in the steps of `regexCost` (about 0.33 s
 * per million): the parser's time grows with the square of a run of literal characters (8,192 of
 * them take about 60 ms), compiling with the program's size (a million instructions, 0.7 s).
 */
function compileCost(pattern: string, estimate: number): number {
  return Math.ceil((pattern.length * pattern.length) / 640) + Math.min(estimate, MAX_PROGRAM_SIZE)
}

function tooLarge(what: string): string {
  return `error parsing regexp: expression too large: ${what}`
}

/** Compiles a pattern whose program `estimateSize` puts at `estimate` instructions. */
function compile(pattern: string, estimate: number): Re2 | string {
  if (pattern.length > MAX_PATTERN_LENGTH) return tooLarge(`${pattern.length} characters, over the limit of ${MAX_PATTERN_LENGTH}`)
  if (estimate > MAX_PROGRAM_SIZE) return tooLarge(`about ${estimate} instructions, over the limit of ${MAX_PROGRAM_SIZE}`)
  let compiled: Re2Library.RE2JS
  try {
    compiled = re2Library().RE2JS.compile(pattern)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    // Go names lookbehind `(?<`; @bufbuild/re2 reads it as a bad group name.
    if (/invalid named capture: `\(\?<[=!]/.test(message)) return 'error parsing regexp: invalid or unsupported Perl syntax: `(?<`'
    // RE2 has no backreferences; say so, as `\1` looks valid to users of other engines.
    return /invalid escape sequence: `\\[1-9]/.test(message) ? `${message} (backreferences are not supported by RE2)` : message
  }
  const prog = (compiled.re2() as unknown as { prog: { inst: Inst[]; start: number } }).prog
  if (prog.inst.length > MAX_PROGRAM_SIZE) return tooLarge(`${prog.inst.length} instructions, over the limit of ${MAX_PROGRAM_SIZE}`)
  const vm = new PikeVm(prog.inst, prog.start)
  return {
    size: prog.inst.length,
    test: (s) => vm.search(s, 0, true) !== undefined,
    find: (s) => {
      const m = vm.search(s, 0, false)
      return m === undefined ? '' : s.slice(m[0], m[1])
    },
    findAll: (s, limit, charge) => (limit === 0 ? [] : findAll(vm, s, limit, charge)),
  }
}

/**
 * An upper bound of the instructions a pattern compiles to, read from its text: literals,
 * classes and `.` one each, a group its contents plus two, an alternative one more, `*`, `+`, `?`
 * one more, `{n,m}` the repeated atom max(n, m) times. Iterative (nesting is RE2's to refuse).
 */
export function estimateSize(pattern: string): number {
  interface Level {
    done: number
    branch: number
    last: number
  }
  const stack: Level[] = []
  let level: Level = { done: 0, branch: 0, last: 0 }
  const atom = (size: number): void => {
    level.branch += size
    level.last = size
  }
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]
    if (c === '\\') {
      const next = pattern[i + 1]
      if (next === 'Q') {
        const end = pattern.indexOf('\\E', i + 2)
        const stop = end === -1 ? pattern.length : end
        level.branch += stop - (i + 2)
        level.last = 1
        i = end === -1 ? pattern.length : end + 1
        continue
      }
      if ((next === 'p' || next === 'P' || next === 'x') && pattern[i + 2] === '{') {
        const end = pattern.indexOf('}', i + 3)
        i = end === -1 ? pattern.length : end
      } else i++
      atom(1)
    } else if (c === '[') {
      let j = i + 1
      if (pattern[j] === '^') j++
      if (pattern[j] === ']') j++
      while (j < pattern.length && pattern[j] !== ']') {
        if (pattern[j] === '\\') j += 2
        else if (pattern.startsWith('[:', j)) {
          const end = pattern.indexOf(':]', j + 2)
          j = end === -1 ? j + 1 : end + 2
        } else j++
      }
      i = j
      atom(1)
    } else if (c === '(') {
      // A flag group without a body (`(?i)`) is no group.
      const flags = /^\(\?[a-zA-Z-]*\)/.exec(pattern.slice(i, i + 12))
      if (flags !== null) {
        i += flags[0].length - 1
        continue
      }
      stack.push(level)
      level = { done: 0, branch: 0, last: 0 }
    } else if (c === ')') {
      const size = level.done + level.branch + 2
      level = stack.pop() ?? { done: 0, branch: 0, last: 0 }
      atom(size)
    } else if (c === '|') {
      level.done += level.branch + 1
      level.branch = 0
      level.last = 0
    } else if (c === '*' || c === '+' || c === '?') {
      level.branch += 1
      level.last += 1
    } else if (c === '{') {
      const m = /^\{(\d+)(?:,(\d*))?\}/.exec(pattern.slice(i, i + 16))
      if (m === null) {
        atom(1)
        continue
      }
      const times = Math.max(Number(m[1]), m[2] === undefined || m[2] === '' ? 1 : Number(m[2]))
      const extra = level.last * (times - 1) + times
      level.branch += extra
      level.last += extra
      i += m[0].length - 1
    } else atom(1)
  }
  let total = level.done + level.branch
  for (const open of stack) total += open.done + open.branch
  return total + 2
}

/** Go's `FindAllString`: an empty match right after the previous match is skipped. */
function findAll(vm: PikeVm, s: string, limit: number, charge: (steps: number) => void): string[] {
  const out: string[] = []
  let prevEnd = -1
  for (let pos = 0; pos <= s.length; ) {
    // The caller paid for one pass over the input; every further search pays for its own.
    if (pos > 0) charge(Math.ceil(vm.work / WORK_PER_STEP))
    const m = vm.search(s, pos, false)
    if (m === undefined) break
    const [start, end] = m
    let accept = true
    if (end === pos) {
      // An empty match: move past the next character (one code point).
      if (start === prevEnd) accept = false
      pos += pos < s.length ? width(s.codePointAt(pos) as number) : 1
    } else pos = end
    prevEnd = end
    if (accept) {
      out.push(s.slice(start, end))
      if (limit > 0 && out.length >= limit) break
    }
  }
  return out
}

const width = (rune: number): number => (rune > 0xffff ? 2 : 1)

/** RE2's `\b` word characters: ASCII letters, digits and `_`. */
function isWord(rune: number): boolean {
  return (rune >= 0x30 && rune <= 0x39) || (rune >= 0x41 && rune <= 0x5a) || (rune >= 0x61 && rune <= 0x7a) || rune === 0x5f
}

/** The empty-width assertions that hold between `before` and `after` (-1 at the ends of the text). */
function context(before: number, after: number): number {
  let flags = 0
  if (before < 0) flags |= EMPTY_BEGIN_TEXT | EMPTY_BEGIN_LINE
  if (before === 0x0a) flags |= EMPTY_BEGIN_LINE
  if (after < 0) flags |= EMPTY_END_TEXT | EMPTY_END_LINE
  if (after === 0x0a) flags |= EMPTY_END_LINE
  flags |= isWord(before) !== isWord(after) ? EMPTY_WORD_BOUNDARY : EMPTY_NO_WORD_BOUNDARY
  return flags
}

/** The code point that ends just before offset `i` of `s`, or -1 at the start. */
function runeBefore(s: string, i: number): number {
  if (i <= 0) return -1
  const low = s.charCodeAt(i - 1)
  if (low >= 0xdc00 && low <= 0xdfff && i >= 2) {
    const high = s.charCodeAt(i - 2)
    if (high >= 0xd800 && high <= 0xdbff) return s.codePointAt(i - 2) as number
  }
  return low
}

/** True when the instruction (one that reads a character) takes `rune`. */
function reads(inst: Inst, rune: number): boolean {
  switch (inst.op) {
    case RUNE1:
      return rune === inst.runes[0]
    case RUNE_ANY:
      return true
    case RUNE_ANY_NOT_NL:
      return rune !== 0x0a
    default:
      return inst.matchRune(rune)
  }
}

/** A list of threads: the instruction each is at and where its match started, in priority order. */
class Threads {
  readonly pc: Int32Array
  readonly start: Int32Array
  length = 0
  constructor(size: number) {
    this.pc = new Int32Array(size)
    this.start = new Int32Array(size)
  }
}

/**
 * Leftmost-first search with the match's start and end (Pike's VM, as in RE2's NFA): one thread
 * per instruction and position, threads in priority order, so the work is O(program × input).
 */
class PikeVm {
  /** The position each instruction was last added at, so a thread is added once per position. */
  private readonly mark: Int32Array
  private readonly stack: Int32Array
  private current: Threads
  private next: Threads

  constructor(
    private readonly inst: readonly Inst[],
    private readonly entry: number,
  ) {
    this.mark = new Int32Array(inst.length).fill(-1)
    // Each instruction is pushed at most once per position, plus the ALT it came from.
    this.stack = new Int32Array(inst.length * 2 + 2)
    this.current = new Threads(inst.length)
    this.next = new Threads(inst.length)
  }

  /** Thread steps (and instructions reset) of the last search: at most program size × (characters read + 1). */
  work = 0

  /**
   * The leftmost-first match starting at or after `from`, as offsets of `s`; with `any`, the
   * first match found, whatever its place (enough to tell whether there is one).
   */
  search(s: string, from: number, any: boolean): [number, number] | undefined {
    this.mark.fill(-1)
    let work = this.inst.length
    let list = this.current
    let next = this.next
    list.length = 0
    let match: [number, number] | undefined
    let before = runeBefore(s, from)
    for (let pos = from; ; ) {
      const rune = pos < s.length ? (s.codePointAt(pos) as number) : -1
      const step = rune < 0 ? 0 : width(rune)
      // A match starting here has the lowest priority: earlier starts win (leftmost).
      if (match === undefined) this.add(list, this.entry, pos, pos, context(before, rune))
      if (list.length === 0 && (match !== undefined || rune < 0)) break
      next.length = 0
      const after = rune < 0 ? -1 : pos + step < s.length ? (s.codePointAt(pos + step) as number) : -1
      const ahead = rune < 0 ? 0 : context(rune, after)
      work += list.length
      for (let i = 0; i < list.length; i++) {
        const inst = this.inst[list.pc[i] as number] as Inst
        if (inst.op === MATCH) {
          match = [list.start[i] as number, pos]
          // Threads of lower priority cannot give the leftmost-first match.
          break
        }
        if (rune >= 0 && reads(inst, rune)) this.add(next, inst.out, list.start[i] as number, pos + step, ahead)
      }
      if (rune < 0 || (any && match !== undefined)) break
      const swap = list
      list = next
      next = swap
      before = rune
      pos += step
    }
    list.length = 0
    next.length = 0
    this.work = work
    return match
  }

  /** Adds the thread at `pc` and every instruction it reaches without reading (in priority order) to `list`. */
  private add(list: Threads, pc: number, start: number, pos: number, flags: number): void {
    const { inst, mark, stack } = this
    let top = 0
    stack[top++] = pc
    while (top > 0) {
      const at = stack[--top] as number
      if (mark[at] === pos) continue
      mark[at] = pos
      const ins = inst[at] as Inst
      switch (ins.op) {
        case ALT:
        case ALT_MATCH:
          // `out` is preferred: pushed last, taken first.
          stack[top++] = ins.arg
          stack[top++] = ins.out
          break
        case NOP:
        case CAPTURE:
          stack[top++] = ins.out
          break
        case EMPTY_WIDTH:
          if ((ins.arg & ~flags) === 0) stack[top++] = ins.out
          break
        case FAIL:
          break
        default:
          // MATCH and the instructions that read a character.
          list.pc[list.length] = at
          list.start[list.length] = start
          list.length++
      }
    }
  }
}

