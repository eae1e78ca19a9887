/**
 * The control-plane area: the static-pod flag map (specs/control-plane.md §1.2), recognition of
 * components by their command (and never of ordinary workloads), KubeletConfiguration defaults
 * and their traps (§4), audit policy first-match evaluation (§6), EncryptionConfiguration helpers
 * (§5), and end-to-end scans: hardened control-plane files give no finding, kube-bench's literal
 * verdict and the effective one are both reported.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { knownRules, parseConfig } from '../src/engine/config.js';
import { scanTexts } from '../src/engine/scan.js';
import { decide, parsePolicy, ruleMatches, type AuditRequest } from '../src/k8s/control-plane/audit-policy.js';
import { covers, decodeBase64, entriesOf, entryFor, fingerprint } from '../src/k8s/control-plane/encryption.js';
import {
  componentOf,
  controlPlaneContainers,
  etcdEnvName,
  featureGates,
  flagList,
  flagValue,
  nodePathOf,
  parseBool,
  parseFlags,
} from '../src/k8s/control-plane/flags.js';
import { kubeletSetting, parseDuration } from '../src/k8s/control-plane/kubelet.js';
import { isObject } from '../src/k8s/object.js';
import { RULES } from '../src/rules/index.js';
import type { JsonObject, Report } from '../src/types.js';

const AREA = RULES.filter((r) => /^(apiserver|controller-manager|scheduler|etcd|kubelet|encryption|audit-policy)-/.test(r.id));
const ALL_ON = parseConfig({ rules: Object.fromEntries(AREA.map((r) => [r.id, 'on'])) }, 'test', knownRules(RULES));

function scan(text: string, options: Record<string, unknown> = {}): Report {
  const config =
    Object.keys(options).length === 0
      ? ALL_ON
      : parseConfig({ rules: Object.fromEntries(AREA.map((r) => [r.id, { enabled: true, options: r.options === undefined ? {} : options }])) }, 'test', knownRules(RULES));
  return scanTexts([{ file: 'input.yaml', text }], { rules: AREA, config });
}

function tokens(...texts: string[]): { text: string; path: (string | number)[] }[] {
  return texts.map((text, i) => ({ text, path: ['command', i] }));
}

function pod(command: string[], extra: Partial<{ namespace: string; hostNetwork: boolean; args: string[]; kind: string }> = {}): JsonObject {
  const container: JsonObject = { name: 'main', image: 'registry.example.com/app:1.0', command };
  if (extra.args !== undefined) container['args'] = extra.args;
  const spec: JsonObject = { containers: [container] };
  if (extra.hostNetwork !== undefined) spec['hostNetwork'] = extra.hostNetwork;
  return { apiVersion: 'v1', kind: extra.kind ?? 'Pod', metadata: { name: 'x', namespace: extra.namespace ?? 'default' }, spec };
}

function containersOfPod(object: JsonObject): ReturnType<typeof controlPlaneContainers> {
  const spec = object['spec'];
  if (!isObject(spec)) return [];
  return controlPlaneContainers(object, spec, ['spec']);
}

describe('flag map of a static pod', () => {
  it('splits --flag=value at the first "=" and keeps the token path', () => {
    const flags = parseFlags(tokens('kube-apiserver', '--feature-gates=A=true,B=false', '--etcd-servers=https://a:2379'));
    expect(flags.get('--feature-gates')?.[0]).toEqual({ name: '--feature-gates', value: 'A=true,B=false', path: ['command', 1] });
    expect(flags.get('--etcd-servers')?.[0]?.value).toBe('https://a:2379');
  });

  it('reads "--flag value" when the next token is not a flag, and a bare flag as true', () => {
    const flags = parseFlags(tokens('etcd', '--name', 'cp-1', '--client-cert-auth', '--data-dir', '/var/lib/etcd', '--peer-auto-tls'));
    expect(flags.get('--name')?.[0]?.value).toBe('cp-1');
    expect(flags.get('--client-cert-auth')?.[0]?.value).toBe('true');
    expect(flags.get('--data-dir')?.[0]?.value).toBe('/var/lib/etcd');
    expect(flags.get('--peer-auto-tls')?.[0]?.value).toBe('true');
  });

  it('keeps an empty value empty', () => {
    expect(parseFlags(tokens('--root-ca-file=')).get('--root-ca-file')?.[0]?.value).toBe('');
  });

  it('takes the last occurrence of a scalar flag and accumulates list flags element by element', () => {
    const [flags] = containersOfPod(
      pod(['kube-apiserver', '--profiling=false', '--enable-admission-plugins=NodeRestriction, EventRateLimit', '--profiling=true', '--enable-admission-plugins=AlwaysPullImages']),
    );
    expect(flags).toBeDefined();
    if (flags === undefined) return;
    expect(flagValue(flags, '--profiling')?.value).toBe('true');
    expect(flagValue(flags, '--profiling')?.path).toEqual(['spec', 'containers', 0, 'command', 3]);
    expect(flagList(flags, '--enable-admission-plugins').map((e) => e.element)).toEqual(['NodeRestriction', 'EventRateLimit', 'AlwaysPullImages']);
  });

  it('reads flags from args (RKE2) and points missing flags at the list that holds them', () => {
    const [flags] = containersOfPod(pod(['kube-apiserver'], { args: ['--anonymous-auth=false'] }));
    expect(flags?.addPath).toEqual(['spec', 'containers', 0, 'args']);
    expect(flags?.commandLine).toBe('kube-apiserver --anonymous-auth=false');
  });

  it('parses feature gates and Go booleans', () => {
    const [flags] = containersOfPod(pod(['kube-controller-manager', '--feature-gates=A=true,RotateKubeletServerCertificate=F']));
    expect(flags === undefined ? undefined : featureGates(flags).get('RotateKubeletServerCertificate')?.enabled).toBe(false);
    expect(parseBool('True')).toBe(true);
    expect(parseBool('0')).toBe(false);
    expect(parseBool('yes')).toBeUndefined();
  });

  it('maps ETCD_* variables to etcd flags, shadowed by the command line', () => {
    const object = pod(['etcd', '--client-cert-auth=true'], { namespace: 'kube-system' });
    const spec = object['spec'] as JsonObject;
    ((spec['containers'] as JsonObject[])[0] as JsonObject)['env'] = [
      { name: 'ETCD_CLIENT_CERT_AUTH', value: 'false' },
      { name: 'ETCD_PEER_AUTO_TLS', value: 'true' },
    ];
    const [flags] = containersOfPod(object);
    expect(flags === undefined ? undefined : flagValue(flags, '--client-cert-auth')?.value).toBe('true');
    expect(flags === undefined ? undefined : flagValue(flags, '--peer-auto-tls')).toMatchObject({ value: 'true', fromEnv: true });
    expect(etcdEnvName('--peer-auto-tls')).toBe('ETCD_PEER_AUTO_TLS');
  });

  it('maps container paths to host paths through hostPath mounts', () => {
    const spec: JsonObject = { volumes: [{ name: 'pki', hostPath: { path: '/etc/kubernetes/pki' } }] };
    const container: JsonObject = { volumeMounts: [{ name: 'pki', mountPath: '/certs' }] };
    expect(nodePathOf(spec, container, '/certs/etcd/ca.crt')).toBe('/etc/kubernetes/pki/etcd/ca.crt');
    expect(nodePathOf(spec, container, '/certsx/ca.crt')).toBe('/certsx/ca.crt');
  });
});

describe('components are recognised by their command only', () => {
  it.each([
    [['kube-apiserver'], 'kube-apiserver'],
    [['/usr/local/bin/kube-controller-manager'], 'kube-controller-manager'],
    [['/hyperkube', 'kube-scheduler'], 'kube-scheduler'],
    [['etcd'], 'etcd'],
    [['etcdctl'], undefined],
    [['kube-apiserver-proxy'], undefined],
    [['/bin/sh', '-c', 'kube-apiserver --anonymous-auth=true'], undefined],
    [['nginx'], undefined],
  ] as const)('%j → %s', (command, component) => {
    expect(componentOf({ command: [...command] })).toBe(component);
  });

  it('takes etcd only from a static-pod-like pod (kube-system, host network or control-plane labels)', () => {
    expect(containersOfPod(pod(['etcd', '--data-dir=/data'], { namespace: 'storage' }))).toHaveLength(0);
    expect(containersOfPod(pod(['etcd'], { namespace: 'kube-system' }))).toHaveLength(1);
    expect(containersOfPod(pod(['etcd'], { namespace: 'storage', hostNetwork: true }))).toHaveLength(1);
  });

  it('reports nothing on ordinary workloads, including an application etcd and a Deployment running an API server', () => {
    const text = [
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: app-etcd-0\n  namespace: storage\nspec:\n  containers:\n    - name: etcd\n      image: quay.io/coreos/etcd:v3.5.21\n      command: ["etcd", "--listen-client-urls=http://0.0.0.0:2379"]\n',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: tenant-apiserver\n  namespace: tenant-a\nspec:\n  selector:\n    matchLabels: {app: api}\n  template:\n    metadata:\n      labels: {app: api}\n    spec:\n      containers:\n        - name: api\n          image: registry.k8s.io/kube-apiserver:v1.33.2\n          command: ["kube-apiserver", "--anonymous-auth=true"]\n',
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: web\n      image: nginx:1.27\n      args: ["--profiling=true"]\n',
      'apiVersion: kyverno.io/v1\nkind: Policy\nmetadata:\n  name: require-labels\n  namespace: team-a\nspec:\n  rules: []\n',
    ].join('---\n');
    expect(scan(text).findings).toEqual([]);
  });
});

const HARDENED_APISERVER = `apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver-cp-1
  namespace: kube-system
spec:
  hostNetwork: true
  containers:
    - name: kube-apiserver
      image: registry.k8s.io/kube-apiserver:v1.33.2
      command:
        - kube-apiserver
        - --admission-control-config-file=/etc/kubernetes/admission/config.yaml
        - --anonymous-auth=false
        - --audit-log-maxage=30
        - --audit-log-maxbackup=10
        - --audit-log-maxsize=100
        - --audit-log-path=/var/log/kubernetes/audit/audit.log
        - --audit-policy-file=/etc/kubernetes/audit/policy.yaml
        - --authorization-mode=Node,RBAC
        - --client-ca-file=/etc/kubernetes/pki/ca.crt
        - --enable-admission-plugins=NodeRestriction,EventRateLimit,AlwaysPullImages,DenyServiceExternalIPs
        - --encryption-provider-config=/etc/kubernetes/enc/encryption-config.yaml
        - --etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt
        - --etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt
        - --etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key
        - --etcd-servers=https://127.0.0.1:2379
        - --kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt
        - --kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt
        - --kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key
        - --profiling=false
        - --service-account-extend-token-expiration=false
        - --service-account-issuer=https://kubernetes.default.svc.cluster.local
        - --service-account-key-file=/etc/kubernetes/pki/sa.pub
        - --service-account-lookup=true
        - --service-account-signing-key-file=/etc/kubernetes/pki/sa.key
        - --tls-cert-file=/etc/kubernetes/pki/apiserver.crt
        - --tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
        - --tls-private-key-file=/etc/kubernetes/pki/apiserver.key
      volumeMounts:
        - name: k8s-certs
          mountPath: /etc/kubernetes/pki
          readOnly: true
  volumes:
    - name: k8s-certs
      hostPath:
        path: /etc/kubernetes/pki
`;

const HARDENED_REST = `apiVersion: v1
kind: Pod
metadata:
  name: kube-controller-manager-cp-1
  namespace: kube-system
spec:
  hostNetwork: true
  containers:
    - name: kube-controller-manager
      image: registry.k8s.io/kube-controller-manager:v1.33.2
      command:
        - kube-controller-manager
        - --bind-address=127.0.0.1
        - --kubeconfig=/etc/kubernetes/controller-manager.conf
        - --profiling=false
        - --root-ca-file=/etc/kubernetes/pki/ca.crt
        - --service-account-private-key-file=/etc/kubernetes/pki/sa.key
        - --terminated-pod-gc-threshold=1000
        - --use-service-account-credentials=true
---
apiVersion: v1
kind: Pod
metadata:
  name: kube-scheduler-cp-1
  namespace: kube-system
spec:
  hostNetwork: true
  containers:
    - name: kube-scheduler
      image: registry.k8s.io/kube-scheduler:v1.33.2
      command: [kube-scheduler, --bind-address=127.0.0.1, --kubeconfig=/etc/kubernetes/scheduler.conf, --profiling=false]
---
apiVersion: v1
kind: Pod
metadata:
  name: etcd-cp-1
  namespace: kube-system
spec:
  hostNetwork: true
  containers:
    - name: etcd
      image: registry.k8s.io/etcd:3.5.21-0
      command:
        - etcd
        - --cert-file=/etc/kubernetes/pki/etcd/server.crt
        - --client-cert-auth=true
        - --key-file=/etc/kubernetes/pki/etcd/server.key
        - --peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt
        - --peer-client-cert-auth=true
        - --peer-key-file=/etc/kubernetes/pki/etcd/peer.key
        - --peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt
        - --trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: /etc/kubernetes/pki/ca.crt
authorization:
  mode: Webhook
podPidsLimit: 4096
rotateCertificates: true
seccompDefault: true
serverTLSBootstrap: true
tlsCipherSuites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
---
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets, configmaps]
    providers:
      - kms:
          apiVersion: v2
          name: cloud-kms
          endpoint: unix:///var/run/kmsplugin/socket.sock
---
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    resources:
      - group: ""
        resources: [secrets, configmaps, serviceaccounts/token]
      - group: authentication.k8s.io
        resources: [tokenreviews]
  - level: RequestResponse
    resources:
      - group: rbac.authorization.k8s.io
  - level: None
    nonResourceURLs: ["/healthz*", "/livez*", "/readyz*"]
  - level: Metadata
`;

describe('end to end', () => {
  it('a hardened control plane gives no finding, with every rule of the area on', () => {
    const report = scan(`${HARDENED_APISERVER}---\n${HARDENED_REST}`);
    expect(report.errors).toEqual([]);
    expect(report.findings.map((f) => `${f.ruleId}: ${f.message}`)).toEqual([]);
  });

  it('kubeadm defaults: CIS literal and effective verdicts are both stated where they differ', () => {
    const report = scan(HARDENED_REST.replace('        - --bind-address=127.0.0.1\n', ''));
    const bind = report.findings.find((f) => f.ruleId === 'controller-manager-bind-address');
    expect(bind?.message).toContain('the default 0.0.0.0 applies');
    expect(bind?.message).toContain('[CIS 1.3.7 literal: PASS, effective: FAIL]');
    expect(bind?.path).toBe('spec.containers[0].command');
  });

  it('cisLiteral also reports what only kube-bench fails', () => {
    const text = HARDENED_REST.replace('        - --terminated-pod-gc-threshold=1000\n', '');
    expect(scan(text).findings.filter((f) => f.ruleId === 'controller-manager-terminated-pod-gc-threshold')).toEqual([]);
    const literal = scan(text, { cisLiteral: true }).findings.filter((f) => f.ruleId === 'controller-manager-terminated-pod-gc-threshold');
    expect(literal).toHaveLength(1);
    expect(literal[0]?.message).toContain('[CIS 1.3.1 literal: WARN, effective: PASS]');
  });

  it('kubelet fields absent from the file take the file defaults, not the command-line ones', () => {
    const config = 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nauthentication:\n  x509:\n    clientCAFile: /etc/kubernetes/pki/ca.crt\n';
    const findings = scan(config).findings;
    const ids = findings.map((f) => f.ruleId).sort();
    // anonymous (file default false), authorization (Webhook) and the read-only port (0) are secure by default ...
    expect(ids).not.toContain('kubelet-anonymous-auth');
    expect(ids).not.toContain('kubelet-authorization-mode');
    expect(ids).not.toContain('kubelet-read-only-port');
    // ... while rotation, PID limits, seccomp, serving certificates and cipher suites are not.
    expect(ids).toEqual(['kubelet-pod-pids-limit', 'kubelet-rotate-certificates', 'kubelet-seccomp-default', 'kubelet-tls-cert-file', 'kubelet-tls-cipher-suites']);
    const rotate = findings.find((f) => f.ruleId === 'kubelet-rotate-certificates');
    expect(rotate?.message).toContain('not set (the default is false)');
    expect(rotate?.message).toContain('[CIS 4.2.10 literal: PASS, effective: FAIL]');
    // kube-bench fails 4.2.1 on the absent field although the effective value is false.
    const literal = scan(config, { cisLiteral: true }).findings.find((f) => f.ruleId === 'kubelet-anonymous-auth');
    expect(literal?.message).toContain('[CIS 4.2.1 literal: FAIL, effective: PASS]');
  });

  it('never prints an encryption key, only its fingerprint', () => {
    const key = 'YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY=';
    const short = 'c2hvcnQta2V5LTE2Ynl0ZQ==';
    const text = `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - secretbox:\n          keys:\n            - name: k1\n              secret: ${key}\n            - name: k2\n              secret: ${short}\n`;
    const findings = scan(text).findings;
    expect(findings.map((f) => f.ruleId)).toContain('encryption-example-key');
    expect(findings.map((f) => f.ruleId)).toContain('encryption-invalid-key');
    for (const f of findings) {
      expect(f.message).not.toContain(key);
      expect(f.message).not.toContain(short);
    }
    // Both keys are typed text (the documentation's example, a short one): not even their digest is shown.
    expect([fingerprint(key), fingerprint(short)]).toEqual(['value withheld', 'value withheld']);
    // A key of random bytes is named by a digest.
    expect(fingerprint('7Bvm0w8tX3cQk1pZs9YfN2rLhE6aJdUoGqIiWbVxKzM=')).toMatch(/^sha256:[0-9a-f]{12}$/);
  });
});

describe('KubeletConfiguration helpers', () => {
  it('applies the file defaults', () => {
    expect(kubeletSetting({}, 'readOnlyPort')).toEqual({ value: 0, set: false, path: ['readOnlyPort'] });
    expect(kubeletSetting({ authentication: { anonymous: { enabled: true } } }, 'authentication.anonymous.enabled')).toMatchObject({ value: true, set: true });
  });
  it.each([
    ['4h0m0s', 14400],
    ['5m', 300],
    ['0s', 0],
    ['0', 0],
    ['1.5h', 5400],
    ['300ms', 0.3],
    ['5 minutes', undefined],
  ] as const)('parses the Go duration %s', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });
});

describe('audit policy evaluation', () => {
  const req = (over: Partial<AuditRequest>): AuditRequest => ({
    user: 'jane',
    groups: ['system:authenticated'],
    verb: 'get',
    namespace: 'team-a',
    group: '',
    resource: 'pods',
    subresource: '',
    name: 'web',
    ...over,
  });
  const rule = (body: JsonObject): ReturnType<typeof parsePolicy>['rules'][number] => {
    const parsed = parsePolicy({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: [{ level: 'Metadata', ...body }] }).rules[0];
    if (parsed === undefined) throw new Error('no rule');
    return parsed;
  };

  it('matches resources, subresources and wildcards as the API server does', () => {
    const pods = rule({ resources: [{ group: '', resources: ['pods'] }] });
    expect(ruleMatches(pods, req({}))).toBe(true);
    expect(ruleMatches(pods, req({ subresource: 'exec' }))).toBe(false);
    expect(ruleMatches(rule({ resources: [{ group: '', resources: ['pods/*'] }] }), req({ subresource: 'exec' }))).toBe(true);
    expect(ruleMatches(rule({ resources: [{ group: '', resources: ['*/exec'] }] }), req({ subresource: 'exec' }))).toBe(true);
    expect(ruleMatches(rule({ resources: [{ group: '', resources: ['*'] }] }), req({ subresource: 'log' }))).toBe(true);
    expect(ruleMatches(rule({ resources: [{ group: 'apps' }] }), req({ group: 'apps', resource: 'deployments' }))).toBe(true);
    expect(ruleMatches(rule({ resources: [{ group: '', resources: ['pods'], resourceNames: ['db'] }] }), req({}))).toBe(false);
    expect(ruleMatches(rule({ namespaces: [''] }), req({ namespace: '', resource: 'nodes' }))).toBe(true);
    expect(ruleMatches(rule({ namespaces: [''] }), req({}))).toBe(false);
  });

  it('matches users, groups, verbs and non-resource URLs', () => {
    expect(ruleMatches(rule({ userGroups: ['system:nodes'] }), req({}))).toBe(false);
    expect(ruleMatches(rule({ verbs: ['watch'] }), req({}))).toBe(false);
    expect(ruleMatches(rule({ nonResourceURLs: ['/healthz*'] }), req({ path: '/healthz/etcd' }))).toBe(true);
    expect(ruleMatches(rule({ nonResourceURLs: ['/healthz*'] }), req({}))).toBe(false);
    expect(ruleMatches(rule({ resources: [{ group: '' }] }), req({ path: '/version' }))).toBe(false);
  });

  it('takes the first matching rule; no match means None; omitted stages can silence a level', () => {
    const policy = parsePolicy({
      apiVersion: 'audit.k8s.io/v1',
      kind: 'Policy',
      omitStages: ['RequestReceived'],
      rules: [
        { level: 'None', resources: [{ group: '', resources: ['secrets'] }] },
        { level: 'Metadata', omitStages: ['ResponseComplete'], resources: [{ group: '', resources: ['configmaps'] }] },
        { level: 'RequestResponse' },
      ],
    });
    expect(decide(policy, req({ resource: 'secrets' }))).toMatchObject({ level: 'None', recorded: false });
    expect(decide(policy, req({ resource: 'configmaps' }))).toMatchObject({ level: 'Metadata', recorded: false });
    expect(decide(policy, req({ resource: 'pods' }))).toMatchObject({ level: 'RequestResponse', recorded: true });
    expect(decide(parsePolicy({ rules: [] }), req({}))).toMatchObject({ rule: undefined, level: 'None', recorded: false });
  });
});

