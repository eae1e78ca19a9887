import { SEVERITIES } from '../engine/controls.js';
import type { Finding, Location, Report, Severity } from '../types.js';

/** Options of the text writer. */
export interface TextOptions {
  /** Colour severities with ANSI escapes (only for a terminal). */
  color: boolean;
}

const COLORS: Record<Severity, string> = {
  critical: '\u001b[1;35m',
  high: '\u001b[1;31m',
  medium: '\u001b[33m',
  low: '\u001b[36m',
  info: '\u001b[2m',
};
const RESET = '\u001b[0m';
const BOLD = '\u001b[1m';

/** Strips control characters from text taken from input files, so a manifest cannot drive the terminal. */
function safe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function where(location: Location | undefined): string {
  return location === undefined ? '-' : `${safe(location.file)}:${location.line}:${location.column}`;
}

function objectName(f: Finding): string {
  const { kind, namespace, name } = f.object;
  return safe(`${kind} ${namespace !== undefined ? `${namespace}/` : ''}${name === '' ? '(unnamed)' : name}`);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The human report: findings grouped by object, each line starting with `file:line:col`. */
export function writeText(report: Report, options: TextOptions): string {
  const paint = (severity: Severity, text: string): string => (options.color ? `${COLORS[severity]}${text}${RESET}` : text);
  const bold = (text: string): string => (options.color ? `${BOLD}${text}${RESET}` : text);
  const lines: string[] = [];
  let group = '';
  const objects = new Set<string>();
  const idWidth = Math.max(0, ...report.findings.map((f) => f.ruleId.length));
  for (const f of report.findings) {
    const key = `${f.location?.file ?? ''}\u0000${f.object.apiVersion}\u0000${f.object.kind}\u0000${f.object.namespace ?? ''}\u0000${f.object.name}`;
    objects.add(key);
    if (key !== group) {
      if (group !== '') lines.push('');
      lines.push(bold(objectName(f)));
      group = key;
    }
    lines.push(`  ${where(f.location)}  ${paint(f.severity, f.severity.padEnd(8))}  ${f.ruleId.padEnd(idWidth)}  ${safe(f.message)}`);
  }
  // Suppressed on purpose (exceptions, annotations) are listed; the baseline's are only counted.
  const accepted = report.suppressed.filter((s) => s.suppressedBy !== 'baseline');
  if (accepted.length > 0) {
    if (lines.length > 0) lines.push('');
    lines.push(bold('Suppressed (accepted risks)'));
    for (const s of accepted) {
      const until = s.expires === undefined ? '' : `, until ${s.expires}`;
      lines.push(`  ${where(s.location)}  ${s.ruleId}  ${objectName(s)}: ${safe(s.reason)} (${s.suppressedBy}${until})`);
    }
  }
  if (report.errors.length > 0) {
    if (lines.length > 0) lines.push('');
    lines.push(bold('Errors (these inputs were not fully checked)'));
    for (const e of report.errors) {
      const at = e.line === undefined ? safe(e.file) : `${safe(e.file)}:${e.line}${e.column === undefined ? '' : `:${e.column}`}`;
      lines.push(`  ${at}  ${paint('high', 'error')}  ${safe(e.message)}`);
    }
  }
  if (lines.length > 0) lines.push('');
  const counts = SEVERITIES.filter((s) => (report.summary.bySeverity[s] ?? 0) > 0).map((s) => paint(s, `${report.summary.bySeverity[s]} ${s}`));
  const found = report.findings.length === 0 ? 'No findings' : `${plural(report.findings.length, 'finding')} (${counts.join(', ')}) in ${plural(objects.size, 'object')}`;
  const errors = report.errors.length === 0 ? '' : `; ${plural(report.errors.length, 'error')}`;
  const suppressed = report.suppressed.length === 0 ? '' : `; ${report.suppressed.length} suppressed`;
  lines.push(
    `${found}${suppressed}; scanned ${plural(report.inputs.objects, 'object')} in ${plural(report.inputs.files, 'file')}${errors}. Pod Security: ${report.pss.level}:${report.pss.version}.`,
  );
  if (report.baseline !== undefined) {
    const { file, matched, fixed } = report.baseline;
    lines.push(`Baseline ${safe(file)}: ${plural(matched, 'finding')} still present and not reported; ${fixed} of its entries fixed since.`);
  }
  return `${lines.join('\n')}\n`;
}
