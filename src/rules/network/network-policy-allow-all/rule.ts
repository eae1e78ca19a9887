import { defineRule } from '../../../engine/rule.js';
import { asArray, asObject, asString } from '../../../k8s/object.js';
import { formatSelector, parseLabelSelector } from '../../../k8s/selectors.js';
import { effectiveTypes, isKubernetesNetworkPolicy } from '../netpol.js';

function isAnywhere(cidr: string): boolean {
  return /\/0$/.test(cidr.trim());
}

export const rule = defineRule({
  id: 'network-policy-allow-all',
  title: 'NetworkPolicy allows all ingress',
  severity: 'low',
  target: 'object',
  kinds: ['NetworkPolicy'],
  controls: ['NET-1', 'DEV-1'],
  frameworks: {
    nsa: ['Network policies'],
  },
  description:
    'NetworkPolicy allows are unions: one ingress rule with neither `from` nor `ports` (`ingress: [{}]`) allows every source on every port to the pods the policy selects, whatever other policies say, and silently cancels a namespace\'s default deny when the policy selects every pod. An `ipBlock` of `0.0.0.0/0` or `::/0` without `except` and without `ports` does the same for every address outside the cluster (and, depending on the network plugin, inside it). Such rules are often left from debugging ("make it work") and turn isolation off while the policy still looks like a control; where a pod is public on purpose, they still open every port (metrics, admin) rather than the one it serves. Low severity on its own: the pods are chosen explicitly, and a select-all allow rule that cancels a default deny is also reported as medium by namespace-default-deny-ingress.',
  remediation:
    'Replace the rule with the peers that need access (`from: [{podSelector: …}]`, `namespaceSelector` with the caller\'s namespace label, or the ipBlock of the load balancer or office network) and the `ports` they use; if the pods really serve everyone (a public ingress controller), keep the open source but list the `ports`.',
  *check({ object }) {
    if (!isKubernetesNetworkPolicy(object)) return;
    const spec = asObject(object['spec']);
    if (spec === undefined || !effectiveTypes(spec).ingress) return;
    const selector = parseLabelSelector(spec['podSelector'], 'everything');
    if (selector.nothing) return;
    const metadata = asObject(object['metadata']);
    const name = asString(metadata?.['name']) ?? '';
    const namespace = asString(metadata?.['namespace']) ?? 'default';
    const pods = selector.everything ? `every pod of namespace "${namespace}"` : `the pods matching ${formatSelector(selector)}`;
    for (const [i, raw] of asArray(spec['ingress']).entries()) {
      const rule = asObject(raw);
      if (rule === undefined || asArray(rule['ports']).length > 0) continue;
      const peers = asArray(rule['from']);
      if (peers.length === 0) {
        yield { path: ['spec', 'ingress', i], message: `NetworkPolicy "${name}" ingress[${i}] has neither from nor ports: it allows every source on every port to ${pods}` };
        continue;
      }
      for (const [j, peer] of peers.entries()) {
        const block = asObject(asObject(peer)?.['ipBlock']);
        const cidr = asString(block?.['cidr']);
        if (cidr === undefined || !isAnywhere(cidr) || asArray(block?.['except']).length > 0) continue;
        yield { path: ['spec', 'ingress', i, 'from', j, 'ipBlock', 'cidr'], message: `NetworkPolicy "${name}" ingress[${i}] allows ${cidr.trim()} on every port: any address may connect to ${pods}` };
        break;
      }
    }
  },
});
