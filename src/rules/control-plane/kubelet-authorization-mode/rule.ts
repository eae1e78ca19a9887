import { defineKubeletRule, invalidSetting } from '../define.js';
import { kubeletSetting } from '../../../k8s/control-plane/kubelet.js';

export const rule = defineKubeletRule({
  id: 'kubelet-authorization-mode',
  cis: '4.2.2',
  title: 'Kubelet authorizes every request',
  severity: 'critical',
  controls: ['ACC-2', 'ACC-1'],
  kubescape: ['C-0173'],
  nsa: ['Authentication and authorization'],
  description:
    'With `authorization.mode: AlwaysAllow` the kubelet does not ask the API server whether a caller may use its API: any authenticated client (and, with anonymous authentication, anyone) can exec into pods, read logs and port-forward on that node. The config file default is Webhook, but the command-line default is AlwaysAllow.',
  remediation:
    'Set `authorization.mode: Webhook` in the KubeletConfiguration with `authentication.webhook.enabled: true`, and do not pass `--authorization-mode=AlwaysAllow` on the command line.',
  evaluate: (config) => {
    const s = kubeletSetting(config, 'authorization.mode');
    const invalid = invalidSetting(s, 'string');
    if (invalid !== undefined) return invalid;
    if (s.value !== 'AlwaysAllow') {
      return { fail: false, message: s.set ? `authorization.mode is ${JSON.stringify(s.value)}` : 'authorization.mode is not set: the file default is Webhook (the command-line default would be AlwaysAllow)', path: s.path };
    }
    const anonymous = kubeletSetting(config, 'authentication.anonymous.enabled');
    return {
      fail: true,
      message: `authorization.mode is AlwaysAllow: every caller the kubelet authenticates${anonymous.value === true ? ' (anyone, since anonymous authentication is on)' : ''} may exec into pods, read logs and port-forward on this node`,
      path: s.path,
    };
  },
});
