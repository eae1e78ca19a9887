import { defineFlagRule, requirePresent } from '../define.js';

export const rule = defineFlagRule({
  id: 'apiserver-etcd-cafile',
  cis: '1.2.26',
  component: 'kube-apiserver',
  title: 'API server does not pin the etcd CA',
  severity: 'medium',
  controls: ['ACC-4', 'STO-2'],
  kubescape: ['C-0140'],
  nsa: ['Control plane hardening'],
  description:
    'Without `--etcd-cafile` the API server verifies etcd\'s certificate against the host\'s system trust store. Any certificate a public or corporate CA issues for the etcd address is then accepted, so an attacker who can redirect etcd traffic can serve a fake datastore or read what the API server writes.',
  remediation:
    'Set `--etcd-cafile` on kube-apiserver to the CA that signs etcd\'s serving certificates (e.g. `/etc/kubernetes/pki/etcd/ca.crt`).',
  evaluate: (flags) =>
    requirePresent(flags, '--etcd-cafile', "etcd's certificate is verified against the host's system trust store instead of the etcd CA"),
});
