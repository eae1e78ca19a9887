import { defineRule } from '../../../engine/rule.js';
import { entryLabel, EXAMPLE_KEYS, fingerprint, keysOf, loadableEntries } from '../../../k8s/control-plane/encryption.js';

export const rule = defineRule({
  id: 'encryption-example-key',
  title: 'Encryption key copied from the documentation',
  severity: 'critical',
  target: 'object',
  kinds: ['EncryptionConfiguration', 'EncryptionConfig'],
  controls: ['STO-2'],
  frameworks: { nsa: ['Encryption'] },
  description:
    'The key is one of the example keys printed in the Kubernetes documentation and tutorials. Anyone can decrypt data encrypted with it, so the Secrets in etcd and in every etcd backup are as good as plain text, while the cluster reports encryption at rest as configured. Silent on a file the API server refuses for a reason encryption-config-invalid reports (its entries, resource names or provider elements), since such a file never takes effect.',
  remediation:
    'Generate a random key (`head -c 32 /dev/urandom | base64`), add it as the first key of the provider, restart the API servers, rewrite all encrypted resources (`kubectl get secrets -A -o json | kubectl replace -f -`), then remove the example key; treat data in older backups as exposed.',
  *check({ object }) {
    const entries = loadableEntries(object);
    if (entries === undefined) return;
    for (const entry of entries) {
      for (const provider of entry.providers) {
        for (const key of keysOf(entry, provider)) {
          if (key.secret === undefined || !EXAMPLE_KEYS.has(key.secret.trim())) continue;
          yield {
            path: [...key.path, 'secret'],
            message: `${entryLabel(entry)} ${provider.kind ?? ''}: key "${key.name ?? ''}" (${fingerprint(key.secret.trim())}) is an example key published in the Kubernetes documentation; anyone can decrypt data encrypted with it`,
          };
        }
      }
    }
  },
});
