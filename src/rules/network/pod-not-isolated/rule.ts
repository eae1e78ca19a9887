import { defineRule } from '../../../engine/rule.js';
import type { Inventory } from '../../../engine/inventory.js';
import { namespaceOf } from '../../../engine/inventory.js';
import { asObject, asString } from '../../../k8s/object.js';
import { POD_BEARING_KINDS } from '../../../k8s/pod.js';
import type { JsonObject, Path } from '../../../types.js';
import { directionsText, isolationCache, podLabels, POLICY_KINDS, policiesOf, type Isolation } from '../netpol.js';

interface NamespaceCheck {
  /** Select-all policies already isolate every pod of the namespace in the directions checked. */
  covered: boolean;
  /** A note on policies of the namespace whose podSelector is invalid and so selects nothing. */
  invalid?: string;
  isolation: (kind: string, name: string, metadata: JsonObject) => Isolation;
}

function labelsText(labels: ReadonlyMap<string, string>): string {
  if (labels.size === 0) return 'no labels';
  const shown = [...labels].slice(0, 3).map(([k, v]) => `${k}=${v}`);
  return `labels ${shown.join(',')}${labels.size > 3 ? ',…' : ''}`;
}

function namesText(names: readonly string[]): string {
  const shown = names.slice(0, 3).map((n) => `"${n}"`).join(', ');
  return names.length > 3 ? `${shown} and ${names.length - 3} more` : shown;
}

function pathOf(pod: { root: Path; metadata: JsonObject }): Path {
  if (asObject(pod.metadata['labels']) !== undefined) return [...pod.root, 'metadata', 'labels'];
  if (pod.root.length === 0) return ['metadata'];
  return Object.keys(pod.metadata).length > 0 ? [...pod.root, 'metadata'] : pod.root;
}

/** The controllers named as owners of an object (`controller: true`), as kind and name. */
function controllersOf(object: JsonObject): [string, string][] {
  const owners = asObject(object['metadata'])?.['ownerReferences'];
  if (!Array.isArray(owners)) return [];
  const out: [string, string][] = [];
  for (const raw of owners) {
    const owner = asObject(raw);
    if (owner?.['controller'] !== true) continue;
    const kind = asString(owner['kind']);
    const name = asString(owner['name']);
    if (kind !== undefined && name !== undefined) out.push([kind, name]);
  }
  return out;
}

const CHECKS = Symbol('network.pod-not-isolated.checks');

/** The per-namespace verdicts, built once per scan and options. */
function checkOf(inventory: Inventory, namespace: string, wantIngress: boolean, wantEgress: boolean, includeEmpty: boolean): NamespaceCheck | null {
  const checks = inventory.memo(CHECKS, () => new Map<string, NamespaceCheck | null>());
  const key = `${namespace}\u0000${wantIngress}\u0000${wantEgress}\u0000${includeEmpty}`;
  let check = checks.get(key);
  if (check !== undefined) return check;
  const ns = policiesOf(inventory).byNamespace.get(namespace);
  if (ns === undefined || ns.calico || (ns.policies.length === 0 && ns.cilium.length === 0)) {
    check = ns?.calico !== true && includeEmpty ? { covered: false, isolation: () => ({ ingress: false, egress: false, selectedBy: [] }) } : null;
  } else {
    let ingress = false;
    let egress = false;
    for (const p of ns.index.everything) {
      ingress ||= p.ingress;
      egress ||= p.egress;
    }
    check = { covered: (!wantIngress || ingress) && (!wantEgress || egress), isolation: isolationCache(ns) };
    const broken = ns.policies.find((p) => p.selector.error !== undefined);
    if (broken !== undefined) check.invalid = `NetworkPolicy "${broken.name}" selects no pod: its podSelector is invalid, ${broken.selector.error ?? ''}`;
  }
  checks.set(key, check);
  return check;
}

