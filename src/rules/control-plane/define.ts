/**
 * Factories of the control-plane rules: one CIS check per rule, evaluated twice. The effective
 * verdict (defaults applied, lists compared element by element, referenced configuration taken
 * into account) decides whether a finding is reported; the kube-bench verdict of the same CIS id
 * ("CIS literal", specs/control-plane.md §2) is stated in the message. With the option
 * `cisLiteral: true` a rule also reports what only the literal check fails (for audits that must
 * match kube-bench), saying that the effective value is secure.
 */
import { defineRule, type NsaSection, type RuleSpec, type Violation } from '../../engine/rule.js';
import { CIS_1_12 } from '../../k8s/control-plane/cis.js';
import { cisState, executeTests, type AuditOutputs, type CisState } from '../../k8s/control-plane/compare.js';
import {
  controlPlaneContainers,
  etcdEnvName,
  flagList,
  flagValue,
  parseBool,
  type Component,
  type ComponentFlags,
  type FlagOccurrence,
} from '../../k8s/control-plane/flags.js';
import { isKubeletConfiguration, type KubeletSetting } from '../../k8s/control-plane/kubelet.js';
import { AUTHORIZATION_CONFIGURATION, authorizerTypes, configGroup, isConfigOf } from '../../k8s/control-plane/apiserver-config.js';
import { isObject } from '../../k8s/object.js';
import type { Inventory } from '../../engine/inventory.js';
import type { JsonObject, Path, Severity } from '../../types.js';
import type { LoadedObject } from '../../load/types.js';

/** The effective verdict of a check. */
export interface Outcome {
  /** True when the effective configuration is insecure (a finding). */
  fail: boolean;
  /** The effective value and where it comes from (flag, file field, or which default). */
  message: string;
  /** The offending field, or where the missing one must be added; defaults to the flag list. */
  path?: Path;
  /** A verdict that a configuration file decides (the other fields then describe the flag naming it). */
  deferred?: Deferred;
  /**
   * True when a file mamori cannot read decides (etcd's `--config-file`): reported at severity
   * info as not checked (specs/control-plane.md §4.7), not passed; `message` says why.
   */
  notChecked?: boolean;
}

/**
 * A verdict that depends on a configuration file a flag names (`--authorization-config`): decided
 * from the objects of `kind` in the input once it is read. Without one the check is reported at
 * severity info as not checked (specs/control-plane.md §4.7), not passed.
 */
export interface Deferred {
  kind: string;
  /** The flag naming the file, as shown in messages. */
  reference: string;
  /** The verdict from the files of that kind in the input (at least one), and which of them decided a failure. */
  decide(configs: readonly JsonObject[]): Outcome & { index?: number };
}

interface Common {
  id: string;
  title: string;
  severity: Severity;
  controls: string[];
  /** The CIS 1.12 id; the kube-bench definition of that id gives the literal verdict. */
  cis: string;
  kubescape?: string[];
  nsa?: NsaSection[];
  description: string;
  remediation: string;
}

export interface FlagRuleSpec extends Common {
  component: Component;
  /** The kinds of the configuration files the rule's deferred verdicts read (`Outcome.deferred`). */
  configKinds?: readonly string[];
  evaluate(flags: ComponentFlags): Outcome;
}

export interface KubeletRuleSpec extends Common {
  evaluate(config: JsonObject): Outcome;
}

const OPTIONS = { cisLiteral: false } as const;
const NO_VIOLATIONS: readonly Violation[] = [];
const SPEC_PATH: Path = ['spec'];

function literal(cis: string, outputs: AuditOutputs): { state: CisState; expected: string } {
  const check = CIS_1_12[cis];
  if (check === undefined) return { state: 'WARN', expected: 'not in the catalogue' };
  const result = executeTests(check.tests, outputs);
  return { state: cisState(result.pass, check.scored), expected: result.expected };
}

function frameworks(spec: Common): NonNullable<RuleSpec<'object'>['frameworks']> {
  const out: NonNullable<RuleSpec<'object'>['frameworks']> = { cis: [spec.cis] };
  if (spec.kubescape !== undefined) out.kubescape = spec.kubescape;
  if (spec.nsa !== undefined) out.nsa = spec.nsa;
  return out;
}

