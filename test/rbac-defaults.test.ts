/**
 * Kubernetes' own RBAC objects: a binding or role is exempt only as upstream's bootstrap policy
 * defines it; a subject added, a roleRef changed or a rule added to a default role is judged.
 */
import { describe, expect, it } from 'vitest';
import { Inventory } from '../src/engine/inventory.js';
import { scanTexts } from '../src/engine/scan.js';
import { isUnchangedDefaultBinding, judgedRules, rbacIndexOf, roleNote, type PolicyRule } from '../src/k8s/rbac.js';
import { defaultKey, defaultPolicy } from '../src/k8s/rbac-defaults.js';
import { loadText } from '../src/load/load.js';
import { RULES } from '../src/rules/index.js';

const LABEL = '{ kubernetes.io/bootstrapping: rbac-defaults }';

function scan(yaml: string): { rule: string; path: string; message: string }[] {
  const report = scanTexts([{ file: 'cluster.yaml', text: yaml }], { rules: RULES });
  expect(report.errors).toEqual([]);
  return report.findings.map((f) => ({ rule: f.ruleId, path: f.path, message: f.message }));
}

function index(yaml: string): ReturnType<typeof rbacIndexOf> {
  return rbacIndexOf(new Inventory(loadText('cluster.yaml', yaml).objects));
}

const rule = (r: Partial<PolicyRule>): PolicyRule => ({ verbs: [], apiGroups: [], resources: [], resourceNames: [], nonResourceURLs: [], ...r });

/** Every default role and binding of the table, as the API server creates them. */
function defaultDump(): string {
  const { roles, bindings } = defaultPolicy();
  const docs: string[] = [];
  for (const role of roles.values()) {
    const rules = role.rules.map((r) =>
      r.nonResourceURLs.length > 0
        ? { nonResourceURLs: r.nonResourceURLs, verbs: r.verbs }
        : { apiGroups: r.apiGroups, resources: r.resources, verbs: r.verbs, ...(r.resourceNames.length > 0 ? { resourceNames: r.resourceNames } : {}) },
    );
    docs.push(
      JSON.stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: role.kind,
        metadata: { name: role.name, ...(role.namespace === undefined ? {} : { namespace: role.namespace }), labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults', ...role.labels } },
        ...(role.aggregateTo === undefined ? {} : { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [`rbac.authorization.k8s.io/aggregate-to-${role.aggregateTo}`]: 'true' } }] } }),
        rules,
      }),
    );
  }
  for (const binding of bindings.values()) {
    const subjects = [...binding.subjects].map((s) => {
      const [kind = '', name = ''] = s.split(' ');
      if (kind !== 'ServiceAccount') return { kind, name, apiGroup: 'rbac.authorization.k8s.io' };
      const [namespace, account] = name.split('/');
      return { kind, name: account, namespace };
    });
    docs.push(
      JSON.stringify({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: binding.kind,
        metadata: { name: binding.name, ...(binding.namespace === undefined ? {} : { namespace: binding.namespace }), labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...binding.roleRef },
        ...(subjects.length > 0 ? { subjects } : {}),
      }),
    );
  }
  return docs.join('\n---\n');
}

describe('the default policy table', () => {
  it('holds upstream\'s bindings, each to a role of the table', () => {
    const { roles, bindings } = defaultPolicy();
    expect([...bindings.values()].filter((b) => b.kind === 'ClusterRoleBinding' && !b.name.startsWith('system:controller:')).map((b) => b.name)).toEqual([
      'cluster-admin',
      'system:basic-user',
      'system:discovery',
      'system:kube-controller-manager',
      'system:kube-dns',
      'system:kube-scheduler',
      'system:monitoring',
      'system:node',
      'system:node-proxier',
      'system:public-info-viewer',
      'system:service-account-issuer-discovery',
      'system:volume-scheduler',
    ]);
    expect([...(bindings.get(defaultKey('ClusterRoleBinding', undefined, 'cluster-admin'))?.subjects ?? [])]).toEqual(['Group system:masters']);
    expect([...(bindings.get(defaultKey('ClusterRoleBinding', undefined, 'system:controller:namespace-controller'))?.subjects ?? [])]).toEqual(['ServiceAccount kube-system/namespace-controller']);
    expect(bindings.get(defaultKey('RoleBinding', 'kube-system', 'system::extension-apiserver-authentication-reader'))?.roleRef).toEqual({ kind: 'Role', name: 'extension-apiserver-authentication-reader' });
    for (const b of bindings.values()) expect(roles.has(defaultKey(b.roleRef.kind, b.namespace, b.roleRef.name)), b.name).toBe(true);
    // Every controller role has its binding.
    for (const r of roles.values()) if (r.name.startsWith('system:controller:') && r.kind === 'ClusterRole') expect(bindings.has(defaultKey('ClusterRoleBinding', undefined, r.name)), r.name).toBe(true);
  });

  it('gives no finding on a cluster\'s default roles and bindings left as created', () => {
    expect(scan(defaultDump())).toEqual([]);
    const rbac = index(defaultDump());
    expect(rbac.bindings.every(isUnchangedDefaultBinding)).toBe(true);
    expect(rbac.roles.filter((r) => r.object !== undefined && !r.bootstrap).map((r) => r.name)).toEqual([]);
  });
});

