import { defineFlagRule, requireBool } from '../define.js';

export const rule = defineFlagRule({
  id: 'apiserver-service-account-extend-token-expiration',
  cis: '1.2.30',
  component: 'kube-apiserver',
  title: 'Service account tokens extended to a year',
  severity: 'low',
  controls: ['ACC-2', 'ACC-3'],
  nsa: ['Authentication and authorization'],
  kubescape: ['C-0290'],
  description:
    'With `--service-account-extend-token-expiration` (on by default) the tokens that admission injects into pods are issued valid for up to a year instead of their nominal lifetime, to ease the migration from legacy tokens. A token stolen from a pod therefore stays usable for months.',
  remediation:
    'Set `--service-account-extend-token-expiration=false` on kube-apiserver once workloads use client libraries that reload projected tokens.',
  evaluate: (flags) =>
    requireBool(flags, '--service-account-extend-token-expiration', true, false, 'tokens injected into pods stay valid for up to a year, so a stolen token remains usable for months'),
});
