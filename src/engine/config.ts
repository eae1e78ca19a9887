import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import yaml from 'js-yaml';
import { MamoriError } from '../errors.js';
import { isObject } from '../k8s/object.js';
import { KUBE_SCHEMA } from '../load/schema.js';
import { TextLocator } from '../load/locate.js';
import type { Location, Path, Severity } from '../types.js';
import { parseAdmissionSection, type AdmissionSection } from '../admission/modes.js';
import { parsePssPolicy } from '../rules/pss/psa.js';
import { EXCEPTION_RULE_IDS, parseExceptions, type ExceptionSpec } from './exceptions.js';
import { compileGlob, type Glob } from './glob.js';
import { isSeverity } from './controls.js';
import type { OptionValue } from './rule.js';

/** A change to a list option's default: entries added to it, entries of it removed. */
export interface ListEdit {
  add: readonly string[];
  remove: readonly string[];
}

/** What the configuration sets an option to: a value, or an edit of a list's default. */
export type OptionSetting = OptionValue | ListEdit;

/** How the configuration changes one rule. */
export interface RuleSetting {
  enabled?: boolean;
  severity?: Severity;
  options?: Record<string, OptionSetting>;
}

/** A setting written for every rule whose id matches a glob (`rbac-*: { severity: high }`). */
export interface RuleGlobSetting {
  /** The key as written. */
  pattern: string;
  test: Glob;
  setting: RuleSetting;
}

/** The configuration file (`.mamori.yaml`), validated. */
export interface Config {
  /** Where it was read from, if from a file. */
  file?: string;
  pss?: string;
  failOn?: Severity | 'none';
  /** Settings by rule id (a catalog rule's or `policy:<name>`). */
  rules: Record<string, RuleSetting>;
  /** Settings by glob, in the order written; a rule's own id is applied after them (see `ruleSetting`). */
  ruleGlobs?: RuleGlobSetting[];
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

const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');

/** True for an edit of a list option, as opposed to a value. */
function isListEdit(value: OptionSetting): value is ListEdit {
  return typeof value === 'object' && !Array.isArray(value);
}

const EDIT_KEYS = new Set(['add', 'remove']);

/**
 * Validates an option's setting against the defaults of the rules it is for (one rule, or those a
 * glob matches): a value of the default's type, or, for a list, `{ add, remove }` where every
 * removed entry is in a default.
 */
function checkOption(file: string, at: string, value: unknown, defaults: readonly OptionValue[]): OptionSetting {
  const lists = defaults.every((d) => Array.isArray(d));
  if (lists && isObject(value)) {
    for (const key of Object.keys(value)) if (!EDIT_KEYS.has(key)) fail(file, `${at}.${key}`, 'unknown key (known: add, remove)');
    const edit = { add: value['add'] ?? [], remove: value['remove'] ?? [] };
    for (const key of EDIT_KEYS) if (!isStringList(edit[key as keyof typeof edit])) fail(file, `${at}.${key}`, 'must be a list of strings');
    const { add, remove } = edit as ListEdit;
    if (add.length + remove.length === 0) fail(file, at, 'an edit of the default list needs add or remove entries');
    const known = new Set(defaults.flatMap((d) => d as readonly string[]));
    const absent = remove.find((entry) => !known.has(entry));
    if (absent !== undefined) fail(file, `${at}.remove`, `${JSON.stringify(absent)} is not in the default list (${JSON.stringify([...known])}); remove takes entries of the defaults`);
    return { add, remove };
  }
  for (const def of defaults) {
    if (Array.isArray(def)) {
      if (!isStringList(value)) fail(file, at, 'must be a list of strings, or a mapping with add and remove lists that edit the default');
    } else if (typeof value !== typeof def) fail(file, at, `must be ${typeName(def)}`);
  }
  return value as OptionValue;
}

/** True for a key of `rules` that is a glob rather than an id. */
const isGlob = (key: string): boolean => /[*?]/.test(key);

/**
 * Validates one entry of `rules`: off, on, or a mapping of enabled, severity and options. `targets`
 * are the option defaults of the rules it applies to (several for a glob); an option must be one of
 * them, checked against each rule that takes it.
 */
function parseRuleSetting(file: string, at: string, setting: unknown, targets: readonly Readonly<Record<string, OptionValue>>[], glob: boolean): RuleSetting {
  if (setting === 'off' || setting === false) return { enabled: false };
  if (setting === 'on' || setting === true) return { enabled: true };
  if (!isObject(setting)) fail(file, at, 'must be off, on, or a mapping with enabled, severity or options');
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
      const options: Record<string, OptionSetting> = {};
      const names = [...new Set(targets.flatMap((t) => Object.keys(t)))];
      for (const [name, optionValue] of Object.entries(sv)) {
        const defaults = targets.map((t) => t[name]).filter((d): d is OptionValue => d !== undefined);
        if (defaults.length === 0) {
          const none = glob ? 'none of the rules it matches takes options' : 'this rule takes no options';
          fail(file, `${at}.options.${name}`, names.length === 0 ? none : `${glob ? 'no rule it matches takes this option' : 'unknown option'} (known: ${names.join(', ')})`);
        }
        options[name] = checkOption(file, `${at}.options.${name}`, optionValue, defaults);
      }
      rule.options = options;
    }
  }
  return rule;
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
      // Checked here even when --pss overrides it: the file is wrong either way.
      try {
        parsePssPolicy(v);
      } catch (error) {
        fail(file, key, (error as Error).message);
      }
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
      if (!isObject(v)) fail(file, key, 'must be a mapping of rule id (or glob) to off, on or settings');
      // The findings about exceptions (`exception-stale`) can be turned off or given a severity; they take no options.
      const settable = new Map([...known, ...EXCEPTION_RULE_IDS.map((id): [string, Record<string, OptionValue>] => [id, {}])]);
      for (const [id, setting] of Object.entries(v)) {
        const at = `rules.${id}`;
        if (isGlob(id)) {
          const test = compileGlob(id);
          // A glob over policies' rules (`policy:*`) is checked once the policies are read (`checkPolicyNames`); they take no options.
          const targets = id.startsWith('policy:') ? [{}] : [...settable].filter(([rule]) => test.test(rule)).map(([, defaults]) => defaults);
          if (targets.length === 0) fail(file, at, 'matches no rule (see `mamori rules`)');
          (config.ruleGlobs ??= []).push({ pattern: id, test, setting: parseRuleSetting(file, at, setting, targets, true) });
          continue;
        }
        // A custom policy's rule (`policy:<name>`) is known only once the policies are read (`checkPolicyNames`); it takes no options.
        const defaults = settable.get(id) ?? (/^policy:./.test(id) ? {} : undefined);
        if (defaults === undefined) fail(file, at, 'unknown rule id (see `mamori rules`)');
        config.rules[id] = parseRuleSetting(file, at, setting, [defaults], false);
      }
    }
  }
  return config;
}

