import { defineFlagRule, requirePlugin } from '../define.js';

export const rule = defineFlagRule({
  id: 'apiserver-event-rate-limit',
  cis: '1.2.9',
  component: 'kube-apiserver',
  title: 'API server does not rate-limit events',
  severity: 'low',
  controls: ['ACC-1'],
  kubescape: ['C-0121'],
  nsa: ['Control plane hardening'],
  description:
    'Events are written to etcd like any object. Without the EventRateLimit admission plugin a misbehaving controller or a malicious client can create events as fast as the API server accepts them, filling etcd and slowing down every other request.',
  remediation:
    'Add `EventRateLimit` to `--enable-admission-plugins` on kube-apiserver and point `--admission-control-config-file` at an AdmissionConfiguration with an `EventRateLimit` configuration (limits per server, namespace, user or source+object).',
  evaluate: (flags) =>
    requirePlugin(flags, 'EventRateLimit', true, 'nothing limits how fast clients create Events, which are stored in etcd'),
});
