import { defineFlagRule, requireAll } from '../define.js';

export const rule = defineFlagRule({
  id: 'apiserver-etcd-client-cert',
  cis: '1.2.23',
  component: 'kube-apiserver',
  title: 'API server connects to etcd without a client certificate',
  severity: 'high',
  controls: ['ACC-4', 'STO-2'],
  kubescape: ['C-0137'],
  nsa: ['Control plane hardening'],
  description:
    'etcd holds every object of the cluster, Secrets included. If the API server has no client certificate for etcd, etcd must accept unauthenticated clients, and anyone who can reach its port reads and writes the whole cluster state.',
  remediation:
    'Set `--etcd-certfile` and `--etcd-keyfile` on kube-apiserver to a client certificate signed by the etcd CA (e.g. `/etc/kubernetes/pki/apiserver-etcd-client.{crt,key}`) and require client certificates on etcd (`--client-cert-auth=true`).',
  evaluate: (flags) =>
    requireAll(flags, ['--etcd-certfile', '--etcd-keyfile'], 'the API server presents no client certificate to etcd, so etcd must accept unauthenticated clients'),
});
