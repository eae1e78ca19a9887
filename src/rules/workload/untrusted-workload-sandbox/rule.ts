import { namespaceOf, type Inventory } from '../../../engine/inventory.js';
import { defineRule } from '../../../engine/rule.js';
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

const DEFAULT_RUNTIME = "the pod sets no runtimeClassName and runs on the node's default runtime, sharing its kernel";

/**
 * Why the pod's runtime shares the node's kernel, once the input is read; null when it is a sandbox.
 * A RuntimeClass of the input with the pod's runtime class name decides by its handler (the name is
 * what the pod asks for, the handler what the node runs); without one, the name decides.
 */
function unsandboxed(inventory: Inventory, runtimeClass: string | undefined, sandboxed: ReadonlySet<string>): string | null {
  if (runtimeClass === undefined) return DEFAULT_RUNTIME;
  const handler = runtimeHandlers(inventory).get(runtimeClass);
  if (handler === undefined) return sandboxed.has(runtimeClass) ? null : `the pod's runtimeClassName "${runtimeClass}" is not a sandboxed runtime`;
  return sandboxed.has(handler) ? null : `the pod's RuntimeClass "${runtimeClass}" in the input has handler "${handler}", which is not a sandboxed runtime`;
}

/** The message of a pod of a namespace listed as untrusted whose runtime is `runtime`. */
function listedMessage(namespace: string, runtime: string): string {
  return `namespace "${namespace}" is listed as untrusted, but ${runtime}`;
}

/** The finding of a pod of a namespace listed as untrusted, once the input is read: null when it is sandboxed. */
function untrustedByList(namespace: string, runtimeClass: string | undefined, sandboxed: ReadonlySet<string>): (inventory: Inventory) => string | null {
  return (inventory) => {
    const runtime = unsandboxed(inventory, runtimeClass, sandboxed);
    return runtime === null ? null : listedMessage(namespace, runtime);
  };
}

const LISTED: SharedFunctions<(inventory: Inventory) => string | null> = new WeakMap();
const LABELLED: SharedFunctions<(inventory: Inventory) => string | null> = new WeakMap();

/**
 * The message once the input is read, for a pod of a namespace the input may label untrusted: null
 * when its runtime class (`runtimeClass`, when it names one) is a sandbox. Otherwise the namespace's
 * label is blamed when the Namespace object carries it; else, with `byWorkload`, the workload's own
 * label; else the pod is not reported.
 */
function untrustedByLabel(namespace: string, runtimeClass: string | undefined, sandboxed: ReadonlySet<string>, byWorkload: boolean): (inventory: Inventory) => string | null {
  return (inventory) => {
    const labelledNamespace = namespaceIndex(inventory).get(namespace)?.labels[UNTRUSTED_LABEL] === 'true';
    if (!labelledNamespace && !byWorkload) return null;
    const runtime = unsandboxed(inventory, runtimeClass, sandboxed);
    if (runtime === null) return null;
    return labelledNamespace ? `namespace "${namespace}" is labelled ${UNTRUSTED_LABEL}, but ${runtime}` : `the workload is labelled ${UNTRUSTED_LABEL}, but ${runtime}`;
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
    'Containers share the node\'s kernel, so one kernel bug (Dirty Pipe, the cgroups release_agent escape, a new one next month) turns code execution in a container into root on the node. Code you did not write and do not vet (customer jobs, CI builds of pull requests, plugins, notebooks) should run under a runtime that adds its own boundary: gVisor intercepts system calls in a user-space kernel, Kata Containers runs each pod in a lightweight VM. A workload counts as untrusted when its namespace is listed in the option `untrustedNamespaces`, when the input\'s Namespace object carries the label `mamori.io/untrusted: "true"`, or when the workload, its pod template or (for a CronJob) its job template carries that label. Its `spec.runtimeClassName` must name a sandboxed runtime: when the input holds a RuntimeClass of that name, the RuntimeClass\'s handler (what the node actually runs) must be one of the option `sandboxedRuntimeClasses`, so a RuntimeClass called `gvisor` with handler `runc` is no sandbox; otherwise the name itself must be one of them. Incomplete objects that only patch a base elsewhere (a pod template without containers or with a container without an image, as in Kustomize strategic-merge patches) are not checked, since a field they leave out may be set in the base.',
  remediation:
    'Install a sandboxed runtime on a node pool (gVisor `runsc` or Kata Containers; GKE Sandbox, AKS Pod Sandboxing and others provide one), create its RuntimeClass, and set `spec.runtimeClassName` in the pod template to it. If your sandbox RuntimeClass has another name or handler, add it to the option `sandboxedRuntimeClasses` (when the input holds the RuntimeClass, its handler is what counts).',
  *check({ object, loaded, metadata, spec, specPath }, ctx) {
    if (isFragment(spec)) return;
    const { listed, sandboxed } = settings(ctx.options);
    const runtimeClass = asString(spec['runtimeClassName']);
    const named = runtimeClass !== undefined && runtimeClass !== '';
    const namespace = namespaceOf(loaded) ?? 'default';
    const path = named ? [...specPath, 'runtimeClassName'] : specPath;
    // Decided once the input is read: a RuntimeClass of the input may map the name to any handler.
    const lookup = named ? detach(runtimeClass) : undefined;
    if (listed.has(namespace)) {
      // Without a runtime class nothing in the input can change the verdict.
      if (lookup === undefined) yield { path, message: listedMessage(namespace, DEFAULT_RUNTIME) };
      else yield { path, message: '', resolve: sharedFunction(LISTED, ctx, [namespace, lookup], () => untrustedByList(namespace, lookup, sandboxed)) };
      return;
    }
    // Whether the Namespace object carries the label is known once the input is read.
    // A CronJob's jobTemplate labels are the labels of the Jobs it creates.
    const jobTemplate = asObject(asObject(object['spec'])?.['jobTemplate']);
    const byWorkload = labelled(asObject(object['metadata'])) || labelled(metadata) || (loaded.ref.kind === 'CronJob' && labelled(asObject(jobTemplate?.['metadata'])));
    yield { path, message: '', resolve: sharedFunction(LABELLED, ctx, [namespace, byWorkload, lookup], () => untrustedByLabel(namespace, lookup, sandboxed, byWorkload)) };
  },
});
