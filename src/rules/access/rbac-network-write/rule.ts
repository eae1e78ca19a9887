import { defineClassRule } from '../define.js';

export const rule = defineClassRule({
  id: 'rbac-network-write',
  title: 'Binding grants changing Services, endpoints, Ingresses or NetworkPolicies cluster-wide',
  severity: 'high',
  controls: ['ACC-2', 'NET-1'],
  frameworks: { nsa: ['Authentication and authorization', 'Network separation and hardening'], kubescape: ['C-0007'] },
  classes: ['network-write'],
  subsumedBy: ['admin', 'workload-write'],
  tier: 'cluster',
  description:
    'Creating or changing Services, Endpoints and EndpointSlices anywhere in the cluster redirects traffic meant for other workloads: point a Service\'s selector at the subject\'s own pods, add addresses to a selector-less Service, or set `externalIPs` to capture in-cluster traffic to any external address (CVE-2020-8554, unfixed unless the DenyServiceExternalIPs admission plugin or a policy blocks it). Without a mesh most in-cluster traffic is plaintext, with the credentials and tokens in it; Kubernetes took Endpoints writes out of the `edit` role for this reason (CVE-2021-25740). Ingresses route external host names to any Service and, with ingress-nginx, carry configuration that runs inside the controller. Deleting or rewriting NetworkPolicies lifts the isolation of every namespace. A grant limited by `resourceNames` is reported only when it names `kubernetes`, the Service every pod reaches the API server through. A binding that can also create or change workloads there is reported by `rbac-cluster-workload-create` instead, whose finding lists these grants too.',
  remediation:
    'Grant Service, Endpoints, EndpointSlice, Ingress and NetworkPolicy writes with RoleBindings in the namespaces the subject deploys to, never with a ClusterRoleBinding; a controller that manages a known Service or Endpoints object gets `update` with `resourceNames`. Enable the DenyServiceExternalIPs admission plugin (or an admission policy on `spec.externalIPs`), and enforce baseline isolation with policies the subject cannot change (AdminNetworkPolicy or the CNI\'s cluster-wide policies).',
});
