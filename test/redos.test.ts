/**
 * Super-linear regular expressions on hostile input (ReDoS). Each test feeds one pattern that
 * used to backtrack quadratically an input of a few hundred thousand characters (a document is
 * allowed 3 MiB), through the public path that applies it, and checks the result. The old
 * patterns take 15 s to minutes on these inputs; the timeout fails the test if one comes back.
 */
import { describe, expect, it } from 'vitest';
import { knownRules, parseConfig } from '../src/engine/config.js';
import { scanTexts } from '../src/engine/scan.js';
import { notEditable } from '../src/fix/apply.js';
import { nonResourceURLMatches, type PolicyRule } from '../src/k8s/rbac.js';
import { compile, evaluate } from '../src/policy/cel.js';
import { reportName } from '../src/report/policyreport.js';
import { RULES } from '../src/rules/index.js';
import type { Finding, JsonObject, Report } from '../src/types.js';

const TIMEOUT = { timeout: 10_000 };

function scan(objects: readonly JsonObject[], ruleIds: readonly string[]): Report {
  const rules = RULES.filter((r) => ruleIds.includes(r.id));
  expect(rules.map((r) => r.id).sort()).toEqual([...ruleIds].sort());
  const config = parseConfig({ rules: Object.fromEntries(ruleIds.map((id) => [id, 'on'])) }, 'test', knownRules(RULES));
  const text = objects.map((o) => JSON.stringify(o)).join('\n---\n');
  const report = scanTexts([{ file: 'hostile.yaml', text }], { rules, config });
  expect(report.errors).toEqual([]);
  return report;
}

const summary = (findings: readonly Finding[]): string[] => findings.map((f) => `${f.ruleId} ${f.path ?? ''}`);

const SECRET_RULES = ['hardcoded-password', 'hardcoded-credential'];

function configMap(data: Record<string, string>): JsonObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app', namespace: 'shop' }, data };
}

function pod(container: JsonObject, namespace = 'shop'): JsonObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace },
    spec: { containers: [{ name: 'main', image: 'registry.example.com/app:1.0', ...container }] },
  };
}

// {"alg":"HS256","typ":"JWT"} . {"sub":"1234567890","name":"ci"} . signature
const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6ImNpIn0.Zk3JxQ2v8s1TnLwQYbUoR4pE7aHcM9dVgK0iF6uB5yA';
const PEM_BODY = 'MIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBALPB6/HQAZOi81UVY4lslnTg5xQb9ouSpoVESXFDAJMg3kkQi0K2uSMKtCmXGg8Ul';

