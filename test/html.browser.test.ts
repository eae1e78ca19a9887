/**
 * The HTML report in headless Chromium (Debian's `chromium`, driven by playwright-core): it renders
 * without console errors and without any request but the file itself, the filters and the search
 * show the findings they should (counts worked out here from the report data, not from the page),
 * details give the rule's remediation, the chart has a bar per phase with the right counts, the
 * layout holds at desktop and phone widths, and 10,000 findings stay fast to filter.
 * CI installs Chromium; without it these tests fail, they never skip.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summarize } from '../src/engine/report.js';
import { scanPaths, scanTexts } from '../src/engine/scan.js';
import { writeHtml } from '../src/report/html.js';
import type { WriterOptions } from '../src/report/index.js';
import { RULES } from '../src/rules/index.js';
import type { Finding, Report, SuppressedFinding } from '../src/types.js';

const CHROMIUM = '/usr/bin/chromium';
const PHASES = ['develop', 'distribute', 'deploy', 'runtime-access', 'runtime-compute', 'runtime-storage', 'network', 'observability'];
const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
const PAGE_SIZE = 200;
const options: WriterOptions = { color: false, rules: RULES, cwd: process.cwd(), now: new Date('2026-05-01T12:00:00Z') };

let browser: Browser;
let dir: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the HTML report's browser tests need Debian's chromium (apt-get install -y chromium); they do not skip.`);
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  dir = mkdtempSync(join(tmpdir(), 'mamori-html-'));
});

afterAll(async () => {
  await browser?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

type Item = Finding | SuppressedFinding;
/** The text search's documented reach: rule id and title, kind, namespace, name, message, path, file, suppression reason. */
function has(f: Item, term: string): boolean {
  const fields = [f.ruleId, f.title, f.object.kind, f.object.namespace ?? '', f.object.name, f.message, f.path, f.location?.file ?? ''];
  if ('suppressedBy' in f) fields.push(f.reason);
  return fields.some((x) => x.toLowerCase().includes(term.toLowerCase()));
}

/** What went wrong in a page: console errors, uncaught exceptions, requests for anything but the file. */
interface Opened {
  page: Page;
  problems: string[];
  requests: string[];
}

