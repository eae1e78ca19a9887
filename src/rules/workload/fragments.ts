import type { Inventory, Workload } from '../../engine/inventory.js';
import { asArray, asObject, asString } from '../../k8s/object.js';
import type { JsonObject } from '../../types.js';

const COMPLETE = Symbol('workload.complete-workloads');

/**
 * True for a pod spec that the API server would reject as incomplete: no containers, or a
 * container without an image. Such objects are patches (Kustomize strategic-merge patches, Helm
 * fragments) merged into a base elsewhere, so a field missing from them says nothing about the
 * result; the rules that report a *missing* field skip them, the rules that report a field that
 * is present do not. (A missing `spec.selector` is not taken as a sign: Kustomize adds selectors
 * to complete bases through `labels`.)
 */
export function isFragment(spec: JsonObject): boolean {
  const containers = asArray(spec['containers']);
  if (containers.length === 0) return true;
  for (const field of ['initContainers', 'containers'] as const) {
    for (const entry of asArray(spec[field])) {
      const image = asString(asObject(entry)?.['image']);
      if (image === undefined || image === '') return true;
    }
  }
  return false;
}

/** The workloads of the input that are not fragments, computed once per scan. */
export function completeWorkloads(inventory: Inventory): readonly Workload[] {
  return inventory.memo(COMPLETE, () => inventory.workloads().filter((w) => !isFragment(w.pod.spec)));
}
