/**
 * The API server's CEL cost limits for ValidatingAdmissionPolicies (apiserver `pkg/apis/cel/config.go`,
 * `admission/plugin/cel/activation.go`, `policy/validating/validator.go`): PerCallLimit 1,000,000
 * per expression; RuntimeCELCostBudget 10,000,000 per (binding, param) evaluation, shared by the
 * validations, then the messageExpressions; RuntimeCELCostBudgetMatchConditions 2,500,000 for the
 * matchConditions; a budget of their own for the auditAnnotations. An authorization check costs
 * 350,000 (apiserver `library.CostEstimator`), which gives exact costs to build budgets from:
 * TWO below costs 2 × 350,000 plus a few units for the builders.
 */
import { describe, expect, it } from 'vitest';
import { rbacAuthorizer } from '../src/policy/cel-authz.js';
import {
  evaluatePolicies, loadPolicies, OUT_OF_BUDGET, PER_CALL_LIMIT, RUNTIME_CEL_COST_BUDGET, RUNTIME_CEL_COST_BUDGET_MATCH_CONDITIONS,
} from '../src/policy/vap.js';
import type { EvaluationInput, LoadResult } from '../src/policy/vap.js';
import type { JsonObject } from '../src/types.js';

const TWO = "authorizer.path('/a').check('get').allowed() && authorizer.path('/b').check('get').allowed()";
// Regex functions charge one unit per 10 characters of their input: 900,000 for BIG, 1,100,000 for HUGE.
const BIG_FIND = "object.data.big.find('^a') == 'a'";

interface Validation { expression: string; message?: string; messageExpression?: string }
interface Spec {
  failurePolicy?: 'Fail' | 'Ignore';
  validations?: Validation[];
  matchConditions?: string[];
  variables?: { name: string; expression: string }[];
  auditAnnotations?: string[];
  bindings?: number;
}

function policy(spec: Spec): LoadResult {
  const objects: JsonObject[] = [{
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: 'budget' },
    spec: {
      failurePolicy: spec.failurePolicy ?? 'Fail',
      matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }] },
      ...(spec.matchConditions ? { matchConditions: spec.matchConditions.map((expression, i) => ({ name: `c${i}`, expression })) } : {}),
      ...(spec.variables ? { variables: spec.variables } : {}),
      ...(spec.validations ? { validations: spec.validations.map((v) => ({ ...v })) } : {}),
      ...(spec.auditAnnotations ? { auditAnnotations: spec.auditAnnotations.map((valueExpression, i) => ({ key: `a${i}`, valueExpression })) } : {}),
    },
  }];
  for (let i = 0; i < (spec.bindings ?? 1); i++) {
    objects.push({
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: `budget-binding${i === 0 ? '' : `-${i}`}` },
      spec: { policyName: 'budget', validationActions: ['Deny'] },
    });
  }
  const loaded = loadPolicies(objects);
  expect(loaded.errors).toEqual([]);
  return loaded;
}

const repeat = <T>(n: number, item: T): T[] => Array.from({ length: n }, () => item);

/** A ConfigMap created by a `system:masters` user (every check allowed, so `&&` evaluates both checks). */
const INPUT: EvaluationInput = {
  object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' }, data: { big: 'a'.repeat(9_000_000), huge: 'a'.repeat(11_000_000) } },
  userInfo: { username: 'admin', groups: ['system:masters'] },
};

const run = (loaded: LoadResult): ReturnType<typeof evaluatePolicies> => evaluatePolicies(INPUT, { ...loaded, authorizer: rbacAuthorizer([]) });

const DENIED_OUT = `ValidatingAdmissionPolicy 'budget' with binding 'budget-binding' denied request: ${OUT_OF_BUDGET}`;

describe('constants', () => {
  it('are the API server\'s', () => {
    expect(PER_CALL_LIMIT).toBe(1_000_000);
    expect(RUNTIME_CEL_COST_BUDGET).toBe(10_000_000);
    expect(RUNTIME_CEL_COST_BUDGET_MATCH_CONDITIONS).toBe(2_500_000);
    expect(OUT_OF_BUDGET).toBe('validation failed due to running out of cost budget, no further validation rules will be run');
  });
});

