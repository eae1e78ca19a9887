/**
 * Workload rules whose verdict turns on a detail: a toleration without a node selector, a
 * RuntimeClass whose handler is not what its name says, a subPathExpr, a quota that caps no compute.
 */
import { describe, expect, it } from 'vitest';
import { knownRules, parseConfig } from '../src/engine/config.js';
import { scanTexts } from '../src/engine/scan.js';
import { RULES } from '../src/rules/index.js';

/** The messages one rule gives for a YAML input, in order. */
function messages(id: string, text: string): string[] {
  return scanTexts([{ file: 'in.yaml', text }], { rules: RULES.filter((r) => r.id === id) }).findings.map((f) => f.message);
}

describe('privileged-node-isolation', () => {
  const pod = (scheduling: string): string =>
    `apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ops}\nspec:\n${scheduling}  containers:\n  - name: c\n    image: nginx:1\n    securityContext: {privileged: true}\n`;
  const toleration = '  tolerations:\n  - {key: dedicated, operator: Equal, value: privileged, effect: NoSchedule}\n';
  const head = 'pod with privileged container "c" can be scheduled on any node:';

  it('says that a toleration alone keeps the pod off no node', () => {
    expect(messages('privileged-node-isolation', pod(toleration))).toEqual([
      `${head} a toleration of taint "dedicated" lets it onto the tainted nodes but does not keep it off the others; add a nodeSelector or required node affinity on the pool's label`,
    ]);
    const two = `${toleration}  - {key: gpu, operator: Exists, effect: NoExecute}\n  - {key: node.kubernetes.io/not-ready, operator: Exists}\n`;
    expect(messages('privileged-node-isolation', pod(two))).toEqual([
      `${head} a toleration of taints "dedicated", "gpu" lets it onto the tainted nodes but does not keep it off the others; add a nodeSelector or required node affinity on the pool's label`,
    ]);
  });

  it('names no toleration when there is none, or only of Kubernetes\' own taints', () => {
    const builtIn = '  tolerations:\n  - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute}\n';
    for (const scheduling of ['', builtIn, '  nodeSelector: {kubernetes.io/os: linux}\n'])
      expect(messages('privileged-node-isolation', pod(scheduling))).toEqual([`${head} no nodeSelector or required node affinity confines it`]);
  });

  it('counts a nodeSelector, with or without the toleration', () => {
    const selector = '  nodeSelector: {dedicated: privileged}\n';
    expect(messages('privileged-node-isolation', pod(selector))).toEqual([]);
    expect(messages('privileged-node-isolation', pod(selector + toleration))).toEqual([]);
  });
});

