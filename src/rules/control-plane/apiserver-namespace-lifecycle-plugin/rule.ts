import { defineFlagRule, requirePlugin } from '../define.js';

export const rule = defineFlagRule({
  id: 'apiserver-namespace-lifecycle-plugin',
  cis: '1.2.13',
  component: 'kube-apiserver',
  title: 'NamespaceLifecycle admission plugin disabled',
  severity: 'medium',
  controls: ['ACC-1'],
  kubescape: ['C-0126'],
  nsa: ['Control plane hardening'],
  description:
    'NamespaceLifecycle rejects objects in namespaces that do not exist or are being deleted, and protects default, kube-system and kube-public from deletion. Without it objects can be created in terminating namespaces and survive their cleanup, and the system namespaces can be deleted.',
  remediation:
    'Remove `NamespaceLifecycle` from `--disable-admission-plugins` on kube-apiserver (it is on by default).',
  evaluate: (flags) =>
    requirePlugin(flags, 'NamespaceLifecycle', true, 'objects can be created in terminating or missing namespaces, and kube-system can be deleted'),
});
