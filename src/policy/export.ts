/**
 * `mamori policy export`: the Pod Security Standards checks of a level and version as native
 * ValidatingAdmissionPolicies (admissionregistration.k8s.io/v1) with their bindings, so a cluster
 * enforces mamori's verdicts without its webhook. One policy per check (per-check messages,
 * severities, bindings and exemptions); the CEL of each check is in export-pss.ts.
 * See docs/export.md.
 */
import { RULES } from '../rules/index.js';
import { IGNORED_POD_SUBRESOURCES, SECCOMP_CONTAINER_PREFIX, SECCOMP_POD_ANNOTATION } from '../rules/pss/constants.js';
import { activePssChecks, isPssVersion, resolvePssMinor } from '../rules/pss/psa.js';
import type { PssCheckId } from '../rules/pss/psa.js';
import { yamlLibrary } from '../load/yaml-library.js';
import type { JsonObject, JsonValue } from '../types.js';
import { VERSION } from '../version.js';
import { pssCheckCel } from './export-pss.js';
import { loadPolicies } from './vap.js';
import type { ValidationAction } from './vap.js';

/** The first Kubernetes minor that serves admissionregistration.k8s.io/v1 ValidatingAdmissionPolicies. */
export const MIN_EXPORT_KUBE_MINOR = 30;

export interface PssExportOptions {
  level: 'baseline' | 'restricted';
  /** `latest` (default) or `v1.<minor>`. */
  version?: string;
  /**
   * The Kubernetes minor of the target cluster (at least MIN_EXPORT_KUBE_MINOR): `latest` resolves
   * to at most this policy version, and every expression is checked against that CEL environment.
   * Default: `latest` is the newest policy mamori knows; expressions are checked at 1.30.
   */
  kubeMinor?: number;
  /** validationActions of the Pod bindings; default `[Deny]`. */
  actions?: readonly ValidationAction[];
  /** validationActions of the pod-template bindings (Deployments...); default `[Warn, Audit]`; empty: no template bindings. */
  templateActions?: readonly ValidationAction[];
  /** Namespaces the bindings skip (`kubernetes.io/metadata.name NotIn`); default `[kube-system]`. */
  excludeNamespaces?: readonly string[];
}

const API_VERSION = 'admissionregistration.k8s.io/v1';
const OPERATIONS = ['CREATE', 'UPDATE'];


const POD_RULES: JsonObject[] = [{ apiGroups: [''], apiVersions: ['v1'], operations: OPERATIONS, resources: ['pods', 'pods/*'] }];
/** The pod-template kinds Pod Security Admission evaluates (warn and audit only), main resource only. */
const TEMPLATE_RULES: JsonObject[] = [
  { apiGroups: [''], apiVersions: ['v1'], operations: OPERATIONS, resources: ['podtemplates', 'replicationcontrollers'] },
  { apiGroups: ['apps'], apiVersions: ['v1'], operations: OPERATIONS, resources: ['daemonsets', 'deployments', 'replicasets', 'statefulsets'] },
  { apiGroups: ['batch'], apiVersions: ['v1'], operations: OPERATIONS, resources: ['cronjobs', 'jobs'] },
];


/**
 * Pod Security Admission re-evaluates a Pod UPDATE only when it is significant (admission.go
 * isSignificantPodUpdate): a container or init container added, removed or given another image,
 * an ephemeral container added or given another image, or a seccomp annotation changed.
 */
export const SIGNIFICANT_UPDATE = [
  `request.operation != 'UPDATE' || object.kind != 'Pod' || oldObject == null ||`,
  `object.?metadata.?annotations[?'${SECCOMP_POD_ANNOTATION}'].orValue('') != oldObject.?metadata.?annotations[?'${SECCOMP_POD_ANNOTATION}'].orValue('') ||`,
  `object.spec.?containers.orValue([]).map(c, c.?image.orValue('')) != oldObject.spec.?containers.orValue([]).map(c, c.?image.orValue('')) ||`,
  `object.spec.?initContainers.orValue([]).map(c, c.?image.orValue('')) != oldObject.spec.?initContainers.orValue([]).map(c, c.?image.orValue('')) ||`,
  `(object.spec.?initContainers.orValue([]) + object.spec.?containers.orValue([]) + object.spec.?ephemeralContainers.orValue([])).exists(c,`,
  `  object.?metadata.?annotations[?('${SECCOMP_CONTAINER_PREFIX}' + c.name)].orValue('') != oldObject.?metadata.?annotations[?('${SECCOMP_CONTAINER_PREFIX}' + c.name)].orValue('')) ||`,
  `object.spec.?ephemeralContainers.orValue([]).exists(e,`,
  `  !oldObject.spec.?ephemeralContainers.orValue([]).exists(o, o.name == e.name && o.?image.orValue('') == e.?image.orValue('')))`,
].join('\n');

/** The catalog rule of a check: its id, title and severity. */
function ruleOf(id: PssCheckId): { id: string; title: string; severity: string } {
  const rule = RULES.find((r) => (r.frameworks?.pss ?? []).some((entry) => entry.endsWith(`:${id}`)));
  if (rule === undefined) throw new Error(`no catalog rule for the Pod Security check ${id}`);
  return { id: rule.id, title: rule.title, severity: rule.severity };
}

/** The name of the exported policy of a check at a level, e.g. `mamori-pss-restricted-privileged`. */
export function exportedPolicyName(level: 'baseline' | 'restricted', id: PssCheckId): string {
  return `mamori-pss-${level}-${ruleOf(id).id.replace(/^pss-/, '')}`;
}

