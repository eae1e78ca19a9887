import { defineFlagRule, shown, type Outcome } from '../define.js';
import { flagValue } from '../../../k8s/control-plane/flags.js';

export const rule = defineFlagRule({
  id: 'apiserver-audit-log-path',
  cis: '1.2.16',
  component: 'kube-apiserver',
  title: 'API server writes no audit log',
  severity: 'medium',
  controls: ['OBS-1'],
  kubescape: ['C-0130', 'C-0067'],
  nsa: ['Kubernetes native audit logging configuration'],
  description:
    'Audit events are the only record of who read which secret, who exec\'d into which pod and who changed RBAC. Without a log file (or a webhook backend) the API server writes no audit trail at all, so an intrusion cannot be detected or investigated.',
  remediation:
    'Set `--audit-log-path` on kube-apiserver to a file on a mounted host directory (e.g. `/var/log/kubernetes/audit/audit.log`), together with `--audit-policy-file`, or send events to a webhook backend with `--audit-webhook-config-file`.',
  evaluate: (flags) => {
    const log = flagValue(flags, '--audit-log-path');
    if (log !== undefined && log.value.trim() !== '' && log.value !== 'true') return { fail: false, message: shown(log) };
    const webhook = flagValue(flags, '--audit-webhook-config-file');
    if (webhook !== undefined && webhook.value.trim() !== '') return { fail: false, message: `--audit-log-path is not set, but audit events go to the webhook backend (${shown(webhook)})` };
    const out: Outcome = { fail: true, message: '--audit-log-path is not set and no audit webhook is configured: the API server writes no audit trail' };
    if (log !== undefined) out.path = log.path;
    return out;
  },
});
