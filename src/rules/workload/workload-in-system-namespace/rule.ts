import { compileGlob, type Glob } from '../../../engine/glob.js';
import { defineRule } from '../../../engine/rule.js';
import { componentOf } from '../../../k8s/control-plane/flags.js';
import { stringList } from '../../../k8s/image.js';
import { asArray, asObject, asString, isObject } from '../../../k8s/object.js';
import { POD_BEARING_KINDS } from '../../../k8s/pod.js';
import type { JsonObject } from '../../../types.js';
import { SYSTEM_NAMESPACES } from '../pod-security-labels.js';

/**
 * Name patterns of the components that Kubernetes distributions, cloud providers and the usual
 * cluster add-ons install into kube-system. Prefix globs, so that the pods of a controller
 * (`coredns-5d78c9869d-x7k2p`) match as their controller does.
 */
const DEFAULT_ALLOWED_NAMES: readonly string[] = [
  // Kubernetes and its DNS, proxy, metrics and autoscaling add-ons (kube-proxy, kube-dns, kube-state-metrics, kube-flannel, kube-router, kube-vip, ...)
  'kube-*',
  'coredns*',
  'dns-autoscaler*',
  'node-local-dns*',
  'nodelocaldns*',
  'metrics-server*',
  'cluster-autoscaler*',
  'vpa-*',
  'descheduler*',
  'karpenter*',
  'node-problem-detector*',
  'ip-masq-agent*',
  'konnectivity-*',
  'cloud-controller-manager*',
  '*-cloud-controller-manager*',
  'cloud-node-manager*',
  'snapshot-controller*',
  'local-path-provisioner*',
  'storage-provisioner*',
  'cluster-proportional-autoscaler*',
  'kured*',
  'fluent-bit*',
  'fluentd*',
  'sealed-secrets*',
  // Network plugins
  'calico-*',
  'canal*',
  'cilium*',
  'hubble-*',
  'flannel*',
  'weave-net*',
  'antrea-*',
  'kindnet*',
  'multus*',
  'whereabouts*',
  'istio-cni-node*',
  'ovnkube-*',
  'aws-node*',
  'azure-cni*',
  'azure-ip-masq-agent*',
  // Storage (CSI drivers and their controllers) and device plugins
  'csi-*',
  '*-csi-*',
  '*-csi',
  '*-device-plugin*',
  // Cloud providers' managed add-ons (EKS, GKE, AKS) and k3s / RKE2
  'aws-load-balancer-controller*',
  'eks-pod-identity-agent*',
  'gke-*',
  '*-gke',
  '*-gke-*',
  'pdcsi-*',
  'filestore-node*',
  'gcsfusecsi-*',
  'netd*',
  'anetd*',
  'l7-default-backend*',
  'metadata-proxy*',
  'ama-*',
  'azure-policy*',
  'azure-wi-webhook*',
  'microsoft-defender-*',
  'keda-*',
  'retina-*',
  'omsagent*',
  'aks-*',
  'traefik*',
  'svclb-*',
  'helm-install-*',
  'rke2-*',
];

/** Priority classes meant for components the cluster cannot run without. */
const CRITICAL_PRIORITY: ReadonlySet<string> = new Set(['system-node-critical', 'system-cluster-critical']);

interface Settings {
  namespaces: ReadonlySet<string>;
  names: readonly Glob[];
}

/** A list option, or its default when the option is absent. */
function listOption(value: unknown, fallback: readonly string[]): readonly string[] {
  return value === undefined ? fallback : stringList(value);
}

/** The options compiled once per scan (the engine hands every pod the same options object). */
const SETTINGS = new WeakMap<object, Settings>();
function settings(options: Readonly<Record<string, unknown>>): Settings {
  let out = SETTINGS.get(options);
  if (out === undefined) {
    out = {
      namespaces: new Set(listOption(options['namespaces'], SYSTEM_NAMESPACES)),
      names: [...listOption(options['allowedNames'], DEFAULT_ALLOWED_NAMES), ...stringList(options['extraAllowedNames'])].map(compileGlob),
    };
    SETTINGS.set(options, out);
  }
  return out;
}

/** The label that Kubernetes' addon manager, and the add-ons it deploys, put on cluster add-ons. */
function addonLabelled(metadata: JsonObject | undefined): boolean {
  const labels = asObject(metadata?.['labels']);
  if (labels === undefined) return false;
  return asString(labels['addonmanager.kubernetes.io/mode']) !== undefined || asString(labels['kubernetes.io/cluster-service']) === 'true';
}

