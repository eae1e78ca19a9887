/**
 * RE2 regular expressions for Kubernetes CEL (`matches`, `find`, `findAll`), in time linear in
 * the input whatever the pattern. Kubernetes evaluates them with Go's RE2, which never
 * backtracks; a backtracking engine (JS `RegExp`) would take exponential time on a pattern as
 * ordinary as `^([a-z0-9]+-?)+$` and an object field crafted to fail it, and one such request
 * would stall the admission webhook. Patterns are parsed and compiled by `@bufbuild/re2` (RE2
 * syntax and errors, as Go reports them); `matches` runs its DFA, and `find`/`findAll` run the
 * leftmost-first Pike VM below over the same compiled program, which gives Go's match positions.
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
  /** Successive non-overlapping matches as Go's `FindAllString`, at most `limit` when limit >= 0 (Kubernetes `findAll`). */
  findAll(s: string, limit: number): string[]
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

const cache = new Map<string, Re2 | string>()

/**
 * The evaluation cost charged for running a pattern over `s`: input length × program size / 50
 * (at least a tenth of a step per character). When the DFA gives up (a pattern such as
 * `(a|b)*a(a|b){20}`), the engines do about that much work per character, some 20 ns per
 * character and instruction: a million steps, the default budget, is then about a second.
 */
export function regexCost(s: string, size: number): number {
  return Math.ceil((s.length * Math.max(size, 5)) / 50)
}

/** Compiles an RE2 pattern; returns Go's error message when RE2 rejects it. */
export function compileRe2(pattern: string): Re2 | string {
  const hit = cache.get(pattern)
  if (hit !== undefined) return hit
  const result = compile(pattern)
  if (cache.size > 1000) cache.clear()
  cache.set(pattern, result)
  return result
}

/**
 * The longest pattern compiled. @bufbuild/re2's parser takes time quadratic in a run of literal
 * characters (8,192 of them: about 60 ms; 64,000: 11 s), and a pattern can come from the object
 * under review (`name.matches(object.spec.pattern)`).
 */
export const MAX_PATTERN_LENGTH = 8192

function compile(pattern: string): Re2 | string {
  if (pattern.length > MAX_PATTERN_LENGTH) return `error parsing regexp: expression too large: ${pattern.length} characters, over the limit of ${MAX_PATTERN_LENGTH}`
  // Go names the construct `(?<` for lookbehind; @bufbuild/re2 reads it as a bad group name.
  if (/\(\?<[=!]/.test(pattern) && !/\\\(\?</.test(pattern)) return 'error parsing regexp: invalid or unsupported Perl syntax: `(?<`'
  let compiled: Re2Library.RE2JS
  try {
    compiled = re2Library().RE2JS.compile(pattern)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    // RE2 has no backreferences; say so, as `\1` looks valid to users of other engines.
    return /invalid escape sequence: `\\[1-9]/.test(message) ? `${message} (backreferences are not supported by RE2)` : message
  }
  const prog = (compiled.re2() as unknown as { prog: { inst: Inst[]; start: number } }).prog
  const vm = new PikeVm(prog.inst, prog.start)
  return {
    size: prog.inst.length,
    test: (s) => compiled.test(s),
    find: (s) => {
      if (!compiled.test(s)) return ''
      const m = vm.search(s, 0)
      return m === undefined ? '' : s.slice(m[0], m[1])
    },
    findAll: (s, limit) => (limit === 0 || !compiled.test(s) ? [] : findAll(vm, s, limit)),
  }
}

/** Go's `FindAllString`: an empty match right after the previous match is skipped. */
function findAll(vm: PikeVm, s: string, limit: number): string[] {
  const out: string[] = []
  let prevEnd = -1
  for (let pos = 0; pos <= s.length; ) {
    const m = vm.search(s, pos)
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

  /** The leftmost-first match starting at or after `from`, as offsets of `s`. */
  search(s: string, from: number): [number, number] | undefined {
    this.mark.fill(-1)
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
      for (let i = 0; i < list.length; i++) {
        const inst = this.inst[list.pc[i] as number] as Inst
        if (inst.op === MATCH) {
          match = [list.start[i] as number, pos]
          // Threads of lower priority cannot give the leftmost-first match.
          break
        }
        if (rune >= 0 && reads(inst, rune)) this.add(next, inst.out, list.start[i] as number, pos + step, ahead)
      }
      if (rune < 0) break
      const swap = list
      list = next
      next = swap
      before = rune
      pos += step
    }
    list.length = 0
    next.length = 0
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

