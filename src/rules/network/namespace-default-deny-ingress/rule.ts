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
    'Kubernetes allows all traffic to a pod until a NetworkPolicy selects it. Without a namespace-wide default deny (a policy with `podSelector: {}` and `Ingress` in its policyTypes), every workload that lacks its own policy (a new Deployment, a debug pod, a chart added later) is reachable from every pod of the cluster, so a single compromised container can probe and attack it. A select-all policy whose ingress rule has neither `from` nor `ports` allows everything and cancels the default deny. Reported on Namespace objects in the input (the team owns them), except kube-system, kube-public and kube-node-lease; not when the input holds cluster-wide policies (Cilium clusterwide, Calico global, AdminNetworkPolicy) or Calico policies in the namespace.',
  remediation:
    'Add to the namespace a NetworkPolicy with `spec.podSelector: {}` and `spec.policyTypes: [Ingress]` and no `ingress` rules (or `[Ingress, Egress]` for a deny-all), then allow each workload\'s callers with a policy of its own. Remove `ingress` rules that have neither `from` nor `ports` from select-all policies.',
  check: ({ inventory }) => namespacesWithoutDefaultDeny(inventory, 'Ingress'),
});
