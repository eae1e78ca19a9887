import { describe, expect, it } from 'vitest';
import { scanTexts } from '../src/engine/scan.js';
import type { Config } from '../src/engine/config.js';
import { RULES } from '../src/rules/index.js';
import type { Finding } from '../src/types.js';

// Hostile inputs at sizes where the rules used to take quadratic (or worse) time; each figure in a
// comment is the old code's time on this very input. The timeouts only catch hangs; the
// assertions on the findings show that the answers did not change.
const TIMEOUT = 30_000;

/** Scans one or more files with the named rules only. */
function scan(files: { file: string; text: string }[], ids: readonly string[], config?: Config): Finding[] {
  const report = scanTexts(files, { rules: RULES.filter((r) => ids.includes(r.id)), ...(config === undefined ? {} : { config }) });
  expect(report.errors).toEqual([]);
  return report.findings;
}

/** The YAML documents of a file. */
const documents = (docs: readonly string[]): string => docs.join('---\n');

const RBAC = 'rbac.authorization.k8s.io/v1';

/** An RBAC object: its kind, metadata (a flow mapping) and the rest of its body. */
const rbac = (kind: string, metadata: string, body: string): string => `apiVersion: ${RBAC}\nkind: ${kind}\nmetadata: ${metadata}\n${body}\n`;

