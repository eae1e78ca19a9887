import { defineRule } from '../../../engine/rule.js';
import { asArray, asObject, asString } from '../../../k8s/object.js';
import type { JsonObject } from '../../../types.js';
import { namespaceIndex } from '../namespaces.js';

/**
 * Whether a `spec.hard` key caps compute or the number of pods: CPU, memory, ephemeral storage,
 * huge pages and extended resources (`cpu`, `requests.*`, `limits.*`, `hugepages-*`), and `pods`.
 * `requests.storage` sums PersistentVolumeClaims, not what pods run with, and object counts other
 * than pods (`count/configmaps`, `services`, `secrets`) bound no pod's consumption.
 */
function capsCompute(key: string): boolean {
  if (key === 'pods' || key === 'count/pods' || key === 'cpu' || key === 'memory' || key === 'ephemeral-storage') return true;
  if (key.startsWith('hugepages-') || key.startsWith('limits.')) return true;
  return key.startsWith('requests.') && key !== 'requests.storage';
}

/** Scopes that split the pods in two with their complement. */
const COMPLEMENT = new Map([
  ['Terminating', 'NotTerminating'],
  ['NotTerminating', 'Terminating'],
  ['BestEffort', 'NotBestEffort'],
  ['NotBestEffort', 'BestEffort'],
  ['PriorityClass', '!PriorityClass'],
  ['!PriorityClass', 'PriorityClass'],
]);

/**
 * The pods a quota tracks, as the scopes it sets (`spec.scopes` and `spec.scopeSelector`, which
 * the API server ANDs); none for every pod. Scopes that split pods in two are written as
 * `Terminating`, `NotTerminating`, `BestEffort`, `NotBestEffort`, `PriorityClass` (Exists) and
 * `!PriorityClass` (DoesNotExist); others (PriorityClass In or NotIn, CrossNamespacePodAffinity)
 * as written, with their operator and values.
 */
function scopesOf(spec: JsonObject | undefined): string[] {
  const scopes = asArray(spec?.['scopes']).map((scope) => asString(scope) ?? '?');
  for (const expression of asArray(asObject(spec?.['scopeSelector'])?.['matchExpressions'])) {
    const e = asObject(expression);
    const name = asString(e?.['scopeName']) ?? '?';
    const operator = asString(e?.['operator']) ?? '?';
    if (operator === 'Exists') scopes.push(name);
    else if (name === 'PriorityClass' && operator === 'DoesNotExist') scopes.push('!PriorityClass');
    else scopes.push(`${name} ${operator} (${asArray(e?.['values']).map((v) => asString(v) ?? '?').sort().join(', ')})`);
  }
  return [...new Set(scopes)].sort();
}

/**
 * Whether quotas of these scopes (each capping compute or pods) together track every pod: one
 * without scopes, or two of one scope each that complement each other (`Terminating` and
 * `NotTerminating`).
 */
function coversEveryPod(scopes: readonly (readonly string[])[]): boolean {
  if (scopes.some((s) => s.length === 0)) return true;
  const single = new Set(scopes.filter((s) => s.length === 1).map((s) => s[0]!));
  // PriorityClass In and NotIn of the same classes split the pods too (a pod without a class is NotIn).
  const complement = (s: string): string | undefined =>
    COMPLEMENT.get(s) ?? (s.startsWith('PriorityClass In (') ? s.replace('PriorityClass In (', 'PriorityClass NotIn (') : undefined);
  return [...single].some((s) => { const other = complement(s); return other !== undefined && single.has(other); });
}

/** How a scope is written in the message. */
const scopeText = (scope: string): string =>
  scope === 'PriorityClass' ? 'PriorityClass Exists' : scope === '!PriorityClass' ? 'PriorityClass DoesNotExist' : scope;

/** What the namespace's quotas (`count` of them, setting the hard keys `keys`) leave uncapped. */
function uncapped(count: number, keys: readonly string[], scoped: readonly (readonly string[])[]): string {
  if (count === 0) return 'has no ResourceQuota in the input';
  const quotas = count === 1 ? 'its ResourceQuota' : 'its ResourceQuotas';
  if (scoped.length > 0) {
    const which = [...new Set(scoped.map((s) => s.map(scopeText).join(' and ')))].sort().join(', ');
    const capping = scoped.length === 1 ? 'the ResourceQuota that caps' : 'the ResourceQuotas that cap';
    return `${capping} compute or pods ${scoped.length === 1 ? 'tracks' : 'track'} only pods in scope ${which}, so its other pods are uncapped`;
  }
  if (keys.length === 0) return `${quotas} ${count === 1 ? 'sets' : 'set'} no spec.hard caps`;
  return `${quotas} ${count === 1 ? 'caps' : 'cap'} no compute resources or pod count (spec.hard only sets ${[...new Set(keys)].sort().join(', ')})`;
}

export const rule = defineRule({
  id: 'namespace-resource-quota',
  title: 'Namespace without a ResourceQuota',
  severity: 'medium',
  target: 'inventory',
  context: ['Namespace', 'ResourceQuota'],
  controls: ['CMP-3'],
  frameworks: { nsa: ['Resource policies'] },
  description:
    'Without a ResourceQuota nothing caps what a namespace may consume in total: a runaway HorizontalPodAutoscaler, a CronJob that piles up Jobs, or a stolen deploy token that scales a Deployment to thousands of replicas (or creates LoadBalancer Services and volumes) exhausts the cluster for every other team. Limits on single containers do not bound the number of pods. A ResourceQuota counts when its `spec.hard` caps compute (`cpu`, `memory`, `ephemeral-storage`, `hugepages-*`, `limits.*`, `requests.*` other than `requests.storage`) or `pods`; one that caps only object counts (`count/configmaps`, `services`, `secrets`) or PersistentVolumeClaim storage leaves what the pods consume unbounded. A quota with `scopes` or a `scopeSelector` tracks only the pods of its scopes, so scoped quotas count only when they cover every pod together: `Terminating` with `NotTerminating`, `BestEffort` with `NotBestEffort`, `PriorityClass` Exists with DoesNotExist, or In with NotIn of the same classes. Reported only for Namespace objects that are in the input and in which the input runs workloads, since only then does the input own the namespace.',
  remediation:
    'Add a ResourceQuota to the namespace with `spec.hard` caps on at least `requests.cpu`, `requests.memory`, `limits.memory` and `pods` (and `services.loadbalancers`, `services.nodeports`, `persistentvolumeclaims`, `requests.storage` as the namespace needs), sized to what its workloads use with headroom for rollouts.',
  *check({ inventory }) {
    const populated = inventory.workloadNamespaces();
    for (const [name, entry] of namespaceIndex(inventory)) {
      if (!populated.has(name)) continue;
      const quotas = inventory.inNamespace('ResourceQuota', name);
      const keys: string[] = [];
      const scoped: string[][] = [];
      for (const quota of quotas) {
        const spec = asObject(quota.object['spec']);
        const hard = Object.keys(asObject(spec?.['hard']) ?? {});
        keys.push(...hard);
        if (hard.some(capsCompute)) scoped.push(scopesOf(spec));
      }
      if (coversEveryPod(scoped)) continue;
      yield { target: entry.loaded, path: ['metadata', 'name'], message: `namespace "${name}" runs workloads but ${uncapped(quotas.length, keys, scoped)}` };
    }
  },
});