describe('untrusted-workload-sandbox', () => {
  const namespace = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: tenants, labels: {mamori.io/untrusted: "true"}}\n';
  const runtimeClass = (name: string, handler: string): string => `---\napiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata: {name: ${name}}\nhandler: ${handler}\n`;
  const pod = (runtime: string, ns = 'tenants'): string =>
    `---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ${ns}}\nspec:\n  runtimeClassName: ${runtime}\n  containers: [{name: c, image: "nginx:1"}]\n`;
  const labelled = 'namespace "tenants" is labelled mamori.io/untrusted, but';

  it('lets the handler of the input\'s RuntimeClass decide over its name', () => {
    expect(messages('untrusted-workload-sandbox', namespace + runtimeClass('gvisor', 'runc') + pod('gvisor'))).toEqual([
      `${labelled} the pod's RuntimeClass "gvisor" in the input has handler "runc", which is not a sandboxed runtime`,
    ]);
    // The RuntimeClass may come after the pod.
    expect(messages('untrusted-workload-sandbox', namespace + pod('kata') + runtimeClass('kata', 'runc'))).toEqual([
      `${labelled} the pod's RuntimeClass "kata" in the input has handler "runc", which is not a sandboxed runtime`,
    ]);
    expect(messages('untrusted-workload-sandbox', namespace + runtimeClass('gvisor', 'runsc') + pod('gvisor'))).toEqual([]);
    expect(messages('untrusted-workload-sandbox', namespace + runtimeClass('secure', 'kata-qemu') + pod('secure'))).toEqual([]);
  });

  it('trusts a sandbox name the input has no RuntimeClass for', () => {
    expect(messages('untrusted-workload-sandbox', namespace + pod('gvisor'))).toEqual([]);
    expect(messages('untrusted-workload-sandbox', namespace + runtimeClass('other', 'runc') + pod('gvisor'))).toEqual([]);
    expect(messages('untrusted-workload-sandbox', namespace + pod('runc'))).toEqual([`${labelled} the pod's runtimeClassName "runc" is not a sandboxed runtime`]);
  });

  it('decides a namespace listed in the options the same way', () => {
    const config = parseConfig({ rules: { 'untrusted-workload-sandbox': { options: { untrustedNamespaces: ['builds'] } } } }, '.mamori.yaml', knownRules(RULES));
    const rules = RULES.filter((r) => r.id === 'untrusted-workload-sandbox');
    const listed = (text: string): string[] => scanTexts([{ file: 'in.yaml', text }], { rules, config }).findings.map((f) => f.message);
    expect(listed(runtimeClass('gvisor', 'runc') + pod('gvisor', 'builds'))).toEqual([
      'namespace "builds" is listed as untrusted, but the pod\'s RuntimeClass "gvisor" in the input has handler "runc", which is not a sandboxed runtime',
    ]);
    expect(listed(runtimeClass('gvisor', 'runsc') + pod('gvisor', 'builds'))).toEqual([]);
    expect(listed(pod('gvisor', 'builds'))).toEqual([]);
    expect(listed(pod('""', 'builds'))).toEqual([
      'namespace "builds" is listed as untrusted, but the pod sets no runtimeClassName and runs on the node\'s default runtime, sharing its kernel',
    ]);
  });

  it('reads the untrusted label on a CronJob\'s job template, which its Jobs carry', () => {
    const cronJob = (where: 'jobTemplate' | 'none'): string =>
      `apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: ci, namespace: builds}\nspec:\n  schedule: "@hourly"\n  jobTemplate:\n${where === 'jobTemplate' ? '    metadata: {labels: {mamori.io/untrusted: "true"}}\n' : ''}    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers: [{name: c, image: "builder:1"}]\n`;
    expect(messages('untrusted-workload-sandbox', cronJob('jobTemplate'))).toEqual([
      "the workload is labelled mamori.io/untrusted, but the pod sets no runtimeClassName and runs on the node's default runtime, sharing its kernel",
    ]);
    expect(messages('untrusted-workload-sandbox', cronJob('none'))).toEqual([]);
  });
});

describe('container-runtime-socket: the host root, and containers that cannot become root', () => {
  const pod = (hostPath: string, podContext: string, containerContext: string): string =>
    `apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: app}\nspec:\n  securityContext: ${podContext}\n  containers:\n  - name: c\n    image: nginx:1\n    securityContext: ${containerContext}\n    volumeMounts: [{name: v, mountPath: /host, readOnly: true}]\n  volumes: [{name: v, hostPath: {path: ${hostPath}}}]\n`;
  const rules = RULES.filter((r) => r.id === 'container-runtime-socket');
  const run = (text: string): string[] => scanTexts([{ file: 'p.yaml', text }], { rules }).findings.map((f) => `${f.severity} ${f.message}`);
  const ROOT = 'hostPath volume "v" (/) exposes the host\'s root filesystem, with every container runtime socket under /run to container "c": a root API on the node';
  const NON_ROOT = '{runAsUser: 65534, runAsGroup: 65534, runAsNonRoot: true}';

  it('reports a mount of / as critical for a container that may run as root', () => {
    expect(run(pod('/', '{}', '{}'))).toEqual([`critical ${ROOT}`]);
    expect(run(pod('/var', '{}', '{}'))).toEqual([]);
  });

  it('lowers it to high for a fixed non-root user without privilege escalation or extra groups', () => {
    expect(run(pod('/', NON_ROOT, '{allowPrivilegeEscalation: false}'))).toEqual([
      `high ${ROOT}, though only to user 65534 without privilege escalation, which connects only if the socket's group or mode admits it (runtime sockets are root's, mode 0660)`,
    ]);
    expect(run(pod('/run/containerd', '{}', '{runAsUser: 1000, runAsGroup: 1000, allowPrivilegeEscalation: false}'))[0]).toMatch(/^high .* only to user 1000 /);
    // Without runAsGroup the process runs in group 0, which the sockets admit.
    expect(run(pod('/run/containerd', '{}', '{runAsUser: 1000, allowPrivilegeEscalation: false}'))[0]).toMatch(/^critical /);
    // Escalation allowed, root group, extra groups, privileged, or no fixed user: critical.
    for (const [podContext, containerContext] of [
      [NON_ROOT, '{}'],
      ['{runAsUser: 65534, runAsGroup: 0}', '{allowPrivilegeEscalation: false}'],
      ['{runAsUser: 65534, supplementalGroups: [999]}', '{allowPrivilegeEscalation: false}'],
      ['{runAsUser: 65534, fsGroup: 2000}', '{allowPrivilegeEscalation: false}'],
      ['{runAsNonRoot: true}', '{allowPrivilegeEscalation: false}'],
    ]) expect(run(pod('/', podContext!, containerContext!))).toEqual([`critical ${ROOT}`]);
  });
});

