import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import yaml from 'js-yaml';
import { MamoriError } from '../errors.js';
import { isObject } from '../k8s/object.js';
import { KUBE_SCHEMA } from '../load/schema.js';
import { TextLocator } from '../load/locate.js';
import type { Location, Path, Severity } from '../types.js';
import { parseAdmissionSection, type AdmissionSection } from '../admission/modes.js';
import { parseExceptions, type ExceptionSpec } from './exceptions.js';
import { isSeverity } from './controls.js';
import type { OptionValue } from './rule.js';

/** How the configuration changes one rule. */
export interface RuleSetting {
  enabled?: boolean;
  severity?: Severity;
  options?: Record<string, OptionValue>;
}

/** The configuration file (`.mamori.yaml`), validated. */
export interface Config {
  /** Where it was read from, if from a file. */
  file?: string;
  pss?: string;
  failOn?: Severity | 'none';
  rules: Record<string, RuleSetting>;
  /** Risks accepted on purpose (see exceptions.ts). */
  exceptions: ExceptionSpec[];
  /** Settings of `mamori admission serve` (its flags take precedence). */
  admission?: AdmissionSection;
  /** ValidatingAdmissionPolicy files and directories, relative to the configuration file's directory. */
  policies: string[];
}

/** The name of the configuration file looked for in the working directory. */
export const CONFIG_FILE = '.mamori.yaml';

const TOP_KEYS = new Set(['pss', 'failOn', 'rules', 'exceptions', 'admission', 'policies']);
const RULE_KEYS = new Set(['enabled', 'severity', 'options']);

function fail(file: string, key: string, message: string): never {
  throw new MamoriError('config', `${key}: ${message}`, { file });
}

/** What the configuration may say about each rule: its id and its options with their defaults. */
export type KnownRules = ReadonlyMap<string, Readonly<Record<string, OptionValue>>>;

/** The rules the configuration can refer to, from a catalog. */
export function knownRules(rules: readonly { id: string; options?: Readonly<Record<string, OptionValue>> }[]): KnownRules {
  return new Map(rules.map((r) => [r.id, r.options ?? {}]));
}

function typeName(value: OptionValue): string {
  return Array.isArray(value) ? 'a list of strings' : `a ${typeof value}`;
}

function checkOption(file: string, at: string, value: unknown, def: OptionValue): OptionValue {
  if (Array.isArray(def)) {
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) fail(file, at, 'must be a list of strings');
    return value as string[];
  }
  if (typeof value !== typeof def) fail(file, at, `must be ${typeName(def)}`);
  return value as OptionValue;
}

/** Validates a parsed configuration; every unknown key or bad value is an error naming its key. */
export function parseConfig(value: unknown, file: string, known: KnownRules, locate?: (path: Path) => Location | undefined): Config {
  const config: Config = { file, rules: {}, exceptions: [], policies: [] };
  if (value === null || value === undefined) return config;
  if (!isObject(value)) fail(file, '(top level)', 'must be a mapping');
  for (const [key, v] of Object.entries(value)) {
    if (!TOP_KEYS.has(key)) fail(file, key, `unknown key (known: ${[...TOP_KEYS].join(', ')})`);
    if (key === 'pss') {
      if (typeof v !== 'string') fail(file, key, 'must be a string such as restricted:latest');
      config.pss = v;
    } else if (key === 'failOn') {
      if (v !== 'none' && !isSeverity(v)) fail(file, key, 'must be one of critical, high, medium, low, info, none');
      config.failOn = v;
    } else if (key === 'policies') {
      if (!Array.isArray(v) || v.some((p) => typeof p !== 'string' || p === '')) fail(file, key, 'must be a list of files or directories of ValidatingAdmissionPolicies');
      const base = dirname(file);
      config.policies = (v as string[]).map((p) => (isAbsolute(p) ? p : join(base, p)));
    } else if (key === 'admission') {
      config.admission = parseAdmissionSection(v, file);
    } else if (key === 'exceptions') {
      config.exceptions = parseExceptions(v, file, [...known.keys()], locate);
    } else if (key === 'rules') {
      if (!isObject(v)) fail(file, key, 'must be a mapping of rule id to off, on or settings');
      for (const [id, setting] of Object.entries(v)) {
        const at = `rules.${id}`;
        // A custom policy's rule (`policy:<name>`) is known only once the policies are read; it takes no options.
        const defaults = known.get(id) ?? (/^policy:./.test(id) ? {} : undefined);
        if (defaults === undefined) fail(file, at, 'unknown rule id (see `mamori rules`)');
        if (setting === 'off' || setting === false) config.rules[id] = { enabled: false };
        else if (setting === 'on' || setting === true) config.rules[id] = { enabled: true };
        else if (isObject(setting)) {
          const rule: RuleSetting = {};
          for (const [k, sv] of Object.entries(setting)) {
            if (!RULE_KEYS.has(k)) fail(file, `${at}.${k}`, `unknown key (known: ${[...RULE_KEYS].join(', ')})`);
            if (k === 'enabled') {
              if (typeof sv !== 'boolean') fail(file, `${at}.${k}`, 'must be true or false');
              rule.enabled = sv;
            } else if (k === 'severity') {
              if (!isSeverity(sv)) fail(file, `${at}.${k}`, 'must be one of critical, high, medium, low, info');
              rule.severity = sv;
            } else {
              if (!isObject(sv)) fail(file, `${at}.${k}`, 'must be a mapping');
              const options: Record<string, OptionValue> = {};
              for (const [name, optionValue] of Object.entries(sv)) {
                const def = defaults[name];
                const names = Object.keys(defaults);
                if (def === undefined) fail(file, `${at}.options.${name}`, names.length === 0 ? 'this rule takes no options' : `unknown option (known: ${names.join(', ')})`);
                options[name] = checkOption(file, `${at}.options.${name}`, optionValue, def);
              }
              rule.options = options;
            }
          }
          config.rules[id] = rule;
        } else fail(file, at, 'must be off, on, or a mapping with enabled, severity or options');
      }
    }
  }
  return config;
}

/**
 * Reads the configuration: `path` if given (it must exist), else `.mamori.yaml` in the working
 * directory if present, else the defaults.
 */
export function loadConfig(path: string | undefined, known: KnownRules): Config {
  const file = path ?? (existsSync(CONFIG_FILE) ? CONFIG_FILE : undefined);
  if (file === undefined) return { rules: {}, exceptions: [], policies: [] };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new MamoriError('config', `cannot read configuration: ${(cause as Error).message}`, { file, cause });
  }
  let value: unknown;
  try {
    value = yaml.load(text, { schema: KUBE_SCHEMA, filename: file });
  } catch (cause) {
    const mark = (cause as { mark?: { line?: number } }).mark;
    const options: { file: string; cause: unknown; line?: number } = { file, cause };
    if (mark?.line !== undefined) options.line = mark.line + 1;
    throw new MamoriError('config', `invalid YAML: ${(cause as { reason?: string }).reason ?? String(cause)}`, options);
  }
  const locator = new TextLocator(text);
  const whole = { index: 0, start: 0, end: text.length, line: 1 };
  const locate = (path: Path): Location => ({ file, ...locator.locate(whole, path) });
  return parseConfig(value, file, known, locate);
}
