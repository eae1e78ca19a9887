import * as crypto from 'node:crypto';
import { isAbsolute, normalize, relative, resolve, sep } from 'node:path';
import { formatPath } from '../k8s/object.js';
import { containersOf, podSpecOf } from '../k8s/pod.js';
import { isClusterScoped } from '../k8s/scope.js';
import type { Finding, JsonObject, ObjectRef, Report } from '../types.js';
import { compareFindings } from './report.js';

/** SHA-256 in hex: the one-shot `crypto.hash` (Node 20.12 and later) where there is one, a few times faster on short texts. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;
const sha256Hex =
  oneShot !== undefined ? (text: string): string => oneShot('sha256', text, 'hex') : (text: string): string => crypto.createHash('sha256').update(text).digest('hex');

/** A file path as the fingerprint sees it: relative to the working directory, with `/`. */
function canonicalFile(file: string, cwd: string): string {
  if (file === '' || file.startsWith('<')) return file; // stdin and texts in memory
  const path = isAbsolute(file) ? relative(cwd, file) : normalize(relative(cwd, resolve(cwd, file)));
  return path.split(sep).join('/');
}

/** Canonical forms of the files seen last (`path.relative` is most of a fingerprint's cost; reports hold few files). */
const canonical = new Map<string, string>();
let canonicalCwd = '';

/** The last file asked for and its canonical form: a report's findings come file by file. */
let lastFile = { file: '', cwd: '', out: '' };

function cachedFile(file: string, cwd: string): string {
  if (!isAbsolute(cwd)) return canonicalFile(file, cwd); // resolved against process.cwd(), which may change
  if (file === lastFile.file && cwd === lastFile.cwd) return lastFile.out;
  if (cwd !== canonicalCwd || canonical.size >= 50_000) {
    canonical.clear();
    canonicalCwd = cwd;
  }
  let out = canonical.get(file);
  if (out === undefined) canonical.set(file, (out = canonicalFile(file, cwd)));
  lastFile = { file, cwd, out };
  return out;
}

/**
 * How a finding's paths name the containers of its object: for each container, the text of its
 * path (`spec.template.spec.containers[1]`) and the same with its name for its index
 * (`spec.template.spec.containers["web"]`).
 */
export type ContainerKeys = readonly (readonly [indexed: string, named: string])[];

/**
 * The container keys of the objects scanned, by their `ObjectRef`, which the findings on an object
 * share (and keep when copied): no report shows them, and the findings keep their shape.
 */
const CONTAINER_KEYS = new WeakMap<ObjectRef, ContainerKeys>();

/**
 * Records how fingerprints name the containers of an object, for the findings that have `ref` as
 * their object. The engine does so for every object it reports on; findings built elsewhere keep
 * the containers' indexes.
 */
export function nameContainers(ref: ObjectRef, object: JsonObject): void {
  const keys = containerKeys(object);
  if (keys !== undefined) CONTAINER_KEYS.set(ref, keys);
}

/**
 * The container keys of an object's pod spec, or undefined when it has none: a container without
 * a name, or with one that another container of the pod has too (the API server refuses both),
 * keeps its index.
 */
export function containerKeys(object: JsonObject): ContainerKeys | undefined {
  const pod = podSpecOf(object);
  if (pod === undefined) return undefined;
  const containers = containersOf(pod.spec, pod.specPath);
  const counts = new Map<string, number>();
  for (const { name } of containers) counts.set(name, (counts.get(name) ?? 0) + 1);
  const keys: [string, string][] = [];
  for (const { name, field, path } of containers) {
    if (name !== '' && counts.get(name) === 1) keys.push([formatPath(path), `${formatPath([...pod.specPath, field])}[${JSON.stringify(name)}]`]);
  }
  return keys.length === 0 ? undefined : keys;
}

