// mamori's benchmark: scan time against a bare js-yaml parse of the same files, measured in the
// same run (so the ratios hold on a noisy machine), peak memory of the CLI on 100k objects, and CLI
// start-up against a bare `node -e 0`. Writes docs/benchmarks.md. Run after a build:
//
//   npm run bench                     all sizes (1k, 10k, 100k), external manifests, start-up
//   npm run bench -- --quick          1k, external manifests and start-up only (a smoke run)
//   npm run bench -- --sizes 1k,10k   chosen corpus sizes (plus manifests and start-up)
//   npm run bench -- --no-write       do not overwrite docs/benchmarks.md
//
// $MAMORI_FIXTURES points at the external fixtures (default ../shared/external-fixtures from the
// repository root); their `manifests` folder is benchmarked too, when present.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import jsyaml from 'js-yaml';
import { ensureCorpus, ensureSmallFile, SIZES } from './corpus.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..');
const BIN = join(REPO, 'bin', 'mamori.js');
const DOC = join(REPO, 'docs', 'benchmarks.md');

const TARGET_RATIO_10K = 1.5;
const TARGET_RSS_MIB = 1024;
const TARGET_STARTUP_RATIO = 3;
const STARTUP_RUNS = 20;

// ---------------------------------------------------------------------------------------------
// Options

function parseArgs(argv) {
  const opts = { sizes: Object.keys(SIZES), quick: false, write: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') {
      opts.quick = true;
      opts.sizes = ['1k'];
    } else if (a === '--sizes' || a.startsWith('--sizes=')) {
      const value = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      opts.sizes = (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      const bad = opts.sizes.filter((s) => !(s in SIZES));
      if (bad.length > 0 || opts.sizes.length === 0) usage(`--sizes takes a list of ${Object.keys(SIZES).join(', ')}`);
    } else if (a === '--no-write') {
      opts.write = false;
    } else if (a === '-h' || a === '--help') {
      usage();
    } else {
      usage(`unknown option ${a}`);
    }
  }
  return opts;
}

function usage(error) {
  const text = 'usage: node bench/run.js [--quick] [--sizes 1k,10k,100k] [--no-write]';
  if (error) {
    console.error(`bench: ${error}\n${text}`);
    process.exit(2);
  }
  console.log(text);
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Helpers

// A collector to call between timed runs, so one run's garbage is not collected in the next.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (n, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const mb = (bytes) => bytes / 1e6;
const log = (msg) => console.log(msg);

/** The files the scanner reads, in its order (the scanner's own path expansion). */
let resolveInputs;
function listFiles(dir) {
  return resolveInputs([dir]).inputs.map((input) => input.file);
}

function time(fn) {
  gc();
  const t0 = performance.now();
  const result = fn();
  return { ms: performance.now() - t0, result };
}

// ---------------------------------------------------------------------------------------------
// Measurements

/** Bare parse: read every file and js-yaml `loadAll` it, default options. */
function bareParse(files) {
  let documents = 0;
  let failed = 0;
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    try {
      documents += jsyaml.loadAll(text).length;
    } catch {
      failed++; // a file js-yaml refuses (templates, duplicate keys): the scanner reports it
    }
  }
  return { documents, failed };
}

function makeScan(lib) {
  return (paths) => {
    const report = lib.scanPaths(paths, { rules: lib.RULES });
    const json = lib.writeJson(report);
    return { files: report.inputs.files, objects: report.inputs.objects, findings: report.findings.length, errors: report.errors.length, jsonBytes: json.length };
  };
}

/**
 * Warm-up, then `runs` interleaved pairs of bare parse and scan (alternating which goes first).
 * `files` defaults to the files below dir; the scan is given [dir], or the files themselves when
 * they are a subset.
 */
