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
 * Every string from the input is escaped (xml.ts): the five markup characters as entities, CR
 * and LF (and tab in attributes) as character references, so no line of the file starts with
 * text from the input, and characters XML 1.0 cannot carry
 * replaced visibly (controls as `\xNN`, non-characters as U+FFFD). No CDATA sections are used,
 * so a message holding `]]>` cannot end one.
 */
import { isAbsolute, relative, sep } from 'node:path';
import type { Rule } from '../engine/rule.js';
import { severityRank } from '../engine/controls.js';
import type { Finding, ObjectRef, Report, ReportError, Severity, SuppressedFinding } from '../types.js';
import type { WriterOptions } from './index.js';
import { CHUNK_PIECES, takeChunk } from './json.js';
import { xmlAttr, xmlText } from './xml.js';

/** Where each rule's generated documentation is published. */
const DOCS = 'https://github.com/mamori-dev/mamori/blob/main/docs/rules/';
/** Suite of errors that concern no file (e.g. a rule that failed). */
const NO_FILE = '(no file)';

/**
 * A testcase: a pair's findings (failure), a pair's suppressed findings (skipped, `again` when
 * the same pair also fails), an input error, or the one passing case of a clean scan. Names and
 * texts are made as the case is written.
 */
type TestCase =
  | { element: 'failure'; findings: readonly Finding[] }
  | { element: 'skipped'; findings: readonly SuppressedFinding[]; again: boolean }
  | { element: 'error'; error: ReportError }
  | { element: 'pass'; name: string };

interface Suite {
  name: string;
  cases: TestCase[];
  counts: Counts;
}

interface Counts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

function objectLabel(object: ObjectRef): string {
  const name = object.name === '' ? '(unnamed)' : object.name;
  return object.namespace === undefined ? `${object.kind}/${name}` : `${object.kind}/${object.namespace}/${name}`;
}

function objectKey(f: Finding): string {
  const o = f.object;
  return `${f.location?.file ?? ''}\u0000${o.apiVersion}\u0000${o.kind}\u0000${o.namespace ?? ''}\u0000${o.name}`;
}

function sameObject(a: Finding, b: Finding): boolean {
  const x = a.object;
  const y = b.object;
  return x.name === y.name && x.kind === y.kind && x.namespace === y.namespace && x.apiVersion === y.apiVersion && a.location?.file === b.location?.file;
}

/** One finding in a failure's or skip's text, escaped (`xmlText`, line by line): where, which field, what. */
function findingLines(f: Finding): string {
  const at = f.location === undefined ? '(no location)' : `${f.location.file}:${f.location.line}:${f.location.column}`;
  const also = f.paths !== undefined && f.paths.length > 0 ? `\n  also: ${xmlText(f.paths.join(', '))}` : '';
  return `${xmlText(`${at}  ${f.path}`)}\n  ${xmlText(f.message)}${also}`;
}

