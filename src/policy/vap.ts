/**
 * ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1) evaluated offline, with the
 * apiserver's semantics and messages (`admission/plugin/policy/validating`): load and compile
 * policies and bindings once (`loadPolicies`), then evaluate requests (`evaluatePolicies`).
 * See docs/policies.md for the user guide and spec Part B for the reference behaviour.
 */
import { asArray, asObject, asString, isObject } from '../k8s/object.js';
import { labelSetOf, parseLabelSelector, matchesSelector } from '../k8s/selectors.js';
import type { JsonObject, JsonValue, Severity } from '../types.js';
import { AuthorizerValue, NO_RBAC_AUTHORIZER } from './cel-authz.js';
import type { Authorize, AuthzUser, RequestResource } from './cel-authz.js';
import { compile, evaluate, DEFAULT_MAX_STEPS } from './cel.js';
import { maskLiterals, sizeError } from './cel-limits.js';
import { forgetCodePoints } from './cel-lib.js';
import type { CelProgram } from './cel.js';
import {
  isExemptResource, isKnownKind, isNamespacedKind, matchesResources, matchResourcesProblems, resourceForKind, splitApiVersion,
} from './vap-match.js';
import type { GroupVersionKind, GroupVersionResource, MatchRequest, Operation } from './vap-match.js';

export type { GroupVersionKind, GroupVersionResource, Operation } from './vap-match.js';
export { resourceForKind } from './vap-match.js';

const GROUP = 'admissionregistration.k8s.io';
const POLICY_KIND = 'ValidatingAdmissionPolicy';
const BINDING_KIND = 'ValidatingAdmissionPolicyBinding';

/** Per-expression step budget (apiserver `PerCallLimit`). */
export const PER_CALL_LIMIT = DEFAULT_MAX_STEPS;
/**
 * Budget of one (binding, param) evaluation (apiserver `RuntimeCELCostBudget`): the validations,
 * then the messageExpressions with what the validations left, and the variables they use; the
 * auditAnnotations get a budget of their own of the same size.
 */
export const RUNTIME_CEL_COST_BUDGET = 10_000_000;
/** Budget of the matchConditions of one (binding, param) evaluation (apiserver `RuntimeCELCostBudgetMatchConditions`). */
export const RUNTIME_CEL_COST_BUDGET_MATCH_CONDITIONS = 2_500_000;
/** The error when a budget runs out (apiserver `cel.ErrOutOfBudget`). */
export const OUT_OF_BUDGET = 'validation failed due to running out of cost budget, no further validation rules will be run';
/** `messageExpression` results longer than this (bytes) are discarded. */
export const MAX_MESSAGE_EXPRESSION_BYTES = 5 * 1024;
/** Audit annotation values are cut at this length (bytes). */
export const MAX_AUDIT_ANNOTATION_BYTES = 10 * 1024;
/** At most this many entries in the `validation_failure` audit annotation. */
export const MAX_AUDIT_FAILURES = 50;
/** The audit annotation key that collects `Audit` validation failures. */
export const VALIDATION_FAILURE_ANNOTATION = 'validation.policy.admission.k8s.io/validation_failure';

/** A validation's `reason` and the HTTP code it maps to. */
export type StatusReason = 'Unauthorized' | 'Forbidden' | 'Invalid' | 'RequestEntityTooLarge';
const REASON_CODES: Readonly<Record<StatusReason, number>> = {
  Unauthorized: 401, Forbidden: 403, Invalid: 422, RequestEntityTooLarge: 413,
};

export type ValidationAction = 'Deny' | 'Warn' | 'Audit';
/** The policy annotations that set the severity of its findings in a scan, by the binding's strongest action. */
export const SEVERITY_ANNOTATIONS = { deny: 'mamori.io/severity', warn: 'mamori.io/warn-severity', audit: 'mamori.io/audit-severity' } as const;
export type FailurePolicy = 'Fail' | 'Ignore';

/** A problem found while loading: an invalid field or an expression that does not compile. */
export interface PolicyError {
  kind: typeof POLICY_KIND | typeof BINDING_KIND;
  /** The object's `metadata.name` ('' when missing). */
  name: string;
  /** Field path, e.g. `spec.validations[0].expression`. */
  field: string;
  /** The apiserver-style message: `<field>: Invalid value: "<expr>": compilation failed: ERROR: <input>:1:29: ...`. */
  message: string;
  expression?: string;
  position?: { line: number; column: number };
  /** True when the object was dropped (invalid shape); compile errors keep the policy (failurePolicy applies). */
  dropped: boolean;
}

/** A compiled expression, or its compile error (reported at evaluation as the apiserver does). */
export interface CompiledExpression {
  field: string;
  expression: string;
  program?: CelProgram;
  /** `compilation error: ...` when the expression does not compile. */
  error?: string;
}

export interface LoadedValidation {
  expression: CompiledExpression;
  message?: string;
  messageExpression?: CompiledExpression;
  reason: StatusReason;
}

export interface LoadedBinding {
  name: string;
  source: JsonObject;
  matchResources?: JsonObject;
  validationActions: ValidationAction[];
  paramRef?: {
    name?: string;
    namespace?: string;
    selector?: JsonObject;
    parameterNotFoundAction: 'Allow' | 'Deny';
  };
}

export interface LoadedPolicy {
  name: string;
  source: JsonObject;
  /** `mamori.io/severity` annotation (default `high`): the severity of `policy:<name>` findings through a Deny binding. */
  severity: Severity;
  /** `mamori.io/warn-severity` (default `medium`): findings through a binding that warns and does not deny. */
  warnSeverity: Severity;
  /** `mamori.io/audit-severity` (default `low`): findings through a binding that only audits. */
  auditSeverity: Severity;
  failurePolicy: string;
  paramKind?: { apiVersion: string; kind: string };
  matchConstraints: JsonObject;
  matchConditions: { name: string; expression: CompiledExpression }[];
  variables: { name: string; expression: CompiledExpression }[];
  validations: LoadedValidation[];
  auditAnnotations: { key: string; valueExpression: CompiledExpression }[];
  bindings: LoadedBinding[];
}

export interface LoadResult {
  policies: LoadedPolicy[];
  /** Every object that is neither a policy nor a binding: candidate `params`. */
  params: JsonObject[];
  errors: PolicyError[];
}

const SEVERITIES = new Set(['critical', 'high', 'medium', 'low', 'info']);
const REASONS = new Set<string>(Object.keys(REASON_CODES));
const ACTIONS = new Set<string>(['Deny', 'Warn', 'Audit']);
const CEL_IDENT = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

function isVapObject(object: JsonObject, kind: string): boolean {
  const apiVersion = asString(object['apiVersion']) ?? '';
  return object['kind'] === kind && (apiVersion === `${GROUP}/v1` || apiVersion === `${GROUP}/v1beta1` || apiVersion === `${GROUP}/v1alpha1`);
}

function nameOf(object: JsonObject): string {
  return asString(asObject(object['metadata'])?.['name']) ?? '';
}

