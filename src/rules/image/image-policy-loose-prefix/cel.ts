/**
 * The image prefixes a CEL admission expression allows by, read without evaluating it: string
 * literals passed to `startsWith` (and anchored literal `matches` patterns) on an image, where a
 * true result admits. A small parser of its own rather than the policy engine's CEL library: a
 * scan loads no CEL library unless it is given policies, and this rule runs in every scan.
 *
 * Conservative by design: an expression that does not parse, or a call whose result is compared,
 * counted or negated an odd number of times (a deny list), gives nothing.
 */
import type { Path } from '../../../types.js';

/** One CEL expression of a policy, with where it is and how a message names it. */
export interface CelSource {
  expression: string;
  path: Path;
  label: string;
}

/** A literal an expression allows images by: a `startsWith` prefix, or an anchored regex and its literal prefix. */
export interface CelPrefix {
  kind: 'prefix' | 'pattern';
  /** The literal as written (decoded): the prefix, or the whole regex. */
  entry: string;
  prefix: string;
  /** The expression the literal is written in, and its label. */
  path: Path;
  label: string;
}

type Node =
  | { t: 'str'; value: string | undefined }
  | { t: 'lit' }
  | { t: 'id'; name: string }
  | { t: 'sel'; target: Node; field: string }
  | { t: 'call'; name: string; target: Node | undefined; args: Node[] }
  | { t: 'op'; op: string; args: Node[] };

type Token = { k: 'id' | 'p'; v: string } | { k: 'str'; v: string | undefined } | { k: 'num' };

/** Nesting beyond this is refused, as cel-js refuses it (its maxDepth); it keeps the recursion off the stack limit. */
const MAX_DEPTH = 250;
/** Tokens per expression, as cel-js refuses more than 100,000 AST nodes: a bound on hostile input, far above real policies. */
const MAX_TOKENS = 100_000;
/** Steps of the analysis per policy; far above any real policy, it bounds pathological ones. */
const MAX_STEPS = 200_000;
/** Nesting of the analysis (variables read variables); far above what a real policy needs. */
const MAX_NESTING = 1_000;

class Stop extends Error {}

const ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', "'": "'", '"': '"', '`': '`', '?': '?',
};
const PUNCT2 = new Set(['&&', '||', '==', '!=', '<=', '>=']);
const PUNCT1 = new Set([...'!?:.,()[]{}<>+-*/%']);

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}
function isIdentPart(c: string): boolean {
  return isIdentStart(c) || (c >= '0' && c <= '9');
}
function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** A string literal from `at` (its opening quote); `value` undefined for bytes. Returns the index after it. */
function readString(src: string, at: number, raw: boolean, bytes: boolean): { value: string | undefined; end: number } {
  const quote = src.charCodeAt(at);
  const close = src.slice(at, at + 3) === String.fromCharCode(quote).repeat(3) ? src.slice(at, at + 3) : src.slice(at, at + 1);
  const triple = close.length === 3;
  let i = at + close.length;
  let out = '';
  let chunk = i;
  for (;;) {
    if (i >= src.length) throw new Stop();
    const code = src.charCodeAt(i);
    if (code === quote && (!triple || src.startsWith(close, i))) return { value: bytes ? undefined : out + src.slice(chunk, i), end: i + close.length };
    if (!triple && (code === 10 || code === 13)) throw new Stop();
    if (code !== 92 || raw) {
      i++;
      continue;
    }
    out += src.slice(chunk, i);
    const e = src[i + 1] ?? '';
    const simple = ESCAPES[e];
    if (simple !== undefined) {
      out += simple;
      i += 2;
    } else {
      const width = e === 'x' || e === 'X' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
      const digits = width > 0 ? src.slice(i + 2, i + 2 + width) : src.slice(i + 1, i + 4);
      const code = width > 0 ? (digits.length === width && /^[0-9a-fA-F]+$/.test(digits) ? parseInt(digits, 16) : NaN) : /^[0-3][0-7]{2}$/.test(digits) ? parseInt(digits, 8) : NaN;
      if (Number.isNaN(code) || code > 0x10ffff) throw new Stop();
      out += String.fromCodePoint(code);
      i += width > 0 ? 2 + width : 4;
    }
    chunk = i;
  }
}

/** The tokens of a CEL expression, one at a time (an early error stops reading); throws Stop on what CEL does not allow. */
class Lexer {
  private i = 0;
  private count = 0;
  constructor(private readonly src: string) {}

