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

/**
 * True when the API server refuses the file because a resource is masked by a wildcard of an
 * earlier entry (`secrets` after `*.*` or `*.`, `*.apps` after `*.apps`): apiserver's
 * `getTransformerOverridesAndKMSPluginProbes` fails with `resource "secrets" is masked by earlier
 * rule "*.*"`. An exact duplicate without a wildcard is accepted (the first entry wins).
 */
export function hasMaskedResource(entries: readonly Entry[]): boolean {
  let everything = false;
  const groups = new Set<string>();
  for (const entry of entries) {
    const { wildcards, all } = wildcardsOf(entry);
    for (const r of entry.resources) {
      const gr = parseGroupResource(r.name);
      if (everything || groups.has(gr.group)) return true;
    }
    everything ||= all;
    for (const group of wildcards) groups.add(group);
  }
  return false;
}

/** The groups an entry covers with `*.<group>`, and whether it holds `*.*`. */
function wildcardsOf(entry: Entry): { wildcards: string[]; all: boolean } {
  const wildcards: string[] = [];
  let all = false;
  for (const r of entry.resources) {
    const gr = parseGroupResource(r.name);
    if (gr.resource !== '*') continue;
    if (gr.group === '*') all = true;
    else wildcards.push(gr.group);
  }
  return { wildcards, all };
}

/**
 * The entries of an EncryptionConfiguration the API server can load as far as resource masking
 * goes; undefined for another object or a file with a masked resource (encryption-config-invalid
 * reports that, and the other rules do not judge a file that never takes effect).
 */
export function loadableEntries(object: JsonObject): Entry[] | undefined {
  if (!isEncryptionConfiguration(object)) return undefined;
  const entries = entriesOf(object);
  return hasMaskedResource(entries) ? undefined : entries;
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