function verdict(spec: Common, outcome: Outcome, lit: { state: CisState; expected: string }, subject: string, path: Path, cisLiteral: boolean): Violation | undefined {
  if (outcome.notChecked === true) {
    return { path: outcome.path ?? path, severity: 'info', message: `${subject}: ${outcome.message} [CIS ${spec.cis} literal: ${lit.state}, effective: NOT CHECKED]` };
  }
  if (outcome.fail) {
    return { path: outcome.path ?? path, message: `${subject}: ${outcome.message} [CIS ${spec.cis} literal: ${lit.state}, effective: FAIL]` };
  }
  if (cisLiteral && lit.state !== 'PASS') {
    return {
      path: outcome.path ?? path,
      message: `${subject}: kube-bench's CIS ${spec.cis} check gives ${lit.state} (expected ${lit.expected}), although the effective configuration is secure: ${outcome.message} [CIS ${spec.cis} literal: ${lit.state}, effective: PASS]`,
    };
  }
  return undefined;
}

/**
 * The two violations of a deferred verdict: at severity info when no file of its kind is in the
 * input, else the verdict of the files (dropped when it passes).
 */
function deferredViolations(spec: Common, deferred: Deferred, lit: { state: CisState; expected: string }, subject: string, path: Path, cisLiteral: boolean): Violation[] {
  // Only the kind in its API group is the component's file (`componentconfig/v1alpha1` is not read).
  const configs = (inventory: Inventory): LoadedObject[] => inventory.byKind(deferred.kind).filter((loaded) => isConfigOf(loaded.object, deferred.kind));
  return [
    {
      path,
      severity: 'info',
      message: '',
      resolve: (inventory) =>
        configs(inventory).length > 0
          ? null
          : (verdict(spec, { fail: false, notChecked: true, message: `${deferred.reference} names a file (kind ${deferred.kind}, apiVersion ${configGroup(deferred.kind)}/*) that is not in the input, so this is not checked; scan the file together with this manifest` }, lit, subject, path, cisLiteral)?.message ?? null),
    },
    {
      path,
      message: '',
      resolve: (inventory) => {
        const found = configs(inventory);
        if (found.length === 0) return null;
        const outcome = deferred.decide(found.map((loaded) => loaded.object));
        // Several such files (configurations of several clusters): say which one failed.
        const which = outcome.index === undefined ? undefined : found[outcome.index];
        const message = found.length > 1 && which !== undefined ? `${outcome.message} (${deferred.kind} of ${which.source.file}:${which.source.line}, one of ${found.length} in the input)` : outcome.message;
        return verdict(spec, { fail: outcome.fail, message }, lit, subject, path, cisLiteral)?.message ?? null;
      },
    },
  ];
}

/** How a message names a component container. */
export function subjectOf(flags: ComponentFlags): string {
  return flags.name === '' || flags.name === flags.component ? flags.component : `${flags.component} (container "${flags.name}")`;
}

/** A rule on the flags of one control-plane component, found in static pods by their command. */
export function defineFlagRule(spec: FlagRuleSpec): RuleSpec<'object'> {
  return defineRule({
    id: spec.id,
    title: spec.title,
    severity: spec.severity,
    target: 'object',
    kinds: ['Pod'],
    ...(spec.configKinds === undefined ? {} : { context: spec.configKinds }),
    controls: spec.controls,
    frameworks: frameworks(spec),
    description: spec.description,
    remediation: spec.remediation,
    options: OPTIONS,
    check({ object }, ctx) {
      // The no-finding path (every ordinary Pod) allocates nothing: no generator, a shared empty list.
      const podSpec = object['spec'];
      if (!isObject(podSpec)) return NO_VIOLATIONS;
      const containers = controlPlaneContainers(object, podSpec, SPEC_PATH);
      if (containers.length === 0) return NO_VIOLATIONS;
      const cisLiteral = ctx.options['cisLiteral'] === true;
      const out: Violation[] = [];
      for (const flags of containers) {
        if (flags.component !== spec.component) continue;
        const outcome = spec.evaluate(flags);
        if (!outcome.fail && !cisLiteral && outcome.deferred === undefined && outcome.notChecked !== true) continue;
        const lit = literal(spec.cis, { audit: flags.commandLine, env: flags.envOutput });
        if (outcome.deferred !== undefined) {
          out.push(...deferredViolations(spec, outcome.deferred, lit, subjectOf(flags), outcome.path ?? flags.addPath, cisLiteral));
          continue;
        }
        const found = verdict(spec, outcome, lit, subjectOf(flags), flags.addPath, cisLiteral);
        if (found !== undefined) out.push(found);
      }
      return out;
    },
  });
}

