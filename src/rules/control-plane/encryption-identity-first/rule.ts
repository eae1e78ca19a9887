import { defineRule } from '../../../engine/rule.js';
import { cis1228Literal, entryFor, entryLabel, loadableEntries } from '../../../k8s/control-plane/encryption.js';

export const rule = defineRule({
  id: 'encryption-identity-first',
  title: 'Secrets are written unencrypted',
  severity: 'high',
  target: 'object',
  kinds: ['EncryptionConfiguration', 'EncryptionConfig'],
  controls: ['STO-2'],
  frameworks: { cis: ['1.2.28'], kubescape: ['C-0142'], nsa: ['Encryption', 'Secrets'] },
  description:
    'The API server encrypts new writes with the first provider of the entry that applies to a resource. When that provider is `identity` for secrets, every Secret is stored in etcd in plain text, although encryption providers may follow in the list (kube-bench and Kubescape both pass such files). This is how encryption is disabled, or left disabled after a migration that never finished. Silent on a file the API server refuses for a reason encryption-config-invalid reports (its entries, resource names or provider elements), since such a file never takes effect.',
  remediation:
    'Move a real provider first in the entry that covers `secrets`: `kms` with `apiVersion: v2` (or `secretbox`), keeping `identity: {}` last only while existing data is rewritten; then rewrite all secrets (`kubectl get secrets -A -o json | kubectl replace -f -`).',
  *check({ object }) {
    const entries = loadableEntries(object);
    if (entries === undefined) return;
    const applies = entryFor(entries, 'secrets');
    const first = applies?.entry.providers[0];
    if (applies === undefined || first?.kind !== 'identity') return;
    const via = applies.resource.name === 'secrets' ? '' : ` (through "${applies.resource.name}")`;
    yield {
      path: first.path,
      message: `${entryLabel(applies.entry)} applies to secrets${via} and its first provider is identity: new Secrets are stored unencrypted [CIS 1.2.28 literal: ${cis1228Literal(entries)}, effective: FAIL]`,
    };
  },
});
