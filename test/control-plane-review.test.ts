/**
 * Control-plane checks against what the components really do: etcd's Go flag syntax and the
 * Kubernetes components' pflag normalisation, boolean flags given a separate value, audit
 * policies and encryption configurations the API server refuses, and settings moved from flags
 * to configuration files (specs/control-plane.md §1.2, §4.4, §4.5, §4.7).
 */
import { describe, expect, it } from 'vitest';
import { knownRules, parseConfig } from '../src/engine/config.js';
import { scanTexts } from '../src/engine/scan.js';
import { parsePolicy } from '../src/k8s/control-plane/audit-policy.js';
import { entriesOf, refusals, reviewEntries } from '../src/k8s/control-plane/encryption.js';
import { parseFlags } from '../src/k8s/control-plane/flags.js';
import { RULES } from '../src/rules/index.js';
import type { Finding } from '../src/types.js';

const AREA = RULES.filter((r) => /^(apiserver|controller-manager|scheduler|etcd|kubelet|encryption|audit-policy)-/.test(r.id));
const ALL_ON = parseConfig({ rules: Object.fromEntries(AREA.map((r) => [r.id, 'on'])) }, 'test', knownRules(RULES));

function scan(...texts: string[]): Finding[] {
  return scanTexts(
    texts.map((text, i) => ({ file: `input-${i}.yaml`, text })),
    { rules: AREA, config: ALL_ON },
  ).findings;
}

/** The findings of one rule as `severity message`. */
function of(findings: readonly Finding[], ruleId: string): string[] {
  return findings.filter((f) => f.ruleId === ruleId).map((f) => `${f.severity} ${f.message}`);
}

function staticPod(component: string, flags: readonly string[]): string {
  return [
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    `  name: ${component}-cp-1`,
    '  namespace: kube-system',
    'spec:',
    '  hostNetwork: true',
    '  containers:',
    `    - name: ${component}`,
    `      image: registry.k8s.io/${component}:v1.33.2`,
    '      command:',
    `        - ${component}`,
    ...flags.map((f) => `        - ${JSON.stringify(f)}`),
    '',
  ].join('\n');
}

function tokens(...texts: string[]): { text: string; path: (string | number)[] }[] {
  return texts.map((text, i) => ({ text, path: ['command', i] }));
}

const ETCD_TLS = ['-cert-file=/pki/server.crt', '-key-file=/pki/server.key', '-peer-cert-file=/pki/peer.crt', '-peer-key-file=/pki/peer.key', '-peer-client-cert-auth=true', '-trusted-ca-file=/pki/ca.crt'];

