/**
 * `mamori policy test DIR`: test suites for ValidatingAdmissionPolicies, evaluated offline with
 * `loadPolicies` / `evaluatePolicies` (matchConstraints, binding matchResources, params,
 * matchConditions, validationActions and failurePolicy all apply). The format is documented in
 * docs/policies.md ("Testing policies").
 *
 * A suite is a YAML file named `mamori-test.yaml` or `*.mamori-test.yaml` (`.yml` too), found
 * recursively under DIR. Paths inside a suite are relative to the suite's folder.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { asObject, asString, isObject } from '../k8s/object.js';
import { loadInput, resolveInputs } from '../load/load.js';
import type { JsonObject, JsonValue } from '../types.js';
import { rbacAuthorizer, rbacObjects } from './cel-authz.js';
import type { Authorize } from './cel-authz.js';
import { compileRe2 } from './cel-re2.js';
import type { Re2 } from './cel-re2.js';
import { evaluatePolicies, loadPolicies } from './vap.js';
import type { BindingOutcome, EvaluationInput, EvaluationResult, LoadResult, Operation, UserInfo } from './vap.js';

/** What a test expects of its (policy, binding, object). */
export type Expectation = 'admit' | 'deny' | 'warn' | 'audit' | 'skip' | 'error';
export const EXPECTATIONS: readonly Expectation[] = ['admit', 'deny', 'warn', 'audit', 'skip', 'error'];

/** A problem with a suite (its YAML, a key, a referenced file, a policy that does not load). */
export interface SuiteError {
  file: string;
  line?: number;
  /** The suite key at fault, e.g. `tests[2].expect`. */
  key?: string;
  message: string;
}

export interface TestResult {
  name: string;
  expect: Expectation;
  /** What happened, most significant first (error, deny, warn, audit, admit, skip). */
  actual: Expectation[];
  passed: boolean;
  policy?: string;
  binding?: string;
  /** The messages of the actual results (validation messages, errors). */
  messages: string[];
  /** Why the test failed, when it did. */
  reason?: string;
}

export interface SuiteResult {
  file: string;
  tests: TestResult[];
  errors: SuiteError[];
}

export interface PolicyTestRun {
  suites: SuiteResult[];
  passed: number;
  failed: number;
  /** Every suite error (invalid suites, unreadable files, policies that do not load). */
  errors: SuiteError[];
}

const SUITE_FILE = /^(?:mamori-test|.+\.mamori-test)\.ya?ml$/;
const ORDER: readonly Expectation[] = ['error', 'deny', 'warn', 'audit', 'admit', 'skip'];
const OPERATIONS: ReadonlySet<string> = new Set(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);
const SUITE_KEYS = new Set(['apiVersion', 'kind', 'name', 'kubeVersion', 'policies', 'resources', 'rbac', 'tests']);
const TEST_KEYS = new Set([
  'name', 'object', 'oldObject', 'operation', 'namespaceObject', 'namespaceLabels', 'userInfo', 'params',
  'request', 'expect', 'policy', 'binding', 'message', 'messageRegex', 'subResource', 'resource', 'dryRun',
]);

/** True for the file names of suites. */
export function isSuiteFile(file: string): boolean {
  return SUITE_FILE.test(basename(file));
}

/** The suite files of a directory (recursively, skipping hidden folders and node_modules), or the file itself. */
export function findSuites(path: string): string[] {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return [];
  }
  if (stat.isFile()) return [path];
  const out: string[] = [];
  const walk = (dir: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const full = join(dir, e.name);
      if (e.isDirectory()) {
        if (!e.name.startsWith('.') && e.name !== 'node_modules') walk(full);
      } else if (isSuiteFile(e.name)) {
        out.push(full);
      }
    }
  };
  walk(path);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading a suite

type Ref = { kind: string; name: string; namespace?: string; apiVersion?: string };
type ObjectSpec = { inline: JsonObject } | { ref: Ref; key: string };