/**
 * The mirror of a static pod: the kubelet runs it from a file on the node, placed by whoever
 * administers the node (kubespray's API load balancer, kube-vip), not through the API.
 */
function mirrorPod(kind: string, metadata: JsonObject | undefined): boolean {
  return kind === 'Pod' && asString(asObject(metadata?.['annotations'])?.['kubernetes.io/config.mirror']) !== undefined;
}

/** True when a container of the pod runs kube-apiserver, kube-controller-manager, kube-scheduler or etcd. */
function controlPlane(spec: JsonObject): boolean {
  return asArray(spec['containers']).some((c) => isObject(c) && componentOf(c) !== undefined);
}

export const rule = defineRule({
  id: 'workload-in-system-namespace',
  title: 'Application workload in a Kubernetes system namespace',
  severity: 'medium',
  target: 'pod',
  kinds: POD_BEARING_KINDS,
  controls: ['DEP-1', 'CMP-1'],
  options: { namespaces: SYSTEM_NAMESPACES, allowedNames: DEFAULT_ALLOWED_NAMES, extraAllowedNames: [] },
  description:
    '`kube-system` belongs to the control plane and the cluster\'s add-ons, and clusters treat it that way: Pod Security Admission is usually left at `privileged` there, Gatekeeper, Kyverno and admission webhooks usually exclude it, and it holds the credentials of the controllers (service-account tokens bound to powerful roles, cloud credentials, bootstrap tokens). An application deployed there runs without the guardrails every other namespace has, so a misconfiguration (a privileged container, a hostPath mount) is not stopped at admission, and anyone allowed to manage it is given write access next to the control plane\'s secrets; RoleBindings in kube-system are often granted to operators who should never touch applications. `kube-public` (readable by everyone, even anonymously) and `kube-node-lease` (node heartbeats) should hold no workloads at all. Reported for pod-bearing objects whose `metadata.namespace` is one of the option `namespaces` (default kube-system, kube-public, kube-node-lease), except: control-plane static pods (a container whose command runs kube-apiserver, kube-controller-manager, kube-scheduler or etcd) and, in a cluster scan, the mirror pods of other static pods (annotation `kubernetes.io/config.mirror`: the node\'s administrator placed them, not an API client), objects whose name matches a glob of the option `allowedNames` (default: Kubernetes\' own components, DNS, metrics-server, autoscalers, network plugins, CSI drivers, device plugins and the managed add-ons of EKS, GKE, AKS, k3s and RKE2) or of `extraAllowedNames` (default none; it adds to `allowedNames` instead of replacing it), objects that carry the addon-manager labels (`addonmanager.kubernetes.io/mode`, `kubernetes.io/cluster-service: "true"`), and pods with priority class `system-node-critical` or `system-cluster-critical`, which mark a component the cluster depends on.',
  remediation:
    'Deploy the workload into a namespace of its own (`metadata.namespace`, or the namespace of the Helm release or Kustomize overlay), with Pod Security labels, NetworkPolicies and RBAC that fit it, and move its ServiceAccount, Roles, RoleBindings, ConfigMaps and Secrets with it. If it is a cluster add-on that must run in kube-system, accept the finding with an exception (`exceptions: [{ rule: workload-in-system-namespace, namespace: kube-system, name: my-addon*, reason: ... }]`) or add its name to the option `extraAllowedNames` (`rules: { workload-in-system-namespace: { options: { extraAllowedNames: ["my-addon*"] } } }`), which keeps the built-in list.',
  *check({ object, kind, metadata, spec }, { options }) {
    const objectMetadata = asObject(object['metadata']);
    const namespace = asString(objectMetadata?.['namespace']);
    if (namespace === undefined) return;
    const { namespaces, names } = settings(options);
    if (!namespaces.has(namespace)) return;
    const name = asString(objectMetadata?.['name']) ?? '';
    if (names.some((re) => re.test(name))) return;
    if (addonLabelled(objectMetadata) || addonLabelled(metadata)) return;
    if (CRITICAL_PRIORITY.has(asString(spec['priorityClassName']) ?? '') || controlPlane(spec) || mirrorPod(kind, objectMetadata)) return;
    yield {
      path: ['metadata', 'namespace'],
      message: `${kind} ${JSON.stringify(name)} runs in the system namespace ${namespace}, which admission policies and Pod Security usually exempt${namespace === 'kube-system' ? ', next to the control plane\'s credentials' : ''}; it is neither a control-plane component nor a known cluster add-on (options allowedNames, extraAllowedNames)`,
    };
  },
});
