import type { Finding, Report, ReportError, Summary } from '../types.js';
import { VERSION } from '../version.js';
import { severityRank } from './controls.js';
import type { Engine } from './scan.js';

const compare = (a: string | number, b: string | number): number => (a < b ? -1 : a > b ? 1 : 0);

/** Deterministic order: file, line, column, rule id, then message. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    compare(a.location?.file ?? '', b.location?.file ?? '') ||
    compare(a.location?.line ?? 0, b.location?.line ?? 0) ||
    compare(a.location?.column ?? 0, b.location?.column ?? 0) ||
    compare(a.ruleId, b.ruleId) ||
    compare(a.object.kind, b.object.kind) ||
    compare(a.object.name, b.object.name) ||
    compare(a.message, b.message)
  );
}

function compareErrors(a: ReportError, b: ReportError): number {
  return compare(a.file, b.file) || compare(a.line ?? 0, b.line ?? 0) || compare(a.message, b.message);
}

/** Adds one finding to a summary's counts. */
export function countFinding(summary: Summary, finding: Finding): void {
  summary.total++;
  summary.bySeverity[finding.severity] = (summary.bySeverity[finding.severity] ?? 0) + 1;
  summary.byPhase[finding.phase] = (summary.byPhase[finding.phase] ?? 0) + 1;
  for (const c of finding.controls) summary.byControl[c] = (summary.byControl[c] ?? 0) + 1;
}

/** Adds the counts of `other` to `summary` (`sign` -1 takes them away; counts that reach 0 are removed). */
function addCounts(summary: Summary, other: Summary, sign: 1 | -1): void {
  summary.total += sign * other.total;
  const add = <K extends string>(into: Partial<Record<K, number>>, from: Partial<Record<K, number>>): void => {
    for (const [k, n] of Object.entries(from) as [K, number | undefined][]) {
      const sum = (into[k] ?? 0) + sign * (n ?? 0);
      if (sum === 0) delete into[k];
      else into[k] = sum;
    }
  };
  add(summary.bySeverity, other.bySeverity);
  add(summary.byPhase, other.byPhase);
  add(summary.byControl, other.byControl);
}

/** Counts findings by severity, phase and control, adding the counts of findings not listed (`unlisted`). */
export function summarize(findings: readonly Finding[], unlisted?: Summary): Summary {
  const summary: Summary = { total: 0, bySeverity: {}, byPhase: {}, byControl: {} };
  for (const f of findings) countFinding(summary, f);
  if (unlisted !== undefined) addCounts(summary, unlisted, 1);
  summary.bySeverity = Object.fromEntries(Object.entries(summary.bySeverity).sort((a, b) => severityRank(a[0] as Finding['severity']) - severityRank(b[0] as Finding['severity'])));
  summary.byPhase = Object.fromEntries(Object.entries(summary.byPhase).sort((a, b) => compare(a[0], b[0])));
  summary.byControl = Object.fromEntries(Object.entries(summary.byControl).sort((a, b) => compare(a[0], b[0])));
  return summary;
}

/** The counts of a report's summary that are not of its listed findings (those past the limits). */
export function unlistedOf(report: Report): Summary | undefined {
  if (report.summary.total === report.findings.length) return undefined;
  const { summary } = report;
  const out: Summary = { total: summary.total, bySeverity: { ...summary.bySeverity }, byPhase: { ...summary.byPhase }, byControl: { ...summary.byControl } };
  addCounts(out, summarize(report.findings), -1);
  return out;
}

/** The namespaces of each report's input, kept beside it (they are not part of the JSON report). */
const NAMESPACES = new WeakMap<Report, ReadonlySet<string>>();

/** The namespaces of the input's namespaced objects (`default` for one that names none), when the report came from a scan. */
export function inputNamespaces(report: Report): ReadonlySet<string> | undefined {
  return NAMESPACES.get(report);
}

/** The report of a finished engine run. */
export function buildReport(engine: Engine, inputs: Report['inputs']): Report {
  const findings = [...engine.findings].sort(compareFindings);
  const report: Report = {
    schemaVersion: 1,
    tool: { name: 'mamori', version: VERSION },
    pss: engine.policy,
    inputs,
    findings,
    suppressed: [...engine.suppressed].sort(compareFindings),
    exceptions: engine.exceptionStatuses,
    errors: [...engine.errors].sort(compareErrors),
    summary: summarize(findings, engine.unlisted),
  };
  NAMESPACES.set(report, engine.inputNamespaces);
  return report;
}
