import { namespaceOf, type Inventory } from '../../../engine/inventory.js';
import { defineRule } from '../../../engine/rule.js';
import { asArray, asObject, asString } from '../../../k8s/object.js';
import { CONTAINER_FIELDS, POD_BEARING_KINDS } from '../../../k8s/pod.js';
import type { JsonObject } from '../../../types.js';
import { mountsByVolume, type VolumeMount } from '../host-paths.js';
import { sharedFunction, type SharedFunctions } from '../../shared.js';
import { defaultsOf, limitsOf, sets } from '../resources.js';

/** True when some container of the pod limits ephemeral storage: the kubelet then evicts the pod once all its disk use (emptyDirs included) passes the sum of those limits. */
function storageBounded(spec: JsonObject): boolean {
  if (sets(limitsOf(spec), 'ephemeral-storage')) return true;
  for (const field of CONTAINER_FIELDS) {
    if (field === 'ephemeralContainers') continue;
    for (const entry of asArray(spec[field])) {
      const container = asObject(entry);
      if (container !== undefined && sets(limitsOf(container), 'ephemeral-storage')) return true;
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

/** The first container mounting the volume without a memory limit (its name), if any. */
function firstUnbounded(spec: JsonObject, writers: readonly VolumeMount[]): string | undefined {
  for (const mount of writers) if (!sets(limitsOf(containerNamed(spec, mount.container) ?? {}), 'memory')) return mount.container;
  return undefined;
}

/** Drops the finding when a LimitRange of the namespace, anywhere in the input, gives a memory limit (which bounds the tmpfs). */
function memoryDefaulted(namespace: string): (inventory: Inventory) => boolean {
  return (inventory) => defaultsOf(inventory, namespace).limits.has('memory');
}

/** Drops the finding when a LimitRange of the namespace, anywhere in the input, gives an ephemeral-storage limit. */
function storageDefaulted(namespace: string): (inventory: Inventory) => boolean {
  return (inventory) => defaultsOf(inventory, namespace).ephemeralStorage;
}

const MEMORY_DEFAULTED: SharedFunctions<(inventory: Inventory) => boolean> = new WeakMap();
const STORAGE_DEFAULTED: SharedFunctions<(inventory: Inventory) => boolean> = new WeakMap();

export const rule = defineRule({
  id: 'emptydir-size-limit',
  title: 'emptyDir volume without a size limit',
  severity: 'low',
  target: 'pod',
  kinds: POD_BEARING_KINDS,
  context: ['LimitRange'],
  controls: ['CMP-3'],
  frameworks: { nsa: ['Resource policies'] },
  description:
    'An emptyDir lives on the node\'s disk (or, with `medium: Memory`, in its RAM). Without a `sizeLimit`, a runaway log, a cache that never evicts or an attacker writing junk fills the node\'s filesystem: the kubelet then reports DiskPressure, stops admitting pods and evicts others, and the node\'s own components can fail. Not reported for a volume no container mounts, nor when a bound already applies: a disk-backed emptyDir is covered when a container of the pod (or the pod itself) has an `ephemeral-storage` limit, or a LimitRange of the namespace in the input gives one, since the kubelet evicts the pod once its total disk use passes it; a memory-backed one is covered when every container mounting it has a memory limit (tmpfs pages are charged to the writer), or a pod-level or LimitRange memory limit applies.',
  remediation:
    'Set `emptyDir.sizeLimit` on every emptyDir volume to what the workload needs (for example `sizeLimit: 256Mi` for /tmp), or give the containers `resources.limits.ephemeral-storage`.',
  *check({ loaded, spec, specPath }, ctx) {
    const volumes = asArray(spec['volumes']);
    if (volumes.length === 0) return;
    let disk: boolean | undefined;
    let mounts: ReturnType<typeof mountsByVolume> | undefined;
    let namespace: string | undefined;
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
      const ns = (namespace ??= namespaceOf(loaded) ?? 'default');
      if (asString(emptyDir?.['medium']) === 'Memory') {
        if (sets(limitsOf(spec), 'memory')) continue;
        const unbounded = firstUnbounded(spec, writers);
        if (unbounded === undefined) continue;
        yield {
          path,
          message: `memory-backed emptyDir volume "${name}" has no sizeLimit and container "${unbounded}" that mounts it has no memory limit: it can fill the node's memory`,
          unless: sharedFunction(MEMORY_DEFAULTED, ctx, [ns], () => memoryDefaulted(ns)),
        };
        continue;
      }
      disk ??= storageBounded(spec);
      if (disk) continue;
      yield {
        path,
        message: `emptyDir volume "${name}" has no sizeLimit and no container of the pod has an ephemeral-storage limit: it can fill the node's disk`,
        unless: sharedFunction(STORAGE_DEFAULTED, ctx, [ns], () => storageDefaulted(ns)),
      };
    }
  },
});