describe('container-runtime-socket with subPathExpr', () => {
  const pod = (hostPath: string, expression: string, env = ''): string =>
    `apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: app}\nspec:\n  containers:\n  - name: c\n    image: nginx:1\n${env}    volumeMounts: [{name: v, mountPath: /m, subPathExpr: "${expression}"}]\n  volumes: [{name: v, hostPath: {path: ${hostPath}}}]\n`;
  const podName = '    env: [{name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]\n';
  const fromConfig = '    env: [{name: DIR, valueFrom: {configMapKeyRef: {name: cm, key: dir}}}]\n';
  const socket = (text: string): string[] => messages('container-runtime-socket', text);

  it('gives each pod its own folder from the downward API, or a literal $(VAR) when nothing defines it', () => {
    expect(socket(pod('/run', '$(POD_NAME)', podName))).toEqual([]);
    expect(socket(pod('/var/run', 'pods/$(POD_NAME)', podName))).toEqual([]);
    expect(socket(pod('/run', '$(POD_NAME)'))).toEqual([]);
    expect(socket(pod('/run', '$$(DIR)', fromConfig))).toEqual([]);
  });

  it('expands literal values and keeps a socket file name', () => {
    expect(socket(pod('/run', '$(DIR)', '    env: [{name: DIR, value: containerd}]\n'))).toEqual([
      'hostPath volume "v" (/run) exposes a directory holding container runtime sockets (through subPathExpr) to container "c": a root API on the node',
    ]);
    expect(socket(pod('/run', '$(POD_NAME)/docker.sock', podName))).toEqual([
      'hostPath volume "v" (/run) exposes the Docker socket (through subPathExpr) to container "c": a root API on the node',
    ]);
  });

  it('reports a value from outside the pod spec when some value reaches a socket', () => {
    const tail = 'which the pod spec does not fix) to container "c": a root API on the node';
    expect(socket(pod('/run', '$(DIR)', fromConfig))).toEqual([
      `hostPath volume "v" (/run) exposes a directory holding container runtime sockets (through subPathExpr "$(DIR)" for some values of DIR, ${tail}`,
    ]);
    expect(socket(pod('/var', 'r$(DIR)', fromConfig))).toEqual([
      `hostPath volume "v" (/var) exposes a directory holding container runtime sockets (through subPathExpr "r$(DIR)" for some values of DIR, ${tail}`,
    ]);
    expect(socket(pod('/data', '$(DIR)/crio.sock', fromConfig))).toEqual([
      `hostPath volume "v" (/data) exposes the CRI-O socket (through subPathExpr "$(DIR)/crio.sock" for some values of DIR, ${tail}`,
    ]);
    const envFrom = '    envFrom: [{configMapRef: {name: cm}}]\n';
    expect(socket(pod('/run', '$(ANY)', envFrom))).toEqual([
      `hostPath volume "v" (/run) exposes a directory holding container runtime sockets (through subPathExpr "$(ANY)" for some values of ANY, ${tail}`,
    ]);
    // No value under /var/log, or past a folder of the pod's own, is a runtime socket.
    expect(socket(pod('/var/log', '$(DIR)', fromConfig))).toEqual([]);
    expect(socket(pod('/run', 'logs/$(DIR)', fromConfig))).toEqual([]);
    expect(socket(pod('/run', '$(POD_NAME)/$(DIR)', podName.replace(']', ', {name: DIR, valueFrom: {secretKeyRef: {name: s, key: k}}}]')))).toEqual([]);
  });
});

