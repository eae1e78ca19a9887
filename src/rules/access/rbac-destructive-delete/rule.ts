import { defineClassRule } from '../define.js';

export const rule = defineClassRule({
  id: 'rbac-destructive-delete',
  title: 'Binding grants deleting events, Namespaces, volumes or workloads cluster-wide',
  severity: 'medium',
  controls: ['ACC-2', 'OBS-1'],
  frameworks: { nsa: ['Authentication and authorization'], kubescape: ['C-0031', 'C-0007'] },
  classes: ['destructive-delete'],
  subsumedBy: ['admin', 'workload-write'],
  tier: 'cluster',
  description:
    'Deleting events (`events` of the core group or of `events.k8s.io`) erases the cluster\'s own record of what ran where and why (pod creations, image pulls, failed mounts, evictions) and covers an attacker\'s tracks wherever events are not shipped off the cluster. Deleting Namespaces, PersistentVolumes or PersistentVolumeClaims across the cluster destroys data beyond recovery: a Namespace takes every object in it along, and a claim or volume with the `Delete` reclaim policy takes its disk. Deleting Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs or ReplicationControllers takes every application down at once; those grants are left out when the binding can also update the same workloads, which `rbac-cluster-workload-create` reports. Deleting pods alone is not reported (their controllers recreate them), and `pods/log` has no `delete` verb. A binding that can also create or change workloads there is reported by `rbac-cluster-workload-create` instead, whose finding lists these grants too.',
  remediation:
    'Remove `delete` and `deletecollection` on events from every role but the control plane\'s (events expire on their own after the API server\'s `--event-ttl`), and ship events and audit logs off the cluster. Grant deletion of Namespaces, volumes, claims and workloads with RoleBindings in the namespaces the subject manages, or with `resourceNames`; protect data with the `Retain` reclaim policy and backups.',
});
