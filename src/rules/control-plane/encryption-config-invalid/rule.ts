import { defineRule } from '../../../engine/rule.js';
import { entriesOf, isEncryptionConfiguration, reviewEntries } from '../../../k8s/control-plane/encryption.js';

export const rule = defineRule({
  id: 'encryption-config-invalid',
  title: 'Encryption configuration is rejected or partly ignored',
  severity: 'medium',
  target: 'object',
  kinds: ['EncryptionConfiguration', 'EncryptionConfig'],
  controls: ['STO-2'],
  frameworks: { nsa: ['Encryption'] },
  description:
    'The API server refuses an EncryptionConfiguration without entries, with an entry that lists no resources or no providers, overlapping or duplicate resources in one entry, resource names it cannot encrypt, or provider elements that set no or several providers; at start-up that keeps it from running, and on reload the old configuration silently stays. Across entries, a resource after a wildcard entry that covers it (for example `secrets` after `*.*` or `*.`) is masked, and the API server refuses the whole file as well. The other encryption rules do not judge a file refused for any of these reasons, since it never takes effect. A resource listed again in a later entry without a wildcard is accepted but ignored there: the first entry wins.',
  remediation:
    'Keep each resource in exactly one entry, put specific entries before wildcard ones (`secrets` before `*.`/`*.*`), write core resources as `secrets` or `*.` (not `*`), and give every entry resources and providers, and every provider element exactly one of `kms`, `aescbc`, `aesgcm`, `secretbox`, `identity`.',
  *check({ object }) {
    if (!isEncryptionConfiguration(object)) return;
    const { refusals, ignored } = reviewEntries(entriesOf(object));
    yield* refusals;
    yield* ignored;
  },
});