describe('per-binding budget of the validations', () => {
  it('expressions that each fit the per-call limit but together exceed the budget: failurePolicy Fail denies', () => {
    // 14 × ~700,000 = ~9.8M fits 10M; the 15th validation takes it to ~10.5M.
    expect(run(policy({ validations: repeat(14, { expression: TWO }) })).allowed).toBe(true);
    const r = run(policy({ validations: repeat(15, { expression: TWO }) }));
    expect(r.allowed).toBe(false);
    expect(r.denial?.message).toBe(DENIED_OUT);
    // The whole evaluation becomes one error decision: no further validation is reported.
    expect(r.outcomes[0]?.decisions).toEqual([expect.objectContaining({ action: 'deny', evaluation: 'error', message: OUT_OF_BUDGET, field: 'spec.validations' })]);
  });

  it('failurePolicy Ignore admits', () => {
    const r = run(policy({ failurePolicy: 'Ignore', validations: [...repeat(15, { expression: TWO }), { expression: 'false', message: 'never reached' }] }));
    expect(r.allowed).toBe(true);
    expect(r.outcomes[0]?.decisions).toEqual([expect.objectContaining({ action: 'admit', evaluation: 'error', message: OUT_OF_BUDGET })]);
  });

  it('the validations before the budget runs out do not decide: a failed one is replaced by the budget error', () => {
    const r = run(policy({ validations: [{ expression: 'false', message: 'first fails' }, ...repeat(15, { expression: TWO })] }));
    expect(r.denial?.message).toBe(DENIED_OUT);
    expect(r.outcomes[0]?.decisions).toHaveLength(1);
  });

  it('three checks in one expression exceed the per-call limit: an expression error, not the budget', () => {
    const three = `${TWO} && authorizer.path('/c').check('get').allowed()`;
    const r = run(policy({ validations: [{ expression: three }] }));
    expect(r.denial?.decision.message).toBe(`expression '${three}' resulted in error: operation cancelled: actual cost limit exceeded`);
  });

  it('the budget is per binding: two bindings of ~9.8M each are both evaluated in full', () => {
    const r = run(policy({ validations: [...repeat(14, { expression: TWO }), { expression: 'false', message: 'still evaluated' }], bindings: 2 }));
    expect(r.outcomes.map((o) => o.decisions.map((d) => d.message))).toEqual([['still evaluated'], ['still evaluated']]);
  });

  it('a variable is charged once per evaluation, however often it is used', () => {
    // Evaluated directly, 12 × 900,000 exceeds the budget; through one variable it costs 900,000.
    expect(run(policy({ validations: repeat(12, { expression: BIG_FIND }) })).denial?.message).toBe(DENIED_OUT);
    const r = run(policy({ variables: [{ name: 'big', expression: BIG_FIND }], validations: repeat(12, { expression: 'variables.big' }) }));
    expect(r.allowed).toBe(true);
    expect(r.outcomes[0]?.decisions).toEqual([]);
  });

  it('a variable\'s cost counts against the budget of the expression that first uses it', () => {
    const r = run(policy({
      variables: [{ name: 'big', expression: BIG_FIND }],
      validations: [...repeat(13, { expression: TWO }), { expression: 'variables.big' }],
    }));
    // 13 × ~700,000 + 900,000 = ~10.0M: over the budget by a few units of the builders.
    expect(r.denial?.message).toBe(DENIED_OUT);
    expect(run(policy({ variables: [{ name: 'big', expression: BIG_FIND }], validations: [...repeat(12, { expression: TWO }), { expression: 'variables.big' }] })).allowed).toBe(true);
  });
});

