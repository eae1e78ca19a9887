/**
 * The admission decision: an AdmissionReview (admission.k8s.io/v1) in, its response out
 * (specs/admission-and-cel.md Part A, specs/pss.md §6). Objects are evaluated by the same engine
 * as `mamori scan` (`scanObjects`), so a verdict at admission equals the scan's verdict for the same
 * object, rules, policy and configuration.
 *
 * Order of the checks, as Pod Security Admission's (pss.md §6.3): ignored operations and
 * subresources → exempt namespace → exempt user → the namespace's modes → nothing to evaluate →
 * exempt RuntimeClass → updates that change nothing evaluated → evaluation, once per distinct
 * policy of the enforce, warn and audit modes.
 *
 * Unlike PSA, pod templates of every workload kind are enforced, not only warned about: a
 * Deployment whose pods could never start is refused when applied.
 */
import { atLeast, severityRank } from '../engine/controls.js';
import type { Config } from '../engine/config.js';
import { isExceptionFinding } from '../engine/exceptions.js';
import type { PatchOperation, Rule } from '../engine/rule.js';
import { scanObjects, type ScanOptions } from '../engine/scan.js';
import { unlistedOf } from '../engine/report.js';
import { applyPatch, jsonEqual, PatchError } from '../fix/patch.js';
import { pointer } from '../fix/ops.js';
import { asArray, asObject, asString, isObject, nestedDeeperThan } from '../k8s/object.js';
import { POD_BEARING_KINDS, podSpecOf } from '../k8s/pod.js';
import { DEFAULT_LIMITS } from '../load/limits.js';
import { IGNORED_POD_SUBRESOURCES, SECCOMP_CONTAINER_PREFIX, SECCOMP_POD_ANNOTATION } from '../rules/pss/constants.js';
import { goQuote, PSS_CHECK_ORDER, type PssCheckId } from '../rules/pss/psa.js';
import { withDeadline } from '../policy/cel.js';
import { evaluatePolicies, type EvaluationInput, type EvaluationResult, type LoadResult } from '../policy/vap.js';
import { policiesUseAuthorizer } from './authz.js';
import type { Finding, JsonObject, JsonValue, PssPolicy, Report, Severity, SuppressedFinding } from '../types.js';
import { checksNothing, formatModePolicy, modeKey, namespaceModes } from './modes.js';
import type {
  AdmissionOperation,
  AdmissionRequest,
  AdmissionUserInfo,
  AdmissionResponse,
  AdmissionReviewResponse,
  AdmissionSettings,
  Decision,
  FailurePolicy,
  ModePolicy,
  NamespaceLabels,
  NamespaceModes,
  PolicyAuthorizer,
  ReviewOutcome,
  Verdict,
} from './types.js';