/** The policy minor an export evaluates at, and the Kubernetes minor its CEL is checked against. */
export function resolveExport(options: PssExportOptions): { minor: number; kubeMinor: number } {
  const kubeMinor = options.kubeMinor ?? MIN_EXPORT_KUBE_MINOR;
  if (!Number.isInteger(kubeMinor) || kubeMinor < MIN_EXPORT_KUBE_MINOR) {
    throw new Error(`the target Kubernetes minor must be at least ${MIN_EXPORT_KUBE_MINOR} (got ${kubeMinor})`);
  }
  const version = options.version ?? 'latest';
  if (!isPssVersion(version)) throw new Error(`the Pod Security version must be "latest" or "v1.x" (got ${JSON.stringify(version)})`);
  return { minor: resolvePssMinor(version, options.kubeMinor), kubeMinor };
}

/**
 * The Pod Security checks of a level and version as ValidatingAdmissionPolicies, each followed by
 * its bindings (`<policy>-pods`, and `<policy>-templates` unless templateActions is empty).
 * Every expression is compiled by mamori's CEL layer at the target Kubernetes minor first; an
 * expression that does not compile is a bug and throws.
 */
export function exportPssPolicies(options: PssExportOptions): JsonObject[] {
  const { minor, kubeMinor } = resolveExport(options);
  const level = options.level;
  const actions = options.actions ?? ['Deny'];
  const templateActions = options.templateActions ?? ['Warn', 'Audit'];
  const exclude = options.excludeNamespaces ?? ['kube-system'];
  const version = options.version ?? 'latest';
  const objects: JsonObject[] = [];
  for (const id of activePssChecks(level, minor)) {
    const cel = pssCheckCel(id, minor);
    if (cel === undefined) continue;
    const rule = ruleOf(id);
    const name = exportedPolicyName(level, id);
    const labels: JsonObject = {
      'app.kubernetes.io/managed-by': 'mamori',
      'mamori.io/rule': rule.id,
      'mamori.io/pss-check': id,
      'mamori.io/pss-level': level,
      'mamori.io/pss-version': `v1.${minor}`,
    };
    objects.push({
      apiVersion: API_VERSION,
      kind: 'ValidatingAdmissionPolicy',
      metadata: {
        name,
        labels,
        annotations: {
          // The catalog severity, whatever the binding's action (the PSS rules grade templates alike).
          'mamori.io/severity': rule.severity,
          'mamori.io/warn-severity': rule.severity,
          'mamori.io/audit-severity': rule.severity,
          'mamori.io/title': rule.title,
          'mamori.io/pss-policy': `${level}:${version}`,
          'mamori.io/min-kube-version': `1.${kubeMinor}`,
          'mamori.io/generated-by': `mamori ${VERSION}`,
        },
      },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [...POD_RULES, ...TEMPLATE_RULES],
          excludeResourceRules: [
            { apiGroups: [''], apiVersions: ['v1'], operations: ['*'], resources: IGNORED_POD_SUBRESOURCES.map((s) => `pods/${s}`) },
          ],
        },
        matchConditions: [{ name: 'significant-pod-update', expression: SIGNIFICANT_UPDATE }],
        variables: cel.variables.map((v) => ({ name: v.name, expression: v.expression })),
        validations: [{ expression: cel.expression, messageExpression: cel.messageExpression, message: cel.reason, reason: 'Forbidden' }],
      },
    });
    const binding = (suffix: string, validationActions: readonly ValidationAction[], resourceRules: JsonObject[]): JsonObject => {
      const matchResources: JsonObject = {};
      if (exclude.length > 0) {
        matchResources['namespaceSelector'] = {
          matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [...exclude] }],
        };
      }
      matchResources['resourceRules'] = resourceRules;
      return {
        apiVersion: API_VERSION,
        kind: 'ValidatingAdmissionPolicyBinding',
        metadata: { name: `${name}-${suffix}`, labels },
        spec: { policyName: name, validationActions: [...validationActions], matchResources },
      };
    };
    objects.push(binding('pods', actions, POD_RULES));
    if (templateActions.length > 0) objects.push(binding('templates', templateActions, TEMPLATE_RULES));
  }
  verify(objects, kubeMinor);
  return objects;
}

/** Loads the objects as mamori would read them from a file: any invalid field or expression is a bug. */
function verify(objects: readonly JsonObject[], kubeMinor: number): void {
  const loaded = loadPolicies(objects, { kubeMinor });
  if (loaded.errors.length > 0) {
    throw new Error(`exported policies do not load at Kubernetes 1.${kubeMinor}:\n${loaded.errors.map((e) => `${e.name}: ${e.message}`).join('\n')}`);
  }
  const bindings = objects.filter((o) => o['kind'] === 'ValidatingAdmissionPolicyBinding').length;
  const attached = loaded.policies.reduce((n, p) => n + p.bindings.length, 0);
  if (attached !== bindings || loaded.params.length > 0) throw new Error('exported bindings do not all attach to their policies');
}

/** The export as one multi-document YAML stream (YAML 1.1, which kubectl reads), with a header comment. */
export function renderPolicyExport(objects: readonly JsonObject[], options: PssExportOptions): string {
  const { minor, kubeMinor } = resolveExport(options);
  const policies = objects.filter((o) => o['kind'] === 'ValidatingAdmissionPolicy').length;
  const header = [
    `# mamori ${VERSION}: the Pod Security Standards ${options.level}:${options.version ?? 'latest'} (policy v1.${minor})`,
    `# as ${policies} ValidatingAdmissionPolic${policies === 1 ? 'y' : 'ies'} with their bindings, for Kubernetes 1.${kubeMinor} or newer.`,
    '# Generated by `mamori policy export`; apply with kubectl apply -f FILE (see docs/export.md).',
  ].join('\n');
  const docs = objects.map((o) => `---\n${yamlLibrary().stringify(o as JsonValue, { version: '1.1', lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false })}`);
  return `${header}\n${docs.join('')}`;
}
