import { defineRule } from '../../../engine/rule.js';
import { cis1228Literal, entryFor, loadableEntries } from '../../../k8s/control-plane/encryption.js';

export const rule = defineRule({
  id: 'encryption-secrets-not-covered',
  title: 'Encryption configuration does not cover secrets',
  severity: 'high',
  target: 'object',
  kinds: ['EncryptionConfiguration', 'EncryptionConfig'],
  controls: ['STO-2'],
  frameworks: { cis: ['1.2.28'], kubescape: ['C-0142'], nsa: ['Encryption', 'Secrets'] },
  description:
    'Resources that no entry of the EncryptionConfiguration covers are stored with the identity provider, in plain text. A file that encrypts configmaps or custom resources but does not list `secrets` (or a `*.` / `*.*` wildcard) leaves every Secret readable in etcd and its backups while looking like encryption at rest is on. Silent on a file the API server refuses for a reason encryption-config-invalid reports (its entries, resource names or provider elements), since such a file never takes effect.',
  remediation:
    'Add `secrets` to the `resources` of an entry whose first provider is `kms` (apiVersion v2) or `secretbox`, or add such an entry first, then rewrite all secrets so they are stored encrypted.',
  *check({ object }) {
    const entries = loadableEntries(object);
    if (entries === undefined) return;
    if (entryFor(entries, 'secrets') !== undefined) return;
    const listed = entries.flatMap((e) => e.resources.map((r) => r.name));
    yield {
      path: ['resources'],
      message: `no entry covers secrets (${listed.length > 0 ? `the file lists ${listed.join(', ')}` : 'the file lists no resources'}): Secrets are stored unencrypted [CIS 1.2.28 literal: ${cis1228Literal(entries)}, effective: FAIL]`,
    };
  },
});
