/**
 * `EncryptionConfiguration` (apiserver.config.k8s.io/v1) as the API server reads it
 * (specs/control-plane.md §5): entries of resources and providers, which entry applies to a
 * resource (the first that covers it), provider kinds and keys. Keys are never returned as text
 * beyond this module's callers' checks; messages use `fingerprint`.
 */
import { createHash } from 'node:crypto';
import { VALUE_WITHHELD } from '../secrets.js';
import type { JsonObject, Path } from '../../types.js';
import { asArray, asObject, asString, isObject } from '../object.js';

export type ProviderKind = 'identity' | 'aescbc' | 'aesgcm' | 'secretbox' | 'kms';
const KINDS: readonly ProviderKind[] = ['aescbc', 'aesgcm', 'secretbox', 'identity', 'kms'];

/** One element of `providers[]`. */
export interface Provider {
  /** The provider it configures; undefined when the element sets none or several. */
  kind: ProviderKind | undefined;
  /** Every provider key the element sets (more than one is invalid). */
  kinds: ProviderKind[];
  config: JsonObject;
  path: Path;
}

/** One `resources[]` entry. */
export interface Entry {
  index: number;
  path: Path;
  resources: { name: string; path: Path }[];
  providers: Provider[];
}

/** A key of an aescbc, aesgcm or secretbox provider. */
export interface ProviderKey {
  name: string | undefined;
  secret: string | undefined;
  path: Path;
  provider: Provider;
  entry: Entry;
}

/** True for an EncryptionConfiguration (or the pre-1.13 `EncryptionConfig`) file. */
export function isEncryptionConfiguration(object: JsonObject): boolean {
  const kind = object['kind'];
  const apiVersion = asString(object['apiVersion']) ?? '';
  return (kind === 'EncryptionConfiguration' && apiVersion.startsWith('apiserver.config.k8s.io/')) || (kind === 'EncryptionConfig' && apiVersion === 'v1');
}

/** The entries of the file, in order. */
export function entriesOf(object: JsonObject): Entry[] {
  const out: Entry[] = [];
  const list = asArray(object['resources']);
  for (let index = 0; index < list.length; index++) {
    const entry = asObject(list[index]);
    if (entry === undefined) continue;
    const path: Path = ['resources', index];
    const resources: Entry['resources'] = [];
    asArray(entry['resources']).forEach((r, i) => {
      if (typeof r === 'string') resources.push({ name: r, path: [...path, 'resources', i] });
    });
    const providers: Provider[] = [];
    asArray(entry['providers']).forEach((p, i) => {
      const config = asObject(p);
      if (config === undefined) return;
      const kinds = KINDS.filter((k) => config[k] !== undefined && config[k] !== null);
      providers.push({ kind: kinds.length === 1 ? kinds[0] : undefined, kinds, config, path: [...path, 'providers', i] });
    });
    out.push({ index, path, resources, providers });
  }
  return out;
}

/** `schema.ParseGroupResource`: `secrets` → core group, `deployments.apps`, `*.` and `*.*` wildcards. */
export function parseGroupResource(name: string): { group: string; resource: string } {
  const dot = name.indexOf('.');
  return dot < 0 ? { group: '', resource: name } : { group: name.slice(dot + 1), resource: name.slice(0, dot) };
}

/** True when the entry resource name `pattern` covers `target` (`secrets`, `deployments.apps`, ...). */
export function covers(pattern: string, target: string): boolean {
  const p = parseGroupResource(pattern);
  const t = parseGroupResource(target);
  if (p.group === '*' && p.resource === '*') return true;
  return p.group === t.group && (p.resource === '*' || p.resource === t.resource);
}

/** A problem of the file at a path, worded for a finding. */
export interface Problem {
  path: Path;
  message: string;
}

/** Resource names that have no REST API, which validation_encryption.go refuses to encrypt. */
const NON_REST_RESOURCES: ReadonlySet<string> = new Set(['apiserveripinfo', 'serviceipallocations', 'servicenodeportallocations']);

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

/** Why the API server refuses a resource name, or undefined when it accepts it. */
function invalidName(name: string): string | undefined {
  const gr = parseGroupResource(name);
  if (name === '*') return '"*" is not a valid resource: use "*." for all core resources or "*.*" for everything; the API server rejects the file';
  if (gr.group === '*' && gr.resource !== '*') return `"${name}" would encrypt a resource across groups, which is not supported: the API server rejects the file`;
  if (name !== name.toLowerCase()) return `"${name}" has capital letters: the API server rejects the file`;
  if (NON_REST_RESOURCES.has(name)) return `"${name}" has no REST API and cannot be encrypted: the API server rejects the file`;
  if (gr.group === 'extensions' || gr.group === 'events.k8s.io') return `"${name}" names a group the API server does not accept here (use "events" for events): it rejects the file`;
  return undefined;
}

