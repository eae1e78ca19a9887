// The "policies" section of mamori's benchmark: ValidatingAdmissionPolicies (CEL) at 10k objects.
// bench/run.js runs it; it also runs alone, on the current build:
//
//   node bench/policies.js            the whole section
//   node bench/policies.js --runs N   timed runs after the warm-up (default 3)
//
// Three measurements, each against its own baseline in the same run:
//  1. `mamori scan` of the 10k corpus with the policy set of examples/policies/ added to the
//     catalog, against the same scan without it (target: at most 2×);
//  2. evaluations per second of that policy set alone, every object of the corpus judged as a
//     CREATE by every policy (`evaluatePolicies`);
//  3. the Pod Security checks exported as ValidatingAdmissionPolicies (`mamori policy export`)
//     against the TypeScript checks (`evaluatePodSecurity`), on the corpus's pods and pod
//     templates, at the restricted level of the latest version.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCorpus } from './corpus.js';
import { fmt, gc, median } from './util.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const REPO = join(HERE, '..');

/** A scan with the example policies may take at most this many times a scan without them. */
export const TARGET_POLICY_SCAN_RATIO = 2;
/** The policy set: every policy file of examples/policies/ (their test resources are not policies). */
export const POLICY_FILES = ['no-loadbalancer', 'registry-allowlist', 'replica-limit', 'required-labels'].map((d) => join(REPO, 'examples', 'policies', d, 'policy.yaml'));

function timed(fn) {
  gc();
  const t0 = performance.now();
  const result = fn();
  return { ms: performance.now() - t0, result };
}

/** Runs `a` and `b` alternately (`runs` times each, after one warm-up each); medians and the last results. */
function interleaved(a, b, runs, log, names) {
  const times = [[], []];
  const warm = [timed(a), timed(b)];
  log(`  warm-up: ${names[0]} ${fmt(warm[0].ms)} ms, ${names[1]} ${fmt(warm[1].ms)} ms`);
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? [0, 1] : [1, 0];
    for (const k of order) times[k].push(timed(k === 0 ? a : b).ms);
    log(`  run ${i + 1}: ${names[0]} ${fmt(times[0].at(-1))} ms, ${names[1]} ${fmt(times[1].at(-1))} ms`);
  }
  return { a: { ms: median(times[0]), result: warm[0].result }, b: { ms: median(times[1]), result: warm[1].result } };
}

/** The corpus's objects, as the scanner loads them. */
function corpusObjects(lib, dir) {
  const objects = [];
  for (const input of lib.resolveInputs([dir]).inputs) for (const o of lib.loadInput(input).objects) objects.push(o.object);
  return objects;
}

/** 1. A scan with the policy set against the same scan without it. */
function scanWithPolicies(lib, dir, runs, log) {
  const { rules: policyRules, errors } = lib.loadPolicyRules(POLICY_FILES);
  if (errors.length > 0) throw new Error(`the example policies do not load: ${errors.map((e) => e.message).join('; ')}`);
  const scan = (rules) => () => {
    const report = lib.scanPaths([dir], { rules });
    lib.writeJson(report);
    return { findings: report.findings.length, policyFindings: report.findings.filter((f) => f.ruleId.startsWith('policy:')).length };
  };
  log(`  scan of the 10k corpus, catalog alone vs catalog + ${policyRules.length} policies`);
  const { a, b } = interleaved(scan(lib.RULES), scan([...lib.RULES, ...policyRules]), runs, log, ['catalog', 'catalog+policies']);
  const ratio = b.ms / a.ms;
  log(`  median: catalog ${fmt(a.ms)} ms, with policies ${fmt(b.ms)} ms, ratio ${fmt(ratio, 2)} (${fmt(b.result.policyFindings)} policy findings)`);
  return { policies: policyRules.length, withoutMs: a.ms, withMs: b.ms, ratio, findings: a.result.findings, policyFindings: b.result.policyFindings };
}

/** 2. Every object judged by the policy set alone. */
function policyEvaluations(lib, objects, runs, log) {
  const { loaded, errors } = lib.readPolicies(POLICY_FILES);
  if (errors.length > 0) throw new Error(`the example policies do not load: ${errors.map((e) => e.message).join('; ')}`);
  const run = () => {
    let matched = 0;
    let denied = 0;
    for (const object of objects) {
      const result = lib.evaluatePolicies({ object, operation: 'CREATE' }, loaded);
      for (const o of result.outcomes) {
        if (!o.matched) continue;
        matched++;
        if (o.decisions.some((d) => d.action === 'deny')) denied++;
      }
    }
    return { matched, denied };
  };
  const first = timed(run);
  const ms = [];
  for (let i = 0; i < runs; i++) ms.push(timed(run).ms);
  const med = median(ms);
  const r = { objects: objects.length, policies: loaded.policies.length, ...first.result, ms: med, objectsPerS: objects.length / (med / 1000), evaluationsPerS: first.result.matched / (med / 1000) };
  log(`  ${fmt(r.objects)} objects × ${r.policies} policies: ${fmt(med)} ms; ${fmt(r.matched)} (object, binding) evaluations, ${fmt(r.denied)} denied; ${fmt(r.evaluationsPerS)} evaluations/s, ${fmt(r.objectsPerS)} objects/s`);
  return r;
}

