/**
 * Argo Rollouts (`argoproj.io` Rollout) and OpenShift DeploymentConfigs (`apps.openshift.io`, or
 * the legacy core group) are workloads like a Deployment: the same findings at the same paths,
 * the same fixes, exceptions and fingerprints by container name. Kinds of those names in other
 * API groups carry no pod.
 */
import { describe, expect, it } from 'vitest';
import { fingerprint, knownRules, parseConfig, podSpecOf, POD_BEARING_KINDS, RULES, scanTexts } from '../src/index.js';
import { fixSources } from '../src/fix/apply.js';
import { wrongTypes } from '../src/k8s/field-types.js';
import { isPodBearing } from '../src/k8s/pod.js';
import type { Finding, JsonObject, Report } from '../src/types.js';

const known = knownRules(RULES);

interface Kind {
  apiVersion: string;
  kind: string;
  /** What the kind adds to the spec besides the selector and the template. */
  extra: string;
  /** True for a selector written as a plain map (ReplicationController, DeploymentConfig). */
  plainSelector?: boolean;
}

const DEPLOYMENT: Kind = { apiVersion: 'apps/v1', kind: 'Deployment', extra: '  strategy:\n    type: RollingUpdate\n' };
const ROLLOUT: Kind = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', extra: '  strategy:\n    canary:\n      steps:\n        - setWeight: 20\n        - pause: {}\n' };
const DEPLOYMENT_CONFIG: Kind = {
  apiVersion: 'apps.openshift.io/v1',
  kind: 'DeploymentConfig',
  extra: '  strategy:\n    type: Rolling\n  triggers:\n    - type: ConfigChange\n',
  plainSelector: true,
};
const LEGACY_DEPLOYMENT_CONFIG: Kind = { ...DEPLOYMENT_CONFIG, apiVersion: 'v1' };

/** A pod template that breaks many rules: privileged, no resources, default service account, a claim. */
const TEMPLATE = `  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: registry.example.com/shop/web:1.4
          securityContext:
            privileged: true
          volumeMounts:
            - { name: data, mountPath: /var/lib/web }
      volumes:
        - name: data
          persistentVolumeClaim:
            claimName: web-data
`;

function workload(kind: Kind, template = TEMPLATE, name = 'web'): string {
  const selector = kind.plainSelector === true ? '  selector:\n    app: web\n' : '  selector:\n    matchLabels:\n      app: web\n';
  return `apiVersion: ${kind.apiVersion}\nkind: ${kind.kind}\nmetadata:\n  name: ${name}\n  namespace: shop\nspec:\n  replicas: 2\n${selector}${kind.extra}${template}`;
}

/** The namespace, a NetworkPolicy that selects other pods, and a Velero Schedule of another namespace. */
const CONTEXT = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api
  namespace: shop
spec:
  podSelector:
    matchLabels: { app: api }
  ingress:
    - ports: [{ port: 8080 }]
---
apiVersion: velero.io/v1
kind: Schedule
metadata:
  name: nightly
  namespace: velero
spec:
  schedule: "0 1 * * *"
  template:
    includedNamespaces: ["billing"]
