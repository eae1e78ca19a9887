import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandPaths } from '../src/load/files.js';
import { loadText, locateIn, type LoadedFile } from '../src/load/load.js';
import { DEFAULT_LIMITS } from '../src/load/limits.js';
import { splitDocuments } from '../src/load/parse.js';
import type { Path } from '../src/types.js';

/** Joins lines with LF; the line number of an entry is its index + 1. */
const lines = (...l: string[]): string => `${l.join('\n')}\n`;

const names = (file: LoadedFile): string[] => file.objects.map((o) => o.ref.name);

/** The value at a path of a parsed document. */
const dig = (value: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((v, k) => (typeof v === 'object' && v !== null ? (v as Record<string | number, unknown>)[k] : undefined), value);

describe('splitDocuments', () => {
  it('does not count leading comments as a document', () => {
    const text = lines('# header comment', '# another', 'apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: a}');
    expect(splitDocuments(text)).toEqual([{ index: 0, start: 0, end: text.length, line: 1 }]);

    const withMarker = lines('# header comment', '', '---', 'apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: a}');
    const start = withMarker.indexOf('---');
    expect(splitDocuments(withMarker)).toEqual([{ index: 0, start, end: withMarker.length, line: 3 }]);
    const file = loadText('c.yaml', withMarker);
    expect(file.errors).toEqual([]);
    expect(file.objects[0]?.source).toMatchObject({ document: 0, line: 3 });
  });

  it('reads documents that start on the `---` line itself', () => {
    const text = lines(
      '--- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}',
      '--- # a comment after the marker',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: b}',
      '--- !!map {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}',
    );
    expect(splitDocuments(text).map((c) => c.line)).toEqual([1, 2, 6]);
    const file = loadText('inline.yaml', text);
    expect(file.errors).toEqual([]);
    expect(names(file)).toEqual(['a', 'b', 'c']);
    expect(file.objects.map((o) => o.source.document)).toEqual([0, 1, 2]);
  });

  it('ends a document at `...` and reads a bare document after it', () => {
    const text = lines(
      'apiVersion: v1', //            1
      'kind: ConfigMap',
      'metadata: {name: a}',
      '...', //                       4
      'apiVersion: v1', //            5
      'kind: ConfigMap',
      'metadata: {name: b}',
      '...',
      '# trailing comment after the last end marker',
    );
    const chunks = splitDocuments(text);
    expect(chunks.map((c) => c.line)).toEqual([1, 5]);
    expect(text.slice(chunks[1]!.start, chunks[1]!.end)).toBe(lines('apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: b}'));
    const file = loadText('dots.yaml', text);
    expect(file.errors).toEqual([]);
    expect(names(file)).toEqual(['a', 'b']);
    expect(file.objects[1]?.source.line).toBe(5);
  });

  it('counts empty documents between markers without reporting them', () => {
    const text = lines('---', '---', '# nothing here either', '---', 'apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: last}', '---');
    const chunks = splitDocuments(text);
    expect(chunks.map((c) => c.line)).toEqual([1, 2, 4, 8]);
    const file = loadText('empty-docs.yaml', text);
    expect(file.errors).toEqual([]);
    expect(names(file)).toEqual(['last']);
    expect(file.objects[0]?.source).toMatchObject({ document: 2, line: 4 });
  });

  it('does not split at `---` or `...` inside an indented block scalar', () => {
    const text = lines(
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: script',
      'data:',
      '  run.sh: |',
      '    echo one',
      '    ---',
      '    ...',
      '    echo two',
      '  other: x',
      '---',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: after}',
    );
    expect(splitDocuments(text).map((c) => c.line)).toEqual([1, 12]);
    const file = loadText('scalar.yaml', text);
    expect(file.errors).toEqual([]);
    expect(names(file)).toEqual(['script', 'after']);
    expect(file.objects[0]?.object['data']).toEqual({ 'run.sh': 'echo one\n---\n...\necho two\n', other: 'x' });
  });

  it('does not take `----` or `---x` for a marker', () => {
    const text = lines('apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: a}', 'data:', '  k: |', '    x', '----: 1', '---x: 2');
    expect(splitDocuments(text)).toHaveLength(1);
    expect(loadText('m.yaml', text).objects[0]?.object).toMatchObject({ '----': 1, '---x': 2 });
  });
});

