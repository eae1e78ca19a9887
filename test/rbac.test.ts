/** RBAC evaluation as the Kubernetes authorizer does it: rule matching, selectors, aggregation, bindings. */
import { describe, expect, it } from 'vitest';
import { Inventory } from '../src/engine/inventory.js';
import {
  buildRbacIndex,
  formatSubject,
  implicitGroups,
  isUnchangedDefaultBinding,
  labelSelectorMatches,
  nonResourceURLMatches,
  policyRule,
  rbacIndexOf,
  resolveAggregation,
  resourceMatches,
  ruleAllows,
  ruleAllowsNonResource,
  type PolicyRule,
  type RoleRecord,
} from '../src/k8s/rbac.js';
import { loadText } from '../src/load/load.js';

function rule(partial: Partial<PolicyRule>): PolicyRule {
  return { verbs: [], apiGroups: [], resources: [], resourceNames: [], nonResourceURLs: [], ...partial };
}

function inventory(yaml: string, file = 'rbac.yaml'): Inventory {
  return new Inventory(loadText(file, yaml).objects);
}

describe('rule matching', () => {
  const exec = { verb: 'create', apiGroup: '', resource: 'pods', subresource: 'exec', name: 'web-0' };

  it('matches verbs, groups and resources exactly or through *', () => {
    expect(ruleAllows(rule({ verbs: ['create'], apiGroups: [''], resources: ['pods/exec'] }), exec)).toBe(true);
    expect(ruleAllows(rule({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }), exec)).toBe(true);
    expect(ruleAllows(rule({ verbs: ['get'], apiGroups: [''], resources: ['pods/exec'] }), exec)).toBe(false);
    expect(ruleAllows(rule({ verbs: ['create'], apiGroups: ['apps'], resources: ['pods/exec'] }), exec)).toBe(false);
  });

  it('does not treat pods/* or */* as wildcards, nor bare pods as covering subresources', () => {
    expect(ruleAllows(rule({ verbs: ['create'], apiGroups: [''], resources: ['pods/*'] }), exec)).toBe(false);
    expect(ruleAllows(rule({ verbs: ['create'], apiGroups: [''], resources: ['*/*'] }), exec)).toBe(false);
    expect(ruleAllows(rule({ verbs: ['create'], apiGroups: [''], resources: ['pods'] }), exec)).toBe(false);
    // `pods/*` only names a subresource literally called `*`.
    expect(resourceMatches(rule({ resources: ['pods/*'] }), 'pods/*', '*')).toBe(true);
  });

  it('matches */<subresource> for any parent', () => {
    const scale = rule({ verbs: ['update'], apiGroups: ['apps'], resources: ['*/scale'] });
    expect(ruleAllows(scale, { verb: 'update', apiGroup: 'apps', resource: 'deployments', subresource: 'scale' })).toBe(true);
    expect(ruleAllows(scale, { verb: 'update', apiGroup: 'apps', resource: 'deployments' })).toBe(false);
    expect(ruleAllows(scale, { verb: 'update', apiGroup: 'apps', resource: 'deployments', subresource: 'status' })).toBe(false);
    expect(resourceMatches(rule({ resources: ['*/scale'] }), 'deployments/xscale', 'xscale')).toBe(false);
  });

  it('evaluates resourceNames exactly, never for unnamed requests', () => {
    const named = rule({ verbs: ['get', 'create'], apiGroups: [''], resources: ['secrets'], resourceNames: ['db'] });
    expect(ruleAllows(named, { verb: 'get', apiGroup: '', resource: 'secrets', name: 'db' })).toBe(true);
    expect(ruleAllows(named, { verb: 'get', apiGroup: '', resource: 'secrets', name: 'other' })).toBe(false);
    expect(ruleAllows(named, { verb: 'create', apiGroup: '', resource: 'secrets' })).toBe(false);
    // `*` is not a wildcard in resourceNames.
    const star = rule({ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['*'] });
    expect(ruleAllows(star, { verb: 'get', apiGroup: '', resource: 'secrets', name: 'db' })).toBe(false);
  });

  it('grants nothing with an empty verbs, apiGroups or resources list', () => {
    const req = { verb: 'get', apiGroup: '', resource: 'pods' };
    expect(ruleAllows(rule({ apiGroups: [''], resources: ['pods'] }), req)).toBe(false);
    expect(ruleAllows(rule({ verbs: ['get'], resources: ['pods'] }), req)).toBe(false);
    expect(ruleAllows(rule({ verbs: ['get'], apiGroups: [''] }), req)).toBe(false);
  });

  it('matches nonResourceURLs: *, exact, or a prefix ending in *', () => {
    const r = rule({ verbs: ['get'], nonResourceURLs: ['/healthz', '/metrics/*', '/api*'] });
    expect(nonResourceURLMatches(r, '/healthz')).toBe(true);
    expect(nonResourceURLMatches(r, '/healthz/etcd')).toBe(false);
    expect(nonResourceURLMatches(r, '/metrics/slis')).toBe(true);
    expect(nonResourceURLMatches(r, '/metrics')).toBe(false);
    expect(nonResourceURLMatches(r, '/apis/apps')).toBe(true);
    expect(ruleAllowsNonResource(rule({ verbs: ['*'], nonResourceURLs: ['*'] }), { verb: 'post', path: '/anything' })).toBe(true);
    expect(ruleAllowsNonResource(r, { verb: 'post', path: '/healthz' })).toBe(false);
  });

  it('reads rules leniently from arbitrary YAML', () => {
    expect(policyRule('nope')).toBeUndefined();
    expect(policyRule({ verbs: ['get', 3, null], apiGroups: 'x', resources: ['pods'] })).toEqual(
      rule({ verbs: ['get'], resources: ['pods'] }),
    );
  });
});

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front' };

  it('ANDs matchLabels and matchExpressions; empty selects everything', () => {
    expect(labelSelectorMatches({}, labels)).toBe(true);
    expect(labelSelectorMatches(null, labels)).toBe(true);
    expect(labelSelectorMatches({ matchLabels: { app: 'web' } }, labels)).toBe(true);
    expect(labelSelectorMatches({ matchLabels: { app: 'web', tier: 'back' } }, labels)).toBe(false);
    expect(
      labelSelectorMatches({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['back'] }] }, labels),
    ).toBe(false);
  });

  it('implements In, NotIn, Exists and DoesNotExist', () => {
    const sel = (operator: string, key: string, values?: string[]): unknown => ({ matchExpressions: [{ key, operator, ...(values ? { values } : {}) }] });
    expect(labelSelectorMatches(sel('In', 'tier', ['front', 'x']), labels)).toBe(true);
    expect(labelSelectorMatches(sel('In', 'missing', ['front']), labels)).toBe(false);
    expect(labelSelectorMatches(sel('NotIn', 'tier', ['back']), labels)).toBe(true);
    expect(labelSelectorMatches(sel('NotIn', 'missing', ['back']), labels)).toBe(true);
    expect(labelSelectorMatches(sel('NotIn', 'tier', ['front']), labels)).toBe(false);
    expect(labelSelectorMatches(sel('Exists', 'app'), labels)).toBe(true);
    expect(labelSelectorMatches(sel('Exists', 'missing'), labels)).toBe(false);
    expect(labelSelectorMatches(sel('DoesNotExist', 'missing'), labels)).toBe(true);
    expect(labelSelectorMatches(sel('DoesNotExist', 'app'), labels)).toBe(false);
  });

  it('rejects selectors the API server cannot convert', () => {
    expect(labelSelectorMatches({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }, labels)).toBeUndefined();
    expect(labelSelectorMatches({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, labels)).toBeUndefined();
    expect(labelSelectorMatches({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }, labels)).toBeUndefined();
    expect(labelSelectorMatches({ matchLabels: { a: true } }, labels)).toBeUndefined();
    expect(labelSelectorMatches('x', labels)).toBeUndefined();
  });
});

