import { defineFlagRule, shown, type Outcome } from '../define.js';
import { flagValue } from '../../../k8s/control-plane/flags.js';

export const rule = defineFlagRule({
  id: 'controller-manager-root-ca-file',
  cis: '1.3.5',
  component: 'kube-controller-manager',
  title: 'Pods get no CA to verify the API server',
  severity: 'low',
  controls: ['ACC-4'],
  kubescape: ['C-0148'],
  nsa: ['Control plane hardening'],
  description:
    'The controller manager publishes a CA bundle to every namespace (ConfigMap `kube-root-ca.crt`) and into service account token Secrets, from `--root-ca-file` or else from the CA data of its kubeconfig. Without either, pods cannot verify the API server\'s certificate and are pushed to skip verification.',
  remediation:
    'Set `--root-ca-file` on kube-controller-manager to the CA bundle that signs the API server\'s serving certificate (e.g. `/etc/kubernetes/pki/ca.crt`).',
  evaluate: (flags) => {
    const occurrence = flagValue(flags, '--root-ca-file');
    if (occurrence !== undefined && occurrence.value.trim() !== '' && occurrence.value !== 'true') return { fail: false, message: shown(occurrence) };
    // An empty --root-ca-file is the same as none: the CA data of the kubeconfig is published instead.
    const kubeconfig = flagValue(flags, '--kubeconfig');
    const what = occurrence === undefined ? '--root-ca-file is not set' : '--root-ca-file has no value';
    if (kubeconfig !== undefined && kubeconfig.value.trim() !== '') return { fail: false, message: `${what}: the CA data of ${shown(kubeconfig)} is published to pods instead` };
    const out: Outcome = { fail: true, message: `${what} and there is no --kubeconfig whose CA could be published: pods receive no CA bundle to verify the API server` };
    if (occurrence !== undefined) out.path = occurrence.path;
    return out;
  },
});
