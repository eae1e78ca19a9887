/**
 * The Kubernetes CEL authorizer library (`authorizer.path(p)`, `authorizer.group(g).resource(r)…`,
 * `.check(verb)`, `Decision.allowed()`, `authorizer.serviceAccount(ns, name)`,
 * `authorizer.requestResource`), after apiserver `pkg/cel/library/authz.go`, and the authorizer
 * that answers it offline: the API server's chain of the `system:masters` privileged-group
 * authorizer and the RBAC authorizer (`plugin/pkg/auth/authorizer/rbac`), evaluated over the
 * Role, ClusterRole, RoleBinding and ClusterRoleBinding objects of the input with the rule
 * matching, aggregation and default ClusterRoles of `k8s/rbac.ts`. See docs/policies.md.
 */
import type { Environment } from '@marcbachmann/cel-js'
import { RBAC_GROUP, RBAC_KINDS, buildRbacIndex, ruleAllows, ruleAllowsNonResource } from '../k8s/rbac.js'
import type { BindingRecord, PolicyRule, RbacIndex, RbacSource, Subject } from '../k8s/rbac.js'
import { asObject, asString } from '../k8s/object.js'
import { isClusterScoped } from '../k8s/scope.js'
import type { LoadedObject } from '../load/types.js'
import type { JsonObject } from '../types.js'
import type { LoadedPolicy } from './vap.js'
import { isDNS1123Label, isDNS1123Subdomain } from './cel-k8s-format.js'
import { goQuote } from './cel-lib.js'
import type { Charge } from './cel-lib.js'

/** CEL cost of one authorization check (apiserver `library.CostEstimator`: two checks fit the per-call limit). */
export const CHECK_COST = 350_000

/** The identity an authorization check is made for. */
export interface AuthzUser {
  readonly name: string
  readonly groups: readonly string[]
  /** The request user's uid and extra attributes; a user made by `authorizer.serviceAccount` has neither. */
  readonly uid?: string
  readonly extra?: Readonly<Record<string, readonly string[]>>
}

/** A check on an API resource (`authorizer.group(g).resource(r)…check(verb)`). */
export interface ResourceRequest {
  readonly kind: 'resource'
  readonly verb: string
  readonly apiGroup: string
  readonly resource: string
  readonly subresource: string
  readonly namespace: string
  readonly name: string
}

/** A check on a non-resource path (`authorizer.path(p).check(verb)`). */
export interface PathRequest {
  readonly kind: 'path'
  readonly verb: string
  readonly path: string
}

/** What an authorizer answers (apiserver `authorizer.Decision`, reason, error). */
export interface AuthorizationDecision {
  readonly decision: 'Allow' | 'Deny' | 'NoOpinion'
  readonly reason: string
  /** Set when the check failed; `Decision.errored()` is then true. */
  readonly error?: string
}

/** Answers authorization checks for a user, as the API server's authorizer chain does. */
export type Authorize = (user: AuthzUser, request: ResourceRequest | PathRequest) => AuthorizationDecision

/** The request's own resource, for `authorizer.requestResource`. */
export interface RequestResource {
  readonly group: string
  readonly resource: string
  readonly subresource: string
  readonly namespace: string
  readonly name: string
}

/** The error of every check when the input holds no RBAC object (the cluster's RBAC state is unknown). */
export const NO_RBAC_OBJECTS = 'no RBAC objects in the input'
/** The error of a check when the request has no user (the API server's privileged-group authorizer wording). */
export const NO_USER = 'no user on request.'

/** The group the API server allows everything (`user.SystemPrivilegedGroup`), before any authorizer mode. */
export const PRIVILEGED_GROUP = 'system:masters'

const AUTHORIZER_IDENTIFIER = /\bauthorizer\b/

/**
 * True when an expression that binds `authorizer` (a matchCondition, a variable, a validation)
 * names it. A false positive (the word in a string literal) costs only an evaluation that asks
 * nothing; there is no false negative, since a check cannot be written without the name.
 */
