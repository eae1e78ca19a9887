import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { policyExportOptions, runPolicyExport } from '../src/cli/policy.js';
import { scanPaths } from '../src/engine/scan.js';
import { MamoriError } from '../src/errors.js';
import { podSpecOf } from '../src/k8s/pod.js';
import { isObject } from '../src/k8s/object.js';
import { compile } from '../src/policy/cel.js';
import { exportPssPolicies, renderPolicyExport } from '../src/policy/export.js';
import type { PssExportOptions } from '../src/policy/export.js';
import { loadPolicyRules } from '../src/policy/rules.js';
import { evaluatePolicies, loadPolicies } from '../src/policy/vap.js';
import type { EvaluationInput, EvaluationResult, LoadResult } from '../src/policy/vap.js';
import { RULES } from '../src/rules/index.js';
import { evaluatePodSecurity } from '../src/rules/pss/psa.js';
import type { PssCheckId } from '../src/rules/pss/psa.js';
import type { JsonObject } from '../src/types.js';

const tmp = mkdtempSync(join(tmpdir(), 'mamori-export-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const policiesOf = (objects: readonly JsonObject[]): JsonObject[] => objects.filter((o) => o['kind'] === 'ValidatingAdmissionPolicy');
const bindingsOf = (objects: readonly JsonObject[]): JsonObject[] => objects.filter((o) => o['kind'] === 'ValidatingAdmissionPolicyBinding');
const meta = (o: JsonObject): { name: string; labels: Record<string, string>; annotations: Record<string, string> } =>
  o['metadata'] as unknown as { name: string; labels: Record<string, string>; annotations: Record<string, string> };
const checkOf = (objects: readonly JsonObject[]): Map<string, string> =>
  new Map(policiesOf(objects).map((p) => [meta(p).name, meta(p).labels['mamori.io/pss-check'] ?? '']));

function exported(options: PssExportOptions): { objects: JsonObject[]; loaded: LoadResult; checks: Map<string, string> } {
  const objects = exportPssPolicies(options);
  return { objects, loaded: loadPolicies(objects, { kubeMinor: options.kubeMinor ?? 30 }), checks: checkOf(objects) };
}

/** The failed validations of a request, by check id: the policy's message. Errors fail the test. */
function failures(result: EvaluationResult, checks: Map<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const o of result.outcomes) {
    for (const d of o.decisions) {
      expect(d.evaluation, `${o.policy}: ${d.message}`).toBe('failed');
      out.set(checks.get(o.policy) ?? o.policy, d.message);
    }
  }
  return out;
}

function pod(spec: JsonObject, metadata: JsonObject = {}): JsonObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'apps', ...metadata }, spec };
}

/** The message of each failing check of a pod, under the export of a level and version. */
function messages(object: JsonObject, level: 'baseline' | 'restricted', version: string): Map<string, string> {
  const { loaded, checks } = exported({ level, version });
  return failures(evaluatePolicies({ object, operation: 'CREATE' }, loaded), checks);
}

