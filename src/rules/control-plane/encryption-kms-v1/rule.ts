import { defineRule } from '../../../engine/rule.js';
import { entryLabel, loadableEntries } from '../../../k8s/control-plane/encryption.js';
import { asObject, asString } from '../../../k8s/object.js';

export const rule = defineRule({
  id: 'encryption-kms-v1',
  title: 'Encryption uses KMS v1',
  severity: 'medium',
  target: 'object',
  kinds: ['EncryptionConfiguration', 'EncryptionConfig'],
  controls: ['STO-6', 'STO-2'],
  frameworks: { nsa: ['Encryption'] },
  description:
    'KMS v1 (a `kms` provider without `apiVersion`, or with `apiVersion: v1`) is deprecated since Kubernetes 1.28 and disabled by default since 1.29: the API server refuses to start unless the KMSv1 feature gate is turned on. It also calls the KMS for every data key, so it is slow and fails hard when the KMS is unreachable. KMS v2 keeps the same external key protection with one data key per API server. Silent on a file the API server refuses for a reason encryption-config-invalid reports (its entries, resource names or provider elements), since such a file never takes effect.',
  remediation:
    'Set `apiVersion: v2` on the kms provider (with a KMS v2 plugin), keep the v1 provider after it until all data is rewritten, then remove it.',
  *check({ object }) {
    const entries = loadableEntries(object);
    if (entries === undefined) return;
    for (const entry of entries) {
      for (const [i, provider] of entry.providers.entries()) {
        if (provider.kind !== 'kms') continue;
        const kms = asObject(provider.config['kms']) ?? {};
        const version = asString(kms['apiVersion']);
        if (version !== undefined && version !== '' && version !== 'v1') continue;
        const name = asString(kms['name']) ?? '';
        yield {
          path: version === undefined ? [...provider.path, 'kms'] : [...provider.path, 'kms', 'apiVersion'],
          message: `${entryLabel(entry)}: kms provider "${name}" uses KMS v1${version === undefined ? ' (no apiVersion)' : ''}, deprecated and off by default since Kubernetes 1.29${i === 0 ? '; it encrypts every new write' : '; it is kept to read older data'}`,
        };
      }
    }
  },
});
