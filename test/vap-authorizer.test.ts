/**
 * The `authorizer` CEL library (apiserver `pkg/cel/library/authz.go`) answered by the RBAC
 * authorizer over RBAC objects. Expected decisions and reason strings are worked out from the
 * Kubernetes RBAC rules ("Using RBAC Authorization") and the RBAC authorizer's describer format
 * (`RBAC: allowed by ClusterRoleBinding "<b>" of ClusterRole "<r>" to User "<u>"`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { scanPaths } from '../src/engine/scan.js';
import { compile, evaluate } from '../src/policy/cel.js';
import { AuthorizerValue, NO_RBAC_AUTHORIZER, rbacAuthorizer } from '../src/policy/cel-authz.js';
import type { Authorize, AuthzUser, PathRequest, ResourceRequest } from '../src/policy/cel-authz.js';
import { loadPolicyRules } from '../src/policy/rules.js';
import { runSuite } from '../src/policy/test-suite.js';
import { evaluatePolicies, loadPolicies } from '../src/policy/vap.js';
import type { EvaluationInput, LoadResult } from '../src/policy/vap.js';
import type { JsonObject } from '../src/types.js';

function docs(text: string): JsonObject[] {
  return parseAllDocuments(text).map((d) => d.toJSON() as JsonObject).filter((d) => d !== null);
}

// The examples of "Using RBAC Authorization" (kubernetes.io), plus the objects the cases below need.
const RBAC = `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {namespace: default, name: pod-reader}
rules:
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "watch", "list"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read-pods, namespace: default}
subjects:
- kind: User
  name: jane
  apiGroup: rbac.authorization.k8s.io
roleRef: {kind: Role, name: pod-reader, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader}
rules:
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "watch", "list"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read-secrets, namespace: development}
subjects:
- kind: User
  name: dave
  apiGroup: rbac.authorization.k8s.io
roleRef: {kind: ClusterRole, name: secret-reader, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: read-secrets-global}
subjects:
- kind: Group
  name: manager
  apiGroup: rbac.authorization.k8s.io
roleRef: {kind: ClusterRole, name: secret-reader, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {namespace: default, name: configmap-updater}
rules:
- apiGroups: [""]
  resources: ["configmaps"]
  resourceNames: ["my-configmap"]
  verbs: ["update", "get"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: update-my-configmap, namespace: default}
subjects:
- {kind: User, name: carol}
roleRef: {kind: Role, name: configmap-updater}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: monitoring}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels:
      rbac.example.com/aggregate-to-monitoring: "true"
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: monitoring-endpoints
  labels:
    rbac.example.com/aggregate-to-monitoring: "true"
rules:
- apiGroups: [""]
  resources: ["services", "endpointslices", "pods"]
  verbs: ["get", "list", "watch"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: prometheus}
subjects:
- {kind: ServiceAccount, name: prometheus, namespace: monitoring}
roleRef: {kind: ClusterRole, name: monitoring}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: health-checker}
rules:
- nonResourceURLs: ["/healthz", "/healthz/*"]
  verbs: ["get", "post"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: health-checkers}
subjects:
- {kind: Group, name: probes}
roleRef: {kind: ClusterRole, name: health-checker}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ci-view, namespace: shop}
subjects:
- {kind: ServiceAccount, name: ci}
roleRef: {kind: ClusterRole, name: view}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: debugger}
rules:
- apiGroups: [""]
  resources: ["pods/exec"]
  verbs: ["create"]
- apiGroups: [""]
  resources: ["pods/*"]
  verbs: ["get"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: debuggers, namespace: shop}
subjects:
- {kind: Group, name: "system:serviceaccounts:tools"}
roleRef: {kind: ClusterRole, name: debugger}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: everything-in-apps}
rules:
- apiGroups: ["apps"]
  resources: ["*"]
  verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: apps-owner, namespace: shop}
subjects:
- {kind: User, name: owner}
roleRef: {kind: ClusterRole, name: everything-in-apps}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: everyone-authenticated}
subjects:
- {kind: Group, name: "system:authenticated"}
roleRef: {kind: ClusterRole, name: secret-reader}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: not-rbac, namespace: default}
`;

const authorize = rbacAuthorizer(docs(RBAC));
const user = (name: string, ...groups: string[]): AuthzUser => ({ name, groups });
const res = (verb: string, resource: string, namespace = '', extra: Partial<ResourceRequest> = {}): ResourceRequest => ({
  kind: 'resource', verb, apiGroup: '', resource, subresource: '', namespace, name: '', ...extra,
});
const path = (verb: string, p: string): PathRequest => ({ kind: 'path', verb, path: p });

describe('RBAC authorizer over RBAC objects', () => {
  it('a RoleBinding to a Role grants in its namespace only, with the RBAC reason', () => {
    expect(authorize(user('jane'), res('get', 'pods', 'default'))).toEqual({
      decision: 'Allow', reason: 'RBAC: allowed by RoleBinding "read-pods/default" of Role "pod-reader" to User "jane"',
    });
    expect(authorize(user('jane'), res('get', 'pods', 'kube-system'))).toEqual({ decision: 'NoOpinion', reason: '' });
    expect(authorize(user('jane'), res('delete', 'pods', 'default')).decision).toBe('NoOpinion');
    // A cluster-wide check (namespace '') does not read RoleBindings.
    expect(authorize(user('jane'), res('get', 'pods')).decision).toBe('NoOpinion');
  });

  it('a RoleBinding to a ClusterRole grants the ClusterRole in the binding namespace only', () => {
    expect(authorize(user('dave'), res('get', 'secrets', 'development')).reason)
      .toBe('RBAC: allowed by RoleBinding "read-secrets/development" of ClusterRole "secret-reader" to User "dave"');
    expect(authorize(user('dave'), res('get', 'secrets', 'default')).decision).toBe('NoOpinion');
  });

  it('a ClusterRoleBinding to a group grants in every namespace and cluster-wide', () => {
    const manager = user('alice', 'manager');
    for (const ns of ['default', 'development', '']) {
      expect(authorize(manager, res('list', 'secrets', ns))).toEqual({
        decision: 'Allow', reason: 'RBAC: allowed by ClusterRoleBinding "read-secrets-global" of ClusterRole "secret-reader" to Group "manager"',
      });
    }
    expect(authorize(manager, res('create', 'secrets', 'default')).decision).toBe('NoOpinion');
  });

  it('resourceNames allow only the named object, never an unnamed request', () => {
    expect(authorize(user('carol'), res('get', 'configmaps', 'default', { name: 'my-configmap' })).decision).toBe('Allow');
    expect(authorize(user('carol'), res('get', 'configmaps', 'default', { name: 'other' })).decision).toBe('NoOpinion');
    expect(authorize(user('carol'), res('get', 'configmaps', 'default')).decision).toBe('NoOpinion');
  });

  it('an aggregated ClusterRole grants the rules of the roles its selector picks', () => {
    const prometheus = user('system:serviceaccount:monitoring:prometheus');
    expect(authorize(prometheus, res('list', 'endpointslices', 'shop'))).toEqual({
      decision: 'Allow', reason: 'RBAC: allowed by ClusterRoleBinding "prometheus" of ClusterRole "monitoring" to ServiceAccount "prometheus/monitoring"',
    });
    expect(authorize(prometheus, res('list', 'secrets', 'shop')).decision).toBe('NoOpinion');
  });

  it('a default ClusterRole bound but absent from the input is assumed (view: pods yes, secrets no)', () => {
    const ci = user('system:serviceaccount:shop:ci');
    expect(authorize(ci, res('get', 'pods', 'shop')).reason).toBe('RBAC: allowed by RoleBinding "ci-view/shop" of ClusterRole "view" to ServiceAccount "ci/shop"');
    expect(authorize(ci, res('get', 'secrets', 'shop')).decision).toBe('NoOpinion');
    expect(authorize(ci, res('get', 'pods', 'default')).decision).toBe('NoOpinion');
    // The subject's namespace defaults to the RoleBinding's: another namespace's "ci" is not it.
    expect(authorize(user('system:serviceaccount:default:ci'), res('get', 'pods', 'shop')).decision).toBe('NoOpinion');
  });

  it('subresources match exactly: pods/exec, not pods; pods/* is not a wildcard', () => {
    const tool = user('system:serviceaccount:tools:runner', 'system:serviceaccounts', 'system:serviceaccounts:tools');
    expect(authorize(tool, res('create', 'pods', 'shop', { subresource: 'exec', name: 'web-0' })).reason)
      .toBe('RBAC: allowed by RoleBinding "debuggers/shop" of ClusterRole "debugger" to Group "system:serviceaccounts:tools"');
    expect(authorize(tool, res('create', 'pods', 'shop')).decision).toBe('NoOpinion');
    expect(authorize(tool, res('get', 'pods', 'shop', { subresource: 'log' })).decision).toBe('NoOpinion');
  });

  it('wildcard resources and verbs cover every resource of the group, subresources included', () => {
    const owner = user('owner');
    expect(authorize(owner, res('escalate', 'deployments', 'shop', { apiGroup: 'apps' })).decision).toBe('Allow');
    expect(authorize(owner, res('update', 'deployments', 'shop', { apiGroup: 'apps', subresource: 'scale' })).decision).toBe('Allow');
    expect(authorize(owner, res('get', 'pods', 'shop')).decision).toBe('NoOpinion');
  });

  it('nonResourceURLs: exact paths and * suffix globs, through ClusterRoleBindings', () => {
    const probe = user('kubelet-probe', 'probes');
    expect(authorize(probe, path('get', '/healthz'))).toEqual({
      decision: 'Allow', reason: 'RBAC: allowed by ClusterRoleBinding "health-checkers" of ClusterRole "health-checker" to Group "probes"',
    });
    expect(authorize(probe, path('post', '/healthz/etcd')).decision).toBe('Allow');
    expect(authorize(probe, path('get', '/healthzx')).decision).toBe('NoOpinion');
    expect(authorize(probe, path('get', '/metrics')).decision).toBe('NoOpinion');
    expect(authorize(probe, path('delete', '/healthz')).decision).toBe('NoOpinion');
  });

  it('system:masters is allowed everything, with an empty reason', () => {
    expect(authorize(user('root', 'system:masters'), res('delete', 'nodes'))).toEqual({ decision: 'Allow', reason: '' });
    expect(NO_RBAC_AUTHORIZER(user('root', 'system:masters'), path('get', '/metrics'))).toEqual({ decision: 'Allow', reason: '' });
  });

  it('without RBAC objects, every check errors (mamori cannot see the cluster)', () => {
    expect(rbacAuthorizer(docs('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}'))(user('jane'), res('get', 'pods', 'default')))
      .toEqual({ decision: 'NoOpinion', reason: '', error: 'no RBAC objects in the input' });
  });

  it('roles that cannot be found are reported in the reason, one or several (aggregated)', () => {
    const broken = rbacAuthorizer(docs(`
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: a}
subjects: [{kind: User, name: bob}]
roleRef: {kind: ClusterRole, name: missing}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: b, namespace: default}
subjects: [{kind: User, name: bob}]
roleRef: {kind: Role, name: gone}
`));
    expect(broken(user('bob'), res('get', 'pods'))).toEqual({ decision: 'NoOpinion', reason: 'RBAC: clusterrole.rbac.authorization.k8s.io "missing" not found' });
    expect(broken(user('bob'), res('get', 'pods', 'default')).reason)
      .toBe('RBAC: [clusterrole.rbac.authorization.k8s.io "missing" not found, role.rbac.authorization.k8s.io "gone" not found]');
    expect(broken(user('eve'), res('get', 'pods', 'default')).reason).toBe('');
  });
});

// ---------------------------------------------------------------------------------------------
// The CEL library

/** Records the checks an expression makes and answers them with `decide`. */
function recording(decide: Authorize = () => ({ decision: 'Allow', reason: 'ok' })): { authorize: Authorize; calls: { user: AuthzUser; request: ResourceRequest | PathRequest }[] } {
  const calls: { user: AuthzUser; request: ResourceRequest | PathRequest }[] = [];
  return { calls, authorize: (u, r) => { calls.push({ user: u, request: r }); return decide(u, r); } };
}