/** A request body that is not a well-formed AdmissionReview: the server answers 400 with the message. */
export class AdmissionRequestError extends Error {
  readonly status = 400;
  constructor(message: string) {
    super(message);
    this.name = 'AdmissionRequestError';
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation: rule selections made once, one engine run per distinct policy

/** What the evaluator needs besides the object: the catalog, the configuration, the clock. */
export interface EvaluatorOptions {
  rules: readonly Rule[];
  config?: Config;
  /** The Pod Security policy of `catalog` modes; default the configuration's, else `restricted:latest`. */
  pss?: PssPolicy | string;
  /** Cap on the policy version `latest` resolves to (the cluster's Kubernetes minor). */
  maxPssMinor?: number;
  now?: () => Date;
}

/** The findings of one mode's evaluation. */
export interface ModeEvaluation {
  findings: Finding[];
  suppressed: SuppressedFinding[];
  /** Rules that could not check the object: it was not fully checked. */
  errors: string[];
  /** Findings past MAX_FINDINGS_PER_RULE, not listed: their number by severity. */
  unlisted: Partial<Record<Severity, number>>;
}

/**
 * Most findings listed per rule and severity in one evaluation; the rest are counted. A pod of
 * 100,000 containers (3 MB, which the API server accepts) has 400,000 findings, which would take
 * 600 MB to hold; the answer needs a few of each, and counts.
 */
export const MAX_FINDINGS_PER_RULE = 1_000;

/** An evaluation that checks nothing. */
const NOTHING_CHECKED: ModeEvaluation = { findings: [], suppressed: [], errors: [], unlisted: {} };

/** Rule ids of the findings the engine adds about the configuration's exceptions themselves. */

/** The Pod Security check of a rule (`pss-privileged` → `privileged`), from its framework mapping. */
function pssCheckOf(rule: Rule): PssCheckId | undefined {
  const entry = rule.frameworks?.pss?.[0];
  if (entry === undefined) return undefined;
  const check = entry.slice(entry.indexOf(':') + 1);
  return (PSS_CHECK_ORDER as readonly string[]).includes(check) ? (check as PssCheckId) : undefined;
}

/**
 * Evaluates objects for the modes of a namespace. The rule selections (Pod Security rules; the
 * catalog's rules that judge one object alone) are made once; each evaluation is one engine run.
 */
export class Evaluator {
  /** The Pod Security rules, for `privileged|baseline|restricted` modes. */
  readonly pssRules: readonly Rule[];
  /**
   * For `catalog` modes: object, pod and container rules without `context`. Rules that need other
   * objects (a LimitRange, a ServiceAccount, RBAC) are left to `mamori scan` of the manifests.
   */
  readonly catalogRules: readonly Rule[];
  /** Position of each Pod Security rule in PSA's check order, for PSA's message order. */
  private readonly checkOrder = new Map<string, number>();
  private readonly options: EvaluatorOptions;

  constructor(options: EvaluatorOptions) {
    this.options = options;
    this.pssRules = options.rules.filter((rule) => pssCheckOf(rule) !== undefined);
    this.catalogRules = options.rules.filter((rule) => rule.target !== 'inventory' && rule.context === undefined);
    for (const rule of this.pssRules) {
      const check = pssCheckOf(rule);
      if (check !== undefined) this.checkOrder.set(rule.id, PSS_CHECK_ORDER.indexOf(check));
    }
  }

  /** The Pod Security policy of `catalog` modes. */
  get catalogPss(): PssPolicy | string {
    return this.options.pss ?? this.options.config?.pss ?? 'restricted:latest';
  }

  /** The order of a Pod Security finding in PSA's messages, or undefined for other rules. */
  pssOrder(ruleId: string): number | undefined {
    return this.checkOrder.get(ruleId);
  }

  /**
   * Runs the rules of a mode on one object; with `fixes`, findings carry their fix. Past
   * `deadline` (a `performance.now()` time) it throws DeadlineExceeded before the next rule.
   */
  evaluate(object: JsonObject, mode: ModePolicy, fixes = false, deadline = Infinity): ModeEvaluation {
    const options: ScanOptions = {
      rules: mode.kind === 'catalog' ? this.catalogRules : this.pssRules,
      pss: mode.kind === 'catalog' ? this.catalogPss : mode.policy,
      now: this.options.now?.() ?? new Date(),
    };
    if (this.options.config !== undefined) options.config = this.options.config;
    if (this.options.maxPssMinor !== undefined) options.maxPssMinor = this.options.maxPssMinor;
    if (fixes) options.fixes = true;
    if (deadline !== Infinity) options.deadline = deadline;
    options.maxFindingsPerRule = MAX_FINDINGS_PER_RULE;
    const report: Report = scanObjects([object], options, '<admission>');
    return {
      findings: report.findings.filter((f) => !isExceptionFinding(f)),
      suppressed: report.suppressed,
      errors: report.errors.map((e) => e.message),
      unlisted: unlistedOf(report)?.bySeverity ?? {},
    };
  }
}

/** Everything a review needs besides the request. */
export interface ReviewContext {
  namespaces: NamespaceLabels;
  settings: AdmissionSettings;
  evaluator: Evaluator;
  /** Refuse a bare AdmissionRequest (the server does; the test harness may pass one). */
  requireReview?: boolean;
  /** ValidatingAdmissionPolicies evaluated beside the catalog, as the API server would. */
  policies?: LoadResult;
  /**
   * Answers the policies' `authorizer` checks (the API server, through SubjectAccessReviews:
   * authz.ts). Without it they get the offline answer: no RBAC objects, every check errors.
   */
  authorizer?: PolicyAuthorizer;
}

// ---------------------------------------------------------------------------------------------
// The request

const OPERATIONS: ReadonlySet<string> = new Set(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);
const API_VERSION = 'admission.k8s.io/v1';

function optionalString(request: Record<string, unknown>, key: string): string {
  const value = request[key];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new AdmissionRequestError(`request.${key} must be a string`);
  return value;
}

function optionalObject(request: Record<string, unknown>, key: string): JsonObject | undefined {
  const value = request[key];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new AdmissionRequestError(`request.${key} must be an object or null`);
  return value;
}

/** A list of strings, or the error naming the key (`null` reads as empty, as Go decodes it). */
function stringList(value: unknown, key: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new AdmissionRequestError(`${key} must be a list of strings`);
  return value.map((item, i) => {
    if (typeof item !== 'string') throw new AdmissionRequestError(`${key}[${i}] must be a string`);
    return item;
  });
}

/**
 * `request.userInfo` (authentication.k8s.io/v1 UserInfo): username and uid strings, groups a list
 * of strings, extra a map of string lists; absent or null fields are empty, unknown fields are
 * ignored (as the API server's decoder does).
 */
export function parseUserInfo(value: unknown): AdmissionUserInfo {
  if (value === undefined || value === null) return { username: '', uid: '', groups: [], extra: {} };
  if (!isObject(value)) throw new AdmissionRequestError('request.userInfo must be an object');
  const text = (key: 'username' | 'uid'): string => {
    const v = value[key];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') throw new AdmissionRequestError(`request.userInfo.${key} must be a string`);
    return v;
  };
  const rawExtra = value['extra'];
  const extra: [string, string[]][] = [];
  if (rawExtra !== undefined && rawExtra !== null) {
    if (!isObject(rawExtra)) throw new AdmissionRequestError('request.userInfo.extra must be an object whose values are lists of strings');
    for (const [key, list] of Object.entries(rawExtra)) extra.push([key, stringList(list, `request.userInfo.extra[${JSON.stringify(key)}]`)]);
  }
  // fromEntries defines own properties: a key named __proto__ stays a key.
  return { username: text('username'), uid: text('uid'), groups: stringList(value['groups'], 'request.userInfo.groups'), extra: Object.fromEntries(extra) };
}

/**
 * Checks an AdmissionReview (or, unless `requireReview`, a bare AdmissionRequest) and returns its
 * request; throws an AdmissionRequestError saying what is wrong.
 */
export function parseReview(body: unknown, requireReview = false): AdmissionRequest {
  if (!isObject(body)) throw new AdmissionRequestError('the body must be a JSON object (an admission.k8s.io/v1 AdmissionReview)');
  let raw: unknown;
  if (body['kind'] === 'AdmissionReview' || body['apiVersion'] !== undefined || body['request'] !== undefined) {
    if (body['apiVersion'] !== API_VERSION) {
      throw new AdmissionRequestError(`unsupported apiVersion ${JSON.stringify(body['apiVersion'] ?? null)}: only ${API_VERSION} AdmissionReview is served (set admissionReviewVersions: ["v1"])`);
    }
    if (body['kind'] !== 'AdmissionReview') throw new AdmissionRequestError(`kind must be AdmissionReview, got ${JSON.stringify(body['kind'] ?? null)}`);
    raw = body['request'];
    if (!isObject(raw)) throw new AdmissionRequestError('the AdmissionReview has no request object');
  } else {
    if (requireReview) throw new AdmissionRequestError(`the body must be an ${API_VERSION} AdmissionReview (apiVersion and kind are missing)`);
    raw = body;
  }
  const request = raw as Record<string, unknown>;
  const uid = request['uid'];
  if (typeof uid !== 'string' || uid === '') throw new AdmissionRequestError('request.uid must be a non-empty string');
  const operation = request['operation'];
  if (typeof operation !== 'string' || !OPERATIONS.has(operation)) {
    throw new AdmissionRequestError(`request.operation must be one of CREATE, UPDATE, DELETE, CONNECT, got ${JSON.stringify(operation ?? null)}`);
  }
  const kind = request['kind'];
  if (!isObject(kind) || typeof kind['kind'] !== 'string' || kind['kind'] === '') throw new AdmissionRequestError('request.kind must be an object with a kind (group, version, kind)');
  if ((kind['group'] !== undefined && typeof kind['group'] !== 'string') || (kind['version'] !== undefined && typeof kind['version'] !== 'string')) {
    throw new AdmissionRequestError('request.kind.group and request.kind.version must be strings');
  }
  const resourceValue = request['resource'];
  let resource: AdmissionRequest['resource'];
  if (resourceValue !== undefined && resourceValue !== null) {
    if (!isObject(resourceValue) || typeof resourceValue['resource'] !== 'string') throw new AdmissionRequestError('request.resource must be an object with a resource (group, version, resource)');
    resource = { group: asString(resourceValue['group']) ?? '', version: asString(resourceValue['version']) ?? '', resource: resourceValue['resource'] };
  }
  const userInfo = parseUserInfo(request['userInfo']);
  const dryRun = request['dryRun'];
  if (dryRun !== undefined && dryRun !== null && typeof dryRun !== 'boolean') throw new AdmissionRequestError('request.dryRun must be true or false');
  const object = optionalObject(request, 'object');
  const oldObject = optionalObject(request, 'oldObject');
  if ((operation === 'CREATE' || operation === 'UPDATE') && object === undefined) throw new AdmissionRequestError(`request.object is required for ${operation}`);
  for (const [key, value] of [['object', object], ['oldObject', oldObject]] as const) {
    if (value !== undefined && value['metadata'] !== undefined && value['metadata'] !== null && !isObject(value['metadata'])) {
      throw new AdmissionRequestError(`request.${key}.metadata must be an object`);
    }
  }
  return {
    uid,
    kind: { group: asString(kind['group']) ?? '', version: asString(kind['version']) ?? '', kind: kind['kind'] },
    resource,
    subResource: optionalString(request, 'subResource'),
    name: optionalString(request, 'name'),
    namespace: optionalString(request, 'namespace'),
    operation: operation as AdmissionOperation,
    username: userInfo.username,
    userInfo,
    object,
    oldObject,
    dryRun: dryRun === true,
  };
}

// ---------------------------------------------------------------------------------------------
// Responses

/** Most warnings for findings in one response; a summary warning follows when there are more. */
export const MAX_WARNINGS = 20;
/** Longest warning, in characters (the Kubernetes docs recommend at most 120). */
export const MAX_WARNING_LENGTH = 120;
/** Most findings of mamori's rules written out in a denial or the audit annotation; a count of the rest follows. */
export const MAX_LISTED = 20;

/** Text cut to `max` code points, ending with `…` when cut. */
export function truncate(text: string, max: number): string {
  // A string of at most `max` UTF-16 units has at most `max` code points.
  if (text.length <= max) return text;
  const points = Array.from(text);
  return points.length <= max ? text : `${points.slice(0, max - 1).join('')}…`;
}

function reviewOf(response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion: API_VERSION, kind: 'AdmissionReview', response };
}

function decisionOf(request: AdmissionRequest, verdict: Verdict, rules: Iterable<string> = []): Decision {
  return {
    uid: request.uid,
    operation: request.operation,
    kind: request.kind.kind,
    namespace: request.namespace,
    name: request.name !== '' ? request.name : (asString(asObject(request.object?.['metadata'])?.['name']) ?? ''),
    user: request.username,
    verdict,
    rules: [...new Set(rules)].sort(),
    dryRun: request.dryRun,
  };
}

/** An allowed response without anything else. */
function allowed(request: AdmissionRequest, verdict: Verdict, annotations?: Record<string, string>): ReviewOutcome {
  const response: AdmissionResponse = { uid: request.uid, allowed: true };
  if (annotations !== undefined && Object.keys(annotations).length > 0) response.auditAnnotations = annotations;
  return { review: reviewOf(response), decision: decisionOf(request, verdict) };
}

/**
 * The answer when the webhook cannot decide (its time budget ran out, evaluation failed): with
 * `Ignore` the request is allowed with a warning and the audit annotation `failed-open`; with
 * `Fail` it is refused with status 500 (InternalError).
 */
export function failureOutcome(request: Pick<AdmissionRequest, 'uid'> & Partial<AdmissionRequest>, reason: string, policy: FailurePolicy): ReviewOutcome {
  const decision: Decision = {
    uid: request.uid,
    operation: request.operation ?? '',
    kind: request.kind?.kind ?? '',
    namespace: request.namespace ?? '',
    name: request.name ?? '',
    user: request.username ?? '',
    verdict: policy === 'Ignore' ? 'fail-open' : 'fail-closed',
    rules: [],
    dryRun: request.dryRun ?? false,
    error: reason,
  };
  if (policy === 'Ignore') {
    const response: AdmissionResponse = {
      uid: request.uid,
      allowed: true,
      warnings: [truncate(`allowed without a check by mamori (failurePolicy Ignore): ${reason}`, MAX_WARNING_LENGTH)],
      auditAnnotations: { 'failed-open': reason },
    };
    return { review: reviewOf(response), decision };
  }
  const response: AdmissionResponse = {
    uid: request.uid,
    allowed: false,
    status: { code: 500, reason: 'InternalError', message: `mamori could not check this request: ${reason} (failurePolicy Fail refuses it)` },
    auditAnnotations: { error: reason },
  };
  return { review: reviewOf(response), decision };
}

// ---------------------------------------------------------------------------------------------
// Messages

/** Pod Security findings (in PSA's check order) and the other findings (most severe first, then by rule, path, message). */
function split(findings: readonly Finding[], evaluator: Evaluator): { pss: Finding[]; other: Finding[] } {
  const pss: Finding[] = [];
  const other: Finding[] = [];
  for (const f of findings) (evaluator.pssOrder(f.ruleId) !== undefined && f.pss !== undefined ? pss : other).push(f);
  pss.sort((a, b) => (evaluator.pssOrder(a.ruleId) ?? 0) - (evaluator.pssOrder(b.ruleId) ?? 0));
  return { pss, other: bySeverity(other) };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Compares field paths split at their numbers (`pathParts`), the numbers as numbers: `containers[2]` before `containers[10]`. */
function comparePaths(x: readonly string[], y: readonly string[]): number {
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i] as string;
    const q = y[i] as string;
    if (p === q) continue;
    return i % 2 === 1 ? Number(p) - Number(q) || cmp(p, q) : cmp(p, q);
  }
  return x.length - y.length;
}

