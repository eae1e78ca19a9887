import { runPolicyTests } from '../policy/test-suite.js';
import type { PolicyTestRun, SuiteError } from '../policy/test-suite.js';
import { EXIT } from './exit.js';

/** Flags of `mamori policy test DIR`. */
export interface PolicyTestFlags {
  format?: 'text' | 'json';
}

function errorLine(e: SuiteError): string {
  return `  ERROR ${e.file}${e.line !== undefined ? `:${e.line}` : ''}: ${e.message}`;
}

/** The text report of a run: each suite, each test with expected vs actual, then a summary. */
export function formatPolicyTestText(run: PolicyTestRun): string {
  const out: string[] = [];
  const suiteFiles = new Set(run.suites.map((s) => s.file));
  for (const e of run.errors) if (!suiteFiles.has(e.file) && !run.suites.some((s) => s.errors.includes(e))) out.push(errorLine(e));
  for (const suite of run.suites) {
    out.push(suite.file);
    for (const e of suite.errors) out.push(errorLine(e));
    for (const t of suite.tests) {
      const scope = [t.policy !== undefined ? `policy ${t.policy}` : '', t.binding !== undefined ? `binding ${t.binding}` : ''].filter((s) => s !== '').join(', ');
      if (t.passed) {
        out.push(`  PASS  ${t.name} (${t.expect}${scope !== '' ? `; ${scope}` : ''})`);
      } else {
        out.push(`  FAIL  ${t.name}${scope !== '' ? ` (${scope})` : ''}`);
        out.push(`        expected: ${t.expect}`);
        out.push(`        actual:   ${t.actual.join(', ')}`);
        if (t.reason !== undefined) out.push(`        ${t.reason}`);
        for (const m of t.messages) out.push(`        message: ${m}`);
      }
    }
  }
  const total = run.passed + run.failed;
  out.push('', `${run.suites.length} suite${run.suites.length === 1 ? '' : 's'}, ${total} test${total === 1 ? '' : 's'}: ${run.passed} passed, ${run.failed} failed${run.errors.length > 0 ? `, ${run.errors.length} error${run.errors.length === 1 ? '' : 's'}` : ''}`, '');
  return out.join('\n');
}

/** The exit code of a run: 2 with any suite/policy error, else 1 when a test failed, else 0. */
export function policyTestExitCode(run: PolicyTestRun): number {
  if (run.errors.length > 0) return EXIT.error;
  return run.failed > 0 ? EXIT.findings : EXIT.clean;
}

/** `mamori policy test DIR`: runs the suites, writes the report; returns the exit code. */
export function runPolicyTest(dir: string, flags: PolicyTestFlags = {}): number {
  const run = runPolicyTests(dir);
  process.stdout.write(flags.format === 'json' ? `${JSON.stringify(run, null, 2)}\n` : formatPolicyTestText(run));
  return policyTestExitCode(run);
}