describe('YAML 1.1 scalars, as kubectl reads them', () => {
  const file = loadText(
    'scalars.yaml',
    lines(
      'apiVersion: v1',
      'kind: Pod',
      'metadata:',
      '  name: scalars',
      '  annotations:',
      '    created: 2024-01-31',
      '    stamp: 2001-12-14t21:59:43.10-05:00',
      '    quoted-yes: "yes"',
      "    quoted-octal: '0644'",
      'spec:',
      '  hostNetwork: yes',
      '  hostPID: on',
      '  hostIPC: No',
      '  shareProcessNamespace: OFF',
      '  containers:',
      '  - name: c',
      '    image: nginx',
      '    securityContext:',
      '      privileged: Yes',
      '      runAsUser: 0',
      '  volumes:',
      '  - name: v',
      '    secret:',
      '      secretName: s',
      '      defaultMode: 0644',
      '  - name: w',
      '    configMap:',
      '      name: c',
      '      defaultMode: 0755',
      '  terminationGracePeriodSeconds: 30',
      '  priority: ~',
    ),
  );
  const pod = file.objects[0]?.object;

  it('loads the document', () => {
    expect(file.errors).toEqual([]);
    expect(file.objects).toHaveLength(1);
  });

  it('reads yes/on/No/OFF/Yes as booleans', () => {
    expect(dig(pod, 'spec', 'hostNetwork')).toBe(true);
    expect(dig(pod, 'spec', 'hostPID')).toBe(true);
    expect(dig(pod, 'spec', 'hostIPC')).toBe(false);
    expect(dig(pod, 'spec', 'shareProcessNamespace')).toBe(false);
    expect(dig(pod, 'spec', 'containers', 0, 'securityContext', 'privileged')).toBe(true);
  });

  it('reads a leading-zero integer as octal', () => {
    expect(dig(pod, 'spec', 'volumes', 0, 'secret', 'defaultMode')).toBe(420);
    expect(dig(pod, 'spec', 'volumes', 1, 'configMap', 'defaultMode')).toBe(493);
    expect(dig(pod, 'spec', 'containers', 0, 'securityContext', 'runAsUser')).toBe(0);
    expect(dig(pod, 'spec', 'terminationGracePeriodSeconds')).toBe(30);
  });

  it('keeps timestamps and quoted scalars as strings, and ~ as null', () => {
    expect(dig(pod, 'metadata', 'annotations')).toEqual({
      created: '2024-01-31',
      stamp: '2001-12-14t21:59:43.10-05:00',
      'quoted-yes': 'yes',
      'quoted-octal': '0644',
    });
    expect(dig(pod, 'spec', 'priority')).toBeNull();
  });

  it('drops `_` from numbers as go-yaml v2 does, so `hostPort: 8_080` is the port 8080', () => {
    const f = loadText(
      'underscores.yaml',
      lines(
        'apiVersion: v1',
        'kind: Pod',
        'metadata: {name: u}',
        'spec:',
        '  containers:',
        '  - name: c',
        '    image: x',
        '    ports:',
        '    - containerPort: 8_080',
        '      hostPort: 8_080',
        '  x: [1_000, -1_000, 0x_1F, 0_644, 1_0.5, _1, 1_a, "8_080"]',
      ),
    );
    expect(f.errors).toEqual([]);
    const spec = f.objects[0]?.object['spec'];
    expect(dig(spec, 'containers', 0, 'ports', 0)).toEqual({ containerPort: 8080, hostPort: 8080 });
    expect(dig(spec, 'x')).toEqual([1000, -1000, 31, 420, 10.5, '_1', '1_a', '8_080']);
  });

  it('loads the YAML 1.1 value key `=` as the string "="', () => {
    const f = loadText('eq.yaml', lines('apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: eq}', 'data:', '  flow: [=, a]', '  block:', '  - =', '  plain: ='));
    expect(f.errors).toEqual([]);
    expect(f.objects[0]?.object['data']).toEqual({ flow: ['=', 'a'], block: ['='], plain: '=' });
  });
});

describe('merge keys', () => {
  it('merges `<<` mappings, with explicit keys and earlier merges taking precedence', () => {
    const file = loadText(
      'merge.yaml',
      lines(
        'apiVersion: v1',
        'kind: Pod',
        'metadata:',
        '  name: merged',
        'x-defaults: &defaults',
        '  image: nginx:1.27',
        '  securityContext: &sc',
        '    privileged: true',
        'x-other: &other',
        '  image: busybox',
        '  imagePullPolicy: Always',
        'spec:',
        '  containers:',
        '  - <<: *defaults',
        '    name: a',
        '  - <<: *defaults',
        '    name: b',
        '    image: explicit',
        '  - <<: [*other, *defaults]',
        '    name: c',
        '  initContainers:',
        '  - name: init',
        '    image: x',
        '    securityContext:',
        '      <<: *sc',
        '      runAsUser: 0',
      ),
    );
    expect(file.errors).toEqual([]);
    const spec = file.objects[0]!.object['spec'] as Record<string, unknown>;
    expect(spec['containers']).toEqual([
      { image: 'nginx:1.27', securityContext: { privileged: true }, name: 'a' },
      { image: 'explicit', securityContext: { privileged: true }, name: 'b' },
      { image: 'busybox', imagePullPolicy: 'Always', securityContext: { privileged: true }, name: 'c' },
    ]);
    expect(spec['initContainers']).toEqual([{ name: 'init', image: 'x', securityContext: { privileged: true, runAsUser: 0 } }]);
  });
});

