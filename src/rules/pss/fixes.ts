/**
 * The automatic fixes of the Pod Security rules (`mamori fix`). A fix only tightens the pod's
 * security settings, never what it runs (image, command, args, ports, volumes), and is offered
 * only when it makes the rule's finding go away; where the only remedy changes what the pod does
 * (a hostPath, a host port, a sysctl, host networking, a UID), the rule has none.
 *
 * Each function is called only for a pod that fails its check, and returns the fix as a closure,
 * or undefined when this pod has no safe fix.
 */
import type { PatchOperation, PodInput } from '../../engine/rule.js';
import { asArray, asObject, asString } from '../../k8s/object.js';
import { containersOf } from '../../k8s/pod.js';
import { appendItem, readPath, removeField, setField } from '../../fix/ops.js';
import type { JsonObject, JsonValue, Path } from '../../types.js';
import { SECCOMP_CONTAINER_PREFIX, SECCOMP_POD_ANNOTATION } from './constants.js';
import { BASELINE_CAPABILITIES, type PssResult } from './psa.js';

/** Makes a PSS rule's fix from the failing pod and PSA's result (paths relative to the template root). */
export type PssFix = (input: PodInput, result: PssResult) => (() => PatchOperation[]) | undefined;

const RUNTIME_DEFAULT: JsonObject = { type: 'RuntimeDefault' };

const windows = (input: PodInput): boolean => asObject(input.spec['os'])?.['name'] === 'windows';

/** The offending fields of a result as paths from the object root. */
const offending = (input: PodInput, result: PssResult): Path[] => result.paths.map((p) => [...input.root, ...p]);

/** Sets every offending field to `value`. */
const setEach =
  (value: JsonValue): PssFix =>
  (input, result) =>
  () =>
    offending(input, result).flatMap((path) => setField(input.object, path, value));

/** True for a container that mounts a volume with Bidirectional propagation. */
const bidirectional = (container: JsonValue | undefined): boolean =>
  asArray(asObject(container)?.['volumeMounts']).some((mount) => asObject(mount)?.['mountPropagation'] === 'Bidirectional');

/**
 * `privileged: true` → `false`, on each privileged container that does not mount a volume with
 * Bidirectional propagation: the API server allows that only in a privileged container (it
 * rejects the pod otherwise), so such a container keeps its setting and the pod's finding stays.
 */
export const fixPrivileged: PssFix = (input, result) => {
  // The offending field is `<container>.securityContext.privileged`.
  const paths = offending(input, result).filter((path) => !bidirectional(readPath(input.object, path.slice(0, -2))));
  if (paths.length === 0) return undefined;
  return () => paths.flatMap((path) => setField(input.object, path, false));
};

/** `procMount: Unmasked` → `Default`. */
export const fixProcMount: PssFix = setEach('Default');

/**
 * `hostPID` / `hostIPC` → `false`. A pod on the host's network gets no fix: the ports it serves
 * would move from the node's addresses to the pod's, and such a pod is a node agent that most
 * likely needs the other host namespaces too.
 */
export const fixHostNamespaces: PssFix = (input, result) => (input.spec['hostNetwork'] === true ? undefined : setEach(false)(input, result));

/** SELinux type, user and role removed (the level stays); an options object left empty goes too. */
export const fixSeLinuxOptions: PssFix = (input, result) => () => {
  const byOptions = new Map<string, { at: Path; fields: Set<string> }>();
  for (const path of offending(input, result)) {
    const at = path.slice(0, -1);
    const key = JSON.stringify(at);
    const entry = byOptions.get(key) ?? { at, fields: new Set<string>() };
    entry.fields.add(String(path[path.length - 1]));
    byOptions.set(key, entry);
  }
  const ops: PatchOperation[] = [];
  for (const { at, fields } of byOptions.values()) {
    const options = asObject(readPath(input.object, at)) ?? {};
    if (Object.keys(options).every((k) => fields.has(k))) ops.push(removeField(at));
    else for (const field of fields) ops.push(removeField([...at, field]));
  }
  return ops;
};

/** Names of the capability that `allowPrivilegeEscalation: false` cannot be combined with. */
const SYS_ADMIN: ReadonlySet<string> = new Set(['SYS_ADMIN', 'CAP_SYS_ADMIN']);

/**
 * `allowPrivilegeEscalation: false` on every offending container that can take it. The API server
 * rejects it on a privileged container or one that adds SYS_ADMIN, so such a container is left out
 * until those are fixed (by pss-privileged and pss-capabilities-*, which `mamori fix` applies in
 * an earlier round); Windows pods, which cannot carry the field, get none.
 */
