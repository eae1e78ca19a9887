import { defineRule } from '../../../engine/rule.js';
import { POD_BEARING_KINDS } from '../../../k8s/pod.js';
import { missingLimits } from '../resources.js';

export const rule = defineRule({
  id: 'cpu-limit',
  title: 'Container without a CPU limit',
  severity: 'low',
  target: 'pod',
  kinds: POD_BEARING_KINDS,
  context: ['LimitRange'],
  controls: ['CMP-3'],
  frameworks: { nsa: ['Resource policies'], kubescape: ['C-0270', 'C-0050', 'C-0009'] },
  optional: true,
  description:
    'Off by default. CPU is compressible: a container that has a CPU request is guaranteed that share under contention, and one without a limit can only use cycles nobody else has requested, so a missing CPU limit does not starve neighbours the way a missing memory limit does. CPU limits, on the other hand, throttle a container through CFS quotas even when the node is idle, which adds latency spikes; many teams omit them on purpose. Turn this rule on where a hard cap matters: multi-tenant namespaces, untrusted code (crypto-mining), or a ResourceQuota on limits.cpu, which rejects pods without one. A limit filled in by a LimitRange (default or max of type Container) in the same namespace of the input, or a pod-level `spec.resources.limits.cpu`, counts as set. Incomplete objects that only patch a base elsewhere (a pod template without containers or with a container without an image, as in Kustomize strategic-merge patches) are not checked, since a field they leave out may be set in the base.',
  remediation:
    'Set `resources.limits.cpu` on every container and init container, or give the namespace a LimitRange with a `default` CPU limit.',
  check: ({ loaded, spec, specPath }, ctx) => missingLimits(loaded, spec, specPath, 'cpu', ctx),
});
