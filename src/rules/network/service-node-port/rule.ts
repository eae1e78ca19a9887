import { defineRule } from '../../../engine/rule.js';
import { asArray, asObject, asString } from '../../../k8s/object.js';

export const rule = defineRule({
  id: 'service-node-port',
  title: 'Service exposed on every node (NodePort)',
  severity: 'low',
  target: 'object',
  kinds: ['Service'],
  controls: ['NET-1', 'DEV-1'],
  frameworks: {
    nsa: ['Network separation and hardening'],
    kubescape: ['C-0256', 'C-0021'],
  },
  description:
    'A NodePort Service opens its port on every node\'s IP addresses, so the workload is reachable by anyone who can reach any node: other VPC tenants, the office network, or the internet where nodes have public IPs. With the default `externalTrafficPolicy: Cluster` the client address is replaced by a node\'s, which defeats NetworkPolicy rules based on `ipBlock`. NodePorts are often left behind from debugging. (LoadBalancer Services, which also allocate node ports, are checked by service-load-balancer-public.)',
  remediation:
    'Set `spec.type: ClusterIP` and remove `spec.ports[].nodePort`; publish the workload through an Ingress or Gateway that terminates TLS, or through `kubectl port-forward` for debugging. If node ports are required, restrict access to the node port range (30000-32767) with cloud firewall rules.',
  *check({ object }) {
    const spec = asObject(object['spec']);
    if (asString(spec?.['type']) !== 'NodePort') return;
    const ports = asArray(spec?.['ports'])
      .map((p) => asObject(p)?.['nodePort'])
      .filter((p) => typeof p === 'number' || typeof p === 'string');
    const name = asString(asObject(object['metadata'])?.['name']) ?? '';
    const which = ports.length === 0 ? 'a port from the node port range' : `port${ports.length > 1 ? 's' : ''} ${ports.join(', ')}`;
    yield { path: ['spec', 'type'], message: `Service "${name}" is of type NodePort: it opens ${which} on every node's IP addresses` };
  },
});