describe('bindings', () => {
  /** The findings of cluster-admin granted to every authenticated identity and to anonymous requests by a binding. */
  const everyone = (binding: string, anonymous: string): ReturnType<typeof scan> => {
    const grants = `ClusterRoleBinding "${binding}" grants ClusterRole "cluster-admin" (Kubernetes default role, not in the input: upstream rules assumed) to`;
    const all = 'full control (every verb on every resource)';
    return [
      { rule: 'rbac-cluster-admin-binding', path: 'roleRef.name', message: `${grants} Group system:authenticated, ${anonymous} cluster-wide: ${all}` },
      { rule: 'rbac-authenticated-binding', path: 'subjects[0].name', message: `${grants} Group system:authenticated (every authenticated user and service account) cluster-wide: ${all}` },
      { rule: 'rbac-anonymous-binding', path: 'subjects[1].name', message: `${grants} ${anonymous} cluster-wide: anyone who can reach the API server gets it without credentials, including: ${all}` },
    ];
  };

  // cluster-admin's binding with its subjects replaced; system:public-info-viewer's with its roleRef changed.
  it.each([
    ['cluster-admin', 'User system:anonymous'],
    ['system:public-info-viewer', 'Group system:unauthenticated'],
  ])('reports Kubernetes\' binding %s, label kept, granting cluster-admin to everyone', (name, anonymous) => {
    const [kind, subject] = anonymous.split(' ');
    expect(
      scan(`
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ${name}, labels: ${LABEL}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
- {kind: Group, name: system:authenticated, apiGroup: rbac.authorization.k8s.io}
- {kind: ${kind}, name: ${subject}, apiGroup: rbac.authorization.k8s.io}
`),
    ).toEqual(everyone(name, anonymous));
  });

  it('reports a namespaced default binding whose roleRef was changed', () => {
    // kube-system counts as cluster-wide.
    const found = scan(`
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: system:controller:token-cleaner, namespace: kube-system, labels: ${LABEL}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: token-cleaner, namespace: kube-system}]
`);
    expect(found.map((f) => f.rule)).toEqual(['rbac-cluster-admin-binding']);
  });

  it('reports a subject added to a default binding, pointing at that subject', () => {
    const controllerManager = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: system:kube-controller-manager, labels: ${LABEL}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:kube-controller-manager}
subjects:
- {kind: User, name: system:kube-controller-manager, apiGroup: rbac.authorization.k8s.io}
- {kind: ServiceAccount, name: builder, namespace: ci}
`;
    const found = scan(`
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: system:basic-user, labels: ${LABEL}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:basic-user}
subjects:
- {kind: Group, name: system:authenticated, apiGroup: rbac.authorization.k8s.io}
- {kind: User, name: system:anonymous, apiGroup: rbac.authorization.k8s.io}
---${controllerManager}`);
    expect(found).toEqual([
      {
        rule: 'rbac-anonymous-binding',
        path: 'subjects[1].name',
        message:
          'ClusterRoleBinding "system:basic-user" grants ClusterRole "system:basic-user" (not in the input) to User system:anonymous cluster-wide: anyone who can reach the API server gets it without credentials',
      },
      // The controller manager's role is neither in the input nor assumed: nothing to judge it by.
    ]);
    // With its role (unchanged: Kubernetes' own), the binding is judged as the user's, on every rule.
    const withRole = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:kube-controller-manager, labels: ${LABEL}}
rules: [{apiGroups: [""], resources: [secrets], verbs: [get, create, update, delete]}]
---${controllerManager}`;
    const binding = index(withRole).bindings[0];
    expect(binding?.upstream).toBe(false);
    expect(binding?.role?.bootstrap).toBe(true);
    expect(binding && judgedRules(binding).map((g) => g.rule.resources)).toEqual([['secrets']]);
    expect(scan(withRole).map((f) => [f.rule, f.message.includes('to User system:kube-controller-manager, ServiceAccount ci/builder cluster-wide')])).toEqual([
      ['rbac-cluster-secrets-read', true],
      ['rbac-secrets-write', true],
    ]);
  });

  it('keeps Kubernetes\' own bindings exempt with fewer subjects, never without the label', () => {
    const rbac = index(`
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: system:public-info-viewer, labels: ${LABEL}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:public-info-viewer}
subjects: [{kind: Group, name: system:authenticated, apiGroup: rbac.authorization.k8s.io}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: cluster-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: Group, name: system:masters, apiGroup: rbac.authorization.k8s.io}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: system:controller:bootstrap-signer, namespace: kube-public, labels: ${LABEL}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: system:controller:bootstrap-signer}
subjects: [{kind: ServiceAccount, name: bootstrap-signer, namespace: kube-system}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: system:controller:bootstrap-signer, namespace: default, labels: ${LABEL}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: system:controller:bootstrap-signer}
subjects: [{kind: ServiceAccount, name: bootstrap-signer, namespace: kube-system}]
`);
    expect(rbac.bindings.map((b) => [b.name, b.namespace, isUnchangedDefaultBinding(b)])).toEqual([
      ['system:public-info-viewer', undefined, true],
      ['cluster-admin', undefined, false],
      ['system:controller:bootstrap-signer', 'kube-public', true],
      // Kubernetes creates this binding in kube-system and kube-public only.
      ['system:controller:bootstrap-signer', 'default', false],
    ]);
  });
});

