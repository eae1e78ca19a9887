import { defineRule } from '../../../engine/rule.js';
import { asArray, asObject, asString } from '../../../k8s/object.js';
import type { JsonObject, Path } from '../../../types.js';

/** Annotations that make a cloud load balancer internal (reachable from the private network only). */
const INTERNAL: readonly (readonly [string, (value: string) => boolean])[] = [
  // The in-tree AWS provider treats any value but "false" as internal (older docs used "0.0.0.0/0").
  ['service.beta.kubernetes.io/aws-load-balancer-internal', (v) => v !== '' && v !== 'false'],
  ['service.beta.kubernetes.io/aws-load-balancer-scheme', (v) => v === 'internal'],
  ['networking.gke.io/load-balancer-type', (v) => v === 'internal'],
  ['cloud.google.com/load-balancer-type', (v) => v === 'internal'],
  ['service.beta.kubernetes.io/azure-load-balancer-internal', (v) => v === 'true'],
  ['service.beta.kubernetes.io/oci-load-balancer-internal', (v) => v === 'true'],
  ['service.beta.kubernetes.io/openstack-internal-load-balancer', (v) => v === 'true'],
  ['service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type', (v) => v === 'intranet'],
  ['service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type', (v) => v === 'private'],
  ['load-balancer.hetzner.cloud/disable-public-network', (v) => v === 'true'],
];

const SOURCE_RANGES = 'service.beta.kubernetes.io/load-balancer-source-ranges';

/** The annotation that made the load balancer internal, if any. */
function internalBy(annotations: JsonObject, spec: JsonObject | undefined): string | undefined {
  for (const [key, internal] of INTERNAL) {
    const value = asString(annotations[key]);
    if (value !== undefined && internal(value.trim().toLowerCase())) return key;
  }
  // The AWS Load Balancer Controller (type "external"/"nlb-ip", or its loadBalancerClass) provisions internal NLBs unless the scheme says internet-facing.
  const awsType = asString(annotations['service.beta.kubernetes.io/aws-load-balancer-type'])?.toLowerCase();
  const awsController = awsType === 'external' || awsType === 'nlb-ip' || asString(spec?.['loadBalancerClass']) === 'service.k8s.aws/nlb';
  if (awsController && asString(annotations['service.beta.kubernetes.io/aws-load-balancer-scheme']) === undefined) return 'service.beta.kubernetes.io/aws-load-balancer-type';
  return undefined;
}

function isAnywhere(cidr: string): boolean {
  return /\/0$/.test(cidr.trim());
}

function portsText(spec: JsonObject | undefined): string {
  const ports = asArray(spec?.['ports'])
    .map((p) => asObject(p)?.['port'])
    .filter((p) => typeof p === 'number');
  if (ports.length === 0) return 'its ports';
  return `port${ports.length > 1 ? 's' : ''} ${ports.slice(0, 5).join(', ')}${ports.length > 5 ? ', …' : ''}`;
}

export const rule = defineRule({
  id: 'service-load-balancer-public',
  title: 'Public LoadBalancer without source ranges',
  severity: 'medium',
  target: 'object',
  kinds: ['Service'],
  controls: ['NET-1', 'DEV-1'],
  frameworks: {
    nsa: ['Network separation and hardening'],
    kubescape: ['C-0256', 'C-0021'],
  },
  description:
    'A LoadBalancer Service makes the cloud provision a load balancer with a public address; without `spec.loadBalancerSourceRanges` (or with `0.0.0.0/0`) anyone on the internet can connect to the workload\'s ports, and scanners find new load balancers within minutes. Admin consoles, databases and metrics endpoints published this way are a classic initial-access path. Internal load balancers (the cloud\'s internal annotations, e.g. `service.beta.kubernetes.io/aws-load-balancer-internal`, `networking.gke.io/load-balancer-type: Internal`, `service.beta.kubernetes.io/azure-load-balancer-internal`) are reachable from the private network only and are not reported, nor are load balancers limited by source ranges.',
  remediation:
    'List the client networks in `spec.loadBalancerSourceRanges` (e.g. `[203.0.113.0/24]`), or make the load balancer internal with the cloud\'s annotation, or publish HTTP workloads through an Ingress or Gateway that terminates TLS and change this Service to `type: ClusterIP`.',
  *check({ object }) {
    const spec = asObject(object['spec']);
    if (asString(spec?.['type']) !== 'LoadBalancer') return;
    const metadata = asObject(object['metadata']);
    const annotations = asObject(metadata?.['annotations']) ?? {};
    if (internalBy(annotations, spec) !== undefined) return;
    const name = asString(metadata?.['name']) ?? '';
    const ranges = asArray(spec?.['loadBalancerSourceRanges']);
    let path: Path = ['spec', 'type'];
    let why = 'has no loadBalancerSourceRanges';
    if (ranges.length > 0) {
      // The field takes precedence over the annotation.
      const open = ranges.findIndex((r) => typeof r === 'string' && isAnywhere(r));
      if (open < 0) return;
      path = ['spec', 'loadBalancerSourceRanges', open];
      why = `allows source range ${String(ranges[open])}`;
    } else {
      const annotated = asString(annotations[SOURCE_RANGES]);
      if (annotated !== undefined && annotated.trim() !== '') {
        if (!annotated.split(',').some(isAnywhere)) return;
        path = ['metadata', 'annotations', SOURCE_RANGES];
        why = `allows every address in annotation ${SOURCE_RANGES}`;
      }
    }
    yield { path, message: `Service "${name}" of type LoadBalancer ${why}: its public load balancer accepts connections to ${portsText(spec)} from anywhere on the internet` };
  },
});
