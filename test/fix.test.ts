/**
 * `mamori fix`: the rules' JSON Patch fixes, their composition, the minimal YAML edits, the
 * unified diff, and the command. Set UPDATE_GOLDEN=1 to rewrite test/golden/fix-insecure.diff.
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureStdio } from './capture.js';
import { runFix } from '../src/cli/fix.js';
import { knownRules, parseConfig } from '../src/engine/config.js';
import type { PatchOperation, Rule } from '../src/engine/rule.js';
import { scanTexts } from '../src/engine/scan.js';
import { fixSources, fixText, gone, notEditable } from '../src/fix/apply.js';
import { unifiedDiff } from '../src/fix/diff.js';
import { appendItem, parsePointer, pointer, readPath, setField } from '../src/fix/ops.js';
import { applyPatch, jsonEqual, PatchError } from '../src/fix/patch.js';
import { editDocument, EditError } from '../src/fix/yaml-edit.js';
import { containersOf, podSpecOf } from '../src/k8s/pod.js';
import { loadText } from '../src/load/load.js';
import { splitDocuments } from '../src/load/parse.js';
import { RULES } from '../src/rules/index.js';
import type { Finding, JsonObject, JsonValue } from '../src/types.js';
import { fixtures, ruleFolders } from '../scripts/gen.js';
import { mulberry32 } from './helpers/prng.js';

const PSS_HEADER = /^# mamori-pss: (\S+)/m;
const OPTIONS_HEADER = /^# mamori-options: (.+)$/m;

/** The rules that declare a fix (their fail fixtures must all be fixed). */
const FIXABLE = [
  'automount-service-account-token',
  'pss-allow-privilege-escalation',
  'pss-apparmor-profile',
  'pss-capabilities-baseline',
  'pss-capabilities-restricted',
  'pss-host-namespaces',
  'pss-privileged',
  'pss-proc-mount',
  'pss-proc-mount-restricted',
  'pss-run-as-non-root',
  'pss-seccomp-profile-baseline',
  'pss-seccomp-profile-restricted',
  'pss-selinux-options',
];

const rule = (id: string): Rule => {
  const found = RULES.find((r) => r.id === id);
  if (found === undefined) throw new Error(`no rule ${id}`);
  return found;
};

/** What a pod runs: must never change under a fix. */
function workloadOf(object: JsonObject): JsonValue {
  const template = podSpecOf(object);
  if (template === undefined) return null;
  const { spec } = template;
  const containers = containersOf(spec).map(({ container }) => {
    const out: JsonObject = {};
    for (const key of ['name', 'image', 'command', 'args', 'ports', 'env', 'envFrom', 'volumeMounts', 'workingDir', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'resources']) {
      const value = container[key];
      if (value !== undefined) out[key] = value;
    }
    return out;
  });
  const pod: JsonObject = { containers };
  for (const key of ['volumes', 'hostNetwork', 'serviceAccountName', 'nodeSelector', 'tolerations', 'os', 'hostUsers']) {
    const value = spec[key];
    if (value !== undefined) pod[key] = value;
  }
  return pod;
}

/** Every path at which two JSON values differ (as JSON Pointers). */
function changedPaths(a: JsonValue | undefined, b: JsonValue | undefined, at = ''): string[] {
  if (jsonEqual(a, b)) return [];
  const isMap = (v: unknown): v is Record<string, JsonValue> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isMap(a) && isMap(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => changedPaths(a[k], b[k], `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`));
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) return a.flatMap((v, i) => changedPaths(v, b[i], `${at}/${i}`));
  return [at];
}

/** The words a fix may legitimately touch: its path segments, and the keys and strings of the values it sets or removes. */
function fixVocabulary(ops: readonly PatchOperation[], before: JsonValue): Set<string> {
  const words = new Set<string>();
  const collect = (value: JsonValue | undefined): void => {
    if (typeof value === 'string') words.add(value);
    else if (Array.isArray(value)) value.forEach(collect);
    else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) {
        words.add(k);
        collect(v);
      }
    }
  };
  for (const op of ops) {
    const tokens = parsePointer(op.path) ?? [];
    for (const t of tokens) words.add(t);
    if (op.op !== 'remove') collect(op.value);
    collect(readPath(before, tokens.map((t) => (/^\d+$/.test(t) ? Number(t) : t))));
  }
  return words;
}