describe('credential detection (src/k8s/secrets.ts, src/rules/secrets/credentials.ts)', () => {
  it('a value of many credentials, each given its line', TIMEOUT, () => {
    // Counting lines from the start of the value for every hit was quadratic: 60,000 tokens took 14 s.
    const tokens = Array.from({ length: 60_000 }, (_, i) => `ghp_${String(i).padStart(6, '0')}Zq8mTw4vR2xK9pLs3nB7dF5hJ1cQa8Yx`);
    const report = scan([configMap({ 'tokens.txt': tokens.join('\n') })], SECRET_RULES);
    expect(report.findings).toHaveLength(60_000);
    expect(new Set(summary(report.findings))).toEqual(new Set(['hardcoded-credential data["tokens.txt"]']));
    const lines = report.findings.map((f) => Number(/line (\d+)/.exec(f.message)?.[1])).sort((a, b) => a - b);
    expect(lines).toEqual(Array.from({ length: 60_000 }, (_, i) => i + 1));
  });

  it('a value of many `<` without `>` (placeholder words, `<[^>]*>`)', TIMEOUT, () => {
    const report = scan([configMap({ password: '<a'.repeat(200_000) })], SECRET_RULES);
    expect(summary(report.findings)).toEqual(['hardcoded-password data.password']);
  });

  it('a value of a long run of capitals (words of a name, `([A-Z]+)([A-Z][a-z])`)', TIMEOUT, () => {
    const report = scan([pod({ env: [{ name: 'DB_PASSWORD', value: 'AB'.repeat(150_000) }] })], SECRET_RULES);
    expect(summary(report.findings)).toEqual(['hardcoded-password spec.containers[0].env[0].value']);
  });

  it('a name of a long run of capitals', TIMEOUT, () => {
    const report = scan([configMap({ 'app.properties': `${'AB'.repeat(100_000)}PASSWORD=hunter2x` })], SECRET_RULES);
    expect(summary(report.findings)).toEqual(['hardcoded-password data["app.properties"]']);
  });

  it('many PEM BEGIN lines without END before a real key (`-----BEGIN …([\\s\\S]*?)-----END \\1-----`)', TIMEOUT, () => {
    const text = `${'-----BEGIN PRIVATE KEY-----\n'.repeat(75_000)}-----BEGIN RSA PRIVATE KEY-----\n${PEM_BODY}\n-----END RSA PRIVATE KEY-----\n`;
    const report = scan([configMap({ 'tls.key': text })], SECRET_RULES);
    expect(summary(report.findings)).toEqual(['hardcoded-credential data["tls.key"]']);
    expect(report.findings[0]?.message).toContain('line 75001');
  });

  it('a run of `eyJ-` before a real JWT (JWT pattern)', TIMEOUT, () => {
    const report = scan([configMap({ token: `${'eyJ-'.repeat(100_000)} ${JWT}` })], SECRET_RULES);
    expect(summary(report.findings)).toEqual(['hardcoded-credential data.token']);
    expect(report.findings[0]?.message).toMatch(/JWT|JSON Web Token/i);
  });

  it('a Basic header decoding to many `:` (`^[\\x20-\\x7e]+:[\\x20-\\x7e]+$`)', TIMEOUT, () => {
    const hostile = Buffer.from(`${':'.repeat(300_000)}\u0000`).toString('base64');
    const real = Buffer.from('admin:Zt7qLw2pXv').toString('base64');
    const report = scan([pod({ env: [{ name: 'AUTH_HEADER', value: `Basic ${hostile}, Basic ${real}` }] })], SECRET_RULES);
    expect(summary(report.findings)).toEqual(['hardcoded-password spec.containers[0].env[0].value']);
    expect(report.findings[0]?.message).toMatch(/Basic/i);
  });

  it('a password followed by a long run of blanks (trailing comment, `\\s+#.*$`)', TIMEOUT, () => {
    const report = scan([configMap({ 'app.properties': `password=hunter2x${' '.repeat(300_000)}b` })], SECRET_RULES);
    expect(summary(report.findings)).toEqual(['hardcoded-password data["app.properties"]']);
  });

  it('a `name:` line of blanks ending in `\\r` (the `name: value` line pattern)', TIMEOUT, () => {
    const report = scan([configMap({ 'app.conf': `password:${'\t'.repeat(300_000)}\r\napi_token: Zt7qLw2pXv9sKe4u\n` })], SECRET_RULES);
    expect(summary(report.findings)).toEqual(['hardcoded-password data["app.conf"]']);
    expect(report.findings[0]?.message).toContain('line 2');
  });

  it('a last-applied-configuration annotation of `passpass…` (the hint that decides whether to read it)', TIMEOUT, () => {
    const service: JsonObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's', namespace: 'shop', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `${'pass'.repeat(125_000)} DB_PASSWORD=hunter2x` } },
    };
    const report = scan([service], SECRET_RULES);
    expect(summary(report.findings)).toEqual(['hardcoded-password metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]']);
  });
});

