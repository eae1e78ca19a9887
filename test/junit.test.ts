/**
 * The JUnit XML writer: golden output, well-formedness checked by a strict XML 1.0 reader written
 * here (no XML parser is installed), counts and structure, and escaping of hostile input.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarize } from '../src/engine/report.js';
import { scanTexts } from '../src/engine/scan.js';
import type { WriterOptions } from '../src/report/index.js';
import { writeJunit } from '../src/report/junit.js';
import { xmlAttr, xmlSafe, xmlText } from '../src/report/xml.js';
import { RULES } from '../src/rules/index.js';
import type { Finding, Report, SuppressedFinding } from '../src/types.js';

// ---------------------------------------------------------------------------------------------
// A strict reader for the subset of XML 1.0 a JUnit report uses: one XML declaration, elements,
// attributes in double or single quotes, character data, the five predefined entities and
// character references. Anything else (comments, CDATA, DOCTYPE, processing instructions,
// undefined entities, characters XML forbids, `]]>` in text, unbalanced or duplicate names)
// is an error, so output it accepts is well-formed for every conforming parser.
// ---------------------------------------------------------------------------------------------

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's character data, entities and references decoded, line ends normalised. */
  text: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

/** Decodes references in `raw`; `attribute` applies attribute-value normalisation (XML 1.0 §3.3.3). */
function decode(raw: string, attribute: boolean, at: number): string {
  let out = '';
  let i = 0;
  // Line ends are normalised before anything else (§2.11).
  const text = raw.replace(/\r\n?/g, '\n');
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '&') {
      const end = text.indexOf(';', i);
      if (end < 0) throw new Error(`unterminated reference at ${at + i}`);
      const ref = text.slice(i + 1, end);
      if (/^#[0-9]+$/.test(ref) || /^#x[0-9A-Fa-f]+$/.test(ref)) {
        const cp = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
        if (!isXmlChar(cp)) throw new Error(`reference to a character XML forbids: &${ref}; at ${at + i}`);
        out += String.fromCodePoint(cp);
      } else if (Object.hasOwn(ENTITIES, ref)) {
        out += ENTITIES[ref];
      } else {
        throw new Error(`undefined entity &${ref}; at ${at + i}`);
      }
      i = end + 1;
    } else {
      if (c === '<') throw new Error(`"<" in ${attribute ? 'an attribute value' : 'text'} at ${at + i}`);
      out += attribute && (c === '\n' || c === '\t') ? ' ' : c;
      i++;
    }
  }
  return out;
}

