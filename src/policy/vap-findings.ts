/**
 * ValidatingAdmissionPolicy results as mamori findings (`policy:<name>`), for `mamori scan`.
 * Severity comes from the policy's `mamori.io/severity` annotation (default `high`).
 */
import { objectRef } from '../k8s/object.js';
import type { Finding, JsonObject } from '../types.js';
import type { EvaluationResult } from './vap.js';

/** The rule id of a policy's findings. */
export function policyRuleId(policy: string): string {
  return `policy:${policy}`;
}

/**
 * One finding per denied decision of a matched binding, whatever its validationActions (a scan
 * reports what would be denied, warned or audited). Errors ignored by `failurePolicy: Ignore`
 * produce no finding. The message is the apiserver's text (`ValidatingAdmissionPolicy '<p>' with
 * binding '<b>' denied request: <message>`); `path` is empty (CEL does not say which field failed).
 */
export function policyFindings(result: EvaluationResult, object: JsonObject): Finding[] {
  const findings: Finding[] = [];
  const ref = objectRef(object);
  const seen = new Set<string>();
  for (const outcome of result.outcomes) {
    if (!outcome.matched) continue;
    for (const d of outcome.decisions) {
      if (d.action !== 'deny') continue;
      const message = `ValidatingAdmissionPolicy '${outcome.policy}' with binding '${outcome.binding}' denied request: ${d.message}`;
      const key = `${outcome.policy}\u0000${d.message}`;
      if (seen.has(key)) continue; // the same failure through several bindings is one finding
      seen.add(key);
      findings.push({
        ruleId: policyRuleId(outcome.policy),
        title: `ValidatingAdmissionPolicy ${outcome.policy}`,
        severity: outcome.severity,
        controls: [],
        phase: 'deploy',
        object: ref,
        path: '',
        message,
      });
    }
  }
  return findings;
}