/** A rule on a `KubeletConfiguration` file (no kubelet command-line flag is visible offline). */
export function defineKubeletRule(spec: KubeletRuleSpec): RuleSpec<'object'> {
  return defineRule({
    id: spec.id,
    title: spec.title,
    severity: spec.severity,
    target: 'object',
    kinds: ['KubeletConfiguration'],
    controls: spec.controls,
    frameworks: frameworks(spec),
    description: spec.description,
    remediation: spec.remediation,
    options: OPTIONS,
    *check({ object }, ctx) {
      if (!isKubeletConfiguration(object)) return;
      const cisLiteral = ctx.options['cisLiteral'] === true;
      const outcome = spec.evaluate(object);
      if (!outcome.fail && !cisLiteral) return;
      // kube-bench reads the kubelet's command line first; offline there is none, so the file decides.
      const lit = literal(spec.cis, { audit: '', config: { value: object } });
      const found = verdict(spec, outcome, lit, 'kubelet config', [], cisLiteral);
      if (found !== undefined) yield found;
    },
  });
}

// ---- helpers for the evaluators ------------------------------------------------------------

/** `--flag=value` as the user wrote it (values of secrets never reach these flags). */
export function shown(occurrence: FlagOccurrence): string {
  if (occurrence.fromEnv !== true) return occurrence.separate === true ? `${occurrence.written ?? occurrence.name} ${occurrence.value}` : `${occurrence.written ?? occurrence.name}=${occurrence.value}`;
  // Values of environment variables are not repeated unless they are plain booleans or numbers.
  const plain = parseBool(occurrence.value) !== undefined || /^\d+$/.test(occurrence.value);
  return `${occurrence.name} (set by ${etcdEnvName(occurrence.name)}${plain ? `=${occurrence.value}` : ''})`;
}

/** The outcome of a flag that must be present (a path, a file): fails when absent or empty. */
export function requirePresent(flags: ComponentFlags, name: string, consequence: string): Outcome {
  const occurrence = flagValue(flags, name);
  if (occurrence === undefined) return { fail: true, message: `${name} is not set; ${consequence}` };
  if (occurrence.value.trim() === '' || occurrence.value === 'true') return { fail: true, message: `${name} has no value; ${consequence}`, path: occurrence.path };
  return { fail: false, message: `${shown(occurrence)}` };
}

/** The effective value of a boolean flag: its last occurrence, else the component's default. */
export function boolFlag(flags: ComponentFlags, name: string, fallback: boolean): { value: boolean | undefined; occurrence?: FlagOccurrence; text: string } {
  const occurrence = flagValue(flags, name);
  if (occurrence === undefined) return { value: fallback, text: `${name} is not set (default ${String(fallback)})` };
  if (occurrence.separate === true) {
    // pflag and Go's flag package take a boolean's value only after '='; the next token is an argument.
    return {
      value: true,
      occurrence,
      text: `${shown(occurrence)} sets ${name} to true: a boolean flag takes its value only as ${name}=${occurrence.value}, and the stray argument "${occurrence.value}" keeps the component from starting`,
    };
  }
  const value = parseBool(occurrence.value);
  return { value, occurrence, text: shown(occurrence) };
}