describe('RBAC at scale', () => {
  it(
    'checks a Role of 30,000 rules for create limited by resourceNames in linear time',
    () => {
      // Old code: 23 s (each rule asked every other rule whether it grants the same request).
      const count = 30_000;
      let yaml = `apiVersion: ${RBAC}\nkind: Role\nmetadata:\n  name: big\n  namespace: shop\nrules:\n`;
      // Even rules grant create on r<i>; the odd ones limit create on r<i-1> (granted by the rule
      // before) and s<i> (granted nowhere else) by resourceNames.
      for (let i = 0; i < count; i++) {
        yaml += i % 2 === 0 ? `  - {apiGroups: [""], resources: [r${i}], verbs: [create]}\n` : `  - {apiGroups: [""], resources: [r${i - 1}, s${i}], verbs: [create], resourceNames: [x]}\n`;
      }
      const findings = scan([{ file: 'role.yaml', text: yaml }], ['rbac-ineffective-rule']);
      expect(findings).toHaveLength(count / 2);
      for (const i of [1, 3, 12_345, count - 1]) {
        const finding = findings.find((f) => f.path === `rules[${i}].resourceNames`);
        expect(finding?.message).toBe(
          `Role "big": rule ${i} limits "create" on s${i} by resourceNames, but these requests carry no name when they are authorized, so the rule never allows them`,
        );
        expect(finding?.location?.line).toBe(7 + i);
      }
    },
    TIMEOUT,
  );

  it(
    'resolves a chain of 1,500 aggregated ClusterRoles, each selecting the next, once each',
    () => {
      // Old code: 106 s (a round per link of the chain, every role recomputed in each: cubic).
      const count = 1_500;
      const docs: string[] = [];
      // Listed from the top, so that each round of the controller's fixpoint moved the rules one link up.
      for (let i = 0; i < count; i++) {
        docs.push(rbac('ClusterRole', `{name: agg${i}, labels: {level: "${i}"}}`, `aggregationRule: {clusterRoleSelectors: [{matchLabels: {level: "${i + 1}"}}]}`));
      }
      for (let i = 0; i < count; i++) {
        const resources = i === count - 1 ? 'secrets' : `r${i}`;
        docs.push(rbac('ClusterRole', `{name: leaf${i}, labels: {level: "${i + 1}"}}`, `rules: [{apiGroups: [""], resources: [${resources}], verbs: [get]}]`));
      }
      docs.push(rbac('ClusterRoleBinding', '{name: readers}', 'roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: agg0}\nsubjects: [{kind: User, name: alice}]'));
      const findings = scan([{ file: 'chain.yaml', text: documents(docs) }], ['rbac-cluster-secrets-read', 'rbac-dangerous-role']);
      // The Secret read of the deepest role reaches the top; every role is granted through the chain.
      expect(findings.map((f) => [f.ruleId, f.object.name, f.message])).toEqual([
        [
          'rbac-cluster-secrets-read',
          'readers',
          `ClusterRoleBinding "readers" grants ClusterRole "agg0" to User alice cluster-wide: reads Secrets (get on secrets); aggregated from ClusterRole "leaf${count - 1}"`,
        ],
      ]);
    },
    TIMEOUT,
  );

  it(
    'resolves a ring of 3,000 aggregated ClusterRoles that select each other, and a cycle fed by a chain of 1,500',
    () => {
      // Old code: a ring of 1,500 took 125 s, a cycle fed by a chain of 1,000 took 12 s (the
      // controller's rounds were replayed for every role on or below a cycle).
      const count = 3_000;
      const docs: string[] = [];
      // g<i> selects g<i+1> (labelled ring=i) and leaf<i>: every role of the ring reaches every leaf.
      for (let i = 0; i < count; i++) {
        docs.push(rbac('ClusterRole', `{name: g${i}, labels: {ring: "${(i + count - 1) % count}"}}`, `aggregationRule: {clusterRoleSelectors: [{matchLabels: {ring: "${i}"}}, {matchLabels: {leaf: "${i}"}}]}`));
      }
      for (let i = 0; i < count; i++) {
        const resources = i === 7 ? 'secrets' : `r${i}`;
        docs.push(rbac('ClusterRole', `{name: leaf${i}, labels: {leaf: "${i}"}}`, `rules: [{apiGroups: [""], resources: [${resources}], verbs: [get]}]`));
      }
      // top-a and top-b select each other; top-a also selects c0, the head of a chain to the Secret reader.
      const chain = 1_500;
      docs.push(rbac('ClusterRole', '{name: top-a, labels: {cycle: b}}', 'aggregationRule: {clusterRoleSelectors: [{matchLabels: {cycle: a}}, {matchLabels: {level: "0"}}]}'));
      docs.push(rbac('ClusterRole', '{name: top-b, labels: {cycle: a}}', 'aggregationRule: {clusterRoleSelectors: [{matchLabels: {cycle: b}}]}'));
      for (let i = 0; i < chain; i++) {
        docs.push(rbac('ClusterRole', `{name: c${i}, labels: {level: "${i}"}}`, `aggregationRule: {clusterRoleSelectors: [{matchLabels: {level: "${i + 1}"}}]}`));
      }
      docs.push(rbac('ClusterRole', `{name: deep, labels: {level: "${chain}"}}`, 'rules: [{apiGroups: [""], resources: [secrets], verbs: [list]}]'));
      for (const role of ['g0', 'g1234', 'top-b']) {
        docs.push(rbac('ClusterRoleBinding', `{name: read-${role}}`, `roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${role}}\nsubjects: [{kind: User, name: alice}]`));
      }
      const findings = scan([{ file: 'ring.yaml', text: documents(docs) }], ['rbac-cluster-secrets-read']);
      expect(findings.map((f) => [f.object.name, f.message])).toEqual([
        ['read-g0', 'ClusterRoleBinding "read-g0" grants ClusterRole "g0" to User alice cluster-wide: reads Secrets (get on secrets); aggregated from ClusterRole "leaf7"'],
        ['read-g1234', 'ClusterRoleBinding "read-g1234" grants ClusterRole "g1234" to User alice cluster-wide: reads Secrets (get on secrets); aggregated from ClusterRole "leaf7"'],
        ['read-top-b', 'ClusterRoleBinding "read-top-b" grants ClusterRole "top-b" to User alice cluster-wide: reads Secrets (list on secrets); aggregated from ClusterRole "deep"'],
      ]);
    },
    TIMEOUT,
  );

  it(
    'resolves 8,000 aggregated ClusterRoles whose matchExpressions each select one of 8,000 roles',
    () => {
      // Old code: 37 s (every selector was tested against every ClusterRole, twice).
      const count = 8_000;
      const docs: string[] = [];
      for (let i = 0; i < count; i++) {
        docs.push(rbac('ClusterRole', `{name: agg${i}}`, `aggregationRule: {clusterRoleSelectors: [{matchExpressions: [{key: app, operator: In, values: [a${i}]}]}]}`));
        docs.push(rbac('ClusterRole', `{name: leaf${i}, labels: {app: a${i}}}`, 'rules: [{apiGroups: [""], resources: [secrets], verbs: [get]}]'));
      }
      const findings = scan([{ file: 'aggregated.yaml', text: documents(docs) }], ['rbac-dangerous-role']);
      expect(findings).toHaveLength(count);
      for (const i of [0, 1, 4_321, count - 1]) {
        const finding = findings.find((f) => f.object.name === `leaf${i}`);
        expect(finding?.message).toBe(
          `ClusterRole "leaf${i}" is granted by no binding of the input (nor is the aggregated ClusterRole "agg${i}" that selects it); once bound, a ClusterRoleBinding would grant cluster-wide through rules[0]: reads Secrets (get on secrets)`,
        );
      }
    },
    TIMEOUT,
  );

  it(
    'selects the roles of 10 aggregated ClusterRoles whose selectors each list 30,000 values',
    () => {
      // Old code: 14 s (each candidate role was looked up in each list of values, twice).
      const count = 30_000;
      const values = Array.from({ length: count }, (_, i) => `a${i}`).join(', ');
      const docs: string[] = [];
      for (let k = 0; k < 10; k++) docs.push(rbac('ClusterRole', `{name: all-apps-${k}}`, `aggregationRule: {clusterRoleSelectors: [{matchExpressions: [{key: app, operator: In, values: [${values}]}]}]}`));
      for (let i = 0; i < count; i++) docs.push(rbac('ClusterRole', `{name: app${i}, labels: {app: a${i}}}`, 'rules: [{apiGroups: [""], resources: [secrets], verbs: [get]}]'));
      const findings = scan([{ file: 'aggregated.yaml', text: documents(docs) }], ['rbac-dangerous-role']);
      expect(findings).toHaveLength(count);
      const aggregators = Array.from({ length: 10 }, (_, k) => `"all-apps-${k}"`).join(', ');
      expect(findings.find((f) => f.object.name === 'app29999')?.message).toBe(
        `ClusterRole "app29999" is granted by no binding of the input (nor is the aggregated ClusterRole ${aggregators} that selects it); once bound, a ClusterRoleBinding would grant cluster-wide through rules[0]: reads Secrets (get on secrets)`,
      );
    },
    TIMEOUT,
  );

  it(
    'gives each of 12,000 RoleBindings the Role of its own file among 12,000 Roles of one name',
    () => {
      // Old code: 35 s (each binding compared its file with the file of every Role of the name).
      const count = 6_000;
      const files = (['team-a', 'team-b'] as const).map((team) => {
        const docs: string[] = [];
        for (let i = 0; i < count; i++) {
          // The last Role of each file is the one its bindings get.
          const rule = i < count - 1 ? '{apiGroups: [""], resources: [configmaps], verbs: [get]}' : team === 'team-a' ? '{apiGroups: [""], resources: [secrets], verbs: [get]}' : '{apiGroups: [""], resources: [pods/exec], verbs: [create]}';
          docs.push(rbac('Role', '{name: app, namespace: shop}', `rules: [${rule}]`));
          docs.push(rbac('RoleBinding', `{name: ${team}-${i}, namespace: shop}`, 'roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: app}\nsubjects: [{kind: ServiceAccount, name: default}]'));
        }
        return { file: `${team}/rbac.yaml`, text: documents(docs) };
      });
      const findings = scan(files, ['rbac-default-service-account-binding']);
      expect(findings).toHaveLength(2 * count);
      const grants = (name: string): string | undefined => findings.find((f) => f.object.name === name)?.message.replace(/.*including: /, '');
      for (const i of [0, 2_500, count - 1]) {
        expect(grants(`team-a-${i}`)).toBe('reads Secrets (get on secrets)');
        expect(grants(`team-b-${i}`)).toBe('executes commands in pods (create on pods/exec)');
      }
    },
    TIMEOUT,
  );
});

