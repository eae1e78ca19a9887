import { auditRotation, defineFlagRule } from '../define.js';

export const rule = defineFlagRule({
  id: 'apiserver-audit-log-maxsize',
  cis: '1.2.19',
  component: 'kube-apiserver',
  title: 'Audit log rotated too early',
  severity: 'low',
  controls: ['OBS-1'],
  kubescape: ['C-0133'],
  nsa: ['Kubernetes native audit logging configuration'],
  description:
    'The audit log file is rotated when it reaches `--audit-log-maxsize` megabytes. Small files combined with a limited number of backups keep only a short window of history on a busy cluster.',
  remediation:
    'Set `--audit-log-maxsize=100` or more on kube-apiserver (0 or unset means the 100 MB default of the rotation library).',
  evaluate: (flags) =>
    auditRotation(flags, '--audit-log-maxsize', 100, 'uses the rotation library default of 100 MB', 'the log rotates after little activity and, with a limited number of backups, history is short'),
});
