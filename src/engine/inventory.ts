import { asObject, asString } from '../k8s/object.js';
import { isIncompletePodSpec, podSpecOf, type PodTemplate } from '../k8s/pod.js';
import { isClusterScoped } from '../k8s/scope.js';
import type { LoadedObject } from '../load/types.js';

/** An object that carries a pod spec, with its template. */
export interface Workload {
  loaded: LoadedObject;
  pod: PodTemplate;
  /** Its effective namespace. */
  namespace: string;
}

/**
 * The whole input, indexed once, for rules that look across objects (`inventory` target). Indexes
 * are built on first use; rule helpers keep their own derived indexes with `memo`, so no rule
 * has to walk the input more than once.
 */
export class Inventory {
  readonly objects: readonly LoadedObject[];
  private kinds: Map<string, LoadedObject[]> | undefined;
  private namespaced: Map<string, LoadedObject[]> | undefined;
  private pods: Workload[] | undefined;
  private namespaceObjects: Map<string, LoadedObject> | undefined;
  private readonly memos = new Map<unknown, unknown>();
  private readonly seen: ReadonlySet<string> | undefined;
  private readonly withWorkloads: ReadonlySet<string> | undefined;
  private readonly written: ReadonlySet<string> | undefined;

  /**
   * `objects` are the objects kept for the rules' context. `seen` (keys of `objectKey`) and
   * `workloadNamespaces` and `namespaces` (every `metadata.namespace` written) describe the whole
   * input, including objects that were not kept.
   */
  constructor(objects: readonly LoadedObject[], seen?: ReadonlySet<string>, workloadNamespaces?: ReadonlySet<string>, namespaces?: ReadonlySet<string>) {
    this.objects = objects;
    this.seen = seen;
    this.withWorkloads = workloadNamespaces;
    this.written = namespaces;
  }

  /** True when the input has an object of this kind, namespace and name (kept or not). */
  exists(kind: string, namespace: string | undefined, name: string): boolean {
    if (this.seen !== undefined) return this.seen.has(objectKey(kind, namespace, name));
    return this.objects.some((o) => o.ref.kind === kind && o.ref.name === name && this.namespaceOf(o) === namespace);
  }

  /**
   * The namespaces in which the input runs workloads: objects that carry a complete pod spec
   * (containers, each with an image; not a patch of a base elsewhere), PodTemplates excepted.
   */
  workloadNamespaces(): ReadonlySet<string> {
    return this.withWorkloads ?? new Set(this.workloads().filter((w) => w.loaded.ref.kind !== 'PodTemplate' && !isIncompletePodSpec(w.pod.spec)).map((w) => w.namespace));
  }

  /** True when some object of the input (kept or not) names this namespace in its `metadata.namespace`. */
  hasObjectsIn(namespace: string): boolean {
    if (this.written !== undefined) return this.written.has(namespace);
    return this.objects.some((o) => o.ref.namespace === namespace);
  }

  /** Every object of a kind, in input order. */
  byKind(kind: string): readonly LoadedObject[] {
    if (this.kinds === undefined) {
      this.kinds = new Map();
      for (const o of this.objects) push(this.kinds, o.ref.kind, o);
    }
    return this.kinds.get(kind) ?? [];
  }

  /**
   * The namespace an object is applied to: its `metadata.namespace`, or `default` (as kubectl
   * applies a manifest without one); undefined for cluster-scoped kinds.
   */
  namespaceOf(object: LoadedObject): string | undefined {
    return namespaceOf(object);
  }

  /** Objects of a kind in a namespace, in input order. */
  inNamespace(kind: string, namespace: string): readonly LoadedObject[] {
    if (this.namespaced === undefined) {
      this.namespaced = new Map();
      for (const o of this.objects) {
        const ns = this.namespaceOf(o);
        if (ns !== undefined) push(this.namespaced, `${o.ref.kind}\u0000${ns}`, o);
      }
    }
    return this.namespaced.get(`${kind}\u0000${namespace}`) ?? [];
  }

  /** The Namespace object of that name, if the input has it. */
  namespace(name: string): LoadedObject | undefined {
    if (this.namespaceObjects === undefined) {
      this.namespaceObjects = new Map();
      for (const o of this.byKind('Namespace')) if (!this.namespaceObjects.has(o.ref.name)) this.namespaceObjects.set(o.ref.name, o);
    }
    return this.namespaceObjects.get(name);
  }

  /** The labels of a namespace as the input declares them (empty when its Namespace is not in the input). */
  namespaceLabels(name: string): Readonly<Record<string, string>> {
    const ns = this.namespace(name);
    const labels = asObject(asObject(ns?.object['metadata'])?.['labels']) ?? {};
    const out: Record<string, string> = { 'kubernetes.io/metadata.name': name };
    for (const [k, v] of Object.entries(labels)) {
      const s = asString(v);
      if (s !== undefined) out[k] = s;
    }
    return out;
  }

  /** Every object that carries a pod spec, in input order. */
  workloads(): readonly Workload[] {
    if (this.pods === undefined) {
      this.pods = [];
      for (const loaded of this.objects) {
        const pod = podSpecOf(loaded.object);
        if (pod !== undefined) this.pods.push({ loaded, pod, namespace: this.namespaceOf(loaded) ?? 'default' });
      }
    }
    return this.pods;
  }

  /** A derived index, built once per inventory under `key` (use a module-level symbol). */
  memo<T>(key: symbol, build: () => T): T {
    if (!this.memos.has(key)) this.memos.set(key, build());
    return this.memos.get(key) as T;
  }
}

/** The key of an object in `Inventory.exists`. */
export function objectKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}\u0000${namespace ?? ''}\u0000${name}`;
}

/** The namespace an object is applied to: `metadata.namespace`, or `default`; undefined when cluster-scoped. */
export function namespaceOf(object: LoadedObject): string | undefined {
  if (isClusterScoped(object.ref.kind)) return undefined;
  return object.ref.namespace ?? 'default';
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
