/**
 * Where the plaintext-credential rules look: container env values, command and args; ConfigMap
 * `data` and `binaryData`; annotations of any object and of pod templates; and the copy of all
 * of these that `kubectl apply` keeps in the last-applied-configuration annotation. Each object
 * is scanned once and the result shared by the rules (one per credential class).
 */
import { asObject, asString, isObject } from '../../k8s/object.js';
import { CONTAINER_FIELDS, podSpecOf, type ContainerField } from '../../k8s/pod.js';
import { scanArgs, scanBinaryValue, scanNamedValue, scanText, VALUE_WITHHELD, type Credential, type CredentialClass } from '../../k8s/secrets.js';
import { containerLabel } from '../image/common.js';
import type { JsonObject, Path } from '../../types.js';

/** The annotation in which `kubectl apply` keeps the whole manifest it last applied. */
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** One credential and where it is. */
export interface LocatedCredential {
  credential: Credential;
  path: Path;
  /** Where, in words: `env var "DB_PASSWORD" of container "api"`, `args[2] of init container "migrate"`. */
  where: string;
}

const NONE: readonly LocatedCredential[] = Object.freeze([]);

/*
 * The engine runs every object rule on one object before the next, so remembering the last
 * object is enough for the two rules to share one scan (a WeakMap over every object would cost
 * the garbage collector more than it saves).
 */
let lastObject: JsonObject | undefined;
let lastFound: readonly LocatedCredential[] = NONE;

/** Every plaintext credential of an object (the last object's result is remembered). */
export function credentialsOf(object: JsonObject): readonly LocatedCredential[] {
  if (object !== lastObject) {
    lastFound = scanObject(object, true);
    lastObject = object;
  }
  return lastFound;
}

/**
 * The credentials of one class, for the rule reporting that class. A message ends with the
 * credential's fingerprint (only credentials recognised by the format of generated material have
 * one), or says that the value is withheld.
 */
export function* credentialViolations(object: JsonObject, wanted: CredentialClass): Generator<{ path: Path; message: string }> {
  for (const { credential, path, where } of credentialsOf(object)) {
    if (credential.class !== wanted) continue;
    const named = credential.name === undefined || where.includes(quote(credential.name)) ? '' : ` under ${quote(credential.name)}`;
    const value = credential.fingerprint === undefined ? ` (${VALUE_WITHHELD})` : `: ${credential.fingerprint}`;
    yield { path, message: `${where}${named} holds ${credential.label} in plain text${value}` };
  }
}

function quote(text: string): string {
  return JSON.stringify(text);
}

function lineNote(c: Credential): string {
  return c.line === undefined ? '' : ` (line ${c.line})`;
}

function scanObject(object: JsonObject, live: boolean): readonly LocatedCredential[] {
  let out: LocatedCredential[] | undefined;
  const push = (credential: Credential, path: Path, where: string): void => {
    (out ??= []).push({ credential, path, where });
  };
  const kind = asString(object['kind']);
  const metadata = asObject(object['metadata']);

  const annotations = asObject(metadata?.['annotations']);
  if (annotations !== undefined) scanAnnotations(annotations, ['metadata', 'annotations'], 'annotation', push, live && kind !== 'Secret' ? object : undefined);

  if (kind === 'ConfigMap') {
    const data = asObject(object['data']);
    if (data !== undefined) {
      for (const [key, value] of Object.entries(data)) {
        if (typeof value !== 'string') continue;
        for (const c of scanNamedValue(key, value)) push(c, ['data', key], `ConfigMap key ${quote(key)}${lineNote(c)}`);
      }
    }
    const binary = asObject(object['binaryData']);
    if (binary !== undefined) {
      for (const [key, value] of Object.entries(binary)) {
        if (typeof value !== 'string') continue;
        for (const c of scanBinaryValue(key, value)) push(c, ['binaryData', key], `ConfigMap binaryData key ${quote(key)}${lineNote(c)}`);
      }
    }
  }

  const pod = podSpecOf(object);
  if (pod !== undefined) {
    const templateAnnotations = asObject(pod.metadata['annotations']);
    if (templateAnnotations !== undefined) scanAnnotations(templateAnnotations, [...pod.root, 'metadata', 'annotations'], 'pod template annotation', push, undefined);
    for (const field of CONTAINER_FIELDS) {
      const list = pod.spec[field];
      if (!Array.isArray(list)) continue;
      for (let c = 0; c < list.length; c++) {
        const container = list[c];
        if (isObject(container)) scanContainer(container, field, c, [...pod.specPath, field, c], push);
      }
    }
  }
  return out ?? NONE;
}

type Push = (credential: Credential, path: Path, where: string) => void;

/** Env values, command and args of one container; `path` is the container's. */
function scanContainer(container: JsonObject, field: ContainerField, index: number, path: Path, push: Push): void {
  const who = (): string => containerLabel(field, asString(container['name']) ?? '', index);
  const env = container['env'];
  if (Array.isArray(env)) {
    for (let i = 0; i < env.length; i++) {
      const entry = env[i];
      if (!isObject(entry)) continue;
      const value = entry['value'];
      if (typeof value !== 'string' || value === '') continue;
      const name = asString(entry['name']) ?? '';
      for (const c of scanNamedValue(name, value)) push(c, [...path, 'env', i, 'value'], `env var ${quote(name)} of ${who()}`);
    }
  }
  for (const key of ['command', 'args'] as const) {
    const list = container[key];
    if (!Array.isArray(list) || list.length === 0) continue;
    const args = list.map((a) => (typeof a === 'string' ? a : ''));
    for (const { index: arg, credential } of scanArgs(args)) push(credential, [...path, key, arg], `${key}[${arg}] of ${who()}`);
  }
}

