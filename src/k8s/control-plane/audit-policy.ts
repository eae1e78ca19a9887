/**
 * Audit `Policy` (audit.k8s.io/v1) evaluated as the API server does (apiserver
 * `pkg/audit/policy/checker.go`; specs/control-plane.md §6): rules in order, the first match sets
 * the level, no match means `None`; empty lists match everything; `resources` entries match a
 * resource, a `resource/subresource`, `*`, a star for the resource with a subresource, or a resource
 * with a star subresource; omitted stages are the policy's plus the rule's. A small set of synthetic requests then shows what a policy really records.
 */
import type { JsonObject, Path } from '../../types.js';
import { asArray, asObject, asString } from '../object.js';

export type Level = 'None' | 'Metadata' | 'Request' | 'RequestResponse';
const LEVELS: readonly Level[] = ['None', 'Metadata', 'Request', 'RequestResponse'];

/** One `rules[]` entry. */
export interface PolicyRule {
  index: number;
  path: Path;
  /** undefined when missing or unknown (the API server refuses such a policy: see `Policy.invalidLevels`). */
  level: Level | undefined;
  users: readonly string[];
  userGroups: readonly string[];
  verbs: readonly string[];
  namespaces: readonly string[];
  resources: readonly { group: string; resources: readonly string[]; resourceNames: readonly string[] }[];
  nonResourceURLs: readonly string[];
  omitStages: readonly string[];
}

export interface Policy {
  rules: PolicyRule[];
  omitStages: readonly string[];
  /** Rules whose `level` is missing or not a level: the API server refuses the whole policy. */
  invalidLevels: { index: number; path: Path; value: unknown }[];
}

/** A request as the audit policy sees it. */
export interface AuditRequest {
  user: string;
  groups: readonly string[];
  verb: string;
  /** '' for cluster-scoped resources. */
  namespace: string;
  group: string;
  resource: string;
  subresource: string;
  name: string;
  /** For non-resource requests (`/healthz`): the path; resource fields are then ignored. */
  path?: string;
  /** Streaming requests (exec, attach, port-forward, proxy, watch) also have the ResponseStarted stage. */
  longRunning?: boolean;
}

/** True for an audit Policy (and not, say, a Kyverno or Istio `Policy`). */
export function isAuditPolicy(object: JsonObject): boolean {
  return object['kind'] === 'Policy' && (asString(object['apiVersion']) ?? '').startsWith('audit.k8s.io/');
}

function strings(value: unknown): string[] {
  return asArray(value).filter((v): v is string => typeof v === 'string');
}

/** The policy's rules, in order. */
export function parsePolicy(object: JsonObject): Policy {
  const rules: PolicyRule[] = [];
  const invalidLevels: Policy['invalidLevels'] = [];
  asArray(object['rules']).forEach((r, index) => {
    const rule = asObject(r);
    if (rule === undefined) return;
    const level = asString(rule['level']);
    if (!LEVELS.some((l) => l === level)) invalidLevels.push({ index, path: rule['level'] === undefined ? ['rules', index] : ['rules', index, 'level'], value: rule['level'] });
    rules.push({
      index,
      path: ['rules', index],
      level: LEVELS.find((l) => l === level),
      users: strings(rule['users']),
      userGroups: strings(rule['userGroups']),
      verbs: strings(rule['verbs']),
      namespaces: strings(rule['namespaces']),
      resources: asArray(rule['resources']).flatMap((g) => {
        const gr = asObject(g);
        return gr === undefined ? [] : [{ group: asString(gr['group']) ?? '', resources: strings(gr['resources']), resourceNames: strings(gr['resourceNames']) }];
      }),
      nonResourceURLs: strings(rule['nonResourceURLs']),
      omitStages: strings(rule['omitStages']),
    });
  });
  return { rules, omitStages: strings(object['omitStages']), invalidLevels };
}

function pathMatches(path: string, spec: string): boolean {
  if (spec === '*') return true;
  if (spec === path) return true;
  return spec.endsWith('*') && path.startsWith(spec.slice(0, -1));
}

/** `ruleMatches` of the API server's policy checker. */
export function ruleMatches(rule: PolicyRule, req: AuditRequest): boolean {
  if (rule.users.length > 0 && !rule.users.includes(req.user)) return false;
  if (rule.userGroups.length > 0 && !req.groups.some((g) => rule.userGroups.includes(g))) return false;
  if (rule.verbs.length > 0 && !rule.verbs.includes(req.verb)) return false;
  const resourceRequest = req.path === undefined;
  if (rule.namespaces.length > 0 || rule.resources.length > 0) {
    if (!resourceRequest) return false;
    if (rule.namespaces.length > 0 && !rule.namespaces.includes(req.namespace)) return false;
    if (rule.resources.length === 0) return true;
    const combined = req.subresource === '' ? req.resource : `${req.resource}/${req.subresource}`;
    for (const gr of rule.resources) {
      if (gr.group !== req.group) continue;
      if (gr.resources.length === 0) return true;
      for (const res of gr.resources) {
        if (gr.resourceNames.length > 0 && !gr.resourceNames.includes(req.name)) continue;
        if (res === combined || res === '*') return true;
        if (req.subresource !== '' && res.startsWith('*/') && req.subresource === res.slice(2)) return true;
        if (res.endsWith('/*') && req.resource === res.slice(0, -2)) return true;
      }
    }
    return false;
  }
  if (rule.nonResourceURLs.length > 0) {
    if (resourceRequest) return false;
    return rule.nonResourceURLs.some((spec) => pathMatches(req.path ?? '', spec));
  }
  return true;
}

