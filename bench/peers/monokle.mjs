// Runs @monokle/validation (the TypeScript peer) offline on a list of manifest files, in this
// process, and reports timings, findings and peak RSS as the last line on stdout:
// `monokle-bench {...}`. bench/run.js spawns it once per corpus, so its memory is measured apart
// from mamori's.
//
//   node bench/peers/monokle.mjs <file-list>                    a file with one manifest path per line
//   node bench/peers/monokle.mjs --probe <file-list> <convert-dir>  untimed: which files monokle
//       cannot handle, and the JSON / `kind: List` files converted to plain YAML into convert-dir
//   node bench/peers/monokle.mjs --list-rules                   the plugins and rules after preload
//
// Set up as /work/shared/specs/peers.md §3 describes:
// - the validator is constructed by hand (not createDefaultMonokleValidator, which uses the
//   RemotePluginLoader and preloads eagerly), with the DefaultPluginLoader (core plugins only: no
//   remote plugin code) and without a config in the constructor, then preloaded;
// - kubernetes-schema gets an offline SchemaLoader returning an empty `definitions` object, so
//   nothing is fetched: K8S001 stays silent, K8S002/K8S003 (a local deprecation table) work, K8S004
//   is off (it would fire on everything without schemas);
// - open-policy-agent, admission-policy (both need remote wasm), resource-links (processRefs is
//   super-linear) and metadata are off; yaml-syntax, pod-security-standards and practices are on
//   with every rule pinned on (the PSS restricted rules and KBP002–005/106/110–116 are off by default);
// - inputs: JSON files are converted to YAML text and `kind: List` documents are expanded
//   (@monokle/parser reads only .yaml/.yml paths and does not expand Lists) — by the probe, which
//   writes them out for the timed runs, and again in the timed run for any left — then
//   extractK8sResources(files, true) per file: a file it throws on is left out and reported.
//
// The machine has no network: every way out (fetch, sockets, DNS) is replaced by a function that
// fails at once and counts the attempt (reported as `network`), and a watchdog ends the process
// after $MONOKLE_TIMEOUT_MS (default 10 min) — when the event loop is free; bench/run.js also kills
// the child after that time, since validation runs long synchronous stretches.

