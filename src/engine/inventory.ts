import type { LoadedObject } from '../load/types.js';

/** The whole input, indexed once, for rules that look across objects (`inventory` target). */
export class Inventory {
  readonly objects: readonly LoadedObject[];
  private kinds: Map<string, LoadedObject[]> | undefined;

  constructor(objects: readonly LoadedObject[]) {
    this.objects = objects;
  }

  /** Every object of a kind, in input order. */
  byKind(kind: string): readonly LoadedObject[] {
    if (this.kinds === undefined) {
      this.kinds = new Map();
      for (const o of this.objects) {
        const list = this.kinds.get(o.ref.kind);
        if (list) list.push(o);
        else this.kinds.set(o.ref.kind, [o]);
      }
    }
    return this.kinds.get(kind) ?? [];
  }
}
