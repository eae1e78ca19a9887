/**
 * `mamori fix` never produces what the API server rejects or what the user said to keep, and
 * writes only where the user pointed it: Bidirectional mounts, container exceptions, bound
 * ServiceAccounts, seccomp annotations, symbolic links, streams, diff headers and indentation.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureStdio } from './capture.js';
import { runFix } from '../src/cli/fix.js';
import { knownRules, parseConfig } from '../src/engine/config.js';
import type { Rule } from '../src/engine/rule.js';
import { fixSources } from '../src/fix/apply.js';
import { diffName } from '../src/fix/paths.js';
import { editDocument } from '../src/fix/yaml-edit.js';
import { RULES } from '../src/rules/index.js';
import type { JsonValue } from '../src/types.js';

const rule = (id: string): Rule => {
  const found = RULES.find((r) => r.id === id);
  if (found === undefined) throw new Error(`no rule ${id}`);
  return found;
};

const run = (text: string, ids: string[], pss = 'restricted:latest', exceptions?: unknown[]) => {
  const config = exceptions === undefined ? undefined : parseConfig({ exceptions }, '.mamori.yaml', knownRules(RULES));
  return fixSources([{ file: 'x.yaml', text }], { rules: ids.map(rule), pss, ...(config === undefined ? {} : { config }) });
};

describe('Bidirectional mount propagation', () => {
  const driver = `  - name: driver
    image: csi:1
    securityContext:
      privileged: true
    volumeMounts:
    - name: pods
      mountPath: /var/lib/kubelet
      mountPropagation: Bidirectional
`;
  const pod = (containers: string): string => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: csi\nspec:\n  containers:\n${containers}  volumes:\n  - name: pods\n    hostPath:\n      path: /var/lib/kubelet\n`;

  it('keeps privileged on a container with a Bidirectional mount, which the API server allows only there', () => {
    const text = pod(driver);
    const result = run(text, ['pss-privileged'], 'baseline');
    expect(result.initial.findings.map((f) => [f.ruleId, f.fix])).toEqual([['pss-privileged', undefined]]);
    expect(result.files[0]?.after).toBe(text);
  });

  it('fixes the other privileged containers of the pod', () => {
    const helper = '  - name: helper\n    image: helper:1\n    securityContext:\n      privileged: true\n';
    const result = run(pod(driver + helper), ['pss-privileged'], 'baseline');
    expect(result.files[0]?.after).toBe(pod(driver + helper.replace('privileged: true', 'privileged: false')));
    expect(result.final.findings.map((f) => [f.message, f.fix])).toEqual([['privileged (container "driver" must not set securityContext.privileged=true)', undefined]]);
  });

  it('gives allowPrivilegeEscalation: false to the containers beside it, which can take it', () => {
    const helper = '  - name: helper\n    image: helper:1\n';
    const result = run(pod(driver + helper), ['pss-privileged', 'pss-allow-privilege-escalation']);
    expect(result.files[0]?.after).toBe(pod(`${driver}${helper}    securityContext:\n      allowPrivilegeEscalation: false\n`));
    expect(result.final.findings.map((f) => [f.ruleId, f.fix])).toEqual([
      ['pss-allow-privilege-escalation', undefined],
      ['pss-privileged', undefined],
    ]);
  });
});

describe('exceptions that name a container', () => {
  const deployment = (containers: string): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
  namespace: shop
spec:
  selector:
    matchLabels: {app: shop}
  template:
    metadata:
      labels: {app: shop}
    spec:
${containers}`;
  const istio = `      initContainers:
      - name: istio-init
        image: docker.io/istio/proxyv2:1.22.0
        securityContext:
          capabilities:
            add: [NET_ADMIN, NET_RAW]
            drop: [ALL]
      containers:
      - name: app
        image: registry.example.com/shop:1.0
`;

  it('leave the excepted container as it is and fix the others; the exception then suppresses what is left', () => {
    const exceptions = [{ rule: 'pss-capabilities-restricted', namespace: 'shop', container: 'istio-init', reason: 'programs iptables' }];
    const result = run(deployment(istio), ['pss-capabilities-restricted'], 'restricted', exceptions);
    expect(result.files[0]?.after).toBe(deployment(`${istio}        securityContext:\n          capabilities:\n            drop:\n            - ALL\n`));
    expect(result.failed).toEqual([]);
    expect(result.final.findings).toEqual([]);
    expect(result.final.suppressed.map((f) => f.ruleId)).toEqual(['pss-capabilities-restricted']);
    expect(result.final.exceptions?.map((e) => e.status)).toEqual(['active']);
  });

  it('pss-privileged: only the container the exception does not name', () => {
    const two = '      containers:\n      - name: exporter\n        image: exporter:1\n        securityContext:\n          privileged: true\n      - name: side\n        image: busybox:1.36\n        securityContext:\n          privileged: true\n';
    const exceptions = [{ rule: 'pss-privileged', container: 'exporter', reason: 'reads the host devices' }];
    const result = run(deployment(two), ['pss-privileged'], 'baseline', exceptions);
    expect(result.files[0]?.after).toBe(deployment(two.replace(/privileged: true\n$/, 'privileged: false\n')));
    expect(result.final.findings).toEqual([]);
  });

  it('withhold a pod-level setting the excepted container would inherit, and say why', () => {
    const two = '      containers:\n      - name: legacy\n        image: legacy:1\n      - name: app\n        image: app:1\n';
    const exceptions = [{ rule: 'pss-seccomp-profile-restricted', container: 'legacy', reason: 'needs ptrace' }];
    const result = run(deployment(two), ['pss-seccomp-profile-restricted'], 'restricted', exceptions);
    expect(result.files[0]?.after).toBe(deployment(two));
    expect(result.failed.map((f) => f.reason)).toEqual(['an exception of the configuration accepts it in container "legacy", which the fix would change']);
    // A container that sets its own profile does not inherit the pod's: the pod-level fix goes ahead.
    const own = two.replace('image: legacy:1\n', 'image: legacy:1\n        securityContext:\n          seccompProfile:\n            type: Localhost\n            localhostProfile: ptrace.json\n');
    const fixed = run(deployment(own), ['pss-seccomp-profile-restricted'], 'restricted', exceptions);
    expect(fixed.files[0]?.after).toBe(deployment(`${own}      securityContext:\n        seccompProfile:\n          type: RuntimeDefault\n`));
  });

  it('keep a pod-level value the excepted container inherits by writing it on that container, then fix the pod', () => {
    const two = '      securityContext:\n        seccompProfile:\n          type: Unconfined\n      containers:\n      - name: app\n        image: app:1\n      - name: debug\n        image: debug:1\n';
    const exceptions = [{ rule: 'pss-seccomp-profile-*', container: 'debug', reason: 'strace needs unconfined' }];
    const result = run(deployment(two), ['pss-seccomp-profile-restricted'], 'restricted', exceptions);
    expect(result.files[0]?.after).toBe(
      deployment('      securityContext:\n        seccompProfile:\n          type: RuntimeDefault\n      containers:\n      - name: app\n        image: app:1\n      - name: debug\n        image: debug:1\n        securityContext:\n          seccompProfile:\n            type: Unconfined\n'),
    );
    expect(result.failed).toEqual([]);
    // What is left is the excepted container's own setting, which the exception suppresses.
    expect(result.final.findings).toEqual([]);
    expect(result.final.suppressed.map((f) => f.ruleId)).toEqual(['pss-seccomp-profile-restricted']);
    expect(result.final.exceptions?.map((e) => e.status)).toEqual(['active']);
  });
});

describe('the API token of a bound ServiceAccount', () => {
  const binding = (subject: string, namespace = 'shop'): string =>
    `apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: b\n  namespace: ${namespace}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: view\nsubjects:\n- ${subject}\n---\n`;
  const deployment = (account?: string): string =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: dash\n  namespace: shop\nspec:\n  selector:\n    matchLabels: {app: d}\n  template:\n    metadata:\n      labels: {app: d}\n    spec:\n${account === undefined ? '' : `      serviceAccountName: ${account}\n`}      containers:\n      - name: d\n        image: registry.example.com/dash:1.0\n`;
  const ids = ['automount-service-account-token', 'default-service-account'];

  it('stays on a workload whose ServiceAccount a binding names as a user or through its groups', () => {
    for (const subject of [
      'kind: User\n  apiGroup: rbac.authorization.k8s.io\n  name: system:serviceaccount:shop:operator',
      'kind: Group\n  apiGroup: rbac.authorization.k8s.io\n  name: system:serviceaccounts:shop',
      'kind: ServiceAccount\n  name: operator\n  namespace: shop',
    ]) {
      const text = binding(subject) + deployment('operator');
      const result = run(text, ids);
      expect(result.initial.findings, subject).toEqual([]);
      expect(result.files[0]?.after).toBe(text);
    }
    // Another namespace's group, or another account's user, grants this one nothing; a grant to
    // every ServiceAccount of the cluster (PodSecurityPolicy use, discovery) says nothing of this one.
    for (const subject of ['kind: Group\n  name: system:serviceaccounts:other', 'kind: User\n  name: system:serviceaccount:shop:other', 'kind: Group\n  name: system:serviceaccounts']) {
      const result = run(binding(subject) + deployment('operator'), ids);
      expect(result.fixed.map((f) => f.ruleId), subject).toEqual(['automount-service-account-token']);
    }
  });

  it('stays on a workload of the default ServiceAccount when a binding grants it something; the finding says so', () => {
    const text = binding('kind: ServiceAccount\n  name: default\n  namespace: shop') + deployment();
    const result = run(text, ids);
    expect(result.files[0]?.after).toBe(text);
    expect(result.final.findings.map((f) => [f.ruleId, f.message, f.fix])).toEqual([
      [
        'default-service-account',
        'pod runs as the "default" ServiceAccount of namespace "shop" (no serviceAccountName) and its token is auto-mounted; a RoleBinding or ClusterRoleBinding of the input grants that ServiceAccount something',
        undefined,
      ],
    ]);
  });

  it('is turned off where nothing grants the default ServiceAccount anything, which clears both findings', () => {
    const result = run(deployment(), ids);
    expect(result.files[0]?.after).toBe(`${deployment()}      automountServiceAccountToken: false\n`);
    expect(result.fixed.map((f) => f.ruleId).sort()).toEqual(ids);
    expect(result.final.findings).toEqual([]);
  });
});

describe('seccomp annotations and fields stay in agreement', () => {
  const template = (annotation: string): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
spec:
  selector:
    matchLabels: {app: d}
  template:
    metadata:
      labels: {app: d}
      annotations:
        seccomp.security.alpha.kubernetes.io/pod: ${annotation}
    spec:
      containers:
      - name: a
        image: nginx:1.25
`;
  const both = (pod: string, container: string, podType: string, containerType: string): string => `apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    seccomp.security.alpha.kubernetes.io/pod: ${pod}
    container.seccomp.security.alpha.kubernetes.io/a: ${container}
spec:
  securityContext:
    seccompProfile:
      type: ${podType}
  containers:
  - name: a
    image: nginx:1.25
    securityContext:
      seccompProfile:
        type: ${containerType}
`;

  it('restricted: a pod-level profile added under an unconfined annotation turns the annotation to runtime/default', () => {
    const result = run(template('unconfined'), ['pss-seccomp-profile-restricted']);
    expect(result.files[0]?.after).toBe(`${template('runtime/default')}      securityContext:\n        seccompProfile:\n          type: RuntimeDefault\n`);
  });

  it('restricted: a pod-level profile added under a localhost annotation is that Localhost profile', () => {
    const result = run(template('localhost/profiles/audit.json'), ['pss-seccomp-profile-restricted']);
    expect(result.files[0]?.after).toBe(`${template('localhost/profiles/audit.json')}      securityContext:\n        seccompProfile:\n          type: Localhost\n          localhostProfile: profiles/audit.json\n`);
    expect(result.final.findings).toEqual([]);
  });

  it.each([['baseline'], ['baseline:v1.18'], ['restricted']])('%s: fields and annotations set both unconfined both change', (pss) => {
    const ids = ['pss-seccomp-profile-baseline', 'pss-seccomp-profile-restricted'];
    const result = run(both('unconfined', 'unconfined', 'Unconfined', 'Unconfined'), ids, pss);
    expect(result.files[0]?.after).toBe(both('runtime/default', 'runtime/default', 'RuntimeDefault', 'RuntimeDefault'));
  });

  it('leaves an annotation that already agrees (docker/default names RuntimeDefault too)', () => {
    const ids = ['pss-seccomp-profile-baseline'];
    const result = run(both('docker/default', 'unconfined', 'Unconfined', 'Unconfined'), ids, 'baseline');
    expect(result.files[0]?.after).toBe(both('docker/default', 'runtime/default', 'RuntimeDefault', 'RuntimeDefault'));
  });
});

describe('mamori fix on files', () => {
  const io = captureStdio();
  let root = '';
  const cwd = process.cwd();
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'mamori-fix-safety-'));
  });
  afterEach(() => {
    process.chdir(cwd);
    rmSync(root, { recursive: true, force: true });
  });
  const privileged = (name: string): string => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n  - name: a\n    image: nginx:1.25\n    securityContext:\n      privileged: true\n`;

  it('never writes through a symbolic link, to a directory or to a file', async () => {
    mkdirSync(join(root, 'repo'));
    mkdirSync(join(root, 'outside'));
    writeFileSync(join(root, 'repo', 'in.yaml'), privileged('in'));
    writeFileSync(join(root, 'outside', 'ext.yaml'), privileged('ext'));
    writeFileSync(join(root, 'outside', 'other.yaml'), privileged('other'));
    symlinkSync('../outside', join(root, 'repo', 'dirlink'));
    symlinkSync('../outside/other.yaml', join(root, 'repo', 'link.yaml'));
    process.chdir(join(root, 'repo'));
    expect(await runFix(['.'], { write: true, rules: ['pss-privileged'] })).toBe(0);
    expect(io.out).toBe(
      'mamori fix: fixed 1 finding in 1 file\n' +
        '  not fixed: dirlink/ext.yaml:10: pss-privileged: not edited: it is reached through the symbolic link dirlink: fix the file the link points to, named by its own path\n' +
        '  not fixed: dirlink/other.yaml:10: pss-privileged: not edited: it is reached through the symbolic link dirlink: fix the file the link points to, named by its own path\n',
    );
    expect(readFileSync(join(root, 'repo', 'in.yaml'), 'utf8')).toBe(privileged('in').replace('true', 'false'));
    expect(readFileSync(join(root, 'outside', 'ext.yaml'), 'utf8')).toBe(privileged('ext'));
    // The walk reached other.yaml through dirlink first; named through its own link, it is refused too.
    io.out = '';
    expect(await runFix(['link.yaml'], { write: false, rules: ['pss-privileged'] })).toBe(0);
    expect(io.out).toBe('');
    expect(io.err).toContain('not fixed: link.yaml:10: pss-privileged: not edited: it is reached through the symbolic link link.yaml');
    expect(readFileSync(join(root, 'outside', 'other.yaml'), 'utf8')).toBe(privileged('other'));
  });

  it('refuses standard input, pipes and devices: they cannot be edited', async () => {
    await expect(runFix(['/dev/stdin'], { write: false })).rejects.toThrow('mamori fix edits files: /dev/stdin is not a regular file');
    execFileSync('mkfifo', [join(root, 'pipe.yaml')]);
    await expect(runFix([join(root, 'pipe.yaml')], { write: true })).rejects.toThrow(/pipe\.yaml is not a regular file/);
    expect(io.out).toBe('');
  });

  it('locates what is left in the files as they are on disk, not in the diff mode fixed text', async () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: nginx:1.25\n  - name: b\n    image: nginx:1.25\n';
    writeFileSync(join(root, 'p.yaml'), text);
    process.chdir(root);
    expect(await runFix(['p.yaml'], { write: false, rules: ['pss-*', 'writable-root-filesystem'] })).toBe(1);
    // Fixing inserts lines below container "a": container "b" moves down in the fixed text only.
    expect(io.err).toContain('  p.yaml:7: writable-root-filesystem: container "a" does not set securityContext.readOnlyRootFilesystem to true\n  p.yaml:9: writable-root-filesystem: container "b"');
  });

  it('quotes a directory to cd into for the shell, and escapes line breaks of file names in the summary', async () => {
    mkdirSync(join(root, 'my dir'));
    mkdirSync(join(root, 'b'));
    writeFileSync(join(root, 'my dir', 'new\nline.yaml'), privileged('p'));
    process.chdir(join(root, 'b'));
    expect(await runFix(['../my dir'], { write: false, rules: ['pss-privileged', 'writable-root-filesystem'] })).toBe(1);
    expect(io.err).toContain("mamori fix: the diff names files from ../my dir: apply it there (cd '../my dir' && git apply)\n");
    expect(io.err).toContain('new\\x0aline.yaml:');
    expect(io.err.split('\n').some((line) => line.startsWith('line.yaml'))).toBe(false);
  });

  it('writes diff headers that git apply and patch -p1 accept: names with spaces, files outside the working directory', async () => {
    mkdirSync(join(root, 'a'));
    mkdirSync(join(root, 'b'));
    writeFileSync(join(root, 'a', 'my pod.yaml'), privileged('p'));
    const check = (dir: string, diff: string): void => {
      writeFileSync(join(root, 'x.diff'), diff);
      spawnSync('git', ['init', '-q', '.'], { cwd: dir });
      const git = spawnSync('git', ['apply', '--check', join(root, 'x.diff')], { cwd: dir, encoding: 'utf8' });
      expect(git.stderr).toBe('');
      expect(git.status).toBe(0);
      const patch = spawnSync('patch', ['-p1', '--dry-run', '-i', join(root, 'x.diff')], { cwd: dir, encoding: 'utf8' });
      expect(patch.stdout).toBe("checking file 'my pod.yaml'\n".replace('my pod.yaml', dir === root ? 'a/my pod.yaml' : 'my pod.yaml'));
      expect(patch.status).toBe(0);
    };
    process.chdir(join(root, 'b'));
    expect(await runFix(['../a'], { write: false, rules: ['pss-privileged'] })).toBe(1);
    expect(io.out.split('\n').slice(0, 2)).toEqual(['--- a/my pod.yaml\t', '+++ b/my pod.yaml\t']);
    expect(io.err).toContain('mamori fix: the diff names files from ../a: apply it there (cd ../a && git apply)\n');
    check(join(root, 'a'), io.out);
    io.out = '';
    process.chdir(root);
    expect(await runFix(['a'], { write: false, rules: ['pss-privileged'] })).toBe(1);
    expect(io.out.split('\n').slice(0, 2)).toEqual(['--- a/a/my pod.yaml\t', '+++ b/a/my pod.yaml\t']);
    check(root, io.out);
  });

  it('quotes names as git does', () => {
    expect(diffName('a/', 'plain.yaml')).toBe('a/plain.yaml');
    expect(diffName('a/', 'x\ty"\\\u0001.yaml')).toBe('"a/x\\ty\\"\\\\\\001.yaml"');
  });
});

describe('JSON indented with TABs', () => {
  it('gets new members indented with TABs, as their siblings', () => {
    const text = '{\n\t"apiVersion": "v1",\n\t"kind": "Pod",\n\t"metadata": {"name": "p"},\n\t"spec": {\n\t\t"containers": [\n\t\t\t{"name": "a", "image": "nginx:1.25"}\n\t\t]\n\t}\n}\n';
    const before = JSON.parse(text) as { spec: Record<string, JsonValue> };
    const after = structuredClone(before);
    after.spec['automountServiceAccountToken'] = false;
    after.spec['securityContext'] = { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };
    expect(editDocument(text, before as unknown as JsonValue, after as unknown as JsonValue)).toBe(
      '{\n\t"apiVersion": "v1",\n\t"kind": "Pod",\n\t"metadata": {"name": "p"},\n\t"spec": {\n\t\t"containers": [\n\t\t\t{"name": "a", "image": "nginx:1.25"}\n\t\t],\n' +
        '\t\t"automountServiceAccountToken": false,\n\t\t"securityContext": {\n\t\t\t"runAsNonRoot": true,\n\t\t\t"seccompProfile": {\n\t\t\t\t"type": "RuntimeDefault"\n\t\t\t}\n\t\t}\n\t}\n}\n',
    );
  });
});

describe('fields of the wrong type', () => {
  const io = captureStdio();
  const cwd = process.cwd();
  afterEach(() => process.chdir(cwd));
  const ids = ['pss-run-as-non-root', 'pss-allow-privilege-escalation', 'pss-capabilities-restricted', 'pss-seccomp-profile-restricted', 'automount-service-account-token'];
  const text = 'apiVersion: v1\nkind: Pod\nmetadata: {name: wrongtype}\nspec:\n  securityContext: [x]\n  containers:\n  - name: a\n    image: nginx:1.25\n    securityContext: "string"\n';
  const wrong = (field: string, is: string, not: string): string => `not edited: ${field} is ${is}, not ${not}, and the fix would replace what it holds; correct the field by hand`;

  it('leaves them as they are, and fixes what does not cross them', () => {
    const result = run(text, ids);
    expect(result.files[0]?.after).toBe(`${text}  automountServiceAccountToken: false\n`);
    expect(result.failed.map((f) => [f.finding.ruleId, f.reason])).toEqual([
      ['pss-allow-privilege-escalation', wrong('spec.containers[0].securityContext', 'a string', 'a mapping')],
      ['pss-capabilities-restricted', wrong('spec.containers[0].securityContext', 'a string', 'a mapping')],
      ['pss-run-as-non-root', wrong('spec.securityContext', 'a list', 'a mapping')],
      ['pss-seccomp-profile-restricted', wrong('spec.securityContext', 'a list', 'a mapping')],
    ]);
  });

  it('--write says how many it fixed and names the fields of the others', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mamori-fix-wrong-'));
    try {
      writeFileSync(join(root, 'wrongtype.yaml'), text);
      process.chdir(root);
      // Exit 2: the fields of the wrong type are errors of the input, reported as the scan reports them.
      expect(await runFix(['wrongtype.yaml'], { write: true, rules: ids })).toBe(2);
      expect(io.err).toContain('mamori: wrongtype.yaml:5: Pod wrongtype: spec.securityContext must be a mapping, not a list;');
      expect(readFileSync(join(root, 'wrongtype.yaml'), 'utf8')).toBe(`${text}  automountServiceAccountToken: false\n`);
      expect(io.out).toBe(
        'mamori fix: fixed 1 finding in 1 file\n' +
          `  not fixed: wrongtype.yaml:9: pss-allow-privilege-escalation: ${wrong('spec.containers[0].securityContext', 'a string', 'a mapping')}\n` +
          `  not fixed: wrongtype.yaml:9: pss-capabilities-restricted: ${wrong('spec.containers[0].securityContext', 'a string', 'a mapping')}\n` +
          `  not fixed: wrongtype.yaml:9: pss-run-as-non-root: ${wrong('spec.securityContext', 'a list', 'a mapping')}\n` +
          `  not fixed: wrongtype.yaml:9: pss-seccomp-profile-restricted: ${wrong('spec.securityContext', 'a list', 'a mapping')}\n`,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  const pod = (container: string): string => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: nginx:1.25\n${container}`;

  it('refuses a list where a scalar goes, a scalar where a list goes, and a mapping where a scalar goes', () => {
    const drop = run(pod('    securityContext:\n      capabilities:\n        drop: ALL\n'), ['pss-capabilities-restricted']);
    expect(drop.failed.map((f) => f.reason)).toEqual([wrong('spec.containers[0].securityContext.capabilities.drop', 'a string', 'a list')]);
    const flag = run(pod('    securityContext:\n      allowPrivilegeEscalation: {enabled: true}\n'), ['pss-allow-privilege-escalation']);
    expect(flag.failed.map((f) => f.reason)).toEqual([wrong('spec.containers[0].securityContext.allowPrivilegeEscalation', 'a mapping', 'a boolean')]);
    expect(drop.files[0]?.after).toBe(drop.files[0]?.before);
    expect(flag.files[0]?.after).toBe(flag.files[0]?.before);
  });

  it('still replaces null (an unset field) and a scalar of another type where a scalar goes', () => {
    expect(run(pod('    securityContext: null\n'), ['pss-allow-privilege-escalation']).files[0]?.after).toBe(pod('    securityContext:\n      allowPrivilegeEscalation: false\n'));
    expect(run(pod('    securityContext:\n      allowPrivilegeEscalation: "true"\n'), ['pss-allow-privilege-escalation']).files[0]?.after).toBe(pod('    securityContext:\n      allowPrivilegeEscalation: false\n'));
  });
});

describe('a comment after a value that becomes lines', () => {
  const pod = (container: string): string => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: nginx:1.25\n${container}`;

  it.each([
    ['an empty flow mapping', '    securityContext: {}   # empty\n', '    securityContext:   # empty\n      allowPrivilegeEscalation: false\n'],
    ['an empty value', '    securityContext:   # none yet\n', '    securityContext:   # none yet\n      allowPrivilegeEscalation: false\n'],
    ['a null', '    securityContext: ~  # unset\n', '    securityContext:  # unset\n      allowPrivilegeEscalation: false\n'],
  ])('stays on the line of its key: %s', (_, before, after) => {
    expect(run(pod(before), ['pss-allow-privilege-escalation']).files[0]?.after).toBe(pod(after));
  });

  it('stays on the line of its key for an empty flow list, and with CRLF line ends', () => {
    const drop = run(pod('    securityContext:\n      capabilities:\n        drop: []  # nothing\n'), ['pss-capabilities-restricted']);
    expect(drop.files[0]?.after).toBe(pod('    securityContext:\n      capabilities:\n        drop:  # nothing\n        - ALL\n'));
    const crlf = (text: string): string => text.replace(/\n/g, '\r\n');
    const result = run(crlf(pod('    securityContext: {}  # empty\n')), ['pss-allow-privilege-escalation']);
    expect(result.files[0]?.after).toBe(crlf(pod('    securityContext:  # empty\n      allowPrivilegeEscalation: false\n')));
  });
});
