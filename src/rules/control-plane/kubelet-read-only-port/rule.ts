import { defineKubeletRule, invalidSetting } from '../define.js';
import { kubeletSetting } from '../../../k8s/control-plane/kubelet.js';

export const rule = defineKubeletRule({
  id: 'kubelet-read-only-port',
  cis: '4.2.4',
  title: 'Kubelet read-only port is open',
  severity: 'high',
  controls: ['ACC-1'],
  kubescape: ['C-0175'],
  nsa: ['Authentication and authorization'],
  description:
    'The read-only port (10255 when enabled) serves `/pods`, `/spec` and metrics with no authentication or authorization. Anyone on the network reads every pod spec of the node, including environment values that often carry credentials. The config file default disables it; the command-line default enables it.',
  remediation:
    'Set `readOnlyPort: 0` in the KubeletConfiguration (or remove it: the file default is 0) and do not pass `--read-only-port` on the command line; scrape metrics from the authenticated port 10250.',
  evaluate: (config) => {
    const s = kubeletSetting(config, 'readOnlyPort');
    const invalid = invalidSetting(s, 'number');
    if (invalid !== undefined) return invalid;
    if (s.value === 0) {
      return { fail: false, message: s.set ? 'readOnlyPort is 0' : 'readOnlyPort is not set: the file default 0 disables it (the command-line default would be 10255)', path: s.path };
    }
    return {
      fail: true,
      message: `readOnlyPort is ${JSON.stringify(s.value)}: the kubelet serves pod specs (environment values included), node and metrics information on that port without authentication`,
      path: s.path,
    };
  },
});
