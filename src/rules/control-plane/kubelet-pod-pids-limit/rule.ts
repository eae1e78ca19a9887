import { defineKubeletRule, invalidSetting } from '../define.js';
import { asNumber, kubeletSetting } from '../../../k8s/control-plane/kubelet.js';

export const rule = defineKubeletRule({
  id: 'kubelet-pod-pids-limit',
  cis: '4.2.13',
  title: 'Pods have no process ID limit',
  severity: 'low',
  controls: ['ACC-1', 'CMP-3'],
  nsa: ['Resource policies'],
  kubescape: ['C-0284'],
  description:
    'Without `podPidsLimit` (default -1) a pod can fork until the node runs out of process IDs, starving every other pod and the kubelet itself: a fork bomb in one container takes down the node. kube-bench only checks that the field is present, so it passes `-1`.',
  remediation:
    'Set `podPidsLimit` in the KubeletConfiguration to a positive value sized for the workloads (e.g. 4096).',
  evaluate: (config) => {
    const s = kubeletSetting(config, 'podPidsLimit');
    const invalid = invalidSetting(s, 'number');
    if (invalid !== undefined) return invalid;
    const n = asNumber(s.value);
    if (n !== undefined && n > 0) return { fail: false, message: `podPidsLimit is ${n}`, path: s.path };
    return {
      fail: true,
      message: `podPidsLimit is ${s.set ? JSON.stringify(s.value) : 'not set (default -1, no limit)'}: a pod can exhaust the node's process IDs`,
      path: s.path,
    };
  },
});
