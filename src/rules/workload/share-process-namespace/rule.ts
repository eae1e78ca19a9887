import { defineRule } from '../../../engine/rule.js';
import { POD_BEARING_KINDS } from '../../../k8s/pod.js';

export const rule = defineRule({
  id: 'share-process-namespace',
  title: 'Pod shares one process namespace',
  severity: 'medium',
  target: 'pod',
  kinds: POD_BEARING_KINDS,
  controls: ['CMP-1'],
  frameworks: { nsa: ['Kubernetes Pod security'] },
  description:
    'With `shareProcessNamespace: true` every container of the pod sees every other container\'s processes. Through /proc/<pid>/environ and /proc/<pid>/root a compromised sidecar reads the application\'s environment (credentials included) and its filesystem, and with the same user id it can signal or ptrace them; the pause process also stops being PID 1 of each container. The isolation between containers of the pod, which sidecars from third parties rely on, is gone.',
  remediation:
    'Remove `spec.shareProcessNamespace` (or set it to `false`). If one container must signal another (for example a config reloader), prefer a mechanism that does not expose every process: an HTTP reload endpoint, or a shared `emptyDir` the application watches.',
  *check({ spec, specPath }) {
    if (spec['shareProcessNamespace'] !== true) return;
    yield {
      path: [...specPath, 'shareProcessNamespace'],
      message: 'pod sets shareProcessNamespace: true, so its containers see and can read each other\'s processes, environment and files',
    };
  },
});