export interface LoadOptions {
  /** Target Kubernetes minor: gates CEL features (spec B.4). Default: everything supported. */
  kubeMinor?: number;
  /**
   * Gives each policy that has no binding in the input an implicit binding named
   * IMPLICIT_BINDING with `validationActions: [Deny]` and no matchResources (for `mamori scan
   * --policy` on a bare policy). Policies with a paramKind get none: their params are unknown.
   */
  bindUnbound?: boolean;
}

/** The name of the implicit binding of `LoadOptions.bindUnbound`. */
export const IMPLICIT_BINDING = 'mamori.io/implicit-binding';

/**
 * Loads policies, bindings and params from a list of objects. Never throws: invalid objects and
 * compile errors are reported in `errors`. `kubeMinor` gates CEL features as the target apiserver
 * would (spec B.4); default: everything mamori supports.
 */
export function loadPolicies(objects: readonly JsonObject[], options: LoadOptions = {}): LoadResult {
  const errors: PolicyError[] = [];
  const policies: LoadedPolicy[] = [];
  const bindings: LoadedBinding[] = [];
  const params: JsonObject[] = [];
  // Policies some binding of the input names, loaded or not: a binding refused for an error is no
  // reason to bind its policy implicitly (with Deny, where the binding may have said Warn).
  const named = new Set<string>();
  for (const object of objects) {
    if (isVapObject(object, POLICY_KIND)) {
      const p = loadPolicy(object, errors, options.kubeMinor);
      if (p !== undefined) policies.push(p);
    } else if (isVapObject(object, BINDING_KIND)) {
      const policyName = asString(asObject(object['spec'])?.['policyName']);
      if (policyName !== undefined) named.add(policyName);
      const b = loadBinding(object, errors);
      if (b !== undefined) bindings.push(b);
    } else {
      params.push(object);
    }
  }
  const byName = new Map(policies.map((p) => [p.name, p]));
  for (const b of bindings) {
    const policyName = asString(asObject(b.source['spec'])?.['policyName']) ?? '';
    const policy = byName.get(policyName);
    if (policy === undefined) {
      errors.push({ kind: BINDING_KIND, name: b.name, field: 'spec.policyName', message: `spec.policyName: Not found: "${policyName}": no ValidatingAdmissionPolicy of that name in the input (the binding has no effect)`, dropped: false });
      continue;
    }
    policy.bindings.push(b);
  }
  if (options.bindUnbound === true) {
    for (const p of policies) {
      if (p.bindings.length > 0 || p.paramKind !== undefined || named.has(p.name)) continue;
      p.bindings.push({ name: IMPLICIT_BINDING, source: {}, validationActions: ['Deny'] });
    }
  }
  return { policies, params, errors };
}

