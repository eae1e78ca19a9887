/**
 * The PolicyReport output (`--format policyreport`): a YAML stream of the Kubernetes Policy working
 * group's `wgpolicyk8s.io/v1alpha2` reports, the API that Policy Reporter, Kyverno and other
 * dashboards list. Fields follow the group's Go types (kubernetes-sigs/wg-policy-prototypes,
 * `policy-report/apis/wgpolicyk8s.io/v1alpha2`, and the copy Kyverno installs):
 * a result has `policy` (required), `rule`, `category`, `severity` (critical | high | medium |
 * low | info), `result` (pass | fail | warn | error | skip), `scored`, `source`, `timestamp`
 * (`{ seconds, nanos }`, both required), `message`, `resources` (core ObjectReferences) and
 * `properties` (a map of string to string: every value is a string); a report has `summary`
 * (`pass`, `fail`, `warn`, `error`, `skip`) and `results`.
 *
 * A namespaced `PolicyReport` per namespace with results (and, when the writer is told the input's
 * namespaces, an empty one for each of the others, so a namespace that became clean replaces its
 * older report), and a `ClusterPolicyReport` for cluster-scoped objects and for what concerns no
 * object (inputs that could not be read, rules that failed: `result: error`; the configuration's
 * exceptions: `exception-expired`, `exception-stale`). A namespaced object without a namespace is
 * reported in `default`, where `kubectl apply` would put it with a default context.
 *
 * A report object holds at most REPORT_BYTES as JSON: past it, its scope's results continue in
 * `mamori-<namespace>-2`, `-3`, and so on. `kubectl apply` (client-side) keeps a copy of each
 * object in an annotation, and annotations are limited to 256 KiB an object; a request to the API
 * server, to about 1.5 MiB (etcd's limit).
 */
import { trimRuns } from '../text.js';
import { isExceptionFinding } from '../engine/exceptions.js';
import { reportFingerprints } from '../engine/fingerprint.js';
import { isClusterScoped } from '../k8s/scope.js';
import type { Finding, Report, ReportError, Severity, SuppressedFinding } from '../types.js';
import type { WriterOptions } from './index.js';
import { CHUNK_PIECES } from './json.js';

const API_VERSION = 'wgpolicyk8s.io/v1alpha2';
const DOCS = 'https://github.com/mamori-dev/mamori/blob/main/docs/rules/';
/** Name of the ClusterPolicyReport (of its first part). */
export const CLUSTER_REPORT_NAME = 'mamori-cluster';
/**
 * The most a report object takes as JSON, as kubectl sends it: half the 262,144 bytes that the
 * annotations of an object may take, so `kubectl apply`'s copy of the object (the
 * last-applied-configuration annotation) fits beside others, and the request that carries the
 * object and its copy stays far below the API server's limit.
 */
export const REPORT_BYTES = 128 * 1024;
/** What a report's own fields (`apiVersion` through `summary`) take as JSON at most, besides its namespace. */
const HEADER_BYTES = 512;

/** A core/v1 ObjectReference, the fields mamori knows. */
interface ResourceRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** One `PolicyReportResult`. */
export interface PolicyReportResult {
  policy: string;
  rule?: string;
  category?: string;
  severity?: Severity;
  result: 'pass' | 'fail' | 'warn' | 'error' | 'skip';
  scored: boolean;
  source: string;
  timestamp: { seconds: number; nanos: number };
  message: string;
  resources?: ResourceRef[];
  properties: Record<string, string>;
}

