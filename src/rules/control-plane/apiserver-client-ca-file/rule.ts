import { defineFlagRule, requirePresent } from '../define.js';

export const rule = defineFlagRule({
  id: 'apiserver-client-ca-file',
  cis: '1.2.25',
  component: 'kube-apiserver',
  title: 'API server accepts no client certificates',
  severity: 'medium',
  controls: ['ACC-4', 'ACC-2'],
  kubescape: ['C-0139'],
  nsa: ['Authentication and authorization'],
  description:
    'The client CA lets the API server verify certificate-based identities: kubelets, the controller manager, the scheduler and administrators. Without it those components fall back to other credentials (often long-lived tokens) or cannot authenticate at all.',
  remediation:
    'Set `--client-ca-file` on kube-apiserver to the CA bundle that signs client certificates (e.g. `/etc/kubernetes/pki/ca.crt`).',
  evaluate: (flags) =>
    requirePresent(flags, '--client-ca-file', 'client certificates are not accepted, so components and users authenticate with other, often long-lived, credentials'),
});
