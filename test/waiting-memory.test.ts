/** Findings that wait for the whole input: how many are held, and that merged waits decide as before. */
import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { MAX_WAITING, maxWaitingFor, scanObjects, scanTexts } from '../src/engine/scan.js';
import { RULES } from '../src/rules/index.js';
import type { JsonObject } from '../src/types.js';

const MB = 2 ** 20;

/** A pod with `n` containers that set nothing (no resources, no ServiceAccount settings). */
function barePod(name: string, n = 1, namespace = 'shop'): JsonObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace }, spec: { containers: Array.from({ length: n }, (_, i) => ({ name: `c${i}`, image: 'nginx:1' })) } };
}

const only = (...ids: string[]): typeof RULES => RULES.filter((r) => ids.includes(r.id));

describe('the most findings that wait for the whole input', () => {
  it('is a quarter of the heap at 650 bytes each, at most 2,000,000', () => {
    expect(maxWaitingFor(0)).toBe(0);
    expect(maxWaitingFor(1_000)).toBe(0);
    // node --max-old-space-size=1024 and 2048 (V8 adds the young generation: 1,072 and 2,096 MB).
    expect(maxWaitingFor(1_072 * MB)).toBe(432_335);
    expect(maxWaitingFor(2_096 * MB)).toBe(845_313);
    // The default heap of a machine with 16 GB or more.
    expect(maxWaitingFor(4_144 * MB)).toBe(1_671_268);
    expect(maxWaitingFor(64 * 1024 * MB)).toBe(2_000_000);
    expect(MAX_WAITING).toBe(maxWaitingFor(getHeapStatistics().heap_size_limit));
  });

  it('decides the first ones and counts the others in an error', () => {
    // memory-limit waits once per container: a LimitRange of the namespace may set a default.
    const pods = [barePod('a', 3), barePod('b', 4)];
    const full = scanObjects(pods, { rules: only('memory-limit') });
    expect(full.findings).toHaveLength(7);
    const capped = scanObjects(pods, { rules: only('memory-limit'), maxWaiting: 5 });
    expect(capped.findings).toEqual(full.findings.slice(0, 5));
    expect(capped.errors).toEqual([
      { file: '', message: '2 findings that depend on other objects were not decided: more than 5 were waiting for the whole input; scan fewer files at a time', code: 'too-many-findings' },
    ]);
  });

  it('holds one entry per container for resource-requests, and one per pod for the ServiceAccount rules', () => {
    const pods = [barePod('a', 2), barePod('b', 2)];
    const rules = only('resource-requests', 'automount-service-account-token', 'default-service-account');
    // 2 pods × (2 containers + 2 ServiceAccount findings).
    const full = scanObjects(pods, { rules });
    expect(full.findings).toHaveLength(8);
    expect(scanObjects(pods, { rules, maxWaiting: 8 })).toEqual(full);
    expect(scanObjects(pods, { rules, maxWaiting: 7 }).errors.map((e) => e.message)).toEqual([
      '1 finding that depends on other objects was not decided: more than 7 were waiting for the whole input; scan fewer files at a time',
    ]);
  });
});

