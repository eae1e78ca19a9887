import { namespaceOf, type Inventory } from '../../../engine/inventory.js';
import { defineRule, type Violation } from '../../../engine/rule.js';
import { asObject, asString, detach } from '../../../k8s/object.js';
import { POD_BEARING_KINDS } from '../../../k8s/pod.js';
import type { JsonObject } from '../../../types.js';
import { isFragment } from '../fragments.js';
import { namespaceIndex } from '../namespaces.js';
import { sharedFunction, type SharedFunctions } from '../../shared.js';

/** The label that marks a Namespace (or a workload) as running untrusted code. */
const UNTRUSTED_LABEL = 'mamori.io/untrusted';
const RUNTIME_HANDLERS = Symbol('workload.runtime-class-handlers');

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

interface Settings {
  listed: ReadonlySet<string>;
  sandboxed: ReadonlySet<string>;
}

/** The options as sets, built once per scan (the engine hands every pod the same options object). */
const SETTINGS = new WeakMap<object, Settings>();
function settings(options: Readonly<Record<string, unknown>>): Settings {
  let out = SETTINGS.get(options);
  if (out === undefined) {
    out = { listed: new Set(stringList(options['untrustedNamespaces'])), sandboxed: new Set(stringList(options['sandboxedRuntimeClasses'])) };
    SETTINGS.set(options, out);
  }
  return out;
}

/** True when metadata (of the object or of its pod template) carries the untrusted label. */
function labelled(metadata: JsonObject | undefined): boolean {
  return asString(asObject(metadata?.['labels'])?.[UNTRUSTED_LABEL]) === 'true';
}

/** The handler of each RuntimeClass of the input, by name (the first one wins). */
function runtimeHandlers(inventory: Inventory): ReadonlyMap<string, string> {
  return inventory.memo(RUNTIME_HANDLERS, () => {
    const out = new Map<string, string>();
    for (const loaded of inventory.byKind('RuntimeClass')) {
      const handler = asString(loaded.object['handler']);
      if (handler !== undefined && !out.has(loaded.ref.name)) out.set(loaded.ref.name, handler);
    }
    return out;
  });
}

/** Whether the pod's runtime class names a RuntimeClass of the input with a sandboxed handler. */
function sandboxedByInput(inventory: Inventory, runtimeClass: string | undefined, sandboxed: ReadonlySet<string>): boolean {
  if (runtimeClass === undefined) return false;
  const handler = runtimeHandlers(inventory).get(runtimeClass);
  return handler !== undefined && sandboxed.has(handler);
}

const DECIDED: SharedFunctions<(inventory: Inventory) => boolean> = new WeakMap();

/** Drops the finding when the input maps the pod's runtime class to a sandboxed handler. */
function sandboxedIn(runtimeClass: string, sandboxed: ReadonlySet<string>): (inventory: Inventory) => boolean {
  return (inventory) => sandboxedByInput(inventory, runtimeClass, sandboxed);
}

const LABELLED: SharedFunctions<(inventory: Inventory) => string | null> = new WeakMap();

/** The pod's message: why it counts as untrusted, and which runtime it gets. */
function message(why: string, runtimeClass: string | undefined): string {
  return runtimeClass !== undefined
    ? `${why}, but the pod's runtimeClassName "${runtimeClass}" is not a sandboxed runtime`
    : `${why}, but the pod sets no runtimeClassName and runs on the node's default runtime, sharing its kernel`;
}

/**
 * The message once the input is read, for a pod of a namespace the input may label untrusted: null
 * when a RuntimeClass of the input maps the pod's runtime class (`runtimeClass`, when it names one)
 * to a sandboxed handler. Otherwise the namespace's label is blamed when the Namespace object
 * carries it; else, with `byWorkload`, the workload's own label; else the pod is not reported.
 */