export function policyUsesAuthorizer(policy: LoadedPolicy): boolean {
  return [...policy.matchConditions, ...policy.variables, ...policy.validations].some((e) => AUTHORIZER_IDENTIFIER.test(e.expression.expression))
}

// ---------------------------------------------------------------------------------------------
// The authorizer chain

/** An authorizer without RBAC data: `system:masters` is allowed, every other check errors. */
export const NO_RBAC_AUTHORIZER: Authorize = (user) =>
  user.groups.includes(PRIVILEGED_GROUP) ? { decision: 'Allow', reason: '' } : { decision: 'NoOpinion', reason: '', error: NO_RBAC_OBJECTS }

function isRbacObject(object: JsonObject): boolean {
  const apiVersion = asString(object['apiVersion']) ?? ''
  const kind = asString(object['kind']) ?? ''
  return apiVersion.startsWith(`${RBAC_GROUP}/`) && RBAC_KINDS.includes(kind)
}

/** The RBAC objects (Role, ClusterRole, RoleBinding, ClusterRoleBinding of `rbac.authorization.k8s.io`) among `objects`. */
export function rbacObjects(objects: readonly JsonObject[]): JsonObject[] {
  return objects.filter(isRbacObject)
}

/**
 * The authorizer of the API server over these objects: `system:masters` is allowed everything,
 * otherwise RBAC decides from the Roles, ClusterRoles and bindings among `objects` (others are
 * ignored), Kubernetes' default ClusterRoles (`cluster-admin`, `admin`, `edit`, `view`) assumed
 * when bound but absent. Without any RBAC object, checks error with NO_RBAC_OBJECTS.
 */
export function rbacAuthorizer(objects: readonly JsonObject[]): Authorize {
  const rbac = rbacObjects(objects)
  if (rbac.length === 0) return NO_RBAC_AUTHORIZER
  return authorizerFromIndex(buildRbacIndex(sourceOf(rbac)))
}

/** The authorizer of an RBAC index built elsewhere (a scan's inventory); `hasObjects` false gives NO_RBAC_AUTHORIZER. */
export function rbacIndexAuthorizer(index: RbacIndex, hasObjects: boolean): Authorize {
  return hasObjects ? authorizerFromIndex(index) : NO_RBAC_AUTHORIZER
}

/** An RbacSource over plain objects (the index reads kinds and namespaces only). */
function sourceOf(objects: readonly JsonObject[]): RbacSource {
  const loaded: LoadedObject[] = objects.map((object, i) => {
    const md = asObject(object['metadata'])
    const namespace = asString(md?.['namespace'])
    return {
      object,
      ref: { apiVersion: asString(object['apiVersion']) ?? '', kind: asString(object['kind']) ?? '', name: asString(md?.['name']) ?? '', ...(namespace !== undefined && namespace !== '' ? { namespace } : {}) },
      source: { file: '<rbac>', document: i, line: 1, start: 0, end: 0 },
      prefix: [],
    }
  })
  return {
    byKind: (kind) => loaded.filter((o) => o.ref.kind === kind),
    namespaceOf: (o) => (isClusterScoped(o.ref.kind) ? undefined : o.ref.namespace ?? 'default'),
  }
}

/** The key of a subject in a BindingIndex: users (service accounts by their username) and groups. */
function subjectKey(subject: Subject): string | undefined {
  switch (subject.kind) {
    case 'User': return `user:${subject.name}`
    case 'Group': return `group:${subject.name}`
    case 'ServiceAccount': return subject.namespace !== undefined && subject.namespace !== '' ? `user:${serviceAccountUsername(subject.namespace, subject.name)}` : undefined
    default: return undefined
  }
}

/**
 * Bindings in their order, with the positions of those that name each subject: a check visits
 * only the bindings of its user and groups, in the same order as a visit of them all would (a
 * scan checks each object; with 20,000 bindings each check visited them all).
 */
class BindingIndex {
  private readonly bySubject = new Map<string, number[]>()
  readonly bindings: BindingRecord[] = []