/** A boolean flag that must effectively be `want`; an unparsable value fails too (the component would not start). */
export function requireBool(flags: ComponentFlags, name: string, fallback: boolean, want: boolean, consequence: string): Outcome {
  const b = boolFlag(flags, name, fallback);
  if (b.value === want) return { fail: false, message: b.text };
  const out: Outcome = { fail: true, message: b.value === undefined ? `${b.text} is not a boolean; ${consequence}` : `${b.text}; ${consequence}` };
  if (b.occurrence !== undefined) out.path = b.occurrence.path;
  return out;
}

/** Admission plugins on by default in kube-apiserver (`--enable-admission-plugins` help text). */
export const DEFAULT_ADMISSION_PLUGINS: readonly string[] = [
  'NamespaceLifecycle',
  'LimitRanger',
  'ServiceAccount',
  'TaintNodesByCondition',
  'PodSecurity',
  'Priority',
  'DefaultTolerationSeconds',
  'DefaultStorageClass',
  'StorageObjectInUseProtection',
  'PersistentVolumeClaimResize',
  'RuntimeClass',
  'CertificateApproval',
  'CertificateSigning',
  'ClusterTrustBundleAttest',
  'CertificateSubjectRestriction',
  'DefaultIngressClass',
  'MutatingAdmissionWebhook',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionWebhook',
  'ResourceQuota',
];

/** Whether an admission plugin is on: (defaults ∪ enabled) − disabled, with the token that decides it. */
export function admissionPlugin(flags: ComponentFlags, plugin: string): { enabled: boolean; how: string; path?: Path } {
  const disabled = flagList(flags, '--disable-admission-plugins').find((e) => e.element === plugin);
  if (disabled !== undefined) return { enabled: false, how: `${plugin} is listed in --disable-admission-plugins`, path: disabled.occurrence.path };
  const enabled = flagList(flags, '--enable-admission-plugins').find((e) => e.element === plugin);
  if (enabled !== undefined) return { enabled: true, how: `${plugin} is listed in --enable-admission-plugins`, path: enabled.occurrence.path };
  // The removed --admission-control flag replaced the whole list (kube-apiserver before 1.25 honours it).
  const legacy = flagList(flags, '--admission-control');
  const first = legacy[0];
  if (first !== undefined) {
    const on = legacy.find((e) => e.element === plugin);
    return on !== undefined
      ? { enabled: true, how: `${plugin} is listed in --admission-control`, path: on.occurrence.path }
      : { enabled: false, how: `${plugin} is not in --admission-control, which replaces the default set`, path: first.occurrence.path };
  }
  if (DEFAULT_ADMISSION_PLUGINS.includes(plugin)) return { enabled: true, how: `${plugin} is on by default` };
  const occurrence = flagValue(flags, '--enable-admission-plugins');
  const out: { enabled: boolean; how: string; path?: Path } = {
    enabled: false,
    how: occurrence === undefined ? `--enable-admission-plugins is not set and ${plugin} is not on by default` : `${plugin} is not in --enable-admission-plugins (and not on by default)`,
  };
  if (occurrence !== undefined) out.path = occurrence.path;
  return out;
}

/** An admission plugin that must be on (`want` true) or off. */
export function requirePlugin(flags: ComponentFlags, plugin: string, want: boolean, consequence: string): Outcome {
  const p = admissionPlugin(flags, plugin);
  if (p.enabled === want) return { fail: false, message: p.how };
  const out: Outcome = { fail: true, message: `${p.how}: ${consequence}` };
  if (p.path !== undefined) out.path = p.path;
  return out;
}

/** Flags that must all be present with a value. */
export function requireAll(flags: ComponentFlags, names: readonly string[], consequence: string): Outcome {
  const missing: string[] = [];
  let path: Path | undefined;
  for (const name of names) {
    const occurrence = flagValue(flags, name);
    if (occurrence === undefined) missing.push(name);
    else if (occurrence.value.trim() === '' || occurrence.value === 'true') {
      missing.push(name);
      path ??= occurrence.path;
    }
  }
  if (missing.length === 0) return { fail: false, message: names.map((n) => shown(flagValue(flags, n) as FlagOccurrence)).join(', ') };
  const out: Outcome = { fail: true, message: `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set: ${consequence}` };
  if (path !== undefined) out.path = path;
  return out;
}