/** The key (or item) a YAML or JSON line is about. */
function lineWord(line: string): string | undefined {
  const text = line.replace(/\s+#.*$/, '').trim().replace(/^-\s*/, '');
  if (/^[[\]{}],?$/.test(text) || text === '') return undefined;
  const key = /^("(?:[^"\\]|\\.)*"|'[^']*'|[^:]+?)\s*:(?:\s|$)/.exec(text)?.[1] ?? text;
  return key.replace(/^["']|["'],?$/g, '');
}

function fixtureRun(id: string, file: string, text: string) {
  const pss = PSS_HEADER.exec(text)?.[1] ?? 'restricted:latest';
  const options = OPTIONS_HEADER.exec(text)?.[1];
  const setting = options === undefined ? { enabled: true } : { enabled: true, options: JSON.parse(options) as unknown };
  const config = parseConfig({ rules: { [id]: setting } }, file, knownRules(RULES));
  return { run: fixSources([{ file, text }], { rules: [rule(id)], pss, config }), pss, config };
}

describe('JSON Pointer and fix operations', () => {
  it('escapes ~ and / in pointers (RFC 6901) and reads them back', () => {
    expect(pointer(['metadata', 'annotations', 'container.apparmor.security.beta.kubernetes.io/web'])).toBe('/metadata/annotations/container.apparmor.security.beta.kubernetes.io~1web');
    expect(pointer(['a~b', 'c/d~/e', 0])).toBe('/a~0b/c~1d~0~1e/0');
    expect(parsePointer('/a~0b/c~1d~0~1e/0')).toEqual(['a~b', 'c/d~/e', '0']);
    expect(parsePointer('/~01')).toEqual(['~1']);
    expect(parsePointer('')).toEqual([]);
    expect(parsePointer('a/b')).toBeUndefined();
    expect(parsePointer('/a~2')).toBeUndefined();
  });

  it('creates each missing parent with an empty object, walking into lists', () => {
    const object: JsonObject = { spec: { containers: [{ name: 'a' }, { name: 'b', securityContext: null }] } };
    expect(setField(object, ['spec', 'containers', 0, 'securityContext', 'capabilities', 'drop'], ['ALL'])).toEqual([
      { op: 'add', path: '/spec/containers/0/securityContext', value: {} },
      { op: 'add', path: '/spec/containers/0/securityContext/capabilities', value: {} },
      { op: 'add', path: '/spec/containers/0/securityContext/capabilities/drop', value: ['ALL'] },
    ]);
    // A parent that is not an object (null) is replaced by one; an existing leaf is replaced.
    expect(setField(object, ['spec', 'containers', 1, 'securityContext', 'privileged'], false)).toEqual([
      { op: 'add', path: '/spec/containers/1/securityContext', value: {} },
      { op: 'add', path: '/spec/containers/1/securityContext/privileged', value: false },
    ]);
    expect(setField(object, ['spec', 'containers', 1, 'name'], 'c')).toEqual([{ op: 'replace', path: '/spec/containers/1/name', value: 'c' }]);
    expect(appendItem({ a: { drop: ['NET_RAW'] } }, ['a', 'drop'], 'ALL')).toEqual([{ op: 'add', path: '/a/drop/-', value: 'ALL' }]);
    expect(appendItem({ a: {} }, ['a', 'drop'], 'ALL')).toEqual([{ op: 'add', path: '/a/drop', value: ['ALL'] }]);
  });
});

describe('applyPatch', () => {
  const doc: JsonValue = { spec: { containers: [{ name: 'a', image: 'x' }] } };

  it('composes fixes that each create the same missing parent', () => {
    const first = setField(doc, ['spec', 'containers', 0, 'securityContext', 'allowPrivilegeEscalation'], false);
    const second = setField(doc, ['spec', 'containers', 0, 'securityContext', 'capabilities', 'drop'], ['ALL']);
    const out = applyPatch(applyPatch(doc, first), second);
    expect(out).toEqual({ spec: { containers: [{ name: 'a', image: 'x', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }] } });
    // Plain RFC 6902 would have replaced the first fix's object: only an empty object is skipped.
    expect(applyPatch(out, [{ op: 'add', path: '/spec/containers/0/securityContext', value: { privileged: false } }])).toEqual({
      spec: { containers: [{ name: 'a', image: 'x', securityContext: { privileged: false } }] },
    });
  });

  it('follows RFC 6902 for arrays, replace, remove and test, and applies nothing when an operation fails', () => {
    const list: JsonValue = { a: [1, 2, 3], b: { c: 1 } };
    expect(applyPatch(list, [{ op: 'add', path: '/a/1', value: 9 }])).toEqual({ a: [1, 9, 2, 3], b: { c: 1 } });
    expect(applyPatch(list, [{ op: 'add', path: '/a/-', value: 9 }])).toEqual({ a: [1, 2, 3, 9], b: { c: 1 } });
    expect(applyPatch(list, [{ op: 'remove', path: '/a/0' }])).toEqual({ a: [2, 3], b: { c: 1 } });
    expect(applyPatch(list, [{ op: 'remove', path: '/b/missing' }])).toEqual(list);
    expect(() => applyPatch(list, [{ op: 'replace', path: '/b/missing', value: 1 }])).toThrow(PatchError);
    expect(() => applyPatch(list, [{ op: 'add', path: '/a/7', value: 1 }])).toThrow(PatchError);
    expect(() => applyPatch(list, [{ op: 'add', path: '/x/y', value: 1 }])).toThrow(PatchError);
    expect(() => applyPatch(list, [{ op: 'add', path: '/a/01', value: 1 }])).toThrow(PatchError);
    expect(() => applyPatch(list, [{ op: 'add', path: '/b/d', value: 1 }, { op: 'test', path: '/b/c', value: 2 }])).toThrow(PatchError);
    expect(list).toEqual({ a: [1, 2, 3], b: { c: 1 } });
    expect(applyPatch(list, [{ op: 'test', path: '/b', value: { c: 1 } }])).toEqual(list);
  });
});

describe('rule fixes on the fail fixtures', () => {
  const folders = ruleFolders().filter((f) => FIXABLE.includes(f.id));

  it('covers every rule that declares a fix', () => {
    expect(folders.map((f) => f.id).sort()).toEqual([...FIXABLE].sort());
  });

  for (const folder of folders) {
    const failing = fixtures(folder.dir).filter((e) => e.verdict === 'fail');
    it.each(failing.map((e) => [e.name, e] as const))(`${folder.id} %s`, (_name, example) => {
      const file = relative(process.cwd(), join(folder.dir, example.name));
      const text = readFileSync(file, 'utf8');
      const { run, pss, config } = fixtureRun(folder.id, file, text);
      const own = run.initial.findings.filter((f) => f.ruleId === folder.id);
      expect(own.length).toBeGreaterThan(0);
      const fixable = own.filter((f) => f.fix !== undefined && f.fix.length > 0);
      const after = run.files[0]?.after ?? '';
      if (fixable.length === 0) {
        // No safe fix for this case (see docs/fix.md): the file is left alone.
        expect(after).toBe(text);
        return;
      }
      expect(run.failed).toEqual([]);
      // The rule's findings are gone, and only those it had.
      expect(run.final.findings.filter((f) => f.ruleId === folder.id)).toEqual([]);
      expect(gone(run.initial.findings, run.final.findings).map((f) => f.ruleId)).toEqual(own.map(() => folder.id));
      // What the workload runs is unchanged, and every change lies on a path the fix names.
      const before = loadText(file, text).objects;
      const fixed = loadText(file, after).objects;
      expect(fixed.length).toBe(before.length);
      const ops = fixable.flatMap((f) => (f.fix ?? []) as PatchOperation[]);
      before.forEach((object, i) => {
        const next = fixed[i]?.object ?? {};
        expect(workloadOf(next)).toEqual(workloadOf(object.object));
        for (const changed of changedPaths(object.object, next)) {
          expect(ops.some((op) => changed.startsWith(op.path) || op.path.startsWith(changed)), `${changed} changed outside the fix`).toBe(true);
        }
      });
      // Every changed line is about a field the fix touches; comments and the rest stay byte for byte.
      const words = fixVocabulary(ops, before[0]?.object ?? {});
      const diff = unifiedDiff(text, after, { oldName: 'a', newName: 'b', context: 0 });
      for (const line of diff.split('\n').filter((l) => /^[-+][^-+]/.test(l) || /^[-+]$/.test(l))) {
        const word = lineWord(line.slice(1));
        if (word !== undefined) expect(words, `line ${JSON.stringify(line)}`).toContain(word);
      }
      const comments = (t: string): string[] => t.split('\n').filter((l) => l.trimStart().startsWith('#'));
      expect(comments(after)).toEqual(comments(text));
      // Fixing again changes nothing.
      const again = fixSources([{ file, text: after }], { rules: [rule(folder.id)], pss, config });
      expect(again.files[0]?.after).toBe(after);
      expect(again.fixed).toEqual([]);
    });
  }
});

describe('fixes that are not offered', () => {
  const fix = (id: string, text: string, pss = 'restricted:latest'): { findings: Finding[]; after: string } => {
    const run = fixSources([{ file: 'x.yaml', text }], { rules: [rule(id)], pss });
    return { findings: run.initial.findings, after: run.files[0]?.after ?? '' };
  };
  const pod = (spec: string): string => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n${spec}`;

  it.each([
    ['pss-host-namespaces', pod('  hostNetwork: true\n  hostPID: true\n  containers:\n  - name: a\n    image: a:1\n')],
    ['pss-run-as-non-root', pod('  securityContext:\n    runAsNonRoot: false\n  containers:\n  - name: a\n    image: a:1\n')],
    ['pss-run-as-non-root', pod('  containers:\n  - name: a\n    image: a:1\n    securityContext:\n      runAsUser: 0\n')],
    ['pss-allow-privilege-escalation', pod('  containers:\n  - name: a\n    image: a:1\n    securityContext:\n      privileged: true\n')],
    ['pss-allow-privilege-escalation', pod('  containers:\n  - name: a\n    image: a:1\n    securityContext:\n      capabilities:\n        add: [SYS_ADMIN]\n')],
    ['pss-capabilities-restricted', pod('  os:\n    name: windows\n  containers:\n  - name: a\n    image: a:1\n')],
    ['pss-host-ports', pod('  containers:\n  - name: a\n    image: a:1\n    ports:\n    - containerPort: 80\n      hostPort: 80\n')],
    ['pss-host-path-volumes', pod('  containers:\n  - name: a\n    image: a:1\n  volumes:\n  - name: v\n    hostPath:\n      path: /etc\n')],
    ['pss-sysctls', pod('  securityContext:\n    sysctls:\n    - name: kernel.msgmax\n      value: "1"\n  containers:\n  - name: a\n    image: a:1\n')],
    ['writable-root-filesystem', pod('  containers:\n  - name: a\n    image: a:1\n')],
  ])('%s: no fix where it would change what runs or cannot clear the finding', (id, text) => {
    const pss = id === 'pss-capabilities-restricted' ? 'restricted:v1.24' : id === 'pss-host-path-volumes' ? 'baseline:latest' : 'restricted:latest';
    const { findings, after } = fix(id, text, pss);
    expect(findings.filter((f) => f.ruleId === id).length).toBeGreaterThan(0);
    expect(findings.every((f) => f.fix === undefined)).toBe(true);
    expect(after).toBe(text);
  });

  it('a privileged container gets allowPrivilegeEscalation once pss-privileged has run (fixes enable one another)', () => {
    const text = pod('  containers:\n  - name: a\n    image: a:1\n    securityContext:\n      privileged: true\n');
    const run = fixSources([{ file: 'x.yaml', text }], { rules: [rule('pss-privileged'), rule('pss-allow-privilege-escalation')] });
    expect(run.final.findings).toEqual([]);
    expect(run.files[0]?.after).toBe(pod('  containers:\n  - name: a\n    image: a:1\n    securityContext:\n      privileged: false\n      allowPrivilegeEscalation: false\n'));
  });

  it('leaves suppressed findings alone (an exception or annotation says the setting is deliberate)', () => {
    const annotated = pod('  containers:\n  - name: a\n    image: a:1\n    securityContext:\n      privileged: true\n').replace(
      '  name: p\n',
      '  name: p\n  annotations:\n    mamori.io/ignore.pss-privileged: "loads the GPU driver"\n',
    );
    const run = fixSources([{ file: 'x.yaml', text: annotated }], { rules: [rule('pss-privileged')] });
    expect(run.initial.suppressed.map((f) => f.ruleId)).toEqual(['pss-privileged']);
    expect(run.files[0]?.after).toBe(annotated);
    const config = parseConfig({ exceptions: [{ rule: 'pss-privileged', name: 'p', reason: 'loads the GPU driver' }] }, '.mamori.yaml', knownRules(RULES));
    const plain = annotated.replace(/  annotations:\n.*\n/, '');
    expect(fixSources([{ file: 'x.yaml', text: plain }], { rules: [rule('pss-privileged')], config }).files[0]?.after).toBe(plain);
  });

  it('plain scans record no fix', () => {
    const report = scanTexts([{ file: 'x.yaml', text: pod('  containers:\n  - name: a\n    image: a:1\n') }], { rules: RULES });
    expect(report.findings.length).toBeGreaterThan(0);
    expect(report.findings.every((f) => f.fix === undefined)).toBe(true);
  });
});

const PSS_ONLY = RULES.filter((r) => r.id.startsWith('pss-'));

describe('editing files', () => {
  const hardened = `apiVersion: v1
kind: Pod
metadata:
  name: good
spec:
  securityContext:
    runAsNonRoot: true
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: a
    image: a:1
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
`;

  it('leaves the other documents of the file byte for byte', () => {
    const text = `# leading comment
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm   # keep me
data:
  key: "value"     # odd spacing kept
  other: 'single'
---
apiVersion: v1
kind: Pod
metadata:
  name: bad
spec:
  containers:
  - name: web
    image: nginx:1.27   # pinned
    args: ["--port",   "8080"]
    ports:
    - containerPort: 8080
    securityContext:
      privileged: true   # why?

...
---
${hardened}`;
    const run = fixSources([{ file: 'multi.yaml', text }], { rules: PSS_ONLY });
    const after = run.files[0]?.after ?? '';
    const a = splitDocuments(text);
    const b = splitDocuments(after);
    expect(b.length).toBe(a.length);
    for (const i of [0, 2]) expect(after.slice(b[i]?.start, b[i]?.end)).toBe(text.slice(a[i]?.start, a[i]?.end));
    expect(after.slice(0, b[0]?.start)).toBe(text.slice(0, a[0]?.start));
    expect(after.slice(b[1]?.start, b[1]?.end)).toBe(`---
apiVersion: v1
kind: Pod
metadata:
  name: bad
spec:
  containers:
  - name: web
    image: nginx:1.27   # pinned
    args: ["--port",   "8080"]
    ports:
    - containerPort: 8080
    securityContext:
      privileged: false   # why?
      capabilities:
        drop:
        - ALL
      allowPrivilegeEscalation: false
  securityContext:
    runAsNonRoot: true
    seccompProfile:
      type: RuntimeDefault

`);
    expect(run.final.findings).toEqual([]);
  });

  it('fixes the right item of a List, and only it', () => {
    const text = `apiVersion: v1
kind: List
items:
- ${hardened.replace(/\n(?=.)/g, '\n  ')}- apiVersion: v1
  kind: Pod
  metadata:
    name: good
  spec:
    containers:
    - name: b
      image: b:1
`;
    // Two objects share the name "good": the finding's location tells them apart.
    const run = fixSources([{ file: 'list.yaml', text }], { rules: PSS_ONLY });
    expect(run.failed).toEqual([]);
    const after = run.files[0]?.after ?? '';
    const lines = after.split('\n');
    expect(lines.slice(0, 15)).toEqual(text.split('\n').slice(0, 15));
    expect(after).toBe(`${text}      securityContext:
        allowPrivilegeEscalation: false
        capabilities:
          drop:
          - ALL
    securityContext:
      runAsNonRoot: true
      seccompProfile:
        type: RuntimeDefault
`);
    const items = loadText('list.yaml', after).objects;
    expect(items.map((o) => o.prefix)).toEqual([['items', 0], ['items', 1]]);
    expect(items[0]?.object).toEqual(loadText('list.yaml', text).objects[0]?.object);
    expect(run.final.findings).toEqual([]);
  });

  it('rewrites JSON as JSON at the file\'s indentation', () => {
    const object = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'nginx:1', securityContext: { privileged: true } }] } };
    const text = `${JSON.stringify(object, null, 4)}\n`;
    const run = fixSources([{ file: 'p.json', text }], { rules: PSS_ONLY });
    const after = run.files[0]?.after ?? '';
    const parsed = JSON.parse(after) as JsonObject;
    const expected = structuredClone(object) as JsonObject & typeof object;
    Object.assign(expected.spec.containers[0]?.securityContext ?? {}, { privileged: false, capabilities: { drop: ['ALL'] }, allowPrivilegeEscalation: false });
    Object.assign(expected.spec, { securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } } });
    expect(parsed).toEqual(expected);
    expect(after).toBe(`${JSON.stringify(parsed, null, 4)}\n`);
  });

  it('keeps CRLF line ends and a missing final line break', () => {
    const text = 'apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: p\r\nspec:\r\n  containers:\r\n  - name: c\r\n    image: nginx:1\r\n    securityContext:\r\n      privileged: true';
    const after = fixSources([{ file: 'crlf.yaml', text }], { rules: [rule('pss-privileged'), rule('pss-proc-mount')] }).files[0]?.after;
    expect(after).toBe(text.replace('privileged: true', 'privileged: false'));
    const added = fixSources([{ file: 'crlf.yaml', text: text.replace('privileged: true', 'privileged: false') }], { rules: [rule('pss-run-as-non-root')] }).files[0]?.after;
    expect(added).toBe(`${text.replace('privileged: true', 'privileged: false')}\r\n  securityContext:\r\n    runAsNonRoot: true`);
  });

  it('does not edit documents whose fields are shared through anchors, but fixes the rest', () => {
    const text = `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - &c
    name: c
    image: nginx:1
    securityContext:
      privileged: true
`;
    const run = fixSources([{ file: 'a.yaml', text }], { rules: [rule('pss-privileged'), rule('pss-run-as-non-root')] });
    expect(run.failed.map((f) => [f.finding.ruleId, f.reason])).toEqual([['pss-privileged', 'not edited: the field carries a YAML anchor that aliases may share; fix it by hand']]);
    expect(run.files[0]?.after).toBe(`${text}  securityContext:\n    runAsNonRoot: true\n`);
  });

  it('never edits Helm templates or files that do not parse', () => {
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: nginx:1\n    securityContext:\n      privileged: true\n';
    const template = pod.replace('name: p', 'name: "{{ .Release.Name }}"');
    const broken = `${pod}---\nkind: [\n`;
    const run = fixSources(
      [
        { file: 't.yaml', text: template },
        { file: 'b.yaml', text: broken },
      ],
      { rules: [rule('pss-privileged')] },
    );
    expect(run.files.map((f) => f.after)).toEqual([template, broken]);
    // A Helm template is an error of the scan (its values are Helm's to fill in), so neither file is edited.
    expect(run.failed.map((f) => [f.finding.location.file, f.reason])).toEqual([['b.yaml', 'not edited: the file has errors (see above)']]);
    expect(run.initial.errors.filter((e) => e.file === 't.yaml').map((e) => [e.line, e.code])).toEqual([[4, 'template']]);
    expect(notEditable('x.yaml', '# {{ only in a comment }}\nkind: Pod\n')).toBeUndefined();
  });

  it('passes over a file found by walking a directory that holds no manifest, as the scan does', () => {
    const values = { file: 'values.yaml', text: 'replicas: 2\n' };
    expect(fixSources([{ ...values, walked: true }], { rules: [rule('pss-privileged')] }).initial.errors).toEqual([]);
    expect(fixSources([values], { rules: [rule('pss-privileged')] }).initial.errors.map((e) => e.code)).toEqual(['not-kubernetes']);
  });

  it('fixText ignores findings without a fix and names findings whose object is gone', () => {
    const text = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: nginx:1\n';
    const report = fixSources([{ file: 'x.yaml', text }], { rules: [rule('pss-run-as-non-root')] }).initial;
    const finding = report.findings[0] as Finding;
    expect(fixText('x.yaml', text, [{ ...finding, fix: [] }]).text).toBe(text);
    const moved = fixText('x.yaml', text.replace('name: p', 'name: q'), [finding]);
    expect(moved.skipped.map((s) => s.reason)).toEqual(['its object is no longer in the file']);
  });
});

describe('editDocument', () => {
  const edit = (text: string, change: (v: Record<string, JsonValue>) => void): string => {
    const before = loadText('e.yaml', text).objects[0]?.object ?? {};
    const after = structuredClone(before);
    change(after);
    return editDocument(text, before, after);
  };
  const base = 'apiVersion: v1\nkind: X\n';

  it('inserts into flow collections in place, and turns an empty one into a block', () => {
    expect(edit(`${base}a: {b: 1, c: [x]}   # note\nd: {}\ne: []\n`, (v) => {
      Object.assign(v['a'] as object, { z: 'RuntimeDefault' });
      ((v['a'] as Record<string, JsonValue[]>)['c'] ?? []).push('ALL');
      v['d'] = { k: true };
      v['e'] = ['ALL'];
    })).toBe(`${base}a: {b: 1, c: [x, ALL], z: RuntimeDefault}   # note\nd:\n  k: true\ne:\n  - ALL\n`);
  });

  it('quotes what would not read back as the same string, keeps the quoting style of replaced scalars', () => {
    expect(edit(`${base}a: 'Unconfined'\nb: "Unconfined"\nc: Unconfined\n`, (v) => {
      v['a'] = 'RuntimeDefault';
      v['b'] = 'RuntimeDefault';
      v['c'] = 'yes';
      v['d'] = 'on';
      v['e'] = '1.5';
      v['f'] = 'a: b';
    })).toBe(`${base}a: 'RuntimeDefault'\nb: "RuntimeDefault"\nc: "yes"\nd: "on"\ne: "1.5"\nf: "a: b"\n`);
  });

  it('writes JSON inside JSON: pretty where the object spans lines, on one line where it does not', () => {
    const text = '{\n  "apiVersion": "v1",\n  "kind": "X",\n  "a": {},\n  "b": [{"c": {}, "d": []}]\n}\n';
    expect(edit(text, (v) => {
      v['a'] = { k: ['ALL'] };
      const item = (v['b'] as JsonObject[])[0] as JsonObject;
      item['c'] = { k: true };
      item['d'] = ['ALL'];
      v['e'] = false;
    })).toBe('{\n  "apiVersion": "v1",\n  "kind": "X",\n  "a": {\n    "k": [\n      "ALL"\n    ]\n  },\n  "b": [{"c": {"k": true}, "d": ["ALL"]}],\n  "e": false\n}\n');
  });

  it('removes the first key of a sequence item by moving the next one up', () => {
    expect(edit(`${base}l:\n- name: a   # gone with it\n  keep: 1\n`, (v) => {
      delete ((v['l'] as JsonObject[])[0] as JsonObject)['name'];
    })).toBe(`${base}l:\n- keep: 1\n`);
  });

  it('follows the indentation the document uses', () => {
    expect(edit(`${base}spec:\n    list:\n    - a\n`, (v) => {
      (v['spec'] as JsonObject)['sc'] = { drop: ['ALL'], x: { y: 1 } };
    })).toBe(`${base}spec:\n    list:\n    - a\n    sc:\n        drop:\n        - ALL\n        x:\n            "y": 1\n`);
  });

  it('refuses merge keys and aliases', () => {
    const text = `${base}base: &b\n  x: 1\nitem:\n  <<: *b\n  y: 2\n`;
    const before = { apiVersion: 'v1', kind: 'X', base: { x: 1 }, item: { x: 1, y: 2 } };
    expect(() => editDocument(text, before, { ...before, item: { x: 1, y: 3 } })).toThrow(EditError);
  });
});

