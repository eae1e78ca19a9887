import { definePssRule } from '../define.js';
import { fixHostNamespaces } from '../fixes.js';

export const rule = definePssRule({
  checkId: 'hostNamespaces',
  id: 'pss-host-namespaces',
  title: 'Pod shares host namespaces',
  severity: 'critical',
  controls: ['CMP-1', 'DEP-1', 'NET-1'],
  frameworks: { cis: ['5.2.3', '5.2.4', '5.2.5'], nsa: ['Kubernetes Pod security'], kubescape: ['C-0038', 'C-0041', 'C-0194', 'C-0195', 'C-0196', 'C-0275', 'C-0276'] },
  description:
    'hostNetwork puts the pod on the node\'s network stack: it can sniff node traffic, bind node ports and reach node-local services such as the kubelet and the cloud metadata endpoint, and NetworkPolicies no longer apply. hostPID exposes every process of the node (their environment and, with ptrace, their memory); hostIPC shares the node\'s shared memory. Each one breaks the isolation between the pod and the node.',
  remediation:
    'Remove `spec.hostNetwork`, `spec.hostPID` and `spec.hostIPC` or set them to `false`. Expose network services through a Service instead of the node\'s network; node agents that need host namespaces belong in a namespace labelled with the privileged level. `mamori fix` sets `hostPID` and `hostIPC` to `false`, but not on a pod with `hostNetwork: true`: moving it off the node\'s network changes the addresses and ports it serves, and such a node agent usually needs the other host namespaces too.',
  fix: fixHostNamespaces,
});
