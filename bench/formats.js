// The "report formats" section of mamori's benchmark: the time each output format (WRITERS of
// src/report/index.ts) takes to write a report of 100,000 findings, against the JSON report's.
// bench/run.js runs it; it also runs alone, on the current build:
//
//   node bench/formats.js                 100,000 findings (the 10k corpus's scan, replicated)
//   node bench/formats.js --findings N    another count
//   node bench/formats.js --runs N        timed runs after the warm-up (default 3)
//
// The report is the scan of the 10k corpus (bench/corpus.js; about 41,500 findings) replicated
// to the count wanted: each copy's findings get their own files (a `copy-<k>` folder beside the
// original) and objects (`-copy<k>` after the name), so no two findings are the same, every
// format groups and fingerprints as it would for a real scan, and the output's size is realistic.

import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCorpus } from './corpus.js';
import { fmt, gc, median } from './util.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..');

/** Findings of the section's report. */
export const FORMAT_FINDINGS = 100_000;
/** Every format must take at most this many times the JSON report's time. */
export const TARGET_FORMAT_RATIO = 2;
/** The fixed time every writer receives (writers take the scan's time from their options). */
const NOW = new Date('2026-01-15T12:00:00Z');


const RANK = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };
const byKey = (a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** The report's summary, as the engine counts it (src/engine/report.ts). */
function summarize(findings) {
  const bySeverity = {};
  const byPhase = {};
  const byControl = {};
  for (const f of findings) {
    bySeverity[f.severity] = (bySeverity[f.severity] ?? 0) + 1;
    byPhase[f.phase] = (byPhase[f.phase] ?? 0) + 1;
    for (const c of f.controls) byControl[c] = (byControl[c] ?? 0) + 1;
  }
  return {
    total: findings.length,
    bySeverity: Object.fromEntries(Object.entries(bySeverity).sort((a, b) => RANK[a[0]] - RANK[b[0]])),
    byPhase: Object.fromEntries(Object.entries(byPhase).sort(byKey)),
    byControl: Object.fromEntries(Object.entries(byControl).sort(byKey)),
  };
}

/** `file` of copy k: the same name in a `copy-<k>` folder beside it. */
const copiedFile = (file, k) => join(dirname(file), `copy-${k}`, basename(file));

/**
 * The report with its findings replicated to `count` (copy 0 is the report's own findings), each
 * copy in files and objects of its own. Suppressed findings and errors are kept as they are.
 */
export function replicate(report, count) {
  if (report.findings.length === 0) throw new Error('the report to replicate has no findings');
  const findings = [];
  for (let k = 0; findings.length < count; k++) {
    for (const f of report.findings) {
      if (findings.length === count) break;
      if (k === 0) {
        findings.push(f);
        continue;
      }
      const copy = { ...f, object: { ...f.object, name: `${f.object.name}-copy${k}` } };
      if (f.location !== undefined) copy.location = { ...f.location, file: copiedFile(f.location.file, k) };
      findings.push(copy);
    }
  }
  const files = new Set(findings.map((f) => f.location?.file ?? ''));
  const copies = Math.ceil(count / report.findings.length);
  return {
    ...report,
    inputs: { files: Math.max(report.inputs.files, files.size), objects: report.inputs.objects * copies },
    findings,
    summary: summarize(findings),
  };
}

/** The section's report: the 10k corpus scanned with the whole catalog, replicated to `count` findings. */
export function formatsReport(lib, { count = FORMAT_FINDINGS, log = () => {} } = {}) {
  const corpus = ensureCorpus('10k', { log });
  const t0 = performance.now();
  const scanned = lib.scanPaths([corpus.dir], { rules: lib.RULES });
  const scanMs = performance.now() - t0;
  const report = replicate(scanned, count);
  return { report, source: { corpus: '10k', dir: corpus.dir, findings: scanned.findings.length, scanMs } };
}

/**
 * Times every writer of `lib.WRITERS` on the report: a warm-up round, then `runs` rounds, each
 * writing every format once (a round's order rotates, so no format always runs after the same
 * one); medians. JSON's time is `writeJson(report)`.
 */
export function measureFormats(lib, report, { runs = 3, log = () => {}, cwd = REPO } = {}) {
  const options = { color: false, rules: lib.RULES, cwd, now: NOW };
  const formats = Object.keys(lib.WRITERS);
  const write = (format) => (format === 'json' ? lib.writeJson(report) : lib.WRITERS[format](report, options));
  const times = Object.fromEntries(formats.map((f) => [f, []]));
  const bytes = {};
  const once = (format) => {
    gc();
    const t0 = performance.now();
    const out = write(format);
    const ms = performance.now() - t0;
    bytes[format] = Buffer.byteLength(out, 'utf8');
    return ms;
  };
  const warm = formats.map((f) => `${f} ${fmt(once(f))}`);
  log(`  warm-up: ${warm.join(', ')} ms`);
  for (let i = 0; i < runs; i++) {
    const order = formats.map((_, j) => formats[(i + j) % formats.length]);
    for (const f of order) times[f].push(once(f));
    log(`  run ${i + 1}: ${formats.map((f) => `${f} ${fmt(times[f].at(-1))}`).join(', ')} ms`);
  }
  const jsonMs = median(times.json);
  const rows = formats.map((format) => {
    const ms = median(times[format]);
    return { format, ms, range: [Math.min(...times[format]), Math.max(...times[format])], bytes: bytes[format], ratio: ms / jsonMs };
  });
  const worst = rows.reduce((w, r) => (r.ratio > w.ratio ? r : w));
  return { findings: report.findings.length, suppressed: report.suppressed.length, runs, rows, worst, pass: worst.ratio <= TARGET_FORMAT_RATIO };
}

/** The section as bench/run.js runs it: the report, then the timings, logged as they come. */
export function reportFormats(lib, { count = FORMAT_FINDINGS, runs = 3, log = () => {} } = {}) {
  log(`\nreport formats: every writer on a report of ${fmt(count)} findings; warm-up + ${runs} runs`);
  const { report, source } = formatsReport(lib, { count, log });
  log(`  report: the ${source.corpus} corpus's ${fmt(source.findings)} findings (scan ${fmt(source.scanMs)} ms) replicated to ${fmt(report.findings.length)}`);
  const result = { ...measureFormats(lib, report, { runs, log }), source };
  for (const r of result.rows) log(`  ${r.format.padEnd(12)} ${fmt(r.ms).padStart(7)} ms  ${fmt(r.bytes / 1e6, 1).padStart(7)} MB  ${fmt(r.ratio, 2)}× JSON`);
  return result;
}

/** The section's table for docs/benchmarks.md. */
export function formatsMarkdown(formats, L) {
  L.push('## Report formats', '');
  if (!formats) {
    L.push('Not measured in this run.', '');
    return;
  }
  L.push(
    `Each writer of \`WRITERS\` (src/report/index.ts) on one report of ${fmt(formats.findings)} findings: the ${formats.source.corpus} corpus's scan (${fmt(formats.source.findings)} findings) replicated, each copy in files and objects of its own (bench/formats.js). ` +
      `JSON is \`writeJson(report)\`; the others get the whole catalog as their rules. One warm-up round, then ${formats.runs} rounds writing every format once; medians, with the range. MB = 10⁶ bytes of UTF-8.`,
    '',
  );
  L.push('| Format | ms (range) | MB | Ratio to JSON |', '|---|---:|---:|---:|');
  const range = (xs) => (fmt(xs[0]) === fmt(xs[1]) ? '' : ` (${fmt(xs[0])}–${fmt(xs[1])})`);
  for (const r of formats.rows) L.push(`| ${r.format} | ${fmt(r.ms)}${range(r.range)} | ${fmt(r.bytes / 1e6, 1)} | **${fmt(r.ratio, 2)}** |`);
  L.push('');
}

/** The section's row of the targets table. */
export function formatsTarget(formats) {
  return {
    name: `every format ≤ ${TARGET_FORMAT_RATIO}× JSON at ${fmt((formats?.findings ?? FORMAT_FINDINGS) / 1000)}k findings`,
    value: formats ? `worst ${formats.worst.format} ${fmt(formats.worst.ratio, 2)}×` : 'not run',
    status: formats ? (formats.pass ? 'PASS' : 'MISS') : 'n/a',
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const value = (name, fallback) => {
    const i = args.indexOf(name);
    return i < 0 ? fallback : Number(args[i + 1]);
  };
  const lib = await import(join(REPO, 'dist', 'src', 'index.js'));
  const result = reportFormats(lib, { count: value('--findings', FORMAT_FINDINGS), runs: value('--runs', 3), log: (m) => console.log(m) });
  const t = formatsTarget(result);
  console.log(`${t.status}  ${t.name}: ${t.value}`);
}