describe('List kinds', () => {
  it('expands `kind: List` into its items, with the prefix [items, i]', () => {
    const file = loadText(
      'list.yaml',
      lines(
        'apiVersion: v1',
        'kind: List',
        'items:',
        '- apiVersion: v1',
        '  kind: ConfigMap',
        '  metadata: {name: cm, namespace: ns}',
        '- apiVersion: apps/v1',
        '  kind: Deployment',
        '  metadata: {name: web}',
        '- kind: Secret',
        '  metadata: {name: no-api-version}',
      ),
    );
    expect(file.objects.map((o) => [o.ref, o.prefix])).toEqual([
      [{ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'cm' }, ['items', 0]],
      [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, ['items', 1]],
    ]);
    // An item of an untyped List that has no apiVersion is not an object; the others still load.
    expect(file.errors).toHaveLength(1);
    expect(file.errors[0]).toMatchObject({ file: 'list.yaml', code: 'not-kubernetes', line: 10 });
    expect(file.errors[0]?.message).toContain('items[2]');
  });

  it('gives items of a typed list (PodList) the list kind without "List" when they have none', () => {
    const file = loadText(
      'pods.yaml',
      lines(
        'apiVersion: v1',
        'kind: PodList',
        'items:',
        '- metadata: {name: p0}',
        '  spec: {containers: [{name: c, image: x}]}',
        '- metadata: {name: p1}',
        '- apiVersion: v1',
        '  kind: Pod',
        '  metadata: {name: p2}',
      ),
    );
    expect(file.errors).toEqual([]);
    expect(file.objects.map((o) => [o.ref.apiVersion, o.ref.kind, o.ref.name, o.prefix])).toEqual([
      ['v1', 'Pod', 'p0', ['items', 0]],
      ['v1', 'Pod', 'p1', ['items', 1]],
      ['v1', 'Pod', 'p2', ['items', 2]],
    ]);
    expect(file.objects[0]?.object).toEqual({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p0' }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    // Locations of an item's fields point into the item.
    expect(locateIn(file, file.objects[1]!, ['metadata', 'name'])).toEqual({ file: 'pods.yaml', line: 6, column: 14 });
  });
});

describe('Lists past the size of one object', () => {
  it('reads a List larger than the limit of a document, and holds each item to it', () => {
    const limits = { ...DEFAULT_LIMITS, maxDocumentBytes: 2000 };
    const cm = (name: string, size: number): unknown => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v'.repeat(size) } });
    // As kubectl writes an export: `kind` after `items`.
    const list = JSON.stringify({ apiVersion: 'v1', items: [cm('a', 900), cm('b', 900), cm('c', 2500)], kind: 'List', metadata: {} }, null, 2);
    const file = loadText('export.json', list, limits);
    expect(file.objects.map((o) => o.ref.name)).toEqual(['a', 'b']);
    expect(file.errors.map((e) => [e.code, e.message])).toEqual([['too-large', 'document 1, items[2], is 2,578 bytes as JSON; the limit is 2,000 (the API server refuses larger objects)']]);
    // An object that size is refused whole, and so is a document that only says List in a string.
    expect(loadText('big.json', JSON.stringify(cm('d', 2500)), limits).errors.map((e) => e.code)).toEqual(['too-large']);
    const pretending = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'e' }, data: { note: 'kind: List', k: 'v'.repeat(2500) } });
    expect(loadText('e.json', pretending, limits).errors.map((e) => e.code)).toEqual(['too-large']);
  });
});

describe('lists inside lists', () => {
  const text = lines(
    'apiVersion: v1', //                         1
    'kind: List',
    'items:',
    '- apiVersion: v1', //                       4
    '  kind: List',
    '  items:',
    '  - apiVersion: v1', //                     7
    '    kind: Pod',
    '    metadata: {name: inner}',
    '    spec: {hostPID: true}', //              10
    '  - apiVersion: v1',
    '    kind: PodList',
    '    items:',
    '    - metadata: {name: typed}', //          14
    '- apiVersion: v1',
    '  kind: ConfigMap',
    '  metadata: {name: outer}', //              17
    '- apiVersion: v1',
    '  kind: List',
    '  items: "x"', //                           20
    '- apiVersion: v1',
    '  kind: List',
    '  items: null',
    '- apiVersion: v1',
    '  kind: ConfigMapList',
    '  items: {a: 1}', //                        26
    '- apiVersion: v1',
    '  kind: List',
    '  items: [42]', //                          29
  );
  const file = loadText('nested.yaml', text);

  it('flattens them as kubectl does, in the order of the file, with the path of each item', () => {
    expect(file.objects.map((o) => [o.ref.kind, o.ref.name, o.prefix])).toEqual([
      ['Pod', 'inner', ['items', 0, 'items', 0]],
      ['Pod', 'typed', ['items', 0, 'items', 1, 'items', 0]],
      ['ConfigMap', 'outer', ['items', 1]],
    ]);
    expect(locateIn(file, file.objects[0]!, ['spec', 'hostPID'])).toEqual({ file: 'nested.yaml', line: 10, column: 12 });
    expect(locateIn(file, file.objects[1]!, ['metadata', 'name'])).toEqual({ file: 'nested.yaml', line: 14, column: 18 });
    expect(locateIn(file, file.objects[2]!, ['metadata', 'name'])).toEqual({ file: 'nested.yaml', line: 17, column: 14 });
  });

  it('reports `items` that is not a list with its line and key, and an item that is no object', () => {
    expect(file.errors.map((e) => [e.line, e.code, e.message])).toEqual([
      [20, 'wrong-type', 'document 1, items[2].items, must be a list, not a string; kubectl refuses the List'],
      [26, 'wrong-type', 'document 1, items[4].items, must be a list, not a mapping; kubectl refuses the ConfigMapList'],
      [29, 'not-kubernetes', 'document 1, items[5].items[0], is not a Kubernetes object (it needs apiVersion and kind)'],
    ]);
  });

  it('reads lists nested as deep as a document may nest', () => {
    let list: unknown = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'deep' } };
    for (let i = 0; i < 60; i++) list = { apiVersion: 'v1', kind: 'List', items: [list] };
    const deep = loadText('deep.json', JSON.stringify(list));
    expect(deep.errors).toEqual([]);
    expect(deep.objects.map((o) => [o.ref.name, o.prefix.length])).toEqual([['deep', 120]]);
    expect(locateIn(deep, deep.objects[0]!, ['metadata', 'name'])).toMatchObject({ file: 'deep.json', line: 1 });
  });
});