import dns from 'node:dns';
import { mkdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import net from 'node:net';

const started = performance.now();
const TIMEOUT_MS = Number(process.env.MONOKLE_TIMEOUT_MS ?? 600_000);

// ---------------------------------------------------------------------------------------------
// No network, ever

const network = [];
function blocked(what) {
  return (...args) => {
    const target = typeof args[0] === 'string' || typeof args[0] === 'number' ? String(args[0]) : JSON.stringify(args[0] ?? '')?.slice(0, 200);
    network.push(`${what} ${target}`);
    throw new Error(`mamori bench: network access blocked (${what} ${target})`);
  };
}
globalThis.fetch = async (input) => blocked('fetch')(typeof input === 'string' ? input : String(input?.url ?? input));
net.Socket.prototype.connect = blocked('net.Socket.connect');
net.connect = blocked('net.connect');
net.createConnection = blocked('net.createConnection');
dns.lookup = blocked('dns.lookup');
dns.promises.lookup = async (...args) => blocked('dns.promises.lookup')(...args);
dns.resolve = blocked('dns.resolve');

const watchdog = setTimeout(() => {
  writeSync(2, `monokle-bench: timed out after ${TIMEOUT_MS} ms\n`);
  process.exit(124);
}, TIMEOUT_MS);
watchdog.unref();

// ---------------------------------------------------------------------------------------------
// The validator (imports after the guards above, so no module sees the real network)

const { MonokleValidator, DefaultPluginLoader, ResourceParser, SchemaLoader, AnnotationSuppressor, FingerprintSuppressor, DisabledFixer } = await import('@monokle/validation');
const { extractK8sResources } = await import('@monokle/parser');
const YAML = (await import('yaml')).default;
const importMs = performance.now() - started;

class OfflineSchemaLoader extends SchemaLoader {
  constructor(definitions) {
    super('http://127.0.0.1:9/offline'); // never used: both methods below are overridden
    this.definitions = definitions;
  }
  async getFullSchema() {
    return { url: 'offline:definitions.json', schema: { definitions: this.definitions } };
  }
  async getResourceSchema() {
    return undefined;
  }
}

// Only the plugins that run are named: every plugin named in `plugins` is loaded and configured,
// even with `false` (it is merely not run), and configuring open-policy-agent or admission-policy
// fetches their wasm from plugins.monokle.com. So open-policy-agent, admission-policy,
// resource-links and metadata are left out altogether.
const PLUGINS = {
  'yaml-syntax': true,
  'kubernetes-schema': true,
  'pod-security-standards': true,
  practices: true,
};
/**
 * The rule set, pinned: the keys `validator.rules` lists after preload for the four plugins
 * (`node bench/peers/monokle.mjs --list-rules`), all on except K8S004 (without schemas it would
 * fire on every object). Checked against `validator.rules` at every run.
 */
const RULES = {
  'yaml-syntax/alias-props': true, // YML001
  'yaml-syntax/no-bad-alias': true, // YML002
  'yaml-syntax/no-bad-directive': true, // YML003
  'yaml-syntax/no-bad-dq-escape': true, // YML004
  'yaml-syntax/no-bad-indent': true, // YML005
  'yaml-syntax/no-bad-prop-order': true, // YML006
  'yaml-syntax/no-bad-scalar-start': true, // YML007
  'yaml-syntax/no-block-as-implicit-key': true, // YML008
  'yaml-syntax/no-block-in-flow': true, // YML009
  'yaml-syntax/no-duplicate-key': true, // YML010
  'yaml-syntax/impossible': true, // YML011
  'yaml-syntax/no-long-key': true, // YML012
  'yaml-syntax/no-missing-anchor': true, // YML013
  'yaml-syntax/no-missing-char': true, // YML014
  'yaml-syntax/no-multiline-implicit-key': true, // YML015
  'yaml-syntax/no-multiple-anchors': true, // YML016
  'yaml-syntax/no-multiple-docs': true, // YML017
  'yaml-syntax/no-multiple-tags': true, // YML018
  'yaml-syntax/no-tab-as-indent': true, // YML019
  'yaml-syntax/no-failed-tag-resolve': true, // YML020
  'yaml-syntax/no-unexpected-token': true, // YML021
  'kubernetes-schema/schema-violated': true, // K8S001 (silent: no schema offline)
  'kubernetes-schema/deprecation-violated': true, // K8S002
  'kubernetes-schema/removal-violated': true, // K8S003
  'kubernetes-schema/strict-mode-violated': false, // K8S004
  'pod-security-standards/host-process': true, // PSS101
  'pod-security-standards/host-namespaces': true, // PSS102
  'pod-security-standards/privileged-containers': true, // PSS103
  'pod-security-standards/capabilities': true, // PSS104
  'pod-security-standards/host-path-volumes': true, // PSS105
  'pod-security-standards/host-ports': true, // PSS106
  'pod-security-standards/app-armor': true, // PSS107
  'pod-security-standards/selinux': true, // PSS108
  'pod-security-standards/proc-mount': true, // PSS109
  'pod-security-standards/seccomp': true, // PSS110
  'pod-security-standards/sysctls': true, // PSS111
  'pod-security-standards/volume-types': true, // PSS201
  'pod-security-standards/privilege-escalation': true, // PSS202
  'pod-security-standards/running-as-non-root': true, // PSS203
  'pod-security-standards/running-as-non-root-user': true, // PSS204
  'pod-security-standards/seccomp-strict': true, // PSS205
  'pod-security-standards/capabilities-strict': true, // PSS206
  'practices/no-latest-image': true, // KBP001
  'practices/cpu-request': true, // KBP002
  'practices/cpu-limit': true, // KBP003
  'practices/memory-request': true, // KBP004
  'practices/memory-limit': true, // KBP005
  'practices/no-sys-admin': true, // KBP100
  'practices/no-mounted-docker-sock': true, // KBP101
  'practices/no-writable-fs': true, // KBP102
  'practices/drop-capabilities': true, // KBP103
  'practices/no-low-user-id': true, // KBP104
  'practices/no-low-group-id': true, // KBP105
  'practices/no-automount-service-account-token': true, // KBP106
  'practices/no-pod-create': true, // KBP107
  'practices/no-pod-execute': true, // KBP108
  'practices/no-root-group': true, // KBP109
  'practices/no-ssh-exposed': true, // KBP110
  'practices/no-secret-env': true, // KBP111
  'practices/no-secret-mounted-as-env': true, // KBP112
  'practices/privileged-ports': true, // KBP113
  'practices/no-exposed-service': true, // KBP114
  'practices/mount-propagation': true, // KBP115
  'practices/image-tagged': true, // KBP116
};

async function makeValidator({ check = true } = {}) {
  const parser = new ResourceParser();
  const validator = new MonokleValidator({
    loader: new DefaultPluginLoader(),
    parser,
    schemaLoader: new OfflineSchemaLoader({}),
    suppressors: [new AnnotationSuppressor(), new FingerprintSuppressor()],
    fixer: new DisabledFixer(),
  });
  const settings = { debug: true, 'kubernetes-schema': { schemaVersion: '1.29.0' } };
  await validator.preload({ plugins: PLUGINS, rules: RULES, settings });
  const available = validator.rules;
  const keys = new Set(Object.entries(available).flatMap(([plugin, list]) => list.map((rule) => `${plugin}/${rule.name}`)));
  const unknown = Object.keys(RULES).filter((k) => !keys.has(k));
  const unpinned = [...keys].filter((k) => !(k in RULES));
  if (check && (unknown.length > 0 || unpinned.length > 0 || validator.getFailedPlugins().length > 0)) {
    throw new Error(`the pinned rule set does not match validator.rules: unknown ${JSON.stringify(unknown)}, unpinned ${JSON.stringify(unpinned)}, failed plugins ${JSON.stringify(validator.getFailedPlugins())}`);
  }
  return { validator, parser, rules: RULES, available };
}

// ---------------------------------------------------------------------------------------------
// Inputs (peers.md §3 step 6)

const LIST_RE = /^[ \t]*"?kind"?[ \t]*:[ \t]*["']?List["']?[ \t]*,?[ \t]*$/m;

/** The file as monokle can read it: JSON → YAML text, `kind: List` documents expanded; null if unchanged. */
function prepare(path, text) {
  const json = /\.json$/i.test(path);
  if (!json && !LIST_RE.test(text)) return null;
  const docs = YAML.parseAllDocuments(text);
  const out = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`YAML: ${doc.errors[0].message.split('\n')[0]}`);
    const value = doc.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value === 'object' && !Array.isArray(value) && value.kind === 'List' && Array.isArray(value.items)) {
      for (const item of value.items) out.push(YAML.stringify(item));
    } else {
      out.push(YAML.stringify(value));
    }
  }
  return out.join('---\n');
}