describe('waiting findings decided by what the rest of the input holds', () => {
  const messages = (text: string, ...ids: string[]): string[] => scanTexts([{ file: 'in.yaml', text }], { rules: only(...ids) }).findings.map((f) => `${f.ruleId}: ${f.message}`);
  const pod = 'apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n  containers: [{name: app, image: "nginx:1"}]\n';
  const limitRange = (defaults: string): string => `---\napiVersion: v1\nkind: LimitRange\nmetadata: {name: lr, namespace: shop}\nspec:\n  limits: [{type: Container, defaultRequest: {${defaults}}}]\n`;

  it('names the requests no LimitRange of the input fills in', () => {
    const tail = 'is not set and no LimitRange of namespace "shop" in the input gives a default)';
    expect(messages(pod, 'resource-requests')).toEqual([`resource-requests: container "app" requests neither CPU nor memory (resources.requests ${tail}`]);
    expect(messages(pod + limitRange('cpu: 100m'), 'resource-requests')).toEqual([`resource-requests: container "app" requests no memory (resources.requests.memory ${tail}`]);
    expect(messages(limitRange('memory: 64Mi') + '---\n' + pod, 'resource-requests')).toEqual([`resource-requests: container "app" requests no CPU (resources.requests.cpu ${tail}`]);
    expect(messages(pod + limitRange('cpu: 100m, memory: 64Mi'), 'resource-requests')).toEqual([]);
  });

  it('says whether the ServiceAccount is in the input, and what it sets', () => {
    const head = 'automount-service-account-token: pod gets an API token of ServiceAccount "default" mounted automatically: automountServiceAccountToken is not set on the pod';
    const account = (extra: string): string => `---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: shop}\n${extra}`;
    expect(messages(pod, 'automount-service-account-token')).toEqual([head]);
    expect(messages(pod + account(''), 'automount-service-account-token')).toEqual([`${head} nor on the ServiceAccount`]);
    expect(messages(pod + account('automountServiceAccountToken: true\n'), 'automount-service-account-token')).toEqual([]);
    const projected = pod.replace('  containers:', '  volumes: [{name: t, projected: {sources: [{serviceAccountToken: {path: token}}]}}]\n  containers:');
    const runs = 'default-service-account: pod runs as the "default" ServiceAccount of namespace "shop" (no serviceAccountName) and';
    expect(messages(projected, 'default-service-account')).toEqual([`${runs} its token is auto-mounted`]);
    expect(messages(projected + account('automountServiceAccountToken: false\n'), 'default-service-account')).toEqual([`${runs} a projected serviceAccountToken volume gives it the token`]);
    expect(messages(pod + account('automountServiceAccountToken: false\n'), 'default-service-account')).toEqual([]);
  });

  it('blames the Namespace label or the workload label of an untrusted pod', () => {
    const labelled = pod.replace('metadata: {name: web, namespace: shop}', 'metadata: {name: web, namespace: shop, labels: {mamori.io/untrusted: "true"}}');
    const namespace = '---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {mamori.io/untrusted: "true"}}\n';
    const tail = ", but the pod sets no runtimeClassName and runs on the node's default runtime, sharing its kernel";
    expect(messages(pod, 'untrusted-workload-sandbox')).toEqual([]);
    expect(messages(labelled, 'untrusted-workload-sandbox')).toEqual([`untrusted-workload-sandbox: the workload is labelled mamori.io/untrusted${tail}`]);
    expect(messages(labelled + namespace, 'untrusted-workload-sandbox')).toEqual([`untrusted-workload-sandbox: namespace "shop" is labelled mamori.io/untrusted${tail}`]);
    const sandboxed = labelled.replace('spec:\n', 'spec:\n  runtimeClassName: secure\n') + '---\napiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata: {name: secure}\nhandler: runsc\n';
    expect(messages(sandboxed + namespace, 'untrusted-workload-sandbox')).toEqual([]);
  });

  it('shares a decision only between pods that agree on every value it depends on', () => {
    // Namespace "a/b" with the default ServiceAccount, and namespace "a" with ServiceAccount "b/default":
    // joined with "/", both would read "a/b/default".
    const first = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p1, namespace: a/b}\nspec:\n  containers: [{name: app, image: "nginx:1"}]\n';
    const second = '---\napiVersion: v1\nkind: Pod\nmetadata: {name: p2, namespace: a}\nspec:\n  serviceAccountName: b/default\n  containers: [{name: app, image: "nginx:1"}]\n';
    const head = 'automount-service-account-token: pod gets an API token of ServiceAccount';
    const tail = 'mounted automatically: automountServiceAccountToken is not set on the pod';
    expect(messages(first + second, 'automount-service-account-token')).toEqual([
      `${head} "default" ${tail}`,
      `${head} "b/default" ${tail}, and no RoleBinding or ClusterRoleBinding in the input grants that ServiceAccount anything`,
    ]);
  });

  it('finds a ServiceAccount by its namespace and name, never by the two joined', () => {
    // The default ServiceAccount of namespace "a/b" turns automount off and is bound; the pod in
    // namespace "a" runs as ServiceAccount "b/default", which the input does not have.
    const account = 'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: a/b}\nautomountServiceAccountToken: false\n';
    const binding = '---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: a/b}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}\nsubjects: [{kind: ServiceAccount, name: default, namespace: a/b}]\n';
    const pod = '---\napiVersion: v1\nkind: Pod\nmetadata: {name: p2, namespace: a}\nspec:\n  serviceAccountName: b/default\n  containers: [{name: app, image: "nginx:1"}]\n';
    expect(messages(account + binding + pod, 'automount-service-account-token')).toEqual([
      'automount-service-account-token: pod gets an API token of ServiceAccount "b/default" mounted automatically: automountServiceAccountToken is not set on the pod, and no RoleBinding or ClusterRoleBinding in the input grants that ServiceAccount anything',
    ]);
  });
});