  next(): Token | undefined {
    const src = this.src;
    let i = this.i;
    for (;;) {
      const code = src.charCodeAt(i);
      // Spaces, \t, \n, \v, \f, \r.
      if (code === 32 || (code >= 9 && code <= 13)) i++;
      else if (code === 47 && src.charCodeAt(i + 1) === 47) {
        const nl = src.indexOf('\n', i);
        i = nl === -1 ? src.length : nl;
      } else break;
    }
    if (i >= src.length) {
      this.i = i;
      return undefined;
    }
    if (++this.count > MAX_TOKENS) throw new Stop();
    const c = src[i] ?? '';
    let token: Token;
    if (c === "'" || c === '"') {
      const s = readString(src, i, false, false);
      token = { k: 'str', v: s.value };
      i = s.end;
    } else if (isIdentStart(c)) {
      let j = i + 1;
      while (j < src.length && isIdentPart(src[j] ?? '')) j++;
      const word = src.slice(i, j);
      const q = src[j];
      if ((q === "'" || q === '"') && /^(?:[rR]|[bB]|[rR][bB]|[bB][rR])$/.test(word)) {
        const s = readString(src, j, /[rR]/.test(word), /[bB]/.test(word));
        token = { k: 'str', v: s.value };
        i = s.end;
      } else {
        token = word === 'true' || word === 'false' || word === 'null' ? { k: 'num' } : { k: 'id', v: word };
        i = j;
      }
    } else if (isDigit(c) || (c === '.' && isDigit(src[i + 1]))) {
      const hex = c === '0' && (src[i + 1] === 'x' || src[i + 1] === 'X');
      let j = i + 1;
      while (j < src.length) {
        const d = src[j] ?? '';
        if (isIdentPart(d) || (d === '.' && isDigit(src[j + 1]))) j++;
        else if ((d === '+' || d === '-') && !hex && (src[j - 1] === 'e' || src[j - 1] === 'E')) j++;
        else break;
      }
      token = { k: 'num' };
      i = j;
    } else if (c === '`') {
      const end = src.indexOf('`', i + 1);
      if (end === -1) throw new Stop();
      token = { k: 'id', v: src.slice(i + 1, end) };
      i = end + 1;
    } else if (PUNCT2.has(src.slice(i, i + 2))) {
      token = { k: 'p', v: src.slice(i, i + 2) };
      i += 2;
    } else if (PUNCT1.has(c)) {
      token = { k: 'p', v: c };
      i++;
    } else {
      throw new Stop();
    }
    this.i = i;
    return token;
  }
}

const RELATIONS = new Set(['==', '!=', '<', '<=', '>', '>=']);

/** A recursive-descent parser of CEL's grammar, keeping only what the analysis reads. */
class Parser {
  private depth = 0;
  private current: Token | undefined;
  constructor(private readonly lexer: Lexer) {
    this.current = lexer.next();
  }

  parse(): Node {
    const node = this.expr();
    if (this.current !== undefined) throw new Stop();
    return node;
  }

  private peek(): Token | undefined {
    return this.current;
  }
  private advance(): void {
    this.current = this.lexer.next();
  }
  private eat(p: string): boolean {
    const t = this.current;
    if (t?.k === 'p' && t.v === p) {
      this.advance();
      return true;
    }
    return false;
  }
  private expect(p: string): void {
    if (!this.eat(p)) throw new Stop();
  }
  private ident(): string {
    const t = this.current;
    if (t?.k !== 'id') throw new Stop();
    this.advance();
    return t.v;
  }
  private nested<T>(f: () => T): T {
    if (++this.depth > MAX_DEPTH) throw new Stop();
    const out = f();
    this.depth--;
    return out;
  }

  private expr(): Node {
    return this.nested(() => {
      const cond = this.binary(0);
      if (!this.eat('?')) return cond;
      const yes = this.expr();
      this.expect(':');
      return { t: 'op', op: '?:', args: [cond, yes, this.expr()] };
    });
  }

  /** Levels: 0 `||`, 1 `&&`, 2 relations, 3 `+ -`, 4 `* / %`. */
  private binary(level: number): Node {
    if (level > 4) return this.unary();
    let left = this.binary(level + 1);
    let chain: string | undefined;
    for (;;) {
      const t = this.peek();
      const op = t === undefined ? undefined : t.k === 'p' ? t.v : t.k === 'id' && t.v === 'in' ? 'in' : undefined;
      const here =
        level === 0 ? op === '||' : level === 1 ? op === '&&' : level === 2 ? op !== undefined && (RELATIONS.has(op) || op === 'in') : level === 3 ? op === '+' || op === '-' : op === '*' || op === '/' || op === '%';
      if (!here || op === undefined) return left;
      this.advance();
      const right = this.binary(level + 1);
      // Chains become one n-ary node, so that a long `a || b || …` never nests the analysis.
      if (chain === op && left.t === 'op') left.args.push(right);
      else left = { t: 'op', op, args: [left, right] };
      chain = op;
    }
  }

