import { defineFlagRule, etcdConfigFile, requireBool } from '../define.js';

export const rule = defineFlagRule({
  id: 'etcd-auto-tls',
  cis: '2.3',
  component: 'etcd',
  title: 'etcd uses self-signed client TLS',
  severity: 'medium',
  controls: ['ACC-4'],
  kubescape: ['C-0155'],
  nsa: ['Etcd'],
  description:
    'With `--auto-tls=true` etcd generates a self-signed certificate for client connections. Clients cannot verify it, so they skip verification and an attacker who can redirect traffic to etcd can impersonate it.',
  remediation:
    'Remove `--auto-tls` from etcd (or set it to `false`) and configure `--cert-file` and `--key-file` with a certificate signed by the etcd CA.',
  evaluate: (flags) =>
    etcdConfigFile(flags) ??
    requireBool(flags, '--auto-tls', false, false, 'etcd serves clients a self-signed certificate that they cannot verify'),
});
