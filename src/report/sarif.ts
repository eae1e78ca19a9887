import { isAbsolute, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { phaseOf } from '../engine/controls.js';
import { reportFingerprints } from '../engine/fingerprint.js';
import type { Frameworks, Rule } from '../engine/rule.js';
import { STDIN_NAME } from '../load/files.js';
import type { Finding, Report, ReportError, Severity, SuppressedFinding, SuppressionKind } from '../types.js';
import type { WriterOptions } from './index.js';
import { CHUNK_PIECES, takeChunk } from './json.js';

// The subset of SARIF 2.1.0 (OASIS) that mamori writes. Field order here is output order.

type SarifLevel = 'error' | 'warning' | 'note';

interface SarifMessage {
  text: string;
}

interface ArtifactLocation {
  uri: string;
  uriBaseId?: string;
}

interface PhysicalLocation {
  artifactLocation: ArtifactLocation;
  region?: { startLine: number; startColumn?: number };
}

interface LogicalLocation {
  name: string;
  fullyQualifiedName: string;
  kind: string;
  properties?: Record<string, string>;
}

interface SarifLocation {
  physicalLocation?: PhysicalLocation;
  logicalLocations?: LogicalLocation[];
}

interface ReportingDescriptor {
  id: string;
  name: string;
  shortDescription: SarifMessage;
  fullDescription: SarifMessage;
  help?: { text: string; markdown: string };
  helpUri?: string;
  defaultConfiguration: { level: SarifLevel };
  properties: {
    tags: string[];
    precision: 'very-high';
    'security-severity'?: string;
    optional?: true;
  };
}

interface Suppression {
  kind: 'inSource' | 'external';
  status: 'accepted';
  justification: string;
  properties: { suppressedBy: SuppressionKind; expires?: string };
}

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: SarifLevel;
  message: SarifMessage;
  locations: SarifLocation[];
  partialFingerprints: Record<string, string>;
  suppressions?: Suppression[];
  /**
   * What code scanning does not show elsewhere: the severity in full (levels merge critical and
   * high), the rule's controls and phase, and the finding's further paths. The object and the
   * field path are the logical locations.
   */
  properties: {
    severity: Severity;
    controls: string[];
    phase: Finding['phase'];
    paths?: string[];
  };
}

interface Notification {
  level: 'error';
  message: SarifMessage;
  locations?: SarifLocation[];
  properties: { code: string };
}

const SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
const REPOSITORY = 'https://github.com/mamori-dev/mamori';
/**
 * The key of `partialFingerprints`; bump the version if `fingerprint()` ever changes meaning (v2:
 * every path of a finding, containers by name, and an occurrence number for findings that share one).
 */
const FINGERPRINT_KEY = 'mamori/v2';

type PrintOf = (finding: Finding) => string;
/** Result URIs are relative to this base, which `originalUriBaseIds` maps to the working directory. */
const SRCROOT = '%SRCROOT%';

/** Between two results. */
const NEXT = ',\n        ';

/** The run's `results` as JSON.stringify indents an empty one, to be replaced by the results. */
const EMPTY_RESULTS = '\n      "results": []';

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

const LEVELS: Record<Severity, SarifLevel> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

/**
 * GitHub code scanning reads `security-severity` (a CVSS-like score as a string) and shows
 * critical above 9.0, high 7.0–8.9, medium 4.0–6.9 and low 0.1–3.9. Each severity gets one fixed
 * score in the middle of its band, so a rounding of GitHub's thresholds cannot move it. `info`
 * findings get none: they are notes, not vulnerabilities, and GitHub then shows them by `level`.
 * GitHub reads the score of a rule's descriptor only, never a result's, so results carry none: a
 * finding graded apart from its rule (a low `rbac-wildcard-grant`) has its own severity in its
 * `level` and `properties.severity`. The descriptor has the rule's severity as the configuration
 * sets it (the writers receive the rules so), which every finding of the rule then has.
 */
const SECURITY_SEVERITY: Record<Severity, string | undefined> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '2.0',
  info: undefined,
};

/** The rule's generated documentation page in the repository. */
export function ruleHelpUri(id: string): string {
  return `${REPOSITORY}/blob/main/docs/rules/${encodeURIComponent(id)}.md`;
}

