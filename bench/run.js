// mamori's benchmark: scan time against a bare js-yaml parse of the same files, measured in the
// same run (so the ratios hold on a noisy machine), peak memory of the CLI on 100k objects, and CLI
// start-up against a bare `node -e 0`. Writes docs/benchmarks.md. Run after a build:
//
//   npm run bench                     all sizes (1k, 10k, 100k), external manifests, start-up
//   npm run bench -- --quick          1k, external manifests and start-up only (a smoke run)
//   npm run bench -- --sizes 1k,10k   chosen corpus sizes (plus manifests and start-up)
//   npm run bench -- --no-write       do not overwrite docs/benchmarks.md
//   npm run bench -- --out FILE       write the page to FILE instead of docs/benchmarks.md
//   npm run bench -- --no-netpol      skip the netpol corpus (10k pods, 2k NetworkPolicies, one namespace)
//   npm run bench -- --no-peers       skip the side-by-side run against @monokle/validation
//   npm run bench -- --peers-only     only the side-by-side run (on the 1k/10k sizes chosen and the manifests)
//   npm run bench -- --no-formats     skip the report formats (every writer on 100,000 findings)
//   npm run bench -- --formats-only   only the report formats (never replaces docs/benchmarks.md unless --out)
//   npm run bench -- --no-admission   skip the admission webhook load test (bench/admission.js)
//   npm run bench -- --no-policies    skip the policies section (bench/policies.js)
//
// The peers section runs mamori (bench/scan.js) and @monokle/validation (bench/peers/monokle.mjs,
// offline) each in its own child process on the same files, alternately, and compares wall time and
// peak RSS. bench/peers/node_modules is installed on demand (`npm ci --prefix bench/peers`).
//
// The report formats section (bench/formats.js) times every writer on a report of 100,000 findings
// (the 10k corpus's scan, replicated) against the JSON report's writer; it runs unless --quick.
//
// $MAMORI_FIXTURES points at the external fixtures (default ../shared/external-fixtures from the
// repository root); their `manifests` folder is benchmarked too, when present.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import jsyaml from 'js-yaml';
import { CORPUS_ROOT, ensureCorpus, ensureSmallFile, NETPOL, SIZES } from './corpus.js';
import { formatsMarkdown, formatsTarget, reportFormats } from './formats.js';
import { policiesMarkdown, policiesTarget, policyBench } from './policies.js';
import { fmt, gc, median } from './util.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..');
const BIN = join(REPO, 'bin', 'mamori.js');
const DOC = join(REPO, 'docs', 'benchmarks.md');

const TARGET_RATIO_10K = 1.5;
const TARGET_RSS_MIB = 1024;
const TARGET_STARTUP_RATIO = 3;
const STARTUP_RUNS = 20;
const TARGET_PEER_SPEEDUP = 20;
const TARGET_ADMISSION_P99_MS = 5;
const TARGET_ADMISSION_RSS_GROWTH_MIB = 8;
const PEERS = join(HERE, 'peers');
/** How long one monokle run (or probe) may take before it is stopped and reported as not finished. */
const PEER_TIMEOUT_MS = Number(process.env.MAMORI_BENCH_PEER_TIMEOUT_MS ?? 600_000);

// ---------------------------------------------------------------------------------------------
// Options

function parseArgs(argv) {
  const opts = { sizes: Object.keys(SIZES), quick: false, write: true, netpol: true, peers: true, peersOnly: false, formats: true, formatsOnly: false, admission: true, policies: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') {
      opts.quick = true;
      opts.sizes = ['1k'];
      opts.netpol = false;
      opts.formats = false;
      opts.policies = false;
    } else if (a === '--sizes' || a.startsWith('--sizes=')) {
      const value = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      opts.sizes = (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      const bad = opts.sizes.filter((s) => !(s in SIZES));
      if (bad.length > 0 || opts.sizes.length === 0) usage(`--sizes takes a list of ${Object.keys(SIZES).join(', ')}`);
    } else if (a === '--no-write') {
      opts.write = false;
    } else if (a === '--out' || a.startsWith('--out=')) {
      opts.out = resolve(a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i] ?? usage('--out takes a file'));
    } else if (a === '--no-netpol') {
      opts.netpol = false;
    } else if (a === '--no-peers') {
      opts.peers = false;
    } else if (a === '--peers-only') {
      opts.peersOnly = true;
    } else if (a === '--no-formats') {
      opts.formats = false;
    } else if (a === '--no-admission') {
      opts.admission = false;
    } else if (a === '--no-policies') {
      opts.policies = false;
    } else if (a === '--formats-only') {
      opts.formatsOnly = true;
    } else if (a === '-h' || a === '--help') {
      usage();
    } else {
      usage(`unknown option ${a}`);
    }
  }
  return opts;
}

