/**
 * What `mamori fix` prints never drives a terminal nor shows a secret: files holding control
 * characters that YAML does not allow are not fixed, values it writes are escaped, file names are
 * quoted, and the lines holding a Secret's values (or values the secret rules find) are left out of
 * the diff, which still applies with `git apply` and `patch`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { captureStdio } from './capture.js';
import { tempDirs } from './helpers/files.js';
import { runFix } from '../src/cli/fix.js';
import { controlCharacter, fixSources } from '../src/fix/apply.js';
import { diffTexts } from '../src/fix/diff.js';
import { diffName } from '../src/fix/paths.js';
import { secretDataLines } from '../src/fix/secrets.js';
import { editDocument } from '../src/fix/yaml-edit.js';
import { RULES } from '../src/rules/index.js';
import type { JsonValue } from '../src/types.js';

const tmp = tempDirs('mamori-fix-output-');
const cwd = process.cwd();

/** Characters a terminal acts on: C0 controls but TAB and LF, DEL, C1 controls. */
// eslint-disable-next-line no-control-regex
const TERMINAL_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

const pod = (name: string, rest = ''): string => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\nspec:\n  containers:\n  - name: c\n    image: nginx:1.25\n${rest}`;

/** A git repository holding `files`, in a new directory. */
function repo(files: Record<string, string>): string {
  const dir = tmp();
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  spawnSync('git', ['init', '-q', '.'], { cwd: dir });
  return dir;
}

/** What `git apply --check` (with `args`) and `patch -p1 --dry-run` say of a diff in `dir`. */
function check(dir: string, diff: string, args: string[] = []): { git: number | null; gitErr: string; patch: number | null } {
  const file = join(tmp(), 'fix.diff');
  writeFileSync(file, diff);
  const git = spawnSync('git', ['apply', '--check', ...args, file], { cwd: dir, encoding: 'utf8' });
  const patch = spawnSync('patch', ['-p1', '--dry-run', '-i', file], { cwd: dir, encoding: 'utf8' });
  return { git: git.status, gitErr: git.stderr, patch: patch.status };
}

/** The text of `name` in `dir` after `git apply` (with `args`) of a diff, the file put back after. */
function applied(dir: string, name: string, diff: string, args: string[] = []): string {
  const file = join(tmp(), 'fix.diff');
  writeFileSync(file, diff);
  const before = readFileSync(join(dir, name), 'utf8');
  const git = spawnSync('git', ['apply', ...args, file], { cwd: dir, encoding: 'utf8' });
  expect(git.stderr).toBe('');
  const after = readFileSync(join(dir, name), 'utf8');
  writeFileSync(join(dir, name), before);
  return after;
}

describe('control characters', () => {
  const io = captureStdio();
  afterEach(() => process.chdir(cwd));

  it('names the first character YAML does not allow, by line and as U+XXXX', () => {
    expect(controlCharacter('a: 1\n# \u001b]0;title\u0007\n')).toBe('line 2 holds the control character U+001B, which YAML does not allow in a file; remove it, or write it as an escape (\\x1b) in a double-quoted string');
    expect(controlCharacter('a: 1\nb: 2\nc: x\u009b2J\n')).toMatch(/^line 3 holds the control character U\+009B,/);
    expect(controlCharacter('a: "\u007f"\n')).toMatch(/^line 1 holds the control character U\+007F,/);
    expect(controlCharacter('a: 1 # \u0000\n')).toMatch(/^line 1 holds the control character U\+0000,/);
    expect(controlCharacter('a: 1\n# x\ry\n')).toBe('line 2 holds a carriage return (U+000D) that does not end the line, which would hide the text before it on a terminal; end lines with LF or CRLF');
    // TAB, line ends, NEL and the printable characters are YAML's own.
    expect(controlCharacter('a:\t1\r\nb: "x\u0085y\u00a0z\u2028"\n')).toBeUndefined();
  });

  it('does not fix a file that holds one, and prints none of it', async () => {
    const escape = '\u001b]0;pwned\u0007\u001b[2J';
    const dir = repo({ 'e.yaml': pod('e').replace('nginx:1.25\n', `nginx:1.25  # ${escape} comment\n`), 'ok.yaml': pod('ok') });
    process.chdir(dir);
    expect(await runFix(['.'], { write: false, rules: ['pss-allow-privilege-escalation', 'automount-service-account-token'] })).toBe(1);
    expect(io.out.startsWith('--- a/ok.yaml\n+++ b/ok.yaml\n')).toBe(true);
    expect(io.out).not.toContain('e.yaml');
    expect(io.out).not.toMatch(TERMINAL_CONTROL);
    expect(io.err).not.toMatch(TERMINAL_CONTROL);
    const reason = 'not edited: line 7 holds the control character U+001B, which YAML does not allow in a file; remove it, or write it as an escape (\\x1b) in a double-quoted string';
    expect(io.err).toContain(`  not fixed: e.yaml:4: automount-service-account-token: ${reason}\n  not fixed: e.yaml:6: pss-allow-privilege-escalation: ${reason}\n`);
    io.out = '';
    io.err = '';
    expect(await runFix(['.'], { write: true, rules: ['pss-allow-privilege-escalation', 'automount-service-account-token'] })).toBe(0);
    expect(readFileSync(join(dir, 'e.yaml'), 'utf8')).toContain(escape);
    expect(io.out).toMatch(/^mamori fix: fixed 2 findings in 1 file\n {2}not fixed: e\.yaml:4: /);
    expect(io.out).not.toMatch(TERMINAL_CONTROL);
  });

  it('refuses DEL and the C1 controls (U+0080 to U+009F but NEL) too, and a lone carriage return', () => {
    // In a quoted scalar (where YAML reads DEL and C1 controls, as JSON does) and in a comment.
    const places = (c: string): string[] => [`    env: [{name: A, value: "x${c}"}]\n`, `    # x${c}\n`];
    for (const [c, code] of [['\u007f', 'U+007F'], ['\u0080', 'U+0080'], ['\u009b', 'U+009B'], ['\u009f', 'U+009F'], ['\u0007', 'U+0007']] as const) {
      for (const place of places(c).slice(c === '\u0007' ? 1 : 0)) {
        const text = pod('p', place);
        const run = fixSources([{ file: 'x.yaml', text }], { rules: RULES.filter((r) => r.id === 'pss-allow-privilege-escalation') });
        expect(run.files[0]?.after).toBe(text);
        expect(run.failed.map((f) => f.reason.slice(0, f.reason.indexOf(',')))).toEqual([`not edited: line 8 holds the control character ${code}`]);
      }
    }
    const cr = pod('p', '    # a\r    # b\n');
    const run = fixSources([{ file: 'x.yaml', text: cr }], { rules: RULES.filter((r) => r.id === 'pss-allow-privilege-escalation') });
    expect(run.files[0]?.after).toBe(cr);
    expect(run.failed.map((f) => f.reason)).toEqual(['not edited: line 8 holds a carriage return (U+000D) that does not end the line, which would hide the text before it on a terminal; end lines with LF or CRLF']);
  });

  it('writes strings with DEL, C1 controls or line separators escaped, in both quoting styles', () => {
    const text = "a: 'x'\nb: \"y\"\n";
    const value = 'v\u007f\u0085\u009b\u2028.';
    expect(editDocument(text, { a: 'x', b: 'y' }, { a: value, b: value, c: value })).toBe('a: "v\\u007f\\u0085\\u009b\\u2028."\nb: "v\\u007f\\u0085\\u009b\\u2028."\nc: "v\\u007f\\u0085\\u009b\\u2028."\n');
    const json = '{\n  "a": "x"\n}\n';
    expect(editDocument(json, { a: 'x' }, { a: 'x', b: { c: value } } as JsonValue)).toBe('{\n  "a": "x",\n  "b": {\n    "c": "v\\u007f\\u0085\\u009b\\u2028."\n  }\n}\n');
  });

  it('quotes a file name holding a C1 control or a bidirectional control as git does, and the diff applies', async () => {
    expect(diffName('a/', 'x\u009by\u202e.yaml')).toBe('"a/x\\302\\233y\\342\\200\\256.yaml"');
    const name = 'x\u009by.yaml';
    const dir = repo({ [name]: pod('p') });
    process.chdir(dir);
    expect(await runFix([name], { write: false, rules: ['pss-allow-privilege-escalation'] })).toBe(1);
    expect(io.out.split('\n').slice(0, 2)).toEqual(['--- "a/x\\302\\233y.yaml"', '+++ "b/x\\302\\233y.yaml"']);
    expect(io.out).not.toMatch(TERMINAL_CONTROL);
    expect(io.err).not.toMatch(TERMINAL_CONTROL);
    expect(check(dir, io.out)).toEqual({ git: 0, gitErr: '', patch: 0 });
  });
});

