import { defineKubeletRule, invalidSetting } from '../define.js';
import { kubeletSetting } from '../../../k8s/control-plane/kubelet.js';

export const rule = defineKubeletRule({
  id: 'kubelet-make-iptables-util-chains',
  cis: '4.2.6',
  title: 'Kubelet does not manage iptables utility chains',
  severity: 'low',
  controls: ['ACC-1', 'NET-1'],
  kubescape: ['C-0178'],
  nsa: ['Network separation and hardening'],
  description:
    'With `makeIPTablesUtilChains: false` the kubelet stops maintaining its iptables utility chains, leaving rules it would keep consistent with pod networking to other tools, where they can drift or be missing after a reboot.',
  remediation:
    'Remove `makeIPTablesUtilChains` from the KubeletConfiguration (default true) or set it to `true`.',
  evaluate: (config) => {
    const s = kubeletSetting(config, 'makeIPTablesUtilChains');
    const invalid = invalidSetting(s, 'boolean');
    if (invalid !== undefined) return invalid;
    if (s.value === true) return { fail: false, message: s.set ? 'makeIPTablesUtilChains is true' : 'makeIPTablesUtilChains is not set (default true)', path: s.path };
    return { fail: true, message: `makeIPTablesUtilChains is ${JSON.stringify(s.value)}: the kubelet does not maintain its iptables utility chains`, path: s.path };
  },
});
