/**
 * The effective flag map of a control-plane static pod (specs/control-plane.md §1.2): the
 * component is recognised by its command, flags are read from `command` + `args` with their
 * source paths, scalar flags take their last occurrence and list flags are split into whole
 * elements (repeated list flags accumulate, as pflag's slice flags do).
 */
import { trimRuns } from '../../text.js';
import type { JsonObject, Path } from '../../types.js';
import { asArray, asObject, asString, isObject } from '../object.js';

/** The control-plane components mamori reads from static pods. */
export type Component = 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'etcd';

/** Flags whose value is a comma list compared element by element. */
const LIST_FLAGS: ReadonlySet<string> = new Set([
  '--tls-cipher-suites',
  '--enable-admission-plugins',
  '--disable-admission-plugins',
  '--authorization-mode',
  '--feature-gates',
  '--admission-control',
]);

/** One occurrence of a flag on the command line. */
export interface FlagOccurrence {
  /** The canonical flag with two dashes, e.g. `--anonymous-auth` (for `-anonymous_auth` too). */
  name: string;
  /** Its value; `true` for a bare boolean flag. */
  value: string;
  /** Path of the token that holds the flag (for `--flag value`, the flag's token). */
  path: Path;
  /** True when the flag came from an `ETCD_*` environment variable rather than the command line. */
  fromEnv?: boolean;
  /** The flag as written when that differs from `name` (`-cert-file`, `--anonymous_auth`). */
  written?: string;
  /**
   * True when the value is the next token (`--flag value`). Neither pflag nor Go's flag package
   * reads a boolean flag that way: the flag is true and the token is a stray argument.
   */
  separate?: boolean;
}

/** A recognised control-plane container with its parsed flags. */
export interface ComponentFlags {
  component: Component;
  container: JsonObject;
  /** The container's name ('' when unnamed). */
  name: string;
  /** Path of the container inside the object. */
  containerPath: Path;
  /** Where a missing flag belongs: the list that holds the flags (`command` or `args`). */
  addPath: Path;
  /** `command` + `args`, as the process sees them. */
  tokens: readonly string[];
  /** The tokens joined by spaces, as `ps -ef` shows them (input of kube-bench's flag tests). */
  commandLine: string;
  /** The container's literal `env` as `NAME=value` lines (input of kube-bench's env tests). */
  envOutput: string;
  /** Every occurrence per flag name, in command-line order. */
  occurrences: ReadonlyMap<string, readonly FlagOccurrence[]>;
}

const BINARY = /(?:^|\/)(kube-apiserver|kube-controller-manager|kube-scheduler|etcd)$/;

/**
 * The component a container runs, from its command: the basename of `command[0]` (or, for the
 * old hyperkube images, `command[1]`; for images that start the binary from `args`, `args[0]`
 * when `command` is absent).
 */
export function componentOf(container: JsonObject): Component | undefined {
  const command = asArray(container['command']);
  const args = asArray(container['args']);
  const first = asString(command.length > 0 ? command[0] : args[0]);
  if (first === undefined) return undefined;
  const direct = BINARY.exec(first.trim());
  if (direct !== null) return direct[1] as Component;
  if (/(?:^|\/)hyperkube$/.test(first.trim())) {
    const second = asString(command.length > 0 ? command[1] : args[1]);
    const sub = second === undefined ? null : BINARY.exec(second.trim());
    if (sub !== null) return sub[1] as Component;
  }
  return undefined;
}

/**
 * A static pod signal for etcd, which ordinary applications also run: the pod is in kube-system,
 * uses the host network, or carries kubeadm's `tier: control-plane` / `component: etcd` labels.
 */
function looksLikeControlPlane(object: JsonObject, metadata: JsonObject, spec: JsonObject): boolean {
  const namespace = asString(asObject(object['metadata'])?.['namespace']) ?? asString(metadata['namespace']);
  if (namespace === 'kube-system') return true;
  if (spec['hostNetwork'] === true) return true;
  const labels = asObject(metadata['labels']);
  return asString(labels?.['tier']) === 'control-plane' || asString(labels?.['component']) === 'etcd';
}

