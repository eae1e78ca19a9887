/**
 * Fixing one document: its findings' fixes applied to its value, the text edited to match
 * (`DocumentEditor`), parsed again and compared. When the fixes fail together (one touches an
 * aliased field, say), each is kept or refused as if they were tried one at a time in order, each
 * on top of those kept before it; but in time linear in the document, not in the document times
 * the findings:
 * - each fix is first tried alone on the region of the document it changes (`DocumentEditor.trial`),
 *   which refuses, in one pass, the fixes whose own edit fails;
 * - the others are tried together; when that fails, the fixes whose region holds the failure are
 *   set apart and the rest tried again, then those, halving a set when the failure does not tell
 *   which of its fixes is to blame. Past a budget of work, the fixes left undecided are refused.
 */
import { MamoriError } from '../errors.js';
import type { PatchOperation } from '../engine/rule.js';
import type { LoadLimits } from '../load/limits.js';
import { parseDocument, splitDocuments } from '../load/parse.js';
import type { Finding, JsonValue } from '../types.js';
import { parsePointer } from './ops.js';
import { applyPatchInPlace, cloneJson, jsonEqual, PatchError } from './patch.js';
import { DocumentEditor, EditError } from './yaml-edit.js';

/** A finding whose fix was not applied, and why. */
export interface SkippedFix {
  finding: Finding;
  reason: string;
}

/** A finding with its fix's operations, their paths from the document's root. */
export interface DocumentFix {
  finding: Finding;
  ops: PatchOperation[];
}

/** What fixing a document did: its new text (undefined when unchanged), and the fixes applied and not. */
export interface DocumentResult {
  text: string | undefined;
  applied: Finding[];
  skipped: SkippedFix[];
}

/** Fields that mean the same absent as empty, so a fix that empties one removes it. */
const PRUNABLE: ReadonlySet<string> = new Set(['securityContext', 'capabilities', 'seLinuxOptions', 'annotations']);

const isMapping = (value: unknown): value is Record<string, JsonValue> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const nonEmptyMapping = (value: unknown): value is Record<string, JsonValue> => isMapping(value) && Object.keys(value).length > 0;

/** Removes from `after` (in place) the PRUNABLE fields that were not empty in `before` and are now. */
function pruneEmptied(before: JsonValue | undefined, after: JsonValue): void {
  if (Array.isArray(after)) {
    if (Array.isArray(before)) after.forEach((item, i) => pruneEmptied(before[i], item));
    return;
  }
  if (!isMapping(after) || !isMapping(before)) return;
  for (const [key, value] of Object.entries(after)) {
    const old = before[key];
    if (old === undefined || old === value) continue;
    pruneEmptied(old, value);
    if (PRUNABLE.has(key) && isMapping(value) && Object.keys(value).length === 0 && nonEmptyMapping(old)) delete after[key];
  }
}

/** True when `pruneEmptied(before, after)` would leave the mapping `after` empty (every member of it pruned). */
function prunedEmpty(before: JsonValue | undefined, after: JsonValue | undefined): boolean {
  if (!isMapping(after) || !isMapping(before)) return false;
  for (const [key, value] of Object.entries(after)) {
    const old = before[key];
    if (!PRUNABLE.has(key) || !isMapping(value) || old === value || !nonEmptyMapping(old) || !prunedEmpty(old, value)) return false;
  }
  return true;
}

/** A copy of `work` with the fields its fixes emptied removed: the value the edited text must hold. */
function fixedValue(before: JsonValue, work: JsonValue): JsonValue {
  const after = cloneJson(work);
  pruneEmptied(before, after);
  return after;
}

/** The value at the first `depth` tokens of `path`, or undefined. */
function valueAt(root: JsonValue | undefined, path: readonly string[], depth = path.length): JsonValue | undefined {
  let node = root;
  for (let i = 0; i < depth && node !== undefined; i++) {
    const token = path[i] as string;
    node = Array.isArray(node) ? node[/^(?:0|[1-9][0-9]*)$/.test(token) ? Number(token) : -1] : isMapping(node) && Object.hasOwn(node, token) ? node[token] : undefined;
  }
  return node;
}

