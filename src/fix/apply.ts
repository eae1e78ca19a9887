/**
 * `mamori fix`: applies the findings' automatic fixes (JSON Patch operations declared by the rules)
 * to the manifests they were found in. Each document that changes is edited in place with minimal
 * text edits (`fixDocument`), then parsed again and compared with the patched object; the other
 * documents of the file are never touched, byte for byte. Fixes can enable one another (a container
 * can get `allowPrivilegeEscalation: false` only once it is no longer privileged), so fixing runs in
 * rounds, rescanning the edited texts, until no fix changes anything.
 */
import { LINE_TERMINATOR, lineStarts } from '../text.js';
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { PatchOperation } from '../engine/rule.js';
import { scanTexts, type ScanOptions } from '../engine/scan.js';
import { fingerprint } from '../engine/fingerprint.js';
import { DEFAULT_LIMITS, type LoadLimits } from '../load/limits.js';
import { loadText, type LoadedFile } from '../load/load.js';
import { parseDocument, splitDocuments } from '../load/parse.js';
import type { LoadedObject } from '../load/types.js';
import type { Finding, JsonValue, ObjectRef, Report } from '../types.js';
import { fixDocument, type DocumentFix, type SkippedFix } from './document.js';
import { FixExceptions } from './exceptions.js';
import { pointer, wrongTypeOnPath } from './ops.js';
import { applyPatchInPlace, cloneJson, PatchError, prefixPatch } from './patch.js';

export type { SkippedFix } from './document.js';

/** What fixing one file's text did. */
export interface FileFixResult {
  file: string;
  /** The new text; the same string when nothing changed. */
  text: string;
  /** Findings whose fix was applied. */
  applied: Finding[];
  skipped: SkippedFix[];
}

/** True for a finding that carries an automatic fix. */
export function hasFix(finding: Finding): boolean {
  return finding.fix !== undefined && finding.fix.length > 0;
}

/** A finding's fix as typed patch operations. */
function operations(finding: Finding): PatchOperation[] {
  return (finding.fix ?? []).map((op): PatchOperation => {
    if (op.op === 'remove') return { op: 'remove', path: op.path };
    if (op.value === undefined) throw new PatchError(`${op.op} ${op.path} has no value`);
    return { op: op.op, path: op.path, value: op.value };
  });
}

/**
 * `/\{\{.*\}\}/.test(line)` in linear time: a `{{` and, after it, a `}}` with no line terminator
 * between them (`.` matches none). The regex retries from every `{`, quadratic on a long line of
 * them; the first `{{` of each terminator-free stretch is the best start.
 */
function hasTemplate(line: string): boolean {
  for (const part of line.split(LINE_TERMINATOR)) {
    const open = part.indexOf('{{');
    if (open !== -1 && part.indexOf('}}', open + 2) !== -1) return true;
  }
  return false;
}

/**
 * The characters that YAML does not allow in a stream (C0 controls other than TAB, LF and CR; DEL;
 * C1 controls other than NEL), and a carriage return that does not end a line (`\r\n`). Printed
 * as they are, they drive the terminal that shows the diff (ESC starts escape sequences, a lone CR
 * returns to the start of the line and hides what came before it).
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f]|\r(?!\n)/;

/**
 * Why a text holds a character that must never be printed nor written by `mamori fix` (`CONTROL`):
 * the line and the character as U+XXXX; undefined when it holds none.
 */
