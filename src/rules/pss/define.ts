import { defineRule } from '../../engine/rule.js';
import type { Frameworks, RuleSpec, Violation } from '../../engine/rule.js';
import type { Path, Severity } from '../../types.js';
import { activePssChecks, pssCheckLevel, runPssCheck } from './psa.js';
import type { PssCheckId } from './psa.js';
import type { PssFix } from './fixes.js';

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
}

/**
 * A pod rule for one Pod Security Admission check: silent when the scan's level and version do
 * not run that check (or a restricted check overrides it), else one violation carrying PSA's
 * exact `reason (detail)` and every offending field.
 */
export function definePssRule(meta: PssRuleMeta): RuleSpec<'pod'> {
  const { checkId, fix, frameworks, ...rest } = meta;
  const level = pssCheckLevel(checkId);
  return defineRule({
    ...rest,
    target: 'pod',
    frameworks: { pss: [`${level}:${checkId}`], ...frameworks },
    // An array, not a generator: this runs for every pod template and rule of the level.
    check(input, ctx) {
      if (!activePssChecks(ctx.pss.level, ctx.pss.minor).includes(checkId)) return NONE;
      const result = runPssCheck(checkId, { kind: input.kind, metadata: input.metadata, spec: input.spec }, ctx.pss.minor);
      if (result === undefined) return NONE;
      const [first, ...others] = result.paths.map((path): Path => [...input.root, ...path]);
      const violation: Violation = {
        path: first ?? input.specPath,
        message: result.detail === '' ? result.reason : `${result.reason} (${result.detail})`,
      };
      if (others.length > 0) violation.paths = others;
      if (fix !== undefined) {
        const ops = fix(input, result);
        if (ops !== undefined) violation.fix = ops;
      }
      return [violation];
    },
  });
}

const NONE: readonly Violation[] = Object.freeze([]);
