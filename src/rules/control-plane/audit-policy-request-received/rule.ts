import { defineRule } from '../../../engine/rule.js';
import { isAuditPolicy, parsePolicy } from '../../../k8s/control-plane/audit-policy.js';

export const rule = defineRule({
  id: 'audit-policy-request-received',
  title: 'Audit policy records the RequestReceived stage',
  severity: 'info',
  target: 'object',
  kinds: ['Policy'],
  controls: ['OBS-1'],
  frameworks: { nsa: ['Kubernetes native audit logging configuration'] },
  optional: true,
  description:
    'Every request produces an event at RequestReceived and another at ResponseComplete with the same metadata. Unless RequestReceived is omitted, the audit log roughly doubles in volume, which shortens the history kept by size-based rotation and raises the cost of shipping it, for little extra information.',
  remediation: 'Add `omitStages: ["RequestReceived"]` at the top level of the Policy (or to each rule that records events).',
  *check({ object }) {
    if (!isAuditPolicy(object)) return;
    const policy = parsePolicy(object);
    // A policy the API server refuses is reported by audit-policy-no-catch-all.
    if (policy.invalidLevels.length > 0 || policy.omitStages.includes('RequestReceived')) return;
    const first = policy.rules.find((r) => r.level !== undefined && r.level !== 'None' && !r.omitStages.includes('RequestReceived'));
    if (first === undefined) return;
    yield {
      path: first.path,
      message: `rules[${first.index}] (level ${first.level ?? ''}) records the RequestReceived stage and the policy does not omit it: every request it matches is logged twice`,
    };
  },
});
