/**
 * What the storage-class rules know about volume provisioners: which encrypt volumes at rest by
 * default, and which StorageClass parameters turn on encryption or a customer-managed key.
 */
import { asObject, asString } from '../../k8s/object.js';
import type { JsonObject, Path } from '../../types.js';

/** A volume provisioner and its encryption parameters. */
export interface Provisioner {
  /** Product name for messages. */
  label: string;
  /** Volumes are encrypted at rest whatever the StorageClass says (with provider-managed keys). */
  encryptedByDefault: boolean;
  /** Parameter that must be "true" to encrypt, for provisioners that do not by default. */
  encryptParameter?: string;
  /** Parameter naming a customer-managed key; absent when the provisioner cannot take one. */
  keyParameter?: string;
  /** Why it cannot do what the rule asks (in-tree provisioners), when it cannot. */
  limitation?: string;
}

const EBS: Provisioner = { label: 'AWS EBS', encryptedByDefault: false, encryptParameter: 'encrypted', keyParameter: 'kmsKeyId' };

/** Exact provisioner names. */
const BY_NAME: Readonly<Record<string, Provisioner>> = {
  'ebs.csi.aws.com': EBS,
  'kubernetes.io/aws-ebs': EBS,
  // Persistent disks are always encrypted, with Google-managed keys unless a Cloud KMS key is named.
  'pd.csi.storage.gke.io': { label: 'GCE persistent disk', encryptedByDefault: true, keyParameter: 'disk-encryption-kms-key' },
  'kubernetes.io/gce-pd': {
    label: 'GCE persistent disk (in-tree)',
    encryptedByDefault: true,
    limitation: 'the in-tree provisioner cannot use a customer-managed key; use pd.csi.storage.gke.io',
  },
  // Managed disks always have server-side encryption, with platform-managed keys unless a disk encryption set is named.
  'disk.csi.azure.com': { label: 'Azure managed disk', encryptedByDefault: true, keyParameter: 'diskEncryptionSetID' },
  'kubernetes.io/azure-disk': {
    label: 'Azure disk (in-tree)',
    encryptedByDefault: true,
    limitation: 'the in-tree provisioner cannot use a customer-managed key; use disk.csi.azure.com',
  },
  'kubernetes.io/rbd': {
    label: 'Ceph RBD (in-tree)',
    encryptedByDefault: false,
    limitation: 'the in-tree RBD provisioner cannot encrypt volumes; use rbd.csi.ceph.com with encrypted: "true"',
  },
  'driver.longhorn.io': { label: 'Longhorn', encryptedByDefault: false, encryptParameter: 'encrypted' },
  'pxd.portworx.com': { label: 'Portworx', encryptedByDefault: false, encryptParameter: 'secure' },
  'kubernetes.io/portworx-volume': { label: 'Portworx', encryptedByDefault: false, encryptParameter: 'secure' },
};

/** Ceph CSI's RBD driver is often deployed under a prefixed name (`rook-ceph.rbd.csi.ceph.com`). */
const CEPH_RBD: Provisioner = { label: 'Ceph RBD', encryptedByDefault: false, encryptParameter: 'encrypted' };

/** The provisioner of a StorageClass, if mamori knows it. */
export function provisionerOf(name: string): Provisioner | undefined {
  if (Object.hasOwn(BY_NAME, name)) return BY_NAME[name];
  if (name === 'rbd.csi.ceph.com' || name.endsWith('.rbd.csi.ceph.com')) return CEPH_RBD;
  return undefined;
}

/** A StorageClass parameter as a string ('' when absent). */
export function parameter(object: JsonObject, name: string): string {
  const value = asObject(object['parameters'])?.[name];
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  return asString(value) ?? '';
}

/** Where a finding about a missing parameter points: the parameter, else `parameters`, else `provisioner`. */
export function parameterPath(object: JsonObject, name: string | undefined): Path {
  const parameters = asObject(object['parameters']);
  if (parameters === undefined) return ['provisioner'];
  if (name !== undefined && Object.hasOwn(parameters, name)) return ['parameters', name];
  return ['parameters'];
}
