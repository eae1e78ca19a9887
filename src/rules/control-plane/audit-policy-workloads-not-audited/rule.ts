import { defineAuditPolicyRule, WORKLOADS, where } from '../audit-policy.js';

export const rule = defineAuditPolicyRule({
  id: 'audit-policy-workloads-not-audited',
  title: 'Audit policy does not record workload changes',
  severity: 'low',
  controls: ['OBS-1'],
  cis: ['3.2.2'],
  kubescape: ['C-0161'],
  description:
    'Creating or modifying Pods, Deployments, DaemonSets, StatefulSets, Jobs and CronJobs is how attackers run their own code (a privileged pod, a miner in a CronJob). CIS 3.2.2 asks for modifications of pods and deployments to be audited; a `level: None` rule matching them first, or no matching rule, hides them.',
  remediation:
    'Record create, update, patch and delete of pods and of the apps and batch workload resources at least at Metadata (Request for the full spec) in a rule placed before any `level: None` rule that could match them.',
  probes: WORKLOADS,
  bad: (d) => !d.recorded,
  message: (o) =>
    `${where(o, true)} ${o.rule === undefined ? 'matches' : 'is the first rule matching'} ${o.examples.join(' and ')}: changes to ${o.resources.join(', ')} are not audited`,
});
