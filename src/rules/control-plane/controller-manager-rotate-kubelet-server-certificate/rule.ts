import { defineFlagRule } from '../define.js';
import { featureGates } from '../../../k8s/control-plane/flags.js';

export const rule = defineFlagRule({
  id: 'controller-manager-rotate-kubelet-server-certificate',
  cis: '1.3.6',
  component: 'kube-controller-manager',
  title: 'Kubelet serving certificate rotation disabled',
  severity: 'medium',
  controls: ['ACC-4'],
  kubescape: ['C-0149'],
  nsa: ['Control plane hardening'],
  description:
    'The RotateKubeletServerCertificate feature gate lets kubelets request their serving certificates through the CertificateSigningRequest API and renew them before expiry. Turned off, kubelets keep self-signed or manually managed certificates that expire or are never rotated after a compromise.',
  remediation:
    'Remove `RotateKubeletServerCertificate=false` from `--feature-gates` on kube-controller-manager (the gate is on by default) or set it to `true`.',
  evaluate: (flags) => {
    const gate = featureGates(flags).get('RotateKubeletServerCertificate');
    if (gate === undefined) return { fail: false, message: '--feature-gates does not set RotateKubeletServerCertificate (on by default)' };
    if (gate.enabled === true) return { fail: false, message: '--feature-gates sets RotateKubeletServerCertificate=true' };
    return { fail: true, message: '--feature-gates turns RotateKubeletServerCertificate off: kubelet serving certificates are not issued and renewed through the API', path: gate.occurrence.path };
  },
});
