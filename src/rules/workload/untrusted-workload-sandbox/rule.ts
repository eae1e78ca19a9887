import { defineRule } from '../../../engine/rule.js';
import { asObject, asString } from '../../../k8s/object.js';
import { labelsOf, namespaceIndex } from '../namespaces.js';
import { completeWorkloads } from '../fragments.js';

/** The label that marks a Namespace (or a workload) as running untrusted code. */
const UNTRUSTED_LABEL = 'mamori.io/untrusted';
const RUNTIME_HANDLERS = Symbol('workload.runtime-class-handlers');

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

export const rule = defineRule({
  id: 'untrusted-workload-sandbox',
  title: 'Untrusted workload without a sandboxed runtime',
  severity: 'high',
  target: 'inventory',
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
  *check({ inventory }, { options }) {
    const listed = new Set(stringList(options['untrustedNamespaces']));
    const sandboxed = new Set(stringList(options['sandboxedRuntimeClasses']));
    const namespaces = namespaceIndex(inventory);
    const handlers = inventory.memo(RUNTIME_HANDLERS, () => {
      const out = new Map<string, string>();
      for (const loaded of inventory.byKind('RuntimeClass')) {
        const handler = asString(loaded.object['handler']);
        if (handler !== undefined && !out.has(loaded.ref.name)) out.set(loaded.ref.name, handler);
      }
      return out;
    });
    for (const workload of completeWorkloads(inventory)) {
      let why: string | undefined;
      if (listed.has(workload.namespace)) why = `namespace "${workload.namespace}" is listed as untrusted`;
      else if (namespaces.get(workload.namespace)?.labels[UNTRUSTED_LABEL] === 'true') why = `namespace "${workload.namespace}" is labelled ${UNTRUSTED_LABEL}`;
      else if (labelsOf(workload.loaded)[UNTRUSTED_LABEL] === 'true' || asString(asObject(workload.pod.metadata['labels'])?.[UNTRUSTED_LABEL]) === 'true')
        why = `the workload is labelled ${UNTRUSTED_LABEL}`;
      if (why === undefined) continue;
      const { spec, specPath } = workload.pod;
      const runtimeClass = asString(spec['runtimeClassName']);
      if (runtimeClass !== undefined && runtimeClass !== '') {
        const handler = handlers.get(runtimeClass);
        if (sandboxed.has(runtimeClass) || (handler !== undefined && sandboxed.has(handler))) continue;
        yield {
          target: workload.loaded,
          path: [...specPath, 'runtimeClassName'],
          message: `${why}, but the pod's runtimeClassName "${runtimeClass}" is not a sandboxed runtime`,
        };
        continue;
      }
      yield {
        target: workload.loaded,
        path: specPath,
        message: `${why}, but the pod sets no runtimeClassName and runs on the node's default runtime, sharing its kernel`,
      };
    }
  },
});
