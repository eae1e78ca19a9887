import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import jsYaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { admissionManifests, renderManifests, type ManifestOptions } from '../src/admission/manifests.js';
import { generateCertificates, serviceDnsNames } from '../src/admission/certs.js';
import { runAdmissionManifests, type AdmissionManifestsFlags } from '../src/cli/admission-manifests.js';
import { scanTexts } from '../src/engine/scan.js';
import { MamoriError } from '../src/errors.js';
import { applyPatch } from '../src/fix/patch.js';
import { POD_BEARING_KINDS } from '../src/k8s/pod.js';
import { KUBE_SCHEMA } from '../src/load/schema.js';
import { labelSetOf, matchesSelector, parseLabelSelector } from '../src/k8s/selectors.js';
import { RULES } from '../src/rules/index.js';
import type { PatchOperation } from '../src/engine/rule.js';
import type { JsonObject } from '../src/types.js';
import { VERSION } from '../src/version.js';
import { podCreateReview } from './helpers/admission.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

// ---- helpers -------------------------------------------------------------------------------

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the command in-process, capturing what it writes. */
function run(flags: AdmissionManifestsFlags): Run {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = runAdmissionManifests(flags);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** Parses a YAML stream with both parsers the project uses; they must agree. */
function parse(text: string): JsonObject[] {
  const viaJsYaml = jsYaml.loadAll(text) as JsonObject[];
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) throw new Error('the yaml package found no documents');
  for (const doc of docs) expect(doc.errors, String(doc.errors[0]?.message)).toEqual([]);
  const viaYaml = docs.map((d) => d.toJS() as JsonObject);
  expect(viaYaml).toEqual(viaJsYaml);
  // kubectl reads YAML 1.1 (sigs.k8s.io/yaml): the same objects, no string turned into a boolean or a date.
  expect(jsYaml.loadAll(text, undefined, { schema: KUBE_SCHEMA })).toEqual(viaJsYaml);
  return viaJsYaml;
}

function find(objects: readonly JsonObject[], kind: string, name?: string): JsonObject {
  const found = objects.filter((o) => o['kind'] === kind && (name === undefined || (o['metadata'] as JsonObject)['name'] === name));
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0] as JsonObject;
}

function kinds(objects: readonly JsonObject[]): string[] {
  return objects.map((o) => String(o['kind']));
}

/** The value at a path (keys, or array indexes) in parsed YAML; undefined where the path leads nowhere. */
function get(value: unknown, path: string | readonly (string | number)[]): unknown {
  const keys = typeof path === 'string' ? path.split('.') : path;
  let current = value;
  for (const key of keys) {
    if (Array.isArray(current)) current = current[Number(key)];
    else if (typeof current === 'object' && current !== null) current = (current as Record<string, unknown>)[String(key)];
    else return undefined;
  }
  return current;
}

/** The array at a path (an assertion failure if there is none). */
function list(value: unknown, path: string | readonly (string | number)[]): unknown[] {
  const found = get(value, path);
  expect(Array.isArray(found), `${String(path)} is an array`).toBe(true);
  return found as unknown[];
}

/** The strings at a path. */
function strings(value: unknown, path: string | readonly (string | number)[]): string[] {
  return list(value, path).map((v) => String(v));
}

function str(value: unknown, path: string | readonly (string | number)[]): string {
  return String(get(value, path));
}

function podSpec(objects: readonly JsonObject[]): unknown {
  return get(find(objects, 'Deployment'), 'spec.template.spec');
}

function container(objects: readonly JsonObject[]): unknown {
  const containers = list(podSpec(objects), 'containers');
  expect(containers).toHaveLength(1);
  return containers[0];
}

function webhook(objects: readonly JsonObject[], kind: 'ValidatingWebhookConfiguration' | 'MutatingWebhookConfiguration'): unknown {
  const hooks = list(find(objects, kind), 'webhooks');
  expect(hooks).toHaveLength(1);
  return hooks[0];
}

/** The value after a flag in the container's args. */
function arg(c: unknown, flag: string): string | undefined {
  const args = strings(c, 'args');
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}

/** The item of a list whose field has a value. */
function item(value: unknown, path: string, field: string, equals: unknown): unknown {
  return list(value, path).find((entry) => get(entry, field) === equals);
}

/** A model of @kubernetes/client-node: the API's field names and types, generated from the OpenAPI spec. */
interface Model {
  attributeTypeMap: readonly { baseName: string; type: string }[];
}

function modelOf(type: string): Model | undefined {
  const candidate = (k8s as unknown as Record<string, unknown>)[type];
  return typeof candidate === 'function' && Array.isArray((candidate as unknown as Model).attributeTypeMap) ? (candidate as unknown as Model) : undefined;
}

