import { describe, expect, it } from 'vitest';
import { evaluatePolicies, loadPolicies, toCel } from '../src/policy/vap.js';
import type { EvaluationInput, LoadResult } from '../src/policy/vap.js';
import type { JsonObject } from '../src/types.js';

// ValidatingAdmissionPolicy behaviour checked against the API server's: rules.Matcher, the
// equivalent resource mapper, the policy plugin's exemptions, the validation of match rules,
// collectParams, and the typed decoding of request objects.

const API = 'admissionregistration.k8s.io/v1';

function policy(name: string, spec: JsonObject): JsonObject {
  return { apiVersion: API, kind: 'ValidatingAdmissionPolicy', metadata: { name }, spec: { validations: [{ expression: 'false', message: `${name} fired` }], ...spec } };
}

function binding(name: string, spec: JsonObject = {}): JsonObject {
  return { apiVersion: API, kind: 'ValidatingAdmissionPolicyBinding', metadata: { name }, spec: { policyName: name, validationActions: ['Deny'], ...spec } };
}

function rule(fields: JsonObject): JsonObject {
  return { apiGroups: ['*'], apiVersions: ['*'], operations: ['CREATE'], resources: ['*'], ...fields };
}

/** A policy that denies every request its rules select, and its binding. */
function denyAll(rules: JsonObject[], extra: JsonObject = {}): LoadResult {
  const loaded = loadPolicies([policy('p', { matchConstraints: { resourceRules: rules, ...extra } }), binding('p')]);
  expect(loaded.errors).toEqual([]);
  return loaded;
}

const matched = (loaded: LoadResult, input: EvaluationInput): boolean => evaluatePolicies(input, loaded).outcomes[0]?.matched ?? false;

const pod: JsonObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'shop' }, spec: {} };

describe('resources and subresources (rules.Matcher)', () => {
  it('pods/* matches the pod itself and each of its subresources', () => {
    const loaded = denyAll([rule({ apiGroups: [''], resources: ['pods/*'] })]);
    expect(matched(loaded, { object: pod })).toBe(true);
    expect(matched(loaded, { object: pod, subResource: 'status' })).toBe(true);
    expect(matched(loaded, { object: pod, subResource: 'ephemeralcontainers' })).toBe(true);
  });

  it('* matches only requests without a subresource, */* all, */status the status of any resource', () => {
    const star = denyAll([rule({ resources: ['*'] })]);
    expect(matched(star, { object: pod })).toBe(true);
    expect(matched(star, { object: pod, subResource: 'status' })).toBe(false);
    const all = denyAll([rule({ resources: ['*/*'] })]);
    expect(matched(all, { object: pod, subResource: 'status' })).toBe(true);
    const status = denyAll([rule({ resources: ['*/status'] })]);
    expect(matched(status, { object: pod, subResource: 'status' })).toBe(true);
    expect(matched(status, { object: pod })).toBe(false);
    expect(matched(denyAll([rule({ resources: ['pods/status'] })]), { object: pod })).toBe(false);
  });
});

describe('matchPolicy Equivalent (the equivalent resource mapper)', () => {
  const route = (version: string): JsonObject => ({ apiVersion: `gateway.networking.k8s.io/${version}`, kind: 'HTTPRoute', metadata: { name: 'r', namespace: 'shop' }, spec: {} });
  const hpa = (version: string): JsonObject => ({ apiVersion: `autoscaling/${version}`, kind: 'HorizontalPodAutoscaler', metadata: { name: 'h', namespace: 'shop' }, spec: {} });

  it('a rule for one version matches the same group and resource in another version', () => {
    const routes = denyAll([rule({ apiGroups: ['gateway.networking.k8s.io'], apiVersions: ['v1'], resources: ['httproutes'] })]);
    expect(matched(routes, { object: route('v1beta1') })).toBe(true);
    const hpas = denyAll([rule({ apiGroups: ['autoscaling'], apiVersions: ['v2'], resources: ['horizontalpodautoscalers'] })]);
    expect(matched(hpas, { object: hpa('v1') })).toBe(true);
  });

  it('Exact matches only the version of the rule; another group or resource never matches', () => {
    const exact = denyAll([rule({ apiGroups: ['autoscaling'], apiVersions: ['v2'], resources: ['horizontalpodautoscalers'] })], { matchPolicy: 'Exact' });
    expect(matched(exact, { object: hpa('v1') })).toBe(false);
    expect(matched(exact, { object: hpa('v2') })).toBe(true);
    const other = denyAll([rule({ apiGroups: ['gateway.networking.k8s.io'], apiVersions: ['v1'], resources: ['grpcroutes'] })]);
    expect(matched(other, { object: route('v1beta1') })).toBe(false);
  });
});

