import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { generateCertificates } from '../src/admission/certs.js';
import { Logger } from '../src/admission/log.js';
import { DEFAULT_MODES } from '../src/admission/modes.js';
import { StaticNamespaceLabels } from '../src/admission/namespaces.js';
import { Evaluator } from '../src/admission/review.js';
import { AdmissionServer } from '../src/admission/server.js';
import { scanObjects } from '../src/engine/scan.js';
import { policyRules } from '../src/policy/rules.js';
import { runPolicyTests } from '../src/policy/test-suite.js';
import { RULES } from '../src/rules/index.js';
import { evaluatePolicies, loadPolicies, type EvaluationInput } from '../src/policy/vap.js';
import type { JsonObject } from '../src/types.js';
import { tempDirs } from './helpers/files.js';

// Policies and the admission webhook on large or hostile input: each test is a shape whose time
// grew with the square of its size (the old figure is in its comment). The timeouts only catch
// hangs; the assertions check the results, so the tests also show that nothing else changed.
const TIMEOUT = 30_000;

const tempDir = tempDirs('mamori-scale-policy-');

/** A ValidatingAdmissionPolicy of `spec` (matchConstraints: CREATE and UPDATE of `resources` in `group`). */
function policy(name: string, group: string, resources: string, spec: JsonObject): JsonObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name },
    spec: { matchConstraints: { resourceRules: [{ apiGroups: [group], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: [resources] }] }, ...spec },
  };
}

/** The messages of every decision of one evaluation. */
function messages(input: EvaluationInput, policies: JsonObject[]): string[] {
  const result = evaluatePolicies(input, loadPolicies(policies, { bindUnbound: true }));
  return result.outcomes.flatMap((o) => o.decisions.map((d) => d.message));
}

/** `count` labels `example.com/l<i>: v<i>`. */
const labels = (count: number): Record<string, string> => Object.fromEntries(Array.from({ length: count }, (_, i) => [`example.com/l${i}`, `v${i}`]));