export function controlCharacter(text: string): string | undefined {
  const found = CONTROL.exec(text);
  if (found === null) return undefined;
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < found.index; i = text.indexOf('\n', i + 1)) line++;
  const code = `U+${(found[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
  if (found[0] === '\r') return `line ${line} holds a carriage return (${code}) that does not end the line, which would hide the text before it on a terminal; end lines with LF or CRLF`;
  return `line ${line} holds the control character ${code}, which YAML does not allow in a file; remove it, or write it as an escape (\\x${code.slice(4).toLowerCase()}) in a double-quoted string`;
}

/**
 * Why a file must not be edited as a manifest, or undefined: a file holding a control character
 * that YAML does not allow (`controlCharacter`) is refused, so that the diff never carries it to a
 * terminal; a Helm chart template (a file under `templates/` next to a Chart.yaml, or text with
 * `{{ ... }}` outside comments) is the source of manifests, not one; fixing it belongs in the
 * chart's values or templates by hand.
 */
export function notEditable(file: string, text: string): string | undefined {
  const control = controlCharacter(text);
  if (control !== undefined) return control;
  const dir = dirname(file);
  if (basename(dir) === 'templates' && existsSync(join(dirname(dir), 'Chart.yaml'))) return 'a Helm chart template (render the chart, or fix the chart by hand)';
  for (const line of text.split('\n')) {
    if (!line.trimStart().startsWith('#') && hasTemplate(line)) return 'it holds template syntax ({{ ... }}): fix its source instead';
  }
  return undefined;
}

const sameRef = (a: ObjectRef, b: ObjectRef): boolean =>
  a.apiVersion === b.apiVersion && a.kind === b.kind && a.name === b.name && (a.namespace ?? '') === (b.namespace ?? '');

const refKey = (ref: ObjectRef): string => `${ref.apiVersion}\u0000${ref.kind}\u0000${ref.name}\u0000${ref.namespace ?? ''}`;

/** A file's objects by their reference (as `sameRef` compares them), in file order. */
function objectsByRef(loaded: LoadedFile): Map<string, LoadedObject[]> {
  const byRef = new Map<string, LoadedObject[]>();
  for (const object of loaded.objects) {
    const key = refKey(object.ref);
    const list = byRef.get(key);
    if (list !== undefined) list.push(object);
    else byRef.set(key, [object]);
  }
  return byRef;
}

/** The object a finding is about: by its reference, and by its location when several objects share it. */
function objectOf(finding: Finding, loaded: LoadedFile, byRef: ReadonlyMap<string, readonly LoadedObject[]>, starts: readonly number[]): LoadedObject | string {
  let candidates = (byRef.get(refKey(finding.object)) ?? []).filter((o) => sameRef(o.ref, finding.object));
  const location = finding.location;
  if (location !== undefined) {
    const offset = (starts[location.line - 1] ?? Number.NaN) + location.column - 1;
    candidates = candidates.filter((o) => o.source.start <= offset && offset <= o.source.end);
    if (candidates.length > 1 && loaded.locator !== undefined) {
      // Items of one List: the last one starting at or before the finding.
      const locator = loaded.locator;
      const before = candidates.filter((o) => {
        const at = locator.locate(o.source, o.prefix);
        return at.line < location.line || (at.line === location.line && at.column <= location.column);
      });
      candidates = before.slice(-1);
    }
  }
  if (candidates.length === 1 && candidates[0] !== undefined) return candidates[0];
  return candidates.length === 0 ? 'its object is no longer in the file' : 'several objects of the file have its name';
}

/**
 * Applies the fixes of `findings` (all of the file `file`) to its text. Documents whose fixes
 * cannot be applied or edited cleanly are left as they were, their findings listed as skipped.
 */
export function fixText(file: string, text: string, findings: readonly Finding[], limits: LoadLimits = DEFAULT_LIMITS, exceptions?: FixExceptions): FileFixResult {
  const result: FileFixResult = { file, text, applied: [], skipped: [] };
  const fixable = findings.filter(hasFix);
  if (fixable.length === 0) return result;
  const skip = (list: readonly Finding[], reason: string): void => {
    for (const finding of list) result.skipped.push({ finding, reason });
  };
  const refused = notEditable(file, text);
  if (refused !== undefined) {
    skip(fixable, `not edited: ${refused}`);
    return result;
  }
  const loaded = loadText(file, text, limits);
  if (loaded.errors.length > 0) {
    skip(fixable, 'not edited: the file does not parse');
    return result;
  }
  const starts = lineStarts(text);
  const chunks = new Map(splitDocuments(text).map((c) => [c.index, c]));
  const byRef = objectsByRef(loaded);
  // Findings by document, each with its operations and the pointer prefix of its object inside the document.
  const byDocument = new Map<number, { finding: Finding; ops: PatchOperation[]; prefix: string }[]>();
  for (const finding of fixable) {
    const object = objectOf(finding, loaded, byRef, starts);
    if (typeof object === 'string') {
      skip([finding], object);
      continue;
    }
    let ops: PatchOperation[];
    try {
      ops = operations(finding);
    } catch (error) {
      if (!(error instanceof PatchError)) throw error;
      skip([finding], `its fix does not apply: ${error.message}`);
      continue;
    }
    if (exceptions !== undefined) {
      const kept = exceptions.filter(finding, object.object, ops);
      if (kept.ops.length === 0) {
        const names = kept.excepted.map((name) => JSON.stringify(name)).join(', ');
        skip([finding], `an exception of the configuration accepts it in container ${names}, which the fix would change`);
        continue;
      }
      ops = kept.ops;
    }
    const wrong = wrongTypeOnPath(object.object, ops);
    if (wrong !== undefined) {
      skip([finding], `not edited: ${wrong}, and the fix would replace what it holds; correct the field by hand`);
      continue;
    }
    const list = byDocument.get(object.source.document) ?? [];
    list.push({ finding, ops, prefix: pointer(object.prefix) });
    byDocument.set(object.source.document, list);
  }
  const replaced = new Map<number, string>();
  for (const [index, entries] of byDocument) {
    const chunk = chunks.get(index);
    if (chunk === undefined) {
      skip(entries.map((e) => e.finding), 'its document is no longer in the file');
      continue;
    }
    const before = parseDocument(text, chunk, file, limits) as JsonValue;
    // One copy of the document takes every fix in turn (a copy per fix is quadratic in a List).
    let after = cloneJson(before);
    const applicable: DocumentFix[] = [];
    for (const { finding, ops: own, prefix } of entries) {
      try {
        const ops = prefixPatch(own, prefix);
        after = applyPatchInPlace(after, ops).root;
        applicable.push({ finding, ops });
      } catch (error) {
        if (!(error instanceof PatchError)) throw error;
        skip([finding], `its fix does not apply: ${error.message}`);
      }
    }
    if (applicable.length === 0) continue;
    const fixed = fixDocument(text.slice(chunk.start, chunk.end), before, after, applicable, file, limits);
    if (fixed.text !== undefined) replaced.set(index, fixed.text);
    for (const finding of fixed.applied) result.applied.push(finding);
    for (const skipped of fixed.skipped) result.skipped.push(skipped);
  }
  if (replaced.size === 0) return result;
  let out = '';
  let cursor = 0;
  for (const chunk of chunks.values()) {
    const edited = replaced.get(chunk.index);
    if (edited === undefined) continue;
    out += text.slice(cursor, chunk.start) + edited;
    cursor = chunk.end;
  }
  const edited = out + text.slice(cursor);
  // The edits render values escaped; should one still hold a control character, nothing is edited.
  const control = controlCharacter(edited);
  if (control !== undefined) {
    skip(result.applied, `not edited: fixed, the file would hold a control character (${control.slice(0, control.indexOf(','))})`);
    result.applied = [];
    return result;
  }
  result.text = edited;
  return result;
}

/** One input of a fix run. */
export interface FixSource {
  file: string;
  text: string;
  /** Found by walking a directory, not named by the user: passed over when it holds no manifest. */
  walked?: boolean;
  /** Why the file must not be edited, if it must not (it is still scanned with the others). */
  locked?: string;
}

/** What a fix run did to its inputs. */
export interface FixRun {
  /** Every input with its text before and after (the same string when unchanged), in input order. */
  files: { file: string; before: string; after: string }[];
  /** The scan before any fix, and the scan of the fixed texts. */
  initial: Report;
  final: Report;
  /** Findings of the first scan that the fixes removed. */
  fixed: Finding[];
  /** Findings left that have an automatic fix which could not be applied, and why. */
  failed: SkippedFix[];
}

/** A finding's rule, file and object: fixes may move the path a finding points at, never these. */
const findingKey = (f: Finding): string =>
  [f.ruleId, f.location?.file ?? '', f.object.apiVersion, f.object.kind, f.object.namespace ?? '', f.object.name].join('\u0000');

/**
 * The findings of `before` that are not in `after`, counted per rule and object (a fix may move
 * where a finding it does not remove points, as when it adds the securityContext another rule
 * pointed above).
 */
export function gone(before: readonly Finding[], after: readonly Finding[]): Finding[] {
  const left = new Map<string, number>();
  for (const f of after) left.set(findingKey(f), (left.get(findingKey(f)) ?? 0) + 1);
  const out: Finding[] = [];
  for (const f of before) {
    const key = findingKey(f);
    const n = left.get(key) ?? 0;
    if (n > 0) left.set(key, n - 1);
    else out.push(f);
  }
  return out;
}

/** The length of the common beginning of two strings. */
function commonPrefix(a: string, b: string): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

/**
 * The findings of `after` (a scan of fixed texts) located where they are in the texts before the
 * fixes: at the finding of `before` with the same fingerprint, else at the one of the same rule and
 * object whose path shares the longest beginning with its own (a fix moved the field it points at,
 * as when it adds the securityContext a finding pointed above); without a location when `before`
 * has none.
 */
export function locatedBefore(after: readonly Finding[], before: readonly Finding[]): Finding[] {
  const byPrint = new Map<string, Finding>();
  const byKey = new Map<string, Finding[]>();
  for (const f of before) {
    byPrint.set(fingerprint(f), f);
    const list = byKey.get(findingKey(f));
    if (list !== undefined) list.push(f);
    else byKey.set(findingKey(f), [f]);
  }
  return after.map((f) => {
    let original = byPrint.get(fingerprint(f));
    for (const candidate of original === undefined ? (byKey.get(findingKey(f)) ?? []) : []) {
      if (original === undefined || commonPrefix(candidate.path, f.path) > commonPrefix(original.path, f.path)) original = candidate;
    }
    const { location: _, ...rest } = f;
    return original?.location === undefined ? rest : { ...rest, location: original.location };
  });
}

/** Most rounds of fixing and rescanning; each round lets fixes that depended on an earlier one apply. */
const MAX_ROUNDS = 5;

/**
 * Fixes texts in memory: scans them (with fixes), applies every finding's fix, and rescans until
 * no fix changes anything. Files with errors in the first scan are never edited, except for fields of
 * the wrong type (the text reads and edits as usual). Nothing is written.
 */
export function fixSources(sources: readonly FixSource[], options: ScanOptions): FixRun {
  const scanOptions: ScanOptions = { ...options, fixes: true };
  const limits = options.limits ?? DEFAULT_LIMITS;
  const exceptions = new FixExceptions(options.config?.exceptions ?? [], options.now ?? new Date());
  const current = sources.map((s) => ({ file: s.file, text: s.text, walked: s.walked === true }));
  const initial = scanTexts(current, scanOptions);
  // Files not to edit, and why. A field of the wrong type leaves the text readable and editable:
  // only errors of reading block a file.
  const blocked = new Map<string, string>();
  for (const error of initial.errors) if (error.code !== 'wrong-type') blocked.set(error.file, 'not edited: the file has errors (see above)');
  for (const source of sources) if (source.locked !== undefined) blocked.set(source.file, `not edited: ${source.locked}`);
  const reasons = new Map<string, string>();
  // Findings whose fix was tried: past the report's limit some are not listed, so never tried.
  const tried = new Set<string>();
  let report = initial;
  // Whether some scan listed fewer findings than it found.
  let capped = initial.summary.total > initial.findings.length;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const byFile = new Map<string, Finding[]>();
    for (const finding of report.findings) {
      const file = finding.location?.file;
      if (!hasFix(finding) || file === undefined) continue;
      const refused = blocked.get(file);
      if (refused !== undefined) {
        reasons.set(fingerprint(finding), refused);
        continue;
      }
      const list = byFile.get(file) ?? [];
      list.push(finding);
      byFile.set(file, list);
      tried.add(fingerprint(finding));
    }
    let changed = false;
    for (const source of current) {
      const findings = byFile.get(source.file);
      if (findings === undefined) continue;
      const result = fixText(source.file, source.text, findings, limits, exceptions);
      for (const { finding, reason } of result.skipped) reasons.set(fingerprint(finding), reason);
      if (result.text !== source.text) {
        source.text = result.text;
        changed = true;
      }
    }
    if (!changed) break;
    report = scanTexts(current, scanOptions);
    capped ||= report.summary.total > report.findings.length;
  }
  const fixed = gone(initial.findings, report.findings);
  const failed = report.findings.filter(hasFix).map((finding) => {
    const print = fingerprint(finding);
    const untried = capped && !tried.has(print);
    const reason = reasons.get(print) ?? (untried ? 'not tried: the scan found more findings than it lists (see the errors); fix fewer files at a time' : 'its fix did not remove it');
    return { finding, reason };
  });
  return {
    files: sources.map((s, i) => ({ file: s.file, before: s.text, after: current[i]?.text ?? s.text })),
    initial,
    final: report,
    fixed,
    failed,
  };
}

