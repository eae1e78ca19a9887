import type { JsonObject, Path } from '../types.js';
import { asArray, asObject, asString, isObject } from './object.js';

/** Where each pod-bearing kind keeps its pod template (metadata + spec). */
const TEMPLATE_ROOTS: Readonly<Record<string, Path>> = {
  Pod: [],
  PodTemplate: ['template'],
  ReplicationController: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

/** The kinds whose objects carry a pod spec, as Pod Security Admission extracts them. */
export const POD_BEARING_KINDS: readonly string[] = Object.keys(TEMPLATE_ROOTS);

/** A pod (or pod template) inside an object, with the path of its root (metadata + spec). */
export interface PodTemplate {
  /** The pod's (or template's) metadata; an empty object when absent. */
  metadata: JsonObject;
  spec: JsonObject;
  /** Path of the template root inside the object: `[]` for a Pod, `['spec','template']` for a Deployment. */
  root: Path;
  /** Path of the pod spec: `[...root, 'spec']`. */
  specPath: Path;
}

/** The pod spec of a pod-bearing object, or undefined for other kinds or when the template is missing. */
export function podSpecOf(object: JsonObject): PodTemplate | undefined {
  const kind = asString(object['kind']);
  if (kind === undefined || !Object.hasOwn(TEMPLATE_ROOTS, kind)) return undefined;
  const root = TEMPLATE_ROOTS[kind] ?? [];
  let node: unknown = object;
  for (const key of root) {
    node = isObject(node) ? node[key as string] : undefined;
  }
  const template = asObject(node);
  const spec = asObject(template?.['spec']);
  if (template === undefined || spec === undefined) return undefined;
  return { metadata: asObject(template['metadata']) ?? {}, spec, root, specPath: [...root, 'spec'] };
}

/** The three container lists of a pod spec, in the order Pod Security Admission visits them. */
export const CONTAINER_FIELDS = ['initContainers', 'containers', 'ephemeralContainers'] as const;
export type ContainerField = (typeof CONTAINER_FIELDS)[number];

/** One container of a pod spec with its field path. */
export interface ContainerRef {
  container: JsonObject;
  /** The container's name ('' when unnamed). */
  name: string;
  field: ContainerField;
  index: number;
  /** Path of the container inside the object. */
  path: Path;
}

/** Every container (init, regular, ephemeral, in that order) of a pod spec; `specPath` prefixes the paths. */
export function containersOf(spec: JsonObject, specPath: Path = []): ContainerRef[] {
  const out: ContainerRef[] = [];
  for (const field of CONTAINER_FIELDS) {
    const list = asArray(spec[field]);
    for (let index = 0; index < list.length; index++) {
      const container = list[index];
      if (!isObject(container)) continue;
      out.push({
        container,
        name: asString(container['name']) ?? '',
        field,
        index,
        path: [...specPath, field, index],
      });
    }
  }
  return out;
}

/**
 * True for a pod spec that the API server would reject as incomplete: no containers, or an init
 * or regular container without an image. Such objects are patches (Kustomize strategic-merge
 * patches, Helm fragments) merged into a base elsewhere.
 */
export function isIncompletePodSpec(spec: JsonObject): boolean {
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
