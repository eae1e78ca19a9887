import { defineKubeletRule, invalidSetting } from '../define.js';
import { kubeletSetting } from '../../../k8s/control-plane/kubelet.js';

export const rule = defineKubeletRule({
  id: 'kubelet-rotate-certificates',
  cis: '4.2.10',
  title: 'Kubelet client certificate is not rotated',
  severity: 'medium',
  controls: ['ACC-4'],
  kubescape: ['C-0182'],
  nsa: ['Authentication and authorization'],
  description:
    'With `rotateCertificates` false, which is also the default when the field is absent, the kubelet never renews its client certificate: a stolen node credential stays valid for its whole lifetime and the node drops out of the cluster when it expires. kube-bench passes an absent field.',
  remediation:
    'Set `rotateCertificates: true` in the KubeletConfiguration (kubeadm does) and keep the CSR approver for kubelet client certificates running.',
  evaluate: (config) => {
    const s = kubeletSetting(config, 'rotateCertificates');
    const invalid = invalidSetting(s, 'boolean');
    if (invalid !== undefined) return invalid;
    if (s.value === true) return { fail: false, message: 'rotateCertificates is true', path: s.path };
    return {
      fail: true,
      message: `rotateCertificates is ${s.set ? JSON.stringify(s.value) : 'not set (the default is false)'}: the kubelet's client certificate is never renewed`,
      path: s.path,
    };
  },
});