describe('EncryptionConfiguration helpers', () => {
  it('finds the entry that applies to secrets: the first that covers it', () => {
    expect(covers('secrets', 'secrets')).toBe(true);
    expect(covers('secrets.', 'secrets')).toBe(true);
    expect(covers('*.', 'secrets')).toBe(true);
    expect(covers('*.*', 'secrets')).toBe(true);
    expect(covers('*.apps', 'secrets')).toBe(false);
    expect(covers('*.apps', 'deployments.apps')).toBe(true);
    const entries = entriesOf({ resources: [{ resources: ['configmaps'], providers: [] }, { resources: ['*.'], providers: [{ identity: {} }] }, { resources: ['secrets'], providers: [] }] });
    expect(entryFor(entries, 'secrets')?.entry.index).toBe(1);
  });
  it('decodes base64 as Go does', () => {
    expect(decodeBase64('c2VjcmV0IGlzIHNlY3VyZQ==')?.length).toBe(16);
    expect(decodeBase64('not base64!')).toBeUndefined();
    expect(decodeBase64('abc')).toBeUndefined();
  });
});

// The real-world corpus has no control-plane files: the area must stay silent on it.
const corpus = process.env['MAMORI_FIXTURES'];
describe.skipIf(corpus === undefined)('real-world corpus (MAMORI_FIXTURES)', () => {
  it('gives no control-plane finding', () => {
    const dir = join(corpus ?? '.', 'manifests');
    const files: { file: string; text: string }[] = [];
    const walk = (d: string): void => {
      for (const name of readdirSync(d)) {
        const full = join(d, name);
        if (statSync(full).isDirectory()) walk(full);
        else if (/\.(ya?ml|json)$/.test(name)) files.push({ file: full, text: readFileSync(full, 'utf8') });
      }
    };
    walk(dir);
    expect(files.length).toBeGreaterThan(0);
    const report = scanTexts(files, { rules: AREA, config: ALL_ON });
    expect(report.findings.map((f) => `${f.ruleId} ${f.location?.file ?? ''}`)).toEqual([]);
  });
});