/** A region, lifted above the first field on its path that the fixes empty: the field is removed from its parent. */
function lifted(region: readonly string[], before: JsonValue, work: JsonValue): string[] {
  for (let depth = 1; depth <= region.length; depth++) {
    if (PRUNABLE.has(region[depth - 1] as string) && nonEmptyMapping(valueAt(before, region, depth)) && prunedEmpty(valueAt(before, region, depth), valueAt(work, region, depth))) {
      return region.slice(0, depth - 1);
    }
  }
  return [...region];
}

/**
 * The region of the document a fix changes: the deepest node holding all its changes (an `add` of
 * an empty parent that already exists changes nothing), `lifted`.
 */
function regionOf(ops: readonly PatchOperation[], before: JsonValue, work: JsonValue): string[] {
  let region: string[] | undefined;
  for (const op of ops) {
    const tokens = parsePointer(op.path) ?? [];
    if (op.op === 'test') continue;
    if (op.op === 'add' && isMapping(op.value) && Object.keys(op.value).length === 0 && isMapping(valueAt(before, tokens))) continue;
    const parent = tokens.slice(0, -1);
    if (region === undefined) region = parent;
    else {
      let n = 0;
      while (n < region.length && n < parent.length && region[n] === parent[n]) n++;
      region.length = n;
    }
  }
  region ??= (parsePointer(ops[0]?.path ?? '') ?? []).slice(0, -1);
  return lifted(region, before, work);
}

/**
 * The paths of the collections that the value reaches by more than one path (an alias, or a merge
 * key, gives the same object in several places), each in the order the diff meets them. Inside
 * such a collection, only its first place is walked.
 */
function sharedPlaces(root: JsonValue): Map<object, string[][]> {
  const seen = new Set<object>();
  const shared = new Set<object>();
  const mark = (value: JsonValue): void => {
    if (typeof value !== 'object' || value === null) return;
    if (seen.has(value)) shared.add(value);
    else {
      seen.add(value);
      for (const child of Array.isArray(value) ? value : Object.values(value)) mark(child);
    }
  };
  mark(root);
  const places = new Map<object, string[][]>();
  if (shared.size === 0) return places;
  const walked = new Set<object>();
  const path: string[] = [];
  const visit = (value: JsonValue): void => {
    if (typeof value !== 'object' || value === null) return;
    if (shared.has(value)) {
      const list = places.get(value) ?? [];
      list.push([...path]);
      places.set(value, list);
    }
    if (walked.has(value)) return;
    walked.add(value);
    const entries: [string, JsonValue][] = Array.isArray(value) ? value.map((item, i) => [String(i), item]) : Object.entries(value);
    for (const [key, child] of entries) {
      path.push(key);
      visit(child);
      path.pop();
    }
  };
  visit(root);
  return places;
}

/** Why the edited text does not hold the fixed value. */
const NOT_HELD = 'not edited: the edited text would not hold the fixed object; fix it by hand';

/** An attempt at a set of fixes: the edited text, or why not and where (paths from the root). */
type Attempt = { text: string; size: number } | { reason: string; where: (readonly string[])[] };

/** Paths where two values differ (`path` is where they are): the deepest collections or scalars that are not equal. */
function differences(a: JsonValue | undefined, b: JsonValue | undefined, path: string[], out: string[][]): void {
  if (a === b) return;
  const inner = (key: string, x: JsonValue | undefined, y: JsonValue | undefined): void => {
    path.push(key);
    differences(x, y, path, out);
    path.pop();
  };
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) a.forEach((item, i) => inner(String(i), item, b[i]));
  else if (isMapping(a) && isMapping(b)) for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) inner(key, a[key], b[key]);
  else if (!jsonEqual(a, b)) out.push([...path]);
}

/** A set of paths, to tell in time proportional to a path whether it is related to one of them. */
interface PathTrie {
  end: boolean;
  children: Map<string, PathTrie>;
}

function pathTrie(paths: readonly (readonly string[])[]): PathTrie {
  const root: PathTrie = { end: false, children: new Map() };
  for (const path of paths) {
    let node = root;
    for (const token of path) {
      let child = node.children.get(token);
      if (child === undefined) {
        child = { end: false, children: new Map() };
        node.children.set(token, child);
      }
      node = child;
    }
    node.end = true;
  }
  return root;
}

