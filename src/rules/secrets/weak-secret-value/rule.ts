import { defineRule } from '../../../engine/rule.js';
import { asObject, asString } from '../../../k8s/object.js';
import { credentialKeyName, isUserName, isWeakValue } from '../../../k8s/secrets.js';
import type { Path } from '../../../types.js';

/**
 * Secret types that hold generated material (certificates and keys, registry configurations,
 * tokens): the others (Opaque, basic-auth, iSCSI CHAP, storage providers' and custom types) hold
 * passwords that people choose.
 */
const GENERATED: ReadonlySet<string> = new Set([
  'kubernetes.io/tls',
  'kubernetes.io/ssh-auth',
  'kubernetes.io/dockercfg',
  'kubernetes.io/dockerconfigjson',
  'kubernetes.io/service-account-token',
  'bootstrap.kubernetes.io/token',
]);

/** The text of a `data` value, or undefined when it is not base64 of printable text. */
function decode(value: string): string | undefined {
  const compact = value.replace(/\s/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) return undefined;
  const text = Buffer.from(compact, 'base64').toString('utf8');
  // eslint-disable-next-line no-control-regex
  return /^[^\u0000-\u0008\u000b-\u001f\u007f\ufffd]*$/.test(text) ? text : undefined;
}

/** A value that repeats its key, or the key's last dotted part (`node.session.auth.password_in: password_in`): a placeholder. */
function isOwnName(key: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  const k = key.toLowerCase();
  return v !== '' && (v === k || v === k.slice(k.lastIndexOf('.') + 1));
}

export const rule = defineRule({
  id: 'weak-secret-value',
  title: 'Secret holds a default or placeholder password',
  severity: 'medium',
  target: 'object',
  kinds: ['Secret'],
  controls: ['STO-5', 'ACC-2'],
  frameworks: { nsa: ['Secrets'] },
  description:
    'A password, token or key in a Secret is a well-known default or placeholder (`changeme`, `admin`, `password`, `123456`, `<password>`, one repeated character), repeats its own key (`password_in: password_in`, as the iSCSI CHAP example of the Kubernetes docs ships), or equals the user name next to it. Every Secret type is checked (Opaque, basic-auth, iSCSI CHAP, storage providers\' and custom types) except those of generated material: TLS, SSH auth, registry configurations, service-account and bootstrap tokens. Charts and examples ship such values to be replaced; when nobody does, the first guess of any attacker who reaches the service (or of a credential-stuffing scanner) logs in. The Secret may be encrypted at rest and tightly controlled, and the password still provides no protection.',
  remediation:
    'Generate a random value (e.g. `openssl rand -base64 32`), store it through the secret manager, and rotate it in the application that uses it. Have charts generate passwords (or require them) instead of defaulting them.',
  *check({ object }) {
    const type = asString(object['type']) ?? '';
    if (GENERATED.has(type)) return;
    const name = asString(asObject(object['metadata'])?.['name']) ?? '';
    const entries: { key: string; value: string; path: Path }[] = [];
    for (const field of ['data', 'stringData'] as const) {
      const map = asObject(object[field]);
      if (map === undefined) continue;
      for (const [key, raw] of Object.entries(map)) {
        if (typeof raw !== 'string') continue;
        const value = field === 'data' ? decode(raw) : raw;
        if (value !== undefined) entries.push({ key, value, path: [field, key] });
      }
    }
    if (entries.length === 0) return;
    const users = new Set(entries.filter((e) => isUserName(e.key)).map((e) => e.value.trim()));
    const seen = new Set<string>();
    for (const { key, value, path } of entries) {
      const secretKey = credentialKeyName(key) !== undefined;
      if (!secretKey || seen.has(key)) continue;
      let why: string | undefined;
      if (isWeakValue(value)) why = 'a well-known default or placeholder value';
      else if (isOwnName(key, value)) why = 'its own name as a placeholder value';
      else if (value.trim() !== '' && users.has(value.trim())) why = 'the same value as the user name';
      if (why === undefined) continue;
      seen.add(key);
      yield { path, message: `Secret "${name}": key ${JSON.stringify(key)} holds ${why}; anyone can guess it` };
    }
  },
});