function compare(name, dir, runs, scan, subset = undefined) {
  const files = subset ?? listFiles(dir);
  const target = subset ?? [dir];
  const bytes = files.reduce((s, f) => s + statSync(f).size, 0);
  log(`\n${name}: ${fmt(files.length)} files, ${fmt(mb(bytes), 1)} MB; warm-up + ${runs} interleaved run${runs === 1 ? '' : 's'}`);
  const parseMs = [];
  const scanMs = [];
  const base = time(() => bareParse(files));
  const first = time(() => scan(target));
  log(`  warm-up: parse ${fmt(base.ms)} ms, scan ${fmt(first.ms)} ms`);
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? ['parse', 'scan'] : ['scan', 'parse'];
    for (const what of order) {
      if (what === 'parse') parseMs.push(time(() => bareParse(files)).ms);
      else scanMs.push(time(() => scan(target)).ms);
    }
    log(`  run ${i + 1}: parse ${fmt(parseMs.at(-1))} ms, scan ${fmt(scanMs.at(-1))} ms`);
  }
  const r = {
    name,
    files: files.length,
    bytes,
    documents: base.result.documents,
    parseFailed: base.result.failed,
    ...first.result,
    runs,
    parseMs: median(parseMs),
    scanMs: median(scanMs),
    parseRange: [Math.min(...parseMs), Math.max(...parseMs)],
    scanRange: [Math.min(...scanMs), Math.max(...scanMs)],
  };
  r.ratio = r.scanMs / r.parseMs;
  log(
    `  median: parse ${fmt(r.parseMs)} ms (${fmt(r.objects / (r.parseMs / 1000))} obj/s, ${fmt(mb(bytes) / (r.parseMs / 1000), 1)} MB/s), ` +
      `scan ${fmt(r.scanMs)} ms (${fmt(r.objects / (r.scanMs / 1000))} obj/s, ${fmt(mb(bytes) / (r.scanMs / 1000), 1)} MB/s), ratio scan/parse ${fmt(r.ratio, 2)}`,
  );
  log(`  ${fmt(r.objects)} objects, ${fmt(r.findings)} findings, ${fmt(r.errors)} errors, JSON report ${fmt(mb(r.jsonBytes), 1)} MB` + (r.parseFailed > 0 ? `; js-yaml refused ${r.parseFailed} file(s)` : ''));
  if (r.files !== files.length) log(`  note: the scan read ${r.files} files, the baseline ${files.length}`);
  return r;
}

/** The same comparison on the corpus's files split by style: plain YAML documents, `kind: List` YAML, JSON. */
function byStyle(dir, scan) {
  const groups = { 'YAML documents': [], '`kind: List` YAML': [], JSON: [] };
  for (const file of listFiles(dir)) {
    if (/\.json$/i.test(file)) groups.JSON.push(file);
    else if (/^kind: List\s*$/m.test(readFileSync(file, 'utf8'))) groups['`kind: List` YAML'].push(file);
    else groups['YAML documents'].push(file);
  }
  return Object.entries(groups)
    .filter(([, files]) => files.length > 0)
    .map(([name, files]) => compare(`10k: ${name}`, dir, 3, scan, files));
}

/** Peak RSS and wall time of the CLI scanning dir, in a child process. */
function cliMemory(dir) {
  log(`\nCLI peak memory: mamori scan ${dir} --format json --output /dev/null`);
  const child = spawnSync(process.execPath, [join(HERE, 'rss.js'), 'scan', dir, '--format', 'json', '--output', '/dev/null'], { cwd: REPO, encoding: 'utf8', maxBuffer: 64 << 20 });
  const line = /mamori-bench (\{.*\})\s*$/.exec(child.stderr ?? '');
  if (child.status === null || line === null) {
    throw new Error(`the CLI run failed (status ${child.status}, signal ${child.signal}):\n${(child.stderr ?? '').slice(-2000)}`);
  }
  const m = JSON.parse(line[1]);
  const r = { dir, rssMiB: m.maxRssKiB / 1024, wallMs: m.wallMs, exitCode: m.exitCode };
  log(`  peak RSS ${fmt(r.rssMiB)} MiB, wall ${fmt(r.wallMs)} ms, exit code ${r.exitCode}`);
  return r;
}

