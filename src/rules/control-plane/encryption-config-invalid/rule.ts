import { defineRule } from '../../../engine/rule.js';
import { entriesOf, isEncryptionConfiguration, parseGroupResource } from '../../../k8s/control-plane/encryption.js';

/**
 * The classes of resource names `covers` tells apart, as keys: every name (`any`), `*.*` (`all`),
 * the names of a group, its `*.<group>` wildcards, and one group and resource.
 */
function classesOf(group: string, resource: string): string[] {
  const out = ['any', `g\u0000${group}`, `e\u0000${group}\u0000${resource}`];
  if (resource === '*') out.push(`s\u0000${group}`);
  if (group === '*' && resource === '*') out.push('all');
  return out;
}

/** The smallest of some indexes, -1 standing for none. */
function least(indexes: readonly number[]): number {
  let out = -1;
  for (const i of indexes) if (i !== -1 && (out === -1 || i < out)) out = i;
  return out;
}

export const rule = defineRule({
  id: 'encryption-config-invalid',
  title: 'Encryption configuration is rejected or partly ignored',
  severity: 'medium',
  target: 'object',
  kinds: ['EncryptionConfiguration', 'EncryptionConfig'],
  controls: ['STO-2'],
  frameworks: { nsa: ['Encryption'] },
  description:
    'The API server refuses an EncryptionConfiguration with overlapping or duplicate resources in one entry, resource names it cannot encrypt, or provider elements that set no or several providers; at start-up that keeps it from running, and on reload the old configuration silently stays. Across entries, a resource after a wildcard entry that covers it (for example `secrets` after `*.*` or `*.`) is masked, and the API server refuses the whole file; the other encryption rules then do not judge the file, since it never takes effect. A resource listed again in a later entry without a wildcard is accepted but ignored there: the first entry wins.',
  remediation:
    'Keep each resource in exactly one entry, put specific entries before wildcard ones (`secrets` before `*.`/`*.*`), write core resources as `secrets` or `*.` (not `*`), and give every provider element exactly one of `kms`, `aescbc`, `aesgcm`, `secretbox`, `identity`.',
  *check({ object }) {
    if (!isEncryptionConfiguration(object)) return;
    const entries = entriesOf(object);
    // The classes of the resources of the entries before (the first entry holding each, and that
    // entry's resources by class) and of the resources before in this entry: what the comparisons
    // of every resource with every earlier one would find, looked up instead (those comparisons
    // are quadratic in a file of thousands of resources).
    const firstEntry = new Map<string, number>();
    const byEntry: Map<string, number>[] = [];
    for (const [ordinal, entry] of entries.entries()) {
      const earlier = new Map<string, number>();
      byEntry.push(earlier);
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
      const names = new Set<string>();
      for (const [i, r] of entry.resources.entries()) {
        const gr = parseGroupResource(r.name);
        if (r.name === '*') yield { path: r.path, message: `"*" is not a valid resource: use "*." for all core resources or "*.*" for everything; the API server rejects the file` };
        else if (gr.group === '*' && gr.resource !== '*') yield { path: r.path, message: `"${r.name}" would encrypt a resource across groups, which is not supported: the API server rejects the file` };
        else if (r.name !== r.name.toLowerCase()) yield { path: r.path, message: `"${r.name}" has capital letters: the API server rejects the file` };
        else if (gr.group === 'extensions' || gr.group === 'events.k8s.io') yield { path: r.path, message: `"${r.name}" names a group the API server does not accept here (use "events" for events): it rejects the file` };
        const dup = names.has(r.name);
        // Earlier resources that cover this one (`*.*`, its group's wildcard, the same group and
        // resource) and that it covers (all for `*.*`, its group's for a wildcard); none of them
        // has its name unless it is listed twice.
        const covering = ['all', `s\u0000${gr.group}`, `e\u0000${gr.group}\u0000${gr.resource}`];
        const covered = [...(gr.group === '*' && gr.resource === '*' ? ['any'] : []), ...(gr.resource === '*' ? [`g\u0000${gr.group}`] : [])];
        const overlap = dup ? -1 : least([...covering, ...covered].map((key) => earlier.get(key) ?? -1));
        // A wildcard of an earlier entry (`*.*`, `*.<group>`) masks this resource and the API
        // server refuses the file; an earlier entry that lists the same name wins over this one.
        let cover: { entry: number; resource: number; masked: boolean } | undefined;
        if (!dup && overlap === -1) {
          for (const keys of [covering.slice(0, 2), covering.slice(2)]) {
            const first = least(keys.map((key) => firstEntry.get(key) ?? -1));
            const classes = byEntry[first];
            if (classes === undefined) continue;
            cover = { entry: first, resource: least(keys.map((key) => classes.get(key) ?? -1)), masked: keys.length === 2 };
            break;
          }
        }
        names.add(r.name);
        for (const key of classesOf(gr.group, gr.resource)) if (!earlier.has(key)) earlier.set(key, i);
        if (dup) {
          yield { path: r.path, message: `"${r.name}" is listed twice in resources[${entry.index}]: the API server rejects the file` };
          continue;
        }
        if (overlap !== -1) {
          yield { path: r.path, message: `"${r.name}" overlaps "${entry.resources[overlap]?.name ?? ''}" in resources[${entry.index}]: the API server rejects the file` };
          continue;
        }
        const earlierEntry = cover === undefined ? undefined : entries[cover.entry];
        if (cover !== undefined && earlierEntry !== undefined) {
          const by = `"${earlierEntry.resources[cover.resource]?.name ?? ''}" in resources[${earlierEntry.index}]`;
          yield {
            path: r.path,
            message: cover.masked
              ? `"${r.name}" in resources[${entry.index}] is masked by ${by}: the API server refuses the file (a wildcard entry must come after every entry it covers)`
              : `"${r.name}" in resources[${entry.index}] is already listed in ${by}, which applies first: this entry is ignored for it`,
          };
        }
      }
      for (const key of earlier.keys()) if (!firstEntry.has(key)) firstEntry.set(key, ordinal);
    }
  },
});
