import { describe, expect, it } from 'vitest';
import { MamoriError } from '../src/errors.js';
import {
  activePssChecks,
  evaluatePodSecurity,
  formatPssResults,
  goQuote,
  parsePssPolicy,
  podSecurityDenial,
  podSecurityViolation,
  PSS_CHECK_ORDER,
  PSS_LATEST_MINOR,
  resolvePssMinor,
  runPssCheck,
} from '../src/rules/pss/psa.js';
import type { PssCheckId, PssPodInput, PssResult } from '../src/rules/pss/psa.js';
import type { JsonObject, JsonValue, PssLevel } from '../src/types.js';

// Builders for small pods.
const pod = (spec: JsonObject, metadata: JsonObject = {}): PssPodInput => ({ kind: 'Pod', metadata, spec });
const ctr = (name: string, securityContext?: JsonValue, extra: JsonObject = {}): JsonObject =>
  securityContext === undefined ? { name, image: 'img', ...extra } : { name, image: 'img', securityContext, ...extra };
const containers = (...list: JsonObject[]): JsonObject => ({ containers: list });
const run = (id: PssCheckId, input: PssPodInput, minor = PSS_LATEST_MINOR): PssResult | undefined =>
  runPssCheck(id, input, minor);
/** Reason and detail of one check, or undefined when it allows the pod. */
const message = (id: PssCheckId, input: PssPodInput, minor = PSS_LATEST_MINOR): [string, string] | undefined => {
  const result = run(id, input, minor);
  return result === undefined ? undefined : [result.reason, result.detail];
};
const failing = (input: PssPodInput, level: PssLevel, version: string): PssCheckId[] =>
  evaluatePodSecurity(input, { level, version }).map((r) => r.checkId);

