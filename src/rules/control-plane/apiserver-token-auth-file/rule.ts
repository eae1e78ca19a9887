import { defineFlagRule, shown } from '../define.js';
import { flagValue } from '../../../k8s/control-plane/flags.js';

export const rule = defineFlagRule({
  id: 'apiserver-token-auth-file',
  cis: '1.2.2',
  component: 'kube-apiserver',
  title: 'API server accepts static tokens',
  severity: 'high',
  controls: ['ACC-2', 'ACC-1'],
  kubescape: ['C-0114'],
  nsa: ['Authentication and authorization'],
  description:
    'A static token file maps long-lived bearer tokens to users and groups. The tokens never expire, sit in plain text on every control-plane node, and can only be revoked by editing the file and restarting the API server, so a copied token keeps working indefinitely.',
  remediation:
    'Remove `--token-auth-file` from kube-apiserver and authenticate users with OIDC, client certificates or a webhook; delete the token file from the control-plane nodes.',
  evaluate: (flags) => {
    const occurrence = flagValue(flags, '--token-auth-file');
    if (occurrence === undefined) return { fail: false, message: '--token-auth-file is not set' };
    return {
      fail: true,
      message: `${shown(occurrence)} is set: its static bearer tokens never expire and are revoked only by editing the file and restarting the API server`,
      path: occurrence.path,
    };
  },
});
