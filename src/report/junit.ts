/**
 * The JUnit XML report (`--format junit`), for CI dashboards that show test results.
 *
 * There is no single JUnit XML standard; this follows the subset that the common readers agree on
 * (Jenkins' JUnit plugin, GitLab's unit test reports, and the GitHub Actions test reporters
 * such as dorny/test-reporter and mikepenz/action-junit-report, all after the Ant/Surefire shape):
 * `testsuites > testsuite > testcase > failure | skipped | error`, with `tests`, `failures`,
 * `errors`, `skipped` and `time` counts on `testsuites` and on each `testsuite` (counted here, so
 * they always match the children), `name`/`classname` on each `testcase`, and `message`/`type`
 * attributes with the details as element text. `testcase` also gets `file` (GitLab and the GitHub
 * reporters use it to point at the source; Jenkins ignores it).
 *
 * Mapping: a testsuite per input file; a testcase per object and rule, failing with every finding
 * of that rule on that object; suppressed findings as skipped testcases whose message says what
 * suppressed them, why, and until when; inputs that could not be read or checked as error
 * testcases. A scan with nothing to report gives one passing testcase, because several of these
 * readers treat a report without any testcase as a broken build.
 *
 * Every string from the input is escaped (xml.ts): the five markup characters as entities, CR,
 * LF and tab in attributes as character references, and characters XML 1.0 cannot carry
 * replaced visibly (controls as `\xNN`, non-characters as U+FFFD). No CDATA sections are used,
 * so a message holding `]]>` cannot end one.
 */
import { isAbsolute, relative, sep } from 'node:path';
import type { Rule } from '../engine/rule.js';
import { severityRank } from '../engine/controls.js';
import type { Finding, ObjectRef, Report, ReportError, Severity, SuppressedFinding } from '../types.js';
import type { WriterOptions } from './index.js';
import { xmlAttr, xmlText } from './xml.js';

/** Where each rule's generated documentation is published. */
const DOCS = 'https://github.com/mamori-dev/mamori/blob/main/docs/rules/';
/** Suite of errors that concern no file (e.g. a rule that failed). */
const NO_FILE = '(no file)';

interface TestCase {
  name: string;
  classname: string;
  file?: string;
  outcome?: { element: 'failure' | 'skipped' | 'error'; message: string; type?: string; body: string };
}

interface Suite {
  name: string;
  cases: TestCase[];
}

function objectLabel(object: ObjectRef): string {
  const name = object.name === '' ? '(unnamed)' : object.name;
  return object.namespace === undefined ? `${object.kind}/${name}` : `${object.kind}/${object.namespace}/${name}`;
}

function caseName(f: Finding): string {
  return `${f.ruleId} ${f.object.kind}/${f.object.name === '' ? '(unnamed)' : f.object.name}`;
}

function pairKey(f: Finding): string {
  const o = f.object;
  return [f.location?.file ?? '', o.apiVersion, o.kind, o.namespace ?? '', o.name, f.ruleId].join('\u0000');
}

/** One finding in a failure's or skip's text: where, which field, what. */
function findingLines(f: Finding): string[] {
  const at = f.location === undefined ? '(no location)' : `${f.location.file}:${f.location.line}:${f.location.column}`;
  const lines = [`${at}  ${f.path}`, `  ${f.message}`];
  if (f.paths !== undefined && f.paths.length > 0) lines.push(`  also: ${f.paths.join(', ')}`);
  return lines;
}

/** The rule's metadata under the findings: what it checks, how to fix it, where to read more. */
function ruleLines(f: Finding, rules: ReadonlyMap<string, Rule>): string[] {
  const lines = [`Rule: ${f.ruleId}: ${f.title} (${f.severity}; phase ${f.phase}; controls ${f.controls.join(', ')})`];
  const rule = rules.get(f.ruleId);
  if (rule !== undefined) lines.push(`Remediation: ${rule.remediation}`, `Docs: ${DOCS}${rule.id}.md`);
  return lines;
}

function worst(findings: readonly Finding[]): Severity {
  return findings.reduce<Severity>((w, f) => (severityRank(f.severity) < severityRank(w) ? f.severity : w), 'info');
}

function suppression(s: SuppressedFinding): string {
  return `suppressed by ${s.suppressedBy}: ${s.reason}${s.expires === undefined ? '' : ` (expires ${s.expires})`}`;
}

function errorAt(e: ReportError): string {
  if (e.file === '') return '';
  return e.line === undefined ? e.file : `${e.file}:${e.line}${e.column === undefined ? '' : `:${e.column}`}`;
}

/** Groups findings by suite and by (object, rule), keeping the report's order. */
function groups<F extends Finding>(findings: readonly F[]): Map<string, F[]> {
  const byPair = new Map<string, F[]>();
  for (const f of findings) {
    const key = pairKey(f);
    const list = byPair.get(key);
    if (list === undefined) byPair.set(key, [f]);
    else list.push(f);
  }
  return byPair;
}

