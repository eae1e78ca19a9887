/**
 * Modes per namespace, like Pod Security Admission's (specs/pss.md §6.1): the labels
 * `mamori.io/<mode>` (`privileged`, `baseline`, `restricted` or `catalog`) with
 * `mamori.io/<mode>-version`, else PSA's own `pod-security.kubernetes.io/<mode>` labels, else the
 * configured defaults. Invalid labels fall back as PSA's do: an invalid enforce level enforces
 * `restricted` (fail closed), an invalid warn or audit level is `privileged` (fail open), an
 * invalid version is `latest`; each is reported in the `error` audit annotation.
 */
import { MamoriError } from '../errors.js';
import { isObject } from '../k8s/object.js';
import { isPssLevel, isPssVersion } from '../rules/pss/psa.js';
import type { PssLevel } from '../types.js';
import { ADMISSION_MODES, type AdmissionMode, type AdmissionSettings, type Exemptions, type FailurePolicy, type ModePolicy, type NamespaceModes } from './types.js';

/** Prefix of mamori's own namespace labels. */
export const MAMORI_LABEL_PREFIX = 'mamori.io/';
/** Prefix of Pod Security Admission's namespace labels, honoured when mamori's are absent. */
export const PSA_LABEL_PREFIX = 'pod-security.kubernetes.io/';

/** The built-in defaults for namespaces without labels. */
export const DEFAULT_MODES: AdmissionSettings['defaults'] = {
  enforce: { kind: 'pss', policy: { level: 'baseline', version: 'latest' } },
  warn: { kind: 'pss', policy: { level: 'restricted', version: 'latest' } },
  audit: { kind: 'pss', policy: { level: 'restricted', version: 'latest' } },
};

const LEVEL_RANK: Readonly<Record<PssLevel, number>> = { privileged: 0, baseline: 1, restricted: 2 };

/** `baseline:latest`, or `catalog`. */
export function formatModePolicy(mode: ModePolicy): string {
  return mode.kind === 'catalog' ? 'catalog' : `${mode.policy.level}:${mode.policy.version}`;
}

/** A key that is equal for modes that evaluate the same rules the same way. */
export function modeKey(mode: ModePolicy): string {
  return formatModePolicy(mode);
}

/** True for a mode that checks nothing (`privileged`). */
export function checksNothing(mode: ModePolicy): boolean {
  return mode.kind === 'pss' && mode.policy.level === 'privileged';
}

/**
 * Parses a mode as written in flags and configuration: `catalog`, or `LEVEL[:VERSION]`
 * (`baseline`, `restricted:v1.30`); throws a usage error naming `what`.
 */
export function parseModePolicy(text: string, what: string): ModePolicy {
  if (text === 'catalog') return { kind: 'catalog' };
  const colon = text.indexOf(':');
  const level = colon < 0 ? text : text.slice(0, colon);
  const version = colon < 0 ? 'latest' : text.slice(colon + 1);
  if (!isPssLevel(level)) {
    throw new MamoriError('usage', `${what}: ${JSON.stringify(text)} must be catalog, or privileged, baseline or restricted with an optional :VERSION (e.g. baseline:latest, restricted:v1.30)`);
  }
  if (!isPssVersion(version)) throw new MamoriError('usage', `${what}: version ${JSON.stringify(version)} must be "latest" or "v1.x" (for example v1.30)`);
  return { kind: 'pss', policy: { level, version } };
}