interface TestCase {
  key: string;
  name: string;
  expect: Expectation;
  input: EvaluationInput;
  policy?: string;
  binding?: string;
  message?: string;
  /** Matched in RE2 syntax and time (linear in the message), as the CEL `matches` of the policies. */
  messageRegex?: { source: string; re: Re2 };
}

class SuiteReader {
  readonly errors: SuiteError[] = [];
  private readonly lines: LineCounter;
  private readonly doc: ReturnType<typeof parseDocument>;

  constructor(readonly file: string, text: string) {
    this.lines = new LineCounter();
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false });
    for (const e of this.doc.errors) this.errors.push({ file, line: this.lines.linePos(e.pos[0]).line, message: `invalid YAML: ${e.message.split('\n')[0] ?? ''}` });
  }

  value(): unknown {
    return this.errors.length > 0 ? undefined : this.doc.toJSON() as unknown;
  }

  /** Reports a problem at a key path such as `tests[2].expect`. */
  fail(path: readonly (string | number)[], message: string): void {
    const node = this.doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    let line: number | undefined;
    for (let p = path.length; line === undefined && p >= 0; p--) {
      const n = (p === path.length ? node : this.doc.getIn(path.slice(0, p), true)) as { range?: [number, number, number] } | undefined;
      if (n?.range !== undefined) line = this.lines.linePos(n.range[0]).line;
    }
    const key = keyOf(path);
    const error: SuiteError = { file: this.file, key, message: `${key}: ${message}` };
    if (line !== undefined) error.line = line;
    this.errors.push(error);
  }
}

function keyOf(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

function stringList(reader: SuiteReader, value: unknown, path: (string | number)[]): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) { reader.fail(path, 'must be a list of paths'); return []; }
  const out: string[] = [];
  value.forEach((v, i) => {
    if (typeof v === 'string' && v !== '') out.push(v);
    else reader.fail([...path, i], 'must be a path (a string)');
  });
  return out;
}

function parseRef(reader: SuiteReader, value: unknown, path: (string | number)[]): ObjectSpec | undefined {
  const key = keyOf(path);
  if (typeof value === 'string') {
    const parts = value.split('/');
    if (parts.length === 2 && parts[0] && parts[1]) return { ref: { kind: parts[0], name: parts[1] }, key };
    if (parts.length === 3 && parts[0] && parts[1] && parts[2]) return { ref: { kind: parts[0], namespace: parts[1], name: parts[2] }, key };
    reader.fail(path, `invalid reference ${JSON.stringify(value)}: write Kind/name or Kind/namespace/name`);
    return undefined;
  }
  if (!isObject(value)) { reader.fail(path, 'must be an object (inline, with apiVersion and kind) or a reference {kind, name, namespace?}'); return undefined; }
  if (value['metadata'] !== undefined || value['spec'] !== undefined || value['data'] !== undefined) {
    if (typeof value['apiVersion'] !== 'string' || typeof value['kind'] !== 'string') {
      reader.fail(path, 'an inline object needs apiVersion and kind');
      return undefined;
    }
    return { inline: value };
  }
  const kind = value['kind'];
  const name = value['name'];
  if (typeof kind !== 'string' || kind === '') { reader.fail([...path, 'kind'], 'Required value: a reference needs kind and name'); return undefined; }
  if (typeof name !== 'string' || name === '') { reader.fail([...path, 'name'], 'Required value: a reference needs kind and name'); return undefined; }
  for (const k of Object.keys(value)) {
    if (!['kind', 'name', 'namespace', 'apiVersion'].includes(k)) reader.fail([...path, k], 'unknown key of a reference (kind, name, namespace, apiVersion)');
  }
  const ref: Ref = { kind, name };
  const ns = asString(value['namespace']);
  if (ns !== undefined) ref.namespace = ns;
  const apiVersion = asString(value['apiVersion']);
  if (apiVersion !== undefined) ref.apiVersion = apiVersion;
  return { ref, key };
}

/**
 * The objects a suite's references resolve to, by kind and name (in their order): a suite of
 * thousands of tests, each naming one of thousands of resources, would otherwise read every
 * resource for every test (20,000 tests took 12 s).
 */
class Resources {
  private readonly byName = new Map<string, JsonObject[]>();

