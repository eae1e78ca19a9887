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
 * One namespaced `PolicyReport` per namespace with results, and one `ClusterPolicyReport` for
 * cluster-scoped objects and for what concerns no object (inputs that could not be read, rules
 * that failed: `result: error`). A namespaced object without a namespace is reported in
 * `default`, where `kubectl apply` would put it with a default context.
 */
import { stringify } from 'yaml';
import { fingerprint } from '../engine/fingerprint.js';
import { isClusterScoped } from '../k8s/scope.js';
import type { Finding, Report, ReportError, Severity, SuppressedFinding } from '../types.js';
import type { WriterOptions } from './index.js';

const API_VERSION = 'wgpolicyk8s.io/v1alpha2';
const DOCS = 'https://github.com/mamori-dev/mamori/blob/main/docs/rules/';
/** Name of the one ClusterPolicyReport. */
export const CLUSTER_REPORT_NAME = 'mamori-cluster';

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
 * The report's name for a namespace: `mamori-<namespace>`, a valid DNS-1123 label. A namespace
 * from the input that is not a valid name itself (the API server would reject its objects, but
 * they are still reported) is lowercased and stripped to a valid name with a hash of the original.
 */
export function reportName(namespace: string): string {
  if (DNS_LABEL.test(namespace) && namespace.length <= 56) return `mamori-${namespace}`;
  const cleaned = namespace
    .toLowerCase()
    .replace(/[^-a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return `mamori-${cleaned === '' ? '' : `${cleaned}-`}${shortHash(namespace)}`;
}

/** Where a finding's object is reported: a namespace, or `null` for the cluster report. */
function scopeOf(f: Finding): string | null {
  if (isClusterScoped(f.object.kind)) return null;
  return f.object.namespace === undefined || f.object.namespace === '' ? 'default' : f.object.namespace;
}

function resource(f: Finding, namespace: string | null): ResourceRef {
  const { apiVersion, kind, name } = f.object;
  return namespace === null ? { apiVersion, kind, name } : { apiVersion, kind, name, namespace };
}

function findingProperties(f: Finding, rules: ReadonlySet<string>): Record<string, string> {
  const p: Record<string, string> = { path: f.path };
  if (f.paths !== undefined && f.paths.length > 0) p['paths'] = f.paths.join(', ');
  if (f.location !== undefined) {
    p['file'] = f.location.file;
    p['line'] = String(f.location.line);
    p['column'] = String(f.location.column);
  }
  p['controls'] = f.controls.join(', ');
  if (f.pss !== undefined) p['pss'] = `${f.pss.level}:${f.pss.version} (${f.pss.resolved})`;
  p['fingerprint'] = fingerprint(f);
  if (rules.has(f.ruleId)) p['docs'] = `${DOCS}${f.ruleId}.md`;
  return p;
}

function findingResult(f: Finding, namespace: string | null, rules: ReadonlySet<string>, timestamp: PolicyReportResult['timestamp']): PolicyReportResult {
  return {
    policy: f.ruleId,
    rule: f.title,
    category: f.phase,
    severity: f.severity,
    result: 'fail',
    scored: true,
    source: 'mamori',
    timestamp: { ...timestamp },
    message: f.message,
    resources: [resource(f, namespace)],
    properties: findingProperties(f, rules),
  };
}

function suppressedResult(s: SuppressedFinding, namespace: string | null, rules: ReadonlySet<string>, timestamp: PolicyReportResult['timestamp']): PolicyReportResult {
  const result = findingResult(s, namespace, rules, timestamp);
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

function summary(results: readonly PolicyReportResult[]): PolicyReportObject['summary'] {
  const of = (r: PolicyReportResult['result']): number => results.filter((x) => x.result === r).length;
  return { pass: of('pass'), fail: of('fail'), warn: of('warn'), error: of('error'), skip: of('skip') };
}

/**
 * The report objects: the `ClusterPolicyReport` first (always, so a clean run replaces an older
 * report), then a `PolicyReport` per namespace with results, namespaces in alphabetical order.
 */
export function policyReports(report: Report, options: Pick<WriterOptions, 'rules' | 'now'>): PolicyReportObject[] {
  const rules = new Set(options.rules.map((r) => r.id));
  const ms = options.now.getTime();
  const seconds = Math.floor(ms / 1000);
  const timestamp = { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
  const cluster: PolicyReportResult[] = [];
  const namespaced = new Map<string, PolicyReportResult[]>();
  const add = (namespace: string | null, result: PolicyReportResult): void => {
    if (namespace === null) return void cluster.push(result);
    const list = namespaced.get(namespace);
    if (list === undefined) namespaced.set(namespace, [result]);
    else list.push(result);
  };
  for (const f of report.findings) add(scopeOf(f), findingResult(f, scopeOf(f), rules, timestamp));
  for (const s of report.suppressed) add(scopeOf(s), suppressedResult(s, scopeOf(s), rules, timestamp));
  for (const e of report.errors) cluster.push(errorResult(e, timestamp));
  const labels = (): Record<string, string> => ({ 'app.kubernetes.io/managed-by': 'mamori' });
  const out: PolicyReportObject[] = [
    { apiVersion: API_VERSION, kind: 'ClusterPolicyReport', metadata: { name: CLUSTER_REPORT_NAME, labels: labels() }, summary: summary(cluster), results: cluster },
  ];
  for (const namespace of [...namespaced.keys()].sort()) {
    const results = namespaced.get(namespace) ?? [];
    out.push({
      apiVersion: API_VERSION,
      kind: 'PolicyReport',
      metadata: { name: reportName(namespace), namespace, labels: labels() },
      summary: summary(results),
      results,
    });
  }
  return out;
}

// Characters the `yaml` package writes as they are but kubectl's YAML reader (go-yaml, YAML 1.1)
// refuses (DEL, C1 controls, U+FFFE, U+FFFF, lone surrogates) or reads as line breaks (NEL,
// U+2028, U+2029), and the byte-order mark. C0 controls need nothing: the package escapes them.
const UNSAFE = /[\u007f-\u009f\u2028\u2029\ufeff]/g;
const NOT_CHARACTER = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|[\ufffe\uffff]/g;

/**
 * Replaces, visibly, what YAML cannot carry to kubectl (see above): controls become `\xNN` as in
 * the other formats, the separators and the mark `\uNNNN`, non-characters U+FFFD.
 */
function yamlSafe(text: string): string {
  return text
    .replace(UNSAFE, (c) => {
      const code = c.charCodeAt(0);
      return code <= 0xff ? `\\x${code.toString(16)}` : `\\u${code.toString(16)}`;
    })
    .replace(NOT_CHARACTER, '\ufffd');
}

/** The same value with every string made safe for YAML (keys included). */
function safeStrings<T>(value: T): T {
  if (typeof value === 'string') return yamlSafe(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => safeStrings(v)) as T;
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [yamlSafe(k), safeStrings(v)])) as T;
  return value;
}

/**
 * The PolicyReport output: a multi-document YAML stream of `wgpolicyk8s.io/v1alpha2` objects, a
 * `ClusterPolicyReport` and a `PolicyReport` per namespace, ready for `kubectl apply -f`.
 */
export function writePolicyReport(report: Report, options: WriterOptions): string {
  // Quoting decided by YAML 1.1, which kubectl's parser follows: a string such as `on`, `y` or
  // `2027-01-31` must stay a string there (properties are map[string]string). No folding of long
  // messages, and no aliases, which some consumers of Kubernetes YAML do not resolve.
  return policyReports(report, options)
    .map((doc) => `---\n${stringify(safeStrings(doc), { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false })}`)
    .join('');
}