/** Reads the files. */
const readAll = (paths) => paths.map((path) => readFileSync(path, 'utf8'));

/** Prepares the files read: { files: {id, path, content, original}[], failed, converted }. */
function prepareAll(paths, texts) {
  const failed = [];
  const files = [];
  let converted = 0;
  paths.forEach((original, i) => {
    const text = texts[i];
    try {
      const prepared = prepare(original, text);
      if (prepared === null) files.push({ id: original, path: original, content: text, original });
      else {
        converted++;
        const path = /\.ya?ml$/i.test(original) ? original : `${original}.yaml`;
        files.push({ id: path, path, content: prepared, original, converted: true });
      }
    } catch (error) {
      failed.push({ file: original, stage: 'prepare', reason: String(error.message ?? error).slice(0, 200) });
    }
  });
  return { files, failed, converted };
}

/** Resources of each file, file by file (a file extractK8sResources throws on is left out). */
function extract(files, failed) {
  const resources = [];
  const perFile = [];
  for (const file of files) {
    try {
      const found = extractK8sResources([{ id: file.id, path: file.path, content: file.content }], true);
      for (const r of found) resources.push(r);
      perFile.push({ file, resources: found });
    } catch (error) {
      failed.push({ file: file.original, stage: 'extract', reason: String(error.message ?? error).slice(0, 200) });
    }
  }
  return { resources, perFile };
}

// The validator's own error output: a rule that throws on one resource is skipped for *all*
// resources (SimpleCustomValidator runs each rule once over the whole list), printed only with
// settings.debug as `rule_failed`; failed plugin runs are dropped, printed with console.debug.
const ruleFailures = [];
const debugLines = [];
const brief = (args) => args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a, (k, v) => (v instanceof Error ? `${v.name}: ${v.message}` : v)))).join(' ').slice(0, 300);
console.error = (...args) => {
  if (args[0] === 'rule_failed') ruleFailures.push(`${args[1]?.rule}: ${args[1]?.error?.message ?? args[1]?.error}`);
  else debugLines.push(brief(args));
};
console.debug = (...args) => debugLines.push(brief(args));