  constructor(objects: readonly JsonObject[]) {
    for (const o of objects) {
      const kind = o['kind'];
      const name = asString(asObject(o['metadata'])?.['name']);
      if (typeof kind !== 'string' || name === undefined) continue;
      const key = Resources.key(kind, name);
      const list = this.byName.get(key);
      if (list === undefined) this.byName.set(key, [o]);
      else list.push(o);
    }
  }

  private static key(kind: string, name: string): string {
    return `${kind}\u0000${name}`;
  }

  named(kind: string, name: string): readonly JsonObject[] {
    return this.byName.get(Resources.key(kind, name)) ?? [];
  }
}

function resolveObject(spec: ObjectSpec, resources: Resources, reader: SuiteReader, path: (string | number)[]): JsonObject | undefined {
  if ('inline' in spec) return spec.inline;
  const { ref } = spec;
  const found = resources.named(ref.kind, ref.name).filter((o) => {
    const md = asObject(o['metadata']);
    if (ref.apiVersion !== undefined && o['apiVersion'] !== ref.apiVersion) return false;
    return ref.namespace === undefined || (asString(md?.['namespace']) ?? '') === ref.namespace;
  });
  if (found.length === 0) {
    reader.fail(path, `no ${ref.kind} ${JSON.stringify(ref.namespace !== undefined ? `${ref.namespace}/${ref.name}` : ref.name)} in the suite's resources`);
    return undefined;
  }
  if (found.length > 1) reader.fail(path, `${found.length} objects ${ref.kind} ${JSON.stringify(ref.name)} in the resources: give namespace or apiVersion`);
  return found[0];
}

function parseUserInfo(reader: SuiteReader, value: unknown, path: (string | number)[]): UserInfo | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) { reader.fail(path, 'must be an object {username, uid, groups, extra}'); return undefined; }
  const out: UserInfo = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'username' || k === 'uid') {
      if (typeof v !== 'string') reader.fail([...path, k], 'must be a string');
      else out[k] = v;
    } else if (k === 'groups') {
      if (!Array.isArray(v) || !v.every((g) => typeof g === 'string')) reader.fail([...path, k], 'must be a list of strings');
      else out.groups = v as string[];
    } else if (k === 'extra') {
      if (!isObject(v) || !Object.values(v).every((x) => Array.isArray(x) && x.every((s) => typeof s === 'string'))) reader.fail([...path, k], 'must map keys to lists of strings');
      else out.extra = v as Record<string, string[]>;
    } else {
      reader.fail([...path, k], 'unknown key (username, uid, groups, extra)');
    }
  }
  return out;
}

/** What a parsed document is, in words (`a string`, `a list`), for errors that must not quote it. */
function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'no document (it is empty)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number' || typeof value === 'bigint') return 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  return 'a mapping';
}

