import { compile, evaluate } from '../../src/policy/cel.js';

/** The variables of a ValidatingAdmissionPolicy expression. */
export const VARS = ['object', 'oldObject', 'params', 'request', 'variables'];

/** Compiles and evaluates an expression, throwing on either error. */
export function runCel(expression: string, activation: Record<string, unknown> = {}, kubeMinor?: number): unknown {
  const c = compile(expression, kubeMinor === undefined ? { variables: VARS } : { variables: VARS, kubeMinor });
  if (!c.ok) throw new Error(`compile: ${c.error}`);
  const r = evaluate(c.program, activation);
  if (!r.ok) throw new Error(`eval: ${r.error}`);
  return r.value;
}

/** The evaluation error of an expression that compiles (throws when it evaluates). */
export function evalError(expression: string, activation: Record<string, unknown> = {}, maxSteps?: number): string {
  const c = compile(expression, { variables: VARS });
  if (!c.ok) throw new Error(`compile: ${c.error}`);
  const r = evaluate(c.program, activation, maxSteps === undefined ? undefined : { maxSteps });
  if (r.ok) throw new Error(`expected an error, got ${String(r.value)}`);
  return r.error;
}
