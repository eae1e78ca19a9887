// Runs mamori's whole catalog on the given paths in this process — `scanPaths(paths, { rules: RULES })`
// and `writeJson(report)`, as the scan rows of bench/run.js do — and reports timings, counts and
// peak RSS as the last line on stdout: `mamori-bench {...}`. bench/run.js spawns it beside
// bench/peers/monokle.mjs so each side's memory is measured in its own process.
//
//   node bench/scan.js <dir-or-file>...
//   node bench/scan.js --list <file-list>        a file with one path per line

import { readFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const started = performance.now();
const args = process.argv.slice(2);
const paths = args[0] === '--list' ? readFileSync(args[1], 'utf8').split('\n').filter(Boolean) : args;
if (paths.length === 0) {
  console.error('usage: node bench/scan.js <dir-or-file>... | --list <file-list>');
  process.exit(2);
}

// The library as users import it: the bundle the build writes (`exports` of package.json).
const lib = await import(join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bundle', 'index.js'));
const importMs = performance.now() - started;
const t0 = performance.now();
const report = lib.scanPaths(paths, { rules: lib.RULES });
const t1 = performance.now();
const json = lib.writeJson(report);
const t2 = performance.now();
const byRule = {};
for (const f of report.findings) byRule[f.ruleId] = (byRule[f.ruleId] ?? 0) + 1;
const out = {
  files: report.inputs.files,
  objects: report.inputs.objects,
  rules: lib.RULES.length,
  findings: report.findings.length,
  errors: report.errors.length,
  byRule,
  reportBytes: json.length,
  importMs,
  scanMs: t1 - t0,
  serializeMs: t2 - t1,
  workMs: t2 - t0,
  maxRssKiB: process.resourceUsage().maxRSS,
  wallMs: performance.now() - started,
};
writeSync(1, `\nmamori-bench ${JSON.stringify(out)}\n`);
