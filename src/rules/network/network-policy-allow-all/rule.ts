import { defineRule } from '../../../engine/rule.js';
import { asObject, asString } from '../../../k8s/object.js';
import { formatSelector, parseLabelSelector } from '../../../k8s/selectors.js';
import { addressesReach, blockText, effectiveTypes, egressReach, isKubernetesNetworkPolicy, openingsOf } from '../netpol.js';

export const rule = defineRule({
  id: 'network-policy-allow-all',
  title: 'NetworkPolicy allows all ingress or egress',
  severity: 'low',
  target: 'object',
  kinds: ['NetworkPolicy'],
  controls: ['NET-1', 'DEV-1'],
  frameworks: {
    nsa: ['Network policies'],
  },
  description:
    'NetworkPolicy allows are unions: one ingress rule without `ports` that admits a whole class of sources opens every port of the pods the policy selects to them, whatever other policies say, and silently cancels a namespace\'s default deny when the policy selects every pod. Such rules are: no `from` at all (`ingress: [{}]`, every source); a peer `namespaceSelector: {}` without podSelector or with `podSelector: {}` (every pod of every namespace, though no source outside the cluster); an `ipBlock` of `0.0.0.0/0` or `::/0` (every address outside the cluster and, depending on the network plugin, inside it), with no `except` or only ranges no wider than /8. Egress is judged for policies that select every pod of the namespace (`podSelector: {}`): an egress rule without `ports` that has no `to`, or an `ipBlock` of `0.0.0.0/0` or `::/0` as above, lets every pod of the namespace, including any added later, reach the internet and, unless an `except` range holds 169.254.169.254 (for `::/0`, EC2\'s IPv6 endpoint `fd00:ec2::254`), the cloud metadata endpoint and its instance credentials; it cancels the namespace\'s default deny egress. A workload\'s own policy that allows it all egress is a deliberate choice and not reported. Such rules are often left from debugging ("make it work") and turn isolation off while the policy still looks like a control; where a pod is public on purpose, they still open every port (metrics, admin) rather than the one it serves. Rules that list `ports` open only those ports and are not reported. Low severity on its own: the pods are chosen explicitly, and a select-all rule that cancels a default deny is also reported on the Namespace, as medium by namespace-default-deny-ingress and low by namespace-default-deny-egress.',
  remediation:
    'Replace the rule with the peers that need access (`from: [{podSelector: …}]`, `namespaceSelector` with the caller\'s namespace label, or the ipBlock of the load balancer or office network) and the `ports` they use; if the pods really serve everyone (a public ingress controller), keep the open source but list the `ports`. For egress, move broad allows from select-all policies to the workloads that need them (`podSelector` of those pods), list the destinations and `ports`, and add `169.254.169.254/32` to the `except` of any remaining `0.0.0.0/0` block (`fd00:ec2::254/128` to that of a `::/0` block).',
  *check({ object }) {
    if (!isKubernetesNetworkPolicy(object)) return;
    const spec = asObject(object['spec']);
    if (spec === undefined) return;
    const types = effectiveTypes(spec);
    const selector = parseLabelSelector(spec['podSelector'], 'everything');
    if (selector.nothing) return;
    const metadata = asObject(object['metadata']);
    const name = asString(metadata?.['name']) ?? '';
    const namespace = asString(metadata?.['namespace']) ?? 'default';
    const pods = selector.everything ? `every pod of namespace "${namespace}"` : `the pods matching ${formatSelector(selector)}`;
    // One finding per rule and kind of opening (per address family for egress, where only IPv4
    // holds the metadata endpoint): the first peer of each kind in the rule.
    const seen = new Set<string>();
    const first = (direction: string, rule: number, kind: string): boolean => {
      const key = `${direction}/${rule}/${kind}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    };
    if (types.ingress) {
      for (const opening of openingsOf(spec, 'Ingress')) {
        if (!first('ingress', opening.rule, opening.kind)) continue;
        const at = `NetworkPolicy "${name}" ingress[${opening.rule}]`;
        const message =
          opening.kind === 'all'
            ? `${at} has neither from nor ports: it allows every source on every port to ${pods}`
            : opening.kind === 'cluster'
              ? `${at} allows namespaceSelector: {} on every port: any pod of any namespace may connect to ${pods} (the peer admits no source outside the cluster)`
              : `${at} allows ${blockText(opening)} on every port: ${addressesReach(opening)} may connect to ${pods}`;
        yield { path: opening.path, message };
      }
    }
    // A workload's own policy may well allow it every destination; a select-all one opens the whole namespace.
    if (types.egress && selector.everything) {
      for (const opening of openingsOf(spec, 'Egress')) {
        if (!first('egress', opening.rule, opening.kind === 'addresses' && opening.ipv6 ? 'ipv6' : opening.kind)) continue;
        const at = `NetworkPolicy "${name}" egress[${opening.rule}]`;
        const message =
          opening.kind === 'addresses'
            ? `${at} allows ${blockText(opening)} on every port: ${pods} may connect to ${egressReach(opening)}`
            : `${at} has neither to nor ports: it allows ${pods} to connect on every port to ${egressReach(opening)}`;
        yield { path: opening.path, message };
      }
    }
  },
});