describe('roles', () => {
  const kubeDns = (extra: string): string => `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:kube-dns, labels: ${LABEL}}
rules:
- {apiGroups: [""], resources: [endpoints, services], verbs: [list, watch]}
${extra}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: system:kube-dns, labels: ${LABEL}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:kube-dns}
subjects:
- {kind: ServiceAccount, name: kube-dns, namespace: kube-system}
`;

  it('reports a default role given a rule, through its default binding', () => {
    const found = scan(kubeDns('- {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}'));
    expect(found.map((f) => [f.rule, f.path])).toEqual([['rbac-cluster-admin-binding', 'roleRef.name']]);
    expect(found[0]?.message).toMatch(/^ClusterRoleBinding "system:kube-dns" grants ClusterRole "system:kube-dns".* to ServiceAccount kube-system\/kube-dns cluster-wide: full control \(every verb on every resource\)$/);
    const rbac = index(kubeDns('- {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}'));
    const [role] = rbac.roles;
    expect(role?.bootstrap).toBe(false);
    expect(role?.changes?.added.map((g) => [g.index, g.rule])).toEqual([[1, rule({ apiGroups: ['*'], resources: ['*'], verbs: ['*'] })]]);
    const binding = rbac.bindings[0];
    expect(binding && isUnchangedDefaultBinding(binding)).toBe(false);
    expect(binding && judgedRules(binding)).toBe(role?.changes?.added);
    expect(role && roleNote(role, binding)).toBe(' (Kubernetes default role, changed: judged on what it grants beyond its upstream rules)');
  });

  it('keeps only what a rule adds to upstream\'s role, wildcards taken literally', () => {
    const rbac = index(`
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:controller:clusterrole-aggregation-controller, labels: ${LABEL}}
rules:
- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles, roles], verbs: [escalate, get, bind]}
- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: ["*"]}
- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], resourceNames: [admin], verbs: [watch, bind]}
- {apiGroups: [""], resources: [secrets], verbs: [get]}
- {nonResourceURLs: ["/metrics"], verbs: [get]}
`);
    const role = rbac.roles[0];
    expect(role?.changes?.known).toBe(true);
    expect(role?.changes?.added.map((g) => [g.index, g.rule])).toEqual([
      [0, rule({ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['bind'] })],
      [0, rule({ apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['escalate', 'get', 'bind'] })],
      [1, rule({ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['*'] })],
      [2, rule({ apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['bind'], resourceNames: ['admin'] })],
      [3, rule({ apiGroups: [''], resources: ['secrets'], verbs: ['get'] })],
      [4, rule({ nonResourceURLs: ['/metrics'], verbs: ['get'] })],
    ]);
  });

  it('leaves a default role alone when it grants no more than upstream, however written or however old', () => {
    const rbac = index(`
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:controller:generic-garbage-collector, labels: ${LABEL}}
rules:
- {apiGroups: [apps], resources: [deployments, "*/scale"], verbs: [delete, get]}
- {apiGroups: [""], resources: [events], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:kube-scheduler, labels: ${LABEL}}
rules:
- {apiGroups: [""], resources: [endpoints], verbs: [create]}
- {apiGroups: [""], resources: [endpoints], resourceNames: [kube-scheduler], verbs: [get, update]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:discovery, labels: ${LABEL}}
rules:
- {nonResourceURLs: [/api, /api/v1, /apis/apps, /swaggerapi], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: admin, labels: ${LABEL}}
aggregationRule: {clusterRoleSelectors: [{matchLabels: {rbac.authorization.k8s.io/aggregate-to-admin: "true"}}]}
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: system::leader-locking-kube-scheduler, namespace: kube-system, labels: ${LABEL}}
rules:
- {apiGroups: [""], resources: [configmaps], resourceNames: [kube-scheduler], verbs: [get, update]}
`);
    expect(rbac.roles.filter((r) => r.object !== undefined).map((r) => [r.name, r.bootstrap, r.changes?.added.length])).toEqual([
      ['system::leader-locking-kube-scheduler', true, 0],
      ['system:controller:generic-garbage-collector', true, 0],
      ['system:kube-scheduler', true, 0],
      ['system:discovery', true, 0],
      ['admin', true, 0],
    ]);
  });

  it('reports the unauthenticated subject Kubernetes gave system:discovery and system:basic-user before 1.14 at low severity', () => {
    const binding = (name: string): string => `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ${name}, labels: ${LABEL}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${name}}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: system:authenticated}, {apiGroup: rbac.authorization.k8s.io, kind: Group, name: system:unauthenticated}]
`;
    const findings = scanTexts([{ file: 'rbac.yaml', text: `${binding('system:discovery')}---${binding('system:basic-user')}` }], { rules: RULES.filter((r) => r.id === 'rbac-anonymous-binding') }).findings;
    expect(findings.map((f) => [f.severity, f.message])).toEqual([
      ['low', 'ClusterRoleBinding "system:discovery" grants ClusterRole "system:discovery" (not in the input) to Group system:unauthenticated cluster-wide: anyone who can reach the API server gets it without credentials; Kubernetes bound it so before 1.14, which removed the subject for new clusters, and upgrades keep it: remove it'],
      ['low', 'ClusterRoleBinding "system:basic-user" grants ClusterRole "system:basic-user" (not in the input) to Group system:unauthenticated cluster-wide: anyone who can reach the API server gets it without credentials; Kubernetes bound it so before 1.14, which removed the subject for new clusters, and upgrades keep it: remove it'],
    ]);
  });

  it('keeps the rules earlier releases gave a default role: upgrades never remove them', () => {
    // A cluster created before the in-tree glusterfs plugin went away still has its rules on the
    // volume controllers (upstream's reconciler adds missing rules and keeps extra ones).
    const text = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:controller:persistent-volume-binder, labels: ${LABEL}}
rules:
- {apiGroups: [""], resources: [endpoints], verbs: [get, create, update, delete]}
- {apiGroups: [""], resources: [services], verbs: [get, create, delete]}
- {apiGroups: [""], resources: [secrets], verbs: [get]}
- {apiGroups: [""], resources: [nodes], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:controller:expand-controller, labels: ${LABEL}}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [get]}
- {apiGroups: [""], resources: [services, endpoints], verbs: [get]}
- {apiGroups: [storage.k8s.io], resources: [storageclasses], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: system:controller:persistent-volume-binder, labels: ${LABEL}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:controller:persistent-volume-binder}
subjects: [{kind: ServiceAccount, name: persistent-volume-binder, namespace: kube-system}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: system:controller:expand-controller, labels: ${LABEL}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:controller:expand-controller}
subjects: [{kind: ServiceAccount, name: expand-controller, namespace: kube-system}]
`;
    expect(index(text).roles.filter((r) => r.object !== undefined).map((r) => [r.name, r.bootstrap])).toEqual([
      ['system:controller:persistent-volume-binder', true],
      ['system:controller:expand-controller', true],
    ]);
    expect(scan(text)).toEqual([]);
  });

  it('judges a role labelled as Kubernetes\' own that Kubernetes does not define, and a default name in another namespace, whole', () => {
    const rbac = index(`
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:controller:backdoor, labels: ${LABEL}}
rules: [{apiGroups: [""], resources: [secrets], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: system:controller:token-cleaner, namespace: shop, labels: ${LABEL}}
rules: [{apiGroups: [""], resources: [secrets], verbs: [get]}]
`);
    expect(rbac.roles.filter((r) => r.object !== undefined).map((r) => [r.name, r.bootstrap, r.changes?.known, r.changes?.added.length])).toEqual([
      ['system:controller:token-cleaner', false, false, 1],
      ['system:controller:backdoor', false, false, 1],
    ]);
    const role = rbac.roles[1];
    expect(role && roleNote(role)).toBe(' (labelled as a Kubernetes default role, but not one Kubernetes defines)');
    const found = scan(`
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:controller:backdoor, labels: ${LABEL}}
rules: [{apiGroups: [""], resources: [secrets], verbs: [get]}]
`);
    expect(found.map((f) => [f.rule, f.path])).toEqual([['rbac-dangerous-role', 'rules[0]']]);
  });

  it('judges a user binding of a changed default role on all its rules', () => {
    const rbac = index(`${kubeDns('- {apiGroups: [""], resources: [secrets], verbs: [get]}')}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: dns-helper}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:kube-dns}
