import { SEVERITIES } from '../engine/controls.js';
import type { Finding, Location, Report, Severity } from '../types.js';
import { CHUNK_PIECES } from './json.js';
import { escapeControls, plural } from '../text.js';

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

const safe = escapeControls;

function where(location: Location | undefined): string {
  return location === undefined ? '-' : `${safe(location.file)}:${location.line}:${location.column}`;
}

function objectName(f: Finding): string {
  const { kind, namespace, name } = f.object;
  return safe(`${kind} ${namespace !== undefined ? `${namespace}/` : ''}${name === '' ? '(unnamed)' : name}`);
}

/** The human report: findings grouped by object, each line starting with `file:line:col`. */
export function writeText(report: Report, options: TextOptions): string {
  return writeTextChunks(report, options, Infinity).join('');
}

/** `writeText` in chunks, for reports too large to be one string. */
export function writeTextChunks(report: Report, options: TextOptions, limit = CHUNK_PIECES): string[] {
  const paint = (severity: Severity, text: string): string => (options.color ? `${COLORS[severity]}${text}${RESET}` : text);
  const bold = (text: string): string => (options.color ? `${BOLD}${text}${RESET}` : text);
  const chunks: string[] = [];
  // The lines not yet in a chunk; each ends with a line break in the output.
  const out: string[] = [];
  let lines = 0;
  const line = (text: string): void => {
    out.push(text);
    lines++;
    // A line counts as two pieces (it and its break), as the other writers count them.
    if (2 * out.length >= limit) {
      chunks.push(`${out.join('\n')}\n`);
      out.length = 0;
    }
  };
  const objects = new Set<string>();
  // A loop, not `Math.max(...lengths)`: a million findings are more arguments than a call takes.
  // Rule ids are safe-d too: a custom policy's is its name, taken from a file. A few ids, many findings.
  const ids = new Map<string, string>();
  const ruleId = (id: string): string => {
    let text = ids.get(id);
    if (text === undefined) ids.set(id, (text = safe(id)));
    return text;
  };
  let idWidth = 0;
  for (const f of report.findings) if (ruleId(f.ruleId).length > idWidth) idWidth = ruleId(f.ruleId).length;
  const groupOf = (f: Finding): string => `${f.location?.file ?? ''}\u0000${f.object.apiVersion}\u0000${f.object.kind}\u0000${f.object.namespace ?? ''}\u0000${f.object.name}`;
  const { findings } = report;
  // Each object's findings in turn, their locations padded to one width so that the columns line up.
  for (let first = 0; first < findings.length; ) {
    const head = findings[first] as Finding;
    const key = groupOf(head);
    let end = first + 1;
    while (end < findings.length && groupOf(findings[end] as Finding) === key) end++;
    objects.add(key);
    if (lines > 0) line('');
    line(bold(objectName(head)));
    const places: string[] = [];
    let width = 0;
    for (let i = first; i < end; i++) {
      const place = where((findings[i] as Finding).location);
      places.push(place);
      if (place.length > width) width = place.length;
    }
    for (let i = first; i < end; i++) {
      const f = findings[i] as Finding;
      line(`  ${(places[i - first] as string).padEnd(width)}  ${paint(f.severity, f.severity.padEnd(8))}  ${ruleId(f.ruleId).padEnd(idWidth)}  ${safe(f.message)}`);
    }
    first = end;
  }
  // Suppressed on purpose (exceptions, annotations) are listed; the baseline's are only counted.
  const accepted = report.suppressed.filter((s) => s.suppressedBy !== 'baseline');
  if (accepted.length > 0) {
    if (lines > 0) line('');
    line(bold('Suppressed (accepted risks)'));
    for (const s of accepted) {
      const until = s.expires === undefined ? '' : `, until ${s.expires}`;
      line(`  ${where(s.location)}  ${ruleId(s.ruleId)}  ${objectName(s)}: ${safe(s.reason)} (${s.suppressedBy}${until})`);
    }
  }
  if (report.errors.length > 0) {
    if (lines > 0) line('');
    line(bold('Errors (these inputs were not fully checked)'));
    for (const e of report.errors) {
      const at = e.line === undefined ? safe(e.file) : `${safe(e.file)}:${e.line}${e.column === undefined ? '' : `:${e.column}`}`;
      line(`  ${at}  ${paint('high', 'error')}  ${safe(e.message)}`);
    }
  }
  if (lines > 0) line('');
  const counts = SEVERITIES.filter((s) => (report.summary.bySeverity[s] ?? 0) > 0).map((s) => paint(s, `${report.summary.bySeverity[s]} ${s}`));
  // The summary counts findings past the report's limit too; say how many are listed then.
  const { total } = report.summary;
  const listed = total > report.findings.length ? `; ${report.findings.length} listed` : '';
  const found = total === 0 ? 'No findings' : `${plural(total, 'finding')} (${counts.join(', ')}${listed}) in ${plural(objects.size, 'object')}`;
  const errors = report.errors.length === 0 ? '' : `; ${plural(report.errors.length, 'error')}`;
  const suppressed = report.suppressed.length === 0 ? '' : `; ${report.suppressed.length} suppressed`;
  line(
    `${found}${suppressed}; scanned ${plural(report.inputs.objects, 'object')} in ${plural(report.inputs.files, 'file')}${errors}. Pod Security: ${report.pss.level}:${report.pss.version}.`,
  );
  if (report.baseline !== undefined) {
    const { file, matched, fixed } = report.baseline;
    line(`Baseline ${safe(file)}: ${plural(matched, 'finding')} still present and not reported; ${fixed} of its entries fixed since.`);
  }
  if (out.length > 0) chunks.push(`${out.join('\n')}\n`);
  return chunks;
}
