import { defineFlagRule, requirePresent } from '../define.js';

export const rule = defineFlagRule({
  id: 'apiserver-kubelet-certificate-authority',
  cis: '1.2.5',
  component: 'kube-apiserver',
  title: 'API server does not verify kubelet certificates',
  severity: 'medium',
  controls: ['ACC-4'],
  kubescape: ['C-0117'],
  nsa: ['Control plane hardening'],
  description:
    'Without a CA to verify kubelet serving certificates, the API server accepts any certificate when it connects to a node for exec, attach, logs and port-forward. Whoever can intercept traffic to a node can impersonate its kubelet, read what users type into exec sessions and feed them forged output.',
  remediation:
    'Issue kubelet serving certificates from a CA (`serverTLSBootstrap: true` in the KubeletConfiguration and approve the CSRs) and set `--kubelet-certificate-authority` on kube-apiserver to that CA bundle.',
  evaluate: (flags) =>
    requirePresent(flags, '--kubelet-certificate-authority', "the API server does not verify kubelets' serving certificates, so whoever intercepts node traffic can impersonate a kubelet for exec, attach and logs"),
});