function envOf(container: JsonObject, containerPath: Path): { name: string; value: string; path: Path }[] {
  const out: { name: string; value: string; path: Path }[] = [];
  const env = asArray(container['env']);
  for (let i = 0; i < env.length; i++) {
    const entry = asObject(env[i]);
    const name = asString(entry?.['name']);
    const value = entry?.['value'];
    if (name === undefined || (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')) continue;
    out.push({ name, value: String(value), path: [...containerPath, 'env', i, 'value'] });
  }
  return out;
}

/** The `ETCD_*` variable etcd reads for a flag: `--client-cert-auth` → `ETCD_CLIENT_CERT_AUTH`. */
export function etcdEnvName(flag: string): string {
  return `ETCD_${flag.replace(/^-+/, '').toUpperCase().replace(/-/g, '_')}`;
}

/**
 * How a component reads its command line: etcd uses Go's `flag` package, where `-name` and
 * `--name` are the same flag; the Kubernetes components use pflag with `WordSepNormalizeFunc`,
 * where `--anonymous_auth` is `--anonymous-auth` and a single dash starts shorthand flags.
 */
export type FlagSyntax = 'go-flag' | 'pflag';

/** The syntax of a component's flags. */
export function syntaxOf(component: Component): FlagSyntax {
  return component === 'etcd' ? 'go-flag' : 'pflag';
}

/** The canonical `--name` of a flag token's name part, or undefined when the token is not a long flag. */
function flagName(raw: string, syntax: FlagSyntax): string | undefined {
  if (syntax === 'go-flag') {
    // Go's flag package: one or two dashes, then a name that does not start with '-' or '='.
    const m = /^--?([^-=].*)$/.exec(raw);
    return m === null ? undefined : `--${m[1] ?? ''}`;
  }
  if (!raw.startsWith('--') || raw.length === 2 || raw[2] === '-' || raw[2] === '=') return undefined;
  return `--${raw.slice(2).replace(/_/g, '-')}`;
}

/**
 * Parses flag tokens (specs/control-plane.md §1.2 steps 2–4) with the component's flag syntax
 * (pflag when not given). Occurrences are filed under the canonical `--name`; `written` keeps the
 * token's spelling when it differs.
 */
export function parseFlags(tokens: readonly { text: string; path: Path }[], syntax: FlagSyntax = 'pflag'): Map<string, FlagOccurrence[]> {
  const out = new Map<string, FlagOccurrence[]>();
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === undefined) continue;
    const text = token.text.trim();
    const eq = text.indexOf('=');
    const raw = eq >= 0 ? text.slice(0, eq) : text;
    const name = flagName(raw, syntax);
    if (name === undefined) continue;
    const occurrence: FlagOccurrence = { name, value: 'true', path: token.path };
    if (raw !== name) occurrence.written = raw;
    if (eq >= 0) occurrence.value = text.slice(eq + 1);
    else {
      const next = tokens[i + 1]?.text.trim();
      if (next !== undefined && next !== '' && !next.startsWith('-')) {
        occurrence.value = next;
        occurrence.separate = true;
        i++;
      }
    }
    const list = out.get(name);
    if (list) list.push(occurrence);
    else out.set(name, [occurrence]);
  }
  return out;
}

const CACHE = new WeakMap<JsonObject, readonly ComponentFlags[]>();
const NONE: readonly ComponentFlags[] = [];
// Every flag rule asks for the same object in a row: a one-entry memo answers before the WeakMap.
let lastSpec: JsonObject | undefined;
let lastResult: readonly ComponentFlags[] = NONE;

/**
 * The control-plane containers of a pod spec, parsed once per spec. `object` is the whole object
 * (for its namespace), `spec` the pod spec at `specPath`; `metadata` defaults to the object's.
 */
export function controlPlaneContainers(object: JsonObject, spec: JsonObject, specPath: Path, metadata?: JsonObject): readonly ComponentFlags[] {
  if (spec === lastSpec) return lastResult;
  let result = CACHE.get(spec);
  if (result === undefined) {
    result = findContainers(object, spec, specPath, metadata ?? asObject(object['metadata']) ?? {});
    CACHE.set(spec, result);
  }
  lastSpec = spec;
  lastResult = result;
  return result;
}

function findContainers(object: JsonObject, spec: JsonObject, specPath: Path, metadata: JsonObject): readonly ComponentFlags[] {
  let out: ComponentFlags[] | undefined;
  // Init containers of static pods only prepare the node; the component runs in `containers`.
  const list = asArray(spec['containers']);
  for (let index = 0; index < list.length; index++) {
    const container = list[index];
    if (!isObject(container)) continue;
    const component = componentOf(container);
    if (component === undefined) continue;
    if (component === 'etcd' && !looksLikeControlPlane(object, metadata, spec)) continue;
    out ??= [];
    out.push(parseContainer(component, container, [...specPath, 'containers', index]));
  }
  return out ?? NONE;
}

