import { KUBELET_STRONG_CIPHERS, defineKubeletRule, requireStrongCiphers } from '../define.js';
import { kubeletSetting } from '../../../k8s/control-plane/kubelet.js';
import { asArray } from '../../../k8s/object.js';

export const rule = defineKubeletRule({
  id: 'kubelet-tls-cipher-suites',
  cis: '4.2.12',
  title: 'Kubelet allows weak TLS cipher suites',
  severity: 'low',
  controls: ['ACC-4'],
  kubescape: ['C-0184'],
  nsa: ['Authentication and authorization'],
  description:
    'Unless `tlsCipherSuites` narrows them, TLS 1.2 clients of the kubelet can negotiate Go\'s default suites, which still include CBC-mode suites with SHA-1 MACs. Limiting the kubelet to AEAD suites with forward secrecy (or to TLS 1.3) removes the weakest options.',
  remediation:
    'Set `tlsCipherSuites` in the KubeletConfiguration to a subset of TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, or set `tlsMinVersion: VersionTLS13`.',
  evaluate: (config) => {
    const list = asArray(config['tlsCipherSuites']).flatMap((v, i) => (typeof v === 'string' ? [{ element: v, path: ['tlsCipherSuites', i] }] : []));
    const min = kubeletSetting(config, 'tlsMinVersion');
    return requireStrongCiphers(list, 'tlsCipherSuites', typeof min.value === 'string' ? min.value : undefined, 'tlsMinVersion', KUBELET_STRONG_CIPHERS, ['tlsCipherSuites']);
  },
});
