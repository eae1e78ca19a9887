import { auditRotation, defineFlagRule } from '../define.js';

export const rule = defineFlagRule({
  id: 'apiserver-audit-log-maxage',
  cis: '1.2.17',
  component: 'kube-apiserver',
  title: 'Audit logs kept for too few days',
  severity: 'low',
  controls: ['OBS-1'],
  kubescape: ['C-0131'],
  nsa: ['Kubernetes native audit logging configuration'],
  description:
    'Rotated audit log files older than `--audit-log-maxage` days are deleted. Intrusions are often found weeks after they start; a short retention deletes the evidence before anyone looks for it.',
  remediation:
    'Set `--audit-log-maxage=30` (or the retention your incident response needs) on kube-apiserver, or ship audit logs to central storage with a longer retention.',
  evaluate: (flags) =>
    auditRotation(flags, '--audit-log-maxage', 30, 'deletes no rotated file because of its age', 'rotated audit logs are deleted before a late investigation can use them'),
});
