import { definePssRule } from '../define.js';

export const rule = definePssRule({
  checkId: 'restrictedVolumes',
  id: 'pss-restricted-volumes',
  title: 'Volume type not allowed',
  severity: 'high',
  controls: ['CMP-1', 'DEP-1'],
  frameworks: { cis: ['5.2.11'], nsa: ['Kubernetes Pod security'], kubescape: ['C-0048', 'C-0203'] },
  description:
    'The restricted level allows only volume types that cannot reach outside the pod\'s own storage: hostPath exposes the node\'s filesystem, network volumes (nfs, iscsi, rbd, cephfs...) mount storage directly with the node\'s credentials past PersistentVolume access control, and gitRepo runs git on the node with attacker-controlled input (CVE-2024-10220 gave code execution on the node).',
  remediation:
    'Use only `configMap`, `csi`, `downwardAPI`, `emptyDir`, `ephemeral`, `image`, `persistentVolumeClaim`, `projected` and `secret` volumes: put network storage behind a PersistentVolumeClaim, replace hostPath with emptyDir or a claim, and replace gitRepo with an init container that clones into an emptyDir.',
});