describe('files found by walking a directory', () => {
  const walked = (text: string): LoadedFile => loadText('found.yaml', text, undefined, { walked: true });

  it('are no manifest, and no error, when no document has an apiVersion, a kind or metadata', () => {
    const values = lines('image: {repository: nginx, tag: "{{ .Chart.AppVersion }}"}', 'replicas: 2', '---', '- a list', '---', 'a string');
    expect(walked(values)).toMatchObject({ objects: [], errors: [] });
    const baseline = JSON.stringify({ schemaVersion: 1, tool: { name: 'mamori' }, findings: [] });
    expect(walked(baseline)).toMatchObject({ objects: [], errors: [] });
    // Named by the user, the same texts keep their errors.
    expect(loadText('values.yaml', values).errors.map((e) => e.code)).toEqual(['template', 'not-kubernetes', 'not-kubernetes']);
    expect(loadText('b.json', baseline).errors.map((e) => e.code)).toEqual(['not-kubernetes']);
  });

  it('keep the error of a JSON array of objects, which kubectl refuses', () => {
    const array = walked(JSON.stringify([{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }]));
    expect(array.errors.map((e) => e.code)).toEqual(['not-kubernetes']);
    expect(walked(JSON.stringify(['a', 'b']))).toMatchObject({ objects: [], errors: [] });
  });

  it('keep their errors when a document means to be an object, or does not parse', () => {
    const kindOnly = walked(lines('kind: Pod', 'metadata: {name: p}', '---', 'foo: bar'));
    expect(kindOnly.errors.map((e) => [e.line, e.code])).toEqual([
      [1, 'not-kubernetes'],
      [4, 'not-kubernetes'],
    ]);
    expect(walked(lines('metadata: {name: p}', 'spec: {}')).errors.map((e) => e.code)).toEqual(['not-kubernetes']);
    // A document that does not parse may be an object: the file is then read as a manifest.
    expect(walked(lines('foo: bar', '---', 'a: [')).errors.map((e) => e.code)).toEqual(['not-kubernetes', 'parse']);
    const template = walked(lines('apiVersion: v1', 'kind: Pod', 'metadata:', '  name: "{{ .Release.Name }}"'));
    expect(template.errors).toEqual([expect.objectContaining({ line: 4, code: 'template' })]);
    expect(walked(lines('apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: c}', '---', 'x: 1')).errors.map((e) => e.line)).toEqual([5]);
  });
});

describe('documents that are not Kubernetes objects', () => {
  const text = lines(
    'apiVersion: v1', //            1
    'kind: ConfigMap',
    'metadata: {name: one}',
    '---', //                       4
    'just a string',
    '---', //                       6
    '- a',
    '- b',
    '---', //                       9
    'foo: bar',
    '---', //                       11
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata: {name: two}',
    '---', //                       15
    '42',
    '---', //                       17
    'kind: Pod',
    'metadata: {name: no-api-version}',
    '---', //                       20
    'apiVersion: v1',
    'kind: ""',
  );
  const file = loadText('mixed.yaml', text);

  it('reports each, naming the file and the first line of its content', () => {
    expect(file.errors.map((e) => [e.file, e.line, e.code])).toEqual([
      ['mixed.yaml', 5, 'not-kubernetes'],
      ['mixed.yaml', 7, 'not-kubernetes'],
      ['mixed.yaml', 10, 'not-kubernetes'],
      ['mixed.yaml', 16, 'not-kubernetes'],
      ['mixed.yaml', 18, 'not-kubernetes'],
      ['mixed.yaml', 21, 'not-kubernetes'],
    ]);
    expect(file.errors[0]?.message).toMatch(/document 2 .*apiVersion and kind/);
  });

  it('still loads the other documents of the file', () => {
    expect(names(file)).toEqual(['one', 'two']);
    expect(file.objects.map((o) => o.source.document)).toEqual([0, 4]);
  });
});

