import { defineClassRule } from '../define.js';

export const rule = defineClassRule({
  id: 'rbac-cluster-workload-create',
  title: 'Binding grants creating or changing workloads cluster-wide',
  severity: 'critical',
  controls: ['ACC-2', 'DEP-1'],
  frameworks: { cis: ['5.1.4'], nsa: ['Authentication and authorization'], kubescape: ['C-0188'] },
  classes: ['workload-write'],
  subsumedBy: ['admin'],
  also: ['secrets-write', 'configmap-write', 'network-write', 'destructive-delete'],
  tier: 'cluster',
  description:
    'Creating pods, directly or through Deployments, DaemonSets, StatefulSets, ReplicaSets, Jobs, CronJobs, ReplicationControllers, Argo Rollouts or OpenShift DeploymentConfigs, or changing the pod template or image of existing ones, runs any image as any service account of the target namespace, with any of its Secrets, ConfigMaps and volumes mounted. Unless Pod Security Admission stops it, the pod can also be privileged, mount the node\'s filesystem, or be pinned to a control-plane node with `nodeName`. Cluster-wide, this includes kube-system and the tokens of its controllers.',
  remediation:
    'Grant workload creation with RoleBindings in the namespaces a deployer owns, never with a ClusterRoleBinding; enforce Pod Security `restricted` (or at least `baseline`) on every namespace the subject can deploy to. For GitOps and CI identities, use one binding per target namespace.',
});
