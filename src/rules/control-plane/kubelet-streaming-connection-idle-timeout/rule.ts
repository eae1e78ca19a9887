import { defineKubeletRule } from '../define.js';
import { kubeletSetting, parseDuration } from '../../../k8s/control-plane/kubelet.js';

export const rule = defineKubeletRule({
  id: 'kubelet-streaming-connection-idle-timeout',
  cis: '4.2.5',
  title: 'Kubelet streaming connections never time out',
  severity: 'low',
  controls: ['ACC-1'],
  kubescape: ['C-0176'],
  nsa: ['Authentication and authorization'],
  description:
    'Idle exec, attach and port-forward streams stay open until `streamingConnectionIdleTimeout`. In the config file a zero duration is replaced by the default 4h, so only the command-line flag can disable the timeout; kube-bench nevertheless fails the literal value "0" and passes "0s". The rule reports invalid values, and with `cisLiteral` what kube-bench fails.',
  remediation:
    'Leave `streamingConnectionIdleTimeout` unset or set a positive duration such as `5m` in the KubeletConfiguration, and do not pass `--streaming-connection-idle-timeout=0` on the command line.',
  evaluate: (config) => {
    const s = kubeletSetting(config, 'streamingConnectionIdleTimeout');
    if (typeof s.value !== 'string') return { fail: true, message: `streamingConnectionIdleTimeout is ${JSON.stringify(s.value)}, not a duration string: the kubelet rejects the file`, path: s.path };
    const seconds = parseDuration(s.value);
    if (seconds === undefined) return { fail: true, message: `streamingConnectionIdleTimeout is "${s.value}", not a Go duration: the kubelet rejects the file`, path: s.path };
    if (!s.set) return { fail: false, message: 'streamingConnectionIdleTimeout is not set (default 4h)', path: s.path };
    if (seconds === 0) return { fail: false, message: `streamingConnectionIdleTimeout is "${s.value}", a zero duration the kubelet replaces with its default 4h`, path: s.path };
    return { fail: false, message: `streamingConnectionIdleTimeout is ${s.value}`, path: s.path };
  },
});