const REQUEST = { group: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'shop', name: 'web' };

function cel(expression: string, authorizer: AuthorizerValue, kubeMinor?: number): { ok: true; value: unknown } | { ok: false; error: string } {
  const c = compile(expression, kubeMinor === undefined ? { variables: ['authorizer'] } : { variables: ['authorizer'], kubeMinor });
  if (!c.ok) return { ok: false, error: `compile: ${c.error}` };
  const r = evaluate(c.program, { authorizer });
  return r.ok ? { ok: true, value: r.value } : { ok: false, error: r.error };
}

describe('authorizer CEL library', () => {
  it('resource checks carry group, resource, subresource, namespace and name (authz.go examples)', () => {
    const rec = recording();
    const a = new AuthorizerValue(rec.authorize, user('jane', 'dev'), REQUEST);
    expect(cel("authorizer.group('apps').resource('deployments').subresource('status').namespace('test').name('backend').check('create').allowed()", a))
      .toEqual({ ok: true, value: true });
    expect(rec.calls).toEqual([{
      user: { name: 'jane', groups: ['dev'] },
      request: { kind: 'resource', verb: 'create', apiGroup: 'apps', resource: 'deployments', subresource: 'status', namespace: 'test', name: 'backend' },
    }]);
  });

  it('an empty subresource, namespace or name is unset; a path check carries the path and verb', () => {
    const rec = recording();
    const a = new AuthorizerValue(rec.authorize, user('jane'), REQUEST);
    cel("authorizer.group('example.com').resource('widgets').subresource('').namespace('').name('').check('list')", a);
    cel("authorizer.path('/healthz').check('get')", a);
    expect(rec.calls.map((c) => c.request)).toEqual([
      { kind: 'resource', verb: 'list', apiGroup: 'example.com', resource: 'widgets', subresource: '', namespace: '', name: '' },
      { kind: 'path', verb: 'get', path: '/healthz' },
    ]);
  });

  it('authorizer.requestResource is the request: its group, resource, subresource, namespace and name', () => {
    const rec = recording();
    const a = new AuthorizerValue(rec.authorize, user('jane'), REQUEST);
    expect(cel("authorizer.requestResource.check('custom-verb').allowed()", a)).toEqual({ ok: true, value: true });
    expect(rec.calls[0]?.request).toEqual({ kind: 'resource', verb: 'custom-verb', apiGroup: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'shop', name: 'web' });
    // Its builders refine it like any ResourceCheck.
    cel("authorizer.requestResource.name('other').check('get')", a);
    expect(rec.calls[1]?.request).toMatchObject({ resource: 'deployments', name: 'other', namespace: 'shop' });
  });

  it('serviceAccount(ns, name) checks as system:serviceaccount:ns:name in its two service-account groups', () => {
    const rec = recording();
    const a = new AuthorizerValue(rec.authorize, user('jane'), REQUEST);
    cel("authorizer.serviceAccount('default', 'myserviceaccount').group('apps').resource('deployments').check('delete').allowed()", a);
    expect(rec.calls[0]?.user).toEqual({ name: 'system:serviceaccount:default:myserviceaccount', groups: ['system:serviceaccounts', 'system:serviceaccounts:default'] });
  });

  it('reports the errors of authz.go: empty path or resource, invalid service account', () => {
    const a = new AuthorizerValue(recording().authorize, user('jane'), REQUEST);
    expect(cel("authorizer.path('')", a)).toEqual({ ok: false, error: 'path must not be empty' });
    expect(cel("authorizer.path('  ')", a)).toEqual({ ok: false, error: 'path must not be empty' });
    expect(cel("authorizer.group('apps').resource('')", a)).toEqual({ ok: false, error: 'resource must not be empty' });
    expect(cel("authorizer.group('apps').resource('  ')", a)).toEqual({ ok: false, error: 'resource must not be empty' });
    expect(cel("authorizer.serviceAccount('not@a#valid!namespace', 'validname')", a)).toEqual({ ok: false, error: 'Invalid service account namespace' });
    // The name is validated first (a DNS subdomain), then the namespace (a DNS label).
    expect(cel("authorizer.serviceAccount('valid.example.com', 'invalid@*name')", a)).toEqual({ ok: false, error: 'Invalid service account name' });
    expect(cel("authorizer.serviceAccount('valid.example.com', 'valid.name')", a)).toEqual({ ok: false, error: 'Invalid service account namespace' });
  });

  it('Decision: allowed, reason, errored, error', () => {
    const a = new AuthorizerValue(authorize, user('dave'), REQUEST);
    const check = "authorizer.group('').resource('secrets').namespace('development').check('get')";
    expect(cel(`${check}.allowed()`, a)).toEqual({ ok: true, value: true });
    expect(cel(`${check}.reason()`, a)).toEqual({ ok: true, value: 'RBAC: allowed by RoleBinding "read-secrets/development" of ClusterRole "secret-reader" to User "dave"' });
    expect(cel(`${check}.errored()`, a)).toEqual({ ok: true, value: false });
    expect(cel(`${check}.error()`, a)).toEqual({ ok: true, value: '' });
    const none = new AuthorizerValue(NO_RBAC_AUTHORIZER, user('dave'), REQUEST);
    expect(cel(`${check}.allowed()`, none)).toEqual({ ok: true, value: false });
    expect(cel(`${check}.errored()`, none)).toEqual({ ok: true, value: true });
    expect(cel(`${check}.error()`, none)).toEqual({ ok: true, value: 'no RBAC objects in the input' });
    // A request without a user (a scanned object) cannot be authorized; a service account can.
    const nobody = new AuthorizerValue(authorize, undefined, REQUEST);
    expect(cel(`${check}.error()`, nobody)).toEqual({ ok: true, value: 'no user on request.' });
    expect(cel("authorizer.serviceAccount('shop', 'ci').group('').resource('pods').namespace('shop').check('list').allowed()", nobody)).toEqual({ ok: true, value: true });
  });

  it('a service account is not in system:authenticated through authorizer.serviceAccount', () => {
    // everyone-authenticated grants secrets to system:authenticated; ServiceAccountInfo.UserInfo has only the SA groups.
    const a = new AuthorizerValue(authorize, user('jane', 'system:authenticated'), REQUEST);
    expect(cel("authorizer.group('').resource('secrets').namespace('shop').check('get').allowed()", a)).toEqual({ ok: true, value: true });
    expect(cel("authorizer.serviceAccount('shop', 'ci').group('').resource('secrets').namespace('shop').check('get').allowed()", a)).toEqual({ ok: true, value: false });
  });

  it('resource() exists only on a GroupCheck: the docs\' serviceAccount(...).resource(...) does not compile', () => {
    const a = new AuthorizerValue(authorize, user('jane'), REQUEST);
    const r = cel("authorizer.serviceAccount('default', 'myserviceaccount').resource('deployments').check('delete').allowed()", a);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/^compile: .*no matching overload.*resource/);
  });

  it('fieldSelector and labelSelector (1.32+) do not change what RBAC answers', () => {
    const rec = recording();
    const a = new AuthorizerValue(rec.authorize, user('jane'), REQUEST);
    expect(cel("authorizer.group('').resource('pods').fieldSelector('spec.nodeName=mynode').labelSelector('app=example').check('list').allowed()", a))
      .toEqual({ ok: true, value: true });
    expect(rec.calls[0]?.request).toEqual({ kind: 'resource', verb: 'list', apiGroup: '', resource: 'pods', subresource: '', namespace: '', name: '' });
    const rbac = new AuthorizerValue(authorize, user('jane'), REQUEST);
    for (const selector of ['', ".fieldSelector('spec.nodeName=n1')", ".labelSelector('app in (a,b)')", ".labelSelector('not a selector ===')"]) {
      expect(cel(`authorizer.group('').resource('pods').namespace('default')${selector}.check('list').allowed()`, rbac)).toEqual({ ok: true, value: true });
    }
    const old = cel("authorizer.group('').resource('pods').fieldSelector('a=b').check('list').allowed()", a, 31);
    expect(old).toEqual({ ok: false, error: 'compile: function fieldSelector is not available before Kubernetes 1.32' });
    expect(cel("authorizer.group('').resource('pods').check('list').allowed()", a, 30)).toEqual({ ok: true, value: true });
  });

  it('a check costs 350000: two fit the per-call limit, three do not', () => {
    const a = new AuthorizerValue(authorize, user('root', 'system:masters'), REQUEST);
    const check = (verb: string): string => `authorizer.path('/healthz').check('${verb}').allowed()`;
    expect(cel(`${check('get')} && ${check('head')}`, a)).toEqual({ ok: true, value: true });
    expect(cel(`${check('get')} && ${check('head')} && ${check('post')}`, a)).toEqual({ ok: false, error: 'operation cancelled: actual cost limit exceeded' });
    const c = compile(check('get'), { variables: ['authorizer'] });
    if (!c.ok) throw new Error(c.error);
    const r = evaluate(c.program, { authorizer: a });
    expect(r.cost).toBeGreaterThanOrEqual(350_000);
    expect(r.cost).toBeLessThan(350_010);
  });
});

