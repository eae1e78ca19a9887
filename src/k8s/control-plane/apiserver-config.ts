/**
 * The structured configuration files kube-apiserver and kube-scheduler read instead of flags
 * (specs/control-plane.md §4.4, §4.5): `AuthorizationConfiguration` (`--authorization-config`),
 * `AuthenticationConfiguration` (`--authentication-config`) and `KubeSchedulerConfiguration`
 * (`--config`), as far as the control-plane checks need them.
 */
import type { JsonObject } from '../../types.js';
import { asArray, asObject, asString } from '../object.js';

/** The kind of the file `--authorization-config` names. */
export const AUTHORIZATION_CONFIGURATION = 'AuthorizationConfiguration';
/** The kind of the file `--authentication-config` names. */
export const AUTHENTICATION_CONFIGURATION = 'AuthenticationConfiguration';
/** The kind of the file kube-scheduler's `--config` names. */
export const SCHEDULER_CONFIGURATION = 'KubeSchedulerConfiguration';

/** The API group each of these kinds is read in; an object of the kind in another group is not the component's file. */
const GROUPS: Readonly<Record<string, string>> = {
  [AUTHORIZATION_CONFIGURATION]: 'apiserver.config.k8s.io',
  [AUTHENTICATION_CONFIGURATION]: 'apiserver.config.k8s.io',
  [SCHEDULER_CONFIGURATION]: 'kubescheduler.config.k8s.io',
};

/** The API group the file of `kind` must be in (`apiserver.config.k8s.io`). */
export function configGroup(kind: string): string {
  return GROUPS[kind] ?? '';
}

/** True for an object of `kind` in one of the API groups of `group` (`apiserver.config.k8s.io`). */
function isConfig(object: JsonObject, kind: string, group: string): boolean {
  return object['kind'] === kind && (asString(object['apiVersion']) ?? '').startsWith(`${group}/`);
}

/** True for the file a component reads for `kind`: that kind, in its API group. */
export function isConfigOf(object: JsonObject, kind: string): boolean {
  return isConfig(object, kind, configGroup(kind));
}

/** The `type` of every `authorizers[]` entry, in order (`Node`, `RBAC`, `Webhook`, `AlwaysAllow`, …). */
export function authorizerTypes(object: JsonObject): string[] | undefined {
  if (!isConfig(object, AUTHORIZATION_CONFIGURATION, 'apiserver.config.k8s.io')) return undefined;
  return asArray(object['authorizers']).map((a) => asString(asObject(a)?.['type']) ?? '');
}

/**
 * The `anonymous` section of an AuthenticationConfiguration: `absent` when the file has none (the
 * API server's `--anonymous-auth`, default true, then applies), else whether it is enabled and
 * whether `conditions` restrict it to some paths.
 */
export function anonymousSection(object: JsonObject): { absent: true } | { absent: false; enabled: boolean; restricted: boolean } | undefined {
  if (!isConfig(object, AUTHENTICATION_CONFIGURATION, 'apiserver.config.k8s.io')) return undefined;
  const anonymous = asObject(object['anonymous']);
  if (anonymous === undefined) return { absent: true };
  return { absent: false, enabled: anonymous['enabled'] === true, restricted: asArray(anonymous['conditions']).length > 0 };
}

/** `enableProfiling` of a KubeSchedulerConfiguration (default true); undefined for another object. */
export function schedulerProfiling(object: JsonObject): { value: unknown; set: boolean } | undefined {
  if (!isConfig(object, SCHEDULER_CONFIGURATION, 'kubescheduler.config.k8s.io')) return undefined;
  return 'enableProfiling' in object ? { value: object['enableProfiling'], set: true } : { value: true, set: false };
}