describe('aggregated ClusterRoles', () => {
  const yaml = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: monitoring }
aggregationRule:
  clusterRoleSelectors:
    - matchLabels: { example.com/aggregate-to-monitoring: "true" }
    - matchExpressions: [{ key: team, operator: In, values: [observability] }]
rules:
  - { apiGroups: ["*"], resources: ["*"], verbs: ["*"] }   # overwritten by the controller
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: read-pods, labels: { example.com/aggregate-to-monitoring: "true" } }
rules:
  - { apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: read-secrets, labels: { team: observability } }
rules:
  - { apiGroups: [""], resources: ["secrets"], verbs: ["get"] }
  - { apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: unrelated, labels: { team: web } }
rules:
  - { apiGroups: [""], resources: ["configmaps"], verbs: ["*"] }
`;

  it('unions the selected roles, drops duplicates, ignores literal rules and keeps provenance', () => {
    const index = rbacIndexOf(inventory(yaml));
    const monitoring = index.clusterRole('monitoring');
    expect(monitoring?.rules.map((g) => [g.source.name, g.rule.resources[0]])).toEqual([
      ['read-pods', 'pods'],
      ['read-secrets', 'secrets'],
    ]);
  });

  it('iterates to a fixed point through nested aggregated roles, and survives cycles', () => {
    const nested = `${yaml}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: platform, labels: { loop: "a" } }
