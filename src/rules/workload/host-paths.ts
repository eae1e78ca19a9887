import { asArray, asObject, asString } from '../../k8s/object.js';
import { CONTAINER_FIELDS } from '../../k8s/pod.js';
import type { JsonObject, Path } from '../../types.js';

/**
 * A host path in canonical form: absolute, `.` and `..` resolved, no repeated or trailing
 * slashes, and `/var/run` folded into `/run` (a symlink to it on every current distribution, and
 * the kubelet follows it). Undefined for values that are not absolute paths.
 */
export function canonicalHostPath(value: string): string | undefined {
  if (!value.startsWith('/')) return undefined;
  const parts: string[] = [];
  for (const part of value.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  if (parts[0] === 'var' && parts[1] === 'run') parts.splice(0, 2, 'run');
  return `/${parts.join('/')}`;
}

/** One container's mount of a volume. */
export interface VolumeMount {
  container: string;
  /** Path of the `volumeMounts[]` entry inside the object. */
  path: Path;
  /** The mount's `subPath`, when it has a literal one. */
  subPath: string | undefined;
}

/** The mounts of every volume of a pod spec, by volume name (init, regular and ephemeral containers). */
export function mountsByVolume(spec: JsonObject, specPath: Path): Map<string, VolumeMount[]> {
  const out = new Map<string, VolumeMount[]>();
  for (const field of CONTAINER_FIELDS) {
    const list = asArray(spec[field]);
    for (let index = 0; index < list.length; index++) {
      const container = asObject(list[index]);
      if (container === undefined) continue;
      const mounts = asArray(container['volumeMounts']);
      for (let m = 0; m < mounts.length; m++) {
        const mount = asObject(mounts[m]);
        const volume = asString(mount?.['name']);
        if (mount === undefined || volume === undefined) continue;
        const subPath = asString(mount['subPath']);
        const entry: VolumeMount = {
          container: asString(container['name']) ?? '',
          path: [...specPath, field, index, 'volumeMounts', m],
          subPath: subPath === '' ? undefined : subPath,
        };
        const known = out.get(volume);
        if (known) known.push(entry);
        else out.set(volume, [entry]);
      }
    }
  }
  return out;
}

/** `container "a"` or `containers "a", "b"`. */
export function describeContainers(names: readonly string[]): string {
  const unique = [...new Set(names)].map((n) => `"${n}"`);
  return `${unique.length === 1 ? 'container' : 'containers'} ${unique.join(', ')}`;
}
