import { defineFlagRule, requireBool } from '../define.js';

export const rule = defineFlagRule({
  id: 'controller-manager-profiling',
  cis: '1.3.2',
  component: 'kube-controller-manager',
  title: 'Controller manager profiling enabled',
  severity: 'low',
  controls: ['ACC-1'],
  kubescape: ['C-0145'],
  nsa: ['Control plane hardening'],
  description:
    'With profiling on (the default), the controller manager serves `/debug/pprof` on its secure port: CPU and heap profiles and goroutine dumps that reveal its internals and give a cheap way to load the process that runs every controller.',
  remediation:
    'Set `--profiling=false` on kube-controller-manager.',
  evaluate: (flags) =>
    requireBool(flags, '--profiling', true, false, '/debug/pprof exposes profiles and goroutine dumps of the controller manager'),
});
