import { defineKubeletRule, invalidSetting } from '../define.js';
import { kubeletSetting } from '../../../k8s/control-plane/kubelet.js';

export const rule = defineKubeletRule({
  id: 'kubelet-seccomp-default',
  cis: '4.2.14',
  title: 'Kubelet does not default to RuntimeDefault seccomp',
  severity: 'low',
  controls: ['ACC-1', 'CMP-6'],
  nsa: ['Kubernetes Pod security'],
  description:
    'Containers that do not request a seccomp profile run Unconfined unless the kubelet applies RuntimeDefault to them (`seccompDefault: true`), leaving every system call, including those used in container escapes, available to an attacker. kube-bench only checks that the field is present, so it passes `false`.',
  remediation:
    'Set `seccompDefault: true` in the KubeletConfiguration (test workloads first: RuntimeDefault blocks some rarely used system calls).',
  evaluate: (config) => {
    const s = kubeletSetting(config, 'seccompDefault');
    const invalid = invalidSetting(s, 'boolean');
    if (invalid !== undefined) return invalid;
    if (s.value === true) return { fail: false, message: 'seccompDefault is true', path: s.path };
    return {
      fail: true,
      message: `seccompDefault is ${s.set ? JSON.stringify(s.value) : 'not set (default false)'}: containers without a seccomp profile run Unconfined`,
      path: s.path,
    };
  },
});
