import { defineKubeletRule } from '../define.js';
import { kubeletSetting } from '../../../k8s/control-plane/kubelet.js';

export const rule = defineKubeletRule({
  id: 'kubelet-tls-cert-file',
  cis: '4.2.9',
  title: 'Kubelet serves a self-signed certificate',
  severity: 'medium',
  controls: ['ACC-4'],
  kubescape: ['C-0181'],
  nsa: ['Authentication and authorization'],
  description:
    'Without `tlsCertFile`/`tlsPrivateKeyFile` or `serverTLSBootstrap: true`, the kubelet generates a self-signed serving certificate. The API server and other clients cannot verify it, so they skip verification and a host that intercepts node traffic can impersonate the kubelet.',
  remediation:
    'Set `serverTLSBootstrap: true` in the KubeletConfiguration and approve the kubelet-serving CSRs (or set `tlsCertFile` and `tlsPrivateKeyFile` to a certificate from the cluster CA), then set `--kubelet-certificate-authority` on the API server.',
  evaluate: (config) => {
    const cert = kubeletSetting(config, 'tlsCertFile');
    const key = kubeletSetting(config, 'tlsPrivateKeyFile');
    const bootstrap = kubeletSetting(config, 'serverTLSBootstrap');
    const hasCert = typeof cert.value === 'string' && cert.value.trim() !== '';
    const hasKey = typeof key.value === 'string' && key.value.trim() !== '';
    if (hasCert && hasKey) return { fail: false, message: 'tlsCertFile and tlsPrivateKeyFile are set', path: cert.path };
    if (bootstrap.value === true) return { fail: false, message: 'serverTLSBootstrap is true: the serving certificate is issued through the CertificateSigningRequest API', path: bootstrap.path };
    const what = hasCert
      ? 'tlsPrivateKeyFile is not set'
      : hasKey
        ? 'tlsCertFile is not set'
        : `tlsCertFile and tlsPrivateKeyFile are not set and serverTLSBootstrap is ${bootstrap.set ? JSON.stringify(bootstrap.value) : 'not set (default false)'}`;
    return {
      fail: true,
      message: `${what}: the kubelet serves port 10250 with a self-signed certificate, which the API server and other clients cannot verify`,
      path: hasCert ? cert.path : hasKey ? key.path : bootstrap.set ? bootstrap.path : cert.path,
    };
  },
});
