import { defineRule } from '../../../engine/rule.js';
import { asArray, asObject, asString } from '../../../k8s/object.js';
import { CONTAINER_FIELDS } from '../../../k8s/pod.js';
import type { JsonObject } from '../../../types.js';
import { mountsByVolume } from '../host-paths.js';
import { defaultsOf, resourceLists, sets } from '../resources.js';

/** True when some container of the pod limits ephemeral storage: the kubelet then evicts the pod once all its disk use (emptyDirs included) passes the sum of those limits. */
function storageBounded(spec: JsonObject): boolean {
  if (sets(resourceLists(spec).limits, 'ephemeral-storage')) return true;
  for (const field of CONTAINER_FIELDS) {
    if (field === 'ephemeralContainers') continue;
    for (const entry of asArray(spec[field])) {
      const container = asObject(entry);
      if (container !== undefined && sets(resourceLists(container).limits, 'ephemeral-storage')) return true;
    }
  }
  return false;
}

/** The containers of a pod by name, to look up the memory limit of those mounting a tmpfs. */
function containerNamed(spec: JsonObject, name: string): JsonObject | undefined {
  for (const field of CONTAINER_FIELDS) {
    for (const entry of asArray(spec[field])) {
      const container = asObject(entry);
      if (container !== undefined && asString(container['name']) === name) return container;
    }
  }
  return undefined;
}

export const rule = defineRule({
  id: 'emptydir-size-limit',
  title: 'emptyDir volume without a size limit',
  severity: 'low',
  target: 'inventory',
  controls: ['CMP-3'],
  frameworks: { nsa: ['Resource policies'] },
  description:
    'An emptyDir lives on the node\'s disk (or, with `medium: Memory`, in its RAM). Without a `sizeLimit`, a runaway log, a cache that never evicts or an attacker writing junk fills the node\'s filesystem: the kubelet then reports DiskPressure, stops admitting pods and evicts others, and the node\'s own components can fail. Not reported for a volume no container mounts, nor when a bound already applies: a disk-backed emptyDir is covered when a container of the pod (or the pod itself) has an `ephemeral-storage` limit, or a LimitRange of the namespace in the input gives one, since the kubelet evicts the pod once its total disk use passes it; a memory-backed one is covered when every container mounting it has a memory limit (tmpfs pages are charged to the writer), or a pod-level or LimitRange memory limit applies.',
  remediation:
    'Set `emptyDir.sizeLimit` on every emptyDir volume to what the workload needs (for example `sizeLimit: 256Mi` for /tmp), or give the containers `resources.limits.ephemeral-storage`.',
  *check({ inventory }) {
    for (const workload of inventory.workloads()) {
      const { spec, specPath } = workload.pod;
      const volumes = asArray(spec['volumes']);
      if (volumes.length === 0) continue;
      let disk: boolean | undefined;
      let mounts: ReturnType<typeof mountsByVolume> | undefined;
      for (let i = 0; i < volumes.length; i++) {
        const volume = asObject(volumes[i]);
        if (volume === undefined || !Object.hasOwn(volume, 'emptyDir')) continue;
        const emptyDir = asObject(volume['emptyDir']);
        const size = emptyDir?.['sizeLimit'];
        if (size !== undefined && size !== null && size !== 0 && size !== '0') continue;
        const name = asString(volume['name']) ?? '';
        const path = emptyDir === undefined ? [...specPath, 'volumes', i] : [...specPath, 'volumes', i, 'emptyDir'];
        // A volume no container mounts cannot be written.
        mounts ??= mountsByVolume(spec, specPath);
        const writers = mounts.get(name) ?? [];
        if (writers.length === 0) continue;
        if (asString(emptyDir?.['medium']) === 'Memory') {
          const defaults = defaultsOf(inventory, workload.namespace);
          if (defaults.limits.has('memory') || sets(resourceLists(spec).limits, 'memory')) continue;
          const unbounded = writers.filter((m) => !sets(resourceLists(containerNamed(spec, m.container) ?? {}).limits, 'memory'));
          if (unbounded.length === 0) continue;
          yield {
            target: workload.loaded,
            path,
            message: `memory-backed emptyDir volume "${name}" has no sizeLimit and container "${unbounded[0]?.container ?? ''}" that mounts it has no memory limit: it can fill the node's memory`,
          };
          continue;
        }
        disk ??= storageBounded(spec) || defaultsOf(inventory, workload.namespace).ephemeralStorage;
        if (disk) continue;
        yield {
          target: workload.loaded,
          path,
          message: `emptyDir volume "${name}" has no sizeLimit and no container of the pod has an ephemeral-storage limit: it can fill the node's disk`,
        };
      }
    }
  },
});
