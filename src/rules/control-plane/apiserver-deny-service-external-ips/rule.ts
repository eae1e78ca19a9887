import { defineFlagRule, requirePlugin } from '../define.js';

export const rule = defineFlagRule({
  id: 'apiserver-deny-service-external-ips',
  cis: '1.2.3',
  component: 'kube-apiserver',
  title: 'Service externalIPs are not denied',
  severity: 'medium',
  controls: ['ACC-1', 'NET-1'],
  kubescape: ['C-0283'],
  nsa: ['Control plane hardening'],
  description:
    'Any user who may create or update a Service can set `spec.externalIPs` to an arbitrary address; kube-proxy then captures traffic for that address on every node, so a tenant can intercept connections meant for other services or external hosts (CVE-2020-8554). The DenyServiceExternalIPs admission plugin rejects new external IPs.',
  remediation:
    'Add `DenyServiceExternalIPs` to `--enable-admission-plugins` on kube-apiserver (or restrict `spec.externalIPs` with a ValidatingAdmissionPolicy if some Services legitimately need them).',
  evaluate: (flags) =>
    requirePlugin(flags, 'DenyServiceExternalIPs', true, 'anyone who may create or update a Service can set spec.externalIPs and capture traffic for those addresses (CVE-2020-8554)'),
});