function loadPolicy(object: JsonObject, errors: PolicyError[], kubeMinor: number | undefined): LoadedPolicy | undefined {
  const name = nameOf(object);
  let dropped = false;
  const fail = (field: string, message: string): void => {
    errors.push({ kind: POLICY_KIND, name, field, message: `${field}: ${message}`, dropped: true });
    dropped = true;
  };
  if (name === '') fail('metadata.name', 'Required value: name or generateName is required');
  const spec = asObject(object['spec']);
  if (spec === undefined) {
    fail('spec', 'Required value');
    return undefined;
  }
  const failurePolicy = asString(spec['failurePolicy']) ?? 'Fail';
  if (failurePolicy !== 'Fail' && failurePolicy !== 'Ignore') fail('spec.failurePolicy', `Unsupported value: "${failurePolicy}": supported values: "Fail", "Ignore"`);
  const matchConstraints = asObject(spec['matchConstraints']);
  if (matchConstraints === undefined) fail('spec.matchConstraints', 'Required value');
  else if (asArray(matchConstraints['resourceRules']).length === 0) fail('spec.matchConstraints.resourceRules', 'Required value');
  if (matchConstraints !== undefined) for (const p of matchResourcesProblems(matchConstraints, 'spec.matchConstraints')) fail(p.field, p.message);
  for (const sel of ['namespaceSelector', 'objectSelector']) {
    const s = matchConstraints?.[sel];
    if (s !== undefined && s !== null) {
      const parsed = parseLabelSelector(s, 'everything');
      if (parsed.error !== undefined) fail(`spec.matchConstraints.${sel}`, `Invalid value: ${parsed.error}`);
    }
  }
  let paramKind: LoadedPolicy['paramKind'];
  const pk = spec['paramKind'];
  if (pk !== undefined && pk !== null) {
    const apiVersion = asString(asObject(pk)?.['apiVersion']);
    const kind = asString(asObject(pk)?.['kind']);
    if (apiVersion === undefined || apiVersion === '') fail('spec.paramKind.apiVersion', 'Required value');
    if (kind === undefined || kind === '') fail('spec.paramKind.kind', 'Required value');
    if (apiVersion !== undefined && kind !== undefined) paramKind = { apiVersion, kind };
  }
  // `authorizer` is bound everywhere but in messageExpression (apiserver `compilePolicy`).
  const messageVars = ['object', 'oldObject', 'request', 'namespaceObject', 'variables', ...(paramKind ? ['params'] : [])];
  const vars = [...messageVars, 'authorizer'];
  const compileAt = (field: string, expression: string, allowedVariables: ReadonlySet<string>, returns: readonly ReturnType[] | undefined, declared: readonly string[] = vars): CompiledExpression => {
    const compiled = compileExpression(field, expression, allowedVariables, declared, kubeMinor, returns);
    if (compiled.error !== undefined) {
      const position = compiled.position;
      errors.push({
        kind: POLICY_KIND, name, field, expression,
        message: `${field}: Invalid value: ${JSON.stringify(expression)}: ${compiled.typeError === true ? '' : 'compilation failed: '}${compiled.error}`,
        ...(position ? { position } : {}), dropped: false,
      });
    }
    return compiled.result;
  };

  const matchConditionsRaw = asArray(spec['matchConditions']);
  if (matchConditionsRaw.length > 64) fail('spec.matchConditions', `Too many: ${matchConditionsRaw.length}: must have at most 64 items`);
  const variablesRaw = asArray(spec['variables']);
  // The names declared so far: a variable sees those before it (a copy of the list for each of
  // 32,768 variables took 5.9 s).
  const variableNames = new Set<string>();
  const variables: LoadedPolicy['variables'] = [];
  for (const [i, raw] of variablesRaw.entries()) {
    const v = asObject(raw);
    const vName = asString(v?.['name']) ?? '';
    const expression = asString(v?.['expression']) ?? '';
    if (!CEL_IDENT.test(vName)) fail(`spec.variables[${i}].name`, `Invalid value: "${vName}": name is not a valid CEL identifier`);
    else if (variableNames.has(vName)) fail(`spec.variables[${i}].name`, `Duplicate value: "${vName}"`);
    if (expression.trim() === '') { fail(`spec.variables[${i}].expression`, 'Required value'); continue; }
    variables.push({ name: vName, expression: compileAt(`spec.variables[${i}].expression`, expression, variableNames, undefined) });
    variableNames.add(vName);
  }
  const matchConditions: LoadedPolicy['matchConditions'] = [];
  const conditionNames = new Set<string>();
  for (const [i, raw] of matchConditionsRaw.entries()) {
    const c = asObject(raw);
    const cName = asString(c?.['name']) ?? '';
    const expression = asString(c?.['expression']) ?? '';
    if (!QUALIFIED_NAME.test(cName) || cName.length > 316) fail(`spec.matchConditions[${i}].name`, `Invalid value: "${cName}": must be a qualified name`);
    else if (conditionNames.has(cName)) fail(`spec.matchConditions[${i}].name`, `Duplicate value: "${cName}"`);
    conditionNames.add(cName);
    if (expression.trim() === '') { fail(`spec.matchConditions[${i}].expression`, 'Required value'); continue; }
    matchConditions.push({ name: cName, expression: compileAt(`spec.matchConditions[${i}].expression`, expression, variableNames, ['bool']) });
  }
  const validations: LoadedValidation[] = [];
  for (const [i, raw] of asArray(spec['validations']).entries()) {
    const v = asObject(raw);
    const expression = asString(v?.['expression']) ?? '';
    if (expression.trim() === '') { fail(`spec.validations[${i}].expression`, 'Required value: expression is not specified'); continue; }
    const reason = asString(v?.['reason']) ?? 'Invalid';
    if (!REASONS.has(reason)) fail(`spec.validations[${i}].reason`, `Unsupported value: "${reason}": supported values: "Forbidden", "Invalid", "RequestEntityTooLarge", "Unauthorized"`);
    const message = asString(v?.['message']);
    if (message !== undefined && message.includes('\n')) fail(`spec.validations[${i}].message`, `Invalid value: ${JSON.stringify(message)}: message must not contain line breaks`);
    const messageExpression = asString(v?.['messageExpression']);
    const loaded: LoadedValidation = {
      expression: compileAt(`spec.validations[${i}].expression`, expression, variableNames, ['bool']),
      reason: REASONS.has(reason) ? (reason as StatusReason) : 'Invalid',
    };
    if (message !== undefined) loaded.message = message;
    if (messageExpression !== undefined && messageExpression.trim() !== '') {
      loaded.messageExpression = compileAt(`spec.validations[${i}].messageExpression`, messageExpression, variableNames, ['string'], messageVars);
    }
    validations.push(loaded);
  }
  const auditAnnotations: LoadedPolicy['auditAnnotations'] = [];
  for (const [i, raw] of asArray(spec['auditAnnotations']).entries()) {
    const a = asObject(raw);
    const key = asString(a?.['key']) ?? '';
    const valueExpression = asString(a?.['valueExpression']) ?? '';
    if (key === '' || !QUALIFIED_NAME.test(`${name}/${key}`)) fail(`spec.auditAnnotations[${i}].key`, `Invalid value: "${key}": must be a valid annotation key`);
    if (valueExpression.trim() === '') { fail(`spec.auditAnnotations[${i}].valueExpression`, 'Required value'); continue; }
    auditAnnotations.push({ key, valueExpression: compileAt(`spec.auditAnnotations[${i}].valueExpression`, valueExpression, variableNames, ['string', 'null']) });
  }
  if (validations.length === 0 && auditAnnotations.length === 0) fail('spec.validations', "Required value: validations or auditAnnotations must contain at least one item");
  if (dropped || matchConstraints === undefined) return undefined;

  const annotations = asObject(asObject(object['metadata'])?.['annotations']);
  const severityOf = (key: string, fallback: Severity): Severity => {
    const value = asString(annotations?.[key]);
    if (value === undefined) return fallback;
    if (SEVERITIES.has(value)) return value as Severity;
    errors.push({ kind: POLICY_KIND, name, field: `metadata.annotations[${key}]`, message: `metadata.annotations[${key}]: Unsupported value: "${value}": supported values: critical, high, medium, low, info (using ${fallback})`, dropped: false });
    return fallback;
  };
  const severity = severityOf(SEVERITY_ANNOTATIONS.deny, 'high');
  const warnSeverity = severityOf(SEVERITY_ANNOTATIONS.warn, 'medium');
  const auditSeverity = severityOf(SEVERITY_ANNOTATIONS.audit, 'low');
  const policy: LoadedPolicy = {
    name, source: object, severity, warnSeverity, auditSeverity, failurePolicy, matchConstraints, matchConditions, variables, validations, auditAnnotations, bindings: [],
  };
  if (paramKind !== undefined) policy.paramKind = paramKind;
  return policy;
}

/** The CEL types an expression may have (apiserver `ExpressionAccessor.ReturnTypes`); `null` is `null_type`. */
type ReturnType = 'bool' | 'string' | 'null';

/** apiserver `CompileCELExpression`'s wording for an expression of another type. */
function returnTypeError(returns: readonly ReturnType[]): string {
  const names = returns.map((t) => (t === 'null' ? 'null_type' : t));
  return names.length === 1 ? `must evaluate to ${names[0]}` : `must evaluate to one of [${names.join(' ')}]`;
}

function compileExpression(
  field: string, expression: string, visibleVariables: ReadonlySet<string>, vars: readonly string[], kubeMinor: number | undefined,
  returns: readonly ReturnType[] | undefined,
): { result: CompiledExpression; error?: string; typeError?: boolean; position?: { line: number; column: number } } {
  // cel-go refuses an oversized expression before reading it.
  const tooLarge = sizeError(expression);
  if (tooLarge !== undefined) {
    const error = `ERROR: <input>:-1:0: ${tooLarge}`;
    return { result: { field, expression, error: `compilation error: ${error}` }, error };
  }
  // `variables.x` may only name variables declared before (the apiserver's composited environment);
  // text inside string literals and comments is no reference.
  for (const m of maskLiterals(expression).matchAll(/\bvariables\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)/g)) {
    const ref = m[1] ?? '';
    if (!visibleVariables.has(ref)) {
      const position = columnOf(expression, m.index ?? 0);
      const error = `ERROR: <input>:${position.line}:${position.column}: undefined field '${ref}'`;
      return { result: { field, expression, error: `compilation error: ${error}` }, error, position };
    }
  }
  const c = compile(expression, kubeMinor === undefined ? { variables: vars } : { variables: vars, kubeMinor });
  if (c.ok) {
    // A type known at compile time must be one the field returns. `dyn` passes: the API server types
    // `variables.x` by the variable's expression, mamori as dyn, so a dyn result is checked when evaluated.
    if (returns === undefined || c.type === 'dyn' || (returns as readonly string[]).includes(c.type)) return { result: { field, expression, program: c.program } };
    const error = returnTypeError(returns);
    return { result: { field, expression, error: `compilation error: ${error}` }, error, typeError: true };
  }
  // cel-go prints an error without a location (the size and depth limits) at line -1, column 0.
  const where = c.position ? `<input>:${c.position.line}:${c.position.column}: ` : '<input>:-1:0: ';
  const error = `ERROR: ${where}${c.error}`;
  return { result: { field, expression, error: `compilation error: ${error}` }, error, ...(c.position ? { position: c.position } : {}) };
}

