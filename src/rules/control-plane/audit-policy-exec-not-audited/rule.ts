import { defineAuditPolicyRule, EXEC, where } from '../audit-policy.js';

export const rule = defineAuditPolicyRule({
  id: 'audit-policy-exec-not-audited',
  title: 'Audit policy does not record exec and proxy access',
  severity: 'medium',
  controls: ['OBS-1'],
  cis: ['3.2.2'],
  kubescape: ['C-0161'],
  description:
    'exec, attach, port-forward and the pod, service and node proxies give interactive access to running containers and the kubelet. They are the hands-on-keyboard steps of an intrusion, and an early `level: None` rule or a missing catch-all keeps them out of the audit log.',
  remediation:
    'Record `pods/exec`, `pods/attach`, `pods/portforward`, `pods/proxy`, `services/proxy` and `nodes/proxy` at least at Metadata in a rule placed before any `level: None` rule that could match them.',
  probes: EXEC,
  bad: (d) => !d.recorded,
  message: (o) =>
    `${where(o, true)} ${o.rule === undefined ? 'matches' : 'is the first rule matching'} ${o.examples.join(' and ')}: use of ${o.resources.join(', ')} is not audited`,
});