describe('Helm templates', () => {
  it('reads Helm values handed to a chart as data, and refuses only the document that Helm fills in', () => {
    const release = lines(
      'apiVersion: helm.toolkit.fluxcd.io/v2',
      'kind: HelmRelease',
      'metadata: {name: redis}',
      'spec:',
      '  chart: {spec: {chart: redis}}',
      '  values:',
      '    auth: {existingSecret: "{{ .Release.Name }}-auth"}',
      '---',
      'apiVersion: argoproj.io/v1alpha1',
      'kind: Application',
      'metadata: {name: web}',
      'spec:',
      '  source: {helm: {valuesObject: {fullnameOverride: "{{ .Release.Name }}"}, parameters: [{name: a, value: "{{ .Values.x }}"}]}}',
      '---',
      'apiVersion: v1',
      'kind: Pod',
      'metadata: {name: "{{ .Release.Name }}"}',
      'spec: {containers: [{name: c, image: "nginx:1"}]}',
      '---',
      'apiVersion: v1',
      'kind: Pod',
      'metadata: {name: rendered}',
      'spec: {containers: [{name: c, image: "nginx:1"}]}',
    );
    const file = loadText('bundle.yaml', release);
    expect(file.objects.map((o) => `${o.ref.kind}/${o.ref.name}`)).toEqual(['HelmRelease/redis', 'Application/web', 'Pod/rendered']);
    expect(file.errors.map((e) => [e.line, e.code])).toEqual([[17, 'template']]);
    // Only those fields: a selector's `values` or a ConfigMap's `values` key is no Helm value.
    const chart = lines(
      'apiVersion: networking.k8s.io/v1',
      'kind: NetworkPolicy',
      'metadata: {name: np}',
      'spec:',
      '  podSelector: {matchExpressions: [{key: app, operator: In, values: ["{{ .Release.Name }}"]}]}',
      '---',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: cm}',
      'data: {values: "{{ .Values.x }}"}',
    );
    expect(loadText('chart.yaml', chart).errors.map((e) => [e.line, e.code])).toEqual([
      [5, 'template'],
      [10, 'template'],
    ]);
  });

  it('reports an unquoted `{{ .Values.x }}` as a template, naming its line, and reads none of the file', () => {
    const file = loadText(
      'chart.yaml',
      lines('apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: {{ .Values.name }}', 'data:', '  a: b', '---', 'apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: plain}'),
    );
    expect(file.errors).toHaveLength(1);
    expect(file.errors[0]).toMatchObject({ file: 'chart.yaml', line: 4, code: 'template' });
    expect(file.errors[0]?.message).toContain('helm template');
    // The plain document parses, but it is part of a chart's template: not what a cluster receives.
    expect(names(file)).toEqual([]);
  });

  it('reports Helm actions that YAML parses as strings, at the first of them', () => {
    const pod = (name: string, image: string): string =>
      lines('# {{ .Values.commented }} is a comment', 'apiVersion: v1', 'kind: Pod', 'metadata:', `  name: ${name}`, 'spec:', '  hostPID: true', '  containers:', '  - name: c', `    image: ${image}`);
    const release = loadText('pod.yaml', pod('"{{ .Release.Name }}"', '"nginx:{{ .Values.tag }}"'));
    expect(release.objects).toEqual([]);
    expect(release.errors).toEqual([expect.objectContaining({ file: 'pod.yaml', line: 5, code: 'template' })]);
    const tag = loadText('pod.yaml', pod('web', '"nginx:{{ .Values.tag }}"'));
    expect(tag.errors).toEqual([expect.objectContaining({ line: 10, code: 'template' })]);
    const include = loadText('pod.yaml', pod(`'{{ include "chart.fullname" . }}'`, 'nginx:1'));
    expect(include.errors).toEqual([expect.objectContaining({ line: 5, code: 'template' })]);
    const root = loadText('pod.yaml', pod('web', '"{{ $.Values.image }}"'));
    expect(root.errors).toEqual([expect.objectContaining({ line: 10, code: 'template' })]);
    const arg = loadText('pod.yaml', `${pod('web', 'nginx:1')}    args: ["--name={{ .Release.Name }}-{{ $x }}"]\n`);
    expect(arg.errors).toEqual([expect.objectContaining({ line: 11, code: 'template' })]);
    const key = loadText('pod.yaml', `${pod('web', 'nginx:1')}    env: [{name: x, value: y}]\n    resources: {"{{ .Values.kind }}": {}}\n`);
    expect(key.errors).toEqual([expect.objectContaining({ line: 12, code: 'template' })]);
  });

  it('reads `{{ }}` of other template engines, and Helm actions in comments and prose, as data', () => {
    const text = lines(
      'apiVersion: monitoring.coreos.com/v1',
      'kind: PrometheusRule',
      'metadata:',
      '  name: rules # rendered from {{ .Values.rules }}',
      '  annotations:',
      '    doc: "use {{ .Values.x }} in your chart"',
      '    chart: |',
      '      image: {{ .Values.image }}',
      'spec:',
      '  groups:',
      '  - name: g',
      '    rules:',
      '    - alert: Down',
      '      annotations:',
      '        summary: "{{ $labels.instance }} of {{ .Labels.job }} is down ({{ $value }})"',
      '---',
      'apiVersion: argoproj.io/v1alpha1',
      'kind: ApplicationSet',
      'metadata: {name: apps}',
      'spec:',
      '  template:',
      "    metadata: {name: '{{.path.basename}}'}",
      '    spec: {source: {helm: {valueFiles: ["{{ .values.file }}"]}}}',
    );
    const file = loadText('rendered.yaml', text);
    expect(file.errors).toEqual([]);
    expect(names(file)).toEqual(['rules', 'apps']);
  });

  it('reads strings full of braces in linear time', () => {
    const text = lines(
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      `  annotations: {a: "${'{{'.repeat(200_000)}", b: "${'{{ x }}'.repeat(100_000)}", c: "${'{{ .Values.x }}'.repeat(100_000)} "}`,
      "  name: '{{ .Release.Name }}'",
    );
    const file = loadText('braces.yaml', text);
    expect(file.errors).toEqual([expect.objectContaining({ line: 5, code: 'template' })]);
  });

  it('reports a value `{{ ... }}` that YAML happens to parse as a flow mapping', () => {
    const file = loadText('chart.yaml', lines('apiVersion: apps/v1', 'kind: Deployment', 'metadata:', '  name: web', 'spec:', '  replicas: {{ .Values.replicas }}'));
    expect(file.objects).toEqual([]);
    expect(file.errors).toEqual([expect.objectContaining({ file: 'chart.yaml', line: 6, code: 'template' })]);
  });

  it('reports `{{- if }}` control lines', () => {
    const file = loadText(
      'chart.yaml',
      lines('apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: x', '{{- if .Values.extra }}', 'data:', '  a: b', '{{- end }}'),
    );
    expect(file.objects).toEqual([]);
    expect(file.errors).toEqual([expect.objectContaining({ file: 'chart.yaml', line: 5, code: 'template' })]);
  });

  it('accepts a quoted template string of another engine as ordinary data', () => {
    const file = loadText('cm.yaml', lines('apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: tpl}', 'data:', '  tpl: "{{ .CommonLabels.alertname }}"'));
    expect(file.errors).toEqual([]);
    expect(file.objects[0]?.object['data']).toEqual({ tpl: '{{ .CommonLabels.alertname }}' });
  });

  it('blames a real syntax error, not a `{{` in a comment or a quoted string', () => {
    const commented = loadText('c.yaml', lines('# rendered from {{ .Values }} by hand', 'apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: x', '   bad: indent'));
    expect(commented.errors).toEqual([expect.objectContaining({ file: 'c.yaml', line: 6, code: 'parse' })]);
    const quoted = loadText('q.yaml', lines('apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: x', '  annotations: {a: "{{ x }}"}', '   bad: indent'));
    expect(quoted.errors).toEqual([expect.objectContaining({ file: 'q.yaml', line: 6, code: 'parse' })]);
  });
});

