import { defineFlagRule, requirePlugin } from '../define.js';

export const rule = defineFlagRule({
  id: 'apiserver-service-account-plugin',
  cis: '1.2.12',
  component: 'kube-apiserver',
  title: 'ServiceAccount admission plugin disabled',
  severity: 'medium',
  controls: ['ACC-1', 'ACC-3'],
  kubescape: ['C-0125'],
  nsa: ['Authentication and authorization'],
  description:
    'The ServiceAccount admission plugin assigns every pod a service account that exists, mounts its token in a controlled way and enforces `kubernetes.io/enforce-mountable-secrets`. Disabled, pods may name service accounts that do not exist and token handling is left to whoever writes the pod spec.',
  remediation:
    'Remove `ServiceAccount` from `--disable-admission-plugins` on kube-apiserver (it is on by default).',
  evaluate: (flags) =>
    requirePlugin(flags, 'ServiceAccount', true, 'pods are not checked against existing service accounts and their token mounts are not managed'),
});
