import { defineRule } from '../../../engine/rule.js';
import { namespacesWithoutDefaultDeny, POLICY_KINDS } from '../netpol.js';

export const rule = defineRule({
  id: 'namespace-default-deny-ingress',
  title: 'Namespace without default-deny ingress',
  severity: 'medium',
  target: 'inventory',
  context: [...POLICY_KINDS, 'Namespace'],
  controls: ['NET-1', 'DEV-1'],
  frameworks: {
    cis: ['5.3.2'],
    nsa: ['Network policies'],
    kubescape: ['C-0054', 'C-0206', 'C-0049'],
  },
  description:
    'Kubernetes allows all traffic to a pod until a NetworkPolicy selects it. Without a namespace-wide default deny (a policy with `podSelector: {}` and `Ingress` in its policyTypes), every workload that lacks its own policy (a new Deployment, a debug pod, a chart added later) is reachable from every pod of the cluster, so a single compromised container can probe and attack it. A select-all policy cancels the default deny with an ingress rule that lists no `ports` and has no `from` (every source), a `namespaceSelector: {}` peer without podSelector or with `podSelector: {}` (every pod of every namespace, though no source outside the cluster), or an `ipBlock` of `0.0.0.0/0` or `::/0` (every address); the finding names the policy and the rule or peer. Reported on Namespace objects in the input (the team owns them), except kube-system, kube-public and kube-node-lease; not when the input holds cluster-wide policies (Cilium clusterwide, Calico global, AdminNetworkPolicy) or Calico policies in the namespace.',
  remediation:
    'Add to the namespace a NetworkPolicy with `spec.podSelector: {}` and `spec.policyTypes: [Ingress]` and no `ingress` rules (or `[Ingress, Egress]` for a deny-all), then allow each workload\'s callers with a policy of its own. Remove from select-all policies the `ingress` rules without `ports` whose `from` is empty, `namespaceSelector: {}` or `0.0.0.0/0`; allow such callers in the policies of the workloads they call, with the ports they use.',
  check: ({ inventory }) => namespacesWithoutDefaultDeny(inventory, 'Ingress'),
});
