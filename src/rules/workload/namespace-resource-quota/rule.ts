import { defineRule } from '../../../engine/rule.js';
import { asObject } from '../../../k8s/object.js';
import { namespaceIndex } from '../namespaces.js';

export const rule = defineRule({
  id: 'namespace-resource-quota',
  title: 'Namespace without a ResourceQuota',
  severity: 'medium',
  target: 'inventory',
  context: ['Namespace', 'ResourceQuota'],
  controls: ['CMP-3'],
  frameworks: { nsa: ['Resource policies'] },
  description:
    'Without a ResourceQuota nothing caps what a namespace may consume in total: a runaway HorizontalPodAutoscaler, a CronJob that piles up Jobs, or a stolen deploy token that scales a Deployment to thousands of replicas (or creates LoadBalancer Services and volumes) exhausts the cluster for every other team. Limits on single containers do not bound the number of pods. Reported only for Namespace objects that are in the input and in which the input runs workloads, since only then does the input own the namespace.',
  remediation:
    'Add a ResourceQuota to the namespace with `spec.hard` caps on at least `requests.cpu`, `requests.memory`, `limits.memory` and `pods` (and `services.loadbalancers`, `services.nodeports`, `persistentvolumeclaims`, `requests.storage` as the namespace needs), sized to what its workloads use with headroom for rollouts.',
  *check({ inventory }) {
    const populated = inventory.workloadNamespaces();
    for (const [name, entry] of namespaceIndex(inventory)) {
      if (!populated.has(name)) continue;
      const quotas = inventory.inNamespace('ResourceQuota', name);
      const effective = quotas.some((q) => Object.keys(asObject(asObject(q.object['spec'])?.['hard']) ?? {}).length > 0);
      if (effective) continue;
      yield {
        target: entry.loaded,
        path: ['metadata', 'name'],
        message:
          quotas.length === 0
            ? `namespace "${name}" runs workloads but has no ResourceQuota in the input`
            : `namespace "${name}" runs workloads but its ResourceQuota sets no spec.hard caps`,
      };
    }
  },
});
