import { defineRule } from '../../../engine/rule.js';
import { containersOf } from '../../../k8s/pod.js';
import { defaultsOf, describeResources, RESOURCES, resourceLists, resourcesPath, sets, sizedContainers, type Resource } from '../resources.js';
import { completeWorkloads } from '../fragments.js';

export const rule = defineRule({
  id: 'resource-requests',
  title: 'Container without CPU or memory requests',
  severity: 'low',
  target: 'inventory',
  controls: ['CMP-3'],
  frameworks: { nsa: ['Resource policies'], kubescape: ['C-0268', 'C-0269'] },
  description:
    'The scheduler places pods by their requests. A container that requests nothing is packed onto nodes as if it were free, so nodes are overcommitted; when memory runs short the kubelet evicts pods without requests first, and a ResourceQuota on requests.cpu or requests.memory rejects such pods outright. A limit without a request is fine: the API server copies the limit into the request. Init containers count, since the pod is scheduled on the largest of them. Requests filled in by a LimitRange (defaultRequest, default, max or min of type Container) in the same namespace of the input count as set. Incomplete objects that only patch a base elsewhere (a pod template without containers or with a container without an image, as in Kustomize strategic-merge patches) are not checked, since a field they leave out may be set in the base.',
  remediation:
    'Set `resources.requests.cpu` and `resources.requests.memory` on every container and init container to what it uses under normal load (for example from its metrics), or give the namespace a LimitRange with `defaultRequest` values.',
  *check({ inventory }) {
    for (const workload of completeWorkloads(inventory)) {
      const defaults = defaultsOf(inventory, workload.namespace);
      if (defaults.requests.size === RESOURCES.length) continue;
      const pod = resourceLists(workload.pod.spec);
      for (const container of sizedContainers(containersOf(workload.pod.spec, workload.pod.specPath))) {
        const own = resourceLists(container.container);
        const missing: Resource[] = [];
        for (const resource of RESOURCES) {
          // The API server copies a limit into a missing request; pod-level resources cover every container.
          if (sets(own.requests, resource) || sets(own.limits, resource)) continue;
          if (sets(pod.requests, resource) || sets(pod.limits, resource)) continue;
          if (defaults.requests.has(resource)) continue;
          missing.push(resource);
        }
        if (missing.length === 0) continue;
        const kind = container.field === 'initContainers' ? 'init container' : 'container';
        yield {
          target: workload.loaded,
          path: resourcesPath(container, 'requests'),
          message: `${kind} "${container.name}" requests ${missing.length === 1 ? 'no' : 'neither'} ${describeResources(missing).replace(' and ', ' nor ')} (resources.requests${missing.length === 1 ? `.${missing[0] ?? ''}` : ''} is not set and no LimitRange of namespace "${workload.namespace}" in the input gives a default)`,
        };
      }
    }
  },
});