/** True when some path of the trie is a prefix of `path`, or `path` a prefix of one of them. */
function related(trie: PathTrie, path: readonly string[]): boolean {
  let node = trie;
  for (const token of path) {
    if (node.end) return true;
    const child = node.children.get(token);
    if (child === undefined) return false;
    node = child;
  }
  return true;
}

/** How many places of an aliased collection a fix that changes it is tried in (see `trialAll`). */
const PLACES = 16;

/** Work the fallback may spend on full attempts, in characters of the document checked. */
const BUDGET = 32 * 1024 * 1024;

interface Entry extends DocumentFix {
  /** Position among the document's fixes. */
  index: number;
  /** The region the fix changes (see `regionOf`). */
  region: readonly string[];
}

/** The fixing of one document's text (`source`), which holds `before`. */
class DocumentFixer {
  private readonly editor: DocumentEditor;
  /** Whether each entry is kept (true), refused (a reason), or undecided (undefined). */
  private readonly decided: (true | string | undefined)[];
  /** The text of the last attempt that succeeded: the one holding every kept fix. */
  private kept: { text: string; size: number } | undefined;
  private spent = 0;
  private places: Map<object, string[][]> | undefined;
  private readonly keyIndexes = new WeakMap<object, Map<string, number>>();

  constructor(
    private readonly source: string,
    private readonly before: JsonValue,
    private readonly entries: readonly Entry[],
    private readonly file: string,
    private readonly limits: LoadLimits,
  ) {
    this.editor = new DocumentEditor(source);
    this.decided = entries.map(() => undefined);
  }

  /** Edits the text to hold the fixes of the kept entries and those of `set`, and checks it by parsing it again. */
  private attempt(set: readonly Entry[]): Attempt {
    const trying = new Set(set);
    let patched = cloneJson(this.before);
    for (const entry of this.entries) {
      if (this.decided[entry.index] !== true && !trying.has(entry)) continue;
      try {
        patched = applyPatchInPlace(patched, entry.ops).root;
      } catch (error) {
        if (!(error instanceof PatchError)) throw error;
        return { reason: `its fix does not apply: ${error.message}`, where: [entry.region] };
      }
    }
    return this.check(patched);
  }

  /** Edits the text to hold `patched` (a copy of the document with fixes applied, which this changes), and checks it. */
  private check(patched: JsonValue): Attempt {
    this.spent += this.source.length;
    pruneEmptied(this.before, patched);
    if (jsonEqual(this.before, patched)) return { reason: 'its fix changes nothing', where: [[]] };
    let edited: string;
    try {
      edited = this.editor.edit(this.before, patched);
    } catch (error) {
      if (error instanceof EditError) return { reason: `not edited: ${error.message}; fix it by hand`, where: [error.path ?? []] };
      throw error;
    }
    const chunks = splitDocuments(edited);
    const [chunk] = chunks;
    if (chunks.length !== 1 || chunk === undefined) return { reason: NOT_HELD, where: [[]] };
    let value: unknown;
    try {
      // The size is checked once the fixes are chosen (see `fix`).
      value = parseDocument(edited, chunk, this.file, { ...this.limits, maxDocumentBytes: Infinity });
    } catch (error) {
      if (!(error instanceof MamoriError)) throw error;
      return { reason: NOT_HELD, where: [[]] };
    }
    if (!jsonEqual(value as JsonValue, patched)) {
      const where: string[][] = [];
      differences(value as JsonValue, patched, [], where);
      return { reason: NOT_HELD, where };
    }
    return { text: edited, size: chunk.end - chunk.start };
  }

