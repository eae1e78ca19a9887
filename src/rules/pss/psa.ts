/**
 * The Pod Security Standards evaluated exactly as Pod Security Admission does (specs/pss.md):
 * the same checks, versions, order and byte-identical reasons and details.
 *
 * Inputs are raw manifests, not decoded Go structs. Where a field has the wrong type (which the
 * API server would reject while decoding; a scan of files also reports it as an error, see
 * k8s/field-types.ts) we pick the reading that keeps PSA's verdict for well-typed input and never
 * throws:
 * - an object field (securityContext, capabilities, seccompProfile, probes...) that is not an
 *   object counts as absent;
 * - booleans count only as JSON booleans (`"true"` is unset), so `allowPrivilegeEscalation`
 *   must be the boolean `false` to pass and `privileged` must be the boolean `true` to fail;
 * - numbers (`hostPort`, `containerPort`, `runAsUser`) count only as whole JSON numbers within
 *   int64 (`"80"`, `8080.5` and `1e30` are unset, as the wrong-type errors say);
 * - strings (names, types, procMount) count only as strings; a missing or non-string `type`
 *   inside a present profile reads as `""`, like Go's zero value;
 * - a volume source counts as present when its key holds any non-null value, and a key that
 *   is not a known volume source still counts as a source (reported as "unknown") rather than
 *   being dropped, so a newer volume type is never silently allowed;
 * - annotation values: strings as they are, null as `""` (Go decodes null to ""), others ignored.
 */
import { MamoriError } from '../../errors.js';
import { asArray, asObject, asString, isObject } from '../../k8s/object.js';
import { isInt64 } from '../../k8s/field-types.js';
import { containersOf, podSpecOf } from '../../k8s/pod.js';
import type { JsonObject, Path, PssLevel, PssPolicy } from '../../types.js';
import {
  ALLOWED_VOLUME_SOURCES, APPARMOR_PREFIX, BASELINE_CAPABILITIES, RESTRICTED_VOLUME_SOURCES, SECCOMP_CONTAINER_PREFIX, SECCOMP_POD_ANNOTATION,
  SELINUX_TYPES_1_0, SELINUX_TYPES_1_31, SYSCTLS_1_0, SYSCTLS_1_27, SYSCTLS_1_29, SYSCTLS_1_32, SYSCTLS_1_37,
} from './constants.js';
export { BASELINE_CAPABILITIES } from './constants.js';

/** The newest policy minor version mamori implements (`latest` without a cap). */
export const PSS_LATEST_MINOR = 37;

/** The ids of the Pod Security Admission checks. */
export type PssCheckId =
  | 'appArmorProfile'
  | 'capabilities_baseline'
  | 'hostNamespaces'
  | 'hostPathVolumes'
  | 'hostPorts'
  | 'hostProbesAndHostLifecycle'
  | 'privileged'
  | 'procMount'
  | 'seLinuxOptions'
  | 'seccompProfile_baseline'
  | 'sysctls'
  | 'windowsHostProcess'
  | 'allowPrivilegeEscalation'
  | 'capabilities_restricted'
  | 'procMount_restricted'
  | 'restrictedVolumes'
  | 'runAsNonRoot'
  | 'runAsUser'
  | 'seccompProfile_restricted';

/** Evaluation and message order: baseline ids, then restricted ids, each in byte order (spec §5). */
export const PSS_CHECK_ORDER: readonly PssCheckId[] = [
  'appArmorProfile',
  'capabilities_baseline',
  'hostNamespaces',
  'hostPathVolumes',
  'hostPorts',
  'hostProbesAndHostLifecycle',
  'privileged',
  'procMount',
  'seLinuxOptions',
  'seccompProfile_baseline',
  'sysctls',
  'windowsHostProcess',
  'allowPrivilegeEscalation',
  'capabilities_restricted',
  'procMount_restricted',
  'restrictedVolumes',
  'runAsNonRoot',
  'runAsUser',
  'seccompProfile_restricted',
];

/** A pod or pod template to evaluate; `kind` is the owning object's kind (`Pod`, `Deployment`...). */
export interface PssPodInput {
  kind: string;
  metadata: JsonObject;
  spec: JsonObject;
}

/** A failing check: PSA's reason and detail, and the offending fields (relative to the template root). */
export interface PssResult {
  checkId: PssCheckId;
  reason: string;
  detail: string;
  /** Most specific first; a field that should be set may not exist in the input. */
  paths: Path[];
  /**
   * Further places of the problem that PSA's message does not name: the fields of containers that
   * inherit an offending pod-level value, or that leave unset what the message asks only of the
   * containers that set a bad one. A finding points into them, so an exception for one container
   * does not hide the others. Absent when there are none.
   */
  inherited?: Path[];
}

// ---------------------------------------------------------------------------------------------
// Message helpers (spec §3 notation)

/** Q: each item in double quotes, joined by ", " (no escaping, like PSA's joinQuote). */
const Q = (items: readonly string[]): string => items.map((item) => `"${item}"`).join(', ');
/** P: singular when n is 1. */
const P = (singular: string, plural: string, n: number): string => (n === 1 ? singular : plural);
/** C: `container "a"` / `containers "a", "b"`. */
const C = (names: readonly string[]): string => `${P('container', 'containers', names.length)} ${Q(names)}`;