subjects: [{kind: ServiceAccount, name: helper, namespace: dns}]
`);
    const [own, user] = rbac.bindings;
    expect(own && judgedRules(own).map((g) => g.rule.resources)).toEqual([['secrets']]);
    expect(user && judgedRules(user).map((g) => g.rule.resources)).toEqual([['endpoints', 'services'], ['secrets']]);
    const role = rbac.roles[0];
    expect(role && roleNote(role, user)).toBe(' (Kubernetes default role, changed: it grants more than its upstream rules)');
  });
});

describe('what a changed default role adds', () => {
  it('is all that is judged on Kubernetes\' own binding of it, and on the role when unbound', () => {
    const role = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:controller:clusterrole-aggregation-controller, labels: ${LABEL}}
rules:
- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [escalate, get, list, patch, update, watch]}
- {apiGroups: [""], resources: [secrets], verbs: [get]}
`;
    const note = '(Kubernetes default role, changed: judged on what it grants beyond its upstream rules)';
    const bound = scan(`${role}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: system:controller:clusterrole-aggregation-controller, labels: ${LABEL}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:controller:clusterrole-aggregation-controller}
subjects: [{kind: ServiceAccount, name: clusterrole-aggregation-controller, namespace: kube-system}]
`);
    expect(bound).toEqual([
      {
        rule: 'rbac-cluster-secrets-read',
        path: 'roleRef.name',
        message: `ClusterRoleBinding "system:controller:clusterrole-aggregation-controller" grants ClusterRole "system:controller:clusterrole-aggregation-controller" ${note} to ServiceAccount kube-system/clusterrole-aggregation-controller cluster-wide: reads Secrets (get on secrets)`,
      },
    ]);
    expect(scan(role)).toEqual([
      {
        rule: 'rbac-dangerous-role',
        path: 'rules[1]',
        message: `ClusterRole "system:controller:clusterrole-aggregation-controller" ${note} is granted by no binding of the input; once bound, a ClusterRoleBinding would grant cluster-wide through rules[1]: reads Secrets (get on secrets)`,
      },
    ]);
  });
});