describe('control-plane flags (src/k8s/control-plane)', () => {
  const APISERVER_RULES = RULES.filter((r) => r.id.startsWith('apiserver-')).map((r) => r.id);
  const ETCD_RULES = RULES.filter((r) => r.id.startsWith('etcd-')).map((r) => r.id);

  /** The findings of a hostile input are those of the same input with a short filler. */
  function sameAsShort(make: (n: number) => JsonObject[], n: number, rules: readonly string[]): void {
    const short = summary(scan(make(3), rules).findings);
    expect(short.length).toBeGreaterThan(0);
    expect(summary(scan(make(n), rules).findings)).toEqual(short);
  }

  it('a command line with a long run of blanks inside (`[ \\n]+$`)', TIMEOUT, () => {
    sameAsShort((n) => [pod({ command: ['kube-apiserver', `a${' '.repeat(n)}b`] }, 'kube-system')], 60_000, APISERVER_RULES);
  });

  it('an env value with a long run of blanks inside (`[ \\n]+$`)', TIMEOUT, () => {
    sameAsShort((n) => [pod({ command: ['etcd'], env: [{ name: 'X', value: `a${' '.repeat(n)}b` }] }, 'kube-system')], 150_000, ETCD_RULES);
  });

  it('an env value of many `NAME=` before a `\\r` (`NAME=.*(?:$|\\n)`)', TIMEOUT, () => {
    sameAsShort(
      (n) => [pod({ command: ['etcd'], env: [{ name: 'X', value: `${'ETCD_CLIENT_CERT_AUTH='.repeat(n)}\r` }] }, 'kube-system')],
      100_000,
      ETCD_RULES,
    );
  });

  it('a list flag of many commas (`,+$`)', TIMEOUT, () => {
    sameAsShort((n) => [pod({ command: ['kube-apiserver', `--tls-cipher-suites=${','.repeat(n)}x`] }, 'kube-system')], 300_000, APISERVER_RULES);
  });

  it('a KubeletConfiguration list of many empty strings (`,+$`)', TIMEOUT, () => {
    const kubelet = (n: number): JsonObject[] => [
      { apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration', tlsCipherSuites: [...Array<string>(n).fill(''), 'x'] },
    ];
    sameAsShort(kubelet, 300_000, ['kubelet-tls-cipher-suites']);
  });

  it('a mount path of many slashes (`\\/+$`)', TIMEOUT, () => {
    const volumes = [
      { name: 'pki', hostPath: { path: '/srv/pki' } },
      { name: 'k8s', hostPath: { path: '/etc/kubernetes/pki' } },
    ];
    const make = (n: number): JsonObject[] => {
      const apiserver = pod(
        {
          command: ['kube-apiserver', '--client-ca-file=/etc/kubernetes/pki/ca.crt'],
          volumeMounts: [
            { name: 'pki', mountPath: `/etc/kubernetes${'/'.repeat(n)}pki` },
            { name: 'k8s', mountPath: '/etc/kubernetes/pki' },
          ],
        },
        'kube-system',
      );
      (apiserver['spec'] as JsonObject)['volumes'] = volumes;
      return [apiserver, pod({ command: ['etcd', '--trusted-ca-file=/etc/kubernetes/pki/ca.crt'] }, 'kube-system')];
    };
    // The API server's CA file is the host's /etc/kubernetes/pki/ca.crt, which etcd trusts.
    sameAsShort(make, 300_000, ['etcd-unique-ca']);
  });
});

describe('other input-derived text', () => {
  it('CEL trim() of a string with a long run of blanks inside (`^[space]+|[space]+$`)', TIMEOUT, () => {
    const program = compile('object.s.trim()', { variables: ['object'] });
    if (!program.ok) throw new Error(program.error);
    const inner = `a${' '.repeat(300_000)}b`;
    const result = evaluate(program.program, { object: { s: `\t ${inner}\u3000\n` } });
    expect(result.ok && result.value).toBe(inner);
  });

  it('a nonResourceURL with a long run of `*` inside (`\\*+$`)', TIMEOUT, () => {
    const url = `/logs${'*'.repeat(300_000)}x`;
    const rule: PolicyRule = { apiGroups: [], resources: [], verbs: ['get'], resourceNames: [], nonResourceURLs: [`${url}*`] };
    expect(nonResourceURLMatches(rule, `${url}/y`)).toBe(true);
    expect(nonResourceURLMatches(rule, '/logs')).toBe(false);
  });

  it('a namespace with a long run of `-` inside, named for a PolicyReport (`^-+|-+$`)', TIMEOUT, () => {
    expect(reportName(`-a${'-'.repeat(300_000)}b-`)).toMatch(/^mamori-a-[0-9a-f]{8}$/);
  });

  it('a manifest line of many `{` checked for template syntax before fixing (`\\{\\{.*\\}\\}`)', TIMEOUT, () => {
    expect(notEditable('/nonexistent/deploy.yaml', `a: ${'{'.repeat(300_000)}\n`)).toBeUndefined();
    expect(notEditable('/nonexistent/deploy.yaml', `a: ${'{'.repeat(300_000)}\nb: "{{ .Values.x }}"\n`)).toMatch(/template syntax/);
  });
});