const pathParts = (path: string): string[] => path.split(/(\d+)/);

/** The findings most severe first, then by rule, path (see comparePaths) and message; each path is split once. */
function bySeverity(findings: readonly Finding[]): Finding[] {
  const keyed = findings.map((finding) => ({ finding, rank: severityRank(finding.severity), parts: pathParts(finding.path) }));
  keyed.sort((a, b) => a.rank - b.rank || cmp(a.finding.ruleId, b.finding.ruleId) || comparePaths(a.parts, b.parts) || cmp(a.finding.message, b.finding.message));
  return keyed.map((k) => k.finding);
}

/** The policy a Pod Security finding was evaluated at, as PSA prints it (the version as written). */
function pssLabel(finding: Finding): string {
  return finding.pss === undefined ? '' : `${finding.pss.level}:${finding.pss.version}`;
}

/**
 * `violates PodSecurity "<LV>": <reason (detail)>, ...` (PSA's ForbiddenDetail, one entry per
 * failing check in PSA's order), then `violates mamori rules: <rule> (<severity>): <message>; ...`
 * for the other findings, most severe first (`would violate` for the audit annotation, as PSA).
 * At most MAX_LISTED of the other findings are written, then `…and <n> more`: one object can
 * hold a hundred thousand findings (a ConfigMap of keys), and the text goes into the response
 * and the audit log.
 */