// ---------------------------------------------------------------------------------------------
// In ValidatingAdmissionPolicies

function load(text: string, kubeMinor?: number): LoadResult {
  return loadPolicies(docs(text), kubeMinor === undefined ? {} : { kubeMinor });
}

// After the "breakglass" matchCondition of the kubernetes.io admission webhook example, as a VAP.
const BREAKGLASS = `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: rbac-changes.example.com}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - apiGroups: ["rbac.authorization.k8s.io"]
      apiVersions: ["*"]
      operations: ["CREATE", "UPDATE"]
      resources: ["*"]
  matchConditions:
  - name: breakglass
    expression: '!authorizer.group("admissionregistration.k8s.io").resource("validatingadmissionpolicies").name("rbac-changes.example.com").check("breakglass").allowed()'
  validations:
  - expression: "!object.metadata.name.startsWith('system:')"
    message: "system: roles are managed by the platform team"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: rbac-changes-binding}
spec:
  policyName: rbac-changes.example.com
  validationActions: [Deny]
`;

const BREAKGLASS_RBAC = docs(`
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: breakglass}
rules:
- apiGroups: ["admissionregistration.k8s.io"]
  resources: ["validatingadmissionpolicies"]
  resourceNames: ["rbac-changes.example.com"]
  verbs: ["breakglass"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: oncall-breakglass}
subjects: [{kind: Group, name: oncall}]
roleRef: {kind: ClusterRole, name: breakglass}
`);

