import { defineFlagRule, requirePresent } from '../define.js';

export const rule = defineFlagRule({
  id: 'apiserver-encryption-provider-config',
  cis: '1.2.27',
  component: 'kube-apiserver',
  title: 'Secrets are not encrypted at rest',
  severity: 'high',
  controls: ['STO-2', 'ACC-1'],
  kubescape: ['C-0066', 'C-0141'],
  nsa: ['Encryption', 'Secrets'],
  description:
    'Without an encryption configuration the API server writes Secrets and every other resource to etcd as plain protobuf (the identity provider). Anyone with read access to etcd, its data directory, its snapshots or its backups reads every token, password and key of the cluster.',
  remediation:
    'Create an EncryptionConfiguration that encrypts at least `secrets` with a `kms` (apiVersion v2) provider, or `secretbox` where no KMS is available, set `--encryption-provider-config` on kube-apiserver to it (mounted read-only), then rewrite existing secrets (`kubectl get secrets -A -o json | kubectl replace -f -`).',
  evaluate: (flags) =>
    requirePresent(flags, '--encryption-provider-config', 'Secrets and all other resources are written to etcd unencrypted'),
});