function usage(error) {
  const text = 'usage: node bench/run.js [--quick] [--sizes 1k,10k,100k] [--no-write | --out FILE] [--no-netpol] [--no-peers | --peers-only] [--no-formats | --formats-only] [--no-admission] [--no-policies]';
  if (error) {
    console.error(`bench: ${error}\n${text}`);
    process.exit(2);
  }
  console.log(text);
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Helpers

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
// Peers: mamori against @monokle/validation, each in its own child process, on the same files

/** Installs bench/peers/node_modules from its lock file when missing; returns a note when it cannot. */
function ensurePeers() {
  if (existsSync(join(PEERS, 'node_modules', '@monokle', 'validation', 'package.json')) && existsSync(join(PEERS, 'node_modules', '@monokle', 'parser', 'package.json'))) return undefined;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  for (const args of [['ci', '--no-audit', '--no-fund', '--prefix', PEERS], ['install', '--no-audit', '--no-fund', '--prefix', PEERS]]) {
    log(`\npeers: installing @monokle/validation: npm ${args.join(' ')}`);
    const child = spawnSync(npm, args, { cwd: REPO, encoding: 'utf8', timeout: 300_000 });
    if (child.status === 0) return undefined;
    log(`  failed (status ${child.status}${child.error ? `, ${child.error.message}` : ''}): ${(child.stderr ?? '').trim().split('\n').slice(-3).join(' / ')}`);
  }
  return 'the peers comparison was skipped: `npm ci --prefix bench/peers` failed (no registry access?)';
}

function peerVersions() {
  const version = (name) => {
    try {
      return JSON.parse(readFileSync(join(PEERS, 'node_modules', ...name.split('/'), 'package.json'), 'utf8')).version;
    } catch {
      return 'unknown';
    }
  };
  return { validation: version('@monokle/validation'), parser: version('@monokle/parser') };
}

/** Runs a bench child (`<tag>-bench {...}` as its last stdout line); wall time measured from here. */
function runChild(tag, script, args, timeoutMs) {
  gc();
  const t0 = performance.now();
  const child = spawnSync(process.execPath, [script, ...args], {
    cwd: REPO,
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    env: { ...process.env, MONOKLE_TIMEOUT_MS: String(timeoutMs) },
  });
  const wallMs = performance.now() - t0;
  const line = new RegExp(`${tag}-bench (\\{.*\\})\\s*$`).exec(child.stdout ?? '');
  if (line === null) {
    const timedOut = child.signal === 'SIGKILL' || child.status === 124 || child.error?.code === 'ETIMEDOUT';
    return { crashed: true, timedOut, wallMs, status: child.status, signal: child.signal, stderr: `${child.stderr ?? ''}`.slice(-1500) };
  }
  return { ...JSON.parse(line[1]), wallMs, childWallMs: JSON.parse(line[1]).wallMs };
}

function writeList(name, files) {
  const dir = join(CORPUS_ROOT, 'peers');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name.replace(/[^a-z0-9]+/gi, '-')}.list`);
  writeFileSync(file, `${files.join('\n')}\n`);
  return file;
}

/**
 * mamori and monokle on the files below dir: a probe for the files monokle cannot handle (left
 * out of both sides), then `runs` alternating pairs of child processes.
 */
function peerCompare(name, dir, runs) {
  const all = listFiles(dir);
  const bytes = all.reduce((s, f) => s + statSync(f).size, 0);
  log(`\npeers, ${name}: ${fmt(all.length)} files, ${fmt(mb(bytes), 1)} MB; probe, then ${runs} alternating run${runs === 1 ? '' : 's'} of each (monokle time limit ${fmt(PEER_TIMEOUT_MS / 1000)} s)`);
  const row = { name, files: all.length, bytes, runs, excluded: [], mamori: [], monokle: [], notes: [] };

  const convertDir = join(CORPUS_ROOT, 'peers', `${name.replace(/[^a-z0-9]+/gi, '-')}-converted`);
  const probe = runChild('monokle', join(PEERS, 'monokle.mjs'), ['--probe', writeList(name, all), convertDir], PEER_TIMEOUT_MS);
  let converted = {};
  if (probe.crashed) {
    row.notes.push(probe.timedOut ? `the monokle probe did not finish in ${fmt(PEER_TIMEOUT_MS / 1000)} s; no files excluded` : `the monokle probe failed (status ${probe.status}): ${probe.stderr.trim().split('\n').slice(-3).join(' / ')}`);
    log(`  ${row.notes.at(-1)}`);
  } else {
    row.excluded = probe.failed ?? [];
    converted = probe.converted ?? {};
    row.converted = Object.keys(converted).length;
    if ((probe.network ?? []).length > 0) row.notes.push(`monokle tried the network during the probe: ${probe.network.slice(0, 3).join(', ')}`);
  }
  row.dir = dir;
  for (const x of row.excluded) log(`  excluded (monokle ${x.stage}): ${relative(dir, x.file)}: ${x.reason}`);
  const out = new Set(row.excluded.map((x) => x.file));
  const files = all.filter((f) => !out.has(f));
  const list = writeList(`${name}-monokle`, files.map((f) => converted[f] ?? f));
  const mamoriList = writeList(`${name}-mamori`, files);
  row.used = files.length;
  row.usedBytes = files.reduce((s, f) => s + statSync(f).size, 0);
  const mamoriArgs = out.size === 0 ? [dir] : ['--list', mamoriList];

  let monokleDone = true;
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? ['mamori', 'monokle'] : ['monokle', 'mamori'];
    for (const who of order) {
      if (who === 'mamori') {
        const m = runChild('mamori', join(HERE, 'scan.js'), mamoriArgs, PEER_TIMEOUT_MS);
        if (m.crashed) throw new Error(`bench/scan.js failed on ${name} (status ${m.status}, signal ${m.signal}):\n${m.stderr}`);
        row.mamori.push(m);
        log(`  run ${i + 1}: mamori  ${fmt(m.wallMs).padStart(7)} ms wall (scan ${fmt(m.workMs)} ms), peak RSS ${fmt(m.maxRssKiB / 1024)} MiB, ${fmt(m.objects)} objects, ${fmt(m.findings)} findings`);
      } else if (monokleDone) {
        const k = runChild('monokle', join(PEERS, 'monokle.mjs'), [list], PEER_TIMEOUT_MS);
        if (k.crashed) {
          monokleDone = false;
          row.monokleFailure = k.timedOut ? { timedOut: true, wallMs: k.wallMs } : { status: k.status, signal: k.signal, stderr: k.stderr };
          row.notes.push(k.timedOut ? `monokle did not finish in ${fmt(PEER_TIMEOUT_MS / 1000)} s (stopped)` : `monokle failed (status ${k.status}, signal ${k.signal}): ${k.stderr.trim().split('\n').slice(-3).join(' / ')}`);
          log(`  run ${i + 1}: monokle ${row.notes.at(-1)}`);
          continue;
        }
        row.monokle.push(k);
        log(
          `  run ${i + 1}: monokle ${fmt(k.wallMs).padStart(7)} ms wall (import ${fmt(k.importMs)}, preload ${fmt(k.preloadMs)}, read ${fmt(k.readMs)}, prepare ${fmt(k.prepareMs)}, extract ${fmt(k.extractMs)}, validate ${fmt(k.validateMs)}, SARIF ${fmt(k.serializeMs)} ms), ` +
            `peak RSS ${fmt(k.maxRssKiB / 1024)} MiB, ${fmt(k.resources)} resources, ${fmt(k.findings)} findings`,
        );
      }
    }
  }
  for (const k of row.monokle) {
    if (k.network.length > 0) row.notes.push(`monokle tried the network: ${k.network.slice(0, 3).join(', ')}`);
    if (k.ruleFailures.length > 0) row.notes.push(`monokle rules threw (each then skipped for every resource): ${k.ruleFailures.slice(0, 3).join('; ')}${k.ruleFailures.length > 3 ? ' …' : ''}`);
    if (k.failed.length > 0) row.notes.push(`monokle could not read ${k.failed.length} file(s) in the timed run`);
    if (k.failedPlugins.length > 0 || k.validateError) row.notes.push(`monokle plugin failures: ${JSON.stringify(k.failedPlugins)} ${k.validateError ?? ''}`);
  }
  const catalogs = new Set(row.mamori.map((x) => `${x.rules} rules, ${x.findings} findings`));
  if (catalogs.size > 1) row.notes.push(`mamori's build changed between runs (${[...catalogs].join(' / ')}): dist/ was rebuilt meanwhile`);
  row.notes = [...new Set(row.notes)];
  const pick = (xs, f) => (xs.length === 0 ? undefined : median(xs.map(f)));
  const m = row.mamori;
  const k = row.monokle;
  row.summary = {
    mamori: { wallMs: pick(m, (x) => x.wallMs), workMs: pick(m, (x) => x.workMs), rssMiB: Math.max(...m.map((x) => x.maxRssKiB)) / 1024, objects: m[0].objects, findings: m[0].findings, errors: m[0].errors, rules: m[0].rules, byRule: m[0].byRule },
    monokle:
      k.length === 0
        ? undefined
        : {
            wallMs: pick(k, (x) => x.wallMs), workMs: pick(k, (x) => x.workMs), rssMiB: Math.max(...k.map((x) => x.maxRssKiB)) / 1024, resources: k[0].resources, findings: k[0].findings, rulesOn: k[0].rulesOn, byRule: k[0].byRule, converted: k[0].converted,
            phases: Object.fromEntries(['importMs', 'preloadMs', 'readMs', 'prepareMs', 'extractMs', 'validateMs', 'serializeMs'].map((p) => [p, pick(k, (x) => x[p])])),
          },
  };
  const s = row.summary;
  if (s.monokle) {
    s.ratio = s.monokle.wallMs / s.mamori.wallMs;
    s.workRatio = s.monokle.workMs / s.mamori.workMs;
    log(`  median wall: mamori ${fmt(s.mamori.wallMs)} ms, monokle ${fmt(s.monokle.wallMs)} ms: monokle/mamori ${fmt(s.ratio, 1)}× (scan work alone ${fmt(s.workRatio, 1)}×); peak RSS mamori ${fmt(s.mamori.rssMiB)} MiB, monokle ${fmt(s.monokle.rssMiB)} MiB`);
  } else if (row.monokleFailure?.timedOut) {
    s.ratioAtLeast = row.monokleFailure.wallMs / s.mamori.wallMs;
    log(`  monokle did not finish: monokle/mamori > ${fmt(s.ratioAtLeast, 1)}×`);
  }
  return row;
}