function violationText(findings: readonly Finding[], evaluator: Evaluator, verb: 'violates' | 'would violate', unlisted: number): string {
  const { pss, other } = split(findings, evaluator);
  const parts: string[] = [];
  const first = pss[0];
  if (first !== undefined) parts.push(`${verb} PodSecurity "${pssLabel(first)}": ${pss.map((f) => f.message).join(', ')}`);
  if (other.length > 0) {
    const listed = other.slice(0, MAX_LISTED).map((f) => `${f.ruleId} (${f.severity}): ${f.message}`);
    const more = other.length - listed.length + unlisted;
    if (more > 0) listed.push(`…and ${more} more`);
    parts.push(`${verb} mamori rules: ${listed.join('; ')}`);
  }
  return parts.join('; ');
}

const RESOURCE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** `pods`, `deployments.apps`: the resource as the API server names it in errors. */
function resourceName(request: AdmissionRequest, kind: string): string {
  const resource = request.resource;
  // A resource is a DNS label; anything else (a placeholder of a hand-written request) is not printed.
  if (resource !== undefined && RESOURCE.test(resource.resource)) return resource.group === '' ? resource.resource : `${resource.resource}.${resource.group}`;
  const group = request.kind.group;
  const plural = `${kind.toLowerCase()}${kind.endsWith('s') ? 'es' : 's'}`;
  return group === '' ? plural : `${plural}.${group}`;
}

/** The API server's Forbidden message: `pods "x" is forbidden: <violation>` (`pods is forbidden: ...` without a name). */
function forbidden(request: AdmissionRequest, kind: string, name: string, violation: string): string {
  const resource = resourceName(request, kind);
  return name === '' ? `${resource} is forbidden: ${violation}` : `${resource} ${goQuote(name)} is forbidden: ${violation}`;
}

/**
 * One warning per finding, most severe first, at most 20 and a summary, each at most 120 characters:
 * a Pod Security finding's PSA text (`privileged (container "x" must not set ...)`, which names its
 * check), or `<rule>: <message>` for the other rules.
 */
function warningsOf(findings: readonly Finding[], evaluator: Evaluator, unlisted: number): string[] {
  const { pss, other } = split(findings, evaluator);
  const ordered = [...pss, ...other].sort((a, b) => severityRank(a.severity) - severityRank(b.severity));
  const texts: string[] = [];
  const seen = new Set<string>();
  for (const f of ordered) {
    const text = truncate(f.pss !== undefined && evaluator.pssOrder(f.ruleId) !== undefined ? f.message : `${f.ruleId}: ${f.message}`, MAX_WARNING_LENGTH);
    if (seen.has(text)) continue;
    seen.add(text);
    texts.push(text);
  }
  const shown = texts.slice(0, MAX_WARNINGS);
  const more = texts.length - shown.length + unlisted;
  return more === 0 ? shown : [...shown, `…and ${more} more ${more === 1 ? 'finding' : 'findings'}`];
}

/** Rule ids, unique, in first-seen order. */
const ruleIds = (findings: readonly Finding[]): string[] => [...new Set(findings.map((f) => f.ruleId))];

// ---------------------------------------------------------------------------------------------
// What is evaluated