/** Parses a whole document; throws on the first violation of well-formedness. */
function parseXml(doc: string): XmlElement {
  for (let i = 0; i < doc.length; ) {
    const cp = doc.codePointAt(i) as number;
    if (!isXmlChar(cp)) throw new Error(`character U+${cp.toString(16).toUpperCase().padStart(4, '0')} at ${i} is not allowed in XML 1.0`);
    i += cp > 0xffff ? 2 : 1;
  }
  const decl = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n/.exec(doc);
  if (decl === null) throw new Error('missing or unexpected XML declaration');
  let i = decl[0].length;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const skipSpace = (): void => {
    while (i < doc.length && /[ \t\r\n]/.test(doc[i] as string)) i++;
  };
  while (i < doc.length) {
    if (doc[i] !== '<') {
      const end = doc.indexOf('<', i);
      const raw = doc.slice(i, end < 0 ? doc.length : end);
      if (raw.includes(']]>')) throw new Error(`"]]>" in text at ${i}`);
      const parent = stack[stack.length - 1];
      if (parent === undefined) {
        if (raw.trim() !== '') throw new Error(`text outside the root element at ${i}`);
      } else {
        parent.text += decode(raw, false, i);
      }
      i += raw.length;
      continue;
    }
    if (doc.startsWith('</', i)) {
      i += 2;
      const name = NAME.exec(doc.slice(i))?.[0];
      if (name === undefined) throw new Error(`bad end tag at ${i}`);
      i += name.length;
      skipSpace();
      if (doc[i] !== '>') throw new Error(`bad end tag at ${i}`);
      i++;
      const open = stack.pop();
      if (open?.name !== name) throw new Error(`</${name}> closes <${open?.name ?? '(nothing)'}> at ${i}`);
      continue;
    }
    if (doc.startsWith('<!', i) || doc.startsWith('<?', i)) throw new Error(`comment, CDATA, DOCTYPE or PI at ${i}`);
    i++;
    const name = NAME.exec(doc.slice(i))?.[0];
    if (name === undefined) throw new Error(`bad start tag at ${i}`);
    i += name.length;
    const element: XmlElement = { name, attrs: {}, children: [], text: '' };
    for (;;) {
      const before = i;
      skipSpace();
      if (doc.startsWith('/>', i) || doc[i] === '>') break;
      if (i === before) throw new Error(`attributes must be separated by white space at ${i}`);
      const attr = NAME.exec(doc.slice(i))?.[0];
      if (attr === undefined) throw new Error(`bad attribute name at ${i}`);
      i += attr.length;
      skipSpace();
      if (doc[i] !== '=') throw new Error(`attribute ${attr} without value at ${i}`);
      i++;
      skipSpace();
      const quote = doc[i];
      if (quote !== '"' && quote !== "'") throw new Error(`unquoted attribute ${attr} at ${i}`);
      const end = doc.indexOf(quote, i + 1);
      if (end < 0) throw new Error(`unterminated attribute ${attr} at ${i}`);
      if (Object.hasOwn(element.attrs, attr)) throw new Error(`duplicate attribute ${attr} at ${i}`);
      element.attrs[attr] = decode(doc.slice(i + 1, end), true, i + 1);
      i = end + 1;
    }
    const parent = stack[stack.length - 1];
    if (parent !== undefined) parent.children.push(element);
    else if (root === undefined) root = element;
    else throw new Error(`second root element <${name}> at ${i}`);
    if (doc.startsWith('/>', i)) {
      i += 2;
    } else {
      i += 1;
      stack.push(element);
    }
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack[stack.length - 1]?.name}>`);
  if (root === undefined) throw new Error('no root element');
  return root;
}

function children(e: XmlElement, name: string): XmlElement[] {
  return e.children.filter((c) => c.name === name);
}

function attr(e: XmlElement | undefined, name: string): string {
  const value = e?.attrs[name];
  if (value === undefined) throw new Error(`<${e?.name}> has no ${name}`);
  return value;
}

/** Checks every count attribute against the elements actually present; returns the totals. */
function checkCounts(root: XmlElement): { tests: number; failures: number; errors: number; skipped: number } {
  const total = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  for (const suite of children(root, 'testsuite')) {
    const cases = children(suite, 'testcase');
    const got = {
      tests: cases.length,
      failures: cases.filter((c) => children(c, 'failure').length === 1).length,
      errors: cases.filter((c) => children(c, 'error').length === 1).length,
      skipped: cases.filter((c) => children(c, 'skipped').length === 1).length,
    };
    for (const c of cases) expect(c.children.length).toBeLessThanOrEqual(1);
    for (const key of ['tests', 'failures', 'errors', 'skipped'] as const) {
      expect(attr(suite, key), `${suite.attrs['name']} ${key}`).toBe(String(got[key]));
      total[key] += got[key];
    }
  }
  for (const key of ['tests', 'failures', 'errors', 'skipped'] as const) expect(attr(root, key)).toBe(String(total[key]));
  return total;
}

// ---------------------------------------------------------------------------------------------
// Fixture: a real scan (the golden input, a workload without namespace, a file that does not
// parse) with suppressions and a failed rule added as the engine would record them.
// ---------------------------------------------------------------------------------------------

const LEGACY = `apiVersion: v1
kind: Pod
metadata:
  name: legacy
spec:
  containers:
    - name: app
      image: legacy:1.0
      securityContext:
        privileged: true
    - name: sidecar
      image: sidecar:1.0
`;

const SELECTED = new Set(['pss-privileged', 'pss-host-namespaces', 'pss-host-ports', 'pss-run-as-non-root', 'namespace-pod-security', 'writable-root-filesystem']);

function options(): WriterOptions {
  return { color: false, rules: RULES, cwd: process.cwd(), now: new Date(Date.UTC(2026, 0, 15, 12, 30, 45, 250)) };
}

function fixture(): Report {
  const scanned = scanTexts(
    [
      { file: 'test/golden/input.yaml', text: readFileSync('test/golden/input.yaml', 'utf8') },
      { file: 'deploy/legacy.yaml', text: LEGACY },
      { file: 'deploy/broken.yaml', text: 'apiVersion: v1\nkind: Pod\nmetadata: [unclosed\n' },
    ],
    { rules: RULES.filter((r) => SELECTED.has(r.id)), pss: 'baseline:latest' },
  );
  const findings: Finding[] = [];
  const suppressed: SuppressedFinding[] = [];
  for (const f of scanned.findings) {
    if (f.object.name === 'legacy' && f.ruleId === 'pss-privileged') {
      suppressed.push({ ...f, suppressedBy: 'exception', reason: 'legacy driver needs /dev access', expires: '2027-01-31' });
    } else if (f.object.kind === 'Namespace' && f.ruleId === 'namespace-pod-security') {
      suppressed.push({ ...f, suppressedBy: 'annotation', reason: 'labels are set by the platform team' });
    } else if (f.object.name === 'legacy' && f.ruleId === 'writable-root-filesystem' && f.path.includes('[1]')) {
      suppressed.push({ ...f, suppressedBy: 'baseline', reason: 'in the baseline' });
    } else {
      findings.push(f);
    }
  }
  return {
    ...scanned,
    findings,
    suppressed,
    exceptions: [{ rule: 'pss-privileged', name: 'legacy', reason: 'legacy driver needs /dev access', expires: '2027-01-31', status: 'active', matched: 1 }],
    errors: [{ file: '', message: 'rule boom failed: x is undefined; it was not checked', code: 'rule-error' }, ...scanned.errors],
    summary: summarize(findings),
  };
}

describe('JUnit writer', () => {
  const report = fixture();
  const xml = writeJunit(report, options());

  it('the fixture is what the tests below assume', () => {
    const ids = (list: readonly Finding[]): string[] => list.map((f) => `${f.object.kind}/${f.object.name} ${f.ruleId} ${f.path}`);
    expect(ids(report.findings)).toEqual([
      'Pod/legacy writable-root-filesystem spec.containers[0].securityContext',
      'Deployment/web pss-host-namespaces spec.template.spec.hostNetwork',
      'Deployment/web writable-root-filesystem spec.template.spec.containers[0].securityContext',
      'Deployment/web pss-privileged spec.template.spec.containers[0].securityContext.privileged',
      'Deployment/web pss-host-ports spec.template.spec.containers[0].ports[0].hostPort',
      'Pod/ok writable-root-filesystem spec.containers[0].securityContext',
    ]);
    expect(ids(report.suppressed)).toEqual([
      'Pod/legacy pss-privileged spec.containers[0].securityContext.privileged',
      'Pod/legacy writable-root-filesystem spec.containers[1]',
      'Namespace/shop namespace-pod-security metadata',
    ]);
    expect(report.errors.map((e) => e.code)).toEqual(['rule-error', 'parse']);
  });

  it('matches the golden file', () => {
    const path = 'test/golden/report.junit.xml';
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(path, xml);
    expect(xml).toBe(readFileSync(path, 'utf8'));
  });

  it('is well-formed and its counts match its elements', () => {
    const root = parseXml(xml);
    expect(root.name).toBe('testsuites');
    expect(attr(root, 'name')).toBe('mamori');
    expect(attr(root, 'time')).toBe('0');
    // 6 failing pairs (each finding above is its own object and rule), 3 skipped, 2 errors.
    expect(checkCounts(root)).toEqual({ tests: 11, failures: 6, errors: 2, skipped: 3 });
  });

  it('has a suite per file, in order of appearance, and one for what concerns no file', () => {
    const root = parseXml(xml);
    const suites = children(root, 'testsuite');
    expect(suites.map((s) => attr(s, 'name'))).toEqual(['deploy/legacy.yaml', 'test/golden/input.yaml', '(no file)', 'deploy/broken.yaml']);
    expect(suites.map((s) => attr(s, 'timestamp'))).toEqual(Array(4).fill('2026-01-15T12:30:45'));
    const legacy = children(suites[0] as XmlElement, 'testcase');
    expect(legacy.map((c) => [attr(c, 'name'), attr(c, 'classname'), attr(c, 'file'), c.children[0]?.name])).toEqual([
      ['writable-root-filesystem Pod/legacy', 'Pod/legacy', 'deploy/legacy.yaml', 'failure'],
      ['pss-privileged Pod/legacy', 'Pod/legacy', 'deploy/legacy.yaml', 'skipped'],
      // The same object and rule also fails: the skipped case is told apart.
      ['writable-root-filesystem Pod/legacy (suppressed)', 'Pod/legacy', 'deploy/legacy.yaml', 'skipped'],
    ]);
    const input = children(suites[1] as XmlElement, 'testcase');
    expect(input.map((c) => [attr(c, 'name'), attr(c, 'classname'), c.children[0]?.name])).toEqual([
      ['pss-host-namespaces Deployment/web', 'Deployment/shop/web', 'failure'],
      ['writable-root-filesystem Deployment/web', 'Deployment/shop/web', 'failure'],
      ['pss-privileged Deployment/web', 'Deployment/shop/web', 'failure'],
      ['pss-host-ports Deployment/web', 'Deployment/shop/web', 'failure'],
      ['writable-root-filesystem Pod/ok', 'Pod/shop/ok', 'failure'],
      ['namespace-pod-security Namespace/shop', 'Namespace/shop', 'skipped'],
    ]);
  });

  it('puts the finding, its location and the rule remediation in the failure', () => {
    const root = parseXml(xml);
    const input = children(children(root, 'testsuite')[1] as XmlElement, 'testcase');
    const failure = children(input[2] as XmlElement, 'failure')[0] as XmlElement;
    expect(attr(failure, 'type')).toBe('critical');
    expect(attr(failure, 'message')).toBe('privileged (container "web" must not set securityContext.privileged=true)');
    const remediation = RULES.find((r) => r.id === 'pss-privileged')?.remediation;
    expect(failure.text).toBe(
      [
        'test/golden/input.yaml:24:13  spec.template.spec.containers[0].securityContext.privileged',
        '  privileged (container "web" must not set securityContext.privileged=true)',
        '',
        'Rule: pss-privileged: Privileged container (critical; phase runtime-compute; controls CMP-1, DEP-1)',
        `Remediation: ${remediation}`,
        'Docs: https://github.com/mamori-dev/mamori/blob/main/docs/rules/pss-privileged.md',
      ].join('\n'),
    );
  });

  it('lists every finding of a pair in one failure, with the worst severity as its type', () => {
    const base = report.findings[0] as Finding;
    const many: Report = {
      ...report,
      findings: [
        { ...base, severity: 'low', path: 'spec.containers[0]', message: 'first' },
        { ...base, severity: 'high', path: 'spec.containers[1]', message: 'second', location: { file: 'deploy/legacy.yaml', line: 11, column: 7 } },
      ],
      suppressed: [],
      errors: [],
    };
    const root = parseXml(writeJunit(many, options()));
    expect(checkCounts(root)).toEqual({ tests: 1, failures: 1, errors: 0, skipped: 0 });
    const failure = root.children[0]?.children[0]?.children[0] as XmlElement;
    expect(attr(failure, 'type')).toBe('high');
    expect(attr(failure, 'message')).toBe('Container root filesystem is writable (2 findings)');
    expect(failure.text).toContain('deploy/legacy.yaml:9:7  spec.containers[0]\n  first\ndeploy/legacy.yaml:11:7  spec.containers[1]\n  second\n');
  });

  it('says what suppressed a finding, why, and until when', () => {
    const root = parseXml(xml);
    const skipped = children(root, 'testsuite').flatMap((s) => children(s, 'testcase')).flatMap((c) => children(c, 'skipped'));
    expect(skipped.map((s) => attr(s, 'message'))).toEqual([
      'suppressed by exception: legacy driver needs /dev access (expires 2027-01-31)',
      'suppressed by baseline: in the baseline',
      'suppressed by annotation: labels are set by the platform team',
    ]);
    expect(skipped[0]?.text).toContain('deploy/legacy.yaml:10:9  spec.containers[0].securityContext.privileged\n');
  });

  it('reports inputs that could not be checked as errors in their file suite', () => {
    const root = parseXml(xml);
    const [noFile, broken] = children(root, 'testsuite').slice(2);
    const ruleError = children(noFile as XmlElement, 'testcase')[0] as XmlElement;
    expect([attr(ruleError, 'name'), attr(ruleError, 'classname'), ruleError.attrs['file']]).toEqual(['rule-error', '(no file)', undefined]);
    expect(attr(children(ruleError, 'error')[0], 'message')).toBe('rule boom failed: x is undefined; it was not checked');
    const parse = children(broken as XmlElement, 'testcase')[0] as XmlElement;
    expect([attr(parse, 'name'), attr(parse, 'classname'), attr(parse, 'file')]).toEqual(['parse deploy/broken.yaml:4:1', 'deploy/broken.yaml', 'deploy/broken.yaml']);
    const error = children(parse, 'error')[0] as XmlElement;
    expect(attr(error, 'type')).toBe('parse');
    expect(error.text).toBe('deploy/broken.yaml:4:1: invalid YAML: unexpected end of the stream within a flow collection');
  });

  it('files an error next to the findings of the same file', () => {
    const withError: Report = { ...report, errors: [{ file: 'deploy/legacy.yaml', line: 3, message: 'too deep', code: 'limit' }] };
    const root = parseXml(writeJunit(withError, options()));
    const suites = children(root, 'testsuite');
    expect(suites.map((s) => attr(s, 'name'))).toEqual(['deploy/legacy.yaml', 'test/golden/input.yaml']);
    expect(children(suites[0] as XmlElement, 'testcase').map((c) => attr(c, 'name'))).toContain('limit deploy/legacy.yaml:3');
    checkCounts(root);
  });

  it('names a suite after the object when a finding has no file (a cluster scan)', () => {
    const base = report.findings[1] as Finding;
    const { location: _location, ...noLocation } = base;
    const root = parseXml(writeJunit({ ...report, findings: [noLocation], suppressed: [], errors: [] }, options()));
    const suite = children(root, 'testsuite')[0] as XmlElement;
    expect(attr(suite, 'name')).toBe('Deployment/shop/web');
    const testcase = children(suite, 'testcase')[0] as XmlElement;
    expect(testcase.attrs['file']).toBeUndefined();
    expect(children(testcase, 'failure')[0]?.text.startsWith('(no location)  spec.template.spec.hostNetwork\n')).toBe(true);
  });

  it('makes the file attribute relative to the working directory, and only it', () => {
    const base = report.findings[0] as Finding;
    const cwd = join(tmpdir(), 'repo');
    const absolute = join(cwd, 'deploy', 'legacy.yaml');
    const moved: Finding = { ...base, location: { file: absolute, line: 9, column: 7 } };
    const root = parseXml(writeJunit({ ...report, findings: [moved], suppressed: [], errors: [] }, { ...options(), cwd }));
    const suite = children(root, 'testsuite')[0] as XmlElement;
    expect(attr(suite, 'name')).toBe(absolute);
    expect(attr(children(suite, 'testcase')[0], 'file')).toBe('deploy/legacy.yaml');
  });

  it('gives a clean scan one passing testcase', () => {
    const clean = scanTexts([{ file: 'ok.yaml', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n' }], { rules: RULES.filter((r) => SELECTED.has(r.id)) });
    const out = writeJunit(clean, options());
    expect(out).toBe(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<testsuites name="mamori" tests="1" failures="0" errors="0" skipped="0" time="0">',
        '  <testsuite name="mamori" tests="1" failures="0" errors="0" skipped="0" time="0" timestamp="2026-01-15T12:30:45">',
        '    <testcase name="scan: no findings in 1 object of 1 file" classname="mamori" time="0"/>',
        '  </testsuite>',
        '</testsuites>',
        '',
      ].join('\n'),
    );
    checkCounts(parseXml(out));
  });

  it('omits remediation and docs for a rule outside the catalog (a CEL policy)', () => {
    const base = report.findings[0] as Finding;
    const policy: Finding = { ...base, ruleId: 'policy:no-latest', title: 'No latest tag' };
    const root = parseXml(writeJunit({ ...report, findings: [policy], suppressed: [], errors: [] }, options()));
    const failure = root.children[0]?.children[0]?.children[0] as XmlElement;
    expect(failure.text.endsWith('Rule: policy:no-latest: No latest tag (low; phase runtime-compute; controls CMP-1)')).toBe(true);
  });
});

describe('escaping of hostile input', () => {
  const report = fixture();
  const base = report.findings[1] as Finding;
  const message = 'a </failure> ]]> <![CDATA[x]]> &amp; & "q" \'s\' <!-- c --> \u0000\u0001\u0008\u000b\u000c\u001b[31m \u007f\u0085\u009f \ud800 x\udc00 \ufffe\uffff \r\n\ttab ポッド é 🚀';
  const hostile: Finding = {
    ...base,
    object: { ...base.object, name: 'w<e>b&"\'\u0007', namespace: 'shop' },
    message,
    path: 'metadata.annotations["a</x>"]',
    location: { file: 'dir/<evil>&"\'.yaml', line: 1, column: 2 },
  };
  const expected = 'a </failure> ]]> <![CDATA[x]]> &amp; & "q" \'s\' <!-- c --> \\x00\\x01\\x08\\x0b\\x0c\\x1b[31m \\x7f\\x85\\x9f \ufffd x\ufffd \ufffd\ufffd \r\n\ttab ポッド é 🚀';

  it('keeps the document well-formed and the text intact where XML can carry it', () => {
    const xml = writeJunit({ ...report, findings: [hostile], suppressed: [{ ...hostile, suppressedBy: 'annotation', reason: message }], errors: [{ file: 'dir/<evil>&"\'.yaml', message, code: 'parse' }] }, options());
    const root = parseXml(xml);
    expect(checkCounts(root)).toEqual({ tests: 3, failures: 1, errors: 1, skipped: 1 });
    const suite = children(root, 'testsuite')[0] as XmlElement;
    expect(attr(suite, 'name')).toBe('dir/<evil>&"\'.yaml');
    const [failed, skippedCase, errored] = children(suite, 'testcase') as [XmlElement, XmlElement, XmlElement];
    expect(attr(failed, 'name')).toBe('pss-host-namespaces Deployment/w<e>b&"\'\\x07');
    expect(attr(failed, 'classname')).toBe('Deployment/shop/w<e>b&"\'\\x07');
    const failure = children(failed, 'failure')[0] as XmlElement;
    // The attribute keeps CR, LF and tab, as references; the text keeps them too.
    expect(attr(failure, 'message')).toBe(expected);
    expect(failure.text).toContain(`  ${expected}\n`);
    expect(failure.text).toContain('metadata.annotations["a</x>"]');
    expect(attr(children(skippedCase, 'skipped')[0], 'message')).toBe(`suppressed by annotation: ${expected}`);
    expect(attr(children(errored, 'error')[0], 'message')).toBe(expected);
    // Nothing of the input can close an element or open markup.
    expect(xml).not.toContain('</failure> ]]>');
    expect(xml).not.toContain('<![CDATA[');
    expect(xml).not.toContain('<!--');
    expect(xml).toContain('a &lt;/failure&gt; ]]&gt; &lt;![CDATA[x]]&gt; &amp;amp; &amp; &quot;q&quot; &apos;s&apos;');
    expect(xml).toContain('&#13;&#10;&#9;tab ポッド é 🚀"');
  });

  it('never starts a line of the file with text from the input, which a CI log would read as a command', () => {
    const inject = (what: string): string => `x\n::error file=${what}::injected\r\n##vso[task.complete result=Failed]`;
    const evil: Finding = {
      ...base,
      ruleId: inject('rule'),
      title: inject('title'),
      object: { ...base.object, name: inject('name'), namespace: 'shop' },
      message: inject('message'),
      path: inject('path'),
      paths: [inject('paths')],
      location: { file: inject('file'), line: 1, column: 2 },
    };
    const xml = writeJunit(
      { ...report, findings: [evil, { ...evil, object: { ...evil.object, name: 'other' } }, { ...evil, object: { ...evil.object, name: 'other' }, path: 'p2' }], suppressed: [{ ...evil, suppressedBy: 'exception', reason: inject('reason') }], errors: [{ file: inject('error-file'), line: 3, message: inject('error'), code: 'parse' }] },
      options(),
    );
    // The Actions runner trims a line's leading blanks before looking for `::`.
    for (const line of xml.split('\n')) expect(line.trimStart()).not.toMatch(/^(?:::|##vso)/);
    // Readers still get the text as it was.
    const root = parseXml(xml);
    const failure = children(children(children(root, 'testsuite')[0] as XmlElement, 'testcase')[0] as XmlElement, 'failure')[0] as XmlElement;
    expect(attr(failure, 'message')).toBe(inject('message'));
    expect(failure.text).toBe(
      `${inject('file')}:1:2  ${inject('path')}\n  ${inject('message')}\n  also: ${inject('paths')}\n\nRule: ${inject('rule')}: ${inject('title')} (critical; phase ${evil.phase}; controls ${evil.controls.join(', ')})`,
    );
  });

  it('keeps a very long message whole', () => {
    const long = `${'x<&'.repeat(40_000)}end`;
    const root = parseXml(writeJunit({ ...report, findings: [{ ...base, message: long }], suppressed: [], errors: [] }, options()));
    const failure = root.children[0]?.children[0]?.children[0] as XmlElement;
    expect(attr(failure, 'message')).toBe(long);
    expect(failure.text).toContain(`  ${long}\n`);
  });

  it('escapes with the helpers as documented', () => {
    expect(xmlText('<a href="x">&\'</a>]]>')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;]]&gt;');
    expect(xmlText('l1\r\nl2\tx')).toBe('l1&#13;&#10;l2\tx');
    expect(xmlAttr('l1\r\nl2\tx')).toBe('l1&#13;&#10;l2&#9;x');
    expect(xmlSafe('\u0000\u001f\u007f\u0080\u009f\u00a0')).toBe('\\x00\\x1f\\x7f\\x80\\x9f\u00a0');
    // A valid surrogate pair is one character and stays; halves alone are not characters.
    expect(xmlSafe('\ud83d\ude80 \ud83d \ude80 \ufffe \uffff \ufffd')).toBe('\ud83d\ude80 \ufffd \ufffd \ufffd \ufffd \ufffd');
  });
});