describe('CEL over big maps, lists and strings', () => {
  it(
    "checks a selector of 16,000 labels against the template's labels",
    () => {
      // cel-js reads a map's first entry with for…in when the map is an operand of `in`, `==` or a
      // function; on a plain object of many keys that lists them all: 38.6 s for the first object.
      const count = 16_000;
      const selectorPolicy = policy('selector-in-template', 'apps', 'deployments', {
        validations: [
          { expression: 'object.spec.selector.matchLabels.all(k, k in object.spec.template.metadata.labels && object.spec.template.metadata.labels[k] == object.spec.selector.matchLabels[k])', message: 'the selector must match the template' },
          { expression: 'size(object.spec.template.metadata.labels) <= 64', messageExpression: "'too many labels: ' + string(size(object.spec.template.metadata.labels))" },
        ],
      });
      const deployment = (template: Record<string, string>): JsonObject => ({
        apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'wide', namespace: 'shop' },
        spec: { selector: { matchLabels: labels(count) }, template: { metadata: { labels: template }, spec: { containers: [] } } },
      });
      // The last label differs: every other one is looked up first.
      const differs = deployment({ ...labels(count), [`example.com/l${count - 1}`]: 'other' });
      expect(messages({ object: differs }, [selectorPolicy])).toEqual(['the selector must match the template', 'too many labels: 16000']);
      expect(messages({ object: deployment(labels(count)) }, [selectorPolicy])).toEqual(['too many labels: 16000']);
    },
    TIMEOUT,
  );

  it(
    'compares two selectors of 25,000 labels with sets.equivalent',
    () => {
      // The deep equality of the sets library compared every key of a map with every key of
      // the other: 113 s for these two updates.
      const count = 25_000;
      const immutable = policy('selector-immutable', 'apps', 'deployments', {
        validations: [{ expression: 'sets.equivalent([object.spec.selector.matchLabels], [oldObject.spec.selector.matchLabels])', message: 'the selector is immutable' }],
      });
      const deployment = (selector: Record<string, string>): JsonObject => ({
        apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'wide', namespace: 'shop' }, spec: { selector: { matchLabels: selector } },
      });
      const before = deployment(labels(count));
      // The same labels in the reverse order are the same map.
      expect(messages({ object: deployment(Object.fromEntries(Object.entries(labels(count)).reverse())), oldObject: before }, [immutable])).toEqual([]);
      expect(messages({ object: deployment({ ...labels(count), 'example.com/l0': 'changed' }), oldObject: before }, [immutable])).toEqual(['the selector is immutable']);
    },
    TIMEOUT,
  );

  it(
    'looks up each of 30,000 init container names in a variable listing the containers',
    () => {
      // `in` searched the whole list at each step, a step charged one: 29 s.
      const count = 30_000;
      const unique = policy('unique-names', '', 'pods', {
        variables: [{ name: 'names', expression: 'object.spec.containers.map(c, c.name)' }],
        validations: [{
          expression: 'object.spec.initContainers.all(i, !(i.name in variables.names))',
          messageExpression: "'init container ' + object.spec.initContainers.filter(i, i.name in variables.names)[0].name + ' has the name of a container'",
        }],
      });
      const pod = (clash: boolean): JsonObject => ({
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'wide', namespace: 'shop' },
        spec: {
          containers: Array.from({ length: count }, (_, i) => ({ name: `c${i}`, image: 'app' })),
          initContainers: Array.from({ length: count }, (_, i) => ({ name: clash && i === count - 1 ? 'c12345' : `i${i}`, image: 'init' })),
        },
      });
      expect(messages({ object: pod(false) }, [unique])).toEqual([]);
      expect(messages({ object: pod(true) }, [unique])).toEqual(['init container c12345 has the name of a container']);
    },
    TIMEOUT,
  );

  it(
    'reads a description of 40,000 characters one by one, and its size at each step',
    () => {
      // charAt split the whole string into code points at each call, size() counted them: 50 s.
      const text = `${'é😀 plain text '.repeat(2_857)}\tend`;
      const noTabs = policy('no-tabs', '', 'configmaps', {
        variables: [{ name: 'text', expression: "object.data['description']" }],
        validations: [
          {
            expression: "lists.range(size(variables.text)).all(i, variables.text.charAt(i) != '\\t' && i < size(variables.text))",
            messageExpression: "'a tab at character ' + string(lists.range(size(variables.text)).filter(i, variables.text.charAt(i) == '\\t')[0]) + ' of ' + string(size(variables.text))",
          },
        ],
      });
      const configMap: JsonObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'notes', namespace: 'shop' }, data: { description: text } };
      const points = [...text];
      expect(points.length).toBe(39_998 + 4);
      expect(messages({ object: configMap }, [noTabs])).toEqual([`a tab at character ${points.indexOf('\t')} of ${points.length}`]);
    },
    TIMEOUT,
  );
});

describe('CEL string functions on a long string at each step', () => {
  it(
    'checks 20,000 images against an annotation of 40,000 allowed images (1.3 MB)',
    () => {
      // split() read the whole annotation at each step, uncharged: 39 s, where the API server
      // charges a tenth of a step per character and stops at the cost limit. Split once into a
      // variable, the list was searched whole by `in` at each step: 30 s for the two pods.
      const count = 20_000;
      const allowed = Array.from({ length: 2 * count }, (_, i) => `registry.example.com/img${i}:1.0`).join(',');
      const pod = (image: (i: number) => string): JsonObject => ({
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'wide', namespace: 'shop', annotations: { 'example.com/allowed': allowed } },
        spec: { containers: Array.from({ length: count }, (_, i) => ({ name: `c${i}`, image: image(i) })) },
      });
      const inline = policy('allowed-inline', '', 'pods', {
        validations: [{ expression: "object.spec.containers.all(c, c.image in object.metadata.annotations['example.com/allowed'].split(','))" }],
      });
      const split = policy('allowed-variable', '', 'pods', {
        variables: [{ name: 'allowed', expression: "object.metadata.annotations['example.com/allowed'].split(',')" }],
        validations: [{ expression: 'object.spec.containers.all(c, c.image in variables.allowed)', messageExpression: "'image ' + object.spec.containers.filter(c, !(c.image in variables.allowed))[0].image + ' is not allowed'" }],
      });
      const good = pod((i) => `registry.example.com/img${2 * count - 1 - i}:1.0`);
      expect(messages({ object: good }, [inline])).toEqual([`expression '${"object.spec.containers.all(c, c.image in object.metadata.annotations['example.com/allowed'].split(','))"}' resulted in error: operation cancelled: actual cost limit exceeded`]);
      expect(messages({ object: good }, [split])).toEqual([]);
      expect(messages({ object: pod((i) => (i === count - 1 ? 'evil.example.com/miner:1.0' : `registry.example.com/img${i}:1.0`)) }, [split])).toEqual(['image evil.example.com/miner:1.0 is not allowed']);
    },
    TIMEOUT,
  );
});

