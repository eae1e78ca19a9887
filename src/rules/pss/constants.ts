/**
 * The lists the Pod Security Standards checks are defined by (k8s.io/pod-security-admission
 * `policy/check_*.go`), shared by the TypeScript checks (psa.ts) and their CEL export
 * (src/policy/export-pss.ts), so both always judge by the same values.
 */

/** Annotation prefix of a container's AppArmor profile (before the securityContext field). */
export const APPARMOR_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

/** The capabilities the baseline level lets a container add, in PSA's order. */
export const BASELINE_CAPABILITY_LIST: readonly string[] = [
  'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID',
  'SETPCAP', 'SETUID', 'SYS_CHROOT',
];
/** The same, as a set. */
export const BASELINE_CAPABILITIES: ReadonlySet<string> = new Set(BASELINE_CAPABILITY_LIST);

/** SELinux types a pod may set, by policy version (1.31 adds `container_engine_t`). */
export const SELINUX_TYPES_1_0: readonly string[] = ['', 'container_t', 'container_init_t', 'container_kvm_t'];
export const SELINUX_TYPES_1_31: readonly string[] = [...SELINUX_TYPES_1_0, 'container_engine_t'];

/** The safe sysctls, by the policy version that allowed each. */
export const SYSCTLS_1_0: readonly string[] = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
];
export const SYSCTLS_1_27: readonly string[] = [...SYSCTLS_1_0, 'net.ipv4.ip_local_reserved_ports'];
export const SYSCTLS_1_29: readonly string[] = [
  ...SYSCTLS_1_27,
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
];
export const SYSCTLS_1_32: readonly string[] = [...SYSCTLS_1_29, 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem'];
export const SYSCTLS_1_37: readonly string[] = [...SYSCTLS_1_32, 'net.ipv4.tcp_slow_start_after_idle', 'net.ipv4.tcp_notsent_lowat'];

/** The volume types the restricted level allows. */
export const ALLOWED_VOLUME_SOURCE_LIST: readonly string[] = [
  'configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'image', 'persistentVolumeClaim', 'projected', 'secret',
];
export const ALLOWED_VOLUME_SOURCES: ReadonlySet<string> = new Set(ALLOWED_VOLUME_SOURCE_LIST);

/** The order in which PSA names a restricted volume's type. */
export const RESTRICTED_VOLUME_SOURCES: readonly string[] = [
  'hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'nfs', 'iscsi', 'glusterfs', 'rbd', 'flexVolume',
  'cinder', 'cephfs', 'flocker', 'fc', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk',
  'portworxVolume', 'scaleIO', 'storageos',
];

/** The seccomp annotations of policy versions before v1.19: the pod's, and each container's prefix. */
export const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
export const SECCOMP_CONTAINER_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';

/** Pod subresources Pod Security Admission does not evaluate (`pods/ephemeralcontainers` and the pod itself are evaluated). */
export const IGNORED_POD_SUBRESOURCES: readonly string[] = ['attach', 'binding', 'eviction', 'exec', 'log', 'portforward', 'proxy', 'status'];
