import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { knownRules, parseConfig } from '../src/engine/config.js';
import { scanObjects } from '../src/engine/scan.js';
import { policyRules } from '../src/policy/rules.js';
import { loadPolicies } from '../src/policy/vap.js';
import type { JsonObject } from '../src/types.js';

// ValidatingAdmissionPolicies as rules of `mamori scan`: the finding's wording and severity follow
// the binding's strongest validationAction (Deny > Warn > Audit), and the policy's annotations.

function docs(text: string): JsonObject[] {
  return parseAllDocuments(text).map((d) => d.toJSON() as JsonObject).filter((d) => d !== null);
}

const deployment = (name: string, replicas: number): JsonObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'default' },
  spec: { replicas, template: { spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } } },
});

function policy(annotations = ''): string {
  return `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: replicas
${annotations}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}
  validations:
  - expression: "object.spec.replicas <= 5"
`;
}

const binding = (name: string, actions: string): string => `
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: ${name}}
spec: {policyName: replicas, validationActions: ${actions}}
`;

function scan(text: string, config?: unknown) {
  const loaded = loadPolicies(docs(text), { bindUnbound: true });
  const rules = policyRules(loaded);
  const options = config === undefined ? { rules } : { rules, config: parseConfig(config, '.mamori.yaml', knownRules(rules)) };
  const report = scanObjects([deployment('small', 2), deployment('big', 6)], options);
  return { errors: loaded.errors, findings: report.findings.map((f) => ({ ruleId: f.ruleId, severity: f.severity, name: f.object.name, message: f.message })) };
}

const DENIED = "ValidatingAdmissionPolicy 'replicas' with binding '%b' denied request: failed expression: object.spec.replicas <= 5";
const WARNED = "Validation failed for ValidatingAdmissionPolicy 'replicas' with binding '%b': failed expression: object.spec.replicas <= 5";

describe('policy findings in a scan', () => {
  it('a policy without binding gets the implicit Deny binding and the default severity high', () => {
    expect(scan(policy()).findings).toEqual([
      { ruleId: 'policy:replicas', severity: 'high', name: 'big', message: DENIED.replace('%b', 'mamori.io/implicit-binding') },
    ]);
  });

  it('Deny uses mamori.io/severity', () => {
    expect(scan(policy('  annotations: {mamori.io/severity: critical}') + binding('b', '[Deny, Audit]')).findings).toEqual([
      { ruleId: 'policy:replicas', severity: 'critical', name: 'big', message: DENIED.replace('%b', 'b') },
    ]);
  });

  it('Warn is worded as the warning and graded medium unless mamori.io/warn-severity says otherwise', () => {
    expect(scan(policy() + binding('w', '[Warn]')).findings).toEqual([
      { ruleId: 'policy:replicas', severity: 'medium', name: 'big', message: WARNED.replace('%b', 'w') },
    ]);
    expect(scan(policy('  annotations: {mamori.io/warn-severity: high}') + binding('w', '[Warn, Audit]')).findings[0]?.severity).toBe('high');
  });

  it('Audit alone is graded low unless mamori.io/audit-severity says otherwise', () => {
    expect(scan(policy() + binding('a', '[Audit]')).findings).toEqual([
      { ruleId: 'policy:replicas', severity: 'low', name: 'big', message: WARNED.replace('%b', 'a') },
    ]);
    expect(scan(policy('  annotations: {mamori.io/audit-severity: info}') + binding('a', '[Audit]')).findings[0]?.severity).toBe('info');
  });

  it('the same failure through several bindings is one finding, under the strongest action', () => {
    expect(scan(policy() + binding('a', '[Audit]') + binding('w', '[Warn]') + binding('d', '[Deny]')).findings).toEqual([
      { ruleId: 'policy:replicas', severity: 'high', name: 'big', message: DENIED.replace('%b', 'd') },
    ]);
    expect(scan(policy() + binding('a', '[Audit]') + binding('w', '[Warn]')).findings).toEqual([
      { ruleId: 'policy:replicas', severity: 'medium', name: 'big', message: WARNED.replace('%b', 'w') },
    ]);
  });

  it('a severity set in the configuration wins over every action', () => {
    const config = { rules: { 'policy:replicas': { severity: 'info' } } };
    expect(scan(policy() + binding('w', '[Warn]'), config).findings.map((f) => f.severity)).toEqual(['info']);
    expect(scan(policy() + binding('d', '[Deny]'), config).findings.map((f) => f.severity)).toEqual(['info']);
  });

  it('an unknown severity in an annotation is reported and the default used', () => {
    const { errors, findings } = scan(policy('  annotations: {mamori.io/warn-severity: urgent}') + binding('w', '[Warn]'));
    expect(errors.map((e) => e.message)).toEqual([
      'metadata.annotations[mamori.io/warn-severity]: Unsupported value: "urgent": supported values: critical, high, medium, low, info (using medium)',
    ]);
    expect(findings.map((f) => f.severity)).toEqual(['medium']);
  });

  it('namespaceSelector and namespaceObject see the Namespace objects of the input, wherever they are', () => {
    const text = `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: tiered}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}
  validations:
  - expression: "object.spec.replicas <= int(namespaceObject.metadata.labels.?maxReplicas.orValue('3'))"
    messageExpression: "'at most ' + namespaceObject.metadata.labels.?maxReplicas.orValue('3') + ' replicas in ' + namespaceObject.metadata.name"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: prod-only}
spec:
  policyName: tiered
  validationActions: [Deny]
  matchResources:
    namespaceSelector: {matchLabels: {env: prod}}
`;
    const inNamespace = (name: string, namespace: string, replicas: number): JsonObject => ({ ...deployment(name, replicas), metadata: { name, namespace } });
    const namespace = (name: string, labels: Record<string, string>): JsonObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
    const rules = policyRules(loadPolicies(docs(text)));
    const report = scanObjects([
      inNamespace('a', 'shop', 4), inNamespace('b', 'shop', 2), inNamespace('c', 'dev', 9), inNamespace('d', 'big', 9), inNamespace('e', 'unknown', 9),
      namespace('shop', { env: 'prod' }), namespace('dev', { env: 'dev' }), namespace('big', { env: 'prod', maxReplicas: '10' }),
    ], { rules });
    expect(report.findings.map((f) => [f.object.name, f.message])).toEqual([
      ['a', "ValidatingAdmissionPolicy 'tiered' with binding 'prod-only' denied request: at most 3 replicas in shop"],
    ]);
  });
});