function columnOf(input: string, index: number): { line: number; column: number } {
  const lines = input.slice(0, index).split('\n');
  return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
}

function loadBinding(object: JsonObject, errors: PolicyError[]): LoadedBinding | undefined {
  const name = nameOf(object);
  let dropped = false;
  const fail = (field: string, message: string): void => {
    errors.push({ kind: BINDING_KIND, name, field, message: `${field}: ${message}`, dropped: true });
    dropped = true;
  };
  if (name === '') fail('metadata.name', 'Required value: name or generateName is required');
  const spec = asObject(object['spec']);
  if (spec === undefined) { fail('spec', 'Required value'); return undefined; }
  if ((asString(spec['policyName']) ?? '') === '') fail('spec.policyName', 'Required value');
  const actionsRaw = asArray(spec['validationActions']);
  const validationActions: ValidationAction[] = [];
  if (actionsRaw.length === 0) fail('spec.validationActions', 'Required value: at least one validation action is required');
  for (const [i, a] of actionsRaw.entries()) {
    if (typeof a !== 'string' || !ACTIONS.has(a)) fail(`spec.validationActions[${i}]`, `Unsupported value: ${JSON.stringify(a)}: supported values: "Audit", "Deny", "Warn"`);
    else if (validationActions.includes(a as ValidationAction)) fail(`spec.validationActions[${i}]`, `Duplicate value: "${a}"`);
    else validationActions.push(a as ValidationAction);
  }
  if (validationActions.includes('Deny') && validationActions.includes('Warn')) {
    fail('spec.validationActions', 'Invalid value: ["Deny","Warn"]: must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)');
  }
  const binding: LoadedBinding = { name, source: object, validationActions };
  const match = spec['matchResources'];
  if (match !== undefined && match !== null) {
    if (!isObject(match)) fail('spec.matchResources', 'Invalid value: must be an object');
    else {
      binding.matchResources = match;
      for (const p of matchResourcesProblems(match, 'spec.matchResources')) fail(p.field, p.message);
    }
  }
  const pr = spec['paramRef'];
  if (pr !== undefined && pr !== null) {
    const ref = asObject(pr) ?? {};
    const refName = asString(ref['name']);
    const selector = asObject(ref['selector']);
    if (refName !== undefined && refName !== '' && selector !== undefined) fail('spec.paramRef', 'Forbidden: name and selector are mutually exclusive');
    if ((refName === undefined || refName === '') && selector === undefined) fail('spec.paramRef', 'Required value: one of name or selector must be set');
    if (selector !== undefined) {
      const parsed = parseLabelSelector(selector, 'everything');
      if (parsed.error !== undefined) fail('spec.paramRef.selector', `Invalid value: ${parsed.error}`);
    }
    const action = asString(ref['parameterNotFoundAction']);
    if (action === undefined) fail('spec.paramRef.parameterNotFoundAction', 'Required value');
    else if (action !== 'Allow' && action !== 'Deny') fail('spec.paramRef.parameterNotFoundAction', `Unsupported value: "${action}": supported values: "Allow", "Deny"`);
    const paramRef: NonNullable<LoadedBinding['paramRef']> = { parameterNotFoundAction: action === 'Allow' ? 'Allow' : 'Deny' };
    if (refName !== undefined && refName !== '') paramRef.name = refName;
    const ns = asString(ref['namespace']);
    if (ns !== undefined && ns !== '') paramRef.namespace = ns;
    if (selector !== undefined) paramRef.selector = selector;
    binding.paramRef = paramRef;
  }
  return dropped ? undefined : binding;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

export interface UserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** A Namespace object as CEL `namespaceObject`, its labels those the selectors match (the name label added). */
function namespaceCel(namespace: JsonObject, labels: ReadonlyMap<string, string>): unknown {
  const metadata = asObject(namespace['metadata']);
  if (metadata === undefined) return toCel(namespace);
  return toCel({ ...namespace, metadata: { ...metadata, labels: { ...(asObject(metadata['labels']) ?? {}), ...Object.fromEntries(labels) } } });
}

/** One admission request (or one scanned object, as a CREATE). */
export interface EvaluationInput {
  /** The new object; null on DELETE. */
  object: JsonObject | null;
  /** The old object; null on CREATE. */
  oldObject?: JsonObject | null;
  /** Default: CREATE without oldObject, DELETE without object, else UPDATE. */
  operation?: Operation;
  /** The request's namespace object (labels for namespaceSelector, `namespaceObject` in CEL). */
  namespaceObject?: JsonObject | null;
  /**
   * The requesting user: `request.userInfo`, and the user `authorizer` checks for. Without it
   * (a scanned object), checks of the request's user error with `no user on request.`.
   */
  userInfo?: UserInfo;
  /** More candidate params (added to those of the load). */
  params?: readonly JsonObject[];
  /** Overrides the resource derived from the object's kind (CRDs with irregular plurals, webhook requests). */
  resource?: GroupVersionResource;
  subResource?: string;
  /** Overrides the namespace/name read from the object. */
  namespace?: string;
  name?: string;
  dryRun?: boolean;
  /** Overrides whether the resource is namespaced (default: by kind, see k8s/scope.ts). */
  namespaced?: boolean;
}

/** One decision of a (policy, binding, param) evaluation, as the apiserver's PolicyDecision. */
export interface Decision {
  /** `deny`: enforced per the binding's validationActions; `admit`: an error ignored by failurePolicy Ignore. */
  action: 'deny' | 'admit';
  /** `failed`: a validation returned false (or non-bool); `error`: compile/runtime/config error. */
  evaluation: 'failed' | 'error';
  message: string;
  reason: StatusReason;
  code: number;
  /** Index in spec.validations (validation decisions), else absent. */
  expressionIndex?: number;
  /** The field that produced the decision, e.g. `spec.validations[0].expression`. */
  field?: string;
  expression?: string;
  /** `<namespace>/<name>` of the param object the decision was evaluated with. */
  param?: string;
}

/** What one (policy, binding) pair did with the request. */
export interface BindingOutcome {
  policy: string;
  binding: string;
  /** True when both the policy's matchConstraints and the binding's matchResources selected the request. */
  matched: boolean;
  /** Why nothing was evaluated (when matched). */
  skipped?: 'match-condition' | 'no-params';
  /** The matchCondition that was false, when skipped for that reason. */
  failedCondition?: string;
  validationActions: ValidationAction[];
  severity: LoadedPolicy['severity'];
  decisions: Decision[];
  /** Audit annotations produced by the policy's auditAnnotations, keyed `<policy>/<key>`. */
  auditAnnotations: Record<string, string>;
}

export interface AuditFailure {
  message: string;
  policy: string;
  binding: string;
  expressionIndex: number;
  validationActions: ValidationAction[];
}

export interface EvaluationResult {
  allowed: boolean;
  /** The first denied decision, formatted as the apiserver does. */
  denial?: {
    policy: string;
    binding?: string;
    /** `ValidatingAdmissionPolicy '<p>' with binding '<b>' denied request: <message>`. */
    message: string;
    /** `<resource>[.<group>] "<name>" is forbidden: <message>`: the Status message. */
    statusMessage: string;
    reason: StatusReason;
    code: number;
    decision: Decision;
  };
  /** `Validation failed for ValidatingAdmissionPolicy '<p>' with binding '<b>': <message>`. */
  warnings: string[];
  /** `<policy>/<key>` from auditAnnotations, plus VALIDATION_FAILURE_ANNOTATION (JSON) for Audit. */
  auditAnnotations: Record<string, string>;
  auditFailures: AuditFailure[];
  outcomes: BindingOutcome[];
}

/**
 * A CEL map of more than MAX_PLAIN_KEYS keys. cel-js finds the type of a map operand (of `in`,
 * `==`, `size`, a function call) from its first entry, which it reads with `for…in`: on a plain
 * object of many keys (a dictionary in V8) that lists every key first, so a comprehension over a
 * big map that reads the map took time growing with its square (16,000 labels: 37 s). A Map gives
 * its first entry at once. Keys are looked up by their string form, as on a plain object
 * (`m[1]` finds the key "1"), and cel-js takes it for a Map (it types values by constructor).
 */
class CelMap extends Map<string, unknown> {
  override get(key: string): unknown {
    return super.get(celKey(key));
  }

  override has(key: string): boolean {
    return super.has(celKey(key));
  }
}

/** A key's string form, as a plain object's property lookup makes it (a map or list as key is the same error). */
function celKey(key: unknown): string {
  if (typeof key === 'object' && key !== null) throw new TypeError('Cannot convert object to primitive value');
  return String(key);
}
Object.defineProperty(CelMap.prototype, 'constructor', { value: Map });

/** Objects of up to this many keys stay plain objects in CEL (V8 keeps them out of dictionary mode). */
const MAX_PLAIN_KEYS = 16;

/**
 * JSON → CEL values: integers become bigint (int64 semantics, as unstructured JSON in the apiserver).
 * Fields set to null are left out: the API server decodes a request into its typed object (or
 * prunes a custom resource by its schema), which drops them, so `has()` on them is false.
 */
export function toCel(value: JsonValue | undefined): unknown {
  if (typeof value === 'number') return Number.isInteger(value) && Number.isSafeInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map((v) => toCel(v));
  if (isObject(value)) {
    const entries = Object.entries(value).filter(([, v]) => v !== null);
    if (entries.length > MAX_PLAIN_KEYS) {
      const out = new CelMap();
      // A plain object drops the key __proto__ (it sets the prototype); so does the map.
      for (const [k, v] of entries) if (k !== '__proto__') out.set(k, toCel(v));
      return out;
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) out[k] = toCel(v);
    return out;
  }
  return value ?? null;
}

function defaultOperation(input: EvaluationInput): Operation {
  if (input.operation !== undefined) return input.operation;
  if (input.object === null) return 'DELETE';
  return input.oldObject ? 'UPDATE' : 'CREATE';
}

interface Request {
  match: MatchRequest;
  /** The CEL values of the request, converted on first use: a request no binding selects converts nothing. */
  activation: () => RequestValues;
}

function buildRequest(input: EvaluationInput, celValue: (object: JsonObject) => unknown): Request {
  const operation = defaultOperation(input);
  const object = input.object;
  const oldObject = input.oldObject ?? null;
  const subject = object ?? oldObject ?? {};
  const { group, version } = splitApiVersion(asString(subject['apiVersion']) ?? '');
  const kindName = asString(subject['kind']) ?? '';
  const resource = input.resource ?? { group, version, resource: resourceForKind(kindName) };
  const kind: GroupVersionKind = { group, version, kind: kindName };
  const metadata = asObject(subject['metadata']);
  const namespaced = input.namespaced ?? isNamespacedKind(kindName);
  const namespace = input.namespace ?? (namespaced ? asString(metadata?.['namespace']) ?? asString(asObject(input.namespaceObject?.['metadata'])?.['name']) ?? '' : '');
  const name = input.name ?? asString(metadata?.['name']) ?? '';
  const nsLabels = labelSetOf(asObject(input.namespaceObject?.['metadata'])?.['labels']);
  if (namespace !== '' && !nsLabels.has('kubernetes.io/metadata.name')) nsLabels.set('kubernetes.io/metadata.name', namespace);
  const subResource = input.subResource ?? '';
  const user = input.userInfo ?? {};
  const request = {
    uid: '',
    kind: { ...kind },
    resource: { ...resource },
    subResource,
    requestKind: { ...kind },
    requestResource: { ...resource },
    requestSubResource: subResource,
    name,
    namespace,
    operation,
    userInfo: { username: user.username ?? '', uid: user.uid ?? '', groups: user.groups ?? [], extra: user.extra ?? {} },
    dryRun: input.dryRun ?? false,
    options: {},
  };
  // The API server stores every Namespace labelled `kubernetes.io/metadata.name`, so CEL sees that label too.
  let values: RequestValues | undefined;
  const activation = (): RequestValues => {
    if (values !== undefined) return values;
    const namespaceObject = namespaced && namespace !== '' ? (input.namespaceObject ? namespaceCel(input.namespaceObject, nsLabels) : { metadata: { name: namespace, labels: Object.fromEntries(nsLabels) } }) : null;
    values = { object: object === null ? null : celValue(object), oldObject: oldObject === null ? null : celValue(oldObject), request, namespaceObject };
    return values;
  };
  return {
    match: { operation, resource, kind, subResource, name, namespace, namespaced, object, oldObject, namespaceLabels: nsLabels },
    activation,
  };
}

type Eval = { ok: true; value: unknown } | { ok: false; error: string };
/** The CEL values of a request, as `buildRequest` makes them. */
interface RequestValues {
  object: unknown;
  oldObject: unknown;
  request: unknown;
  namespaceObject: unknown;
}

/** What the passes of one (binding, param) evaluation read: the request, and the param (CEL value). */
interface Inputs {
  request: RequestValues;
  params: unknown;
}

/** The `variables` of a policy without variables. */
const NO_VARIABLES: Readonly<Record<string, unknown>> = Object.freeze({});

/** The budget of an evaluation pass ran out: no further expression of the pass is evaluated. */
const OUT = Symbol('out of budget');

/** The variables of each policy by name, made once: looked up in the list, 16,000 variables took 0.6 s per object. */
const declaredVariables = new WeakMap<LoadedPolicy['variables'], ReadonlyMap<string, CompiledExpression>>();

function variablesByName(declared: LoadedPolicy['variables']): ReadonlyMap<string, CompiledExpression> {
  let byName = declaredVariables.get(declared);
  if (byName === undefined) {
    const map = new Map<string, CompiledExpression>();
    // The first of a name, as a search of the list finds it.
    for (const v of declared) if (!map.has(v.name)) map.set(v.name, v.expression);
    byName = map;
    declaredVariables.set(declared, byName);
  }
  return byName;
}

/**
 * `variables` of one pass: each evaluated on first use, then cached (apiserver composition). A
 * Map, which CEL reads with `get`/`has`, so a pass builds no per-variable accessors.
 */
class LazyVariables extends Map<string, unknown> {
  private readonly results = new Map<string, Eval>();
  private readonly declared: ReadonlyMap<string, CompiledExpression>;

  constructor(
    declared: LoadedPolicy['variables'],
    private readonly evaluateVariable: (name: string, expression: CompiledExpression) => Eval,
  ) {
    super();
    this.declared = variablesByName(declared);
  }

  override has(name: string): boolean {
    return this.declared.has(name);
  }

  override get(name: string): unknown {
    let r = this.results.get(name);
    if (r === undefined) {
      const expression = this.declared.get(name);
      if (expression === undefined) return undefined;
      r = this.evaluateVariable(name, expression);
      this.results.set(name, r);
    }
    if (!r.ok) throw new Error(r.error);
    return r.value;
  }
}
// cel-js types a value by its exact constructor: to CEL this is a map.
Object.defineProperty(LazyVariables.prototype, 'constructor', { value: Map });

/**
 * One evaluation pass of the apiserver (a `ForInput` call): the matchConditions, the validations,
 * the messageExpressions, or the auditAnnotations. Each pass has its own activation, its own lazily
 * evaluated `variables` (evaluated at most once in the pass, on first use) and a cost budget that
 * every expression and every variable it evaluates draws from.
 */
class Pass {
  readonly activation: Record<string, unknown>;
  /** What is left of the pass's budget. */
  remaining: number;
  /** Cost of the variables evaluated since the last expression was charged. */
  private variableCost = 0;

  constructor(policy: LoadedPolicy, input: Inputs, authorizer: AuthorizerValue, budget: number) {
    this.remaining = budget;
    const { request, params } = input;
    const variables = policy.variables.length === 0 ? NO_VARIABLES : new LazyVariables(policy.variables, (name, expression) => this.variable(name, expression));
    this.activation = policy.paramKind === undefined
      ? { object: request.object, oldObject: request.oldObject, request: request.request, namespaceObject: request.namespaceObject, authorizer, variables }
      : { object: request.object, oldObject: request.oldObject, request: request.request, namespaceObject: request.namespaceObject, params, authorizer, variables };
  }

  /** A composited variable, as apiserver `variableAccessor.Callback` evaluates it. */
  private variable(name: string, expr: CompiledExpression): Eval {
    if (expr.program === undefined) return { ok: false, error: `composited variable "${name}" fails to compile: ${(expr.error ?? '').replace(/^compilation error: /, 'compilation failed: ')}` };
    const r = evaluate(expr.program, this.activation, { maxSteps: PER_CALL_LIMIT });
    this.variableCost += r.cost;
    return r.ok ? { ok: true, value: r.value } : { ok: false, error: `composited variable "${name}" fails to evaluate: ${r.error}` };
  }

  /** Evaluates one expression and charges its cost and that of the variables it used (apiserver `Evaluate`). */
  run(expr: CompiledExpression): Eval | typeof OUT {
    if (expr.program === undefined) return { ok: false, error: expr.error ?? 'compilation error' };
    const r = evaluate(expr.program, this.activation, { maxSteps: PER_CALL_LIMIT });
    const composition = this.variableCost;
    this.variableCost = 0;
    if (composition > this.remaining) return OUT;
    this.remaining -= composition;
    if (r.cost > this.remaining) return OUT;
    this.remaining -= r.cost;
    return r.ok ? { ok: true, value: r.value } : { ok: false, error: `expression '${expr.expression}' resulted in error: ${r.error}` };
  }
}

function paramKey(p: JsonObject): string {
  const md = asObject(p['metadata']);
  const ns = asString(md?.['namespace']);
  const n = asString(md?.['name']) ?? '';
  return ns ? `${ns}/${n}` : n;
}

/**
 * The params a binding selects (apiserver `collectParams`). Offline, a candidate without
 * `metadata.namespace` is taken as cluster-scoped and matches whatever namespace is asked.
 */
function collectParams(policy: LoadedPolicy, binding: LoadedBinding, req: MatchRequest, catalog: () => readonly JsonObject[]): { params: (JsonObject | null)[] } | { error: string } {
  const paramKind = policy.paramKind;
  const ref = binding.paramRef;
  if (paramKind !== undefined && ref === undefined) return { error: `paramKind kind \`${paramKind.kind}\` is defined but paramRef is missing` };
  if (paramKind === undefined || ref === undefined) return { params: [null] };
  const ofKind = catalog().filter((o) => o['apiVersion'] === paramKind.apiVersion && o['kind'] === paramKind.kind);
  const namespaceOf = (o: JsonObject): string => asString(asObject(o['metadata'])?.['namespace']) ?? '';
  // A namespaced paramKind takes its params from the request's namespace when the paramRef names
  // none: a cluster-scoped request has none to give. The scope of a custom kind is read from its
  // params in the input: namespaced when they all have a namespace.
  const namespaced = isKnownKind(paramKind.kind) ? isNamespacedKind(paramKind.kind) : ofKind.length > 0 && ofKind.every((o) => namespaceOf(o) !== '');
  if (namespaced && ref.namespace === undefined && req.namespace === '') {
    return { error: 'cannot use namespaced paramRef in policy binding that matches cluster-scoped resources' };
  }
  const namespace = ref.namespace ?? req.namespace;
  const candidates = ofKind.filter((o) => {
    const ns = namespaceOf(o);
    return ns === '' || ns === namespace;
  });
  let found: JsonObject[];
  if (ref.name !== undefined) {
    found = candidates.filter((o) => nameOf(o) === ref.name).slice(0, 1);
  } else {
    const selector = parseLabelSelector(ref.selector, 'everything');
    found = candidates.filter((o) => matchesSelector(selector, labelSetOf(asObject(o['metadata'])?.['labels'])));
  }
  if (found.length === 0 && ref.parameterNotFoundAction === 'Deny') {
    return { error: 'no params found for policy binding with `Deny` parameterNotFoundAction' };
  }
  return { params: found };
}

function errorDecision(policy: LoadedPolicy, message: string, extra: Partial<Decision> = {}): Decision {
  if (policy.failurePolicy === 'Ignore') return { action: 'admit', evaluation: 'error', message, reason: 'Invalid', code: 422, ...extra };
  const msg = policy.failurePolicy === 'Fail' ? message : `unrecognized failure policy: '${policy.failurePolicy}'`;
  return { action: 'deny', evaluation: 'error', message: msg, reason: 'Invalid', code: 422, ...extra };
}

function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

function cutUtf8(s: string, max: number): string {
  const buf = Buffer.from(s, 'utf8');
  return buf.length <= max ? s : buf.subarray(0, max).toString('utf8').replace(/\uFFFD$/, '');
}

function celTypeName(v: unknown): string {
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'double';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Uint8Array) return 'bytes';
  if (typeof v === 'object' && v !== null) return 'map';
  return typeof v;
}