/**
 * When `--authorization-config` replaces `--authorization-mode`, the authorizers are in that
 * file: the verdict is deferred to the AuthorizationConfiguration of the input, judged by `judge`
 * on the `type` of its authorizers.
 */
export function authorizationDelegated(flags: ComponentFlags, judge: (types: readonly string[]) => Outcome): Outcome | undefined {
  if (flagValue(flags, '--authorization-mode') !== undefined) return undefined;
  const config = flagValue(flags, '--authorization-config');
  if (config === undefined) return undefined;
  return deferTo(config, AUTHORIZATION_CONFIGURATION, (object) => judge(authorizerTypes(object) ?? []), `the ${AUTHORIZATION_CONFIGURATION} of the input`);
}

/**
 * A verdict deferred to the files of `kind` in the input, which the flag `config` names: the first
 * failing verdict of `judge` over those files (undefined for another object), else `passed`.
 */
export function deferTo(config: FlagOccurrence, kind: string, judge: (object: JsonObject) => Outcome | undefined, passed: string): Outcome {
  return {
    fail: false,
    message: `${shown(config)} decides`,
    path: config.path,
    deferred: {
      kind,
      reference: shown(config),
      decide: (configs) => {
        for (let index = 0; index < configs.length; index++) {
          const outcome = judge(configs[index] as JsonObject);
          if (outcome?.fail === true) return { ...outcome, index };
        }
        return { fail: false, message: passed };
      },
    },
  };
}

/** What an AuthorizationConfiguration's authorizers say, as `authorizers[].type=Node,RBAC`. */
export function authorizersShown(types: readonly string[]): string {
  return `the ${AUTHORIZATION_CONFIGURATION} of the input has authorizers of type ${types.length === 0 ? '(none)' : types.join(',')}`;
}

/** The API server's authorization modes must include `mode`. */
export function requireMode(flags: ComponentFlags, mode: string, consequence: string): Outcome {
  const delegated = authorizationDelegated(flags, (types) =>
    types.includes(mode) ? { fail: false, message: authorizersShown(types) } : { fail: true, message: `${authorizersShown(types)}, without ${mode}: ${consequence}` },
  );
  if (delegated !== undefined) return delegated;
  const modes = flagList(flags, '--authorization-mode');
  const first = modes[0];
  if (first === undefined) return { fail: true, message: `--authorization-mode is not set: the default AlwaysAllow applies and ${mode} is not used; ${consequence}` };
  if (modes.some((m) => m.element === mode)) return { fail: false, message: `--authorization-mode=${modes.map((m) => m.element).join(',')}` };
  return { fail: true, message: `--authorization-mode=${modes.map((m) => m.element).join(',')} does not include ${mode}: ${consequence}`, path: first.occurrence.path };
}

/** `--bind-address` must be a loopback address (the default is 0.0.0.0). */
export function requireLoopback(flags: ComponentFlags, consequence: string): Outcome {
  const occurrence = flagValue(flags, '--bind-address');
  if (occurrence === undefined) return { fail: true, message: `--bind-address is not set: the default 0.0.0.0 applies and ${consequence}` };
  if (isLoopback(occurrence.value)) return { fail: false, message: shown(occurrence) };
  return { fail: true, message: `${shown(occurrence)}: ${consequence}`, path: occurrence.path };
}

/** etcd ignores its flags and ETCD_* variables when `--config-file` is given. */
export function etcdConfigFile(flags: ComponentFlags): Outcome | undefined {
  const file = flagValue(flags, '--config-file');
  if (file === undefined) return undefined;
  return { fail: false, notChecked: true, path: file.path, message: `etcd reads ${shown(file)} and ignores its other flags and ETCD_* variables; that file is not checked` };
}

/**
 * Rotation settings of the audit log file (`--audit-log-maxage`, `-maxbackup`, `-maxsize`): 0 or
 * absent keeps the library default (no age limit, all backups, 100 MB files), which meets the CIS
 * intent; a smaller positive value than `min` does not.
 */
