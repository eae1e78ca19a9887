import { defineRule } from '../../../engine/rule.js';
import { asObject } from '../../../k8s/object.js';
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

/** What the namespace's quotas (`count` of them, setting the hard keys `keys`) leave uncapped. */
function uncapped(count: number, keys: readonly string[]): string {
  if (count === 0) return 'has no ResourceQuota in the input';
  const quotas = count === 1 ? 'its ResourceQuota' : 'its ResourceQuotas';
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
    'Without a ResourceQuota nothing caps what a namespace may consume in total: a runaway HorizontalPodAutoscaler, a CronJob that piles up Jobs, or a stolen deploy token that scales a Deployment to thousands of replicas (or creates LoadBalancer Services and volumes) exhausts the cluster for every other team. Limits on single containers do not bound the number of pods. A ResourceQuota counts when its `spec.hard` caps compute (`cpu`, `memory`, `ephemeral-storage`, `hugepages-*`, `limits.*`, `requests.*` other than `requests.storage`) or `pods`; one that caps only object counts (`count/configmaps`, `services`, `secrets`) or PersistentVolumeClaim storage leaves what the pods consume unbounded. Reported only for Namespace objects that are in the input and in which the input runs workloads, since only then does the input own the namespace.',
  remediation:
    'Add a ResourceQuota to the namespace with `spec.hard` caps on at least `requests.cpu`, `requests.memory`, `limits.memory` and `pods` (and `services.loadbalancers`, `services.nodeports`, `persistentvolumeclaims`, `requests.storage` as the namespace needs), sized to what its workloads use with headroom for rollouts.',
  *check({ inventory }) {
    const populated = inventory.workloadNamespaces();
    for (const [name, entry] of namespaceIndex(inventory)) {
      if (!populated.has(name)) continue;
      const quotas = inventory.inNamespace('ResourceQuota', name);
      const keys = quotas.flatMap((q) => Object.keys(asObject(asObject(q.object['spec'])?.['hard']) ?? {}));
      if (keys.some(capsCompute)) continue;
      yield { target: entry.loaded, path: ['metadata', 'name'], message: `namespace "${name}" runs workloads but ${uncapped(quotas.length, keys)}` };
    }
  },
});
