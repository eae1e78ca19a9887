import { asObject } from '../../k8s/object.js';
import { containersOf } from '../../k8s/pod.js';
import type { JsonObject, Path } from '../../types.js';
import { containerLabel } from '../image/common.js';

/** A UID or GID field of a securityContext set to a value a rule reports. */
export interface IdSetting {
  path: Path;
  value: number;
}

/**
 * Where a pod's processes get a reported `runAsUser` or `runAsGroup`: each container that sets one
 * itself (with its label), and the pod's own, with the labels of the containers that set none and
 * so inherit it (none inherit: no pod entry).
 */
export function idSettings(
  spec: JsonObject,
  specPath: Path,
  field: 'runAsUser' | 'runAsGroup',
  reported: (value: number) => boolean,
): { containers: (IdSetting & { label: string })[]; pod: (IdSetting & { inheriting: string[] }) | undefined } {
  const containers: (IdSetting & { label: string })[] = [];
  const inheriting: string[] = [];
  for (const { container, field: list, name, index, path } of containersOf(spec, specPath)) {
    const value = asObject(container['securityContext'])?.[field];
    const label = containerLabel(list, name, index);
    if (typeof value !== 'number') inheriting.push(label);
    else if (reported(value)) containers.push({ path: [...path, 'securityContext', field], value, label });
  }
  const podValue = asObject(spec['securityContext'])?.[field];
  const pod = inheriting.length > 0 && typeof podValue === 'number' && reported(podValue) ? { path: [...specPath, 'securityContext', field], value: podValue, inheriting } : undefined;
  return { containers, pod };
}

/** "a runs" or "a, b run": the inheriting containers as the subject of a verb. */
export function inheritors(labels: readonly string[], singular: string, plural: string): string {
  return `${labels.join(', ')} ${labels.length === 1 ? singular : plural}`;
}