/** Pod subresources PSA ignores (pss.md §6.2); `ephemeralcontainers` and the main resource are evaluated. */
const IGNORED_SUBRESOURCES: ReadonlySet<string> = new Set(IGNORED_POD_SUBRESOURCES);
const POD_BEARING: ReadonlySet<string> = new Set(POD_BEARING_KINDS);

/** Label values are strings, annotations too: a key's string value, or undefined. */
function annotation(object: JsonObject, key: string): string | undefined {
  return asString(asObject(asObject(object['metadata'])?.['annotations'])?.[key]);
}

/** True when a request is one mamori does not evaluate at all (DELETE, CONNECT, ignored subresources). */
function ignored(request: AdmissionRequest): boolean {
  if (request.operation === 'DELETE' || request.operation === 'CONNECT') return true;
  if (request.subResource === '') return false;
  // Pods: the subresources PSA ignores are (ephemeralcontainers is not); any other kind's subresources (scale, status) are.
  const isPod = request.resource?.resource === 'pods' || request.kind.kind === 'Pod';
  return !isPod || IGNORED_SUBRESOURCES.has(request.subResource);
}

/**
 * The object under review with the identity the API server gives it when the body leaves it out
 * (apiVersion and kind from request.kind; namespace and name from the request): a shallow copy.
 */
function withIdentity(object: JsonObject, request: AdmissionRequest): JsonObject {
  const out: JsonObject = { ...object };
  const { group, version, kind } = request.kind;
  if (typeof out['apiVersion'] !== 'string' || out['apiVersion'] === '') out['apiVersion'] = group === '' ? version : `${group}/${version}`;
  if (typeof out['kind'] !== 'string' || out['kind'] === '') out['kind'] = kind;
  const metadata = asObject(out['metadata']);
  if (metadata !== undefined) {
    const filled: JsonObject = { ...metadata };
    if ((asString(metadata['namespace']) ?? '') === '' && request.namespace !== '') filled['namespace'] = request.namespace;
    if ((asString(metadata['name']) ?? '') === '' && request.name !== '') filled['name'] = request.name;
    out['metadata'] = filled;
  }
  return out;
}

/** A string field of a container or a map, absent (or not a string) read as '' as Go's zero value. */
const stringField = (value: JsonValue | undefined, key: string): string => asString(asObject(value)?.[key]) ?? '';

/** The annotations of an object (none when absent). */
const annotationsOf = (object: JsonObject): JsonObject => asObject(asObject(object['metadata'])?.['annotations']) ?? {};

/**
 * PSA's test for a pod update that must be evaluated (admission.go isSignificantPodUpdate): the pod's
 * seccomp annotation changed; the number of containers or init containers changed; a container or
 * init container (by index) changed its image or its container seccomp annotation (keyed by the new
 * container's name); or an ephemeral container of the new pod was added, or (matched by name with
 * the first old one) changed its image or its seccomp annotation. An absent annotation or image
 * equals an empty one, as in Go. Anything else (labels, other annotations, status) is allowed
 * unevaluated.
 */
export function isSignificantPodUpdate(object: JsonObject, old: JsonObject): boolean {
  const annotations = annotationsOf(object);
  const oldAnnotations = annotationsOf(old);
  const seccompChanged = (key: string): boolean => (asString(annotations[key]) ?? '') !== (asString(oldAnnotations[key]) ?? '');
  if (seccompChanged(SECCOMP_POD_ANNOTATION)) return true;
  const containerChanged = (c: JsonValue | undefined, before: JsonValue | undefined): boolean =>
    stringField(c, 'image') !== stringField(before, 'image') || seccompChanged(SECCOMP_CONTAINER_PREFIX + stringField(c, 'name'));
  const spec = asObject(object['spec']) ?? {};
  const oldSpec = asObject(old['spec']) ?? {};
  for (const field of ['containers', 'initContainers']) {
    const now = asArray(spec[field]);
    const before = asArray(oldSpec[field]);
    if (now.length !== before.length) return true;
    if (now.some((c, i) => containerChanged(c, before[i]))) return true;
  }
  // The first old ephemeral container of each name, as upstream's loop breaks at the first match.
  const oldEphemeral = new Map<string, JsonValue>();
  for (const o of asArray(oldSpec['ephemeralContainers'])) {
    const name = stringField(o, 'name');
    if (!oldEphemeral.has(name)) oldEphemeral.set(name, o);
  }
  for (const c of asArray(spec['ephemeralContainers'])) {
    const name = stringField(c, 'name');
    const before = oldEphemeral.get(name);
    if (before === undefined) return true; // an ephemeral container added
    if (containerChanged(c, before)) return true;
  }
  return false;
}

/** For a workload update: true when its pod template changed (a scale or a label change is not re-judged). */
function templateChanged(object: JsonObject, old: JsonObject): boolean {
  const now = podSpecOf(object);
  const before = podSpecOf(old);
  if (now === undefined || before === undefined) return true;
  return !jsonEqual(now.metadata, before.metadata) || !jsonEqual(now.spec, before.spec);
}

/** Where a request stands before any rule runs: answered already, or the object and modes to evaluate. */
type Prepared = { done: ReviewOutcome } | { object: JsonObject; kind: string; modes: NamespaceModes; annotations: Record<string, string> };