function scanAnnotations(annotations: JsonObject | undefined, path: Path, what: string, push: Push, liveObject: JsonObject | undefined): void {
  if (annotations === undefined) return;
  for (const [key, value] of Object.entries(annotations)) {
    if (typeof value !== 'string' || value === '') continue;
    if (key === LAST_APPLIED) {
      // Secrets have their own rule for this annotation; for other objects it repeats their
      // fields, so report only what is not also in the live object (e.g. a rotated value).
      if (liveObject !== undefined) scanLastApplied(value, [...path, key], push, liveObject);
      continue;
    }
    for (const c of scanNamedValue(key, value)) push(c, [...path, key], `${what} ${quote(key)}${lineNote(c)}`);
  }
}

/**
 * What the last-applied copy must show before it is parsed: a credential-named env var with a
 * literal value, data, a credential-named assignment, a URL with a password, a credential format,
 * or annotations with a credential word. Objects exported from a cluster all carry the
 * annotation, and parsing each would cost as much as reading the object again.
 *
 * `lastAppliedHint(text)` is, in linear time,
 *
 *   /"name":"[^"]*(?:pass|pw|secret|token|key|auth|cred)[^"]*","value":"|"(?:data|binaryData)":\{"|(?:pass|pw|secret|token|key|auth|cred)[\w.-]*=|:\/\/[^"\s/@]*:[^"\s/@]+@|-----BEGIN|AKIA|ASIA|gh[pousr]_|github_pat_|glpat-|xox[baprs]-|_live_|eyJ|AccountKey=|SharedAccessKey=|sig=|Basic |Bearer |"annotations":\{[^}]*(?:pass|pw|secret|token|key|auth|cred)/i.test(text)
 *
 * Written as that one regex, several branches are retried from every position they can start at:
 * quadratic on an annotation of `passpass…`, `://:::…`, `"name":"pwpw…` or many `"annotations":{`
 * without `}`. The test of an alternation is the test of any branch, so the branches are tested
 * apart, each written to read a character a bounded number of times.
 */
const CREDENTIAL_WORD = 'pass|pw|secret|token|key|auth|cred';
const HINT_FIXED = /"(?:data|binaryData)":\{"|-----BEGIN|AKIA|ASIA|gh[pousr]_|github_pat_|glpat-|xox[baprs]-|_live_|eyJ|AccountKey=|SharedAccessKey=|sig=|Basic |Bearer /i;
/** `"name":"…word…","value":"`: the word is looked for ahead, inside the quoted name only. */
const HINT_NAMED_VALUE = new RegExp(`"name":"(?=[^"]*(?:${CREDENTIAL_WORD}))[^"]*","value":"`, 'i');
/**
 * `word[\w.-]*=`, read backwards from each `=` over the run of name characters before it (the runs
 * before two `=` do not overlap). The `=` comes first: a lookbehind first would be tried, over the
 * whole run, at every position.
 */
const HINT_ASSIGNMENT = new RegExp(`=(?<=(?:${CREDENTIAL_WORD})[\\w.-]*=)`, 'i');
/** `://[^"\s/@]*:[^"\s/@]+@`: a `:` with something after it before the `@` ⇔ the first `:` is such one. */
const HINT_URL_PASSWORD = /:\/\/[^"\s/@:]*:[^"\s/@]+@/;
const HINT_ANNOTATIONS = /"annotations":\{/gi;
const HINT_WORD = new RegExp(CREDENTIAL_WORD, 'gi');

/**
 * `"annotations":\{[^}]*(?:word)`: a credential word after some `"annotations":{` and before the
 * next `}`. When the first word after an opening lies past its `}`, so does the first word after
 * any later opening before that `}`; the search resumes after it, and a word found is reused
 * while it lies ahead.
 */
function annotationsWithWord(text: string): boolean {
  const open = HINT_ANNOTATIONS;
  const word = HINT_WORD;
  open.lastIndex = 0;
  let found: number | undefined;
  for (let m = open.exec(text); m !== null; m = open.exec(text)) {
    const from = m.index + m[0].length;
    if (found === undefined || found < from) {
      word.lastIndex = from;
      const w = word.exec(text);
      if (w === null) return false;
      found = w.index;
    }
    const close = text.indexOf('}', from);
    if (close === -1 || found < close) return true;
    open.lastIndex = close + 1;
  }
  return false;
}

function lastAppliedHint(text: string): boolean {
  return HINT_FIXED.test(text) || HINT_NAMED_VALUE.test(text) || HINT_ASSIGNMENT.test(text) || HINT_URL_PASSWORD.test(text) || annotationsWithWord(text);
}

function scanLastApplied(text: string, path: Path, push: Push, liveObject: JsonObject): void {
  if (!lastAppliedHint(text)) return;
  let applied: unknown;
  try {
    applied = JSON.parse(text);
  } catch {
    for (const c of scanText(text)) push(c, path, 'the last-applied-configuration annotation');
    return;
  }
  if (!isObject(applied)) return;
  const embedded = scanObject(applied, false);
  if (embedded.length === 0) return;
  const live = new Set(scanObject(liveObject, false).map((l) => `${l.credential.kind}\u0000${l.credential.identity}`));
  for (const { credential, where } of embedded) {
    if (live.has(`${credential.kind}\u0000${credential.identity}`)) continue;
    push(credential, path, `the last-applied-configuration annotation (its copy of ${where})`);
  }
}