function parseContainer(component: Component, container: JsonObject, containerPath: Path): ComponentFlags {
  const tokens: { text: string; path: Path }[] = [];
  const command = asArray(container['command']);
  const args = asArray(container['args']);
  let flagsInArgs = false;
  for (const [field, list] of [['command', command], ['args', args]] as const) {
    for (let i = 0; i < list.length; i++) {
      const v = list[i];
      const text = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
      if (text === undefined) continue;
      tokens.push({ text, path: [...containerPath, field, i] });
      if (field === 'args' && text.startsWith(component === 'etcd' ? '-' : '--')) flagsInArgs = true;
    }
  }
  const occurrences = parseFlags(tokens, syntaxOf(component));
  const env = envOf(container, containerPath);
  if (component === 'etcd') {
    // etcd reads ETCD_<FLAG> variables; a flag on the command line shadows its variable.
    for (const e of env) {
      if (!e.name.startsWith('ETCD_')) continue;
      const flag = `--${e.name.slice(5).toLowerCase().replace(/_/g, '-')}`;
      if (!occurrences.has(flag)) occurrences.set(flag, [{ name: flag, value: e.value, path: e.path, fromEnv: true }]);
    }
  }
  const addField = flagsInArgs || (command.length === 0 && args.length > 0) ? 'args' : command.length > 0 ? 'command' : 'args';
  return {
    component,
    container,
    name: asString(container['name']) ?? '',
    containerPath,
    addPath: command.length > 0 || args.length > 0 ? [...containerPath, addField] : containerPath,
    tokens: tokens.map((t) => t.text),
    commandLine: tokens.map((t) => t.text).join(' '),
    envOutput: env.map((e) => `${e.name}=${e.value}`).join('\n'),
    occurrences,
  };
}

/** The effective occurrence of a scalar flag: its last one. */
export function flagValue(flags: ComponentFlags, name: string): FlagOccurrence | undefined {
  const list = flags.occurrences.get(name);
  return list === undefined ? undefined : list[list.length - 1];
}

/** True for list flags (compared element by element). */
export function isListFlag(name: string): boolean {
  return LIST_FLAGS.has(name);
}

/** The whole elements of a list flag over all its occurrences, with the occurrence each came from. */
export function flagList(flags: ComponentFlags, name: string): { element: string; occurrence: FlagOccurrence }[] {
  const out: { element: string; occurrence: FlagOccurrence }[] = [];
  for (const occurrence of flags.occurrences.get(name) ?? []) {
    for (const element of occurrence.value.split(',')) {
      const e = element.trim();
      if (e !== '') out.push({ element: e, occurrence });
    }
  }
  return out;
}

/** Go's `strconv.ParseBool`; undefined for anything else. */
export function parseBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}

/** Feature gates of a `--feature-gates` list (`Name=bool`), later entries overriding earlier ones. */
export function featureGates(flags: ComponentFlags): Map<string, { enabled: boolean | undefined; occurrence: FlagOccurrence }> {
  const out = new Map<string, { enabled: boolean | undefined; occurrence: FlagOccurrence }>();
  for (const { element, occurrence } of flagList(flags, '--feature-gates')) {
    const eq = element.indexOf('=');
    if (eq < 0) continue;
    out.set(element.slice(0, eq).trim(), { enabled: parseBool(element.slice(eq + 1).trim()), occurrence });
  }
  return out;
}

/** A path without its trailing slashes. */
function withoutTrailingSlashes(path: string | undefined): string | undefined {
  return path === undefined ? undefined : trimRuns(path, '/');
}

const VOLUMES = new WeakMap<JsonObject, ReadonlyMap<string, JsonObject>>();

/**
 * The volumes of a pod spec by name (the first of a name), built once per spec: looking the
 * volume of each mount up in the list is quadratic in a pod of thousands of mounts and volumes.
 */
function volumesOf(spec: JsonObject): ReadonlyMap<string, JsonObject> {
  let byName = VOLUMES.get(spec);
  if (byName === undefined) {
    const map = new Map<string, JsonObject>();
    for (const entry of asArray(spec['volumes'])) {
      const volume = asObject(entry);
      const name = asString(volume?.['name']);
      if (volume !== undefined && name !== undefined && !map.has(name)) map.set(name, volume);
    }
    byName = map;
    VOLUMES.set(spec, byName);
  }
  return byName;
}

/**
 * The node path behind a path inside a container, through its `volumeMounts` and the pod's
 * `hostPath` volumes (the longest matching mount wins); the path itself when no hostPath covers it.
 */
export function nodePathOf(spec: JsonObject, container: JsonObject, path: string): string {
  let best: { mountPath: string; hostPath: string } | undefined;
  const volumes = volumesOf(spec);
  for (const m of asArray(container['volumeMounts'])) {
    const mount = asObject(m);
    const mountPath = withoutTrailingSlashes(asString(mount?.['mountPath']));
    const name = asString(mount?.['name']);
    if (mountPath === undefined || name === undefined) continue;
    if (path !== mountPath && !path.startsWith(`${mountPath}/`)) continue;
    if (best !== undefined && best.mountPath.length >= mountPath.length) continue;
    const volume = volumes.get(name);
    const host = withoutTrailingSlashes(asString(asObject(volume?.['hostPath'])?.['path']));
    if (host === undefined) continue;
    const sub = asString(mount?.['subPath']);
    best = { mountPath, hostPath: sub === undefined || sub === '' ? host : `${host}/${sub}` };
  }
  return best === undefined ? path : best.hostPath + path.slice(best.mountPath.length);
}
