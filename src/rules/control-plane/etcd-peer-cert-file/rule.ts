import { defineFlagRule, etcdConfigFile, requireAll } from '../define.js';

export const rule = defineFlagRule({
  id: 'etcd-peer-cert-file',
  cis: '2.4',
  component: 'etcd',
  title: 'etcd peers communicate without TLS',
  severity: 'medium',
  controls: ['ACC-4', 'STO-2'],
  kubescape: ['C-0156'],
  nsa: ['Etcd'],
  description:
    'Without `--peer-cert-file` and `--peer-key-file`, etcd members replicate over plain HTTP: the whole cluster state, Secrets included, crosses the network between control-plane nodes in clear text.',
  remediation:
    'Set `--peer-cert-file` and `--peer-key-file` on every etcd member to certificates signed by the etcd peer CA and use `https://` peer URLs.',
  evaluate: (flags) =>
    etcdConfigFile(flags) ??
    requireAll(flags, ['--peer-cert-file', '--peer-key-file'], 'replication traffic between etcd members is not protected by TLS'),
});