  private unary(): Node {
    if (this.eat('!')) return this.nested(() => ({ t: 'op', op: '!', args: [this.unary()] }));
    if (this.eat('-')) return this.nested(() => ({ t: 'op', op: '-', args: [this.unary()] }));
    return this.member();
  }

  private args(close: string): Node[] {
    const out: Node[] = [];
    while (!this.eat(close)) {
      if (out.length > 0) {
        this.expect(',');
        if (this.eat(close)) break;
      }
      this.eat('?'); // optional list element or map key
      out.push(this.expr());
    }
    return out;
  }

  private member(): Node {
    let node = this.primary();
    // Each selection, call and index nests one level deeper, as cel-js and cel-go count them.
    for (let links = this.depth; ; links++) {
      if (links > MAX_DEPTH) throw new Stop();
      if (this.eat('.')) {
        this.eat('?');
        const name = this.ident();
        node = this.eat('(') ? { t: 'call', name, target: node, args: this.args(')') } : { t: 'sel', target: node, field: name };
      } else if (this.eat('[')) {
        this.eat('?');
        node = { t: 'op', op: '[]', args: [node, this.expr()] };
        this.expect(']');
      } else if ((node.t === 'id' || node.t === 'sel') && this.eat('{')) {
        node = { t: 'op', op: 'struct', args: this.fields() };
      } else {
        return node;
      }
    }
  }

  /** Map entries or message fields: `key: value`, with `?` optional keys; the keys are kept as values. */
  private fields(): Node[] {
    const out: Node[] = [];
    while (!this.eat('}')) {
      if (out.length > 0) {
        this.expect(',');
        if (this.eat('}')) break;
      }
      this.eat('?');
      out.push(this.expr());
      this.expect(':');
      out.push(this.expr());
    }
    return out;
  }

  private primary(): Node {
    const t = this.peek();
    if (t === undefined) throw new Stop();
    this.advance();
    if (t.k === 'str') return { t: 'str', value: t.v };
    if (t.k === 'num') return { t: 'lit' };
    if (t.k === 'id') return this.eat('(') ? { t: 'call', name: t.v, target: undefined, args: this.args(')') } : { t: 'id', name: t.v };
    if (t.v === '(') {
      const inner = this.expr();
      this.expect(')');
      return inner;
    }
    if (t.v === '[') return { t: 'op', op: 'list', args: this.args(']') };
    if (t.v === '{') return { t: 'op', op: 'map', args: this.fields() };
    if (t.v === '.') return { t: 'id', name: this.ident() };
    throw new Stop();
  }
}

/** The parsed expression, or undefined when it is not valid CEL (or nests too deeply). */
function parse(expression: string): Node | undefined {
  try {
    return new Parser(new Lexer(expression)).parse();
  } catch (e) {
    if (e instanceof Stop) return undefined;
    throw e;
  }
}

/**
 * The literal prefix of an anchored regex that is nothing but that prefix, optionally followed by
 * `.*` or `.+` (`^registry\.example\.com/team`); undefined for anything else (classes, groups,
 * alternatives, flags, `$`), whose meaning this rule does not judge.
 */
export function regexPrefix(pattern: string): string | undefined {
  if (!pattern.startsWith('^')) return undefined;
  let prefix = '';
  let i = 1;
  for (; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next === undefined || isIdentPart(next) || next === ' ') return undefined;
      prefix += next;
      i++;
    } else if ('.^$|?*+()[]{}'.includes(c)) {
      break;
    } else {
      prefix += c;
    }
  }
  const rest = pattern.slice(i);
  return rest === '' || rest === '.*' || rest === '.+' ? prefix : undefined;
}

/** A name that denotes an image or images: `image`, `images`, `containerImage`. */
function imageName(name: string): boolean {
  return /images?$/i.test(name);
}

/** What an identifier is bound to: an element of a range (comprehension) or a value (`cel.bind`). */
type Binding = { elementOf: Node; scope: Scope; where: Where } | { value: Node; scope: Scope; where: Where };
type Scope = ReadonlyMap<string, Binding>;
type Where = { path: Path; label: string };
type Literal = { value: string; where: Where };
/** The place of a binding that is only ever asked whether it is an image, never for its literals. */
const NOWHERE: Where = { path: [], label: '' };

const EMPTY: Scope = new Map();
const PREDICATES = new Set(['all', 'exists', 'exists_one', 'existsOne']);
/** String methods that keep what a string is (a lower-cased image is still the image). */
const SAME_STRING = new Set(['lowerAscii', 'trim']);

