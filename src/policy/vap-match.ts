/**
 * Request matching for ValidatingAdmissionPolicy: `matchConstraints` / binding `matchResources`
 * (resourceRules, excludeResourceRules, namespaceSelector, objectSelector, matchPolicy), as the
 * apiserver's `admission/plugin/policy/matching` and `webhook/predicates` do, and the
 * kind → resource mapping mamori needs offline (it has objects, not REST requests).
 */
import { isClusterScoped } from '../k8s/scope.js';
import { asArray, asObject, asString, isObject } from '../k8s/object.js';
import { labelSetOf, matchesSelector, parseLabelSelector } from '../k8s/selectors.js';
import type { JsonObject } from '../types.js';

/** An admission operation. */
export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

/** Group/version/resource of a request. */
export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

/** Group/version/kind of a request. */
export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** What matching needs to know about a request. */
export interface MatchRequest {
  operation: Operation;
  resource: GroupVersionResource;
  kind: GroupVersionKind;
  subResource: string;
  name: string;
  namespace: string;
  /** True for a namespaced resource (decides `scope`). */
  namespaced: boolean;
  object: JsonObject | null;
  oldObject: JsonObject | null;
  /** Labels of the request's namespace (with `kubernetes.io/metadata.name`). */
  namespaceLabels: ReadonlyMap<string, string>;
}

/**
 * Resource plurals of built-in kinds whose plural is not the generic guess. Every other kind
 * uses the apimachinery guess (`UnsafeGuessKindToResource`): lowercase, then `s` → `ses`,
 * `y` → `ies`, else `+s`. A CRD whose plural differs from that guess needs an explicit
 * resource from the caller (`EvaluationInput.resource`).
 */
const PLURALS: Readonly<Record<string, string>> = {
  Pod: 'pods', Service: 'services', ConfigMap: 'configmaps', Secret: 'secrets', Namespace: 'namespaces',
  Node: 'nodes', Endpoints: 'endpoints', ServiceAccount: 'serviceaccounts', PersistentVolume: 'persistentvolumes',
  PersistentVolumeClaim: 'persistentvolumeclaims', ReplicationController: 'replicationcontrollers',
  LimitRange: 'limitranges', ResourceQuota: 'resourcequotas', Event: 'events',
  Deployment: 'deployments', StatefulSet: 'statefulsets', DaemonSet: 'daemonsets', ReplicaSet: 'replicasets',
  Job: 'jobs', CronJob: 'cronjobs', Ingress: 'ingresses', IngressClass: 'ingressclasses',
  NetworkPolicy: 'networkpolicies', Role: 'roles', RoleBinding: 'rolebindings', ClusterRole: 'clusterroles',
  ClusterRoleBinding: 'clusterrolebindings', PodDisruptionBudget: 'poddisruptionbudgets',
  HorizontalPodAutoscaler: 'horizontalpodautoscalers', StorageClass: 'storageclasses',
  PriorityClass: 'priorityclasses', RuntimeClass: 'runtimeclasses', EndpointSlice: 'endpointslices',
  CustomResourceDefinition: 'customresourcedefinitions', PodSecurityPolicy: 'podsecuritypolicies',
  ValidatingWebhookConfiguration: 'validatingwebhookconfigurations',
  MutatingWebhookConfiguration: 'mutatingwebhookconfigurations',
  ValidatingAdmissionPolicy: 'validatingadmissionpolicies',
  ValidatingAdmissionPolicyBinding: 'validatingadmissionpolicybindings',
};

/** The resource (plural, lowercase) of a kind: the built-in table, else the apimachinery guess. */
export function resourceForKind(kind: string): string {
  const known = PLURALS[kind];
  if (known !== undefined) return known;
  const lower = kind.toLowerCase();
  if (lower === '') return '';
  if (lower.endsWith('s')) return `${lower}es`;
  if (lower.endsWith('y')) return `${lower.slice(0, -1)}ies`;
  return `${lower}s`;
}

/** Splits an apiVersion into group and version (`v1` → core group ''). */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** True for resources that are cluster-scoped (by kind; see `k8s/scope.ts`). */
export function isNamespacedKind(kind: string): boolean {
  return !isClusterScoped(kind);
}

/**
 * Groups that serve the same resource under another name (`matchPolicy: Equivalent`). Versions of
 * the same group are always equivalent. Covers the common moves out of `extensions/v1beta1` and
 * the beta groups; anything else is matched only within its own group.
 */
const EQUIVALENT_GROUPS: Readonly<Record<string, readonly string[]>> = {
  deployments: ['apps', 'extensions'],
  daemonsets: ['apps', 'extensions'],
  replicasets: ['apps', 'extensions'],
  ingresses: ['networking.k8s.io', 'extensions'],
  networkpolicies: ['networking.k8s.io', 'extensions'],
  podsecuritypolicies: ['policy', 'extensions'],
};

/** The group/resource pairs equivalent to a request's resource, the request's own one first. */
export function equivalentResources(resource: GroupVersionResource): GroupVersionResource[] {
  const out: GroupVersionResource[] = [resource];
  const groups = EQUIVALENT_GROUPS[resource.resource];
  if (groups?.includes(resource.group)) {
    for (const g of groups) if (g !== resource.group) out.push({ group: g, version: '*', resource: resource.resource });
  }
  return out;
}

function listOf(value: unknown): string[] {
  return asArray(value).filter((v): v is string => typeof v === 'string');
}