/** Fields the Kubernetes API does not know, or values of the wrong type, at their paths. */
function schemaProblems(value: unknown, type: string, path: string): string[] {
  const array = /^Array<(.+)>$/.exec(type);
  if (array !== null) {
    if (!Array.isArray(value)) return [`${path}: expected an array`];
    return value.flatMap((v, i) => schemaProblems(v, array[1] ?? '', `${path}[${i}]`));
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map !== null) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path}: expected a map`];
    return Object.entries(value).flatMap(([k, v]) => schemaProblems(v, map[1] ?? '', `${path}.${k}`));
  }
  switch (type) {
    case 'string':
    case 'Date':
      return typeof value === 'string' ? [] : [`${path}: expected a string, got ${JSON.stringify(value)}`];
    case 'number':
      return typeof value === 'number' ? [] : [`${path}: expected a number, got ${JSON.stringify(value)}`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${path}: expected a boolean, got ${JSON.stringify(value)}`];
    case 'IntOrString':
      return typeof value === 'string' || typeof value === 'number' ? [] : [`${path}: expected an int or a string`];
    case 'any':
      return [];
  }
  const model = modelOf(type);
  if (model === undefined) return [`${path}: no model ${type}`];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path}: expected an object (${type})`];
  const problems: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    const field = model.attributeTypeMap.find((a) => a.baseName === key);
    if (field === undefined) problems.push(`${path}.${key}: no such field in ${type}`);
    else problems.push(...schemaProblems(v, field.type, `${path}.${key}`));
  }
  return problems;
}

/** Would the API server send a request for an object in this namespace (its automatic name label only)? */
function sends(hook: unknown, namespace: string): boolean {
  const selector = parseLabelSelector(get(hook, 'namespaceSelector'), 'everything');
  return matchesSelector(selector, labelSetOf({ 'kubernetes.io/metadata.name': namespace }));
}

function scan(text: string): { findings: string[]; errors: string[]; objects: number } {
  const report = scanTexts([{ file: 'mamori.yaml', text }], { rules: RULES, pss: 'restricted:latest', now: new Date('2026-06-01T00:00:00Z') });
  return {
    findings: report.findings.map((f) => `${f.ruleId} ${f.object.kind}/${f.object.name}: ${f.message}`),
    errors: report.errors.map((e) => e.message),
    objects: report.inputs.objects,
  };
}

function expectUsage(fn: () => unknown, message: RegExp, code = 'usage'): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(MamoriError);
  expect((caught as MamoriError).code).toBe(code);
  expect((caught as MamoriError).message).toMatch(message);
}

// ---- fixtures: real certificates made by `mamori admission certs`'s generator ----------------

let dir: string;
let certs: string; // for mamori-system
let otherCerts: string; // for namespace "guard"
let caFile: string;

function writeCerts(at: string, made: { caCert: string; cert: string; key: string }): string {
  mkdirSync(at, { recursive: true });
  writeFileSync(join(at, 'ca.crt'), made.caCert);
  writeFileSync(join(at, 'tls.crt'), made.cert);
  writeFileSync(join(at, 'tls.key'), made.key, { mode: 0o600 });
  return at;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mamori-manifests-'));
  const system = generateCertificates({ commonName: 'mamori-webhook.mamori-system.svc', dnsNames: serviceDnsNames('mamori-webhook', 'mamori-system') });
  certs = writeCerts(join(dir, 'system'), system);
  caFile = join(certs, 'ca.crt');
  const guard = generateCertificates({ commonName: 'mamori-webhook.guard.svc', dnsNames: serviceDnsNames('mamori-webhook', 'guard') });
  otherCerts = writeCerts(join(dir, 'guard'), guard);
  // The key of one pair with the certificate of the other.
  writeCerts(join(dir, 'mismatch'), { caCert: system.caCert, cert: system.cert, key: guard.key });
  // A CA file that carries a private key by mistake.
  writeFileSync(join(dir, 'ca-with-key.pem'), `${system.caCert}${system.key}`);
  writeFileSync(join(dir, 'not-pem.txt'), 'hello\n');
  writeFileSync(join(dir, 'config.yaml'), 'pss: restricted:latest\nfailOn: high\n');
  writeFileSync(join(dir, 'bad-config.yaml'), 'failOn: high\nbogus: 1\n');
}, 60_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

// ---- the command -----------------------------------------------------------------------------

describe('mamori admission manifests', () => {
  it('prints a YAML stream both parsers read identically, in apply order, and exits 0', () => {
    const result = run({ certs });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      "mamori: note: the output holds the serving certificate's private key (Secret mamori-system/mamori-webhook-tls): pipe it to kubectl, do not commit it\n",
    );
    const objects = parse(result.stdout);
    expect(kinds(objects)).toEqual([
      'Namespace',
      'ResourceQuota',
      'ResourceQuota',
      'LimitRange',
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'Secret',
      'Service',
      'Deployment',
      'PodDisruptionBudget',
      'NetworkPolicy',
      'NetworkPolicy',
      'ValidatingWebhookConfiguration',
    ]);
    // Every namespaced object is in mamori-system; the cluster-scoped ones have no namespace.
    for (const o of objects) {
      const clusterScoped = ['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'ValidatingWebhookConfiguration'].includes(String(o['kind']));
      expect(get(o, 'metadata.namespace'), String(o['kind'])).toBe(clusterScoped ? undefined : 'mamori-system');
      expect(get(o, ['metadata', 'labels', 'app.kubernetes.io/version'])).toBe(VERSION);
    }
  });

  it('passes its own scan: the whole catalog at restricted:latest finds nothing', () => {
    const text = run({ certs }).stdout;
    const result = scan(text);
    expect(result.errors).toEqual([]);
    expect(result.objects).toBe(14);
    expect(result.findings).toEqual([]);
  });

  it('passes its own scan for every combination of mode, certificate source, replicas, failure policy, priority class and config', () => {
    const system = generateCertificates({ commonName: 'x', dnsNames: ['mamori-webhook.mamori-system.svc'] });
    const tlsSources: ManifestOptions['tls'][] = [
      { kind: 'ca-bundle', caPem: system.caCert },
      { kind: 'ca-bundle', caPem: system.caCert, secret: { certPem: system.cert, keyPem: system.key } },
      { kind: 'cert-manager' },
      { kind: 'cert-manager', issuer: { kind: 'ClusterIssuer', name: 'corp-ca' } },
    ];
    let combinations = 0;
    for (const mode of ['validate', 'mutate', 'both'] as const)
      for (const tls of tlsSources)
        for (const replicas of [1, 2, 3])
          for (const failurePolicy of ['Fail', 'Ignore'] as const)
            for (const priorityClassName of ['system-cluster-critical', ''])
              for (const config of [undefined, 'failOn: high\n']) {
                const options: ManifestOptions = { tls, mode, replicas, failurePolicy, priorityClassName, namespace: replicas === 3 ? 'guard' : 'mamori-system' };
                if (config !== undefined) options.config = config;
                const text = renderManifests(admissionManifests(options).objects);
                const result = scan(text);
                const label = JSON.stringify({ mode, tls: tls.kind, replicas, failurePolicy, priorityClassName, config });
                expect(result.errors, label).toEqual([]);
                expect(result.findings, label).toEqual([]);
                combinations++;
              }
    expect(combinations).toBe(3 * 4 * 3 * 2 * 2 * 2);
  }, 120_000);

  it('the clean scan is not vacuous: weakening the manifests brings the findings the rules promise', () => {
    const { objects } = admissionManifests({ tls: { kind: 'cert-manager' } });
    expect(scan(renderManifests(objects)).findings).toEqual([]);
    // Drop the seccomp profiles, the read-only root filesystem, the pod's token setting, and the namespace's default deny.
    const weakened = structuredClone(objects).filter((o) => !(o['kind'] === 'NetworkPolicy' && get(o, 'metadata.name') === 'default-deny'));
    const spec = podSpec(weakened) as JsonObject;
    delete (spec['securityContext'] as JsonObject)['seccompProfile'];
    delete spec['automountServiceAccountToken'];
    const security = get(container(weakened), 'securityContext') as JsonObject;
    delete security['seccompProfile'];
    security['readOnlyRootFilesystem'] = false;
    const ids = new Set(scan(renderManifests(weakened)).findings.map((f) => f.split(' ')[0]));
    for (const id of ['pss-seccomp-profile-restricted', 'writable-root-filesystem', 'namespace-default-deny-egress', 'namespace-default-deny-ingress']) expect(ids, id).toContain(id);
  });

  it('uses only fields the Kubernetes API defines, with the right types (client-node models of the OpenAPI spec)', () => {
    const variants: AdmissionManifestsFlags[] = [{ certs, mode: 'both', config: join(dir, 'config.yaml') }, { certManager: true, mode: 'both', replicas: '1' }];
    let checked = 0;
    for (const flags of variants) {
      for (const o of parse(run(flags).stdout)) {
        if (String(o['apiVersion']).startsWith('cert-manager.io/')) continue;
        const type = `V1${String(o['kind'])}`;
        expect(modelOf(type), type).toBeDefined();
        expect(schemaProblems(o, type, String(o['kind']))).toEqual([]);
        checked++;
      }
    }
    expect(checked).toBe(29);
    // The check has teeth: a misspelt field is caught.
    const deploy = structuredClone(find(parse(run({ certs }).stdout), 'Deployment'));
    (get(deploy, 'spec.template.spec') as JsonObject)['priorityClass'] = 'x';
    expect(schemaProblems(deploy, 'V1Deployment', 'Deployment')).toEqual(['Deployment.spec.template.spec.priorityClass: no such field in V1PodSpec']);
  });

  it('wires the webhook to what the server serves: Service 443 → port https 8443, /validate and /mutate, TLS files from the Secret', () => {
    const objects = parse(run({ certs, mode: 'both' }).stdout);
    const svc = find(objects, 'Service', 'mamori-webhook');
    const deploy = find(objects, 'Deployment', 'mamori-webhook');
    const pod = podSpec(objects);
    const c = container(objects);
    // The Service selects the pods and forwards 443 to the container port named https, 8443.
    expect(get(svc, 'spec.ports')).toEqual([{ name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' }]);
    const selector = get(svc, 'spec.selector') as Record<string, string>;
    for (const [k, v] of Object.entries(selector)) expect(get(deploy, ['spec', 'template', 'metadata', 'labels', k])).toBe(v);
    expect(get(deploy, 'spec.selector.matchLabels')).toEqual(selector);
    expect(get(c, 'ports')).toEqual([{ name: 'https', containerPort: 8443, protocol: 'TCP' }]);
    // The server is told to listen there, with the certificate files of the mounted Secret.
    expect(strings(c, 'args').slice(0, 2)).toEqual(['admission', 'serve']);
    expect(arg(c, '--port')).toBe('8443');
    expect(arg(c, '--tls-cert')).toBe('/etc/mamori/tls/tls.crt');
    expect(arg(c, '--tls-key')).toBe('/etc/mamori/tls/tls.key');
    expect(arg(c, '--failure-policy')).toBe('Fail');
    const mount = item(c, 'volumeMounts', 'mountPath', '/etc/mamori/tls');
    expect(get(mount, 'readOnly')).toBe(true);
    const volume = item(pod, 'volumes', 'name', get(mount, 'name'));
    const secret = find(objects, 'Secret');
    expect(get(volume, 'secret.secretName')).toBe(get(secret, 'metadata.name'));
    expect(get(secret, 'type')).toBe('kubernetes.io/tls');
    const certPem = Buffer.from(str(secret, ['data', 'tls.crt']), 'base64');
    expect(certPem.toString()).toBe(readFileSync(join(certs, 'tls.crt'), 'utf8'));
    expect(Buffer.from(str(secret, ['data', 'tls.key']), 'base64').toString()).toBe(readFileSync(join(certs, 'tls.key'), 'utf8'));
    // Probes reach the server's health endpoints over HTTPS on that port.
    expect(get(c, 'readinessProbe.httpGet')).toEqual({ path: '/readyz', port: 'https', scheme: 'HTTPS' });
    expect(get(c, 'startupProbe.httpGet')).toEqual({ path: '/readyz', port: 'https', scheme: 'HTTPS' });
    expect(get(c, 'livenessProbe.httpGet')).toEqual({ path: '/healthz', port: 'https', scheme: 'HTTPS' });
    // Each webhook calls that Service at its path, with the CA as caBundle.
    const caBase64 = readFileSync(caFile).toString('base64');
    for (const [kind, path] of [
      ['ValidatingWebhookConfiguration', '/validate'],
      ['MutatingWebhookConfiguration', '/mutate'],
    ] as const) {
      const hook = webhook(objects, kind);
      expect(get(hook, 'clientConfig.service')).toEqual({ namespace: 'mamori-system', name: get(svc, 'metadata.name'), path, port: 443 });
      expect(get(hook, 'clientConfig.caBundle')).toBe(caBase64);
      expect(get(hook, 'sideEffects')).toBe('None');
      expect(get(hook, 'admissionReviewVersions')).toEqual(['v1']);
      expect(get(hook, 'matchPolicy')).toBe('Equivalent');
      expect(get(hook, 'timeoutSeconds')).toBe(5);
      // At least three DNS segments, as the API requires.
      expect(str(hook, 'name').split('.').length).toBeGreaterThanOrEqual(3);
    }
    // And the API server, trusting that CA, accepts the serving certificate for the name it dials.
    const ca = new X509Certificate(Buffer.from(str(webhook(objects, 'ValidatingWebhookConfiguration'), 'clientConfig.caBundle'), 'base64'));
    const serving = new X509Certificate(certPem);
    expect(serving.verify(ca.publicKey)).toBe(true);
    expect(serving.checkHost('mamori-webhook.mamori-system.svc')).toBe('mamori-webhook.mamori-system.svc');
  });

  it('--ca-bundle: caBundle is the base64 of the file, and no Secret is emitted (a note says to create it)', () => {
    const result = run({ caBundle: caFile, mode: 'both' });
    const objects = parse(result.stdout);
    expect(kinds(objects)).not.toContain('Secret');
    const expected = readFileSync(caFile).toString('base64');
    expect(get(webhook(objects, 'ValidatingWebhookConfiguration'), 'clientConfig.caBundle')).toBe(expected);
    expect(get(webhook(objects, 'MutatingWebhookConfiguration'), 'clientConfig.caBundle')).toBe(expected);
    expect(result.stderr).toContain('create secret tls mamori-webhook-tls');
  });

  it('excludes kube-system, kube-node-lease and its own namespace from both webhooks, and the namespaces asked for', () => {
    const cases: [AdmissionManifestsFlags, string][] = [
      [{ certs, mode: 'both' }, 'mamori-system'],
      [{ certs: otherCerts, mode: 'both', namespace: 'guard', excludeNamespaces: 'calico-system, cert-manager' }, 'guard'],
    ];
    for (const [flags, own] of cases) {
      const objects = parse(run(flags).stdout);
      for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'] as const) {
        const hook = webhook(objects, kind);
        for (const ns of ['kube-system', 'kube-node-lease', own]) expect(sends(hook, ns), `${kind} ${ns}`).toBe(false);
        for (const ns of ['default', 'shop', 'kube-public']) expect(sends(hook, ns), `${kind} ${ns}`).toBe(true);
        expect(sends(hook, 'mamori-system'), kind).toBe(own !== 'mamori-system');
        const extra = flags.excludeNamespaces !== undefined;
        expect(sends(hook, 'calico-system')).toBe(!extra);
        expect(sends(hook, 'cert-manager')).toBe(!extra);
      }
    }
  });

  it('matches every workload kind the engine checks, on CREATE and UPDATE, and ephemeral containers', () => {
    const groups: Record<string, string> = {
      Pod: '',
      ReplicationController: '',
      PodTemplate: '',
      Deployment: 'apps',
      ReplicaSet: 'apps',
      StatefulSet: 'apps',
      DaemonSet: 'apps',
      Job: 'batch',
      CronJob: 'batch',
      Rollout: 'argoproj.io',
      DeploymentConfig: 'apps.openshift.io',
    };
    const objects = parse(run({ certs, mode: 'both' }).stdout);
    const matcher =
      (hook: unknown) =>
      (group: string, resource: string, operation: string): boolean =>
        list(hook, 'rules').some(
          (r) =>
            strings(r, 'apiGroups').includes(group) &&
            (strings(r, 'apiVersions').includes('v1') || strings(r, 'apiVersions').includes('*')) &&
            strings(r, 'resources').includes(resource) &&
            strings(r, 'operations').includes(operation) &&
            get(r, 'scope') === 'Namespaced',
        );
    const validated = matcher(webhook(objects, 'ValidatingWebhookConfiguration'));
    expect(POD_BEARING_KINDS.length).toBe(11);
    for (const kind of POD_BEARING_KINDS) {
      const group = groups[kind];
      expect(group, `${kind} has an API group in this test`).toBeDefined();
      const resource = `${kind.toLowerCase()}s`;
      expect(validated(group ?? '?', resource, 'CREATE'), `${kind} CREATE`).toBe(true);
      expect(validated(group ?? '?', resource, 'UPDATE'), `${kind} UPDATE`).toBe(true);
      expect(validated(group ?? '?', resource, 'DELETE'), `${kind} DELETE`).toBe(false);
    }
    expect(validated('', 'pods/ephemeralcontainers', 'UPDATE')).toBe(true);
    // The mutating webhook: pods and Jobs only on CREATE (their pod spec is immutable after), no ReplicaSets.
    const hook = webhook(objects, 'MutatingWebhookConfiguration');
    const mutated = matcher(hook);
    expect(mutated('', 'pods', 'CREATE')).toBe(true);
    expect(mutated('', 'pods', 'UPDATE')).toBe(false);
    expect(mutated('batch', 'jobs', 'CREATE')).toBe(true);
    expect(mutated('batch', 'jobs', 'UPDATE')).toBe(false);
    expect(mutated('apps', 'replicasets', 'CREATE')).toBe(false);
    expect(mutated('', 'pods/ephemeralcontainers', 'UPDATE')).toBe(false);
    for (const [group, resource] of [
      ['apps', 'deployments'],
      ['apps', 'statefulsets'],
      ['apps', 'daemonsets'],
      ['batch', 'cronjobs'],
      ['', 'replicationcontrollers'],
      ['', 'podtemplates'],
    ] as const) {
      expect(mutated(group, resource, 'CREATE'), resource).toBe(true);
      expect(mutated(group, resource, 'UPDATE'), resource).toBe(true);
    }
    expect(get(hook, 'failurePolicy')).toBe('Ignore');
    expect(get(hook, 'reinvocationPolicy')).toBe('IfNeeded');
    expect(get(hook, 'matchConditions')).toEqual([
      { name: 'not-a-mirror-pod', expression: "!has(object.metadata.annotations) || !('kubernetes.io/config.mirror' in object.metadata.annotations)" },
    ]);
  });

  it('runs the pod restricted, highly available and least-privileged by default', () => {
    const objects = parse(run({ certs }).stdout);
    const deploy = find(objects, 'Deployment');
    const pod = podSpec(objects);
    const c = container(objects);
    expect(get(deploy, 'spec.replicas')).toBe(2);
    expect(get(deploy, 'spec.strategy.rollingUpdate')).toEqual({ maxUnavailable: 0, maxSurge: 1 });
    expect(get(pod, 'securityContext')).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    expect(get(c, 'securityContext')).toEqual({
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    for (const kind of ['requests', 'limits']) expect(Object.keys(get(c, ['resources', kind]) as object).sort()).toEqual(['cpu', 'ephemeral-storage', 'memory']);
    expect(get(c, 'image')).toBe(`ghcr.io/mamori-dev/mamori:${VERSION}`);
    expect(get(c, 'imagePullPolicy')).toBe('IfNotPresent');
    expect(get(pod, 'priorityClassName')).toBe('system-cluster-critical');
    expect(list(pod, 'affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution').map((t) => get(t, 'podAffinityTerm.topologyKey'))).toEqual([
      'kubernetes.io/hostname',
      'topology.kubernetes.io/zone',
    ]);
    expect(list(pod, 'topologySpreadConstraints').map((t) => get(t, 'topologyKey'))).toEqual(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
    const pdb = find(objects, 'PodDisruptionBudget');
    expect(get(pdb, 'spec.minAvailable')).toBe(1);
    expect(get(pdb, 'spec.selector.matchLabels')).toEqual(get(deploy, 'spec.selector.matchLabels'));
    // The token: not automounted, but projected, short-lived, at the path in-cluster clients read.
    expect(get(find(objects, 'ServiceAccount'), 'automountServiceAccountToken')).toBe(false);
    expect(get(pod, 'automountServiceAccountToken')).toBe(false);
    expect(get(pod, 'serviceAccountName')).toBe('mamori-webhook');
    const tokenMount = item(c, 'volumeMounts', 'mountPath', '/var/run/secrets/kubernetes.io/serviceaccount');
    const projected = get(item(pod, 'volumes', 'name', get(tokenMount, 'name')), 'projected');
    expect(list(projected, 'sources').map((s) => Object.keys(s as object)[0])).toEqual(['serviceAccountToken', 'configMap', 'downwardAPI']);
    expect(get(projected, 'sources.0.serviceAccountToken')).toEqual({ path: 'token', expirationSeconds: 3600 });
    // RBAC: read namespaces and ask SubjectAccessReviews, nothing else, bound to this ServiceAccount only.
    expect(get(find(objects, 'ClusterRole'), 'rules')).toEqual([
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
    ]);
    expect(get(find(objects, 'ClusterRoleBinding'), 'subjects')).toEqual([{ kind: 'ServiceAccount', name: 'mamori-webhook', namespace: 'mamori-system' }]);
    // Network: everything denied, then the webhook port in; the API server and DNS out.
    expect(get(find(objects, 'NetworkPolicy', 'default-deny'), 'spec')).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const np = find(objects, 'NetworkPolicy', 'mamori-webhook');
    expect(get(np, 'spec.ingress')).toEqual([{ ports: [{ protocol: 'TCP', port: 8443 }] }]);
    expect(list(np, 'spec.egress').flatMap((r) => list(r, 'ports').map((p) => `${str(p, 'protocol')}/${str(p, 'port')}`))).toEqual(['TCP/443', 'TCP/6443', 'UDP/53', 'TCP/53']);
    // The namespace: Pod Security at restricted, since the webhook does not look at it.
    expect(get(find(objects, 'Namespace'), ['metadata', 'labels', 'pod-security.kubernetes.io/enforce'])).toBe('restricted');
  });

  it('flags change what they should', () => {
    const digest = `registry.example.com/sec/mamori@sha256:${'a'.repeat(64)}`;
    const a = parse(
      run({ certs: otherCerts, namespace: 'guard', image: digest, replicas: '3', failurePolicy: 'Ignore', timeoutSeconds: '3', mode: 'both', priorityClass: '' }).stdout,
    );
    for (const o of a) if (get(o, 'metadata.namespace') !== undefined) expect(get(o, 'metadata.namespace')).toBe('guard');
    expect(get(find(a, 'Namespace'), 'metadata.name')).toBe('guard');
    expect(get(find(a, 'ClusterRoleBinding'), 'subjects.0.namespace')).toBe('guard');
    expect(get(container(a), 'image')).toBe(digest);
    expect(get(container(a), 'imagePullPolicy')).toBe('IfNotPresent');
    expect(get(find(a, 'Deployment'), 'spec.replicas')).toBe(3);
    expect(get(find(a, 'ResourceQuota', 'mamori-quota'), 'spec.hard.pods')).toBe('8');
    expect(get(podSpec(a), 'priorityClassName')).toBeUndefined();
    expect(a.filter((o) => o['kind'] === 'ResourceQuota')).toHaveLength(1);
    expect(arg(container(a), '--failure-policy')).toBe('Ignore');
    const v = webhook(a, 'ValidatingWebhookConfiguration');
    expect(get(v, 'failurePolicy')).toBe('Ignore');
    expect(get(v, 'timeoutSeconds')).toBe(3);
    expect(get(v, 'clientConfig.service.namespace')).toBe('guard');
    expect(get(webhook(a, 'MutatingWebhookConfiguration'), 'timeoutSeconds')).toBe(3);

    // A moving tag is pulled at every start, so that replicas run the same build.
    expect(get(container(parse(run({ certs, image: 'registry.example.com/mamori:main' }).stdout)), 'imagePullPolicy')).toBe('Always');

    // --mode mutate: the mutating webhook only; the default: the validating one only.
    expect(kinds(parse(run({ certs, mode: 'mutate' }).stdout))).toContain('MutatingWebhookConfiguration');
    expect(kinds(parse(run({ certs, mode: 'mutate' }).stdout))).not.toContain('ValidatingWebhookConfiguration');
    expect(kinds(parse(run({ certs }).stdout))).not.toContain('MutatingWebhookConfiguration');

    // --replicas 1: no PodDisruptionBudget (it would block drains), and notes on stderr.
    const single = run({ certs, replicas: '1' });
    expect(kinds(parse(single.stdout))).not.toContain('PodDisruptionBudget');
    expect(single.stderr).toMatch(/one replica: no PodDisruptionBudget/);
    expect(single.stderr).toMatch(/failurePolicy Fail with one replica/);

    // --config: a ConfigMap with the file, mounted, passed to the server, and its hash on the template.
    const configFile = join(dir, 'config.yaml');
    const text = readFileSync(configFile, 'utf8');
    const c = parse(run({ certs, config: configFile }).stdout);
    expect(get(find(c, 'ConfigMap', 'mamori-config'), 'data')).toEqual({ 'config.yaml': text });
    expect(arg(container(c), '--config')).toBe('/etc/mamori/config/config.yaml');
    expect(get(item(container(c), 'volumeMounts', 'mountPath', '/etc/mamori/config'), 'readOnly')).toBe(true);
    expect(get(find(c, 'Deployment'), ['spec', 'template', 'metadata', 'annotations', 'mamori.io/config-sha256'])).toBe(createHash('sha256').update(text).digest('hex'));
  });

  it('quotes names that YAML 1.1 would read as booleans or dates', () => {
    const text = run({ certManager: true, namespace: 'y', excludeNamespaces: 'on,no,2001-12-14' }).stdout;
    const objects = parse(text);
    expect(get(find(objects, 'Namespace'), 'metadata.name')).toBe('y');
    expect(get(webhook(objects, 'ValidatingWebhookConfiguration'), 'namespaceSelector.matchExpressions.0.values')).toEqual(['kube-system', 'kube-node-lease', 'y', 'on', 'no', '2001-12-14']);
    expect(text).toContain('namespace: "y"');
  });

  it('--cert-manager: a self-signed CA chain and the CA injector, or the issuer named', () => {
    const result = run({ certManager: true, mode: 'both' });
    expect(result.stderr).toMatch(/cert-manager .* must be installed/);
    const objects = parse(result.stdout);
    expect(kinds(objects)).not.toContain('Secret');
    const serving = find(objects, 'Certificate', 'mamori-webhook');
    expect(get(serving, 'spec.secretName')).toBe('mamori-webhook-tls');
    expect(strings(serving, 'spec.dnsNames')).toContain('mamori-webhook.mamori-system.svc');
    expect(get(serving, 'spec.issuerRef')).toEqual({ group: 'cert-manager.io', kind: 'Issuer', name: 'mamori-ca' });
    expect(get(find(objects, 'Issuer', 'mamori-ca'), 'spec')).toEqual({ ca: { secretName: 'mamori-ca' } });
    const ca = find(objects, 'Certificate', 'mamori-ca');
    expect(get(ca, 'spec.isCA')).toBe(true);
    expect(get(ca, 'spec.issuerRef.name')).toBe('mamori-selfsigned');
    expect(get(find(objects, 'Issuer', 'mamori-selfsigned'), 'spec')).toEqual({ selfSigned: {} });
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'] as const) {
      expect(get(find(objects, kind), 'metadata.annotations')).toEqual({ 'cert-manager.io/inject-ca-from': 'mamori-system/mamori-webhook' });
      expect(get(webhook(objects, kind), 'clientConfig.caBundle')).toBeUndefined();
    }
    // The certificate's Secret is the one the pods mount.
    const volume = list(podSpec(objects), 'volumes').find((v) => get(v, 'secret') !== undefined);
    expect(get(volume, 'secret.secretName')).toBe(get(serving, 'spec.secretName'));

    const named = parse(run({ certManager: 'ClusterIssuer/corp-ca', namespace: 'guard' }).stdout);
    expect(named.filter((o) => o['kind'] === 'Issuer')).toEqual([]);
    expect(get(find(named, 'Certificate'), 'spec.issuerRef')).toEqual({ group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'corp-ca' });
    expect(get(find(named, 'ValidatingWebhookConfiguration'), ['metadata', 'annotations', 'cert-manager.io/inject-ca-from'])).toBe('guard/mamori-webhook');
    expect(get(find(parse(run({ certManager: 'team-issuer' }).stdout), 'Certificate'), 'spec.issuerRef.kind')).toBe('Issuer');
  });

  it('refuses what would give a broken or unsafe webhook, with a usage error that says why', () => {
    expectUsage(() => run({}), /--certs DIR .* --ca-bundle FILE, or --cert-manager/);
    expectUsage(() => run({ certs, certManager: true }), /only one of/);
    expectUsage(() => run({ caBundle: join(dir, 'ca-with-key.pem') }), /holds a private key/);
    expectUsage(() => run({ caBundle: join(dir, 'not-pem.txt') }), /no PEM certificate/);
    expectUsage(() => run({ caBundle: join(dir, 'missing.pem') }), /cannot read/, 'io');
    // Certificates made for mamori-system do not serve the Service in another namespace.
    expectUsage(() => run({ certs, namespace: 'guard' }), /not valid for mamori-webhook\.guard\.svc/);
    expectUsage(() => run({ certs: join(dir, 'mismatch') }), /is not the key of/);
    expectUsage(() => run({ certs: otherCerts, namespace: 'guard', replicas: '0' }), /--replicas must be a whole number from 1 to 100/);
    expectUsage(() => run({ certs, replicas: 'two' }), /--replicas must be a whole number/);
    expectUsage(() => run({ certs, timeoutSeconds: '31' }), /--timeout-seconds must be a whole number from 1 to 30/);
    expectUsage(() => run({ certs, failurePolicy: 'fail' }), /--failure-policy must be Fail or Ignore/);
    expectUsage(() => run({ certs, mode: 'enforce' }), /--mode must be validate, mutate or both/);
    expectUsage(() => run({ certManager: true, namespace: 'Bad_NS' }), /--namespace must be a namespace name/);
    expectUsage(() => run({ certs, image: 'Registry/UPPER:tag' }), /--image .* is not a valid image reference/);
    expectUsage(() => run({ certs, excludeNamespaces: 'ok,not ok' }), /--exclude-namespaces must be a namespace name/);
    expectUsage(() => run({ certManager: 'Vault/x' }), /--cert-manager takes NAME/);
    expectUsage(() => run({ certs, priorityClass: 'Not Valid' }), /--priority-class/);
    // A configuration the server would refuse at start (and crash-loop on) is refused here.
    expectUsage(() => run({ certs, config: join(dir, 'bad-config.yaml') }), /bogus/, 'config');
  });
});

// ---- end to end: the server, started as the Deployment starts it, answers the webhook ----------

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface Reply {
  status: number;
  body: string;
}

/** An HTTPS call as the API server makes it: to the Service's DNS name, trusting only caBundle. */
function call(port: number, ca: Buffer, serviceName: string, method: string, path: string, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        ca,
        // SNI and the identity check use the name the API server dials.
        servername: serviceName,
        headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: 5000,
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (data += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

describe('the generated webhook configuration against the real server', () => {
  let child: ChildProcess | undefined;
  let stderr = '';
  afterAll(() => {
    if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
  });

  it('the server started with the Deployment args serves both webhooks at their paths, with the certificate caBundle trusts', async () => {
    const objects = parse(run({ certs, mode: 'both', failurePolicy: 'Fail' }).stdout);
    const c = container(objects);
    const validating = webhook(objects, 'ValidatingWebhookConfiguration');
    const mutating = webhook(objects, 'MutatingWebhookConfiguration');
    const serviceName = `${str(validating, 'clientConfig.service.name')}.${str(validating, 'clientConfig.service.namespace')}.svc`;
    const ca = Buffer.from(str(validating, 'clientConfig.caBundle'), 'base64');
    const validatePath = str(validating, 'clientConfig.service.path');
    const mutatePath = str(mutating, 'clientConfig.service.path');

    // The Deployment's args, with the mount point of the Secret mapped to the certificate files here
    // and the port moved to a free one (8443 may be taken on a test machine).
    const args = strings(c, 'args');
    expect(args.slice(0, 2)).toEqual(['admission', 'serve']);
    const flags: Record<string, string> = {};
    for (let i = 2; i < args.length; i += 2) {
      const name = String(args[i]);
      expect(name).toMatch(/^--[a-z-]+$/);
      flags[name.slice(2).replace(/-([a-z])/g, (_, ch: string) => ch.toUpperCase())] = String(args[i + 1]);
    }
    expect(Object.keys(flags).sort()).toEqual(['failurePolicy', 'port', 'tlsCert', 'tlsKey']);
    flags['tlsCert'] = String(flags['tlsCert']).replace('/etc/mamori/tls', certs);
    flags['tlsKey'] = String(flags['tlsKey']).replace('/etc/mamori/tls', certs);
    const port = await freePort();
    flags['port'] = String(port);
    flags['host'] = '127.0.0.1';
    // Outside a cluster the labels come from a file: namespace "shop" enforces restricted.
    const labels = join(dir, 'namespaces.yaml');
    writeFileSync(labels, 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    mamori.io/enforce: restricted\n');
    flags['namespaceLabels'] = labels;

    const script = join(dir, 'serve.mts');
    writeFileSync(
      script,
      [
        `import { runAdmissionServe } from ${JSON.stringify(join(ROOT, 'src/cli/admission.ts'))};`,
        'process.exitCode = await runAdmissionServe(JSON.parse(process.env.MAMORI_TEST_FLAGS ?? "{}"));',
      ].join('\n'),
    );
    const env: NodeJS.ProcessEnv = { ...process.env, MAMORI_TEST_FLAGS: JSON.stringify(flags) };
    delete env['KUBERNETES_SERVICE_HOST'];
    child = spawn(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), script], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout?.resume();
    const exited = new Promise<number | null>((resolve) => child?.on('exit', (code) => resolve(code)));

    // Ready, over TLS that verifies against caBundle for the Service's name.
    const deadline = Date.now() + 60_000;
    let ready: Reply | undefined;
    while (Date.now() < deadline) {
      ready = await call(port, ca, serviceName, 'GET', str(c, 'readinessProbe.httpGet.path')).catch(() => undefined);
      if (ready?.status === 200) break;
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(ready?.status, stderr).toBe(200);
    expect((await call(port, ca, serviceName, 'GET', str(c, 'livenessProbe.httpGet.path'))).status).toBe(200);
    // A name the certificate does not cover is refused by the client, as the API server would.
    await expect(call(port, ca, 'mamori-webhook.elsewhere.svc', 'GET', '/readyz')).rejects.toThrow(/mamori-webhook\.elsewhere\.svc/);

    const privileged: JsonObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'bad', namespace: 'shop' },
      spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1.0', securityContext: { privileged: true } }] },
    };
    const denied = await call(port, ca, serviceName, 'POST', validatePath, podCreateReview('uid-deny', privileged));
    expect(denied.status).toBe(200);
    const deniedReview = JSON.parse(denied.body) as unknown;
    expect(deniedReview).toMatchObject({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'uid-deny', allowed: false, status: { code: 403 } } });
    expect(str(deniedReview, 'response.status.message')).toMatch(/privileged/);
    expect(get(deniedReview, 'response.patch')).toBeUndefined();

    // A pod that misses restricted's settings: denied, patched by /mutate, and the patched pod allowed.
    const plain: JsonObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'plain', namespace: 'shop' }, spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1.0' }] } };
    const before = JSON.parse((await call(port, ca, serviceName, 'POST', validatePath, podCreateReview('uid-plain', plain))).body) as unknown;
    expect(get(before, 'response')).toMatchObject({ uid: 'uid-plain', allowed: false, status: { code: 403 } });
    const mutated = JSON.parse((await call(port, ca, serviceName, 'POST', mutatePath, podCreateReview('uid-mutate', plain))).body) as unknown;
    expect(get(mutated, 'response')).toMatchObject({ uid: 'uid-mutate', allowed: true, patchType: 'JSONPatch' });
    const patch = JSON.parse(Buffer.from(str(mutated, 'response.patch'), 'base64').toString('utf8')) as PatchOperation[];
    expect(patch.length).toBeGreaterThan(0);
    const patched = applyPatch(plain, patch) as JsonObject;
    const after = JSON.parse((await call(port, ca, serviceName, 'POST', validatePath, podCreateReview('uid-patched', patched))).body) as unknown;
    expect(get(after, 'response'), JSON.stringify(after)).toMatchObject({ uid: 'uid-patched', allowed: true });

    // SIGTERM, as the kubelet sends after the preStop sleep: a clean exit.
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 90_000);
});

// ---- the image -------------------------------------------------------------------------------

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function instructions(text: string): { op: string; rest: string }[] {
  const joined = text.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const m = /^(\S+)\s+(.*)$/.exec(l);
      return { op: (m?.[1] ?? l).toUpperCase(), rest: m?.[2] ?? '' };
    });
}

/** Docker's .dockerignore semantics: the last matching pattern wins; a match on a directory covers its contents. */
function ignored(patterns: readonly string[], path: string): boolean {
  const toRegExp = (p: string): RegExp =>
    new RegExp(
      `^${p
        .replace(/^\//, '')
        .replace(/\/$/, '')
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*\/?/g, '\u0000')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]')
        .replace(/\u0000/g, '(?:.*/)?')}$`,
    );
  const parts = path.split('/');
  let result = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const re = toRegExp(negate ? raw.slice(1) : raw);
    for (let i = 1; i <= parts.length; i++) {
      if (re.test(parts.slice(0, i).join('/'))) {
        result = !negate;
        break;
      }
    }
  }
  return result;
}

describe('Dockerfile', () => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const steps = instructions(text);
  const args = new Map<string, string>();
  for (const s of steps.filter((s) => s.op === 'ARG')) {
    const [name, value] = s.rest.split('=', 2);
    if (name !== undefined && value !== undefined) args.set(name.trim(), value.trim());
  }
  const froms = steps.filter((s) => s.op === 'FROM');
  const finalStage = steps.slice(steps.lastIndexOf(froms[froms.length - 1] as { op: string; rest: string }));

  it('is multi-stage, every base image pinned by digest (directly or through an ARG default)', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    const stages = new Set<string>();
    for (const from of froms) {
      const words = from.rest.split(/\s+/).filter((w) => !w.startsWith('--'));
      const image = words[0] ?? '';
      const alias = words[1]?.toUpperCase() === 'AS' ? words[2] : undefined;
      const resolved = image.replace(/^\$\{?(\w+)\}?$/, (_, name: string) => args.get(name) ?? `<unset ARG ${name}>`);
      if (!stages.has(image)) expect(resolved, from.rest).toMatch(/^[^\s@]+@sha256:[0-9a-f]{64}$/);
      if (alias !== undefined) stages.add(alias);
    }
    expect(args.get('NODE_IMAGE')).toMatch(/^node:20-bookworm-slim@sha256:[0-9a-f]{64}$/);
    expect(args.get('RUNTIME_IMAGE')).toMatch(/^gcr\.io\/distroless\/nodejs20-debian12:nonroot@sha256:[0-9a-f]{64}$/);
  });

  it('runs as a numeric non-root user, from the distroless node binary, with no shell', () => {
    const users = finalStage.filter((s) => s.op === 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = (users[users.length - 1] as { rest: string }).rest.trim();
    expect(user).toMatch(/^[0-9]+(:[0-9]+)?$/);
    for (const id of user.split(':')) expect(Number(id)).not.toBe(0);
    expect(user).toBe('65532:65532');
    const entrypoint = finalStage.find((s) => s.op === 'ENTRYPOINT');
    expect(JSON.parse(entrypoint?.rest ?? 'null') as unknown).toEqual(['/nodejs/bin/node', 'bin/mamori.js']);
    // The runtime stage runs nothing at build time (distroless has no shell to run it with).
    expect(finalStage.filter((s) => s.op === 'RUN')).toEqual([]);
  });

  it('installs reproducibly without install scripts, builds, and keeps production dependencies only', () => {
    const runs = steps.filter((s) => s.op === 'RUN').map((s) => s.rest);
    expect(runs.some((r) => /\bnpm ci\b.*--ignore-scripts/.test(r))).toBe(true);
    expect(runs.some((r) => /\bnpm run build\b/.test(r))).toBe(true);
    expect(runs.some((r) => /\bnpm prune --omit=dev\b/.test(r))).toBe(true);
    expect(text).not.toMatch(/\b(curl|wget)\b[^\n]*\|\s*(ba|z)?sh\b/);
    expect(steps.some((s) => s.op === 'ADD')).toBe(false);
  });

  it('copies into the runtime only what bin/mamori.js needs', () => {
    const copies = finalStage.filter((s) => s.op === 'COPY').map((s) => s.rest);
    for (const c of copies) expect(c, 'every runtime COPY comes from the build stage').toMatch(/^--from=build /);
    const sources = copies.map((c) => c.split(/\s+/)[1]);
    expect(sources.sort()).toEqual(['/src/bin', '/src/dist/bundle', '/src/node_modules', '/src/package.json']);
    // The entry point imports the bundle, which the runtime has.
    const bin = readFileSync(join(ROOT, 'bin', 'mamori.js'), 'utf8');
    const imports = [...bin.matchAll(/import\s+['"]([^'"]+)['"]/g)].map((m) => m[1]);
    expect(imports).toEqual(['../dist/bundle/cli/main.js']);
    // package.json, copied too, makes the bundle ES modules.
    expect(get(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as unknown, 'type')).toBe('module');
  });

  it('.dockerignore keeps local and bulky files out of the build context, and lets in what the build copies', () => {
    const patterns = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    for (const p of ['node_modules/yaml/package.json', '.git/HEAD', 'bench/.corpus/k8s/a.yaml', 'test/data/cli/hardened-pod.yaml', '.scratch/brief5.md', '.env', 'dist/bundle/index.js', 'src/node_modules/x.js', 'src/engine/scan.test.ts']) {
      expect(ignored(patterns, p), p).toBe(true);
    }
    // Everything the build stage COPYs from the context.
    const fromContext = steps
      .filter((s) => s.op === 'COPY' && !s.rest.startsWith('--from='))
      .flatMap((s) => s.rest.split(/\s+/).slice(0, -1));
    expect(fromContext.sort()).toEqual(['bin', 'package-lock.json', 'package.json', 'src', 'tsconfig.json']);
    for (const p of ['package.json', 'package-lock.json', 'tsconfig.json', 'bin/mamori.js', 'src/cli/main.ts', 'src/rules/index.ts']) expect(ignored(patterns, p), p).toBe(false);
  });

  it('is the image the manifests deploy by default', () => {
    expect(get(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as unknown, 'version')).toBe(VERSION);
    const { objects } = admissionManifests({ tls: { kind: 'cert-manager' } });
    expect(get(container(objects), 'image')).toBe(`ghcr.io/mamori-dev/mamori:${VERSION}`);
    expect(text).toContain('USER 65532:65532');
    expect(get(container(objects), 'securityContext.runAsUser')).toBe(65532);
  });
});
