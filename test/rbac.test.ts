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

  it('keeps the listed rules of an aggregated role that selects none of the input\'s roles, as a cluster export has it', () => {
    const exported = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: monitoring }
aggregationRule:
  clusterRoleSelectors: [{ matchLabels: { example.com/aggregate-to-monitoring: "true" } }]
rules:
  - { apiGroups: [""], resources: ["secrets"], verbs: ["get"] }
`;
    expect(rbacIndexOf(inventory(exported)).clusterRole('monitoring')?.rules.map((g) => [g.source.name, g.rule.resources[0]])).toEqual([['monitoring', 'secrets']]);
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

describe('permission classes of bindings', () => {
  const role = (kind: string, name: string, rules: string, namespace?: string): string =>
    `apiVersion: rbac.authorization.k8s.io/v1\nkind: ${kind}\nmetadata: { name: "${name}"${namespace === undefined ? '' : `, namespace: ${namespace}`} }\nrules:\n${rules}`;
  const binding = (name: string, roleName: string, subject = '{ kind: ServiceAccount, name: agent, namespace: ops }', roleKind = 'ClusterRole'): string =>
    `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: { name: ${name} }\nroleRef: { apiGroup: rbac.authorization.k8s.io, kind: ${roleKind}, name: "${roleName}" }\nsubjects: [${subject}]`;
  async function scan(ids: readonly string[], ...docs: string[]): Promise<{ rule: string; severity: string; message: string }[]> {
    const { scanTexts } = await import('../src/engine/scan.js');
    const { RULES } = await import('../src/rules/index.js');
    const rules = RULES.filter((r) => ids.includes(r.id));
    return scanTexts([{ file: 'rbac.yaml', text: docs.join('\n---\n') }], { rules }).findings.map((f) => ({ rule: f.ruleId, severity: f.severity, message: f.message }));
  }
  const WEBSOCKET = 'a WebSocket connection, which "get" alone opens before Kubernetes 1.35 or with the AuthorizePodWebsocketUpgradeCreatePermission feature gate off';

  it('reports get alone on pods/exec, pods/attach and pods/portforward as exec and port-forward over a WebSocket', async () => {
    const getOnly = role('ClusterRole', 'inspect', '  - { apiGroups: [""], resources: ["pods/exec", "pods/attach", "pods/portforward"], verbs: ["get"] }');
    expect(await scan(['rbac-cluster-pod-exec', 'rbac-cluster-port-forward'], getOnly, binding('inspect', 'inspect'))).toEqual([
      {
        rule: 'rbac-cluster-pod-exec',
        severity: 'high',
        message: `ClusterRoleBinding "inspect" grants ClusterRole "inspect" to ServiceAccount ops/agent cluster-wide: executes commands in pods (get on pods/exec, pods/attach: ${WEBSOCKET})`,
      },
      {
        rule: 'rbac-cluster-port-forward',
        severity: 'medium',
        message: `ClusterRoleBinding "inspect" grants ClusterRole "inspect" to ServiceAccount ops/agent cluster-wide: forwards ports of pods (get on pods/portforward: ${WEBSOCKET})`,
      },
    ]);
    // With create as well, nothing depends on the version.
    const both = role('ClusterRole', 'debug', '  - { apiGroups: [""], resources: ["pods/exec"], verbs: ["get", "create"] }');
    expect((await scan(['rbac-cluster-pod-exec'], both, binding('debug', 'debug'))).map((f) => f.message)).toEqual([
      'ClusterRoleBinding "debug" grants ClusterRole "debug" to ServiceAccount ops/agent cluster-wide: executes commands in pods (get, create on pods/exec)',
    ]);
  });

  it('reports writing APIServices with the admission webhooks, and not reading them', async () => {
    const registrar = (verbs: string): string => role('ClusterRole', 'registrar', `  - { apiGroups: ["apiregistration.k8s.io"], resources: ["apiservices"], verbs: [${verbs}] }`);
    expect((await scan(['rbac-webhook-config-write'], registrar('"update"'), binding('registrar', 'registrar'))).map((f) => `${f.severity} ${f.message}`)).toEqual([
      'high ClusterRoleBinding "registrar" grants ClusterRole "registrar" to ServiceAccount ops/agent cluster-wide: writes admission webhook, admission policy or APIService configurations (update on apiservices.apiregistration.k8s.io)',
    ]);
    expect(await scan(['rbac-webhook-config-write'], registrar('"get", "list", "watch"'), binding('registrar', 'registrar'))).toEqual([]);
  });

  it('says when a RoleBinding sets no namespace, rather than stating "default" as fact', async () => {
    const reader = role('Role', 'reader', '  - { apiGroups: [""], resources: ["secrets"], verbs: ["get"] }');
    const unset = 'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: { name: reader }\nroleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader }\nsubjects: [{ kind: ServiceAccount, name: app }]';
    const set = unset.replace('{ name: reader }', '{ name: reader, namespace: default }');
    const message = async (doc: string): Promise<string | undefined> => (await scan(['rbac-namespace-sensitive-access'], reader, doc))[0]?.message;
    expect(await message(unset)).toBe('RoleBinding "reader" in namespace "default" (none set: it goes where it is applied) grants Role "reader" to ServiceAccount default/app in namespace "default": reads Secrets (get on secrets)');
    expect(await message(set)).toBe('RoleBinding "reader" in namespace "default" grants Role "reader" to ServiceAccount default/app in namespace "default": reads Secrets (get on secrets)');
  });

  it('names the WebSocket exec in the takeover a pod inherits', async () => {
    const getOnly = role('ClusterRole', 'inspect', '  - { apiGroups: [""], resources: ["pods/exec"], verbs: ["get"] }');
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata: { name: agent, namespace: ops }\nspec:\n  serviceAccountName: agent\n  containers: [{ name: a, image: "registry.example.com/a:1" }]';
    const [finding] = await scan(['workload-powerful-service-account'], getOnly, binding('inspect', 'inspect'), pod);
    expect(finding?.message).toContain(`(ClusterRole "inspect", cluster-wide): executes commands in pods through ${WEBSOCKET}; code execution`);
  });

  it('reports token creation and service-account impersonation limited by resourceNames, naming the service accounts', async () => {
    const named = role(
      'ClusterRole',
      'minter',
      [
        '  - { apiGroups: [""], resources: ["serviceaccounts/token"], verbs: ["create"], resourceNames: ["replicaset-controller"] }',
        '  - { apiGroups: [""], resources: ["serviceaccounts"], verbs: ["impersonate"], resourceNames: ["deployer"] }',
      ].join('\n'),
    );
    expect(await scan(['rbac-cluster-token-create', 'rbac-cluster-impersonate'], named, binding('minter', 'minter'))).toEqual([
      {
        rule: 'rbac-cluster-impersonate',
        severity: 'critical',
        message: 'ClusterRoleBinding "minter" grants ClusterRole "minter" to ServiceAccount ops/agent cluster-wide: impersonates identities (impersonate on serviceaccounts (only "deployer"))',
      },
      {
        rule: 'rbac-cluster-token-create',
        severity: 'critical',
        message: 'ClusterRoleBinding "minter" grants ClusterRole "minter" to ServiceAccount ops/agent cluster-wide: mints service account tokens (create on serviceaccounts/token (only "replicaset-controller"))',
      },
    ]);
  });

  it('places uids and userextras in authentication.k8s.io, listed with user impersonation and never alone', async () => {
    const qualifiers = '  - { apiGroups: ["authentication.k8s.io"], resources: ["uids", "userextras/scopes"], verbs: ["impersonate"] }';
    expect(await scan(['rbac-cluster-impersonate'], role('ClusterRole', 'extras', qualifiers), binding('extras', 'extras'))).toEqual([]);
    // The core group has no uids: the rule grants nothing.
    const core = '  - { apiGroups: [""], resources: ["uids"], verbs: ["impersonate"] }';
    expect(await scan(['rbac-cluster-impersonate'], role('ClusterRole', 'core-uids', core), binding('core-uids', 'core-uids'))).toEqual([]);
    const users = `${qualifiers}\n  - { apiGroups: [""], resources: ["users"], verbs: ["impersonate"] }`;
    expect((await scan(['rbac-cluster-impersonate'], role('ClusterRole', 'proxy', users), binding('proxy', 'proxy'))).map((f) => f.message)).toEqual([
      'ClusterRoleBinding "proxy" grants ClusterRole "proxy" to ServiceAccount ops/agent cluster-wide: impersonates identities (impersonate on uids.authentication.k8s.io, userextras/scopes.authentication.k8s.io, users)',
    ]);
  });

  describe('bind', () => {
    const binder = (names: string, writes = true): string =>
      role(
        'ClusterRole',
        'binder',
        `  - { apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["bind"]${names === '' ? '' : `, resourceNames: [${names}]`} }` +
          (writes ? '\n  - { apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterrolebindings"], verbs: ["create"] }' : ''),
      );
    const IDLE = '"bind" is used by creating or updating a RoleBinding or ClusterRoleBinding, which no binding of the input lets its subjects do';
    const rule = ['rbac-cluster-escalate-bind'];

    it('is high, saying what it lacks, when no subject can write bindings; critical once one can, through any binding', async () => {
      expect(await scan(rule, binder('', false), binding('binder', 'binder'))).toEqual([
        {
          rule: 'rbac-cluster-escalate-bind',
          severity: 'high',
          message: `ClusterRoleBinding "binder" grants ClusterRole "binder" to ServiceAccount ops/agent cluster-wide: escalates or binds roles (bind on clusterroles.rbac.authorization.k8s.io); ${IDLE}`,
        },
      ]);
      const writer = role('ClusterRole', 'writer', '  - { apiGroups: ["rbac.authorization.k8s.io"], resources: ["rolebindings"], verbs: ["create"] }');
      const severity = async (...docs: string[]): Promise<string[]> => (await scan(rule, ...docs)).map((f) => f.severity);
      // The same service account, through another binding.
      expect(await severity(binder('', false), binding('binder', 'binder'), writer, binding('writer', 'writer'))).toEqual(['critical']);
      // A group it is in by construction.
      const group = '{ kind: Group, name: "system:serviceaccounts:ops", apiGroup: rbac.authorization.k8s.io }';
      expect(await severity(binder('', false), binding('binder', 'binder'), writer, binding('writer', 'writer', group))).toEqual(['critical']);
      // Another service account's writes do not count.
      const other = '{ kind: ServiceAccount, name: other, namespace: ops }';
      expect(await severity(binder('', false), binding('binder', 'binder'), writer, binding('writer', 'writer', other))).toEqual(['high']);
      // escalate is used by writing a role: with role writes it is critical without any binding write.
      const escalator = (verbs: string): string => role('ClusterRole', 'escalator', `  - { apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: [${verbs}] }`);
      expect(await severity(escalator('"escalate", "bind", "update"'), binding('escalator', 'escalator'))).toEqual(['critical']);
      expect(await severity(escalator('"escalate"'), binding('escalator', 'escalator'), writer, binding('writer', 'writer'))).toEqual(['high']);
      const roleWriter = role('ClusterRole', 'role-writer', '  - { apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles"], verbs: ["create"] }');
      expect(await severity(escalator('"escalate"'), binding('escalator', 'escalator'), roleWriter, binding('role-writer', 'role-writer'))).toEqual(['critical']);
    });

    it('counts role writes limited by resourceNames: updating the one role it holds is enough for escalate', async () => {
      const selfEditing = role(
        'ClusterRole',
        'op-manager',
        '  - { apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["escalate"] }\n  - { apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], resourceNames: ["op-manager"], verbs: ["get", "update", "patch"] }',
      );
      expect((await scan(rule, selfEditing, binding('op-manager', 'op-manager'))).map((f) => f.severity)).toEqual(['critical']);
      // A named binding update is enough for bind: its subjects can be changed.
      const binder = role(
        'ClusterRole',
        'binder',
        '  - { apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["bind"] }\n  - { apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterrolebindings"], resourceNames: ["ops"], verbs: ["update"] }',
      );
      expect((await scan(rule, binder, binding('binder', 'binder'))).map((f) => f.severity)).toEqual(['critical']);
    });

    it('is high when no subject can write roles for escalate nor bindings for bind, saying which', async () => {
      const escalator = (verbs: string): string => role('ClusterRole', 'escalator', `  - { apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: [${verbs}] }`);
      expect((await scan(rule, escalator('"escalate"'), binding('escalator', 'escalator'))).map((f) => `${f.severity} ${f.message}`)).toEqual([
        'high ClusterRoleBinding "escalator" grants ClusterRole "escalator" to ServiceAccount ops/agent cluster-wide: escalates or binds roles (escalate on clusterroles.rbac.authorization.k8s.io); "escalate" is used by creating or updating a Role or ClusterRole, which no binding of the input lets its subjects do',
      ]);
      expect((await scan(rule, escalator('"escalate", "bind"'), binding('escalator', 'escalator'))).map((f) => `${f.severity} ${f.message}`)).toEqual([
        'high ClusterRoleBinding "escalator" grants ClusterRole "escalator" to ServiceAccount ops/agent cluster-wide: escalates or binds roles (escalate, bind on clusterroles.rbac.authorization.k8s.io); "escalate" and "bind" are used by creating or updating roles and bindings, which no binding of the input lets its subjects do',
      ]);
    });

    it('judges a named role by what it grants, and an unknown system: role as powerful', async () => {
      const names = async (list: string, ...docs: string[]): Promise<string[]> => (await scan(rule, binder(list), binding('binder', 'binder'), ...docs)).map((f) => f.message);
      const delegator = role(
        'ClusterRole',
        'system:auth-delegator',
        '  - { apiGroups: ["authentication.k8s.io"], resources: ["tokenreviews"], verbs: ["create"] }\n  - { apiGroups: ["authorization.k8s.io"], resources: ["subjectaccessreviews"], verbs: ["create"] }',
      );
      expect(await names('"system:auth-delegator"', delegator)).toEqual([]);
      // Kubernetes' view (known offline) grants nothing dangerous; edit does.
      expect(await names('"view"')).toEqual([]);
      expect(await names('"view", "edit"')).toEqual([expect.stringContaining('bind on clusterroles.rbac.authorization.k8s.io (only "edit")')]);
      // A role of the input that reads Secrets; a team's name found nowhere; a system: name found nowhere.
      const reader = role('ClusterRole', 'secret-reader', '  - { apiGroups: [""], resources: ["secrets"], verbs: ["get"] }');
      expect(await names('"secret-reader"', reader)).toEqual([expect.stringContaining('(only "secret-reader")')]);
      expect(await names('"app-reader"')).toEqual([]);
      expect(await names('"system:controller:namespace-controller"')).toEqual([expect.stringContaining('(only "system:controller:namespace-controller")')]);
      // A role whose own bind names a powerful role is powerful; a cycle of binds adds nothing.
      const relay = role('ClusterRole', 'relay', '  - { apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["bind"], resourceNames: ["cluster-admin"] }');
      expect(await names('"relay"', relay)).toEqual([expect.stringContaining('(only "relay")')]);
      const loop = role('ClusterRole', 'loop', '  - { apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["bind"], resourceNames: ["loop"] }');
      expect(await names('"loop"', loop)).toEqual([]);
    });

    it('takes nothing over for a workload whose service account cannot write bindings', async () => {
      const pod = 'apiVersion: v1\nkind: Pod\nmetadata: { name: agent, namespace: ops }\nspec:\n  serviceAccountName: agent\n  containers: [{ name: a, image: "registry.example.com/a:1" }]';
      expect(await scan(['workload-powerful-service-account'], binder('', false), binding('binder', 'binder'), pod)).toEqual([]);
      const [finding] = await scan(['workload-powerful-service-account'], binder(''), binding('binder', 'binder'), pod);
      expect(finding?.message).toContain(': escalates or binds roles, writes Roles and bindings; code execution');
    });
  });

  it('matches cluster-scoped resources of a Role by API group and resource together', async () => {
    const rules = (groups: string, resources: string): string =>
      role('Role', 'r', `  - { apiGroups: [${groups}], resources: [${resources}], verbs: ["get"] }`, 'storage');
    const messages = async (groups: string, resources: string): Promise<string[]> => (await scan(['rbac-ineffective-rule'], rules(groups, resources))).map((f) => f.message);
    expect(await messages('"longhorn.io"', '"nodes", "volumes"')).toEqual([]);
    expect(await messages('"example.com"', '"storageclasses"')).toEqual([]);
    expect(await messages('""', '"storageclasses"')).toEqual([]);
    expect(await messages('""', '"nodes"')).toEqual(['Role "r": rule 0 names the cluster-scoped resource "nodes", which a Role cannot grant; use a ClusterRole with a ClusterRoleBinding']);
    expect(await messages('"storage.k8s.io"', '"storageclasses"')).toEqual([
      'Role "r": rule 0 names the cluster-scoped resource "storageclasses" of apiGroup "storage.k8s.io", which a Role cannot grant; use a ClusterRole with a ClusterRoleBinding',
    ]);
    // `*` covers the core group, whose nodes a Role cannot grant.
    expect(await messages('"*"', '"nodes"')).toHaveLength(1);
  });
  it('judges a workload that sets no namespace where the bindings grant its ServiceAccount, when that is one namespace', async () => {
    const crb = (name: string, ns: string): string =>
      `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: { name: ${name} }\nroleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin }\nsubjects: [{ kind: ServiceAccount, name: sync, namespace: ${ns} }]`;
    const workload = 'apiVersion: v1\nkind: Pod\nmetadata: { name: sync }\nspec:\n  serviceAccountName: sync\n  containers: [{ name: s, image: "registry.example.com/s:1" }]';
    const messages = async (...docs: string[]): Promise<string[]> => (await scan(['workload-powerful-service-account'], ...docs)).map((f) => f.message);
    expect(await messages(crb('sync', 'gitops'), workload)).toEqual([
      'pod runs as ServiceAccount "sync" (the workload sets no namespace; its file grants a ServiceAccount of that name only in namespace "gitops", where it is taken to be applied) with its API token mounted, and ClusterRoleBinding "sync" (ClusterRole "cluster-admin", cluster-wide): full control; code execution in any container of this pod can take over the cluster',
    ]);
    // Two candidate namespaces: nothing is assumed. A workload that names its namespace is judged there only.
    expect(await messages(crb('sync', 'gitops'), crb('sync-b', 'other'), workload)).toEqual([]);
    expect(await messages(crb('sync', 'gitops'), workload.replace('name: sync }', 'name: sync, namespace: apps }'))).toEqual([]);
    // Never for the default ServiceAccount, which every namespace has.
    const noAccount = workload.replace('  serviceAccountName: sync\n', '');
    expect(await messages(crb('sync', 'gitops').replace('name: sync, namespace', 'name: default, namespace'), noAccount)).toEqual([]);
    // Never from a binding of another file: another install of the same thing, say.
    const { scanTexts } = await import('../src/engine/scan.js');
    const { RULES } = await import('../src/rules/index.js');
    const split = scanTexts(
      [
        { file: 'cluster-install.yaml', text: crb('sync', 'gitops') },
        { file: 'namespace-install.yaml', text: workload },
      ],
      { rules: RULES.filter((r) => r.id === 'workload-powerful-service-account') },
    );
    expect(split.findings).toEqual([]);
  });
});