/** The peers section: the 1k and 10k corpora among the sizes run, and the external manifests. */
function peers(opts, manifests) {
  const note = ensurePeers();
  if (note) {
    log(`\nnote: ${note}`);
    return { skipped: note, rows: [] };
  }
  const versions = peerVersions();
  log(`\npeers: @monokle/validation ${versions.validation}, @monokle/parser ${versions.parser} (bench/peers), offline`);
  const rows = [];
  for (const size of ['1k', '10k']) {
    if (!opts.sizes.includes(size)) continue;
    rows.push(peerCompare(size, ensureCorpus(size, { log }).dir, 3));
  }
  if (manifests) rows.push(peerCompare('external manifests', manifests, 3));
  return { versions, rows };
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
  for (const row of results.peers?.rows ?? []) {
    const sm = row.summary;
    const speed = sm.monokle ? sm.ratio : sm.ratioAtLeast;
    out.push({
      name: `peers, ${row.name}: @monokle/validation wall time / mamori's ≥ ${TARGET_PEER_SPEEDUP}`,
      value: speed === undefined ? 'monokle failed' : `${sm.monokle ? '' : '> '}${fmt(speed, 1)}×`,
      status: speed === undefined ? 'n/a' : speed >= TARGET_PEER_SPEEDUP ? 'PASS' : sm.monokle ? 'MISS' : 'n/a',
    });
    out.push({
      name: `peers, ${row.name}: mamori peak RSS < @monokle/validation's`,
      value: sm.monokle ? `${fmt(sm.mamori.rssMiB)} vs ${fmt(sm.monokle.rssMiB)} MiB` : `${fmt(sm.mamori.rssMiB)} MiB vs not measured`,
      status: sm.monokle ? (sm.mamori.rssMiB < sm.monokle.rssMiB ? 'PASS' : 'MISS') : 'n/a',
    });
  }
  if (results.peers?.skipped) out.push({ name: 'peers: @monokle/validation comparison', value: 'not run', status: 'n/a' });
  out.push(formatsTarget(results.formats));
  out.push(policiesTarget(results.policies));
  const adm = results.admission;
  if (adm?.summary) {
    const m = adm.summary.main;
    out.push({
      name: `admission: ${fmt(m.rate)} rps for ${m.seconds} s, server p99 ≤ ${TARGET_ADMISSION_P99_MS} ms, no errors`,
      value: `p99 ${fmt(m.latencyMs.server.p99, 2)} ms, ${fmt(m.errors)} errors, ${fmt(m.achievedRate)} rps achieved`,
      status: m.latencyMs.server.p99 <= TARGET_ADMISSION_P99_MS && m.errors === 0 && m.achievedRate >= 0.98 * m.rate ? 'PASS' : 'MISS',
    });
    // Steady: the highest RSS of the run's second half is no more than a little above the first
    // half's (a leak grows; a garbage-collected heap saws up and down).
    const growth = m.rssMiB.secondHalfMax - m.rssMiB.firstHalfMax;
    out.push({
      name: `admission: server RSS steady over the run (peak of the second half ≤ peak of the first + ${TARGET_ADMISSION_RSS_GROWTH_MIB} MiB)`,
      value: `${fmt(m.rssMiB.firstHalfMax, 1)} → ${fmt(m.rssMiB.secondHalfMax, 1)} MiB (start ${fmt(m.rssMiB.start, 1)}, end ${fmt(m.rssMiB.end, 1)})`,
      status: growth <= TARGET_ADMISSION_RSS_GROWTH_MIB ? 'PASS' : 'MISS',
    });
    if (adm.summary.search) out.push({ name: 'admission: highest rate with server p99 < 10 ms (reported)', value: `${fmt(adm.summary.search.highestRate)} rps`, status: 'info' });
  } else if (adm) {
    out.push({ name: 'admission: load test', value: adm.error, status: 'MISS' });
  }
  return out;
}

