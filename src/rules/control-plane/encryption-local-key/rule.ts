import { defineRule } from '../../../engine/rule.js';
import { entryLabel, loadableEntries } from '../../../k8s/control-plane/encryption.js';

export const rule = defineRule({
  id: 'encryption-local-key',
  title: 'Encryption key stored on the control-plane host',
  severity: 'low',
  target: 'object',
  kinds: ['EncryptionConfiguration', 'EncryptionConfig'],
  controls: ['STO-6', 'STO-2'],
  frameworks: { nsa: ['Encryption'] },
  description:
    'With `aescbc`, `aesgcm` or `secretbox` the encryption key sits in plain text in this file on every control-plane node. Encryption then protects etcd data and backups taken elsewhere, but anyone who reads the node filesystem (or a node backup) has both the data and the key. The documentation says local keys only moderately improve security and recommends a KMS, which keeps the key-encryption key in an HSM or cloud KMS. Silent on a file the API server refuses for a reason encryption-config-invalid reports (its entries, resource names or provider elements), since such a file never takes effect.',
  remediation:
    'Use a `kms` provider with `apiVersion: v2` backed by an HSM or cloud KMS as the first provider; until then keep this file mode 600, owned by root, mounted read-only into the API server, and out of node backups.',
  *check({ object }) {
    const entries = loadableEntries(object);
    if (entries === undefined) return;
    for (const entry of entries) {
      const first = entry.providers[0];
      if (first?.kind !== 'aescbc' && first?.kind !== 'aesgcm' && first?.kind !== 'secretbox') continue;
      yield {
        path: first.path,
        message: `${entryLabel(entry)} encrypts with ${first.kind}, whose key is stored in this file on every control-plane node instead of in a KMS`,
      };
    }
  },
});
