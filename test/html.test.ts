/**
 * The HTML report as bytes: a golden file, and static checks that it is self-contained, that its
 * Content-Security-Policy admits exactly its own script and stylesheet, that no text taken from
 * input can break out of the embedded JSON, and that the parts drawn without JavaScript (posture,
 * charts, exceptions, errors) say what the report says. test/html.browser.test.ts runs it.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scanTexts } from '../src/engine/scan.js';
import { writeHtml } from '../src/report/html.js';
import type { WriterOptions } from '../src/report/index.js';
import { RULES } from '../src/rules/index.js';
import type { ExceptionStatus, Finding, Report, SuppressedFinding } from '../src/types.js';

const NOW = new Date('2026-05-01T12:00:00Z');
const PSS_RULES = RULES.filter((r) => r.id.startsWith('pss-'));
const input = 'test/golden/input.yaml';
const golden = scanTexts([{ file: input, text: readFileSync(input, 'utf8') }], { rules: PSS_RULES, pss: 'restricted:latest' });
const options: WriterOptions = { color: false, rules: PSS_RULES, cwd: process.cwd(), now: NOW };

/** The findings table's rows as the page's script receives them. */
interface DataRow {
  rule: string;
  sev: string;
  phase: string;
  kind: string;
  ns?: string;
  name: string;
  path: string;
  msg: string;
  file?: string;
  line?: number;
  col?: number;
  sup?: { by: string; reason: string; expires?: string };
}
interface Data {
  docs: string;
  pageSize: number;
  rules: Record<string, { title: string; remediation?: string; description?: string; doc?: 1 }>;
  findings: DataRow[];
}

function one(html: string, re: RegExp): string {
  const m = re.exec(html);
  if (m === null) throw new Error(`no match for ${re}`);
  return m[1] ?? '';
}
const scriptOf = (html: string): string => one(html, /<script>([\s\S]*?)<\/script>/);
const styleOf = (html: string): string => one(html, /<style>([\s\S]*?)<\/style>/);
const cspOf = (html: string): string => one(html, /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/);
const rawDataOf = (html: string): string => one(html, /<script type="application\/json" id="mamori-data">([\s\S]*?)<\/script>/);
const dataOf = (html: string): Data => JSON.parse(rawDataOf(html)) as Data;
const hash = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

function suppress(f: Finding, reason: string, expires?: string): SuppressedFinding {
  return expires === undefined ? { ...f, suppressedBy: 'annotation', reason } : { ...f, suppressedBy: 'exception', reason, expires };
}

/** A report with findings, suppressed findings, exceptions of every status and errors. */
function fullReport(): Report {
  const r = structuredClone(golden);
  const moved = r.findings.splice(0, 2);
  r.suppressed = [suppress(moved[0]!, 'host network needed by the CNI <agent> & co', '2026-05-11'), suppress(moved[1]!, 'reviewed by "sec" team')];
  r.exceptions = [
    { rule: moved[0]!.ruleId, namespace: 'shop', kind: 'Deployment', name: 'web*', reason: 'CNI <agent>', expires: '2026-05-11', status: 'active', matched: 1, location: { file: '.mamori.yaml', line: 7, column: 5 } },
    { rule: 'pss-privileged', reason: 'long-lived', expires: '2027-01-31', status: 'active', matched: 0 },
    { rule: 'pss-host-ports', namespace: 'legacy', reason: 'old', expires: '2026-04-01', status: 'expired', matched: 3 },
    { rule: 'pss-run-as-non-root', reason: 'unused', status: 'stale', matched: 0 },
  ] satisfies ExceptionStatus[];
  r.errors = [{ file: 'broken <1>.yaml', line: 4, column: 2, message: 'unexpected "&" at <end>', code: 'PARSE' }];
  return r;
}

describe('HTML report: golden', () => {
  it('report.html', () => {
    const actual = writeHtml(golden, options);
    const path = 'test/golden/report.html';
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(path, actual);
    expect(actual).toBe(readFileSync(path, 'utf8'));
  });

  it('is deterministic, and the scan time appears only in the header', () => {
    const a = writeHtml(golden, options);
    expect(writeHtml(golden, options)).toBe(a);
    const b = writeHtml(golden, { ...options, now: new Date('2030-12-24T08:09:00Z') });
    expect(b).toContain('<time datetime="2030-12-24T08:09:00.000Z">2030-12-24 08:09 UTC</time>');
    expect(b.replace('2030-12-24T08:09:00.000Z">2030-12-24 08:09', '2026-05-01T12:00:00.000Z">2026-05-01 12:00')).toBe(a);
  });
});