function prepare(request: AdmissionRequest, ctx: ReviewContext): Prepared {
  const { exemptions, defaults } = ctx.settings;
  if (ignored(request) || request.object === undefined) return { done: allowed(request, 'skip') };
  if (request.namespace !== '' && exemptions.namespaces.includes(request.namespace)) return { done: allowed(request, 'exempt', { exempt: 'namespace' }) };
  if (request.username !== '' && exemptions.usernames.includes(request.username)) return { done: allowed(request, 'exempt', { exempt: 'user' }) };
  const labels = request.namespace === '' || !ctx.namespaces.synced ? undefined : ctx.namespaces.labels(request.namespace);
  const modes = namespaceModes(labels, defaults);
  const annotations: Record<string, string> = {};
  if (modes.errors.length > 0) annotations['error'] = `Failed to parse policy: ${modes.errors.join('; ')}`;
  const object = withIdentity(request.object, request);
  const kind = asString(object['kind']) ?? '';
  const anyCatalog = [modes.enforce, modes.warn, modes.audit].some((m) => m.kind === 'catalog');
  const template = POD_BEARING.has(kind) ? podSpecOf(object) : undefined;
  // Pod Security modes judge only pods and pod templates; a workload without a template has nothing to judge.
  if (!anyCatalog && template === undefined) return { done: allowed(request, 'skip', annotations) };
  if ([modes.enforce, modes.warn, modes.audit].every(checksNothing)) {
    if (kind === 'Pod') annotations['enforce-policy'] = formatModePolicy(modes.enforce);
    return { done: allowed(request, 'skip', annotations) };
  }
  const runtimeClass = asString(template?.spec['runtimeClassName']);
  if (runtimeClass !== undefined && exemptions.runtimeClasses.includes(runtimeClass)) return { done: allowed(request, 'exempt', { ...annotations, exempt: 'runtimeClass' }) };
  if (request.operation === 'UPDATE' && request.oldObject !== undefined) {
    const old = request.oldObject;
    const unchanged = kind === 'Pod' ? !isSignificantPodUpdate(object, old) : template !== undefined && !anyCatalog && !templateChanged(object, old);
    if (unchanged) return { done: allowed(request, 'skip', annotations) };
  }
  if (nestedDeeperThan(object, DEFAULT_LIMITS.maxDepth)) throw new EvaluationError(`the object is nested deeper than ${DEFAULT_LIMITS.maxDepth} levels`);
  return { object, kind, modes, annotations };
}

/** Evaluation could not be completed: the server answers per its failure policy. */
export class EvaluationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvaluationError';
  }
}

// ---------------------------------------------------------------------------------------------
// Validate

/** The enforce findings that deny: all of a Pod Security mode's; a `catalog` mode's at or above failOn (the rest warn). */
function denying(evaluation: ModeEvaluation, mode: ModePolicy, failOn: Severity): { deny: Finding[]; rest: Finding[]; denyUnlisted: number; restUnlisted: number } {
  if (mode.kind === 'pss') return { deny: [...evaluation.findings], rest: [], denyUnlisted: countOf(evaluation.unlisted), restUnlisted: 0 };
  const deny: Finding[] = [];
  const rest: Finding[] = [];
  for (const f of evaluation.findings) (atLeast(f.severity, failOn) ? deny : rest).push(f);
  const denyUnlisted = countOf(evaluation.unlisted, (severity) => atLeast(severity, failOn));
  return { deny, rest, denyUnlisted, restUnlisted: countOf(evaluation.unlisted) - denyUnlisted };
}

/** How many findings a count by severity holds, of the severities `which` accepts. */
function countOf(bySeverity: Partial<Record<Severity, number>>, which: (severity: Severity) => boolean = () => true): number {
  let n = 0;
  for (const [severity, count] of Object.entries(bySeverity)) if (which(severity as Severity)) n += count ?? 0;
  return n;
}

/**
 * POST /validate: the AdmissionReview's answer. Denies (403 Forbidden, PSA's message style) what
 * the namespace's enforce mode rejects; warns what its warn mode reports (no warnings on a denial,
 * as PSA); records its audit mode's findings in audit annotations. Throws an AdmissionRequestError
 * for a malformed body, an EvaluationError when the object could not be fully checked.
 */
export function validate(body: unknown, ctx: ReviewContext): ReviewOutcome {
  const request = parseReview(body, ctx.requireReview === true);
  return validateRequest(request, ctx);
}

/**
 * `validate` for a request already parsed: mamori's modes, then the ValidatingAdmissionPolicies.
 * Synchronous, so it cannot ask the API server: when `ctx.authorizer` is set and a policy uses
 * `authorizer`, it throws an EvaluationError (use `validateRequestAsync`). With `deadline` (a
 * `performance.now()` time), mamori's rules and the policies stop once it has passed (before
 * the next rule, within 512 CEL steps) and DeadlineExceeded is thrown, so a costly object or
 * policy holds the server no longer than the review's time budget.
 */
export function validateRequest(request: AdmissionRequest, ctx: ReviewContext, deadline = Infinity): ReviewOutcome {
  const outcome = validateModes(request, ctx, deadline);
  const policies = policiesFor(outcome, ctx);
  if (policies === undefined) return outcome;
  if (ctx.authorizer !== undefined && policiesUseAuthorizer(policies)) {
    throw new EvaluationError('the policies use authorizer checks that the API server answers: validate asynchronously (validateRequestAsync)');
  }
  const input = policyInput(request, ctx);
  return withPolicies(request, outcome, withDeadline(deadline, () => evaluatePolicies(input, policies)));
}

/**
 * `validateRequest` that may wait for the API server: when `ctx.authorizer` is set and a loaded
 * policy uses `authorizer`, the policies are evaluated through `ctx.authorizer.resolve` (which
 * asks SubjectAccessReviews for the checks it has no answer for), each round within `deadline`.
 * Otherwise it answers as `validateRequest`. Rejects when `signal` aborts first.
 */
export async function validateRequestAsync(request: AdmissionRequest, ctx: ReviewContext, signal?: AbortSignal, deadline = Infinity): Promise<ReviewOutcome> {
  const outcome = validateModes(request, ctx, deadline);
  const policies = policiesFor(outcome, ctx);
  if (policies === undefined) return outcome;
  const input = policyInput(request, ctx);
  if (ctx.authorizer === undefined || !policiesUseAuthorizer(policies)) return withPolicies(request, outcome, withDeadline(deadline, () => evaluatePolicies(input, policies)));
  const set = { policies: policies.policies, params: policies.params };
  const result = await ctx.authorizer.resolve((authorize) => withDeadline(deadline, () => evaluatePolicies(input, { ...set, authorizer: authorize })), signal);
  return withPolicies(request, outcome, result);
}

