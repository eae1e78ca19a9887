import { readFileSync } from 'node:fs';
import { MamoriError } from '../errors.js';
import { isObject } from '../k8s/object.js';
import type { Finding, Report, SuppressedFinding } from '../types.js';
import { VERSION } from '../version.js';
import { isExceptionFinding } from './exceptions.js';
import { fingerprint, fingerprintFile, legacyFingerprint, placesOf } from './fingerprint.js';
import { compareFindings, summarize, unlistedOf } from './report.js';

/*
 * Adopting mamori on an old repository: `--write-baseline FILE` records today's findings by their
 * fingerprint (rule, file, object, every field path, containers by name; never the line), one
 * entry per finding, and `--baseline FILE` reports only the findings that are not in it, listing
 * the others as suppressed and counting the baseline entries that are fixed since. An entry
 * accepts one finding: a second finding with the same fingerprint (one more password in the same
 * ConfigMap key) is new. Findings about the configuration's exceptions (an expired one) are
 * neither recorded nor suppressed: a baseline must not outlive an exception's date.
 */

/** The `schemaVersion` of the baselines mamori writes. */
export const BASELINE_VERSION = 3;

/** A baseline file's entry: the fingerprint, and enough to read the file by eye. */
export interface BaselineEntry {
  fingerprint: string;
  ruleId: string;
  object: string;
  path: string;
  /** The finding's further paths, when it has some. */
  paths?: string[];
  /** Every path of the finding as the fingerprint counts them (containers named), sorted. */
  places?: string[];
  file: string;
}

/** A baseline as read from its file. */
export interface Baseline {
  file: string;
  /**
   * 3: fingerprints of `fingerprint`, each entry accepting one finding. 2 (earlier mamori): the
   * same, written before Pod Security findings named the containers that inherit a bad value, so
   * an entry also accepts its finding grown by such places (`widened`). 1 (earlier still):
   * fingerprints of `legacyFingerprint`, each entry accepting every finding that has it, as then.
   */
  version: 1 | 2 | 3;
  /** How many entries have each fingerprint. */
  entries: ReadonlyMap<string, number>;
  /** How many entries the file holds. */
  size: number;
  /**
   * The entries that record their places, by rule, file and object (`entryKey`): a finding that
   * names some of an entry's places and no other is that entry's finding, partly fixed.
   */
  narrowable: ReadonlyMap<string, readonly { fingerprint: string; places: ReadonlySet<string> }[]>;
  /** For a `schemaVersion: 2` baseline: the Pod Security entries that record their places, by `entryKey`. */
  widened: ReadonlyMap<string, readonly { fingerprint: string; places: ReadonlySet<string> }[]>;
}

const entryKey = (ruleId: string, file: string, object: string): string => `${ruleId}\u0000${file}\u0000${object}`;

function objectLabel(f: Finding): string {
  const { kind, namespace, name } = f.object;
  return `${kind}/${namespace !== undefined ? `${namespace}/` : ''}${name}`;
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The baseline file for a report's findings, one entry per finding (findings that share a
 * fingerprint give as many entries): sorted, without dates, so it diffs cleanly.
 */
export function writeBaseline(findings: readonly Finding[], cwd: string = process.cwd()): string {
  const entries = findings.map(
    (f): BaselineEntry => ({
      fingerprint: fingerprint(f, cwd),
      ruleId: f.ruleId,
      object: objectLabel(f),
      path: f.path,
      ...(f.paths !== undefined && f.paths.length > 0 ? { paths: f.paths } : {}),
      places: placesOf(f),
      file: fingerprintFile(f.location?.file ?? '', cwd),
    }),
  );
  entries.sort((a, b) => byText(a.fingerprint, b.fingerprint) || byText(a.path, b.path));
  return `${JSON.stringify({ schemaVersion: BASELINE_VERSION, tool: { name: 'mamori', version: VERSION }, findings: entries }, null, 2)}\n`;
}

/**
 * The findings a baseline written from `report` records: every finding still present that nothing
 * else accepts, that is those reported and those the report's own baseline suppressed (so that
 * rewriting a baseline keeps its entries still present and drops the fixed ones). Findings that
 * exceptions and annotations suppress are left out (they are accepted already), and so are those
 * about exceptions.
 */
export function baselineFindings(report: Report): Finding[] {
  const out = report.findings.filter((f) => !isExceptionFinding(f));
  for (const f of report.suppressed) if (f.suppressedBy === 'baseline') out.push(f);
  return out;
}

/** The part of a place from its securityContext on (`securityContext.runAsUser`), or undefined. */
function contextField(place: string): string | undefined {
  const at = place.lastIndexOf('securityContext.');
  return at < 0 ? undefined : place.slice(at);
}

/**
 * Whether a finding's places are an entry's places and more, each more in a container and at a
 * securityContext field that one of the entry's places names: the containers that inherit the
 * bad value, or leave unset what another sets badly.
 */