  /**
   * Decides the entries of `set` (in order) as trying them one at a time on top of the kept ones
   * would: all at once when they succeed; else those related to where the attempt failed apart
   * from the others, or (when that does not split the set) each half in turn.
   */
  private resolve(entries: readonly Entry[]): void {
    // Sets still to decide, the next one last.
    const sets: (readonly Entry[])[] = [entries];
    for (let set = sets.pop(); set !== undefined; set = sets.pop()) {
      if (set.length === 0) continue;
      const attempt = this.attempt(set);
      if ('text' in attempt) {
        for (const entry of set) this.decided[entry.index] = true;
        this.kept = attempt;
        continue;
      }
      if (set.length === 1 || this.spent > BUDGET) {
        for (const entry of set) this.decided[entry.index] = attempt.reason;
        continue;
      }
      const where = pathTrie(attempt.where);
      const blamed = new Set(set.filter((entry) => related(where, entry.region)));
      if (blamed.size > 0 && blamed.size < set.length) sets.push([...blamed], set.filter((entry) => !blamed.has(entry)));
      else {
        const half = Math.ceil(set.length / 2);
        sets.push(set.slice(half), set.slice(0, half));
      }
    }
  }

  /**
   * When a fix changes a collection that the value holds in several places (through an alias), the
   * regions that change with it: one at each place, in the order the diff meets them. Undefined
   * for a fix that changes no such collection.
   */
  private sharedRegions(ops: readonly PatchOperation[], work: JsonValue): Iterable<string[]> | undefined {
    this.places ??= sharedPlaces(this.before);
    if (this.places.size === 0) return undefined;
    const found: { places: string[][]; rest: string[] }[] = [];
    for (const op of ops) {
      const parent = (parsePointer(op.path) ?? []).slice(0, -1);
      let node: JsonValue | undefined = this.before;
      for (let depth = 0; depth <= parent.length && node !== undefined; depth++) {
        const places = typeof node === 'object' && node !== null ? this.places.get(node) : undefined;
        if (places !== undefined) {
          found.push({ places, rest: parent.slice(depth) });
          break;
        }
        node = valueAt(node, parent.slice(depth, depth + 1));
      }
    }
    if (found.length === 0) return undefined;
    // Made one at a time, the places of all the collections in the order the diff meets them: the
    // first (the anchor, most often) usually fails already.
    const region = (f: { places: string[][]; rest: string[] }, n: number): string[] | undefined => {
      const place = f.places[n];
      return place === undefined ? undefined : lifted([...place, ...f.rest], this.before, work);
    };
    const heads = found.map((f) => ({ ...f, next: 0, region: region(f, 0) as string[] }));
    const order = (a: readonly string[], b: readonly string[]): number => this.order(a, b);
    return (function* regions(): Generator<string[]> {
      while (heads.length > 0) {
        const head = heads.reduce((first, h) => (order(h.region, first.region) < 0 ? h : first));
        yield head.region;
        const next = region(head, ++head.next);
        if (next === undefined) heads.splice(heads.indexOf(head), 1);
        else head.region = next;
      }
    })();
  }

  /** The order in which the diff meets two paths: negative when it meets `a` first (a path before those inside it). */
  private order(a: readonly string[], b: readonly string[]): number {
    for (let i = 0; i < a.length && i < b.length; i++) {
      if (a[i] === b[i]) continue;
      const parent = valueAt(this.before, a, i);
      if (Array.isArray(parent)) return Number(a[i]) - Number(b[i]);
      if (!isMapping(parent)) return 0;
      let keys = this.keyIndexes.get(parent);
      if (keys === undefined) {
        keys = new Map(Object.keys(parent).map((key, n) => [key, n]));
        this.keyIndexes.set(parent, keys);
      }
      // Keys the fixes add come after the others.
      return (keys.get(a[i] as string) ?? keys.size) - (keys.get(b[i] as string) ?? keys.size);
    }
    return a.length - b.length;
  }

  /**
   * Tries a fix that changes collections found in several places: in its own region and in each
   * place of those collections (a place inside another is tried with it), in the order the diff
   * meets them, up to the first that fails. Past `PLACES` places it stops: the fix is then decided
   * on the whole document.
   */
  private trialAll(own: readonly string[], places: Iterable<readonly string[]>, work: JsonValue): void {
    const inside = (path: readonly string[], outer: readonly string[]): boolean => outer.length <= path.length && outer.every((token, i) => path[i] === token);
    let pending: readonly string[] | undefined = own;
    let tried = 0;
    for (const place of places) {
      if (++tried > PLACES) return;
      if (pending !== undefined) {
        if (inside(place, pending)) continue;
        if (inside(pending, place)) pending = undefined;
        else if (this.order(pending, place) < 0) {
          this.editor.trial(pending, this.before, work, fixedValue);
          pending = undefined;
        }
      }
      this.editor.trial(place, this.before, work, fixedValue);
    }
    if (pending !== undefined) this.editor.trial(pending, this.before, work, fixedValue);
  }

