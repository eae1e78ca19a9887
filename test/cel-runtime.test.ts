import { describe, expect, it } from 'vitest';
import { compile, evaluate } from '../src/policy/cel.js';
import type { EvaluateResult } from '../src/policy/cel.js';

// CEL runtime behaviour checked against cel-go's: the cost of concatenation, equality and list
// membership (interpreter/runtimecost.go), the range checks of timestamp(), and error wording.

function run(expression: string, activation: Record<string, unknown> = {}, maxSteps = 1_000_000): EvaluateResult {
  const c = compile(expression, { variables: Object.keys(activation) });
  if (!c.ok) throw new Error(c.error);
  return evaluate(c.program, activation, { maxSteps });
}

const ints = (n: number): bigint[] => Array.from({ length: n }, (_, i) => BigInt(i));

describe('cost of concatenation, equality and membership', () => {
  it('string concatenation costs a tenth of a step per character of its operands, as cel-go', () => {
    const s = 'x'.repeat(1000);
    expect(run('size(s + s) == 2000', { s })).toEqual({ ok: true, value: true, cost: 200 });
    // Short operands cost nothing more.
    expect(run("s + 'a' == 'abca'", { s: 'abc' })).toEqual({ ok: true, value: true, cost: 0 });
  });

  it('list concatenation is charged as string concatenation (mamori copies the lists)', () => {
    expect(run('size(l + l) == 200', { l: ints(100) })).toEqual({ ok: true, value: true, cost: 20 });
  });

  it('equality costs a tenth of a step per item of the smaller operand, nested lists and maps included', () => {
    expect(run('l == m', { l: ints(100), m: ints(100) })).toEqual({ ok: true, value: true, cost: 10 });
    const nested = (): bigint[][] => Array.from({ length: 100 }, () => ints(10));
    // 100 items at the top (10 steps), and 10 items in each of the 100 inner lists (100 steps).
    expect(run('l == m', { l: nested(), m: nested() })).toEqual({ ok: true, value: true, cost: 110 });
    expect(run('l != m', { l: nested(), m: nested() })).toEqual({ ok: true, value: false, cost: 110 });
  });

  it('`in` on a list costs its size', () => {
    expect(run('99 in l', { l: ints(100) })).toEqual({ ok: true, value: true, cost: 100 });
  });

  it('a comprehension concatenating a long list at each step stops at the per-call limit, quickly', () => {
    const ports = Array.from({ length: 30_000 }, (_, i) => ({ port: BigInt(i + 1) }));
    const started = performance.now();
    const r = run("ports.all(p, size(ports + [{'port': 22}]) < 100000)", { ports });
    expect(r).toMatchObject({ ok: false, error: 'operation cancelled: actual cost limit exceeded' });
    expect(performance.now() - started).toBeLessThan(5_000);
  }, 20_000);

  it('a comprehension comparing large nested values at each step stops at the per-call limit, quickly', () => {
    const spec = (): Record<string, unknown> => ({ ports: Array.from({ length: 30_000 }, (_, i) => ({ port: BigInt(i + 1), name: `p${i}` })) });
    const a = spec();
    const b = spec();
    const started = performance.now();
    const r = run('a.ports.all(p, a == b)', { a, b });
    expect(r).toMatchObject({ ok: false, error: 'operation cancelled: actual cost limit exceeded' });
    expect(performance.now() - started).toBeLessThan(10_000);
  }, 30_000);
});

describe('timestamp() range checks (Go time.Parse)', () => {
  it.each([
    ['2024-02-30T00:00:00Z', 'day'],
    ['2023-02-29T00:00:00Z', 'day'],
    ['2024-04-31T00:00:00Z', 'day'],
    ['2024-13-01T00:00:00Z', 'month'],
    ['2024-01-01T24:00:00Z', 'hour'],
    ['2024-01-01T23:60:00Z', 'minute'],
    ['2024-01-01T23:59:60Z', 'second'],
  ])('%s: %s out of range', (text, field) => {
    expect(run(`timestamp('${text}')`)).toMatchObject({ ok: false, error: `parsing time "${text}": ${field} out of range` });
  });

  it('accepts the last day of each month, 29 February of a leap year', () => {
    expect(run("timestamp('2024-02-29T23:59:59Z') < timestamp('2024-03-01T00:00:00Z')")).toMatchObject({ ok: true, value: true });
    expect(run("timestamp('2023-12-31T00:00:00+01:00').getFullYear() == 2023")).toMatchObject({ ok: true, value: true });
  });
});

describe('runtime error wording', () => {
  it('a missing key reads `no such key: <key>`, as cel-go', () => {
    expect(run("{'a': 1}.b == 1")).toMatchObject({ ok: false, error: 'no such key: b' });
    expect(run("{'a': 1}['b'] == 1")).toMatchObject({ ok: false, error: 'no such key: b' });
  });
});