`;

function scan(text: string, options: { config?: ReturnType<typeof parseConfig>; rules?: typeof RULES } = {}): Report {
  return scanTexts([{ file: 'app.yaml', text }], { rules: options.rules ?? RULES, pss: 'restricted:latest', ...(options.config ? { config: options.config } : {}) });
}

/** Each finding as its rule and path. */
const places = (report: Report): string[] => report.findings.map((f) => `${f.ruleId} ${f.path}`).sort();
/** The findings on workload objects only (not the Namespace), as rule and path. */
const onWorkload = (report: Report): string[] =>
  report.findings
    .filter((f) => f.object.kind !== 'Namespace')
    .map((f) => `${f.ruleId} ${f.path}`)
    .sort();

describe('pod-bearing kinds', () => {
  it('lists Rollout and DeploymentConfig beside the built-in kinds, and only in their own API groups', () => {
    expect(POD_BEARING_KINDS).toEqual(['Pod', 'PodTemplate', 'ReplicationController', 'ReplicaSet', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'Rollout', 'DeploymentConfig']);
    expect(isPodBearing('argoproj.io/v1alpha1', 'Rollout')).toBe(true);
    expect(isPodBearing('apps.openshift.io/v1', 'DeploymentConfig')).toBe(true);
    expect(isPodBearing('v1', 'DeploymentConfig')).toBe(true);
    expect(isPodBearing('example.com/v1', 'Rollout')).toBe(false);
    expect(isPodBearing('v1', 'Rollout')).toBe(false);
    expect(isPodBearing('apps/v1', 'DeploymentConfig')).toBe(false);
    expect(isPodBearing('config.example.com/v1', 'DeploymentConfig')).toBe(false);
    // Built-in kinds keep being read whatever their apiVersion.
    expect(isPodBearing('extensions/v1beta1', 'Deployment')).toBe(true);
    expect(isPodBearing('example.com/v1', 'Deployment')).toBe(true);
    expect(isPodBearing('v1', 'Widget')).toBe(false);
  });

  it('finds the pod template at spec.template', () => {
    const object: JsonObject = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Rollout',
      spec: { template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } },
    };
    expect(podSpecOf(object)?.specPath).toEqual(['spec', 'template', 'spec']);
    expect(podSpecOf({ ...object, kind: 'DeploymentConfig', apiVersion: 'apps.openshift.io/v1' })?.root).toEqual(['spec', 'template']);
    expect(podSpecOf({ ...object, apiVersion: 'deploy.example.com/v1' })).toBeUndefined();
    expect(podSpecOf({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', spec: { workloadRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' } } })).toBeUndefined();
  });
});

describe('a Rollout or DeploymentConfig is scanned as its Deployment twin', () => {
  const twin = scan(`${CONTEXT}---\n${workload(DEPLOYMENT)}`);

  it('the Deployment twin has the findings worked out by hand', () => {
    // Restricted Pod Security: privileged (baseline), and the four restricted musts a bare
    // container misses; plus the workload, network and backup rules.
    expect(onWorkload(twin)).toEqual(
      [
        'automount-service-account-token spec.template.spec',
        'default-service-account spec.template.spec',
        'memory-limit spec.template.spec.containers[0]',
        'pod-not-isolated spec.template.metadata.labels',
        'privileged-node-isolation spec.template.spec.containers[0].securityContext.privileged',
        'pss-allow-privilege-escalation spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation',
        'pss-capabilities-restricted spec.template.spec.containers[0].securityContext.capabilities.drop',
        'pss-privileged spec.template.spec.containers[0].securityContext.privileged',
        'pss-run-as-non-root spec.template.spec.containers[0].securityContext.runAsNonRoot',
        'pss-seccomp-profile-restricted spec.template.spec.containers[0].securityContext.seccompProfile.type',
        'resource-requests spec.template.spec.containers[0]',
        'stateful-workload-no-backup spec.template.spec.volumes[0].persistentVolumeClaim',
        'writable-root-filesystem spec.template.spec.containers[0].securityContext',
      ].sort(),
    );
    expect(twin.findings.find((f) => f.ruleId === 'pss-privileged')?.message).toBe('privileged (container "web" must not set securityContext.privileged=true)');
    // The namespace runs a workload and has no LimitRange.
    expect(places(twin)).toContain('namespace-limit-range metadata.name');
    expect(twin.errors).toEqual([]);
  });

  for (const kind of [ROLLOUT, DEPLOYMENT_CONFIG, LEGACY_DEPLOYMENT_CONFIG]) {
    it(`${kind.apiVersion} ${kind.kind}`, () => {
      const report = scan(`${CONTEXT}---\n${workload(kind)}`);
      expect(report.errors).toEqual([]);
      expect(places(report)).toEqual(places(twin));
      // Pod Security messages are PSA's, the same whatever holds the pod.
      const pss = (r: Report): string[] => r.findings.filter((f) => f.ruleId.startsWith('pss-')).map((f) => `${f.ruleId} ${f.path} ${f.message}`);
      expect(pss(report)).toEqual(pss(twin));
      const own = report.findings.filter((f) => f.object.kind === kind.kind);
      expect(own.length).toBe(twin.findings.filter((f) => f.object.kind === 'Deployment').length);
      expect(own.every((f) => f.object.apiVersion === kind.apiVersion)).toBe(true);
      expect(report.findings.find((f) => f.ruleId === 'pod-not-isolated')?.message).toBe(
        `no NetworkPolicy in namespace "shop" selects the pods of ${kind.kind} "web" (labels app=web${kind.kind === 'DeploymentConfig' ? ',deploymentconfig=web' : ''}), so they are not isolated for ingress: any pod in the cluster can connect to them`,
      );
      expect(report.findings.find((f) => f.ruleId === 'stateful-workload-no-backup')?.message).toBe(
        `${kind.kind} "web" in namespace "shop" keeps data in PersistentVolumeClaims ("web-data") that no backup schedule covers: the Velero Schedule velero/nightly does not include its namespace`,
      );
    });
  }

  it('reports a field of the wrong type as for a Deployment', () => {
    const wrong = (kind: Kind): Report => scan(workload(kind, TEMPLATE.replace('privileged: true', 'privileged: "true"')), { rules: [] });
    const message = (kind: string): string =>
      `${kind} shop/web: spec.template.spec.containers[0].securityContext.privileged must be a boolean, not a string; the API server refuses the object, and mamori's checks read the field as unset`;
    expect(wrong(DEPLOYMENT).errors.map((e) => e.message)).toEqual([message('Deployment')]);
    expect(wrong(ROLLOUT).errors.map((e) => e.message)).toEqual([message('Rollout')]);
    expect(wrong(DEPLOYMENT_CONFIG).errors.map((e) => e.message)).toEqual([message('DeploymentConfig')]);
    expect(wrong(LEGACY_DEPLOYMENT_CONFIG).errors.map((e) => e.message)).toEqual([message('DeploymentConfig')]);
    expect(wrong({ ...ROLLOUT, apiVersion: 'example.com/v1' }).errors).toEqual([]);
    expect(wrongTypes({ kind: 'Rollout', spec: { template: { spec: { containers: {} } } } }, 'example.com/v1', 'Rollout')).toBeUndefined();
    // The CRD of Argo Rollouts types only the labels and annotations of the template's metadata.
    expect(wrongTypes({ kind: 'Rollout', spec: { template: { metadata: { name: 5, labels: { v: 1 } } } } }, 'argoproj.io/v1alpha1', 'Rollout')?.wrong).toEqual([
      { path: ['spec', 'template', 'metadata', 'labels', 'v'], expected: 'a string', found: 'a number' },
    ]);
  });
});