/** 3. The exported restricted Pod Security policies against the TypeScript checks, on the corpus's pod-bearing objects. */
function exportedPss(lib, objects, runs, log) {
  const policy = lib.parsePssPolicy('restricted:latest');
  const pods = objects.filter((o) => lib.podSpecOf(o) !== undefined);
  const exported = lib.exportPssPolicies({ level: 'restricted', version: 'latest', excludeNamespaces: [] });
  const loaded = lib.loadPolicies(exported, { bindUnbound: false });
  if (loaded.errors.length > 0) throw new Error(`the exported policies do not load: ${loaded.errors.map((e) => e.message).join('; ')}`);
  const typescript = () => {
    let denied = 0;
    for (const object of pods) {
      const spec = lib.podSpecOf(object);
      if (lib.evaluatePodSecurity({ kind: object.kind, metadata: spec.metadata, spec: spec.spec }, policy).length > 0) denied++;
    }
    return denied;
  };
  const cel = () => {
    let denied = 0;
    for (const object of pods) {
      const result = lib.evaluatePolicies({ object, operation: 'CREATE' }, loaded);
      if (result.outcomes.some((o) => o.decisions.some((d) => d.action === 'deny'))) denied++;
    }
    return denied;
  };
  log(`  ${fmt(pods.length)} pod-bearing objects, restricted (latest): TypeScript checks vs ${loaded.policies.length} exported policies`);
  const { a, b } = interleaved(typescript, cel, runs, log, ['TypeScript', 'CEL']);
  if (a.result !== b.result) throw new Error(`the exported policies deny ${b.result} objects, the TypeScript checks ${a.result}`);
  const r = { objects: pods.length, policies: loaded.policies.length, denied: a.result, tsMs: a.ms, celMs: b.ms, ratio: b.ms / a.ms };
  log(`  median: TypeScript ${fmt(a.ms)} ms (${fmt(pods.length / (a.ms / 1000))} objects/s), CEL ${fmt(b.ms)} ms (${fmt(pods.length / (b.ms / 1000))} objects/s); CEL/TypeScript ${fmt(r.ratio, 1)}×; both deny ${fmt(r.denied)}`);
  return r;
}

/** The section as bench/run.js runs it. */
export function policyBench(lib, { runs = 3, log = () => {} } = {}) {
  log(`\npolicies: ValidatingAdmissionPolicies at 10k objects; warm-up + ${runs} runs each`);
  const corpus = ensureCorpus('10k', { log });
  const objects = corpusObjects(lib, corpus.dir);
  return {
    scan: scanWithPolicies(lib, corpus.dir, runs, log),
    evaluations: policyEvaluations(lib, objects, runs, log),
    pss: exportedPss(lib, objects, runs, log),
  };
}

/** The section's table for docs/benchmarks.md. */
export function policiesMarkdown(p, L) {
  L.push('## Policies (CEL)', '');
  if (!p) {
    L.push('Not measured in this run.', '');
    return;
  }
  L.push(
    `bench/policies.js, on the 10k corpus. The policy set is the ${p.scan.policies} ValidatingAdmissionPolicies of \`examples/policies/\` with their bindings and params. ` +
      'One warm-up, then interleaved runs; medians.',
    '',
  );
  L.push('| Measurement | Baseline | With CEL | Ratio |', '|---|---:|---:|---:|');
  L.push(`| \`scanPaths\` + JSON, catalog vs catalog + policies (${fmt(p.scan.policyFindings)} policy findings) | ${fmt(p.scan.withoutMs)} ms | ${fmt(p.scan.withMs)} ms | **${fmt(p.scan.ratio, 2)}** |`);
  L.push(`| Pod Security, restricted (latest), ${fmt(p.pss.objects)} pod-bearing objects: TypeScript checks vs the ${p.pss.policies} exported policies (both deny ${fmt(p.pss.denied)}) | ${fmt(p.pss.tsMs)} ms | ${fmt(p.pss.celMs)} ms | ${fmt(p.pss.ratio, 1)} |`);
  L.push('');
  const e = p.evaluations;
  L.push(
    `The policy set alone (\`evaluatePolicies\`, every object as a CREATE): ${fmt(e.objects)} objects in ${fmt(e.ms)} ms, ${fmt(e.objectsPerS)} objects/s; ` +
      `${fmt(e.matched)} (object, binding) evaluations that matched, ${fmt(e.evaluationsPerS)} per second; ${fmt(e.denied)} denied.`,
    '',
  );
}

/** The section's row of the targets table. */
export function policiesTarget(p) {
  return {
    name: `scan with the example policies ≤ ${TARGET_POLICY_SCAN_RATIO}× the scan without them (10k objects)`,
    value: p ? fmt(p.scan.ratio, 2) : 'not run',
    status: p ? (p.scan.ratio <= TARGET_POLICY_SCAN_RATIO ? 'PASS' : 'MISS') : 'n/a',
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--runs');
  const lib = await import(join(REPO, 'dist', 'src', 'index.js'));
  const result = policyBench(lib, { runs: i < 0 ? 3 : Number(args[i + 1]), log: (m) => console.log(m) });
  const t = policiesTarget(result);
  console.log(`${t.status}  ${t.name}: ${t.value}`);
}
