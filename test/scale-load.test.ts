import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runFix } from '../src/cli/fix.js';
import { parseConfig, knownRules } from '../src/engine/config.js';
import { scanPaths, scanTexts } from '../src/engine/scan.js';
import { summarize } from '../src/engine/report.js';
import { fixSources, fixText } from '../src/fix/apply.js';
import { loadText, resolveInputs } from '../src/load/load.js';
import { STREAMING_WRITERS, WRITERS, type Format, type WriterOptions } from '../src/report/index.js';
import { RULES } from '../src/rules/index.js';
import { mulberry32 } from './helpers/prng.js';
import { tempDirs } from './helpers/files.js';

// Large or hostile inputs of loading, locating, reports, fixes and exceptions: each must take
// time linear in its size. The timeouts only catch hangs; the figures in the comments are those
// of the quadratic code each test was written against.
const TIMEOUT = 30_000;

const tempDir = tempDirs('mamori-scale-');

/** A random AWS access key id (AKIA and 16 characters), the same for the same `i`. */
function accessKey(i: number): string {
  const random = mulberry32(i + 1);
  let key = 'AKIA';
  for (let k = 0; k < 16; k++) key += 'FGHJKMNPQRSVWZ234567'[Math.floor(random() * 20)];
  return key;
}

/** `count` pods, one container each, every one missing what the Pod Security rules ask for. */
function pods(count: number, item = false): string {
  let text = item ? 'apiVersion: v1\nkind: List\nitems:\n' : '';
  for (let i = 0; i < count; i++) {
    const pod = `apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-${i}\n  namespace: shop\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/web:1.0\n`;
    text += item ? `  - ${pod.trimEnd().replace(/\n/g, '\n    ')}\n` : `---\n${pod}`;
  }
  return text;
}

describe('templates in a document that does not parse', () => {
  it(
    'finds the template line past long lines of {{ in a quoted string and in a comment',
    () => {
      // Each {{ re-read its line up to itself: 25 s for these 600,000 characters.
      const quoted = '{{'.repeat(100_000);
      const comment = '{{'.repeat(200_000);
      const text = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: chart\ndata:\n  a: "x \\" ${quoted}"\n  b: x # ${comment}\n  c: {{ .Values.c }}\n`;
      const loaded = loadText('chart.yaml', text);
      expect(loaded.objects).toEqual([]);
      expect(loaded.errors).toEqual([
        {
          file: 'chart.yaml',
          line: 8,
          message: 'this looks like a Helm or Go template ({{ }}); render the chart first (helm template) and scan the output',
          code: 'template',
        },
      ]);
    },
    TIMEOUT,
  );
});

describe('locating findings through merge keys', () => {
  it(
    'locates 9,000 credentials merged into a ConfigMap past a chain of merges that share their sources',
    () => {
      // Each finding had its alias resolved by a walk of the whole document, and looked through
      // 2^15 mappings of the chain: over 10 minutes.
      const count = 9_000;
      let text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keys\n  namespace: shop\nx0: &x0\n  z: a\n';
      for (let d = 1; d <= 15; d++) text += `x${d}: &x${d}\n  <<: [*x${d - 1}, *x${d - 1}]\n  z${d}: a\n`;
      text += 'keys: &keys\n';
      for (let i = 0; i < count; i++) text += `  k${i}: ${accessKey(i)}\n`;
      text += 'data:\n  <<: [*x15, *keys]\n';
      const report = scanTexts([{ file: 'keys.yaml', text }], { rules: RULES.filter((r) => r.id === 'hardcoded-credential') });
      expect(report.errors).toEqual([]);
      expect(report.findings).toHaveLength(count);
      // Each finding points at its key where it is written, below `keys:` (line 53).
      for (const i of [0, 1, 4_321, count - 1]) {
        expect(report.findings.find((f) => f.path === `data.k${i}`)?.location, `k${i}`).toEqual({ file: 'keys.yaml', line: 54 + i, column: 3 });
      }
    },
    TIMEOUT,
  );
});

