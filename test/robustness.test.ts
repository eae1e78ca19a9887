import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadInput, loadText, locateIn, resolveInputs } from '../src/load/load.js';
import { DEFAULT_LIMITS } from '../src/load/limits.js';
import type { LoadedObject } from '../src/load/types.js';
import type { Path, ReportError } from '../src/types.js';
import { mulberry32 } from './helpers/prng.js';

// Hostile and broken inputs: each must become an error entry naming its file, never a crash or
// a hang, and must not stop the good file beside it from loading. The timeouts only catch hangs.
const TIMEOUT = 10_000;

const GOOD = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: good
  namespace: shop
spec:
  selector:
    matchLabels: { app: good }
  template:
    metadata:
      labels: { app: good }
    spec:
      containers:
        - name: app
          image: registry.example.com/good:1.0
`;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A temp dir holding good.yaml and the given file; returns the loaded result of the whole dir. */
function loadBeside(name: string, content: string | Buffer): { dir: string; bad: string; objects: LoadedObject[]; errors: ReportError[] } {
  const dir = mkdtempSync(join(tmpdir(), 'mamori-robust-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'good.yaml'), GOOD);
  const bad = join(dir, name);
  writeFileSync(bad, content);
  const { inputs, errors } = resolveInputs([dir]);
  const files = inputs.map((input) => loadInput(input));
  return { dir, bad, objects: files.flatMap((f) => f.objects), errors: [...errors, ...files.flatMap((f) => f.errors)] };
}

/** The result holds exactly the good Deployment and one error of `code` for `bad`. */
function expectOneError(result: ReturnType<typeof loadBeside>, code: string): ReportError {
  expect(result.objects.map((o) => `${o.ref.kind}/${o.ref.name}`)).toEqual(['Deployment/good']);
  expect(result.objects[0]?.source.file).toBe(join(result.dir, 'good.yaml'));
  expect(result.errors).toHaveLength(1);
  const error = result.errors[0]!;
  expect(error.file).toBe(result.bad);
  expect(error.code).toBe(code);
  expect(error.message).not.toMatch(/\n\s+at /); // no stack trace
  return error;
}

const CONFIG_MAP_HEAD = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hostile\ndata:\n';

describe('hostile inputs beside a good manifest', () => {
  it(
    'refuses a billion-laughs alias bomb (9 levels of 9 aliases)',
    () => {
      let bomb = '  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
      for (let i = 1; i <= 9; i++) bomb += `  l${i}: &l${i} [${Array.from({ length: 9 }, () => `*l${i - 1}`).join(', ')}]\n`;
      const error = expectOneError(loadBeside('bomb.yaml', `${CONFIG_MAP_HEAD}${bomb}`), 'alias-limit');
      expect(error.line).toBe(1);
      expect(error.message).toMatch(/1,000,000/);
    },
    TIMEOUT,
  );

  it(
    'refuses a recursive alias',
    () => {
      expectOneError(loadBeside('recursive.yaml', '&a [*a]\n'), 'alias-limit');
      expectOneError(loadBeside('recursive-in-object.yaml', `${CONFIG_MAP_HEAD}  self: &s { again: *s }\n`), 'alias-limit');
    },
    TIMEOUT,
  );

  it(
    'refuses a 10 MB document',
    () => {
      const error = expectOneError(loadBeside('huge.yaml', `${CONFIG_MAP_HEAD}  blob: ${'a'.repeat(10 * 1024 * 1024)}\n`), 'too-large');
      expect(error.line).toBe(1);
    },
    TIMEOUT,
  );

  it(
    'refuses a file over the file size limit',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'mamori-robust-'));
      dirs.push(dir);
      const file = join(dir, 'big.yaml');
      writeFileSync(file, `${CONFIG_MAP_HEAD}  k: ${'v'.repeat(2000)}\n`);
      const result = loadInput({ file, stdin: false }, { ...DEFAULT_LIMITS, maxFileBytes: 1000 });
      expect(result.objects).toEqual([]);
      expect(result.errors).toEqual([expect.objectContaining({ file, code: 'too-large' })]);
    },
    TIMEOUT,
  );

  it(
    'refuses flow collections nested 10,000 deep',
    () => {
      const error = expectOneError(loadBeside('deep-flow.yaml', `${'['.repeat(10_000)}${']'.repeat(10_000)}\n`), 'too-deep');
      expect(error.line).toBe(1);
    },
    TIMEOUT,
  );

  it(
    'refuses block sequences nested 10,000 deep',
    () => {
      expectOneError(loadBeside('deep-block-seq.yaml', `${'- '.repeat(10_000)}x\n`), 'too-deep');
    },
    TIMEOUT,
  );

  it(
    'refuses block mappings nested 2,000 deep, at the line where the limit is passed',
    () => {
      let text = '';
      for (let i = 0; i < 2000; i++) text += `${' '.repeat(i)}k${i}:\n`;
      const error = expectOneError(loadBeside('deep-block-map.yaml', text), 'too-deep');
      // Line n holds the key of nesting level n; the error is where level 128 (the limit) is passed.
      expect(error.line).toBeGreaterThanOrEqual(128);
      expect(error.line).toBeLessThanOrEqual(129);
    },
    TIMEOUT,
  );

  it(
    'refuses 10,000 nested block mappings (50 MB of indentation: too large before too deep)',
    () => {
      let text = '';
      for (let i = 0; i < 10_000; i++) text += `${' '.repeat(i)}k:\n`;
      expectOneError(loadBeside('deep-block-map-10k.yaml', text), 'too-large');
      // With the size limit out of the way, the depth limit still stops it.
      const raised = loadText('deep.yaml', text, { ...DEFAULT_LIMITS, maxDocumentBytes: 100 * 1024 * 1024 });
      expect(raised.objects).toEqual([]);
      expect(raised.errors).toEqual([expect.objectContaining({ file: 'deep.yaml', code: 'too-deep' })]);
    },
    TIMEOUT,
  );

  it(
    'survives nesting past the stack even with the depth limit lifted',
    () => {
      const lifted = { ...DEFAULT_LIMITS, maxDepth: Number.MAX_SAFE_INTEGER };
      // Block nesting goes through the YAML parser, which runs out of stack and says so.
      const block = loadText('stack.yaml', `${'- '.repeat(100_000)}x`, lifted);
      expect(block.objects).toEqual([]);
      expect(block.errors).toEqual([expect.objectContaining({ file: 'stack.yaml', code: 'too-deep' })]);
      // Flow nesting is valid JSON, which the native parser reads without a stack; it is not an object.
      const flow = loadText('stack.yaml', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, lifted);
      expect(flow.objects).toEqual([]);
      expect(flow.errors).toEqual([expect.objectContaining({ file: 'stack.yaml', code: 'not-kubernetes' })]);
    },
    TIMEOUT,
  );

  it(
    'refuses a binary file named .yaml',
    () => {
      const random = mulberry32(1234);
      const bytes = Buffer.alloc(4096, 0);
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
      bytes[100] = 0;
      bytes[3000] = 0;
      expectOneError(loadBeside('image.yaml', bytes), 'binary');
    },
    TIMEOUT,
  );

  it(
    'refuses invalid UTF-8, naming its line',
    () => {
      const bytes = Buffer.concat([Buffer.from('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf'), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]);
      const error = expectOneError(loadBeside('latin.yaml', bytes), 'encoding');
      expect(error.line).toBe(4);
    },
    TIMEOUT,
  );

  it(
    'refuses UTF-16 with a byte order mark',
    () => {
      const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: wide\n';
      expectOneError(loadBeside('utf16le.yaml', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])), 'encoding');
      expectOneError(loadBeside('utf16be.yaml', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()])), 'encoding');
    },
    TIMEOUT,
  );

  it(
    'reads a UTF-8 byte order mark as nothing',
    () => {
      const result = loadBeside('bom.yaml', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bom\n')]));
      expect(result.errors).toEqual([]);
      expect(result.objects.map((o) => o.ref.name).sort()).toEqual(['bom', 'good']);
    },
    TIMEOUT,
  );

  it(
    'reads an empty file and a file of only comments as no objects and no errors',
    () => {
      for (const [name, content] of [
        ['empty.yaml', ''],
        ['comments.yaml', '# nothing to see\n   # indented comment\n\n#\n'],
        ['markers.yaml', '---\n# only markers\n...\n'],
      ] as const) {
        const result = loadBeside(name, content);
        expect(result.errors).toEqual([]);
        expect(result.objects.map((o) => o.ref.name)).toEqual(['good']);
      }
    },
    TIMEOUT,
  );
});


/** Every path of a value (the root included). */
function pathsOf(value: unknown, path: Path = [], out: Path[] = []): Path[] {
  out.push(path);
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...path, i], out));
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) pathsOf(v, [...path, k], out);
  return out;
}

const CODES = new Set(['parse', 'not-kubernetes', 'template', 'binary', 'encoding', 'too-large', 'too-deep', 'alias-limit']);

describe('fuzz: mutations of a realistic Deployment', () => {
  it(
    'loads 300 mutations without throwing; every error names the file, every object can be located',
    () => {
      const original = readFileSync(new URL('./data/deployment.yaml', import.meta.url));
      const random = mulberry32(20_260_128);
      const dir = mkdtempSync(join(tmpdir(), 'mamori-fuzz-'));
      dirs.push(dir);
      const inserts = Buffer.from('{[&*!|>');
      let withErrors = 0;
      let withObjects = 0;
      for (let n = 0; n < 300; n++) {
        let bytes = Buffer.from(original);
        const steps: string[] = [];
        for (let k = 1 + Math.floor(random() * 3); k > 0; k--) {
          const at = Math.floor(random() * bytes.length);
          const op = random();
          if (op < 0.45) {
            const bit = 1 << Math.floor(random() * 8);
            bytes[at] = bytes[at]! ^ bit;
            steps.push(`flip ${at}^${bit}`);
          } else if (op < 0.6) {
            bytes = bytes.subarray(0, at);
            steps.push(`truncate ${at}`);
          } else {
            const c = inserts[Math.floor(random() * inserts.length)]!;
            bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([c]), bytes.subarray(at)]);
            steps.push(`insert ${String.fromCharCode(c)} at ${at}`);
          }
        }
        const file = join(dir, `m${n}.yaml`);
        writeFileSync(file, bytes);
        const replay = `mutation ${n}: ${steps.join(', ')}`;
        let result: ReturnType<typeof loadInput>;
        try {
          result = loadInput({ file, stdin: false });
        } catch (error) {
          throw new Error(`${replay} threw: ${(error as Error).stack}`);
        }
        const lineCount = bytes.toString('utf8').split('\n').length;
        for (const e of result.errors) {
          expect(e.file, replay).toBe(file);
          expect(CODES.has(e.code), `${replay}: code ${e.code}`).toBe(true);
          if (e.line !== undefined) expect(e.line >= 1 && e.line <= lineCount, `${replay}: error line ${e.line}`).toBe(true);
        }
        for (const object of result.objects) {
          for (const path of pathsOf(object.object)) {
            const at = locateIn(result, object, path);
            expect(at, `${replay}: ${JSON.stringify(path)}`).toBeDefined();
            expect(at!.line >= 1 && at!.line <= lineCount && at!.column >= 1, `${replay}: ${JSON.stringify(path)} at ${at!.line}:${at!.column}`).toBe(true);
          }
        }
        if (result.errors.length > 0) withErrors++;
        if (result.objects.length > 0) withObjects++;
      }
      // The mutations did something, and did not break everything.
      expect(withErrors).toBeGreaterThan(30);
      expect(withObjects).toBeGreaterThan(30);
    },
    30_000,
  );
});

describe('what a directory walk reads', () => {
  /** Writes files (path → text) under a new temp dir; returns the dir. */
  const tree = (files: Record<string, string>): string => {
    const dir = mkdtempSync(join(tmpdir(), 'mamori-walk-'));
    dirs.push(dir);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  };
  const load = (paths: string[]): { files: string[]; objects: string[]; errors: ReportError[] } => {
    const { inputs, errors } = resolveInputs(paths);
    const loaded = inputs.map((input) => loadInput(input));
    return { files: inputs.map((i) => i.file), objects: loaded.flatMap((f) => f.objects.map((o) => o.ref.name)), errors: [...errors, ...loaded.flatMap((f) => f.errors)] };
  };
  const TEMPLATE = GOOD.replace('name: good', 'name: "{{ .Release.Name }}"');

  it('passes over what is not a manifest, and reads every file named on the command line', () => {
    const dir = tree({
      'good.yaml': GOOD,
      '.mamori.yaml': 'failOn: high\n',
      '.pre-commit-config.yaml': 'repos: []\n',
      '.hidden/deploy.yaml': GOOD,
      'node_modules/x/deploy.yaml': GOOD,
      'kustomization.yaml': 'resources: [good.yaml]\n',
      'overlay/kustomization.yml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n',
      'helmfile.yaml': 'releases:\n- name: {{ .Values.name }}\n',
      'chart/Chart.yaml': 'apiVersion: v2\nname: chart\nversion: 1.0.0\n',
      'chart/values.yaml': 'image: "{{ .Release.Name }}"\n',
      'chart/values-prod.yml': 'replicas: 3\n',
      'chart/values.schema.json': '{"type": "object"}\n',
      'chart/templates/deploy.yaml': TEMPLATE,
      'chart/templates/plain.yaml': GOOD,
      'chart/crds/crd.yaml': 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: crd}\n',
      'chart/charts/sub/Chart.yaml': 'apiVersion: v2\nname: sub\nversion: 1.0.0\n',
      'chart/charts/sub/templates/deploy.yaml': TEMPLATE,
      // Outside a chart, values files are read: this one holds no object, so it is no manifest either.
      'values.yaml': 'replicas: 3\n',
      // A mamori configuration and a baseline under other names.
      'ci/mamori.yaml': 'failOn: high\nrules:\n  image-latest-tag: off\n',
      'ci/baseline.json': '{"schemaVersion": 1, "tool": {"name": "mamori"}, "findings": []}\n',
    });
    const walked = load([dir]);
    expect(walked.files.map((f) => f.slice(dir.length + 1)).sort()).toEqual(['chart/crds/crd.yaml', 'ci/baseline.json', 'ci/mamori.yaml', 'good.yaml', 'values.yaml']);
    expect(walked.errors).toEqual([]);
    expect(walked.objects).toEqual(['crd', 'good']);
    // Named, each is read: and what is not a Kubernetes object is an error.
    const named = load([join(dir, '.mamori.yaml'), join(dir, 'kustomization.yaml'), join(dir, 'chart/values.yaml'), join(dir, 'chart/templates/deploy.yaml'), join(dir, 'chart/templates/plain.yaml')]);
    expect(named.objects).toEqual(['good']);
    expect(named.errors.map((e) => [e.file.slice(dir.length + 1), e.code])).toEqual([
      ['.mamori.yaml', 'not-kubernetes'],
      ['kustomization.yaml', 'not-kubernetes'],
      ['chart/values.yaml', 'template'],
      ['chart/templates/deploy.yaml', 'template'],
    ]);
  });

  it('reports a directory named on the command line that is a Helm chart, and still reads its crds', () => {
    const dir = tree({
      'Chart.yaml': 'apiVersion: v2\nname: chart\nversion: 1.0.0\n',
      'templates/deploy.yaml': TEMPLATE,
      'crds/crd.yaml': 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: crd}\n',
    });
    const result = load([dir]);
    expect(result.objects).toEqual(['crd']);
    expect(result.errors).toEqual([expect.objectContaining({ file: dir, code: 'template' })]);
    expect(result.errors[0]?.message).toContain(`helm template ${dir} | mamori scan -`);
  });

  const fifo = (dir: string, name: string): string | undefined => {
    const path = join(dir, name);
    // Through sh, which the test that reads the pipe needs as well: without it, it would wait forever.
    return spawnSync('sh', ['-c', 'mkfifo "$0"', path]).status === 0 ? path : undefined;
  };

  it.skipIf(process.platform === 'win32')(
    'does not open a pipe it meets in a directory',
    () => {
      const dir = tree({ 'good.yaml': GOOD });
      if (fifo(dir, 'pipe.yaml') === undefined) return;
      const result = load([dir]);
      expect(result.files).toEqual([join(dir, 'good.yaml')]);
      expect(result.objects).toEqual(['good']);
    },
    TIMEOUT,
  );

  it.skipIf(process.platform === 'win32')(
    'reads a pipe named on the command line to its end, once, within the size limit',
    async () => {
      const dir = tree({});
      const pipe = fifo(dir, 'pipe.yaml');
      if (pipe === undefined) return;
      /** Loads the pipe while another process writes `text` into it. */
      const loadPipe = async (text: string, limits = DEFAULT_LIMITS): Promise<ReturnType<typeof loadInput>> => {
        const source = join(dir, 'source');
        writeFileSync(source, text);
        const writer = spawn('sh', ['-c', 'cat "$0" > "$1"', source, pipe], { stdio: 'ignore' });
        const closed = new Promise((resolve) => writer.on('close', resolve));
        const { inputs } = resolveInputs([pipe]);
        expect(inputs).toEqual([{ file: pipe, stdin: false, stream: true }]);
        const loaded = loadInput(inputs[0]!, limits);
        await closed;
        return loaded;
      };
      // More than a pipe holds at once, so that it is read in several reads.
      const loaded = await loadPipe(`${GOOD}${'# padding\n'.repeat(20_000)}`);
      expect(loaded.errors).toEqual([]);
      expect(loaded.objects.map((o) => o.ref.name)).toEqual(['good']);
      // Read once: the engine must not open it again to locate findings.
      expect(loaded.rereadable).toBeUndefined();
      const large = await loadPipe(GOOD, { ...DEFAULT_LIMITS, maxFileBytes: 100 });
      expect(large.errors).toEqual([{ file: pipe, code: 'too-large', message: 'file is larger than the limit of 100 bytes' }]);
    },
    TIMEOUT,
  );
});

describe('lists inside lists reach the rules', () => {
  it(
    'are flattened past the call stack when the depth limit is lifted, and searched for Helm values',
    () => {
      const lifted = { ...DEFAULT_LIMITS, maxDepth: Number.MAX_SAFE_INTEGER, maxDocumentBytes: 64 * 1024 * 1024 };
      const depth = 100_000;
      const nested = (name: string): string =>
        `${'{"apiVersion": "v1", "kind": "List", "items": ['.repeat(depth)}{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "${name}"}}${']}'.repeat(depth)}`;
      const plain = loadText('deep.json', nested('deep'), lifted);
      expect(plain.errors).toEqual([]);
      expect(plain.objects.map((o) => [o.ref.name, o.prefix.length])).toEqual([['deep', 2 * depth]]);
      const template = loadText('deep.json', nested('{{ .Release.Name }}'), lifted);
      expect(template.objects).toEqual([]);
      expect(template.errors).toEqual([expect.objectContaining({ code: 'template', line: 1 })]);
    },
    TIMEOUT,
  );


  it('with findings located in the nested item', async () => {
    const { scanTexts } = await import('../src/engine/scan.js');
    const { RULES } = await import('../src/rules/index.js');
    const text = 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n  items:\n  - apiVersion: v1\n    kind: Pod\n    metadata:\n      name: nested\n    spec:\n      hostPID: true\n      containers: [{name: c, image: "nginx:1"}]\n';
    const report = scanTexts([{ file: 'nested.yaml', text }], { rules: RULES.filter((r) => r.id === 'pss-host-namespaces') });
    expect(report.errors).toEqual([]);
    expect(report.findings.map((f) => [f.object.name, f.path, f.location])).toEqual([['nested', 'spec.hostPID', { file: 'nested.yaml', line: 12, column: 7 }]]);
  });
});

describe('hostile values reach the rules', () => {
  it(
    'reads a container command of a 300,000-character shell option in linear time',
    async () => {
      const { scanTexts } = await import('../src/engine/scan.js');
      const { RULES } = await import('../src/rules/index.js');
      // Each check of the shell's options must stay linear: a quadratic one takes minutes here.
      const option = `-${'c'.repeat(300_000)}!`;
      const text = `${GOOD.replace('image: registry.example.com/good:1.0', `image: registry.example.com/good:1.0\n          command: ["sh", "${option}", "-c", "sudo true"]`)}`;
      const report = scanTexts([{ file: 'hostile.yaml', text }], { rules: RULES.filter((r) => r.id === 'container-sudo') });
      expect(report.errors).toEqual([]);
      expect(report.findings.map((f) => f.path)).toEqual(['spec.template.spec.containers[0].command[3]']);
    },
    TIMEOUT,
  );
});

describe('many findings on one object', () => {
  /**
   * A random AWS access key id (AKIA and 16 characters), the same for the same `i`. Its letters
   * spell none of the placeholder words (TBD, XXX, EXAMPLE, ...) that make a value not a credential.
   */
  const accessKey = (i: number): string => {
    const random = mulberry32(i + 1);
    let key = 'AKIA';
    for (let k = 0; k < 16; k++) key += 'FGHJKMNPQRSVWZ234567'[Math.floor(random() * 20)];
    return key;
  };

  it(
    'locates 75,000 findings in one ConfigMap, YAML or JSON, each at its own line',
    async () => {
      const { scanTexts } = await import('../src/engine/scan.js');
      const { RULES } = await import('../src/rules/index.js');
      const rules = RULES.filter((r) => r.id === 'hardcoded-credential');
      const count = 75_000;
      let yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keys\n  namespace: shop\ndata:\n';
      const data: Record<string, string> = {};
      for (let i = 0; i < count; i++) {
        yaml += `  k${i}: ${accessKey(i)}\n`;
        data[`k${i}`] = accessKey(i);
      }
      // JSON on one line per key, so that its lines are those of the YAML.
      const json = `{"apiVersion": "v1",\n"kind": "ConfigMap",\n"metadata": {\n  "name": "keys",\n  "namespace": "shop"},\n"data": {\n${Object.entries(data).map(([k, v]) => `  "${k}": "${v}"`).join(',\n')}\n}}\n`;
      for (const [file, text, column] of [['keys.yaml', yaml, 3], ['keys.json', json, 3]] as const) {
        const report = scanTexts([{ file, text }], { rules });
        expect(report.errors).toEqual([]);
        expect(report.findings).toHaveLength(count);
        // Each finding points at its key (the 7th line holds k0).
        for (const i of [0, 1, 31, 32, 33, 5_000, count - 1]) {
          const finding = report.findings.find((f) => f.path === `data.k${i}`);
          expect(finding?.location, `${file} k${i}`).toEqual({ file, line: 7 + i, column });
        }
      }
    },
    30_000,
  );

  it(
    'locates a finding on each of 20,000 containers of one pod at its container',
    async () => {
      const { scanTexts } = await import('../src/engine/scan.js');
      const { RULES } = await import('../src/rules/index.js');
      const count = 20_000;
      let yaml = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: wide\n  namespace: shop\nspec:\n  containers:\n';
      for (let i = 0; i < count; i++) yaml += `    - name: c${i}\n      image: registry.example.com/app:1.0\n      env:\n        - name: API_KEY\n          value: ${accessKey(i)}\n`;
      const report = scanTexts([{ file: 'wide.yaml', text: yaml }], { rules: RULES.filter((r) => r.id === 'hardcoded-credential') });
      expect(report.errors).toEqual([]);
      expect(report.findings).toHaveLength(count);
      // Container i starts on line 8 + 5i; the key `value` is four lines further.
      for (const i of [0, 31, 32, 33, 12_345, count - 1]) {
        const finding = report.findings.find((f) => f.path === `spec.containers[${i}].env[0].value`);
        expect(finding?.location, `container ${i}`).toEqual({ file: 'wide.yaml', line: 12 + 5 * i, column: 11 });
      }
    },
    30_000,
  );
});