interface ParamEvaluation {
  skipped?: { condition: string };
  decisions: Decision[];
  annotations: [string, string][];
}

/** The `authorizer` of the passes that do not bind it (messageExpression, auditAnnotations): using it is an error. */
const UNBOUND_AUTHORIZER = new AuthorizerValue(undefined, undefined);

/**
 * One (binding, param) evaluation, as apiserver `validator.Validate`: the matchConditions with their
 * own budget, the validations, the messageExpressions with what the validations left, the
 * auditAnnotations with a budget of their own. Running out of a budget is an error decision
 * (OUT_OF_BUDGET) under the failurePolicy and ends the evaluation.
 */
function evaluateWithParam(policy: LoadedPolicy, activation: RequestValues, param: JsonObject | null, authorizer: AuthorizerValue, celValue: (object: JsonObject) => unknown): ParamEvaluation {
  const base: Inputs = { request: activation, params: policy.paramKind === undefined ? undefined : param === null ? null : celValue(param) };
  const paramName = param ? { param: paramKey(param) } : {};
  const failed = (field: string, message = OUT_OF_BUDGET): ParamEvaluation => ({ decisions: [errorDecision(policy, message, { field, ...paramName })], annotations: [] });

  // matchConditions: any false skips (even when another errored); otherwise errors → failurePolicy.
  // The API server evaluates them all, so running out of budget after a false one still errors;
  // the rest are evaluated only when they could (each costs at most about PER_CALL_LIMIT).
  if (policy.matchConditions.length > 0) {
    const pass = new Pass(policy, base, authorizer, RUNTIME_CEL_COST_BUDGET_MATCH_CONDITIONS);
    const results: Eval[] = [];
    let sawFalse = false;
    for (const [i, c] of policy.matchConditions.entries()) {
      if (sawFalse && pass.remaining >= (policy.matchConditions.length - i + policy.variables.length) * 2 * PER_CALL_LIMIT) break;
      const r = pass.run(c.expression);
      if (r === OUT) return failed('spec.matchConditions');
      results.push(r);
      if (r.ok && r.value === false) sawFalse = true;
    }
    const conditionErrors: string[] = [];
    for (const [i, c] of policy.matchConditions.entries()) {
      const r = results[i];
      if (r === undefined) continue;
      if (!r.ok) { conditionErrors.push(r.error); continue; }
      if (r.value === false) return { skipped: { condition: c.name }, decisions: [], annotations: [] };
      if (r.value !== true) conditionErrors.push(`matchCondition '${c.name}' did not evaluate to a bool: ${celTypeName(r.value)}`);
    }
    if (conditionErrors.length > 0) {
      const message = conditionErrors.length === 1 ? conditionErrors[0] ?? '' : `[${conditionErrors.join(', ')}]`;
      return failed('spec.matchConditions', message);
    }
  }

  const validations = new Pass(policy, base, authorizer, RUNTIME_CEL_COST_BUDGET);
  const results: Eval[] = [];
  for (const v of policy.validations) {
    const r = validations.run(v.expression);
    if (r === OUT) return failed('spec.validations');
    results.push(r);
  }

  // The API server evaluates every messageExpression; those of passing validations only spend
  // budget, so they are evaluated only when the budget left could run out (each expression and
  // each variable costs at most about PER_CALL_LIMIT).
  let messagePass: Pass | undefined;
  const withMessage = policy.validations.reduce((n, v) => (v.messageExpression === undefined ? n : n + 1), 0);
  const exhaustible = validations.remaining < (withMessage + policy.variables.length) * 2 * PER_CALL_LIMIT;
  const messages: (Eval | undefined)[] = [];
  let messagesOut = false;
  for (const [i, v] of policy.validations.entries()) {
    const r = results[i];
    if (v.messageExpression === undefined || r === undefined) continue;
    if (!exhaustible && !(r.ok && r.value !== true)) continue;
    messagePass ??= new Pass(policy, base, UNBOUND_AUTHORIZER, validations.remaining);
    const m = messagePass.run(v.messageExpression);
    if (m === OUT) { messagesOut = true; break; }
    messages[i] = m;
  }

  const decisions: Decision[] = [];
  for (const [i, v] of policy.validations.entries()) {
    const r = results[i];
    if (r === undefined) continue;
    const where = { expressionIndex: i, field: v.expression.field, expression: v.expression.expression, ...paramName };
    if (!r.ok) { decisions.push(errorDecision(policy, r.error, where)); continue; }
    if (messagesOut) { decisions.push(errorDecision(policy, `failed messageExpression: ${OUT_OF_BUDGET}`, where)); continue; }
    if (r.value === true) continue;
    // An error in the messageExpression (the API server only logs it) falls back to the message.
    let message: string | undefined;
    const m = messages[i];
    if (m?.ok === true && typeof m.value === 'string') {
      const trimmed = m.value.trim();
      if (trimmed !== '' && utf8Length(trimmed) <= MAX_MESSAGE_EXPRESSION_BYTES && !trimmed.includes('\n')) message = trimmed;
    }
    if (message === undefined && v.message !== undefined && v.message.trim() !== '') message = v.message.trim();
    if (message === undefined) message = `failed expression: ${v.expression.expression.trim()}`;
    decisions.push({ action: 'deny', evaluation: 'failed', message, reason: v.reason, code: REASON_CODES[v.reason], ...where });
  }

  const annotations: [string, string][] = [];
  if (policy.auditAnnotations.length > 0) {
    const pass = new Pass(policy, base, UNBOUND_AUTHORIZER, RUNTIME_CEL_COST_BUDGET);
    for (const a of policy.auditAnnotations) {
      const r = pass.run(a.valueExpression);
      // As the API server, running out here replaces every decision of the evaluation.
      if (r === OUT) return failed('spec.auditAnnotations');
      const where = { field: a.valueExpression.field, expression: a.valueExpression.expression, ...paramName };
      if (!r.ok) { decisions.push(errorDecision(policy, r.error, where)); continue; }
      if (r.value === null) continue;
      if (typeof r.value !== 'string') {
        decisions.push(errorDecision(policy, `valueExpression '${a.valueExpression.expression}' resulted in unsupported return type: ${celTypeName(r.value)}. Return type must be either string or null.`, where));
        continue;
      }
      const value = r.value.trim();
      if (value === '') continue;
      annotations.push([`${policy.name}/${a.key}`, cutUtf8(value, MAX_AUDIT_ANNOTATION_BYTES)]);
    }
  }
  return { decisions, annotations };
}