describe('flag syntax per component', () => {
  it('etcd (Go flag): one or two dashes name the same flag, the last occurrence wins', () => {
    const flags = parseFlags(tokens('etcd', '-name=cp1', '--client-cert-auth=true', '-client-cert-auth=false', '---x=1', '-'), 'go-flag');
    expect([...flags.keys()]).toEqual(['--name', '--client-cert-auth']);
    expect(flags.get('--client-cert-auth')?.map((o) => [o.value, o.written])).toEqual([
      ['true', undefined],
      ['false', '-client-cert-auth'],
    ]);
  });

  it('Kubernetes components (pflag): "_" is "-" in a name, a single dash is a shorthand, not a long flag', () => {
    const flags = parseFlags(tokens('kube-apiserver', '--anonymous-auth=false', '--anonymous_auth=true', '-anonymous-auth=false', '-v=2'), 'pflag');
    expect([...flags.keys()]).toEqual(['--anonymous-auth']);
    expect(flags.get('--anonymous-auth')?.map((o) => o.written ?? o.name)).toEqual(['--anonymous-auth', '--anonymous_auth']);
  });

  it('etcd: single-dash flags are read, and the last occurrence decides', () => {
    expect(scan(staticPod('etcd', ['-name=cp1', '-client-cert-auth=true', ...ETCD_TLS])).filter((f) => f.ruleId.startsWith('etcd-'))).toEqual([]);
    expect(of(scan(staticPod('etcd', ['--client-cert-auth=true', '-client-cert-auth=false', ...ETCD_TLS])), 'etcd-client-cert-auth')).toEqual([
      'high etcd: -client-cert-auth=false; any client that reaches etcd reads and writes every object, Secrets included, without going through the API server [CIS 2.2 literal: PASS, effective: FAIL]',
    ]);
  });

  it('kube-apiserver: --anonymous_auth after --anonymous-auth decides, and --authorization_mode adds to the list', () => {
    const findings = scan(staticPod('kube-apiserver', ['--anonymous-auth=false', '--anonymous_auth=true', '--authorization-mode=Node,RBAC', '--authorization_mode=AlwaysAllow']));
    expect(of(findings, 'apiserver-anonymous-auth')).toEqual([
      'medium kube-apiserver: --anonymous_auth=true; requests without credentials are served as system:anonymous, limited only by what RBAC grants system:anonymous and system:unauthenticated [CIS 1.2.1 literal: PASS, effective: FAIL]',
    ]);
    expect(of(findings, 'apiserver-authorization-always-allow')).toEqual([
      'critical kube-apiserver: --authorization-mode includes AlwaysAllow: it allows whatever the other authorizers do not deny, and RBAC and Node never deny, so every caller is effectively cluster-admin [CIS 1.2.6 literal: PASS, effective: FAIL]',
    ]);
    expect(of(scan(staticPod('kube-apiserver', ['--anonymous_auth=false'])), 'apiserver-anonymous-auth')).toEqual([]);
  });

  it('a boolean flag with a separate value is true (the value is a stray argument)', () => {
    const findings = scan(staticPod('kube-apiserver', ['--anonymous-auth', 'false', '--profiling', 'false']));
    expect(of(findings, 'apiserver-anonymous-auth')).toEqual([
      'medium kube-apiserver: --anonymous-auth false sets --anonymous-auth to true: a boolean flag takes its value only as --anonymous-auth=false, and the stray argument "false" keeps the component from starting; requests without credentials are served as system:anonymous, limited only by what RBAC grants system:anonymous and system:unauthenticated [CIS 1.2.1 literal: PASS, effective: FAIL]',
    ]);
    expect(of(findings, 'apiserver-profiling')).toHaveLength(1);
  });
});

describe('audit policy the API server refuses', () => {
  const policy = 'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: ["RequestReceived"]\nrules:\n  - level: metadata\n  - resources: [{group: "", resources: ["secrets"]}]\n  - level: Metadata\n';

  it('lists rules without a valid level', () => {
    expect(parsePolicy({ rules: [{ level: 'metadata' }, {}, { level: 'None' }] }).invalidLevels).toEqual([
      { index: 0, path: ['rules', 0, 'level'], value: 'metadata' },
      { index: 1, path: ['rules', 1], value: undefined },
    ]);
  });

  it('reports each invalid level once, and nothing derived from the policy', () => {
    const findings = scan(policy);
    expect(findings.map((f) => `${f.ruleId} ${f.path}: ${f.message}`)).toEqual([
      'audit-policy-no-catch-all rules[0].level: rules[0] has level "metadata": a level must be one of None, Metadata, Request, RequestResponse (case-sensitive), so the API server refuses the policy and does not start',
      'audit-policy-no-catch-all rules[1]: rules[1] has no level: a level must be one of None, Metadata, Request, RequestResponse (case-sensitive), so the API server refuses the policy and does not start',
    ]);
  });
});

