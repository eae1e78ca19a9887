import { defineRule, type Rule, type Violation } from '../engine/rule.js';
import { loadInput, resolveInputs } from '../load/load.js';
import type { JsonObject, ReportError } from '../types.js';
import { policyRuleId } from './vap-findings.js';
import { evaluatePolicies, loadPolicies, type LoadedPolicy, type LoadResult } from './vap.js';

/*
 * ValidatingAdmissionPolicies as rules of a scan: one rule per policy, `policy:<name>`, judging
 * each object as a CREATE through the policy's bindings. Findings go through the same engine as
 * the catalog's (exceptions, ignore annotations, locations, every format).
 */

const NONE: readonly Violation[] = Object.freeze([]);

/** The rule of one policy; `params` are the candidate parameter objects of the policy files. */
function policyRule(policy: LoadedPolicy, params: readonly JsonObject[]): Rule {
  const loaded = { policies: [policy], params };
  return defineRule({
    id: policyRuleId(policy.name),
    title: `ValidatingAdmissionPolicy ${policy.name}`,
    severity: policy.severity,
    target: 'object',
    controls: ['DEP-1'],
    description: `The organisation's own policy ${policy.name} (a ValidatingAdmissionPolicy), evaluated as the API server would on creating the object.`,
    remediation: "Change the object so that the policy's validations hold, as its message says.",
    check({ object }) {
      const result = evaluatePolicies({ object, operation: 'CREATE' }, loaded);
      const out: Violation[] = [];
      const seen = new Set<string>();
      for (const outcome of result.outcomes) {
        if (!outcome.matched) continue;
        for (const decision of outcome.decisions) {
          if (decision.action !== 'deny' || seen.has(decision.message)) continue;
          seen.add(decision.message);
          out.push({ path: [], message: `ValidatingAdmissionPolicy '${outcome.policy}' with binding '${outcome.binding}' denied request: ${decision.message}` });
        }
      }
      return out.length === 0 ? NONE : out;
    },
  });
}

/** Reads the policy files (`--policy`): their rules, and the errors met (unreadable files, invalid policies). */
export function loadPolicyRules(paths: readonly string[], kubeMinor?: number): { rules: Rule[]; errors: ReportError[] } {
  const { loaded, errors } = readPolicies(paths, kubeMinor);
  return { rules: loaded.policies.map((p) => policyRule(p, loaded.params)), errors };
}

/** Reads ValidatingAdmissionPolicies, their bindings and params from files and directories. */
export function readPolicies(paths: readonly string[], kubeMinor?: number): { loaded: LoadResult; errors: ReportError[] } {
  const errors: ReportError[] = [];
  const { inputs, errors: missing } = resolveInputs(paths);
  errors.push(...missing);
  const objects: JsonObject[] = [];
  // Where each policy and binding is written, to name it in errors.
  const origins = new Map<string, { file: string; line: number }>();
  for (const input of inputs) {
    const file = loadInput(input);
    errors.push(...file.errors);
    for (const o of file.objects) {
      objects.push(o.object);
      origins.set(`${o.ref.kind}/${o.ref.name}`, { file: o.source.file, line: o.source.line });
    }
  }
  const options: { bindUnbound: boolean; kubeMinor?: number } = { bindUnbound: true };
  if (kubeMinor !== undefined) options.kubeMinor = kubeMinor;
  const loaded = loadPolicies(objects, options);
  for (const e of loaded.errors) {
    const at = origins.get(`${e.kind}/${e.name}`);
    const entry: ReportError = { file: at?.file ?? paths.join(', '), message: `${e.kind} ${JSON.stringify(e.name)}: ${e.message}`, code: 'policy' };
    if (at !== undefined) entry.line = at.line;
    errors.push(entry);
  }
  return { loaded, errors };
}