/** The request of an AdmissionReview (or a bare AdmissionRequest) as evaluation input. */
function requestInput(reader: SuiteReader, value: unknown, path: (string | number)[], baseDir: string): EvaluationInput | undefined {
  let body: unknown = value;
  if (typeof value === 'string') {
    const file = resolve(baseDir, value);
    try {
      const text = readFileSync(file, 'utf8');
      const doc = parseDocument(text);
      if (doc.errors.length > 0) { reader.fail(path, `${value}: invalid YAML/JSON: ${doc.errors[0]?.message.split('\n')[0] ?? ''}`); return undefined; }
      body = doc.toJSON() as unknown;
    } catch (cause) {
      reader.fail(path, `cannot read ${value}: ${(cause as Error).message}`);
      return undefined;
    }
  }
  if (!isObject(body)) {
    // The file's contents are not shown: the path may name any file, secrets included.
    reader.fail(path, typeof value === 'string'
      ? `${value}: the file holds ${describeValue(body)}, not an AdmissionReview or an AdmissionRequest`
      : 'must be an AdmissionReview, an AdmissionRequest or a file path');
    return undefined;
  }
  let request: JsonObject = body;
  if (body['kind'] === 'AdmissionReview' || body['request'] !== undefined) {
    const r = asObject(body['request']);
    if (r === undefined) { reader.fail(path, 'the AdmissionReview has no request object'); return undefined; }
    request = r;
  }
  const operation = request['operation'];
  if (typeof operation !== 'string' || !OPERATIONS.has(operation)) { reader.fail(path, `request.operation must be one of CREATE, UPDATE, DELETE, CONNECT, got ${JSON.stringify(operation ?? null)}`); return undefined; }
  const object = request['object'];
  const oldObject = request['oldObject'];
  if (object !== undefined && object !== null && !isObject(object)) { reader.fail(path, 'request.object must be an object or null'); return undefined; }
  if (oldObject !== undefined && oldObject !== null && !isObject(oldObject)) { reader.fail(path, 'request.oldObject must be an object or null'); return undefined; }
  if ((operation === 'CREATE' || operation === 'UPDATE') && !isObject(object)) { reader.fail(path, `request.object is required for ${operation}`); return undefined; }
  const input: EvaluationInput = {
    object: isObject(object) ? object : null,
    oldObject: isObject(oldObject) ? oldObject : null,
    operation: operation as Operation,
  };
  const resource = asObject(request['resource']);
  if (resource !== undefined && typeof resource['resource'] === 'string') {
    input.resource = { group: asString(resource['group']) ?? '', version: asString(resource['version']) ?? '', resource: resource['resource'] };
  }
  const sub = asString(request['subResource']);
  if (sub !== undefined) input.subResource = sub;
  const ns = asString(request['namespace']);
  if (ns !== undefined) input.namespace = ns;
  const name = asString(request['name']);
  if (name !== undefined) input.name = name;
  if (request['dryRun'] === true) input.dryRun = true;
  const user = parseUserInfo(reader, request['userInfo'], [...path, 'userInfo']);
  if (user !== undefined) input.userInfo = user;
  return input;
}

/**
 * Loads the objects of the given paths (relative to `baseDir`), skipping suite files. Errors name
 * the path as `<key>[<i>]`, `i` from `positions` (the paths' places in the suite's list) or the index.
 */
function loadObjects(reader: SuiteReader, paths: readonly string[], key: string, baseDir: string, positions?: readonly number[]): JsonObject[] {
  const objects: JsonObject[] = [];
  paths.forEach((p, index) => {
    const i = positions?.[index] ?? index;
    const { inputs, errors } = resolveInputs([resolve(baseDir, p)]);
    for (const e of errors) reader.fail([key, i], `${p}: ${e.message}`);
    for (const input of inputs) {
      if (isSuiteFile(input.file)) continue;
      const loaded = loadInput(input);
      for (const e of loaded.errors) {
        const err: SuiteError = { file: relative(process.cwd(), e.file) || e.file, key: `${key}[${i}]`, message: e.message };
        if (e.line !== undefined) err.line = e.line;
        reader.errors.push(err);
      }
      for (const o of loaded.objects) objects.push(o.object);
    }
  });
  return objects;
}

interface Suite {
  tests: TestCase[];
  loaded: LoadResult;
  /** Answers `authorizer` checks from the suite's `rbac` objects. */
  authorizer: Authorize;
}

/**
 * The suite's `rbac`: paths (files or folders, relative to the suite) and inline objects; only
 * the Roles, ClusterRoles, RoleBindings and ClusterRoleBindings among them are kept.
 */
function rbacList(reader: SuiteReader, value: unknown, baseDir: string): JsonObject[] | undefined {
  if (value === undefined || value === null) return undefined;
  const items: unknown[] = Array.isArray(value) ? value : [value];
  const before = reader.errors.length;
  const objects: JsonObject[] = [];
  const paths: { path: string; index: number }[] = [];
  items.forEach((item, i) => {
    const at = Array.isArray(value) ? ['rbac', i] : ['rbac'];
    if (typeof item === 'string' && item !== '') paths.push({ path: item, index: i });
    else if (isObject(item) && typeof item['apiVersion'] === 'string' && typeof item['kind'] === 'string') objects.push(item);
    else reader.fail(at, 'must be a path (a string) or an inline object with apiVersion and kind');
  });
  objects.push(...loadObjects(reader, paths.map((p) => p.path), 'rbac', baseDir, paths.map((p) => p.index)));
  const rbac = rbacObjects(objects);
  if (rbac.length === 0 && reader.errors.length === before) reader.fail(['rbac'], 'no Role, ClusterRole, RoleBinding or ClusterRoleBinding (rbac.authorization.k8s.io) found');
  return rbac;
}

