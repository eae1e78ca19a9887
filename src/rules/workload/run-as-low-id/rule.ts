import { defineRule } from '../../../engine/rule.js';
import { asObject } from '../../../k8s/object.js';
import { POD_BEARING_KINDS } from '../../../k8s/pod.js';
import { idSettings, inheritors } from '../run-as-ids.js';

const DEFAULT_MINIMUM_ID = 10000;
const FIELDS = [
  { field: 'runAsUser', effect: (id: number, who: string) => `${who} as the node's UID ${id}` },
  { field: 'runAsGroup', effect: (id: number, who: string) => `${who} with the node's GID ${id} as primary group` },
] as const;

/** A UID or GID the manifest sets explicitly between 1 and the threshold (0 is other rules' finding). */
function low(value: number, minimum: number): boolean {
  return Number.isInteger(value) && value > 0 && value < minimum;
}

export const rule = defineRule({
  id: 'run-as-low-id',
  title: 'Pod or container runs with a low UID or GID',
  severity: 'low',
  target: 'pod',
  kinds: POD_BEARING_KINDS,
  controls: ['CMP-1', 'DEP-1'],
  frameworks: { nsa: ['Kubernetes Pod security'] },
  optional: true,
  options: { minimumId: DEFAULT_MINIMUM_ID },
  description:
    'Off by default. Without a user namespace a container\'s UIDs and GIDs are the node\'s: a process running as UID 1000 is, for the kernel, the node\'s first login user, and GID 100 or 999 is often `users` or `docker`. After a container escape, or through a hostPath or shared volume, the process has those host users\' and groups\' rights: it changes the files they own, and signals or debugs the processes they run; two workloads that pick the same small id share file ownership on shared storage. Ids at or above the option `minimumId` (default 10000, as Trivy KSV020/KSV021 and kube-score) stay clear of the ranges distributions give to system accounts and login users. This rule reports `runAsUser` and `runAsGroup` set explicitly from 1 to below `minimumId`, on a container or on the pod (for the containers that do not set their own); 0 is reported by `pss-run-as-user` and `run-as-root-group`, and an unset id (the image\'s USER applies) is left to `pss-run-as-non-root`. Not reported: pods in a user namespace (`spec.hostUsers: false`, where container ids map to unprivileged host ids) and Windows pods (`spec.os.name: windows`). Turn it on in `.mamori.yaml`: `rules: { run-as-low-id: { enabled: true, options: { minimumId: 10000 } } }` (or `run-as-low-id: on` for the default threshold).',
  remediation:
    'Set `securityContext.runAsUser` and `runAsGroup` to ids of at least 10000 (for example 10001, or 65532 as distroless images use), on the pod or on each container, and build the image so that the application\'s files belong to that id (`USER 10001:10001`, `COPY --chown=10001:10001`). Where the cluster supports it (Kubernetes 1.33+), `spec.hostUsers: false` maps every container id to an unprivileged host id instead.',
  *check({ spec, specPath }, { options }) {
    if (spec['hostUsers'] === false || asObject(spec['os'])?.['name'] === 'windows') return;
    const minimum = typeof options['minimumId'] === 'number' ? options['minimumId'] : DEFAULT_MINIMUM_ID;
    for (const { field, effect } of FIELDS) {
      const { containers, pod } = idSettings(spec, specPath, field, (id) => low(id, minimum));
      for (const { path, value, label } of containers) {
        yield { path, message: `${label} sets securityContext.${field}: ${value}, below ${minimum}, so ${effect(value, 'its processes run')}` };
      }
      if (pod !== undefined) {
        yield { path: pod.path, message: `pod sets securityContext.${field}: ${pod.value}, below ${minimum}, so ${effect(pod.value, inheritors(pod.inheriting, 'runs', 'run'))}` };
      }
    }
  },
});
