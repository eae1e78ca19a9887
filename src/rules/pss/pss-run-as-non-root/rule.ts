import { definePssRule } from '../define.js';
import { fixRunAsNonRoot } from '../fixes.js';

export const rule = definePssRule({
  checkId: 'runAsNonRoot',
  id: 'pss-run-as-non-root',
  title: 'Container may run as root',
  severity: 'medium',
  controls: ['CMP-1', 'DEP-1'],
  frameworks: { cis: ['5.2.7', '5.6.3'], nsa: ['Kubernetes Pod security'], kubescape: ['C-0013', 'C-0198', 'C-0211'] },
  description:
    'Without `runAsNonRoot: true` the kubelet starts images whose user is root. Root in the container owns every file of the image and is one kernel bug or one misconfigured mount away from root on the node.',
  remediation:
    'Set `spec.securityContext.runAsNonRoot: true` (or `securityContext.runAsNonRoot: true` on every container) and do not set it to `false` anywhere; build the image with a numeric non-root USER. From policy v1.35 pods in a user namespace (`spec.hostUsers: false`) are exempt. `mamori fix` sets `spec.securityContext.runAsNonRoot: true` on a pod that leaves it unset; an image whose user is root then fails to start (the kubelet reports CreateContainerConfigError) until it runs as a numeric non-root user, so check the image\'s USER first. A pod that sets `runAsNonRoot: false` or `runAsUser: 0` gets no automatic fix.',
  fix: fixRunAsNonRoot,
});