function readSuite(reader: SuiteReader, baseDir: string): Suite | undefined {
  const value = reader.value();
  if (reader.errors.length > 0) return undefined;
  if (!isObject(value)) { reader.fail([], 'a suite must be a YAML mapping with policies and tests'); return undefined; }
  for (const k of Object.keys(value)) {
    if (!SUITE_KEYS.has(k)) reader.fail([k], `unknown key (expected one of ${[...SUITE_KEYS].join(', ')})`);
  }
  if (value['apiVersion'] !== undefined && value['apiVersion'] !== 'mamori.io/v1alpha1') reader.fail(['apiVersion'], `Unsupported value: ${JSON.stringify(value['apiVersion'])}: supported values: "mamori.io/v1alpha1"`);
  if (value['kind'] !== undefined && value['kind'] !== 'PolicyTest') reader.fail(['kind'], `Unsupported value: ${JSON.stringify(value['kind'])}: supported values: "PolicyTest"`);
  let kubeMinor: number | undefined;
  const kv = value['kubeVersion'];
  if (kv !== undefined) {
    const m = typeof kv === 'string' ? /^v?1\.(\d+)$/.exec(kv) : null;
    if (typeof kv === 'number') reader.fail(['kubeVersion'], `write the version quoted ("1.30"): the number ${kv} loses digits`);
    else if (m === null) reader.fail(['kubeVersion'], `invalid value ${JSON.stringify(kv)}: write 1.N, e.g. "1.31"`);
    else kubeMinor = Number(m[1]);
  }
  const policyPaths = stringList(reader, value['policies'], ['policies']);
  if (policyPaths.length === 0 && value['policies'] === undefined) reader.fail(['policies'], 'Required value: the policy, binding and param files of the suite');
  const resourcePaths = stringList(reader, value['resources'], ['resources']);
  const rawTests = value['tests'];
  if (!Array.isArray(rawTests) || rawTests.length === 0) { reader.fail(['tests'], 'Required value: a non-empty list of tests'); return undefined; }
  if (reader.errors.length > 0) return undefined;

  const policyObjects = loadObjects(reader, policyPaths, 'policies', baseDir);
  const resources = loadObjects(reader, resourcePaths, 'resources', baseDir);
  const rbac = rbacList(reader, value['rbac'], baseDir);
  const loaded = loadPolicies(policyObjects, kubeMinor === undefined ? {} : { kubeMinor });
  for (const e of loaded.errors) {
    reader.errors.push({ file: reader.file, key: 'policies', message: `${e.kind} ${JSON.stringify(e.name)}: ${e.message}` });
  }
  const policyNames = new Set(loaded.policies.map((p) => p.name));
  const bindingNames = new Set(loaded.policies.flatMap((p) => p.bindings.map((b) => b.name)));
  const lookup = new Resources([...resources, ...loaded.params]);

  const tests: TestCase[] = [];
  const names = new Set<string>();
  rawTests.forEach((raw: unknown, i: number) => {
    const path = ['tests', i];
    const before = reader.errors.length;
    if (!isObject(raw)) { reader.fail(path, 'a test must be a mapping'); return; }
    for (const k of Object.keys(raw)) if (!TEST_KEYS.has(k)) reader.fail([...path, k], `unknown key (expected one of ${[...TEST_KEYS].join(', ')})`);
    const name = raw['name'];
    if (typeof name !== 'string' || name === '') reader.fail([...path, 'name'], 'Required value: a test needs a name');
    else if (names.has(name)) reader.fail([...path, 'name'], `Duplicate value: ${JSON.stringify(name)}`);
    else names.add(name);
    const expect = raw['expect'];
    if (typeof expect !== 'string' || !(EXPECTATIONS as readonly string[]).includes(expect)) {
      reader.fail([...path, 'expect'], `${expect === undefined ? 'Required value' : `Unsupported value: ${JSON.stringify(expect)}`}: supported values: ${EXPECTATIONS.join(', ')}`);
    }
    const policy = raw['policy'];
    if (policy !== undefined && (typeof policy !== 'string' || !policyNames.has(policy))) reader.fail([...path, 'policy'], `no ValidatingAdmissionPolicy ${JSON.stringify(policy)} in the suite's policies`);
    const binding = raw['binding'];
    if (binding !== undefined && (typeof binding !== 'string' || !bindingNames.has(binding))) reader.fail([...path, 'binding'], `no ValidatingAdmissionPolicyBinding ${JSON.stringify(binding)} in the suite's policies`);
    const message = raw['message'];
    if (message !== undefined && typeof message !== 'string') reader.fail([...path, 'message'], 'must be a string');
    const messageRegex = raw['messageRegex'];
    let regex: TestCase['messageRegex'];
    if (messageRegex !== undefined) {
      if (message !== undefined) reader.fail([...path, 'messageRegex'], 'message and messageRegex are mutually exclusive');
      const source = String(messageRegex);
      const re = compileRe2(source);
      if (typeof re === 'string') reader.fail([...path, 'messageRegex'], `invalid regular expression: ${re}`);
      else regex = { source, re };
    }

    let input: EvaluationInput | undefined;
    if (raw['request'] !== undefined) {
      for (const k of ['object', 'oldObject', 'operation', 'userInfo', 'subResource', 'resource', 'dryRun']) {
        if (raw[k] !== undefined) reader.fail([...path, k], 'not allowed with request (the request carries it)');
      }
      input = requestInput(reader, raw['request'], [...path, 'request'], baseDir);
    } else {
      const objectRaw = raw['object'];
      const oldRaw = raw['oldObject'];
      if ((objectRaw === undefined || objectRaw === null) && (oldRaw === undefined || oldRaw === null)) {
        reader.fail([...path, 'object'], 'Required value: a test needs object (or oldObject for DELETE, or request)');
      }
      const objSpec = objectRaw === undefined || objectRaw === null ? undefined : parseRef(reader, objectRaw, [...path, 'object']);
      const oldSpec = oldRaw === undefined || oldRaw === null ? undefined : parseRef(reader, oldRaw, [...path, 'oldObject']);
      const object = objSpec ? resolveObject(objSpec, lookup, reader, [...path, 'object']) : undefined;
      const oldObject = oldSpec ? resolveObject(oldSpec, lookup, reader, [...path, 'oldObject']) : undefined;
      input = { object: object ?? null };
      if (oldObject !== undefined) input.oldObject = oldObject;
      const op = raw['operation'];
      if (op !== undefined) {
        if (typeof op !== 'string' || !OPERATIONS.has(op)) reader.fail([...path, 'operation'], `Unsupported value: ${JSON.stringify(op)}: supported values: CREATE, UPDATE, DELETE, CONNECT`);
        else input.operation = op as Operation;
      }
      if (op === 'UPDATE' && oldObject === undefined) reader.fail([...path, 'oldObject'], 'Required value: UPDATE needs oldObject');
      const user = parseUserInfo(reader, raw['userInfo'], [...path, 'userInfo']);
      if (user !== undefined) input.userInfo = user;
      const sub = raw['subResource'];
      if (sub !== undefined) {
        if (typeof sub !== 'string') reader.fail([...path, 'subResource'], 'must be a string');
        else input.subResource = sub;
      }
      const res = raw['resource'];
      if (res !== undefined) {
        const r = asObject(res);
        if (r === undefined || typeof r['resource'] !== 'string') reader.fail([...path, 'resource'], 'must be {group, version, resource}');
        else input.resource = { group: asString(r['group']) ?? '', version: asString(r['version']) ?? '', resource: r['resource'] };
      }
      const dryRun = raw['dryRun'];
      if (dryRun !== undefined) {
        if (typeof dryRun !== 'boolean') reader.fail([...path, 'dryRun'], 'must be true or false');
        else input.dryRun = dryRun;
      }
    }

    // The namespace: namespaceObject, else namespaceLabels, else a Namespace of the resources.
    if (input !== undefined) {
      const subject = input.object ?? input.oldObject ?? undefined;
      const nsName = input.namespace ?? asString(asObject(subject?.['metadata'])?.['namespace']);
      const nsRaw = raw['namespaceObject'];
      const labelsRaw = raw['namespaceLabels'];
      if (nsRaw !== undefined && labelsRaw !== undefined) reader.fail([...path, 'namespaceLabels'], 'namespaceObject and namespaceLabels are mutually exclusive');
      if (nsRaw !== undefined && nsRaw !== null) {
        const spec = parseRef(reader, nsRaw, [...path, 'namespaceObject']);
        const ns = spec ? resolveObject(spec, lookup, reader, [...path, 'namespaceObject']) : undefined;
        if (ns !== undefined) input.namespaceObject = ns;
      } else if (labelsRaw !== undefined) {
        if (!isObject(labelsRaw) || !Object.values(labelsRaw).every((v) => typeof v === 'string')) reader.fail([...path, 'namespaceLabels'], 'must map label keys to strings');
        else if (nsName === undefined || nsName === '') reader.fail([...path, 'namespaceLabels'], "the object has no metadata.namespace: namespaceLabels need the request's namespace");
        else input.namespaceObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: nsName, labels: labelsRaw } };
      } else if (nsName !== undefined && nsName !== '') {
        const ns = lookup.named('Namespace', nsName).find((n) => n['apiVersion'] === 'v1');
        if (ns !== undefined) input.namespaceObject = ns;
      }
      const paramsRaw = raw['params'];
      if (paramsRaw !== undefined) {
        const list = Array.isArray(paramsRaw) ? (paramsRaw as JsonValue[]) : [paramsRaw as JsonValue];
        const params: JsonObject[] = [];
        list.forEach((p, j) => {
          const ppath = Array.isArray(paramsRaw) ? [...path, 'params', j] : [...path, 'params'];
          const spec = parseRef(reader, p, ppath);
          const obj = spec ? resolveObject(spec, lookup, reader, ppath) : undefined;
          if (obj !== undefined) params.push(obj);
        });
        input.params = params;
      }
    }
    if (reader.errors.length > before || input === undefined) return;
    const test: TestCase = { key: keyOf(path), name: name as string, expect: expect as Expectation, input };
    if (typeof policy === 'string') test.policy = policy;
    if (typeof binding === 'string') test.binding = binding;
    if (typeof message === 'string') test.message = message;
    if (regex !== undefined) test.messageRegex = regex;
    tests.push(test);
  });
  return { tests, loaded, authorizer: rbacAuthorizer(rbac ?? []) };
}