export const fixAllowPrivilegeEscalation: PssFix = (input, result) => {
  if (windows(input)) return undefined;
  const refused = (path: Path): boolean => {
    const sc = asObject(readPath(input.object, path.slice(0, -1)));
    if (sc === undefined) return false;
    return sc['privileged'] === true || asArray(asObject(sc['capabilities'])?.['add']).some((cap) => typeof cap === 'string' && SYS_ADMIN.has(cap));
  };
  const paths = offending(input, result).filter((path) => !refused(path));
  if (paths.length === 0) return undefined;
  return () => paths.flatMap((path) => setField(input.object, path, false));
};

/** Operations that keep only the allowed entries of each container's `capabilities.add`. */
function filterAdds(input: PodInput, allowed: (cap: string) => boolean): PatchOperation[] {
  const ops: PatchOperation[] = [];
  for (const c of containersOf(input.spec, input.specPath)) {
    const at: Path = [...c.path, 'securityContext', 'capabilities', 'add'];
    const adds = asArray(readPath(input.object, at));
    const kept = adds.filter((cap) => typeof cap !== 'string' || allowed(cap));
    if (kept.length === adds.length) continue;
    ops.push(...(kept.length === 0 ? [removeField(at)] : setField(input.object, at, kept)));
  }
  return ops;
}

/** Capabilities added beyond the runtime's default set are removed from `capabilities.add`. */
export const fixCapabilitiesBaseline: PssFix = (input) => () => filterAdds(input, (cap) => BASELINE_CAPABILITIES.has(cap));

/** `capabilities.drop` gets `ALL` on every container, and `capabilities.add` keeps only NET_BIND_SERVICE. */
export const fixCapabilitiesRestricted: PssFix = (input) => {
  if (windows(input)) return undefined;
  return () => {
    const ops: PatchOperation[] = [];
    for (const c of containersOf(input.spec, input.specPath)) {
      const drop = asArray(asObject(asObject(c.container['securityContext'])?.['capabilities'])?.['drop']);
      if (!drop.includes('ALL')) ops.push(...appendItem(input.object, [...c.path, 'securityContext', 'capabilities', 'drop'], 'ALL'));
    }
    return [...ops, ...filterAdds(input, (cap) => cap === 'NET_BIND_SERVICE')];
  };
};

const validProfile = (profile: JsonObject): boolean => {
  const type = asString(profile['type']);
  return type === 'RuntimeDefault' || type === 'Localhost';
};

/**
 * A place that sets a seccomp profile: a securityContext (the pod's first, then each container's)
 * with its path from the object root, and the deprecated annotation that goes with it.
 */
interface SeccompPlace {
  sc: JsonObject | undefined;
  at: Path;
  annotation: string;
}

function seccompPlaces(input: PodInput): SeccompPlace[] {
  const out: SeccompPlace[] = [{ sc: asObject(input.spec['securityContext']), at: [...input.specPath, 'securityContext'], annotation: SECCOMP_POD_ANNOTATION }];
  for (const c of containersOf(input.spec, input.specPath)) {
    out.push({ sc: asObject(c.container['securityContext']), at: [...c.path, 'securityContext'], annotation: SECCOMP_CONTAINER_PREFIX + c.name });
  }
  return out;
}

const annotationsPath = (input: PodInput): Path => [...input.root, 'metadata', 'annotations'];

const annotationOf = (input: PodInput, key: string): string | undefined => asString(asObject(input.metadata['annotations'])?.[key]);

/**
 * Whether a seccomp annotation agrees with a profile field, as the API server compares them when
 * a pod sets both (validateSeccompAnnotationsAndFieldsMatch): it rejects a pod where they disagree.
 */
function agrees(annotation: string, profile: JsonObject): boolean {
  switch (asString(profile['type'])) {
    case 'Unconfined':
      return annotation === 'unconfined';
    case 'RuntimeDefault':
      return annotation === 'runtime/default' || annotation === 'docker/default';
    case 'Localhost': {
      const name = asString(profile['localhostProfile']);
      return name !== undefined && annotation === `localhost/${name}`;
    }
    default:
      return true;
  }
}

/** The profile field a seccomp annotation names, for the allowed ones (`runtime/default`, `docker/default`, `localhost/<profile>`). */
function profileOfAnnotation(annotation: string | undefined): JsonObject | undefined {
  if (annotation === 'runtime/default' || annotation === 'docker/default') return RUNTIME_DEFAULT;
  if (annotation?.startsWith('localhost/') === true && annotation.length > 'localhost/'.length) return { type: 'Localhost', localhostProfile: annotation.slice('localhost/'.length) };
  return undefined;
}