  add(binding: BindingRecord): void {
    const at = this.bindings.length
    this.bindings.push(binding)
    for (const subject of binding.subjects) {
      const key = subjectKey(subject)
      if (key === undefined) continue
      const list = this.bySubject.get(key)
      if (list === undefined) this.bySubject.set(key, [at])
      else if (list[list.length - 1] !== at) list.push(at)
    }
  }

  /** The bindings that may apply to the user (a subject of theirs), in order. */
  of(user: AuthzUser): BindingRecord[] {
    const lists = [`user:${user.name}`, ...user.groups.map((g) => `group:${g}`)].flatMap((key) => this.bySubject.get(key) ?? [])
    return [...new Set(lists)].sort((a, b) => a - b).map((i) => this.bindings[i] as BindingRecord)
  }
}

function authorizerFromIndex(index: RbacIndex): Authorize {
  const clusterBindings = new BindingIndex()
  const roleBindings = new Map<string, BindingIndex>()
  for (const b of index.bindings) {
    if (b.kind === 'ClusterRoleBinding') {
      clusterBindings.add(b)
      continue
    }
    if (b.kind !== 'RoleBinding') continue
    const ns = b.namespace ?? ''
    let list = roleBindings.get(ns)
    if (list === undefined) roleBindings.set(ns, (list = new BindingIndex()))
    list.add(b)
  }
  return (user, request) => {
    if (user.groups.includes(PRIVILEGED_GROUP)) return { decision: 'Allow', reason: '' }
    const local = request.kind === 'resource' && request.namespace !== '' ? roleBindings.get(request.namespace)?.of(user) ?? [] : []
    return rbacDecision([...clusterBindings.of(user), ...local], user, request)
  }
}

/**
 * `RBACAuthorizer.Authorize`: the first rule that allows, visiting ClusterRoleBindings then the
 * namespace's RoleBindings (`bindings`, in that order; those without a subject of the user are
 * skipped anyway).
 */
function rbacDecision(bindings: readonly BindingRecord[], user: AuthzUser, request: ResourceRequest | PathRequest): AuthorizationDecision {
  const errors: string[] = []
  const allows = (rule: PolicyRule): boolean => request.kind === 'resource'
    ? ruleAllows(rule, { verb: request.verb, apiGroup: request.apiGroup, resource: request.resource, subresource: request.subresource, name: request.name })
    : ruleAllowsNonResource(rule, { verb: request.verb, path: request.path })
  for (const binding of bindings) {
    const subject = binding.subjects.find((s) => appliesTo(user, s))
    if (subject === undefined) continue
    const rules = rulesOf(binding)
    if (typeof rules === 'string') {
      errors.push(rules)
      continue
    }
    if (rules.some(allows)) return { decision: 'Allow', reason: `RBAC: allowed by ${describe(binding, subject)}` }
  }
  return { decision: 'NoOpinion', reason: errors.length > 0 ? `RBAC: ${aggregate(errors)}` : '' }
}

/** `appliesToUser`: a User by name, a Group by membership, a ServiceAccount by its username. */
function appliesTo(user: AuthzUser, subject: Subject): boolean {
  switch (subject.kind) {
    case 'User': return user.name === subject.name
    case 'Group': return user.groups.includes(subject.name)
    case 'ServiceAccount': return subject.namespace !== undefined && subject.namespace !== '' && user.name === serviceAccountUsername(subject.namespace, subject.name)
    default: return false
  }
}

/** The rules a binding grants, or the error of resolving its role (the lister's not-found wording). */
function rulesOf(binding: BindingRecord): PolicyRule[] | string {
  const ref = binding.roleRef
  if (ref === undefined || (ref.kind !== 'Role' && ref.kind !== 'ClusterRole')) return `unsupported role reference kind: ${goQuote(ref?.kind ?? '')}`
  if (binding.role === undefined) return `${ref.kind.toLowerCase()}.${RBAC_GROUP} ${goQuote(ref.name)} not found`
  return binding.role.rules.map((g) => g.rule)
}

