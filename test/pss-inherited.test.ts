import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyBaseline, readBaseline, writeBaseline } from '../src/engine/baseline.js';
import { knownRules, parseConfig } from '../src/engine/config.js';
import { scanTexts } from '../src/engine/scan.js';
import { RULES } from '../src/rules/index.js';
import { PSS_LATEST_MINOR, runPssCheck, type PssCheckId, type PssResult } from '../src/rules/pss/psa.js';
import type { Finding, JsonObject, JsonValue, Report } from '../src/types.js';

/*
 * Pod Security Admission words some messages after the pod or containers that set a bad value
 * only; containers that inherit a bad pod-level value, or leave unset what the others set badly,
 * fail as well. A finding must point into them, or an exception for one container hides them.
 */

const ctr = (name: string, securityContext?: JsonValue): JsonObject => (securityContext === undefined ? { name, image: 'img' } : { name, image: 'img', securityContext });
const run = (id: PssCheckId, spec: JsonObject, metadata: JsonObject = {}): PssResult | undefined => runPssCheck(id, { kind: 'Pod', metadata, spec }, PSS_LATEST_MINOR);

describe('places of a Pod Security result that its message does not name', () => {
  it('runAsNonRoot: containers that set nothing beside one that sets false', () => {
    const result = run('runAsNonRoot', { containers: [ctr('legacy', { runAsNonRoot: false }), ctr('app'), ctr('ok', { runAsNonRoot: true })] });
    expect(result?.detail).toBe('container "legacy" must not set securityContext.runAsNonRoot=false');
    expect(result?.paths).toEqual([['spec', 'containers', 0, 'securityContext', 'runAsNonRoot']]);
    expect(result?.inherited).toEqual([['spec', 'containers', 1, 'securityContext', 'runAsNonRoot']]);
    // With runAsNonRoot=true for the pod, the containers that set nothing are fine.
    expect(run('runAsNonRoot', { securityContext: { runAsNonRoot: true }, containers: [ctr('legacy', { runAsNonRoot: false }), ctr('app')] })?.inherited).toBeUndefined();
  });

  it('a bad pod-level value reaches the containers that do not set the field themselves', () => {
    const result = run('runAsUser', { securityContext: { runAsUser: 0 }, containers: [ctr('a', { runAsUser: 0 }), ctr('b'), ctr('c', { runAsUser: 1000 }), ctr('d', { runAsUser: null })] });
    expect(result?.detail).toBe('pod and container "a" must not set runAsUser=0');
    expect(result?.inherited).toEqual([
      ['spec', 'containers', 1, 'securityContext', 'runAsUser'],
      ['spec', 'containers', 3, 'securityContext', 'runAsUser'],
    ]);
  });

  it('seLinuxOptions are replaced whole by a container, windowsOptions field by field', () => {
    const selinux = run('seLinuxOptions', { securityContext: { seLinuxOptions: { type: 'spc_t' } }, containers: [ctr('own', { seLinuxOptions: { level: 's0:c1' } }), ctr('inherits')] });
    expect(selinux?.inherited).toEqual([['spec', 'containers', 1, 'securityContext', 'seLinuxOptions', 'type']]);
    const windows = run('windowsHostProcess', {
      securityContext: { windowsOptions: { hostProcess: true } },
      containers: [ctr('user-only', { windowsOptions: { runAsUserName: 'x' } }), ctr('sets', { windowsOptions: { hostProcess: false } })],
    });
    expect(windows?.inherited).toEqual([['spec', 'containers', 0, 'securityContext', 'windowsOptions', 'hostProcess']]);
  });

  it('seccompProfile (restricted): containers without a profile beside one with a bad profile, when the pod sets none', () => {
    const spec = { containers: [ctr('bad', { seccompProfile: { type: 'Unconfined' } }), ctr('none')] };
    const result = run('seccompProfile_restricted', spec);
    expect(result?.detail).toBe('container "bad" must not set securityContext.seccompProfile.type to "Unconfined"');
    expect(result?.inherited).toEqual([['spec', 'containers', 1, 'securityContext', 'seccompProfile', 'type']]);
    // A valid pod-level profile covers them.
    expect(run('seccompProfile_restricted', { ...spec, securityContext: { seccompProfile: { type: 'RuntimeDefault' } } })?.inherited).toBeUndefined();
  });

  it('appArmor: a container\'s annotation points into that container', () => {
    const result = run('appArmorProfile', { containers: [ctr('a', { appArmorProfile: { type: 'Unconfined' } }), ctr('b')] }, { annotations: { 'container.apparmor.security.beta.kubernetes.io/b': 'unconfined' } });
    expect(result?.inherited).toEqual([['spec', 'containers', 1, 'securityContext', 'appArmorProfile', 'type']]);
  });

  it('checks without a pod-level field have no such places', () => {
    expect(run('privileged', { containers: [ctr('a', { privileged: true }), ctr('b')] })?.inherited).toBeUndefined();
  });
});

/** A pod whose container "legacy" sets runAsNonRoot=false and "app" sets nothing. */
const POD = `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
  - name: legacy
    image: registry.example.com/legacy:1.0
    securityContext: {runAsNonRoot: false}
  - name: app
    image: registry.example.com/app:1.0
`;