/** Applies a unified diff to a text (a test double of `patch`, checking every context and removed line). */
function applyUnified(text: string, diff: string): string {
  const old = text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const out: string[] = [];
  let cursor = 0;
  const lines = diff.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (let i = 2; i < lines.length; i++) {
    const header = /^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@$/.exec(lines[i] ?? '');
    if (header === null) throw new Error(`not a hunk header: ${lines[i] ?? ''}`);
    const count = header[2] === undefined ? 1 : Number(header[2]);
    const start = count === 0 ? Number(header[1]) : Number(header[1]) - 1;
    expect(start).toBeGreaterThanOrEqual(cursor);
    out.push(...old.slice(cursor, start));
    cursor = start;
    for (; i + 1 < lines.length && !(lines[i + 1] ?? '').startsWith('@@'); i++) {
      const line = lines[i + 1] ?? '';
      if (line.startsWith('\\')) continue;
      const content = line.slice(1) + ((lines[i + 2] ?? '').startsWith('\\') ? '' : '\n');
      if (line.startsWith('+')) out.push(content);
      else {
        expect(old[cursor]).toBe(content);
        if (line.startsWith(' ')) out.push(content);
        cursor++;
      }
    }
  }
  out.push(...old.slice(cursor));
  return out.join('');
}

/** The fewest lines to delete and insert to turn `a` into `b` (by the longest common subsequence). */
function editDistance(a: readonly string[], b: readonly string[]): number {
  let row = new Array<number>(b.length + 1).fill(0);
  for (const x of a) {
    const next = [0];
    for (let j = 0; j < b.length; j++) next.push(x === b[j] ? (row[j] ?? 0) + 1 : Math.max(row[j + 1] ?? 0, next[j] ?? 0));
    row = next;
  }
  return a.length + b.length - 2 * (row[b.length] ?? 0);
}

