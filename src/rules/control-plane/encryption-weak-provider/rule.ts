import { defineRule } from '../../../engine/rule.js';
import { cis1228Literal, entryLabel, loadableEntries } from '../../../k8s/control-plane/encryption.js';

export const rule = defineRule({
  id: 'encryption-weak-provider',
  title: 'Encryption uses a weak provider',
  severity: 'medium',
  target: 'object',
  kinds: ['EncryptionConfiguration', 'EncryptionConfig'],
  controls: ['STO-2'],
  frameworks: { cis: ['1.2.28'], kubescape: ['C-0142'], nsa: ['Encryption'] },
  description:
    'The Kubernetes documentation rates `aescbc` weak (CBC is open to padding-oracle attacks) and says `aesgcm` keys must be rotated every 200,000 writes, because random nonces collide beyond that. Either as the first provider of an entry means new data is encrypted with a scheme the documentation advises against unless rotation is automated. CIS 1.2.28 still accepts aescbc. Silent on a file the API server refuses for a reason encryption-config-invalid reports (its entries, resource names or provider elements), since such a file never takes effect.',
  remediation:
    'Make `kms` with `apiVersion: v2` (or `secretbox`) the first provider of the entry, keep the old provider after it until all data is rewritten, then remove it.',
  *check({ object }) {
    const entries = loadableEntries(object);
    if (entries === undefined) return;
    for (const entry of entries) {
      const first = entry.providers[0];
      if (first?.kind === 'aescbc') {
        yield {
          path: first.path,
          message: `${entryLabel(entry)} encrypts with aescbc, which the documentation rates weak (CBC padding oracles) [CIS 1.2.28 literal: ${cis1228Literal(entries)}, effective: FAIL]`,
        };
      } else if (first?.kind === 'aesgcm') {
        yield {
          path: first.path,
          message: `${entryLabel(entry)} encrypts with aesgcm, whose key must be rotated every 200,000 writes to avoid nonce reuse [CIS 1.2.28 literal: ${cis1228Literal(entries)}, effective: FAIL]`,
        };
      }
    }
  },
});