function grownByInherited(entry: ReadonlySet<string>, places: readonly string[]): boolean {
  const fields = new Set<string>();
  for (const place of entry) {
    const field = contextField(place);
    if (field !== undefined) fields.add(field);
  }
  let more = 0;
  for (const place of places) {
    if (entry.has(place)) continue;
    const field = contextField(place);
    if (field === undefined || !fields.has(field) || !/ontainers\[/.test(place)) return false;
    more++;
  }
  return more > 0 && places.length - more === entry.size;
}

/** Reads and checks a baseline file; any problem is an error naming the file and the key. */
export function readBaseline(file: string): Baseline {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new MamoriError('baseline', `cannot read the baseline: ${(cause as Error).message}`, { file, cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (cause) {
    throw new MamoriError('baseline', `the baseline is not valid JSON: ${(cause as Error).message}`, { file, cause });
  }
  const version = isObject(value) ? value['schemaVersion'] : undefined;
  if (!isObject(value) || (version !== 1 && version !== 2 && version !== 3)) {
    throw new MamoriError('baseline', `schemaVersion: must be 1, 2 or ${BASELINE_VERSION} (write the baseline with --write-baseline)`, { file });
  }
  const list = value['findings'];
  if (!Array.isArray(list)) throw new MamoriError('baseline', 'findings: must be a list', { file });
  const entries = new Map<string, number>();
  const narrowable = new Map<string, { fingerprint: string; places: ReadonlySet<string> }[]>();
  const widened = new Map<string, { fingerprint: string; places: ReadonlySet<string> }[]>();
  list.forEach((entry, i) => {
    const print = isObject(entry) ? entry['fingerprint'] : undefined;
    if (typeof print !== 'string' || !/^[0-9a-f]{32}$/.test(print)) {
      throw new MamoriError('baseline', `findings[${i}].fingerprint: must be 32 lowercase hex characters`, { file });
    }
    entries.set(print, (entries.get(print) ?? 0) + 1);
    // What a partly fixed finding is matched by; an entry without it (or a wrong one) is matched by its fingerprint only.
    const places = (entry as Record<string, unknown>)['places'];
    const { ruleId, object, file: at } = entry as Record<string, unknown>;
    if (version !== 1 && Array.isArray(places) && places.length > 0 && places.every((p) => typeof p === 'string') && typeof ruleId === 'string' && typeof object === 'string' && typeof at === 'string') {
      const key = entryKey(ruleId, at, object);
      const add = (to: Map<string, { fingerprint: string; places: ReadonlySet<string> }[]>): void => {
        const list = to.get(key) ?? [];
        list.push({ fingerprint: print, places: new Set(places as string[]) });
        to.set(key, list);
      };
      if (places.length > 1) add(narrowable);
      if (version === 2 && ruleId.startsWith('pss-')) add(widened);
    }
  });
  return { file, version: version as 1 | 2 | 3, entries, size: list.length, narrowable, widened };
}

/**
 * Splits a report's findings by a baseline: those in it move to `suppressed` (by 'baseline'),
 * and `report.baseline` says how many matched and how many of its entries are fixed. Each entry
 * of a current baseline accepts one finding, the first in the report's order; an entry of a
 * baseline of an earlier mamori (`schemaVersion: 1`) accepts, as it did then, every finding with its
 * fingerprint.
 */
export function applyBaseline(report: Report, baseline: Baseline, cwd: string = process.cwd()): Report {
  const findings: Finding[] = [];
  const moved: SuppressedFinding[] = [];
  // The entries not matched yet; those of `schemaVersion: 1`, once matched, accept every finding with their fingerprint.
  const left = new Map(baseline.entries);
  const accepted = baseline.version === 1 ? new Set<string>() : undefined;
  for (const f of report.findings) {
    const print = isExceptionFinding(f) ? undefined : accepted !== undefined ? legacyFingerprint(f, cwd) : fingerprint(f, cwd);
    const n = print === undefined ? 0 : (left.get(print) ?? 0);
    if (print === undefined || (n === 0 && accepted?.has(print) !== true)) {
      findings.push(f);
      continue;
    }
    moved.push({ ...f, suppressedBy: 'baseline', reason: `in the baseline ${baseline.file}` });
    if (accepted === undefined) left.set(print, n - 1);
    else {
      accepted.add(print);
      left.set(print, 0);
    }
  }
  /**
   * The findings not matched yet, less those that `fits` an entry of `by` (by rule, file and
   * object) not matched yet either: each takes that entry, moved to the suppressed with `reason`.
   */
  const byPlaces = (list: readonly Finding[], by: Baseline['narrowable'], fits: (entry: ReadonlySet<string>, places: readonly string[]) => boolean, reason: string): Finding[] => {
    if (by.size === 0) return [...list];
    const rest: Finding[] = [];
    for (const f of list) {
      const candidates = isExceptionFinding(f) ? undefined : by.get(entryKey(f.ruleId, fingerprintFile(f.location?.file ?? '', cwd), objectLabel(f)));
      const places = candidates === undefined ? undefined : placesOf(f);
      const entry = places === undefined ? undefined : candidates?.find((c) => (left.get(c.fingerprint) ?? 0) > 0 && fits(c.places, places));
      if (entry === undefined) {
        rest.push(f);
        continue;
      }
      moved.push({ ...f, suppressedBy: 'baseline', reason });
      left.set(entry.fingerprint, (left.get(entry.fingerprint) ?? 1) - 1);
    }
    return rest;
  };
  // A finding that names some of the places of an entry not matched yet, and no other, is that
  // entry's finding with part of it fixed (one of two privileged containers turned unprivileged).
  const narrowed = accepted !== undefined ? findings : byPlaces(findings, baseline.narrowable, (entry, places) => places.every((p) => entry.has(p)), `in the baseline ${baseline.file} (partly fixed since)`);
  // A `schemaVersion: 2` entry of a Pod Security finding: the finding now also names the
  // containers that inherit its bad value (the same securityContext field in another container).
  const rest = byPlaces(narrowed, baseline.widened, grownByInherited, `in the baseline ${baseline.file}`);
  let fixed = 0;
  for (const n of left.values()) fixed += n;
  const { errors, summary: _summary, ...head } = report;
  return {
    ...head,
    findings: rest,
    suppressed: [...report.suppressed, ...moved].sort(compareFindings),
    baseline: { file: baseline.file, matched: moved.length, fixed },
    errors,
    // Findings past the report's limits are not listed, so not matched: still counted.
    summary: summarize(rest, unlistedOf(report)),
  };
}
