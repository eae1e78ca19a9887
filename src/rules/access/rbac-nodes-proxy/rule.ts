import { defineClassRule } from '../define.js';

export const rule = defineClassRule({
  id: 'rbac-nodes-proxy',
  title: 'Binding grants nodes/proxy',
  severity: 'high',
  controls: ['ACC-2', 'ACC-1'],
  frameworks: { cis: ['5.1.10'], nsa: ['Authentication and authorization'], kubescape: ['C-0279'] },
  classes: ['nodes-proxy'],
  subsumedBy: ['admin'],
  tier: 'any',
  description:
    '`nodes/proxy` forwards requests to the kubelet API of the nodes: its `/exec`, `/run` and `/attach` endpoints run commands in any pod on the node, bypassing API-server admission and audit logging. `get` is enough, because exec over a WebSocket starts with a GET. Monitoring stacks often ask for it to scrape kubelet metrics, which `nodes/metrics` and `nodes/stats` serve without it.',
  remediation:
    'Replace `nodes/proxy` with `nodes/metrics` and `nodes/stats` (read-only kubelet endpoints) in monitoring roles, and scrape the kubelet directly with those; keep `nodes/proxy` for the API server\'s own identity.',
});
