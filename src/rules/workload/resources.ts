import { namespaceOf, type Inventory } from '../../engine/inventory.js';
import type { RuleContext, Violation } from '../../engine/rule.js';
import type { LoadedObject } from '../../load/types.js';
import { isFragment } from './fragments.js';
import { sharedFunction, type SharedFunctions } from '../shared.js';
import { asArray, asObject, asString } from '../../k8s/object.js';
import type { ContainerField, ContainerRef } from '../../k8s/pod.js';
import type { JsonObject, Path } from '../../types.js';

/** The compute resources the resource rules look at. */
export type Resource = 'cpu' | 'memory';
/** Both of them, in message order. */
export const RESOURCES: readonly Resource[] = ['cpu', 'memory'];

/** What the LimitRanges of one namespace fill in for a container that leaves a value out. */
export interface NamespaceDefaults {
  limits: Set<Resource>;
  requests: Set<Resource>;
  /** A default (or max) ephemeral-storage limit. */
  ephemeralStorage: boolean;
}

const NONE: NamespaceDefaults = { limits: new Set(), requests: new Set(), ephemeralStorage: false };
const DEFAULTS = Symbol('workload.limit-range-defaults');

/** True when a resource list names the resource with a usable value (`0` is no limit at all). */
export function sets(list: JsonObject | undefined, resource: Resource | 'ephemeral-storage'): boolean {
  const value = list?.[resource];
  if (value === undefined || value === null) return false;
  if (value === 0 || value === '0') return false;
  return typeof value === 'string' || typeof value === 'number';
}

/**
 * The defaults each namespace's LimitRanges (type Container) give, with the API server's own
 * defaulting of LimitRange items: a missing `default` takes `max`, a missing `defaultRequest`
 * takes `default`, then `min`. Built once per scan.
 */
export function limitRangeDefaults(inventory: Inventory): ReadonlyMap<string, NamespaceDefaults> {
  return inventory.memo(DEFAULTS, () => {
    const out = new Map<string, NamespaceDefaults>();
    for (const loaded of inventory.byKind('LimitRange')) {
      const namespace = inventory.namespaceOf(loaded);
      if (namespace === undefined) continue;
      for (const entry of asArray(asObject(loaded.object['spec'])?.['limits'])) {
        const item = asObject(entry);
        if (item === undefined || asString(item['type']) !== 'Container') continue;
        const limit = asObject(item['default']);
        const max = asObject(item['max']);
        const request = asObject(item['defaultRequest']);
        const min = asObject(item['min']);
        if (sets(limit, 'ephemeral-storage') || sets(max, 'ephemeral-storage')) defaultsFor(out, namespace).ephemeralStorage = true;
        for (const resource of RESOURCES) {
          const limits = sets(limit, resource) || sets(max, resource);
          const requests = limits || sets(request, resource) || sets(min, resource);
          if (!limits && !requests) continue;
          const defaults = defaultsFor(out, namespace);
          if (limits) defaults.limits.add(resource);
          if (requests) defaults.requests.add(resource);
        }
      }
    }
    return out;
  });
}

function defaultsFor(map: Map<string, NamespaceDefaults>, namespace: string): NamespaceDefaults {
  let defaults = map.get(namespace);
  if (defaults === undefined) {
    defaults = { limits: new Set(), requests: new Set(), ephemeralStorage: false };
    map.set(namespace, defaults);
  }
  return defaults;
}

/** The defaults of a namespace (none when the input has no LimitRange there). */
export function defaultsOf(inventory: Inventory, namespace: string): NamespaceDefaults {
  return limitRangeDefaults(inventory).get(namespace) ?? NONE;
}

/** The `resources.limits` of a container or pod spec (allocation-free, for the no-finding path). */
export function limitsOf(owner: JsonObject): JsonObject | undefined {
  return asObject(asObject(owner['resources'])?.['limits']);
}

/** The `resources.requests` of a container or pod spec. */
export function requestsOf(owner: JsonObject): JsonObject | undefined {
  return asObject(asObject(owner['resources'])?.['requests']);
}

/** The `resources` of a container or pod spec, split into its two lists. */
export function resourceLists(owner: JsonObject): { requests: JsonObject | undefined; limits: JsonObject | undefined } {
  const resources = asObject(owner['resources']);
  return { requests: asObject(resources?.['requests']), limits: asObject(resources?.['limits']) };
}

/**
 * The container lists whose resources the API accepts: init and regular containers (ephemeral
 * containers may not declare resources, so they are not held to it), in `containersOf` order.
 */
export const SIZED_FIELDS: readonly ContainerField[] = ['initContainers', 'containers'];

/** The reference of a container, built only when a rule reports it. */
export function containerRef(container: JsonObject, field: ContainerField, index: number, specPath: Path): ContainerRef {
  return { container, name: asString(container['name']) ?? '', field, index, path: [...specPath, field, index] };
}

/** Where a missing `resources.<list>` entry of a container belongs: the deepest part that exists. */
export function resourcesPath(container: ContainerRef, list: 'requests' | 'limits', resource?: Resource): Path {
  const resources = asObject(container.container['resources']);
  if (resources === undefined) return container.path;
  const values = asObject(resources[list]);
  if (values === undefined) return [...container.path, 'resources'];
  if (resource !== undefined && Object.hasOwn(values, resource)) return [...container.path, 'resources', list, resource];
  return [...container.path, 'resources', list];
}

/** `cpu`, `memory` or `CPU and memory`, for messages. */
export function describeResources(resources: readonly Resource[]): string {
  return resources.map((r) => (r === 'cpu' ? 'CPU' : 'memory')).join(' and ');
}

const LIMIT_DEFAULTED: SharedFunctions<(inventory: Inventory) => boolean> = new WeakMap();

/** Drops the finding when a LimitRange of the namespace, anywhere in the input, fills the limit in. */
function limitDefaulted(namespace: string, resource: Resource): (inventory: Inventory) => boolean {
  return (inventory) => defaultsOf(inventory, namespace).limits.has(resource);
}

/**
 * The violations of a limit rule: every init and regular container of a complete pod spec that
 * sets no `resources.limits.<resource>` (and no pod-level limit), decided at the end against the
 * LimitRange defaults of its namespace.
 */
export function* missingLimits(loaded: LoadedObject, spec: JsonObject, specPath: Path, resource: Resource, ctx: RuleContext): Generator<Violation> {
  if (isFragment(spec) || sets(limitsOf(spec), resource)) return;
  const label = resource === 'cpu' ? 'CPU' : 'memory';
  let namespace: string | undefined;
  let unless: ((inventory: Inventory) => boolean) | undefined;
  for (const field of SIZED_FIELDS) {
    const list = asArray(spec[field]);
    for (let index = 0; index < list.length; index++) {
      const container = asObject(list[index]);
      if (container === undefined || sets(limitsOf(container), resource)) continue;
      const ns = (namespace ??= namespaceOf(loaded) ?? 'default');
      // One predicate for the pods of a namespace.
      unless ??= sharedFunction(LIMIT_DEFAULTED, ctx, [ns, resource], () => limitDefaulted(ns, resource));
      const ref = containerRef(container, field, index, specPath);
      const kind = field === 'initContainers' ? 'init container' : 'container';
      yield {
        path: resourcesPath(ref, 'limits', resource),
        message: `${kind} "${ref.name}" has no ${label} limit (resources.limits.${resource} is not set and no LimitRange of namespace "${ns}" in the input gives a default)`,
        unless,
      };
    }
  }
}
