import { defineFlagRule, requireLoopback } from '../define.js';

export const rule = defineFlagRule({
  id: 'controller-manager-bind-address',
  cis: '1.3.7',
  component: 'kube-controller-manager',
  title: 'Controller manager listens on all interfaces',
  severity: 'medium',
  controls: ['ACC-1', 'NET-1'],
  kubescape: ['C-0150'],
  nsa: ['Control plane hardening'],
  description:
    'Without `--bind-address`, the controller manager serves its secure port (10257: health, metrics, debug endpoints) on 0.0.0.0, reachable from every network the node is on. Only localhost needs it on a kubeadm-style control plane. kube-bench passes when the flag is absent although the default is 0.0.0.0.',
  remediation:
    'Set `--bind-address=127.0.0.1` on kube-controller-manager (and scrape metrics through the API server or a local agent).',
  evaluate: (flags) =>
    requireLoopback(flags, 'port 10257 (health, metrics and debug endpoints) is reachable from every network of the node'),
});