/** What the API server records for a request: the first matching rule's level and stages. */
export interface Decision {
  /** The first rule that matches; undefined when none does (level None). */
  rule: PolicyRule | undefined;
  level: Level;
  /** False when the level is None or every stage of the request is omitted. */
  recorded: boolean;
}

export function decide(policy: Policy, req: AuditRequest): Decision {
  const rule = policy.rules.find((r) => ruleMatches(r, req));
  if (rule === undefined) return { rule, level: 'None', recorded: false };
  const level = rule.level ?? 'None';
  const omitted = new Set([...policy.omitStages, ...rule.omitStages]);
  const stages = req.longRunning === true ? ['RequestReceived', 'ResponseStarted', 'ResponseComplete'] : ['RequestReceived', 'ResponseComplete'];
  return { rule, level, recorded: level !== 'None' && stages.some((s) => !omitted.has(s)) };
}

/** Synthetic callers: a user, a service account, a node and an anonymous client. */
export const PRINCIPALS: readonly { label: string; user: string; groups: readonly string[] }[] = [
  { label: 'a user', user: 'jane@example.com', groups: ['developers', 'system:authenticated'] },
  { label: 'a service account', user: 'system:serviceaccount:team-a:app', groups: ['system:serviceaccounts', 'system:serviceaccounts:team-a', 'system:authenticated'] },
  { label: 'a node', user: 'system:node:worker-1', groups: ['system:nodes', 'system:authenticated'] },
  { label: 'an anonymous client', user: 'system:anonymous', groups: ['system:unauthenticated'] },
];

const NAMESPACES: readonly string[] = ['team-a', 'kube-system'];

/** A resource the checks probe: group, resource, subresource, verbs, and whether it is namespaced. */
export interface Probe {
  group: string;
  resource: string;
  subresource?: string;
  verbs: readonly string[];
  namespaced: boolean;
  longRunning?: boolean;
}

/** Every synthetic request for a probe: each principal × verb × namespace. */
export function requestsFor(probe: Probe): { req: AuditRequest; principal: string }[] {
  const out: { req: AuditRequest; principal: string }[] = [];
  for (const p of PRINCIPALS) {
    for (const verb of probe.verbs) {
      for (const namespace of probe.namespaced ? NAMESPACES : ['']) {
        const req: AuditRequest = {
          user: p.user,
          groups: p.groups,
          verb,
          namespace,
          group: probe.group,
          resource: probe.resource,
          subresource: probe.subresource ?? '',
          name: 'example',
        };
        if (probe.longRunning === true) req.longRunning = true;
        out.push({ req, principal: p.label });
      }
    }
  }
  return out;
}

/** How a message names a request: `get secrets in kube-system by a service account`. */
export function describeRequest(req: AuditRequest, principal: string): string {
  const resource = `${req.resource}${req.subresource === '' ? '' : `/${req.subresource}`}${req.group === '' ? '' : `.${req.group}`}`;
  return `${req.verb} ${resource}${req.namespace === '' ? '' : ` in ${req.namespace}`} by ${principal}`;
}

/**
 * The rules (by index, -1 for "no rule matched") under which a probe's requests get a level that
 * `bad` rejects, with one example request each; in rule order.
 */
export function offending(policy: Policy, probes: readonly Probe[], bad: (d: Decision, req: AuditRequest) => boolean): Map<number, { rule: PolicyRule | undefined; level: Level; examples: string[]; resources: Set<string> }> {
  const out = new Map<number, { rule: PolicyRule | undefined; level: Level; examples: string[]; resources: Set<string> }>();
  for (const probe of probes) {
    for (const { req, principal } of requestsFor(probe)) {
      const d = decide(policy, req);
      if (!bad(d, req)) continue;
      const key = d.rule?.index ?? -1;
      let entry = out.get(key);
      if (entry === undefined) {
        entry = { rule: d.rule, level: d.level, examples: [], resources: new Set() };
        out.set(key, entry);
      }
      entry.resources.add(`${probe.resource}${probe.subresource === undefined ? '' : `/${probe.subresource}`}`);
      if (entry.examples.length < 2) entry.examples.push(describeRequest(req, principal));
    }
  }
  return new Map([...out.entries()].sort((a, b) => (a[0] === -1 ? 1 : b[0] === -1 ? -1 : a[0] - b[0])));
}
