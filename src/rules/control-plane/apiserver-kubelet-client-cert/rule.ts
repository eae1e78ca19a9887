import { defineFlagRule, requireAll } from '../define.js';

export const rule = defineFlagRule({
  id: 'apiserver-kubelet-client-cert',
  cis: '1.2.4',
  component: 'kube-apiserver',
  title: 'API server has no kubelet client certificate',
  severity: 'high',
  controls: ['ACC-4', 'ACC-1'],
  kubescape: ['C-0116'],
  nsa: ['Control plane hardening'],
  description:
    'The API server calls kubelets for exec, attach, logs and port-forward. Without a client certificate it cannot authenticate to them, so kubelets must either reject those calls or accept unauthenticated ones, which lets anyone on the network run commands in pods.',
  remediation:
    'Set `--kubelet-client-certificate` and `--kubelet-client-key` on kube-apiserver to a client certificate signed by the CA the kubelets trust (`authentication.x509.clientCAFile`), e.g. `/etc/kubernetes/pki/apiserver-kubelet-client.{crt,key}`.',
  evaluate: (flags) =>
    requireAll(flags, ['--kubelet-client-certificate', '--kubelet-client-key'], 'the API server calls kubelets (exec, attach, logs, port-forward) without a client certificate, so kubelets cannot authenticate it'),
});