describe('parse errors', () => {
  it('refuses a key repeated in a JSON document, as in YAML, and reads array-index keys as JSON does', () => {
    const dup = loadText('dup.json', '{"apiVersion": "v1", "kind": "ConfigMap",\n "metadata": {"name": "a", "name": "b"}}\n---\n{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ok"}}\n');
    expect(dup.errors.map((e) => [e.line, e.code, e.message])).toEqual([[2, 'parse', 'invalid JSON: duplicated mapping key']]);
    expect(dup.objects.map((o) => o.ref.name)).toEqual(['ok']);
    const indexed = loadText('idx.json', '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "n"}, "data": {"b": "x", "1": "y"}}');
    expect(indexed.errors).toEqual([]);
    expect(indexed.objects[0]?.object['data']).toEqual({ b: 'x', 1: 'y' });
  });

  it('reports a duplicate key with its file line, and keeps the other documents', () => {
    const file = loadText(
      'dup.yaml',
      lines(
        'apiVersion: v1', //          1
        'kind: ConfigMap',
        'metadata: {name: first}',
        '---', //                     4
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata:',
        '  name: d',
        '  name: e', //               9
        '---',
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata: {name: last}',
      ),
    );
    expect(names(file)).toEqual(['first', 'last']);
    expect(file.errors).toHaveLength(1);
    expect(file.errors[0]).toMatchObject({ file: 'dup.yaml', line: 9, column: 3, code: 'parse' });
    expect(file.errors[0]?.message).toMatch(/duplicate/);
  });

  it('puts an error at the end of a file without a final newline on a line the file has', () => {
    // Line 5 is `data: {a: b` (11 characters): the stream ends at column 12.
    const file = loadText('eof.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata: {a: b');
    expect(file.errors).toEqual([expect.objectContaining({ file: 'eof.yaml', line: 5, column: 12, code: 'parse' })]);
    // In a later document too.
    const second = loadText('eof2.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nmetadata:\n  name: "open');
    expect(names(second)).toEqual(['a']);
    expect(second.errors).toEqual([expect.objectContaining({ line: 6, column: 14, code: 'parse' })]);
  });

  it('reports bad indentation at its line and column', () => {
    const file = loadText('bad.yaml', lines('apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: x', '   bad: 1'));
    expect(file.objects).toEqual([]);
    expect(file.errors).toEqual([expect.objectContaining({ file: 'bad.yaml', line: 5, column: 7, code: 'parse' })]);
  });
});

/*
 * Positions: every expected line:column below was counted by hand on this text.
 * Document 1: comments, quoted keys, compact sequences, nested sequences, flow collections.
 * Document 2: anchors and aliases. Document 3: a List, so paths carry the [items, 0] prefix.
 */
const POSITIONS = [
  /*  1 */ '# Positions fixture: lines and columns below are counted by hand.',
  /*  2 */ '# A second comment before the first document.',
  /*  3 */ 'apiVersion: v1',
  /*  4 */ 'kind: Pod',
  /*  5 */ 'metadata:',
  /*  6 */ '  name: first',
  /*  7 */ `  "namespace": 'ns-a'`,
  /*  8 */ 'spec:',
  /*  9 */ '  # a comment inside the mapping',
  /* 10 */ '  containers:',
  /* 11 */ '  - name: app',
  /* 12 */ '    image: "registry:5000/app: tag"',
  /* 13 */ '    ports: [{containerPort: 80}, {containerPort: 443, name: https}]',
  /* 14 */ `    'securityContext':`,
  /* 15 */ '      privileged: true   # trailing comment',
  /* 16 */ '# a comment at column 1 inside the sequence',
  /* 17 */ '',
  /* 18 */ '  - name: side',
  /* 19 */ '    args:',
  /* 20 */ '    - - nested-a',
  /* 21 */ '      - nested-b',
  /* 22 */ '    -   - deep',
  /* 23 */ '    env:',
  /* 24 */ '      - name: A',
  /* 25 */ '        value: "1"',
  /* 26 */ '---',
  /* 27 */ '# second document: anchors and aliases',
  /* 28 */ 'apiVersion: v1',
  /* 29 */ 'kind: Pod',
  /* 30 */ 'metadata:',
  /* 31 */ '  name: second',
  /* 32 */ 'spec:',
  /* 33 */ '  containers:',
  /* 34 */ '    - &base',
  /* 35 */ '      name: one',
  /* 36 */ '      image: busybox',
  /* 37 */ '    - *base',
  /* 38 */ '  volumes: &vols',
  /* 39 */ '    - name: data',
  /* 40 */ '      emptyDir: {}',
  /* 41 */ '...',
  /* 42 */ '---',
  /* 43 */ 'apiVersion: v1',
  /* 44 */ 'kind: List',
  /* 45 */ 'items:',
  /* 46 */ '- apiVersion: v1',
  /* 47 */ '  kind: Pod',
  /* 48 */ '  metadata: {name: third}',
  /* 49 */ '  spec:',
  /* 50 */ '    hostNetwork: true',
  /* 51 */ '    containers:',
  /* 52 */ '    - {name: c, image: x}',
];