// ---------------------------------------------------------------------------------------------
// Running

interface Observed {
  result: Expectation;
  /** The validation or error messages. */
  messages: string[];
  /** The same, as the API server words them (denial or warning text). */
  formatted: string[];
}

/** What one (policy, binding) pair did: one or more results (a Warn+Audit binding gives both). */
function observe(outcome: BindingOutcome): Observed[] {
  if (!outcome.matched || outcome.skipped !== undefined) return [{ result: 'skip', messages: [], formatted: [] }];
  const denial = (m: string): string => `ValidatingAdmissionPolicy '${outcome.policy}' with binding '${outcome.binding}' denied request: ${m}`;
  const warning = (m: string): string => `Validation failed for ValidatingAdmissionPolicy '${outcome.policy}' with binding '${outcome.binding}': ${m}`;
  const out: Observed[] = [];
  const errors = outcome.decisions.filter((d) => d.evaluation === 'error').map((d) => d.message);
  if (errors.length > 0) out.push({ result: 'error', messages: errors, formatted: errors.map(denial) });
  const failed = outcome.decisions.filter((d) => d.evaluation === 'failed' && d.action === 'deny').map((d) => d.message);
  if (failed.length > 0) {
    for (const action of outcome.validationActions) {
      const result = action === 'Deny' ? 'deny' : action === 'Warn' ? 'warn' : 'audit';
      out.push({ result, messages: failed, formatted: failed.map(action === 'Warn' ? warning : denial) });
    }
  }
  if (out.length === 0) out.push({ result: 'admit', messages: [], formatted: [] });
  return out;
}

