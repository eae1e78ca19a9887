import { defineFlagRule, etcdConfigFile, requireBool } from '../define.js';

export const rule = defineFlagRule({
  id: 'etcd-peer-auto-tls',
  cis: '2.6',
  component: 'etcd',
  title: 'etcd peers use self-signed TLS',
  severity: 'medium',
  controls: ['ACC-4'],
  kubescape: ['C-0158'],
  nsa: ['Etcd'],
  description:
    'With `--peer-auto-tls=true` etcd members generate self-signed peer certificates at start. Members cannot verify each other, so anyone who can reach the peer network can pose as a member.',
  remediation:
    'Remove `--peer-auto-tls` from etcd (or set it to `false`) and configure `--peer-cert-file`, `--peer-key-file` and `--peer-trusted-ca-file`.',
  evaluate: (flags) =>
    etcdConfigFile(flags) ??
    requireBool(flags, '--peer-auto-tls', false, false, 'members use self-signed peer certificates that other members cannot verify'),
});
