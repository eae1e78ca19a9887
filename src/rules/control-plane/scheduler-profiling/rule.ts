import { defineFlagRule, requireBool, shown } from '../define.js';
import { flagValue } from '../../../k8s/control-plane/flags.js';

export const rule = defineFlagRule({
  id: 'scheduler-profiling',
  cis: '1.4.1',
  component: 'kube-scheduler',
  title: 'Scheduler profiling enabled',
  severity: 'low',
  controls: ['ACC-1'],
  kubescape: ['C-0151'],
  nsa: ['Control plane hardening'],
  description:
    'With profiling on (the default), the scheduler serves `/debug/pprof` on its secure port, exposing profiles and goroutine dumps of the process that places every pod. The flag is ignored when a `--config` file is given; then `enableProfiling` in that file decides.',
  remediation:
    'Set `--profiling=false` on kube-scheduler, or `enableProfiling: false` in its KubeSchedulerConfiguration when `--config` is used.',
  evaluate: (flags) => {
    const config = flagValue(flags, '--config');
    if (config !== undefined) return { fail: false, message: `${shown(config)} is given, so --profiling is ignored and enableProfiling in that file decides` };
    return requireBool(flags, '--profiling', true, false, '/debug/pprof exposes profiles and goroutine dumps of the scheduler');
  },
});