function runTest(test: TestCase, loaded: LoadResult, authorizer: Authorize): TestResult {
  const policies = loaded.policies
    .filter((p) => test.policy === undefined || p.name === test.policy)
    .map((p) => (test.binding === undefined ? p : { ...p, bindings: p.bindings.filter((b) => b.name === test.binding) }))
    .filter((p) => p.bindings.length > 0);
  let evaluation: EvaluationResult;
  try {
    evaluation = evaluatePolicies(test.input, { policies, params: loaded.params, authorizer });
  } catch (cause) {
    return { name: test.name, expect: test.expect, actual: ['error'], passed: false, messages: [(cause as Error).message], reason: `evaluation failed: ${(cause as Error).message}` };
  }
  const observed = evaluation.outcomes.flatMap(observe);
  // skip only when nothing was evaluated; admit only when nothing failed.
  const present = new Set(observed.map((o) => o.result));
  if (present.size > 1) present.delete('skip');
  if ([...present].some((r) => r !== 'admit' && r !== 'skip')) present.delete('admit');
  if (present.size === 0) present.add('skip');
  const actual = ORDER.filter((r) => present.has(r));
  const relevant = observed.filter((o) => o.result === test.expect);
  const messages = [...new Set((relevant.length > 0 ? relevant : observed).flatMap((o) => o.messages))];
  const result: TestResult = { name: test.name, expect: test.expect, actual, passed: true, messages };
  if (test.policy !== undefined) result.policy = test.policy;
  if (test.binding !== undefined) result.binding = test.binding;
  if (!present.has(test.expect)) {
    result.passed = false;
    result.reason = `expected ${test.expect}, got ${actual.join(', ')}`;
    return result;
  }
  const candidates = relevant.flatMap((o) => [...o.messages, ...o.formatted]);
  if (test.message !== undefined && !candidates.includes(test.message)) {
    result.passed = false;
    result.reason = `expected message ${JSON.stringify(test.message)}, got ${messages.map((m) => JSON.stringify(m)).join(', ') || 'none'}`;
  } else if (test.messageRegex !== undefined && !candidates.some((m) => test.messageRegex?.re.test(m) === true)) {
    result.passed = false;
    result.reason = `expected a message matching /${test.messageRegex.source}/, got ${messages.map((m) => JSON.stringify(m)).join(', ') || 'none'}`;
  }
  return result;
}