/** `clusterRoleBindingDescriber` / `roleBindingDescriber` of the RBAC authorizer. */
function describe(binding: BindingRecord, subject: Subject): string {
  const who = subject.kind === 'ServiceAccount' ? `${subject.kind} ${goQuote(`${subject.name}/${subject.namespace ?? ''}`)}` : `${subject.kind} ${goQuote(subject.name)}`
  const name = binding.kind === 'RoleBinding' ? `${binding.name}/${binding.namespace ?? ''}` : binding.name
  return `${binding.kind} ${goQuote(name)} of ${binding.roleRef?.kind ?? ''} ${goQuote(binding.roleRef?.name ?? '')} to ${who}`
}

/** apimachinery `utilerrors.NewAggregate(...).Error()`: one message, or the distinct ones in brackets. */
function aggregate(messages: readonly string[]): string {
  const distinct = [...new Set(messages)]
  return distinct.length === 1 ? distinct[0] ?? '' : `[${distinct.join(', ')}]`
}

/** `system:serviceaccount:<namespace>:<name>`. */
export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`
}

/** The user of a service account as `authorizer.serviceAccount` builds it (`ServiceAccountInfo.UserInfo`). */
export function serviceAccountUser(namespace: string, name: string): AuthzUser {
  return { name: serviceAccountUsername(namespace, name), groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`] }
}

// ---------------------------------------------------------------------------------------------
// CEL values

/** CEL `kubernetes.authorization.Authorizer`: checks on behalf of one user. */
export class AuthorizerValue {
  /**
   * `authorize` undefined: the variable is not bound in this expression (messageExpression,
   * auditAnnotations), so using it is an error as in the API server. `user` undefined: the request
   * has no user. `request`: the request's resource, for `authorizer.requestResource`.
   */
  constructor(readonly authorize: Authorize | undefined, readonly user: AuthzUser | undefined, readonly request?: RequestResource) {}

  /** `authorizer.requestResource`: a ResourceCheck of the request's resource, namespace, name and subresource. */
  get requestResource(): ResourceCheckValue {
    if (this.authorize === undefined) throw new Error('no such attribute(s): authorizer.requestResource')
    if (this.request === undefined) throw new Error('no such attribute(s): requestResource')
    const r = this.request
    return new ResourceCheckValue(this, r.group, r.resource, r.subresource, r.namespace, r.name)
  }

  bound(): Authorize {
    if (this.authorize === undefined) throw new Error('no such attribute(s): authorizer')
    return this.authorize
  }

  decide(request: ResourceRequest | PathRequest): DecisionValue {
    const authorize = this.bound()
    if (this.user === undefined) return new DecisionValue('NoOpinion', '', NO_USER)
    const d = authorize(this.user, request)
    return new DecisionValue(d.decision, d.reason, d.error)
  }
}

/** CEL `kubernetes.authorization.PathCheck`. */
export class PathCheckValue {
  constructor(readonly authorizer: AuthorizerValue, readonly path: string) {}
}

/** CEL `kubernetes.authorization.GroupCheck`. */
export class GroupCheckValue {
  constructor(readonly authorizer: AuthorizerValue, readonly group: string) {}
}

/** CEL `kubernetes.authorization.ResourceCheck`; builders return a modified copy. */
export class ResourceCheckValue {
  constructor(
    readonly authorizer: AuthorizerValue,
    readonly group: string,
    readonly resource: string,
    readonly subresource = '',
    readonly namespace = '',
    readonly name = '',
    readonly fieldSelector = '',
    readonly labelSelector = '',
  ) {}

  with(change: Partial<Pick<ResourceCheckValue, 'subresource' | 'namespace' | 'name' | 'fieldSelector' | 'labelSelector'>>): ResourceCheckValue {
    const v = { ...this, ...change }
    return new ResourceCheckValue(this.authorizer, this.group, this.resource, v.subresource, v.namespace, v.name, v.fieldSelector, v.labelSelector)
  }
}

/** CEL `kubernetes.authorization.Decision`. */
export class DecisionValue {
  constructor(readonly decision: AuthorizationDecision['decision'], readonly reason: string, readonly error: string | undefined) {}
}

