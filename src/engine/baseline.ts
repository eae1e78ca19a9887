import { readFileSync } from 'node:fs';
import { MamoriError } from '../errors.js';
import { isObject } from '../k8s/object.js';
import type { Finding, Report, SuppressedFinding } from '../types.js';
import { VERSION } from '../version.js';
import { isExceptionFinding } from './exceptions.js';
import { fingerprint } from './fingerprint.js';
import { compareFindings, summarize, unlistedOf } from './report.js';

/*
 * Adopting mamori on an old repository: `--write-baseline FILE` records today's findings by their
 * fingerprint (rule, file, object, field path; never the line), and `--baseline FILE` reports only
 * the findings that are not in it, listing the others as suppressed and counting the baseline
 * entries that are fixed since. Findings about the configuration's exceptions (an expired one) are
 * neither recorded nor suppressed: a baseline must not outlive an exception's date.
 */

/** A baseline file's entry: the fingerprint, and enough to read the file by eye. */
export interface BaselineEntry {
  fingerprint: string;
  ruleId: string;
  object: string;
  path: string;
  file: string;
}

/** A baseline as read from its file. */
export interface Baseline {
  file: string;
  fingerprints: ReadonlySet<string>;
}

function objectLabel(f: Finding): string {
  const { kind, namespace, name } = f.object;
  return `${kind}/${namespace !== undefined ? `${namespace}/` : ''}${name}`;
}

/** The baseline file for a report's findings: sorted, without dates, so it diffs cleanly. */
export function writeBaseline(findings: readonly Finding[], cwd: string = process.cwd()): string {
  const entries = new Map<string, BaselineEntry>();
  for (const f of findings) {
    const print = fingerprint(f, cwd);
    entries.set(print, { fingerprint: print, ruleId: f.ruleId, object: objectLabel(f), path: f.path, file: f.location?.file ?? '' });
  }
  const sorted = [...entries.values()].sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0));
  return `${JSON.stringify({ schemaVersion: 1, tool: { name: 'mamori', version: VERSION }, findings: sorted }, null, 2)}\n`;
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
  if (!isObject(value) || value['schemaVersion'] !== 1) throw new MamoriError('baseline', 'schemaVersion: must be 1 (write the baseline with --write-baseline)', { file });
  const list = value['findings'];
  if (!Array.isArray(list)) throw new MamoriError('baseline', 'findings: must be a list', { file });
  const fingerprints = new Set<string>();
  list.forEach((entry, i) => {
    const print = isObject(entry) ? entry['fingerprint'] : undefined;
    if (typeof print !== 'string' || !/^[0-9a-f]{32}$/.test(print)) {
      throw new MamoriError('baseline', `findings[${i}].fingerprint: must be 32 lowercase hex characters`, { file });
    }
    fingerprints.add(print);
  });
  return { file, fingerprints };
}

/**
 * Splits a report's findings by a baseline: those in it move to `suppressed` (by 'baseline'),
 * and `report.baseline` says how many matched and how many of its entries are fixed.
 */
export function applyBaseline(report: Report, baseline: Baseline, cwd: string = process.cwd()): Report {
  const findings: Finding[] = [];
  const moved: SuppressedFinding[] = [];
  const seen = new Set<string>();
  for (const f of report.findings) {
    const print = isExceptionFinding(f) ? undefined : fingerprint(f, cwd);
    if (print !== undefined && baseline.fingerprints.has(print)) {
      seen.add(print);
      moved.push({ ...f, suppressedBy: 'baseline', reason: `in the baseline ${baseline.file}` });
    } else findings.push(f);
  }
  const { errors, summary: _summary, ...head } = report;
  return {
    ...head,
    findings,
    suppressed: [...report.suppressed, ...moved].sort(compareFindings),
    baseline: { file: baseline.file, matched: moved.length, fixed: baseline.fingerprints.size - seen.size },
    errors,
    // Findings past the report's limits are not listed, so not matched: still counted.
    summary: summarize(findings, unlistedOf(report)),
  };
}
