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

/** Counts findings by severity, phase and control. */
export function summarize(findings: readonly Finding[]): Summary {
  const summary: Summary = { total: findings.length, bySeverity: {}, byPhase: {}, byControl: {} };
  for (const f of findings) {
    summary.bySeverity[f.severity] = (summary.bySeverity[f.severity] ?? 0) + 1;
    summary.byPhase[f.phase] = (summary.byPhase[f.phase] ?? 0) + 1;
    for (const c of f.controls) summary.byControl[c] = (summary.byControl[c] ?? 0) + 1;
  }
  summary.bySeverity = Object.fromEntries(Object.entries(summary.bySeverity).sort((a, b) => severityRank(a[0] as Finding['severity']) - severityRank(b[0] as Finding['severity'])));
  summary.byPhase = Object.fromEntries(Object.entries(summary.byPhase).sort((a, b) => compare(a[0], b[0])));
  summary.byControl = Object.fromEntries(Object.entries(summary.byControl).sort((a, b) => compare(a[0], b[0])));
  return summary;
}

/** The report of a finished engine run. */
export function buildReport(engine: Engine, inputs: Report['inputs']): Report {
  const findings = [...engine.findings].sort(compareFindings);
  return {
    schemaVersion: 1,
    tool: { name: 'mamori', version: VERSION },
    pss: engine.policy,
    inputs,
    findings,
    suppressed: [...engine.suppressed].sort(compareFindings),
    exceptions: engine.exceptionStatuses,
    errors: [...engine.errors].sort(compareErrors),
    summary: summarize(findings),
  };
}