function untrustedByLabel(namespace: string, runtimeClass: string | undefined, sandboxed: ReadonlySet<string>, byWorkload: boolean): (inventory: Inventory) => string | null {
  return (inventory) => {
    if (sandboxedByInput(inventory, runtimeClass, sandboxed)) return null;
    if (namespaceIndex(inventory).get(namespace)?.labels[UNTRUSTED_LABEL] === 'true') return message(`namespace "${namespace}" is labelled ${UNTRUSTED_LABEL}`, runtimeClass);
    return byWorkload ? message(`the workload is labelled ${UNTRUSTED_LABEL}`, runtimeClass) : null;
  };
}

export const rule = defineRule({
  id: 'untrusted-workload-sandbox',
  title: 'Untrusted workload without a sandboxed runtime',
  severity: 'high',
  target: 'pod',
  kinds: POD_BEARING_KINDS,
  context: ['Namespace', 'RuntimeClass'],
  controls: ['CMP-5'],
  frameworks: { nsa: ['Hardening container environments'] },
  options: {
    untrustedNamespaces: [],
    sandboxedRuntimeClasses: [
      'gvisor',
      'runsc',
      'kata',
      'kata-qemu',
      'kata-fc',
      'kata-clh',
      'kata-dragonball',
      'kata-qemu-sev',
      'kata-qemu-snp',
      'kata-qemu-tdx',
      'kata-vm-isolation',
      'kata-mshv-vm-isolation',
    ],
  },
  description:
    'Containers share the node\'s kernel, so one kernel bug (Dirty Pipe, the cgroups release_agent escape, a new one next month) turns code execution in a container into root on the node. Code you did not write and do not vet (customer jobs, CI builds of pull requests, plugins, notebooks) should run under a runtime that adds its own boundary: gVisor intercepts system calls in a user-space kernel, Kata Containers runs each pod in a lightweight VM. A workload counts as untrusted when its namespace is listed in the option `untrustedNamespaces`, when the input\'s Namespace object carries the label `mamori.io/untrusted: "true"`, or when the workload or its pod template carries that label. Its `spec.runtimeClassName` must name one of the option `sandboxedRuntimeClasses`, or a RuntimeClass of the input whose handler is one of them. Incomplete objects that only patch a base elsewhere (a pod template without containers or with a container without an image, as in Kustomize strategic-merge patches) are not checked, since a field they leave out may be set in the base.',
  remediation:
    'Install a sandboxed runtime on a node pool (gVisor `runsc` or Kata Containers; GKE Sandbox, AKS Pod Sandboxing and others provide one), create its RuntimeClass, and set `spec.runtimeClassName` in the pod template to it. If your sandbox RuntimeClass has another name, add it to the option `sandboxedRuntimeClasses`.',
  *check({ object, loaded, metadata, spec, specPath }, ctx) {
    if (isFragment(spec)) return;
    const { listed, sandboxed } = settings(ctx.options);
    const runtimeClass = asString(spec['runtimeClassName']);
    const named = runtimeClass !== undefined && runtimeClass !== '';
    if (named && sandboxed.has(runtimeClass)) return;
    const namespace = namespaceOf(loaded) ?? 'default';
    const path = named ? [...specPath, 'runtimeClassName'] : specPath;
    // A RuntimeClass of the input may map the name to a sandboxed handler.
    const lookup = named ? detach(runtimeClass) : undefined;
    if (listed.has(namespace)) {
      const violation: Violation = { path, message: message(`namespace "${namespace}" is listed as untrusted`, lookup) };
      if (lookup !== undefined) violation.unless = sharedFunction(DECIDED, ctx, [lookup], () => sandboxedIn(lookup, sandboxed));
      yield violation;
      return;
    }
    // Whether the Namespace object carries the label is known once the input is read.
    const byWorkload = labelled(asObject(object['metadata'])) || labelled(metadata);
    yield { path, message: '', resolve: sharedFunction(LABELLED, ctx, [namespace, byWorkload, lookup], () => untrustedByLabel(namespace, lookup, sandboxed, byWorkload)) };
  },
});
