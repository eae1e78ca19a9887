/**
 * Container image references, parsed the way the kubelet and the container runtimes read them:
 * the grammar of github.com/distribution/reference (`reference := name [":" tag] ["@" digest]`)
 * with Docker's normalization (`ParseNormalizedNamed`): no registry means `docker.io`, a
 * single-component Docker Hub name gets `library/`, and the first path component is a registry
 * only when it is `localhost`, contains `.` or `:`, or has an upper-case letter.
 */
import { boundedGlobMatch } from '../engine/glob.js';
import { detach } from './object.js';

/** A parsed, normalized image reference. */
export interface ImageReference {
  /** Registry host as written (with its port), or `docker.io` when the reference names none. */
  readonly registry: string;
  /** Whether the reference names its registry (false when `docker.io` was defaulted). */
  readonly registryExplicit: boolean;
  /** Repository path inside the registry, normalized: `nginx` becomes `library/nginx`. */
  readonly repository: string;
  /** The tag as written; absent when the reference has none (the runtime then pulls `latest`, unless a digest is given). */
  readonly tag?: string;
  /** The digest, `<algorithm>:<hex>`; the runtime pulls by it and ignores the tag. */
  readonly digest?: string;
}

/** The outcome of parsing an image reference: the reference, or why it is not one. */
export type ImageParse = { readonly ok: true; readonly ref: ImageReference } | { readonly ok: false; readonly error: string };

const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';
const NAME_TOTAL_LENGTH_MAX = 255;

// distribution/reference regexp.go, transcribed.
const ALPHANUMERIC = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALPHANUMERIC}(?:${SEPARATOR}${ALPHANUMERIC})*`;
const DOMAIN_NAME_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_NAME_COMPONENT}(?:\\.${DOMAIN_NAME_COMPONENT})*`;
const IPV6_ADDRESS = '\\[(?:[a-fA-F0-9:]+)\\]';
const HOST = `(?:${DOMAIN_NAME}|${IPV6_ADDRESS})`;
const DOMAIN_AND_PORT = `${HOST}(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const NAME = `(?:${DOMAIN_AND_PORT}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const REFERENCE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const ANCHORED_IDENTIFIER = /^[a-f0-9]{64}$/;

/** Digest algorithms the runtimes accept (go-digest's registered ones) and their hex lengths. */
const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

/** `splitDockerDomain` of distribution/reference normalize.go. */
function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const slash = name.indexOf('/');
  if (slash === -1) return { domain: DEFAULT_DOMAIN, remainder: OFFICIAL_PREFIX + name };
  const maybeDomain = name.slice(0, slash);
  const maybeRemainder = name.slice(slash + 1);
  let domain: string;
  let remainder: string;
  if (maybeDomain === 'localhost') [domain, remainder] = [maybeDomain, maybeRemainder];
  else if (maybeDomain === LEGACY_DEFAULT_DOMAIN) [domain, remainder] = [DEFAULT_DOMAIN, maybeRemainder];
  else if (maybeDomain.includes('.') || maybeDomain.includes(':')) [domain, remainder] = [maybeDomain, maybeRemainder];
  // Docker Hub namespaces are lower case: an upper-case first component can only be a host.
  else if (maybeDomain.toLowerCase() !== maybeDomain) [domain, remainder] = [maybeDomain, maybeRemainder];
  else [domain, remainder] = [DEFAULT_DOMAIN, name];
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_PREFIX + remainder;
  return { domain, remainder };
}

function parseDigest(digest: string): string | undefined {
  const colon = digest.indexOf(':');
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  // Own keys only: `constructor` or `toString` is an unsupported algorithm, not a length.
  const length = Object.hasOwn(DIGEST_HEX_LENGTH, algorithm) ? DIGEST_HEX_LENGTH[algorithm] : undefined;
  if (length === undefined) return `unsupported digest algorithm "${algorithm}"`;
  if (!/^[a-f0-9]+$/.test(hex)) return 'digest must be lower-case hexadecimal';
  if (hex.length !== length) return `${algorithm} digest must have ${length} hexadecimal digits, not ${hex.length}`;
  return undefined;
}

/** `ParseNormalizedNamed` followed by the digest validation of `reference.Parse`. */
function parse(image: string): ImageParse {
  if (image === '') return { ok: false, error: 'the image reference is empty' };
  if (ANCHORED_IDENTIFIER.test(image)) return { ok: false, error: 'a bare 64-digit hexadecimal string is an image ID, not a reference' };
  const { domain, remainder } = splitDockerDomain(image);
  const colon = remainder.indexOf(':');
  const remote = colon === -1 ? remainder : remainder.slice(0, colon);
  if (remote.toLowerCase() !== remote) return { ok: false, error: `the repository name "${remote}" must be lower case` };
  const full = `${domain}/${remainder}`;
  const match = REFERENCE.exec(full);
  if (match === null) return { ok: false, error: 'it does not match [registry[:port]/]repository[:tag][@digest]' };
  const name = match[1] ?? '';
  if (name.length > NAME_TOTAL_LENGTH_MAX) return { ok: false, error: `the repository name is longer than ${NAME_TOTAL_LENGTH_MAX} characters` };
  const tag = match[2];
  const digest = match[3];
  if (digest !== undefined) {
    const error = parseDigest(digest);
    if (error !== undefined) return { ok: false, error };
  }
  // The registry is the first component as split above, which is the host the runtime contacts
  // (reference.Parse may instead read a first component such as `a_b.com` as a path; containerd
  // still dials it).
  const ref: { -readonly [K in keyof ImageReference]: ImageReference[K] } = {
    registry: domain,
    registryExplicit: image.startsWith(`${domain}/`) || (domain === DEFAULT_DOMAIN && image.startsWith(`${LEGACY_DEFAULT_DOMAIN}/`)),
    repository: name.slice(domain.length + 1),
  };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return { ok: true, ref };
}

