import { defineFlagRule, intFlag, shown } from '../define.js';

export const rule = defineFlagRule({
  id: 'controller-manager-terminated-pod-gc-threshold',
  cis: '1.3.1',
  component: 'kube-controller-manager',
  title: 'Terminated pods are never garbage-collected',
  severity: 'low',
  controls: ['ACC-1', 'CMP-3'],
  kubescape: ['C-0144'],
  nsa: ['Control plane hardening'],
  description:
    'The controller manager deletes terminated pods once more than `--terminated-pod-gc-threshold` exist (12500 by default). A value of 0 or less turns that collector off, so finished pods of Jobs and evicted pods accumulate in etcd until listing pods slows down the API server and its clients.',
  remediation:
    'Remove `--terminated-pod-gc-threshold` from kube-controller-manager to keep the default 12500, or set a positive value sized for the cluster (e.g. `--terminated-pod-gc-threshold=10`).',
  evaluate: (flags) => {
    const v = intFlag(flags, '--terminated-pod-gc-threshold');
    if (v.occurrence === undefined) return { fail: false, message: '--terminated-pod-gc-threshold is not set: the default 12500 applies' };
    if (v.value === undefined) return { fail: true, message: `${shown(v.occurrence)} is not an integer`, path: v.occurrence.path };
    if (v.value <= 0) {
      return { fail: true, message: `${shown(v.occurrence)} turns the terminated-pod garbage collector off, so finished pods accumulate in etcd`, path: v.occurrence.path };
    }
    return { fail: false, message: shown(v.occurrence) };
  },
});
