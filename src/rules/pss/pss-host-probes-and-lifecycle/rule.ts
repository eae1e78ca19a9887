import { definePssRule } from '../define.js';

export const rule = definePssRule({
  checkId: 'hostProbesAndHostLifecycle',
  id: 'pss-host-probes-and-lifecycle',
  title: 'Probe or lifecycle hook targets a host',
  severity: 'medium',
  controls: ['CMP-1', 'DEP-1'],
  frameworks: { nsa: ['Kubernetes Pod security'] },
  description:
    'The kubelet runs httpGet and tcpSocket probes and lifecycle hooks from the node. A `host` field makes it connect wherever the pod author says: localhost services of the node, the cloud metadata endpoint or other internal hosts. That is server-side request forgery from the node\'s network position, and probe results leak whether those targets answer.',
  remediation:
    'Remove `host` from the `httpGet` and `tcpSocket` handlers of `livenessProbe`, `readinessProbe`, `startupProbe`, `lifecycle.postStart` and `lifecycle.preStop`, so they target the pod\'s own IP. If a virtual host is needed, send a `Host` header through `httpGet.httpHeaders`.',
});