describe('the strict XML reader used above', () => {
  const ok = (body: string): string => `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
  it.each([
    ['unbalanced tags', '<a><b></a></b>'],
    ['unclosed element', '<a><b/>'],
    ['a second root', '<a/><b/>'],
    ['an unquoted attribute', '<a x=1/>'],
    ['a duplicate attribute', '<a x="1" x="2"/>'],
    ['"<" in an attribute', '<a x="<"/>'],
    ['a raw "&"', '<a>&</a>'],
    ['an undefined entity', '<a>&nbsp;</a>'],
    ['a reference to NUL', '<a>&#0;</a>'],
    ['"]]>" in text', '<a>]]></a>'],
    ['a control character', '<a>\u0001</a>'],
    ['a CDATA section', '<a><![CDATA[x]]></a>'],
    ['text outside the root', '<a/>x'],
  ])('rejects %s', (_what, body) => {
    expect(() => parseXml(ok(body))).toThrow();
  });

  it('accepts and decodes what XML allows', () => {
    const root = parseXml(ok(`<a x='&quot;"' y="l1&#10;l2\nl3"> &lt;&#x1F680;&amp;\r\n<b/></a>\n`));
    expect(root.attrs).toEqual({ x: '""', y: 'l1\nl2 l3' });
    expect(root.text).toBe(' <🚀&\n');
    expect(root.children.map((c) => c.name)).toEqual(['b']);
  });
});