describe('secret values in the diff', () => {
  const io = captureStdio();
  afterEach(() => process.chdir(cwd));
  const FIX = ['pss-allow-privilege-escalation'];
  const INSERTED = ['+    securityContext:', '+      allowPrivilegeEscalation: false'];

  it('finds the lines of the values of Secrets, wherever they are, and only those', () => {
    const text = [
      'apiVersion: v1', // 1
      'kind: Secret',
      'metadata:',
      '  name: s',
      '  annotations:', // 5
      '    kubectl.kubernetes.io/last-applied-configuration: |',
      '      {"apiVersion":"v1","kind":"Secret","data":{"k":"YQ=="}}',
      '    note: kept',
      'data:',
      '  k: YQ==', // 10
      '  cert: |',
      '    line one',
      '    line two',
      'type: Opaque',
      '---', // 15
      'apiVersion: v1',
      'kind: List',
      'items:',
      '- {apiVersion: v1, kind: Secret, metadata: {name: t}, stringData: {password: hunter22}}',
      '- apiVersion: v1', // 20
      '  kind: ConfigMap',
      '  metadata: {name: c}',
      '  data: {k: v}',
      '- apiVersion: v1',
      '  kind: Pod', // 25
      '  metadata:',
      '    name: p',
      '    annotations:',
      "      kubectl.kubernetes.io/last-applied-configuration: '{}'",
      '  spec:', // 30
      '    containers: [{name: c, image: nginx}]',
      '---',
      '{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "j"},',
      ' "stringData": {"a": "b"}}',
      '',
    ].join('\n');
    expect([...secretDataLines(text)].sort((a, b) => a - b)).toEqual([6, 7, 10, 11, 12, 13, 19, 34]);
    // Through an alias or a merge key: the lines of the text the value comes from.
    const shared = 'kind: List\nitems:\n- kind: ConfigMap\n  data: &creds\n    password: aHVudGVyMg==\n- &base\n  kind: Secret\n  metadata: {name: a}\n- <<: *base\n  data: *creds\n';
    expect([...secretDataLines(shared)].sort((a, b) => a - b)).toEqual([5]);
  });

  it('leaves out the values of a Secret after a Pod in a List, and the diff applies', async () => {
    const text = `apiVersion: v1\nkind: List\nitems:\n- ${pod('web').slice(0, -1).split('\n').join('\n  ')}\n- apiVersion: v1\n  data:\n    password: UzNjcjN0VjRsdWUzMw==\n  kind: Secret\n  metadata:\n    name: db\n`;
    const dir = repo({ 'list.yaml': text });
    process.chdir(dir);
    expect(await runFix(['list.yaml'], { write: false, rules: FIX })).toBe(1);
    // Two lines of context after the change before the hidden one, so two before it.
    expect(io.out).toBe(['--- a/list.yaml', '+++ b/list.yaml', '@@ -9,4 +9,6 @@', '     - name: c', '       image: nginx:1.25', ...INSERTED.map((l) => l.replace('+', '+  ')), ' - apiVersion: v1', '   data:', ''].join('\n'));
    expect(check(dir, io.out)).toEqual({ git: 0, gitErr: '', patch: 0 });
    expect(applied(dir, 'list.yaml', io.out)).toBe(text.replace('image: nginx:1.25\n', 'image: nginx:1.25\n      securityContext:\n        allowPrivilegeEscalation: false\n'));
  });

  it('leaves out the items of a SecretList, which need not say they are Secrets', async () => {
    const text = `apiVersion: v1\nkind: List\nitems:\n- ${pod('web').slice(0, -1).split('\n').join('\n  ')}\n- apiVersion: v1\n  kind: SecretList\n  items:\n  - metadata: {name: s}\n    stringData: {password: SecretListItemValue}\n`;
    const dir = repo({ 'slist.yaml': text });
    process.chdir(dir);
    expect(await runFix(['slist.yaml'], { write: false, rules: FIX })).toBe(1);
    expect(io.out).toContain('+++ b/slist.yaml');
    expect(io.out).not.toContain('SecretListItemValue');
    expect(check(dir, io.out)).toEqual({ git: 0, gitErr: '', patch: 0 });
  });

  it('leaves out every line of a password value continued less indented than its key', async () => {
    // A flow sequence may continue on a line indented less than the line where the value's key is.
    const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers: [{name: app, image: nginx:1.25,\n      env: [{name: DB_PASSWORD, value:\n   "Sup3rS3cretWholeValue"}]}]\n';
    const dir = repo({ 'pod.yaml': text });
    process.chdir(dir);
    await runFix(['pod.yaml'], { write: false, rules: FIX });
    expect(io.out).not.toContain('Sup3r');
    expect(io.err).not.toContain('Sup3r');
    // The fix rewrites the flow sequence, so it changes the hidden value's line: no diff.
    expect(io.out).toBe('');
    expect(io.err).toContain('mamori fix: pod.yaml: its diff is not shown: a line the fixes change holds a secret value; apply the fixes with --write\n');
  });

  it('leaves out a one-line JSON Secret after the fixed document', async () => {
    const text = `${pod('p')}---\n{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"password": "S3cr3tV4lue31"}}\n`;
    const dir = repo({ 'ctx2.yaml': text });
    process.chdir(dir);
    expect(await runFix(['ctx2.yaml'], { write: false, rules: FIX })).toBe(1);
    expect(io.out).toBe(['--- a/ctx2.yaml', '+++ b/ctx2.yaml', '@@ -7,2 +7,4 @@', '     image: nginx:1.25', ...INSERTED, ' ---', ''].join('\n'));
    expect(check(dir, io.out)).toEqual({ git: 0, gitErr: '', patch: 0 });
  });

  it('leaves out the last-applied configuration of a Secret, which copies its values', async () => {
    const secret = 'apiVersion: v1\nkind: Secret\nmetadata:\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: |\n      {"apiVersion":"v1","kind":"Secret","stringData":{"token":"T0k3nV4lue99"}}\n  name: s\n';
    const text = `${secret}---\n${pod('p')}`;
    const dir = repo({ 'la.yaml': text });
    process.chdir(dir);
    expect(await runFix(['la.yaml'], { write: false, rules: FIX })).toBe(1);
    expect(io.out).not.toContain('T0k3nV4lue99');
    expect(check(dir, io.out)).toEqual({ git: 0, gitErr: '', patch: 0 });
  });

  it('does not show the diff of a file where a hidden line follows a change right away', async () => {
    // Without context after its change, the hunk is anchored at the end of the file, and this
    // file ends with a line equal to its context before: git apply and patch would apply it there.
    const text = `apiVersion: v1\nkind: List\nitems:\n- ${pod('web').slice(0, -1).split('\n').join('\n  ')}\n- {apiVersion: v1, kind: Secret, metadata: {name: s}, stringData: {password: S3cr3tV4lue77}}\n- ${pod('tail').slice(0, -1).split('\n').join('\n  ')}\n`;
    const dir = repo({ 'un.yaml': text });
    process.chdir(dir);
    expect(await runFix(['un.yaml'], { write: false, rules: FIX })).toBe(1);
    expect(io.out).not.toContain('S3cr3tV4lue77');
    expect(io.err).toContain('mamori fix: un.yaml: its diff is not shown: a line holding a secret value follows a change right away, and without it the diff could apply in the wrong place; apply the fixes with --write\n');
  });

  it('does not show the diff of a file where a change has hidden lines on both sides, or changes one', async () => {
    const between = [
      'apiVersion: v1',
      'kind: List',
      'items:',
      '- {apiVersion: v1, kind: Secret, metadata: {name: a}, stringData: {k: S3cr3tV4lue11}}',
      '- {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: "nginx:1.25", securityContext: {privileged: true}}]}}',
      '- {apiVersion: v1, kind: Secret, metadata: {name: b}, stringData: {k: S3cr3tV4lue12}}',
      '',
    ].join('\n');
    const inline = '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "q"}, "spec": {"containers": [{"name": "c", "image": "nginx:1.25", "env": [{"name": "DB_PASSWORD", "value": "S3cr3tV4lue13"}], "securityContext": {"privileged": true}}]}}\n';
    const dir = repo({ 'between.yaml': between, 'inline.json': inline });
    process.chdir(dir);
    expect(await runFix(['.'], { write: false, rules: ['pss-privileged'] })).toBe(1);
    expect(io.out).toBe('');
    expect(io.err).toContain('mamori fix: between.yaml: its diff is not shown: a line holding a secret value follows a change right away, and without it the diff could apply in the wrong place; apply the fixes with --write\n');
    expect(io.err).toContain('mamori fix: inline.json: its diff is not shown: a line the fixes change holds a secret value; apply the fixes with --write\n');
    expect(io.err).toContain('mamori fix: 2 findings would be fixed in 2 files (run with --write to apply)\n');
    expect(io.err).not.toMatch(/S3cr3tV4lue1/);
  });
});