function matchesList(values: readonly string[], wanted: string): boolean {
  return values.includes('*') || values.includes(wanted);
}

function matchesResource(resources: readonly string[], resource: string, subResource: string): boolean {
  const full = subResource === '' ? resource : `${resource}/${subResource}`;
  for (const r of resources) {
    if (r === '*/*' || r === full) return true;
    if (r === '*' && subResource === '') return true;
    const slash = r.indexOf('/');
    if (slash < 0) continue;
    const [res, sub] = [r.slice(0, slash), r.slice(slash + 1)];
    if (res === resource && sub === '*' && subResource !== '') return true;
    if (res === '*' && sub === subResource && subResource !== '') return true;
  }
  return false;
}

/**
 * True when a `RuleWithOperations`/`NamedRuleWithOperations` matches the request for the given
 * group/version/resource (the request's own, or an equivalent one with version `*`).
 */
function ruleMatches(rule: JsonObject, req: MatchRequest, gvr: GroupVersionResource): boolean {
  const operations = listOf(rule['operations']);
  if (!matchesList(operations, req.operation)) return false;
  if (!matchesList(listOf(rule['apiGroups']), gvr.group)) return false;
  if (gvr.version !== '*' && !matchesList(listOf(rule['apiVersions']), gvr.version)) return false;
  if (gvr.version === '*' && listOf(rule['apiVersions']).length === 0) return false;
  if (!matchesResource(listOf(rule['resources']), gvr.resource, req.subResource)) return false;
  const scope = asString(rule['scope']) ?? '*';
  if (scope === 'Cluster' && req.namespaced) return false;
  if (scope === 'Namespaced' && !req.namespaced) return false;
  const names = listOf(rule['resourceNames']);
  if (names.length > 0 && !names.includes(req.name)) return false;
  return true;
}

function anyRuleMatches(rules: unknown, req: MatchRequest, equivalent: boolean): boolean {
  const candidates = equivalent ? equivalentResources(req.resource) : [req.resource];
  for (const raw of asArray(rules)) {
    const rule = asObject(raw);
    if (rule === undefined) continue;
    for (const gvr of candidates) if (ruleMatches(rule, req, gvr)) return true;
  }
  return false;
}

function labelsOf(object: JsonObject | null): Map<string, string> | undefined {
  if (object === null) return undefined;
  return labelSetOf(asObject(object['metadata'])?.['labels']);
}

/** The label sets the selectors of a request read, made on first use. */
interface RequestLabels {
  /** The labels of the object and of the old object (one empty set when there are neither). */
  objects?: ReadonlyMap<string, string>[];
  /** A Namespace's own labels, with its name label. */
  namespace?: ReadonlyMap<string, string>;
}

/**
 * The label sets of each request, made once and read by every policy and binding that selects by
 * labels: made at each, an object of 100,000 labels under 100 policies with an objectSelector
 * took 15 s per request.
 */
const requestLabels = new WeakMap<MatchRequest, RequestLabels>();

function labelsFor(req: MatchRequest): RequestLabels {
  let labels = requestLabels.get(req);
  if (labels === undefined) {
    labels = {};
    requestLabels.set(req, labels);
  }
  return labels;
}

/**
 * True when `match` (a policy's `matchConstraints` or a binding's `matchResources`) selects the
 * request. `resourceRulesRequired`: for matchConstraints an absent rule list matches nothing; for
 * a binding it does not constrain.
 */
export function matchesResources(match: unknown, req: MatchRequest, resourceRulesRequired: boolean): boolean {
  const m = isObject(match) ? match : {};
  const equivalent = (asString(m['matchPolicy']) ?? 'Equivalent') !== 'Exact';

  // namespaceSelector: ignored for cluster-scoped requests other than namespaces themselves.
  const nsSelector = parseLabelSelector(m['namespaceSelector'], 'everything');
  if (!nsSelector.everything) {
    const isNamespace = req.resource.group === '' && req.resource.resource === 'namespaces';
    if (isNamespace) {
      const labels = labelsFor(req);
      if (labels.namespace === undefined) {
        const own = labelsOf(req.operation === 'DELETE' ? req.oldObject : req.object) ?? new Map<string, string>();
        if (!own.has('kubernetes.io/metadata.name') && req.name !== '') own.set('kubernetes.io/metadata.name', req.name);
        labels.namespace = own;
      }
      if (!matchesSelector(nsSelector, labels.namespace)) return false;
    } else if (req.namespace !== '' && !matchesSelector(nsSelector, req.namespaceLabels)) {
      return false;
    }
  }

  // objectSelector: the object's or the old object's labels must match.
  const objSelector = parseLabelSelector(m['objectSelector'], 'everything');
  if (!objSelector.everything) {
    const labels = labelsFor(req);
    if (labels.objects === undefined) {
      const sets = [labelsOf(req.object), labelsOf(req.oldObject)].filter((s): s is Map<string, string> => s !== undefined);
      if (sets.length === 0) sets.push(new Map());
      labels.objects = sets;
    }
    if (!labels.objects.some((s) => matchesSelector(objSelector, s))) return false;
  }

  const rules = m['resourceRules'];
  const hasRules = Array.isArray(rules) && rules.length > 0;
  if (hasRules) {
    if (!anyRuleMatches(rules, req, equivalent)) return false;
  } else if (resourceRulesRequired) {
    return false;
  }
  if (anyRuleMatches(m['excludeResourceRules'], req, equivalent)) return false;
  return true;
}