describe('exportPssPolicies: the objects', () => {
  // Check counts from the Pod Security Standards' table of checks per version (specs/pss.md §1.3).
  it.each([
    ['baseline', 'v1.0', 11],
    ['baseline', 'v1.33', 11],
    ['baseline', 'v1.34', 12],
    ['restricted', 'v1.0', 12],
    ['restricted', 'v1.8', 13],
    ['restricted', 'v1.22', 13],
    ['restricted', 'v1.23', 14],
    ['restricted', 'v1.34', 15],
    ['restricted', 'v1.35', 15],
  ] as const)('%s:%s exports %i policies, each with a Pod and a template binding', (level, version, count) => {
    const objects = exportPssPolicies({ level, version });
    expect(policiesOf(objects)).toHaveLength(count);
    expect(bindingsOf(objects)).toHaveLength(2 * count);
  });

  it('names, labels and annotates each policy after its check, with the catalog severity', () => {
    const objects = exportPssPolicies({ level: 'restricted', version: 'latest' });
    const privileged = policiesOf(objects).find((p) => meta(p).name === 'mamori-pss-restricted-privileged');
    expect(meta(privileged ?? {})).toEqual({
      name: 'mamori-pss-restricted-privileged',
      labels: {
        'app.kubernetes.io/managed-by': 'mamori',
        'mamori.io/rule': 'pss-privileged',
        'mamori.io/pss-check': 'privileged',
        'mamori.io/pss-level': 'restricted',
        'mamori.io/pss-version': 'v1.37',
      },
      annotations: {
        'mamori.io/severity': 'critical',
        'mamori.io/warn-severity': 'critical',
        'mamori.io/audit-severity': 'critical',
        'mamori.io/title': 'Privileged container',
        'mamori.io/pss-policy': 'restricted:latest',
        'mamori.io/min-kube-version': '1.30',
        'mamori.io/generated-by': expect.stringMatching(/^mamori \d+\.\d+\.\d+/) as unknown as string,
      },
    });
    for (const p of policiesOf(objects)) {
      const rule = RULES.find((r) => r.id === meta(p).labels['mamori.io/rule']);
      expect(rule, meta(p).name).toBeDefined();
      for (const key of ['mamori.io/severity', 'mamori.io/warn-severity', 'mamori.io/audit-severity']) expect(meta(p).annotations[key]).toBe(rule?.severity);
      expect(meta(p).name).toBe(`mamori-pss-restricted-${rule?.id.slice('pss-'.length)}`);
    }
    // restricted at v1.37: hostPath volumes are checked by restrictedVolumes, not by their own policy.
    expect(policiesOf(objects).map((p) => meta(p).labels['mamori.io/pss-check'])).toEqual([
      'appArmorProfile', 'hostNamespaces', 'hostPorts', 'hostProbesAndHostLifecycle', 'privileged', 'seLinuxOptions',
      'sysctls', 'windowsHostProcess', 'allowPrivilegeEscalation', 'capabilities_restricted', 'procMount_restricted',
      'restrictedVolumes', 'runAsNonRoot', 'runAsUser', 'seccompProfile_restricted',
    ]);
  });

  it('binds Pods with Deny and pod templates with Warn and Audit, everywhere but kube-system', () => {
    const [policy, pods, templates] = exportPssPolicies({ level: 'baseline', version: 'v1.30' });
    const spec = (o: JsonObject | undefined): JsonObject => (o?.['spec'] ?? {}) as JsonObject;
    expect(spec(policy)['failurePolicy']).toBe('Fail');
    expect(spec(pods)).toEqual({
      policyName: 'mamori-pss-baseline-apparmor-profile',
      validationActions: ['Deny'],
      matchResources: {
        namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] }] },
        resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods', 'pods/*'] }],
      },
    });
    expect(meta(templates ?? {}).name).toBe('mamori-pss-baseline-apparmor-profile-templates');
    expect(spec(templates)['validationActions']).toEqual(['Warn', 'Audit']);
    expect((spec(templates)['matchResources'] as JsonObject)['resourceRules']).toEqual([
      { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['podtemplates', 'replicationcontrollers'] },
      { apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['daemonsets', 'deployments', 'replicasets', 'statefulsets'] },
      { apiGroups: ['batch'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['cronjobs', 'jobs'] },
    ]);
  });

  it('caps latest at the target Kubernetes minor and refuses clusters without VAP v1', () => {
    const at33 = exportPssPolicies({ level: 'baseline', version: 'latest', kubeMinor: 33 });
    expect(policiesOf(at33).map((p) => meta(p).labels['mamori.io/pss-version'])).toEqual(Array(11).fill('v1.33'));
    expect(meta(policiesOf(at33)[0] ?? {}).annotations['mamori.io/min-kube-version']).toBe('1.33');
    // As PSA does, a version newer than the cluster's newest evaluates as the newest: v1.34 on 1.31 is v1.31.
    const pinned = policiesOf(exportPssPolicies({ level: 'baseline', version: 'v1.34', kubeMinor: 31 }));
    expect(pinned.map((p) => meta(p).labels['mamori.io/pss-version'])).toEqual(Array(11).fill('v1.31'));
    expect(policiesOf(exportPssPolicies({ level: 'baseline', version: 'v1.34', kubeMinor: 34 }))).toHaveLength(12);
    expect(() => exportPssPolicies({ level: 'baseline', kubeMinor: 29 })).toThrow(/at least 30/);
    expect(() => exportPssPolicies({ level: 'baseline', version: 'v1.05' })).toThrow(/"latest" or "v1.x"/);
  });
});

describe('every exported expression compiles in the targeted Kubernetes CEL environment', () => {
  const VARIABLES = ['object', 'oldObject', 'request', 'namespaceObject', 'variables'];
  function expressions(objects: readonly JsonObject[]): string[] {
    return policiesOf(objects).flatMap((p) => {
      const spec = p['spec'] as { matchConditions: { expression: string }[]; variables: { expression: string }[]; validations: { expression: string; messageExpression: string }[] };
      return [
        ...spec.matchConditions.map((c) => c.expression),
        ...spec.variables.map((v) => v.expression),
        ...spec.validations.flatMap((v) => [v.expression, v.messageExpression]),
      ];
    });
  }

  it('at 1.30, 1.33 and 1.37, for both levels and every policy version v1.0 to v1.37', () => {
    const failed: string[] = [];
    let count = 0;
    for (const kubeMinor of [30, 33, 37]) {
      for (const level of ['baseline', 'restricted'] as const) {
        for (let minor = 0; minor <= 37; minor++) {
          for (const expression of expressions(exportPssPolicies({ level, version: `v1.${minor}`, kubeMinor }))) {
            count++;
            const c = compile(expression, { variables: VARIABLES, kubeMinor });
            if (!c.ok) failed.push(`${level}:v1.${minor}@1.${kubeMinor}: ${c.error}: ${expression}`);
          }
        }
      }
    }
    expect(failed).toEqual([]);
    expect(count).toBeGreaterThan(3 * 2 * 38 * 11 * 4);
  });

  it('needs the optional syntax of 1.29+: the same expressions do not compile for 1.28', () => {
    const spec = expressions(exportPssPolicies({ level: 'baseline', version: 'v1.30' }))[1] ?? '';
    expect(spec).toContain('.?spec');
    const c = compile(spec, { variables: VARIABLES, kubeMinor: 28 });
    expect(c.ok).toBe(false);
  });
});

describe('messages: PSA reason (detail), examples of specs/pss.md §3', () => {
  it('capabilities_baseline sorts and de-duplicates the capabilities of all containers', () => {
    const p = pod({
      containers: [
        { name: 'a', image: 'i', securityContext: { capabilities: { add: ['FOO', 'BAR', 'CHOWN'] } } },
        { name: 'b', image: 'i', securityContext: { capabilities: { add: ['BAZ', 'FOO'] } } },
      ],
    });
    expect(messages(p, 'baseline', 'v1.30').get('capabilities_baseline')).toBe(
      'non-default capabilities (containers "a", "b" must not include "BAR", "BAZ", "FOO" in securityContext.capabilities.add)',
    );
  });

  it('capabilities_restricted: missing drop ALL and forbidden adds, CHOWN included', () => {
    const p = pod({
      containers: [
        { name: 'a', image: 'i', securityContext: { capabilities: { add: ['FOO'] } } },
        { name: 'b', image: 'i', securityContext: { capabilities: { add: ['BAR', 'CHOWN'], drop: [] } } },
        { name: 'c', image: 'i', securityContext: { capabilities: { add: ['BAZ', 'FOO', 'NET_BIND_SERVICE'], drop: ['ALL'] } } },
      ],
    });
    expect(messages(p, 'restricted', 'v1.30').get('capabilities_restricted')).toBe(
      'unrestricted capabilities (containers "a", "b" must set securityContext.capabilities.drop=["ALL"]; ' +
        'containers "a", "b", "c" must not include "BAR", "BAZ", "CHOWN", "FOO" in securityContext.capabilities.add)',
    );
  });

  it('hostPorts sorts port numbers as strings, across containers, without repeats', () => {
    const p = pod({
      containers: [
        { name: 'a', image: 'i', ports: [{ containerPort: 80 }] },
        { name: 'b', image: 'i', ports: [{ containerPort: 1, hostPort: 20 }, { containerPort: 2, hostPort: 100 }] },
        { name: 'c', image: 'i', ports: [{ containerPort: 3, hostPort: 10 }, { containerPort: 4, hostPort: 20 }] },
      ],
    });
    expect(messages(p, 'baseline', 'v1.30').get('hostPorts')).toBe('hostPort (containers "b", "c" use hostPorts 10, 100, 20)');
  });

  it('hostPorts of a hostNetwork Pod count containerPort (API defaulting), a template\'s do not', () => {
    const spec = { hostNetwork: true, containers: [{ name: 'web', image: 'i', ports: [{ containerPort: 8080 }] }] };
    expect(messages(pod(spec), 'baseline', 'v1.30').get('hostPorts')).toBe('hostPort (container "web" uses hostPort 8080)');
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'apps' }, spec: { template: { spec } } };
    expect([...messages(deployment, 'baseline', 'v1.30').keys()]).toEqual(['hostNamespaces']);
  });

  it('hostProbesAndHostLifecycle (v1.34+) sorts container names and hosts, without repeats', () => {
    const p = pod({
      containers: [
        { name: 'invalid2', image: 'i', livenessProbe: { httpGet: { host: 'b.com', port: 80 } }, readinessProbe: { tcpSocket: { host: 'b.com', port: 80 } } },
        { name: 'invalid1', image: 'i', lifecycle: { preStop: { httpGet: { host: 'a.com', port: 80 } } } },
        { name: 'ok', image: 'i', startupProbe: { httpGet: { host: '', port: 80 } } },
      ],
    });
    expect(messages(p, 'baseline', 'v1.34').get('hostProbesAndHostLifecycle')).toBe(
      'probe or lifecycle host (containers "invalid1", "invalid2" use probe or lifecycle hosts "a.com", "b.com")',
    );
    const one = pod({
      containers: [
        {
          name: 'a',
          image: 'i',
          livenessProbe: { httpGet: { host: 'localhost', port: 80 } },
          readinessProbe: { tcpSocket: { host: '::1', port: 80 } },
          lifecycle: { postStart: { httpGet: { host: '127.0.0.1', port: 80 } }, preStop: { tcpSocket: { host: 'localhost', port: 80 } } },
        },
      ],
    });
    expect(messages(one, 'baseline', 'v1.34').get('hostProbesAndHostLifecycle')).toBe(
      'probe or lifecycle host (container "a" uses probe or lifecycle hosts "127.0.0.1", "::1", "localhost")',
    );
    expect(messages(one, 'baseline', 'v1.33').has('hostProbesAndHostLifecycle')).toBe(false);
  });

  it('seLinuxOptions names the pod and the containers, sorted types, user and role', () => {
    const p = pod({
      securityContext: { seLinuxOptions: { type: 'foo', user: 'u' } },
      containers: [
        { name: 'e', image: 'i', securityContext: { seLinuxOptions: { type: 'bar', role: 'r' } } },
        { name: 'f', image: 'i', securityContext: { seLinuxOptions: { type: 'foo' } } },
        { name: 'g', image: 'i', securityContext: { seLinuxOptions: { user: 'x', level: 's0:c1' } } },
        { name: 'h', image: 'i', securityContext: { seLinuxOptions: { type: 'container_engine_t' } } },
      ],
    });
    expect(messages(p, 'baseline', 'v1.31').get('seLinuxOptions')).toBe(
      'seLinuxOptions (pod and containers "e", "f", "g" set forbidden securityContext.seLinuxOptions: types "bar", "foo"; user may not be set; role may not be set)',
    );
    // container_engine_t is allowed from v1.31 only.
    expect(messages(p, 'baseline', 'v1.30').get('seLinuxOptions')).toBe(
      'seLinuxOptions (pod and containers "e", "f", "g", "h" set forbidden securityContext.seLinuxOptions: types "bar", "container_engine_t", "foo"; user may not be set; role may not be set)',
    );
  });

  it('seccompProfile before v1.19 checks the annotations only, sorted', () => {
    const p = pod(
      { containers: [{ name: 'b', image: 'i' }, { name: 'a', image: 'i', securityContext: { seccompProfile: { type: 'Unconfined' } } }] },
      {
        annotations: {
          'seccomp.security.alpha.kubernetes.io/pod': 'unconfined',
          'container.seccomp.security.alpha.kubernetes.io/b': 'unknown',
          'container.seccomp.security.alpha.kubernetes.io/a': 'unconfined',
          'container.seccomp.security.alpha.kubernetes.io/c': 'localhost/x',
        },
      },
    );
    expect(messages(p, 'baseline', 'v1.18').get('seccompProfile_baseline')).toBe(
      'seccompProfile (forbidden annotations container.seccomp.security.alpha.kubernetes.io/a="unconfined", ' +
        'container.seccomp.security.alpha.kubernetes.io/b="unknown", seccomp.security.alpha.kubernetes.io/pod="unconfined")',
    );
    expect(messages(p, 'baseline', 'v1.19').get('seccompProfile_baseline')).toBe(
      'seccompProfile (container "a" must not set securityContext.seccompProfile.type to "Unconfined")',
    );
  });

  it('seccompProfile_restricted: explicit bad types first, else the containers left without a profile', () => {
    const bad = pod({
      securityContext: { runAsNonRoot: true },
      containers: [
        { name: 'c', image: 'i', securityContext: { seccompProfile: { type: 'Unconfined' } } },
        { name: 'd', image: 'i', securityContext: { seccompProfile: { type: 'Unconfined' } } },
      ],
    });
    expect(messages(bad, 'restricted', 'v1.30').get('seccompProfile_restricted')).toBe(
      'seccompProfile (containers "c", "d" must not set securityContext.seccompProfile.type to "Unconfined")',
    );
    const unset = pod({ containers: [{ name: 'a', image: 'i' }, { name: 'b', image: 'i' }] });
    expect(messages(unset, 'restricted', 'v1.30').get('seccompProfile_restricted')).toBe(
      'seccompProfile (pod or containers "a", "b" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
  });

  it('appArmorProfile: bad field types, then the bad annotations as key="value"', () => {
    const p = pod(
      { containers: [{ name: 'c', image: 'i' }] },
      {
        annotations: {
          'container.apparmor.security.beta.kubernetes.io/f': 'unknown',
          'container.apparmor.security.beta.kubernetes.io/': 'bogus',
          'container.apparmor.security.beta.kubernetes.io/e': 'unconfined',
          'container.apparmor.security.beta.kubernetes.io/ok': 'localhost/',
        },
      },
    );
    expect(messages(p, 'baseline', 'v1.30').get('appArmorProfile')).toBe(
      'forbidden AppArmor profiles (annotations must not set AppArmor profile type to ' +
        '"container.apparmor.security.beta.kubernetes.io/="bogus"", "container.apparmor.security.beta.kubernetes.io/e="unconfined"", ' +
        '"container.apparmor.security.beta.kubernetes.io/f="unknown"")',
    );
    const field = pod({ securityContext: { appArmorProfile: { type: 'Unconfined' } }, containers: [{ name: 'foo', image: 'i', securityContext: { appArmorProfile: { type: 'Unconfined' } } }] });
    expect(messages(field, 'baseline', 'v1.30').get('appArmorProfile')).toBe(
      'forbidden AppArmor profile (pod and container "foo" must not set AppArmor profile type to "Unconfined")',
    );
  });

  it('restrictedVolumes names each volume and the sorted set of types', () => {
    const types = [
      'hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'nfs', 'iscsi', 'glusterfs', 'rbd', 'flexVolume', 'cinder',
      'cephfs', 'flocker', 'fc', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'portworxVolume',
      'scaleIO', 'storageos', 'somethingNew',
    ];
    const volumes = [...types.map((t, i) => ({ name: `v${i}`, [t]: {} })), { name: 'h2', hostPath: { path: '/' } }, { name: 'ok', configMap: { name: 'x' } }, { name: 'empty' }];
    const names = [...types.map((_, i) => `"v${i}"`), '"h2"'].join(', ');
    expect(messages(pod({ containers: [{ name: 'c', image: 'i' }], volumes }), 'restricted', 'v1.30').get('restrictedVolumes')).toBe(
      `restricted volume types (volumes ${names} use restricted volume types "awsElasticBlockStore", "azureDisk", "azureFile", ` +
        '"cephfs", "cinder", "fc", "flexVolume", "flocker", "gcePersistentDisk", "gitRepo", "glusterfs", "hostPath", "iscsi", "nfs", ' +
        '"photonPersistentDisk", "portworxVolume", "quobyte", "rbd", "scaleIO", "storageos", "unknown", "vsphereVolume")',
    );
  });

  it('runAsNonRoot, runAsUser, procMount, sysctls and hostProcess', () => {
    const p = pod({
      securityContext: { runAsNonRoot: false, runAsUser: 0, sysctls: [{ name: 'a', value: '1' }, { name: 'kernel.shm_rmid_forced', value: '1' }, { name: 'b', value: '1' }, { name: 'a', value: '2' }], windowsOptions: { hostProcess: true } },
      containers: [
        { name: 'c', image: 'i', securityContext: { runAsNonRoot: false, procMount: 'other' } },
        { name: 'd', image: 'i', securityContext: { runAsNonRoot: false, runAsUser: 0, procMount: 'Unmasked' } },
        { name: 'e', image: 'i', securityContext: { runAsUser: 1000, procMount: 'Unmasked', windowsOptions: { hostProcess: true } } },
        { name: 'f', image: 'i', securityContext: { windowsOptions: { hostProcess: true } } },
      ],
    });
    const m = messages(p, 'restricted', 'v1.30');
    expect(m.get('runAsNonRoot')).toBe('runAsNonRoot != true (pod and containers "c", "d" must not set securityContext.runAsNonRoot=false)');
    expect(m.get('runAsUser')).toBe('runAsUser=0 (pod and container "d" must not set runAsUser=0)');
    expect(m.get('procMount')).toBe('procMount (containers "c", "d", "e" must not set securityContext.procMount to "Unmasked", "other")');
    expect(m.get('sysctls')).toBe('forbidden sysctls (a, b, a)');
    expect(m.get('windowsHostProcess')).toBe('hostProcess (pod and containers "e", "f" must not set securityContext.windowsOptions.hostProcess=true)');
    const implicit = pod({ containers: [{ name: 'a', image: 'i' }] });
    expect(messages(implicit, 'restricted', 'v1.30').get('runAsNonRoot')).toBe('runAsNonRoot != true (pod or container "a" must set securityContext.runAsNonRoot=true)');
  });

  it('a value repeated inside one container falls back to the order met (the verdict is unchanged)', () => {
    const p = pod({ containers: [{ name: 'a', image: 'i', securityContext: { capabilities: { add: ['SYS_ADMIN', 'NET_RAW', 'SYS_ADMIN'] } } }] });
    expect(messages(p, 'baseline', 'v1.30').get('capabilities_baseline')).toBe(
      'non-default capabilities (container "a" must not include "SYS_ADMIN", "NET_RAW", "SYS_ADMIN" in securityContext.capabilities.add)',
    );
  });

  it('the Windows (v1.25+) and user-namespace (v1.35+) relaxations', () => {
    const windows = pod({ os: { name: 'windows' }, securityContext: { runAsNonRoot: true }, containers: [{ name: 'a', image: 'i' }] });
    expect([...messages(windows, 'restricted', 'v1.25').keys()]).toEqual([]);
    expect([...messages(windows, 'restricted', 'v1.24').keys()].sort()).toEqual(['allowPrivilegeEscalation', 'capabilities_restricted', 'seccompProfile_restricted']);
    const userns = pod({
      hostUsers: false,
      securityContext: { runAsUser: 0, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{ name: 'a', image: 'i', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, procMount: 'Unmasked' } }],
    });
    expect([...messages(userns, 'restricted', 'v1.35').keys()]).toEqual(['procMount_restricted']);
    expect([...messages(userns, 'baseline', 'v1.35').keys()]).toEqual([]);
    expect([...messages(userns, 'restricted', 'v1.34').keys()].sort()).toEqual(['procMount', 'runAsNonRoot', 'runAsUser']);
  });
});

describe('matching as Pod Security Admission does', () => {
  const bad = (image: string, extra: JsonObject = {}): JsonObject =>
    pod({ containers: [{ name: 'c', image, securityContext: { privileged: true } }], ...extra });
  const { loaded } = exported({ level: 'baseline', version: 'v1.30' });
  const run = (input: EvaluationInput, l: LoadResult = loaded): EvaluationResult => evaluatePolicies(input, l);

  it('denies a Pod and names the policy, binding and PSA reason', () => {
    const r = run({ object: bad('nginx:1') });
    expect(r.allowed).toBe(false);
    expect(r.denial?.message).toBe(
      "ValidatingAdmissionPolicy 'mamori-pss-baseline-privileged' with binding 'mamori-pss-baseline-privileged-pods' denied request: " +
        'privileged (container "c" must not set securityContext.privileged=true)',
    );
    expect(r.denial?.code).toBe(403);
  });

  it('skips a Pod UPDATE that changes no image, container list or seccomp annotation', () => {
    const old = bad('nginx:1');
    const relabelled = bad('nginx:1');
    (relabelled['metadata'] as JsonObject)['labels'] = { tier: 'web' };
    expect(run({ object: relabelled, oldObject: old, operation: 'UPDATE' }).allowed).toBe(true);
    expect(run({ object: bad('nginx:2'), oldObject: old, operation: 'UPDATE' }).allowed).toBe(false);
    const annotated = bad('nginx:1');
    (annotated['metadata'] as JsonObject)['annotations'] = { 'container.seccomp.security.alpha.kubernetes.io/c': 'runtime/default' };
    expect(run({ object: annotated, oldObject: old, operation: 'UPDATE' }).allowed).toBe(false);
    const debug = bad('nginx:1', { ephemeralContainers: [{ name: 'debug', image: 'busybox' }] });
    expect(run({ object: debug, oldObject: old, operation: 'UPDATE', subResource: 'ephemeralcontainers' }).allowed).toBe(false);
  });

  it('ignores the subresources PSA ignores, evaluates the others', () => {
    const old = bad('nginx:1');
    expect(run({ object: bad('nginx:2'), oldObject: old, operation: 'UPDATE', subResource: 'status' }).allowed).toBe(true);
    expect(run({ object: bad('nginx:2'), oldObject: old, operation: 'UPDATE', subResource: 'resize' }).allowed).toBe(false);
  });

  it('warns and audits pod templates, on every update', () => {
    const template = (image: string): JsonObject => ({
      apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'cj', namespace: 'apps' },
      spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image, securityContext: { privileged: true } }] } } } } },
    });
    const r = run({ object: template('a'), oldObject: template('a'), operation: 'UPDATE' });
    expect(r.allowed).toBe(true);
    expect(r.warnings).toEqual([
      "Validation failed for ValidatingAdmissionPolicy 'mamori-pss-baseline-privileged' with binding 'mamori-pss-baseline-privileged-templates': " +
        'privileged (container "c" must not set securityContext.privileged=true)',
    ]);
    expect(r.auditFailures.map((f) => f.binding)).toEqual(['mamori-pss-baseline-privileged-templates']);
  });

  it('leaves kube-system alone by default; the excluded namespaces and actions are options', () => {
    const inSystem = { ...bad('x'), metadata: { name: 'p', namespace: 'kube-system' } };
    expect(run({ object: inSystem }).allowed).toBe(true);
    const everywhere = exported({ level: 'baseline', version: 'v1.30', excludeNamespaces: ['ci'], actions: ['Warn'], templateActions: [] });
    const r = run({ object: inSystem }, everywhere.loaded);
    expect(r.allowed).toBe(true);
    expect(r.warnings).toHaveLength(1);
    expect(run({ object: { ...bad('x'), metadata: { name: 'p', namespace: 'ci' } } }, everywhere.loaded).warnings).toEqual([]);
    expect(bindingsOf(everywhere.objects).map((b) => meta(b).name.endsWith('-pods'))).toEqual(Array(11).fill(true));
  });
});

describe('YAML output and the CLI', () => {
  it('round-trips: the rendered YAML parses back to the same objects, which load without errors', () => {
    const options: PssExportOptions = { level: 'restricted', version: 'v1.35', kubeMinor: 35 };
    const objects = exportPssPolicies(options);
    const text = renderPolicyExport(objects, options);
    expect(text.startsWith('# mamori ')).toBe(true);
    expect(text).toContain('restricted:v1.35 (policy v1.35)');
    expect(text).not.toMatch(/[&*]a\d/); // no YAML anchors or aliases
    const parsed = parseAllDocuments(text).map((d) => d.toJSON() as JsonObject);
    expect(parsed).toEqual(objects);
    expect(yaml.loadAll(text)).toEqual(objects);
    expect(loadPolicies(parsed, { kubeMinor: 35 }).errors).toEqual([]);
  });

  it('mamori policy export -o FILE writes the policies and bindings', () => {
    const file = join(tmp, 'baseline.yaml');
    const code = runPolicyExport({ pss: 'baseline:v1.30', output: file, excludeNamespaces: 'kube-system,mamori-system' });
    expect(code).toBe(0);
    const objects = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJSON() as JsonObject);
    expect(policiesOf(objects)).toHaveLength(11);
    expect(bindingsOf(objects)).toHaveLength(22);
    const selector = ((bindingsOf(objects)[0]?.['spec'] as JsonObject)['matchResources'] as JsonObject)['namespaceSelector'];
    expect(selector).toEqual({ matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'mamori-system'] }] });
  });

  it('reads its flags, refusing what the API server would refuse', () => {
    expect(policyExportOptions({})).toEqual({ level: 'restricted', version: 'latest' });
    expect(policyExportOptions({ pss: 'baseline', kubeVersion: '1.32', actions: 'Warn,Audit', templateActions: 'none', excludeNamespaces: '' })).toEqual({
      level: 'baseline', version: 'latest', kubeMinor: 32, actions: ['Warn', 'Audit'], templateActions: [], excludeNamespaces: [],
    });
    const usage = (flags: Parameters<typeof policyExportOptions>[0]): unknown => {
      try {
        policyExportOptions(flags);
      } catch (e) {
        return e instanceof MamoriError ? `${e.code}: ${e.message}` : e;
      }
      return 'no error';
    };
    expect(usage({ pss: 'privileged' })).toMatch(/^usage: .*privileged level has no checks/);
    expect(usage({ kubeVersion: '1.29' })).toMatch(/^usage: .*1\.30 or newer/);
    expect(usage({ actions: 'Deny,Warn' })).toMatch(/^usage: --actions: Deny and Warn together/);
    expect(usage({ actions: 'Block' })).toMatch(/^usage: --actions: "Block" is not a validation action/);
    expect(usage({ actions: 'none' })).toMatch(/^usage: --actions: "none"/);
    expect(usage({ templateActions: 'Audit,Audit' })).toMatch(/^usage: --template-actions: Audit is given twice/);
    expect(usage({ excludeNamespaces: 'Kube_System' })).toMatch(/^usage: --exclude-namespaces: "Kube_System"/);
    expect(usage({ pss: 'restricted:1.30' })).toMatch(/^usage: invalid Pod Security policy/);
  });
});

describe('mamori scan --policy with the export flags what the PSS rules flag (examples/)', () => {
  it('same objects, same checks, same PSA messages', () => {
    const file = join(tmp, 'restricted.yaml');
    expect(runPolicyExport({ pss: 'restricted:latest', output: file })).toBe(0);
    const policies = loadPolicyRules([file]);
    expect(policies.errors).toEqual([]);
    const ruleOfPolicy = new Map(
      policiesOf(parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJSON() as JsonObject)).map((p) => [`policy:${meta(p).name}`, meta(p).labels['mamori.io/rule'] ?? '']),
    );
    const pss = RULES.filter((r) => r.id.startsWith('pss-'));
    // The policy test suites' objects too: a walk passes over them, named they are read.
    const testData = readdirSync(join('examples', 'policies')).map((suite) => join('examples', 'policies', suite, 'resources.yaml')).filter((f) => existsSync(f));
    expect(testData.length).toBeGreaterThan(0);
    const report = scanPaths(['examples', ...testData], { rules: [...pss, ...policies.rules], pss: 'restricted:latest' });
    expect(report.errors).toEqual([]);
    const all = [...report.findings, ...report.suppressed];
    const key = (f: (typeof all)[number], rule: string): string => `${f.location?.file ?? ''} ${f.object.kind}/${f.object.namespace ?? ''}/${f.object.name} ${rule}`;
    // The bindings leave kube-system out (the default of --exclude-namespaces); the PSS rules do not.
    const inKubeSystem = all.filter((f) => f.ruleId.startsWith('pss-') && f.object.namespace === 'kube-system');
    expect(inKubeSystem.length).toBeGreaterThan(0);
    const fromRules = new Map(
      all.filter((f) => f.ruleId.startsWith('pss-') && f.object.namespace !== 'kube-system').map((f) => [key(f, f.ruleId), f]),
    );
    const fromPolicies = new Map(all.filter((f) => f.ruleId.startsWith('policy:')).map((f) => [key(f, ruleOfPolicy.get(f.ruleId) ?? '?'), f]));
    expect(fromRules.size).toBeGreaterThan(10);
    expect([...fromPolicies.keys()].sort()).toEqual([...fromRules.keys()].sort());
    for (const [k, finding] of fromPolicies) {
      const expected = fromRules.get(k);
      // Pods are denied (`... denied request: <message>`), templates warned about (`...: <message>`).
      const prefix = finding.object.kind === 'Pod' ? `with binding '${finding.ruleId.slice('policy:'.length)}-pods' denied request: ` : `-templates': `;
      expect(finding.message, k).toContain(`${prefix}${expected?.message ?? '?'}`);
      expect(finding.message.endsWith(expected?.message ?? '?'), k).toBe(true);
      // A policy carries its rule's severity; the rule raises a restricted finding that fails the
      // replaced baseline check too (an added SYS_ADMIN) to the baseline rule's severity.
      expect(finding.severity, k).toBe(RULES.find((r) => r.id === expected?.ruleId)?.severity);
    }
    expect([...fromPolicies.values()].some((f) => f.object.kind === 'Pod')).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// The acceptance criterion: the exported VAPs, evaluated by mamori's VAP engine, give
// the verdict of every upstream PSA conformance fixture (specs/pss.md §7) and of psa.ts.

const root = process.env['MAMORI_FIXTURES'];
const suite = root === undefined ? describe.skip : describe;
const title =
  root === undefined
    ? 'exported VAPs on the PSA conformance fixtures (skipped: set MAMORI_FIXTURES=../shared/external-fixtures to run it)'
    : 'exported VAPs on the PSA conformance fixtures';

/** The restricted checks that replace a baseline check (specs/pss.md §1.3), with the version they start. */
const OVERRIDES: Partial<Record<PssCheckId, { by: PssCheckId; from: number }>> = {
  hostPathVolumes: { by: 'restrictedVolumes', from: 0 },
  seccompProfile_baseline: { by: 'seccompProfile_restricted', from: 19 },
  capabilities_baseline: { by: 'capabilities_restricted', from: 22 },
  procMount: { by: 'procMount_restricted', from: 35 },
};

suite(title, () => {
  it('gives every fixture its folder verdict and psa.ts verdict, as a Pod, a Deployment and a CronJob, through the right check', () => {
    const base = root ?? '';
    const testdata = join(base, 'pod-security-admission', 'test', 'testdata');
    const checkMap = (
      JSON.parse(readFileSync(join(base, 'pod-security-admission', 'check-map.derived.json'), 'utf8')) as {
        checks: Record<string, { checkId: PssCheckId; errorSubstring: string }>;
      }
    ).checks;
    const problems: string[] = [];
    let evaluated = 0;
    let files = 0;
    for (const level of ['baseline', 'restricted'] as const) {
      for (const version of readdirSync(join(testdata, level))) {
        const minor = Number(/^v1\.(\d+)$/.exec(version)?.[1]);
        const { loaded, checks } = exported({ level, version, kubeMinor: 37 });
        for (const verdict of ['pass', 'fail'] as const) {
          const dir = join(testdata, level, version, verdict);
          for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
            files++;
            const fixture = yaml.load(readFileSync(join(dir, file), 'utf8'));
            if (!isObject(fixture)) throw new Error(`${dir}/${file} is not an object`);
            const template = { metadata: fixture['metadata'] ?? {}, spec: fixture['spec'] ?? {} };
            const objects: Record<string, JsonObject> = {
              Pod: { ...fixture, metadata: { ...(fixture['metadata'] as JsonObject), namespace: 'conformance' } },
              Deployment: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'test', namespace: 'conformance' }, spec: { template } },
              CronJob: {
                apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'test', namespace: 'conformance' },
                spec: { schedule: '* * * * *', jobTemplate: { spec: { template } } },
              },
            };
            for (const [kind, object] of Object.entries(objects)) {
              evaluated++;
              const where = `${level}/${version}/${verdict}/${file} as ${kind}`;
              const tpl = podSpecOf(object);
              if (tpl === undefined) throw new Error(`${where}: no pod template`);
              const expected = evaluatePodSecurity({ kind, metadata: tpl.metadata, spec: tpl.spec }, { level, version });
              const result = evaluatePolicies({ object, operation: 'CREATE' }, loaded);
              const got = new Map<string, string>();
              for (const o of result.outcomes) {
                for (const d of o.decisions) {
                  if (d.evaluation !== 'failed') problems.push(`${where}: ${o.policy} errored: ${d.message}`);
                  else got.set(checks.get(o.policy) ?? o.policy, d.message);
                }
              }
              if ((got.size === 0) !== (verdict === 'pass')) problems.push(`${where}: expected ${verdict}, the VAPs fail [${[...got.keys()].join(', ')}]`);
              const ts = expected.map((r) => r.checkId);
              if ([...got.keys()].join() !== ts.join()) problems.push(`${where}: psa.ts fails [${ts.join(', ')}], the VAPs [${[...got.keys()].join(', ')}]`);
              for (const r of expected) {
                const message = r.detail === '' ? r.reason : `${r.reason} (${r.detail})`;
                if (got.get(r.checkId) !== message) problems.push(`${where}: ${r.checkId}: expected "${message}", got "${got.get(r.checkId) ?? ''}"`);
              }
              // Pods are denied, templates warned about (PSA never enforces on templates).
              if (kind === 'Pod' && result.allowed !== (verdict === 'pass')) problems.push(`${where}: allowed=${result.allowed}`);
              if (kind !== 'Pod' && (!result.allowed || result.warnings.length !== got.size)) problems.push(`${where}: templates must only warn`);
              if (verdict === 'fail') {
                const prefix = file.replace(/\d*\.yaml$/, '');
                const entry = checkMap[prefix];
                if (entry === undefined) {
                  problems.push(`${where}: no check-map entry for ${prefix}`);
                  continue;
                }
                const override = level === 'restricted' ? OVERRIDES[entry.checkId] : undefined;
                const check = override !== undefined && minor >= override.from ? override.by : entry.checkId;
                const message = got.get(check);
                if (message === undefined) problems.push(`${where}: not failed by the ${check} policy`);
                else if (!message.includes(entry.errorSubstring)) problems.push(`${where}: "${message}" lacks "${entry.errorSubstring}"`);
              }
            }
          }
        }
      }
    }
    expect(problems.slice(0, 20)).toEqual([]);
    expect(files).toBe(4537);
    expect(evaluated).toBe(3 * 4537);
  });
});

describe('golden', () => {
  // The reviewed export of baseline v1.30 for Kubernetes 1.30; UPDATE_GOLDEN=1 rewrites it after a deliberate change.
  it('baseline:v1.30 for Kubernetes 1.30 is the reviewed file', () => {
    const options: PssExportOptions = { level: 'baseline', version: 'v1.30', kubeMinor: 30 };
    const actual = renderPolicyExport(exportPssPolicies(options), options);
    const path = 'test/golden/policy-export.baseline-v1.30.yaml';
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(path, actual);
    expect(actual).toBe(readFileSync(path, 'utf8'));
  });
});