/** `<resource>[.<group>] "<name>" is forbidden: <message>` (apiserver `admission.NewForbidden`). */
function forbidden(req: MatchRequest, message: string): string {
  const resource = req.resource.group === '' ? req.resource.resource : `${req.resource.resource}.${req.resource.group}`;
  const md = asObject((req.object ?? req.oldObject)?.['metadata']);
  const name = req.name !== '' ? req.name : asString(md?.['generateName']) ?? 'Unknown';
  return `${resource} "${name || 'Unknown'}" is forbidden: ${message}`;
}

/** What `evaluatePolicies` evaluates with: the loaded policies, candidate params, and the authorizer. */
export interface PolicySet {
  policies: readonly LoadedPolicy[];
  params?: readonly JsonObject[];
  /**
   * Answers the `authorizer` checks of the expressions (`rbacAuthorizer(objects)` of cel-authz.ts
   * for the RBAC objects of the input). Default: no RBAC data, every check errors
   * (`no RBAC objects in the input`) except for `system:masters`.
   */
  authorizer?: Authorize;
  /**
   * Converts the request's objects and the params to CEL values (default `toCel`): a caller that
   * judges the same objects with many policies (a scan) passes one that converts each once.
   */
  celValue?: (object: JsonObject) => unknown;
}

/** The user the `authorizer` checks for: the request's userInfo; none when the input has no userInfo. */
function authzUser(input: EvaluationInput): AuthzUser | undefined {
  const u = input.userInfo;
  if (u === undefined) return undefined;
  return { name: u.username ?? '', groups: u.groups ?? [], ...(u.uid === undefined ? {} : { uid: u.uid }), ...(u.extra === undefined ? {} : { extra: u.extra }) };
}