describe('JUnit cases written from kept texts', () => {
  // The writer keeps escaped texts per rule, object and file; every way a finding can differ from
  // the case before it must show in its own testcase, as worked out here from the finding alone.
  const report = fixture();
  const web = report.findings[1] as Finding;
  const named = (f: Finding, name: string): Finding => ({ ...f, object: { ...f.object, name } });
  const label = (f: Finding): string => `${f.object.kind}/${f.object.namespace === undefined ? '' : `${f.object.namespace}/`}${f.object.name}`;
  // Rule fields: after a case of the same rule as it is, one that differs in one field.
  const rule: Finding[] = (
    [
      { ...web, title: 'Host namespaces (renamed)' },
      { ...web, severity: 'low' },
      { ...web, phase: 'network' },
      { ...web, controls: ['NET-1'] },
      { ...web, message: 'a "quoted" <message> & more' },
    ] as Finding[]
  ).flatMap((f, i) => [named(web, `w${i}`), named(f, `v${i}`)]);
  // Object fields: after a case of an object, one of the same name that differs in one field.
  const object: Finding[] = [
    (f: Finding): Finding => ({ ...f, object: { ...f.object, kind: 'StatefulSet' } }),
    (f: Finding): Finding => ({ ...f, object: { ...f.object, apiVersion: 'apps/v1beta2' } }),
    (f: Finding): Finding => ({ ...f, object: { ...f.object, namespace: 'other' } }),
    (f: Finding): Finding => ({ ...f, location: { file: 'other/web.yaml', line: 3, column: 4 } }),
  ].flatMap((vary, i) => [named(web, `o${i}`), vary(named(web, `o${i}`))]);
  const findings = [...rule, ...object];
  const root = parseXml(writeJunit({ ...report, findings, suppressed: [], errors: [] }, options()));
  const cases = root.children.flatMap((s) => s.children);

  it('gives each case the names, file, message, type and rule text of its own finding', () => {
    expect(cases).toHaveLength(findings.length);
    // Suites go by file: the case of other/web.yaml comes last.
    const ordered = [...findings.filter((f) => f.location?.file !== 'other/web.yaml'), ...findings.filter((f) => f.location?.file === 'other/web.yaml')];
    for (const [i, f] of ordered.entries()) {
      const c = cases[i] as XmlElement;
      const failure = c.children[0] as XmlElement;
      const what = `case ${i}: ${label(f)}`;
      expect(attr(c, 'name'), what).toBe(`${f.ruleId} ${f.object.kind}/${f.object.name}`);
      expect(attr(c, 'classname'), what).toBe(label(f));
      expect(attr(c, 'file'), what).toBe(f.location?.file);
      expect(attr(failure, 'type'), what).toBe(f.severity);
      expect(attr(failure, 'message'), what).toBe(f.message);
      expect(failure.text, what).toBe(
        `${f.location?.file}:${f.location?.line}:${f.location?.column}  ${f.path}\n  ${f.message}\n\n` +
          `Rule: ${f.ruleId}: ${f.title} (${f.severity}; phase ${f.phase}; controls ${f.controls.join(', ')})\n` +
          `Remediation: ${RULES.find((r) => r.id === f.ruleId)?.remediation}\nDocs: https://github.com/mamori-dev/mamori/blob/main/docs/rules/${f.ruleId}.md`,
      );
    }
  });
});