/** A path with the container it points into named, not numbered. */
function named(path: string, keys: ContainerKeys | undefined): string {
  if (keys === undefined) return path;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as readonly [string, string];
    const indexed = key[0];
    if (!path.startsWith(indexed)) continue;
    const next = path.charCodeAt(indexed.length);
    // `containers[1]` is not the start of `containers[12]`: a whole step must follow, or nothing.
    if (Number.isNaN(next) || next === 46 /* . */ || next === 91 /* [ */) return key[1] + path.slice(indexed.length);
  }
  return path;
}

/** The places of a finding as its fingerprint counts them (`places`), as a list. */
export function placesOf(finding: Finding): string[] {
  return places(finding).split('\u0000');
}

/** A finding's file as its fingerprint counts it: relative to `cwd`, with `/`. */
export function fingerprintFile(file: string, cwd: string = process.cwd()): string {
  return cachedFile(file, cwd);
}

/** The places of a finding as its fingerprint counts them: its path and further paths, containers named, each once, sorted. */
function places(finding: Finding): string {
  const keys = CONTAINER_KEYS.get(finding.object);
  const first = named(finding.path, keys);
  const { paths } = finding;
  if (paths === undefined || paths.length === 0) return first;
  if (paths.length === 1) {
    // The commonest case, ordered without a list.
    const other = named(paths[0] as string, keys);
    return other === first ? first : other < first ? `${other}\u0000${first}` : `${first}\u0000${other}`;
  }
  // Paths come in order and without repeats as a rule: joined as they come unless they do not.
  let out = first;
  let last = first;
  for (let i = 0; i < paths.length; i++) {
    const next = named(paths[i] as string, keys);
    if (next <= last) return sortedPlaces(first, paths, keys);
    out += `\u0000${next}`;
    last = next;
  }
  return out;
}

/** `places` for paths out of order or repeated: sorted by code units (the default order of strings), each once. */
function sortedPlaces(first: string, paths: readonly string[], keys: ContainerKeys | undefined): string {
  const all = [first];
  for (let i = 0; i < paths.length; i++) all.push(named(paths[i] as string, keys));
  all.sort();
  let out = all[0] as string;
  for (let i = 1; i < all.length; i++) if (all[i] !== all[i - 1]) out += `\u0000${all[i] as string}`;
  return out;
}

/**
 * A finding's identity across runs: its rule, file, object and every place it names (its path
 * and further paths, in any order), never its line or message, so moving lines or rewording a
 * message keeps it, while a finding that comes to name one more field (a Pod Security finding
 * that groups the containers of a pod, when one more container breaks the rule) is another.
 * A path into a container names the container (`containers["web"]`), not its index, so adding
 * a container before it keeps it (the engine records the names, see `nameContainers`; a
 * finding built elsewhere keeps the index). Used by SARIF `partialFingerprints`, PolicyReport
 * results and baselines. The file counts as a path relative to `cwd`, however it was written
 * (`./k8s/web.yaml`, `k8s/web.yaml` or absolute), and the namespace as the object is created in
 * (`default` for a namespaced object that sets none, none for a cluster-scoped one). 32 hex
 * characters (128 bits of SHA-256).
 * Several findings can share one (a rule reporting each of several problems at one path):
 * `reportFingerprints` tells them apart within a report.
 */
export function fingerprint(finding: Finding, cwd: string = process.cwd()): string {
  return hashOf(finding, cwd, refNamespace(finding.object), places(finding));
}

/** The hash of a finding's rule, file, object (in `namespace`) and `where`. */
function hashOf(finding: Finding, cwd: string, namespace: string, where: string): string {
  const file = cachedFile(finding.location?.file ?? '', cwd);
  // Joined, the text is one flat string, which the hash reads without flattening a rope first.
  return sha256Hex([finding.ruleId, file, objectText(finding.object, namespace), where].join('\u0000')).slice(0, 32);
}

/** The last object's part of the hashed text: a report's findings on one object come together. */
let lastObject: { ref: ObjectRef | undefined; namespace: string; text: string } = { ref: undefined, namespace: '', text: '' };

