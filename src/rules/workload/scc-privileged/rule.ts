import { defineRule } from '../../../engine/rule.js';
import { asArray, asObject, asString } from '../../../k8s/object.js';
import type { JsonObject, Path } from '../../../types.js';

/** The SecurityContextConstraints OpenShift itself installs (and resets on upgrade). */
const BUILT_IN: ReadonlySet<string> = new Set([
  'anyuid',
  'hostaccess',
  'hostmount-anyuid',
  'hostmount-anyuid-v2',
  'hostnetwork',
  'hostnetwork-v2',
  'machine-api-termination-handler',
  'node-exporter',
  'nonroot',
  'nonroot-v2',
  'privileged',
  'restricted',
  'restricted-v2',
  'restricted-v3',
]);

/** Groups that hold every user, or every service account (of the cluster or of a namespace). */
const BROAD_GROUP = /^system:(?:authenticated|unauthenticated|serviceaccounts(?::.+)?)$/;

/**
 * The host-access switches of an SCC, in the order messages name them. `allowHostDirVolumePlugin`
 * wins over `volumes`: OpenShift's defaulting adds hostPath to the volumes when it is true and
 * removes it (and `*`) when it is false.
 */
const SWITCHES = [
  ['allowPrivilegedContainer', 'privileged containers'],
  ['allowHostNetwork', 'the host network'],
  ['allowHostPID', 'the host PID namespace'],
  ['allowHostIPC', 'the host IPC namespace'],
  ['allowHostDirVolumePlugin', 'hostPath volumes'],
] as const;

/** `users "a", "b" and groups "c"`, or who may use an SCC that lists nobody. */
function describeSubjects(scc: JsonObject): string {
  const list = (field: string): string[] => asArray(scc[field]).filter((s): s is string => typeof s === 'string' && s !== '').map((s) => `"${s}"`);
  const parts: string[] = [];
  const users = list('users');
  const groups = list('groups');
  if (users.length > 0) parts.push(`${users.length === 1 ? 'user' : 'users'} ${users.join(', ')}`);
  if (groups.length > 0) parts.push(`${groups.length === 1 ? 'group' : 'groups'} ${groups.join(', ')}`);
  const rbac = 'subjects granted "use" on it through RBAC';
  return parts.length === 0 ? rbac : `${parts.join(' and ')}, and ${rbac}`;
}

export const rule = defineRule({
  id: 'scc-privileged',
  title: 'SecurityContextConstraints allow privileged or host access',
  severity: 'high',
  target: 'object',
  kinds: ['SecurityContextConstraints'],
  controls: ['CMP-1', 'DEP-1'],
  frameworks: { nsa: ['Pod security enforcement'] },
  description:
    'On OpenShift, SecurityContextConstraints (SCCs) decide which pods a user or service account may run, in place of Pod Security Admission. An SCC with `allowPrivilegedContainer: true`, `allowHostNetwork`, `allowHostPID`, `allowHostIPC` or `allowHostDirVolumePlugin` (which decides over `volumes` whether hostPath is allowed) lets every pod admitted under it take over its node: a privileged container or a hostPath mount of / reaches the host\'s filesystem and devices, hostPID lets it read other containers\' processes and environment, hostNetwork lets it sniff node traffic and reach services bound to localhost. Every user, group and service account listed in `users` and `groups`, or granted the `use` verb on the SCC through RBAC, gets this power. The SCCs OpenShift installs itself (`privileged`, `hostaccess`, `hostmount-anyuid`, `hostnetwork`, `node-exporter`...) are not reported unless their `groups` were extended to everyone (`system:authenticated`, `system:unauthenticated`, `system:serviceaccounts` or a namespace\'s `system:serviceaccounts:<namespace>`): they are reset on upgrade and meant for cluster components; custom SCCs are.',
  remediation:
    'Set `allowPrivilegedContainer`, `allowHostNetwork`, `allowHostPID`, `allowHostIPC` and `allowHostDirVolumePlugin` to false and add only the capabilities the workload needs to `allowedCapabilities`; start from `restricted-v2` (or `nonroot-v2`) and loosen only what is needed. Where a node agent needs host access, grant the SCC to that one service account (`users: [system:serviceaccount:<namespace>:<name>]`) and never to broad groups such as `system:authenticated` or `system:serviceaccounts`.',
  *check({ object }) {
    const name = asString(asObject(object['metadata'])?.['name']) ?? '';
    // OpenShift's own SCCs are reported only once they are handed to everyone (a common mistake).
    if (BUILT_IN.has(name) && !asArray(object['groups']).some((g) => typeof g === 'string' && BROAD_GROUP.test(g))) return;
    const allowed: string[] = [];
    const paths: Path[] = [];
    for (const [field, what] of SWITCHES) {
      if (object[field] !== true) continue;
      allowed.push(what);
      paths.push([field]);
    }
    const [first, ...rest] = paths;
    if (first === undefined) return;
    const listed = allowed.length === 1 ? allowed.join('') : `${allowed.slice(0, -1).join(', ')} and ${allowed.at(-1) ?? ''}`;
    yield {
      path: first,
      ...(rest.length > 0 ? { paths: rest } : {}),
      message: `SecurityContextConstraints "${name}" allows ${listed} to ${describeSubjects(object)}`,
    };
  },
});
