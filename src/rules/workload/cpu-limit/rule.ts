import { namespaceOf, type Inventory } from '../../../engine/inventory.js';
import { defineRule } from '../../../engine/rule.js';
import { asArray, asObject } from '../../../k8s/object.js';
import { POD_BEARING_KINDS } from '../../../k8s/pod.js';
import { isFragment } from '../fragments.js';
import { containerRef, defaultsOf, limitsOf, resourcesPath, sets, SIZED_FIELDS } from '../resources.js';

/** Drops the finding when a LimitRange of the namespace, anywhere in the input, fills the limit in. */
function limitDefaulted(namespace: string): (inventory: Inventory) => boolean {
  return (inventory) => defaultsOf(inventory, namespace).limits.has('cpu');
}

export const rule = defineRule({
  id: 'cpu-limit',
  title: 'Container without a CPU limit',
  severity: 'low',
  target: 'pod',
  kinds: POD_BEARING_KINDS,
  context: ['LimitRange'],
  controls: ['CMP-3'],
  frameworks: { nsa: ['Resource policies'], kubescape: ['C-0270', 'C-0050'] },
  optional: true,
  description:
    'Off by default. CPU is compressible: a container that has a CPU request is guaranteed that share under contention, and one without a limit can only use cycles nobody else has requested, so a missing CPU limit does not starve neighbours the way a missing memory limit does. CPU limits, on the other hand, throttle a container through CFS quotas even when the node is idle, which adds latency spikes; many teams omit them on purpose. Turn this rule on where a hard cap matters: multi-tenant namespaces, untrusted code (crypto-mining), or a ResourceQuota on limits.cpu, which rejects pods without one. A limit filled in by a LimitRange (default or max of type Container) in the same namespace of the input, or a pod-level `spec.resources.limits.cpu`, counts as set. Incomplete objects that only patch a base elsewhere (a pod template without containers or with a container without an image, as in Kustomize strategic-merge patches) are not checked, since a field they leave out may be set in the base.',
  remediation:
    'Set `resources.limits.cpu` on every container and init container, or give the namespace a LimitRange with a `default` CPU limit.',
  *check({ loaded, spec, specPath }) {
    if (isFragment(spec) || sets(limitsOf(spec), 'cpu')) return;
    let namespace: string | undefined;
    let unless: ((inventory: Inventory) => boolean) | undefined;
    for (const field of SIZED_FIELDS) {
      const list = asArray(spec[field]);
      for (let index = 0; index < list.length; index++) {
        const container = asObject(list[index]);
        if (container === undefined || sets(limitsOf(container), 'cpu')) continue;
        const ns = (namespace ??= namespaceOf(loaded) ?? 'default');
        unless ??= limitDefaulted(ns);
        const ref = containerRef(container, field, index, specPath);
        const kind = field === 'initContainers' ? 'init container' : 'container';
        yield {
          path: resourcesPath(ref, 'limits', 'cpu'),
          message: `${kind} "${ref.name}" has no CPU limit (resources.limits.cpu is not set and no LimitRange of namespace "${ns}" in the input gives a default)`,
          unless,
        };
      }
    }
  },
});
