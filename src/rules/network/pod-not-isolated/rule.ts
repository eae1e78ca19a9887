import { namespaceOf, type Inventory } from '../../../engine/inventory.js';
import { defineRule } from '../../../engine/rule.js';
import { asObject, asString, detach, setOwn } from '../../../k8s/object.js';
import { isPodBearing, POD_BEARING_KINDS } from '../../../k8s/pod.js';
import type { JsonObject, Path } from '../../../types.js';
import { directionsText, isolationCache, podLabels, POLICY_KINDS, policiesOf, type Isolation } from '../netpol.js';

interface NamespaceCheck {
  /** Select-all policies already isolate every pod of the namespace in the directions checked. */
  covered: boolean;
  /** A note on policies of the namespace whose podSelector is invalid and so selects nothing. */
  invalid?: string;
  isolation: (kind: string, name: string, metadata: JsonObject) => Isolation;
}

/** The options, read once per scan. */
interface Settings {
  ingress: boolean;
  egress: boolean;
  includeEmpty: boolean;
  /** Distinguishes the memoised namespace checks of different settings. */
  key: string;
}

const SETTINGS = new WeakMap<object, Settings>();

function settingsOf(options: Readonly<Record<string, unknown>>): Settings {
  let settings = SETTINGS.get(options);
  if (settings === undefined) {
    const wanted = new Set((Array.isArray(options['directions']) ? (options['directions'] as unknown[]) : []).map((d) => String(d).toLowerCase()));
    const ingress = wanted.has('ingress');
    const egress = wanted.has('egress');
    const includeEmpty = options['includeNamespacesWithoutPolicies'] === true;
    settings = { ingress, egress, includeEmpty, key: `${ingress}/${egress}/${includeEmpty}` };
    SETTINGS.set(options, settings);
  }
  return settings;
}

const CHECKS = Symbol('pod-not-isolated:checks');

/** How the policies of a namespace treat its pods, for these settings; null when the namespace is not judged. */
function checkOf(inventory: Inventory, settings: Settings, namespace: string): NamespaceCheck | null {
  const all = inventory.memo(CHECKS, () => new Map<string, Map<string, NamespaceCheck | null>>());
  let checks = all.get(settings.key);
  if (checks === undefined) {
    checks = new Map();
    all.set(settings.key, checks);
  }
  let check = checks.get(namespace);
  if (check !== undefined) return check;
  const ns = policiesOf(inventory).byNamespace.get(namespace);
  if (ns === undefined || ns.calico || (ns.policies.length === 0 && ns.cilium.length === 0)) {
    check = ns?.calico !== true && settings.includeEmpty ? { covered: false, isolation: () => ({ ingress: false, egress: false, selectedBy: [] }) } : null;
  } else {
    let ingress = false;
    let egress = false;
    for (const p of ns.index.everything) {
      ingress ||= p.ingress;
      egress ||= p.egress;
    }
    check = { covered: (!settings.ingress || ingress) && (!settings.egress || egress), isolation: isolationCache(ns) };
    const broken = ns.policies.find((p) => p.selector.error !== undefined);
    if (broken !== undefined) check.invalid = `NetworkPolicy "${broken.name}" selects no pod: its podSelector is invalid, ${broken.selector.error ?? ''}`;
  }
  checks.set(namespace, check);
  return check;
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

function pathOf(metadata: JsonObject, root: Path): Path {
  if (asObject(metadata['labels']) !== undefined) return [...root, 'metadata', 'labels'];
  if (root.length === 0) return ['metadata'];
  return Object.keys(metadata).length > 0 ? [...root, 'metadata'] : root;
}

/** The controllers named by an object's ownerReferences that could be workloads of the input, as kind and name pairs. */
function controllersOf(object: JsonObject): string[] | undefined {
  const owners = asObject(object['metadata'])?.['ownerReferences'];
  if (!Array.isArray(owners)) return undefined;
  let out: string[] | undefined;
  for (const raw of owners) {
    const owner = asObject(raw);
    if (owner?.['controller'] !== true) continue;
    const kind = asString(owner['kind']);
    const name = asString(owner['name']);
    if (kind === undefined || name === undefined || !isPodBearing(asString(owner['apiVersion']) ?? '', kind)) continue;
    (out ??= []).push(kind, detach(name));
  }
  return out;
}

/** The string labels of a pod template, copied so that the finding does not hold the object. */
function labelsOf(metadata: JsonObject): JsonObject {
  const out: JsonObject = {};
  const raw = asObject(metadata['labels']);
  if (raw !== undefined) for (const k of Object.keys(raw)) {
    const v = raw[k];
    if (typeof v === 'string') setOwn(out, detach(k), detach(v));
  }
  return out;
}

export const rule = defineRule({
  id: 'pod-not-isolated',
  title: 'Pods not isolated by any NetworkPolicy',
  severity: 'medium',
  target: 'pod',
  kinds: POD_BEARING_KINDS,
  context: POLICY_KINDS,
  controls: ['NET-1', 'DEV-1'],
  frameworks: {
    cis: ['5.3.2'],
    nsa: ['Network policies'],
    kubescape: ['C-0260', 'C-0030', 'C-0049'],
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
  *check({ loaded, kind, metadata, spec, root }, { options }) {
    const settings = settingsOf(options);
    if (!settings.ingress && !settings.egress) return;
    // A PodTemplate runs nothing by itself; policies do not apply to host-network pods.
    if (kind === 'PodTemplate' || spec['hostNetwork'] === true) return;
    const namespace = detach(namespaceOf(loaded) ?? 'default');
    const name = loaded.ref.name;
    const owners = controllersOf(loaded.object);
    const template: JsonObject = { labels: labelsOf(metadata) };
    const resolve = (inventory: Inventory): string | null => {
      if (policiesOf(inventory).clusterWide !== undefined) return null;
      // Objects a controller of the input owns (the ReplicaSet of a Deployment, its Pods in a cluster
      // export) are reported through that controller, once.
      if (owners !== undefined) for (let i = 0; i < owners.length; i += 2) if (inventory.exists(owners[i] ?? '', namespace, owners[i + 1] ?? '')) return null;
      const check = checkOf(inventory, settings, namespace);
      if (check === null || check.covered) return null;
      const isolation = check.isolation(kind, name, template);
      const openIngress = settings.ingress && !isolation.ingress;
      const openEgress = settings.egress && !isolation.egress;
      if (!openIngress && !openEgress) return null;
      const labels = podLabels(kind, name, template);
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
    };
    yield { path: pathOf(metadata, root), message: `pods of ${kind} "${name}" are not isolated`, resolve };
  },
});
