import { defineKubeletRule } from '../define.js';
import { asNumber, kubeletSetting } from '../../../k8s/control-plane/kubelet.js';

export const rule = defineKubeletRule({
  id: 'kubelet-event-qps',
  cis: '4.2.8',
  title: 'Kubelet event rate is invalid',
  severity: 'low',
  controls: ['OBS-1'],
  kubescape: ['C-0180'],
  nsa: ['Kubernetes native audit logging configuration'],
  description:
    'Events record what the kubelet does with pods (pulls, kills, evictions) and are part of the trail an investigation follows. `eventRecordQPS` limits how many the kubelet creates per second (default 50, 0 for no limit); a negative or non-numeric value makes the kubelet refuse its configuration.',
  remediation:
    'Remove `eventRecordQPS` (default 50) or set it to 0 or a positive number suited to the node\'s event volume.',
  evaluate: (config) => {
    const s = kubeletSetting(config, 'eventRecordQPS');
    const n = asNumber(s.value);
    if (n !== undefined && Number.isInteger(n) && n >= 0) {
      return { fail: false, message: s.set ? `eventRecordQPS is ${n}${n === 0 ? ' (no limit)' : ''}` : 'eventRecordQPS is not set (default 50)', path: s.path };
    }
    return { fail: true, message: `eventRecordQPS is ${JSON.stringify(s.value)}, not a non-negative count: the kubelet refuses the configuration`, path: s.path };
  },
});