/**
 * Checks the configuration's names of custom policies' rules (`policy:<name>`, or a glob such as
 * `policy:no-*`, in `rules` and in exceptions) against the policies loaded, `policyRuleIds`: a
 * name that matches none is an error naming the key, as a typo in a rule id is. With no policies
 * loaded nothing is checked: a configuration can be shared by scans that load no policies (its
 * exceptions for them are then of rules that did not run, so not stale).
 */
export function checkPolicyNames(config: Config, policyRuleIds: readonly string[]): void {
  if (policyRuleIds.length === 0 || config.file === undefined) return;
  const file = config.file;
  const check = (key: string, pattern: string): void => {
    if (!pattern.startsWith('policy:')) return;
    const glob = compileGlob(pattern);
    if (policyRuleIds.some((id) => glob.test(id))) return;
    const loaded = policyRuleIds.slice(0, 10).join(', ') + (policyRuleIds.length > 10 ? ', …' : '');
    fail(file, key, `${JSON.stringify(pattern)} matches none of the policies loaded (${loaded})`);
  };
  for (const id of Object.keys(config.rules)) check(`rules.${id}`, id);
  for (const glob of config.ruleGlobs ?? []) check(`rules.${glob.pattern}`, glob.pattern);
  config.exceptions.forEach((e, i) => check(`exceptions[${i}].rule`, e.rule));
}

/** A list option's default with an edit applied: removed entries dropped, added ones appended once. */
function applyEdit(list: readonly string[], edit: ListEdit): string[] {
  const removed = new Set(edit.remove);
  const out = list.filter((entry) => !removed.has(entry));
  const present = new Set(out);
  for (const entry of edit.add) {
    if (!present.has(entry)) out.push(entry);
    present.add(entry);
  }
  return out;
}

/** What the configuration makes of one rule: whether it is on, its severity, and its options merged over `defaults`. */
export interface EffectiveSetting {
  enabled: boolean | undefined;
  severity: Severity | undefined;
  options: Record<string, OptionValue>;
}

/**
 * The setting of one rule: the globs that match its id, in the order written, then its own entry;
 * each sets only the keys it names, and a list edit applies to the list the earlier ones left.
 */
export function ruleSetting(config: Config | undefined, id: string, defaults: Readonly<Record<string, OptionValue>>): EffectiveSetting {
  const out: EffectiveSetting = { enabled: undefined, severity: undefined, options: { ...defaults } };
  const layers: RuleSetting[] = [];
  for (const glob of config?.ruleGlobs ?? []) if (glob.test.test(id)) layers.push(glob.setting);
  const own = config?.rules[id];
  if (own !== undefined) layers.push(own);
  for (const layer of layers) {
    if (layer.enabled !== undefined) out.enabled = layer.enabled;
    if (layer.severity !== undefined) out.severity = layer.severity;
    for (const [name, value] of Object.entries(layer.options ?? {})) {
      // A glob's option is for the rules it matches that take it.
      const current = out.options[name];
      if (current === undefined) continue;
      out.options[name] = isListEdit(value) ? applyEdit(current as readonly string[], value) : value;
    }
  }
  return out;
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