export const rule = defineRule({
  id: 'pod-not-isolated',
  title: 'Pods not isolated by any NetworkPolicy',
  severity: 'medium',
  target: 'pod',
  kinds: POD_BEARING_KINDS,
  context: [...POLICY_KINDS, 'Namespace'],
  controls: ['NET-1', 'DEV-1'],
  frameworks: {
    cis: ['5.3.2'],
    nsa: ['Network separation and hardening: Network policies'],
    kubescape: ['C-0260', 'C-0030'],
  },
  options: {
    /** Directions a pod must be isolated in: `Ingress`, `Egress`, or both. */
    directions: ['Ingress'],
    /**
     * Also report workloads in namespaces for which the input has no NetworkPolicy at all. Off by
     * default: such namespaces are reported once on their Namespace object (namespace rules), and a
     * chart without policies may be deployed where the platform supplies them.
     */
    includeNamespacesWithoutPolicies: false,
  },
  description:
    'A pod that no NetworkPolicy of its namespace selects (for a direction listed in the policy\'s effective policyTypes) is not isolated: every pod of the cluster can connect to it, so one compromised container anywhere can reach its ports and move laterally. It usually means a workload was added after the policies were written, or its labels no longer match their podSelector. mamori evaluates podSelector with full label-selector semantics (matchLabels and matchExpressions) and the API\'s policyTypes defaults; CiliumNetworkPolicy endpointSelectors count as isolation. Reported for namespaces whose NetworkPolicies are in the input, once per controller (a ReplicaSet or Pod owned by a controller of the input is reported through it); not for hostNetwork pods (policies do not apply to them) nor PodTemplates, and not at all when the input holds cluster-wide policies (Cilium clusterwide, Calico global, AdminNetworkPolicy) or Calico policies in the namespace, whose effect is not modelled.',
  remediation:
    'Add a NetworkPolicy in the workload\'s namespace whose `spec.podSelector` matches the pod template labels and whose `policyTypes` include `Ingress` (and `Egress` where required), allowing only the peers and ports the workload needs; or add a namespace-wide default deny (`podSelector: {}`, `policyTypes: [Ingress, Egress]`) and allow traffic per workload. If a policy was meant to select these pods, fix its `podSelector` or the template labels.',
  *check({ loaded, metadata, spec, root }, { options }) {
    const { kind, name } = loaded.ref;
    // A PodTemplate runs nothing by itself; policies do not apply to host-network pods.
    if (kind === 'PodTemplate' || spec['hostNetwork'] === true) return;
    const wanted = new Set((Array.isArray(options['directions']) ? (options['directions'] as unknown[]) : []).map((d) => String(d).toLowerCase()));
    const wantIngress = wanted.has('ingress');
    const wantEgress = wanted.has('egress');
    if (!wantIngress && !wantEgress) return;
    const includeEmpty = options['includeNamespacesWithoutPolicies'] === true;
    const namespace = namespaceOf(loaded) ?? 'default';
    const owners = controllersOf(loaded.object);
    // Only the labels are kept until the end: the policies are known once the whole input is read.
    const labelsOnly: JsonObject = {};
    const labelsField = metadata['labels'];
    if (labelsField !== undefined) labelsOnly['labels'] = labelsField;
    yield {
      path: pathOf({ root, metadata }),
      message: `pods of ${kind} "${name}" are not isolated`,
      resolve: (inventory) => {
        if (policiesOf(inventory).clusterWide !== undefined) return null;
        // Objects a controller of the input owns (the ReplicaSet of a Deployment, its Pods in a
        // cluster export) are reported through that controller, once.
        if (owners.some(([k, n]) => inventory.exists(k, namespace, n))) return null;
        const check = checkOf(inventory, namespace, wantIngress, wantEgress, includeEmpty);
        if (check === null || check.covered) return null;
        const isolation = check.isolation(kind, name, labelsOnly);
        const openIngress = wantIngress && !isolation.ingress;
        const openEgress = wantEgress && !isolation.egress;
        if (!openIngress && !openEgress) return null;
        const labels = podLabels(kind, name, labelsOnly);
        const open = directionsText(openIngress, openEgress);
        const single = kind === 'Pod';
        const [them, they, are] = single ? ['it', 'it', 'is'] : ['them', 'they', 'are'];
        const effect = [
          openIngress ? `any pod in the cluster can connect to ${them}` : '',
          openEgress ? `${they} can connect to any address, including the cloud metadata endpoint` : '',
        ].filter((s) => s !== '').join(', and ');
        const who = `${single ? 'pod' : `the pods of ${kind}`} "${name}" (${labelsText(labels)})`;
        const types = openIngress && openEgress ? 'Ingress or Egress' : openIngress ? 'Ingress' : 'Egress';
        let message =
          isolation.selectedBy.length === 0
            ? `no NetworkPolicy in namespace "${namespace}" selects ${who}, so ${they} ${are} not isolated for ${open}: ${effect}`
            : `${who} ${are} selected only by NetworkPolicy ${namesText(isolation.selectedBy)}, whose policyTypes do not include ${types}: ${effect}`;
        if (check.invalid !== undefined) message += ` (${check.invalid})`;
        return message;
      },
    };
  },
});