/** [document's object index, path, expected "line:column"]. */
const EXPECTED: [number, Path, string][] = [
  [0, [], '3:1'],
  [0, ['metadata', 'name'], '6:3'],
  [0, ['metadata', 'namespace'], '7:3'], // a double-quoted key
  [0, ['spec'], '8:1'],
  [0, ['spec', 'containers'], '10:3'],
  [0, ['spec', 'containers', 0], '11:5'], // `- ` at the parent key's indent
  [0, ['spec', 'containers', 0, 'name'], '11:5'],
  [0, ['spec', 'containers', 0, 'image'], '12:5'],
  [0, ['spec', 'containers', 0, 'ports'], '13:5'],
  [0, ['spec', 'containers', 0, 'ports', 0, 'containerPort'], '13:14'], // inside a flow collection
  [0, ['spec', 'containers', 0, 'ports', 1], '13:34'],
  [0, ['spec', 'containers', 0, 'ports', 1, 'name'], '13:55'],
  [0, ['spec', 'containers', 0, 'securityContext'], '14:5'], // a single-quoted key
  [0, ['spec', 'containers', 0, 'securityContext', 'privileged'], '15:7'],
  [0, ['spec', 'containers', 1], '18:5'], // past a column-1 comment and a blank line
  [0, ['spec', 'containers', 1, 'args', 0], '20:7'], // a sequence nested in a sequence
  [0, ['spec', 'containers', 1, 'args', 0, 0], '20:9'],
  [0, ['spec', 'containers', 1, 'args', 0, 1], '21:9'],
  [0, ['spec', 'containers', 1, 'args', 1], '22:9'],
  [0, ['spec', 'containers', 1, 'args', 1, 0], '22:11'],
  [0, ['spec', 'containers', 1, 'env', 0], '24:9'],
  [0, ['spec', 'containers', 1, 'env', 0, 'value'], '25:9'],
  [1, [], '28:1'],
  [1, ['metadata', 'name'], '31:3'],
  [1, ['spec', 'containers', 0], '34:7'], // the item starts with its anchor
  [1, ['spec', 'containers', 0, 'name'], '35:7'],
  [1, ['spec', 'containers', 0, 'image'], '36:7'],
  [1, ['spec', 'containers', 1], '37:7'], // the alias itself
  [1, ['spec', 'containers', 1, 'image'], '36:7'], // followed into the anchored node
  [1, ['spec', 'volumes'], '38:3'],
  [1, ['spec', 'volumes', 0], '39:7'],
  [1, ['spec', 'volumes', 0, 'emptyDir'], '40:7'],
  [2, [], '46:3'], // the List item
  [2, ['metadata', 'name'], '48:14'],
  [2, ['spec', 'hostNetwork'], '50:5'],
  [2, ['spec', 'containers', 0], '52:7'],
  [2, ['spec', 'containers', 0, 'image'], '52:17'],
];

/** Paths that do not exist resolve to their deepest existing ancestor. */
const MISSING: [number, Path, string][] = [
  [0, ['spec', 'containers', 0, 'securityContext', 'runAsUser'], '14:5'],
  [0, ['spec', 'containers', 0, 'ports', 1, 'hostPort'], '13:34'],
  [0, ['spec', 'containers', 5, 'image'], '10:3'],
  [0, ['spec', 'nope', 'deeper'], '8:1'],
  [0, ['status'], '3:1'],
  [1, ['spec', 'volumes', 0, 'emptyDir', 'medium'], '40:7'],
  [2, ['spec', 'containers', 0, 'securityContext'], '52:7'],
  [2, ['spec', 'securityContext', 'runAsNonRoot'], '49:3'],
];

describe.each([
  ['LF', '\n'],
  ['CRLF', '\r\n'],
])('positions (%s line endings)', (_name, eol) => {
  const file = loadText('positions.yaml', `${POSITIONS.join(eol)}${eol}`);

  it('loads three objects', () => {
    expect(file.errors).toEqual([]);
    expect(names(file)).toEqual(['first', 'second', 'third']);
    expect(file.objects[2]?.prefix).toEqual(['items', 0]);
  });

  it.each(EXPECTED)('object %i, path %j is at %s', (index, path, where) => {
    const location = locateIn(file, file.objects[index]!, path);
    expect(location).toBeDefined();
    expect(`${location!.line}:${location!.column}`).toBe(where);
    expect(location!.file).toBe('positions.yaml');
  });

  it.each(MISSING)('object %i, missing path %j resolves to its ancestor at %s', (index, path, where) => {
    const location = locateIn(file, file.objects[index]!, path);
    expect(`${location?.line}:${location?.column}`).toBe(where);
  });
});

describe('positions of merged fields', () => {
  it('follows a merge key to the anchored mapping that holds the field', () => {
    const text = [
      'apiVersion: v1', //                 1
      'kind: Pod',
      'metadata: {name: m}',
      'spec:',
      '  x-common: &common', //            5
      '    securityContext:',
      '      privileged: true', //         7, column 7
      '  containers:',
      '    - <<: *common', //              9
      '      name: c',
      '      image: x',
      '',
    ].join('\n');
    const file = loadText('merge.yaml', text);
    const pod = file.objects[0]!;
    expect(locateIn(file, pod, ['spec', 'containers', 0, 'securityContext', 'privileged'])).toEqual({ file: 'merge.yaml', line: 7, column: 7 });
    expect(locateIn(file, pod, ['spec', 'containers', 0, 'name'])).toEqual({ file: 'merge.yaml', line: 10, column: 7 });
  });
});

