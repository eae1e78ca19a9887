import { readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { knownRules, loadConfig } from '../engine/config.js';
import { fingerprint } from '../engine/fingerprint.js';
import { scanPaths, type ScanOptions } from '../engine/scan.js';
import { MamoriError } from '../errors.js';
import { fixSources, gone, hasFix, locatedBefore, type FixSource, type SkippedFix } from '../fix/apply.js';
import { diffTexts } from '../fix/diff.js';
import { diffBase, diffName, linkOnPath } from '../fix/paths.js';
import { secretLines } from '../fix/secrets.js';
import { readInput } from '../load/files.js';
import { DEFAULT_LIMITS } from '../load/limits.js';
import { resolveInputs, toReportError } from '../load/load.js';
import { RULES } from '../rules/index.js';
import type { Finding, ReportError } from '../types.js';
import { escapeControls } from '../text.js';
import { EXIT } from './exit.js';
import { parseKubeMinor, selectRules } from './scan.js';
import { writeStdout } from './output.js';

/** The flags of `mamori fix`. */
export interface FixFlags {
  /** Edit the files in place; without it, print a unified diff. */
  write: boolean;
  config?: string | undefined;
  pss?: string | undefined;
  kubeVersion?: string | undefined;
  /** Rule ids or globs to run, and to skip (as `mamori scan --rules` / `--skip-rules`). */
  rules?: string[] | undefined;
  skipRules?: string[] | undefined;
}

/** A path as printed: relative to the working directory (or `base`), with `/`. */
function shownPath(file: string, cwd: string, base = cwd): string {
  const path = relative(base, resolve(cwd, file)) || file;
  return path.split(sep).join('/');
}

/** Text from input files on one line, control characters escaped (`escapeControls`). */
const safe = escapeControls;

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

function where(finding: Finding, cwd: string): string {
  const location = finding.location;
  return location === undefined ? '' : `${safe(shownPath(location.file, cwd))}:${location.line}: `;
}

/** What a run fixed (or would fix) and what is left. */
interface Outcome {
  fixed: number;
  files: number;
  failed: readonly SkippedFix[];
  /** Findings left without an automatic fix. */
  manual: readonly Finding[];
}

function summary(outcome: Outcome, write: boolean, cwd: string): string {
  const lines: string[] = [];
  const { fixed, files } = outcome;
  if (fixed === 0 && files === 0) lines.push(outcome.failed.length > 0 ? 'mamori fix: no fix could be applied' : 'mamori fix: nothing to fix');
  else if (write) lines.push(`mamori fix: fixed ${plural(fixed, 'finding', 'findings')} in ${plural(files, 'file', 'files')}`);
  else lines.push(`mamori fix: ${plural(fixed, 'finding', 'findings')} would be fixed in ${plural(files, 'file', 'files')} (run with --write to apply)`);
  for (const { finding, reason } of outcome.failed) lines.push(`  not fixed: ${where(finding, cwd)}${safe(finding.ruleId)}: ${safe(reason)}`);
  if (outcome.manual.length > 0) {
    lines.push(`${plural(outcome.manual.length, 'finding has', 'findings have')} no automatic fix (see \`mamori scan\`):`);
    for (const finding of outcome.manual) lines.push(`  ${where(finding, cwd)}${safe(finding.ruleId)}: ${safe(finding.message)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Findings (or entries holding one) sorted by line within each file, the files in the order they come. */
function inFileOrder<T extends Finding | { finding: Finding }>(list: readonly T[]): T[] {
  const at = (entry: T): Finding => ('finding' in entry ? entry.finding : entry);
  const files = new Map<string, number>();
  for (const entry of list) {
    const file = at(entry).location?.file ?? '';
    if (!files.has(file)) files.set(file, files.size);
  }
  const key = (entry: T): [number, number, number] => {
    const location = at(entry).location;
    return [files.get(location?.file ?? '') ?? 0, location?.line ?? 0, location?.column ?? 0];
  };
  return [...list].sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  });
}

const withoutFix = (findings: readonly Finding[]): Finding[] => findings.filter((f) => !hasFix(f));

function errorLine(error: ReportError, cwd: string): string {
  const at = error.file === '' ? '' : `${shownPath(error.file, cwd)}${error.line === undefined ? '' : `:${error.line}`}: `;
  return `mamori: ${safe(at + error.message)}\n`;
}

/**
 * `mamori fix`: applies the findings' automatic fixes. Without `--write` it prints a unified diff
 * and exits 1 when there is something to fix (like `prettier --check`), 0 when there is nothing;
 * with `--write` it edits the files and exits 0. Exit 2 when an input could not be read or parsed,
 * or a file could not be written (the other files are still fixed).
 */
export async function runFix(paths: string[], flags: FixFlags): Promise<number> {
  if (paths.includes('-')) throw new MamoriError('usage', 'mamori fix edits files: standard input (-) is not supported');
  const config = loadConfig(flags.config, knownRules(RULES));
  const options: ScanOptions = { rules: selectRules(RULES, flags.rules?.join(','), flags.skipRules?.join(',')), config };
  if (flags.pss !== undefined) options.pss = flags.pss;
  if (flags.kubeVersion !== undefined) options.maxPssMinor = parseKubeMinor(flags.kubeVersion);
  const cwd = process.cwd();
  const { inputs, errors } = resolveInputs(paths);
  // Standard input, a pipe or a device can be read once, never edited (nor scanned again).
  const stream = inputs.find((input) => input.stdin || input.stream === true);
  if (stream !== undefined) throw new MamoriError('usage', `mamori fix edits files: ${safe(stream.file)} is not a regular file (standard input, a pipe or a device)`);
  const named = paths.length === 0 ? ['.'] : paths;
  const sources: FixSource[] = [];
  for (const input of inputs) {
    try {
      const source: FixSource = { file: input.file, text: readInput(input, DEFAULT_LIMITS), walked: input.walked === true };
      const link = linkOnPath(input.file, named, cwd);
      if (link !== undefined) source.locked = `it is reached through the symbolic link ${shownPath(link, cwd)}: fix the file the link points to, named by its own path`;
      sources.push(source);
    } catch (error) {
      if (!(error instanceof MamoriError)) throw error;
      errors.push(toReportError(error, input.file));
    }
  }
  const run = fixSources(sources, options);
  for (const error of run.initial.errors) errors.push(error);
  const changed = run.files.filter((f) => f.after !== f.before);
  for (const error of errors) process.stderr.write(errorLine(error, cwd));
  if (!flags.write) {
    // Names relative to one directory, never with `../` (refused by `git apply` and `patch`).
    const base = diffBase(changed.map((f) => f.file), cwd);
    // Lines holding a secret value are never printed: not as context, and a diff that changes one is not shown.
    const notShown: { name: string; why: 'hidden-change' | 'no-context' }[] = [];
    for (const file of changed) {
      const name = shownPath(file.file, cwd, base);
      const hidden = secretLines(file.file, file.before, RULES);
      const hiddenAfter = secretLines(file.file, file.after, RULES);
      const diff = diffTexts(file.before, file.after, { oldName: diffName('a/', name), newName: diffName('b/', name), hidden, hiddenAfter });
      if (diff.withheld === undefined) writeStdout(diff.text);
      else notShown.push({ name: shownPath(file.file, cwd), why: diff.withheld });
    }
    for (const { name, why } of notShown) {
      const reason = why === 'hidden-change' ? 'a line the fixes change holds a secret value' : 'a line holding a secret value follows a change right away, and without it the diff could apply in the wrong place';
      process.stderr.write(`mamori fix: ${safe(name)}: its diff is not shown: ${reason}; apply the fixes with --write\n`);
    }
    if (base !== cwd) {
      const dir = safe(shownPath(base, cwd));
      // Quoted for a POSIX shell when it holds more than name characters.
      const quoted = /^[\w./-]+$/.test(dir) ? dir : `'${dir.replace(/'/g, "'\\''")}'`;
      process.stderr.write(`mamori fix: the diff names files from ${dir}: apply it there (cd ${quoted} && git apply)\n`);
    }
    // The files on disk are unchanged: what is left is located in them, not in the fixed texts.
    const left = inFileOrder(locatedBefore(run.final.findings, run.initial.findings));
    const located = locatedBefore(run.failed.map((s) => s.finding), run.initial.findings);
    const failed = inFileOrder(located.map((finding, i) => ({ finding, reason: run.failed[i]?.reason ?? '' })));
    // As with --write, only findings of the files the diff changes count.
    const edited = new Set(changed.map((f) => f.file));
    const fixed = run.fixed.filter((f) => f.location !== undefined && edited.has(f.location.file)).length;
    process.stderr.write(summary({ fixed, files: changed.length, failed, manual: withoutFix(left) }, false, cwd));
    if (errors.length > 0) return EXIT.error;
    return changed.length > 0 ? EXIT.findings : EXIT.clean;
  }
  let failed = false;
  const written = new Set<string>();
  for (const file of changed) {
    try {
      const raw = readFileSync(file.file);
      const bom = raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf;
      if (raw.toString('utf8', bom ? 3 : 0) !== file.before) {
        process.stderr.write(`mamori: ${safe(shownPath(file.file, cwd))}: changed while it was being fixed; not written\n`);
        failed = true;
        continue;
      }
      writeFileSync(file.file, bom ? `\ufeff${file.after}` : file.after);
      written.add(file.file);
    } catch (cause) {
      process.stderr.write(`mamori: ${safe(shownPath(file.file, cwd))}: cannot write: ${safe((cause as Error).message)}\n`);
      failed = true;
    }
  }
  // What the files on disk hold now: a fresh scan of the same paths.
  const rescan = scanPaths(paths, { ...options, fixes: true });
  const reasons = new Map(run.failed.map((s) => [fingerprint(s.finding), s.reason]));
  const outcome: Outcome = {
    // Only findings of written files count: a file not written still holds its findings.
    fixed: gone(run.initial.findings.filter((f) => f.location !== undefined && written.has(f.location.file)), rescan.findings).length,
    files: written.size,
    failed: rescan.findings.filter(hasFix).map((finding) => ({ finding, reason: reasons.get(fingerprint(finding)) ?? 'its file was not written' })),
    manual: withoutFix(rescan.findings),
  };
  writeStdout(summary(outcome, true, cwd));
  return errors.length > 0 || failed ? EXIT.error : EXIT.clean;
}
