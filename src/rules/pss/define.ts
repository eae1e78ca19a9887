import { defineRule } from '../../engine/rule.js';
import type { Frameworks, PodInput, PssContext, RuleSpec, Violation } from '../../engine/rule.js';
import type { JsonObject, Path, Severity } from '../../types.js';
import { activePssChecks, pssCheckLevel, pssOverriddenBy, pssOverrides, runPssCheck } from './psa.js';
import type { PssCheckId } from './psa.js';
import type { PssFix } from './fixes.js';
import { CONTAINER_FIELDS, isIncompletePodSpec } from '../../k8s/pod.js';

/** What a Pod Security rule declares besides its check, which comes from the PSA evaluator. */
export interface PssRuleMeta {
  checkId: PssCheckId;
  id: string;
  title: string;
  severity: Severity;
  controls: string[];
  description: string;
  remediation: string;
  /** CIS, NSA-CISA and Kubescape references; the PSS check is added from `checkId`. */
  frameworks?: Omit<Frameworks, 'pss'>;
  /** The rule's safe automatic fix for a failing pod, if it has one (see fixes.ts). */
  fix?: PssFix;
  /**
   * For a restricted check that replaces a baseline check: the severity of the baseline rule,
   * given to a finding when the pod fails the baseline check too (an added SYS_ADMIN fails both).
   */
  baselineSeverity?: Severity;
}

/**
 * Whether a check runs under the scan's policy: it is one the level evaluates, or a baseline check
 * that a restricted check replaces at this minor while that check's rule does not run (turned off
 * or not selected), so the baseline violations are still reported.
 */
function runs(checkId: PssCheckId, pss: PssContext): boolean {
  if (activePssChecks(pss.level, pss.minor).includes(checkId)) return true;
  if (pss.level !== 'restricted' || pss.running === undefined) return false;
  const by = pssOverriddenBy(checkId, pss.minor);
  return by !== undefined && !pss.running.has(by);
}

/**
 * A pod rule for one Pod Security Admission check: silent when the scan's level and version do
 * not run that check (or a restricted check overrides it), else one violation carrying PSA's
 * exact `reason (detail)` and every offending field.
 */
export function definePssRule(meta: PssRuleMeta): RuleSpec<'pod'> {
  const { checkId, fix, frameworks, baselineSeverity, ...rest } = meta;
  const level = pssCheckLevel(checkId);
  return defineRule({
    ...rest,
    target: 'pod',
    frameworks: { pss: [`${level}:${checkId}`], ...frameworks },
    // An array, not a generator: this runs for every pod template and rule of the level.
    check(input, ctx) {
      if (!runs(checkId, ctx.pss)) return NONE;
      const result = runPssCheck(checkId, { kind: input.kind, metadata: input.metadata, spec: input.spec }, ctx.pss.minor);
      if (result === undefined) return NONE;
      // A Kustomize patch (a pod template without containers, or a container without an image)
      // is merged into a base elsewhere: what it leaves unset may be set there, what it sets (or
      // deletes) is its own, and so is a whole container it adds.
      if (isIncompletePodSpec(input.spec) && !patchOwns(input, result.paths)) return NONE;
      const [first, ...others] = [...result.paths, ...(result.inherited ?? [])].map((path): Path => [...input.root, ...path]);
      const violation: Violation = {
        path: first ?? input.specPath,
        message: result.detail === '' ? result.reason : `${result.reason} (${result.detail})`,
      };
      if (others.length > 0) violation.paths = others;
      if (baselineSeverity !== undefined && pssOverrides(checkId, ctx.pss.minor).some((id) => runPssCheck(id, { kind: input.kind, metadata: input.metadata, spec: input.spec }, ctx.pss.minor) !== undefined)) {
        violation.severity = baselineSeverity;
      }
      if (fix !== undefined) {
        const ops = fix(input, result);
        if (ops !== undefined) violation.fix = ops;
      }
      return [violation];
    },
  });
}

const NONE: readonly Violation[] = Object.freeze([]);

/**
 * Whether a strategic-merge patch decides a field: it sets it, sets it or a field above it to null
 * (which deletes it from the base), or puts a `$patch` directive (`delete`, `replace`) on an object
 * above it.
 */
function setByPatch(object: JsonObject, path: Path): boolean {
  let node: unknown = object;
  for (const step of path) {
    if (node === null) return true;
    if (typeof node !== 'object') return false;
    if (!Array.isArray(node) && Object.hasOwn(node, '$patch')) return true;
    node = (node as Record<string, unknown>)[step as string];
    if (node === undefined) return false;
  }
  return true;
}

/**
 * Whether a failing check is the patch's own: it decides one of the offending fields, or one is in
 * a container the patch adds whole (with an image) and none is at the pod level, where the base
 * may set the value its containers inherit.
 */
function patchOwns(input: PodInput, paths: readonly Path[]): boolean {
  if (paths.some((path) => setByPatch(input.object, [...input.root, ...path]))) return true;
  const inContainer = (path: Path): boolean => path[0] === 'spec' && (CONTAINER_FIELDS as readonly unknown[]).includes(path[1]);
  return paths.every(inContainer) && paths.some((path) => hasImage(input.spec, path[1] as string, path[2]));
}

function hasImage(spec: JsonObject, field: string, index: Path[number] | undefined): boolean {
  const list = spec[field];
  const container = Array.isArray(list) && typeof index === 'number' ? list[index] : undefined;
  const image = container !== null && typeof container === 'object' && !Array.isArray(container) ? (container as JsonObject)['image'] : undefined;
  return typeof image === 'string' && image.trim() !== '';
}