/**
 * The `file` attribute: relative to the working directory with forward slashes, since readers
 * resolve it against the repository (GitLab links it); names and texts keep the path as given.
 */
function fileAttribute(file: string, cwd: string): string {
  const path = isAbsolute(file) ? relative(cwd, file) : file;
  return sep === '\\' ? path.split(sep).join('/') : path;
}

function suiteName(f: Finding): string {
  return f.location?.file ?? objectLabel(f.object);
}

/** The suites of a report, in the order their first entry appears (findings, suppressed, errors). */
function buildSuites(report: Report, rules: ReadonlyMap<string, Rule>, cwd: string): Suite[] {
  const suites = new Map<string, Suite>();
  const suite = (name: string): Suite => {
    let s = suites.get(name);
    if (s === undefined) suites.set(name, (s = { name, cases: [] }));
    return s;
  };
  const failing = new Set<string>();
  for (const [key, list] of groups(report.findings)) {
    const first = list[0] as Finding;
    failing.add(key);
    const body = [...list.flatMap(findingLines), '', ...ruleLines(first, rules)].join('\n');
    const message = list.length === 1 ? first.message : `${first.title} (${list.length} findings)`;
    suite(suiteName(first)).cases.push({
      name: caseName(first),
      classname: objectLabel(first.object),
      ...(first.location === undefined ? {} : { file: fileAttribute(first.location.file, cwd) }),
      outcome: { element: 'failure', message, type: worst(list), body },
    });
  }
  for (const [key, list] of groups(report.suppressed)) {
    const first = list[0] as SuppressedFinding;
    const reasons = [...new Set(list.map(suppression))];
    const body = [...list.flatMap((s) => [...findingLines(s), `  ${suppression(s)}`]), '', ...ruleLines(first, rules)].join('\n');
    // A baseline may suppress one finding of a pair while a new one of the same pair fails.
    const name = failing.has(key) ? `${caseName(first)} (suppressed)` : caseName(first);
    suite(suiteName(first)).cases.push({
      name,
      classname: objectLabel(first.object),
      ...(first.location === undefined ? {} : { file: fileAttribute(first.location.file, cwd) }),
      outcome: { element: 'skipped', message: reasons.join('; '), body },
    });
  }
  for (const e of report.errors) {
    const at = errorAt(e);
    suite(e.file === '' ? NO_FILE : e.file).cases.push({
      name: at === '' ? e.code : `${e.code} ${at}`,
      classname: e.file === '' ? NO_FILE : e.file,
      ...(e.file === '' ? {} : { file: fileAttribute(e.file, cwd) }),
      outcome: { element: 'error', message: e.message, type: e.code, body: at === '' ? e.message : `${at}: ${e.message}` },
    });
  }
  if (suites.size === 0) {
    const { files, objects } = report.inputs;
    suite('mamori').cases.push({ name: `scan: no findings in ${objects} object${objects === 1 ? '' : 's'} of ${files} file${files === 1 ? '' : 's'}`, classname: 'mamori' });
  }
  return [...suites.values()];
}

interface Counts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

function count(cases: readonly TestCase[]): Counts {
  const of = (element: string): number => cases.filter((c) => c.outcome?.element === element).length;
  return { tests: cases.length, failures: of('failure'), errors: of('error'), skipped: of('skipped') };
}

function countAttributes(c: Counts): string {
  return `tests="${c.tests}" failures="${c.failures}" errors="${c.errors}" skipped="${c.skipped}" time="0"`;
}

function writeCase(c: TestCase): string[] {
  const file = c.file === undefined ? '' : ` file="${xmlAttr(c.file)}"`;
  const open = `    <testcase name="${xmlAttr(c.name)}" classname="${xmlAttr(c.classname)}"${file} time="0"`;
  if (c.outcome === undefined) return [`${open}/>`];
  const { element, message, type, body } = c.outcome;
  const typeAttr = type === undefined ? '' : ` type="${xmlAttr(type)}"`;
  return [`${open}>`, `      <${element} message="${xmlAttr(message)}"${typeAttr}>${xmlText(body)}</${element}>`, '    </testcase>'];
}

/**
 * The JUnit XML report: a testsuite per input file, a testcase per object and rule (failed by its
 * findings, skipped when suppressed), an error testcase per input that could not be checked.
 */
export function writeJunit(report: Report, options: WriterOptions): string {
  const rules = new Map(options.rules.map((r) => [r.id, r]));
  const suites = buildSuites(report, rules, options.cwd);
  // JUnit's timestamp is an xs:dateTime without a zone (Ant's schema); it is UTC here.
  const timestamp = options.now.toISOString().slice(0, 19);
  const total = count(suites.flatMap((s) => s.cases));
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="mamori" ${countAttributes(total)}>`];
  for (const s of suites) {
    lines.push(`  <testsuite name="${xmlAttr(s.name)}" ${countAttributes(count(s.cases))} timestamp="${timestamp}">`);
    for (const c of s.cases) lines.push(...writeCase(c));
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}