/** Go byte order of UTF-8 strings, i.e. code point order (UTF-16 order differs only above U+D7FF). */
function byteOrder(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return unitKey(x) - unitKey(y);
  }
  return a.length - b.length;
}
/** Surrogates encode code points above U+FFFF, so they sort after U+E000..U+FFFF. */
const unitKey = (unit: number): number => (unit >= 0xd800 && unit <= 0xdfff ? unit + 0x10000 : unit);

/** Unique values in Go byte order. */
const sortedSet = (values: Iterable<string>): string[] => [...new Set(values)].sort(byteOrder);

/** "pod", then `C(containers)`, then any further setter, joined by " and ". */
function setters(pod: boolean, containers: readonly string[], ...more: string[]): string {
  const list: string[] = [];
  if (pod) list.push('pod');
  if (containers.length > 0) list.push(C(containers));
  return [...list, ...more].join(' and ');
}

const GO_ESCAPES: Readonly<Record<string, string>> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};
/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const GO_PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

/** Go's `%q` of a string (strconv.Quote). */
export function goQuote(value: string): string {
  let out = '"';
  for (const ch of value) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    // An unpaired surrogate cannot reach Go: its JSON decoder turns it into U+FFFD (printable).
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\ufffd';
    else if (GO_PRINTABLE.test(ch)) out += ch;
    else if (GO_ESCAPES[ch] !== undefined) out += GO_ESCAPES[ch];
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${hex(cp, 2)}`;
    else if (cp < 0x10000) out += `\\u${hex(cp, 4)}`;
    else out += `\\U${hex(cp, 8)}`;
  }
  return `${out}"`;
}

// ---------------------------------------------------------------------------------------------
// The defaulted view of a pod spec (spec §2.4), computed once per spec object

interface HostPort {
  port: number;
  path: Path;
}
interface ContainerView {
  name: string;
  /** Path of the container, e.g. ['spec', 'containers', 0]. */
  path: Path;
  raw: JsonObject;
  /** The container's securityContext, undefined when missing or not an object. */
  sc: JsonObject | undefined;
  scPath: Path;
  /** Non-zero host ports after hostNetwork defaulting. */
  hostPorts: readonly HostPort[];
}
interface VolumeView {
  name: string;
  path: Path;
  /** Keys holding a source; `['emptyDir']` for a volume without one (API defaulting). */
  sources: readonly string[];
}
interface PodView {
  spec: JsonObject;
  /** The pod-level securityContext, undefined when missing or not an object. */
  sc: JsonObject | undefined;
  containers: readonly ContainerView[];
  volumes: readonly VolumeView[];
  /** `spec.os.name == "windows"`: the only trigger of the Windows relaxation. */
  windows: boolean;
  /** `spec.hostUsers` explicitly false: the only trigger of the user-namespace relaxation. */
  userNamespace: boolean;
}
type Annotations = ReadonlyMap<string, string>;

const POD_SC: Path = ['spec', 'securityContext'];

/** An integer field: a whole JSON number within int64, as the API server decodes one (else unset, as field-types.ts reports it). */
const num = (value: unknown): number | undefined => (typeof value === 'number' && isInt64(value) ? value : undefined);

/** Walks object keys; undefined as soon as a step is missing or not an object. */
function dig(value: unknown, path: readonly string[]): JsonObject | undefined {
  let node = asObject(value);
  for (const key of path) node = asObject(node?.[key]);
  return node;
}

function buildView(spec: JsonObject, isPod: boolean): PodView {
  // The API server copies containerPort into an unset hostPort of hostNetwork Pods only
  // (not templates since 1.28), and only for containers and init containers.
  const hostNetworkPod = isPod && spec['hostNetwork'] === true;
  const containers = containersOf(spec, ['spec']).map((ref): ContainerView => {
    const defaultPorts = hostNetworkPod && ref.field !== 'ephemeralContainers';
    const hostPorts: HostPort[] = [];
    asArray(ref.container['ports']).forEach((port, j) => {
      if (!isObject(port)) return;
      let value = num(port['hostPort']) ?? 0;
      if (value === 0 && defaultPorts) value = num(port['containerPort']) ?? 0;
      if (value !== 0) hostPorts.push({ port: value, path: [...ref.path, 'ports', j, 'hostPort'] });
    });
    return {
      name: ref.name,
      path: ref.path,
      raw: ref.container,
      sc: asObject(ref.container['securityContext']),
      scPath: [...ref.path, 'securityContext'],
      hostPorts,
    };
  });
  const volumes: VolumeView[] = [];
  asArray(spec['volumes']).forEach((volume, i) => {
    if (!isObject(volume)) return;
    const sources = Object.keys(volume).filter((key) => key !== 'name' && volume[key] != null);
    volumes.push({
      name: asString(volume['name']) ?? '',
      path: ['spec', 'volumes', i],
      sources: sources.length > 0 ? sources : ['emptyDir'],
    });
  });
  return {
    spec,
    sc: asObject(spec['securityContext']),
    containers,
    volumes,
    windows: asObject(spec['os'])?.['name'] === 'windows',
    userNamespace: spec['hostUsers'] === false,
  };
}

// Cached per spec object (one per kind class, as the port defaulting depends on it), so the
// 19 checks of one evaluation share the walk. Callers must not mutate a spec after evaluating it.
/*
 * The checks of one pod run one after another, so a one-entry memo gives each pod's view to all
 * of them. (A WeakMap would keep every pod's view until collection, and its ephemeron bookkeeping
 * costs the garbage collector more than the views cost to build.)
 */
