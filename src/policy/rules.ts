import { namespaceOf } from '../engine/inventory.js';
import { BUILT_IN_GROUPS } from '../k8s/scope.js';
import { defineRule, type InventoryViolation, type Rule, type Violation } from '../engine/rule.js';
import { asArray, asObject } from '../k8s/object.js';
import { rbacIndexOf } from '../k8s/rbac.js';
import { loadInput, resolveInputs } from '../load/load.js';
import type { LoadedObject } from '../load/types.js';
import type { JsonObject, ReportError } from '../types.js';
import { policyUsesAuthorizer, rbacIndexAuthorizer } from './cel-authz.js';
import { policyRuleId } from './vap-findings.js';
import { evaluatePolicies, loadPolicies, toCel, type EvaluationInput, type EvaluationResult, type LoadedPolicy, type LoadResult } from './vap.js';

/*
 * ValidatingAdmissionPolicies as rules of a scan: one rule per policy, `policy:<name>`, judging
 * each object as a CREATE through the policy's bindings. Findings go through the same engine as
 * the catalog's (exceptions, ignore annotations, locations, every format).
 */

const NONE: readonly Violation[] = Object.freeze([]);

/**
 * One violation per distinct failed decision of a matched binding, worded and graded by the
 * binding's strongest action: Deny as the API server's denial (the policy's severity), Warn as
 * its warning, Audit as its audit entry (each with the severity the policy's annotations set).
 */
function violationsOf(result: EvaluationResult, policy: LoadedPolicy): Violation[] {
  const out: Violation[] = [];
  // The same failure through several bindings is one finding, under the strongest action.
  const seen = new Set<string>();
  for (const action of ['Deny', 'Warn', 'Audit'] as const) {
    for (const outcome of result.outcomes) {
      const actions = outcome.validationActions;
      if (!outcome.matched || !actions.includes(action) || (action !== 'Deny' && actions.includes('Deny')) || (action === 'Audit' && actions.includes('Warn'))) continue;
      const severity = action === 'Deny' ? policy.severity : action === 'Warn' ? policy.warnSeverity : policy.auditSeverity;
      for (const decision of outcome.decisions) {
        if (decision.action !== 'deny' || seen.has(decision.message)) continue;
        seen.add(decision.message);
        const message = action === 'Deny'
          ? `ValidatingAdmissionPolicy '${outcome.policy}' with binding '${outcome.binding}' denied request: ${decision.message}`
          : `Validation failed for ValidatingAdmissionPolicy '${outcome.policy}' with binding '${outcome.binding}': ${decision.message}`;
        out.push(severity === policy.severity ? { path: [], message } : { path: [], message, severity });
      }
    }
  }
  return out;
}

/**
 * A scanned object as the request that creates it. An object of a built-in namespaced kind without
 * `metadata.namespace` is created in `default` (as kubectl applies it): `request.namespace`, the
 * namespaceSelectors and `namespaceObject` see that namespace. The scope of a custom resource's
 * kind is not known (a GatewayClass or a ClusterIssuer is cluster-scoped): without a namespace
 * it is taken as cluster-scoped, and with one as in it.
 */
function createRequest(target: LoadedObject, object: JsonObject = target.object): EvaluationInput {
  const input: EvaluationInput = { object, operation: 'CREATE' };
  const { apiVersion } = target.ref;
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const namespace = BUILT_IN_GROUPS.has(group) ? namespaceOf(target) : target.ref.namespace || undefined;
  if (namespace !== undefined) input.namespace = namespace;
  return input;
}

/** A namespaceSelector that selects less than everything (`{}` and an absent one select every namespace). */
function narrows(selector: unknown): boolean {
  const s = asObject(selector);
  return s !== undefined && (Object.keys(asObject(s['matchLabels']) ?? {}).length > 0 || asArray(s['matchExpressions']).length > 0);
}

/**
 * What a policy needs from the rest of the input: the RBAC objects (`authorizer`), or the
 * Namespace objects (a namespaceSelector of the policy or a binding, `namespaceObject` in CEL).
 */
function needsInput(policy: LoadedPolicy): boolean {
  if (policyUsesAuthorizer(policy)) return true;
  const expressions = [...policy.matchConditions, ...policy.variables, ...policy.validations].map((e) => e.expression);
  expressions.push(...policy.validations.flatMap((v) => (v.messageExpression ? [v.messageExpression] : [])), ...policy.auditAnnotations.map((a) => a.valueExpression));
  if (expressions.some((e) => /\bnamespaceObject\b/.test(e.expression))) return true;
  return narrows(policy.matchConstraints['namespaceSelector']) || policy.bindings.some((b) => narrows(b.matchResources?.['namespaceSelector']));
}

