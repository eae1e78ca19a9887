/**
 * kube-bench's check semantics ("CIS literal" mode), reproduced from `check/test.go` and
 * `check/check.go` of aquasecurity/kube-bench (specs/control-plane.md §2): how a flag value is
 * found in a process command line, in a config file (JSONPath) or in the environment, how the
 * compare ops behave (substring `has`, case-insensitive booleans, `Atoi` numbers, octal bitmask),
 * and how test items combine. mamori reports this verdict next to its own effective one.
 */
import { LINE_TERMINATOR, trimRuns } from '../../text.js';
import { isObject } from '../object.js';

/** A compare op of kube-bench (`check/test.go`); unknown ops are kept and evaluate to false. */
export type CompareOpName = 'eq' | 'noteq' | 'gt' | 'gte' | 'lt' | 'lte' | 'has' | 'nothave' | 'regex' | 'valid_elements' | 'bitmask';

/** One `tests.test_items[]` entry of a kube-bench check. */
export interface CisTestItem {
  flag?: string;
  path?: string;
  env?: string;
  /** kube-bench's default is true. */
  set?: boolean;
  compare?: { op: string; value: string };
}

/** The `tests` of a kube-bench check. */
export interface CisTests {
  bin_op?: string;
  test_items: readonly CisTestItem[];
}

/** A kube-bench check's state. */
export type CisState = 'PASS' | 'FAIL' | 'WARN' | 'INFO';

/** The outputs a check is evaluated against (what kube-bench's audit commands print). */
export interface AuditOutputs {
  /** Output of `audit` (for the components: the process command line). */
  audit: string;
  /**
   * The parsed output of `audit_config` (a config file). Present only when the check has an
   * `audit_config`; `{ error }` when the output is neither JSON nor YAML.
   */
  config?: { value: unknown } | { error: string };
  /** Output of `audit_env`: `NAME=value` lines. */
  env?: string;
}

/** The result of one comparison or one check. */
export interface CompareResult {
  /** kube-bench's expected-result text, e.g. `'--profiling' is equal to 'false'`. */
  expected: string;
  pass: boolean;
}

function sprintf(pattern: string, ...values: string[]): string {
  let i = 0;
  return pattern.replace(/%s/g, () => values[i++] ?? '');
}