function emit(out) {
  writeSync(1, `\nmonokle-bench ${JSON.stringify({ ...out, network, maxRssKiB: process.resourceUsage().maxRSS, wallMs: performance.now() - started })}\n`);
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Main

const mode = process.argv[2];
if (mode === '--list-rules') {
  const { validator, rules, available } = await makeValidator({ check: false });
  for (const [plugin, list] of Object.entries(available)) {
    console.log(`${plugin}: ${list.length} rules`);
    for (const rule of list) console.log(`  ${rule.id} ${plugin}/${rule.name}${rules[`${plugin}/${rule.name}`] === false ? ' (off)' : rules[`${plugin}/${rule.name}`] ? '' : ' (not pinned)'}`);
  }
  console.log(`failed plugins: ${JSON.stringify(validator.getFailedPlugins())}; network attempts: ${network.length}${network.map((n) => `\n  ${n}`).join('')}`);
  process.exit(0);
}

const listFile = mode === '--probe' ? process.argv[3] : mode;
const convertDir = mode === '--probe' ? process.argv[4] : undefined;
if (!listFile || (mode === '--probe' && !convertDir)) {
  console.log('usage: node bench/peers/monokle.mjs <file-list> | --probe <file-list> <convert-dir> | --list-rules');
  process.exit(2);
}
const paths = readFileSync(listFile, 'utf8').split('\n').filter(Boolean);

if (mode === '--probe') {
  // Which files monokle cannot handle: not preparable, extractK8sResources throws, a document it
  // drops silently (YAML errors), or a rule throwing on one of its resources (the rule is then
  // skipped for every resource). Untimed: all files at once, then file by file only if a rule threw.
  rmSync(convertDir, { recursive: true, force: true });
  const { validator } = await makeValidator();
  const { files, failed } = prepareAll(paths, readAll(paths));
  const { perFile } = extract(files, failed);
  const clean = [];
  for (const entry of perFile) {
    const broken = YAML.parseAllDocuments(entry.file.content).filter((d) => d.errors.length > 0);
    if (broken.length > 0) {
      failed.push({ file: entry.file.original, stage: 'yaml', reason: `${broken.length} document(s) with YAML errors, dropped by @monokle/parser: ${broken[0].errors[0].message.split('\n')[0].slice(0, 150)}` });
    } else if (entry.resources.length > 0) clean.push(entry);
  }
  await validator.validate({ resources: clean.flatMap((e) => e.resources) });
  if (ruleFailures.length > 0) {
    for (const { file, resources } of clean) {
      const before = ruleFailures.length;
      await validator.validate({ resources });
      if (ruleFailures.length > before) {
        const byMessage = new Map();
        for (const f of new Set(ruleFailures.slice(before))) {
          const [rule, ...message] = f.split(': ');
          byMessage.set(message.join(': '), [...(byMessage.get(message.join(': ')) ?? []), rule]);
        }
        const reason = [...byMessage].map(([message, rules]) => `${rules.length} rule(s) threw "${message}" (${rules.join(', ')})`).join('; ');
        failed.push({ file: file.original, stage: 'validate', reason });
      }
    }
  }
  // The JSON and `kind: List` files, converted once here (untimed) into convertDir: the timed runs
  // read these, so the conversion — work mamori does itself — is not charged to monokle.
  const converted = {};
  const bad = new Set(failed.map((x) => x.file));
  files.forEach((file, i) => {
    if (!file.converted || bad.has(file.original)) return;
    const out = join(convertDir, `${String(i).padStart(6, '0')}-${basename(file.original).replace(/\.(json|ya?ml)$/i, '')}.yaml`);
    mkdirSync(convertDir, { recursive: true });
    writeFileSync(out, file.content);
    converted[file.original] = out;
  });
  emit({ probe: true, files: paths.length, failed, converted });
}

const workStart = performance.now();
const t = {};
let mark = workStart;
const lap = (name) => {
  const now = performance.now();
  t[name] = now - mark;
  mark = now;
};

const { validator } = await makeValidator();
lap('preloadMs');
const texts = readAll(paths);
lap('readMs');
const { files, failed, converted } = prepareAll(paths, texts);
lap('prepareMs');
const { resources } = extract(files, failed);
lap('extractMs');
let response;
let validateError;
try {
  response = await validator.validate({ resources });
} catch (error) {
  validateError = String(error.stack ?? error).slice(0, 1000);
}
lap('validateMs');

let reportBytes = 0;
const byRule = {};
let findings = 0;
let suppressed = 0;
if (response) {
  reportBytes = JSON.stringify(response).length; // the SARIF report, as a CLI would print it
  for (const r of response.runs[0].results) {
    if (r.suppressions?.length) {
      suppressed++;
      continue;
    }
    findings++;
    byRule[r.ruleId] = (byRule[r.ruleId] ?? 0) + 1;
  }
}
lap('serializeMs');

emit({
  files: paths.length,
  converted,
  failed,
  resources: resources.length,
  rulesOn: Object.values(RULES).filter(Boolean).length,
  findings,
  suppressed,
  byRule,
  reportBytes,
  importMs,
  ...t,
  workMs: performance.now() - workStart,
  failedPlugins: validator.getFailedPlugins(),
  ruleFailures: [...new Set(ruleFailures)],
  validateError,
  debug: debugLines.slice(0, 20),
});
