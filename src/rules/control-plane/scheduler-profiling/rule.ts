import { defineFlagRule, deferTo, requireBool, shown } from '../define.js';
import { schedulerProfiling, SCHEDULER_CONFIGURATION } from '../../../k8s/control-plane/apiserver-config.js';
import { flagValue } from '../../../k8s/control-plane/flags.js';

const CONSEQUENCE = '/debug/pprof exposes profiles and goroutine dumps of the scheduler';

export const rule = defineFlagRule({
  id: 'scheduler-profiling',
  cis: '1.4.1',
  component: 'kube-scheduler',
  configKinds: [SCHEDULER_CONFIGURATION],
  title: 'Scheduler profiling enabled',
  severity: 'low',
  controls: ['ACC-1'],
  kubescape: ['C-0151'],
  nsa: ['Control plane hardening'],
  description:
    'With profiling on (the default), the scheduler serves `/debug/pprof` on its secure port, exposing profiles and goroutine dumps of the process that places every pod. The flag is ignored when a `--config` file is given; then `enableProfiling` in that file (default true) decides, read from the KubeSchedulerConfiguration scanned with the manifest; when that file is not in the input, an info finding says it was not checked.',
  remediation:
    'Set `--profiling=false` on kube-scheduler, or `enableProfiling: false` in its KubeSchedulerConfiguration when `--config` is used.',
  evaluate: (flags) => {
    const config = flagValue(flags, '--config');
    if (config === undefined) return requireBool(flags, '--profiling', true, false, CONSEQUENCE);
    return deferTo(
      config,
      SCHEDULER_CONFIGURATION,
      (object) => {
        const profiling = schedulerProfiling(object);
        if (profiling === undefined || profiling.value === false) return undefined;
        const what = profiling.set ? `sets enableProfiling: ${JSON.stringify(profiling.value)}` : 'does not set enableProfiling (default true)';
        return { fail: true, message: `${shown(config)} is given and the ${SCHEDULER_CONFIGURATION} of the input ${what}; ${CONSEQUENCE}` };
      },
      `the ${SCHEDULER_CONFIGURATION} of the input sets enableProfiling: false`,
    );
  },
});
