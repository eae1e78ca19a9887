/** Shared vocabulary of mamori: types only, no values. */

/** How bad a finding is, from worst to informational. */
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

/** A lifecycle phase of the page "Cloud Native Security and Kubernetes". */
export type Phase =
  | 'develop'
  | 'distribute'
  | 'deploy'
  | 'runtime-access'
  | 'runtime-compute'
  | 'runtime-storage'
  | 'network'
  | 'observability';

/** One step of a field path: a mapping key or a sequence index. */
export type PathSegment = string | number;
/** A field path inside an object, e.g. `['spec', 'containers', 0, 'image']`. */
export type Path = readonly PathSegment[];

/** A JSON value as found in a manifest. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object as found in a manifest. */
export type JsonObject = { [key: string]: JsonValue };

/** Identifies a Kubernetes object in findings. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** A place in an input file; line and column are 1-based. */
export interface Location {
  file: string;
  line: number;
  column: number;
}

/** Pod Security Standards level. */
export type PssLevel = 'privileged' | 'baseline' | 'restricted';

/** A Pod Security policy as written by the user: a level and `latest` or `v1.<minor>`. */
export interface PssPolicy {
  level: PssLevel;
  version: string;
}

/** One finding: a rule violated by an object at a field path. */
export interface Finding {
  ruleId: string;
  title: string;
  severity: Severity;
  controls: string[];
  phase: Phase;
  object: ObjectRef;
  /** Dotted field path, e.g. `spec.template.spec.containers[0].ports[0].hostPort`. */
  path: string;
  message: string;
  location?: Location;
  /** Further offending fields of the same violation (e.g. one per container). */
  paths?: string[];
  /** For Pod Security findings: the policy evaluated and the policy version it resolved to. */
  pss?: { level: PssLevel; version: string; resolved: string };
  /**
   * The rule's safe automatic fix as JSON Patch operations on the object (paths from its root),
   * present only when the scan was asked for fixes (`ScanOptions.fixes`).
   */
  fix?: { op: 'add' | 'replace' | 'test' | 'remove'; path: string; value?: JsonValue }[];
}

/** What suppressed a finding: an exception of the configuration, the object's annotation, or the baseline. */
export type SuppressionKind = 'exception' | 'annotation' | 'baseline';

/** A finding that was suppressed on purpose: listed in every format, never dropped silently. */
export interface SuppressedFinding extends Finding {
  suppressedBy: SuppressionKind;
  reason: string;
  /** The exception's end date (YYYY-MM-DD), when it has one. */
  expires?: string;
}

/** An exception of the configuration, and what it did in this scan. */
export interface ExceptionStatus {
  rule: string;
  namespace?: string;
  kind?: string;
  name?: string;
  container?: string;
  reason: string;
  expires?: string;
  /** `active`: in force; `expired`: past its date, suppresses nothing; `stale`: matched no finding. */
  status: 'active' | 'expired' | 'stale';
  /** Findings it suppressed (or would have, once expired). */
  matched: number;
  /** Where it is written: the configuration file and line. */
  location?: Location;
}

/** An input that could not be read or parsed, or a check that could not run. */
export interface ReportError {
  file: string;
  line?: number;
  column?: number;
  message: string;
  code: string;
}

/** Counts of findings, for the report's summary. */
export interface Summary {
  total: number;
  bySeverity: Partial<Record<Severity, number>>;
  byPhase: Partial<Record<Phase, number>>;
  byControl: Record<string, number>;
}

/** Everything a scan produced; every writer consumes this. */
export interface Report {
  schemaVersion: 1;
  tool: { name: 'mamori'; version: string };
  pss: PssPolicy;
  inputs: { files: number; objects: number };
  findings: Finding[];
  suppressed: SuppressedFinding[];
  /** The configuration's exceptions with their status (empty without exceptions). */
  exceptions: ExceptionStatus[];
  /** With `--baseline`: findings of the baseline still present, and baseline entries now fixed. */
  baseline?: { file: string; matched: number; fixed: number };
  errors: ReportError[];
  summary: Summary;
}
