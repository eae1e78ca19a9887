import { defineFlagRule, etcdConfigFile, requireAll } from '../define.js';

export const rule = defineFlagRule({
  id: 'etcd-cert-file',
  cis: '2.1',
  component: 'etcd',
  title: 'etcd serves clients without TLS',
  severity: 'high',
  controls: ['ACC-4', 'STO-2'],
  kubescape: ['C-0153'],
  nsa: ['Etcd'],
  description:
    'Without `--cert-file` and `--key-file`, etcd serves its clients (the API server) over plain HTTP. Every object the API server reads or writes, Secrets included, crosses the network in clear text and can be altered in transit.',
  remediation:
    'Set `--cert-file` and `--key-file` on etcd to a serving certificate signed by the etcd CA (e.g. `/etc/kubernetes/pki/etcd/server.{crt,key}`) and use `https://` in `--listen-client-urls` and `--advertise-client-urls`.',
  evaluate: (flags) =>
    etcdConfigFile(flags) ??
    requireAll(flags, ['--cert-file', '--key-file'], 'client traffic to etcd, every Secret included, is not protected by TLS'),
});
