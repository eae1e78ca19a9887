import { namespaceOf, type Inventory } from '../../../engine/inventory.js';
import { defineRule } from '../../../engine/rule.js';
import { asArray, asObject } from '../../../k8s/object.js';
import { POD_BEARING_KINDS } from '../../../k8s/pod.js';
import { isFragment } from '../fragments.js';
import { containerRef, defaultsOf, limitsOf, resourcesPath, sets, SIZED_FIELDS } from '../resources.js';

/** Drops the finding when a LimitRange of the namespace, anywhere in the input, fills the limit in. */
function limitDefaulted(namespace: string): (inventory: Inventory) => boolean {
  return (inventory) => defaultsOf(inventory, namespace).limits.has('memory');
}

export const rule = defineRule({
  id: 'memory-limit',
  title: 'Container without a memory limit',
  severity: 'medium',
  target: 'pod',
  kinds: POD_BEARING_KINDS,
  context: ['LimitRange'],
  controls: ['CMP-3'],
  frameworks: { nsa: ['Resource policies'], kubescape: ['C-0271', 'C-0004'] },
  description:
    'Memory cannot be throttled, only reclaimed by killing. A container without a memory limit can grow until the node runs out: a leak, a cache without bounds or an attacker feeding it a decompression bomb then gets neighbouring pods evicted or OOM-killed and can take the kubelet down with them. Unlike CPU, a memory limit costs nothing while the container stays within it, so every container should have one. Init containers count. A limit filled in by a LimitRange (default or max of type Container) in the same namespace of the input, or a pod-level `spec.resources.limits.memory`, counts as set. Incomplete objects that only patch a base elsewhere (a pod template without containers or with a container without an image, as in Kustomize strategic-merge patches) are not checked, since a field they leave out may be set in the base.',
  remediation:
    'Set `resources.limits.memory` on every container and init container (commonly equal to `resources.requests.memory`, which gives a predictable Guaranteed or Burstable pod), or give the namespace a LimitRange with a `default` memory limit.',
  *check({ loaded, spec, specPath }) {
    if (isFragment(spec) || sets(limitsOf(spec), 'memory')) return;
    let namespace: string | undefined;
    let unless: ((inventory: Inventory) => boolean) | undefined;
    for (const field of SIZED_FIELDS) {
      const list = asArray(spec[field]);
      for (let index = 0; index < list.length; index++) {
        const container = asObject(list[index]);
        if (container === undefined || sets(limitsOf(container), 'memory')) continue;
        const ns = (namespace ??= namespaceOf(loaded) ?? 'default');
        unless ??= limitDefaulted(ns);
        const ref = containerRef(container, field, index, specPath);
        const kind = field === 'initContainers' ? 'init container' : 'container';
        yield {
          path: resourcesPath(ref, 'limits', 'memory'),
          message: `${kind} "${ref.name}" has no memory limit (resources.limits.memory is not set and no LimitRange of namespace "${ns}" in the input gives a default)`,
          unless,
        };
      }
    }
  },
});
