import { defineFlagRule, requireBool } from '../define.js';

export const rule = defineFlagRule({
  id: 'apiserver-service-account-lookup',
  cis: '1.2.21',
  component: 'kube-apiserver',
  title: 'API server does not look up service accounts',
  severity: 'medium',
  controls: ['ACC-2', 'ACC-3'],
  kubescape: ['C-0135'],
  nsa: ['Authentication and authorization'],
  description:
    'With `--service-account-lookup=false` the API server validates service account tokens by signature only and does not check that the account (and, for legacy tokens, the token Secret) still exists. Deleting a compromised service account then does not revoke its tokens.',
  remediation:
    'Remove `--service-account-lookup=false` from kube-apiserver or set it to `true` (the default).',
  evaluate: (flags) =>
    requireBool(flags, '--service-account-lookup', true, true, 'tokens of deleted service accounts stay valid until they expire'),
});
