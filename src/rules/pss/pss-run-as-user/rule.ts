import { definePssRule } from '../define.js';

export const rule = definePssRule({
  checkId: 'runAsUser',
  id: 'pss-run-as-user',
  title: 'Container runs as UID 0',
  severity: 'high',
  controls: ['CMP-1', 'DEP-1'],
  frameworks: { cis: ['5.2.7'], nsa: ['Kubernetes Pod security'], kubescape: ['C-0013', 'C-0198'] },
  description:
    '`runAsUser: 0` forces the container\'s processes to run as root whatever the image says, overriding `runAsNonRoot` defences and giving the process root\'s power over the container and its mounts.',
  remediation:
    'Remove `runAsUser: 0` from the pod\'s and containers\' `securityContext`, or set a non-zero UID such as 10001. From policy v1.35 pods in a user namespace (`spec.hostUsers: false`) are exempt.',
});
