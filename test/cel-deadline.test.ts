import { describe, expect, it } from 'vitest';
import { defineRule } from '../src/engine/rule.js';
import { scanObjects } from '../src/engine/scan.js';
import { DeadlineExceeded } from '../src/errors.js';
import { compile, evaluate, withDeadline, type CelProgram } from '../src/policy/cel.js';
import { evaluatePolicies, loadPolicies } from '../src/policy/vap.js';
import type { JsonObject } from '../src/types.js';

function program(expression: string): CelProgram {
  const compiled = compile(expression, { variables: ['object'] });
  if (!compiled.ok) throw new Error(compiled.error);
  return compiled.program;
}

/** 1,000 keys: a comprehension over them inside one over them is a million steps. */
const data: Record<string, string> = {};
for (let i = 0; i < 1000; i++) data[`k${i}`] = `v${i}`;
const object = { data };
const SQUARE = 'object.data.all(k, object.data.all(j, object.data[j] != "x"))';
const MAX = { maxSteps: 10_000_000 };

describe('CEL evaluation deadline', () => {
  it('stops an expression that runs past it, and only inside withDeadline', () => {
    const square = program(SQUARE);
    // Without a deadline the expression runs to its end (a million steps).
    const full = evaluate(square, { object }, MAX);
    expect(full).toMatchObject({ ok: true, value: true });
    expect(full.cost).toBeGreaterThan(1_000_000);
    expect(() => withDeadline(performance.now() + 5, () => evaluate(square, { object }, MAX))).toThrow(DeadlineExceeded);
    // The deadline is gone once withDeadline returns.
    expect(evaluate(square, { object }, MAX)).toMatchObject({ ok: true, value: true });
  });

  it('evaluates nothing once the deadline has passed, even an expression of no cost', () => {
    const constant = program('1 == 1');
    expect(() => withDeadline(performance.now() - 1, () => evaluate(constant, { object }))).toThrow(DeadlineExceeded);
    expect(withDeadline(performance.now() + 60_000, () => evaluate(constant, { object }))).toMatchObject({ ok: true, value: true });
  });

  it('is not absorbed by an operator or a comprehension that absorbs errors', () => {
    for (const expression of [`${SQUARE} || true`, `true && (${SQUARE} || true)`, `[1, 2].exists(i, ${SQUARE} || i == 2)`]) {
      const absorbing = program(expression);
      expect(evaluate(absorbing, { object }, MAX)).toMatchObject({ ok: true, value: true });
      expect(() => withDeadline(performance.now() + 5, () => evaluate(absorbing, { object }, MAX)), expression).toThrow(DeadlineExceeded);
    }
  });

  it('keeps the sooner of two nested deadlines, and restores the outer one', () => {
    const square = program(SQUARE);
    const later = performance.now() + 60_000;
    expect(() => withDeadline(performance.now() + 5, () => withDeadline(later, () => evaluate(square, { object }, MAX)))).toThrow(DeadlineExceeded);
    const outer = withDeadline(later, () => {
      expect(() => withDeadline(performance.now() + 5, () => evaluate(square, { object }, MAX))).toThrow(DeadlineExceeded);
      return evaluate(square, { object }, MAX);
    });
    expect(outer).toMatchObject({ ok: true, value: true });
  });

  it('abandons a whole ValidatingAdmissionPolicy evaluation, not one validation', () => {
    const policy: JsonObject = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: 'costly' },
      spec: {
        failurePolicy: 'Ignore',
        matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }] },
        validations: Array.from({ length: 10 }, () => ({ expression: SQUARE })),
      },
    };
    const binding: JsonObject = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: 'costly' }, spec: { policyName: 'costly', validationActions: ['Deny'] } };
    const set = loadPolicies([policy, binding]);
    expect(set.errors).toEqual([]);
    // 900 keys: each validation stays within the per-expression limit (810,900 steps).
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big', namespace: 'shop' }, data: Object.fromEntries(Object.entries(data).slice(0, 900)) };
    const input = { object: configMap, oldObject: null, operation: 'CREATE' as const, userInfo: { username: 'dev', uid: '1', groups: [], extra: {} }, name: 'big', namespace: 'shop', dryRun: false };
    const started = performance.now();
    expect(() => withDeadline(started + 50, () => evaluatePolicies(input, set))).toThrow(DeadlineExceeded);
    // Without it, all ten validations run (8 million steps in all) and pass.
    const full = evaluatePolicies(input, set);
    expect(full.allowed).toBe(true);
    expect(full.outcomes.map((o) => [o.policy, o.binding, o.decisions.length])).toEqual([['costly', 'costly', 0]]);
  });
});

describe('scan deadline', () => {
  it('stops the scan when a rule runs past it, rather than reporting a rule error', () => {
    const square = program(SQUARE);
    // A rule that evaluates CEL, as the policy rules of a scan do.
    const costly = defineRule({
      id: 'test-costly',
      title: 'Evaluates a costly expression',
      severity: 'info',
      target: 'object',
      controls: ['DEV-2'],
      description: 'A test rule that spends a million CEL steps on each object.',
      remediation: 'Nothing to do.',
      check: ({ object: o }) => {
        const r = evaluate(square, { object: o }, MAX);
        return r.ok ? [] : [{ path: [], message: r.error }];
      },
    });
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big', namespace: 'shop' }, data };
    expect(() => withDeadline(performance.now() + 5, () => scanObjects([configMap], { rules: [costly] }))).toThrow(DeadlineExceeded);
    // A rule that throws anything else is that rule's error, and the scan goes on.
    const report = scanObjects([configMap], { rules: [costly], deadline: performance.now() + 60_000 });
    expect(report.errors).toEqual([]);
    expect(report.findings).toEqual([]);
    expect(() => scanObjects([configMap, configMap], { rules: [costly], deadline: performance.now() - 1 })).toThrow(DeadlineExceeded);
  });
});
