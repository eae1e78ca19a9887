import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixSources } from '../src/fix/apply.js';
import { RULES, scanObjects, scanTexts } from '../src/index.js';
import { MAX_WRONG_TYPES, wrongTypes } from '../src/k8s/field-types.js';
import type { JsonObject } from '../src/types.js';
import { tempDirs } from './helpers/files.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const tmp = tempDirs('mamori-field-types-');

/** The wrong-type errors of one text, as `line:column message` (the tail after the object's name). */
function errorsOf(text: string, file = 'in.yaml'): string[] {
  const report = scanTexts([{ file, text }], { rules: [] });
  return report.errors.map((e) => {
    expect(e.code).toBe('wrong-type');
    expect(e.file).toBe(file);
    return `${e.line ?? '-'}:${e.column ?? '-'} ${e.message}`;
  });
}

const TAIL = "; the API server refuses the object, and mamori's checks read the field as unset";

describe('fields of the wrong type', () => {
  it('names the key, its line and the types, for the mistakes kubectl users make', () => {
    const text = [
      'apiVersion: apps/v1', // 1
      'kind: Deployment',
      'metadata:',
      '  name: web',
      '  namespace: shop', // 5
      '  labels:',
      '    version: 1.0', // a number: labels are strings
      'spec:',
      '  replicas: "2"',
      '  template:', // 10
      '    spec:',
      '      hostNetwork: "false"',
      '      containers:',
      '      - name: app',
      '        image: nginx:1.25', // 15
      '        env:',
      '        - name: DEBUG',
      '          value: yes', // YAML 1.1, as kubectl reads it: a boolean
      '        securityContext:',
      '          privileged: "true"', // 20
      '          runAsUser: "0"',
      '          capabilities:',
      '            drop: ALL',
      '        resources:',
      '          limits: {cpu: 1.5, memory: true}', // 25
      '        ports:',
      '        - containerPort: 80.5',
      '        livenessProbe:',
      '          httpGet: {port: 8080.5, path: /}',
      '',
    ].join('\n');
    expect(errorsOf(text)).toEqual([
      `7:5 Deployment shop/web: metadata.labels.version must be a string, not a number${TAIL}`,
      `9:3 Deployment shop/web: spec.replicas must be an integer, not a string${TAIL}`,
      `12:7 Deployment shop/web: spec.template.spec.hostNetwork must be a boolean, not a string${TAIL}`,
      `18:11 Deployment shop/web: spec.template.spec.containers[0].env[0].value must be a string, not a boolean${TAIL}`,
      `20:11 Deployment shop/web: spec.template.spec.containers[0].securityContext.privileged must be a boolean, not a string${TAIL}`,
      `21:11 Deployment shop/web: spec.template.spec.containers[0].securityContext.runAsUser must be an integer, not a string${TAIL}`,
      `23:13 Deployment shop/web: spec.template.spec.containers[0].securityContext.capabilities.drop must be a list, not a string${TAIL}`,
      `25:30 Deployment shop/web: spec.template.spec.containers[0].resources.limits.memory must be a quantity (a string or a number), not a boolean${TAIL}`,
      `27:11 Deployment shop/web: spec.template.spec.containers[0].ports[0].containerPort must be an integer, not a number${TAIL}`,
      `29:21 Deployment shop/web: spec.template.spec.containers[0].livenessProbe.httpGet.port must be an integer or a string, not a number${TAIL}`,
    ]);
  });

  it('refuses an integer the API server cannot decode (past int64), and accepts the largest it can', () => {
    const pod = (uid: string): string => `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  securityContext: {runAsUser: ${uid}}\n  containers: [{name: c, image: "nginx:1"}]\n`;
    expect(errorsOf(pod('99999999999999999999'))).toEqual([`5:21 Pod p: spec.securityContext.runAsUser must be an integer, not a number past the int64 range${TAIL}`]);
    expect(errorsOf(pod('-99999999999999999999'))).toHaveLength(1);
    expect(errorsOf(pod('9007199254740993'))).toEqual([]);
    expect(errorsOf(pod('9223372036854775807'))).toEqual([]);
    expect(errorsOf(pod('-9223372036854775808'))).toEqual([]);
    expect(errorsOf(pod('9223372036854777856'))).toHaveLength(1); // the next number after 2^63
  });

  it('accepts every valid spelling: nulls, quantities as numbers, ports by name, YAML 1.1 booleans where booleans go', () => {
    const text = [
      'apiVersion: v1',
      'kind: Pod',
      'metadata: {name: ok, labels: {app: web, tier: "1"}, annotations: null}',
      'spec:',
      '  hostPID: no',
      '  securityContext: {runAsUser: 1000, fsGroup: 2000, supplementalGroups: [3000], sysctls: null}',
      '  containers:',
      '  - name: app',
      '    image: registry.example.com/app:1.0',
      '    command: null',
      '    resources: {limits: {cpu: 0.5, memory: 128Mi}, requests: {cpu: "250m"}}',
      '    ports: [{containerPort: 8080, name: http}]',
      '    readinessProbe: {httpGet: {port: http}, periodSeconds: 10}',
      '    livenessProbe: {tcpSocket: {port: 8080}}',
      '    securityContext: {privileged: false, allowPrivilegeEscalation: off, capabilities: {drop: [ALL]}}',
      '    somethingNewer: {any: [1, true]}', // unknown fields are not checked
      '  volumes: [{name: tmp, emptyDir: {sizeLimit: 1Gi}}, {name: cache, emptyDir: {}}]',
      '',
    ].join('\n');
    expect(errorsOf(text)).toEqual([]);
  });

  it('checks lists, maps and objects for their own type, RBAC, network and service fields included', () => {
    const text = [
      'apiVersion: rbac.authorization.k8s.io/v1',
      'kind: ClusterRole',
      'metadata: {name: reader}',
      'rules:',
      '- apiGroups: [""]',
      '  resources: pods', // a string, not a list
      '  verbs: [get, 1]',
      '---',
      'apiVersion: networking.k8s.io/v1',
      'kind: NetworkPolicy',
      'metadata: {name: np, namespace: shop}',
      'spec:',
      '  podSelector: []',
      '  ingress:',
      '  - from: {podSelector: {}}',
      '---',
      'apiVersion: v1',
      'kind: Service',
      'metadata: {name: svc, namespace: shop}',
      'spec: {type: LoadBalancer, loadBalancerSourceRanges: 10.0.0.0/8, ports: [{port: "443", targetPort: https}]}',
      '---',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: cm, namespace: shop}',
      'data: {enabled: true, retries: 3, name: fine}',
      '',
    ].join('\n');
    const found = errorsOf(text).map((e) => e.replace(TAIL, ''));
    expect(found).toEqual([
      '6:3 ClusterRole reader: rules[0].resources must be a list, not a string',
      '7:16 ClusterRole reader: rules[0].verbs[1] must be a string, not a number',
      '13:3 NetworkPolicy shop/np: spec.podSelector must be a mapping, not a list',
      '15:5 NetworkPolicy shop/np: spec.ingress[0].from must be a list, not a mapping',
      '20:28 Service shop/svc: spec.loadBalancerSourceRanges must be a list, not a string',
      '20:75 Service shop/svc: spec.ports[0].port must be an integer, not a string',
      '25:8 ConfigMap shop/cm: data.enabled must be a string, not a boolean',
      '25:23 ConfigMap shop/cm: data.retries must be a string, not a number',
    ]);
  });

  it('never prints the value of a wrong field (it may be a secret)', () => {
    const text = 'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  password: 8675309424242\n';
    const [error] = errorsOf(text);
    expect(error).toBe(`5:3 Secret s: stringData.password must be a string, not a number${TAIL}`);
    expect(error).not.toContain('8675309424242');
  });

  it('leaves objects of other API groups alone, and objects already decoded (admission, clusters)', () => {
    const crd = 'apiVersion: example.com/v1\nkind: Pod\nmetadata: {name: custom}\nspec: {containers: 5}\n';
    expect(errorsOf(crd)).toEqual([]);
    const decoded: JsonObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: 5 } };
    expect(scanObjects([decoded], { rules: [] }).errors).toEqual([]);
    expect(wrongTypes(decoded, 'v1', 'Pod')?.wrong).toEqual([{ path: ['spec', 'containers'], expected: 'a list', found: 'a number' }]);
  });

  it('lists at most MAX_WRONG_TYPES fields of one object and counts the rest', () => {
    let text = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: many}\ndata:\n';
    for (let i = 0; i < 1_000; i++) text += `  k${i}: ${i}\n`;
    const errors = errorsOf(text);
    expect(errors).toHaveLength(MAX_WRONG_TYPES + 1);
    // Errors are reported by line: the count, on the object's first line, comes first.
    expect(errors[0]).toBe(`1:- ConfigMap many: ${1_000 - MAX_WRONG_TYPES} more fields of the wrong type`);
    expect(errors[1]).toBe(`5:3 ConfigMap many: data.k0 must be a string, not a number${TAIL}`);
    expect(errors[MAX_WRONG_TYPES]).toBe(`${4 + MAX_WRONG_TYPES}:3 ConfigMap many: data.k${MAX_WRONG_TYPES - 1} must be a string, not a number${TAIL}`);
  });

  it('still checks the object with the field read as unset, and the other objects of the file', () => {
    const text = [
      'apiVersion: v1',
      'kind: Pod',
      'metadata: {name: broken}',
      'spec:',
      '  containers:',
      '  - name: app',
      '    image: nginx:1.25',
      '    securityContext: {privileged: "true", allowPrivilegeEscalation: false}',
      '---',
      'apiVersion: v1',
      'kind: Pod',
      'metadata: {name: fine}',
      'spec: {containers: [{name: app, image: "nginx:1.25", securityContext: {privileged: true}}]}',
      '',
    ].join('\n');
    const report = scanTexts([{ file: 'pods.yaml', text }], { rules: RULES.filter((r) => r.id === 'pss-privileged' || r.id === 'pss-allow-privilege-escalation') });
    expect(report.errors.map((e) => [e.code, e.line])).toEqual([['wrong-type', 8]]);
    expect(report.findings.map((f) => `${f.object.name} ${f.ruleId}`).sort()).toEqual(['fine pss-allow-privilege-escalation', 'fine pss-privileged']);
  });

  it('does not keep `mamori fix` from editing the file', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    version: 1.0\nspec:\n  containers:\n  - name: app\n    image: nginx:1.25\n    securityContext:\n      allowPrivilegeEscalation: true\n';
    const run = fixSources([{ file: 'pod.yaml', text }], { rules: RULES.filter((r) => r.id === 'pss-allow-privilege-escalation') });
    expect(run.initial.errors.map((e) => [e.code, e.line])).toEqual([['wrong-type', 6]]);
    expect(run.failed).toEqual([]);
    expect(run.files[0]?.after).toBe(text.replace('allowPrivilegeEscalation: true', 'allowPrivilegeEscalation: false'));
  });

  it('exits 2 from the CLI and names the file, line and key', () => {
    const dir = tmp();
    const broken = join(dir, 'broken.yaml');
    const good = join(dir, 'good.yaml');
    writeFileSync(broken, 'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers: {name: app, image: nginx}\n');
    writeFileSync(good, 'apiVersion: v1\nkind: Pod\nmetadata: {name: q, namespace: shop}\nspec:\n  containers: [{name: app, image: "nginx:1.25", securityContext: {privileged: true}}]\n');
    const run = spawnSync(process.execPath, [join(ROOT, 'bin', 'mamori.js'), 'scan', dir, '--format', 'json'], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(2);
    const report = JSON.parse(run.stdout) as { errors: { file: string; line: number; message: string; code: string }[]; findings: { ruleId: string; object: { name: string } }[] };
    expect(report.errors).toEqual([
      { file: broken, line: 5, column: 3, code: 'wrong-type', message: `Pod shop/p: spec.containers must be a list, not a mapping${TAIL}` },
    ]);
    expect(report.findings.some((f) => f.ruleId === 'pss-privileged' && f.object.name === 'q')).toBe(true);
  });
});