describe('kinds of other API groups, and Rollouts without a template', () => {
  it('yields no finding and no error for a Rollout or DeploymentConfig of another group', () => {
    const text = [workload({ ...ROLLOUT, apiVersion: 'deploy.example.com/v1' }), workload({ ...DEPLOYMENT_CONFIG, apiVersion: 'config.example.com/v1alpha1' }, TEMPLATE, 'web-config')].join('---\n');
    const report = scan(text);
    expect(report.inputs.objects).toBe(2);
    expect(report.findings).toEqual([]);
    expect(report.errors).toEqual([]);
  });

  it('counts no workload in a namespace that holds only such objects, a Rollout with a workloadRef or a PodTemplate', () => {
    const limitRange = (text: string): string[] => places(scan(`${CONTEXT}---\n${text}`)).filter((p) => p.startsWith('namespace-limit-range'));
    expect(limitRange(workload(ROLLOUT))).toEqual(['namespace-limit-range metadata.name']);
    expect(limitRange(workload({ ...ROLLOUT, apiVersion: 'deploy.example.com/v1' }))).toEqual([]);
    const referencing = `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  workloadRef:
    apiVersion: apps/v1
    kind: Deployment
    name: web
  strategy:
    canary:
      steps:
        - setWeight: 20
`;
    expect(limitRange(referencing)).toEqual([]);
    const alone = scan(referencing);
    expect(alone.findings).toEqual([]);
    expect(alone.errors).toEqual([]);
    const podTemplate = `apiVersion: v1
kind: PodTemplate
metadata:
  name: web
  namespace: shop
template:
  spec:
    containers:
      - name: web
        image: registry.example.com/shop/web:1.4
`;
    expect(limitRange(podTemplate)).toEqual([]);
  });
});

describe('mamori fix', () => {
  const header = (text: string): string => text.replace(/^apiVersion: .*\nkind: .*\n/, '');
  const fixed = (text: string) => fixSources([{ file: 'app.yaml', text }], { rules: RULES, pss: 'restricted:latest' });

  for (const kind of [ROLLOUT, DEPLOYMENT_CONFIG]) {
    it(`edits a ${kind.kind} as its Deployment twin`, () => {
      // Same selector form for both, so the texts differ in apiVersion and kind only.
      const twinKind = { ...DEPLOYMENT, extra: kind.extra, ...(kind.plainSelector ? { plainSelector: true } : {}) };
      const run = fixed(workload(kind));
      const twin = fixed(workload(twinKind));
      const after = run.files[0]?.after ?? '';
      expect(after).not.toBe(run.files[0]?.before);
      expect(header(after)).toBe(header(twin.files[0]?.after ?? ''));
      expect(after.startsWith(`apiVersion: ${kind.apiVersion}\nkind: ${kind.kind}\n`)).toBe(true);
      const ids = (list: readonly Finding[]): string[] => list.map((f) => `${f.ruleId} ${f.path}`).sort();
      expect(ids(run.fixed)).toEqual(ids(twin.fixed));
      expect(ids(run.fixed)).toContain('pss-privileged spec.template.spec.containers[0].securityContext.privileged');
      // The fix writes into the pod template, as for a Deployment.
      expect(after).toContain('          securityContext:\n            privileged: false\n');
      expect(after).toContain('      automountServiceAccountToken: false\n');
    });
  }

  it('leaves a Rollout of another group alone', () => {
    const text = workload({ ...ROLLOUT, apiVersion: 'deploy.example.com/v1' });
    expect(fixed(text).files[0]?.after).toBe(text);
  });
});

