import { defineClassRule } from '../define.js';

export const rule = defineClassRule({
  id: 'rbac-persistent-volume-create',
  title: 'Binding grants creating PersistentVolumes',
  severity: 'medium',
  controls: ['ACC-2'],
  frameworks: { cis: ['5.1.9'], nsa: ['Authentication and authorization'], kubescape: ['C-0278'] },
  classes: ['pv-create'],
  subsumedBy: ['admin'],
  tier: 'any',
  description:
    'A PersistentVolume with a `hostPath` or `local` source gives the pod that claims it the node\'s filesystem, and Pod Security Admission does not inspect PersistentVolumes: a subject that can also create a claim and a pod in some namespace reaches the node past the `baseline` ban on hostPath volumes. Storage provisioners need this permission; little else does.',
  remediation:
    'Keep PersistentVolume creation for storage provisioners and administrators; let everyone else use PersistentVolumeClaims against a StorageClass. Restrict hostPath PersistentVolumes with an admission policy.',
});
