import { defineKubeletRule, invalidSetting } from '../define.js';
import { kubeletSetting } from '../../../k8s/control-plane/kubelet.js';

export const rule = defineKubeletRule({
  id: 'kubelet-anonymous-auth',
  cis: '4.2.1',
  title: 'Kubelet accepts anonymous requests',
  severity: 'high',
  controls: ['ACC-1', 'ACC-2'],
  kubescape: ['C-0172', 'C-0069'],
  nsa: ['Authentication and authorization'],
  description:
    'The kubelet API on port 10250 runs commands in containers, streams logs and forwards ports. With anonymous authentication on, requests without credentials reach it as system:anonymous; combined with authorization mode AlwaysAllow that is remote code execution on every pod of the node for anyone on the network. The config file default is off, but the command-line default is on, so an explicit `true` undoes it.',
  remediation:
    'Set `authentication.anonymous.enabled: false` in the KubeletConfiguration (and do not pass `--anonymous-auth=true` on the command line), with `authentication.webhook.enabled: true` and `authorization.mode: Webhook`.',
  evaluate: (config) => {
    const s = kubeletSetting(config, 'authentication.anonymous.enabled');
    const invalid = invalidSetting(s, 'boolean');
    if (invalid !== undefined) return invalid;
    if (s.value === false) {
      return { fail: false, message: s.set ? 'authentication.anonymous.enabled is false' : 'authentication.anonymous.enabled is not set: the file default is false (the command-line default would be true)', path: s.path };
    }
    const mode = kubeletSetting(config, 'authorization.mode');
    return {
      fail: true,
      message: `authentication.anonymous.enabled is ${JSON.stringify(s.value)}: requests without credentials reach the kubelet API on port 10250 as system:anonymous${mode.value === 'AlwaysAllow' ? ', and authorization.mode AlwaysAllow lets them exec into every pod of the node' : ''}`,
      path: s.path,
    };
  },
});