describe('policies over many objects', () => {
  it(
    'scans a ConfigMap of 150,000 keys with 100 policies, half of them about Deployments',
    () => {
      // Each policy converted the object to CEL values, even the policies that do not select
      // it: 16.6 s; now the policies of a scan share one conversion, made when one selects it.
      const policies = Array.from({ length: 100 }, (_, i) => policy(`p${i}`, i % 2 === 1 ? 'apps' : '', i % 2 === 1 ? 'deployments' : 'configmaps', {
        validations: [{ expression: `!has(object.data.k${i})`, messageExpression: `'key k${i} is reserved, found with ' + object.data.k${i}` }],
      }));
      const data = Object.fromEntries(Array.from({ length: 150_000 }, (_, i) => [`k${i}`, `v${i}`]));
      const rules = policyRules(loadPolicies(policies, { bindUnbound: true }));
      const report = scanObjects([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big', namespace: 'shop' }, data }], { rules });
      expect(report.errors).toEqual([]);
      expect(report.findings.map((f) => f.ruleId).sort()).toEqual(Array.from({ length: 50 }, (_, i) => `policy:p${2 * i}`).sort());
      const message = (rule: string): string | undefined => report.findings.find((f) => f.ruleId === `policy:${rule}`)?.message;
      expect(message('p0')).toBe("ValidatingAdmissionPolicy 'p0' with binding 'mamori.io/implicit-binding' denied request: key k0 is reserved, found with v0");
      expect(message('p98')).toBe("ValidatingAdmissionPolicy 'p98' with binding 'mamori.io/implicit-binding' denied request: key k98 is reserved, found with v98");
    },
    TIMEOUT,
  );

  it(
    'selects a ConfigMap of 100,000 labels by the objectSelectors of 100 policies',
    () => {
      // Each policy and binding with an objectSelector made its own copy of the object's label
      // set: 14.6 s for this request; now the sets are made once per request.
      const policies = Array.from({ length: 100 }, (_, i) => policy(`p${i}`, '', 'configmaps', {
        matchConstraints: {
          resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }],
          namespaceSelector: { matchLabels: { env: 'prod' } },
          objectSelector: { matchExpressions: [i % 2 === 0 ? { key: 'team', operator: 'NotIn', values: ['ops'] } : { key: 'example.com/l99999', operator: 'DoesNotExist' }] },
        },
        validations: [{ expression: 'size(object.metadata.labels) <= 64', messageExpression: `'p${i}: ' + string(size(object.metadata.labels)) + ' labels'` }],
      }));
      const object: JsonObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'shop', labels: labels(100_000) } };
      const namespaceObject: JsonObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { env: 'prod' } } };
      const result = evaluatePolicies({ object, namespaceObject }, loadPolicies(policies, { bindUnbound: true }));
      expect(result.outcomes.filter((o) => o.matched).map((o) => o.policy)).toEqual(Array.from({ length: 50 }, (_, i) => `p${2 * i}`));
      expect(result.denial?.message).toBe("ValidatingAdmissionPolicy 'p0' with binding 'mamori.io/implicit-binding' denied request: p0: 100000 labels");
    },
    TIMEOUT,
  );

  it(
    'scans 30 Deployments with a policy of 16,384 variables, 64 validations reading 256 each',
    () => {
      // Loading copied the names before each variable (32,768 took 5.9 s), and each variable
      // read was a search of the list: 18 s.
      const count = 16_384;
      const group = count / 64;
      // Two parenthesized halves: cel-go (and so the API server) refuses 251 operators inside one another.
      const half = (j: number, h: number): string => Array.from({ length: group / 2 }, (_, k) => `variables.v${j * group + h * (group / 2) + k}`).join(' + ');
      const sum = (j: number): string => `(${half(j, 0)}) + (${half(j, 1)})`;
      // Group j sums replicas + i over its variables: at most 100 replicas each.
      const limit = (j: number): number => group * 100 + Array.from({ length: group }, (_, k) => j * group + k).reduce((a, b) => a + b, 0);
      const wide = policy('wide', 'apps', 'deployments', {
        variables: Array.from({ length: count }, (_, i) => ({ name: `v${i}`, expression: `object.spec.replicas + ${i}` })),
        validations: Array.from({ length: 64 }, (_, j) => ({ expression: `${sum(j)} <= ${limit(j)}`, message: `group ${j} allows at most 100 replicas` })),
      });
      const loaded = loadPolicies([wide], { bindUnbound: true });
      expect(loaded.errors).toEqual([]);
      const deployments: JsonObject[] = Array.from({ length: 30 }, (_, i) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `d${i}`, namespace: 'shop' }, spec: { replicas: 10 * i } }));
      const report = scanObjects(deployments, { rules: policyRules(loaded) });
      expect(report.errors).toEqual([]);
      expect(report.findings).toHaveLength(19 * 64);
      expect(new Set(report.findings.map((f) => f.object.name))).toEqual(new Set(Array.from({ length: 19 }, (_, i) => `d${11 + i}`)));
      expect(report.findings.find((f) => f.object.name === 'd29')?.message).toBe("ValidatingAdmissionPolicy 'wide' with binding 'mamori.io/implicit-binding' denied request: group 0 allows at most 100 replicas");
    },
    TIMEOUT,
  );

  it(
    'answers the authorizer checks of 8,000 Deployments beside 16,000 role bindings',
    () => {
      // Each check visited every binding of the input: 18 s; now only those of its subjects.
      const count = 8_000;
      const noSecretReaders = policy('no-secret-readers', 'apps', 'deployments', {
        variables: [{ name: 'sa', expression: 'authorizer.serviceAccount(object.metadata.namespace, object.spec.template.spec.serviceAccountName)' }],
        validations: [{
          expression: "!variables.sa.group('').resource('secrets').namespace(object.metadata.namespace).check('get').allowed()",
          messageExpression: "'service account ' + object.spec.template.spec.serviceAccountName + ' may read secrets'",
        }],
      });
      const rbac = 'rbac.authorization.k8s.io';
      const objects: JsonObject[] = [
        { apiVersion: `${rbac}/v1`, kind: 'ClusterRole', metadata: { name: 'secret-reader' }, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }] },
        { apiVersion: `${rbac}/v1`, kind: 'ClusterRole', metadata: { name: 'config-reader' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }] },
      ];
      for (let i = 0; i < count; i++) {
        const namespace = `team${i % 100}`;
        objects.push(
          { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `app${i}`, namespace }, spec: { template: { spec: { serviceAccountName: `sa${i}`, containers: [{ name: 'app', image: 'app' }] } } } },
          // One service account in a thousand may read secrets in its namespace.
          { apiVersion: `${rbac}/v1`, kind: 'RoleBinding', metadata: { name: `rb${i}`, namespace }, roleRef: { apiGroup: rbac, kind: 'ClusterRole', name: i % 1000 === 7 ? 'secret-reader' : 'config-reader' }, subjects: [{ kind: 'ServiceAccount', name: `sa${i}` }] },
          { apiVersion: `${rbac}/v1`, kind: 'ClusterRoleBinding', metadata: { name: `crb${i}` }, roleRef: { apiGroup: rbac, kind: 'ClusterRole', name: 'config-reader' }, subjects: [{ kind: 'Group', name: `group${i}` }, { kind: 'ServiceAccount', name: `sa${i}`, namespace }] },
        );
      }
      const report = scanObjects(objects, { rules: policyRules(loadPolicies([noSecretReaders], { bindUnbound: true })) });
      expect(report.errors).toEqual([]);
      expect(report.findings.map((f) => `${f.object.namespace}/${f.object.name}`).sort()).toEqual(Array.from({ length: 8 }, (_, k) => `team7/app${1000 * k + 7}`).sort());
      expect(report.findings.find((f) => f.object.name === 'app7')?.message).toBe("ValidatingAdmissionPolicy 'no-secret-readers' with binding 'mamori.io/implicit-binding' denied request: service account sa7 may read secrets");
    },
    TIMEOUT,
  );

  it(
    'collects an audit annotation from each of 20,000 params a selector picks, for 10 requests',
    () => {
      // Each value was looked for in the list of the values before it: 43 s.
      const count = 20_000;
      const objects: JsonObject[] = [
        policy('limits', 'apps', 'deployments', {
          paramKind: { apiVersion: 'example.com/v1', kind: 'Limit' },
          validations: [{ expression: 'object.spec.replicas <= params.max', messageExpression: "'at most ' + string(params.max) + ' replicas'" }],
          auditAnnotations: [{ key: 'limit', valueExpression: "params.metadata.name + ' allows ' + string(params.max)" }],
        }),
        {
          apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: 'limits' },
          spec: { policyName: 'limits', validationActions: ['Audit'], paramRef: { selector: { matchLabels: { team: 'a' } }, parameterNotFoundAction: 'Deny' } },
        },
      ];
      for (let i = 0; i < count; i++) objects.push({ apiVersion: 'example.com/v1', kind: 'Limit', metadata: { name: `l${i}`, namespace: 'shop', labels: { team: 'a' } }, max: i });
      const loaded = loadPolicies(objects);
      for (let replicas = 0; replicas < 10; replicas++) {
        const result = evaluatePolicies({ object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `d${replicas}`, namespace: 'shop' }, spec: { replicas } } }, loaded);
        const values = result.auditAnnotations['limits/limit']?.split(', ') ?? [];
        expect(values).toHaveLength(count);
        expect([values[0], values[count - 1]]).toEqual(['l0 allows 0', `l${count - 1} allows ${count - 1}`]);
        expect(result.auditFailures.map((f) => f.message)).toEqual(Array.from({ length: replicas }, (_, i) => `at most ${i} replicas`));
      }
    },
    TIMEOUT,
  );

  it(
    'runs a policy test suite of 20,000 tests, each naming one of 20,000 resources',
    () => {
      // Each reference was resolved by reading every resource: 19 s.
      const count = 20_000;
      const dir = tempDir();
      writeFileSync(join(dir, 'policy.yaml'), `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: replicas}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: ["apps"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["deployments"]}
  validations:
  - expression: "object.spec.replicas <= 5"
    messageExpression: "'replicas ' + string(object.spec.replicas)"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: replicas}
spec: {policyName: replicas, validationActions: [Deny]}
`);
      let resources = '';
      let suite = 'policies: [policy.yaml]\nresources: [resources.yaml]\ntests:\n';
      for (let i = 0; i < count; i++) {
        resources += `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d${i}, namespace: ns${i % 50}}\nspec: {replicas: ${i % 10}}\n---\n`;
        // Every thousandth test expects the wrong verdict.
        const expected = i % 10 > 5 ? 'deny' : 'admit';
        suite += `- name: t${i}\n  object: Deployment/ns${i % 50}/d${i}\n  expect: ${i % 1000 === 999 ? 'admit' : expected}\n`;
      }
      for (let i = 0; i < 50; i++) resources += `apiVersion: v1\nkind: Namespace\nmetadata: {name: ns${i}}\n---\n`;
      writeFileSync(join(dir, 'resources.yaml'), resources);
      writeFileSync(join(dir, 'mamori-test.yaml'), suite);
      const run = runPolicyTests(dir);
      expect(run.errors).toEqual([]);
      expect([run.passed, run.failed]).toEqual([count - 20, 20]);
      const failed = run.suites[0]?.tests.find((t) => !t.passed);
      expect(failed).toMatchObject({ name: 't999', actual: ['deny'], messages: ['replicas 9'], reason: 'expected admit, got deny' });
    },
    TIMEOUT,
  );
});

