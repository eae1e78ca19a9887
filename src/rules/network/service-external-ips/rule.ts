import { defineRule } from '../../../engine/rule.js';
import { asArray, asObject, asString } from '../../../k8s/object.js';

export const rule = defineRule({
  id: 'service-external-ips',
  title: 'Service sets externalIPs',
  severity: 'medium',
  target: 'object',
  kinds: ['Service'],
  controls: ['NET-1', 'DEP-1'],
  frameworks: {
    nsa: ['Network separation and hardening'],
  },
  description:
    'kube-proxy routes traffic for every address in a Service\'s `spec.externalIPs` to that Service\'s pods, from every node and pod of the cluster, without checking that the address belongs to the Service\'s owner. Whoever can create such a Service can intercept the cluster\'s traffic to any IP address (CVE-2020-8554, a man-in-the-middle that cannot be patched, only prevented). Legitimate use is rare; clusters should enable the DenyServiceExternalIPs admission plugin (CIS 1.2.3), which makes these manifests fail to apply.',
  remediation:
    'Remove `spec.externalIPs`; expose the workload with a LoadBalancer Service (with `loadBalancerSourceRanges`), an Ingress or a Gateway. If an external address is unavoidable, allow only that CIDR with an admission policy (e.g. a ValidatingAdmissionPolicy on `spec.externalIPs`) and enable DenyServiceExternalIPs for everything else.',
  *check({ object }) {
    const ips = asArray(asObject(object['spec'])?.['externalIPs']);
    if (ips.length === 0) return;
    const name = asString(asObject(object['metadata'])?.['name']) ?? '';
    const named = ips.filter((ip): ip is string => typeof ip === 'string');
    const claims = named.length === 0 ? 'sets spec.externalIPs' : `claims external IP${named.length > 1 ? 's' : ''} ${named.slice(0, 3).join(', ')}${named.length > 3 ? ', …' : ''}`;
    yield {
      path: ['spec', 'externalIPs'],
      message: `Service "${name}" ${claims}: every node redirects the cluster's traffic to ${ips.length > 1 ? 'these addresses' : 'that address'} to this Service (CVE-2020-8554)`,
    };
  },
});
