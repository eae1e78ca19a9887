import { auditRotation, defineFlagRule } from '../define.js';

export const rule = defineFlagRule({
  id: 'apiserver-audit-log-maxbackup',
  cis: '1.2.18',
  component: 'kube-apiserver',
  title: 'Too few rotated audit logs kept',
  severity: 'low',
  controls: ['OBS-1'],
  kubescape: ['C-0132'],
  nsa: ['Kubernetes native audit logging configuration'],
  description:
    'Only `--audit-log-maxbackup` rotated audit files are kept; older ones are deleted regardless of age. On a busy API server a handful of files covers minutes to hours, so evidence disappears long before an investigation.',
  remediation:
    'Set `--audit-log-maxbackup=10` or more on kube-apiserver (sized with `--audit-log-maxsize` to the history you need), or ship audit logs off the node.',
  evaluate: (flags) =>
    auditRotation(flags, '--audit-log-maxbackup', 10, 'keeps every rotated file', 'older audit files are deleted after only a few rotations'),
});
