import { defineRule, type Violation } from '../../../engine/rule.js';
import { decodeBase64, entryLabel, fingerprint, KEY_SIZES, keysOf, loadableEntries } from '../../../k8s/control-plane/encryption.js';

export const rule = defineRule({
  id: 'encryption-invalid-key',
  title: 'Encryption key is invalid or reused',
  severity: 'high',
  target: 'object',
  kinds: ['EncryptionConfiguration', 'EncryptionConfig'],
  controls: ['STO-2'],
  frameworks: { nsa: ['Encryption'] },
  description:
    'Keys of `aescbc`, `aesgcm` and `secretbox` must be base64 and of the right length (secretbox 32 bytes; aescbc 32 bytes as documented, the API server also accepts 16 or 24; aesgcm 16, 24 or 32), with unique names. A wrong key makes the API server refuse the file; a key reused across providers or entries means one leaked key decrypts more data, and using the same key with two algorithms weakens both. Silent on a file the API server refuses for a reason encryption-config-invalid reports (its entries, resource names or provider elements), since such a file never takes effect.',
  remediation:
    'Generate a fresh random key per provider (`head -c 32 /dev/urandom | base64`), give each key of a provider a unique name, and rotate by adding the new key first, restarting the API servers, rewriting the data and removing the old key.',
  *check({ object }) {
    const entries = loadableEntries(object);
    if (entries === undefined) return;
    const seen = new Map<string, { label: string; provider: string }>();
    for (const entry of entries) {
      for (const provider of entry.providers) {
        const kind = provider.kind;
        if (kind !== 'aescbc' && kind !== 'aesgcm' && kind !== 'secretbox') continue;
        const keys = keysOf(entry, provider);
        const label = `${entryLabel(entry)} ${kind}`;
        if (keys.length === 0) {
          yield { path: [...provider.path, kind], message: `${label} has no keys: the API server rejects the file` };
          continue;
        }
        const names = new Set<string>();
        for (const key of keys) {
          const problems: Violation[] = [];
          if (key.name === undefined || key.name === '') problems.push({ path: key.path, message: `${label}: a key has no name: the API server rejects the file` });
          else if (names.has(key.name)) problems.push({ path: [...key.path, 'name'], message: `${label}: key name "${key.name}" is used twice; stored data names its key, so one of them can no longer be found` });
          else names.add(key.name);
          const who = `${label}: key "${key.name ?? ''}"`;
          if (key.secret === undefined || key.secret === '') {
            problems.push({ path: [...key.path, 'secret'], message: `${who} has no secret: the API server rejects the file` });
          } else {
            const bytes = decodeBase64(key.secret);
            const sizes = KEY_SIZES[kind];
            if (bytes === undefined) problems.push({ path: [...key.path, 'secret'], message: `${who} is not valid base64: the API server rejects the file` });
            else if (!sizes.accepted.includes(bytes.length)) {
              problems.push({ path: [...key.path, 'secret'], message: `${who} (${fingerprint(key.secret)}) is ${bytes.length} bytes; ${kind} needs ${sizes.accepted.join(', ')} bytes: the API server rejects the file` });
            } else if (!sizes.documented.includes(bytes.length)) {
              problems.push({ path: [...key.path, 'secret'], message: `${who} (${fingerprint(key.secret)}) is ${bytes.length} bytes; the documentation specifies ${sizes.documented.join(' or ')}-byte keys for ${kind}` });
            }
            const earlier = seen.get(key.secret);
            if (earlier !== undefined) {
              problems.push({
                path: [...key.path, 'secret'],
                message: `${who} (${fingerprint(key.secret)}) is also used in ${earlier.label}${earlier.provider !== kind ? ', the same key with two algorithms' : ''}: one leaked key decrypts both`,
              });
            } else seen.set(key.secret, { label, provider: kind });
          }
          yield* problems;
        }
      }
    }
  },
});