class Analysis {
  private steps = MAX_STEPS;
  private depth = 0;
  private readonly walked = new Set<string>();
  readonly found: CelPrefix[] = [];

  constructor(private readonly variables: ReadonlyMap<string, { node: Node; where: Where }>) {}

  /** Runs one step of the analysis within the step and nesting budgets (variables may refer to each other). */
  private guard<T>(f: () => T): T {
    if (--this.steps < 0 || ++this.depth > MAX_NESTING) throw new Stop();
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  /** The variable a `variables.<name>` selection reads. */
  private variable(node: Node): { node: Node; where: Where } | undefined {
    return node.t === 'sel' && node.target.t === 'id' && node.target.name === 'variables' ? this.variables.get(node.field) : undefined;
  }

  /**
   * Walks where a true result admits (`positive`) or denies: through `&&`, `||`, `!`, the branches
   * of `?:`, predicate macros, `cel.bind` and the variables it reads; anything else ends the walk.
   */
  walk(node: Node, positive: boolean, scope: Scope, where: Where): void {
    this.guard(() => {
      if (node.t === 'op') {
        if (node.op === '&&' || node.op === '||') for (const arg of node.args) this.walk(arg, positive, scope, where);
        else if (node.op === '!' && node.args[0] !== undefined) this.walk(node.args[0], !positive, scope, where);
        else if (node.op === '?:') for (const arg of node.args.slice(1)) this.walk(arg, positive, scope, where);
        return;
      }
      const variable = this.variable(node);
      if (variable !== undefined) {
        const key = `${variable.where.label}\0${positive}`;
        if (this.walked.has(key)) return;
        this.walked.add(key);
        this.walk(variable.node, positive, EMPTY, variable.where);
        return;
      }
      if (node.t === 'call') this.walkCall(node, positive, scope, where);
    });
  }

  private walkCall({ name, target, args }: Extract<Node, { t: 'call' }>, positive: boolean, scope: Scope, where: Where): void {
    if (target !== undefined && PREDICATES.has(name) && (args.length === 2 || args.length === 3)) {
      const [first] = args;
      const element = args[args.length - 2];
      const body = args[args.length - 1];
      if (element?.t !== 'id' || body === undefined) return;
      const inner = new Map(scope);
      // The two-variable forms bind an index or key first: it shadows, and is no image.
      if (first !== element && first?.t === 'id') inner.delete(first.name);
      inner.set(element.name, { elementOf: target, scope, where });
      this.walk(body, positive, inner, where);
    } else if (target?.t === 'id' && target.name === 'cel' && name === 'bind' && args.length === 3) {
      const [id, value, body] = args;
      if (id?.t === 'id' && value !== undefined && body !== undefined) this.walk(body, positive, new Map(scope).set(id.name, { value, scope, where }), where);
    } else if (positive && name === 'startsWith' && target !== undefined && args[0] !== undefined && args.length === 1) {
      if (!this.isImage(target, scope)) return;
      for (const s of this.strings(args[0], scope, where)) this.found.push({ kind: 'prefix', entry: s.value, prefix: s.value, ...s.where });
    } else if (positive && name === 'matches') {
      // `s.matches(re)` or `matches(s, re)`.
      const [subject, regex] = target === undefined ? args : [target, args[0]];
      if (subject === undefined || regex === undefined || args.length !== (target === undefined ? 2 : 1) || !this.isImage(subject, scope)) return;
      for (const s of this.strings(regex, scope, where)) {
        const prefix = regexPrefix(s.value);
        if (prefix !== undefined) this.found.push({ kind: 'pattern', entry: s.value, prefix, ...s.where });
      }
    }
  }

  /** Whether a selection is named for images (`c.image`, `x.images`), or reads a variable whose expression `holds` accepts. */
  private named(node: Node, holds: (expression: Node) => boolean): boolean {
    if (node.t === 'sel' && imageName(node.field)) return true;
    const variable = this.variable(node);
    return variable !== undefined && holds(variable.node);
  }

  /** Whether a string-valued expression is an image: `c.image`, `image`, an element of a list of images. */
  private isImage(node: Node, scope: Scope): boolean {
    return this.guard(() => {
      if (node.t === 'sel') return this.named(node, (n) => this.isImage(n, EMPTY));
      if (node.t === 'id') {
        if (imageName(node.name)) return true;
        const bound = scope.get(node.name);
        if (bound === undefined) return false;
        return 'value' in bound ? this.isImage(bound.value, bound.scope) : this.holdsImages(bound.elementOf, bound.scope);
      }
      if (node.t === 'op' && node.op === '[]') {
        const [list, index] = node.args;
        return (index?.t === 'str' && index.value !== undefined && imageName(index.value)) || (list !== undefined && this.holdsImages(list, scope));
      }
      if (node.t !== 'call') return false;
      if (node.target !== undefined) return SAME_STRING.has(node.name) && node.args.length === 0 && this.isImage(node.target, scope);
      return node.name === 'string' && node.args[0] !== undefined && node.args.length === 1 && this.isImage(node.args[0], scope);
    });
  }

  /** Whether a list-valued expression holds images: `containers.map(c, c.image)`, `variables.images`, a list of them. */
  private holdsImages(node: Node, scope: Scope): boolean {
    return this.guard(() => {
      if (node.t === 'sel') return this.named(node, (n) => this.holdsImages(n, EMPTY));
      if (node.t === 'id') {
        const bound = scope.get(node.name);
        if (bound === undefined) return false;
        if ('value' in bound) return this.holdsImages(bound.value, bound.scope);
        // An element of a list of lists: `[a.map(c, c.image), b].all(l, l.all(i, ...))`.
        const outer = bound.elementOf;
        return outer.t === 'op' && outer.op === 'list' && outer.args.some((item) => this.holdsImages(item, bound.scope));
      }
      if (node.t === 'op') {
        if (node.op === 'list') return node.args.some((item) => this.isImage(item, scope));
        return node.op === '+' && node.args.some((side) => this.holdsImages(side, scope));
      }
      if (node.t !== 'call' || node.target === undefined) return false;
      if (node.name === 'filter' && node.args.length === 2) return this.holdsImages(node.target, scope);
      if (node.name !== 'map' || (node.args.length !== 2 && node.args.length !== 3)) return false;
      const [element] = node.args;
      const transform = node.args[node.args.length - 1];
      if (element?.t !== 'id' || transform === undefined) return false;
      return this.isImage(transform, new Map(scope).set(element.name, { elementOf: node.target, scope, where: NOWHERE }));
    });
  }

  /** The string literals an argument can be: the literal itself, or the literal elements of the list a comprehension variable ranges over. */
  private strings(node: Node, scope: Scope, where: Where): Literal[] {
    return this.guard(() => {
      if (node.t === 'str') return node.value === undefined ? [] : [{ value: node.value, where }];
      const variable = this.variable(node);
      if (variable !== undefined) return this.strings(variable.node, EMPTY, variable.where);
      if (node.t !== 'id') return [];
      const bound = scope.get(node.name);
      if (bound === undefined) return [];
      return 'value' in bound ? this.strings(bound.value, bound.scope, bound.where) : this.elements(bound.elementOf, bound.scope, bound.where);
    });
  }

  /** The string literal elements of a list-valued expression: a list literal, a concatenation of them, a variable or binding holding one. */
  private elements(node: Node, scope: Scope, where: Where): Literal[] {
    return this.guard(() => {
      const variable = this.variable(node);
      if (variable !== undefined) return this.elements(variable.node, EMPTY, variable.where);
      if (node.t === 'op' && node.op === 'list') return node.args.flatMap((item) => (item.t === 'str' ? this.strings(item, scope, where) : []));
      if (node.t === 'op' && node.op === '+') return node.args.flatMap((side) => this.elements(side, scope, where));
      const bound = node.t === 'id' ? scope.get(node.name) : undefined;
      return bound !== undefined && 'value' in bound ? this.elements(bound.value, bound.scope, bound.where) : [];
    });
  }
}

/**
 * The image prefixes the validation expressions of a policy allow by, with the variables they
 * read (`variables.<name>`); each literal is reported once, at the expression it is written in.
 */
export function celImagePrefixes(validations: readonly CelSource[], variables: ReadonlyMap<string, CelSource>): CelPrefix[] {
  const parsed = new Map<string, { node: Node; where: Where }>();
  for (const [name, source] of variables) {
    const node = parse(source.expression);
    if (node !== undefined) parsed.set(name, { node, where: { path: source.path, label: source.label } });
  }
  const analysis = new Analysis(parsed);
  try {
    for (const source of validations) {
      const node = parse(source.expression);
      if (node !== undefined) analysis.walk(node, true, EMPTY, { path: source.path, label: source.label });
    }
  } catch (e) {
    // A policy past the step budget is reported as far as it was read.
    if (!(e instanceof Stop)) throw e;
  }
  const seen = new Set<string>();
  return analysis.found.filter((f) => {
    const key = `${f.label}\0${f.kind}\0${f.entry}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
