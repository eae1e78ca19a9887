/**
 * Exceptions narrowed to containers, applied to fixes. A finding that points into an excepted
 * container and into others is not suppressed (the exception does not cover all of it), but the
 * exception still says that container's setting is deliberate: its fix leaves that container as
 * it is and fixes the others. A pod-level setting that an excepted container inherits (a
 * `seccompProfile` or `runAsNonRoot` it does not set itself) is first copied onto that container,
 * so it keeps it, or, when the pod does not set it either, left alone as well.
 */
import { Exceptions, type ExceptionSpec } from '../engine/exceptions.js';
import type { PatchOperation } from '../engine/rule.js';
import { asObject, asString } from '../k8s/object.js';
import { containersOf, podSpecOf } from '../k8s/pod.js';
import { APPARMOR_PREFIX, SECCOMP_CONTAINER_PREFIX, SECCOMP_POD_ANNOTATION } from '../rules/pss/constants.js';
import type { Finding, JsonObject, JsonValue } from '../types.js';
import { parsePointer, setField } from './ops.js';

const CONTAINER_FIELDS: ReadonlySet<string> = new Set(['containers', 'initContainers', 'ephemeralContainers']);

/** Annotations that set something for one container, named after their prefix. */
const CONTAINER_ANNOTATIONS = [SECCOMP_CONTAINER_PREFIX, APPARMOR_PREFIX];

/** What an operation of a fix changes: one container's setting, a pod-level securityContext field, or something else. */
type Scope = { container: string } | { podField: string } | undefined;

const isEmptyObject = (value: JsonValue | undefined): boolean =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;

/** Where the operations of a fix land in a pod-bearing object. */
interface Layout {
  /** Path of the pod spec, and of the template's annotations, as pointer tokens. */
  spec: readonly string[];
  annotations: readonly string[];
}

const startsWith = (tokens: readonly string[], prefix: readonly string[]): boolean => prefix.every((step, i) => step === tokens[i]);

/** What an operation on `object` changes, from its path's tokens. */
function scopeOf(object: JsonObject, tokens: readonly string[], layout: Layout): Scope {
  let node: JsonValue | undefined = object;
  for (let i = 0; i < tokens.length && node !== undefined; i++) {
    const token = tokens[i] as string;
    const next = tokens[i + 1];
    if (CONTAINER_FIELDS.has(token) && next !== undefined && /^\d+$/.test(next)) {
      const list = asObject(node)?.[token];
      if (Array.isArray(list)) return { container: asString(asObject(list[Number(next)])?.['name']) ?? '' };
    }
    node = Array.isArray(node) ? node[Number(token)] : asObject(node)?.[token];
  }
  const { spec, annotations } = layout;
  if (tokens.length === annotations.length + 1 && startsWith(tokens, annotations)) {
    const key = tokens[annotations.length] as string;
    if (key === SECCOMP_POD_ANNOTATION) return { podField: 'seccompProfile' };
    const prefix = CONTAINER_ANNOTATIONS.find((p) => key.startsWith(p));
    if (prefix !== undefined) return { container: key.slice(prefix.length) };
  }
  if (tokens.length > spec.length + 1 && tokens[spec.length] === 'securityContext' && startsWith(tokens, spec)) return { podField: tokens[spec.length + 1] as string };
  return undefined;
}

/** The fixes' view of the configuration's exceptions. */
export class FixExceptions {
  private readonly exceptions: Exceptions;

  constructor(specs: readonly ExceptionSpec[], now: Date) {
    // A copy of its own: what it matches is not counted in the scan's report of the exceptions.
    this.exceptions = new Exceptions(specs.filter((s) => s.container !== undefined), now);
  }

  /**
   * The operations of a finding's fix (paths from the root of `object`) that leave alone the
   * containers an exception of its rule names, and the names of the containers left alone.
   */
  filter(finding: Finding, object: JsonObject, ops: readonly PatchOperation[]): { ops: PatchOperation[]; excepted: string[] } {
    const template = this.exceptions.empty ? undefined : podSpecOf(object);
    if (template === undefined) return { ops: [...ops], excepted: [] };
    const excepted = containersOf(template.spec, template.specPath).filter((c) => this.exceptions.match(finding.ruleId, finding.object, [c.name]) !== undefined);
    if (excepted.length === 0) return { ops: [...ops], excepted: [] };
    const names = new Set(excepted.map((c) => c.name));
    // A pod-level field reaches every excepted container that does not set it itself.
    const inheriting = (field: string): typeof excepted => excepted.filter((c) => asObject(c.container['securityContext'])?.[field] === undefined);
    const pod = asObject(template.spec['securityContext']);
    const layout: Layout = { spec: template.specPath.map(String), annotations: [...template.root.map(String), 'metadata', 'annotations'] };
    // A pod-level value the fix changes is first written on the excepted containers that inherit
    // it, so they keep it; without a pod-level value to keep, the change is left out.
    const pinned: PatchOperation[] = [];
    const pinnedFields = new Set<string>();
    const kept = ops.filter((op) => {
      const scope = scopeOf(object, parsePointer(op.path) ?? [], layout);
      if (scope === undefined) return true;
      if ('container' in scope) return !names.has(scope.container);
      const heirs = inheriting(scope.podField);
      if (heirs.length === 0) return true;
      const value = pod?.[scope.podField];
      if (value === undefined || value === null) return false;
      if (!pinnedFields.has(scope.podField)) {
        pinnedFields.add(scope.podField);
        for (const c of heirs) pinned.push(...setField(object, [...c.path, 'securityContext', scope.podField], structuredClone(value)));
      }
      return true;
    });
    if (kept.length === ops.length) return { ops: [...pinned, ...kept], excepted: [] };
    // A parent created only for operations that were left out goes with them.
    const out = kept.filter((op) => op.op !== 'add' || !isEmptyObject(op.value) || kept.some((other) => other.path.startsWith(`${op.path}/`)));
    return { ops: [...pinned, ...out], excepted: [...names] };
  }
}
