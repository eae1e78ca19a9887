import { defineRule } from '../../../engine/rule.js';
import { covers, entriesOf, isEncryptionConfiguration, parseGroupResource } from '../../../k8s/control-plane/encryption.js';

export const rule = defineRule({
  id: 'encryption-config-invalid',
  title: 'Encryption configuration is rejected or partly ignored',
  severity: 'medium',
  target: 'object',
  kinds: ['EncryptionConfiguration', 'EncryptionConfig'],
  controls: ['STO-2'],
  frameworks: { nsa: ['Encryption'] },
  description:
    'The API server refuses an EncryptionConfiguration with overlapping or duplicate resources in one entry, resource names it cannot encrypt, or provider elements that set no or several providers; at start-up that keeps it from running, and on reload the old configuration silently stays. Across entries the first one that covers a resource wins, so a later, more specific entry (for example `secrets` after `*.*`) is ignored for that resource and does not do what it says.',
  remediation:
    'Keep each resource in exactly one entry, put specific entries before wildcard ones (`secrets` before `*.`/`*.*`), write core resources as `secrets` or `*.` (not `*`), and give every provider element exactly one of `kms`, `aescbc`, `aesgcm`, `secretbox`, `identity`.',
  *check({ object }) {
    if (!isEncryptionConfiguration(object)) return;
    const entries = entriesOf(object);
    for (const entry of entries) {
      if (entry.resources.length === 0) yield { path: [...entry.path, 'resources'], message: `resources[${entry.index}] lists no resources: the API server rejects the file` };
      if (entry.providers.length === 0) yield { path: [...entry.path, 'providers'], message: `resources[${entry.index}] has no providers: the API server rejects the file` };
      for (const provider of entry.providers) {
        if (provider.kinds.length === 1) continue;
        yield {
          path: provider.path,
          message:
            provider.kinds.length === 0
              ? `resources[${entry.index}]: a provider element sets none of kms, aescbc, aesgcm, secretbox, identity: the API server rejects the file`
              : `resources[${entry.index}]: one provider element sets ${provider.kinds.join(' and ')}; each must be its own list element: the API server rejects the file`,
        };
      }
      for (const [i, r] of entry.resources.entries()) {
        const gr = parseGroupResource(r.name);
        if (r.name === '*') yield { path: r.path, message: `"*" is not a valid resource: use "*." for all core resources or "*.*" for everything; the API server rejects the file` };
        else if (gr.group === '*' && gr.resource !== '*') yield { path: r.path, message: `"${r.name}" would encrypt a resource across groups, which is not supported: the API server rejects the file` };
        else if (r.name !== r.name.toLowerCase()) yield { path: r.path, message: `"${r.name}" has capital letters: the API server rejects the file` };
        else if (gr.group === 'extensions' || gr.group === 'events.k8s.io') yield { path: r.path, message: `"${r.name}" names a group the API server does not accept here (use "events" for events): it rejects the file` };
        const dup = entry.resources.findIndex((o, j) => j < i && o.name === r.name);
        if (dup >= 0) {
          yield { path: r.path, message: `"${r.name}" is listed twice in resources[${entry.index}]: the API server rejects the file` };
          continue;
        }
        const overlap = entry.resources.find((o, j) => j < i && o.name !== r.name && (covers(o.name, r.name) || covers(r.name, o.name)));
        if (overlap !== undefined) {
          yield { path: r.path, message: `"${r.name}" overlaps "${overlap.name}" in resources[${entry.index}]: the API server rejects the file` };
          continue;
        }
        for (const earlier of entries) {
          if (earlier.index >= entry.index) break;
          const cover = earlier.resources.find((o) => covers(o.name, r.name));
          if (cover === undefined) continue;
          yield {
            path: r.path,
            message: `"${r.name}" in resources[${entry.index}] is already covered by "${cover.name}" in resources[${earlier.index}], which applies first: this entry is ignored for it`,
          };
          break;
        }
      }
    }
  },
});