/** `pss-host-namespaces` → `PssHostNamespaces`: SARIF wants a readable identifier beside the id. */
function pascalCase(id: string): string {
  const words = id.split(/[^A-Za-z0-9]+/).filter((w) => w !== '');
  return words.length === 0 ? id : words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

/**
 * Framework references as tags: `cis:1.2.1`, `pss:baseline:hostPorts`, `kubescape:C-0113`,
 * `nsa:authentication-and-authorization` (NSA sections are titles; a tag is kept free of spaces so
 * it can be typed in a code scanning filter).
 */
function frameworkTags(frameworks: Frameworks | undefined): string[] {
  const tags: string[] = [];
  for (const key of ['pss', 'cis', 'nsa', 'kubescape'] as const) {
    for (const ref of frameworks?.[key] ?? []) {
      const id = key === 'nsa' ? ref.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') : ref;
      if (id !== '') tags.push(`${key}:${id}`);
    }
  }
  return tags;
}

function ruleProperties(severity: Severity, controls: readonly string[], frameworks: Frameworks | undefined, optional: boolean): ReportingDescriptor['properties'] {
  // SARIF requires property-bag tags to be unique.
  const tags = [...new Set(['security', phaseOf(controls), ...controls, ...frameworkTags(frameworks)])];
  // The rules check declared configuration, not heuristics: a finding is a fact about the manifest.
  const properties: ReportingDescriptor['properties'] = { tags, precision: 'very-high' };
  const score = SECURITY_SEVERITY[severity];
  if (score !== undefined) properties['security-severity'] = score;
  if (optional) properties.optional = true;
  return properties;
}

/** Help a reader can act on without leaving the alert: why it matters, how to fix, where to read more. */
function help(rule: Rule, uri: string): { text: string; markdown: string } {
  const phase = phaseOf(rule.controls);
  const controls = rule.controls.join(', ');
  return {
    text: `${rule.description}\n\nHow to fix: ${rule.remediation}\n\nControls: ${controls} (${phase}). Documentation: ${uri}`,
    markdown: `${rule.description}\n\n**How to fix:** ${rule.remediation}\n\nControls: ${controls} (${phase}). [Rule documentation](${uri})`,
  };
}

function descriptor(rule: Rule): ReportingDescriptor {
  const uri = ruleHelpUri(rule.id);
  return {
    id: rule.id,
    name: pascalCase(rule.id),
    shortDescription: { text: rule.title },
    fullDescription: { text: rule.description },
    help: help(rule, uri),
    helpUri: uri,
    defaultConfiguration: { level: LEVELS[rule.severity] },
    properties: ruleProperties(rule.severity, rule.controls, rule.frameworks, rule.optional === true),
  };
}

/** A rule a finding names that the catalog lacks (a custom policy): described from the finding. */
function descriptorOfFinding(finding: Finding): ReportingDescriptor {
  return {
    id: finding.ruleId,
    name: pascalCase(finding.ruleId),
    shortDescription: { text: finding.title },
    fullDescription: { text: finding.title },
    defaultConfiguration: { level: LEVELS[finding.severity] },
    properties: ruleProperties(finding.severity, finding.controls, undefined, false),
  };
}

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Replaces lone surrogates (which `encodeURIComponent` rejects) with U+FFFD. */
function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/**
 * Standard input as an artifact: a relative URI, `<stdin>` as the other formats name it. GitHub code
 * scanning rejects a whole log if one result has no artifact location (a logical location is not
 * enough), and refuses absolute URIs of another scheme than the source root's; a relative URI it
 * accepts and shows, without a source snippet when the repository holds no such file. No
 * `uriBaseId`: it is not a file of the working directory.
 */
const STDIN_ARTIFACT: ArtifactLocation = { uri: encodeURIComponent(STDIN_NAME) };

/**
 * Where `file` (as the user gave it, relative to `cwd` or absolute) is: a URI relative to
 * `%SRCROOT%` below the working directory, an absolute `file:` URI outside it, `STDIN_ARTIFACT`
 * for standard input, or nothing for errors without a file.
 */
function artifactLocation(file: string, cwd: string): ArtifactLocation | undefined {
  if (file === '') return undefined;
  if (file === STDIN_NAME) return STDIN_ARTIFACT;
  const root = resolve(cwd);
  const absolute = resolve(root, file);
  const rel = relative(root, absolute);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return { uri: pathToFileURL(absolute).href };
  return { uri: rel.split(sep).map((segment) => encodeURIComponent(wellFormed(segment))).join('/'), uriBaseId: SRCROOT };
}

/** `artifactLocation` with each file's answer kept: findings repeat their file, and path resolution is the costly part. */
type Locator = (file: string) => ArtifactLocation | undefined;

function locator(cwd: string): Locator {
  const known = new Map<string, ArtifactLocation | undefined>();
  return (file) => {
    if (known.has(file)) return known.get(file);
    const location = artifactLocation(file, cwd);
    known.set(file, location);
    return location;
  };
}

function physicalLocation(file: string, line: number | undefined, column: number | undefined, locate: Locator): PhysicalLocation | undefined {
  const known = locate(file);
  if (known === undefined) return undefined;
  // A copy per location: the log shares no objects (JSON.stringify would not mind, other readers of the object might).
  const artifact: ArtifactLocation = known.uriBaseId === undefined ? { uri: known.uri } : { uri: known.uri, uriBaseId: known.uriBaseId };
  const location: PhysicalLocation = { artifactLocation: artifact };
  // SARIF lines and columns are 1-based; anything else means "not known".
  if (line !== undefined && Number.isInteger(line) && line >= 1) {
    location.region = { startLine: line };
    if (column !== undefined && Number.isInteger(column) && column >= 1) location.region.startColumn = column;
  }
  return location;
}

/** The object's logical location: `Kind/namespace/name`, with its API version, kind and namespace. */
function objectLocation(object: Finding['object']): LogicalLocation {
  const { apiVersion, kind, namespace, name } = object;
  const properties: Record<string, string> = { apiVersion, kind };
  if (namespace !== undefined) properties['namespace'] = namespace;
  return { name, fullyQualifiedName: `${kind}/${namespace !== undefined ? `${namespace}/` : ''}${name}`, kind: 'object', properties };
}

function logicalLocations(finding: Finding): LogicalLocation[] {
  const object = objectLocation(finding.object);
  const out: LogicalLocation[] = [object];
  if (finding.path !== '') out.push({ name: finding.path, fullyQualifiedName: `${object.fullyQualifiedName}#${finding.path}`, kind: 'property' });
  return out;
}

const SUPPRESSION_KIND: Record<SuppressionKind, Suppression['kind']> = {
  annotation: 'inSource',
  exception: 'external',
  baseline: 'external',
};

function result(finding: Finding, ruleIndex: number, locate: Locator, printOf: PrintOf, suppressed?: SuppressedFinding): SarifResult {
  const location: SarifLocation = {};
  const physical = finding.location === undefined ? undefined : physicalLocation(finding.location.file, finding.location.line, finding.location.column, locate);
  if (physical !== undefined) location.physicalLocation = physical;
  location.logicalLocations = logicalLocations(finding);
  const out: SarifResult = {
    ruleId: finding.ruleId,
    ruleIndex,
    level: LEVELS[finding.severity],
    message: { text: finding.message },
    locations: [location],
    partialFingerprints: { [FINGERPRINT_KEY]: printOf(finding) },
    properties: {
      severity: finding.severity,
      controls: finding.controls,
      phase: finding.phase,
    },
  };
  if (finding.paths !== undefined && finding.paths.length > 0) out.properties.paths = finding.paths;
  if (suppressed !== undefined) out.suppressions = suppressions(suppressed);
  return out;
}

function suppressions(suppressed: SuppressedFinding): Suppression[] {
  const properties: Suppression['properties'] = { suppressedBy: suppressed.suppressedBy };
  if (suppressed.expires !== undefined) properties.expires = suppressed.expires;
  return [{ kind: SUPPRESSION_KIND[suppressed.suppressedBy], status: 'accepted', justification: suppressed.reason, properties }];
}

/** What a rule's results share, as JSON text. */
interface RuleText {
  severity: Severity;
  phase: Finding['phase'];
  controls: readonly string[];
  /** From the result's start into the quotes of its message text. */
  head: string;
  /** From the end of the fingerprint into the result's properties, before further paths; and to the next result. */
  properties: string;
  end: string;
}

/** What an object's results share, as JSON text. */
interface ObjectText {
  object: Finding['object'];
  /** Its logical location, opening the list, and the start of the property's name. */
  logical: string;
  /** The same when the finding has no property path: the list closed, and the start of the fingerprint. */
  logicalOnly: string;
  /** The end of the property's name and the start of its fully qualified name: `Kind/namespace/name#`. */
  qualified: string;
}

/** Characters JSON.stringify escapes in a string (lone surrogates among the surrogates). */
// eslint-disable-next-line no-control-regex
const JSON_ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A string as JSON.stringify writes it, without the quotes: most are the string itself. */
function jsonInner(text: string): string {
  return JSON_ESCAPED.test(text) ? JSON.stringify(text).slice(1, -1) : text;
}

/** Equal lists of strings (the same array, usually: findings share their rule's). */
function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Writes each result as `JSON.stringify(result(...))` would, byte for byte, and the separator
 * before the next, pushing the pieces to `out`, without building it: what results share (the rule's text, the object's, the file's) is
 * serialised once and kept, in as few pieces as the layout allows, so a finding costs the few
 * strings of its own (message, path, fingerprint, position). JSON escapes each character on its
 * own (a lone surrogate too), so a text cut next to an ASCII character escapes as its parts do.
 */
function resultWriter(indexOf: (finding: Finding) => number, locate: Locator, printOf: PrintOf): (out: string[], finding: Finding, suppressed?: SuppressedFinding) => void {
  const byRule = new Map<string, RuleText>();
  let object: ObjectText | undefined;
  let file: string | undefined;
  /** The end of the message and the start of the locations, with the previous file's physical location up to its region. */
  let artifact = '';
  let located = false;

  const ruleText = (f: Finding): RuleText => {
    let text = byRule.get(f.ruleId);
    if (text === undefined || text.severity !== f.severity || text.phase !== f.phase || !sameList(text.controls, f.controls)) {
      const properties = `"},"properties":{"severity":${JSON.stringify(f.severity)},"controls":${JSON.stringify(f.controls)},"phase":${JSON.stringify(f.phase)}`;
      text = {
        severity: f.severity,
        phase: f.phase,
        controls: f.controls,
        head: `{"ruleId":${JSON.stringify(f.ruleId)},"ruleIndex":${indexOf(f)},"level":"${LEVELS[f.severity]}","message":{"text":"`,
        properties,
        end: `${properties}}}${NEXT}`,
      };
      byRule.set(f.ruleId, text);
    }
    return text;
  };
  const objectText = (o: Finding['object']): ObjectText => {
    if (object === undefined || o.name !== object.object.name || o.kind !== object.object.kind || o.namespace !== object.object.namespace || o.apiVersion !== object.object.apiVersion) {
      const logical = objectLocation(o);
      const json = JSON.stringify(logical);
      object = {
        object: o,
        logical: `"logicalLocations":[${json},{"name":"`,
        logicalOnly: `"logicalLocations":[${json}]}],"partialFingerprints":{"${FINGERPRINT_KEY}":"`,
        qualified: `","fullyQualifiedName":"${jsonInner(logical.fullyQualifiedName)}#`,
      };
    }
    return object;
  };
  const physical = (location: Finding['location']): string => {
    if (location === undefined) return '"},"locations":[{';
    if (location.file !== file) {
      file = location.file;
      const known = locate(file);
      located = known !== undefined;
      artifact = known === undefined ? '"},"locations":[{' : `"},"locations":[{"physicalLocation":{"artifactLocation":${JSON.stringify(known)}`;
    }
    if (!located) return artifact;
    const { line, column } = location;
    if (!(Number.isInteger(line) && line >= 1)) return `${artifact}},`;
    return Number.isInteger(column) && column >= 1 ? `${artifact},"region":{"startLine":${line},"startColumn":${column}}},` : `${artifact},"region":{"startLine":${line}}},`;
  };

  return (out, f, suppressed) => {
    const rule = ruleText(f);
    const o = objectText(f.object);
    out.push(rule.head, jsonInner(f.message), physical(f.location));
    if (f.path === '') out.push(o.logicalOnly);
    else {
      // The property's name is the path; its fully qualified name the object's, `#` and the path.
      const path = jsonInner(f.path);
      out.push(o.logical, path, o.qualified, path, PROPERTY_END);
    }
    const paths = f.paths !== undefined && f.paths.length > 0;
    if (!paths && suppressed === undefined) return void out.push(printOf(f), rule.end);
    out.push(printOf(f), rule.properties);
    if (paths) out.push(',"paths":', JSON.stringify(f.paths));
    out.push(suppressed === undefined ? `}}${NEXT}` : `},"suppressions":${JSON.stringify(suppressions(suppressed))}}${NEXT}`);
  };
}

const PROPERTY_END = `","kind":"property"}]}],"partialFingerprints":{"${FINGERPRINT_KEY}":"`;

function notification(error: ReportError, locate: Locator): Notification {
  const physical = physicalLocation(error.file, error.line, error.column, locate);
  return {
    level: 'error',
    message: { text: error.message },
    ...(physical !== undefined ? { locations: [{ physicalLocation: physical }] } : {}),
    properties: { code: error.code },
  };
}

/** The log with its results still empty, and what the results need. */
function skeleton(report: Report, options: WriterOptions): { log: { runs: { results: SarifResult[] }[] }; indexOf: (finding: Finding) => number; locate: Locator } {
  const descriptors = new Map<string, ReportingDescriptor>();
  for (const rule of options.rules) if (!descriptors.has(rule.id)) descriptors.set(rule.id, descriptor(rule));
  for (const list of [report.findings, report.suppressed]) {
    for (const finding of list) if (!descriptors.has(finding.ruleId)) descriptors.set(finding.ruleId, descriptorOfFinding(finding));
  }
  const rules = [...descriptors.values()].sort((a, b) => byCodeUnits(a.id, b.id));
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const indexOf = (finding: Finding): number => index.get(finding.ruleId) ?? -1;
  const locate = locator(options.cwd);

  const invocation: { executionSuccessful: boolean; toolExecutionNotifications?: Notification[] } = { executionSuccessful: report.errors.length === 0 };
  if (report.errors.length > 0) invocation.toolExecutionNotifications = report.errors.map((e) => notification(e, locate));

  const root = resolve(options.cwd);
  const { version } = report.tool;
  const driver = {
    name: 'mamori',
    version,
    ...(SEMVER.test(version) ? { semanticVersion: version } : {}),
    informationUri: REPOSITORY,
    rules,
  };
  const log = {
    $schema: SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver },
        invocations: [invocation],
        // SARIF requires a base URI to end with a slash.
        originalUriBaseIds: { [SRCROOT]: { uri: pathToFileURL(root.endsWith(sep) ? root : `${root}${sep}`).href } },
        // Columns come from offsets in JavaScript strings.
        columnKind: 'utf16CodeUnits',
        results: [] as SarifResult[],
        properties: { pss: `${report.pss.level}:${report.pss.version}`, inputs: report.inputs },
      },
    ],
  };
  return { log, indexOf, locate };
}

