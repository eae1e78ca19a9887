import { definePssRule } from '../define.js';

export const rule = definePssRule({
  checkId: 'hostPathVolumes',
  id: 'pss-host-path-volumes',
  title: 'Pod mounts a hostPath volume',
  severity: 'high',
  controls: ['CMP-1', 'DEP-1'],
  frameworks: { cis: ['5.2.11'], nsa: ['Kubernetes Pod security'], kubescape: ['C-0020', 'C-0045', 'C-0048', 'C-0203'] },
  description:
    'A hostPath volume mounts a path of the node into the container. Mounting /, /etc, /var/lib/kubelet or the container runtime socket lets an attacker read every pod\'s secrets and service-account tokens on the node, change the node\'s configuration or start privileged containers: node takeover.',
  remediation:
    'Replace `spec.volumes[].hostPath` with `emptyDir`, `configMap`, `secret`, `projected`, a `persistentVolumeClaim` or a CSI volume. Node agents that must read host files belong in a dedicated namespace labelled with the privileged level. `mamori fix` has no automatic fix for this: replacing a volume changes what the workload reads and writes.',
});