/** Reads and runs one suite file. */
export function runSuite(file: string): SuiteResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    return { file, tests: [], errors: [{ file, message: `cannot read the suite: ${(cause as Error).message}` }] };
  }
  const reader = new SuiteReader(file, text);
  const suite = readSuite(reader, dirname(resolve(file)));
  if (suite === undefined) return { file, tests: [], errors: reader.errors };
  return { file, tests: suite.tests.map((t) => runTest(t, suite.loaded, suite.authorizer)), errors: reader.errors };
}

/** Finds the suites under `dir` (or `dir` itself, a suite file) and runs them. */
export function runPolicyTests(dir: string): PolicyTestRun {
  const files = findSuites(dir);
  if (files.length === 0) {
    const message = existsSync(dir) ? 'no test suites found (files named mamori-test.yaml or *.mamori-test.yaml)' : 'no such file or directory';
    const error: SuiteError = { file: dir, message };
    return { suites: [], passed: 0, failed: 0, errors: [error] };
  }
  const suites = files.map(runSuite);
  const tests = suites.flatMap((s) => s.tests);
  return {
    suites,
    passed: tests.filter((t) => t.passed).length,
    failed: tests.filter((t) => !t.passed).length,
    errors: suites.flatMap((s) => s.errors),
  };
}
