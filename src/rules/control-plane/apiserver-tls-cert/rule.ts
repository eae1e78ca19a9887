import { defineFlagRule, requireAll } from '../define.js';

export const rule = defineFlagRule({
  id: 'apiserver-tls-cert',
  cis: '1.2.24',
  component: 'kube-apiserver',
  title: 'API server has no serving certificate',
  severity: 'medium',
  controls: ['ACC-4'],
  kubescape: ['C-0138'],
  nsa: ['Control plane hardening'],
  description:
    'Without `--tls-cert-file` and `--tls-private-key-file` the API server generates a self-signed certificate at start. Clients cannot verify it, so they either fail or are configured to skip verification, which exposes their credentials to anyone who can intercept the connection.',
  remediation:
    'Set `--tls-cert-file` and `--tls-private-key-file` on kube-apiserver to a certificate issued by the cluster CA for all API server names and addresses (e.g. `/etc/kubernetes/pki/apiserver.{crt,key}`).',
  evaluate: (flags) =>
    requireAll(flags, ['--tls-cert-file', '--tls-private-key-file'], 'the API server serves a self-signed certificate it generates itself, which clients cannot verify'),
});
