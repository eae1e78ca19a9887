import { defineRule } from '../../../engine/rule.js';
import { entryLabel, loadableEntries } from '../../../k8s/control-plane/encryption.js';

export const rule = defineRule({
  id: 'encryption-fallback-provider',
  title: 'Old encryption provider kept as a fallback',
  severity: 'info',
  target: 'object',
  kinds: ['EncryptionConfiguration', 'EncryptionConfig'],
  controls: ['STO-2'],
  frameworks: { nsa: ['Encryption'] },
  optional: true,
  description:
    'Providers after the first one only decrypt data written before the last change of configuration. While `identity` or an old key stays in the list, etcd may still hold objects stored in plain text or under the old key, and nothing in the file shows whether they were rewritten. mamori cannot verify that offline. Silent on a file the API server refuses for a reason encryption-config-invalid reports (its entries, resource names or provider elements), since such a file never takes effect.',
  remediation:
    'After changing the first provider, rewrite every covered resource (`kubectl get secrets -A -o json | kubectl replace -f -`, and likewise for other resources), check etcd for the `k8s:enc:<provider>:v1:<key>:` prefix, then remove the fallback providers and old keys.',
  *check({ object }) {
    const entries = loadableEntries(object);
    if (entries === undefined) return;
    for (const entry of entries) {
      const fallback = entry.providers.slice(1);
      const second = fallback[0];
      if (second === undefined) continue;
      yield {
        path: second.path,
        message: `${entryLabel(entry)} keeps ${fallback.map((p) => p.kind ?? 'an invalid provider').join(', ')} after ${entry.providers[0]?.kind ?? 'its first provider'}: data written before the change may still be stored ${fallback.some((p) => p.kind === 'identity') ? 'unencrypted or ' : ''}under the old provider until it is rewritten`,
      };
    }
  },
});