describe('unifiedDiff', () => {
  it('prints hunks with three lines of context and the usual headers', () => {
    const a = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'].join('\n') + '\n';
    const b = a.replace('2\n', '2\nnew\n').replace('11\n', '');
    expect(unifiedDiff(a, b, { oldName: 'a/f', newName: 'b/f' })).toBe(
      ['--- a/f', '+++ b/f', '@@ -1,5 +1,6 @@', ' 1', ' 2', '+new', ' 3', ' 4', ' 5', '@@ -8,5 +9,4 @@', ' 8', ' 9', ' 10', '-11', ' 12', ''].join('\n'),
    );
    expect(unifiedDiff(a, a, { oldName: 'a', newName: 'b' })).toBe('');
  });

  it('marks a missing final line break and counts empty ranges from the line before', () => {
    expect(unifiedDiff('a\nb', 'a\nb\nc\n', { oldName: 'x', newName: 'y', context: 0 })).toBe('--- x\n+++ y\n@@ -2 +2,2 @@\n-b\n\\ No newline at end of file\n+b\n+c\n');
    expect(unifiedDiff('', 'a\n', { oldName: 'x', newName: 'y' })).toBe('--- x\n+++ y\n@@ -0,0 +1 @@\n+a\n');
    expect(unifiedDiff('a\nb\n', 'a\n', { oldName: 'x', newName: 'y', context: 0 })).toBe('--- x\n+++ y\n@@ -2 +1,0 @@\n-b\n');
  });

  it('never shows hidden lines as context, splitting hunks around them', () => {
    const a = ['k: 1', 'x: 0', 'password: hunter2', 'x: 1', 'y: 2'].join('\n') + '\n';
    const b = a.replace('k: 1', 'k: 2').replace('y: 2', 'y: 3');
    const diff = unifiedDiff(a, b, { oldName: 'a', newName: 'b', hidden: new Set([3]) });
    expect(diff).not.toContain('hunter2');
    expect(diff).toBe(['--- a', '+++ b', '@@ -1,2 +1,2 @@', '-k: 1', '+k: 2', ' x: 0', '@@ -4,2 +4,2 @@', ' x: 1', '-y: 2', '+y: 3', ''].join('\n'));
    expect(applyUnified(a, diff)).toBe(b);
    // A hidden line right after a change leaves its hunk without context after it: no diff.
    expect(() => unifiedDiff(a, b, { oldName: 'a', newName: 'b', hidden: new Set([2]) })).toThrow('no-context');
  });

  it('round-trips random edits (patched old text equals new text)', () => {
    const random = mulberry32(4242);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    for (let round = 0; round < 300; round++) {
      const words = ['a', 'b', 'c', 'd', '', 'key: 1', '  - x'];
      const a = Array.from({ length: Math.floor(random() * 40) }, () => pick(words));
      const b = [...a];
      for (let e = Math.floor(random() * 6); e > 0; e--) {
        const at = Math.floor(random() * (b.length + 1));
        if (random() < 0.5 && b.length > 0) b.splice(Math.min(at, b.length - 1), 1);
        else b.splice(at, 0, pick(words));
      }
      const endA = random() < 0.8 ? '\n' : '';
      const endB = random() < 0.8 ? '\n' : '';
      const textA = a.join('\n') + (a.length > 0 ? endA : '');
      const textB = b.join('\n') + (b.length > 0 ? endB : '');
      const context = Math.floor(random() * 4);
      const diff = unifiedDiff(textA, textB, { oldName: 'a', newName: 'b', context });
      if (textA === textB) {
        expect(diff).toBe('');
        continue;
      }
      expect(applyUnified(textA, diff), `round ${round}`).toBe(textB);
      // Shortest: as many changed lines as the longest common subsequence leaves (an incomplete last line differs).
      const tokens = (t: string): string[] => t.match(/[^\n]*\n|[^\n]+$/g) ?? [];
      const changes = diff.split('\n').filter((l) => /^[-+]/.test(l) && !/^(---|\+\+\+) [ab]$/.test(l)).length;
      expect(changes, `round ${round}`).toBe(editDistance(tokens(textA), tokens(textB)));
    }
  });
});