// Rules of every container share one parse of each distinct image string; images repeat a lot
// (one image in many objects), so the cache makes the common path a map lookup.
const CACHE = new Map<string, ImageParse>();
const CACHE_MAX = 4096;

/**
 * Parses an image reference as the kubelet does (`docker.io/library/` defaulting, tag and digest
 * both allowed). Results are cached and shared: treat them as read-only.
 */
export function parseImageReference(image: string): ImageParse {
  const hit = CACHE.get(image);
  if (hit !== undefined) return hit;
  // Parse a private copy so that neither the cache key nor the parts keep the input text alive.
  const own = detach(image);
  const result = parse(own);
  if (CACHE.size >= CACHE_MAX) CACHE.clear();
  CACHE.set(own, result);
  return result;
}

/** `registry/repository`, the fully qualified name (e.g. `docker.io/library/nginx`). */
export function imageName(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The tag the runtime resolves: the one written, `latest` when neither tag nor digest is given, none for a digest alone. */
export function effectiveTag(ref: ImageReference): string | undefined {
  return ref.tag ?? (ref.digest === undefined ? 'latest' : undefined);
}

/**
 * The `imagePullPolicy` Kubernetes fills in when the field is empty (`SetDefaults_Container`):
 * `Always` when the effective tag is `latest`, otherwise `IfNotPresent`; an image that does not
 * parse also gets `IfNotPresent`.
 */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  const parsed = parseImageReference(image);
  return parsed.ok && effectiveTag(parsed.ref) === 'latest' ? 'Always' : 'IfNotPresent';
}

/** The host of a registry without its port, lower case (`[::1]` keeps its brackets). */
export function registryHost(registry: string): string {
  const end = registry.startsWith('[') ? registry.indexOf(']') + 1 : registry.indexOf(':');
  return (end <= 0 ? registry : registry.slice(0, end)).toLowerCase();
}

/** The port a registry reference names, or undefined. */
export function registryPort(registry: string): string | undefined {
  const from = registry.startsWith('[') ? registry.indexOf(']') + 1 : 0;
  const colon = registry.indexOf(':', from);
  return colon === -1 ? undefined : registry.slice(colon + 1);
}

/** A compiled list of registry patterns. */
export interface RegistryMatcher {
  /** The pattern that matches the reference, or undefined. */
  match(ref: ImageReference): string | undefined;
}

interface CompiledPattern {
  source: string;
  /** The host, or a test for a host written with `*`. */
  host: ((registry: string) => boolean) | string;
  path: string;
}

/** Characters a `*` of a registry host stands for: any but the separators of labels, port and path. */
const inLabel = (code: number): boolean => code !== 0x2e && code !== 0x2f && code !== 0x3a;

/**
 * Compiles a registry pattern `host[:port][/path-prefix]`. The host is compared case-insensitively
 * and whole: `registry.example.com` does not match `registry.example.com.evil.io` nor
 * `registry.example.com:5000`; `*` stands for part of one DNS label (`*.example.com` matches
 * `a.example.com`, not `a.b.example.com`). The path prefix matches whole components:
 * `registry.example.com/team` matches `registry.example.com/team/app`, not `.../team-x/app`.
 * A leading `http://` or `https://` and trailing slashes are ignored; a first component that is
 * not a host (no `.` or `:`, not `localhost`) is a Docker Hub namespace, as in image references.
 */
function compilePattern(raw: string): CompiledPattern | undefined {
  const text = raw.trim().replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
  if (text === '') return undefined;
  const slash = text.indexOf('/');
  let host = (slash === -1 ? text : text.slice(0, slash)).toLowerCase();
  let path = slash === -1 ? '' : text.slice(slash + 1);
  if (host !== 'localhost' && !host.includes('.') && !host.includes(':') && !host.includes('[')) {
    path = slash === -1 ? host : `${host}/${path}`;
    host = DEFAULT_DOMAIN;
  }
  if (host === LEGACY_DEFAULT_DOMAIN) host = DEFAULT_DOMAIN;
  // Only `*` is a wildcard in a host (a `?` is compared as written, and matches nothing real).
  const compiled = host.includes('*') ? (registry: string) => boundedGlobMatch(host, registry, inLabel, false) : host;
  return { source: raw, host: compiled, path };
}

const MATCHERS = new WeakMap<readonly string[], RegistryMatcher>();

/** A matcher for a list of registry patterns (see `compilePattern`); cached per list. */
export function registryMatcher(patterns: readonly string[]): RegistryMatcher {
  const cached = MATCHERS.get(patterns);
  if (cached !== undefined) return cached;
  const compiled = patterns.map(compilePattern).filter((p): p is CompiledPattern => p !== undefined);
  const matcher: RegistryMatcher = {
    match(ref) {
      const registry = ref.registry.toLowerCase();
      for (const p of compiled) {
        const hostOk = typeof p.host === 'string' ? registry === p.host : p.host(registry);
        if (!hostOk) continue;
        if (p.path === '' || ref.repository === p.path || ref.repository.startsWith(`${p.path}/`)) return p.source;
      }
      return undefined;
    },
  };
  MATCHERS.set(patterns, matcher);
  return matcher;
}

/** The option value as a list of strings (an empty list when it is not one). */
export function stringList(value: unknown): readonly string[] {
  if (!Array.isArray(value)) return EMPTY;
  for (const item of value as readonly unknown[]) if (typeof item !== 'string') return EMPTY;
  return value as readonly string[];
}
const EMPTY: readonly string[] = [];
