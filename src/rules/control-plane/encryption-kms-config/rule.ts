import { defineRule } from '../../../engine/rule.js';
import { entryLabel, loadableEntries } from '../../../k8s/control-plane/encryption.js';
import { asObject, asString } from '../../../k8s/object.js';

export const rule = defineRule({
  id: 'encryption-kms-config',
  title: 'KMS provider is misconfigured',
  severity: 'low',
  target: 'object',
  kinds: ['EncryptionConfiguration', 'EncryptionConfig'],
  controls: ['STO-6', 'STO-2'],
  frameworks: { nsa: ['Encryption'] },
  description:
    'The API server talks to KMS plugins over a local unix socket only, needs a name for every kms provider (unique, and without ":" for KMS v2), and rejects `cachesize` with KMS v2. A provider that breaks these rules makes the API server refuse the file, which at start-up keeps it from running and on reload keeps the previous encryption configuration in force. Silent on a file the API server refuses for a reason encryption-config-invalid reports (its entries, resource names or provider elements), since such a file never takes effect.',
  remediation:
    'Give each kms provider a unique `name`, an `endpoint` of the form `unix:///var/run/kms-provider.sock`, `apiVersion: v2`, and no `cachesize` with v2.',
  *check({ object }) {
    const entries = loadableEntries(object);
    if (entries === undefined) return;
    const names = new Set<string>();
    for (const entry of entries) {
      for (const provider of entry.providers) {
        if (provider.kind !== 'kms') continue;
        const kms = asObject(provider.config['kms']) ?? {};
        const path = [...provider.path, 'kms'];
        const version = asString(kms['apiVersion']) ?? 'v1';
        const name = asString(kms['name']) ?? '';
        const label = `${entryLabel(entry)}: kms provider "${name}"`;
        if (name === '') yield { path, message: `${entryLabel(entry)}: a kms provider has no name: the API server rejects the file` };
        else if (version === 'v2' && name.includes(':')) yield { path: [...path, 'name'], message: `${label}: KMS v2 names must not contain ":": the API server rejects the file` };
        else if (version === 'v2' && names.has(name)) yield { path: [...path, 'name'], message: `${label}: the name is used by another kms provider: the API server rejects the file` };
        names.add(name);
        if (version !== 'v1' && version !== 'v2') yield { path: [...path, 'apiVersion'], message: `${label}: apiVersion "${version}" is neither v1 nor v2: the API server rejects the file` };
        const endpoint = asString(kms['endpoint']);
        if (endpoint === undefined || endpoint === '') yield { path, message: `${label} has no endpoint: the API server rejects the file` };
        else if (!endpoint.startsWith('unix://')) yield { path: [...path, 'endpoint'], message: `${label}: endpoint "${endpoint}" is not a unix socket; only unix:// endpoints are supported and the API server rejects the file` };
        if (version === 'v2' && kms['cachesize'] !== undefined) yield { path: [...path, 'cachesize'], message: `${label}: cachesize is only allowed with KMS v1: the API server rejects the file` };
      }
    }
  },
});