describe('mamori fix', () => {
  const io = captureStdio();

  it('prints the diff for examples/insecure (golden) and exits 1, without secret values', async () => {
    const code = await runFix(['examples/insecure'], { write: false });
    expect(code).toBe(1);
    const path = 'test/golden/fix-insecure.diff';
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(path, io.out);
    expect(io.out).toBe(readFileSync(path, 'utf8'));
    for (const secret of ['admin123', 'Sup3rS3cret']) expect(io.out).not.toContain(secret);
    expect(io.err).toMatch(/^mamori fix: 16 findings would be fixed in 4 files \(run with --write to apply\)\n/);
    // The files are untouched in diff mode.
    expect(readdirSync('examples/insecure').length).toBeGreaterThan(0);
  });

  it('--write edits the files as the diff says, and a second run has nothing to fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mamori-fix-'));
    try {
      cpSync('examples/insecure', dir, { recursive: true });
      const beforeWeb = readFileSync(join(dir, 'web.yaml'), 'utf8');
      writeFileSync(join(dir, 'web.yaml'), `\ufeff${beforeWeb}`);
      expect(await runFix([dir], { write: false })).toBe(1);
      const diff = io.out;
      io.out = '';
      expect(await runFix([dir], { write: true })).toBe(0);
      expect(io.out).toMatch(/^mamori fix: fixed 16 findings in 4 files\n/);
      for (const name of readdirSync('examples/insecure')) {
        const original = readFileSync(join('examples/insecure', name), 'utf8');
        const section = diff.split(/^--- /m).find((s) => s.includes(`${name}\n+++ `)) ?? '';
        const written = readFileSync(join(dir, name), 'utf8').replace(/^\ufeff/, '');
        expect(written).toBe(section === '' ? original : applyUnified(original, `--- ${section}`));
      }
      expect(readFileSync(join(dir, 'web.yaml'), 'utf8').startsWith('\ufeff')).toBe(true);
      io.out = '';
      io.err = '';
      expect(await runFix([dir], { write: false })).toBe(0);
      expect(io.out).toBe('');
      expect(io.err).toMatch(/^mamori fix: nothing to fix\n/);
      // Selected rules only, as `mamori scan --rules`.
      io.out = '';
      expect(await runFix([dir], { write: true, rules: ['pss-*'], skipRules: ['pss-run-as-non-root'] })).toBe(0);
      expect(io.out).toMatch(/^mamori fix: nothing to fix\n/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 on input errors and refuses stdin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mamori-fix-'));
    try {
      writeFileSync(join(dir, 'broken.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: nginx:1\n---\nkind: [\n');
      expect(await runFix([dir, join(dir, 'missing.yaml')], { write: true })).toBe(2);
      expect(readFileSync(join(dir, 'broken.yaml'), 'utf8')).toContain('kind: [');
      expect(io.err).toContain('missing.yaml');
      await expect(runFix(['-'], { write: false })).rejects.toThrow(/standard input/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const corpus = process.env['MAMORI_FIXTURES'];
const corpusSuite = corpus === undefined ? describe.skip : describe;

corpusSuite(corpus === undefined ? 'fixing the real-world corpus (skipped: set MAMORI_FIXTURES=../shared/external-fixtures)' : 'fixing the real-world corpus', () => {
  it('edits only fixed fields, keeps every object loadable with the same workload, and is idempotent', () => {
    const root = join(corpus ?? '', 'manifests');
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (/\.(ya?ml|json)$/.test(entry.name)) files.push(full);
      }
    };
    walk(root);
    const sources = files.map((file) => ({ file, text: readFileSync(file, 'utf8') }));
    const run = fixSources(sources, { rules: RULES });
    expect(run.fixed.length).toBeGreaterThan(500);
    // Only chart templates are refused; every other fix applies and clears its finding.
    expect(new Set(run.failed.map((f) => f.reason))).toEqual(new Set(['not edited: it holds template syntax ({{ ... }}): fix its source instead']));
    const words = new Set(['allowPrivilegeEscalation']);
    for (const finding of run.initial.findings) {
      const object = loadText(finding.location?.file ?? '', sources.find((s) => s.file === finding.location?.file)?.text ?? '').objects.find((o) => o.ref.name === finding.object.name && o.ref.kind === finding.object.kind);
      for (const word of fixVocabulary((finding.fix ?? []) as PatchOperation[], object?.object ?? {})) words.add(word);
    }
    const changed = run.files.filter((f) => f.after !== f.before);
    expect(changed.length).toBeGreaterThan(100);
    for (const file of changed) {
      const before = loadText(file.file, file.before);
      const after = loadText(file.file, file.after);
      expect(after.errors).toEqual([]);
      expect(after.objects.map((o) => [o.ref, o.source.document, o.prefix])).toEqual(before.objects.map((o) => [o.ref, o.source.document, o.prefix]));
      before.objects.forEach((o, i) => expect(workloadOf(after.objects[i]?.object ?? {})).toEqual(workloadOf(o.object)));
      const a = splitDocuments(file.before);
      const b = splitDocuments(file.after);
      expect(b.length).toBe(a.length);
      // (A last line that gains its line break is not a change of content.)
      const complete = (t: string): string => (t.endsWith('\n') ? t : `${t}\n`);
      const diff = unifiedDiff(complete(file.before), complete(file.after), { oldName: 'a', newName: 'b', context: 0 });
      for (const line of diff.split('\n').filter((l) => /^-(?!-- a$)/.test(l))) {
        const word = lineWord(line.slice(1));
        if (word !== undefined) expect(words, `${file.file}: ${line}`).toContain(word);
      }
    }
    const again = fixSources(run.files.map((f) => ({ file: f.file, text: f.after })), { rules: RULES });
    expect(again.files.filter((f) => f.after !== f.before).map((f) => f.file)).toEqual([]);
  });
});