describe('namespace-resource-quota', () => {
  const namespace = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n  containers: [{name: c, image: "nginx:1"}]\n';
  const quota = (name: string, hard: string): string => `---\napiVersion: v1\nkind: ResourceQuota\nmetadata: {name: ${name}, namespace: shop}\nspec:\n  hard: {${hard}}\n`;
  const quotaRule = (text: string): string[] => messages('namespace-resource-quota', text);

  it('reports a namespace whose quotas cap neither compute nor pods, naming what they cap', () => {
    expect(quotaRule(namespace + quota('objects', 'count/configmaps: "10"'))).toEqual([
      'namespace "shop" runs workloads but its ResourceQuota caps no compute resources or pod count (spec.hard only sets count/configmaps)',
    ]);
    expect(quotaRule(namespace + quota('objects', 'services: "5", count/configmaps: "10"') + quota('storage', 'requests.storage: 1Ti'))).toEqual([
      'namespace "shop" runs workloads but its ResourceQuotas cap no compute resources or pod count (spec.hard only sets count/configmaps, requests.storage, services)',
    ]);
    expect(quotaRule(namespace + quota('empty', ''))).toEqual(['namespace "shop" runs workloads but its ResourceQuota sets no spec.hard caps']);
  });

  it('counts scoped quotas only when their scopes together track every pod', () => {
    const scoped = (name: string, hard: string, scope: string): string => `${quota(name, hard)}  ${scope}\n`;
    expect(quotaRule(namespace + scoped('be', 'pods: "5"', 'scopes: [BestEffort]'))).toEqual([
      'namespace "shop" runs workloads but the ResourceQuota that caps compute or pods tracks only pods in scope BestEffort, so its other pods are uncapped',
    ]);
    const high = 'scopeSelector: {matchExpressions: [{scopeName: PriorityClass, operator: In, values: [high, critical]}]}';
    expect(quotaRule(namespace + scoped('high', 'cpu: "4"', high) + scoped('t', 'pods: "3"', 'scopes: [Terminating, NotBestEffort]') + quota('objects', 'services: "2"'))).toEqual([
      'namespace "shop" runs workloads but the ResourceQuotas that cap compute or pods track only pods in scope NotBestEffort and Terminating, PriorityClass In (critical, high), so its other pods are uncapped',
    ]);
    expect(quotaRule(namespace + scoped('be', 'pods: "5"', 'scopes: [BestEffort]') + scoped('nbe', 'cpu: "4"', 'scopes: [NotBestEffort]'))).toEqual([]);
    const priority = (op: string): string => `scopeSelector: {matchExpressions: [{scopeName: PriorityClass, operator: ${op}}]}`;
    expect(quotaRule(namespace + scoped('with', 'pods: "5"', priority('Exists')) + scoped('without', 'pods: "5"', priority('DoesNotExist')))).toEqual([]);
    expect(quotaRule(namespace + scoped('with', 'pods: "5"', priority('Exists')))).toEqual([
      'namespace "shop" runs workloads but the ResourceQuota that caps compute or pods tracks only pods in scope PriorityClass Exists, so its other pods are uncapped',
    ]);
    const classes = (op: string, values: string): string => `scopeSelector: {matchExpressions: [{scopeName: PriorityClass, operator: ${op}, values: [${values}]}]}`;
    expect(quotaRule(namespace + scoped('high', 'pods: "5"', classes('In', 'high, critical')) + scoped('rest', 'pods: "50"', classes('NotIn', 'critical, high')))).toEqual([]);
    expect(quotaRule(namespace + scoped('high', 'pods: "5"', classes('In', 'high')) + scoped('rest', 'pods: "50"', classes('NotIn', 'critical, high')))).toHaveLength(1);
    // A scoped quota beside an unscoped one that caps compute: every pod is tracked.
    expect(quotaRule(namespace + scoped('be', 'pods: "5"', 'scopes: [BestEffort]') + quota('all', 'requests.memory: 8Gi'))).toEqual([]);
    // Two quotas of the same scope do not complement each other.
    expect(quotaRule(namespace + scoped('a', 'pods: "5"', 'scopes: [Terminating]') + scoped('b', 'cpu: "1"', 'scopes: [Terminating]'))).toHaveLength(1);
  });

  it('counts any cap on compute or pods', () => {
    for (const hard of ['pods: "10"', 'count/pods: "10"', 'cpu: "4"', 'memory: 8Gi', 'requests.cpu: "2"', 'limits.memory: 4Gi', 'requests.nvidia.com/gpu: "1"', 'ephemeral-storage: 10Gi', 'hugepages-2Mi: 1Gi'])
      expect(quotaRule(namespace + quota('q', `${hard}, count/secrets: "5"`))).toEqual([]);
  });
});