/** Go's `strconv.Atoi` after `strings.TrimSpace`: decimal digits with an optional sign, nothing else. */
function atoi(text: string): number | undefined {
  const t = text.trim();
  if (!/^[+-]?\d+$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Go's `strconv.ParseInt(s, 8, 64)`. */
function parseOctal(text: string): number | undefined {
  if (!/^[+-]?[0-7]+$/.test(text)) return undefined;
  const n = Number.parseInt(text, 8);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** `splitAndRemoveLastSeparator`: trim, drop trailing commas, split on `,`, trim each element. */
export function splitElements(text: string): string[] {
  const clean = trimRuns(text.trim(), ',');
  if (clean === '') return [];
  return clean.split(',').map((s) => s.trim());
}

function allElementsValid(source: readonly string[], target: readonly string[]): boolean {
  if (source.length === 0 && target.length === 0) return true;
  if (source.length === 0 || target.length === 0) return false;
  return source.every((s) => target.includes(s));
}

/**
 * Go's RE2 syntax mostly coincides with JavaScript's for the patterns the benchmarks use; a pattern
 * JavaScript cannot compile never matches (kube-bench would panic on an invalid one).
 */
function regexMatches(pattern: string, value: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(value);
  } catch {
    return false;
  }
}

/** `compareOp` of kube-bench: the comparison of a found value with a test item's value. */
export function compareOp(op: string, flagVal: string, compareValue: string, flagName: string): CompareResult {
  let pattern = '';
  let pass = false;
  switch (op) {
    case 'eq':
    case 'noteq': {
      pattern = op === 'eq' ? "'%s' is equal to '%s'" : "'%s' is not equal to '%s'";
      const lower = flagVal.toLowerCase();
      // Booleans compare case-insensitively on the flag side only.
      const equal = lower === 'false' || lower === 'true' ? lower === compareValue : flagVal === compareValue;
      pass = op === 'eq' ? equal : !equal;
      break;
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const a = atoi(flagVal);
      const b = atoi(compareValue);
      if (a === undefined || b === undefined) {
        return { expected: sprintf("Invalid Number(s) used for comparison: '%s' '%s'", flagVal, compareValue), pass: false };
      }
      if (op === 'gt') {
        pattern = "'%s' is greater than %s";
        pass = a > b;
      } else if (op === 'gte') {
        pattern = "'%s' is greater or equal to %s";
        pass = a >= b;
      } else if (op === 'lt') {
        pattern = "'%s' is lower than %s";
        pass = a < b;
      } else {
        pattern = "'%s' is lower or equal to %s";
        pass = a <= b;
      }
      break;
    }
    case 'has':
      pattern = "'%s' has '%s'";
      pass = flagVal.includes(compareValue);
      break;
    case 'nothave':
      pattern = "'%s' does not have '%s'";
      pass = !flagVal.includes(compareValue);
      break;
    case 'regex':
      pattern = "'%s' matched by regex expression '%s'";
      pass = regexMatches(compareValue, flagVal);
      break;
    case 'valid_elements':
      pattern = "'%s' contains valid elements from '%s'";
      pass = allElementsValid(splitElements(flagVal), splitElements(compareValue));
      break;
    case 'bitmask': {
      const requested = parseOctal(flagVal);
      if (requested === undefined) return { expected: `Not numeric value - flag: ${flagVal}`, pass: false };
      const max = parseOctal(compareValue);
      if (max === undefined) return { expected: `Not numeric value - flag: ${compareValue}`, pass: false };
      pattern = `%s has permissions ${flagVal}, expected %s or more restrictive`;
      pass = (max & requested) === requested;
      break;
    }
    default:
      return { expected: '', pass: false };
  }
  return { expected: sprintf(pattern, flagName, compareValue), pass };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The item's flag found in a command line: `flagTestItem.findValue`. */
export function findFlagValue(commandLine: string, flag: string, op: string | undefined): { found: boolean; value: string } {
  if (commandLine === '' || flag === '') return { found: false, value: '' };
  if (!commandLine.includes(flag)) return { found: false, value: '' };
  // kube-bench builds `(<flag>)(=|: *)*([^\s]*) *` without quoting the flag.
  let re: RegExp;
  try {
    re = new RegExp(`(${flag})(=|: *)*([^\\s]*) *`);
  } catch {
    re = new RegExp(`(${escapeRegExp(flag)})(=|: *)*([^\\s]*) *`);
  }
  const vals = re.exec(commandLine);
  if (vals === null) return { found: true, value: '' };
  if ((vals[3] ?? '') !== '') return { found: true, value: vals[3] ?? '' };
  // "--flag value" is read only when the test compares a value; a next token starting with "-" is a flag.
  if (op !== undefined && op !== '') {
    const m = new RegExp(`${escapeRegExp(flag)}\\s+([^\\s-][^\\s]*)`).exec(commandLine);
    if (m !== null) return { found: true, value: m[1] ?? '' };
  }
  return { found: true, value: flag.startsWith('--') ? 'true' : (vals[1] ?? '') };
}

/** Line terminators, searched for one after the other. */
const LINE_TERMINATORS = new RegExp(LINE_TERMINATOR.source, 'g');

/** The item's variable found in `NAME=value` lines: `envTestItem.findValue`. */
export function findEnvValue(envOutput: string, env: string): { found: boolean; value: string } {
  if (envOutput === '' || env === '') return { found: false, value: '' };
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(env)) return findPlainEnvValue(envOutput, env);
  // Go's `.` does not match a newline either; kube-bench does not quote the name.
  let re: RegExp;
  try {
    re = new RegExp(`${env}=.*(?:$|\\n)`);
  } catch {
    return { found: false, value: '' };
  }
  const out = (re.exec(envOutput)?.[0] ?? '').replace('\n', '').replace(`${env}=`, '');
  return out.length > 0 ? { found: true, value: out } : { found: false, value: '' };
}

/**
 * `findEnvValue` for a plain variable name (all of the catalogue's), in linear time. The regex
 * `NAME=.*(?:$|\n)` matches at the first `NAME=` whose line ends with `\n` or the end of the
 * text; from a `NAME=` whose line ends with another terminator (`\r`) it fails after reading to
 * that terminator, and retrying from each further `NAME=` before it makes it quadratic. Every
 * `NAME=` before that terminator fails the same way, so the search resumes after it.
 */
function findPlainEnvValue(envOutput: string, env: string): { found: boolean; value: string } {
  const key = `${env}=`;
  const terminator = LINE_TERMINATORS;
  for (let at = envOutput.indexOf(key); at !== -1; ) {
    const from = at + key.length;
    terminator.lastIndex = from;
    const t = terminator.exec(envOutput);
    if (t === null || t[0] === '\n') {
      const value = envOutput.slice(from, t === null ? envOutput.length : t.index);
      return value.length > 0 ? { found: true, value } : { found: false, value: '' };
    }
    at = envOutput.indexOf(key, t.index + 1);
  }
  return { found: false, value: '' };
}

/** How kubectl's JSONPath prints a scalar (Go's `fmt.Sprint` of the decoded value). */
function printValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/**
 * The subset of kubectl JSONPath the benchmarks use, with missing keys allowed: `{.a.b.c}` and
 * `{range .list[:]}{}{','}{end}`. Anything else is a parse error (the item fails).
 */
export function executeJsonPath(path: string, document: unknown): { value: string } | { error: string } {
  const simple = /^\{\.([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)\}$/.exec(path);
  if (simple !== null) {
    let node: unknown = document;
    for (const key of (simple[1] ?? '').split('.')) {
      if (!isObject(node)) return { value: '' };
      node = node[key];
    }
    return { value: printValue(node) };
  }
  const range = /^\{range \.([A-Za-z0-9_-]+)\[:\]\}\{\}\{'(.*)'\}\{end\}$/.exec(path);
  if (range !== null) {
    const list = isObject(document) ? document[range[1] ?? ''] : undefined;
    if (!Array.isArray(list)) return { value: '' };
    return { value: list.map((v) => `${printValue(v)}${range[2] ?? ''}`).join('') };
  }
  return { error: `unable to parse path expression "${path}"` };
}

type AuditUsed = 'command' | 'config' | 'env';

interface ItemOutput {
  pass: boolean;
  found: boolean;
  expected: string;
}

function evaluateItem(item: CisTestItem, used: AuditUsed, outputs: AuditOutputs): ItemOutput {
  let found = false;
  let value = '';
  const op = item.compare?.op;
  if (used === 'command') {
    ({ found, value } = findFlagValue(trimRuns(outputs.audit, ' \n'), item.flag ?? '', op));
  } else if (used === 'env') {
    ({ found, value } = findEnvValue(trimRuns(outputs.env ?? '', ' \n'), item.env ?? ''));
  } else {
    const config = outputs.config;
    if (config === undefined || 'error' in config) return { pass: false, found: false, expected: config?.error ?? 'missing config' };
    const result = executeJsonPath(item.path ?? '', config.value);
    if ('error' in result) return { pass: false, found: false, expected: result.error };
    value = result.value;
    found = value !== '';
  }
  const name = used === 'config' ? (item.path ?? '') : used === 'env' ? (item.env ?? '') : (item.flag ?? '');
  if (item.set ?? true) {
    if (found && op !== undefined && op !== '') {
      const r = compareOp(op, value, item.compare?.value ?? '', name);
      return { pass: r.pass, found, expected: r.expected };
    }
    return { pass: found, found, expected: `'${name}' is present` };
  }
  return { pass: !found, found, expected: `'${name}' is not present` };
}

/**
 * `Check.execute` of kube-bench: each item is tried on the audit output, then (when the check has
 * an `audit_config`) on the config, then on the environment; items combine with `bin_op`.
 */
export function executeTests(tests: CisTests, outputs: AuditOutputs): CompareResult {
  const results: ItemOutput[] = [];
  for (const item of tests.test_items) {
    let result = evaluateItem(item, 'command', outputs);
    if (!result.found && outputs.config !== undefined) {
      result = evaluateItem(item, 'config', outputs);
      if (!result.found && item.env !== undefined && item.env !== '') result = evaluateItem(item, 'env', outputs);
    }
    if (!result.found && item.env !== undefined && item.env !== '') result = evaluateItem(item, 'env', outputs);
    results.push(result);
  }
  const op = tests.bin_op ?? '';
  if (op === 'or') return { pass: results.some((r) => r.pass), expected: results.map((r) => r.expected).join(' OR ') };
  if (op === 'and' || op === '') return { pass: results.every((r) => r.pass), expected: results.map((r) => r.expected).join(' AND ') };
  return { pass: false, expected: `unknown binary operator for tests ${op}` };
}

/** The state kube-bench gives a check: PASS, or FAIL when scored and WARN when not. */
export function cisState(pass: boolean, scored: boolean): CisState {
  return pass ? 'PASS' : scored ? 'FAIL' : 'WARN';
}