/** `apiVersion`, kind, `namespace` and name, joined as `hashOf` joins its parts. */
function objectText(ref: ObjectRef, namespace: string): string {
  if (ref !== lastObject.ref || namespace !== lastObject.namespace) lastObject = { ref, namespace, text: [ref.apiVersion, ref.kind, namespace, ref.name].join('\u0000') };
  return lastObject.text;
}

/**
 * The namespace an object is in: its `metadata.namespace`, `default` for a namespaced object that
 * sets none (where it is created), '' for a cluster-scoped one (the API server clears any).
 */
function refNamespace(ref: ObjectRef): string {
  if (isClusterScoped(ref.kind)) return '';
  return ref.namespace === undefined || ref.namespace === '' ? 'default' : ref.namespace;
}

/**
 * The fingerprint of earlier versions of mamori, and of the baselines they wrote (`schemaVersion: 1`): the rule,
 * file, object and the first path only, containers by their index.
 */
export function legacyFingerprint(finding: Finding, cwd: string = process.cwd()): string {
  return hashOf(finding, cwd, finding.object.namespace ?? '', finding.path);
}

/** Whether two findings are on one object, as fingerprints name it. */
function sameObject(a: Finding, b: Finding): boolean {
  const x = a.object;
  const y = b.object;
  return x.kind === y.kind && x.name === y.name && x.apiVersion === y.apiVersion && refNamespace(x) === refNamespace(y);
}

/** The n-th (from 2) finding of a report with a given fingerprint: another fingerprint, derived from it. */
function occurrence(print: string, n: number): string {
  return sha256Hex(`${print}\u0000${n}`).slice(0, 32);
}

/**
 * Fingerprints distinct within a report, for formats whose consumers merge results that share one
 * (GitHub code scanning merges SARIF results by `partialFingerprints`). A finding gets its
 * `fingerprint`, unless an earlier finding of the report (reported or suppressed, in the order of
 * `compareFindings`, as the report lists them) has the same: the second then gets a fingerprint
 * derived from it and the number 2, the third from 3, and so on. Returns the fingerprint of each
 * finding object of the report (others get their plain `fingerprint`).
 */
export function reportFingerprints(report: Pick<Report, 'findings' | 'suppressed'>, cwd: string = process.cwd()): (finding: Finding) => string {
  const counts = new Map<Finding, number>();
  // Findings with one fingerprint share their file, rule, object and first path, and the report
  // lists each list by file: walking both lists together in report order, a file's findings come
  // together, so what is kept is one file's at a time. Within a file they are looked up by first
  // path (texts the findings share, cheap to look up); only those of one rule and object are
  // compared by all their places.
  const { findings, suppressed } = report;
  let file: string | undefined;
  // By first path (texts the findings share), the findings of the file so far that have it.
  const seen = new Map<string, Finding | Finding[]>();
  let i = 0;
  let j = 0;
  while (i < findings.length || j < suppressed.length) {
    const a = findings[i];
    const b = suppressed[j];
    const f = (b === undefined || (a !== undefined && compareFindings(a, b) <= 0) ? (i++, a) : (j++, b)) as Finding;
    const at = f.location?.file ?? '';
    if (at !== file) {
      file = at;
      seen.clear();
    }
    const earlier = seen.get(f.path);
    if (earlier === undefined) {
      seen.set(f.path, f);
      continue;
    }
    const list = Array.isArray(earlier) ? earlier : [earlier];
    if (list !== earlier) seen.set(f.path, list);
    let n = 1;
    let where: string | undefined;
    for (const e of list) {
      if (e.ruleId !== f.ruleId || !sameObject(e, f)) continue;
      where ??= places(f);
      if (places(e) === where) n++;
    }
    list.push(f);
    if (n > 1) counts.set(f, n);
  }
  // Most reports have no shared fingerprint: then no finding is looked up.
  if (counts.size === 0) return (finding) => fingerprint(finding, cwd);
  return (finding) => {
    const print = fingerprint(finding, cwd);
    const n = counts.get(finding);
    return n === undefined ? print : occurrence(print, n);
  };
}