describe('encryption configuration with a masked resource', () => {
  const masked = [
    'apiVersion: apiserver.config.k8s.io/v1',
    'kind: EncryptionConfiguration',
    'resources:',
    '  - resources: ["*.*"]',
    '    providers: [{identity: {}}]',
    '  - resources: ["secrets"]',
    '    providers: [{secretbox: {keys: [{name: k1, secret: jQG5DzmoRm9/Fs+9uLbsyCXPoCm+x9nIDitSpPnnwK8=}]}}]',
    '',
  ].join('\n');

  it('tells a masked resource (file refused) from a duplicate (ignored)', () => {
    const entries = (names: string[][]) => entriesOf({ resources: names.map((resources) => ({ resources, providers: [{ identity: {} }] })) });
    const refused = (names: string[][]) => refusals(entries(names)).length > 0;
    expect(refused([['*.*'], ['secrets']])).toBe(true);
    expect(refused([['*.'], ['configmaps']])).toBe(true);
    expect(refused([['*.apps'], ['*.apps']])).toBe(true);
    expect(refused([['*.apps'], ['*.*']])).toBe(false);
    expect(refused([['secrets'], ['secrets'], ['*.*']])).toBe(false);
    expect(reviewEntries(entries([['secrets'], ['secrets'], ['*.*']])).ignored.map((p) => p.message)).toEqual([
      '"secrets" in resources[1] is already listed in "secrets" in resources[0], which applies first: this entry is ignored for it',
    ]);
  });

  it('reports the masked resource as refusing the file, and the other encryption rules stay silent', () => {
    expect(scan(masked).map((f) => `${f.ruleId}: ${f.message}`)).toEqual([
      'encryption-config-invalid: "secrets" in resources[1] is masked by "*.*" in resources[0]: the API server refuses the file (a wildcard entry must come after every entry it covers)',
    ]);
  });

  it('a resource listed again without a wildcard is accepted and ignored there', () => {
    const duplicate = masked.replace('["*.*"]', '["secrets"]');
    expect(of(scan(duplicate), 'encryption-config-invalid')).toEqual([
      'medium "secrets" in resources[1] is already listed in "secrets" in resources[0], which applies first: this entry is ignored for it',
    ]);
    expect(of(scan(duplicate), 'encryption-identity-first')).toHaveLength(1);
  });
});

describe('encryption configuration the API server refuses', () => {
  const file = (entries: string) => `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:${entries}`;
  const entry = (resources: string, providers = '[{identity: {}}]') => `\n  - resources: ${resources}\n    providers: ${providers}`;
  const secretsIdentity = entry('[secrets]');

  it('lists every reason validation_encryption.go refuses the file for, at its path', () => {
    const reasons = (text: string) => scan(text).map((f) => `${f.ruleId} ${f.path}: ${f.message}`);
    expect(reasons(file(' []'))).toEqual(['encryption-config-invalid resources: the file has no resources entries: the API server rejects the file']);
    expect(reasons(file(entry('[]') + secretsIdentity))).toEqual(['encryption-config-invalid resources[0].resources: resources[0] lists no resources: the API server rejects the file']);
    expect(reasons(file(entry('[configmaps]', '[]') + secretsIdentity))).toEqual(['encryption-config-invalid resources[0].providers: resources[0] has no providers: the API server rejects the file']);
    expect(reasons(file(entry('[secrets]', '[{identity: {}, aescbc: {keys: []}}]')))).toEqual([
      'encryption-config-invalid resources[0].providers[0]: resources[0]: one provider element sets aescbc and identity; each must be its own list element: the API server rejects the file',
    ]);
    expect(reasons(file(entry('[secrets]', '[{}]')))).toEqual([
      'encryption-config-invalid resources[0].providers[0]: resources[0]: a provider element sets none of kms, aescbc, aesgcm, secretbox, identity: the API server rejects the file',
    ]);
    expect(reasons(file(secretsIdentity + entry('["*"]')))).toEqual([
      'encryption-config-invalid resources[1].resources[0]: "*" is not a valid resource: use "*." for all core resources or "*.*" for everything; the API server rejects the file',
    ]);
    expect(reasons(file(secretsIdentity + entry('["secrets.*"]')))).toEqual([
      'encryption-config-invalid resources[1].resources[0]: "secrets.*" would encrypt a resource across groups, which is not supported: the API server rejects the file',
    ]);
    expect(reasons(file(secretsIdentity + entry('[Secrets]')))).toEqual(['encryption-config-invalid resources[1].resources[0]: "Secrets" has capital letters: the API server rejects the file']);
    expect(reasons(file(secretsIdentity + entry('[servicenodeportallocations]')))).toEqual([
      'encryption-config-invalid resources[1].resources[0]: "servicenodeportallocations" has no REST API and cannot be encrypted: the API server rejects the file',
    ]);
    expect(reasons(file(secretsIdentity + entry('[events.events.k8s.io]')))).toEqual([
      'encryption-config-invalid resources[1].resources[0]: "events.events.k8s.io" names a group the API server does not accept here (use "events" for events): it rejects the file',
    ]);
    expect(reasons(file(entry('[secrets, secrets]')))).toEqual(['encryption-config-invalid resources[0].resources[1]: "secrets" is listed twice in resources[0]: the API server rejects the file']);
    expect(reasons(file(entry('["*.apps", deployments.apps]') + secretsIdentity))).toEqual([
      'encryption-config-invalid resources[0].resources[1]: "deployments.apps" overlaps "*.apps" in resources[0]: the API server rejects the file',
    ]);
  });

  it('the other encryption rules are silent on a refused file, and judge it once the refusal is fixed', () => {
    const overlap = file(entry('["*.apps", deployments.apps]') + secretsIdentity);
    expect(new Set(scan(overlap).map((f) => f.ruleId))).toEqual(new Set(['encryption-config-invalid']));
    const fixed = overlap.replace('"*.apps", deployments.apps', '"*.apps"');
    expect(of(scan(fixed), 'encryption-config-invalid')).toEqual([]);
    expect(of(scan(fixed), 'encryption-identity-first')).toHaveLength(1);
  });

  it('a duplicate across entries is not a refusal: the other rules still judge the file', () => {
    const entries = entriesOf({ resources: [{ resources: ['secrets'], providers: [{ identity: {} }] }, { resources: ['secrets'], providers: [{ identity: {} }] }] });
    expect(refusals(entries)).toEqual([]);
  });
});

