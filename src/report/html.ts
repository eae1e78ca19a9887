import { createHash } from 'node:crypto';
import { CONTROLS, SEVERITIES } from '../engine/controls.js';
import type { Rule } from '../engine/rule.js';
import type { ExceptionStatus, Finding, Phase, Report, ReportError, Severity, SuppressedFinding } from '../types.js';
import { CONTROL_TITLES, PHASE_LABELS, PHASES } from './html/controls.js';
import { SCRIPT } from './html/script.js';
import { STYLE } from './html/style.js';
import { plural } from '../text.js';
import type { WriterOptions } from './index.js';

/** Where the generated rule pages live; the report links each finding's rule there. */
const DOCS = 'https://github.com/mamori-dev/mamori/blob/main/docs/rules/';

/** Rows of the findings table per page: enough to read, few enough that 10,000 findings stay fast. */
const HTML_PAGE_SIZE = 200;

/** One row of the findings table as the page's script reads it (short keys: 10,000 rows add up). */
interface Row {
  rule: string;
  sev: Severity;
  phase: Phase;
  controls: string[];
  kind: string;
  api: string;
  ns?: string | undefined;
  name: string;
  path: string;
  paths?: string[] | undefined;
  msg: string;
  file?: string | undefined;
  line?: number | undefined;
  col?: number | undefined;
  /** The Pod Security policy evaluated, e.g. `restricted:latest (v1.37)`. */
  pss?: string | undefined;
  /** 1 when the finding carries an automatic fix. */
  fix?: 1 | undefined;
  sup?: { by: string; reason: string; expires?: string } | undefined;
}

/** A rule as the page shows it in a finding's details. */
interface RuleView {
  title: string;
  description?: string;
  remediation?: string;
  /** 1 when the rule is in the catalog, so it has a generated page under docs/rules/. */
  doc?: 1;
}

/** What the page's script receives. */
interface Data {
  docs: string;
  pageSize: number;
  rules: Record<string, RuleView>;
  findings: Row[];
}

/**
 * Replaces control characters taken from input with a visible `\xNN`, so a manifest can neither
 * hide text nor put characters into the page that HTML forbids. Tab and newline are kept.
 */
