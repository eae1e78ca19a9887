import type { Phase } from '../../types.js';

/** Lifecycle phases in the order of the page "Cloud Native Security and Kubernetes". */
export const PHASES: readonly Phase[] = [
  'develop',
  'distribute',
  'deploy',
  'runtime-access',
  'runtime-compute',
  'runtime-storage',
  'network',
  'observability',
];

/** How a phase reads in the report. */
export const PHASE_LABELS: Readonly<Record<Phase, string>> = {
  develop: 'Develop',
  distribute: 'Distribute',
  deploy: 'Deploy',
  'runtime-access': 'Runtime: access',
  'runtime-compute': 'Runtime: compute',
  'runtime-storage': 'Runtime: storage',
  network: 'Network',
  observability: 'Observability',
};

/**
 * A short name for each control of SEED-CONTROLS.md, so the control chart reads without the
 * table at hand. The ids and their phases live in engine/controls.ts; these are labels only.
 */
export const CONTROL_TITLES: Readonly<Record<string, string>> = {
  'DEV-1': 'Zero-trust architecture, small attack surface',
  'DEV-2': 'Code review that considers security',
  'DEV-3': 'Threat model and trust boundaries',
  'DEV-4': 'Security automation: fuzzing, chaos testing',
  'DIST-1': 'Vulnerability scans of images and artifacts',
  'DIST-2': 'Encrypted distribution with a trust chain',
  'DIST-3': 'Dependency updates that follow releases',
  'DIST-4': 'Supply-chain verification (signatures)',
  'DIST-5': 'Security advisory feeds',
  'DIST-6': 'Restricted access to artifacts',
  'DEP-1': 'Limits on what is deployed, by whom, where',
  'DEP-2': 'Image identity verified at deploy time',
  'ACC-1': 'Kubernetes API protected',
  'ACC-2': 'API authentication and authorization',
  'ACC-3': 'Service account identities',
  'ACC-4': 'TLS for all API traffic',
  'ACC-5': 'CertificateSigningRequest API guarded',
  'CMP-1': 'Pod Security Standards enforced',
  'CMP-2': 'Immutable, container-optimised node OS',
  'CMP-3': 'ResourceQuotas and LimitRanges',
  'CMP-4': 'Workloads of different trust on separate nodes',
  'CMP-5': 'Sandboxing container runtimes',
  'CMP-6': 'AppArmor and seccomp',
  'STO-1': 'Encrypted external volumes',
  'STO-2': 'API objects encrypted at rest',
  'STO-3': 'Backups that can be restored',
  'STO-4': 'Authenticated node-to-storage connections',
  'STO-5': 'Encryption in applications, no plaintext secrets',
  'STO-6': 'Keys generated in hardware (HSM)',
  'NET-1': 'Network policies',
  'NET-2': 'Service mesh',
  'NET-3': 'Encrypted cluster network',
  'OBS-1': 'Logs, metrics and audit',
  'OBS-2': 'Resilient, integrity-protected observability',
  'OBS-3': 'Measured boot and authenticated time',
  'OBS-4': 'Tamper-proof, confidential logs',
};