/** A `PolicyReport` or `ClusterPolicyReport`. */
export interface PolicyReportObject {
  apiVersion: typeof API_VERSION;
  kind: 'PolicyReport' | 'ClusterPolicyReport';
  metadata: { name: string; namespace?: string; labels: Record<string, string> };
  summary: { pass: number; fail: number; warn: number; error: number; skip: number };
  results: PolicyReportResult[];
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A short stable hash (FNV-1a, 32 bits), to keep sanitised names of different namespaces apart. */
function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * The name of a namespace's report, a valid DNS-1123 label: `mamori-<namespace>`, and for its
 * further parts (`part` 2, 3, …) `mamori-<namespace>-<part>`. A namespace from the input that is
 * not a valid name itself (the API server would reject its objects, but they are still reported),
 * or too long for the name, is lowercased and stripped to a valid name with a hash of the original.
 */
export function reportName(namespace: string, part = 1): string {
  const suffix = part === 1 ? '' : `-${part}`;
  if (DNS_LABEL.test(namespace) && namespace.length + suffix.length <= 56) return `mamori-${namespace}${suffix}`;
  // The last `-+$` reads at most 40 characters.
  const cleaned = trimRuns(namespace.toLowerCase().replace(/[^-a-z0-9]+/g, '-'), '-', true)
    .slice(0, 40)
    .replace(/-+$/, '');
  return `mamori-${cleaned === '' ? '' : `${cleaned}-`}${shortHash(namespace)}${suffix}`;
}

/** The name of a part of the ClusterPolicyReport: `mamori-cluster`, `mamori-cluster-2`, … */
function clusterReportName(part: number): string {
  return part === 1 ? CLUSTER_REPORT_NAME : `${CLUSTER_REPORT_NAME}-${part}`;
}

/**
 * Where a finding's object is reported: a namespace, or `null` for the cluster report, which also
 * takes the findings about the configuration's exceptions (their object is no Kubernetes object).
 */
function scopeOf(f: Finding): string | null {
  if (isClusterScoped(f.object.kind) || isExceptionFinding(f)) return null;
  return f.object.namespace === undefined || f.object.namespace === '' ? 'default' : f.object.namespace;
}

function resource(f: Finding, namespace: string | null): ResourceRef {
  const { apiVersion, kind, name } = f.object;
  return namespace === null ? { apiVersion, kind, name } : { apiVersion, kind, name, namespace };
}

function findingProperties(f: Finding, { rules, printOf }: Context): Record<string, string> {
  const p: Record<string, string> = { path: f.path };
  if (f.paths !== undefined && f.paths.length > 0) p['paths'] = f.paths.join(', ');
  if (f.location !== undefined) {
    p['file'] = f.location.file;
    p['line'] = String(f.location.line);
    p['column'] = String(f.location.column);
  }
  p['controls'] = f.controls.join(', ');
  if (f.pss !== undefined) p['pss'] = `${f.pss.level}:${f.pss.version} (${f.pss.resolved})`;
  p['fingerprint'] = printOf(f);
  if (rules.has(f.ruleId)) p['docs'] = `${DOCS}${f.ruleId}.md`;
  return p;
}

function findingResult(f: Finding, namespace: string | null, ctx: Context): PolicyReportResult {
  return {
    policy: f.ruleId,
    rule: f.title,
    category: f.phase,
    severity: f.severity,
    result: 'fail',
    scored: true,
    source: 'mamori',
    timestamp: { ...ctx.timestamp },
    message: f.message,
    // An exception is no resource: its path in the configuration (`exceptions[0]`) and its file name it.
    ...(isExceptionFinding(f) ? {} : { resources: [resource(f, namespace)] }),
    properties: findingProperties(f, ctx),
  };
}

function suppressedResult(s: SuppressedFinding, namespace: string | null, ctx: Context): PolicyReportResult {
  const result = findingResult(s, namespace, ctx);
  result.result = 'skip';
  result.properties['suppressedBy'] = s.suppressedBy;
  result.properties['reason'] = s.reason;
  if (s.expires !== undefined) result.properties['expires'] = s.expires;
  return result;
}

function errorResult(e: ReportError, timestamp: PolicyReportResult['timestamp']): PolicyReportResult {
  const properties: Record<string, string> = { code: e.code };
  if (e.file !== '') properties['file'] = e.file;
  if (e.line !== undefined) properties['line'] = String(e.line);
  if (e.column !== undefined) properties['column'] = String(e.column);
  return { policy: e.code, result: 'error', scored: true, source: 'mamori', timestamp: { ...timestamp }, message: e.message, properties };
}

/** What a scope's report objects hold: the scope (`null`: the cluster report) and the entries it reports. */
interface Group {
  namespace: string | null;
  findings: Finding[];
  suppressed: SuppressedFinding[];
  errors: readonly ReportError[];
}

/**
 * The report's entries by scope: the cluster's first (always, so a clean run replaces an older
 * report, with the errors), then each namespace with entries or among `namespaces`, in
 * alphabetical order; in each, findings, then suppressed findings, in the report's order.
 */
function groups(report: Report, namespaces: Iterable<string> = []): Group[] {
  const cluster: Group = { namespace: null, findings: [], suppressed: [], errors: report.errors };
  const namespaced = new Map<string, Group>();
  const groupOf = (namespace: string): Group => {
    let group = namespaced.get(namespace);
    if (group === undefined) namespaced.set(namespace, (group = { namespace, findings: [], suppressed: [], errors: [] }));
    return group;
  };
  const scoped = (f: Finding): Group => {
    const namespace = scopeOf(f);
    return namespace === null ? cluster : groupOf(namespace);
  };
  for (const f of report.findings) scoped(f).findings.push(f);
  for (const s of report.suppressed) scoped(s).suppressed.push(s);
  for (const namespace of namespaces) if (namespace !== '') groupOf(namespace);
  const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return [cluster, ...[...namespaced.keys()].sort(byName).map((namespace) => namespaced.get(namespace) as Group)];
}

/** What a report object counts: findings fail, suppressed findings are skipped, errors are errors. */
interface Counts {
  fail: number;
  skip: number;
  error: number;
}

/** A report object without its results: part `part` of its scope's. */
function header(namespace: string | null, part: number, counts: Counts): Omit<PolicyReportObject, 'results'> {
  const labels = { 'app.kubernetes.io/managed-by': 'mamori' };
  const summary = { pass: 0, fail: counts.fail, warn: 0, error: counts.error, skip: counts.skip };
  if (namespace === null) return { apiVersion: API_VERSION, kind: 'ClusterPolicyReport', metadata: { name: clusterReportName(part), labels }, summary };
  return { apiVersion: API_VERSION, kind: 'PolicyReport', metadata: { name: reportName(namespace, part), namespace, labels }, summary };
}

/** What every result needs beside its entry. */
interface Context {
  rules: ReadonlySet<string>;
  timestamp: PolicyReportResult['timestamp'];
  /** The fingerprint of each finding of the report, distinct within it. */
  printOf: (finding: Finding) => string;
  /**
   * The digits the timestamp's numbers lack to their widest (10 for seconds, 9 for nanoseconds),
   * added to each result's size: where reports split then depends on the findings only, not on
   * the clock.
   */
  stampSlack: number;
}

function context(report: Report, options: Pick<WriterOptions, 'rules' | 'now' | 'cwd'>): Context {
  const ms = options.now.getTime();
  const seconds = Math.floor(ms / 1000);
  const nanos = (ms - seconds * 1000) * 1_000_000;
  const stampSlack = Math.max(0, 10 - String(seconds).length) + Math.max(0, 9 - String(nanos).length);
  return { rules: new Set(options.rules.map((r) => r.id)), timestamp: { seconds, nanos }, printOf: reportFingerprints(report, options.cwd), stampSlack };
}

/** Characters whose JSON takes more bytes than their UTF-16 code units: non-ASCII ones, and those Go's encoder escapes. */
const WIDE = /[<>&\u0080-\uffff]/;
const MARKUP = /[<>&]/g;

/**
 * At least what `yaml`, a result as this file writes it (block YAML, strings as JSON writes them),
 * takes as JSON as kubectl sends it: the YAML's UTF-8 bytes, since the JSON holds the same strings
 * with less around them (quoted keys and braces, but no indentation and no line breaks), and 5
 * bytes more for each `<`, `>` and `&`, which Go's JSON encoder writes as `\u003c`.
 */
function jsonBytes(yaml: string): number {
  if (!WIDE.test(yaml)) return yaml.length;
  return Buffer.byteLength(yaml, 'utf8') + 5 * (yaml.match(MARKUP)?.length ?? 0);
}

/**
 * Cuts a scope's results into report objects of at most `maxBytes` as JSON: `add` takes each
 * result (its kind and size), in order, and says whether it starts a new part; `take` is called
 * with a part's number and counts when the part is complete, before the result that starts the
 * next one is counted, and at `end` with the last part (the first part is never left out: an
 * empty report replaces an older one). A result larger than a part on its own is a part on its own.
 */
function splitter(namespace: string | null, maxBytes: number, take: (part: number, counts: Counts) => void): { add: (result: keyof Counts, bytes: number) => boolean; end: () => void } {
  const budget = maxBytes - HEADER_BYTES - (namespace === null ? 0 : 2 * jsonBytes(quote(namespace)));
  let part = 1;
  let counts: Counts = { fail: 0, skip: 0, error: 0 };
  let used = 0;
  return {
    add: (result, bytes) => {
      const next = used > 0 && used + bytes > budget;
      if (next) {
        take(part++, counts);
        counts = { fail: 0, skip: 0, error: 0 };
        used = 0;
      }
      counts[result]++;
      used += bytes;
      return next;
    },
    end: () => take(part, counts),
  };
}

/** The options the PolicyReport writer reads. */
type ReportOptions = Pick<WriterOptions, 'rules' | 'now' | 'namespaces' | 'cwd'>;

/**
 * The report objects: the `ClusterPolicyReport` first (always, so a clean run replaces an older
 * report), then a `PolicyReport` per namespace with results or among `options.namespaces`,
 * namespaces in alphabetical order; each scope's in parts of at most `maxBytes` as JSON.
 */
export function policyReports(report: Report, options: ReportOptions, maxBytes = REPORT_BYTES): PolicyReportObject[] {
  const ctx = context(report, options);
  const out: PolicyReportObject[] = [];
  for (const group of groups(report, options.namespaces)) {
    let results: PolicyReportResult[] = [];
    const split = splitter(group.namespace, maxBytes, (part, counts) => {
      out.push({ ...header(group.namespace, part, counts), results });
      results = [];
    });
    const add = (r: PolicyReportResult): void => {
      split.add(r.result as keyof Counts, jsonBytes(`${resultYaml(r)}\n`) + ctx.stampSlack);
      results.push(r);
    };
    for (const f of group.findings) add(findingResult(f, group.namespace, ctx));
    for (const s of group.suppressed) add(suppressedResult(s, group.namespace, ctx));
    for (const e of group.errors) add(errorResult(e, ctx.timestamp));
    split.end();
  }
  return out;
}

// What kubectl's YAML reader (go-yaml, YAML 1.1) refuses (DEL, C1 controls, U+FFFE, U+FFFF, lone
// surrogates) or reads as line breaks (NEL, U+2028, U+2029), and the byte-order mark. JSON.stringify
// writes all of these as they are; C0 controls need nothing, it escapes them (`\n`, `\u001b`).
const UNSAFE = /[\u007f-\u009f\u2028\u2029\ufeff]/g;
const NOT_CHARACTER = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|[\ufffe\uffff]/g;
/** Any character of the two patterns above (surrogate pairs included, checked by the second). */
const SUSPECT = /[\u007f-\u009f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]/;

/**
 * Replaces, visibly, what YAML cannot carry to kubectl (see above): controls become `\xNN` as in
 * the other formats, the separators and the mark `\uNNNN`, non-characters U+FFFD.
 */
function yamlSafe(text: string): string {
  if (!SUSPECT.test(text)) return text;
  return text
    .replace(UNSAFE, (c) => {
      const code = c.charCodeAt(0);
      return code <= 0xff ? `\\x${code.toString(16)}` : `\\u${code.toString(16)}`;
    })
    .replace(NOT_CHARACTER, '\ufffd');
}

/*
 * The YAML is written by hand for the reports' fixed shape: block mappings and sequences, every
 * string double-quoted by JSON.stringify (a JSON string is a YAML double-quoted scalar, in YAML 1.1
 * as in 1.2), so no string can be read back as anything else: `on`, `y`, `0755` or `2027-01-31`
 * stay strings for kubectl, whose parser follows YAML 1.1 (properties are map[string]string).
 * Numbers are integers, booleans `true`. No folding of long messages, no aliases, no tags. Keys
 * are this file's own words, written plain; a property key is quoted unless it is a plain word.
 */

/** A string as a YAML double-quoted scalar, made safe for kubectl first. */
function quote(text: string): string {
  return JSON.stringify(yamlSafe(text));
}

/** What `quote` changes: what JSON.stringify escapes and what `yamlSafe` replaces. */
// eslint-disable-next-line no-control-regex
const QUOTED = /["\\\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]/;

/** `quote(text)` without its quotes: most strings are written as they are. */
function inner(text: string): string {
  return QUOTED.test(text) ? quote(text).slice(1, -1) : text;
}

/** The words YAML 1.1 reads as booleans or null. */
const KEYWORD = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL)$/;
/** A key safe to write plain: a letter first (never a number, a date or an indicator), then word characters, `.`, `/`, `-`. */
const PLAIN_KEY = /^[A-Za-z][A-Za-z0-9_]*(?:[./-][A-Za-z0-9_]+)*$/;

/** A mapping key: plain when it is a plain word, quoted otherwise. */
function key(name: string): string {
  return PLAIN_KEY.test(name) && !KEYWORD.test(name) ? name : quote(name);
}

/** A mapping of strings at `indent`, one `key: "value"` line each (`{}` inline when empty, by the caller). */
function stringMap(map: Readonly<Record<string, string>>, indent: string): string {
  let out = '';
  for (const name of Object.keys(map)) out += `\n${indent}${key(name)}: ${quote(map[name] as string)}`;
  return out;
}

function isEmpty(map: Readonly<Record<string, string>>): boolean {
  for (const _ in map) return false;
  return true;
}

/** One result as an item of the `results` sequence (indented by two), its fields in the type's order. */
function resultYaml(r: PolicyReportResult): string {
  let out = `  - policy: ${quote(r.policy)}`;
  if (r.rule !== undefined) out += `\n    rule: ${quote(r.rule)}`;
  if (r.category !== undefined) out += `\n    category: ${quote(r.category)}`;
  if (r.severity !== undefined) out += `\n    severity: ${quote(r.severity)}`;
  out += `\n    result: ${quote(r.result)}\n    scored: ${r.scored}\n    source: ${quote(r.source)}`;
  out += `\n    timestamp:\n      seconds: ${r.timestamp.seconds}\n      nanos: ${r.timestamp.nanos}`;
  out += `\n    message: ${quote(r.message)}`;
  if (r.resources !== undefined) {
    if (r.resources.length === 0) out += '\n    resources: []';
    else {
      out += '\n    resources:';
      for (const x of r.resources) {
        out += `\n      - apiVersion: ${quote(x.apiVersion)}\n        kind: ${quote(x.kind)}\n        name: ${quote(x.name)}`;
        if (x.namespace !== undefined) out += `\n        namespace: ${quote(x.namespace)}`;
      }
    }
  }
  out += isEmpty(r.properties) ? '\n    properties: {}' : `\n    properties:${stringMap(r.properties, '      ')}`;
  return out;
}

/** Pushes the pieces of a finding's result to `out`, its last line ended (see `emitter`); returns their `jsonBytes`. */
type Emit = (f: Finding, suppressed: SuppressedFinding | undefined, out: string[]) => number;

/** What a rule's results share, as YAML text. */
interface RuleLines {
  title: string;
  phase: string;
  severity: string;
  controls: readonly string[];
  /** From `- policy:` into the message's quotes, for a failed and for a skipped result. */
  fail?: string;
  skip?: string;
  /** From the end of the previous value through the `controls` line. */
  controlsLine: string;
  /** The same and the start of the `fingerprint` line, for results without a Pod Security policy. */
  controlsFingerprint: string;
  /** The end of the `fingerprint` line and the `docs` line, ended, and not yet ended (suppressions follow). */
  end: string;
  open: string;
  /** `jsonBytes` of the texts above, each computed once. */
  bytes: { fail?: number; skip?: number; controlsLine: number; controlsFingerprint: number; end: number; open: number };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const FINGERPRINT = '\n      fingerprint: "';
/** After the message of a result without resources (a finding about an exception), into its path. */
const NO_RESOURCE = '"\n    properties:\n      path: "';

/**
 * Writes a finding's result as `resultYaml(findingResult(...))` would, pushing its pieces to
 * `out`, without building the result: what results share (a rule's lines, an object's, a
 * file's, the namespace) is quoted once and kept, with the quotes around the finding's own
 * strings, in as few pieces as the layout allows. Findings come sorted by file and line, so the
 * object and the file of the previous finding are the ones to keep.
 */
function emitter(namespace: string | null, { rules, timestamp, printOf, stampSlack }: Context): Emit {
  const stamp = `\n    timestamp:\n      seconds: ${timestamp.seconds}\n      nanos: ${timestamp.nanos}\n    message: "`;
  const namespaceLine = namespace === null ? '' : `\n        namespace: ${quote(namespace)}`;
  const byRule = new Map<string, RuleLines>();
  let object: Finding['object'] | undefined;
  let objectLines = '';
  let file: string | undefined;
  let fileLine = '';
  let pss = '';
  let pssLine = '';

  const ruleLines = (f: Finding): RuleLines => {
    let lines = byRule.get(f.ruleId);
    if (lines === undefined || lines.title !== f.title || lines.phase !== f.phase || lines.severity !== f.severity || !sameList(lines.controls, f.controls)) {
      const controlsLine = `"\n      controls: ${quote(f.controls.join(', '))}`;
      const docs = rules.has(f.ruleId) ? `\n      docs: ${quote(`${DOCS}${f.ruleId}.md`)}` : '';
      const controlsFingerprint = `${controlsLine}${FINGERPRINT}`;
      const end = `"${docs}\n`;
      const open = `"${docs}`;
      const bytes = { controlsLine: jsonBytes(controlsLine), controlsFingerprint: jsonBytes(controlsFingerprint), end: jsonBytes(end), open: jsonBytes(open) };
      lines = { title: f.title, phase: f.phase, severity: f.severity, controls: f.controls, controlsLine, controlsFingerprint, end, open, bytes };
      byRule.set(f.ruleId, lines);
    }
    return lines;
  };
  const head = (lines: RuleLines, f: Finding, result: 'fail' | 'skip'): string => {
    let text = lines[result];
    if (text === undefined) {
      text = `  - policy: ${quote(f.ruleId)}\n    rule: ${quote(f.title)}\n    category: ${quote(f.phase)}\n    severity: ${quote(f.severity)}\n    result: "${result}"\n    scored: true\n    source: "mamori"${stamp}`;
      lines[result] = text;
      lines.bytes[result] = jsonBytes(text) + stampSlack;
    }
    return text;
  };
  let objectBytes = 0;
  const resource = (o: Finding['object']): string => {
    if (object === undefined || o.name !== object.name || o.kind !== object.kind || o.apiVersion !== object.apiVersion) {
      object = o;
      objectLines = `"\n    resources:\n      - apiVersion: ${quote(o.apiVersion)}\n        kind: ${quote(o.kind)}\n        name: ${quote(o.name)}${namespaceLine}\n    properties:\n      path: "`;
      objectBytes = jsonBytes(objectLines);
    }
    return objectLines;
  };
  const NO_RESOURCE_BYTES = jsonBytes(NO_RESOURCE);
  let fileBytes = 0;
  let pssBytes = 0;

  // Each piece after a quoted string's text starts with its closing quote. The pieces results
  // share are sized once, when made; a finding's own strings each time (numbers and fingerprints are ASCII).
  return (f, suppressed, out) => {
    const lines = ruleLines(f);
    const result = suppressed === undefined ? 'fail' : 'skip';
    const start = head(lines, f, result);
    const message = inner(f.message);
    const exception = isExceptionFinding(f);
    const object = exception ? NO_RESOURCE : resource(f.object);
    const path = inner(f.path);
    out.push(start, message, object, path);
    let bytes = (lines.bytes[result] ?? 0) + jsonBytes(message) + (exception ? NO_RESOURCE_BYTES : objectBytes) + jsonBytes(path);
    if (f.paths !== undefined && f.paths.length > 0) {
      const paths = inner(f.paths.join(', '));
      out.push(PATHS, paths);
      bytes += PATHS.length + jsonBytes(paths);
    }
    if (f.location !== undefined) {
      if (f.location.file !== file) {
        file = f.location.file;
        fileLine = `"\n      file: ${quote(file)}\n      line: "`;
        fileBytes = jsonBytes(fileLine);
      }
      // Numbers written as strings: digits, nothing to escape.
      const position = `${f.location.line}"\n      column: "${f.location.column}`;
      out.push(fileLine, position);
      bytes += fileBytes + position.length;
    }
    if (f.pss === undefined) {
      out.push(lines.controlsFingerprint);
      bytes += lines.bytes.controlsFingerprint;
    } else {
      const text = `${f.pss.level}:${f.pss.version} (${f.pss.resolved})`;
      if (text !== pss) {
        pss = text;
        pssLine = `\n      pss: ${quote(text)}${FINGERPRINT}`;
        pssBytes = jsonBytes(pssLine);
      }
      out.push(lines.controlsLine, pssLine);
      bytes += lines.bytes.controlsLine + pssBytes;
    }
    // A fingerprint is 32 hex digits: nothing to escape either.
    const print = printOf(f);
    const end = suppressed === undefined ? lines.end : lines.open;
    out.push(print, end);
    bytes += print.length + (suppressed === undefined ? lines.bytes.end : lines.bytes.open);
    if (suppressed === undefined) return bytes;
    const by = quote(suppressed.suppressedBy);
    const reason = quote(suppressed.reason);
    out.push(SUPPRESSED_BY, by, REASON, reason);
    bytes += SUPPRESSED_BY.length + jsonBytes(by) + REASON.length + jsonBytes(reason);
    if (suppressed.expires !== undefined) {
      const expires = quote(suppressed.expires);
      out.push(EXPIRES, expires);
      bytes += EXPIRES.length + jsonBytes(expires);
    }
    out.push('\n');
    return bytes + 1;
  };
}

const PATHS = '"\n      paths: "';
const SUPPRESSED_BY = '\n      suppressedBy: ';
const REASON = '\n      reason: ';
const EXPIRES = '\n      expires: ';

/** A report object up to its results, and the start of its results: a report object ends with its last result. */
function headerYaml({ apiVersion, kind, metadata, summary: s }: Omit<PolicyReportObject, 'results'>): string {
  let head = `---\napiVersion: ${quote(apiVersion)}\nkind: ${quote(kind)}\nmetadata:\n  name: ${quote(metadata.name)}`;
  if (metadata.namespace !== undefined) head += `\n  namespace: ${quote(metadata.namespace)}`;
  head += `\n  labels:${stringMap(metadata.labels, '    ')}`;
  head += `\nsummary:\n  pass: ${s.pass}\n  fail: ${s.fail}\n  warn: ${s.warn}\n  error: ${s.error}\n  skip: ${s.skip}`;
  return s.fail + s.skip + s.error === 0 ? `${head}\nresults: []\n` : `${head}\nresults:\n`;
}

/**
 * The PolicyReport output: a multi-document YAML stream of `wgpolicyk8s.io/v1alpha2` objects, a
 * `ClusterPolicyReport` and a `PolicyReport` per namespace (each in parts of at most `maxBytes`
 * as JSON), ready for `kubectl apply -f`: the objects of `policyReports()`, written straight from
 * the findings without building them, so a report of 100,000 findings is written about as fast
 * as its JSON.
 */
export function writePolicyReport(report: Report, options: WriterOptions, maxBytes = REPORT_BYTES): string {
  return [...writePolicyReportChunks(report, options, Infinity, maxBytes)].join('');
}

/** `writePolicyReport` in chunks, for outputs too large to be one string. */
export function* writePolicyReportChunks(report: Report, options: WriterOptions, limit = CHUNK_PIECES, maxBytes = REPORT_BYTES): Generator<string> {
  const ctx = context(report, options);
  // The pieces are mostly texts that results share; joining them copies them into the output once.
  // A part's header, which counts its results, fills the place kept for it once the part is
  // complete; what comes before the open part can be sent.
  const out: string[] = [];
  let headerAt = 0;
  for (const group of groups(report, options.namespaces)) {
    const split = splitter(group.namespace, maxBytes, (part, counts) => void (out[headerAt] = headerYaml(header(group.namespace, part, counts))));
    const add = (result: keyof Counts, at: number, bytes: number): void => {
      // A new part starts with the result at `at`.
      if (!split.add(result, bytes)) return;
      out.splice(at, 0, '');
      headerAt = at;
    };
    headerAt = out.length;
    out.push('');
    const emit = emitter(group.namespace, ctx);
    for (const list of [group.findings, group.suppressed]) {
      const suppressed = list === group.suppressed;
      for (const f of list) {
        const at = out.length;
        add(suppressed ? 'skip' : 'fail', at, emit(f, suppressed ? (f as SuppressedFinding) : undefined, out));
        if (headerAt >= limit) {
          yield out.splice(0, headerAt).join('');
          headerAt = 0;
        }
      }
    }
    for (const e of group.errors) {
      const text = `${resultYaml(errorResult(e, ctx.timestamp))}\n`;
      out.push(text);
      add('error', out.length - 1, jsonBytes(text) + ctx.stampSlack);
    }
    split.end();
  }
  yield out.join('');
}
