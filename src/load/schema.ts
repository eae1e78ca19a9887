import yaml from 'js-yaml';

/*
 * kubectl reads manifests with sigs.k8s.io/yaml, which resolves plain scalars by YAML 1.1 rules:
 * `yes`/`on`/`y` are booleans and `0644` is octal. mamori resolves them the same way, so a
 * `privileged: yes` that the API server would take as true is not missed. Timestamps stay strings,
 * as they do once Kubernetes turns YAML into JSON.
 */
const TRUE = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
const FALSE = new Set(['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);

const bool11 = new yaml.Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (data: unknown) => typeof data === 'string' && data.length <= 5 && (TRUE.has(data) || FALSE.has(data)),
  construct: (data: string) => TRUE.has(data),
  predicate: (value: unknown) => typeof value === 'boolean',
  represent: { lowercase: (value: object) => (value ? 'true' : 'false') },
  defaultStyle: 'lowercase',
});

/** js-yaml exports its built-in types; its type declarations omit them. */
const builtin = (yaml as unknown as { types: Record<'int' | 'null' | 'float' | 'merge', yaml.Type & { resolve(data: unknown): boolean; construct(data: unknown): unknown }> }).types;

const OCTAL11 = /^[-+]?0[0-7_]+$/;
/*
 * go-yaml v2 drops every `_` from a plain scalar that starts with a digit or a sign before it
 * tries it as a number, so `hostPort: 8_080` reaches the API server as 8080. Read it the same
 * way, or such a field would look unset to the rules.
 */
const NUMBERISH = /^[-+0-9]/;
const plain11 = (data: string): string => (NUMBERISH.test(data) && data.includes('_') ? data.replace(/_/g, '') : data);
/** Every scalar is tried as a number; most start with a letter and are ruled out by their first character. */
const numberStart = (data: string, dot: boolean): boolean => {
  const c = data.charCodeAt(0);
  return (c >= 48 && c <= 57) || c === 45 || c === 43 || (dot && c === 46);
};
const coreInt = builtin.int;
const int11 = new yaml.Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (data: unknown) => typeof data === 'string' && numberStart(data, false) && (OCTAL11.test(data) || coreInt.resolve(plain11(data))),
  construct: (data: string) => {
    if (!OCTAL11.test(data)) return coreInt.construct(plain11(data));
    const sign = data.startsWith('-') ? -1 : 1;
    return sign * parseInt(data.replace(/^[-+]/, '').replace(/_/g, ''), 8);
  },
  predicate: (value: unknown) => typeof value === 'number' && Number.isInteger(value),
  represent: { decimal: (value: object) => String(value) },
  defaultStyle: 'decimal',
});
const coreFloat = builtin.float;
const float11 = new yaml.Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (data: unknown) => typeof data === 'string' && numberStart(data, true) && coreFloat.resolve(plain11(data)),
  construct: (data: string) => coreFloat.construct(plain11(data)),
  predicate: (value: unknown) => typeof value === 'number' && !Number.isInteger(value),
  represent: { decimal: (value: object) => String(value) },
  defaultStyle: 'decimal',
});

/** The schema manifests are read with: YAML 1.1 scalars as kubectl resolves them, plus merge keys. */
export const KUBE_SCHEMA = yaml.FAILSAFE_SCHEMA.extend({
  implicit: [builtin.null, bool11, int11, float11, builtin.merge],
});

const IMPLICIT = [builtin.null, bool11, int11, float11];

/**
 * A plain scalar resolved as js-yaml resolves it with KUBE_SCHEMA (merge keys aside): most
 * scalars start with a letter and can only be a null or boolean word, or a string.
 */
export function resolvePlainScalar(raw: string): unknown {
  const c = raw.charCodeAt(0);
  if (c >= 97 ? c <= 122 : c >= 65 && c <= 90) {
    if (raw.length > 5) return raw;
    if (raw === 'null' || raw === 'Null' || raw === 'NULL') return null;
    if (TRUE.has(raw)) return true;
    if (FALSE.has(raw)) return false;
    return raw;
  }
  for (const type of IMPLICIT) if (type.resolve(raw)) return type.construct(raw);
  return raw;
}