  /**
   * Tries each fix alone on the region it changes, on top of the fixes before it that passed:
   * refuses those whose edit fails there, and gives the others. A fix that changes a collection
   * found in several places (through an alias) is tried in each of them; when none fails, it is
   * given undecided, for `resolve` to try on the whole document.
   */
  private trials(): Entry[] {
    const passed: Entry[] = [];
    let work = cloneJson(this.before);
    for (const entry of this.entries) {
      const previous = work;
      let undo: () => void;
      try {
        const next = applyPatchInPlace(work, entry.ops);
        work = next.root;
        undo = next.undo;
      } catch (error) {
        if (!(error instanceof PatchError)) throw error;
        this.decided[entry.index] = `its fix does not apply: ${error.message}`;
        continue;
      }
      const shared = this.sharedRegions(entry.ops, work);
      const region = regionOf(entry.ops, this.before, work);
      let refused: string | undefined;
      try {
        if (shared !== undefined) this.trialAll(region, shared, work);
        else {
          const { depth, changed } = this.editor.trial(region, this.before, work, fixedValue);
          entry.region = region.slice(0, depth);
          if (!changed && passed.length === 0) refused = 'its fix changes nothing';
        }
      } catch (error) {
        if (!(error instanceof EditError)) throw error;
        refused = `not edited: ${error.message}; fix it by hand`;
      }
      if (refused === undefined) passed.push(entry);
      else this.decided[entry.index] = refused;
      if (refused !== undefined || shared !== undefined) {
        // (An undecided fix stays out of the value the others are tried on; its region, the root, relates it to any failure.)
        undo();
        work = previous;
      }
    }
    return passed;
  }

  /**
   * Applies the fixes: all of them when they edit cleanly together, else as many as can be (see
   * above). `patched` is the document with all of them applied, in order; this changes it.
   */
  fix(patched: JsonValue): DocumentResult {
    const all = this.entries;
    const first = this.check(patched);
    if ('text' in first) {
      for (const entry of all) this.decided[entry.index] = true;
      this.kept = first;
    } else if (all.length === 1) {
      this.decided[0] = first.reason;
    } else {
      this.resolve(this.trials());
    }
    let text = this.kept?.text;
    const size = this.kept?.size ?? 0;
    if (size > this.limits.maxDocumentBytes) {
      // mamori would not read the fixed document back (nor would the API server take it).
      const reason = `not edited: fixed, the document would be ${size.toLocaleString('en-US')} bytes, over the limit of ${this.limits.maxDocumentBytes.toLocaleString('en-US')}; split it into smaller documents`;
      for (const entry of all) if (this.decided[entry.index] === true) this.decided[entry.index] = reason;
      text = undefined;
    }
    const result: DocumentResult = { text, applied: [], skipped: [] };
    for (const entry of all) {
      const decision = this.decided[entry.index] ?? NOT_HELD;
      if (decision === true) result.applied.push(entry.finding);
      else result.skipped.push({ finding: entry.finding, reason: decision });
    }
    return result;
  }
}

/**
 * Applies `fixes` (in order, each on top of those before it) to the document `source`, which
 * holds `before`: the new text, the fixes applied and those that could not be, with why.
 * `patched` is a copy of `before` with all the fixes applied, which this changes.
 */
export function fixDocument(source: string, before: JsonValue, patched: JsonValue, fixes: readonly DocumentFix[], file: string, limits: LoadLimits): DocumentResult {
  const entries = fixes.map((fix, index): Entry => ({ ...fix, index, region: [] }));
  return new DocumentFixer(source, before, entries, file, limits).fix(patched);
}