function safe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Text for HTML content and quoted attribute values. */
function esc(text: string): string {
  return safe(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * What a script block must not carry as it is (`<`, `>`, `&`, U+2028, U+2029), and the signs of a
 * control character of input in JSON: a `\b`, `\f`, `\r` or `\u00..` escape, or a raw DEL or C1
 * control.
 */
const SCRIPT_SCAN = /[<>&\u2028\u2029]|\\(?:[bfr]|u00[01])|[\u007f-\u009f]/g;

function scriptEscape(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * JSON for a `<script type="application/json">` block: `<`, `>` and `&` escaped so no value can
 * close the element or open a comment, and U+2028/2029 escaped for older parsers. Control
 * characters of input become visible as in the rest of the page. Most reports have none: their
 * JSON is written without a replacer, several times faster, and the pass that escapes the text
 * looks for a sign of one as well. A sign can be a false alarm (an escaped backslash before a
 * `b`), never a miss; on a sign the JSON is written again with the replacer.
 */
function scriptJson(value: unknown): string {
  let control = false;
  const json = JSON.stringify(value).replace(SCRIPT_SCAN, (m) => {
    if (m.length === 1 && m < '\u007f') return scriptEscape(m);
    if (m === '\u2028' || m === '\u2029') return scriptEscape(m);
    control = true;
    return m;
  });
  if (!control) return json;
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? safe(v) : v)).replace(/[<>&\u2028\u2029]/g, scriptEscape);
}

/** Rows of the findings table per piece of the page's data (see `scriptData`). */
const ROWS_PER_PIECE = 4096;

/**
 * `scriptJson(data)` in pieces: the rows a batch at a time, so the data of a million findings is
 * never one string (V8 refuses strings past 2^29 characters). The pieces joined are the same
 * bytes: JSON is written member by member, and `scriptJson` writes a batch with no sign of a
 * control character as the replacer would (only a batch with one is written again with it).
 */
function scriptData(data: Data): string[] {
  const { findings, ...head } = data;
  // `{...head}` without its closing brace, then the findings' array.
  const pieces = [`${scriptJson(head).slice(0, -1)},"findings":[`];
  for (let i = 0; i < findings.length; i += ROWS_PER_PIECE) {
    const rows = scriptJson(findings.slice(i, i + ROWS_PER_PIECE)).slice(1, -1);
    pieces.push(i === 0 ? rows : `,${rows}`);
  }
  pieces.push(']}');
  return pieces;
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

function isSuppressed(f: Finding | SuppressedFinding): f is SuppressedFinding {
  return 'suppressedBy' in f;
}

function toRow(f: Finding | SuppressedFinding): Row {
  // Every row gets every field, in the order the page reads them, absent ones undefined (which
  // JSON leaves out): rows of one shape serialize faster than rows of many shapes.
  const location = f.location;
  return {
    rule: f.ruleId,
    sev: f.severity,
    phase: f.phase,
    controls: f.controls,
    kind: f.object.kind,
    api: f.object.apiVersion,
    name: f.object.name,
    path: f.path,
    msg: f.message,
    ns: f.object.namespace,
    paths: f.paths !== undefined && f.paths.length > 0 ? f.paths : undefined,
    file: location?.file,
    line: location?.line,
    col: location?.column,
    pss: f.pss === undefined ? undefined : `${f.pss.level}:${f.pss.version} (${f.pss.resolved})`,
    fix: f.fix !== undefined && f.fix.length > 0 ? 1 : undefined,
    sup: !isSuppressed(f) ? undefined : f.expires === undefined ? { by: f.suppressedBy, reason: f.reason } : { by: f.suppressedBy, reason: f.reason, expires: f.expires },
  };
}

function ruleViews(lists: readonly (readonly Finding[])[], catalog: ReadonlyMap<string, Rule>): Record<string, RuleView> {
  const views = new Map<string, RuleView>();
  for (const items of lists) {
    for (const f of items) {
      if (views.has(f.ruleId)) continue;
      const rule = catalog.get(f.ruleId);
      views.set(f.ruleId, rule === undefined ? { title: f.title } : { title: f.title, description: rule.description, remediation: rule.remediation, doc: 1 });
    }
  }
  // fromEntries defines own properties, so even a rule named `__proto__` stays a plain key.
  return Object.fromEntries(views);
}

/** Distinct objects (file, API version, kind, namespace, name) of the findings; a finding's object is mostly the previous one's. */
function countObjects(findings: readonly Finding[]): number {
  const seen = new Set<string>();
  let last: Finding | undefined;
  for (const f of findings) {
    const o = f.object;
    if (last !== undefined && o.name === last.object.name && o.kind === last.object.kind && o.namespace === last.object.namespace && o.apiVersion === last.object.apiVersion && f.location?.file === last.location?.file) continue;
    last = f;
    seen.add(`${f.location?.file ?? ''}\u0000${o.apiVersion}\u0000${o.kind}\u0000${o.namespace ?? ''}\u0000${o.name}`);
  }
  return seen.size;
}

/** Counts per key, in first-seen order. */
function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) {
    const k = key(item);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

type SeverityCounts = Record<Severity, number>;
const zero = (): SeverityCounts => ({ critical: 0, high: 0, medium: 0, low: 0, info: 0 });
const totalOf = (c: SeverityCounts): number => SEVERITIES.reduce((n, s) => n + c[s], 0);

/** The SVG of one stacked bar: a segment per severity, 1000 units for the chart's longest bar. */
function barSvg(counts: SeverityCounts, max: number): string {
  const rects: string[] = [];
  let cumulative = 0;
  let x = 0;
  for (const s of SEVERITIES) {
    if (counts[s] === 0) continue;
    cumulative += counts[s];
    // Edges are rounded from running totals, so segments add up to exactly the bar's length.
    const end = Math.round((cumulative * 1000) / max);
    rects.push(`<rect class="s-${s}" x="${x}" y="0" width="${end - x}" height="10"><title>${counts[s]} ${s}</title></rect>`);
    x = end;
  }
  return `<svg class="track" viewBox="0 0 1000 10" preserveAspectRatio="none" role="presentation" focusable="false">${rects.join('')}</svg>`;
}

function breakdown(counts: SeverityCounts): string {
  const parts = SEVERITIES.filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`);
  return parts.length === 0 ? 'no findings' : parts.join(', ');
}

function barRow(attrs: string, label: string, counts: SeverityCounts, max: number, extra = ''): string {
  const total = totalOf(counts);
  return (
    `<div class="bar${extra}" ${attrs} data-count="${total}" title="${esc(breakdown(counts))}">` +
    `<span class="label">${label}</span>${barSvg(counts, max)}<span class="count">${total}</span></div>`
  );
}

function legend(): string {
  return `<ul class="legend">${SEVERITIES.map((s) => `<li><span class="swatch s-${s}"></span>${s}</li>`).join('')}</ul>`;
}

function phaseChart(findings: readonly Finding[]): string {
  const byPhase = new Map<Phase, SeverityCounts>(PHASES.map((p) => [p, zero()]));
  for (const f of findings) {
    const counts = byPhase.get(f.phase);
    if (counts !== undefined) counts[f.severity]++;
  }
  const max = Math.max(1, ...[...byPhase.values()].map(totalOf));
  const rows = PHASES.map((p) => barRow(`data-phase="${p}"`, esc(PHASE_LABELS[p]), byPhase.get(p) ?? zero(), max));
  return (
    `<figure class="chart" id="phase-chart"><figcaption>Open findings by lifecycle phase</figcaption>${legend()}` +
    `<div class="bars">${rows.join('\n')}</div></figure>`
  );
}

function controlChart(findings: readonly Finding[], catalog: readonly Rule[]): string {
  const byControl = new Map<string, SeverityCounts>(Object.keys(CONTROLS).map((c) => [c, zero()]));
  for (const f of findings) {
    f.controls.forEach((c, i) => {
      if (f.controls.indexOf(c) !== i) return; // a control named twice counts once
      let counts = byControl.get(c);
      if (counts === undefined) byControl.set(c, (counts = zero()));
      counts[f.severity]++;
    });
  }
  const covered = new Set(catalog.flatMap((r) => r.controls));
  const max = Math.max(1, ...[...byControl.values()].map(totalOf));
  const row = (c: string): string => {
    const unchecked = !covered.has(c);
    const title = CONTROL_TITLES[c];
    const label =
      `<span class="cid">${esc(c)}</span>${title === undefined ? '' : ` <span class="ctitle">${esc(title)}</span>`}` +
      (unchecked ? ' <span class="nocheck">no rule</span>' : '');
    return barRow(`data-control="${esc(c)}"`, label, byControl.get(c) ?? zero(), max, unchecked ? ' unchecked' : '');
  };
  const groups = PHASES.map((p) => {
    const ids = Object.keys(CONTROLS).filter((c) => CONTROLS[c] === p);
    return `<div class="group" data-phase="${p}"><h3>${esc(PHASE_LABELS[p])}</h3><div class="bars">${ids.map(row).join('\n')}</div></div>`;
  });
  // Controls a finding names that SEED-CONTROLS.md does not (a custom policy's, say) still show.
  const others = [...byControl.keys()].filter((c) => !Object.hasOwn(CONTROLS, c)).sort();
  if (others.length > 0) groups.push(`<div class="group"><h3>Other controls</h3><div class="bars">${others.map(row).join('\n')}</div></div>`);
  return (
    `<figure class="chart" id="control-chart"><figcaption>Open findings by security control</figcaption>` +
    `<p class="hint">The controls of the page “Cloud Native Security and Kubernetes”. A finding counts once for each control its rule traces to;` +
    ` “no rule” marks a control that no rule of the catalog checks: not checked, which is not passed.</p>` +
    `${legend()}<div class="groups">${groups.join('\n')}</div></figure>`
  );
}

function where(file: string, line?: number, column?: number): string {
  return line === undefined ? file : `${file}:${line}${column === undefined ? '' : `:${column}`}`;
}

/** Whole days from the scan's date to `date` (YYYY-MM-DD), or undefined when it is not a date. */
function daysUntil(date: string, now: Date): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (m === null) return undefined;
  const day = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Math.round((day - today) / 86_400_000);
}

function expiry(expires: string | undefined, now: Date): string {
  if (expires === undefined) return '<span class="muted">never</span>';
  const days = daysUntil(expires, now);
  const when = days === undefined ? '' : days === 0 ? 'today' : days > 0 ? `in ${plural(days, 'day')}` : `${plural(-days, 'day')} ago`;
  const soon = days !== undefined && days >= 0 && days <= 30 ? ' soon' : '';
  return `<time class="expires${soon}" datetime="${esc(expires)}">${esc(expires)}</time>${when === '' ? '' : ` <span class="muted">(${when})</span>`}`;
}

const STATUS_TEXT: Record<ExceptionStatus['status'], string> = {
  active: 'in force',
  expired: 'expired',
  stale: 'stale: matched nothing',
};

function exceptionsSection(exceptions: readonly ExceptionStatus[], now: Date): string {
  const active = exceptions.filter((e) => e.status === 'active').length;
  const head = `<section id="exceptions" aria-labelledby="exceptions-h"><h2 id="exceptions-h">Exceptions <span class="muted">(${active} in force of ${exceptions.length})</span></h2>`;
  if (exceptions.length === 0) return `${head}<p class="muted">No exceptions are configured.</p></section>`;
  const rows = exceptions.map((e) => {
    const scope = (['namespace', 'kind', 'name', 'container'] as const)
      .filter((k) => e[k] !== undefined)
      .map((k) => `${k}=${esc(e[k] ?? '')}`)
      .join(', ');
    const at = e.location === undefined ? '<span class="muted">-</span>' : `<code>${esc(where(e.location.file, e.location.line, e.location.column))}</code>`;
    return (
      `<tr class="exception ${e.status}" data-status="${e.status}">` +
      `<td data-label="Status"><span class="status ${e.status}">${STATUS_TEXT[e.status]}</span></td>` +
      `<td data-label="Rule"><code>${esc(e.rule)}</code></td>` +
      `<td data-label="Scope">${scope === '' ? '<span class="muted">everywhere</span>' : scope}</td>` +
      `<td data-label="Reason">${esc(e.reason)}</td>` +
      `<td data-label="Expires">${expiry(e.expires, now)}</td>` +
      `<td data-label="Matched" class="num">${e.matched}</td>` +
      `<td data-label="Defined at">${at}</td></tr>`
    );
  });
  return (
    `${head}<table class="stack exceptions"><thead><tr><th scope="col">Status</th><th scope="col">Rule</th><th scope="col">Scope</th>` +
    `<th scope="col">Reason</th><th scope="col">Expires</th><th scope="col">Matched</th><th scope="col">Defined at</th></tr></thead>` +
    `<tbody>${rows.join('\n')}</tbody></table></section>`
  );
}

function errorsSection(errors: readonly ReportError[]): string {
  const head = `<section id="errors" aria-labelledby="errors-h"><h2 id="errors-h">Errors <span class="muted">(${errors.length})</span></h2>`;
  if (errors.length === 0) return `${head}<p class="muted">Every input was read and checked.</p></section>`;
  const items = errors.map(
    (e) => `<li class="error"><code>${esc(where(e.file, e.line, e.column))}</code> <span class="code">${esc(e.code)}</span> <span class="emsg">${esc(e.message)}</span></li>`,
  );
  return `${head}<p>These inputs were not fully checked: what is not checked is not passed.</p><ul class="errors">${items.join('\n')}</ul></section>`;
}

function options(values: readonly [string, string, number][]): string {
  return values.map(([value, label, n]) => `<option value="${esc(value)}">${esc(label)} (${n})</option>`).join('');
}

function findingsSection(rows: readonly Row[]): string {
  const bySeverity = countBy(rows, (r) => r.sev);
  const byPhase = countBy(rows, (r) => r.phase);
  const suppressed = rows.filter((r) => r.sup !== undefined).length;
  const severities = SEVERITIES.map(
    (s) => `<label class="check"><input type="checkbox" name="severity" value="${s}" checked> <span class="sev s-${s}">${s}</span> (${bySeverity.get(s) ?? 0})</label>`,
  ).join('');
  const phases = options(PHASES.map((p) => [p, PHASE_LABELS[p], byPhase.get(p) ?? 0]));
  return `<section id="findings" aria-labelledby="findings-h">
<h2 id="findings-h">Findings <span class="muted">(${rows.length - suppressed} open, ${suppressed} suppressed)</span></h2>
<noscript><p class="note">The findings table is drawn by the report's script, which this browser did not run. The posture, exceptions and errors sections are complete without it.</p></noscript>
<div id="filters" class="filters" role="search" aria-label="Filter findings" hidden>
<fieldset class="severities"><legend>Severity</legend>${severities}</fieldset>
<label>Phase <select id="f-phase"><option value="">All phases</option>${phases}</select></label>
<label>Namespace <select id="f-ns"><option value="">All namespaces</option></select></label>
<label>Kind <select id="f-kind"><option value="">All kinds</option></select></label>
<label>Rule <select id="f-rule"><option value="">All rules</option></select></label>
<label>Status <select id="f-status"><option value="">Open and suppressed</option><option value="open">Open</option><option value="suppressed">Suppressed</option></select></label>
<label>Order <select id="f-sort"><option value="">File and line</option><option value="severity">Severity</option></select></label>
<label class="search">Search <input id="f-q" type="search" placeholder="message, object, path, file, rule" autocomplete="off" spellcheck="false"></label>
<button id="f-reset" type="button">Reset filters</button>
</div>
<p id="f-status-line" class="status-line" role="status" aria-live="polite"></p>
<table id="f-table" class="stack findings" hidden>
<colgroup><col class="c-sev"><col class="c-rule"><col class="c-obj"><col class="c-loc"><col class="c-msg"></colgroup>
<thead><tr><th scope="col">Severity</th><th scope="col">Rule</th><th scope="col">Object</th><th scope="col">Location</th><th scope="col">Finding</th></tr></thead>
<tbody></tbody>
</table>
<nav id="f-pager" class="pager" aria-label="Pages of findings" hidden><button id="f-prev" type="button">Previous</button> <span id="f-page"></span> <button id="f-next" type="button">Next</button></nav>
</section>`;
}

/**
 * The HTML report: one self-contained file a security reviewer reads in a browser, with no
 * network access and no external assets. The posture summary, the charts, the exceptions and the
 * errors are plain HTML (readable without JavaScript); the findings table is drawn from JSON
 * embedded in the page by one inline script, a page at a time, so 10,000 findings stay fast.
 * A Content-Security-Policy admits only that script and that stylesheet, by hash.
 */
export function writeHtml(report: Report, options: WriterOptions): string {
  return writeHtmlChunks(report, options).join('');
}

/** `writeHtml` in chunks, for pages too large to be one string. */
export function writeHtmlChunks(report: Report, options: WriterOptions): string[] {
  const catalog = new Map(options.rules.map((r) => [r.id, r]));
  const rows = report.findings.map(toRow);
  for (const f of report.suppressed) rows.push(toRow(f));
  const data: Data = {
    docs: DOCS,
    pageSize: HTML_PAGE_SIZE,
    rules: ruleViews([report.findings, report.suppressed], catalog),
    findings: rows,
  };
  const findings = report.findings;
  const bySeverity = zero();
  for (const f of findings) bySeverity[f.severity]++;
  const objects = countObjects(findings);
  const worst = SEVERITIES.find((s) => bySeverity[s] > 0);
  const iso = options.now.toISOString();
  const csp = `default-src 'none'; script-src ${sha256(SCRIPT)}; style-src ${sha256(STYLE)}; base-uri 'none'; form-action 'none'`;

  const meta: [string, string][] = [
    ['Generated', `<time datetime="${iso}">${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC</time>`],
    ['Tool', `${esc(report.tool.name)} ${esc(report.tool.version)}`],
    ['Pod Security policy', `${esc(report.pss.level)}:${esc(report.pss.version)}`],
    ['Inputs', `${plural(report.inputs.files, 'file')}, ${plural(report.inputs.objects, 'object')}`],
  ];
  if (report.baseline !== undefined) {
    meta.push(['Baseline', `<code>${esc(report.baseline.file)}</code>: ${report.baseline.matched} known, ${report.baseline.fixed} fixed`]);
  }
  const cards = [
    ...SEVERITIES.map((s) => `<li class="card s-${s}" data-severity="${s}"><span class="n">${bySeverity[s]}</span> <span class="what">${s}</span></li>`),
    `<li class="card suppressed" data-severity="suppressed"><span class="n">${report.suppressed.length}</span> <span class="what">suppressed</span></li>`,
    `<li class="card errors" data-severity="errors"><span class="n">${report.errors.length}</span> <span class="what">${report.errors.length === 1 ? 'error' : 'errors'}</span></li>`,
  ];
  const verdict =
    findings.length === 0
      ? `No open findings in ${plural(report.inputs.objects, 'object')}.`
      : `${plural(findings.length, 'open finding')} in ${plural(objects, 'object')}; the worst is <span class="sev s-${worst ?? 'info'}">${worst ?? 'info'}</span>.`;
  const warning =
    report.errors.length === 0
      ? ''
      : `<p class="warning" id="errors-warning">${plural(report.errors.length, 'input')} could not be fully checked: see <a href="#errors-h">Errors</a>.</p>\n`;

  const title = `mamori report: ${findings.length === 0 ? 'no findings' : plural(findings.length, 'finding')}`;
  const page = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${esc(report.tool.name)} ${esc(report.tool.version)}">
<title>${title}</title>
<style>${STYLE}</style>
</head>
<body>
<header class="top">
<h1>mamori security report</h1>
<dl class="meta">${meta.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join('')}</dl>
</header>
<main>
${warning}<section id="posture" aria-labelledby="posture-h">
<h2 id="posture-h">Posture</h2>
<p class="verdict">${verdict}</p>
<ul class="cards">${cards.join('')}</ul>
${phaseChart(findings)}
${controlChart(findings, options.rules)}
</section>
${findingsSection(rows)}
${exceptionsSection(report.exceptions, options.now)}
${errorsSection(report.errors)}
</main>
<footer class="foot">Written by ${esc(report.tool.name)} ${esc(report.tool.version)}. Each rule is documented, with examples, at <code>docs/rules/&lt;rule-id&gt;.md</code> and by <code>mamori rules &lt;rule-id&gt;</code>.</footer>
<script type="application/json" id="mamori-data">`;
  return [page, ...scriptData(data), `</script>
<script>${SCRIPT}</script>
</body>
</html>
`];
}