/** Wall time of a tiny CLI scan against `node -e 0`, spawned alternately. */
function startup() {
  const file = ensureSmallFile();
  const mamori = [BIN, 'scan', file, '--format', 'json'];
  const bare = ['-e', '0'];
  const run = (args) => {
    const t0 = performance.now();
    const child = spawnSync(process.execPath, args, { cwd: REPO, encoding: 'utf8' });
    const ms = performance.now() - t0;
    if (child.status === null || child.status > 1) throw new Error(`node ${args.join(' ')} failed (status ${child.status}):\n${child.stderr}`);
    return { ms, child };
  };
  log(`\nstart-up: node bin/mamori.js scan ${file} --format json vs node -e 0, ${STARTUP_RUNS} runs each, alternating`);
  const check = run(mamori).child;
  try {
    JSON.parse(check.stdout);
  } catch {
    throw new Error(`mamori did not print a JSON report:\n${check.stdout.slice(0, 500)}\n${check.stderr}`);
  }
  run(bare);
  const m = [];
  const b = [];
  for (let i = 0; i < STARTUP_RUNS; i++) {
    if (i % 2 === 0) {
      b.push(run(bare).ms);
      m.push(run(mamori).ms);
    } else {
      m.push(run(mamori).ms);
      b.push(run(bare).ms);
    }
  }
  const r = { file, runs: STARTUP_RUNS, mamoriMs: median(m), nodeMs: median(b), mamoriRange: [Math.min(...m), Math.max(...m)], nodeRange: [Math.min(...b), Math.max(...b)] };
  r.ratio = r.mamoriMs / r.nodeMs;
  log(`  median: mamori ${fmt(r.mamoriMs, 1)} ms, node -e 0 ${fmt(r.nodeMs, 1)} ms, ratio ${fmt(r.ratio, 2)}`);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Report

function gitCommit() {
  const git = spawnSync('git', ['describe', '--always', '--dirty', '--abbrev=12'], { cwd: REPO, encoding: 'utf8' });
  return git.status === 0 ? git.stdout.trim() : 'unknown';
}

function targets(results) {
  const tenK = results.compare.find((r) => r.name === '10k');
  const out = [];
  out.push({
    name: `scan/parse ratio at 10k objects ≤ ${TARGET_RATIO_10K}`,
    value: tenK ? fmt(tenK.ratio, 2) : 'not run',
    status: tenK ? (tenK.ratio <= TARGET_RATIO_10K ? 'PASS' : 'MISS') : 'n/a',
  });
  const mem = results.memory;
  out.push({
    name: `100k objects: CLI peak RSS < 1 GiB`,
    value: mem ? `${fmt(mem.rssMiB)} MiB` : 'not run',
    status: mem ? (mem.rssMiB < TARGET_RSS_MIB ? 'PASS' : 'MISS') : 'n/a',
  });
  const st = results.startup;
  out.push({
    name: `start-up ratio (mamori scan of one file / node -e 0) ≤ ${TARGET_STARTUP_RATIO}`,
    value: st ? fmt(st.ratio, 2) : 'not run',
    status: st ? (st.ratio <= TARGET_STARTUP_RATIO ? 'PASS' : 'MISS') : 'n/a',
  });
  return out;
}

function markdown(results, env, opts) {
  const L = [];
  L.push('# Benchmarks', '');
  L.push('<!-- Generated by `npm run bench` (bench/run.js). Do not edit by hand: rerun the benchmark. -->', '');
  L.push('Generated by `npm run bench`; rerun it to refresh this page. Ratios are measured in the same run on the same input, so they hold on a noisy machine; absolute figures depend on the machine below.', '');
  L.push(`- Date: ${env.date}`);
  L.push(`- mamori ${env.version} (commit ${env.commit}), ${env.rules} rule${env.rules === 1 ? '' : 's'} in the catalog`);
  L.push(`- Node ${process.version}, ${os.platform()} ${os.release()} ${os.arch()}`);
  L.push(`- CPU: ${env.cpu}, ${env.cores} cores; memory ${fmt(os.totalmem() / 2 ** 30, 1)} GiB`);
  L.push(`- Run: \`node bench/run.js${env.argv.length > 0 ? ` ${env.argv.join(' ')}` : ''}\` (corpus sizes: ${opts.sizes.join(', ')}), ${fmt(env.totalS, 0)} s in all`);
  L.push('');
  L.push('## Targets', '');
  L.push('| Target | Measured | Status |', '|---|---:|---|');
  for (const t of results.targets) L.push(`| ${t.name} | ${t.value} | ${t.status} |`);
  L.push('');
  L.push('## Scan against a bare parse', '');
  L.push(
    '*Bare parse*: read each file and `js-yaml` 4 `loadAll` it with default options. *Scan*: `scanPaths([dir], { rules: RULES })` and `writeJson(report)` — every rule of the catalog, JSON output. ' +
      'Same files in the same order; one warm-up, then interleaved runs (alternating which goes first); medians, with the range of the runs. MB = 10⁶ bytes.',
    '',
  );
  L.push('| Corpus | Files | Objects | MB | Runs | Parse ms (range) | Scan ms (range) | Parse obj/s | Scan obj/s | Parse MB/s | Scan MB/s | Scan/parse | Findings |');
  L.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results.compare) {
    const range = (xs) => (xs[0] === xs[1] ? '' : ` (${fmt(xs[0])}–${fmt(xs[1])})`);
    L.push(
      `| ${r.name} | ${fmt(r.files)} | ${fmt(r.objects)} | ${fmt(mb(r.bytes), 1)} | ${r.runs} | ${fmt(r.parseMs)}${range(r.parseRange)} | ${fmt(r.scanMs)}${range(r.scanRange)} | ` +
        `${fmt(r.objects / (r.parseMs / 1000))} | ${fmt(r.objects / (r.scanMs / 1000))} | ${fmt(mb(r.bytes) / (r.parseMs / 1000), 1)} | ${fmt(mb(r.bytes) / (r.scanMs / 1000), 1)} | **${fmt(r.ratio, 2)}** | ${fmt(r.findings)} |`,
    );
  }
  L.push('');
  const notes = results.compare.filter((r) => r.parseFailed > 0 || r.errors > 0);
  for (const r of notes) {
    L.push(`- ${r.name}: ${r.parseFailed > 0 ? `js-yaml \`loadAll\` refused ${r.parseFailed} file(s) (the baseline skips the rest of such a file); ` : ''}the scan reported ${fmt(r.errors)} error(s).`);
  }
  if (results.skipped.length > 0) for (const s of results.skipped) L.push(`- ${s}`);
  if (notes.length > 0 || results.skipped.length > 0) L.push('');
  if (results.styles) {
    L.push('### 10k corpus by input style', '');
    L.push('The 10k comparison again on each style of file alone (3 interleaved runs each), to show where scan time goes.', '');
    L.push('| Files | Count | Objects | MB | Parse ms | Scan ms | Scan MB/s | Scan/parse | Findings |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of results.styles) {
      L.push(`| ${r.name.replace(/^10k: /, '')} | ${fmt(r.files)} | ${fmt(r.objects)} | ${fmt(mb(r.bytes), 1)} | ${fmt(r.parseMs)} | ${fmt(r.scanMs)} | ${fmt(mb(r.bytes) / (r.scanMs / 1000), 1)} | **${fmt(r.ratio, 2)}** | ${fmt(r.findings)} |`);
    }
    L.push('');
  }
  if (results.corpora.length > 0) {
    L.push('### Corpora', '');
    L.push(
      'Generated by `bench/corpus.js` from a seeded PRNG into `bench/.corpus/` (not committed): nested folders of single- and multi-document YAML files (1–50 documents), a few JSON files and `kind: List` files (20–100 items), ' +
        'comments, Helm/kustomize/kubectl styles; workloads hardened, default or risky (privileged, host namespaces, hostPath, added capabilities), with init containers, sidecars, probes, env, resources and volumes.',
      '',
    );
    L.push('| Corpus | Files | Documents | Objects | MB | Kinds |', '|---|---:|---:|---:|---:|---|');
    for (const c of results.corpora) {
      const kinds = Object.entries(c.kinds).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${fmt((100 * n) / c.objects, 0)}%`).join(', ');
      L.push(`| ${c.name} | ${fmt(c.files)} | ${fmt(c.documents)} | ${fmt(c.objects)} | ${fmt(mb(c.bytes), 1)} | ${kinds} |`);
    }
    L.push('');
  }
  L.push('## Peak memory of the CLI', '');
  if (results.memory) {
    const m = results.memory;
    L.push('`mamori scan <100k corpus> --format json --output /dev/null`, run in a child process by `bench/rss.js`, which reads `process.resourceUsage().maxRSS` on exit.', '');
    L.push('| Corpus | Peak RSS (MiB) | Wall time (ms) | Exit code |', '|---|---:|---:|---:|');
    L.push(`| 100k | ${fmt(m.rssMiB)} | ${fmt(m.wallMs)} | ${m.exitCode} |`);
  } else {
    L.push('Not measured in this run (it needs the 100k corpus).');
  }
  L.push('');
  L.push('## Start-up', '');
  if (results.startup) {
    const s = results.startup;
    L.push(`Wall time of \`node bin/mamori.js scan <one small Deployment> --format json\` against \`node -e 0\`, spawned alternately ${s.runs} times each; medians, with the range.`, '');
    L.push('| Command | Median ms | Range ms |', '|---|---:|---:|');
    L.push(`| node -e 0 | ${fmt(s.nodeMs, 1)} | ${fmt(s.nodeRange[0], 1)}–${fmt(s.nodeRange[1], 1)} |`);
    L.push(`| mamori scan (one file, JSON) | ${fmt(s.mamoriMs, 1)} | ${fmt(s.mamoriRange[0], 1)}–${fmt(s.mamoriRange[1], 1)} |`);
    L.push(`| **ratio** | **${fmt(s.ratio, 2)}** | |`);
  } else {
    L.push('Not measured in this run.');
  }
  L.push('');
  return L.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const started = performance.now();
  const argv = process.argv.slice(2);
  const opts = parseArgs(argv);
  let lib;
  try {
    lib = await import(join(REPO, 'dist', 'src', 'index.js'));
  } catch (error) {
    console.error(`bench: cannot load dist/src/index.js (run \`npm run build\` first): ${error.message}`);
    process.exit(1);
  }
  resolveInputs = lib.resolveInputs;
  const scan = makeScan(lib);
  const env = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    version: lib.VERSION ?? 'unknown',
    commit: gitCommit(),
    rules: lib.RULES.length,
    cpu: os.cpus()[0]?.model?.trim() ?? 'unknown',
    cores: os.cpus().length,
    argv,
  };
  log(`mamori ${env.version} (${env.commit}), ${env.rules} rules; node ${process.version}; ${env.cpu} x ${env.cores}`);

  const results = { compare: [], corpora: [], styles: undefined, memory: undefined, startup: undefined, skipped: [] };
  for (const size of opts.sizes) {
    const corpus = ensureCorpus(size, { log });
    results.corpora.push({ name: size, ...corpus });
    const runs = size === '100k' ? 1 : 5;
    results.compare.push(compare(size, corpus.dir, runs, scan));
    if (size === '10k') results.styles = byStyle(corpus.dir, scan);
    if (size === '100k') results.memory = cliMemory(corpus.dir);
  }

  const fixtures = resolve(REPO, process.env.MAMORI_FIXTURES ?? join('..', 'shared', 'external-fixtures'));
  const manifests = join(fixtures, 'manifests');
  if (existsSync(manifests) && statSync(manifests).isDirectory()) {
    results.compare.push(compare('external manifests', manifests, 3, scan));
  } else {
    const note = `external manifests skipped: ${manifests} is absent (set $MAMORI_FIXTURES)`;
    log(`\nnote: ${note}`);
    results.skipped.push(note);
  }

  results.startup = startup();
  results.targets = targets(results);

  log('\ntargets:');
  for (const t of results.targets) log(`  ${t.status.padEnd(4)}  ${t.name}: ${t.value}`);
  env.totalS = (performance.now() - started) / 1000;
  if (opts.write) {
    writeFileSync(DOC, markdown(results, env, opts));
    log(`\nwrote ${DOC}`);
  }
  log(`total ${fmt(env.totalS, 0)} s`);
}

await main();
