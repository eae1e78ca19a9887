/**
 * The NetworkPolicy model of the network rules (specs/rbac-network-attack-paths.md §3): which
 * policies select which pods, in which directions they isolate them, and what they allow. Built
 * once per scan (`policiesOf`), indexed by namespace and by selector, so that coverage of N
 * workloads by P policies costs about O(N + P), not O(N × P).
 */
import type { Inventory } from '../../engine/inventory.js';
import type { InventoryViolation } from '../../engine/rule.js';
import { asArray, asObject, asString, setOwn } from '../../k8s/object.js';
import { labelSetOf, parseLabelSelector, SelectorIndex, type LabelSelector, type LabelSet } from '../../k8s/selectors.js';
import { cidrContainsIP, parseCIDR, parseIP, type IPAddr } from '../../policy/cel-k8s-net.js';
import type { LoadedObject } from '../../load/types.js';
import type { JsonObject, JsonValue, Path } from '../../types.js';

/** A traffic direction of NetworkPolicy. */
export type Direction = 'Ingress' | 'Egress';

/** A Kubernetes NetworkPolicy (networking.k8s.io) as the rules see it. */
export interface Policy {
  loaded: LoadedObject;
  name: string;
  namespace: string;
  selector: LabelSelector;
  /** Directions in the effective `policyTypes` (Ingress unless listed otherwise; Egress when listed or when egress rules exist). */
  ingress: boolean;
  egress: boolean;
  /** The ingress / egress rule or peer that opens the selected pods widest on every port (see `openingsOf`), if any. */
  openIngress: Opening | undefined;
  openEgress: Opening | undefined;
}

/** A CiliumNetworkPolicy, reduced to what decides isolation: its endpoint selectors and directions. */
export interface CiliumPolicy {
  name: string;
  parts: { selector: LabelSelector; ingress: boolean; egress: boolean }[];
}

/** A part of a Cilium policy, with the place of its policy in `NamespacePolicies.cilium`. */
export interface CiliumPart {
  policy: number;
  ingress: boolean;
  egress: boolean;
}

/** The policies of one namespace. */
export interface NamespacePolicies {
  namespace: string;
  /** Kubernetes NetworkPolicies, in input order. */
  policies: Policy[];
  /** NetworkPolicies indexed by pod selector; `index.everything` holds the select-all ones. */
  index: SelectorIndex<Policy>;
  cilium: CiliumPolicy[];
  /** The parts of the Cilium policies indexed by endpoint selector, each with its policy's place in `cilium`. */
  ciliumIndex: SelectorIndex<CiliumPart>;
  /**
   * Every label key some selector of the namespace tests (other labels cannot change a verdict),
   * with the values its requirements name: any other value of the key gives the same verdicts.
   */
  keys: Map<string, Set<string>>;
  /** Calico (projectcalico.org) policies are here: their selector language is not evaluated, so coverage is unknown. */
  calico: boolean;
}

/** Every policy of the input, by namespace. */
export interface PolicyModel {
  byNamespace: Map<string, NamespacePolicies>;
  /**
   * Cluster-wide policies are in the input (CiliumClusterwideNetworkPolicy, Calico
   * GlobalNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy): they may isolate any
   * pod, so the rules do not claim a pod or namespace is open.
   */
  clusterWide: string | undefined;
}

const CLUSTER_WIDE_KINDS: ReadonlySet<string> = new Set([
  'CiliumClusterwideNetworkPolicy',
  'GlobalNetworkPolicy',
  'AdminNetworkPolicy',
  'BaselineAdminNetworkPolicy',
  'ClusterNetworkPolicy',
]);

/** Every kind the policy model reads: what rules built on it list in their `context`. */
export const POLICY_KINDS: readonly string[] = ['NetworkPolicy', 'CiliumNetworkPolicy', ...CLUSTER_WIDE_KINDS];