/** Reads one mode from one label prefix; undefined when neither the level nor the version label is set. */
function fromLabels(labels: Readonly<Record<string, string>>, prefix: string, mode: AdmissionMode, fallback: ModePolicy, errors: string[]): { policy: ModePolicy; labelled: boolean; valid: boolean; versioned: boolean } | undefined {
  const levelKey = `${prefix}${mode}`;
  const versionKey = `${prefix}${mode}-version`;
  const level = Object.hasOwn(labels, levelKey) ? labels[levelKey] : undefined;
  const version = Object.hasOwn(labels, versionKey) ? labels[versionKey] : undefined;
  if (level === undefined && version === undefined) return undefined;
  let valid = true;
  let resolvedVersion = 'latest';
  if (version !== undefined) {
    if (isPssVersion(version)) resolvedVersion = version;
    else errors.push(`${versionKey}: invalid value ${JSON.stringify(version)}: must be "latest" or "v1.x"`);
  } else if (fallback.kind === 'pss') resolvedVersion = fallback.policy.version;
  if (level === undefined) {
    // Only the version is labelled: the default level at that version.
    const policy: ModePolicy = fallback.kind === 'pss' ? { kind: 'pss', policy: { level: fallback.policy.level, version: resolvedVersion } } : fallback;
    return { policy, labelled: false, valid, versioned: version !== undefined };
  }
  if (level === 'catalog' && prefix === MAMORI_LABEL_PREFIX) return { policy: { kind: 'catalog' }, labelled: true, valid, versioned: version !== undefined };
  if (isPssLevel(level)) return { policy: { kind: 'pss', policy: { level, version: resolvedVersion } }, labelled: true, valid, versioned: version !== undefined };
  valid = false;
  const allowed = prefix === MAMORI_LABEL_PREFIX ? 'privileged, baseline, restricted, catalog' : 'privileged, baseline, restricted';
  errors.push(`${levelKey}: invalid value ${JSON.stringify(level)}: must be one of ${allowed}`);
  // PSA: an invalid enforce level enforces restricted (fail closed), an invalid audit or warn level is privileged.
  const fallbackLevel: PssLevel = mode === 'enforce' ? 'restricted' : 'privileged';
  return { policy: { kind: 'pss', policy: { level: fallbackLevel, version: resolvedVersion } }, labelled: true, valid, versioned: version !== undefined };
}

/**
 * The modes of a namespace from its labels (undefined: not known, or not synced yet), with the
 * defaults where a mode is not labelled. As PSA: when warn is not labelled and a valid enforce
 * level label is stricter than the default warn level, warn takes the enforce policy.
 */
export function namespaceModes(labels: Readonly<Record<string, string>> | undefined, defaults: AdmissionSettings['defaults']): NamespaceModes {
  const errors: string[] = [];
  if (labels === undefined) return { ...defaults, errors };
  const read = (mode: AdmissionMode): ReturnType<typeof fromLabels> =>
    fromLabels(labels, MAMORI_LABEL_PREFIX, mode, defaults[mode], errors) ?? fromLabels(labels, PSA_LABEL_PREFIX, mode, defaults[mode], errors);
  const enforce = read('enforce');
  const warn = read('warn');
  const audit = read('audit');
  const out: NamespaceModes = {
    enforce: enforce?.policy ?? defaults.enforce,
    warn: warn?.policy ?? defaults.warn,
    audit: audit?.policy ?? defaults.audit,
    errors,
  };
  const enforced = enforce?.policy;
  if (warn?.labelled !== true && enforce?.labelled === true && enforce.valid && enforced?.kind === 'pss' && out.warn.kind === 'pss' && LEVEL_RANK[enforced.policy.level] > LEVEL_RANK[out.warn.policy.level]) {
    out.warn = { kind: 'pss', policy: { level: enforced.policy.level, version: warn?.versioned === true ? out.warn.policy.version : enforced.policy.version } };
  }
  return out;
}

