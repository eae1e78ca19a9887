/** Built-in kinds that are cluster-scoped (everything else is taken as namespaced). */
const CLUSTER_SCOPED: ReadonlySet<string> = new Set([
  'APIService',
  'CertificateSigningRequest',
  'ClusterRole',
  'ClusterRoleBinding',
  'ComponentStatus',
  'CSIDriver',
  'CSINode',
  'CustomResourceDefinition',
  'FlowSchema',
  'IngressClass',
  'MutatingAdmissionPolicy',
  'MutatingAdmissionPolicyBinding',
  'MutatingWebhookConfiguration',
  'Namespace',
  'Node',
  'PersistentVolume',
  'PodSecurityPolicy',
  'PriorityClass',
  'PriorityLevelConfiguration',
  'RuntimeClass',
  'StorageClass',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'ValidatingWebhookConfiguration',
  'VolumeAttachment',
  // Istio's mesh-wide and Velero's objects are namespaced; configuration files are not API objects.
  'EncryptionConfiguration',
  'KubeletConfiguration',
  'KubeProxyConfiguration',
  'Policy',
  'AdmissionConfiguration',
  'PodSecurityConfiguration',
  'Kustomization',
]);

/** True for kinds that live outside namespaces (and for configuration files that are not API objects). */
export function isClusterScoped(kind: string): boolean {
  return CLUSTER_SCOPED.has(kind);
}