/**
 * The rule of one policy; `params` are the candidate parameter objects of the policy files. A
 * policy that needs the rest of the input is judged once the whole input is read: its
 * `authorizer` checks are answered by the RBAC authorizer over the Roles, ClusterRoles and
 * bindings of the scanned input, and each object's namespace is the input's Namespace object of
 * that name, labels included (else a namespace with only `kubernetes.io/metadata.name`), as the
 * API server would see it. Such a scan keeps every object until the end.
 */
function policyRule(policy: LoadedPolicy, params: readonly JsonObject[], celValues: CelValues): Rule {
  const common = {
    id: policyRuleId(policy.name),
    title: `ValidatingAdmissionPolicy ${policy.name}`,
    severity: policy.severity,
    controls: ['DEP-1'],
    description: `The organisation's own policy ${policy.name} (a ValidatingAdmissionPolicy), evaluated as the API server would on creating the object.`,
    remediation: "Change the object so that the policy's validations hold, as its message says.",
  };
  if (needsInput(policy)) {
    return defineRule({
      ...common,
      target: 'inventory',
      check({ inventory }) {
        const index = rbacIndexOf(inventory);
        const hasObjects = index.bindings.length > 0 || index.roles.some((r) => !r.assumed);
        const loaded = { policies: [policy], params, authorizer: rbacIndexAuthorizer(index, hasObjects) };
        const out: InventoryViolation[] = [];
        for (const target of inventory.objects) {
          const input = createRequest(target);
          const namespace = input.namespace === undefined ? undefined : inventory.namespace(input.namespace);
          if (namespace !== undefined) input.namespaceObject = namespace.object;
          for (const v of violationsOf(evaluatePolicies(input, { ...loaded, celValue: celValues.of(target) }), policy)) out.push({ ...v, target });
        }
        return out;
      },
    });
  }
  const loaded = { policies: [policy], params };
  return defineRule({
    ...common,
    target: 'object',
    check({ object, loaded: target }) {
      const out = violationsOf(evaluatePolicies(createRequest(target, object), { ...loaded, celValue: celValues.of(target) }), policy);
      return out.length === 0 ? NONE : out;
    },
  });
}

/** Reads the policy files (`--policy`): their rules, and the errors met (unreadable files, invalid policies). */
export function loadPolicyRules(paths: readonly string[], kubeMinor?: number): { rules: Rule[]; errors: ReportError[] } {
  const { loaded, errors } = readPolicies(paths, kubeMinor);
  return { rules: policyRules(loaded), errors };
}

/**
 * The CEL values the policy rules read, converted once for them all: each scanned object (a
 * 3 MiB ConfigMap took 0.15 s for each policy, even one that does not select it) and each param.
 * A scanned object is known by its LoadedObject, which each scan makes anew: an object changed
 * between two scans is converted again.
 */
class CelValues {
  private readonly objects = new WeakMap<LoadedObject, unknown>();
  private readonly params = new WeakMap<JsonObject, unknown>();

  /** The conversion for the evaluations of one scanned object. */
  of(target: LoadedObject): (object: JsonObject) => unknown {
    return (object) => (object === target.object ? remembered(this.objects, target, object) : remembered(this.params, object, object));
  }
}

function remembered<K extends object>(values: WeakMap<K, unknown>, key: K, object: JsonObject): unknown {
  let value = values.get(key);
  if (value === undefined) {
    value = toCel(object);
    values.set(key, value);
  }
  return value;
}

/** The rules of loaded policies, one per policy, with the params loaded beside them (and their CEL values shared). */
export function policyRules(loaded: LoadResult): Rule[] {
  const celValues = new CelValues();
  return loaded.policies.map((p) => policyRule(p, loaded.params, celValues));
}

/** Reads ValidatingAdmissionPolicies, their bindings and params from files and directories. */
export function readPolicies(paths: readonly string[], kubeMinor?: number): { loaded: LoadResult; errors: ReportError[] } {
  const errors: ReportError[] = [];
  const { inputs, errors: missing } = resolveInputs(paths);
  for (const error of missing) errors.push(error);
  const objects: JsonObject[] = [];
  // Where each policy and binding is written, to name it in errors.
  const origins = new Map<string, { file: string; line: number }>();
  for (const input of inputs) {
    const file = loadInput(input);
    for (const error of file.errors) errors.push(error);
    for (const o of file.objects) {
      objects.push(o.object);
      origins.set(`${o.ref.kind}/${o.ref.name}`, { file: o.source.file, line: o.source.line });
    }
  }
  const options: { bindUnbound: boolean; kubeMinor?: number } = { bindUnbound: true };
  if (kubeMinor !== undefined) options.kubeMinor = kubeMinor;
  const loaded = loadPolicies(objects, options);
  for (const e of loaded.errors) {
    const at = origins.get(`${e.kind}/${e.name}`);
    const entry: ReportError = { file: at?.file ?? paths.join(', '), message: `${e.kind} ${JSON.stringify(e.name)}: ${e.message}`, code: 'policy' };
    if (at !== undefined) entry.line = at.line;
    errors.push(entry);
  }
  return { loaded, errors };
}
