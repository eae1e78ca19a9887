import { defineClassRule } from '../define.js';

export const rule = defineClassRule({
  id: 'rbac-csr-approval',
  title: 'Binding grants approving client certificates',
  severity: 'critical',
  controls: ['ACC-5', 'ACC-2'],
  frameworks: { cis: ['5.1.11'], nsa: ['Authentication and authorization'], kubescape: ['C-0280'] },
  classes: ['csr-approval'],
  subsumedBy: ['admin'],
  tier: 'any',
  description:
    'With `update` on `certificatesigningrequests/approval` and `approve` on a client signer (`kubernetes.io/kube-apiserver-client`, `kubernetes.io/kube-apiserver-client-kubelet`, `kubernetes.io/legacy-unknown`, or all of `kubernetes.io/*`), a subject can approve a CSR for any name and group, `system:masters` or `system:node:<name>` included, and get a client certificate the API server trusts until it expires. Certificates cannot be revoked.',
  remediation:
    'Leave CSR approval to kube-controller-manager\'s approvers and to people. If a controller must approve, give `approve` on `signers` with `resourceNames` naming its own signer only (for example `example.com/my-signer`), never a `kubernetes.io/` client signer.',
});
