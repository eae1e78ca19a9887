import { isAbsolute, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { phaseOf } from '../engine/controls.js';
import { fingerprint } from '../engine/fingerprint.js';
import type { Frameworks, Rule } from '../engine/rule.js';
import { STDIN_NAME } from '../load/files.js';
import type { Finding, Report, ReportError, Severity, SuppressedFinding, SuppressionKind } from '../types.js';
import type { WriterOptions } from './index.js';

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
  properties: {
    severity: Severity;
    controls: string[];
    phase: Finding['phase'];
    object: Finding['object'];
    path: string;
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
/** The key of `partialFingerprints`; bump the version if `fingerprint()` ever changes meaning. */
const FINGERPRINT_KEY = 'mamori/v1';
/** Result URIs are relative to this base, which `originalUriBaseIds` maps to the working directory. */
const SRCROOT = '%SRCROOT%';

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
 * Where `file` (as the user gave it, relative to `cwd` or absolute) is: a URI relative to
 * `%SRCROOT%` below the working directory, an absolute `file:` URI outside it, or nothing for
 * standard input and errors without a file.
 */
function artifactLocation(file: string, cwd: string): ArtifactLocation | undefined {
  if (file === '' || file === STDIN_NAME) return undefined;
  const root = resolve(cwd);
  const absolute = resolve(root, file);
  const rel = relative(root, absolute);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return { uri: pathToFileURL(absolute).href };
  return { uri: rel.split(sep).map((segment) => encodeURIComponent(wellFormed(segment))).join('/'), uriBaseId: SRCROOT };
}

function physicalLocation(file: string, line: number | undefined, column: number | undefined, cwd: string): PhysicalLocation | undefined {
  const artifact = artifactLocation(file, cwd);
  if (artifact === undefined) return undefined;
  const location: PhysicalLocation = { artifactLocation: artifact };
  // SARIF lines and columns are 1-based; anything else means "not known".
  if (line !== undefined && Number.isInteger(line) && line >= 1) {
    location.region = { startLine: line };
    if (column !== undefined && Number.isInteger(column) && column >= 1) location.region.startColumn = column;
  }
  return location;
}

function logicalLocations(finding: Finding): LogicalLocation[] {
  const { apiVersion, kind, namespace, name } = finding.object;
  const objectName = `${kind}/${namespace !== undefined ? `${namespace}/` : ''}${name}`;
  const properties: Record<string, string> = { apiVersion, kind };
  if (namespace !== undefined) properties['namespace'] = namespace;
  const out: LogicalLocation[] = [{ name, fullyQualifiedName: objectName, kind: 'object', properties }];
  if (finding.path !== '') out.push({ name: finding.path, fullyQualifiedName: `${objectName}#${finding.path}`, kind: 'property' });
  return out;
}

const SUPPRESSION_KIND: Record<SuppressionKind, Suppression['kind']> = {
  annotation: 'inSource',
  exception: 'external',
  baseline: 'external',
};

function result(finding: Finding, ruleIndex: number, cwd: string, suppressed?: SuppressedFinding): SarifResult {
  const location: SarifLocation = {};
  const physical = finding.location === undefined ? undefined : physicalLocation(finding.location.file, finding.location.line, finding.location.column, cwd);
  if (physical !== undefined) location.physicalLocation = physical;
  location.logicalLocations = logicalLocations(finding);
  const out: SarifResult = {
    ruleId: finding.ruleId,
    ruleIndex,
    level: LEVELS[finding.severity],
    message: { text: finding.message },
    locations: [location],
    partialFingerprints: { [FINGERPRINT_KEY]: fingerprint(finding) },
    properties: {
      severity: finding.severity,
      controls: finding.controls,
      phase: finding.phase,
      object: finding.object,
      path: finding.path,
    },
  };
  if (finding.paths !== undefined && finding.paths.length > 0) out.properties.paths = finding.paths;
  if (suppressed !== undefined) {
    const properties: Suppression['properties'] = { suppressedBy: suppressed.suppressedBy };
    if (suppressed.expires !== undefined) properties.expires = suppressed.expires;
    out.suppressions = [{ kind: SUPPRESSION_KIND[suppressed.suppressedBy], status: 'accepted', justification: suppressed.reason, properties }];
  }
  return out;
}

function notification(error: ReportError, cwd: string): Notification {
  const physical = physicalLocation(error.file, error.line, error.column, cwd);
  return {
    level: 'error',
    message: { text: error.message },
    ...(physical !== undefined ? { locations: [{ physicalLocation: physical }] } : {}),
    properties: { code: error.code },
  };
}

/**
 * The SARIF 2.1.0 log of a report, for code scanning (GitHub, GitLab) and SARIF viewers: one run
 * whose driver describes every rule of the catalog, one result per finding, suppressed findings
 * as results with `suppressions`, and input errors as tool execution notifications.
 */
export function writeSarif(report: Report, options: WriterOptions): string {
  const descriptors = new Map<string, ReportingDescriptor>();
  for (const rule of options.rules) if (!descriptors.has(rule.id)) descriptors.set(rule.id, descriptor(rule));
  for (const finding of [...report.findings, ...report.suppressed]) {
    if (!descriptors.has(finding.ruleId)) descriptors.set(finding.ruleId, descriptorOfFinding(finding));
  }
  const rules = [...descriptors.values()].sort((a, b) => byCodeUnits(a.id, b.id));
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const indexOf = (finding: Finding): number => index.get(finding.ruleId) ?? -1;

  const results = [
    ...report.findings.map((f) => result(f, indexOf(f), options.cwd)),
    ...report.suppressed.map((f) => result(f, indexOf(f), options.cwd, f)),
  ];

  const invocation: { executionSuccessful: boolean; toolExecutionNotifications?: Notification[] } = { executionSuccessful: report.errors.length === 0 };
  if (report.errors.length > 0) invocation.toolExecutionNotifications = report.errors.map((e) => notification(e, options.cwd));

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
        results,
        properties: { pss: `${report.pss.level}:${report.pss.version}`, inputs: report.inputs },
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