describe('HTML report: self-contained and locked down', () => {
  const html = writeHtml(fullReport(), options);

  it('loads nothing from outside: no links, no sources, no imports, no web fonts', () => {
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/\ssrc\s*=/i);
    expect(html).not.toMatch(/@import|url\(|@font-face/i);
    expect(html).not.toMatch(/<(iframe|img|object|embed|base|form)\b/i);
    expect(html).not.toContain('http://');
    // The only address is that of the rule pages, in the data, for links the reader may follow.
    expect(html.match(/https:\/\/[^"\s<]*/g)).toEqual(['https://github.com/mamori-dev/mamori/blob/main/docs/rules/']);
  });

  it('has one inline script and one stylesheet, no inline handlers or style attributes', () => {
    expect(html.match(/<script\b/g)).toHaveLength(2);
    expect(html.match(/<\/script/gi)).toHaveLength(2);
    expect(html.match(/<style\b/g)).toHaveLength(1);
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/\sstyle\s*=/i);
    expect(html).not.toMatch(/javascript:/i);
  });

  it('admits exactly its own script and stylesheet by hash, and nothing else', () => {
    const csp = cspOf(html);
    const directives = new Map(csp.split(';').map((d) => { const [name = '', ...values] = d.trim().split(/\s+/); return [name, values]; }));
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual([hash(scriptOf(html))]);
    expect(directives.get('style-src')).toEqual([hash(styleOf(html))]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    expect(directives.get('form-action')).toEqual(["'none'"]);
    expect(csp).not.toMatch(/unsafe|https?:|\*/);
    // Directives a <meta> policy ignores make browsers log errors.
    expect(csp).not.toMatch(/frame-ancestors|report-uri|sandbox/);
    // The hashes are of ASCII text, so no encoding can change them.
    expect(scriptOf(html)).toMatch(/^[\x20-\x7e\n]*$/);
    expect(styleOf(html)).toMatch(/^[\x20-\x7e\n]*$/);
  });

  it('embeds a script that parses', () => {
    expect(() => new Function(scriptOf(html))).not.toThrow();
  });
});

/** A YAML double-quoted scalar (JSON's syntax), with the line separators escaped too. */
const yamlString = (text: string): string => JSON.stringify(text).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);

describe('HTML report: text from input', () => {
  const evil = '</script><script>alert(1)</script><!--<img src=x onerror=alert(2)>';
  const hostile = scanTexts(
    [
      {
        file: 'evil <&>.yaml',
        text: [
          'apiVersion: v1',
          'kind: Pod',
          'metadata:',
          `  name: ${yamlString(`p\u2028q\u2029r'"&<b>é日本🔥\u001b[31m`)}`,
          '  namespace: "ns-<i>"',
          'spec:',
          '  containers:',
          `    - name: ${JSON.stringify(evil)}`,
          '      image: "a"',
          '      securityContext: { privileged: true }',
          '',
        ].join('\n'),
      },
    ],
    { rules: RULES, pss: 'baseline:latest' },
  );
  const long = 'x'.repeat(50_000) + ' <end>';
  hostile.findings[0] = { ...hostile.findings[0]!, message: long };
  hostile.errors = [{ file: evil, message: `bad\u0007 ${evil}`, code: 'PARSE' }];
  hostile.exceptions = [{ rule: evil, name: evil, reason: evil, status: 'stale', matched: 0 }];
  const html = writeHtml(hostile, { ...options, rules: RULES });

  it('cannot close the data block, open a comment, or add elements', () => {
    expect(hostile.findings.length).toBeGreaterThan(1);
    expect(html.match(/<\/script/gi)).toHaveLength(2);
    expect(html.match(/<script\b/g)).toHaveLength(2);
    expect(html).not.toContain('<!--');
    expect(html).not.toMatch(/<img|<b>|<i>/);
    const raw = rawDataOf(html);
    expect(raw).not.toMatch(/[<>&\u2028\u2029]/);
  });

  it('keeps the text itself: the data reads back as the findings, control characters made visible', () => {
    const data = dataOf(html);
    expect(data.findings).toHaveLength(hostile.findings.length);
    expect(data.findings[0]!.msg).toBe(long);
    const named = data.findings.find((f) => f.name.startsWith('p'))!;
    expect(named.name).toBe(`p\u2028q\u2029r'"&<b>é日本🔥\\x1b[31m`);
    expect(named.ns).toBe('ns-<i>');
    expect(named.file).toBe('evil <&>.yaml');
    expect(data.findings.some((f) => f.msg.includes(evil))).toBe(true);
  });

  it('escapes the parts written as HTML (errors, exceptions)', () => {
    const escaped = '&#60;/script&#62;&#60;script&#62;alert(1)&#60;/script&#62;&#60;!--&#60;img src=x onerror=alert(2)&#62;';
    expect(html).toContain(`<li class="error"><code>${escaped}</code> <span class="code">PARSE</span> <span class="emsg">bad\\x07 ${escaped}</span></li>`);
    expect(html).toContain(`<td data-label="Reason">${escaped}</td>`);
    expect(html).toContain(`<td data-label="Scope">name=${escaped}</td>`);
    expect(html).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  });
});

describe('HTML report: the data block, with and without control characters', () => {
  // The data is written without a replacer unless its JSON shows a sign of a control character;
  // both ways must give the same page data, control characters made visible.
  const base = scanTexts([{ file: 'a.yaml', text: 'apiVersion: v1\nkind: Pod\nmetadata: { name: a, namespace: ns }\nspec:\n  containers: [{ name: c, image: i, securityContext: { privileged: true } }]\n' }], { rules: RULES, pss: 'baseline:latest' });
  const first = base.findings[0]!;
  const cases: [string, string, string][] = [
    ['plain text', 'a plain message', 'a plain message'],
    ['markup only', 'a < b && c > d \u2028 e', 'a < b && c > d \u2028 e'],
    ['a backslash before b, f, r and u0001 (not controls)', 'C:\\build \\f \\r \\u0001', 'C:\\build \\f \\r \\u0001'],
    ['backspace, form feed, CR', 'x\by\fz\rw', 'x\\x08y\\x0cz\\x0dw'],
    ['C0 escapes', '\u0001\u001b[31m\u001f', '\\x01\\x1b[31m\\x1f'],
    ['DEL and C1', 'a\u007fb\u0085c\u009f', 'a\\x7fb\\x85c\\x9f'],
    ['tab and newline, kept', 'a\tb\nc', 'a\tb\nc'],
  ];
  for (const [what, message, shown] of cases) {
    it(what, () => {
      const html = writeHtml({ ...base, findings: [{ ...first, message }, { ...first, message: '<' }], suppressed: [] }, { ...options, rules: RULES });
      expect(rawDataOf(html)).not.toMatch(/[<>&\u2028\u2029\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
      expect(dataOf(html).findings.map((f) => f.msg)).toEqual([shown, '<']);
    });
  }
});

describe('HTML report: what it shows without JavaScript', () => {
  const report = fullReport();
  const html = writeHtml(report, options);

  it('charts one bar per phase with the open findings of each, by severity', () => {
    const phases = ['develop', 'distribute', 'deploy', 'runtime-access', 'runtime-compute', 'runtime-storage', 'network', 'observability'];
    const bars = [...html.matchAll(/<div class="bar" data-phase="([a-z-]+)" data-count="(\d+)"[^>]*>(.*?)<\/div>/g)];
    expect(bars.map((b) => b[1])).toEqual(phases);
    for (const [, phase, count, inner] of bars) {
      const expected = report.findings.filter((f) => f.phase === phase).length;
      expect(Number(count), phase).toBe(expected);
      expect(inner).toContain(`<span class="count">${expected}</span>`);
    }
    // The golden input's open findings are all runtime-compute: the longest bar, 1000 units.
    expect(report.findings.every((f) => f.phase === 'runtime-compute')).toBe(true);
    const medium = report.findings.filter((f) => f.severity === 'medium').length;
    const critical = report.findings.filter((f) => f.severity === 'critical').length;
    expect(critical + medium).toBe(report.findings.length);
    const compute = bars.find((b) => b[1] === 'runtime-compute')![3]!;
    const split = Math.round((critical * 1000) / (critical + medium));
    expect(compute).toContain(`<rect class="s-critical" x="0" y="0" width="${split}" height="10"><title>${critical} critical</title></rect>`);
    expect(compute).toContain(`<rect class="s-medium" x="${split}" y="0" width="${1000 - split}" height="10"><title>${medium} medium</title></rect>`);
  });

  it('charts every control of SEED-CONTROLS.md, counting a finding once per control', () => {
    const seed = readFileSync('/work/shared/SEED-CONTROLS.md', 'utf8');
    const ids = [...seed.matchAll(/^\| ([A-Z]+-\d+) \|/gm)].map((m) => m[1]);
    expect(ids).toHaveLength(36);
    const bars = [...html.matchAll(/<div class="bar(?: unchecked)?" data-control="([A-Z]+-\d+)" data-count="(\d+)"/g)];
    expect(bars.map((b) => b[1])).toEqual(ids);
    for (const [, id, count] of bars) expect(Number(count), id).toBe(report.findings.filter((f) => f.controls.includes(id!)).length);
    // CMP-1 is checked by the Pod Security rules given; OBS-4 by none of them.
    expect(html).toMatch(/<div class="bar" data-control="CMP-1"/);
    expect(html).toMatch(/<div class="bar unchecked" data-control="OBS-4"/);
  });

  it('states the header and the counts of each severity, suppressed findings and errors', () => {
    expect(html).toContain('<dt>Pod Security policy</dt><dd>restricted:latest</dd>');
    expect(html).toContain('<dt>Inputs</dt><dd>1 file, 3 objects</dd>');
    expect(html).toContain('<dt>Tool</dt><dd>mamori 0.1.0</dd>');
    for (const s of ['critical', 'high', 'medium', 'low', 'info'] as const) {
      const n = report.findings.filter((f) => f.severity === s).length;
      expect(html).toContain(`<li class="card s-${s}" data-severity="${s}"><span class="n">${n}</span>`);
    }
    expect(html).toContain('<li class="card suppressed" data-severity="suppressed"><span class="n">2</span>');
    expect(html).toContain('<span class="n">1</span> <span class="what">error</span>');
    expect(html).toContain('1 input could not be fully checked');
    expect(html).toContain(`Findings <span class="muted">(${report.findings.length} open, 2 suppressed)</span>`);
    expect(html).toContain('<noscript>');
  });

  it('lists the exceptions with their status and expiry, relative to the scan date', () => {
    const rows = [...html.matchAll(/<tr class="exception (\w+)" data-status="\w+">(.*?)<\/tr>/g)].map((m) => [m[1], m[2]!] as const);
    expect(rows.map((r) => r[0])).toEqual(['active', 'active', 'expired', 'stale']);
    expect(rows[0]![1]).toContain('<span class="status active">in force</span>');
    expect(rows[0]![1]).toContain('<td data-label="Scope">namespace=shop, kind=Deployment, name=web*</td>');
    expect(rows[0]![1]).toContain('<td data-label="Reason">CNI &#60;agent&#62;</td>');
    expect(rows[0]![1]).toContain('<time class="expires soon" datetime="2026-05-11">2026-05-11</time> <span class="muted">(in 10 days)</span>');
    expect(rows[0]![1]).toContain('<code>.mamori.yaml:7:5</code>');
    // 2026-05-01 to 2027-01-31: 30 + 30 + 31 + 31 + 30 + 31 + 30 + 31 + 31 days.
    expect(rows[1]![1]).toContain('<time class="expires" datetime="2027-01-31">2027-01-31</time> <span class="muted">(in 275 days)</span>');
    expect(rows[1]![1]).toContain('<span class="muted">everywhere</span>');
    expect(rows[2]![1]).toContain('<span class="status expired">expired</span>');
    expect(rows[2]![1]).toContain('(30 days ago)');
    expect(rows[2]![1]).toContain('<td data-label="Matched" class="num">3</td>');
    expect(rows[3]![1]).toContain('<span class="status stale">stale: matched nothing</span>');
    expect(rows[3]![1]).toContain('<td data-label="Expires"><span class="muted">never</span></td>');
    expect(html).toContain('Exceptions <span class="muted">(2 in force of 4)</span>');
  });

  it('embeds suppressed findings as such, with reason and expiry', () => {
    const data = dataOf(html);
    expect(data.findings).toHaveLength(report.findings.length + 2);
    expect(data.findings.filter((f) => f.sup === undefined)).toHaveLength(report.findings.length);
    expect(data.findings.slice(-2).map((f) => f.sup)).toEqual([
      { by: 'exception', reason: 'host network needed by the CNI <agent> & co', expires: '2026-05-11' },
      { by: 'annotation', reason: 'reviewed by "sec" team' },
    ]);
  });

  it("embeds each finding's rule with its remediation from the catalog given", () => {
    const withPolicy = structuredClone(report);
    withPolicy.findings.push({ ...withPolicy.findings[0]!, ruleId: 'policy:no-latest', title: 'No latest tag' });
    const data = dataOf(writeHtml(withPolicy, options));
    const ids = [...new Set([...withPolicy.findings, ...withPolicy.suppressed].map((f) => f.ruleId))].sort();
    expect(Object.keys(data.rules).sort()).toEqual(ids);
    for (const id of ids.filter((i) => i.startsWith('pss-'))) {
      const rule = PSS_RULES.find((r) => r.id === id)!;
      expect(data.rules[id]).toEqual({ title: rule.title, description: rule.description, remediation: rule.remediation, doc: 1 });
    }
    expect(data.rules['policy:no-latest']).toEqual({ title: 'No latest tag' });
    expect(data.pageSize).toBe(200);
  });

  it('handles an empty report', () => {
    const empty = scanTexts([], { rules: PSS_RULES });
    const html = writeHtml(empty, options);
    expect(html).toContain('<title>mamori report: no findings</title>');
    expect(html).toContain('No open findings in 0 objects.');
    expect(html).toContain('No exceptions are configured.');
    expect(html).toContain('Every input was read and checked.');
    expect([...html.matchAll(/data-phase="[a-z-]+" data-count="(\d+)"/g)].map((m) => m[1])).toEqual(Array(8).fill('0'));
    expect(html).not.toContain('<rect');
    expect(dataOf(html).findings).toEqual([]);
  });
});