/** A comma-separated list as given on the command line: trimmed, empty items dropped. */
export function parseList(text: string | undefined): string[] {
  if (text === undefined) return [];
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** True for `Fail` or `Ignore`. */
export function isFailurePolicy(value: unknown): value is FailurePolicy {
  return value === 'Fail' || value === 'Ignore';
}

/** The `admission:` section of the configuration file, validated (keys as documented in the report to the lead). */
export interface AdmissionSection {
  defaults?: Partial<Record<AdmissionMode, ModePolicy>>;
  exemptions?: Partial<Exemptions>;
  failurePolicy?: FailurePolicy;
  /** Per-request time budget in milliseconds. */
  timeoutMs?: number;
  /** Most bytes of request bodies held at once. */
  maxInFlightBytes?: number;
  /** Who answers the `authorizer` checks of policies: the API server (SubjectAccessReviews) or none. */
  authorizer?: 'api' | 'none';
}

const SECTION_KEYS = new Set(['defaults', 'exemptions', 'failurePolicy', 'timeoutMs', 'maxInFlightBytes', 'authorizer']);
/** The smallest limit of bytes in flight: one request of the largest size (3 MiB) must fit. */
export const MIN_IN_FLIGHT_BYTES = 3 * 1024 * 1024;
/** The largest: 16 GiB. */
export const MAX_IN_FLIGHT_BYTES = 16 * 1024 * 1024 * 1024;
/** What a limit of bytes in flight must be, for error messages. */
export const MAX_IN_FLIGHT_BYTES_RANGE = `must be a whole number of bytes from ${MIN_IN_FLIGHT_BYTES} (3Mi) to ${MAX_IN_FLIGHT_BYTES} (16Gi), or one with a suffix Ki, Mi or Gi`;

/** A size in bytes: digits, optionally followed by Ki, Mi or Gi, within the limits above; undefined otherwise. */
export function parseByteSize(text: string): number | undefined {
  const m = /^([0-9]{1,12})(Ki|Mi|Gi)?$/.exec(text);
  if (m === null) return undefined;
  const bytes = Number(m[1]) * (m[2] === 'Gi' ? 1024 ** 3 : m[2] === 'Mi' ? 1024 ** 2 : m[2] === 'Ki' ? 1024 : 1);
  return bytes >= MIN_IN_FLIGHT_BYTES && bytes <= MAX_IN_FLIGHT_BYTES ? bytes : undefined;
}

const EXEMPTION_KEYS = new Set(['usernames', 'namespaces', 'runtimeClasses']);

function fail(file: string, key: string, message: string): never {
  throw new MamoriError('config', `${key}: ${message}`, { file });
}

/**
 * Validates the configuration's `admission:` section:
 * ```yaml
 * admission:
 *   defaults: { enforce: baseline:latest, warn: restricted:latest, audit: catalog }
 *   exemptions: { usernames: [], namespaces: [], runtimeClasses: [] }
 *   failurePolicy: Fail          # or Ignore
 *   timeoutMs: 2000
 *   maxInFlightBytes: 64Mi       # bytes, or with a suffix Ki, Mi or Gi
 *   authorizer: api              # or none
 * ```
 * Every unknown key or bad value is an error naming its key, like the rest of the configuration.
 */
export function parseAdmissionSection(value: unknown, file: string): AdmissionSection {
  const out: AdmissionSection = {};
  if (value === null || value === undefined) return out;
  if (!isObject(value)) fail(file, 'admission', 'must be a mapping with defaults, exemptions, failurePolicy, timeoutMs, maxInFlightBytes or authorizer');
  for (const [key, v] of Object.entries(value)) {
    const at = `admission.${key}`;
    if (!SECTION_KEYS.has(key)) fail(file, at, `unknown key (known: ${[...SECTION_KEYS].join(', ')})`);
    if (key === 'defaults') {
      if (!isObject(v)) fail(file, at, 'must be a mapping of enforce, warn and audit to a mode');
      const defaults: Partial<Record<AdmissionMode, ModePolicy>> = {};
      for (const [mode, text] of Object.entries(v)) {
        if (!(ADMISSION_MODES as readonly string[]).includes(mode)) fail(file, `${at}.${mode}`, 'unknown mode (known: enforce, warn, audit)');
        if (typeof text !== 'string') fail(file, `${at}.${mode}`, 'must be a string such as baseline:latest or catalog');
        try {
          defaults[mode as AdmissionMode] = parseModePolicy(text, `${at}.${mode}`);
        } catch (error) {
          if (error instanceof MamoriError) throw new MamoriError('config', error.message, { file });
          throw error;
        }
      }
      out.defaults = defaults;
    } else if (key === 'exemptions') {
      if (!isObject(v)) fail(file, at, 'must be a mapping with usernames, namespaces and runtimeClasses');
      const exemptions: Partial<Exemptions> = {};
      for (const [name, list] of Object.entries(v)) {
        if (!EXEMPTION_KEYS.has(name)) fail(file, `${at}.${name}`, `unknown key (known: ${[...EXEMPTION_KEYS].join(', ')})`);
        if (!Array.isArray(list) || !list.every((item) => typeof item === 'string' && item.trim() !== '')) fail(file, `${at}.${name}`, 'must be a list of non-empty strings');
        exemptions[name as keyof Exemptions] = list as string[];
      }
      out.exemptions = exemptions;
    } else if (key === 'failurePolicy') {
      if (!isFailurePolicy(v)) fail(file, at, 'must be Fail or Ignore');
      out.failurePolicy = v;
    } else if (key === 'authorizer') {
      if (v !== 'api' && v !== 'none') fail(file, at, 'must be api or none');
      out.authorizer = v;
    } else if (key === 'maxInFlightBytes') {
      const bytes = typeof v === 'number' || typeof v === 'string' ? parseByteSize(String(v)) : undefined;
      if (bytes === undefined) fail(file, at, MAX_IN_FLIGHT_BYTES_RANGE);
      out.maxInFlightBytes = bytes;
    } else {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 30_000) fail(file, at, 'must be a whole number of milliseconds from 1 to 30000');
      out.timeoutMs = v;
    }
  }
  return out;
}