let files = 0;
async function open(html: string, viewport = { width: 1280, height: 800 }, javaScriptEnabled = true): Promise<Opened> {
  const file = join(dir, `report-${files++}.html`);
  writeFileSync(file, html);
  const url = pathToFileURL(file).href;
  const context = await browser.newContext({ viewport, javaScriptEnabled });
  const problems: string[] = [];
  const requests: string[] = [];
  await context.route('**/*', async (route) => {
    const target = route.request().url();
    if (target === url) return route.continue();
    problems.push(`request for ${target}`);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(url);
  return { page, problems, requests };
}

async function done(o: Opened): Promise<void> {
  await o.page.context().close();
  expect(o.problems).toEqual([]);
  expect(new Set(o.requests).size).toBeLessThanOrEqual(1);
}

const rows = (page: Page) => page.locator('#f-table tbody tr.finding');
const matching = async (page: Page): Promise<number> => Number(await page.getAttribute('#f-status-line', 'data-matching'));

/** Checks the page shows `expected` findings: the count stated, and the rows of the first page. */
async function expectShown(page: Page, expected: number, what: string): Promise<void> {
  expect(await matching(page), what).toBe(expected);
  expect(await rows(page).count(), what).toBe(Math.min(PAGE_SIZE, expected));
  expect(await page.locator('#f-table').isVisible(), what).toBe(expected > 0);
}

async function onlySeverity(page: Page, severity: string): Promise<void> {
  for (const s of SEVERITIES) await page.locator(`#filters input[value="${s}"]`).setChecked(s === severity);
}

/** The report under test: the insecure example and a hostile manifest, with suppressed findings, exceptions and errors. */
function fixture(): { report: Report; hostile: string } {
  const hostile = `<img src=x onerror=alert(1)></script>&amp;日本語🔥${'a'.repeat(300)}`;
  const base = scanPaths(['examples/insecure'], { rules: RULES });
  const extra = scanTexts(
    [
      {
        file: 'extra/evil.yaml',
        text: [
          'apiVersion: v1',
          'kind: Pod',
          'metadata: { name: intruder, namespace: payments }',
          'spec:',
          '  containers:',
          `    - name: ${JSON.stringify(hostile)}`,
          '      image: "registry.example.com/pay:1.0"',
          '      securityContext: { privileged: true }',
          '',
        ].join('\n'),
      },
    ],
    { rules: RULES },
  );
  const findings = [...base.findings, ...extra.findings];
  // Suppress a few findings by hand, as exceptions and an annotation would.
  const suppressed: SuppressedFinding[] = findings
    .splice(0, 3)
    .map((f, i) => (i < 2 ? { ...f, suppressedBy: 'exception', reason: 'legacy image, replaced in Q3', expires: '2026-09-30' } : { ...f, suppressedBy: 'annotation', reason: 'accepted by the platform team' }));
  const report: Report = {
    ...base,
    inputs: { files: base.inputs.files + 1, objects: base.inputs.objects + extra.inputs.objects },
    findings,
    suppressed,
    exceptions: [
      { rule: suppressed[0]!.ruleId, namespace: 'shop', reason: 'legacy image, replaced in Q3', expires: '2026-09-30', status: 'active', matched: 2 },
      { rule: 'host-port', reason: 'old', expires: '2026-01-31', status: 'expired', matched: 0 },
    ],
    errors: [{ file: 'broken.yaml', line: 3, column: 1, message: 'could not parse: bad indentation', code: 'PARSE' }],
    summary: summarize(findings),
  };
  return { report, hostile };
}

describe('HTML report in Chromium', () => {
  const { report, hostile } = fixture();
  const items: Item[] = [...report.findings, ...report.suppressed];
  const html = writeHtml(report, options);

  it('has the variety the filter tests need', () => {
    expect(report.findings.length).toBeGreaterThan(50);
    expect(new Set(items.map((f) => f.object.namespace)).size).toBeGreaterThanOrEqual(3);
    expect(items.some((f) => f.object.namespace === undefined)).toBe(true);
    expect(new Set(items.map((f) => f.object.kind)).size).toBeGreaterThan(4);
    expect(new Set(items.map((f) => f.phase)).size).toBeGreaterThan(3);
    expect(new Set(items.map((f) => f.severity)).size).toBeGreaterThan(2);
  });

  it('renders every finding with no console errors and no request but the file itself', async () => {
    const o = await open(html);
    await expectShown(o.page, items.length, 'all');
    expect(await o.page.locator('#f-pager').isVisible()).toBe(false);
    // Rows follow the report: its findings in order, then the suppressed ones, marked as such.
    const first = rows(o.page).first();
    expect(await first.locator('.msg').textContent()).toBe(items[0]!.message);
    expect(await first.locator('.loc').textContent()).toBe(`${items[0]!.location!.file}:${items[0]!.location!.line}:${items[0]!.location!.column}`);
    expect(await first.locator('.path').textContent()).toBe(items[0]!.path);
    expect(await o.page.locator('#f-table tbody tr.finding.suppressed').count()).toBe(report.suppressed.length);
    const last = rows(o.page).last();
    expect(await last.locator('.badge').textContent()).toBe('suppressed');
    expect(await last.locator('.supinfo').textContent()).toBe('Suppressed by annotation: accepted by the platform team');
    expect(await o.page.locator('#f-table tbody tr.finding.suppressed .supinfo').first().textContent()).toBe(
      'Suppressed by exception: legacy image, replaced in Q3 (until 2026-09-30)',
    );
    // The hostile container name is text, not markup.
    expect(await o.page.locator('img').count()).toBe(0);
    const evil = items.filter((f) => f.message.includes(hostile));
    expect(evil.length).toBeGreaterThan(0);
    expect(await o.page.locator('#f-table .msg', { hasText: hostile }).count()).toBe(evil.length);
    expect(o.requests).toEqual([o.page.url()]);
    await done(o);
  });

  it('filters by severity, phase, namespace, kind, rule and status to the expected counts', async () => {
    const o = await open(html);
    const { page } = o;
    for (const s of SEVERITIES) {
      await onlySeverity(page, s);
      await expectShown(page, items.filter((f) => f.severity === s).length, `severity ${s}`);
    }
    await onlySeverity(page, 'medium');
    await page.locator('#filters input[value="low"]').check();
    await expectShown(page, items.filter((f) => f.severity === 'medium' || f.severity === 'low').length, 'medium and low');
    await page.click('#f-reset');

    for (const phase of PHASES) {
      await page.selectOption('#f-phase', phase);
      await expectShown(page, items.filter((f) => f.phase === phase).length, `phase ${phase}`);
    }
    await page.selectOption('#f-phase', '');

    const namespaces = [...new Set(items.map((f) => f.object.namespace))];
    const nsOptions = await page.locator('#f-ns option').evaluateAll((os) => os.map((o) => [(o as HTMLOptionElement).value, o.textContent]));
    expect(nsOptions).toHaveLength(namespaces.length + 1);
    for (const ns of namespaces) {
      const value = ns ?? '\u0000';
      expect(nsOptions.map((x) => x[0])).toContain(value);
      await page.selectOption('#f-ns', value);
      const expected = items.filter((f) => f.object.namespace === ns).length;
      await expectShown(page, expected, `namespace ${ns}`);
      expect(nsOptions.find((x) => x[0] === value)![1]).toBe(`${ns ?? '(no namespace)'} (${expected})`);
    }
    await page.selectOption('#f-ns', '');

    for (const kind of new Set(items.map((f) => f.object.kind))) {
      await page.selectOption('#f-kind', kind);
      await expectShown(page, items.filter((f) => f.object.kind === kind).length, `kind ${kind}`);
    }
    await page.selectOption('#f-kind', '');

    const ruleIds = [...new Set(items.map((f) => f.ruleId))].sort();
    expect(await page.locator('#f-rule option').count()).toBe(ruleIds.length + 1);
    for (const id of ruleIds) {
      await page.selectOption('#f-rule', id);
      await expectShown(page, items.filter((f) => f.ruleId === id).length, `rule ${id}`);
    }
    await page.selectOption('#f-rule', '');

    await page.selectOption('#f-status', 'open');
    await expectShown(page, report.findings.length, 'open');
    await page.selectOption('#f-status', 'suppressed');
    await expectShown(page, report.suppressed.length, 'suppressed');
    expect(await page.locator('#f-table tbody tr.finding:not(.suppressed)').count()).toBe(0);
    await page.selectOption('#f-status', '');

    // Filters combine.
    await page.selectOption('#f-ns', 'shop');
    await page.selectOption('#f-kind', 'Deployment');
    await onlySeverity(page, 'medium');
    const combined = items.filter((f) => f.object.namespace === 'shop' && f.object.kind === 'Deployment' && f.severity === 'medium').length;
    expect(combined).toBeGreaterThan(0);
    await expectShown(page, combined, 'shop Deployments, medium');
    await page.click('#f-reset');
    await expectShown(page, items.length, 'after reset');
    await done(o);
  });

  it('orders by severity on request', async () => {
    const o = await open(html);
    await o.page.selectOption('#f-sort', 'severity');
    const shown = await o.page.locator('#f-table tbody .c-sev .sev').allTextContents();
    const rank = (s: string): number => SEVERITIES.indexOf(s as (typeof SEVERITIES)[number]);
    expect(shown).toEqual(items.map((f) => f.severity).sort((a, b) => rank(a) - rank(b)));
    await done(o);
  });

  it('searches message, object, path, file and rule, case-insensitively, all words', async () => {
    const o = await open(html);
    const { page } = o;
    for (const term of ['PRIVILEGED', 'intruder', 'api.yaml', 'pss-', 'runAsNonRoot', 'Payments']) {
      await page.fill('#f-q', term);
      const expected = items.filter((f) => has(f, term)).length;
      expect(expected, term).toBeGreaterThan(0);
      await expectShown(page, expected, `search ${term}`);
    }
    await page.fill('#f-q', 'privileged   web');
    await expectShown(page, items.filter((f) => has(f, 'privileged') && has(f, 'web')).length, 'two words');
    await page.fill('#f-q', 'zz-no-such-thing');
    await expectShown(page, 0, 'no match');
    expect(await page.locator('#f-status-line').textContent()).toBe(`No findings match the filters (${items.length} in the report).`);
    await page.fill('#f-q', 'legacy image');
    await expectShown(page, 2, 'suppression reason');
    // Search and filters combine.
    await page.fill('#f-q', 'container');
    await page.selectOption('#f-kind', 'StatefulSet');
    await expectShown(page, items.filter((f) => has(f, 'container') && f.object.kind === 'StatefulSet').length, 'search and kind');
    await done(o);
  });

  it("shows a finding's remediation, rule documentation and further paths in its details", async () => {
    const o = await open(html);
    const { page } = o;
    const index = items.findIndex((f) => f.paths !== undefined);
    expect(index).toBeGreaterThanOrEqual(0);
    const f = items[index]!;
    const rule = RULES.find((r) => r.id === f.ruleId)!;
    const row = page.locator(`#f-table tbody tr[data-i="${index}"]`);
    expect(await row.locator('.d-remediation').count()).toBe(0);
    await row.locator('summary').click();
    // Backquoted code in rule prose becomes code elements; the text reads the same without the quotes.
    expect(await row.locator('.d-remediation').textContent()).toBe(rule.remediation.replaceAll('`', ''));
    expect(await row.locator('.d-why-it-matters').textContent()).toBe(rule.description.replaceAll('`', ''));
    expect(await row.locator('.d-remediation code').count()).toBe(rule.remediation.split('`').length >> 1);
    expect(await row.locator('.d-field').textContent()).toBe([f.path, ...f.paths!].join('\n'));
    expect(await row.locator('.d-controls').textContent()).toBe(`${f.controls.join(', ')} (${f.phase})`);
    expect(await row.locator('.d-documentation a').getAttribute('href')).toBe(`https://github.com/mamori-dev/mamori/blob/main/docs/rules/${f.ruleId}.md`);
    if (f.pss !== undefined) expect(await row.locator('.d-pod-security').textContent()).toBe(`${f.pss.level}:${f.pss.version} (${f.pss.resolved})`);
    await row.locator('summary').click();
    await row.locator('summary').click();
    expect(await row.locator('.d-remediation').count()).toBe(1);
    await done(o);
  });

  it('charts one bar per phase with its open findings, and a click filters the table to it', async () => {
    const o = await open(html);
    const { page } = o;
    const bars = await page.locator('#phase-chart .bar').evaluateAll((bs) =>
      bs.map((b) => ({
        phase: b.getAttribute('data-phase'),
        count: b.querySelector('.count')!.textContent,
        widths: [...b.querySelectorAll('rect')].map((r) => [r.getAttribute('class'), Number(r.getAttribute('width'))] as const),
        px: b.querySelector('svg')!.getBoundingClientRect().width,
      })),
    );
    expect(bars.map((b) => b.phase)).toEqual(PHASES);
    const counts = PHASES.map((p) => report.findings.filter((f) => f.phase === p).length);
    expect(bars.map((b) => Number(b.count))).toEqual(counts);
    const max = Math.max(...counts);
    for (const [i, b] of bars.entries()) {
      const total = b.widths.reduce((n, [, w]) => n + w, 0);
      expect(total, PHASES[i]).toBe(Math.round((counts[i]! * 1000) / max));
      // One segment per severity present, in order from critical.
      const present = SEVERITIES.filter((s) => report.findings.some((f) => f.phase === PHASES[i] && f.severity === s));
      expect(b.widths.map(([c]) => c)).toEqual(present.map((s) => `s-${s}`));
      expect(b.px).toBeGreaterThan(100);
    }
    const busiest = PHASES[counts.indexOf(max)]!;
    await page.click(`#phase-chart .bar[data-phase="${busiest}"]`);
    expect(await page.inputValue('#f-phase')).toBe(busiest);
    await expectShown(page, items.filter((f) => f.phase === busiest).length, 'clicked phase');
    await done(o);
  });

  for (const viewport of [
    { width: 1280, height: 800 },
    { width: 390, height: 844 },
  ]) {
    it(`keeps its layout at ${viewport.width}x${viewport.height}`, async () => {
      const o = await open(html, viewport);
      const { page } = o;
      // Open a few details, so their content is measured too.
      for (const i of [0, 1, items.length - 1]) await page.locator(`#f-table tbody tr[data-i="${i}"] summary`).click();
      const layout = await page.evaluate(() => {
        const box = (sel: string) => {
          const r = document.querySelector(sel)!.getBoundingClientRect();
          return { top: r.top + scrollY, bottom: r.bottom + scrollY, left: r.left, right: r.right, width: r.width, height: r.height };
        };
        const overflowing = [...document.body.querySelectorAll('*')]
          .filter((e) => {
            const r = e.getBoundingClientRect();
            return r.width > 0 && (r.right > innerWidth + 0.5 || r.left < -0.5);
          })
          .map((e) => `${e.tagName.toLowerCase()}.${e.className}`);
        // Text can spill out of a box that itself fits: measure the text, and boxes' content.
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        const range = document.createRange();
        for (let n = walker.nextNode(); n !== null; n = walker.nextNode()) {
          range.selectNodeContents(n);
          const r = range.getBoundingClientRect();
          if (r.width > 0 && (r.right > innerWidth + 0.5 || r.left < -0.5)) overflowing.push(`text ${JSON.stringify(n.textContent?.slice(0, 40))}`);
        }
        for (const e of document.body.querySelectorAll('*')) {
          if (e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1) overflowing.push(`content of ${e.tagName.toLowerCase()}.${e.className}`);
        }
        return {
          inner: innerWidth,
          scrollWidth: document.documentElement.scrollWidth,
          overflowing,
          header: box('header.top'),
          cards: box('.cards'),
          phaseChart: box('#phase-chart'),
          controlChart: box('#control-chart'),
          filters: box('#filters'),
          table: box('#f-table'),
          exceptions: box('#exceptions'),
          errors: box('#errors'),
        };
      });
      expect(layout.overflowing).toEqual([]);
      expect(layout.scrollWidth).toBe(layout.inner);
      expect(layout.table.width).toBeLessThanOrEqual(layout.inner);
      const order = [layout.header, layout.cards, layout.phaseChart, layout.controlChart, layout.filters, layout.table, layout.exceptions, layout.errors];
      for (let i = 1; i < order.length; i++) expect(order[i]!.top, `block ${i} starts below block ${i - 1}`).toBeGreaterThanOrEqual(order[i - 1]!.bottom - 0.5);
      for (const b of order) expect(b.height).toBeGreaterThan(10);
      // The chart's bars are wide enough to read at either width.
      const tracks = await page.locator('#phase-chart .track').evaluateAll((ts) => ts.map((t) => t.getBoundingClientRect().width));
      for (const w of tracks) expect(w).toBeGreaterThan(viewport.width < 500 ? 100 : 500);

      const shot = join(dir, `report-${viewport.width}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      const png = readFileSync(shot);
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      const width = png.readUInt32BE(16);
      const height = png.readUInt32BE(20);
      expect(width).toBe(viewport.width);
      expect(height).toBeGreaterThan(viewport.height);
      expect(height).toBeLessThan(viewport.width < 500 ? 120_000 : 40_000);
      expect(png.length).toBeGreaterThan(20_000);
      await done(o);
    });
  }

  it('shows the posture, exceptions and errors without JavaScript', async () => {
    const o = await open(html, { width: 1280, height: 800 }, false);
    const { page } = o;
    expect(await page.locator('#phase-chart').isVisible()).toBe(true);
    expect(await page.locator('#phase-chart .bar').count()).toBe(8);
    expect(await page.locator('#control-chart .bar').count()).toBe(36);
    expect(await page.locator('.cards .card').count()).toBe(7);
    expect(await page.locator('#findings .note').isVisible()).toBe(true);
    expect(await page.locator('#filters').isVisible()).toBe(false);
    expect(await page.locator('#f-table').isVisible()).toBe(false);
    expect(await page.locator('#exceptions tbody tr').count()).toBe(2);
    expect(await page.locator('#errors li').textContent()).toContain('broken.yaml:3:1');
    expect(await page.locator('#errors-warning').isVisible()).toBe(true);
    await done(o);
  });
});

/** Deployments in ten namespaces, each breaking a varying set of rules: a report of 10,000 findings. */
function largeReport(): Report {
  const docs: string[] = [];
  for (let i = 0; i < 1200; i++) {
    const lines = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      `metadata: { name: app-${i}, namespace: team-${i % 10} }`,
      'spec:',
      `  selector: { matchLabels: { app: app-${i} } }`,
      '  template:',
      `    metadata: { labels: { app: app-${i} } }`,
      '    spec:',
      i % 4 === 0 ? '      hostNetwork: true' : '      hostNetwork: false',
      '      containers:',
      `        - name: c${i}`,
      `          image: ${i % 3 === 0 ? 'nginx:latest' : `registry.example.com/app:${i}`}`,
      `          securityContext: { privileged: ${i % 5 === 0}, runAsNonRoot: ${i % 2 === 0} }`,
    ];
    docs.push(lines.join('\n'));
  }
  const scanned = scanTexts([{ file: 'big/apps.yaml', text: `${docs.join('\n---\n')}\n` }], { rules: RULES });
  if (scanned.findings.length < 10_000) throw new Error(`the generated input gives only ${scanned.findings.length} findings`);
  const findings = scanned.findings.slice(0, 10_000);
  return { ...scanned, findings, summary: summarize(findings) };
}

describe('HTML report with 10,000 findings', () => {
  const report = largeReport();
  const items = report.findings;
  const html = writeHtml(report, options);

  it('opens, pages through them and filters, without errors; reports how long opening and filtering take', async ({ annotate }) => {
    expect(items).toHaveLength(10_000);
    const o = await open(html);
    const { page } = o;
    // Opening, from the page's own navigation timing: the inline script parses the data and
    // draws the first page before DOMContentLoaded; the load event and the first paint follow.
    const opening = await page.evaluate(() => {
      const [nav] = performance.getEntriesByType('navigation') as PerformanceNavigationTiming[];
      const paint = performance.getEntriesByName('first-contentful-paint')[0];
      return {
        domInteractive: nav?.domInteractive ?? Number.NaN,
        domContentLoaded: nav?.domContentLoadedEventEnd ?? Number.NaN,
        load: nav?.loadEventEnd ?? Number.NaN,
        firstContentfulPaint: paint?.startTime ?? Number.NaN,
      };
    });
    await expectShown(page, 10_000, 'all');
    expect(await page.locator('#f-page').textContent()).toBe('Page 1 of 50');
    expect(await page.locator('#f-prev').isDisabled()).toBe(true);
    await page.click('#f-next');
    expect(await rows(page).count()).toBe(PAGE_SIZE);
    expect(await rows(page).first().getAttribute('data-i')).toBe('200');
    expect(await page.locator('#f-page').textContent()).toBe('Page 2 of 50');
    expect(await page.locator('#f-status-line').textContent()).toBe('Showing 201\u2013400 of 10000 matching findings (10000 in the report).');

    // A filter goes back to the first page. The change event filters and draws the table
    // synchronously, so a measure around its dispatch times the filter-and-draw; the next frame
    // adds style, layout and paint. Measured with the Performance API in the page and reported,
    // not held to a limit: a loaded CI machine would make a timer flaky.
    const timed = (id: string, value: string, event: string): Promise<{ dispatch: number; frame: number }> =>
      page.evaluate(
        async ([id, value, event]) => {
          const control = document.getElementById(id) as HTMLInputElement | HTMLSelectElement;
          control.value = value;
          performance.clearMarks();
          performance.clearMeasures();
          performance.mark('start');
          control.dispatchEvent(new Event(event));
          performance.mark('drawn');
          // The frame after the change: its animation callback runs before style and layout, a task queued there after paint.
          await new Promise<void>((done) => requestAnimationFrame(() => setTimeout(done, 0)));
          performance.mark('painted');
          return {
            dispatch: performance.measure('dispatch', 'start', 'drawn').duration,
            frame: performance.measure('frame', 'start', 'painted').duration,
          };
        },
        [id, value, event] as const,
      );
    const filter = await timed('f-ns', 'team-3', 'change');
    const team3 = items.filter((f) => f.object.namespace === 'team-3').length;
    await expectShown(page, team3, 'team-3');
    expect(await page.locator('#f-page').textContent()).toBe(`Page 1 of ${Math.ceil(team3 / PAGE_SIZE)}`);

    const search = await timed('f-q', 'APP-113', 'input');
    const found = items.filter((f) => f.object.namespace === 'team-3' && has(f, 'app-113')).length;
    expect(found).toBeGreaterThan(0);
    await expectShown(page, found, 'search in team-3');

    await page.click('#f-reset');
    await page.selectOption('#f-rule', 'pss-privileged');
    const privileged = items.filter((f) => f.ruleId === 'pss-privileged').length;
    expect(privileged).toBeGreaterThan(0);
    await expectShown(page, privileged, 'pss-privileged');
    await page.click('#f-reset');
    await onlySeverity(page, 'critical');
    await expectShown(page, items.filter((f) => f.severity === 'critical').length, 'critical');
    // The last page holds the remainder.
    await page.click('#f-reset');
    // 49 clicks on Next, in the page: a round trip per click would only slow the test down.
    await page.evaluate(() => {
      for (let i = 1; i < 50; i++) (document.getElementById('f-next') as HTMLButtonElement).click();
    });
    expect(await page.locator('#f-next').isDisabled()).toBe(true);
    expect(await rows(page).count()).toBe(PAGE_SIZE);
    expect(await rows(page).last().getAttribute('data-i')).toBe('9999');
    await done(o);

    const ms = (n: number): string => `${n.toFixed(1)} ms`;
    const lines = [
      `HTML report, ${items.length} findings, ${(Buffer.byteLength(html) / 1e6).toFixed(1)} MB, headless Chromium (Performance API in the page):`,
      `  open: DOM interactive ${ms(opening.domInteractive)}, DOMContentLoaded (first page drawn) ${ms(opening.domContentLoaded)}, load ${ms(opening.load)}, first contentful paint ${ms(opening.firstContentfulPaint)}`,
      `  filter by namespace: ${ms(filter.dispatch)} to filter and draw, ${ms(filter.frame)} to the next frame`,
      `  text search: ${ms(search.dispatch)} to filter and draw, ${ms(search.frame)} to the next frame`,
    ];
    console.log(lines.join('\n'));
    await annotate(lines.join('\n'), 'performance');
    // Reported, not held to a limit; only that they were measured at all.
    for (const n of [opening.domContentLoaded, opening.load, filter.dispatch, filter.frame, search.dispatch, search.frame]) expect(Number.isFinite(n) && n >= 0).toBe(true);
  });
});