describe('the admission webhook', () => {
  it(
    'reads a request body sent in 64 KiB of 1-byte TLS records',
    async () => {
      // A Buffer kept per chunk of the body cost some 300 bytes: 300 KB sent in 1-byte records
      // took 110 MB, a 3 MiB body would take a gigabyte. The body is now copied into one buffer
      // (10 MB for the same 300 KB); this checks that a body in many pieces still reads whole.
      const dir = tempDir();
      const certs = generateCertificates({ commonName: 'mamori-webhook', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
      writeFileSync(join(dir, 'tls.crt'), certs.cert);
      writeFileSync(join(dir, 'tls.key'), certs.key);
      const server = new AdmissionServer({
        certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), port: 0, host: '127.0.0.1', failurePolicy: 'Fail', timeoutMs: 20_000,
        logger: new Logger({ write: () => true }),
        context: {
          namespaces: new StaticNamespaceLabels(),
          settings: { defaults: DEFAULT_MODES, exemptions: { usernames: [], namespaces: [], runtimeClasses: [] }, failOn: 'low', failurePolicy: 'Fail' },
          evaluator: new Evaluator({ rules: RULES }),
        },
      });
      const port = await server.start();
      try {
        const object = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'shop', annotations: { note: 'x'.repeat(64 * 1024) } }, spec: { hostPID: true, containers: [{ name: 'app', image: 'app' }] } };
        const body = Buffer.from(JSON.stringify({
          apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
          request: { uid: 'one-byte', kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' }, name: 'p', namespace: 'shop', operation: 'CREATE', userInfo: { username: 'alice' }, object },
        }));
        const socket = connect({ host: '127.0.0.1', port, ca: [certs.caCert], servername: 'localhost' });
        await new Promise((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
        socket.setNoDelay(true);
        let reply = '';
        socket.on('data', (data: Buffer) => (reply += data.toString('utf8')));
        const ended = new Promise((resolve) => socket.once('end', resolve));
        await new Promise((resolve) => socket.write(`POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`, resolve));
        // Each write waits for the one before it, so each byte leaves in a record of its own.
        for (let i = 0; i < body.length; i++) await new Promise((resolve) => socket.write(body.subarray(i, i + 1), resolve));
        await ended;
        expect(reply.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
        const review = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)) as { response: { uid: string; allowed: boolean; status?: { message: string } } };
        expect(review.response.uid).toBe('one-byte');
        expect(review.response.allowed).toBe(false);
        expect(review.response.status?.message).toBe('pods "p" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostPID=true)');
      } finally {
        await server.shutdown();
      }
    },
    TIMEOUT,
  );
});

describe('the Kubernetes CEL libraries on long strings', () => {
  it(
    'compares the quantities of 500 containers with a ceiling of 3 million digits',
    () => {
      // Parsing a quantity made a BigInt of all its digits (0.9 s for 3 million), and each
      // comparison printed both numbers to count their digits (30 ms for 100,000): 763 s.
      const ceiling = policy('memory-ceiling', '', 'pods', {
        variables: [{ name: 'ceiling', expression: "quantity(object.metadata.annotations['example.com/memory-ceiling'])" }],
        validations: [
          { expression: 'object.spec.containers.all(c, quantity(c.resources.limits.memory).compareTo(variables.ceiling) <= 0)', messageExpression: "'a container asks more than ' + object.metadata.annotations['example.com/memory-ceiling'].substring(0, 10)" },
          ...Array.from({ length: 10 }, (_, i) => ({ expression: `isQuantity(object.metadata.annotations['example.com/memory-ceiling']) && quantity(object.metadata.annotations['example.com/memory-ceiling']).isGreaterThan(quantity('${i}Gi'))`, message: `ceiling ${i}` })),
        ],
      });
      const pod = (digits: number, last: string): JsonObject => ({
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'shop', annotations: { 'example.com/memory-ceiling': '9'.repeat(digits) } },
        spec: { containers: Array.from({ length: 500 }, (_, i) => ({ name: `c${i}`, image: 'app', resources: { limits: { memory: i === 499 ? last : `${i}Mi` } } })) },
      });
      expect(messages({ object: pod(3_000_000, '1Gi') }, [ceiling])).toEqual([]);
      // One more digit than the ceiling: larger, found by the number of digits alone.
      expect(messages({ object: pod(100_000, `1${'0'.repeat(100_000)}`) }, [ceiling])).toEqual(['a container asks more than 9999999999']);
      expect(messages({ object: pod(100_000, '9'.repeat(100_000)) }, [ceiling])).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'validates an endpoint, an address, a range and a version of 600,000 characters each, twice',
    () => {
      // The URL, IP, CIDR and Semver functions are charged per character, but did more: Go's
      // quoting appended one character at a time, URL escaping tested each byte with a regular
      // expression, a CIDR's bits and a version's patch were made BigInts before their range was
      // checked. 11.2 s for this ConfigMap of 3 MB under two policies.
      const n = 600_000;
      const checks = (name: string): JsonObject => policy(name, '', 'configmaps', {
        validations: [
          { expression: "isURL(object.data.endpoint) && url(object.data.endpoint).getScheme() == 'https'", message: 'endpoint must be an https URL' },
          { expression: "!isURL(object.data.endpoint) || url(object.data.endpoint).getHostname().endsWith('.example.com')", message: 'endpoint must be in example.com' },
          { expression: "!isURL(object.data.endpoint) || url(object.data.endpoint).getPort() in ['', '443']", message: 'endpoint must use port 443' },
          { expression: '!isURL(object.data.endpoint) || size(url(object.data.endpoint).getQuery()) <= 16', message: 'too many query parameters' },
          { expression: '!isURL(object.data.endpoint) || url(object.data.endpoint).getEscapedPath().size() < 1000', message: 'path too long' },
          { expression: 'isIP(object.data.address) && ip(object.data.address).family() == 4', messageExpression: "'bad address: ' + string(size(object.data.address))" },
          { expression: '!isIP(object.data.address) || !ip(object.data.address).isLoopback()', message: 'loopback address' },
          { expression: 'ip.isCanonical(object.data.address)', message: 'not canonical' },
          { expression: 'isCIDR(object.data.range) && cidr(object.data.range).prefixLength() >= 16', message: 'bad range' },
          { expression: "!isCIDR(object.data.range) || cidr(object.data.range).containsIP('10.0.0.1')", message: 'range must hold 10.0.0.1' },
          { expression: 'isSemver(object.data.version, true)', message: 'bad version' },
          { expression: "!isSemver(object.data.version, true) || semver(object.data.version, true).isGreaterThan(semver('1.2.0'))", message: 'version too old' },
        ],
      });
      const address = `10.0.${'1:'.repeat(n / 2)}`;
      const configMap: JsonObject = {
        apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'shop' },
        data: { endpoint: `https://api.example.com/${'v1/'.repeat(n / 3)}?${'a=b&'.repeat(n / 4)}`, address, range: `10.0.0.0/${'1'.repeat(n)}`, version: `1.2.${'3'.repeat(n)}` },
      };
      // The error quotes the address twice, and the rest of it once, as the API server's does
      // (compared whole, not printed: it is 1.8 MB).
      const quoted = `"${address}"`;
      const error = `expression 'ip.isCanonical(object.data.address)' resulted in error: IP Address ${quoted} parse error during conversion from string: ParseAddr(${quoted}): unexpected character (at "${address.slice(6)}")`;
      const found = messages({ object: configMap }, [checks('endpoints'), checks('egress')]);
      expect(found.map((m) => (m === error ? '<the error>' : m))).toEqual([
        ...['path too long', `bad address: ${address.length}`, '<the error>', 'bad range', 'bad version'],
        ...['path too long', `bad address: ${address.length}`, '<the error>', 'bad range', 'bad version'],
      ]);
    },
    TIMEOUT,
  );
});
