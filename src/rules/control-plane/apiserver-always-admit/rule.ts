import { defineFlagRule, requirePlugin } from '../define.js';

export const rule = defineFlagRule({
  id: 'apiserver-always-admit',
  cis: '1.2.10',
  component: 'kube-apiserver',
  title: 'API server enables AlwaysAdmit',
  severity: 'low',
  controls: ['ACC-1', 'DEP-1'],
  kubescape: ['C-0122'],
  nsa: ['Control plane hardening'],
  description:
    'AlwaysAdmit is a deprecated plugin that admits every request; it exists only to behave as if admission control were off. Enabling it adds no protection and usually signals an attempt to bypass admission policy.',
  remediation:
    'Remove `AlwaysAdmit` from `--enable-admission-plugins` (and from the legacy `--admission-control`) on kube-apiserver.',
  evaluate: (flags) =>
    requirePlugin(flags, 'AlwaysAdmit', false, 'the deprecated plugin admits every request and only signals an intent to bypass admission control'),
});
