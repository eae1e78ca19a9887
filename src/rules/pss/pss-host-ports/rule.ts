import { definePssRule } from '../define.js';

export const rule = definePssRule({
  checkId: 'hostPorts',
  id: 'pss-host-ports',
  title: 'Container binds a host port',
  severity: 'medium',
  controls: ['CMP-1', 'DEP-1', 'NET-1'],
  frameworks: { cis: ['5.2.12'], nsa: ['Kubernetes Pod security'], kubescape: ['C-0044', 'C-0204'] },
  description:
    'A hostPort publishes the container on every address of its node, past Services and the NetworkPolicies that select pod traffic, and lets a pod claim a port of the node that other software expects to own. For hostNetwork Pods the API server sets hostPort to containerPort, so every port of such a pod counts.',
  remediation:
    'Remove `ports[].hostPort` (or set it to 0) from containers and init containers, and expose the port through a Service (ClusterIP, NodePort or LoadBalancer) or an Ingress. `mamori fix` has no automatic fix for this: removing a host port changes where the workload can be reached.',
});