describe('exceptions and fingerprints', () => {
  it('suppresses by kind and container', () => {
    const config = parseConfig({ exceptions: [{ rule: 'pss-privileged', kind: 'Rollout', container: 'web', reason: 'tunes the node kernel' }] }, '.mamori.yaml', known);
    const report = scan(workload(ROLLOUT), { config, rules: RULES.filter((r) => r.id === 'pss-privileged') });
    expect(report.findings).toEqual([]);
    expect(report.suppressed.map((s) => `${s.ruleId} ${s.object.kind} ${s.reason}`)).toEqual(['pss-privileged Rollout tunes the node kernel']);
    const other = parseConfig({ exceptions: [{ rule: 'pss-privileged', kind: 'Rollout', container: 'sidecar', reason: 'another container' }] }, '.mamori.yaml', known);
    const kept = scan(workload(ROLLOUT), { config: other, rules: RULES.filter((r) => r.id === 'pss-privileged') });
    expect(kept.suppressed).toEqual([]);
    expect(kept.findings.filter((f) => f.ruleId === 'pss-privileged').map((f) => f.object.kind)).toEqual(['Rollout']);
  });

  it('names containers in fingerprints, so a container added before keeps them', () => {
    const withSidecar = TEMPLATE.replace(
      '      containers:\n',
      '      containers:\n        - name: proxy\n          image: registry.example.com/shop/proxy:2.0\n',
    );
    for (const kind of [ROLLOUT, DEPLOYMENT_CONFIG]) {
      const rules = RULES.filter((r) => r.id === 'privileged-node-isolation');
      const before = scan(workload(kind), { rules }).findings;
      const after = scan(workload(kind, withSidecar), { rules }).findings;
      expect(before.map((f) => f.path)).toEqual(['spec.template.spec.containers[0].securityContext.privileged']);
      expect(after.map((f) => f.path)).toEqual(['spec.template.spec.containers[1].securityContext.privileged']);
      expect(after.map((f) => fingerprint(f))).toEqual(before.map((f) => fingerprint(f)));
    }
  });
});

describe('OpenShift specifics', () => {
  const isolated = (name: string, selected: string, templateLabel = ''): string[] => {
    const text = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: shop
spec:
  podSelector:
    matchLabels: { deploymentconfig: ${selected} }
  ingress:
    - ports: [{ port: 8080 }]
---
${workload(DEPLOYMENT_CONFIG, TEMPLATE.replace('        app: web\n', `        app: web\n${templateLabel}`), name)}`;
    return places(scan(text, { rules: RULES.filter((r) => r.id === 'pod-not-isolated') }));
  };

  it('selects the pods of a DeploymentConfig by the deploymentconfig label OpenShift gives them', () => {
    expect(isolated('web', 'web')).toEqual([]);
    expect(isolated('web', 'other')).toEqual(['pod-not-isolated spec.template.metadata.labels']);
    // OpenShift sets the label to the DeploymentConfig's name over the template's own value.
    expect(isolated('web', 'legacy', '        deploymentconfig: legacy\n')).toEqual(['pod-not-isolated spec.template.metadata.labels']);
    expect(isolated('web', 'web', '        deploymentconfig: legacy\n')).toEqual([]);
  });

  it('checks a container whose blank image an ImageChange trigger fills in, and only that one', () => {
    const triggered = (image: string, containerNames: string): Report =>
      scan(
        workload(
          { ...DEPLOYMENT_CONFIG, extra: `  triggers:\n    - type: ImageChange\n      imageChangeParams:\n        automatic: true\n        containerNames: [${containerNames}]\n        from: { kind: ImageStreamTag, name: web:latest }\n` },
          TEMPLATE.replace('image: registry.example.com/shop/web:1.4', `image: ${image}`),
        ),
        { rules: RULES.filter((r) => ['resource-requests', 'image-reference-invalid', 'writable-root-filesystem'].includes(r.id)) },
      );
    for (const image of ['""', '" "']) {
      expect(places(triggered(image, 'web'))).toEqual(['resource-requests spec.template.spec.containers[0]', 'writable-root-filesystem spec.template.spec.containers[0].securityContext']);
    }
    // Not named by the trigger: an empty image is a patch of a base elsewhere, a blank one an invalid reference.
    expect(places(triggered('""', 'other'))).toEqual(['image-reference-invalid spec.template.spec.containers[0].image']);
    expect(places(triggered('" "', 'other'))).toEqual([
      'image-reference-invalid spec.template.spec.containers[0].image',
      'resource-requests spec.template.spec.containers[0]',
      'writable-root-filesystem spec.template.spec.containers[0].securityContext',
    ]);
  });
});