describe('exceptions', () => {
  it(
    'judges the findings of 3,500 pods against 7,000 exceptions, each finding against those its name can match',
    () => {
      // Every finding was tried against every exception: 15 s.
      const count = 3_500;
      let text = '';
      for (let i = 0; i < count; i++) {
        text += `---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web-${i}-7f9c\n  namespace: ${i % 2 === 0 ? 'shop' : 'shop-canary'}\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/web:1.0\n`;
      }
      // An exception per pod for its Pod Security findings, by a glob on its name; every other one
      // expired, with one after it that still holds for one rule. A glob on namespaces; names no pod has.
      const exceptions: Record<string, string>[] = [];
      for (let i = 0; i < count; i++) {
        exceptions.push({ rule: 'pss-*', name: `web-${i}-*`, reason: `pod ${i}`, ...(i % 2 === 1 ? { expires: '2020-01-01' } : {}) });
        if (i % 2 === 1) exceptions.push({ rule: 'pss-run-as-non-root', name: `web-${i}-7f9?`, reason: `pod ${i} runs as root` });
      }
      exceptions.push({ rule: 'memory-limit', namespace: '*-canary', reason: 'canaries are short-lived' });
      while (exceptions.length < 7_000) exceptions.push({ rule: 'resource-requests', name: `gone-${exceptions.length}`, reason: 'removed' });
      const config = parseConfig({ exceptions }, '.mamori.yaml', knownRules(RULES));
      const report = scanTexts([{ file: 'pods.yaml', text }], { rules: RULES, config, now: new Date('2026-06-01') });
      const reasons = new Map<string, number>();
      for (const s of report.suppressed) reasons.set(`${s.ruleId}: ${s.reason.replace(/\d+/, 'N')}`, (reasons.get(`${s.ruleId}: ${s.reason.replace(/\d+/, 'N')}`) ?? 0) + 1);
      expect(Object.fromEntries(reasons)).toEqual({
        'pss-allow-privilege-escalation: pod N': 1_750,
        'pss-capabilities-restricted: pod N': 1_750,
        'pss-run-as-non-root: pod N': 1_750,
        'pss-seccomp-profile-restricted: pod N': 1_750,
        'pss-run-as-non-root: pod N runs as root': 1_750,
        'memory-limit: canaries are short-lived': 1_750,
      });
      const ofPod = (name: string): string[] => report.suppressed.filter((s) => s.object.name === name).map((s) => `${s.ruleId}: ${s.reason}`);
      expect(ofPod('web-1234-7f9c')).toEqual(['pss-allow-privilege-escalation: pod 1234', 'pss-capabilities-restricted: pod 1234', 'pss-run-as-non-root: pod 1234', 'pss-seccomp-profile-restricted: pod 1234']);
      expect(ofPod('web-1235-7f9c')).toEqual(['memory-limit: canaries are short-lived', 'pss-run-as-non-root: pod 1235 runs as root']);
      expect(report.exceptions.slice(0, 3).map((e) => `${e.status} ${e.matched}`)).toEqual(['active 4', 'expired 4', 'active 1']);
      expect(report.exceptions.filter((e) => e.status === 'stale')).toHaveLength(7_000 - 5_251);
      expect(report.findings.filter((f) => f.ruleId === 'exception-expired')).toHaveLength(1_750);
      expect(report.findings.filter((f) => f.ruleId.startsWith('pss-'))).toHaveLength(3 * 1_750);
    },
    TIMEOUT,
  );
});

describe('mamori fix', () => {
  it(
    'fixes the 1,000 pods of a List, each fix on the one copy of the document',
    () => {
      // Each fix copied the whole List: 18 s.
      const count = 1_000;
      const run = fixSources([{ file: 'pods.yaml', text: pods(count, true) }], { rules: RULES });
      expect(run.initial.errors).toEqual([]);
      expect(run.failed).toEqual([]);
      expect(run.fixed).toHaveLength(6 * count);
      const after = run.files[0]?.after ?? '';
      expect(after.split('runAsNonRoot: true').length - 1).toBe(count);
      const last = after.slice(after.lastIndexOf('  - apiVersion: v1'));
      expect(last).toBe(
        `  - apiVersion: v1
    kind: Pod
    metadata:
      name: web-${count - 1}
      namespace: shop
    spec:
      containers:
        - name: app
          image: registry.example.com/web:1.0
          securityContext:
            allowPrivilegeEscalation: false
            capabilities:
              drop:
                - ALL
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        seccompProfile:
          type: RuntimeDefault
`,
      );
    },
    TIMEOUT,
  );

  it(
    'fixes 20,000 documents of one file, finding the object of each finding by its reference',
    () => {
      // Each finding looked for its object among all of the file's, and for its document among all: 12 s.
      const count = 20_000;
      const text = pods(count);
      const rules = RULES.filter((r) => r.id === 'automount-service-account-token');
      const { findings } = scanTexts([{ file: 'pods.yaml', text }], { rules, fixes: true });
      const result = fixText('pods.yaml', text, findings);
      expect(result.applied).toHaveLength(count);
      expect(result.skipped).toEqual([]);
      expect(result.text.split('automountServiceAccountToken: false').length - 1).toBe(count);
      expect(result.text.slice(result.text.lastIndexOf('---\n'))).toBe(
        `---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web-${count - 1}\n  namespace: shop\nspec:\n  containers:\n    - name: app\n      image: registry.example.com/web:1.0\n  automountServiceAccountToken: false\n`,
      );
    },
    TIMEOUT,
  );

  describe('diff', () => {
    let out = '';
    beforeEach(() => {
      out = '';
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        out += String(chunk);
        return true;
      });
      vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    });
    afterEach(() => {
      vi.restoreAllMocks();
    });

    it(
      'hides the lines of a block scalar of 20,000 credentials once, not once per credential',
      async () => {
        // Each credential's finding hid the rest of the block again: 17 s.
        const count = 20_000;
        let text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keys\n  namespace: shop\ndata:\n  keys: |\n';
        for (let i = 0; i < count; i++) text += `    key ${i} ${accessKey(i)}\n`;
        text += '---\n' + pods(1).slice('---\n'.length);
        const dir = tempDir();
        writeFileSync(join(dir, 'app.yaml'), text);
        expect(await runFix([join(dir, 'app.yaml')], { write: false })).toBe(1);
        const pod = count + 9; // the Pod's first line: after 7 lines of the ConfigMap, its keys and `---`
        expect(out.split('\n').slice(2)).toEqual([
          `@@ -${pod + 6},3 +${pod + 6},13 @@`,
          '   containers:',
          '     - name: app',
          '       image: registry.example.com/web:1.0',
          '+      securityContext:',
          '+        allowPrivilegeEscalation: false',
          '+        capabilities:',
          '+          drop:',
          '+            - ALL',
          '+  automountServiceAccountToken: false',
          '+  securityContext:',
          '+    runAsNonRoot: true',
          '+    seccompProfile:',
          '+      type: RuntimeDefault',
          '',
        ]);
      },
      TIMEOUT,
    );
  });
});

