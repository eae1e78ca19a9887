import { defineFlagRule, requirePlugin } from '../define.js';

export const rule = defineFlagRule({
  id: 'apiserver-node-restriction',
  cis: '1.2.14',
  component: 'kube-apiserver',
  title: 'NodeRestriction admission plugin not enabled',
  severity: 'high',
  controls: ['ACC-2', 'ACC-1'],
  kubescape: ['C-0127'],
  nsa: ['Authentication and authorization'],
  description:
    'NodeRestriction limits what a kubelet may change: only its own Node object and the pods bound to it, and not the node labels that steer workloads. Without it the credentials of one compromised node can relabel nodes to attract sensitive pods, delete other nodes or modify their pods. It is not in the default plugin set.',
  remediation:
    'Add `NodeRestriction` to `--enable-admission-plugins` on kube-apiserver and keep `Node` in `--authorization-mode`.',
  evaluate: (flags) =>
    requirePlugin(flags, 'NodeRestriction', true, "a kubelet's credentials can modify other nodes and their pods and set labels that attract workloads"),
});