let lastView: { spec: JsonObject; isPod: boolean; view: PodView } | undefined;
let lastAnnotations: { metadata: JsonObject; map: Annotations } | undefined;

function viewOf(input: PssPodInput): PodView {
  const isPod = input.kind === 'Pod';
  if (lastView?.spec !== input.spec || lastView.isPod !== isPod) lastView = { spec: input.spec, isPod, view: buildView(input.spec, isPod) };
  return lastView.view;
}

function annotationsOf(metadata: JsonObject): Annotations {
  if (lastAnnotations?.metadata === metadata) return lastAnnotations.map;
  const map = new Map<string, string>();
  for (const [key, value] of Object.entries(asObject(metadata['annotations']) ?? {})) {
    if (typeof value === 'string') map.set(key, value);
    else if (value === null) map.set(key, '');
  }
  lastAnnotations = { metadata, map };
  return map;
}

// ---------------------------------------------------------------------------------------------
// The checks: one small function each, returning undefined when allowed

type Failure = Omit<PssResult, 'checkId'>;
type CheckFn = (pod: PodView, annotations: Annotations) => Failure | undefined;

/** A failure; `inherited` leaves out the places already among `paths` (an AppArmor annotation's container may also inherit the pod's profile). */
function fail(reason: string, detail: string, paths: Path[], inherited: readonly Path[] = []): Failure {
  if (inherited.length === 0) return { reason, detail, paths };
  const seen = new Set(paths.map((path) => JSON.stringify(path)));
  const more = inherited.filter((path) => {
    const key = JSON.stringify(path);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return more.length === 0 ? { reason, detail, paths } : { reason, detail, paths, inherited: more };
}

/** Who sets a bad value: the pod-level securityContext and/or containers, with the offending fields. */
interface Offenders {
  pod: boolean;
  containers: string[];
  paths: Path[];
  /** The same fields of the containers that inherit an offending pod-level value. */
  inherited: Path[];
}

/**
 * Whether a container's own securityContext sets the field a pod-level path names (its part below
 * the securityContext), so that the container does not inherit the pod's value: `windowsOptions`
 * is merged field by field, every other field is replaced whole (as the kubelet merges them).
 */
function overridesPodField(sc: JsonObject | undefined, below: Path): boolean {
  const steps = below[0] === 'windowsOptions' ? below : below.slice(0, 1);
  let node: unknown = sc;
  for (const step of steps) {
    node = asObject(node)?.[step as string];
    if (node === undefined || node === null) return false;
  }
  return true;
}
/** Applies `bad` to the pod-level securityContext (unless podLevel is false) and every container's. */
function offenders(pod: PodView, bad: (sc: JsonObject, at: Path) => Path[], podLevel = true): Offenders {
  const out: Offenders = { pod: false, containers: [], paths: [], inherited: [] };
  if (podLevel && pod.sc !== undefined) {
    const paths = bad(pod.sc, POD_SC);
    if (paths.length > 0) {
      out.pod = true;
      out.paths.push(...paths);
      for (const path of paths) {
        const below = path.slice(POD_SC.length);
        for (const c of pod.containers) if (!overridesPodField(c.sc, below)) out.inherited.push([...c.scPath, ...below]);
      }
    }
  }
  for (const c of pod.containers) {
    if (c.sc === undefined) continue;
    const paths = bad(c.sc, c.scPath);
    if (paths.length > 0) {
      out.containers.push(c.name);
      out.paths.push(...paths);
    }
  }
  return out;
}
const any = (o: Offenders): boolean => o.pod || o.containers.length > 0;

/** The `type` of a present profile object; missing or wrong-typed reads as "" (Go's zero value). */
const profileType = (profile: JsonObject): string => asString(profile['type']) ?? '';
const validProfileType = (type: string): boolean => type === 'RuntimeDefault' || type === 'Localhost';

/** Offenders whose `<field>.type` (appArmorProfile, seccompProfile) is present and not allowed. */
function badProfiles(pod: PodView, field: string, badValues: string[]): Offenders {
  return offenders(pod, (sc, at) => {
    const profile = asObject(sc[field]);
    if (profile === undefined || validProfileType(profileType(profile))) return [];
    badValues.push(profileType(profile));
    return [[...at, field, 'type']];
  });
}


const appArmorProfile: CheckFn = (pod, annotations) => {
  const badTypes: string[] = [];
  const o = badProfiles(pod, 'appArmorProfile', badTypes);
  const bad = [...annotations].filter(
    ([key, value]) =>
      key.startsWith(APPARMOR_PREFIX) && !(value === '' || value === 'runtime/default' || value.startsWith('localhost/')),
  );
  if (!any(o) && bad.length === 0) return undefined;
  const entries = bad.map(([key, value]) => `${key}=${goQuote(value)}`).sort(byteOrder);
  const values = [...sortedSet(badTypes), ...entries];
  const who = bad.length > 0 ? [P('annotation', 'annotations', bad.length)] : [];
  const paths = [...o.paths, ...bad.map(([key]): Path => ['metadata', 'annotations', key])];
  // A container's annotation is a place of that container's problem.
  const annotated = bad.flatMap(([key]) => pod.containers.filter((c) => c.name === key.slice(APPARMOR_PREFIX.length)).map((c): Path => [...c.scPath, 'appArmorProfile', 'type']));
  return fail(
    P('forbidden AppArmor profile', 'forbidden AppArmor profiles', values.length),
    `${setters(o.pod, o.containers, ...who)} must not set AppArmor profile type to ${Q(values)}`,
    paths,
    [...o.inherited, ...annotated],
  );
};


/** Container offenders adding capabilities outside `allowed`; the bad names go into `caps`. */
function badAdds(pod: PodView, allowed: (cap: string) => boolean, caps: string[]): Offenders {
  return offenders(
    pod,
    (sc, at) => {
      const paths: Path[] = [];
      asArray(asObject(sc['capabilities'])?.['add']).forEach((cap, k) => {
        if (typeof cap !== 'string' || allowed(cap)) return;
        caps.push(cap);
        paths.push([...at, 'capabilities', 'add', k]);
      });
      return paths;
    },
    false,
  );
}

const capabilitiesBaseline: CheckFn = (pod) => {
  const caps: string[] = [];
  const o = badAdds(pod, (cap) => BASELINE_CAPABILITIES.has(cap), caps);
  if (!any(o)) return undefined;
  return fail(
    'non-default capabilities',
    `${C(o.containers)} must not include ${Q(sortedSet(caps))} in securityContext.capabilities.add`,
    o.paths,
    o.inherited,
  );
};

const hostNamespaces: CheckFn = (pod) => {
  const set = (['hostNetwork', 'hostPID', 'hostIPC'] as const).filter((field) => pod.spec[field] === true);
  if (set.length === 0) return undefined;
  return fail(
    'host namespaces',
    set.map((field) => `${field}=true`).join(', '),
    set.map((field): Path => ['spec', field]),
  );
};

const hostPathVolumes: CheckFn = (pod) => {
  const bad = pod.volumes.filter((volume) => volume.sources.includes('hostPath'));
  if (bad.length === 0) return undefined;
  return fail(
    'hostPath volumes',
    `${P('volume', 'volumes', bad.length)} ${Q(bad.map((volume) => volume.name))}`,
    bad.map((volume) => [...volume.path, 'hostPath']),
  );
};

const hostPorts: CheckFn = (pod) => {
  const bad = pod.containers.filter((c) => c.hostPorts.length > 0);
  if (bad.length === 0) return undefined;
  const ports = bad.flatMap((c) => c.hostPorts);
  // Port numbers are sorted as decimal strings, like PSA's string set ("10" < "100" < "20").
  const numbers = sortedSet(ports.map((p) => String(p.port)));
  return fail(
    'hostPort',
    `${C(bad.map((c) => c.name))} ${P('uses', 'use', bad.length)} ${P('hostPort', 'hostPorts', numbers.length)} ${numbers.join(', ')}`,
    ports.map((p) => p.path),
  );
};

const PROBE_HANDLERS: readonly (readonly string[])[] = [
  ['livenessProbe'],
  ['readinessProbe'],
  ['startupProbe'],
  ['lifecycle', 'postStart'],
  ['lifecycle', 'preStop'],
];

const hostProbesAndHostLifecycle: CheckFn = (pod) => {
  const names: string[] = [];
  const hosts: string[] = [];
  const paths: Path[] = [];
  for (const c of pod.containers) {
    let bad = false;
    for (const handlerPath of PROBE_HANDLERS) {
      const handler = dig(c.raw, handlerPath);
      for (const action of ['httpGet', 'tcpSocket']) {
        const host = asString(asObject(handler?.[action])?.['host']);
        if (host === undefined || host === '') continue;
        bad = true;
        hosts.push(host);
        paths.push([...c.path, ...handlerPath, action, 'host']);
      }
    }
    if (bad) names.push(c.name);
  }
  if (names.length === 0) return undefined;
  const hostSet = sortedSet(hosts);
  // The only check that sorts container names.
  return fail(
    'probe or lifecycle host',
    `${P('container', 'containers', names.length)} ${Q(sortedSet(names))} ${P('uses', 'use', names.length)} ` +
      `${P('probe or lifecycle host', 'probe or lifecycle hosts', hostSet.length)} ${Q(hostSet)}`,
    paths,
  );
};

const privileged: CheckFn = (pod) => {
  const o = offenders(pod, (sc, at) => (sc['privileged'] === true ? [[...at, 'privileged']] : []), false);
  if (!any(o)) return undefined;
  return fail('privileged', `${C(o.containers)} must not set securityContext.privileged=true`, o.paths);
};

const procMountStrict: CheckFn = (pod) => {
  const values: string[] = [];
  const o = offenders(
    pod,
    (sc, at) => {
      const value = sc['procMount'];
      if (typeof value !== 'string' || value === 'Default') return [];
      values.push(value);
      return [[...at, 'procMount']];
    },
    false,
  );
  if (!any(o)) return undefined;
  return fail('procMount', `${C(o.containers)} must not set securityContext.procMount to ${Q(sortedSet(values))}`, o.paths);
};


function seLinuxOptions(allowedTypes: readonly string[]): CheckFn {
  const allowed = new Set(allowedTypes);
  return (pod) => {
    const badTypes: string[] = [];
    let user = false;
    let role = false;
    const o = offenders(pod, (sc, at) => {
      const options = asObject(sc['seLinuxOptions']);
      if (options === undefined) return [];
      const base = [...at, 'seLinuxOptions'];
      const paths: Path[] = [];
      const type = asString(options['type']) ?? '';
      if (!allowed.has(type)) {
        badTypes.push(type);
        paths.push([...base, 'type']);
      }
      if ((asString(options['user']) ?? '') !== '') {
        user = true;
        paths.push([...base, 'user']);
      }
      if ((asString(options['role']) ?? '') !== '') {
        role = true;
        paths.push([...base, 'role']);
      }
      return paths;
    });
    if (!any(o)) return undefined;
    const types = sortedSet(badTypes);
    const parts: string[] = [];
    if (types.length > 0) parts.push(`${P('type', 'types', types.length)} ${Q(types)}`);
    if (user) parts.push('user may not be set');
    if (role) parts.push('role may not be set');
    return fail(
      'seLinuxOptions',
      `${setters(o.pod, o.containers)} set forbidden securityContext.seLinuxOptions: ${parts.join('; ')}`,
      o.paths,
      o.inherited,
    );
  };
}


/** Before v1.19 only the (alpha) annotations count; a present annotation must name a valid profile. */
const seccompProfileAnnotations: CheckFn = (pod, annotations) => {
  const forbidden = new Map<string, Path>();
  const visit = (key: string): void => {
    const value = annotations.get(key);
    if (value === undefined) return;
    if (value === 'runtime/default' || value === 'docker/default' || value.startsWith('localhost/')) return;
    forbidden.set(`${key}=${goQuote(value)}`, ['metadata', 'annotations', key]);
  };
  visit(SECCOMP_POD_ANNOTATION);
  for (const c of pod.containers) visit(SECCOMP_CONTAINER_PREFIX + c.name);
  if (forbidden.size === 0) return undefined;
  const entries = [...forbidden.keys()].sort(byteOrder);
  return fail(
    'seccompProfile',
    `forbidden ${P('annotation', 'annotations', entries.length)} ${entries.join(', ')}`,
    entries.map((entry) => forbidden.get(entry) ?? []),
  );
};

/** From v1.19 only the fields count; a present profile must be RuntimeDefault or Localhost. */
const seccompProfileBaseline: CheckFn = (pod) => {
  const values: string[] = [];
  const o = badProfiles(pod, 'seccompProfile', values);
  if (!any(o)) return undefined;
  return fail(
    'seccompProfile',
    `${setters(o.pod, o.containers)} must not set securityContext.seccompProfile.type to ${Q(sortedSet(values))}`,
    o.paths,
    o.inherited,
  );
};


function sysctls(allowedNames: readonly string[]): CheckFn {
  const allowed = new Set(allowedNames);
  return (pod) => {
    const names: string[] = [];
    const paths: Path[] = [];
    asArray(pod.sc?.['sysctls']).forEach((sysctl, i) => {
      if (!isObject(sysctl)) return;
      const name = asString(sysctl['name']) ?? '';
      if (allowed.has(name)) return;
      names.push(name);
      paths.push([...POD_SC, 'sysctls', i, 'name']);
    });
    // In spec order, not de-duplicated, not quoted.
    return names.length === 0 ? undefined : fail('forbidden sysctls', names.join(', '), paths);
  };
}

const windowsHostProcess: CheckFn = (pod) => {
  const o = offenders(pod, (sc, at) =>
    asObject(sc['windowsOptions'])?.['hostProcess'] === true ? [[...at, 'windowsOptions', 'hostProcess']] : [],
  );
  if (!any(o)) return undefined;
  return fail(
    'hostProcess',
    `${setters(o.pod, o.containers)} must not set securityContext.windowsOptions.hostProcess=true`,
    o.paths,
    o.inherited,
  );
};

const allowPrivilegeEscalation: CheckFn = (pod) => {
  const bad = pod.containers.filter((c) => c.sc?.['allowPrivilegeEscalation'] !== false);
  if (bad.length === 0) return undefined;
  return fail(
    'allowPrivilegeEscalation != false',
    `${C(bad.map((c) => c.name))} must set securityContext.allowPrivilegeEscalation=false`,
    bad.map((c) => [...c.scPath, 'allowPrivilegeEscalation']),
  );
};

const capabilitiesRestricted: CheckFn = (pod) => {
  const missingDrop = pod.containers.filter((c) => {
    const capabilities = asObject(c.sc?.['capabilities']);
    return capabilities === undefined || !asArray(capabilities['drop']).includes('ALL');
  });
  const caps: string[] = [];
  const adding = badAdds(pod, (cap) => cap === 'NET_BIND_SERVICE', caps);
  const parts: string[] = [];
  if (missingDrop.length > 0) {
    parts.push(`${C(missingDrop.map((c) => c.name))} must set securityContext.capabilities.drop=["ALL"]`);
  }
  if (any(adding)) {
    parts.push(`${C(adding.containers)} must not include ${Q(sortedSet(caps))} in securityContext.capabilities.add`);
  }
  if (parts.length === 0) return undefined;
  return fail('unrestricted capabilities', parts.join('; '), [
    ...missingDrop.map((c) => [...c.scPath, 'capabilities', 'drop']),
    ...adding.paths,
  ]);
};


const restrictedVolumes: CheckFn = (pod) => {
  const names: string[] = [];
  const types: string[] = [];
  const paths: Path[] = [];
  for (const volume of pod.volumes) {
    // PSA tests the allowed sources first: a volume that also has an allowed source passes.
    if (volume.sources.some((source) => ALLOWED_VOLUME_SOURCES.has(source))) continue;
    const type = RESTRICTED_VOLUME_SOURCES.find((source) => volume.sources.includes(source));
    names.push(volume.name);
    types.push(type ?? 'unknown');
    paths.push([...volume.path, type ?? volume.sources[0] ?? '']);
  }
  if (names.length === 0) return undefined;
  const typeSet = sortedSet(types);
  return fail(
    'restricted volume types',
    `${P('volume', 'volumes', names.length)} ${Q(names)} ${P('uses', 'use', names.length)} ` +
      `${P('restricted volume type', 'restricted volume types', typeSet.length)} ${Q(typeSet)}`,
    paths,
  );
};

const runAsNonRoot: CheckFn = (pod) => {
  const podValue = pod.sc?.['runAsNonRoot'];
  const podPath: Path = [...POD_SC, 'runAsNonRoot'];
  const explicit: ContainerView[] = [];
  const implicit: ContainerView[] = [];
  for (const c of pod.containers) {
    const value = c.sc?.['runAsNonRoot'];
    if (value === false) explicit.push(c);
    else if (value !== true && podValue !== true) implicit.push(c);
  }
  const containerPaths = (list: ContainerView[]): Path[] => list.map((c) => [...c.scPath, 'runAsNonRoot']);
  if (podValue === false || explicit.length > 0) {
    return fail(
      'runAsNonRoot != true',
      `${setters(podValue === false, explicit.map((c) => c.name))} must not set securityContext.runAsNonRoot=false`,
      [...(podValue === false ? [podPath] : []), ...containerPaths(explicit)],
      // PSA names only who sets false; the containers that set nothing fail too.
      containerPaths(implicit),
    );
  }
  if (implicit.length === 0) return undefined;
  return fail(
    'runAsNonRoot != true',
    `pod or ${C(implicit.map((c) => c.name))} must set securityContext.runAsNonRoot=true`,
    [...containerPaths(implicit), podPath],
  );
};

const runAsUser: CheckFn = (pod) => {
  const o = offenders(pod, (sc, at) => (num(sc['runAsUser']) === 0 ? [[...at, 'runAsUser']] : []));
  if (!any(o)) return undefined;
  return fail('runAsUser=0', `${setters(o.pod, o.containers)} must not set runAsUser=0`, o.paths, o.inherited);
};

const seccompProfileRestricted: CheckFn = (pod) => {
  const values: string[] = [];
  const o = badProfiles(pod, 'seccompProfile', values);
  if (any(o)) {
    // PSA names only who sets a bad profile; without a pod-level profile, the containers that set none fail too.
    const unset = asObject(pod.sc?.['seccompProfile']) === undefined ? pod.containers.filter((c) => asObject(c.sc?.['seccompProfile']) === undefined) : [];
    return fail(
      'seccompProfile',
      `${setters(o.pod, o.containers)} must not set securityContext.seccompProfile.type to ${Q(sortedSet(values))}`,
      o.paths,
      [...o.inherited, ...unset.map((c): Path => [...c.scPath, 'seccompProfile', 'type'])],
    );
  }
  // No bad profile anywhere; containers without one need a (valid) pod-level profile.
  if (asObject(pod.sc?.['seccompProfile']) !== undefined) return undefined;
  const implicit = pod.containers.filter((c) => asObject(c.sc?.['seccompProfile']) === undefined);
  if (implicit.length === 0) return undefined;
  return fail(
    'seccompProfile',
    `pod or ${C(implicit.map((c) => c.name))} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
    [...implicit.map((c) => [...c.scPath, 'seccompProfile', 'type']), [...POD_SC, 'seccompProfile', 'type']],
  );
};

/** v1.25+: Windows pods are exempt (the Linux-only fields are rejected for them by validation). */
const unlessWindows =
  (check: CheckFn): CheckFn =>
  (pod, annotations) =>
    pod.windows ? undefined : check(pod, annotations);
/** v1.35+: pods in a user namespace (`hostUsers: false`) are exempt. */
const unlessUserNamespace =
  (check: CheckFn): CheckFn =>
  (pod, annotations) =>
    pod.userNamespace ? undefined : check(pod, annotations);

// ---------------------------------------------------------------------------------------------
// The catalogue and its inflation per policy version (spec §1.3)

interface Implementation {
  minVersion: number;
  fn: CheckFn;
  /** Baseline checks this (restricted) implementation replaces while it is active. */
  overrides?: readonly PssCheckId[];
}
interface CheckDefinition {
  level: 'baseline' | 'restricted';
  /** Ascending by minVersion; each applies until the next one's minVersion. */
  versions: readonly Implementation[];
}

const CATALOGUE: Readonly<Record<PssCheckId, CheckDefinition>> = {
  appArmorProfile: { level: 'baseline', versions: [{ minVersion: 0, fn: appArmorProfile }] },
  capabilities_baseline: { level: 'baseline', versions: [{ minVersion: 0, fn: capabilitiesBaseline }] },
  hostNamespaces: { level: 'baseline', versions: [{ minVersion: 0, fn: hostNamespaces }] },
  hostPathVolumes: { level: 'baseline', versions: [{ minVersion: 0, fn: hostPathVolumes }] },
  hostPorts: { level: 'baseline', versions: [{ minVersion: 0, fn: hostPorts }] },
  hostProbesAndHostLifecycle: { level: 'baseline', versions: [{ minVersion: 34, fn: hostProbesAndHostLifecycle }] },
  privileged: { level: 'baseline', versions: [{ minVersion: 0, fn: privileged }] },
  procMount: {
    level: 'baseline',
    versions: [
      { minVersion: 0, fn: procMountStrict },
      { minVersion: 35, fn: unlessUserNamespace(procMountStrict) },
    ],
  },
  seLinuxOptions: {
    level: 'baseline',
    versions: [
      { minVersion: 0, fn: seLinuxOptions(SELINUX_TYPES_1_0) },
      { minVersion: 31, fn: seLinuxOptions(SELINUX_TYPES_1_31) },
    ],
  },
  seccompProfile_baseline: {
    level: 'baseline',
    versions: [
      { minVersion: 0, fn: seccompProfileAnnotations },
      { minVersion: 19, fn: seccompProfileBaseline },
    ],
  },
  sysctls: {
    level: 'baseline',
    versions: [
      { minVersion: 0, fn: sysctls(SYSCTLS_1_0) },
      { minVersion: 27, fn: sysctls(SYSCTLS_1_27) },
      { minVersion: 29, fn: sysctls(SYSCTLS_1_29) },
      { minVersion: 32, fn: sysctls(SYSCTLS_1_32) },
      { minVersion: 37, fn: sysctls(SYSCTLS_1_37) },
    ],
  },
  windowsHostProcess: { level: 'baseline', versions: [{ minVersion: 0, fn: windowsHostProcess }] },
  allowPrivilegeEscalation: {
    level: 'restricted',
    versions: [
      { minVersion: 8, fn: allowPrivilegeEscalation },
      { minVersion: 25, fn: unlessWindows(allowPrivilegeEscalation) },
    ],
  },
  capabilities_restricted: {
    level: 'restricted',
    versions: [
      { minVersion: 22, fn: capabilitiesRestricted, overrides: ['capabilities_baseline'] },
      { minVersion: 25, fn: unlessWindows(capabilitiesRestricted), overrides: ['capabilities_baseline'] },
    ],
  },
  procMount_restricted: {
    level: 'restricted',
    versions: [{ minVersion: 35, fn: procMountStrict, overrides: ['procMount'] }],
  },
  restrictedVolumes: {
    level: 'restricted',
    versions: [{ minVersion: 0, fn: restrictedVolumes, overrides: ['hostPathVolumes'] }],
  },
  runAsNonRoot: {
    level: 'restricted',
    versions: [
      { minVersion: 0, fn: runAsNonRoot },
      { minVersion: 35, fn: unlessUserNamespace(runAsNonRoot) },
    ],
  },
  runAsUser: {
    level: 'restricted',
    versions: [
      { minVersion: 23, fn: runAsUser },
      { minVersion: 35, fn: unlessUserNamespace(runAsUser) },
    ],
  },
  seccompProfile_restricted: {
    level: 'restricted',
    versions: [
      { minVersion: 19, fn: seccompProfileRestricted, overrides: ['seccompProfile_baseline'] },
      { minVersion: 25, fn: unlessWindows(seccompProfileRestricted), overrides: ['seccompProfile_baseline'] },
    ],
  },
};

/** The level a check belongs to: `baseline`, or `restricted` for the checks restricted adds. */
export function pssCheckLevel(id: PssCheckId): 'baseline' | 'restricted' {
  return CATALOGUE[id].level;
}

/** Per minor 0..PSS_LATEST_MINOR: the implementation of each check active at that minor. */
const INFLATED: readonly ReadonlyMap<PssCheckId, Implementation>[] = Array.from(
  { length: PSS_LATEST_MINOR + 1 },
  (_, minor) => {
    const active = new Map<PssCheckId, Implementation>();
    for (const id of PSS_CHECK_ORDER) {
      const impl = CATALOGUE[id].versions.findLast((v) => v.minVersion <= minor);
      if (impl !== undefined) active.set(id, impl);
    }
    return active;
  },
);

/** Per minor: the baseline and restricted check lists, in §5 order, overrides applied. */
const ACTIVE: readonly { baseline: readonly PssCheckId[]; restricted: readonly PssCheckId[] }[] = INFLATED.map(
  (active) => {
    const ids = PSS_CHECK_ORDER.filter((id) => active.has(id));
    const overridden = new Set(
      ids.filter((id) => CATALOGUE[id].level === 'restricted').flatMap((id) => active.get(id)?.overrides ?? []),
    );
    return {
      baseline: ids.filter((id) => CATALOGUE[id].level === 'baseline'),
      restricted: ids.filter((id) => !overridden.has(id)),
    };
  },
);

/** A minor clamped to the implemented range 0..PSS_LATEST_MINOR. */
const clampMinor = (minor: number): number =>
  Number.isFinite(minor) ? Math.min(Math.max(Math.trunc(minor), 0), PSS_LATEST_MINOR) : PSS_LATEST_MINOR;

// ---------------------------------------------------------------------------------------------
// Public API

const LEVELS: readonly PssLevel[] = ['privileged', 'baseline', 'restricted'];
const VERSION = /^v1\.(0|[1-9][0-9]*)$/;

/** True for a valid Pod Security level: `privileged`, `baseline` or `restricted` (exact). */
export function isPssLevel(text: string): text is PssLevel {
  return (LEVELS as readonly string[]).includes(text);
}

/** True for a valid Pod Security version: `latest` or `v1.<minor>` without leading zeros. */
export function isPssVersion(text: string): boolean {
  return text === 'latest' || VERSION.test(text);
}

/** Parses `LEVEL[:VERSION]` (`restricted`, `baseline:v1.25`, `restricted:latest`); throws a usage error. */
export function parsePssPolicy(text: string): PssPolicy {
  const colon = text.indexOf(':');
  const level = colon < 0 ? text : text.slice(0, colon);
  const version = colon < 0 ? 'latest' : text.slice(colon + 1);
  const problem = !isPssLevel(level)
    ? `level ${JSON.stringify(level)} must be one of privileged, baseline, restricted`
    : !isPssVersion(version)
      ? `version ${JSON.stringify(version)} must be "latest" or "v1.x" (for example v1.30)`
      : undefined;
  if (problem !== undefined) {
    throw new MamoriError(
      'usage',
      `invalid Pod Security policy ${JSON.stringify(text)}: ${problem}; expected LEVEL[:VERSION], e.g. restricted:latest or baseline:v1.30`,
    );
  }
  return { level: level as PssLevel, version };
}

/**
 * The policy minor a version evaluates at: `latest`, or a version newer than `maxMinor`
 * (the target Kubernetes minor, at most PSS_LATEST_MINOR), resolves to `maxMinor`.
 * An invalid version resolves like `latest`, as PSA does for an invalid version label.
 */
export function resolvePssMinor(version: string, maxMinor: number = PSS_LATEST_MINOR): number {
  const max = clampMinor(maxMinor);
  const match = VERSION.exec(version);
  if (match === null) return max;
  return Math.min(Number(match[1]), max);
}

/** The checks a level evaluates at a policy minor, in PSA order, overrides applied. */
export function activePssChecks(level: PssLevel, minor: number): readonly PssCheckId[] {
  const lists = ACTIVE[clampMinor(minor)];
  if (lists === undefined || level === 'privileged') return [];
  return level === 'baseline' ? lists.baseline : lists.restricted;
}

/**
 * The baseline checks a restricted check replaces at a policy minor (`capabilities_restricted`
 * replaces `capabilities_baseline`): a pod that fails them fails it too.
 */
export function pssOverrides(id: PssCheckId, minor: number): readonly PssCheckId[] {
  return INFLATED[clampMinor(minor)]?.get(id)?.overrides ?? [];
}

/** The restricted check that replaces a baseline check at a policy minor, if one does. */
export function pssOverriddenBy(id: PssCheckId, minor: number): PssCheckId | undefined {
  const active = INFLATED[clampMinor(minor)];
  if (active === undefined) return undefined;
  for (const [other, impl] of active) if (impl.overrides?.includes(id) === true) return other;
  return undefined;
}

/**
 * Runs one check at a policy minor, after the API-server defaulting of spec §2.4.
 * Undefined when allowed or when the check has no implementation at that minor.
 */
export function runPssCheck(id: PssCheckId, input: PssPodInput, minor: number): PssResult | undefined {
  const impl = INFLATED[clampMinor(minor)]?.get(id);
  if (impl === undefined) return undefined;
  const failure = impl.fn(viewOf(input), annotationsOf(input.metadata));
  return failure === undefined ? undefined : { checkId: id, ...failure };
}

/** The failing checks of a pod under a policy, in PSA order; `maxMinor` caps what `latest` means. */
export function evaluatePodSecurity(input: PssPodInput, policy: PssPolicy, maxMinor?: number): PssResult[] {
  const minor = resolvePssMinor(policy.version, maxMinor);
  const results: PssResult[] = [];
  for (const id of activePssChecks(policy.level, minor)) {
    const result = runPssCheck(id, input, minor);
    if (result !== undefined) results.push(result);
  }
  return results;
}

/** PSA's ForbiddenDetail: `reason (detail)` per failing check, joined by ", ". */
export function formatPssResults(results: readonly PssResult[]): string {
  return results
    .map((r) => {
      const reason = r.reason === '' ? 'unknown forbidden reason' : r.reason;
      return r.detail === '' ? reason : `${reason} (${r.detail})`;
    })
    .join(', ');
}

/**
 * `violates PodSecurity "<level>:<version>": <detail>` for a pod-bearing object, or undefined
 * when it is allowed or carries no pod template. The version prints as written, not resolved.
 */
export function podSecurityViolation(object: JsonObject, policy: PssPolicy): string | undefined {
  const template = podSpecOf(object);
  if (template === undefined) return undefined;
  const input: PssPodInput = { kind: asString(object['kind']) ?? '', metadata: template.metadata, spec: template.spec };
  const results = evaluatePodSecurity(input, policy);
  if (results.length === 0) return undefined;
  return `violates PodSecurity "${policy.level}:${policy.version}": ${formatPssResults(results)}`;
}

/** The API server's enforce denial: `pods "<name>" is forbidden: violates PodSecurity ...`. */
export function podSecurityDenial(object: JsonObject, policy: PssPolicy): string | undefined {
  const violation = podSecurityViolation(object, policy);
  if (violation === undefined) return undefined;
  const name = asString(asObject(object['metadata'])?.['name']) ?? '';
  return name === '' ? `pods is forbidden: ${violation}` : `pods ${goQuote(name)} is forbidden: ${violation}`;
}
