/** Helpers shared by the rules of the `image` area. */
import type { Violation } from '../../engine/rule.js';
import type { ContainerField } from '../../k8s/pod.js';

/** The result of a check that found nothing; shared so the common path allocates nothing. */
export const NONE: readonly Violation[] = Object.freeze([]);

const KINDS: Readonly<Record<ContainerField, string>> = {
  initContainers: 'init container',
  containers: 'container',
  ephemeralContainers: 'ephemeral container',
};

/** How messages name a container: `container "web"`, `init container "migrate"`, `container #2` when unnamed. */
export function containerLabel(field: ContainerField, name: string, index: number): string {
  return name === '' ? `${KINDS[field]} #${index}` : `${KINDS[field]} ${JSON.stringify(name)}`;
}

/** True when a list of `{name}` references (imagePullSecrets) names at least one object. */
export function namesSome(list: unknown): boolean {
  if (!Array.isArray(list)) return false;
  for (const item of list as readonly unknown[]) {
    if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
      const name = (item as Record<string, unknown>)['name'];
      if (typeof name === 'string' && name !== '') return true;
    }
  }
  return false;
}