/**
 * What the API server makes of the resources and providers of the entries, in file order:
 * `refusals`, for which it refuses the whole file (apiserver's `ValidateEncryptionConfiguration`:
 * no entries, an entry without resources or providers, a provider element with none or several
 * providers, a resource name it cannot encrypt, a resource listed twice or overlapping another in
 * one entry; and `getTransformerOverridesAndKMSPluginProbes`: a resource masked by a wildcard of an
 * earlier entry, `resource "secrets" is masked by earlier rule "*.*"`), and `ignored`, resources
 * listed again in a later entry without a wildcard, which it accepts and ignores there (the first
 * entry wins). Keys and kms settings are left to the rules about them.
 */
export function reviewEntries(entries: readonly Entry[]): { refusals: Problem[]; ignored: Problem[] } {
  const refusals: Problem[] = [];
  const ignored: Problem[] = [];
  if (entries.length === 0) refusals.push({ path: ['resources'], message: 'the file has no resources entries: the API server rejects the file' });
  // The classes of the resources of the entries before (the first entry holding each, and that
  // entry's resources by class) and of the resources before in this entry: what the comparisons
  // of every resource with every earlier one would find, looked up instead (those comparisons
  // are quadratic in a file of thousands of resources).
  const firstEntry = new Map<string, number>();
  const byEntry: Map<string, number>[] = [];
  for (const [ordinal, entry] of entries.entries()) {
    const earlier = new Map<string, number>();
    byEntry.push(earlier);
    if (entry.resources.length === 0) refusals.push({ path: [...entry.path, 'resources'], message: `resources[${entry.index}] lists no resources: the API server rejects the file` });
    if (entry.providers.length === 0) refusals.push({ path: [...entry.path, 'providers'], message: `resources[${entry.index}] has no providers: the API server rejects the file` });
    for (const provider of entry.providers) {
      if (provider.kinds.length === 1) continue;
      refusals.push({
        path: provider.path,
        message:
          provider.kinds.length === 0
            ? `resources[${entry.index}]: a provider element sets none of kms, aescbc, aesgcm, secretbox, identity: the API server rejects the file`
            : `resources[${entry.index}]: one provider element sets ${provider.kinds.join(' and ')}; each must be its own list element: the API server rejects the file`,
      });
    }
    const names = new Set<string>();
    for (const [i, r] of entry.resources.entries()) {
      const gr = parseGroupResource(r.name);
      const invalid = invalidName(r.name);
      if (invalid !== undefined) refusals.push({ path: r.path, message: invalid });
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
        refusals.push({ path: r.path, message: `"${r.name}" is listed twice in resources[${entry.index}]: the API server rejects the file` });
        continue;
      }
      if (overlap !== -1) {
        refusals.push({ path: r.path, message: `"${r.name}" overlaps "${entry.resources[overlap]?.name ?? ''}" in resources[${entry.index}]: the API server rejects the file` });
        continue;
      }
      const earlierEntry = cover === undefined ? undefined : entries[cover.entry];
      if (cover === undefined || earlierEntry === undefined) continue;
      const by = `"${earlierEntry.resources[cover.resource]?.name ?? ''}" in resources[${earlierEntry.index}]`;
      if (cover.masked) {
        refusals.push({ path: r.path, message: `"${r.name}" in resources[${entry.index}] is masked by ${by}: the API server refuses the file (a wildcard entry must come after every entry it covers)` });
      } else {
        ignored.push({ path: r.path, message: `"${r.name}" in resources[${entry.index}] is already listed in ${by}, which applies first: this entry is ignored for it` });
      }
    }
    for (const key of earlier.keys()) if (!firstEntry.has(key)) firstEntry.set(key, ordinal);
  }
  return { refusals, ignored };
}

/** The reasons the API server refuses the file for its resources and providers (see `reviewEntries`). */
export function refusals(entries: readonly Entry[]): Problem[] {
  return reviewEntries(entries).refusals;
}

/**
 * The entries of an EncryptionConfiguration the API server loads as far as its resources and
 * providers go; undefined for another object or a file it refuses for them (`refusals`):
 * encryption-config-invalid reports that, and the other rules do not judge a file that never
 * takes effect.
 */
