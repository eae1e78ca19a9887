import { defineFlagRule, requireLoopback } from '../define.js';

export const rule = defineFlagRule({
  id: 'scheduler-bind-address',
  cis: '1.4.2',
  component: 'kube-scheduler',
  title: 'Scheduler listens on all interfaces',
  severity: 'medium',
  controls: ['ACC-1', 'NET-1'],
  kubescape: ['C-0152'],
  nsa: ['Control plane hardening'],
  description:
    'Without `--bind-address`, the scheduler serves its secure port (10259: health, metrics, debug endpoints) on 0.0.0.0, reachable from every network the node is on. kube-bench passes when the flag is absent although the default is 0.0.0.0.',
  remediation:
    'Set `--bind-address=127.0.0.1` on kube-scheduler.',
  evaluate: (flags) =>
    requireLoopback(flags, 'port 10259 (health, metrics and debug endpoints) is reachable from every network of the node'),
});