/**
 * Sets a place's seccomp profile to RuntimeDefault, and its annotation to `runtime/default` when
 * the pod has one that would disagree with the field.
 */
function setRuntimeDefault(input: PodInput, place: SeccompPlace): PatchOperation[] {
  const ops = setField(input.object, [...place.at, 'seccompProfile'], RUNTIME_DEFAULT);
  const annotation = annotationOf(input, place.annotation);
  if (annotation !== undefined && !agrees(annotation, RUNTIME_DEFAULT)) ops.push(...setField(input.object, [...annotationsPath(input), place.annotation], 'runtime/default'));
  return ops;
}

/** Operations that turn every seccomp profile other than RuntimeDefault or Localhost into RuntimeDefault. */
function fixBadSeccomp(input: PodInput, places: readonly SeccompPlace[]): PatchOperation[] {
  const ops: PatchOperation[] = [];
  for (const place of places) {
    const profile = asObject(place.sc?.['seccompProfile']);
    if (profile !== undefined && !validProfile(profile)) ops.push(...setRuntimeDefault(input, place));
  }
  return ops;
}

const samePath = (a: Path, b: Path): boolean => a.length === b.length && a.every((step, i) => step === b[i]);

/**
 * An Unconfined (or unknown) seccomp profile becomes RuntimeDefault; before policy v1.19, the
 * seccomp annotations that name another profile are set to `runtime/default`. The annotation and
 * the field of one place are kept in agreement: the other one is changed too when it is set.
 */
export const fixSeccompBaseline: PssFix = (input, result) => () => {
  const places = seccompPlaces(input);
  return offending(input, result).flatMap((path) => {
    if (path[path.length - 2] === 'annotations') {
      const ops = setField(input.object, path, 'runtime/default');
      const place = places.find((p) => p.annotation === path[path.length - 1]);
      const profile = asObject(place?.sc?.['seccompProfile']);
      if (place !== undefined && profile !== undefined && !agrees('runtime/default', profile)) ops.push(...setField(input.object, [...place.at, 'seccompProfile'], RUNTIME_DEFAULT));
      return ops;
    }
    // The offending field is `<securityContext>.seccompProfile.type`.
    const place = places.find((p) => samePath(p.at, path.slice(0, -2)));
    return place === undefined ? setField(input.object, path.slice(0, -1), RUNTIME_DEFAULT) : setRuntimeDefault(input, place);
  });
};

/**
 * Every profile other than RuntimeDefault or Localhost becomes RuntimeDefault, and a pod whose
 * containers do not all set one gets a pod-level profile: the one its seccomp annotation names
 * when that is an allowed one (so that field and annotation agree), else RuntimeDefault.
 */
export const fixSeccompRestricted: PssFix = (input) => {
  if (windows(input)) return undefined;
  return () => {
    const places = seccompPlaces(input);
    const ops = fixBadSeccomp(input, places);
    const [pod, ...containers] = places;
    if (pod === undefined || asObject(pod.sc?.['seccompProfile']) !== undefined) return ops;
    if (containers.some(({ sc }) => asObject(sc?.['seccompProfile']) === undefined)) {
      const named = profileOfAnnotation(annotationOf(input, pod.annotation));
      ops.push(...(named === undefined ? setRuntimeDefault(input, pod) : setField(input.object, [...pod.at, 'seccompProfile'], named)));
    }
    return ops;
  };
};

/**
 * An Unconfined (or unknown) AppArmor profile, field or annotation, is removed: the runtime's
 * default profile then applies where the node has AppArmor. Setting RuntimeDefault explicitly
 * instead would make the kubelet reject the pod on nodes without AppArmor.
 */
export const fixAppArmor: PssFix = (input, result) => () =>
  offending(input, result).map((path) => removeField(path[path.length - 1] === 'type' ? path.slice(0, -1) : path));

/**
 * `runAsNonRoot: true` at the pod level, for a pod that leaves it unset. The image must then run
 * as a non-root numeric user, or the kubelet refuses to start the container (a visible failure,
 * never a silent change). A pod or container that sets `runAsNonRoot: false` or `runAsUser: 0`
 * says it runs as root on purpose, and would certainly not start: it gets no fix.
 */
export const fixRunAsNonRoot: PssFix = (input) => {
  const explicit = (sc: JsonObject | undefined): boolean => sc?.['runAsNonRoot'] === false || sc?.['runAsUser'] === 0;
  if (explicit(asObject(input.spec['securityContext']))) return undefined;
  for (const c of containersOf(input.spec)) if (explicit(asObject(c.container['securityContext']))) return undefined;
  return () => setField(input.object, [...input.specPath, 'securityContext', 'runAsNonRoot'], true);
};
