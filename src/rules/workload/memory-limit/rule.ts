import { defineRule } from '../../../engine/rule.js';
import { POD_BEARING_KINDS } from '../../../k8s/pod.js';
import { missingLimits } from '../resources.js';

export const rule = defineRule({
  id: 'memory-limit',
  title: 'Container without a memory limit',
  severity: 'medium',
  target: 'pod',
  kinds: POD_BEARING_KINDS,
  context: ['LimitRange'],
  controls: ['CMP-3'],
  frameworks: { nsa: ['Resource policies'], kubescape: ['C-0271', 'C-0004', 'C-0009'] },
  description:
    'Memory cannot be throttled, only reclaimed by killing. A container without a memory limit can grow until the node runs out: a leak, a cache without bounds or an attacker feeding it a decompression bomb then gets neighbouring pods evicted or OOM-killed and can take the kubelet down with them. Unlike CPU, a memory limit costs nothing while the container stays within it, so every container should have one. Init containers count. A limit filled in by a LimitRange (default or max of type Container) in the same namespace of the input, or a pod-level `spec.resources.limits.memory`, counts as set. Incomplete objects that only patch a base elsewhere (a pod template without containers or with a container without an image, as in Kustomize strategic-merge patches) are not checked, since a field they leave out may be set in the base.',
  remediation:
    'Set `resources.limits.memory` on every container and init container (commonly equal to `resources.requests.memory`, which gives a predictable Guaranteed or Burstable pod), or give the namespace a LimitRange with a `default` memory limit.',
  check: ({ loaded, spec, specPath }, ctx) => missingLimits(loaded, spec, specPath, 'memory', ctx),
});