const SYSTEM_ROLE: JsonObject = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'system:custom' }, rules: [] };

describe('authorizer in a ValidatingAdmissionPolicy', () => {
  const loaded = load(BREAKGLASS);
  const authorizer = rbacAuthorizer(BREAKGLASS_RBAC);

  it('a matchCondition skips the policy for users RBAC allows the custom verb', () => {
    expect(loaded.errors).toEqual([]);
    const oncall = evaluatePolicies({ object: SYSTEM_ROLE, userInfo: { username: 'ann', groups: ['oncall', 'system:authenticated'] } }, { ...loaded, authorizer });
    expect(oncall.allowed).toBe(true);
    expect(oncall.outcomes[0]).toMatchObject({ matched: true, skipped: 'match-condition', failedCondition: 'breakglass' });
    const dev = evaluatePolicies({ object: SYSTEM_ROLE, userInfo: { username: 'bob', groups: ['dev', 'system:authenticated'] } }, { ...loaded, authorizer });
    expect(dev.denial?.message).toBe("ValidatingAdmissionPolicy 'rbac-changes.example.com' with binding 'rbac-changes-binding' denied request: system: roles are managed by the platform team");
  });

  it('without RBAC objects the check errors, so allowed() is false and the policy applies', () => {
    const r = evaluatePolicies({ object: SYSTEM_ROLE, userInfo: { username: 'ann', groups: ['oncall'] } }, loaded);
    expect(r.allowed).toBe(false);
    expect(r.denial?.decision.message).toBe('system: roles are managed by the platform team');
  });

  it('a param names what the user must be allowed to do', () => {
    const policy = load(`
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: may-use-secret}
spec:
  paramKind: {apiVersion: v1, kind: ConfigMap}
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"]}
  validations:
  - expression: "authorizer.group('').resource('secrets').namespace(object.metadata.namespace).name(params.data.secret).check('get').allowed()"
    messageExpression: "'user ' + request.userInfo.username + ' may not read secret ' + params.data.secret"
    reason: Forbidden
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: may-use-secret-binding}
spec:
  policyName: may-use-secret
  validationActions: [Deny]
  paramRef: {name: guarded, namespace: default, parameterNotFoundAction: Deny}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: guarded, namespace: default}
data: {secret: my-configmap}
`);
    expect(policy.errors).toEqual([]);
    const pod = (ns: string): JsonObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: ns }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    // dave reads every secret of development (RoleBinding to secret-reader), nothing in default.
    const set = { ...policy, authorizer };
    const rbac = { ...policy, authorizer: rbacAuthorizer(docs(RBAC)) };
    expect(evaluatePolicies({ object: pod('development'), userInfo: { username: 'dave' } }, rbac).allowed).toBe(true);
    const denied = evaluatePolicies({ object: pod('default'), userInfo: { username: 'dave' } }, rbac);
    expect(denied.denial).toMatchObject({
      message: "ValidatingAdmissionPolicy 'may-use-secret' with binding 'may-use-secret-binding' denied request: user dave may not read secret my-configmap",
      reason: 'Forbidden', code: 403,
    });
    expect(evaluatePolicies({ object: pod('development'), userInfo: { username: 'dave' } }, set).allowed).toBe(false);
  });

  it('authorizer.requestResource checks the request itself, subresource included', () => {
    const rec = recording((_u, r) => ({ decision: r.kind === 'resource' && r.subresource === 'scale' ? 'Allow' : 'NoOpinion', reason: '' }));
    const policy = load(`
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: approve-scale}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: ["apps"], apiVersions: ["v1"], operations: ["UPDATE"], resources: ["deployments/scale"]}
  validations:
  - expression: "authorizer.requestResource.check('approve').allowed()"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: approve-scale-binding}
spec: {policyName: approve-scale, validationActions: [Deny]}
`);
    const scale: JsonObject = { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web', namespace: 'shop' }, spec: { replicas: 3 } };
    const input: EvaluationInput = {
      object: scale, oldObject: scale, operation: 'UPDATE', subResource: 'scale',
      resource: { group: 'apps', version: 'v1', resource: 'deployments' }, userInfo: { username: 'jane', groups: ['dev'] },
    };
    expect(evaluatePolicies(input, { ...policy, authorizer: rec.authorize }).allowed).toBe(true);
    expect(rec.calls).toEqual([{ user: { name: 'jane', groups: ['dev'] }, request: { kind: 'resource', verb: 'approve', apiGroup: 'apps', resource: 'deployments', subresource: 'scale', namespace: 'shop', name: 'web' } }]);
  });

  it('a variable may use authorizer; messageExpression may not (a load error)', () => {
    const text = (message: string): string => `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: v}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["configmaps"]}]
  variables:
  - name: canEscalate
    expression: "authorizer.group('rbac.authorization.k8s.io').resource('clusterroles').check('escalate').allowed()"
  validations:
  - expression: "variables.canEscalate"
    messageExpression: ${JSON.stringify(message)}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: vb}
spec: {policyName: v, validationActions: [Deny]}
`;
    const ok = load(text("'may not escalate'"));
    expect(ok.errors).toEqual([]);
    const cm: JsonObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' } };
    expect(evaluatePolicies({ object: cm, userInfo: { username: 'x', groups: ['system:masters'] } }, ok).allowed).toBe(true);
    expect(evaluatePolicies({ object: cm, userInfo: { username: 'x' } }, ok).denial?.decision.message).toBe('may not escalate');
    const bad = load(text("authorizer.path('/').check('get').reason()"));
    expect(bad.errors).toHaveLength(1);
    expect(bad.errors[0]).toMatchObject({ field: 'spec.validations[0].messageExpression', dropped: false });
    expect(bad.errors[0]?.message).toMatch(/^spec\.validations\[0\]\.messageExpression: Invalid value: .*compilation failed: ERROR: <input>:1:1: .*authorizer/);
  });

  it('authorizer is typed: a misspelt method or a Decision used as the validation does not compile', () => {
    const policy = (expression: string): string => `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: t}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["configmaps"]}]
  validations:
  - expression: ${JSON.stringify(expression)}
`;
    const misspelt = load(policy("authorizer.check('get').allowed()"));
    expect(misspelt.errors.map((e) => e.field)).toEqual(['spec.validations[0].expression']);
    expect(misspelt.errors[0]?.message).toMatch(/compilation failed: ERROR: <input>:1:\d+: .*no matching overload.*Authorizer\.check/);
    const decision = load(policy("authorizer.group('').resource('pods').check('get')"));
    expect(decision.errors.map((e) => e.message)).toEqual([
      `spec.validations[0].expression: Invalid value: "authorizer.group('').resource('pods').check('get')": must evaluate to bool`,
    ]);
    expect(load(policy("authorizer.group('').resource('pods').check('get').allowed()")).errors).toEqual([]);
  });

  it('auditAnnotations are evaluated without authorizer, as in the API server', () => {
    const policy = load(`
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: audit-authz}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["configmaps"]}]
  auditAnnotations:
  - key: who
    valueExpression: "authorizer.path('/healthz').check('get').reason()"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: audit-authz-binding}
spec: {policyName: audit-authz, validationActions: [Deny]}
`);
    expect(policy.errors).toEqual([]);
    const cm: JsonObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' } };
    const r = evaluatePolicies({ object: cm, userInfo: { username: 'x', groups: ['system:masters'] } }, policy);
    expect(r.denial?.decision.message).toBe("expression 'authorizer.path('/healthz').check('get').reason()' resulted in error: no such attribute(s): authorizer");
  });

  it('a variable that uses authorizer works in validations, fails in auditAnnotations (each pass evaluates it anew)', () => {
    const policy = load(`
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: var-authz}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["configmaps"]}]
  variables:
  - name: reason
    expression: "authorizer.path('/healthz').check('get').reason()"
  validations:
  - expression: "variables.reason == ''"
  auditAnnotations:
  - key: reason
    valueExpression: "variables.reason"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: var-authz-binding}
spec: {policyName: var-authz, validationActions: [Deny]}
`);
    const cm: JsonObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' } };
    const r = evaluatePolicies({ object: cm, userInfo: { username: 'x', groups: ['system:masters'] } }, policy);
    expect(r.outcomes[0]?.decisions.map((d) => [d.field, d.message])).toEqual([
      ['spec.auditAnnotations[0].valueExpression', 'expression \'variables.reason\' resulted in error: composited variable "reason" fails to evaluate: no such attribute(s): authorizer'],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// mamori scan --policy and mamori policy test

const dir = mkdtempSync(join(tmpdir(), 'mamori-authz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Pods may only run as a service account that RBAC lets read ConfigMaps in the pod's namespace.
const SA_POLICY = `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: sa-reads-config}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"]}]
  validations:
  - expression: "authorizer.serviceAccount(object.metadata.namespace, object.spec.serviceAccountName).group('').resource('configmaps').namespace(object.metadata.namespace).check('get').allowed()"
    messageExpression: "'service account ' + object.spec.serviceAccountName + ' cannot read config maps'"
`;

const podWith = (name: string, sa: string): string => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: shop}
spec:
  serviceAccountName: ${sa}
  containers: [{name: app, image: app:1}]
`;

describe('scan --policy with authorizer', () => {
  it('answers checks from the RBAC objects of the scanned input, wherever they are', () => {
    writeFileSync(join(dir, 'policy.yaml'), SA_POLICY);
    // The RoleBinding comes in a later file than the pods it grants.
    writeFileSync(join(dir, 'a-pods.yaml'), `${podWith('good', 'reader')}---${podWith('bad', 'nobody')}`);
    writeFileSync(join(dir, 'b-rbac.yaml'), `
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader-view, namespace: shop}
subjects: [{kind: ServiceAccount, name: reader}]
roleRef: {kind: ClusterRole, name: view}
`);
    const { rules, errors } = loadPolicyRules([join(dir, 'policy.yaml')]);
    expect(errors).toEqual([]);
    const report = scanPaths([join(dir, 'a-pods.yaml'), join(dir, 'b-rbac.yaml')], { rules });
    expect(report.errors).toEqual([]);
    expect(report.findings.map((f) => [f.ruleId, f.object.name, f.message])).toEqual([
      ['policy:sa-reads-config', 'bad', "ValidatingAdmissionPolicy 'sa-reads-config' with binding 'mamori.io/implicit-binding' denied request: service account nobody cannot read config maps"],
    ]);
    // Without RBAC objects in the input, no check is allowed.
    const alone = scanPaths([join(dir, 'a-pods.yaml')], { rules });
    expect(alone.findings.map((f) => f.object.name).sort()).toEqual(['bad', 'good']);
  });
});

describe('policy test with rbac', () => {
  it('a suite gives RBAC objects with rbac: (files and inline objects)', () => {
    writeFileSync(join(dir, 'rbac.yaml'), `
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader-view, namespace: shop}
subjects: [{kind: ServiceAccount, name: reader}]
roleRef: {kind: ClusterRole, name: view}
`);
    writeFileSync(join(dir, 'bound.yaml'), `${SA_POLICY}---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: sa-reads-config-binding}
spec: {policyName: sa-reads-config, validationActions: [Deny]}
`);
    writeFileSync(join(dir, 'mamori-test.yaml'), `
policies: [bound.yaml]
rbac:
- rbac.yaml
- apiVersion: rbac.authorization.k8s.io/v1
  kind: RoleBinding
  metadata: {name: writer-edit, namespace: shop}
  subjects: [{kind: ServiceAccount, name: writer}]
  roleRef: {kind: ClusterRole, name: edit}
tests:
- name: reader may
  object: ${JSON.stringify(docs(podWith('p1', 'reader'))[0])}
  expect: admit
- name: writer may (edit aggregates view)
  object: ${JSON.stringify(docs(podWith('p2', 'writer'))[0])}
  expect: admit
- name: nobody may not
  object: ${JSON.stringify(docs(podWith('p3', 'nobody'))[0])}
  expect: deny
  message: service account nobody cannot read config maps
`);
    const result = runSuite(join(dir, 'mamori-test.yaml'));
    expect(result.errors).toEqual([]);
    expect(result.tests.map((t) => [t.name, t.passed, t.actual])).toEqual([
      ['reader may', true, ['admit']],
      ['writer may (edit aggregates view)', true, ['admit']],
      ['nobody may not', true, ['deny']],
    ]);
  });

  it('rbac: without any RBAC object is a suite error', () => {
    writeFileSync(join(dir, 'empty.mamori-test.yaml'), `
policies: [policy.yaml]
rbac: [a-pods.yaml, 3]
tests:
- name: t
  object: ${JSON.stringify(docs(podWith('p1', 'reader'))[0])}
  expect: deny
`);
    const result = runSuite(join(dir, 'empty.mamori-test.yaml'));
    expect(result.errors.map((e) => e.message)).toEqual(['rbac[1]: must be a path (a string) or an inline object with apiVersion and kind']);
    writeFileSync(join(dir, 'empty2.mamori-test.yaml'), `
policies: [policy.yaml]
rbac: [a-pods.yaml]
tests:
- name: t
  object: ${JSON.stringify(docs(podWith('p1', 'reader'))[0])}
  expect: deny
`);
    expect(runSuite(join(dir, 'empty2.mamori-test.yaml')).errors.map((e) => e.message))
      .toEqual(['rbac: no Role, ClusterRole, RoleBinding or ClusterRoleBinding (rbac.authorization.k8s.io) found']);
  });
});