describe('reports', () => {
  it(
    'writes every format in pieces, the same bytes as whole, text for 300,000 findings',
    () => {
      // `Math.max(...widths)` of 300,000 findings threw a RangeError (too many arguments).
      const one = scanTexts([{ file: 'pods.yaml', text: pods(1) }], { rules: RULES });
      const findings = Array.from({ length: 300_000 }, (_, i) => one.findings[i % one.findings.length]!);
      const many = { ...one, findings, summary: summarize(findings) };
      const options: WriterOptions = { color: false, rules: RULES, cwd: process.cwd(), now: new Date('2026-01-01T00:00:00Z') };
      const pieces = [...STREAMING_WRITERS.text(many, options)];
      expect(pieces.length).toBeGreaterThan(1);
      expect(pieces.at(-1)).toMatch(/\n300000 findings \(.*\) in 1 object; scanned 1 object in 1 file\. Pod Security: restricted:latest\.\n$/);
      // Every writer streams; the pieces joined are what it writes whole.
      const report = scanTexts([{ file: 'pods.yaml', text: pods(1_000) }], { rules: RULES });
      for (const format of Object.keys(WRITERS) as Format[]) {
        const streamed = [...STREAMING_WRITERS[format](report, options)];
        expect(streamed.length, format).toBeGreaterThan(1);
        expect(streamed.join(''), format).toBe(WRITERS[format](report, options));
      }
    },
    TIMEOUT,
  );
});

describe('directories', () => {
  it(
    'reads a tree of 1,000 nested directories without resolving each path from the root',
    () => {
      // The real path of every directory and file was asked of the system, each a look-up of every
      // directory above it: 26 s.
      const root = tempDir();
      let dir = root;
      for (let i = 0; i < 1_000; i++) {
        dir = join(dir, 'd');
        mkdirSync(dir);
        writeFileSync(join(dir, 'cm.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c${i}\n`);
      }
      const { inputs, errors } = resolveInputs([root]);
      expect(errors).toEqual([]);
      expect(inputs).toHaveLength(1_000);
      expect(inputs[0]?.file).toBe(join(root, 'd', 'cm.yaml'));
      expect(inputs[999]?.file).toBe(join(dir, 'cm.yaml'));
      // The same file named twice is read once.
      expect(resolveInputs([root, join(root, 'd', 'cm.yaml')]).inputs).toHaveLength(1_000);
      const report = scanPaths([join(root, 'd', 'd')], { rules: [] });
      expect(report.inputs).toEqual({ files: 999, objects: 999 });
    },
    TIMEOUT,
  );
});

describe('errors', () => {
  it(
    'reports a file of 200,000 documents that are not Kubernetes objects: the first 1,000 errors, and a count of the rest',
    () => {
      // The engine took a file's errors as the arguments of one call, past the size of the stack;
      // and every error was held, a million of them for a file of a million broken documents.
      let text = '';
      for (let i = 0; i < 200_000; i++) text += `---\nfoo: ${i}\n`;
      text += '---\napiVersion: v1\nkind: Pod\nmetadata: {name: last}\nspec: {containers: [{name: c, image: x, securityContext: {privileged: true}}]}\n';
      const report = scanTexts([{ file: 'many.yaml', text }, { file: 'other.yaml', text: 'foo: 1\n' }], { rules: RULES });
      // The documents after the errors are still scanned, and so are the other files.
      expect(report.findings.some((f) => f.ruleId === 'pss-privileged' && f.object.name === 'last')).toBe(true);
      expect(report.errors).toHaveLength(1_002);
      // Sorted by file and line: the count (no line) first.
      expect(report.errors[0]).toEqual({ file: 'many.yaml', message: '199,000 more errors in this file are not listed (at most 1,000 are listed per file)', code: 'too-many-errors' });
      expect(report.errors[1_000]).toEqual({ file: 'many.yaml', line: 2_000, message: 'document 1000 is not a Kubernetes object (it needs apiVersion and kind)', code: 'not-kubernetes' });
      expect(report.errors[1_001]).toEqual({ file: 'other.yaml', line: 1, message: 'document 1 is not a Kubernetes object (it needs apiVersion and kind)', code: 'not-kubernetes' });
    },
    TIMEOUT,
  );
});