/** The API group of an object's apiVersion ('' for the core group). */
function groupOf(object: JsonObject): string {
  const apiVersion = asString(object['apiVersion']) ?? '';
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** True for a Kubernetes NetworkPolicy (not Calico's kind of the same name). */
export function isKubernetesNetworkPolicy(object: JsonObject): boolean {
  if (asString(object['kind']) !== 'NetworkPolicy') return false;
  const group = groupOf(object);
  // extensions/v1beta1 served NetworkPolicy until 1.16; a missing apiVersion is taken as Kubernetes'.
  return group === 'networking.k8s.io' || group === 'extensions' || asString(object['apiVersion']) === undefined;
}

function isCalico(object: JsonObject): boolean {
  const group = groupOf(object);
  return group === 'projectcalico.org' || group === 'crd.projectcalico.org';
}

/** The cloud metadata endpoint (AWS, Azure, GCP and most others): instance credentials. */
const METADATA_IPV4 = parseIP('169.254.169.254') as IPAddr;
/** EC2's instance metadata endpoint on IPv6 (`fd00:ec2::254`, Nitro instances with IPv6 metadata turned on). */
const METADATA_IPV6 = parseIP('fd00:ec2::254') as IPAddr;

/**
 * What a rule or one of its peers opens on every port:
 * - `all`: a rule without peers, every source or destination;
 * - `cluster`: a `namespaceSelector: {}` peer without podSelector (or with `podSelector: {}`),
 *   every pod of every namespace and nothing outside the cluster;
 * - `addresses`: an ipBlock of every IPv4 (`0.0.0.0/0`) or IPv6 (`::/0`) address, less its `except`
 *   ranges, each of which must be no wider than /8 (anything wider leaves too little to call open).
 */
export type Opening =
  | { kind: 'all'; rule: number; path: Path }
  | { kind: 'cluster'; rule: number; peer: number; path: Path }
  | { kind: 'addresses'; rule: number; peer: number; path: Path; cidr: string; except: string[]; ipv6: boolean; metadata: boolean };

/** The prefix length of a CIDR (IPv4 or IPv6), or undefined when it has none. */
function prefixOf(cidr: string): number | undefined {
  const m = /\/(\d{1,3})$/.exec(cidr);
  return m === null ? undefined : Number(m[1]);
}

/** The `addresses` opening of an ipBlock peer, if its cidr is every address and its except ranges are narrow. */
function openAddresses(block: JsonObject, rule: number, peer: number, path: Path): Opening | undefined {
  const cidr = asString(block['cidr'])?.trim();
  if (cidr === undefined || prefixOf(cidr) !== 0) return undefined;
  const except: string[] = [];
  for (const raw of asArray(block['except'])) {
    const range = asString(raw)?.trim();
    const prefix = range === undefined ? undefined : prefixOf(range);
    if (range === undefined || prefix === undefined || prefix < 8) return undefined;
    except.push(range);
  }
  const ipv6 = cidr.includes(':');
  const endpoint = ipv6 ? METADATA_IPV6 : METADATA_IPV4;
  // A range that does not parse keeps nothing out.
  const metadata = !except.some((range) => {
    const parsed = parseCIDR(range);
    return typeof parsed !== 'string' && cidrContainsIP(parsed, endpoint);
  });
  return { kind: 'addresses', rule, peer, path: [...path, 'ipBlock', 'cidr'], cidr, except, ipv6, metadata };
}

/**
 * The rules and peers of a NetworkPolicy spec that open the selected pods to a whole class of
 * peers on every port, in order: rules that list `ports` are skipped (they open those ports only).
 * For egress, a `namespaceSelector: {}` peer (every pod of the cluster) is not counted: the
 * egress concern is addresses outside the cluster (metadata endpoint, internet).
 */
export function openingsOf(spec: JsonObject, direction: Direction): Opening[] {
  const field = direction === 'Ingress' ? 'ingress' : 'egress';
  const peersField = direction === 'Ingress' ? 'from' : 'to';
  const out: Opening[] = [];
  for (const [i, raw] of asArray(spec[field]).entries()) {
    const rule = asObject(raw);
    if (rule === undefined || asArray(rule['ports']).length > 0) continue;
    const peers = asArray(rule[peersField]);
    if (peers.length === 0) {
      out.push({ kind: 'all', rule: i, path: ['spec', field, i] });
      continue;
    }
    for (const [j, rawPeer] of peers.entries()) {
      const peer = asObject(rawPeer);
      if (peer === undefined) continue;
      const path: Path = ['spec', field, i, peersField, j];
      const block = asObject(peer['ipBlock']);
      if (block !== undefined) {
        const opening = openAddresses(block, i, j, path);
        if (opening !== undefined) out.push(opening);
      } else if (direction === 'Ingress' && peer['namespaceSelector'] !== undefined && peer['namespaceSelector'] !== null) {
        // namespaceSelector {} alone (or with podSelector {}) selects every pod of every namespace.
        if (parseLabelSelector(peer['namespaceSelector']).everything && parseLabelSelector(peer['podSelector'], 'everything').everything) {
          out.push({ kind: 'cluster', rule: i, peer: j, path: [...path, 'namespaceSelector'] });
        }
      }
    }
  }
  return out;
}

/**
 * How much an opening lets through: a rule without peers, then addresses with the metadata
 * endpoint (IPv4 first: every cloud answers there, only EC2 on IPv6), then the others.
 */
function breadth(opening: Opening): number {
  if (opening.kind === 'all') return 3;
  if (opening.kind !== 'addresses' || !opening.metadata) return 0;
  return opening.ipv6 ? 1 : 2;
}

/** The first of the openings that let through the most, the one a message about a policy names. */
function widest(openings: readonly Opening[]): Opening | undefined {
  let out: Opening | undefined;
  for (const opening of openings) if (out === undefined || breadth(opening) > breadth(out)) out = opening;
  return out;
}

/** `0.0.0.0/0` or `0.0.0.0/0 except 10.0.0.0/8, 169.254.169.254/32`. */
export function blockText(opening: Extract<Opening, { kind: 'addresses' }>): string {
  return opening.except.length === 0 ? opening.cidr : `${opening.cidr} except ${opening.except.join(', ')}`;
}

/** Who an ingress `addresses` opening lets connect: "any address", or "any address outside the excepted ranges". */
export function addressesReach(opening: Extract<Opening, { kind: 'addresses' }>): string {
  return opening.except.length === 0 ? 'any address' : 'any address outside the excepted ranges';
}

/** What an egress opening lets the pods reach, e.g. "any IPv4 address, including the cloud metadata endpoint 169.254.169.254 and the internet". */
export function egressReach(opening: Opening): string {
  if (opening.kind !== 'addresses') return 'every destination, including the cloud metadata endpoint and the internet';
  const family = opening.ipv6 ? 'IPv6' : 'IPv4';
  const which = opening.except.length === 0 ? `any ${family} address` : `any ${family} address outside the excepted ranges`;
  const endpoint = opening.ipv6 ? "EC2's IPv6 metadata endpoint fd00:ec2::254" : 'the cloud metadata endpoint 169.254.169.254';
  return opening.metadata ? `${which}, including ${endpoint} and the internet` : `${which}, the internet included, but not ${endpoint}`;
}

/** The effective policyTypes of a NetworkPolicy spec, as the API server defaults them. */
export function effectiveTypes(spec: JsonObject): { ingress: boolean; egress: boolean } {
  const listed = asArray(spec['policyTypes']);
  if (listed.length > 0) return { ingress: listed.includes('Ingress'), egress: listed.includes('Egress') };
  return { ingress: true, egress: asArray(spec['egress']).length > 0 };
}

/** Parses a Kubernetes NetworkPolicy. */
export function parsePolicy(loaded: LoadedObject, namespace: string): Policy {
  const spec = asObject(loaded.object['spec']) ?? {};
  const types = effectiveTypes(spec);
  return {
    loaded,
    name: loaded.ref.name,
    namespace,
    // podSelector is a required struct: absent decodes to the empty selector, every pod of the namespace.
    selector: parseLabelSelector(spec['podSelector'], 'everything'),
    ingress: types.ingress,
    egress: types.egress,
    openIngress: types.ingress ? widest(openingsOf(spec, 'Ingress')) : undefined,
    openEgress: types.egress ? widest(openingsOf(spec, 'Egress')) : undefined,
  };
}

/** Cilium label keys carry a source prefix (`k8s:app`, `any:app`); other sources never match pod labels. */
function ciliumSelector(value: unknown): LabelSelector {
  const raw = asObject(value);
  if (raw === undefined) return parseLabelSelector(undefined, 'nothing');
  const strip = (key: string): string | undefined => {
    if (key.startsWith('k8s:')) return key.slice(4);
    if (key.startsWith('any:')) return key.slice(4);
    return /^[a-z0-9-]+:/.test(key) && !key.includes('/') ? undefined : key;
  };
  const matchLabels: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(asObject(raw['matchLabels']) ?? {})) {
    const key = strip(k);
    if (key === undefined) return parseLabelSelector(undefined, 'nothing');
    // Namespaced Cilium policies apply in their own namespace; this label only restates it.
    if (key === 'io.kubernetes.pod.namespace') continue;
    setOwn(matchLabels, key, v);
  }
  const expressions: JsonValue[] = [];
  for (const e of asArray(raw['matchExpressions'])) {
    const expression = asObject(e);
    const key = strip(asString(expression?.['key']) ?? '');
    if (expression === undefined || key === undefined) return parseLabelSelector(undefined, 'nothing');
    expressions.push({ ...expression, key });
  }
  return parseLabelSelector({ matchLabels, matchExpressions: expressions }, 'nothing');
}

function parseCilium(loaded: LoadedObject): CiliumPolicy {
  const specs = [asObject(loaded.object['spec']), ...asArray(loaded.object['specs']).map(asObject)];
  const parts: CiliumPolicy['parts'] = [];
  for (const spec of specs) {
    if (spec === undefined || spec['endpointSelector'] === undefined) continue;
    const defaultDeny = asObject(spec['enableDefaultDeny']);
    parts.push({
      selector: ciliumSelector(spec['endpointSelector']),
      ingress: (spec['ingress'] !== undefined || spec['ingressDeny'] !== undefined) && defaultDeny?.['ingress'] !== false,
      egress: (spec['egress'] !== undefined || spec['egressDeny'] !== undefined) && defaultDeny?.['egress'] !== false,
    });
  }
  return { name: loaded.ref.name, parts };
}

const MODEL = Symbol('network.policies');

/** The policy model of the input, built once per inventory. */
export function policiesOf(inventory: Inventory): PolicyModel {
  return inventory.memo(MODEL, () => {
    const byNamespace = new Map<string, NamespacePolicies>();
    const get = (namespace: string): NamespacePolicies => {
      let ns = byNamespace.get(namespace);
      if (ns === undefined) {
        ns = { namespace, policies: [], index: new SelectorIndex<Policy>(), cilium: [], ciliumIndex: new SelectorIndex<CiliumPart>(), keys: new Map(), calico: false };
        byNamespace.set(namespace, ns);
      }
      return ns;
    };
    for (const loaded of inventory.byKind('NetworkPolicy')) {
      const namespace = inventory.namespaceOf(loaded) ?? 'default';
      if (isKubernetesNetworkPolicy(loaded.object)) {
        const policy = parsePolicy(loaded, namespace);
        const ns = get(namespace);
        ns.policies.push(policy);
        ns.index.add(policy.selector, policy);
        noteKeys(ns, policy.selector);
      } else if (isCalico(loaded.object)) get(namespace).calico = true;
    }
    for (const loaded of inventory.byKind('CiliumNetworkPolicy')) {
      const ns = get(inventory.namespaceOf(loaded) ?? 'default');
      const policy = parseCilium(loaded);
      for (const part of policy.parts) {
        ns.ciliumIndex.add(part.selector, { policy: ns.cilium.length, ingress: part.ingress, egress: part.egress });
        noteKeys(ns, part.selector);
      }
      ns.cilium.push(policy);
    }
    let clusterWide: string | undefined;
    for (const kind of CLUSTER_WIDE_KINDS) {
      const first = inventory.byKind(kind)[0];
      if (first !== undefined) {
        clusterWide = `${kind} "${first.ref.name}"`;
        break;
      }
    }
    return { byNamespace, clusterWide };
  });
}

/** How the policies of a namespace treat pods with one label set. */
export interface Isolation {
  ingress: boolean;
  egress: boolean;
  /** Names of the policies that select the pods (Kubernetes and Cilium). */
  selectedBy: string[];
}

/**
 * Directions in which pods with these labels are isolated. Stops at the first policies that
 * isolate both directions; `selectedBy` is filled only when some direction stays open (the names
 * serve the message), so covered pods cost a few selector tests each.
 */
export function isolationOf(ns: NamespacePolicies, labels: LabelSet): Isolation {
  const out: Isolation = { ingress: false, egress: false, selectedBy: [] };
  const visit = (policy: Policy): boolean => {
    out.ingress ||= policy.ingress;
    out.egress ||= policy.egress;
    return out.ingress && out.egress;
  };
  for (const policy of ns.index.everything) if (visit(policy)) return out;
  if (ns.index.someSpecific(labels, visit)) return out;
  // The Cilium parts that select the pods, from the index (testing every part is quadratic in a
  // namespace of thousands of Cilium policies and pods of different labels).
  const parts = [...ns.ciliumIndex.everything, ...ns.ciliumIndex.matchingSpecific(labels)];
  for (const part of parts) {
    out.ingress ||= part.ingress;
    out.egress ||= part.egress;
  }
  if (out.ingress && out.egress) return out;
  out.selectedBy = ns.index.matching(labels).map((p) => p.name);
  for (const i of [...new Set(parts.map((part) => part.policy))].sort((a, b) => a - b)) out.selectedBy.push(ns.cilium[i]?.name ?? '');
  return out;
}

/**
 * Isolation of pods by their labels, memoised per namespace and per distinct set of *relevant*
 * labels: only keys that some selector of the namespace tests can change a verdict, so pods that
 * differ only in other labels (pod-template-hash, version, chart labels) share one evaluation, and
 * the key is built from the template's labels without copying them.
 */
export function isolationCache(ns: NamespacePolicies): (kind: string, name: string, metadata: JsonObject) => Isolation {
  const cache = new Map<string, Isolation>();
  const keys = ns.keys;
  return (kind, name, metadata) => {
    const raw = asObject(metadata['labels']);
    // The relevant labels, and for each its part of the key: lengths first, so that no key or
    // value can make two label sets look alike. A value no requirement of its key names is
    // matched like any other such value, so its part is `*`: pods that differ only in those (an
    // `app` per pod against `app NotIn [...]`) share one evaluation, done on the first one's labels.
    const relevant: string[] = [];
    const parts: string[] = [];
    const add = (k: string, v: string): void => {
      const named = keys.get(k);
      if (named === undefined) return;
      relevant.push(k, v);
      parts.push(`${k.length}:${k}=${named.has(v) ? `${v.length}:${v}` : '*'}`);
    };
    // OpenShift labels the pods of a DeploymentConfig with its name, over the template's label.
    const configLabel = kind === 'DeploymentConfig' && name !== '' ? DEPLOYMENT_CONFIG_LABEL : undefined;
    if (raw !== undefined) {
      for (const k of Object.keys(raw)) {
        const v = raw[k];
        if (typeof v === 'string' && k !== configLabel) add(k, v);
      }
    }
    if (configLabel !== undefined) add(configLabel, name);
    if (kind === 'Job' && name !== '') {
      // The Job controller labels its pods with the Job's name.
      for (const k of JOB_LABELS) if (raw?.[k] === undefined) add(k, name);
    }
    if (parts.length > 1) parts.sort();
    const key = parts.join(',');
    let hit = cache.get(key);
    if (hit === undefined) {
      const labels = new Map<string, string>();
      for (let i = 0; i < relevant.length; i += 2) labels.set(relevant[i] as string, relevant[i + 1] as string);
      hit = isolationOf(ns, labels);
      cache.set(key, hit);
    }
    return hit;
  };
}

const JOB_LABELS = ['job-name', 'batch.kubernetes.io/job-name'] as const;
const DEPLOYMENT_CONFIG_LABEL = 'deploymentconfig';

/** Notes the keys a selector tests, and the values it names for each. */
function noteKeys(ns: NamespacePolicies, selector: LabelSelector): void {
  for (const r of selector.requirements) {
    let named = ns.keys.get(r.key);
    if (named === undefined) ns.keys.set(r.key, (named = new Set()));
    for (const v of r.values) named.add(v);
  }
}

/** The labels of a pod template, plus those the controller adds that policies may select on. */
export function podLabels(kind: string, name: string, metadata: JsonObject): Map<string, string> {
  const labels = labelSetOf(metadata['labels']);
  if (kind === 'Job' && name !== '') for (const k of JOB_LABELS) if (!labels.has(k)) labels.set(k, name);
  if (kind === 'DeploymentConfig' && name !== '') labels.set(DEPLOYMENT_CONFIG_LABEL, name);
  return labels;
}

/** Namespaces that ship with every cluster: their defaults are not the input's to fix. */
export const BUILT_IN_NAMESPACES: ReadonlySet<string> = new Set(['kube-system', 'kube-public', 'kube-node-lease']);

/** "ingress", "egress" or "ingress and egress". */
export function directionsText(ingress: boolean, egress: boolean): string {
  if (ingress && egress) return 'ingress and egress';
  return ingress ? 'ingress' : 'egress';
}

/**
 * Why a namespace has no default deny for a direction, or undefined when it has one: a policy
 * selecting every pod (`podSelector: {}`) with that direction in its effective policyTypes, and no
 * select-all policy whose rule opens every pod on every port to a whole class of peers (`openingsOf`:
 * every peer, every pod of the cluster, every address), which would cancel it. Cilium policies with
 * an empty endpointSelector and that direction count too.
 */
export function defaultDenyGap(ns: NamespacePolicies | undefined, namespace: string, direction: Direction): string | undefined {
  const ingress = direction === 'Ingress';
  const what = ingress ? 'every pod in it accepts connections from any pod in the cluster' : 'every pod in it can connect to any address, including the cloud metadata endpoint and the internet';
  if (ns === undefined || (ns.policies.length === 0 && ns.cilium.length === 0)) return `namespace "${namespace}" has no NetworkPolicy: ${what}`;
  const selectAll = ns.index.everything.filter((p) => (ingress ? p.ingress : p.egress));
  const cilium = ns.cilium.some((c) => c.parts.some((part) => part.selector.everything && (ingress ? part.ingress : part.egress)));
  if (selectAll.length === 0 && !cilium) {
    return `namespace "${namespace}" has no default-deny ${direction.toLowerCase()} NetworkPolicy (podSelector: {} with ${direction} in policyTypes): pods that no other policy selects for ${direction.toLowerCase()} are open${ingress ? ' to any pod in the cluster' : ' to any destination'}`;
  }
  for (const p of selectAll) {
    const opening = ingress ? p.openIngress : p.openEgress;
    if (opening !== undefined) return `NetworkPolicy "${p.name}" selects every pod of namespace "${namespace}" and ${cancellation(opening, direction)}`;
  }
  return undefined;
}

/** How a select-all policy's opening cancels the default deny: the rest of the sentence after "selects every pod of namespace X and". */
function cancellation(opening: Opening, direction: Direction): string {
  const field = direction === 'Ingress' ? 'ingress' : 'egress';
  const where = opening.kind === 'all' ? `its ${field}[${opening.rule}] rule` : `its ${field}[${opening.rule}].${direction === 'Ingress' ? 'from' : 'to'}[${opening.peer}] peer`;
  if (direction === 'Egress') {
    const allows = opening.kind === 'addresses' ? `allows ${blockText(opening)} on every port (${egressReach(opening)})` : 'allows every destination on every port';
    return `${where} ${allows}, which cancels any default deny egress`;
  }
  switch (opening.kind) {
    case 'all':
      return `${where} allows every source on every port, which cancels any default deny ingress`;
    case 'cluster':
      return `${where} (namespaceSelector: {}) allows every pod of every namespace on every port, which cancels any default deny ingress for traffic from inside the cluster (the peer admits no source outside it)`;
    case 'addresses':
      return `${where} allows ${blockText(opening)} on every port (${addressesReach(opening)} may connect), which cancels any default deny ingress`;
  }
}

/**
 * The findings of the namespace default-deny rules: each Namespace object of the input (built-in
 * ones aside) without a select-all policy that isolates its pods in `direction`.
 */
export function* namespacesWithoutDefaultDeny(inventory: Inventory, direction: 'Ingress' | 'Egress'): Generator<InventoryViolation> {
  const model = policiesOf(inventory);
  if (model.clusterWide !== undefined) return;
  for (const namespace of inventory.byKind('Namespace')) {
    const name = namespace.ref.name;
    if (name === '' || BUILT_IN_NAMESPACES.has(name)) continue;
    const ns = model.byNamespace.get(name);
    if (ns?.calico === true) continue;
    const gap = defaultDenyGap(ns, name, direction);
    if (gap !== undefined) yield { target: namespace, path: ['metadata', 'name'], message: gap };
  }
}