describe('PSA messages (spec §3 examples)', () => {
  it('appArmorProfile', () => {
    expect(message('appArmorProfile', pod({ securityContext: { appArmorProfile: { type: 'Unconfined' } }, ...containers(ctr('a')) }))).toEqual([
      'forbidden AppArmor profile',
      'pod must not set AppArmor profile type to "Unconfined"',
    ]);
    expect(message('appArmorProfile', pod(containers(ctr('foo', { appArmorProfile: { type: 'Unconfined' } }))))).toEqual([
      'forbidden AppArmor profile',
      'container "foo" must not set AppArmor profile type to "Unconfined"',
    ]);
    const prefix = 'container.apparmor.security.beta.kubernetes.io/';
    const annotations = {
      [`${prefix}a`]: '',
      [`${prefix}b`]: 'runtime/default',
      [`${prefix}c`]: 'localhost/',
      [`${prefix}d`]: 'localhost/foo',
      [`${prefix}f`]: 'unknown',
      [prefix]: 'bogus',
      [`${prefix}e`]: 'unconfined',
      'other.example.com/x': 'unconfined',
    };
    expect(message('appArmorProfile', pod(containers(ctr('a')), { annotations }))).toEqual([
      'forbidden AppArmor profiles',
      'annotations must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/="bogus"", "container.apparmor.security.beta.kubernetes.io/e="unconfined"", "container.apparmor.security.beta.kubernetes.io/f="unknown""',
    ]);
  });

  it('appArmorProfile combines pod, containers and annotations', () => {
    const input = pod(
      {
        securityContext: { appArmorProfile: { type: 'Unconfined' } },
        containers: [ctr('a', { appArmorProfile: { type: 'Bogus' } }), ctr('b', { appArmorProfile: { type: 'Localhost' } })],
      },
      { annotations: { 'container.apparmor.security.beta.kubernetes.io/a': 'x"y' } },
    );
    expect(message('appArmorProfile', input)).toEqual([
      'forbidden AppArmor profiles',
      'pod and container "a" and annotation must not set AppArmor profile type to "Bogus", "Unconfined", "container.apparmor.security.beta.kubernetes.io/a="x\\"y""',
    ]);
  });

  it('capabilities_baseline', () => {
    const input = pod(
      containers(
        ctr('a', { capabilities: { add: ['FOO', 'CHOWN', 'BAR'], drop: ['ALL'] } }),
        ctr('b', { capabilities: { add: ['BAZ', 'FOO'] } }),
        ctr('c', { capabilities: { add: ['NET_BIND_SERVICE', 'SYS_CHROOT'] } }),
      ),
    );
    expect(message('capabilities_baseline', input)).toEqual([
      'non-default capabilities',
      'containers "a", "b" must not include "BAR", "BAZ", "FOO" in securityContext.capabilities.add',
    ]);
  });

  it('hostNamespaces', () => {
    expect(message('hostNamespaces', pod({ hostIPC: true, hostPID: true, hostNetwork: true, ...containers(ctr('a')) }))).toEqual([
      'host namespaces',
      'hostNetwork=true, hostPID=true, hostIPC=true',
    ]);
    expect(message('hostNamespaces', pod({ hostNetwork: false, hostPID: true, ...containers(ctr('a')) }))).toEqual([
      'host namespaces',
      'hostPID=true',
    ]);
  });

  it('hostPathVolumes', () => {
    const volumes = [
      { name: 'a', hostPath: { path: '/a' } },
      { name: 'x', emptyDir: {} },
      { name: 'b', hostPath: { path: '/b' } },
    ];
    expect(message('hostPathVolumes', pod({ volumes, ...containers(ctr('c')) }))).toEqual(['hostPath volumes', 'volumes "a", "b"']);
  });

  it('hostPorts', () => {
    const ports = (...hostPorts: number[]): JsonObject => ({ ports: hostPorts.map((hostPort) => ({ containerPort: 8080, hostPort })) });
    expect(message('hostPorts', pod(containers(ctr('a', undefined, ports(0)), ctr('b', undefined, ports(20)))))).toEqual([
      'hostPort',
      'container "b" uses hostPort 20',
    ]);
    const input = pod(containers(ctr('a'), ctr('b', undefined, ports(10, 20)), ctr('c', undefined, ports(30, 10))));
    expect(message('hostPorts', input)).toEqual(['hostPort', 'containers "b", "c" use hostPorts 10, 20, 30']);
    // Decimal strings in string order.
    expect(message('hostPorts', pod(containers(ctr('a', undefined, ports(20, 100, 10)))))).toEqual([
      'hostPort',
      'container "a" uses hostPorts 10, 100, 20',
    ]);
  });

  it('hostProbesAndHostLifecycle', () => {
    const input = pod(
      containers(
        ctr('a', undefined, {
          livenessProbe: { httpGet: { host: 'localhost', port: 80 } },
          readinessProbe: { tcpSocket: { host: '127.0.0.1', port: 80 } },
          startupProbe: { httpGet: { host: '::1', port: 80 } },
        }),
      ),
    );
    expect(message('hostProbesAndHostLifecycle', input)).toEqual([
      'probe or lifecycle host',
      'container "a" uses probe or lifecycle hosts "127.0.0.1", "::1", "localhost"',
    ]);
    const two = pod({
      initContainers: [ctr('invalid2', undefined, { lifecycle: { preStop: { tcpSocket: { host: 'a.com', port: 1 } } } })],
      containers: [
        ctr('valid', undefined, { livenessProbe: { httpGet: { host: '', port: 80 } } }),
        ctr('invalid1', undefined, { lifecycle: { postStart: { httpGet: { host: 'b.com', port: 80 } } } }),
      ],
    });
    expect(message('hostProbesAndHostLifecycle', two)).toEqual([
      'probe or lifecycle host',
      'containers "invalid1", "invalid2" use probe or lifecycle hosts "a.com", "b.com"',
    ]);
  });

  it('privileged', () => {
    const input = pod(
      containers(ctr('a'), ctr('b', {}), ctr('c', { privileged: false }), ctr('d', { privileged: true }), ctr('e', { privileged: true })),
    );
    expect(message('privileged', input)).toEqual(['privileged', 'containers "d", "e" must not set securityContext.privileged=true']);
  });

  it('procMount and procMount_restricted', () => {
    const input = pod(
      containers(
        ctr('a'),
        ctr('b', {}),
        ctr('c', { procMount: 'Default' }),
        ctr('d', { procMount: 'Unmasked' }),
        ctr('e', { procMount: 'other' }),
      ),
    );
    const expected = ['procMount', 'containers "d", "e" must not set securityContext.procMount to "Unmasked", "other"'];
    expect(message('procMount', input)).toEqual(expected);
    expect(message('procMount_restricted', input)).toEqual(expected);
  });

  it('seLinuxOptions', () => {
    const input = pod({
      securityContext: { seLinuxOptions: { type: 'foo', user: 'u' } },
      containers: [
        ctr('a'),
        ctr('b', { seLinuxOptions: { type: 'container_init_t', level: 's0:c1,c2' } }),
        ctr('e', { seLinuxOptions: { type: 'bar' } }),
        ctr('f', { seLinuxOptions: { role: 'r' } }),
        ctr('g', { seLinuxOptions: { type: 'container_t', user: 'x' } }),
      ],
    });
    expect(message('seLinuxOptions', input)).toEqual([
      'seLinuxOptions',
      'pod and containers "e", "f", "g" set forbidden securityContext.seLinuxOptions: types "bar", "foo"; user may not be set; role may not be set',
    ]);
    expect(message('seLinuxOptions', pod({ securityContext: { seLinuxOptions: { type: 'bad' } }, ...containers(ctr('a')) }))).toEqual([
      'seLinuxOptions',
      'pod set forbidden securityContext.seLinuxOptions: type "bad"',
    ]);
  });

  it('seccompProfile_baseline (annotations before v1.19)', () => {
    const pods = 'seccomp.security.alpha.kubernetes.io/pod';
    const prefix = 'container.seccomp.security.alpha.kubernetes.io/';
    expect(message('seccompProfile_baseline', pod(containers(ctr('a')), { annotations: { [pods]: 'unconfined' } }), 18)).toEqual([
      'seccompProfile',
      'forbidden annotation seccomp.security.alpha.kubernetes.io/pod="unconfined"',
    ]);
    const annotations = {
      [pods]: 'unconfined',
      [`${prefix}a`]: 'unconfined',
      [`${prefix}b`]: 'unknown',
      [`${prefix}c`]: 'runtime/default',
      [`${prefix}d`]: 'docker/default',
      [`${prefix}e`]: 'localhost/foo',
      [`${prefix}notacontainer`]: 'unconfined',
    };
    const input = pod(containers(ctr('a'), ctr('b'), ctr('c'), ctr('d'), ctr('e')), { annotations });
    expect(message('seccompProfile_baseline', input, 18)).toEqual([
      'seccompProfile',
      'forbidden annotations container.seccomp.security.alpha.kubernetes.io/a="unconfined", container.seccomp.security.alpha.kubernetes.io/b="unknown", seccomp.security.alpha.kubernetes.io/pod="unconfined"',
    ]);
    // An empty annotation value fails; the fields are ignored before v1.19.
    expect(message('seccompProfile_baseline', pod(containers(ctr('a')), { annotations: { [pods]: '' } }), 0)).toEqual([
      'seccompProfile',
      'forbidden annotation seccomp.security.alpha.kubernetes.io/pod=""',
    ]);
    expect(run('seccompProfile_baseline', pod({ securityContext: { seccompProfile: { type: 'Unconfined' } }, ...containers(ctr('a')) }), 18)).toBeUndefined();
  });

  it('seccompProfile_baseline (fields from v1.19)', () => {
    expect(message('seccompProfile_baseline', pod({ securityContext: { seccompProfile: { type: 'Unconfined' } }, ...containers(ctr('a')) }), 19)).toEqual([
      'seccompProfile',
      'pod must not set securityContext.seccompProfile.type to "Unconfined"',
    ]);
    const input = pod({
      securityContext: { seccompProfile: { type: 'Unconfined' } },
      containers: [
        ctr('a', { seccompProfile: { type: 'RuntimeDefault' } }),
        ctr('b', { seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' } }),
        ctr('c', { seccompProfile: { type: 'Unconfined' } }),
        ctr('d', { seccompProfile: { type: 'Unconfined' } }),
      ],
    });
    expect(message('seccompProfile_baseline', input)).toEqual([
      'seccompProfile',
      'pod and containers "c", "d" must not set securityContext.seccompProfile.type to "Unconfined"',
    ]);
    expect(run('seccompProfile_baseline', pod(containers(ctr('a')), { annotations: { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' } }))).toBeUndefined();
  });

  it('sysctls', () => {
    const sysctls = (...names: string[]): PssPodInput =>
      pod({ securityContext: { sysctls: names.map((name) => ({ name, value: '1' })) }, ...containers(ctr('x')) });
    expect(message('sysctls', sysctls('a', 'kernel.shm_rmid_forced', 'b'))).toEqual(['forbidden sysctls', 'a, b']);
    expect(message('sysctls', sysctls('net.ipv4.tcp_rmem'), 29)).toEqual(['forbidden sysctls', 'net.ipv4.tcp_rmem']);
    // In spec order, not de-duplicated.
    expect(message('sysctls', sysctls('b', 'a', 'b'))).toEqual(['forbidden sysctls', 'b, a, b']);
  });

  it('windowsHostProcess', () => {
    const input = pod({
      securityContext: { windowsOptions: { hostProcess: true } },
      containers: [
        ctr('d', { windowsOptions: { hostProcess: false } }),
        ctr('e', { windowsOptions: { hostProcess: true } }),
        ctr('f', { windowsOptions: { hostProcess: true } }),
      ],
    });
    expect(message('windowsHostProcess', input)).toEqual([
      'hostProcess',
      'pod and containers "e", "f" must not set securityContext.windowsOptions.hostProcess=true',
    ]);
  });

  it('allowPrivilegeEscalation', () => {
    const input = pod(
      containers(ctr('a'), ctr('b', {}), ctr('c', { allowPrivilegeEscalation: true }), ctr('d', { allowPrivilegeEscalation: false })),
    );
    expect(message('allowPrivilegeEscalation', input)).toEqual([
      'allowPrivilegeEscalation != false',
      'containers "a", "b", "c" must set securityContext.allowPrivilegeEscalation=false',
    ]);
  });

  it('capabilities_restricted', () => {
    const input = pod(
      containers(
        ctr('a', { capabilities: { add: ['FOO'] } }),
        ctr('b', { capabilities: { drop: ['all'], add: ['BAR'] } }),
        ctr('c', { capabilities: { drop: ['ALL'], add: ['BAZ', 'CHOWN', 'NET_BIND_SERVICE'] } }),
        ctr('d', { capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } }),
      ),
    );
    expect(message('capabilities_restricted', input)).toEqual([
      'unrestricted capabilities',
      'containers "a", "b" must set securityContext.capabilities.drop=["ALL"]; containers "a", "b", "c" must not include "BAR", "BAZ", "CHOWN", "FOO" in securityContext.capabilities.add',
    ]);
    expect(message('capabilities_restricted', pod(containers(ctr('x'), ctr('y', { capabilities: { drop: ['ALL'] } }))))).toEqual([
      'unrestricted capabilities',
      'container "x" must set securityContext.capabilities.drop=["ALL"]',
    ]);
  });

  it('restrictedVolumes', () => {
    expect(message('restrictedVolumes', pod({ volumes: [{ name: 'v', hostPath: { path: '/' } }], ...containers(ctr('a')) }))).toEqual([
      'restricted volume types',
      'volume "v" uses restricted volume type "hostPath"',
    ]);
    const bad = [
      'hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'nfs', 'iscsi', 'glusterfs', 'rbd',
      'flexVolume', 'cinder', 'cephfs', 'flocker', 'fc', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk',
      'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'storageos',
    ];
    const allowed = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'image', 'persistentVolumeClaim', 'projected', 'secret'];
    const volumes: JsonObject[] = [
      ...allowed.map((type) => ({ name: `ok-${type}`, [type]: {} })),
      { name: 'defaulted' },
      ...bad.map((type) => ({ name: type, [type]: {} })),
      { name: 'unknown', futureVolumeType: {} },
    ];
    const result = message('restrictedVolumes', pod({ volumes, ...containers(ctr('a')) }));
    const names = [...bad, 'unknown'].map((n) => `"${n}"`).join(', ');
    expect(result).toEqual([
      'restricted volume types',
      `volumes ${names} use restricted volume types "awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "fc", "flexVolume", "flocker", "gcePersistentDisk", "gitRepo", "glusterfs", "hostPath", "iscsi", "nfs", "photonPersistentDisk", "portworxVolume", "quobyte", "rbd", "scaleIO", "storageos", "unknown", "vsphereVolume"`,
    ]);
  });

  it('runAsNonRoot', () => {
    expect(message('runAsNonRoot', pod(containers(ctr('a'))))).toEqual([
      'runAsNonRoot != true',
      'pod or container "a" must set securityContext.runAsNonRoot=true',
    ]);
    expect(message('runAsNonRoot', pod({ securityContext: { runAsNonRoot: false }, ...containers(ctr('a', { runAsNonRoot: true })) }))).toEqual([
      'runAsNonRoot != true',
      'pod must not set securityContext.runAsNonRoot=false',
    ]);
    const input = pod({
      securityContext: { runAsNonRoot: true },
      containers: [ctr('a'), ctr('b', { runAsNonRoot: true }), ctr('c', { runAsNonRoot: false }), ctr('d', { runAsNonRoot: false })],
    });
    expect(message('runAsNonRoot', input)).toEqual(['runAsNonRoot != true', 'containers "c", "d" must not set securityContext.runAsNonRoot=false']);
    // The explicit case wins over containers that merely omit the field.
    expect(message('runAsNonRoot', pod(containers(ctr('a'), ctr('b', { runAsNonRoot: false }))))).toEqual([
      'runAsNonRoot != true',
      'container "b" must not set securityContext.runAsNonRoot=false',
    ]);
    expect(run('runAsNonRoot', pod(containers(ctr('a', { runAsNonRoot: true }))))).toBeUndefined();
  });

  it('runAsUser', () => {
    expect(message('runAsUser', pod({ securityContext: { runAsUser: 0 }, ...containers(ctr('a', { runAsUser: 1000 })) }))).toEqual([
      'runAsUser=0',
      'pod must not set runAsUser=0',
    ]);
    const input = pod({
      securityContext: { runAsUser: 1000 },
      containers: [ctr('a'), ctr('b', { runAsUser: 1 }), ctr('c', { runAsUser: 0 }), ctr('d', { runAsUser: 0 })],
    });
    expect(message('runAsUser', input)).toEqual(['runAsUser=0', 'containers "c", "d" must not set runAsUser=0']);
  });

  it('seccompProfile_restricted', () => {
    const implicit = pod(containers(ctr('a'), ctr('b', {}), ctr('c', { seccompProfile: { type: 'RuntimeDefault' } })));
    expect(message('seccompProfile_restricted', implicit)).toEqual([
      'seccompProfile',
      'pod or containers "a", "b" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"',
    ]);
    const explicit = pod({
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      containers: [ctr('a'), ctr('c', { seccompProfile: { type: 'Unconfined' } }), ctr('d', { seccompProfile: { type: 'Unconfined' } })],
    });
    expect(message('seccompProfile_restricted', explicit)).toEqual([
      'seccompProfile',
      'containers "c", "d" must not set securityContext.seccompProfile.type to "Unconfined"',
    ]);
    // A bad pod-level profile covers nobody: it is reported, and wins over the implicit case.
    const badPod = pod({ securityContext: { seccompProfile: { type: '' } }, ...containers(ctr('a')) });
    expect(message('seccompProfile_restricted', badPod)).toEqual(['seccompProfile', 'pod must not set securityContext.seccompProfile.type to ""']);
  });
});

describe('PSA admission messages (spec §6.4)', () => {
  it('gives the enforce denial of a bare pod', () => {
    const object = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: containers(ctr('x')) };
    expect(podSecurityDenial(object, { level: 'restricted', version: 'latest' })).toBe(
      'pods "x" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "x" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "x" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "x" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "x" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
  });

  it('names the policy as written and quotes the pod name like Go', () => {
    const object = { kind: 'Pod', metadata: { name: 'we"ird' }, spec: { hostPID: true, ...containers(ctr('a')) } };
    expect(podSecurityViolation(object, { level: 'baseline', version: 'v1.99' })).toBe('violates PodSecurity "baseline:v1.99": host namespaces (hostPID=true)');
    expect(podSecurityDenial(object, { level: 'baseline', version: 'v1.99' })).toBe(
      'pods "we\\"ird" is forbidden: violates PodSecurity "baseline:v1.99": host namespaces (hostPID=true)',
    );
    const unnamed = { kind: 'Pod', metadata: { generateName: 'x-' }, spec: object.spec };
    expect(podSecurityDenial(unnamed, { level: 'baseline', version: 'latest' })).toBe(
      'pods is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostPID=true)',
    );
  });

  it('reads pod templates of workloads and ignores other objects', () => {
    const template = { metadata: {}, spec: { hostNetwork: true, ...containers(ctr('a')) } };
    const cronJob = { kind: 'CronJob', metadata: { name: 'c' }, spec: { jobTemplate: { spec: { template } } } };
    expect(podSecurityViolation(cronJob, { level: 'baseline', version: 'v1.30' })).toBe(
      'violates PodSecurity "baseline:v1.30": host namespaces (hostNetwork=true)',
    );
    expect(podSecurityViolation({ kind: 'ConfigMap', data: {} }, { level: 'restricted', version: 'latest' })).toBeUndefined();
    expect(podSecurityViolation({ kind: 'Deployment', spec: {} }, { level: 'restricted', version: 'latest' })).toBeUndefined();
    expect(podSecurityViolation(cronJob, { level: 'privileged', version: 'latest' })).toBeUndefined();
    const clean = { kind: 'Pod', metadata: { name: 'ok' }, spec: containers(ctr('a')) };
    expect(podSecurityDenial(clean, { level: 'baseline', version: 'latest' })).toBeUndefined();
  });

  it('formats ForbiddenDetail like checks.go', () => {
    const results: PssResult[] = [
      { checkId: 'privileged', reason: 'a', detail: 'b', paths: [] },
      { checkId: 'hostPorts', reason: 'c', detail: '', paths: [] },
      { checkId: 'sysctls', reason: '', detail: 'd', paths: [] },
    ];
    expect(formatPssResults(results)).toBe('a (b), c, unknown forbidden reason (d)');
    expect(formatPssResults([])).toBe('');
  });

  it('quotes like Go %q', () => {
    expect(goQuote('plain')).toBe('"plain"');
    expect(goQuote('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(goQuote('\n\t\r\x07\b\f\v')).toBe('"\\n\\t\\r\\a\\b\\f\\v"');
    expect(goQuote('\x00\x1f\x7f')).toBe('"\\x00\\x1f\\x7f"');
    expect(goQuote('\u0085\u00a0\u2028')).toBe('"\\u0085\\u00a0\\u2028"');
    expect(goQuote('日本語 é 😀')).toBe('"日本語 é 😀"');
    expect(goQuote('\u{e0001}')).toBe('"\\U000e0001"');
    expect(goQuote('\ud800')).toBe('"\ufffd"');
  });
});

describe('policy versions (spec §1.2, §1.3)', () => {
  const baseline = (minor: number): readonly PssCheckId[] => activePssChecks('baseline', minor);
  const restricted = (minor: number): readonly PssCheckId[] => activePssChecks('restricted', minor);
  const BASELINE_0 = PSS_CHECK_ORDER.slice(0, 12).filter((id) => id !== 'hostProbesAndHostLifecycle');

  it('inflates the check lists of §1.3', () => {
    expect(baseline(0)).toEqual(BASELINE_0);
    expect(baseline(33)).toEqual(BASELINE_0);
    expect(baseline(34)).toEqual(PSS_CHECK_ORDER.slice(0, 12));
    expect(baseline(37)).toEqual(PSS_CHECK_ORDER.slice(0, 12));
    const without = (list: readonly PssCheckId[], ...drop: PssCheckId[]): PssCheckId[] => list.filter((id) => !drop.includes(id));
    expect(restricted(0)).toEqual([...without(BASELINE_0, 'hostPathVolumes'), 'restrictedVolumes', 'runAsNonRoot']);
    expect(restricted(7)).toEqual(restricted(0));
    expect(restricted(8)).toEqual([...without(BASELINE_0, 'hostPathVolumes'), 'allowPrivilegeEscalation', 'restrictedVolumes', 'runAsNonRoot']);
    expect(restricted(19)).toEqual([
      ...without(BASELINE_0, 'hostPathVolumes', 'seccompProfile_baseline'),
      'allowPrivilegeEscalation', 'restrictedVolumes', 'runAsNonRoot', 'seccompProfile_restricted',
    ]);
    const from22 = without(BASELINE_0, 'hostPathVolumes', 'seccompProfile_baseline', 'capabilities_baseline');
    expect(restricted(22)).toEqual([...from22, 'allowPrivilegeEscalation', 'capabilities_restricted', 'restrictedVolumes', 'runAsNonRoot', 'seccompProfile_restricted']);
    const restricted23 = ['allowPrivilegeEscalation', 'capabilities_restricted', 'restrictedVolumes', 'runAsNonRoot', 'runAsUser', 'seccompProfile_restricted'];
    expect(restricted(23)).toEqual([...from22, ...restricted23]);
    expect(restricted(33)).toEqual(restricted(23));
    expect(restricted(34)).toEqual([...without(PSS_CHECK_ORDER.slice(0, 12), 'hostPathVolumes', 'seccompProfile_baseline', 'capabilities_baseline'), ...restricted23]);
    const latest = restricted(35);
    expect(latest).toEqual([
      'appArmorProfile', 'hostNamespaces', 'hostPorts', 'hostProbesAndHostLifecycle', 'privileged', 'seLinuxOptions', 'sysctls',
      'windowsHostProcess', 'allowPrivilegeEscalation', 'capabilities_restricted', 'procMount_restricted', 'restrictedVolumes',
      'runAsNonRoot', 'runAsUser', 'seccompProfile_restricted',
    ]);
    expect(latest).toHaveLength(15);
    expect(restricted(37)).toEqual(latest);
    expect(activePssChecks('privileged', 37)).toEqual([]);
  });

  it('resolves versions and caps latest', () => {
    expect(resolvePssMinor('latest')).toBe(37);
    expect(resolvePssMinor('v1.0')).toBe(0);
    expect(resolvePssMinor('v1.25')).toBe(25);
    expect(resolvePssMinor('v1.40')).toBe(37);
    expect(resolvePssMinor('latest', 36)).toBe(36);
    expect(resolvePssMinor('v1.37', 35)).toBe(35);
    expect(resolvePssMinor('v1.20', 35)).toBe(20);
    expect(resolvePssMinor('latest', 99)).toBe(37);
    // An invalid version falls back to latest, as PSA does for a bad version label.
    expect(resolvePssMinor('v1.05')).toBe(37);
    // Emulating a 1.36 server: latest is the v1.35 rule set, so v1.37 sysctls fail.
    const input = pod({ securityContext: { sysctls: [{ name: 'net.ipv4.tcp_notsent_lowat', value: '1' }] }, ...containers(ctr('a')) });
    expect(evaluatePodSecurity(input, { level: 'baseline', version: 'latest' }).map((r) => r.checkId)).toEqual([]);
    expect(evaluatePodSecurity(input, { level: 'baseline', version: 'latest' }, 36).map((r) => r.checkId)).toEqual(['sysctls']);
  });

  it('v1.8: allowPrivilegeEscalation starts', () => {
    const input = pod({ securityContext: { runAsNonRoot: true }, ...containers(ctr('a')) });
    expect(failing(input, 'restricted', 'v1.7')).toEqual([]);
    expect(failing(input, 'restricted', 'v1.8')).toEqual(['allowPrivilegeEscalation']);
  });

  it('v1.19: seccomp moves from annotations to fields; restricted requires a profile', () => {
    const annotated = pod(containers(ctr('a', { allowPrivilegeEscalation: false })), {
      annotations: { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' },
    });
    expect(failing(annotated, 'baseline', 'v1.18')).toEqual(['seccompProfile_baseline']);
    expect(failing(annotated, 'baseline', 'v1.19')).toEqual([]);
    const field = pod({ securityContext: { seccompProfile: { type: 'Unconfined' } }, ...containers(ctr('a')) });
    expect(failing(field, 'baseline', 'v1.18')).toEqual([]);
    expect(failing(field, 'baseline', 'v1.19')).toEqual(['seccompProfile_baseline']);
    const ok = pod({ securityContext: { runAsNonRoot: true }, ...containers(ctr('a', { allowPrivilegeEscalation: false })) });
    expect(failing(ok, 'restricted', 'v1.18')).toEqual([]);
    expect(failing(ok, 'restricted', 'v1.19')).toEqual(['seccompProfile_restricted']);
    expect(failing(field, 'restricted', 'v1.19')).toContain('seccompProfile_restricted');
    expect(failing(field, 'restricted', 'v1.19')).not.toContain('seccompProfile_baseline');
  });

  it('v1.22: capabilities_restricted replaces capabilities_baseline', () => {
    const sc = { allowPrivilegeEscalation: false, capabilities: { add: ['SYS_ADMIN'] } };
    const input = pod({ securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }, ...containers(ctr('a', sc)) });
    expect(failing(input, 'restricted', 'v1.21')).toEqual(['capabilities_baseline']);
    expect(failing(input, 'restricted', 'v1.22')).toEqual(['capabilities_restricted']);
    expect(failing(input, 'baseline', 'v1.22')).toEqual(['capabilities_baseline']);
  });

  it('v1.23: runAsUser starts', () => {
    const sc = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsUser: 0 };
    const input = pod({ securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }, ...containers(ctr('a', sc)) });
    expect(failing(input, 'restricted', 'v1.22')).toEqual([]);
    expect(failing(input, 'restricted', 'v1.23')).toEqual(['runAsUser']);
  });

  it('v1.25: Windows pods skip allowPrivilegeEscalation, capabilities and seccomp', () => {
    const windows = pod({ os: { name: 'windows' }, securityContext: { runAsNonRoot: true }, ...containers(ctr('a')) });
    expect(failing(windows, 'restricted', 'v1.24')).toEqual(['allowPrivilegeEscalation', 'capabilities_restricted', 'seccompProfile_restricted']);
    expect(failing(windows, 'restricted', 'v1.25')).toEqual([]);
    expect(failing(windows, 'restricted', 'latest')).toEqual([]);
    // Only os.name == "windows" (exact) triggers it; runAsNonRoot still applies; baseline still applies.
    const upper = pod({ os: { name: 'Windows' }, securityContext: { runAsNonRoot: true }, ...containers(ctr('a')) });
    expect(failing(upper, 'restricted', 'latest')).toEqual(['allowPrivilegeEscalation', 'capabilities_restricted', 'seccompProfile_restricted']);
    const rootWindows = pod({ os: { name: 'windows' }, nodeSelector: { 'kubernetes.io/os': 'windows' }, ...containers(ctr('a')) });
    expect(failing(rootWindows, 'restricted', 'latest')).toEqual(['runAsNonRoot']);
    const hostProcess = pod({ os: { name: 'windows' }, securityContext: { runAsNonRoot: true, windowsOptions: { hostProcess: true } }, ...containers(ctr('a')) });
    expect(failing(hostProcess, 'restricted', 'latest')).toEqual(['windowsHostProcess']);
  });

  it('v1.27, v1.29, v1.32, v1.37: the allowed sysctls grow', () => {
    const steps: [string, number][] = [
      ['net.ipv4.ip_local_reserved_ports', 27],
      ['net.ipv4.tcp_keepalive_time', 29],
      ['net.ipv4.tcp_fin_timeout', 29],
      ['net.ipv4.tcp_keepalive_intvl', 29],
      ['net.ipv4.tcp_keepalive_probes', 29],
      ['net.ipv4.tcp_rmem', 32],
      ['net.ipv4.tcp_wmem', 32],
      ['net.ipv4.tcp_slow_start_after_idle', 37],
      ['net.ipv4.tcp_notsent_lowat', 37],
    ];
    for (const [name, minor] of steps) {
      const input = pod({ securityContext: { sysctls: [{ name, value: '1' }] }, ...containers(ctr('a')) });
      expect(failing(input, 'baseline', `v1.${minor - 1}`), name).toEqual(['sysctls']);
      expect(failing(input, 'baseline', `v1.${minor}`), name).toEqual([]);
    }
    const base = pod({ securityContext: { sysctls: [{ name: 'kernel.shm_rmid_forced', value: '1' }] }, ...containers(ctr('a')) });
    expect(failing(base, 'baseline', 'v1.0')).toEqual([]);
  });

  it('v1.31: seLinuxOptions allows container_engine_t', () => {
    const input = pod(containers(ctr('a', { seLinuxOptions: { type: 'container_engine_t' } })));
    expect(failing(input, 'baseline', 'v1.30')).toEqual(['seLinuxOptions']);
    expect(failing(input, 'baseline', 'v1.31')).toEqual([]);
  });

  it('v1.34: hostProbesAndHostLifecycle starts', () => {
    const input = pod(containers(ctr('a', undefined, { readinessProbe: { httpGet: { host: '10.0.0.1', port: 80 } } })));
    expect(failing(input, 'baseline', 'v1.33')).toEqual([]);
    expect(failing(input, 'baseline', 'v1.34')).toEqual(['hostProbesAndHostLifecycle']);
  });

  it('v1.35: user namespaces relax procMount, runAsNonRoot and runAsUser; procMount_restricted starts', () => {
    const spec = (hostUsers: JsonValue | undefined): JsonObject => ({
      ...(hostUsers === undefined ? {} : { hostUsers }),
      securityContext: { runAsUser: 0, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [ctr('a', { procMount: 'Unmasked', allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } })],
    });
    const userns = pod(spec(false));
    expect(failing(userns, 'baseline', 'v1.34')).toEqual(['procMount']);
    expect(failing(userns, 'baseline', 'v1.35')).toEqual([]);
    expect(failing(userns, 'restricted', 'v1.34')).toEqual(['procMount', 'runAsNonRoot', 'runAsUser']);
    expect(failing(userns, 'restricted', 'v1.35')).toEqual(['procMount_restricted']);
    expect(failing(userns, 'restricted', 'v1.36')).toEqual(['procMount_restricted']);
    for (const hostUsers of [undefined, true, 'false']) {
      expect(failing(pod(spec(hostUsers)), 'baseline', 'v1.35'), String(hostUsers)).toEqual(['procMount']);
      expect(failing(pod(spec(hostUsers)), 'restricted', 'v1.35'), String(hostUsers)).toEqual(['procMount_restricted', 'runAsNonRoot', 'runAsUser']);
    }
  });
});

describe('API-server defaulting (spec §2.4)', () => {
  const restrictedSc = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };

  it('turns a volume without a source into emptyDir', () => {
    expect(run('restrictedVolumes', pod({ volumes: [{ name: 'v' }, { name: 'w', hostPath: null }], ...containers(ctr('a')) }))).toBeUndefined();
    expect(message('restrictedVolumes', pod({ volumes: [{ name: 'v', futureVolumeType: {} }], ...containers(ctr('a')) }))).toEqual([
      'restricted volume types',
      'volume "v" uses restricted volume type "unknown"',
    ]);
  });

  it('copies containerPort into hostPort for hostNetwork Pods only', () => {
    const spec: JsonObject = {
      hostNetwork: true,
      initContainers: [ctr('init', restrictedSc, { ports: [{ containerPort: 9000 }] })],
      containers: [ctr('a', restrictedSc, { ports: [{ containerPort: 80, hostPort: 0 }, { containerPort: 81, hostPort: 8081 }] })],
      ephemeralContainers: [ctr('debug', restrictedSc, { ports: [{ containerPort: 7000 }] })],
    };
    const asPod = run('hostPorts', pod(spec));
    expect(asPod && [asPod.reason, asPod.detail]).toEqual(['hostPort', 'containers "init", "a" use hostPorts 80, 8081, 9000']);
    expect(asPod?.paths).toEqual([
      ['spec', 'initContainers', 0, 'ports', 0, 'hostPort'],
      ['spec', 'containers', 0, 'ports', 0, 'hostPort'],
      ['spec', 'containers', 0, 'ports', 1, 'hostPort'],
    ]);
    // The same spec object as a template: no defaulting (and the cached Pod view is not reused).
    expect(message('hostPorts', { kind: 'Deployment', metadata: {}, spec })).toEqual(['hostPort', 'container "a" uses hostPort 8081']);
    expect(message('hostPorts', pod({ ...spec, hostNetwork: false }))).toEqual(['hostPort', 'container "a" uses hostPort 8081']);
    // A hostNetwork Pod fails both checks.
    expect(failing(pod(spec), 'baseline', 'latest')).toEqual(['hostNamespaces', 'hostPorts']);
  });
});

describe('paths of the offending fields', () => {
  it('points at fields relative to the template root, most specific first', () => {
    const input = pod(
      { containers: [ctr('a'), ctr('b', { privileged: true })] },
      { annotations: { 'container.apparmor.security.beta.kubernetes.io/b': 'unconfined' } },
    );
    expect(run('privileged', input)?.paths).toEqual([['spec', 'containers', 1, 'securityContext', 'privileged']]);
    expect(run('appArmorProfile', input)?.paths).toEqual([['metadata', 'annotations', 'container.apparmor.security.beta.kubernetes.io/b']]);
    expect(run('runAsNonRoot', input)?.paths).toEqual([
      ['spec', 'containers', 0, 'securityContext', 'runAsNonRoot'],
      ['spec', 'containers', 1, 'securityContext', 'runAsNonRoot'],
      ['spec', 'securityContext', 'runAsNonRoot'],
    ]);
    expect(run('restrictedVolumes', pod({ volumes: [{ name: 'x', configMap: {} }, { name: 'y', nfs: {} }], ...containers(ctr('a')) }))?.paths).toEqual([
      ['spec', 'volumes', 1, 'nfs'],
    ]);
  });

  it('returns at least one path for every failing check', () => {
    const everything = pod(
      {
        hostNetwork: true,
        securityContext: { sysctls: [{ name: 'kernel.msgmax' }], runAsUser: 0, seLinuxOptions: { type: 'spc_t' } },
        volumes: [{ name: 'h', hostPath: { path: '/' } }],
        containers: [
          ctr('a', { privileged: true, procMount: 'Unmasked', capabilities: { add: ['SYS_ADMIN'] }, windowsOptions: { hostProcess: true }, seccompProfile: { type: 'Unconfined' }, appArmorProfile: { type: 'Unconfined' } }, {
            ports: [{ containerPort: 1, hostPort: 1 }],
            livenessProbe: { httpGet: { host: 'x', port: 1 } },
          }),
        ],
      },
      { annotations: { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' } },
    );
    for (const id of PSS_CHECK_ORDER) {
      const result = run(id, everything, id === 'seccompProfile_baseline' ? 18 : PSS_LATEST_MINOR);
      expect(result?.paths.length ?? 0, id).toBeGreaterThan(0);
    }
  });
});

describe('parsePssPolicy', () => {
  it('parses LEVEL[:VERSION]', () => {
    expect(parsePssPolicy('restricted')).toEqual({ level: 'restricted', version: 'latest' });
    expect(parsePssPolicy('baseline:v1.25')).toEqual({ level: 'baseline', version: 'v1.25' });
    expect(parsePssPolicy('restricted:latest')).toEqual({ level: 'restricted', version: 'latest' });
    expect(parsePssPolicy('privileged:v1.0')).toEqual({ level: 'privileged', version: 'v1.0' });
  });

  it.each(['', 'Restricted', 'strict', 'restricted:', 'restricted:v1.05', 'restricted:1.25', 'restricted:v1.25.0', 'restricted:v2.0', 'baseline:latest:x', ' baseline'])(
    'rejects %j with a usage error',
    (text) => {
      let error: unknown;
      try {
        parsePssPolicy(text);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(MamoriError);
      expect((error as MamoriError).code).toBe('usage');
      expect((error as MamoriError).message).toContain('invalid Pod Security policy');
    },
  );

  it('says what is wrong', () => {
    expect(() => parsePssPolicy('strict')).toThrow('must be one of privileged, baseline, restricted');
    expect(() => parsePssPolicy('baseline:1.25')).toThrow('must be "latest" or "v1.x"');
  });
});

describe('wrong-typed input', () => {
  const junk: JsonValue[] = [null, 'x', 0, 1, true, false, [], ['x'], {}, { a: 1 }, [null, 1, 'x', {}]];

  it('never throws, whatever the field types', () => {
    const fields = [
      'securityContext', 'containers', 'initContainers', 'ephemeralContainers', 'volumes', 'hostNetwork', 'hostPID',
      'hostIPC', 'hostUsers', 'os',
    ];
    const containerFields = [
      'name', 'securityContext', 'ports', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle',
    ];
    const scFields = [
      'privileged', 'procMount', 'capabilities', 'seLinuxOptions', 'seccompProfile', 'appArmorProfile', 'windowsOptions',
      'allowPrivilegeEscalation', 'runAsNonRoot', 'runAsUser', 'sysctls',
    ];
    const inputs: PssPodInput[] = [];
    for (const value of junk) {
      for (const field of fields) inputs.push(pod({ [field]: value }, { annotations: value }));
      for (const field of containerFields) inputs.push(pod(containers({ [field]: value })));
      for (const field of scFields) {
        inputs.push(pod({ securityContext: { [field]: value }, ...containers(ctr('a', { [field]: value })) }));
        inputs.push(pod(containers(ctr('a', { [field]: { type: value, add: value, drop: value, hostProcess: value, user: value } }))));
      }
      inputs.push(pod({ volumes: [value, { name: value, hostPath: value }], ...containers(ctr('a', undefined, { ports: [value, { hostPort: value, containerPort: value }] })) }));
      inputs.push(pod({ securityContext: { sysctls: [value, { name: value }] }, ...containers(ctr('a', undefined, { livenessProbe: { httpGet: value, tcpSocket: { host: value } } })) }));
      inputs.push(pod(containers(ctr('a')), { annotations: { 'seccomp.security.alpha.kubernetes.io/pod': value, 'container.apparmor.security.beta.kubernetes.io/a': value } }));
    }
    for (const input of inputs) {
      for (const level of ['baseline', 'restricted'] as const) {
        for (const minor of [0, 8, 18, 19, 22, 23, 25, 31, 34, 35, PSS_LATEST_MINOR]) {
          expect(() => evaluatePodSecurity(input, { level, version: `v1.${minor}` })).not.toThrow();
        }
      }
    }
  });

  it('reads wrong types as PSA would read absent fields', () => {
    // A securityContext that is not an object is absent: the restricted requirements are unmet.
    const stringSc = pod({ securityContext: 'x', ...containers(ctr('a', 'runAsNonRoot: true')) });
    expect(failing(stringSc, 'restricted', 'latest')).toEqual(['allowPrivilegeEscalation', 'capabilities_restricted', 'runAsNonRoot', 'seccompProfile_restricted']);
    // Strings are not numbers or booleans.
    expect(run('hostPorts', pod(containers(ctr('a', undefined, { ports: [{ containerPort: 80, hostPort: '80' }] }))))).toBeUndefined();
    expect(run('runAsUser', pod({ securityContext: { runAsUser: '0' }, ...containers(ctr('a')) }))).toBeUndefined();
    expect(run('privileged', pod(containers(ctr('a', { privileged: 'true' }))))).toBeUndefined();
    expect(message('allowPrivilegeEscalation', pod(containers(ctr('a', { allowPrivilegeEscalation: 'false' }))))).toEqual([
      'allowPrivilegeEscalation != false',
      'container "a" must set securityContext.allowPrivilegeEscalation=false',
    ]);
    // A present profile with a missing or odd type reads as type "".
    expect(message('seccompProfile_baseline', pod({ securityContext: { seccompProfile: { type: 5 } }, ...containers(ctr('a')) }))).toEqual([
      'seccompProfile',
      'pod must not set securityContext.seccompProfile.type to ""',
    ]);
    // Non-object containers are skipped; a null annotation value decodes to "".
    expect(message('privileged', pod({ containers: [null, 'x', ctr('b', { privileged: true })] }))).toEqual([
      'privileged',
      'container "b" must not set securityContext.privileged=true',
    ]);
    expect(message('seccompProfile_baseline', pod(containers(ctr('a')), { annotations: { 'seccomp.security.alpha.kubernetes.io/pod': null } }), 10)).toEqual([
      'seccompProfile',
      'forbidden annotation seccomp.security.alpha.kubernetes.io/pod=""',
    ]);
  });
});
