import { defineFlagRule, etcdConfigFile, requireBool } from '../define.js';

export const rule = defineFlagRule({
  id: 'etcd-peer-client-cert-auth',
  cis: '2.5',
  component: 'etcd',
  title: 'etcd does not authenticate its peers',
  severity: 'medium',
  controls: ['ACC-4', 'STO-2'],
  kubescape: ['C-0157'],
  nsa: ['Etcd'],
  description:
    'Without `--peer-client-cert-auth=true`, etcd accepts peer connections without a certificate from the peer CA. A host that reaches the peer port can talk to the cluster as a member and receive replicated data.',
  remediation:
    'Set `--peer-client-cert-auth=true` and `--peer-trusted-ca-file` on every etcd member.',
  evaluate: (flags) =>
    etcdConfigFile(flags) ??
    requireBool(flags, '--peer-client-cert-auth', false, true, 'hosts that reach the peer port are not required to present a peer certificate'),
});
