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

/** True for the built-in kinds of the table above and the cluster-scoped kinds of `k8s/scope.ts`: their scope is known. */
export function isKnownKind(kind: string): boolean {
  return PLURALS[kind] !== undefined || isClusterScoped(kind);
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
 * Groups that serve the same resource under another name (`matchPolicy: Equivalent`). Covers the
 * common moves out of `extensions/v1beta1` and the beta groups.
 */
const EQUIVALENT_GROUPS: Readonly<Record<string, readonly string[]>> = {
  deployments: ['apps', 'extensions'],
  daemonsets: ['apps', 'extensions'],
  replicasets: ['apps', 'extensions'],
  ingresses: ['networking.k8s.io', 'extensions'],
  networkpolicies: ['networking.k8s.io', 'extensions'],
  podsecuritypolicies: ['policy', 'extensions'],
};

/**
 * The group/resource pairs equivalent to a request's resource, the request's own one first, as the
 * API server's equivalent resource mapper gives them: the same resource in every other version of
 * its group (offline, any version is taken as served: version `*`), and the same resource in the
 * groups it moved between.
 */
export function equivalentResources(resource: GroupVersionResource): GroupVersionResource[] {
  const out: GroupVersionResource[] = [resource, { group: resource.group, version: '*', resource: resource.resource }];
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

/** `resource/subresource` split at the first slash (apiserver `splitResource`). */
function splitResource(r: string): [string, string] {
  const slash = r.indexOf('/');
  return slash < 0 ? [r, ''] : [r.slice(0, slash), r.slice(slash + 1)];
}

/**
 * apiserver `rules.Matcher.resource`: each side matches itself or `*`, so `pods/*` matches the
 * pod and all its subresources and `*` only resources without a subresource.
 */
function matchesResource(resources: readonly string[], resource: string, subResource: string): boolean {
  return resources.some((r) => {
    const [res, sub] = splitResource(r);
    return (res === '*' || res === resource) && (sub === '*' || sub === subResource);
  });
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

/** The resources of CEL admission policies themselves, which the API server never submits to them. */
const POLICY_RESOURCES: ReadonlySet<string> = new Set([
  'validatingadmissionpolicies', 'validatingadmissionpolicybindings', 'mutatingadmissionpolicies', 'mutatingadmissionpolicybindings',
]);

/**
 * True for requests no policy sees: policies and bindings of admission policies (the API server's
 * policy plugin skips them, so a policy cannot lock itself in place).
 */
export function isExemptResource(resource: GroupVersionResource): boolean {
  return resource.group === 'admissionregistration.k8s.io' && POLICY_RESOURCES.has(resource.resource);
}

/** An invalid field of a `matchConstraints` / `matchResources`: its path and the API server's message. */
export interface MatchProblem {
  field: string;
  message: string;
}

const OPERATIONS: ReadonlySet<string> = new Set(['*', 'CONNECT', 'CREATE', 'DELETE', 'UPDATE']);
const SCOPES: ReadonlySet<string> = new Set(['*', 'Cluster', 'Namespaced']);

function supported(values: ReadonlySet<string>): string {
  return [...values].sort().map((v) => JSON.stringify(v)).join(', ');
}

/** apiserver `validateResources` (with subresources allowed), its quirks included. */
function resourceProblems(resources: readonly string[], at: string): MatchProblem[] {
  const out: MatchProblem[] = [];
  if (resources.length === 0) out.push({ field: at, message: 'Required value' });
  const wildcardSubresources = new Set<string>();
  const wildcardResources = new Set<string>();
  let doubleWildcard = false;
  let singleWildcard = false;
  let bare = false;
  for (const [i, r] of resources.entries()) {
    if (r === '') { out.push({ field: `${at}[${i}]`, message: 'Required value' }); continue; }
    if (r === '*/*') doubleWildcard = true;
    if (r === '*') singleWildcard = true;
    if (!r.includes('/')) {
      // As upstream, the last resource without a subresource decides.
      bare = r !== '*';
      continue;
    }
    const [res, sub] = splitResource(r);
    if (wildcardSubresources.has(res)) out.push({ field: `${at}[${i}]`, message: `Invalid value: ${JSON.stringify(r)}: if '${res}/*' is present, must not specify ${r}` });
    if (wildcardResources.has(sub)) out.push({ field: `${at}[${i}]`, message: `Invalid value: ${JSON.stringify(r)}: if '*/${sub}' is present, must not specify ${r}` });
    if (sub === '*') wildcardSubresources.add(res);
    if (res === '*') wildcardResources.add(sub);
  }
  if (resources.length > 1 && doubleWildcard) out.push({ field: at, message: `Invalid value: ${JSON.stringify(resources)}: if '*/*' is present, must not specify other resources` });
  if (singleWildcard && bare) out.push({ field: at, message: `Invalid value: ${JSON.stringify(resources)}: if '*' is present, must not specify other resources without subresources` });
  return out;
}

/** apiserver `validateNamedRuleWithOperations`: one rule of `resourceRules` / `excludeResourceRules`. */
function ruleProblems(rule: JsonObject, at: string): MatchProblem[] {
  const out: MatchProblem[] = [];
  const names = new Set<string>();
  for (const [i, name] of listOf(rule['resourceNames']).entries()) {
    const field = `${at}.resourceNames[${i}]`;
    if (name === '.' || name === '..') out.push({ field, message: `Invalid value: ${JSON.stringify(name)}: may not be '${name}'` });
    for (const c of ['/', '%']) if (name.includes(c)) out.push({ field, message: `Invalid value: ${JSON.stringify(name)}: may not contain '${c}'` });
    if (names.has(name)) out.push({ field, message: `Duplicate value: ${JSON.stringify(name)}` });
    names.add(name);
  }
  const operations = asArray(rule['operations']);
  if (operations.length === 0) out.push({ field: `${at}.operations`, message: 'Required value' });
  if (operations.length > 1 && operations.includes('*')) out.push({ field: `${at}.operations`, message: `Invalid value: ${JSON.stringify(operations)}: if '*' is present, must not specify other operations` });
  for (const [i, op] of operations.entries()) {
    if (typeof op !== 'string' || !OPERATIONS.has(op)) out.push({ field: `${at}.operations[${i}]`, message: `Unsupported value: ${JSON.stringify(op)}: supported values: ${supported(OPERATIONS)}` });
  }
  for (const [key, what] of [['apiGroups', 'API groups'], ['apiVersions', 'API versions']] as const) {
    const values = listOf(rule[key]);
    if (values.length === 0) out.push({ field: `${at}.${key}`, message: 'Required value' });
    if (values.length > 1 && values.includes('*')) out.push({ field: `${at}.${key}`, message: `Invalid value: ${JSON.stringify(values)}: if '*' is present, must not specify other ${what}` });
    if (key === 'apiVersions') for (const [i, v] of values.entries()) if (v === '') out.push({ field: `${at}.${key}[${i}]`, message: 'Required value' });
  }
  out.push(...resourceProblems(listOf(rule['resources']), `${at}.resources`));
  const scope = rule['scope'];
  if (scope !== undefined && scope !== null && (typeof scope !== 'string' || !SCOPES.has(scope))) {
    out.push({ field: `${at}.scope`, message: `Unsupported value: ${JSON.stringify(scope)}: supported values: ${supported(SCOPES)}` });
  }
  return out;
}

/**
 * The invalid fields of a policy's `matchConstraints` or a binding's `matchResources` (`at`: its
 * path), as the API server's validation rejects them: matchPolicy, and each resource rule.
 */
export function matchResourcesProblems(match: JsonObject, at: string): MatchProblem[] {
  const out: MatchProblem[] = [];
  const policy = match['matchPolicy'];
  if (policy !== undefined && policy !== null && policy !== 'Exact' && policy !== 'Equivalent') {
    out.push({ field: `${at}.matchPolicy`, message: `Unsupported value: ${JSON.stringify(policy)}: supported values: "Equivalent", "Exact"` });
  }
  for (const key of ['resourceRules', 'excludeResourceRules']) {
    for (const [i, raw] of asArray(match[key]).entries()) out.push(...ruleProblems(asObject(raw) ?? {}, `${at}.${key}[${i}]`));
  }
  return out;
}