aggregationRule:
  clusterRoleSelectors: [{ matchLabels: { level: top } }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: top, labels: { level: top, loop: "b" } }
aggregationRule:
  clusterRoleSelectors: [{ matchLabels: { example.com/aggregate-to-monitoring: "true" } }, { matchLabels: { loop: "a" } }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: monitoring-extra, labels: { level: top } }
rules:
  - { apiGroups: [""], resources: ["nodes"], verbs: ["get"] }
`;
    const index = rbacIndexOf(inventory(nested));
    const platform = index.clusterRole('platform');
    expect(platform?.rules.map((g) => g.rule.resources[0]).sort()).toEqual(['nodes', 'pods']);
    expect(index.clusterRole('top')?.rules.map((g) => g.rule.resources[0]).sort()).toEqual(['nodes', 'pods']);
    // Roles on one cycle reach the same roles and share one union: platform's selections (it comes
    // first in the input: monitoring-extra, then top, on the cycle), then top's (read-pods).
    expect(index.clusterRole('top')?.rules.map((g) => g.source.name)).toEqual(['monitoring-extra', 'read-pods']);
    expect(index.clusterRole('platform')?.rules).toEqual(index.clusterRole('top')?.rules);
  });

  it('keeps the written rules when a selector is invalid', () => {
    const role: RoleRecord = {
      kind: 'ClusterRole',
      name: 'bad',
      namespace: undefined,
      object: undefined,
      labels: {},
      literal: [rule({ verbs: ['get'], apiGroups: [''], resources: ['pods'] })],
      rules: [],
      selectors: [{ matchExpressions: [{ key: 'a', operator: 'In' }] }],
      invalidSelector: false,
      bootstrap: false,
      assumed: false,
    };
    resolveAggregation([role]);
    expect(role.invalidSelector).toBe(true);
    expect(role.rules.map((g) => g.rule.resources[0])).toEqual(['pods']);
  });

  it('resolves the default admin, edit and view roles, extended by the input\'s aggregate-to labels', () => {
    const index = rbacIndexOf(
      inventory(`
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: crd-view, labels: { rbac.authorization.k8s.io/aggregate-to-view: "true" } }
rules:
  - { apiGroups: [example.com], resources: [widgets], verbs: [get] }
`),
    );
    const has = (name: string, resource: string, verb: string): boolean =>
      index.clusterRole(name)?.rules.some((g) => ruleAllows(g.rule, { verb, apiGroup: resource === 'widgets' ? 'example.com' : '', resource })) ?? false;
    expect(has('view', 'widgets', 'get')).toBe(true);
    expect(has('edit', 'widgets', 'get')).toBe(true);
    expect(has('admin', 'widgets', 'get')).toBe(true);
    expect(has('view', 'secrets', 'get')).toBe(false);
    expect(has('edit', 'secrets', 'get')).toBe(true);
    expect(index.clusterRole('admin')?.rules.some((g) => ruleAllows(g.rule, { verb: 'create', apiGroup: 'rbac.authorization.k8s.io', resource: 'rolebindings' }))).toBe(true);
    expect(index.clusterRole('view')?.assumed).toBe(true);
    // The reference copy is untouched by the input's aggregation.
    expect(index.defaultRole('view')?.rules.some((g) => g.rule.apiGroups.includes('example.com'))).toBe(false);
    expect(buildRbacIndex(inventory('kind: ConfigMap\napiVersion: v1\nmetadata: {name: x}\n'), { defaults: false }).clusterRole('view')).toBeUndefined();
  });
});

describe('bindings', () => {
  const yaml = `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: reader, namespace: shop }
rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: reader, namespace: shop }
subjects:
  - { kind: ServiceAccount, name: api }
  - { kind: User, name: alice, apiGroup: rbac.authorization.k8s.io }
  - { kind: Group, name: devs, apiGroup: rbac.authorization.k8s.io }
  - "not a subject"
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: wrong-namespace, namespace: other }
subjects: [{ kind: ServiceAccount, name: api, namespace: other }]
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: crb-to-role }
subjects: [{ kind: User, name: bob }]
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: cluster-admin, labels: { kubernetes.io/bootstrapping: rbac-defaults } }
subjects: [{ kind: Group, name: system:masters, apiGroup: rbac.authorization.k8s.io }]
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: system:basic-user, labels: { kubernetes.io/bootstrapping: rbac-defaults } }
subjects: [{ kind: Group, name: system:authenticated }, { kind: User, name: mallory }]
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:basic-user }
---
apiVersion: example.com/v1
kind: RoleBinding
metadata: { name: not-rbac, namespace: shop }
`;

  it('resolves roles in the binding\'s namespace only; ClusterRoleBindings cannot reference Roles', () => {
    const index = rbacIndexOf(inventory(yaml));
    const byName = new Map(index.bindings.map((b) => [b.name, b]));
    expect(byName.get('reader')?.role?.name).toBe('reader');
    expect(byName.get('wrong-namespace')?.role).toBeUndefined();
    expect(byName.get('crb-to-role')?.role).toBeUndefined();
    expect(byName.has('not-rbac')).toBe(false);
  });

  it('reads subjects, defaulting a service account\'s namespace to the binding\'s', () => {
    const index = rbacIndexOf(inventory(yaml));
    const reader = index.bindings.find((b) => b.name === 'reader');
    expect(reader?.subjects.map(formatSubject)).toEqual(['ServiceAccount shop/api', 'User alice', 'Group devs']);
    expect(reader?.subjects.map((s) => s.index)).toEqual([0, 1, 2]);
    const sa = reader?.subjects[0];
    expect(sa && implicitGroups(sa)).toEqual(['system:serviceaccounts', 'system:serviceaccounts:shop', 'system:authenticated']);
  });

  it('recognises unchanged default bindings, and changed ones as the user\'s', () => {
    const index = rbacIndexOf(inventory(yaml));
    const byName = new Map(index.bindings.map((b) => [b.name, b]));
    const admin = byName.get('cluster-admin');
    expect(admin && isUnchangedDefaultBinding(admin)).toBe(true);
    expect(admin?.role?.assumed).toBe(true);
    const basic = byName.get('system:basic-user');
    expect(basic && isUnchangedDefaultBinding(basic)).toBe(false);
  });

  it('prefers the role of the same file when names collide across files', () => {
    const role = (verb: string): string => `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: operator }
rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["${verb}"] }]
`;
    const binding = `---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: operator }
subjects: [{ kind: ServiceAccount, name: operator, namespace: ops }]
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: operator }
`;
    const inv = new Inventory([...loadText('a.yaml', role('get') + binding).objects, ...loadText('b.yaml', role('delete')).objects]);
    const index = rbacIndexOf(inv);
    expect(index.bindings[0]?.role?.literal[0]?.verbs).toEqual(['get']);
    expect(index.clusterRole('operator')?.literal[0]?.verbs).toEqual(['delete']);
    // Across files, the role of the nearest directory wins.
    const split = new Inventory([
      ...loadText('apps/monitoring/role.yaml', role('get')).objects,
      ...loadText('apps/monitoring/binding.yaml', binding).objects,
      ...loadText('apps/other/role.yaml', role('delete')).objects,
    ]);
    expect(rbacIndexOf(split).bindings[0]?.role?.literal[0]?.verbs).toEqual(['get']);
  });

  it('is built once per inventory', () => {
    const inv = inventory(yaml);
    expect(rbacIndexOf(inv)).toBe(rbacIndexOf(inv));
  });
});

describe('severity from what a binding grants', () => {
  it('reports a ConfigMap grant of create alone as medium, and one that changes ConfigMaps as high', async () => {
    const { scanTexts } = await import('../src/engine/scan.js');
    const { RULES } = await import('../src/rules/index.js');
    const rules = RULES.filter((r) => r.id === 'rbac-configmap-write');
    const text = (verbs: string): string =>
      [
        'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: { name: cm }\nrules:\n  - apiGroups: [""]\n    resources: ["configmaps"]\n' + `    verbs: [${verbs}]`,
        'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: { name: cm }\nroleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cm }\nsubjects: [{ kind: ServiceAccount, name: a, namespace: ops }]',
      ].join('\n---\n');
    const severity = (verbs: string): string[] => scanTexts([{ file: 'rbac.yaml', text: text(verbs) }], { rules }).findings.map((f) => f.severity);
    expect(severity('"create"')).toEqual(['medium']);
    expect(severity('"create", "patch"')).toEqual(['high']);
    expect(severity('"get"')).toEqual([]);
  });
});