/** True when validating may wait for the API server (`validateRequestAsync` is then needed). */
export function needsAuthorizer(ctx: ReviewContext): boolean {
  return ctx.authorizer !== undefined && ctx.policies !== undefined && ctx.policies.policies.length > 0 && policiesUseAuthorizer(ctx.policies);
}

/** The policies to evaluate after mamori's own verdict: none when there are none or it denied. */
function policiesFor(outcome: ReviewOutcome, ctx: ReviewContext): LoadResult | undefined {
  const policies = ctx.policies;
  if (policies === undefined || policies.policies.length === 0 || !outcome.review.response.allowed) return undefined;
  return policies;
}

/** What the policies see of the request: the API server's request, user and namespace. */
function policyInput(request: AdmissionRequest, ctx: ReviewContext): EvaluationInput {
  const labels = request.namespace === '' || !ctx.namespaces.synced ? undefined : ctx.namespaces.labels(request.namespace);
  const { username, uid, groups, extra } = request.userInfo;
  const input: EvaluationInput = {
    object: request.object ?? null,
    oldObject: request.oldObject ?? null,
    operation: request.operation === 'CONNECT' ? 'CONNECT' : request.operation,
    userInfo: { username, uid, groups: [...groups], extra: Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, [...v]])) },
    subResource: request.subResource,
    name: request.name,
    namespace: request.namespace,
    dryRun: request.dryRun,
  };
  if (request.resource !== undefined) input.resource = request.resource;
  if (request.namespace !== '') input.namespaceObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: request.namespace, labels: { 'kubernetes.io/metadata.name': request.namespace, ...labels } } };
  return input;
}

/**
 * Adds the verdict of the ValidatingAdmissionPolicies to an allowed outcome: a denial with the API
 * server's status (code, reason, message), or their warnings and audit annotations. Namespace and
 * user exemptions are mamori's; policies apply whatever they say, as in the API server.
 */
function withPolicies(request: AdmissionRequest, outcome: ReviewOutcome, result: EvaluationResult): ReviewOutcome {
  const response = outcome.review.response;
  const rules = [...new Set([...outcome.decision.rules, ...result.outcomes.filter((o) => o.matched && o.decisions.length > 0).map((o) => `policy:${o.policy}`)])].sort();
  const annotations = { ...response.auditAnnotations, ...result.auditAnnotations };
  if (result.denial !== undefined) {
    const denied: AdmissionResponse = {
      uid: request.uid,
      allowed: false,
      status: { code: result.denial.code, reason: result.denial.reason, message: result.denial.statusMessage },
      auditAnnotations: annotations,
    };
    return { review: reviewOf(denied), decision: { ...outcome.decision, verdict: 'deny', rules } };
  }
  const warnings = [...(response.warnings ?? []), ...result.warnings];
  const allowedResponse: AdmissionResponse = { ...response, auditAnnotations: annotations };
  if (warnings.length > 0) allowedResponse.warnings = warnings;
  const verdict = outcome.decision.verdict === 'allow' && result.warnings.length > 0 ? 'warn' : outcome.decision.verdict;
  return { review: reviewOf(allowedResponse), decision: { ...outcome.decision, verdict, rules } };
}

/** mamori's own verdict: the modes of the request's namespace. */
function validateModes(request: AdmissionRequest, ctx: ReviewContext, deadline: number): ReviewOutcome {
  const prepared = prepare(request, ctx);
  if ('done' in prepared) return prepared.done;
  const { object, kind, modes, annotations } = prepared;
  const { evaluator, settings } = ctx;
  // One evaluation per distinct policy among the three modes.
  const results = new Map<string, ModeEvaluation>();
  const run = (mode: ModePolicy): ModeEvaluation => {
    if (checksNothing(mode)) return NOTHING_CHECKED;
    const key = modeKey(mode);
    let result = results.get(key);
    if (result === undefined) {
      result = evaluator.evaluate(object, mode, false, deadline);
      results.set(key, result);
    }
    return result;
  };
  const enforced = run(modes.enforce);
  if (enforced.errors.length > 0) throw new EvaluationError(`the object was not fully checked: ${enforced.errors.join('; ')}`);
  annotations['enforce-policy'] = formatModePolicy(modes.enforce);
  const { deny, rest, denyUnlisted, restUnlisted } = denying(enforced, modes.enforce, settings.failOn);
  const suppressed = ruleIds(enforced.suppressed);
  if (suppressed.length > 0) annotations['suppressed-rules'] = suppressed.join(',');
  const audited = run(modes.audit);
  if (audited.findings.length > 0) {
    annotations['audit-violations'] = violationText(audited.findings, evaluator, 'would violate', countOf(audited.unlisted));
    annotations['audit-rules'] = ruleIds(audited.findings).join(',');
  }
  // As PSA: no warnings on a denial, so the warn mode is evaluated only for requests allowed.
  const warned = deny.length > 0 ? NOTHING_CHECKED : run(modes.warn);
  const errors = [...new Set([...audited.errors, ...warned.errors])];
  if (errors.length > 0) annotations['error'] = [annotations['error'], `not fully checked: ${errors.join('; ')}`].filter((e) => e !== undefined).join('; ');
  const decisionRules = [...deny, ...warned.findings, ...audited.findings, ...rest].map((f) => f.ruleId);
  const name = request.name !== '' ? request.name : (asString(asObject(object['metadata'])?.['name']) ?? '');
  if (deny.length > 0) {
    const response: AdmissionResponse = {
      uid: request.uid,
      allowed: false,
      status: { code: 403, reason: 'Forbidden', message: forbidden(request, kind, name, violationText(deny, evaluator, 'violates', denyUnlisted)) },
      auditAnnotations: annotations,
    };
    return { review: reviewOf(response), decision: decisionOf(request, 'deny', decisionRules) };
  }
  // Warnings: the warn mode's findings, and an enforced catalog's findings below failOn.
  const warnFindings = [...warned.findings];
  const seen = new Set(warnFindings.map((f) => `${f.ruleId}\u0000${f.path}\u0000${f.message}`));
  for (const f of rest) if (!seen.has(`${f.ruleId}\u0000${f.path}\u0000${f.message}`)) warnFindings.push(f);
  const response: AdmissionResponse = { uid: request.uid, allowed: true, auditAnnotations: annotations };
  // When the warn and enforce modes are one evaluation, its findings not listed are counted once.
  const unlisted = warned === enforced ? countOf(warned.unlisted) : countOf(warned.unlisted) + restUnlisted;
  const warnings = warningsOf(warnFindings, evaluator, unlisted);
  if (warnings.length > 0) response.warnings = warnings;
  return { review: reviewOf(response), decision: decisionOf(request, warnings.length > 0 ? 'warn' : 'allow', decisionRules) };
}