/** Runs bench/admission.js (the webhook as `bin/mamori.js admission serve`, and a load generator) and reads its summary. */
function admissionLoad(opts, fixtures) {
  const args = [join(REPO, 'bench', 'admission.js'), '--entry', 'cli'];
  if (opts.quick) args.push('--duration', '10', '--no-search');
  log(`\nadmission webhook: node ${args.map((a) => relative(REPO, a) || a).join(' ')}`);
  const run = spawnSync(process.execPath, args, { cwd: REPO, encoding: 'utf8', env: { ...process.env, MAMORI_FIXTURES: fixtures }, maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const summary = JSON.parse(run.stdout);
    const m = summary.main;
    log(`  ${fmt(m.rate)} rps for ${m.seconds} s: server p99 ${fmt(m.latencyMs.server.p99, 2)} ms, client p99 ${fmt(m.latencyMs.client.p99, 2)} ms, ${m.errors} errors; RSS ${fmt(m.rssMiB.start, 1)} → ${fmt(m.rssMiB.end, 1)} MiB`);
    if (summary.search) log(`  highest rate with server p99 < 10 ms: ${fmt(summary.search.highestRate)} rps`);
    return { summary, args: args.slice(1).map((a) => relative(REPO, a) || a) };
  } catch {
    return { error: `bench/admission.js failed (exit ${run.status})` };
  }
}

function admissionMarkdown(adm, L) {
  L.push('## Admission webhook', '');
  if (adm === undefined) {
    L.push('Not measured in this run.', '');
    return;
  }
  if (adm.summary === undefined) {
    L.push(`Not measured: ${adm.error}.`, '');
    return;
  }
  const s = adm.summary;
  const m = s.main;
  L.push(
    `\`node ${adm.args.join(' ')}\`: \`mamori admission serve\` (the built CLI) in its own process, and an open-loop load generator sending real AdmissionReviews over HTTPS with keep-alive on loopback (${s.reviews.pods} Pod and ${s.reviews.deployments} Deployment requests of kubewarden's test data, in turn): ${s.what}. Server latency is the server's own timing of each request (its \`Server-Timing\` header), cross-checked with its /metrics histogram; client latency is measured by the generator, and *from schedule* from the time each request was due (no coordinated omission). Namespaces without labels: ${s.server.defaults}. The run follows a warm-up at the same rate (30 s unless \`--warmup\`), so memory is read once the JIT and the heap have settled.`,
    '',
  );
  L.push('| Rate (rps) | Seconds | Requests | Achieved rps | Errors | Server p50 / p99 / p99.9 ms | Client p99 ms | From schedule p99 ms | ≤ 5 ms (histogram) | RSS MiB |');
  L.push('|---:|---:|---:|---:|---:|---|---:|---:|---:|---|');
  const l = m.latencyMs;
  L.push(
    `| ${fmt(m.rate)} | ${m.seconds} | ${fmt(m.requests)} | ${fmt(m.achievedRate)} | ${fmt(m.errors)} | ${fmt(l.server.p50, 2)} / **${fmt(l.server.p99, 2)}** / ${fmt(l.server.p999, 2)} | ${fmt(l.client.p99, 2)} | ${fmt(l.fromSchedule.p99, 2)} | ${fmt(m.serverHistogram.within5ms, 2)}% | ${fmt(m.rssMiB.start, 1)} → ${fmt(m.rssMiB.end, 1)}; peak per half ${fmt(m.rssMiB.firstHalfMax, 1)}, ${fmt(m.rssMiB.secondHalfMax, 1)} |`,
  );
  L.push('');
  if (s.search) L.push(`Highest rate the ${s.machine.cpus} cores sustain (${s.search.criterion}): **${fmt(s.search.highestRate)} rps**.`, '');
}


function peersMarkdown(peers, L) {
  L.push('## Against @monokle/validation', '');
  if (peers.skipped) {
    L.push(`Not measured in this run: ${peers.skipped}.`, '');
    return;
  }
  const v = peers.versions;
  L.push(
    `mamori and \`@monokle/validation\` ${v.validation} (with \`@monokle/parser\` ${v.parser}; the TypeScript peer) on the same files, each in its own child process, spawned alternately; wall time from spawn to exit (Node start-up and module loading included) and peak RSS (\`process.resourceUsage().maxRSS\`) of each process. Medians of the runs; RSS is the largest of the runs.`,
    '',
    '- *mamori*: `bench/scan.js` — `scanPaths(paths, { rules: RULES })` and `writeJson(report)`: the whole catalog, JSON report.',
    '- *monokle*: `bench/peers/monokle.mjs`, offline as in `/work/shared/specs/peers.md` §3: validator built by hand with the `DefaultPluginLoader` (core plugins only), plugins yaml-syntax, kubernetes-schema, pod-security-standards and practices, every rule of them pinned on except K8S004 (' +
      (peers.rows.find((r) => r.summary.monokle)?.summary.monokle.rulesOn ?? 63) +
      ' rules; PSS restricted and the default-off KBP rules included); ' +
      'open-policy-agent, admission-policy (both fetch wasm when configured, even when set to `false`, so they are not named at all), resource-links (`processRefs` is super-linear) and metadata off; the schema loader returns an empty `definitions` object, so K8S001 is silent and only the deprecation rules K8S002/K8S003 of that plugin report. ' +
      'Inputs as §3 step 6: JSON files converted to YAML text and `kind: List` expanded by the script once, untimed, before the runs (mamori reads the original files and does that work itself), then `extractK8sResources(files, true)`, `validate({ resources })`, and the SARIF report stringified. Network access is blocked in the child (fetch, sockets, DNS fail at once and are counted); none was attempted.',
    '- Files monokle cannot handle are found first by an untimed probe and left out of *both* sides: files with a document `yaml` rejects (`@monokle/parser` drops such documents silently), files `extractK8sResources` throws on, and files with a resource a rule throws on (such a rule is then skipped for every resource of the run, silently without `settings.debug`).',
    '- Findings are not comparable one for one: the rule sets differ (mamori\'s catalog vs monokle\'s PSS + KBP + YAML + deprecations), and monokle reports one result per container where mamori reports one per object and control.',
    '',
  );
  L.push('| Corpus | Files | MB | Runs | mamori ms | monokle ms | monokle / mamori | Work only | mamori RSS MiB | monokle RSS MiB | mamori objects / findings | monokle resources / findings |');
  L.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of peers.rows) {
    const sm = row.summary;
    const k = sm.monokle;
    L.push(
      `| ${row.name} | ${fmt(row.used)}${row.excluded.length > 0 ? ` (of ${fmt(row.files)})` : ''} | ${fmt(mb(row.usedBytes), 1)} | ${row.runs} | ${fmt(sm.mamori.wallMs)} | ${k ? fmt(k.wallMs) : row.monokleFailure?.timedOut ? `> ${fmt(row.monokleFailure.wallMs)} (stopped)` : 'failed'} | ` +
        `**${k ? `${fmt(sm.ratio, 1)}×` : sm.ratioAtLeast ? `> ${fmt(sm.ratioAtLeast, 1)}×` : '–'}** | ${k ? `${fmt(sm.workRatio, 1)}×` : '–'} | ${fmt(sm.mamori.rssMiB)} | ${k ? fmt(k.rssMiB) : '–'} | ${fmt(sm.mamori.objects)} / ${fmt(sm.mamori.findings)} | ${k ? `${fmt(k.resources)} / ${fmt(k.findings)}` : '–'} |`,
    );
  }
  L.push('', '*Work only*: the same ratio on the in-process time after module loading (mamori: scan and JSON report; monokle: preload, read, prepare, extract, validate, SARIF report).', '');
  L.push(
    'Where monokle\'s time goes (medians, ms). `extractK8sResources` parses every document with the `yaml` package\'s Document API, converts it to JS and stringifies it again (the resource text); `validate` parses each resource text once more (yaml-syntax, with `forceParse`), deep-copies every resource per plugin (`JSON.parse(JSON.stringify(...))`), runs each rule over the whole resource list, and for every finding looks up the YAML node of the path and fingerprints the result; much of the rest is garbage collection.',
    '',
  );
  L.push('| Corpus | Import | Preload | Read | Prepare | extractK8sResources | validate | SARIF JSON | mamori scan + JSON |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of peers.rows) {
    const k = row.summary.monokle;
    if (!k) continue;
    const p = k.phases;
    L.push(`| ${row.name} | ${fmt(p.importMs)} | ${fmt(p.preloadMs)} | ${fmt(p.readMs)} | ${fmt(p.prepareMs)} | ${fmt(p.extractMs)} | ${fmt(p.validateMs)} | ${fmt(p.serializeMs)} | ${fmt(row.summary.mamori.workMs)} |`);
  }
  L.push('');
  const notes = [];
  for (const row of peers.rows) {
    if (row.excluded.length > 0) {
      const byStage = {};
      for (const x of row.excluded) byStage[x.stage] = (byStage[x.stage] ?? 0) + 1;
      notes.push(`- ${row.name}: ${row.excluded.length} file(s) left out of both sides (${Object.entries(byStage).map(([k, n]) => `${n} ${{ yaml: 'with a document monokle\'s YAML parser rejects', extract: 'extractK8sResources threw on', validate: 'with a resource a monokle rule throws on', prepare: 'not convertible' }[k] ?? k}`).join(', ')}):`);
      for (const x of row.excluded) notes.push(`  - \`${relative(row.dir, x.file)}\`: ${x.reason.replace(/\|/g, '\\|')}`);
    }
    for (const n of row.notes) notes.push(`- ${row.name}: ${n}`);
    const k = row.summary.monokle;
    if (k) {
      const top = Object.entries(k.byRule).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([r, n]) => `${r} ${fmt(n)}`).join(', ');
      notes.push(`- ${row.name}: monokle findings by rule (top 8): ${top}${row.converted > 0 ? `; ${row.converted} JSON / \`kind: List\` file(s) converted for it` : ''}.`);
    }
  }
  if (notes.length > 0) L.push(...notes, '');
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
        'comments, Helm/kustomize/kubectl styles; workloads hardened, default or risky (privileged, host namespaces, hostPath, added capabilities), with init containers, sidecars, probes, env, resources and volumes.' +
        (!results.corpora.some((c) => c.name === NETPOL.name) ? '' : ` \`netpol\`: ${fmt(NETPOL.workloads)} Pods and Deployments of ${NETPOL.apps} apps and ${fmt(NETPOL.policies)} NetworkPolicies, all in the namespace \`${NETPOL.namespace}\`; pods labelled app/tier/team/version (and track/component), policies selecting by \`matchLabels\`, \`matchExpressions\` (In, NotIn, Exists, DoesNotExist) or \`{}\` (egress only; no Ingress policy selects every pod, a tier or a team, so isolation is decided pod by pod and the pods of apps without a policy are not isolated), some selecting nothing — it shows that rules relating objects (policy coverage) do not grow with pods × policies.`),
      '',
    );
    L.push('| Corpus | Files | Documents | Objects | MB | Kinds |', '|---|---:|---:|---:|---:|---|');
    for (const c of results.corpora) {
      const kinds = Object.entries(c.kinds).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${fmt((100 * n) / c.objects, 0)}%`).join(', ');
      L.push(`| ${c.name} | ${fmt(c.files)} | ${fmt(c.documents)} | ${fmt(c.objects)} | ${fmt(mb(c.bytes), 1)} | ${kinds} |`);
    }
    L.push('');
  }
  if (results.peers) peersMarkdown(results.peers, L);
  formatsMarkdown(results.formats, L);
  policiesMarkdown(results.policies, L);
  admissionMarkdown(results.admission, L);
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
  if ((opts.peersOnly || opts.formatsOnly) && !opts.out) opts.write = false; // a partial run never replaces docs/benchmarks.md
  if (opts.peersOnly && opts.formatsOnly) usage('--peers-only and --formats-only exclude each other');
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

  const results = { compare: [], corpora: [], styles: undefined, memory: undefined, startup: undefined, peers: undefined, formats: undefined, policies: undefined, admission: undefined, skipped: [] };
  if (opts.formatsOnly) {
    results.formats = reportFormats(lib, { log });
  } else if (!opts.peersOnly) {
    for (const size of opts.sizes) {
      const corpus = ensureCorpus(size, { log });
      results.corpora.push({ name: size, ...corpus });
      const runs = size === '100k' ? 1 : 5;
      results.compare.push(compare(size, corpus.dir, runs, scan));
      if (size === '10k') results.styles = byStyle(corpus.dir, scan);
      if (size === '100k') results.memory = cliMemory(corpus.dir);
    }
    if (opts.netpol) {
      const corpus = ensureCorpus(NETPOL.name, { log });
      results.corpora.push({ name: NETPOL.name, ...corpus });
      results.compare.push(compare(NETPOL.name, corpus.dir, 3, scan));
    }
  }

  if (!opts.formatsOnly) {
    const fixtures = resolve(REPO, process.env.MAMORI_FIXTURES ?? join('..', 'shared', 'external-fixtures'));
    let manifests = join(fixtures, 'manifests');
    if (existsSync(manifests) && statSync(manifests).isDirectory()) {
      if (!opts.peersOnly) results.compare.push(compare('external manifests', manifests, 3, scan));
    } else {
      const note = `external manifests skipped: ${manifests} is absent (set $MAMORI_FIXTURES)`;
      log(`\nnote: ${note}`);
      results.skipped.push(note);
      manifests = undefined;
    }

    if (opts.peers || opts.peersOnly) results.peers = peers(opts, manifests);
    if (!opts.peersOnly && opts.formats) results.formats = reportFormats(lib, { log });
    if (!opts.peersOnly && opts.policies) results.policies = policyBench(lib, { log });
    if (!opts.peersOnly) results.startup = startup();
    if (!opts.peersOnly && opts.admission) results.admission = admissionLoad(opts, fixtures);
  }
  results.targets = targets(results);

  log('\ntargets:');
  for (const t of results.targets) log(`  ${t.status.padEnd(4)}  ${t.name}: ${t.value}`);
  env.totalS = (performance.now() - started) / 1000;
  if (opts.write) {
    const out = opts.out ?? DOC;
    writeFileSync(out, markdown(results, env, opts));
    log(`\nwrote ${out}`);
  }
  log(`total ${fmt(env.totalS, 0)} s`);
}

await main();
