import { defineKubeletRule, invalidSetting } from '../define.js';
import { kubeletSetting } from '../../../k8s/control-plane/kubelet.js';

export const rule = defineKubeletRule({
  id: 'kubelet-rotate-server-certificate',
  cis: '4.2.11',
  title: 'Kubelet serving certificate rotation disabled',
  severity: 'low',
  controls: ['ACC-4'],
  kubescape: ['C-0183'],
  nsa: ['Authentication and authorization'],
  description:
    'The RotateKubeletServerCertificate feature gate lets the kubelet request and renew its serving certificate through the CertificateSigningRequest API. Turned off, `serverTLSBootstrap` has no effect and the kubelet keeps a self-signed or manually managed serving certificate.',
  remediation:
    'Remove `RotateKubeletServerCertificate: false` from `featureGates` in the KubeletConfiguration (the gate is on by default).',
  evaluate: (config) => {
    const s = kubeletSetting(config, 'featureGates.RotateKubeletServerCertificate');
    const invalid = invalidSetting(s, 'boolean');
    if (invalid !== undefined) return invalid;
    if (s.value !== false) {
      return { fail: false, message: s.set ? `featureGates.RotateKubeletServerCertificate is ${JSON.stringify(s.value)}` : 'featureGates does not set RotateKubeletServerCertificate (on by default)', path: s.path };
    }
    return { fail: true, message: 'featureGates.RotateKubeletServerCertificate is false: the kubelet cannot request and renew its serving certificate through the API', path: s.path };
  },
});