describe('test data of policy test suites', () => {
  const pod = (name: string): string => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\nspec:\n  containers: [{name: c, image: x, securityContext: {privileged: true}}]\n`;
  const tree = (files: Record<string, string>): string => {
    const dir = mkdtempSync(join(tmpdir(), 'mamori-suite-'));
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), text);
    }
    return dir;
  };
  const walked = (dir: string, paths = [dir]): string[] => expandPaths(paths).inputs.map((i) => relative(dir, i.file)).sort();

  it('passes over the resources a suite names below its own folder, files and folders, when walking', () => {
    const dir = tree({
      'policies/limits/mamori-test.yaml': 'policies: [policy.yaml]\nresources: [resources.yaml, cases/, ../shared/objects.yaml, ../../app]\ntests: []\n',
      'policies/limits/policy.yaml': 'apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {name: p}\n',
      'policies/limits/resources.yaml': pod('too-big'),
      'policies/limits/cases/a.yaml': pod('a'),
      'policies/shared/objects.yaml': pod('shared'),
      'policies/labels/labels.mamori-test.yml': 'policies: [p.yaml]\nresources: [objects.yaml]\ntests: [{name: t, object: Pod/x, expect: admit}]\n',
      'policies/labels/objects.yaml': pod('unlabelled'),
      'app/deploy.yaml': pod('app'),
    });
    // What lies outside the suite's folder is the user's, even when a suite names it.
    expect(walked(dir)).toEqual(['app/deploy.yaml', 'policies/labels/labels.mamori-test.yml', 'policies/limits/mamori-test.yaml', 'policies/limits/policy.yaml', 'policies/shared/objects.yaml']);
    // Named, a file of test data is read.
    expect(walked(dir, [join(dir, 'policies/limits/resources.yaml'), join(dir, 'app')])).toEqual(['app/deploy.yaml', 'policies/limits/resources.yaml']);
    // Named beside a directory that holds it, before or after it, too; it is then the user's file, not a walked one.
    for (const paths of [[dir, join(dir, 'policies/limits/resources.yaml')], [join(dir, 'policies/limits/resources.yaml'), dir]]) {
      const { inputs } = expandPaths(paths);
      expect(inputs.filter((i) => i.file.endsWith('resources.yaml')).map((i) => [relative(dir, i.file), i.walked === true])).toEqual([['policies/limits/resources.yaml', false]]);
    }
  });

  it('a suite cannot hide what lies above or beside it, and test data reached through a link is still test data', () => {
    const dir = tree({
      'deploy/app.yaml': pod('app'),
      'policies/a/mamori-test.yaml': 'policies: [p.yaml]\nresources: ["/", "..", "../..", "."]\ntests: []\n',
      'policies/a/p.yaml': 'kind: ValidatingAdmissionPolicy\napiVersion: admissionregistration.k8s.io/v1\nmetadata: {name: p}\n',
      'policies/b/mamori-test.yaml': `policies: [p.yaml]\nresources: [${JSON.stringify(join(tmpdir(), 'elsewhere'))}, data]\ntests: []\n`,
      'policies/b/data/bad.yaml': pod('bad'),
    });
    symlinkSync(join(dir, 'policies/b/data'), join(dir, 'policies/a-link'));
    expect(walked(dir)).toEqual(['deploy/app.yaml', 'policies/a/mamori-test.yaml', 'policies/a/p.yaml', 'policies/b/mamori-test.yaml']);
  });

  it('an invalid suite, or one without resources, names no test data', () => {
    const dir = tree({
      'a/mamori-test.yaml': 'policies: [p.yaml]\nresources: [unclosed\n',
      'a/resources.yaml': pod('a'),
      'b/mamori-test.yaml': 'policies: [p.yaml]\nresources: resources.yaml\ntests: []\n',
      'b/resources.yaml': pod('b'),
      'c/not-a-mamori-test.yaml.bak': 'policies: [p.yaml]\nresources: [resources.yaml]\ntests: []\n',
      'c/resources.yaml': pod('c'),
      'd/mamori-test.yaml': 'resources: [resources.yaml]\n',
      'd/resources.yaml': pod('d'),
    });
    expect(walked(dir)).toEqual(['a/mamori-test.yaml', 'a/resources.yaml', 'b/mamori-test.yaml', 'b/resources.yaml', 'c/resources.yaml', 'd/mamori-test.yaml', 'd/resources.yaml']);
  });
});

describe('files of very many documents', () => {
  it('reads the first maxDocumentsPerFile documents and says where the rest begins', () => {
    const pod = (name: string): string => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}}\nspec: {containers: [{name: c, image: x}]}\n`;
    const text = ['a', 'b', 'c', 'd', 'e'].map((n) => `---\n${pod(n)}`).join('');
    const loaded = loadText('many.yaml', text, { ...DEFAULT_LIMITS, maxDocumentsPerFile: 3 });
    expect(loaded.objects.map((o) => o.ref.name)).toEqual(['a', 'b', 'c']);
    // Document 4 starts on line 16 (5 lines a document).
    expect(loaded.errors).toEqual([{ file: 'many.yaml', line: 16, message: 'the file holds more than 3 YAML documents; those from this line on are not read', code: 'too-large' }]);
    // Empty documents count too, and a walk does not pass over such a file.
    const empty = loadText('empty.yaml', '---\n'.repeat(10), { ...DEFAULT_LIMITS, maxDocumentsPerFile: 4 }, { walked: true });
    expect(empty.errors.map((e) => [e.line, e.code])).toEqual([[5, 'too-large']]);
  });

  it('a file of more empty documents than the default limit is cut there', () => {
    const loaded = loadText('dashes.yaml', '---\n'.repeat(1_200_000));
    expect(loaded.objects).toEqual([]);
    expect(loaded.errors.map((e) => [e.line, e.code])).toEqual([[1_000_001, 'too-large']]);
  });
});
