import { defineFlagRule, requirePresent } from '../define.js';

export const rule = defineFlagRule({
  id: 'apiserver-service-account-key-file',
  cis: '1.2.22',
  component: 'kube-apiserver',
  title: 'No service account verification key',
  severity: 'low',
  controls: ['ACC-4', 'ACC-3'],
  kubescape: ['C-0136'],
  nsa: ['Authentication and authorization'],
  description:
    'Service account tokens are verified with the public keys of `--service-account-key-file`. Without it the API server falls back to keys meant for other purposes (the serving key of `--tls-private-key-file`), so rotating the serving certificate silently invalidates tokens and the two keys cannot be protected and rotated separately.',
  remediation:
    'Set `--service-account-key-file` on kube-apiserver to the public key (or keys, during rotation) matching `--service-account-signing-key-file`, e.g. `/etc/kubernetes/pki/sa.pub`.',
  evaluate: (flags) =>
    requirePresent(flags, '--service-account-key-file', 'service account tokens are verified with a key meant for something else (the serving key) or not at all'),
});
