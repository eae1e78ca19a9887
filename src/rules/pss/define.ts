import { defineRule } from '../../engine/rule.js';
import type { Frameworks, PssContext, RuleSpec, Violation } from '../../engine/rule.js';
import type { Path, Severity } from '../../types.js';
import { activePssChecks, pssCheckLevel, pssOverriddenBy, pssOverrides, runPssCheck } from './psa.js';
import type { PssCheckId } from './psa.js';
import type { PssFix } from './fixes.js';
import { isIncompletePodSpec } from '../../k8s/pod.js';
import { readPath } from '../../fix/ops.js';

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
      // is merged into a base elsewhere: what it leaves unset may be set there, what it sets is its own.
      if (isIncompletePodSpec(input.spec) && result.paths.every((path) => readPath(input.object, [...input.root, ...path]) === undefined)) return NONE;
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
