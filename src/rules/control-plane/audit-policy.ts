/**
 * Factory of the audit Policy rules: each probes a set of sensitive requests against the policy,
 * first match wins as in the API server, and reports every policy rule (or the absence of a
 * matching rule) under which those requests are recorded at a level the rule rejects.
 */
import { defineRule, type RuleSpec } from '../../engine/rule.js';
import { isAuditPolicy, offending, parsePolicy, type AuditRequest, type Decision, type Level, type PolicyRule, type Probe } from '../../k8s/control-plane/audit-policy.js';
import type { Path, Severity } from '../../types.js';

/** What a rule reports for one offending policy rule (or for "no rule matched"). */
export interface Offence {
  rule: PolicyRule | undefined;
  level: Level;
  /** Up to two example requests, e.g. `get secrets in kube-system by a service account`. */
  examples: string[];
  /** The probed resources affected, e.g. `secrets`, `pods/exec`. */
  resources: string[];
}

export interface AuditPolicyRuleSpec {
  id: string;
  title: string;
  severity: Severity;
  controls: string[];
  cis?: string[];
  kubescape?: string[];
  description: string;
  remediation: string;
  optional?: boolean;
  /**
   * True for the one rule that reports a policy the API server refuses (a rule without a valid
   * level); the others judge nothing in such a policy.
   */
  reportsRefused?: boolean;
  probes: readonly Probe[];
  bad(decision: Decision, req: AuditRequest): boolean;
  message(offence: Offence): string;
}

/** `rules[2] (level None)`, `rules[2] (level Metadata, every stage omitted)` or `no rule`. */
export function where(offence: Offence, omitted: boolean): string {
  if (offence.rule === undefined) return 'no rule';
  return `rules[${offence.rule.index}] (level ${offence.level}${omitted && offence.level !== 'None' ? ', every stage omitted' : ''})`;
}

/** Why the API server refuses a policy rule's level. */
export function refusedLevel(index: number, value: unknown): string {
  const what = value === undefined ? 'has no level' : `has level ${JSON.stringify(value)}`;
  return `rules[${index}] ${what}: a level must be one of None, Metadata, Request, RequestResponse (case-sensitive), so the API server refuses the policy and does not start`;
}

/** An audit Policy rule. */
export function defineAuditPolicyRule(spec: AuditPolicyRuleSpec): RuleSpec<'object'> {
  const frameworks: NonNullable<RuleSpec<'object'>['frameworks']> = { nsa: ['Kubernetes native audit logging configuration'] };
  if (spec.cis !== undefined) frameworks.cis = spec.cis;
  if (spec.kubescape !== undefined) frameworks.kubescape = spec.kubescape;
  const out: RuleSpec<'object'> = {
    id: spec.id,
    title: spec.title,
    severity: spec.severity,
    target: 'object',
    kinds: ['Policy'],
    controls: spec.controls,
    frameworks,
    description: spec.description,
    remediation: spec.remediation,
    *check({ object }) {
      if (!isAuditPolicy(object)) return;
      const policy = parsePolicy(object);
      if (policy.invalidLevels.length > 0) {
        if (spec.reportsRefused === true) for (const bad of policy.invalidLevels) yield { path: bad.path, message: refusedLevel(bad.index, bad.value) };
        return;
      }
      for (const [, entry] of offending(policy, spec.probes, (d, req) => spec.bad(d, req))) {
        const path: Path = entry.rule === undefined ? ['rules'] : entry.rule.level !== undefined ? [...entry.rule.path, 'level'] : entry.rule.path;
        yield { path, message: spec.message({ rule: entry.rule, level: entry.level, examples: entry.examples, resources: [...entry.resources] }) };
      }
    },
  };
  if (spec.optional === true) out.optional = true;
  return defineRule(out);
}

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'update', 'patch', 'delete'];

/** Secrets, configmaps, token reviews and service account tokens. */
export const SENSITIVE: readonly Probe[] = [
  { group: '', resource: 'secrets', verbs: [...READ, ...WRITE], namespaced: true },
  { group: '', resource: 'configmaps', verbs: [...READ, ...WRITE], namespaced: true },
  { group: 'authentication.k8s.io', resource: 'tokenreviews', verbs: ['create'], namespaced: false },
  { group: '', resource: 'serviceaccounts', subresource: 'token', verbs: ['create'], namespaced: true },
];

/** Interactive access to containers and proxies. */
export const EXEC: readonly Probe[] = [
  { group: '', resource: 'pods', subresource: 'exec', verbs: ['create', 'get'], namespaced: true, longRunning: true },
  { group: '', resource: 'pods', subresource: 'attach', verbs: ['create', 'get'], namespaced: true, longRunning: true },
  { group: '', resource: 'pods', subresource: 'portforward', verbs: ['create', 'get'], namespaced: true, longRunning: true },
  { group: '', resource: 'pods', subresource: 'proxy', verbs: ['get', 'create'], namespaced: true, longRunning: true },
  { group: '', resource: 'services', subresource: 'proxy', verbs: ['get', 'create'], namespaced: true, longRunning: true },
  { group: '', resource: 'nodes', subresource: 'proxy', verbs: ['get', 'create'], namespaced: false, longRunning: true },
];

const RBAC_GROUP = 'rbac.authorization.k8s.io';
/** Changes to RBAC objects. */
export const RBAC: readonly Probe[] = [
  { group: RBAC_GROUP, resource: 'roles', verbs: WRITE, namespaced: true },
  { group: RBAC_GROUP, resource: 'rolebindings', verbs: WRITE, namespaced: true },
  { group: RBAC_GROUP, resource: 'clusterroles', verbs: WRITE, namespaced: false },
  { group: RBAC_GROUP, resource: 'clusterrolebindings', verbs: WRITE, namespaced: false },
];

/** Changes to pods and their controllers. */
export const WORKLOADS: readonly Probe[] = [
  { group: '', resource: 'pods', verbs: WRITE, namespaced: true },
  { group: 'apps', resource: 'deployments', verbs: WRITE, namespaced: true },
  { group: 'apps', resource: 'daemonsets', verbs: WRITE, namespaced: true },
  { group: 'apps', resource: 'statefulsets', verbs: WRITE, namespaced: true },
  { group: 'batch', resource: 'jobs', verbs: WRITE, namespaced: true },
  { group: 'batch', resource: 'cronjobs', verbs: WRITE, namespaced: true },
];

/** Requests a policy names nowhere: a custom resource and a cluster-scoped core resource. */
export const UNNAMED: readonly Probe[] = [
  { group: 'example.com', resource: 'widgets', verbs: ['get', 'delete'], namespaced: true },
  { group: '', resource: 'namespaces', verbs: ['delete'], namespaced: false },
];