describe('requests no policy sees', () => {
  it('admission policies and their bindings are exempt; webhook configurations are not', () => {
    const loaded = denyAll([rule({ apiGroups: ['*'], operations: ['*'] })]);
    for (const kind of ['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding', 'MutatingAdmissionPolicy', 'MutatingAdmissionPolicyBinding']) {
      const r = evaluatePolicies({ object: { apiVersion: API, kind, metadata: { name: 'x' } } }, loaded);
      expect(r.allowed, kind).toBe(true);
      expect(r.outcomes, kind).toEqual([]);
    }
    const webhook = evaluatePolicies({ object: { apiVersion: API, kind: 'ValidatingWebhookConfiguration', metadata: { name: 'x' } } }, loaded);
    expect(webhook.denial?.decision.message).toBe('p fired');
  });
});

describe('invalid match rules are load errors (the API server rejects the policy)', () => {
  const errorsOf = (rules: JsonObject[], extra: JsonObject = {}): string[] =>
    loadPolicies([policy('p', { matchConstraints: { resourceRules: rules, ...extra } })]).errors.map((e) => e.message);

  it('names the field and says why, as the API server', () => {
    expect(errorsOf([rule({ apiVersions: [] })], { matchPolicy: 'Fuzzy' })).toEqual([
      'spec.matchConstraints.matchPolicy: Unsupported value: "Fuzzy": supported values: "Equivalent", "Exact"',
      'spec.matchConstraints.resourceRules[0].apiVersions: Required value',
    ]);
    expect(errorsOf([rule({ operations: ['GET'] })])).toEqual([
      'spec.matchConstraints.resourceRules[0].operations[0]: Unsupported value: "GET": supported values: "*", "CONNECT", "CREATE", "DELETE", "UPDATE"',
    ]);
    expect(errorsOf([rule({ operations: [] })])).toEqual(['spec.matchConstraints.resourceRules[0].operations: Required value']);
    expect(errorsOf([rule({ operations: ['*', 'CREATE'] })])).toEqual([
      'spec.matchConstraints.resourceRules[0].operations: Invalid value: ["*","CREATE"]: if \'*\' is present, must not specify other operations',
    ]);
    expect(errorsOf([rule({ resources: ['*', 'pods'] })])).toEqual([
      'spec.matchConstraints.resourceRules[0].resources: Invalid value: ["*","pods"]: if \'*\' is present, must not specify other resources without subresources',
    ]);
    expect(errorsOf([rule({ resources: ['pods/*', 'pods/status'] })])).toEqual([
      'spec.matchConstraints.resourceRules[0].resources[1]: Invalid value: "pods/status": if \'pods/*\' is present, must not specify pods/status',
    ]);
    expect(errorsOf([rule({ scope: 'Foo' })])).toEqual([
      'spec.matchConstraints.resourceRules[0].scope: Unsupported value: "Foo": supported values: "*", "Cluster", "Namespaced"',
    ]);
    expect(errorsOf([rule({ apiGroups: ['*', 'apps'] })])).toEqual([
      'spec.matchConstraints.resourceRules[0].apiGroups: Invalid value: ["*","apps"]: if \'*\' is present, must not specify other API groups',
    ]);
    expect(errorsOf([rule({})], { excludeResourceRules: [rule({ resourceNames: ['a', 'a/b', 'a'] })] })).toEqual([
      'spec.matchConstraints.excludeResourceRules[0].resourceNames[1]: Invalid value: "a/b": may not contain \'/\'',
      'spec.matchConstraints.excludeResourceRules[0].resourceNames[2]: Duplicate value: "a"',
    ]);
  });

  it('as upstream, the last resource without a subresource decides whether * may come with others', () => {
    expect(errorsOf([rule({ resources: ['pods', '*'] })])).toEqual([]);
  });

  it('drops the policy, and a binding with invalid matchResources', () => {
    const loaded = loadPolicies([
      policy('p', { matchConstraints: { resourceRules: [rule({ scope: 'Foo' })] } }),
      policy('q', { matchConstraints: { resourceRules: [rule({})] } }),
      binding('q', { matchResources: { resourceRules: [rule({ operations: ['GET'] })] } }),
    ]);
    expect(loaded.policies.map((p) => [p.name, p.bindings.length])).toEqual([['q', 0]]);
    expect(loaded.errors.map((e) => [e.kind, e.name, e.field, e.dropped])).toEqual([
      ['ValidatingAdmissionPolicy', 'p', 'spec.matchConstraints.resourceRules[0].scope', true],
      ['ValidatingAdmissionPolicyBinding', 'q', 'spec.matchResources.resourceRules[0].operations[0]', true],
    ]);
  });
});