export function loadableEntries(object: JsonObject): Entry[] | undefined {
  if (!isEncryptionConfiguration(object)) return undefined;
  const entries = entriesOf(object);
  return refusals(entries).length > 0 ? undefined : entries;
}

/** The entry that applies to a resource: the first whose resources cover it. */
export function entryFor(entries: readonly Entry[], target: string): { entry: Entry; resource: { name: string; path: Path } } | undefined {
  for (const entry of entries) {
    const resource = entry.resources.find((r) => covers(r.name, target));
    if (resource !== undefined) return { entry, resource };
  }
  return undefined;
}

/** The keys of a local-key provider (aescbc, aesgcm, secretbox). */
export function keysOf(entry: Entry, provider: Provider): ProviderKey[] {
  if (provider.kind !== 'aescbc' && provider.kind !== 'aesgcm' && provider.kind !== 'secretbox') return [];
  const out: ProviderKey[] = [];
  const keys = asArray(asObject(provider.config[provider.kind])?.['keys']);
  keys.forEach((k, i) => {
    if (!isObject(k)) return;
    out.push({ name: asString(k['name']), secret: asString(k['secret']), path: [...provider.path, provider.kind as string, 'keys', i], provider, entry });
  });
  return out;
}

/** Go's `base64.StdEncoding.DecodeString` (padding required, CR/LF ignored); undefined when invalid. */
export function decodeBase64(text: string): Buffer | undefined {
  const clean = text.replace(/[\r\n]/g, '');
  if (clean.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) return undefined;
  return Buffer.from(clean, 'base64');
}

/** Hashed ahead of a key, so its name cannot be looked up in public tables of SHA-256 digests. */
const KEY_FINGERPRINT_DOMAIN = 'mamori encryption key fingerprint v1\u0000';

/** Decodes UTF-8 and throws on malformed bytes. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * True when bytes are text: valid UTF-8 without control characters other than tab and line
 * breaks. A key of random bytes is almost never such text (16 random bytes are printable ASCII
 * with a chance below 1 in 10^6); a key that is, was typed.
 */
function isText(bytes: Buffer): boolean {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    return false;
  }
  // eslint-disable-next-line no-control-regex
  return !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/.test(text);
}

/**
 * A short, non-reversible name for a key in messages: the first 12 hex digits of a SHA-256 over a
 * mamori-specific prefix and the key's decoded bytes. Only a key of random bytes is named; for a
 * key whose bytes are text (typed, so found from its digest by a dictionary search) or that is not
 * base64, `VALUE_WITHHELD` instead.
 */
export function fingerprint(secret: string): string {
  const bytes = decodeBase64(secret);
  if (bytes === undefined || bytes.length === 0 || isText(bytes)) return VALUE_WITHHELD;
  return `sha256:${createHash('sha256').update(KEY_FINGERPRINT_DOMAIN).update(bytes).digest('hex').slice(0, 12)}`;
}

/** Key sizes the API server accepts (validation_encryption.go) and those the documentation specifies. */
export const KEY_SIZES: Readonly<Record<'aescbc' | 'aesgcm' | 'secretbox', { accepted: readonly number[]; documented: readonly number[] }>> = {
  aescbc: { accepted: [16, 24, 32], documented: [32] },
  aesgcm: { accepted: [16, 24, 32], documented: [16, 24, 32] },
  secretbox: { accepted: [32], documented: [32] },
};

/** Example keys printed in the Kubernetes documentation and tutorials (specs/control-plane.md §5.3 E8). */
export const EXAMPLE_KEYS: ReadonlySet<string> = new Set([
  'c2VjcmV0IGlzIHNlY3VyZQ==',
  'dGhpcyBpcyBwYXNzd29yZA==',
  'YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY=',
  'c2VjcmV0IGlzIHNlY3VyZSwgb3IgaXMgaXQ/Cg==',
  'c2VjcmV0IGlzIHNlY3VyZSwgSSB0aGluaw==',
]);

/**
 * kube-bench's CIS 1.2.28 reading of the file: the first provider after the last `providers:` key,
 * i.e. the first provider of the last entry, must be aescbc, kms or secretbox.
 */
export function cis1228Literal(entries: readonly Entry[]): 'PASS' | 'WARN' {
  const last = entries[entries.length - 1];
  const kind = last?.providers[0]?.kind;
  return kind === 'aescbc' || kind === 'kms' || kind === 'secretbox' ? 'PASS' : 'WARN';
}

/** How a message names an entry: by its resources. */
export function entryLabel(entry: Entry): string {
  return `resources[${entry.index}] (${entry.resources.map((r) => r.name).join(', ') || 'no resources'})`;
}
