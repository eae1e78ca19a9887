import { defineRule } from '../../../engine/rule.js';
import { asObject, asString } from '../../../k8s/object.js';
import { parameter, parameterPath, provisionerOf } from '../storage.js';

export const rule = defineRule({
  id: 'storage-class-provider-managed-key',
  title: 'StorageClass encrypts with a provider-managed key',
  severity: 'low',
  target: 'object',
  kinds: ['StorageClass'],
  controls: ['STO-6', 'STO-1'],
  optional: true,
  description:
    'Volumes of this StorageClass are encrypted at rest, but with a key the cloud provider owns and manages (GCE persistent disks without `disk-encryption-kms-key`, Azure managed disks without `diskEncryptionSetID`, encrypted AWS EBS volumes without `kmsKeyId`, which use the account\'s `aws/ebs` key). That protects against lost disks, not against access through the provider\'s APIs: you cannot restrict or audit use of the key separately, revoke it to make the data unreadable (crypto-shredding), or keep it in an HSM under your control, as many compliance regimes require for sensitive data. Optional, because provider-managed encryption is an accepted baseline for most data.',
  remediation:
    'Create a customer-managed key (Cloud KMS, Azure Key Vault with a disk encryption set, AWS KMS; HSM-backed where required) and name it in the StorageClass: `parameters.disk-encryption-kms-key` (pd.csi.storage.gke.io), `parameters.diskEncryptionSetID` (disk.csi.azure.com), `parameters.kmsKeyId` (ebs.csi.aws.com, with `encrypted: "true"`). Give the node or CSI driver identity permission to use the key. In-tree provisioners cannot do this: move to the CSI driver.',
  *check({ object }) {
    const provisionerName = asString(object['provisioner']) ?? '';
    const provisioner = provisionerOf(provisionerName);
    if (provisioner === undefined) return;
    // Unencrypted volumes are storage-class-unencrypted's finding; this rule is about the key of encrypted ones.
    const encrypted = provisioner.encryptedByDefault || (provisioner.encryptParameter !== undefined && parameter(object, provisioner.encryptParameter).toLowerCase() === 'true');
    if (!encrypted) return;
    const name = asString(asObject(object['metadata'])?.['name']) ?? '';
    const subject = `StorageClass "${name}" (${provisionerName})`;
    if (provisioner.keyParameter === undefined) {
      if (provisioner.limitation !== undefined) yield { path: ['provisioner'], message: `${subject} encrypts ${provisioner.label} volumes with a provider-managed key: ${provisioner.limitation}` };
      return;
    }
    if (parameter(object, provisioner.keyParameter) !== '') return;
    yield {
      path: parameterPath(object, provisioner.keyParameter),
      message: `${subject} encrypts ${provisioner.label} volumes with a provider-managed key: parameters.${provisioner.keyParameter} is not set`,
    };
  },
});
