import { defineKubeletRule } from '../define.js';
import { kubeletSetting } from '../../../k8s/control-plane/kubelet.js';

export const rule = defineKubeletRule({
  id: 'kubelet-client-ca-file',
  cis: '4.2.3',
  title: 'Kubelet accepts no client certificates',
  severity: 'medium',
  controls: ['ACC-4', 'ACC-2'],
  kubescape: ['C-0174', 'C-0070'],
  nsa: ['Authentication and authorization'],
  description:
    'The API server authenticates to kubelets with a client certificate. Without `authentication.x509.clientCAFile` the kubelet cannot verify it, so exec, logs and port-forward either fail or only work with bearer tokens or anonymous access, which are easier to abuse.',
  remediation:
    'Set `authentication.x509.clientCAFile` in the KubeletConfiguration to the CA that signs the API server\'s kubelet client certificate (e.g. `/etc/kubernetes/pki/ca.crt`).',
  evaluate: (config) => {
    const s = kubeletSetting(config, 'authentication.x509.clientCAFile');
    if (typeof s.value === 'string' && s.value.trim() !== '') return { fail: false, message: `authentication.x509.clientCAFile is ${s.value}`, path: s.path };
    return {
      fail: true,
      message: `authentication.x509.clientCAFile is ${s.set ? 'empty' : 'not set'}: the kubelet accepts no client certificates, so it cannot verify the API server's`,
      path: s.path,
    };
  },
});