export function auditRotation(flags: ComponentFlags, name: string, min: number, zeroMeans: string, consequence: string): Outcome {
  const log = flagValue(flags, '--audit-log-path');
  if (log === undefined || log.value.trim() === '' || log.value === 'true') return { fail: false, message: `audit logs are not written to a file (--audit-log-path is not set), so ${name} does not apply` };
  if (log.value === '-') return { fail: false, message: `--audit-log-path=- writes audit events to standard output, so ${name} does not apply` };
  const v = intFlag(flags, name);
  if (v.occurrence === undefined) return { fail: false, message: `${name} is not set: the default 0 ${zeroMeans}` };
  if (v.value === undefined || v.value < 0) return { fail: true, message: `${shown(v.occurrence)} is not a valid count (the API server refuses to start)`, path: v.occurrence.path };
  if (v.value === 0) return { fail: false, message: `${shown(v.occurrence)}: 0 ${zeroMeans}` };
  if (v.value < min) return { fail: true, message: `${shown(v.occurrence)} is below ${min}: ${consequence}`, path: v.occurrence.path };
  return { fail: false, message: shown(v.occurrence) };
}

/** A TLS cipher suite list that must only hold strong suites (moot when only TLS 1.3 is allowed). */
export function requireStrongCiphers(
  list: readonly { element: string; path: Path }[],
  listName: string,
  minVersion: string | undefined,
  minVersionName: string,
  allowed: readonly string[],
  unsetPath?: Path,
): Outcome {
  if (tls13Only(minVersion)) return { fail: false, message: `${minVersionName} is VersionTLS13: TLS 1.2 cipher suites are never negotiated` };
  if (list.length === 0) {
    const out: Outcome = {
      fail: true,
      message: `${listName} is not set: Go's default list applies, which still offers CBC-mode suites with SHA-1 MACs (e.g. TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA) to TLS 1.2 clients`,
    };
    if (unsetPath !== undefined) out.path = unsetPath;
    return out;
  }
  const weak = list.filter((e) => !allowed.includes(e.element));
  const first = weak[0];
  if (first === undefined) return { fail: false, message: `${listName} holds only strong suites` };
  return { fail: true, message: `${listName} allows ${weak.map((e) => e.element).join(', ')}, outside the CIS list of AEAD suites with forward secrecy`, path: first.path };
}

/** True for loopback addresses (127.0.0.0/8, ::1, localhost). */
export function isLoopback(address: string): boolean {
  const a = address.trim().replace(/^\[|\]$/g, '');
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a) || a === '::1' || a === 'localhost' || /^(0{0,4}:){7}0{0,3}1$/.test(a);
}

/** The TLS 1.2 cipher suites CIS 1.2.29 accepts for the API server. */
export const APISERVER_STRONG_CIPHERS: readonly string[] = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305',
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305',
  'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
];

/** The cipher suites CIS 4.2.12 accepts for the kubelet. */
export const KUBELET_STRONG_CIPHERS: readonly string[] = [
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305',
  'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305',
  'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
];

/** True for `--tls-min-version` / `tlsMinVersion` values that allow TLS 1.3 only (cipher suites then do not apply). */
export function tls13Only(version: string | undefined): boolean {
  return version === 'VersionTLS13';
}

/** A number flag (Go `strconv.Atoi`); undefined when absent or not an integer. */
export function intFlag(flags: ComponentFlags, name: string): { value: number | undefined; occurrence?: FlagOccurrence } {
  const occurrence = flagValue(flags, name);
  if (occurrence === undefined) return { value: undefined };
  const t = occurrence.value.trim();
  return { value: /^[+-]?\d+$/.test(t) ? Number(t) : undefined, occurrence };
}

/** A KubeletConfiguration field of the wrong JSON type: the kubelet refuses to load the file. */
export function invalidSetting(setting: KubeletSetting, type: 'boolean' | 'number' | 'string'): Outcome | undefined {
  if (!setting.set || typeof setting.value === type) return undefined;
  return { fail: true, message: `${setting.path.join('.')} is ${JSON.stringify(setting.value)}, not a ${type}: the kubelet refuses the configuration`, path: setting.path };
}
