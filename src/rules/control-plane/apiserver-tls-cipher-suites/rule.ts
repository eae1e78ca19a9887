import { APISERVER_STRONG_CIPHERS, defineFlagRule, requireStrongCiphers } from '../define.js';
import { flagList, flagValue } from '../../../k8s/control-plane/flags.js';

export const rule = defineFlagRule({
  id: 'apiserver-tls-cipher-suites',
  cis: '1.2.29',
  component: 'kube-apiserver',
  title: 'API server allows weak TLS cipher suites',
  severity: 'low',
  controls: ['ACC-4'],
  kubescape: ['C-0143', 'C-0277'],
  nsa: ['Control plane hardening'],
  description:
    'Unless `--tls-cipher-suites` narrows them, TLS 1.2 clients can negotiate Go\'s default suites, which still include CBC-mode suites with SHA-1 MACs. Limiting the API server to AEAD suites with forward secrecy (or to TLS 1.3) removes the weakest options a downgrade could use.',
  remediation:
    'Set `--tls-cipher-suites` on kube-apiserver to a subset of TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, or set `--tls-min-version=VersionTLS13`.',
  evaluate: (flags) =>
    requireStrongCiphers(
      flagList(flags, '--tls-cipher-suites').map((e) => ({ element: e.element, path: e.occurrence.path })),
      '--tls-cipher-suites',
      flagValue(flags, '--tls-min-version')?.value,
      '--tls-min-version',
      APISERVER_STRONG_CIPHERS,
    ),
});