/**
 * The SARIF 2.1.0 log of a report as an object: one run whose driver describes every rule of the
 * catalog, one result per finding, suppressed findings as results with `suppressions`, and input
 * errors as tool execution notifications. `writeSarif` writes exactly this.
 */
export function sarifLog(report: Report, options: WriterOptions): object {
  const { log, indexOf, locate } = skeleton(report, options);
  const printOf = reportFingerprints(report, options.cwd);
  const results = (log.runs[0] as { results: SarifResult[] }).results;
  for (const f of report.findings) results.push(result(f, indexOf(f), locate, printOf));
  for (const f of report.suppressed) results.push(result(f, indexOf(f), locate, printOf, f));
  return log;
}

/**
 * The SARIF 2.1.0 log of a report (`sarifLog`), for code scanning (GitHub, GitLab) and SARIF
 * viewers. Indented by two spaces, but each result is written on one line: a result printed over
 * some fifty lines would make the log of 100,000 findings two and a half times the size of the
 * JSON report, and as slow to write. One result per line still reads and diffs well.
 */
export function writeSarif(report: Report, options: WriterOptions): string {
  return [...writeSarifChunks(report, options, Infinity)].join('');
}

/** `writeSarif` in chunks, for logs too large to be one string. */
export function* writeSarifChunks(report: Report, options: WriterOptions, limit = CHUNK_PIECES): Generator<string> {
  const { log, indexOf, locate } = skeleton(report, options);
  const text = JSON.stringify(log, null, 2);
  if (report.findings.length + report.suppressed.length === 0) {
    yield `${text}\n`;
    return;
  }
  // JSON.stringify escapes line breaks inside strings, so this line, the run's own `results`, is the only one like it.
  const at = text.indexOf(EMPTY_RESULTS);
  const write = resultWriter(indexOf, locate, reportFingerprints(report, options.cwd));
  // The pieces are mostly texts that results share; joining them copies them into the log once.
  const out: string[] = [text.slice(0, at), '\n      "results": [\n        '];
  for (const list of [report.findings, report.suppressed]) {
    for (const f of list) {
      write(out, f, list === report.suppressed ? (f as SuppressedFinding) : undefined);
      const chunk = takeChunk(out, limit);
      if (chunk !== undefined) yield chunk;
    }
  }
  // The last result has no next one.
  out[out.length - 1] = (out[out.length - 1] as string).slice(0, -NEXT.length);
  out.push('\n      ]', text.slice(at + EMPTY_RESULTS.length), '\n');
  yield out.join('');
}