// ---------------------------------------------------------------------------------------------
// Mutate

/** Most rounds of fixing: a fix can enable another (allowPrivilegeEscalation once no longer privileged). */
const MAX_FIX_ROUNDS = 5;

/** The annotation the kubelet puts on mirror pods, which must never be mutated. */
const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

function operations(finding: Finding): PatchOperation[] {
  return (finding.fix ?? []).map((op): PatchOperation => (op.op === 'remove' ? { op: 'remove', path: op.path } : { op: op.op, path: op.path, value: op.value ?? null }));
}

/**
 * A JSON Patch (RFC 6902) that turns `before` into `after`, valid as the API server applies it:
 * `add` only below parents that exist in `before` (a missing subtree is added whole), `replace`
 * for changed values, `remove` for removed members; arrays of a different length are replaced
 * whole. Members are visited in a stable order: removals in `before`'s key order, then additions
 * and replacements in `after`'s.
 */
export function diffPatch(before: JsonValue, after: JsonValue, path: (string | number)[] = []): PatchOperation[] {
  if (jsonEqual(before, after)) return [];
  if (isObject(before) && isObject(after)) {
    const ops: PatchOperation[] = [];
    for (const key of Object.keys(before)) if (!Object.hasOwn(after, key)) ops.push({ op: 'remove', path: pointer([...path, key]) });
    for (const key of Object.keys(after)) {
      const value = after[key] as JsonValue;
      if (!Object.hasOwn(before, key)) ops.push({ op: 'add', path: pointer([...path, key]), value });
      else ops.push(...diffPatch(before[key] as JsonValue, value, [...path, key]));
    }
    return ops;
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((item, i) => diffPatch(item, after[i] as JsonValue, [...path, i]));
  }
  return [{ op: 'replace', path: pointer(path), value: after }];
}

/**
 * The object with every safe fix of the enforce mode applied, in rounds (each round rescans, so
 * fixes that another fix enables apply too), and the rules whose fixes were applied.
 */
export function applyFixes(object: JsonObject, mode: ModePolicy, evaluator: Evaluator, deadline = Infinity): { fixed: JsonObject; rules: string[] } {
  let current: JsonValue = object;
  const rules = new Set<string>();
  for (let round = 0; round < MAX_FIX_ROUNDS; round++) {
    const { findings, errors } = evaluator.evaluate(current as JsonObject, mode, true, deadline);
    if (errors.length > 0) throw new EvaluationError(`the object was not fully checked: ${errors.join('; ')}`);
    let next: JsonValue = current;
    for (const finding of findings) {
      if (finding.fix === undefined || finding.fix.length === 0) continue;
      try {
        const patched = applyPatch(next, operations(finding));
        if (jsonEqual(patched, next)) continue;
        next = patched;
        rules.add(finding.ruleId);
      } catch (error) {
        if (!(error instanceof PatchError)) throw error;
      }
    }
    if (next === current) break;
    current = next;
  }
  return { fixed: current as JsonObject, rules: [...rules].sort() };
}

/**
 * POST /mutate: a JSON Patch (base64, patchType JSONPatch) with the safe fixes that `mamori fix`
 * applies for the rules of the namespace's enforce mode; nothing for objects that comply, for
 * exempt requests, pod updates (a pod's spec is immutable) and mirror pods. Always allowed: the
 * validating webhook decides.
 */
export function mutate(body: unknown, ctx: ReviewContext): ReviewOutcome {
  const request = parseReview(body, ctx.requireReview === true);
  return mutateRequest(request, ctx);
}

/** `mutate` for a request already parsed; past `deadline`, as `validateRequest`, it throws DeadlineExceeded. */
export function mutateRequest(request: AdmissionRequest, ctx: ReviewContext, deadline = Infinity): ReviewOutcome {
  const prepared = prepare(request, ctx);
  if ('done' in prepared) {
    // Only the outcome carries over: annotations about exemptions belong to the validating webhook.
    const { decision } = prepared.done;
    return allowed(request, decision.verdict);
  }
  const { object, kind, modes } = prepared;
  if (kind === 'Pod' && request.operation === 'UPDATE') return allowed(request, 'skip');
  if (kind === 'Pod' && annotation(object, MIRROR_ANNOTATION) !== undefined) return allowed(request, 'skip');
  if (checksNothing(modes.enforce) || (modes.enforce.kind === 'pss' && podSpecOf(object) === undefined)) return allowed(request, 'skip');
  const { fixed, rules } = applyFixes(object, modes.enforce, ctx.evaluator, deadline);
  const patch = diffPatch(object, fixed);
  if (patch.length === 0) return allowed(request, 'allow');
  const response: AdmissionResponse = {
    uid: request.uid,
    allowed: true,
    patchType: 'JSONPatch',
    patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
    auditAnnotations: { 'patched-rules': rules.join(',') },
  };
  return { review: reviewOf(response), decision: decisionOf(request, 'patch', rules) };
}
