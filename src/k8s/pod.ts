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
  // Argo Rollouts: a Deployment with progressive delivery strategies (or a `workloadRef` to a
  // Deployment instead of a template, which then has no pod of its own).
  Rollout: ['spec', 'template'],
  // OpenShift: rolled out through ReplicationControllers.
  DeploymentConfig: ['spec', 'template'],
};

/**
 * The API groups of the pod-bearing kinds that Kubernetes does not define: a resource of another
 * group that shares the name (some CRD's own `Rollout`) carries no pod. OpenShift also serves
 * DeploymentConfigs in the legacy core group (`apiVersion: v1`). Built-in kinds are read whatever
 * their apiVersion.
 */
const GROUPS: Readonly<Record<string, readonly string[]>> = {
  Rollout: ['argoproj.io'],
  DeploymentConfig: ['apps.openshift.io', ''],
};

/**
 * The kinds whose objects carry a pod spec: those Pod Security Admission extracts, Argo Rollouts'
 * Rollout and OpenShift's DeploymentConfig. The last two only in their own API groups
 * (`isPodBearing`); `podSpecOf` checks.
 */
export const POD_BEARING_KINDS: readonly string[] = Object.keys(TEMPLATE_ROOTS);

/** True for an apiVersion and kind whose objects carry a pod spec. */
export function isPodBearing(apiVersion: string, kind: string): boolean {
  if (!Object.hasOwn(TEMPLATE_ROOTS, kind)) return false;
  const groups = GROUPS[kind];
  if (groups === undefined) return true;
  const slash = apiVersion.indexOf('/');
  return groups.includes(slash < 0 ? '' : apiVersion.slice(0, slash));
}

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

/** The pod spec of a pod-bearing object, or undefined for other kinds and groups, or when the template is missing (a Rollout's `workloadRef`). */
export function podSpecOf(object: JsonObject): PodTemplate | undefined {
  const kind = asString(object['kind']);
  if (kind === undefined || !isPodBearing(asString(object['apiVersion']) ?? '', kind)) return undefined;
  const root = TEMPLATE_ROOTS[kind] ?? [];
  let node: unknown = object;
  for (const key of root) {
    node = isObject(node) ? node[key as string] : undefined;
  }
  const template = asObject(node);
  const spec = asObject(template?.['spec']);
  if (template === undefined || spec === undefined) return undefined;
  if (kind === 'DeploymentConfig') noteTriggeredImages(object, spec);
  return { metadata: asObject(template['metadata']) ?? {}, spec, root, specPath: [...root, 'spec'] };
}

/**
 * For the pod spec of a DeploymentConfig (as `podSpecOf` returns it), the regular containers whose
 * image an ImageChange trigger sets from an image stream tag. OpenShift accepts a blank `image`
 * there (`""`, or the `" "` token of its templates) and fills it in; the pod spec alone does not
 * say so, hence this note beside it.
 */
const TRIGGERED_IMAGES = new WeakMap<JsonObject, ReadonlySet<string>>();

function noteTriggeredImages(object: JsonObject, spec: JsonObject): void {
  let names: Set<string> | undefined;
  for (const entry of asArray(asObject(object['spec'])?.['triggers'])) {
    const trigger = asObject(entry);
    if (trigger?.['type'] !== 'ImageChange') continue;
    for (const name of asArray(asObject(trigger['imageChangeParams'])?.['containerNames'])) {
      if (typeof name === 'string') (names ??= new Set()).add(name);
    }
  }
  if (names !== undefined) TRIGGERED_IMAGES.set(spec, names);
}

/**
 * True for a container of a DeploymentConfig's pod spec whose image an ImageChange trigger sets,
 * so that a blank `image` is filled in at deployment: regular containers only, as OpenShift's.
 */
export function imageFromTrigger(spec: JsonObject, field: ContainerField, name: string): boolean {
  return field === 'containers' && TRIGGERED_IMAGES.get(spec)?.has(name) === true;
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
 * or regular container without an image (other than one a DeploymentConfig's ImageChange trigger
 * sets). Such objects are patches (Kustomize strategic-merge patches, Helm fragments) merged into
 * a base elsewhere.
 */
export function isIncompletePodSpec(spec: JsonObject): boolean {
  const containers = asArray(spec['containers']);
  if (containers.length === 0) return true;
  for (const field of ['initContainers', 'containers'] as const) {
    for (const entry of asArray(spec[field])) {
      const container = asObject(entry);
      const image = asString(container?.['image']);
      if ((image === undefined || image === '') && !imageFromTrigger(spec, field, asString(container?.['name']) ?? '')) return true;
    }
  }
  return false;
}
