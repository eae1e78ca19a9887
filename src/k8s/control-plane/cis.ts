/**
 * The CIS Kubernetes Benchmark 1.12 checks mamori evaluates offline, as kube-bench defines them in
 * `cfg/cis-1.12/{master,etcd,controlplane,node}.yaml` (aquasecurity/kube-bench; specs/control-plane.md
 * §3). Generated from those files and kept equal to them by test/cis-kube-bench.test.ts.
 */
import type { CisTests } from './compare.js';

/** One kube-bench check: its text, whether it is scored, whether it reads a config file, its tests. */
export interface CisCheck {
  text: string;
  scored: boolean;
  /** True when the check has an `audit_config` (the kubelet's config file). */
  config: boolean;
  tests: CisTests;
}

/** The checks by CIS id. */
export const CIS_1_12: Readonly<Record<string, CisCheck>> = {
  '1.2.1': {
    text: 'Ensure that the --anonymous-auth argument is set to false (Manual)',
    scored: false,
    config: false,
    tests: { test_items: [{ flag: '--anonymous-auth', compare: { op: 'eq', value: 'false' } }] },
  },
  '1.2.2': {
    text: 'Ensure that the --token-auth-file parameter is not set (Automated)',
    scored: true,
    config: false,
    tests: { test_items: [{ flag: '--token-auth-file', set: false }] },
  },
  '1.2.3': {
    text: 'Ensure that the --DenyServiceExternalIPs is set (Manual)',
    scored: false,
    config: false,
    tests: { bin_op: 'or', test_items: [{ flag: '--enable-admission-plugins', compare: { op: 'has', value: 'DenyServiceExternalIPs' } }] },
  },
  '1.2.4': {
    text: 'Ensure that the --kubelet-client-certificate and --kubelet-client-key arguments are set as appropriate (Automated)',
    scored: true,
    config: false,
    tests: { bin_op: 'and', test_items: [{ flag: '--kubelet-client-certificate' }, { flag: '--kubelet-client-key' }] },
  },
  '1.2.5': {
    text: 'Ensure that the --kubelet-certificate-authority argument is set as appropriate (Automated)',
    scored: true,
    config: false,
    tests: { test_items: [{ flag: '--kubelet-certificate-authority' }] },
  },
  '1.2.6': {
    text: 'Ensure that the --authorization-mode argument is not set to AlwaysAllow (Automated)',
    scored: true,
    config: false,
    tests: { test_items: [{ flag: '--authorization-mode', compare: { op: 'nothave', value: 'AlwaysAllow' } }] },
  },
  '1.2.7': {
    text: 'Ensure that the --authorization-mode argument includes Node (Automated)',
    scored: true,
    config: false,
    tests: { test_items: [{ flag: '--authorization-mode', compare: { op: 'has', value: 'Node' } }] },
  },
  '1.2.8': {
    text: 'Ensure that the --authorization-mode argument includes RBAC (Automated)',
    scored: true,
    config: false,
    tests: { test_items: [{ flag: '--authorization-mode', compare: { op: 'has', value: 'RBAC' } }] },
  },
  '1.2.9': {
    text: 'Ensure that the admission control plugin EventRateLimit is set (Manual)',
    scored: false,
    config: false,
    tests: { test_items: [{ flag: '--enable-admission-plugins', compare: { op: 'has', value: 'EventRateLimit' } }] },
  },
  '1.2.10': {
    text: 'Ensure that the admission control plugin AlwaysAdmit is not set (Automated)',
    scored: true,
    config: false,
    tests: { bin_op: 'or', test_items: [{ flag: '--enable-admission-plugins', compare: { op: 'nothave', value: 'AlwaysAdmit' } }, { flag: '--enable-admission-plugins', set: false }] },
  },
  '1.2.11': {
    text: 'Ensure that the admission control plugin AlwaysPullImages is set (Manual)',
    scored: false,
    config: false,
    tests: { test_items: [{ flag: '--enable-admission-plugins', compare: { op: 'has', value: 'AlwaysPullImages' } }] },
  },
  '1.2.12': {
    text: 'Ensure that the admission control plugin ServiceAccount is set (Automated)',
    scored: true,
    config: false,
    tests: { bin_op: 'or', test_items: [{ flag: '--disable-admission-plugins', compare: { op: 'nothave', value: 'ServiceAccount' } }, { flag: '--disable-admission-plugins', set: false }] },
  },
  '1.2.13': {
    text: 'Ensure that the admission control plugin NamespaceLifecycle is set (Automated)',
    scored: true,
    config: false,
    tests: { bin_op: 'or', test_items: [{ flag: '--disable-admission-plugins', compare: { op: 'nothave', value: 'NamespaceLifecycle' } }, { flag: '--disable-admission-plugins', set: false }] },
  },
  '1.2.14': {
    text: 'Ensure that the admission control plugin NodeRestriction is set (Automated)',
    scored: true,
    config: false,
    tests: { test_items: [{ flag: '--enable-admission-plugins', compare: { op: 'has', value: 'NodeRestriction' } }] },
  },
  '1.2.15': {
    text: 'Ensure that the --profiling argument is set to false (Automated)',
    scored: true,
    config: false,
    tests: { test_items: [{ flag: '--profiling', compare: { op: 'eq', value: 'false' } }] },
  },
  '1.2.16': {
    text: 'Ensure that the --audit-log-path argument is set (Automated)',
    scored: true,
    config: false,
    tests: { test_items: [{ flag: '--audit-log-path' }] },
  },
  '1.2.17': {
    text: 'Ensure that the --audit-log-maxage argument is set to 30 or as appropriate (Automated)',
    scored: true,
    config: false,
    tests: { test_items: [{ flag: '--audit-log-maxage', compare: { op: 'gte', value: '30' } }] },
  },
  '1.2.18': {
    text: 'Ensure that the --audit-log-maxbackup argument is set to 10 or as appropriate (Automated)',
    scored: true,
    config: false,
    tests: { test_items: [{ flag: '--audit-log-maxbackup', compare: { op: 'gte', value: '10' } }] },
  },
  '1.2.19': {
    text: 'Ensure that the --audit-log-maxsize argument is set to 100 or as appropriate (Automated)',
    scored: true,
    config: false,
    tests: { test_items: [{ flag: '--audit-log-maxsize', compare: { op: 'gte', value: '100' } }] },
  },
  '1.2.21': {
    text: 'Ensure that the --service-account-lookup argument is set to true (Automated)',
    scored: true,
    config: false,
    tests: { bin_op: 'or', test_items: [{ flag: '--service-account-lookup', set: false }, { flag: '--service-account-lookup', compare: { op: 'eq', value: 'true' } }] },
  },
  '1.2.22': {
    text: 'Ensure that the --service-account-key-file argument is set as appropriate (Automated)',
    scored: true,
    config: false,
    tests: { test_items: [{ flag: '--service-account-key-file' }] },
  },
  '1.2.23': {
    text: 'Ensure that the --etcd-certfile and --etcd-keyfile arguments are set as appropriate (Automated)',
    scored: true,
    config: false,
    tests: { bin_op: 'and', test_items: [{ flag: '--etcd-certfile' }, { flag: '--etcd-keyfile' }] },
  },
  '1.2.24': {
    text: 'Ensure that the --tls-cert-file and --tls-private-key-file arguments are set as appropriate (Automated)',
    scored: true,
    config: false,
    tests: { bin_op: 'and', test_items: [{ flag: '--tls-cert-file' }, { flag: '--tls-private-key-file' }] },
  },
  '1.2.25': {
    text: 'Ensure that the --client-ca-file argument is set as appropriate (Automated)',
    scored: true,
    config: false,
    tests: { test_items: [{ flag: '--client-ca-file' }] },
  },
  '1.2.26': {
    text: 'Ensure that the --etcd-cafile argument is set as appropriate (Automated)',
    scored: true,
    config: false,
    tests: { test_items: [{ flag: '--etcd-cafile' }] },
  },
  '1.2.27': {
    text: 'Ensure that the --encryption-provider-config argument is set as appropriate (Manual)',
    scored: false,
    config: false,
    tests: { test_items: [{ flag: '--encryption-provider-config' }] },
  },
  '1.2.28': {
    text: 'Ensure that encryption providers are appropriately configured (Manual)',
    scored: false,
    config: false,
    tests: { test_items: [{ flag: 'provider', compare: { op: 'valid_elements', value: 'aescbc,kms,secretbox' } }] },
  },
  '1.2.29': {
    text: 'Ensure that the API Server only makes use of Strong Cryptographic Ciphers (Manual)',
    scored: false,
    config: false,
    tests: { test_items: [{ flag: '--tls-cipher-suites', compare: { op: 'valid_elements', value: 'TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384,TLS_CHACHA20_POLY1305_SHA256,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256' } }] },
  },
  '1.2.30': {
    text: 'Ensure that the --service-account-extend-token-expiration parameter is set to false (Automated)',
    scored: true,
    config: false,
    tests: { test_items: [{ flag: '--service-account-extend-token-expiration', compare: { op: 'eq', value: 'false' } }] },
  },
  '1.3.1': {
    text: 'Ensure that the --terminated-pod-gc-threshold argument is set as appropriate (Manual)',
    scored: false,
    config: false,
    tests: { test_items: [{ flag: '--terminated-pod-gc-threshold' }] },
  },
  '1.3.2': {
    text: 'Ensure that the --profiling argument is set to false (Automated)',
    scored: true,
    config: false,
    tests: { test_items: [{ flag: '--profiling', compare: { op: 'eq', value: 'false' } }] },
  },
  '1.3.3': {
    text: 'Ensure that the --use-service-account-credentials argument is set to true (Automated)',
    scored: true,
    config: false,
    tests: { test_items: [{ flag: '--use-service-account-credentials', compare: { op: 'noteq', value: 'false' } }] },
  },
  '1.3.4': {
    text: 'Ensure that the --service-account-private-key-file argument is set as appropriate (Automated)',
    scored: true,
    config: false,
    tests: { test_items: [{ flag: '--service-account-private-key-file' }] },
  },
  '1.3.5': {
    text: 'Ensure that the --root-ca-file argument is set as appropriate (Automated)',
    scored: true,
    config: false,
    tests: { test_items: [{ flag: '--root-ca-file' }] },
  },
  '1.3.6': {
    text: 'Ensure that the RotateKubeletServerCertificate argument is set to true (Automated)',
    scored: true,
    config: false,
    tests: { bin_op: 'or', test_items: [{ flag: '--feature-gates', set: true, compare: { op: 'nothave', value: 'RotateKubeletServerCertificate=false' } }, { flag: '--feature-gates', set: false }] },
  },
  '1.3.7': {
    text: 'Ensure that the --bind-address argument is set to 127.0.0.1 (Automated)',
    scored: true,
    config: false,
    tests: { bin_op: 'or', test_items: [{ flag: '--bind-address', compare: { op: 'eq', value: '127.0.0.1' } }, { flag: '--bind-address', set: false }] },
  },
  '1.4.1': {
    text: 'Ensure that the --profiling argument is set to false (Automated)',
    scored: true,
    config: false,
    tests: { test_items: [{ flag: '--profiling', compare: { op: 'eq', value: 'false' } }] },
  },
  '1.4.2': {
    text: 'Ensure that the --bind-address argument is set to 127.0.0.1 (Automated)',
    scored: true,
    config: false,
    tests: { bin_op: 'or', test_items: [{ flag: '--bind-address', compare: { op: 'eq', value: '127.0.0.1' } }, { flag: '--bind-address', set: false }] },
  },
  '2.1': {
    text: 'Ensure that the --cert-file and --key-file arguments are set as appropriate (Automated)',
    scored: true,
    config: false,
    tests: { bin_op: 'and', test_items: [{ flag: '--cert-file', env: 'ETCD_CERT_FILE' }, { flag: '--key-file', env: 'ETCD_KEY_FILE' }] },
  },
  '2.2': {
    text: 'Ensure that the --client-cert-auth argument is set to true (Automated)',
    scored: true,
    config: false,
    tests: { test_items: [{ flag: '--client-cert-auth', env: 'ETCD_CLIENT_CERT_AUTH', compare: { op: 'eq', value: 'true' } }] },
  },
  '2.3': {
    text: 'Ensure that the --auto-tls argument is not set to true (Automated)',
    scored: true,
    config: false,
    tests: { bin_op: 'or', test_items: [{ flag: '--auto-tls', env: 'ETCD_AUTO_TLS', set: false }, { flag: '--auto-tls', env: 'ETCD_AUTO_TLS', compare: { op: 'eq', value: 'false' } }] },
  },
  '2.4': {
    text: 'Ensure that the --peer-cert-file and --peer-key-file arguments are set as appropriate (Automated)',
    scored: true,
    config: false,
    tests: { bin_op: 'and', test_items: [{ flag: '--peer-cert-file', env: 'ETCD_PEER_CERT_FILE' }, { flag: '--peer-key-file', env: 'ETCD_PEER_KEY_FILE' }] },
  },
  '2.5': {
    text: 'Ensure that the --peer-client-cert-auth argument is set to true (Automated)',
    scored: true,
    config: false,
    tests: { test_items: [{ flag: '--peer-client-cert-auth', env: 'ETCD_PEER_CLIENT_CERT_AUTH', compare: { op: 'eq', value: 'true' } }] },
  },
  '2.6': {
    text: 'Ensure that the --peer-auto-tls argument is not set to true (Automated)',
    scored: true,
    config: false,
    tests: { bin_op: 'or', test_items: [{ flag: '--peer-auto-tls', env: 'ETCD_PEER_AUTO_TLS', set: false }, { flag: '--peer-auto-tls', env: 'ETCD_PEER_AUTO_TLS', compare: { op: 'eq', value: 'false' } }] },
  },
  '2.7': {
    text: 'Ensure that a unique Certificate Authority is used for etcd (Manual)',
    scored: false,
    config: false,
    tests: { test_items: [{ flag: '--trusted-ca-file', env: 'ETCD_TRUSTED_CA_FILE' }] },
  },
  '3.2.1': {
    text: 'Ensure that a minimal audit policy is created (Manual)',
    scored: false,
    config: false,
    tests: { test_items: [{ flag: '--audit-policy-file', set: true }] },
  },
  '4.2.1': {
    text: 'Ensure that the --anonymous-auth argument is set to false (Automated)',
    scored: true,
    config: true,
    tests: { test_items: [{ flag: '--anonymous-auth', path: '{.authentication.anonymous.enabled}', compare: { op: 'eq', value: 'false' } }] },
  },
  '4.2.2': {
    text: 'Ensure that the --authorization-mode argument is not set to AlwaysAllow (Automated)',
    scored: true,
    config: true,
    tests: { test_items: [{ flag: '--authorization-mode', path: '{.authorization.mode}', compare: { op: 'nothave', value: 'AlwaysAllow' } }] },
  },
  '4.2.3': {
    text: 'Ensure that the --client-ca-file argument is set as appropriate (Automated)',
    scored: true,
    config: true,
    tests: { test_items: [{ flag: '--client-ca-file', path: '{.authentication.x509.clientCAFile}' }] },
  },
  '4.2.4': {
    text: 'Verify that if defined, the --read-only-port argument is set to 0 (Manual)',
    scored: false,
    config: true,
    tests: { bin_op: 'or', test_items: [{ flag: '--read-only-port', path: '{.readOnlyPort}', compare: { op: 'eq', value: '0' } }, { flag: '--read-only-port', path: '{.readOnlyPort}', set: false }] },
  },
  '4.2.5': {
    text: 'Ensure that the --streaming-connection-idle-timeout argument is not set to 0 (Manual)',
    scored: false,
    config: true,
    tests: { bin_op: 'or', test_items: [{ flag: '--streaming-connection-idle-timeout', path: '{.streamingConnectionIdleTimeout}', compare: { op: 'noteq', value: '0' } }, { flag: '--streaming-connection-idle-timeout', path: '{.streamingConnectionIdleTimeout}', set: false }] },
  },
  '4.2.6': {
    text: 'Ensure that the --make-iptables-util-chains argument is set to true (Automated)',
    scored: true,
    config: true,
    tests: { bin_op: 'or', test_items: [{ flag: '--make-iptables-util-chains', path: '{.makeIPTablesUtilChains}', compare: { op: 'eq', value: 'true' } }, { flag: '--make-iptables-util-chains', path: '{.makeIPTablesUtilChains}', set: false }] },
  },
  '4.2.8': {
    text: 'Ensure that the eventRecordQPS argument is set to a level which ensures appropriate event capture (Manual)',
    scored: false,
    config: true,
    tests: { bin_op: 'or', test_items: [{ flag: '--event-qps', path: '{.eventRecordQPS}', compare: { op: 'gte', value: '0' } }, { flag: '--event-qps', path: '{.eventRecordQPS}', set: false }] },
  },
  '4.2.9': {
    text: 'Ensure that the --tls-cert-file and --tls-private-key-file arguments are set as appropriate (Manual)',
    scored: false,
    config: true,
    tests: { test_items: [{ flag: '--tls-cert-file', path: '{.tlsCertFile}' }, { flag: '--tls-private-key-file', path: '{.tlsPrivateKeyFile}' }] },
  },
  '4.2.10': {
    text: 'Ensure that the --rotate-certificates argument is not set to false (Automated)',
    scored: true,
    config: true,
    tests: { bin_op: 'or', test_items: [{ flag: '--rotate-certificates', path: '{.rotateCertificates}', compare: { op: 'eq', value: 'true' } }, { flag: '--rotate-certificates', path: '{.rotateCertificates}', set: false }] },
  },
  '4.2.11': {
    text: 'Verify that the RotateKubeletServerCertificate argument is set to true (Manual)',
    scored: false,
    config: true,
    tests: { bin_op: 'or', test_items: [{ flag: 'RotateKubeletServerCertificate', path: '{.featureGates.RotateKubeletServerCertificate}', compare: { op: 'nothave', value: 'false' } }, { flag: 'RotateKubeletServerCertificate', path: '{.featureGates.RotateKubeletServerCertificate}', set: false }] },
  },
  '4.2.12': {
    text: 'Ensure that the Kubelet only makes use of Strong Cryptographic Ciphers (Manual)',
    scored: false,
    config: true,
    tests: { test_items: [{ flag: '--tls-cipher-suites', path: "{range .tlsCipherSuites[:]}{}{','}{end}", compare: { op: 'valid_elements', value: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384' } }] },
  },
  '4.2.13': {
    text: 'Ensure that a limit is set on pod PIDs (Manual)',
    scored: false,
    config: true,
    tests: { test_items: [{ flag: '--pod-max-pids', path: '{.podPidsLimit}' }] },
  },
  '4.2.14': {
    text: 'Ensure that the --seccomp-default parameter is set to true (Manual)',
    scored: false,
    config: true,
    tests: { test_items: [{ flag: '--seccomp-default', path: '{.seccompDefault}' }] },
  },
};