describe('variables in string literals', () => {
  it('text in a string literal or a comment is no reference to a variable', () => {
    for (const expression of ["object.metadata.name != 'variables.foo'", 'object.metadata.name != "a\\"variables.x"', "object.metadata.name != '''\nvariables.y'''", 'true // variables.z']) {
      const loaded = loadPolicies([policy('p', { matchConstraints: { resourceRules: [rule({})] }, validations: [{ expression }] })]);
      expect(loaded.errors, expression).toEqual([]);
    }
  });

  it('a reference outside the literal still must name a declared variable', () => {
    const expression = "r'\\' + variables.bad == ''";
    const loaded = loadPolicies([policy('p', { matchConstraints: { resourceRules: [rule({})] }, validations: [{ expression }] })]);
    expect(loaded.errors.map((e) => e.message)).toEqual([
      `spec.validations[0].expression: Invalid value: ${JSON.stringify(expression)}: compilation failed: ERROR: <input>:1:8: undefined field 'bad'`,
    ]);
  });
});

describe('namespaced params for a cluster-scoped request (collectParams)', () => {
  const load = (action: 'Allow' | 'Deny', failurePolicy: 'Fail' | 'Ignore'): LoadResult => {
    const loaded = loadPolicies([
      policy('p', {
        failurePolicy,
        paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
        matchConstraints: { resourceRules: [rule({ apiGroups: [''], resources: ['namespaces', 'configmaps'] })] },
        validations: [{ expression: 'object.metadata.name != params.data.forbidden' }],
      }),
      binding('p', { paramRef: { name: 'cfg', parameterNotFoundAction: action } }),
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'team-a' }, data: { forbidden: 'bad' } },
    ]);
    expect(loaded.errors).toEqual([]);
    return loaded;
  };
  const namespace: JsonObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bad' } };

  it('a paramRef without namespace cannot configure the binding, whatever parameterNotFoundAction says', () => {
    for (const action of ['Allow', 'Deny'] as const) {
      const r = evaluatePolicies({ object: namespace }, load(action, 'Fail'));
      expect(r.denial?.decision.message, action).toBe('failed to configure binding: cannot use namespaced paramRef in policy binding that matches cluster-scoped resources');
    }
  });

  it('a custom paramKind is namespaced when its params in the input all have a namespace', () => {
    const custom = (paramNamespace?: string): LoadResult => loadPolicies([
      policy('p', {
        paramKind: { apiVersion: 'rules.example.com/v1', kind: 'NameRule' },
        matchConstraints: { resourceRules: [rule({ apiGroups: [''], resources: ['namespaces'] })] },
        validations: [{ expression: 'object.metadata.name != params.forbidden' }],
      }),
      binding('p', { paramRef: { name: 'cfg', parameterNotFoundAction: 'Allow' } }),
      { apiVersion: 'rules.example.com/v1', kind: 'NameRule', metadata: { name: 'cfg', ...(paramNamespace ? { namespace: paramNamespace } : {}) }, forbidden: 'bad' },
    ]);
    expect(evaluatePolicies({ object: namespace }, custom('team-a')).denial?.decision.message).toBe('failed to configure binding: cannot use namespaced paramRef in policy binding that matches cluster-scoped resources');
    expect(evaluatePolicies({ object: namespace }, custom()).denial?.decision.message).toBe('failed expression: object.metadata.name != params.forbidden');
  });

  it('failurePolicy Ignore admits; a namespaced request takes its params from its namespace', () => {
    const ignored = evaluatePolicies({ object: namespace }, load('Allow', 'Ignore'));
    expect(ignored.allowed).toBe(true);
    expect(ignored.outcomes[0]?.decisions.map((d) => d.evaluation)).toEqual(['error']);
    const cm: JsonObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bad', namespace: 'team-a' } };
    expect(evaluatePolicies({ object: cm }, load('Allow', 'Fail')).denial?.decision.message).toBe('failed expression: object.metadata.name != params.data.forbidden');
  });
});

describe('request objects as typed objects', () => {
  it('fields set to null are dropped; nulls in lists are kept', () => {
    expect(toCel({ metadata: { name: 'a', annotations: null }, spec: { list: [null, 1] } })).toEqual({ metadata: { name: 'a' }, spec: { list: [null, 1n] } });
  });

  it('has() is false on a null field, and `in` reads an absent map as absent', () => {
    const loaded = loadPolicies([
      policy('p', {
        matchConstraints: { resourceRules: [rule({ apiGroups: [''], resources: ['pods'] })] },
        validations: [{ expression: "!has(object.metadata.annotations) || !('debug' in object.metadata.annotations)", message: 'debug' }],
      }),
      binding('p'),
    ]);
    expect(evaluatePolicies({ object: { ...pod, metadata: { name: 'web', namespace: 'shop', annotations: null } } }, loaded).allowed).toBe(true);
    expect(evaluatePolicies({ object: { ...pod, metadata: { name: 'web', namespace: 'shop', annotations: { debug: 'x' } } } }, loaded).denial?.decision.message).toBe('debug');
  });
});
