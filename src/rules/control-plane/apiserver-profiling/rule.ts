import { defineFlagRule, requireBool } from '../define.js';

export const rule = defineFlagRule({
  id: 'apiserver-profiling',
  cis: '1.2.15',
  component: 'kube-apiserver',
  title: 'API server profiling enabled',
  severity: 'low',
  controls: ['ACC-1'],
  kubescape: ['C-0129'],
  nsa: ['Control plane hardening'],
  description:
    'With profiling on (the default), `/debug/pprof` serves CPU and heap profiles and goroutine dumps to anyone RBAC allows on that path. The output reveals internals of the server, and profiling requests themselves are a cheap way to load the API server.',
  remediation:
    'Set `--profiling=false` on kube-apiserver.',
  evaluate: (flags) =>
    requireBool(flags, '--profiling', true, false, '/debug/pprof exposes profiles and goroutine dumps of the API server'),
});
