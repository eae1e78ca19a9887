import { namespaceOf, type Inventory } from '../../../engine/inventory.js';
import { defineRule } from '../../../engine/rule.js';
import { asArray, asObject, detach } from '../../../k8s/object.js';
import { POD_BEARING_KINDS } from '../../../k8s/pod.js';
import type { JsonObject } from '../../../types.js';
import { isFragment } from '../fragments.js';
import { sharedFunction, type SharedFunctions } from '../../shared.js';
import {
  containerRef,
  defaultsOf,
  describeResources,
  limitsOf,
  RESOURCES,
  requestsOf,
  resourcesPath,
  sets,
  SIZED_FIELDS,
  type Resource,
} from '../resources.js';

type List = JsonObject | undefined;

const CPU: readonly Resource[] = ['cpu'];
const MEMORY: readonly Resource[] = ['memory'];

/** The API server copies a limit into a missing request; pod-level resources cover every container. */
function requested(resource: Resource, requests: List, limits: List, podRequests: List, podLimits: List): boolean {
  return sets(requests, resource) || sets(limits, resource) || sets(podRequests, resource) || sets(podLimits, resource);
}

const MISSING: SharedFunctions<(inventory: Inventory) => string | null> = new WeakMap();

/**
 * The finding's message once the LimitRange defaults of the namespace anywhere in the input are
 * applied, naming the unrequested resources they leave without a request; null when none is left.
 */
function missingRequests(kind: string, name: string, namespace: string, unrequested: readonly Resource[]): (inventory: Inventory) => string | null {
  return (inventory) => {
    const defaults = defaultsOf(inventory, namespace).requests;
    const missing = unrequested.filter((r) => !defaults.has(r));
    if (missing.length === 0) return null;
    return `${kind} "${name}" requests ${missing.length === 1 ? 'no' : 'neither'} ${describeResources(missing).replace(' and ', ' nor ')} (resources.requests${missing.length === 1 ? `.${missing[0] ?? ''}` : ''} is not set and no LimitRange of namespace "${namespace}" in the input gives a default)`;
  };
}

export const rule = defineRule({
  id: 'resource-requests',
  title: 'Container without CPU or memory requests',
  severity: 'low',
  target: 'pod',
  kinds: POD_BEARING_KINDS,
  context: ['LimitRange'],
  controls: ['CMP-3'],
  frameworks: { nsa: ['Resource policies'], kubescape: ['C-0268', 'C-0269', 'C-0004', 'C-0050'] },
  description:
    'The scheduler places pods by their requests. A container that requests nothing is packed onto nodes as if it were free, so nodes are overcommitted; when memory runs short the kubelet evicts pods without requests first, and a ResourceQuota on requests.cpu or requests.memory rejects such pods outright. A limit without a request is fine: the API server copies the limit into the request. Init containers count, since the pod is scheduled on the largest of them. Requests filled in by a LimitRange (defaultRequest, default, max or min of type Container) in the same namespace of the input count as set. Incomplete objects that only patch a base elsewhere (a pod template without containers or with a container without an image, as in Kustomize strategic-merge patches) are not checked, since a field they leave out may be set in the base.',
  remediation:
    'Set `resources.requests.cpu` and `resources.requests.memory` on every container and init container to what it uses under normal load (for example from its metrics), or give the namespace a LimitRange with `defaultRequest` values.',
  *check({ loaded, spec, specPath }, ctx) {
    if (isFragment(spec)) return;
    const podRequests = requestsOf(spec);
    const podLimits = limitsOf(spec);
    let namespace: string | undefined;
    for (const field of SIZED_FIELDS) {
      const list = asArray(spec[field]);
      for (let index = 0; index < list.length; index++) {
        const container = asObject(list[index]);
        if (container === undefined) continue;
        const requests = requestsOf(container);
        const limits = limitsOf(container);
        const cpu = !requested('cpu', requests, limits, podRequests, podLimits);
        const memory = !requested('memory', requests, limits, podRequests, podLimits);
        if (!cpu && !memory) continue;
        const ns = (namespace ??= namespaceOf(loaded) ?? 'default');
        const ref = containerRef(container, field, index, specPath);
        const kind = field === 'initContainers' ? 'init container' : 'container';
        const unrequested = cpu && memory ? RESOURCES : cpu ? CPU : MEMORY;
        // A LimitRange anywhere in the input may fill some of them in, which changes the message.
        const resolve = sharedFunction(MISSING, ctx, [kind, ns, ...unrequested, ref.name], () => missingRequests(kind, detach(ref.name), ns, unrequested));
        yield { path: resourcesPath(ref, 'requests'), message: '', resolve };
      }
    }
  },
});
