import { defineFlagRule, etcdConfigFile, requireBool } from '../define.js';

export const rule = defineFlagRule({
  id: 'etcd-client-cert-auth',
  cis: '2.2',
  component: 'etcd',
  title: 'etcd does not require client certificates',
  severity: 'high',
  controls: ['ACC-4', 'ACC-2', 'STO-2'],
  kubescape: ['C-0154'],
  nsa: ['Etcd'],
  description:
    'Without `--client-cert-auth=true`, etcd accepts any client that reaches its port. Such a client reads and writes every object of the cluster, Secrets and RBAC included, bypassing the API server\'s authentication, authorization and audit.',
  remediation:
    'Set `--client-cert-auth=true` and `--trusted-ca-file` (the etcd CA) on etcd, and give the API server a client certificate from that CA (`--etcd-certfile`, `--etcd-keyfile`).',
  evaluate: (flags) =>
    etcdConfigFile(flags) ??
    requireBool(flags, '--client-cert-auth', false, true, 'any client that reaches etcd reads and writes every object, Secrets included, without going through the API server'),
});