describe('an exception for one container does not hide the others', () => {
  const scan = (container: string): ReturnType<typeof scanTexts> => {
    const config = parseConfig({ exceptions: [{ rule: 'pss-run-as-non-root', namespace: 'shop', name: 'web', container, reason: 'legacy image runs as root' }] }, '.mamori.yaml', knownRules(RULES));
    return scanTexts([{ file: 'pod.yaml', text: POD }], { rules: RULES.filter((r) => r.id === 'pss-run-as-non-root'), config, now: new Date('2026-06-01T00:00:00Z') });
  };

  it('keeps the finding when the exception names only the container that sets false', () => {
    const report = scan('legacy');
    const finding = report.findings.find((f) => f.ruleId === 'pss-run-as-non-root');
    expect(finding?.message).toBe('runAsNonRoot != true (container "legacy" must not set securityContext.runAsNonRoot=false)');
    expect(finding?.path).toBe('spec.containers[0].securityContext.runAsNonRoot');
    expect(finding?.paths).toEqual(['spec.containers[1].securityContext.runAsNonRoot']);
    expect(report.suppressed).toEqual([]);
    expect(report.findings.find((f) => f.ruleId === 'exception-stale')?.message).toContain('points into container "legacy" and also into "app"');
  });

  it('suppresses it when the exception names both', () => {
    const report = scan('*');
    expect(report.findings.filter((f) => f.ruleId === 'pss-run-as-non-root')).toEqual([]);
    expect(report.suppressed.map((f) => f.ruleId)).toEqual(['pss-run-as-non-root']);
  });
});

describe('a finding lists each place once', () => {
  it('a container that inherits the pod\'s AppArmor profile and has a bad annotation too', () => {
    const POD = `apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
  annotations:
    container.apparmor.security.beta.kubernetes.io/app: unconfined
spec:
  securityContext:
    appArmorProfile: {type: Unconfined}
  containers:
  - name: app
    image: registry.example.com/app:1.0
`;
    const report = scanTexts([{ file: 'pod.yaml', text: POD }], { rules: RULES.filter((r) => r.id === 'pss-apparmor-profile') });
    const finding = report.findings.find((f) => f.ruleId === 'pss-apparmor-profile');
    expect(finding?.path).toBe('spec.securityContext.appArmorProfile.type');
    expect(finding?.paths).toEqual(['metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]', 'spec.containers[0].securityContext.appArmorProfile.type']);
  });
});

describe('baselines written before findings named inheriting containers', () => {
  const scan = (text: string): Report => scanTexts([{ file: 'pod.yaml', text }], { rules: RULES.filter((r) => r.id === 'pss-run-as-non-root') });
  const dir = mkdtempSync(join(tmpdir(), 'mamori-baseline-'));
  /** The baseline an earlier mamori wrote: the finding named only the container that sets false. */
  const earlier = (schemaVersion: number): string => {
    const finding = scan(POD).findings[0] as Finding;
    expect(finding.paths).toEqual(['spec.containers[1].securityContext.runAsNonRoot']);
    const { paths: _, ...before } = finding;
    const file = join(dir, `v${schemaVersion}.json`);
    writeFileSync(file, writeBaseline([before]).replace(/"schemaVersion": \d+/, `"schemaVersion": ${schemaVersion}`));
    return file;
  };

  it('a schemaVersion 2 entry accepts its finding grown by the containers that fail the same field', () => {
    const baseline = readBaseline(earlier(2));
    expect(baseline.version).toBe(2);
    const report = applyBaseline(scan(POD), baseline);
    expect(report.findings).toEqual([]);
    expect(report.baseline).toMatchObject({ matched: 1, fixed: 0 });
  });

  it('a current baseline does not: its entries name every place', () => {
    const report = applyBaseline(scan(POD), readBaseline(earlier(3)));
    expect(report.findings.map((f) => f.ruleId)).toEqual(['pss-run-as-non-root']);
    expect(report.baseline).toMatchObject({ matched: 0, fixed: 1 });
  });

  it('a schemaVersion 2 entry does not accept a finding that no longer names its place', () => {
    // legacy fixed; app still sets nothing: another finding (pod or container "app" must set ...).
    const report = applyBaseline(scan(POD.replace('runAsNonRoot: false', 'runAsNonRoot: true')), readBaseline(earlier(2)));
    expect(report.findings.map((f) => f.message)).toEqual(['runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true)']);
  });
});

describe('integer fields the API server cannot decode read as unset, as the wrong-type error says', () => {
  it.each([['1e30'], ['8080.5']])('hostPort: %s', (value) => {
    const report = scanTexts([{ file: 'pod.yaml', text: `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: x\n    ports: [{containerPort: 80, hostPort: ${value}}]\n` }], { rules: RULES.filter((r) => r.id === 'pss-host-ports') });
    expect(report.findings).toEqual([]);
    expect(report.errors.map((e) => e.message)).toEqual([expect.stringContaining('spec.containers[0].ports[0].hostPort must be an integer')]);
  });
});