describe('single objects of many entries', () => {
  it(
    'matches the 40,000 hosts of one Ingress against its 44,000 TLS hosts in linear time',
    () => {
      // Old code: 44 s (every rule host was compared with every TLS host).
      const count = 40_000;
      let yaml = 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: wide\n  namespace: shop\nspec:\n  tls:\n';
      // Wildcards one label off (never covering), and every tenth host exactly.
      yaml += `    - hosts: [${Array.from({ length: count }, (_, i) => `'*.w${i}.example.com'`).join(', ')}]\n`;
      yaml += `    - hosts: [${Array.from({ length: count / 10 }, (_, i) => `h${10 * i}.example.com`).join(', ')}]\n`;
      yaml += '  rules:\n';
      for (let i = 0; i < count; i++) yaml += `    - host: h${i}.example.com\n`;
      const findings = scan([{ file: 'ingress.yaml', text: yaml }], ['ingress-without-tls']);
      expect(findings).toHaveLength(count - count / 10);
      for (const i of [1, 9, 11, 23_457, count - 1]) {
        const finding = findings.find((f) => f.path === `spec.rules[${i}].host`);
        expect(finding?.message).toBe(`Ingress "wide" serves host h${i}.example.com without TLS: no spec.tls[].hosts entry covers it`);
        expect(finding?.location).toEqual({ file: 'ingress.yaml', line: 11 + i, column: 7 });
      }
      expect(findings.some((f) => f.path === 'spec.rules[10].host')).toBe(false);
    },
    TIMEOUT,
  );

  it(
    'checks an EncryptionConfiguration of 3,000 entries and 30,000 resources in linear time',
    () => {
      // Old code: 39 s (each resource was compared with every resource of every earlier entry).
      const entries = 3_000;
      let yaml = 'apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n';
      yaml += '  - resources: ["*.g0"]\n    providers: [{aescbc: {keys: [{name: k, secret: c2VjcmV0IGlzIHNlY3VyZQ==}]}}]\n';
      for (let i = 1; i < entries; i++) {
        // Every hundredth entry adds `*.g9`, which overlaps its `r<i>.g9` (and, from the first,
        // covers the `r<i>.g9` of the entries after it); the first entry covers group g0.
        const resources = Array.from({ length: 10 }, (_, k) => `r${i}.g${k}`);
        if (i % 100 === 0) resources.push('"*.g9"');
        yaml += `  - resources: [${resources.join(', ')}]\n    providers: [{identity: {}}]\n`;
      }
      const findings = scan([{ file: 'encryption.yaml', text: yaml }], ['encryption-config-invalid']);
      const covered = findings.filter((f) => f.message.includes('masked by'));
      const overlaps = findings.filter((f) => f.message.includes('overlaps'));
      expect(covered).toHaveLength(entries - 1 + (entries - 101));
      expect(covered.find((f) => f.path === 'resources[1234].resources[0]')?.message).toBe(
        '"r1234.g0" in resources[1234] is masked by "*.g0" in resources[0]: the API server refuses the file (a wildcard entry must come after every entry it covers)',
      );
      expect(covered.find((f) => f.path === 'resources[1234].resources[9]')?.message).toBe(
        '"r1234.g9" in resources[1234] is masked by "*.g9" in resources[100]: the API server refuses the file (a wildcard entry must come after every entry it covers)',
      );
      expect(overlaps).toHaveLength(entries / 100 - 1);
      expect(overlaps.find((f) => f.path === 'resources[300].resources[10]')?.message).toBe('"*.g9" overlaps "r300.g9" in resources[300]: the API server rejects the file');
      expect(findings).toHaveLength(covered.length + overlaps.length);
    },
    TIMEOUT,
  );

  it(
    'follows the mounts of an API server of 40,000 volumes to the node path of its client CA',
    () => {
      // Old code: 36 s (the volume of each mount was searched in the list of volumes).
      const count = 40_000;
      const mounts = Array.from({ length: count }, (_, i) => `{name: v${i}, mountPath: /etc/kubernetes}`).join(', ');
      const volumes = Array.from({ length: count }, (_, i) => `{name: v${i}, emptyDir: {}}`).join(', ');
      const apiserver = `apiVersion: v1\nkind: Pod\nmetadata: {name: kube-apiserver-node, namespace: kube-system}\nspec:\n  containers:\n    - name: kube-apiserver\n      image: registry.k8s.io/kube-apiserver:v1.30.0\n      command: [kube-apiserver, --client-ca-file=/etc/kubernetes/pki/ca.crt]\n      volumeMounts: [${mounts}, {name: pki, mountPath: /etc/kubernetes/pki}]\n  volumes: [${volumes}, {name: pki, hostPath: {path: /srv/pki}}]\n`;
      const etcd = 'apiVersion: v1\nkind: Pod\nmetadata: {name: etcd-node, namespace: kube-system}\nspec:\n  containers:\n    - name: etcd\n      image: registry.k8s.io/etcd:3.5.15-0\n      command: [etcd, --trusted-ca-file=/certs/ca.crt]\n      volumeMounts: [{name: certs, mountPath: /certs}]\n  volumes: [{name: certs, hostPath: {path: /srv/pki}}]\n';
      const findings = scan([{ file: 'static-pods.yaml', text: documents([apiserver, etcd]) }], ['etcd-unique-ca']);
      // Both files are /srv/pki/ca.crt on the node.
      expect(findings.map((f) => [f.object.name, f.path, f.message])).toEqual([
        [
          'etcd-node',
          'spec.containers[0].command[1]',
          'etcd: --trusted-ca-file=/certs/ca.crt is the file the API server "kube-apiserver-node" uses for --client-ca-file: every client certificate of the cluster CA also gets full access to etcd [CIS 2.7 literal: PASS, effective: FAIL]',
        ],
      ]);
    },
    TIMEOUT,
  );

  it(
    'bounds the selector quoted in each finding of a PeerAuthentication of 20,000 labels and ports',
    () => {
      // Old code: out of memory after 55 s: each of the 20,000 port findings quoted all 20,000 labels (5 GB).
      const count = 20_000;
      const labels = Array.from({ length: count }, (_, i) => `k${i}: v${i}`).join(', ');
      const ports = Array.from({ length: count }, (_, i) => `"${i}": {mode: DISABLE}`).join(', ');
      const yaml = `apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: pa, namespace: shop}\nspec:\n  selector: {matchLabels: {${labels}}}\n  mtls: {mode: STRICT}\n  portLevelMtls: {${ports}}\n`;
      const findings = scan([{ file: 'pa.yaml', text: yaml }], ['mesh-mtls-not-strict']);
      expect(findings).toHaveLength(count);
      const selector = Array.from({ length: count }, (_, i) => `k${i}=v${i}`).join(',').slice(0, 1000);
      expect(findings[0]?.message).toBe(
        `PeerAuthentication "pa" for workloads matching ${selector}… in namespace "shop" sets mTLS mode DISABLE on port 0: on that port mutual TLS is off and traffic is plaintext`,
      );
      expect(Math.max(...findings.map((f) => f.message.length))).toBeLessThan(1_200);
    },
    TIMEOUT,
  );
});