describe('messageExpressions spend what the validations left', () => {
  it('running out there fails every validation with "failed messageExpression"', () => {
    const failing = { expression: 'false', message: 'static', messageExpression: `${BIG_FIND} ? 'from expression' : 'no'` };
    const cheap = run(policy({ validations: [...repeat(10, { expression: TWO }), failing] }));
    expect(cheap.denial?.decision.message).toBe('from expression');
    const r = run(policy({ validations: [...repeat(14, { expression: TWO }), failing] }));
    // ~199,900 left after the validations; the messageExpression needs 900,000.
    expect(r.denial?.message).toBe(`ValidatingAdmissionPolicy 'budget' with binding 'budget-binding' denied request: failed messageExpression: ${OUT_OF_BUDGET}`);
    expect(r.outcomes[0]?.decisions).toHaveLength(15);
    expect(new Set(r.outcomes[0]?.decisions.map((d) => `${d.evaluation} ${d.message}`))).toEqual(new Set([`error failed messageExpression: ${OUT_OF_BUDGET}`]));
  });

  it('the messageExpressions of passing validations spend budget too', () => {
    const r = run(policy({ validations: [...repeat(14, { expression: TWO, messageExpression: `${BIG_FIND} ? 'a' : 'b'` }), { expression: 'false', messageExpression: "'cheap'" }] }));
    expect(r.denial?.decision.message).toBe(`failed messageExpression: ${OUT_OF_BUDGET}`);
    // With budget to spare, they are irrelevant: the failing validation gets its message.
    const spare = run(policy({ validations: [...repeat(2, { expression: TWO, messageExpression: `${BIG_FIND} ? 'a' : 'b'` }), { expression: 'false', messageExpression: "'cheap'" }] }));
    expect(spare.denial?.decision.message).toBe('cheap');
  });

  it('a messageExpression over the per-call limit falls back to the message', () => {
    const r = run(policy({ validations: [{ expression: 'false', message: 'static message', messageExpression: "object.data.huge.find('^a')" }] }));
    expect(r.denial?.decision).toMatchObject({ evaluation: 'failed', message: 'static message' });
  });
});

describe('matchConditions have a budget of their own (2,500,000)', () => {
  it('three checks pairs fit, four run out; the error follows failurePolicy', () => {
    const three = run(policy({ matchConditions: repeat(3, TWO), validations: [{ expression: 'false', message: 'evaluated' }] }));
    expect(three.denial?.decision.message).toBe('evaluated');
    const four = run(policy({ matchConditions: repeat(4, TWO), validations: [{ expression: 'false', message: 'evaluated' }] }));
    expect(four.denial?.message).toBe(DENIED_OUT);
    expect(four.outcomes[0]?.decisions).toEqual([expect.objectContaining({ evaluation: 'error', field: 'spec.matchConditions' })]);
    expect(run(policy({ failurePolicy: 'Ignore', matchConditions: repeat(4, TWO), validations: [{ expression: 'false' }] })).allowed).toBe(true);
  });

  it('the running out wins over a false condition', () => {
    const r = run(policy({ matchConditions: ['false', ...repeat(4, TWO)], validations: [{ expression: 'false' }] }));
    expect(r.denial?.message).toBe(DENIED_OUT);
    expect(run(policy({ matchConditions: ['false', ...repeat(3, TWO)], validations: [{ expression: 'false' }] })).outcomes[0]?.skipped).toBe('match-condition');
  });

  it('is not taken from the validations\' budget', () => {
    const r = run(policy({ matchConditions: repeat(3, TWO), validations: [...repeat(14, { expression: TWO }), { expression: 'false', message: 'all evaluated' }] }));
    expect(r.denial?.decision.message).toBe('all evaluated');
  });
});

describe('auditAnnotations have a budget of their own', () => {
  it('spent by the validations or not', () => {
    const r = run(policy({ validations: repeat(14, { expression: TWO }), auditAnnotations: [`${BIG_FIND} ? 'big' : 'small'`] }));
    expect(r.allowed).toBe(true);
    expect(r.auditAnnotations).toEqual({ 'budget/a0': 'big' });
  });

  it('running out replaces every decision of the evaluation', () => {
    const r = run(policy({ validations: [{ expression: 'false', message: 'a validation failed' }], auditAnnotations: repeat(12, `${BIG_FIND} ? 'big' : 'small'`) }));
    expect(r.denial?.message).toBe(DENIED_OUT);
    expect(r.outcomes[0]?.decisions).toEqual([expect.objectContaining({ evaluation: 'error', message: OUT_OF_BUDGET, field: 'spec.auditAnnotations' })]);
    expect(r.auditAnnotations).toEqual({});
  });
});
