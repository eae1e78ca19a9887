import { defineClassRule } from '../define.js';

export const rule = defineClassRule({
  id: 'rbac-configmap-write',
  title: 'Binding grants writing ConfigMaps cluster-wide',
  severity: 'high',
  controls: ['ACC-2', 'ACC-1'],
  frameworks: { nsa: ['Authentication and authorization'], kubescape: ['C-0037'] },
  classes: ['configmap-write'],
  subsumedBy: ['admin', 'workload-write'],
  tier: 'cluster',
  // Creating alone matters only where an optional cluster ConfigMap is absent.
  adjust: (found) => (found.every((m) => m.grants.every((g) => !g.verbs.has('update') && !g.verbs.has('patch') && !g.verbs.has('delete'))) ? { severity: 'medium' } : undefined),
  description:
    'Creating, changing or deleting ConfigMaps across the cluster (or in a privileged namespace) rewrites the configuration the cluster itself reads from kube-system: `coredns` (cluster DNS: answer for any Service or external name with an address of the subject\'s choice and intercept the traffic), `aws-auth` on EKS (map any IAM role to `system:masters`), `kube-proxy`, `kubeadm-config` and `kubelet-config`, and `extension-apiserver-authentication` (the client CA that aggregated API servers trust to assert any user). Beyond kube-system it rewrites the configuration of every application and operator, such as Argo CD\'s `argocd-rbac-cm`. `create` alone is enough where an optional one is absent: AKS imports `coredns-custom` into CoreDNS when it exists, and EKS reads `aws-auth` in the `API_AND_CONFIG_MAP` authentication mode. A grant limited by `resourceNames` is reported only when it names one of these cluster ConfigMaps (also `cluster-info`, `kube-root-ca.crt`, GKE `kube-dns`); `create` and `deletecollection` cannot be limited by name. A binding that can also create or change workloads there is reported by `rbac-cluster-workload-create` instead, whose finding lists these grants too. Grants of `create` (and `deletecollection`) alone are reported as medium.',
  remediation:
    'Grant ConfigMap writes with RoleBindings in the namespaces the subject manages, and limit `update`, `patch` and `delete` with `resourceNames` to its own ConfigMaps (leader-election locks, generated configuration). Keep writes to kube-system ConfigMaps for cluster administrators; on EKS, move to access entries and guard `aws-auth` with an admission policy.',
});