describe('policies and workloads across the input', () => {
  /** A Deployment of one container, in namespace `ns`. */
  const deployment = (name: string, ns: string, labels: string, image: string): string =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${name}, namespace: ${ns}}\nspec:\n  template:\n    metadata: {labels: {${labels}}}\n    spec: {containers: [{name: c, image: ${image}}]}\n`;

  it(
    'finds the Cilium policy of each of 10,000 workloads among 10,000 Cilium policies',
    () => {
      // Old code: 17 s (each workload's labels were tested against every Cilium policy, twice).
      const count = 10_000;
      const docs: string[] = [];
      for (let i = 0; i < count; i++) {
        // Egress only: the pods it selects stay open for ingress, and the finding names the policy.
        docs.push(`apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: c${i}, namespace: shop}\nspec:\n  endpointSelector: {matchLabels: {app: a${i}}}\n  egress: [{}]\n`);
        docs.push(deployment(`d${i}`, 'shop', `app: a${i}`, 'registry.example.com/app:1.0'));
      }
      const findings = scan([{ file: 'cilium.yaml', text: documents(docs) }], ['pod-not-isolated']);
      expect(findings).toHaveLength(count);
      for (const i of [0, 7_777, count - 1]) {
        expect(findings.find((f) => f.object.name === `d${i}`)?.message).toBe(
          `the pods of Deployment "d${i}" (labels app=a${i}) are selected only by NetworkPolicy "c${i}", whose policyTypes do not include Ingress: any pod in the cluster can connect to them`,
        );
      }
    },
    TIMEOUT,
  );

  it(
    'evaluates 12,000 NotIn NetworkPolicies once for 12,000 workloads whose labels none of them names',
    () => {
      // Old code: quadratic, 228 s for 20,000 of each (each workload's distinct label was tested
      // against every policy).
      const count = 12_000;
      const docs: string[] = [];
      for (let i = 0; i < count; i++) {
        // Egress only, selecting every pod whose app is not x<i>: each workload is selected by all.
        docs.push(`apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p${i}, namespace: shop}\nspec:\n  podSelector: {matchExpressions: [{key: app, operator: NotIn, values: [x${i}]}]}\n  policyTypes: [Egress]\n`);
        docs.push(deployment(`d${i}`, 'shop', `app: a${i}`, 'registry.example.com/app:1.0'));
      }
      // One workload whose app a policy names: that policy does not select it.
      docs.push(deployment('named', 'shop', 'app: x5', 'registry.example.com/app:1.0'));
      const findings = scan([{ file: 'notin.yaml', text: documents(docs) }], ['pod-not-isolated']);
      expect(findings).toHaveLength(count + 1);
      expect(findings.find((f) => f.object.name === 'd4321')?.message).toBe(
        `the pods of Deployment "d4321" (labels app=a4321) are selected only by NetworkPolicy "p0", "p1", "p2" and ${count - 3} more, whose policyTypes do not include Ingress: any pod in the cluster can connect to them`,
      );
      expect(findings.find((f) => f.object.name === 'named')?.message).toBe(
        `the pods of Deployment "named" (labels app=x5) are selected only by NetworkPolicy "p0", "p1", "p2" and ${count - 4} more, whose policyTypes do not include Ingress: any pod in the cluster can connect to them`,
      );
    },
    TIMEOUT,
  );

  it(
    'matches the images of 8,000 workloads against the 8,000 patterns of a Kyverno policy',
    () => {
      // Old code: 64 s (each image was matched against every pattern).
      const count = 8_000;
      const references = Array.from({ length: count }, (_, i) => `"registry.example.com/team${i}/*"`).join(', ');
      const docs = [`apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: verify}\nspec:\n  rules: [{name: signed, verifyImages: [{imageReferences: [${references}]}]}]\n`];
      // Every tenth workload runs a covered image.
      for (let i = 0; i < count; i++) docs.push(deployment(`d${i}`, 'shop', `app: a${i}`, i % 10 === 0 ? `registry.example.com/team${i}/api:1.0` : `registry.example.com/app${i}/api:1.0`));
      const findings = scan([{ file: 'signed.yaml', text: documents(docs) }], ['image-signature-policy']);
      expect(findings).toHaveLength(count - count / 10);
      expect(findings.some((f) => f.object.name === 'd10')).toBe(false);
      expect(findings.find((f) => f.object.name === 'd4321')?.message).toBe(
        'container "c" image "registry.example.com/app4321/api:1.0" is not matched by any image verification policy of the input, so its signature is never checked',
      );
    },
    TIMEOUT,
  );

  it(
    'checks 20,000 StatefulSets against a Velero Schedule of 20,000 namespaces and label values',
    () => {
      // Old code: 13 s (the schedule's lists were read again for every workload).
      const count = 20_000;
      const list = (prefix: string): string => Array.from({ length: count }, (_, i) => `${prefix}${i}`).join(', ');
      const docs = [
        `apiVersion: velero.io/v1\nkind: Schedule\nmetadata: {name: nightly, namespace: velero}\nspec:\n  template:\n    includedNamespaces: [${list('ns')}]\n    labelSelector: {matchExpressions: [{key: app, operator: In, values: [${list('z')}]}]}\n`,
      ];
      for (let i = 0; i < count; i++) {
        // Every tenth one carries a label the schedule selects.
        const app = i % 10 === 0 ? `z${i}` : `a${i}`;
        docs.push(`apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db${i}, namespace: ns${i}, labels: {app: ${app}}}\nspec:\n  template: {spec: {containers: [{name: db, image: registry.example.com/db:1.0}]}}\n  volumeClaimTemplates: [{metadata: {name: data}}]\n`);
      }
      const findings = scan([{ file: 'backup.yaml', text: documents(docs) }], ['stateful-workload-no-backup']);
      expect(findings).toHaveLength(count - count / 10);
      expect(findings.find((f) => f.object.name === 'db1234')?.message).toBe(
        'StatefulSet "db1234" in namespace "ns1234" keeps data in PersistentVolumeClaims ("data") that no backup schedule covers: the Velero Schedule velero/nightly selects other labels',
      );
    },
    TIMEOUT,
  );

  it(
    'checks 30,000 StatefulSets against 3,000 Velero Schedules of one namespace each, only the schedules of their namespace',
    () => {
      // Old code: 4.5 s against 1.6 s now, most of it reading the YAML (every workload was judged
      // against every schedule).
      const namespaces = 3_000;
      const count = 30_000;
      const docs: string[] = [];
      for (let i = 0; i < namespaces; i++) {
        // Every hundredth schedule is paused.
        const paused = i % 100 === 50 ? '\n  paused: true' : '';
        docs.push(`apiVersion: velero.io/v1\nkind: Schedule\nmetadata: {name: s${i}, namespace: velero}\nspec:${paused}\n  template:\n    includedNamespaces: [ns${i}]\n`);
      }
      for (let i = 0; i < count; i++) {
        // Spread over 3,030 namespaces: the last 30 have no schedule.
        docs.push(`apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db${i}, namespace: ns${i % (namespaces + 30)}}\nspec:\n  template: {spec: {containers: [{name: db, image: registry.example.com/db:1.0}]}}\n  volumeClaimTemplates: [{metadata: {name: data}}]\n`);
      }
      const findings = scan([{ file: 'backup.yaml', text: documents(docs) }], ['stateful-workload-no-backup']);
      // Workloads in the 30 namespaces without a schedule, and in the 30 whose schedule is paused:
      // 60 namespaces of the 3,030, each with 9 or 10 workloads.
      const uncovered = Array.from({ length: count }, (_, i) => i % (namespaces + 30)).filter((n) => n >= namespaces || n % 100 === 50);
      expect(findings).toHaveLength(uncovered.length);
      // Reasons in the order of the first schedule giving each: s0 leaves the namespace out, s50 is paused.
      expect(findings.find((f) => f.object.name === 'db50')?.message).toBe(
        'StatefulSet "db50" in namespace "ns50" keeps data in PersistentVolumeClaims ("data") that no backup schedule covers: the 3000 Velero Schedules do not include its namespace or are paused',
      );
      expect(findings.find((f) => f.object.name === 'db3010')?.message).toBe(
        'StatefulSet "db3010" in namespace "ns3010" keeps data in PersistentVolumeClaims ("data") that no backup schedule covers: the 3000 Velero Schedules do not include its namespace or are paused',
      );
    },
    TIMEOUT,
  );

  it(
    'checks 15,000 StatefulSets in namespaces that none of 15,000 one-namespace Velero Schedules names',
    () => {
      // Old code: 10 s (each workload judged against every schedule; and, with no paused schedule,
      // a first version of the index still read every schedule for each namespace).
      const count = 15_000;
      const docs: string[] = [];
      for (let i = 0; i < count; i++) docs.push(`apiVersion: velero.io/v1\nkind: Schedule\nmetadata: {name: s${i}, namespace: velero}\nspec:\n  template:\n    includedNamespaces: [ns${i}]\n`);
      for (let i = 0; i < count; i++) {
        docs.push(`apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db${i}, namespace: other${i}}\nspec:\n  template: {spec: {containers: [{name: db, image: registry.example.com/db:1.0}]}}\n  volumeClaimTemplates: [{metadata: {name: data}}]\n`);
      }
      const findings = scan([{ file: 'backup.yaml', text: documents(docs) }], ['stateful-workload-no-backup']);
      expect(findings).toHaveLength(count);
      expect(findings.find((f) => f.object.name === 'db777')?.message).toBe(
        'StatefulSet "db777" in namespace "other777" keeps data in PersistentVolumeClaims ("data") that no backup schedule covers: the 15000 Velero Schedules do not include its namespace',
      );
    },
    TIMEOUT,
  );
});
