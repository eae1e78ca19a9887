import { defineRule } from '../../../engine/rule.js';
import { asArray, asObject, asString } from '../../../k8s/object.js';
import { CONTAINER_FIELDS, POD_BEARING_KINDS } from '../../../k8s/pod.js';
import type { JsonObject, Path } from '../../../types.js';
import { isFragment } from '../fragments.js';

/** Node labels every node has; selecting on them confines nothing. */
const UBIQUITOUS_LABELS: ReadonlySet<string> = new Set([
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
]);

/** Taints Kubernetes itself sets; tolerating them says nothing about a dedicated node pool. */
function builtInTaint(key: string): boolean {
  return (
    key.startsWith('node.kubernetes.io/') ||
    key.startsWith('node.cloudprovider.kubernetes.io/') ||
    key === 'node-role.kubernetes.io/control-plane' ||
    key === 'node-role.kubernetes.io/master'
  );
}

/** A required node-affinity term that admits only some nodes. */
function confiningTerm(term: JsonObject): boolean {
  for (const field of ['matchExpressions', 'matchFields'] as const) {
    for (const entry of asArray(term[field])) {
      const requirement = asObject(entry);
      const key = asString(requirement?.['key']);
      const operator = asString(requirement?.['operator']);
      if (key === undefined || UBIQUITOUS_LABELS.has(key)) continue;
      // NotIn and DoesNotExist only keep the pod off some nodes; every other node stays open.
      if (operator === 'In' || operator === 'Exists' || operator === 'Gt' || operator === 'Lt') return true;
    }
  }
  return false;
}

/**
 * True when the pod can only land on chosen nodes. A toleration does not count: it lets the pod
 * onto tainted nodes, and nodes without the taint still take it.
 */
function confined(spec: JsonObject): boolean {
  const nodeName = asString(spec['nodeName']);
  if (nodeName !== undefined && nodeName !== '') return true;
  const selector = asObject(spec['nodeSelector']);
  if (selector !== undefined && Object.keys(selector).some((key) => !UBIQUITOUS_LABELS.has(key))) return true;
  const required = asObject(asObject(asObject(spec['affinity'])?.['nodeAffinity'])?.['requiredDuringSchedulingIgnoredDuringExecution']);
  const terms = asArray(required?.['nodeSelectorTerms']);
  // Terms are ORed: one term that confines nothing lets the pod go anywhere.
  return terms.length > 0 && terms.every((t) => confiningTerm(asObject(t) ?? {}));
}

/** The keys of the dedicated taints (NoSchedule or NoExecute, not Kubernetes' own) the pod tolerates. */
function dedicatedTaints(spec: JsonObject): string[] {
  const keys: string[] = [];
  for (const entry of asArray(spec['tolerations'])) {
    const toleration = asObject(entry);
    const key = asString(toleration?.['key']);
    const effect = asString(toleration?.['effect']) ?? '';
    if (key === undefined || key === '' || builtInTaint(key) || keys.includes(key)) continue;
    if (effect === '' || effect === 'NoSchedule' || effect === 'NoExecute') keys.push(key);
  }
  return keys;
}

/** Why nothing confines the pod: a toleration alone is named, since it looks like confinement. */
function unconfinedBecause(spec: JsonObject): string {
  const tolerated = dedicatedTaints(spec);
  if (tolerated.length === 0) return 'no nodeSelector or required node affinity confines it';
  const taints = tolerated.map((key) => `"${key}"`).join(', ');
  return `a toleration of taint${tolerated.length === 1 ? '' : 's'} ${taints} lets it onto the tainted nodes but does not keep it off the others; add a nodeSelector or required node affinity on the pool's label`;
}

export const rule = defineRule({
  id: 'privileged-node-isolation',
  title: 'Privileged workload not confined to dedicated nodes',
  severity: 'medium',
  target: 'pod',
  kinds: POD_BEARING_KINDS,
  controls: ['CMP-4', 'CMP-1'],
  description:
    'A privileged container, a Windows HostProcess container or a pod in the node\'s network, PID or IPC namespace is one step from the node, and from the node an attacker reads the tokens, secrets and memory of every other pod scheduled there. Where such workloads are needed they belong on a separate node pool, so that their compromise does not reach ordinary tenants and a compromised ordinary pod does not share a node with them. Counted as confined: `nodeName`, a `nodeSelector` or required node affinity on labels other than os/arch (every affinity term must select; NotIn and DoesNotExist only exclude). A toleration of the pool\'s taint is not enough on its own: it lets the pod onto the tainted nodes but does not keep it off the others, so only the nodeSelector or affinity beside it confines. DaemonSets are not reported: node agents run on every node by design. Incomplete objects that only patch a base elsewhere (a pod template without containers or with a container without an image, as in Kustomize strategic-merge patches) are not checked, since the base may pin the workload.',
  remediation:
    'Create a dedicated node pool: label its nodes (e.g. `workload-class=privileged`) and taint them (`workload-class=privileged:NoSchedule`). Give the workload `spec.nodeSelector` on that label (or a required node affinity) and a toleration of that taint: the selector keeps the workload on the pool, the taint and toleration keep everything else off it. A toleration alone lets the workload onto the pool without keeping it there. Better still, drop the privilege (`privileged`, `hostNetwork`, `hostPID`, `hostIPC`) if the workload can do without.',
  *check({ kind, spec, specPath }) {
    // A Kustomize patch: the base it is merged into may pin the workload (its own privilege is reported by the Pod Security rules).
    if (kind === 'DaemonSet' || isFragment(spec)) return;
    const reasons: string[] = [];
    const paths: Path[] = [];
    for (const field of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
      if (spec[field] === true) {
        reasons.push(field);
        paths.push([...specPath, field]);
      }
    }
    if (asObject(asObject(spec['securityContext'])?.['windowsOptions'])?.['hostProcess'] === true) {
      reasons.push('pod-level Windows HostProcess');
      paths.push([...specPath, 'securityContext', 'windowsOptions', 'hostProcess']);
    }
    for (const field of CONTAINER_FIELDS) {
      const list = asArray(spec[field]);
      for (let index = 0; index < list.length; index++) {
        const container = asObject(list[index]);
        const securityContext = asObject(container?.['securityContext']);
        if (securityContext === undefined) continue;
        const name = asString(container?.['name']) ?? '';
        if (securityContext['privileged'] === true) {
          reasons.push(`privileged container "${name}"`);
          paths.push([...specPath, field, index, 'securityContext', 'privileged']);
        }
        if (asObject(securityContext['windowsOptions'])?.['hostProcess'] === true) {
          reasons.push(`HostProcess container "${name}"`);
          paths.push([...specPath, field, index, 'securityContext', 'windowsOptions', 'hostProcess']);
        }
      }
    }
    const [first, ...others] = paths;
    if (first === undefined || confined(spec)) return;
    const violation = {
      path: first,
      message: `pod with ${reasons.join(', ')} can be scheduled on any node: ${unconfinedBecause(spec)}`,
    };
    yield others.length > 0 ? { ...violation, paths: others } : violation;
  },
});