/** The CEL type of the `authorizer` variable. */
export const AUTHORIZER_TYPE = 'kubernetes.authorization.Authorizer'
const A = AUTHORIZER_TYPE
const P = 'kubernetes.authorization.PathCheck'
const G = 'kubernetes.authorization.GroupCheck'
const R = 'kubernetes.authorization.ResourceCheck'
const D = 'kubernetes.authorization.Decision'

/**
 * Registers the Authz and AuthzSelectors libraries on `env`. Builders cost 1, each `check` costs
 * CHECK_COST (apiserver `library.CostEstimator`). Field and label selectors are kept on the check
 * and do not change RBAC's answer (the RBAC authorizer does not read them).
 */
export function registerAuthorizerLibrary(env: Environment, charge: Charge): void {
  env.registerType(R, ResourceCheckValue)
  env.registerType(P, PathCheckValue)
  env.registerType(G, GroupCheckValue)
  env.registerType(D, DecisionValue)
  env.registerType(A, { ctor: AuthorizerValue, fields: { requestResource: R } })

  env.registerFunction(`${A}.path(string): ${P}`, (a: AuthorizerValue, path: string) => {
    charge(1)
    a.bound()
    if (path.trim() === '') throw new Error('path must not be empty')
    return new PathCheckValue(a, path)
  })
  env.registerFunction(`${A}.group(string): ${G}`, (a: AuthorizerValue, group: string) => {
    charge(1)
    a.bound()
    return new GroupCheckValue(a, group)
  })
  env.registerFunction(`${A}.serviceAccount(string, string): ${A}`, (a: AuthorizerValue, namespace: string, name: string) => {
    charge(1)
    const authorize = a.bound()
    if (isDNS1123Subdomain(name).length > 0) throw new Error('Invalid service account name')
    if (isDNS1123Label(namespace).length > 0) throw new Error('Invalid service account namespace')
    return new AuthorizerValue(authorize, serviceAccountUser(namespace, name))
  })
  env.registerFunction(`${G}.resource(string): ${R}`, (g: GroupCheckValue, resource: string) => {
    charge(1)
    if (resource.trim() === '') throw new Error('resource must not be empty')
    return new ResourceCheckValue(g.authorizer, g.group, resource)
  })
  env.registerFunction(`${R}.subresource(string): ${R}`, (r: ResourceCheckValue, subresource: string) => { charge(1); return r.with({ subresource }) })
  env.registerFunction(`${R}.namespace(string): ${R}`, (r: ResourceCheckValue, namespace: string) => { charge(1); return r.with({ namespace }) })
  env.registerFunction(`${R}.name(string): ${R}`, (r: ResourceCheckValue, name: string) => { charge(1); return r.with({ name }) })
  env.registerFunction(`${R}.fieldSelector(string): ${R}`, (r: ResourceCheckValue, fieldSelector: string) => { charge(1); return r.with({ fieldSelector }) })
  env.registerFunction(`${R}.labelSelector(string): ${R}`, (r: ResourceCheckValue, labelSelector: string) => { charge(1); return r.with({ labelSelector }) })

  env.registerFunction(`${P}.check(string): ${D}`, (p: PathCheckValue, verb: string) => {
    charge(CHECK_COST)
    return p.authorizer.decide({ kind: 'path', verb, path: p.path })
  })
  env.registerFunction(`${R}.check(string): ${D}`, (r: ResourceCheckValue, verb: string) => {
    charge(CHECK_COST)
    return r.authorizer.decide({
      kind: 'resource', verb, apiGroup: r.group, resource: r.resource, subresource: r.subresource, namespace: r.namespace, name: r.name,
    })
  })

  env.registerFunction(`${D}.allowed(): bool`, (d: DecisionValue) => { charge(1); return d.decision === 'Allow' })
  env.registerFunction(`${D}.reason(): string`, (d: DecisionValue) => { charge(1); return d.reason })
  env.registerFunction(`${D}.errored(): bool`, (d: DecisionValue) => { charge(1); return d.error !== undefined })
  env.registerFunction(`${D}.error(): string`, (d: DecisionValue) => { charge(1); return d.error ?? '' })
}
