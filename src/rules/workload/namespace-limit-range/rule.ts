import { defineRule } from '../../../engine/rule.js';
import { asArray, asObject, asString } from '../../../k8s/object.js';
import { namespaceIndex } from '../namespaces.js';

export const rule = defineRule({
  id: 'namespace-limit-range',
  title: 'Namespace without a LimitRange for containers',
  severity: 'low',
  target: 'inventory',
  context: ['Namespace', 'LimitRange'],
  controls: ['CMP-3'],
  frameworks: { nsa: ['Resource policies'] },
  description:
    'A LimitRange of type Container gives every container that forgets its requests and limits sane defaults, and caps what a single container may ask for, so one oversized or unbounded pod cannot take a node or the whole namespace quota. Without one, each new workload is only as bounded as its author remembered to make it (the memory-limit and resource-requests rules report the containers that are unbounded today). A LimitRange with only PersistentVolumeClaim or Pod items does not default containers. Reported only for Namespace objects that are in the input and in which the input runs workloads.',
  remediation:
    'Add a LimitRange to the namespace with an item of `type: Container` that sets `defaultRequest` (cpu, memory), `default` (at least memory) and `max`.',
  *check({ inventory }) {
    const populated = inventory.workloadNamespaces();
    for (const [name, entry] of namespaceIndex(inventory)) {
      if (!populated.has(name)) continue;
      const ranges = inventory.inNamespace('LimitRange', name);
      const forContainers = ranges.some((r) =>
        asArray(asObject(r.object['spec'])?.['limits']).some((item) => asString(asObject(item)?.['type']) === 'Container'),
      );
      if (forContainers) continue;
      yield {
        target: entry.loaded,
        path: ['metadata', 'name'],
        message:
          ranges.length === 0
            ? `namespace "${name}" runs workloads but has no LimitRange in the input`
            : `namespace "${name}" runs workloads but none of its LimitRanges has an item of type Container`,
      };
    }
  },
});