describe('scanned objects as the API server would receive them', () => {
  const NAMESPACE_POLICY = `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: where}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}
  validations:
  - expression: "request.namespace == 'default'"
    messageExpression: "'request.namespace is ' + request.namespace"
  - expression: "namespaceObject.metadata.name == 'default'"
    message: namespaceObject is not default
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: prod-only}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}
  validations:
  - expression: "false"
    message: selected by the prod namespaceSelector
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: prod-only}
spec:
  policyName: prod-only
  validationActions: [Deny]
  matchResources:
    namespaceSelector: {matchLabels: {env: prod}}
`;
  const bare = (name: string): JsonObject => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name }, spec: { replicas: 1 } });
  const findings = (objects: JsonObject[]): string[][] => {
    const loaded = loadPolicies(docs(NAMESPACE_POLICY), { bindUnbound: true });
    expect(loaded.errors).toEqual([]);
    return scanObjects(objects, { rules: policyRules(loaded) }).findings.map((f) => [f.object.name, f.message]);
  };

  it('a namespaced object without metadata.namespace is created in default: request.namespace, namespaceObject', () => {
    // Judged in no namespace, request.namespace was '' and namespaceObject null (an error denial).
    expect(findings([bare('web')])).toEqual([]);
  });

  it('the namespaceSelector reads the labels of the default Namespace of the input, else only its name label', () => {
    // Without a Namespace object, default has only kubernetes.io/metadata.name: env=prod does not select it.
    expect(findings([bare('web')])).toEqual([]);
    const prodDefault: JsonObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default', labels: { env: 'prod' } } };
    expect(findings([bare('web'), prodDefault])).toEqual([
      ['web', "ValidatingAdmissionPolicy 'prod-only' with binding 'prod-only' denied request: selected by the prod namespaceSelector"],
    ]);
  });

  it('a policy whose only binding is refused is not bound implicitly (with Deny, where the binding said Warn)', () => {
    const text = `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: team-label}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["configmaps"]}
  validations:
  - {expression: "false", message: needs a team label}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: team-label-prod}
spec:
  policyName: team-label
  validationActions: [Warn]
  matchResources:
    excludeResourceRules:
    - {apiGroups: [""], apiVersions: ["v1"], operations: ["create"], resources: ["configmaps"]}
`;
    const loaded = loadPolicies(docs(text), { bindUnbound: true });
    expect(loaded.errors.map((e) => e.name)).toEqual(['team-label-prod']);
    expect(loaded.policies.map((p) => p.bindings.map((b) => b.name))).toEqual([[]]);
  });

  it('a custom resource without metadata.namespace is cluster-scoped (its scope is not known): namespaceSelectors do not apply', () => {
    const text = `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: gatewayclass-controller}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [gateway.networking.k8s.io], apiVersions: [v1], operations: [CREATE], resources: [gatewayclasses]}
  validations:
  - expression: "object.spec.controllerName == 'example.com/gateway' && request.namespace == '' && namespaceObject == null"
    message: only the approved gateway controller
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: gatewayclass-controller}
spec:
  policyName: gatewayclass-controller
  validationActions: [Deny]
  matchResources:
    namespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [default, kube-system]}]}
`;
    const loaded = loadPolicies(docs(text), { bindUnbound: true });
    expect(loaded.errors).toEqual([]);
    const gatewayClass = (controllerName: string): JsonObject => ({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'rogue' }, spec: { controllerName } });
    const run = (object: JsonObject): string[] => scanObjects([object], { rules: policyRules(loaded) }).findings.map((f) => f.message);
    expect(run(gatewayClass('evil.example.org/gw'))).toEqual([
      "ValidatingAdmissionPolicy 'gatewayclass-controller' with binding 'gatewayclass-controller' denied request: only the approved gateway controller",
    ]);
    expect(run(gatewayClass('example.com/gateway'))).toEqual([]);
  });

  it('fields set to null are absent, as in the typed object the API server decodes', () => {
    const text = `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: no-debug-annotation}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}
  validations:
  - expression: "!has(object.metadata.annotations) || !('debug' in object.metadata.annotations)"
    message: no debug annotation
  - expression: "!has(object.spec.template.spec.containers[0].resources) || has(object.spec.template.spec.containers[0].resources.limits)"
    message: limits required when resources are set
`;
    const withNulls = (annotations: JsonObject | null, resources: JsonObject | null): JsonObject => ({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop', annotations },
      spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.25', resources }] } } },
    });
    const rules = policyRules(loadPolicies(docs(text), { bindUnbound: true }));
    const messages = (o: JsonObject): string[] => scanObjects([o], { rules }).findings.filter((f) => f.ruleId.startsWith('policy:')).map((f) => f.message.replace(/^.*denied request: /, ''));
    expect(messages(withNulls(null, null))).toEqual([]);
    expect(messages(withNulls({ debug: 'true' }, { requests: { cpu: '1' } })).sort()).toEqual(['limits required when resources are set', 'no debug annotation']);
  });
});