describe('diffTexts', () => {
  const a = '1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n';
  const b = a.replace('5\n', 'five\n');
  const diff = (hidden: number[], hiddenAfter: number[] = [], old = a, next = b): ReturnType<typeof diffTexts> =>
    diffTexts(old, next, { oldName: 'a', newName: 'b', hidden: new Set(hidden), hiddenAfter: new Set(hiddenAfter) });
  const lines = (...rows: string[]): string => ['--- a', '+++ b', ...rows, ''].join('\n');

  it('cuts the context before a change to the length a hidden line leaves after it', () => {
    expect(diff([7])).toEqual({ text: lines('@@ -4,3 +4,3 @@', ' 4', '-5', '+five', ' 6') });
    // Less context before than after is what patch and git expect of a hunk near the start: kept.
    expect(diff([3])).toEqual({ text: lines('@@ -4,5 +4,5 @@', ' 4', '-5', '+five', ' 6', ' 7', ' 8') });
  });

  it('withholds a diff whose change has no context it may show, or that changes a hidden line', () => {
    expect(diff([4, 6])).toEqual({ text: '', withheld: 'no-context' });
    // A hidden line right after the change, in the middle of the text or at its start.
    expect(diff([6])).toEqual({ text: '', withheld: 'no-context' });
    expect(diff([2], [], '1\n2\n3\n', 'one\n2\n3\n')).toEqual({ text: '', withheld: 'no-context' });
    expect(diff([5])).toEqual({ text: '', withheld: 'hidden-change' });
    expect(diff([], [5])).toEqual({ text: '', withheld: 'hidden-change' });
  });
});
