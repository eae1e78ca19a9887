import { defineClassRule } from '../define.js';

export const rule = defineClassRule({
  id: 'rbac-secrets-write',
  title: 'Binding grants writing Secrets cluster-wide',
  severity: 'high',
  controls: ['ACC-2', 'ACC-3'],
  frameworks: { nsa: ['Authentication and authorization'], kubescape: ['C-0007'] },
  classes: ['secrets-write'],
  subsumedBy: ['admin', 'workload-write'],
  tier: 'cluster',
  description:
    'Creating, changing or deleting Secrets across the cluster (or in a privileged namespace) replaces the TLS keys, webhook certificates, registry and cloud credentials other components trust, and mints credentials: the control plane fills a `kubernetes.io/service-account-token` Secret created for any service account with a long-lived token of that account, which the subject reads back with `get` or from the response of an `update` or `patch`; a `bootstrap.kubernetes.io/token` Secret created in kube-system is a bootstrap token whose value the subject chooses, which kubeadm clusters accept to issue node client certificates. Reading Secrets is reported by `rbac-cluster-secrets-read`; this rule reports the writes, whether or not the binding also reads. A binding that can also create or change workloads there is reported by `rbac-cluster-workload-create` instead, whose finding lists these grants too.',
  remediation:
    'Grant Secret writes with RoleBindings in the namespaces whose Secrets the subject manages (a certificate manager, a secrets operator), and limit `update`, `patch` and `delete` with `resourceNames` where the names are known. Keep kube-system Secret writes for cluster administrators, and allow `kubernetes.io/service-account-token` and `bootstrap.kubernetes.io/token` Secrets only to them with an admission policy.',
});
