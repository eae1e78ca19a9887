/** The rule id of a ValidatingAdmissionPolicy's findings in a scan (src/policy/rules.ts). */
export function policyRuleId(policy: string): string {
  return `policy:${policy}`;
}