/** The rule's metadata under the findings, escaped line by line: what it checks, how to fix it, where to read more. */
function ruleLines(f: Finding, rules: ReadonlyMap<string, Rule>): string {
  const head = xmlText(`Rule: ${f.ruleId}: ${f.title} (${f.severity}; phase ${f.phase}; controls ${f.controls.join(', ')})`);
  const rule = rules.get(f.ruleId);
  return rule === undefined ? head : `${head}\n${xmlText(`Remediation: ${rule.remediation}`)}\n${xmlText(`Docs: ${DOCS}${rule.id}.md`)}`;
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

/** Findings grouped by (file, object, rule). */
interface Pairs<F extends Finding> {
  /** The groups, in the order of their first finding. */
  lists: F[][];
  /** Whether a finding of the same file, object and rule is in a group. */
  has(f: Finding): boolean;
}

/**
 * Groups findings by (file, object, rule), keeping the report's order. Findings come sorted by
 * file and line, so those of one object mostly follow each other: the previous finding's object
 * is tried first.
 */
function pairs<F extends Finding>(findings: readonly F[]): Pairs<F> {
  const lists: F[][] = [];
  const byObject = new Map<string, Map<string, F[]>>();
  let last: F | undefined;
  let rules = new Map<string, F[]>();
  for (const f of findings) {
    if (last === undefined || !sameObject(f, last)) {
      const key = objectKey(f);
      const known = byObject.get(key);
      if (known === undefined) byObject.set(key, (rules = new Map()));
      else rules = known;
    }
    last = f;
    const list = rules.get(f.ruleId);
    if (list === undefined) {
      const pair = [f];
      rules.set(f.ruleId, pair);
      lists.push(pair);
    } else list.push(f);
  }
  return { lists, has: (f) => byObject.get(objectKey(f))?.has(f.ruleId) === true };
}

/**
 * The `file` attribute: relative to the working directory with forward slashes, since readers
 * resolve it against the repository (GitLab links it); names and texts keep the path as given.
 */
function fileAttribute(file: string, cwd: string): string {
  const path = isAbsolute(file) ? relative(cwd, file) : file;
  return sep === '\\' ? path.split(sep).join('/') : path;
}

/** The suites of a report, in the order their first entry appears (findings, suppressed, errors), with their counts. */
function buildSuites(report: Report): Suite[] {
  const suites = new Map<string, Suite>();
  let last: Suite | undefined;
  const suite = (name: string): Suite => {
    if (last?.name === name) return last;
    let s = suites.get(name);
    if (s === undefined) suites.set(name, (s = { name, cases: [], counts: { tests: 0, failures: 0, errors: 0, skipped: 0 } }));
    return (last = s);
  };
  const suiteOf = (f: Finding): Suite => suite(f.location?.file ?? objectLabel(f.object));
  const failing = pairs(report.findings);
  for (const findings of failing.lists) {
    const s = suiteOf(findings[0] as Finding);
    s.cases.push({ element: 'failure', findings });
    s.counts.failures++;
  }
  for (const findings of pairs(report.suppressed).lists) {
    const first = findings[0] as SuppressedFinding;
    const s = suiteOf(first);
    // A baseline may suppress one finding of a pair while a new one of the same pair fails.
    s.cases.push({ element: 'skipped', findings, again: failing.has(first) });
    s.counts.skipped++;
  }
  for (const error of report.errors) {
    const s = suite(error.file === '' ? NO_FILE : error.file);
    s.cases.push({ element: 'error', error });
    s.counts.errors++;
  }
  if (suites.size === 0) {
    const { files, objects } = report.inputs;
    suite('mamori').cases.push({ element: 'pass', name: `scan: no findings in ${objects} object${objects === 1 ? '' : 's'} of ${files} file${files === 1 ? '' : 's'}` });
  }
  const out = [...suites.values()];
  for (const s of out) s.counts.tests = s.cases.length;
  return out;
}

function countAttributes(c: Counts): string {
  return `tests="${c.tests}" failures="${c.failures}" errors="${c.errors}" skipped="${c.skipped}" time="0"`;
}

/** A rule's metadata as a case shows it. */
interface RuleText {
  title: string;
  severity: Severity;
  phase: Finding['phase'];
  controls: readonly string[];
  /** The start of the case: its name up to the object. */
  open: string;
  /** The end of a failure and of a skipped case: the rule's lines, escaped, after the blank line that ends the findings. */
  failure: string;
  skipped: string;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Writes testcases, pushing their pieces to `out`. What cases share is escaped once and kept, in
 * as few pieces as the markup allows: a rule's lines (its remediation is most of a failure's
 * text), a file's attribute, the names of the previous case's object. Escaping the parts of a
 * text is escaping the whole: no escape depends on a character's neighbours beyond a surrogate
 * pair, and the parts are cut next to ASCII characters.
 */
function caseWriter(rules: ReadonlyMap<string, Rule>, cwd: string): (c: TestCase, out: string[]) => void {
  const byRule = new Map<string, RuleText>();
  /** By file: its attribute and the rest of the testcase's start tag, then the outcome's opening, up to the message. */
  const files = new Map<string, { failure: string; skipped: string }>();
  const noFile = { failure: ' time="0">\n      <failure message="', skipped: ' time="0">\n      <skipped message="' };
  const types = new Map<string, string>();
  let object: Finding | undefined;
  /** The object's part of the case's name, and the class name after it. */
  let objectName = '';
  let classname = '';
  const ruleText = (f: Finding): RuleText => {
    let r = byRule.get(f.ruleId);
    if (r === undefined || r.title !== f.title || r.severity !== f.severity || r.phase !== f.phase || !sameList(r.controls, f.controls)) {
      const text = `\n\n${ruleLines(f, rules)}`;
      r = {
        title: f.title,
        severity: f.severity,
        phase: f.phase,
        controls: f.controls,
        open: `    <testcase name="${xmlAttr(f.ruleId)} `,
        failure: `${text}</failure>\n    </testcase>\n`,
        skipped: `${text}</skipped>\n    </testcase>\n`,
      };
      byRule.set(f.ruleId, r);
    }
    return r;
  };
  const fileText = (file: string | undefined): { failure: string; skipped: string } => {
    if (file === undefined) return noFile;
    let text = files.get(file);
    if (text === undefined) {
      const attr = ` file="${xmlAttr(fileAttribute(file, cwd))}"`;
      files.set(file, (text = { failure: `${attr}${noFile.failure}`, skipped: `${attr}${noFile.skipped}` }));
    }
    return text;
  };
  const type = (severity: Severity): string => {
    let text = types.get(severity);
    if (text === undefined) types.set(severity, (text = `" type="${xmlAttr(severity)}">`));
    return text;
  };
  return (c, out) => {
    if (c.element === 'pass') return void out.push(`    <testcase name="${xmlAttr(c.name)}" classname="mamori" time="0"/>\n`);
    if (c.element === 'error') {
      const e = c.error;
      const at = errorAt(e);
      const file = e.file === '' ? '' : ` file="${xmlAttr(fileAttribute(e.file, cwd))}"`;
      out.push(
        `    <testcase name="${xmlAttr(at === '' ? e.code : `${e.code} ${at}`)}" classname="${xmlAttr(e.file === '' ? NO_FILE : e.file)}"${file} time="0">\n`,
        `      <error message="${xmlAttr(e.message)}" type="${xmlAttr(e.code)}">${xmlText(at === '' ? e.message : `${at}: ${e.message}`)}</error>\n    </testcase>\n`,
      );
      return;
    }
    const first = c.findings[0] as Finding;
    if (object === undefined || !sameObject(first, object)) {
      object = first;
      objectName = xmlAttr(`${first.object.kind}/${first.object.name === '' ? '(unnamed)' : first.object.name}`);
      classname = `" classname="${xmlAttr(objectLabel(first.object))}"`;
    }
    const rule = ruleText(first);
    const file = fileText(first.location?.file);
    if (c.element === 'failure') {
      const list = c.findings;
      const message = list.length === 1 ? first.message : `${first.title} (${list.length} findings)`;
      const body = list.length === 1 ? findingLines(first) : list.map(findingLines).join('\n');
      out.push(rule.open, objectName, classname, file.failure, xmlAttr(message), type(worst(list)), body, rule.failure);
    } else {
      const list = c.findings;
      const reasons = [...new Set(list.map(suppression))];
      const body = list.map((s) => `${findingLines(s)}\n  ${xmlText(suppression(s))}`).join('\n');
      out.push(rule.open, c.again ? `${objectName} (suppressed)` : objectName, classname, file.skipped, xmlAttr(reasons.join('; ')), '">', body, rule.skipped);
    }
  };
}

/**
 * The JUnit XML report: a testsuite per input file, a testcase per object and rule (failed by its
 * findings, skipped when suppressed), an error testcase per input that could not be checked.
 */
export function writeJunit(report: Report, options: WriterOptions): string {
  return [...writeJunitChunks(report, options, Infinity)].join('');
}

/** `writeJunit` in chunks, for reports too large to be one string. */
export function* writeJunitChunks(report: Report, options: WriterOptions, limit = CHUNK_PIECES): Generator<string> {
  const rules = new Map(options.rules.map((r) => [r.id, r]));
  const suites = buildSuites(report);
  // JUnit's timestamp is an xs:dateTime without a zone (Ant's schema); it is UTC here.
  const timestamp = options.now.toISOString().slice(0, 19);
  const total: Counts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  for (const { counts } of suites) {
    total.tests += counts.tests;
    total.failures += counts.failures;
    total.errors += counts.errors;
    total.skipped += counts.skipped;
  }
  const write = caseWriter(rules, options.cwd);
  // The pieces are mostly texts that cases share; joining them copies them into the report once.
  const out = [`<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="mamori" ${countAttributes(total)}>\n`];
  for (const s of suites) {
    out.push(`  <testsuite name="${xmlAttr(s.name)}" ${countAttributes(s.counts)} timestamp="${timestamp}">\n`);
    for (const c of s.cases) {
      write(c, out);
      const chunk = takeChunk(out, limit);
      if (chunk !== undefined) yield chunk;
    }
    out.push('  </testsuite>\n');
  }
  out.push('</testsuites>\n');
  yield out.join('');
}
