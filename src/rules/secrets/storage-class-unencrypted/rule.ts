import { defineRule } from '../../../engine/rule.js';
import { asObject, asString } from '../../../k8s/object.js';
import { parameter, parameterPath, provisionerOf } from '../storage.js';

export const rule = defineRule({
  id: 'storage-class-unencrypted',
  title: 'StorageClass creates unencrypted volumes',
  severity: 'medium',
  target: 'object',
  kinds: ['StorageClass'],
  controls: ['STO-1'],
  frameworks: { kubescape: ['C-0264'] },
  description:
    'Volumes of this StorageClass are not encrypted at rest. The provisioners checked here do not encrypt unless asked: AWS EBS (`ebs.csi.aws.com`, `kubernetes.io/aws-ebs`) unless the account has EBS encryption by default turned on, Ceph RBD (`rbd.csi.ceph.com`), Longhorn and Portworx. Unencrypted volumes, and every snapshot and backup taken from them, can be read by whoever gets the disk, the snapshot or the storage node, bypassing Kubernetes entirely: a shared or leaked snapshot, a decommissioned disk, a compromised storage host. GCE persistent disks and Azure managed disks are always encrypted and are not reported (see storage-class-provider-managed-key); vSphere and other drivers set encryption outside the StorageClass and are not checked.',
  remediation:
    'Set the provisioner\'s encryption parameter: `parameters.encrypted: "true"` for `ebs.csi.aws.com` (with `kmsKeyId` for a customer-managed KMS key), `rbd.csi.ceph.com` (with `encryptionKMSID`) and `driver.longhorn.io` (with the `csi.storage.k8s.io/*-secret-name` parameters holding the passphrase); `parameters.secure: "true"` for Portworx. Existing volumes stay unencrypted: migrate their data (snapshot, copy to an encrypted volume). Replace the in-tree `kubernetes.io/rbd` provisioner by Ceph CSI.',
  *check({ object }) {
    const provisionerName = asString(object['provisioner']) ?? '';
    const provisioner = provisionerOf(provisionerName);
    if (provisioner === undefined || provisioner.encryptedByDefault) return;
    const name = asString(asObject(object['metadata'])?.['name']) ?? '';
    const subject = `StorageClass "${name}" (${provisionerName})`;
    if (provisioner.encryptParameter === undefined) {
      yield { path: ['provisioner'], message: `${subject} creates unencrypted ${provisioner.label} volumes: ${provisioner.limitation ?? 'it cannot encrypt'}` };
      return;
    }
    const param = provisioner.encryptParameter;
    const value = parameter(object, param);
    if (value.toLowerCase() === 'true') return;
    const state = value === '' ? `parameters.${param} is not set` : `parameters.${param} is "${value}"`;
    const account = provisioner === provisionerOf('ebs.csi.aws.com') ? ' (unless EBS encryption by default is on for the account and region)' : '';
    yield { path: parameterPath(object, param), message: `${subject} creates unencrypted ${provisioner.label} volumes${account}: ${state}; set it to "true"` };
  },
});
