import { defineFlagRule, shown } from '../define.js';
import { flagValue } from '../../../k8s/control-plane/flags.js';

export const rule = defineFlagRule({
  id: 'controller-manager-service-account-private-key-file',
  cis: '1.3.4',
  component: 'kube-controller-manager',
  title: 'Controller manager token signing key has no value',
  severity: 'low',
  controls: ['ACC-4', 'ACC-3'],
  kubescape: ['C-0147'],
  nsa: ['Authentication and authorization'],
  description:
    'The controller manager signs legacy service account token Secrets with `--service-account-private-key-file`. When the flag is absent that token controller does not run (bound tokens are signed by the API server), which is safe; a flag without a usable value, however, breaks service account token handling, and CIS 1.3.4 expects the key to be set.',
  remediation:
    'Set `--service-account-private-key-file` on kube-controller-manager to the private key matching the API server\'s `--service-account-key-file` (e.g. `/etc/kubernetes/pki/sa.key`), or remove the flag if legacy token Secrets are not used.',
  evaluate: (flags) => {
    const occurrence = flagValue(flags, '--service-account-private-key-file');
    if (occurrence === undefined) {
      return { fail: false, message: '--service-account-private-key-file is not set: the controller that fills legacy token Secrets does not run (bound tokens are signed by the API server)' };
    }
    if (occurrence.value.trim() === '' || occurrence.value === 'true') {
      return { fail: true, message: '--service-account-private-key-file has no value: the controller manager cannot sign service account tokens', path: occurrence.path };
    }
    return { fail: false, message: shown(occurrence) };
  },
});
