import type { Inventory } from '../../engine/inventory.js';
import { asObject, asString } from '../../k8s/object.js';
import type { LoadedObject } from '../../load/types.js';

/** A Namespace object of the input with its labels. */
export interface NamespaceEntry {
  loaded: LoadedObject;
  labels: Readonly<Record<string, string>>;
}

const NAMESPACES = Symbol('workload.namespaces');

/** The Namespace objects of the input by name (the first one wins when a name repeats). */
export function namespaceIndex(inventory: Inventory): ReadonlyMap<string, NamespaceEntry> {
  return inventory.memo(NAMESPACES, () => {
    const out = new Map<string, NamespaceEntry>();
    for (const loaded of inventory.byKind('Namespace')) {
      if (loaded.ref.name === '' || out.has(loaded.ref.name)) continue;
      out.set(loaded.ref.name, { loaded, labels: labelsOf(loaded) });
    }
    return out;
  });
}

/** The string labels of an object's metadata. */
export function labelsOf(loaded: LoadedObject): Record<string, string> {
  const labels = asObject(asObject(loaded.object['metadata'])?.['labels']);
  const out: Record<string, string> = {};
  if (labels === undefined) return out;
  for (const [key, value] of Object.entries(labels)) {
    const s = asString(value);
    if (s !== undefined) out[key] = s;
  }
  return out;
}