describe('settings moved to configuration files', () => {
  const apiserver = staticPod('kube-apiserver', ['--authorization-config=/etc/kubernetes/authz.yaml', '--authentication-config=/etc/kubernetes/authn.yaml', '--profiling=false']);
  const authz = (type: string) => `apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n  - type: Node\n    name: node\n  - type: ${type}\n    name: second\n`;
  const authn = (anonymous: string) => `apiVersion: apiserver.config.k8s.io/v1beta1\nkind: AuthenticationConfiguration\n${anonymous}jwt:\n  - issuer: {url: https://issuer.example.com, audiences: [k8s]}\n    claimMappings: {username: {claim: sub, prefix: ""}}\n`;

  it('judges 1.2.6-1.2.8 from the authorizers of the AuthorizationConfiguration in the input', () => {
    const findings = scan(apiserver, authz('AlwaysAllow'));
    expect(of(findings, 'apiserver-authorization-always-allow')).toEqual([
      'critical kube-apiserver: the AuthorizationConfiguration of the input has authorizers of type Node,AlwaysAllow: it allows whatever the other authorizers do not deny, and RBAC and Node never deny, so every caller is effectively cluster-admin [CIS 1.2.6 literal: FAIL, effective: FAIL]',
    ]);
    expect(of(findings, 'apiserver-authorization-rbac')).toEqual([
      'high kube-apiserver: the AuthorizationConfiguration of the input has authorizers of type Node,AlwaysAllow, without RBAC: Roles and RoleBindings are not enforced [CIS 1.2.8 literal: FAIL, effective: FAIL]',
    ]);
    expect(of(findings, 'apiserver-authorization-node')).toEqual([]);
    expect(scan(apiserver, authz('RBAC')).filter((f) => f.ruleId.startsWith('apiserver-authorization-'))).toEqual([]);
  });

  it('says the file was not checked, at severity info, when it is not in the input', () => {
    const findings = scan(apiserver);
    expect(of(findings, 'apiserver-authorization-always-allow')).toEqual([
      'info kube-apiserver: --authorization-config=/etc/kubernetes/authz.yaml names a file (kind AuthorizationConfiguration, apiVersion apiserver.config.k8s.io/*) that is not in the input, so this is not checked; scan the file together with this manifest [CIS 1.2.6 literal: FAIL, effective: NOT CHECKED]',
    ]);
    expect(of(findings, 'apiserver-anonymous-auth')).toEqual([
      'info kube-apiserver: --authentication-config=/etc/kubernetes/authn.yaml names a file (kind AuthenticationConfiguration, apiVersion apiserver.config.k8s.io/*) that is not in the input, so this is not checked; scan the file together with this manifest [CIS 1.2.1 literal: WARN, effective: NOT CHECKED]',
    ]);
  });

  it('an AuthenticationConfiguration without an anonymous section leaves --anonymous-auth (default true) in force', () => {
    expect(of(scan(apiserver, authn('')), 'apiserver-anonymous-auth')).toEqual([
      'medium kube-apiserver: the AuthenticationConfiguration of the input has no anonymous section, so --anonymous-auth applies, and it is not set (default true); requests without credentials are served as system:anonymous, limited only by what RBAC grants system:anonymous and system:unauthenticated [CIS 1.2.1 literal: WARN, effective: FAIL]',
    ]);
    expect(of(scan(apiserver, authn('anonymous:\n  enabled: true\n')), 'apiserver-anonymous-auth')).toEqual([
      'medium kube-apiserver: the AuthenticationConfiguration of the input enables anonymous access without conditions; requests without credentials are served as system:anonymous, limited only by what RBAC grants system:anonymous and system:unauthenticated [CIS 1.2.1 literal: WARN, effective: FAIL]',
    ]);
    expect(of(scan(apiserver, authn('anonymous:\n  enabled: true\n  conditions: [{path: /livez}]\n')), 'apiserver-anonymous-auth')).toEqual([]);
    expect(of(scan(apiserver, authn('anonymous:\n  enabled: false\n')), 'apiserver-anonymous-auth')).toEqual([]);
  });

  it('kube-scheduler --config: enableProfiling of the KubeSchedulerConfiguration (default true) decides', () => {
    const scheduler = staticPod('kube-scheduler', ['--config=/etc/kubernetes/scheduler.yaml', '--bind-address=127.0.0.1']);
    const config = 'apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n';
    expect(of(scan(scheduler, config), 'scheduler-profiling')).toEqual([
      'low kube-scheduler: --config=/etc/kubernetes/scheduler.yaml is given and the KubeSchedulerConfiguration of the input does not set enableProfiling (default true); /debug/pprof exposes profiles and goroutine dumps of the scheduler [CIS 1.4.1 literal: FAIL, effective: FAIL]',
    ]);
    expect(of(scan(scheduler, `${config}enableProfiling: false\n`), 'scheduler-profiling')).toEqual([]);
  });

  it('reads the file only in its API group, and names the one that failed among several', () => {
    const scheduler = staticPod('kube-scheduler', ['--config=/etc/kubernetes/scheduler.yaml', '--bind-address=127.0.0.1']);
    // The scheduler does not read componentconfig/v1alpha1: its file is not in the input.
    expect(of(scan(scheduler, 'apiVersion: componentconfig/v1alpha1\nkind: KubeSchedulerConfiguration\nenableProfiling: false\n'), 'scheduler-profiling')).toEqual([
      'info kube-scheduler: --config=/etc/kubernetes/scheduler.yaml names a file (kind KubeSchedulerConfiguration, apiVersion kubescheduler.config.k8s.io/*) that is not in the input, so this is not checked; scan the file together with this manifest [CIS 1.4.1 literal: FAIL, effective: NOT CHECKED]',
    ]);
    const off = 'apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nenableProfiling: false\n';
    const on = 'apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n';
    expect(of(scan(scheduler, off, on), 'scheduler-profiling')).toEqual([
      'low kube-scheduler: --config=/etc/kubernetes/scheduler.yaml is given and the KubeSchedulerConfiguration of the input does not set enableProfiling (default true); /debug/pprof exposes profiles and goroutine dumps of the scheduler (KubeSchedulerConfiguration of input-2.yaml:1, one of 2 in the input) [CIS 1.4.1 literal: FAIL, effective: FAIL]',
    ]);
  });

  it('etcd --config-file: reported as not checked, at severity info', () => {
    expect(of(scan(staticPod('etcd', ['--config-file=/etc/etcd/etcd.yaml'])), 'etcd-client-cert-auth')).toEqual([
      'info etcd: etcd reads --config-file=/etc/etcd/etcd.yaml and ignores its other flags and ETCD_* variables; that file is not checked [CIS 2.2 literal: FAIL, effective: NOT CHECKED]',
    ]);
  });
});