/**
 * Evaluates every loaded (policy, binding) pair against one request, as the apiserver's
 * ValidatingAdmissionPolicy plugin does. `loaded` is the result of `loadPolicies` (with an
 * authorizer for expressions that use `authorizer`).
 */
export function evaluatePolicies(input: EvaluationInput, loaded: PolicySet): EvaluationResult {
  try {
    return evaluateAll(input, loaded);
  } finally {
    // The code-point counts of this request's long strings are not kept for the next one.
    forgetCodePoints();
  }
}

function evaluateAll(input: EvaluationInput, loaded: PolicySet): EvaluationResult {
  const celValue = loaded.celValue ?? toCel;
  const { match, activation } = buildRequest(input, celValue);
  const requestResource: RequestResource = {
    group: match.resource.group, resource: match.resource.resource, subresource: match.subResource, namespace: match.namespace, name: match.name,
  };
  const authorizer = new AuthorizerValue(loaded.authorizer ?? NO_RBAC_AUTHORIZER, authzUser(input), requestResource);
  // Most policies take no params: the list of candidates is made when a binding needs it.
  let catalog: readonly JsonObject[] | undefined;
  const candidates = (): readonly JsonObject[] => (catalog ??= input.params === undefined || input.params.length === 0 ? loaded.params ?? [] : [...(loaded.params ?? []), ...input.params]);
  const outcomes: BindingOutcome[] = [];
  if (isExemptResource(match.resource)) return { allowed: true, warnings: [], auditAnnotations: {}, auditFailures: [], outcomes };
  const denied: { policy: string; binding?: string; decision: Decision }[] = [];
  const warnings: string[] = [];
  const auditFailures: AuditFailure[] = [];
  // The distinct values of each audit annotation key, in order (one per param of a selector: 20,000 took 0.7 s as a list).
  const annotationValues = new Map<string, Set<string>>();

  for (const policy of loaded.policies) {
    const policyMatches = matchesResources(policy.matchConstraints, match, true);
    for (const binding of policy.bindings) {
      const outcome: BindingOutcome = {
        policy: policy.name, binding: binding.name, matched: false, validationActions: binding.validationActions,
        severity: policy.severity, decisions: [], auditAnnotations: {},
      };
      outcomes.push(outcome);
      if (!policyMatches || !matchesResources(binding.matchResources, match, false)) continue;
      outcome.matched = true;

      const collected = collectParams(policy, binding, match, candidates);
      if ('error' in collected) {
        const decision = errorDecision(policy, `failed to configure binding: ${collected.error}`, { field: 'spec.paramRef' });
        if (policy.failurePolicy === 'Ignore') decision.message = collected.error;
        outcome.decisions.push(decision);
        // Configuration errors are denials whatever the validationActions (apiserver addConfigError).
        if (decision.action === 'deny') denied.push({ policy: policy.name, binding: binding.name, decision });
        continue;
      }
      if (collected.params.length === 0) { outcome.skipped = 'no-params'; continue; }

      let allSkipped = true;
      for (const param of collected.params) {
        const r = evaluateWithParam(policy, activation(), param, authorizer, celValue);
        if (r.skipped) { outcome.failedCondition = r.skipped.condition; continue; }
        allSkipped = false;
        outcome.decisions.push(...r.decisions);
        for (const [k, v] of r.annotations) {
          outcome.auditAnnotations[k] = v;
          const values = annotationValues.get(k) ?? new Set<string>();
          values.add(v);
          annotationValues.set(k, values);
        }
      }
      if (allSkipped) { outcome.skipped = 'match-condition'; continue; }
      delete outcome.failedCondition;

      for (const [index, decision] of outcome.decisions.entries()) {
        if (decision.action !== 'deny') continue;
        for (const action of binding.validationActions) {
          if (action === 'Deny') denied.push({ policy: policy.name, binding: binding.name, decision });
          else if (action === 'Warn') warnings.push(`Validation failed for ValidatingAdmissionPolicy '${policy.name}' with binding '${binding.name}': ${decision.message}`);
          else if (auditFailures.length < MAX_AUDIT_FAILURES) {
            auditFailures.push({ message: decision.message, policy: policy.name, binding: binding.name, expressionIndex: decision.expressionIndex ?? index, validationActions: binding.validationActions });
          }
        }
      }
    }
  }

  const auditAnnotations: Record<string, string> = {};
  for (const [k, values] of annotationValues) auditAnnotations[k] = [...values].join(', ');
  if (auditFailures.length > 0) auditAnnotations[VALIDATION_FAILURE_ANNOTATION] = JSON.stringify(auditFailures);
  const result: EvaluationResult = { allowed: denied.length === 0, warnings, auditAnnotations, auditFailures, outcomes };
  const first = denied[0];
  if (first !== undefined) {
    const message = first.binding !== undefined
      ? `ValidatingAdmissionPolicy '${first.policy}' with binding '${first.binding}' denied request: ${first.decision.message}`
      : `ValidatingAdmissionPolicy '${first.policy}' denied request: ${first.decision.message}`;
    result.denial = {
      policy: first.policy, message, statusMessage: forbidden(match, message),
      reason: first.decision.reason, code: first.decision.code, decision: first.decision,
      ...(first.binding !== undefined ? { binding: first.binding } : {}),
    };
  }
  return result;
}
