import { defineRule } from '../../../engine/rule.js';
import { namespacesWithoutDefaultDeny, POLICY_KINDS } from '../netpol.js';

export const rule = defineRule({
  id: 'namespace-default-deny-egress',
  title: 'Namespace without egress control',
  severity: 'low',
  target: 'inventory',
  context: [...POLICY_KINDS, 'Namespace'],
  controls: ['NET-1', 'DEV-1'],
  frameworks: {
    cis: ['5.3.2'],
    nsa: ['Network policies'],
    kubescape: ['C-0030'],
  },
  description:
    'Pods may open connections anywhere until a NetworkPolicy isolates them for egress. Without a namespace-wide default deny egress (a policy with `podSelector: {}` and `Egress` in its policyTypes), a compromised container can reach the cloud metadata endpoint (instance credentials), the API server, databases of other teams and the internet (exfiltration, command and control). A select-all policy cancels the default deny with an egress rule that lists no `ports` and has no `to` (every destination) or an `ipBlock` of `0.0.0.0/0` or `::/0` (every address, with no `except` or only ranges no wider than /8); an `except` holding 169.254.169.254 (for `::/0`, `fd00:ec2::254`) keeps the metadata endpoint out, but every pod of the namespace still reaches the internet, so it is still reported, with what it allows. A `namespaceSelector: {}` peer (every pod of the cluster, nothing outside it) does not cancel it. Lower severity than ingress: egress control is a second line of defence and often needs per-workload allow rules before it can be turned on. Reported on Namespace objects in the input, except kube-system, kube-public and kube-node-lease; not when the input holds cluster-wide policies (Cilium clusterwide, Calico global, AdminNetworkPolicy) or Calico policies in the namespace.',
  remediation:
    'Add to the namespace a NetworkPolicy with `spec.podSelector: {}` and `spec.policyTypes: [Egress]` (or `[Ingress, Egress]`) and no `egress` rules, plus a select-all policy allowing DNS (UDP and TCP 53 to the cluster DNS pods); then allow each workload\'s destinations with its own policy. Remove from select-all policies the `egress` rules without `ports` whose `to` is empty or an ipBlock of `0.0.0.0/0` or `::/0`; allow the internet only to the workloads that need it, with `169.254.169.254/32` in the `except` of their ipBlock.',
  check: ({ inventory }) => namespacesWithoutDefaultDeny(inventory, 'Egress'),
});
