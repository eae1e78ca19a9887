/**
 * The Pod Security Admission checks written in CEL, one per check and policy version, for
 * `mamori policy export` (export.ts). Each check gives the same verdict as its TypeScript
 * implementation in src/rules/pss/psa.ts at the same version, and a message in PSA's
 * `reason (detail)` form.
 *
 * Only what the API server's CEL environment has from Kubernetes 1.30 is used (the first minor
 * with admissionregistration.k8s.io/v1 ValidatingAdmissionPolicies): the standard macros, `?.`
 * and `[?]` optional selection with `orValue` (1.29), the Kubernetes lists library (`indexOf`,
 * `lastIndexOf`), ext.Strings (`join`, `split`, `substring`, `startsWith`, `strings.quote`).
 * Absent fields are read with `?.` and `orValue`, so they are never evaluation errors.
 *
 * Where PSA prints a sorted set of values (capabilities, profile types, ports, hosts), the CEL
 * builds it without ext.Lists (`distinct`, `sort`, `flatten` arrive in 1.35): a value is kept in
 * the first container that has it (containers have unique names), per-container lists are joined
 * and split to flatten them, and a list without repeats is sorted by rank (`indexOf` on the list
 * of ranks). A value repeated inside one container's list (the same capability added twice) makes
 * the message fall back to the order met, repeats included; the verdict never depends on it.
 */
import type { PssCheckId } from '../rules/pss/psa.js';
import {
  ALLOWED_VOLUME_SOURCE_LIST, APPARMOR_PREFIX, BASELINE_CAPABILITY_LIST, RESTRICTED_VOLUME_SOURCES, SECCOMP_CONTAINER_PREFIX, SECCOMP_POD_ANNOTATION,
  SELINUX_TYPES_1_0, SELINUX_TYPES_1_31,
  SYSCTLS_1_0, SYSCTLS_1_27, SYSCTLS_1_29, SYSCTLS_1_32, SYSCTLS_1_37,
} from '../rules/pss/constants.js';

/** A named CEL expression of a policy's `variables`. */
export interface CelVariable {
  name: string;
  expression: string;
}

/** One check as CEL: its variables (shared ones first), validation, message and static reason. */
export interface PssCheckCel {
  variables: CelVariable[];
  /** True when the pod passes the check. */
  expression: string;
  /** PSA's `reason (detail)`, naming the offending containers and fields. */
  messageExpression: string;
  /** PSA's reason: the validation's static `message`, shown if the messageExpression fails. */
  reason: string;
}

// ---------------------------------------------------------------------------------------------
// Shared variables: the pod (or pod template) of every kind Pod Security Admission evaluates

/** `<base>.?<path>.orValue(<fallback>)` over the pod template root of each kind. */
function fromTemplate(field: string, fallback: string): string {
  return [
    `object.kind == 'Pod' ? object.?${field}.orValue(${fallback}) :`,
    `object.kind == 'PodTemplate' ? object.?template.?${field}.orValue(${fallback}) :`,
    `object.kind == 'CronJob' ? object.?spec.?jobTemplate.?spec.?template.?${field}.orValue(${fallback}) :`,
    `object.?spec.?template.?${field}.orValue(${fallback})`,
  ].join('\n');
}

const SHARED: Readonly<Record<'metadata' | 'spec' | 'containers', string>> = {
  metadata: fromTemplate('metadata', '{}'),
  spec: fromTemplate('spec', '{}'),
  // Pod Security Admission's visiting order: init containers, containers, ephemeral containers.
  containers: [
    `variables.spec.?initContainers.orValue([]) +`,
    `variables.spec.?containers.orValue([]) +`,
    `variables.spec.?ephemeralContainers.orValue([])`,
  ].join('\n'),
};
type Shared = keyof typeof SHARED;

// ---------------------------------------------------------------------------------------------
// CEL text helpers

/** A CEL single-quoted string literal. */
export function lit(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
/** A CEL list literal of strings. */
const litList = (items: readonly string[]): string => `[${items.map(lit).join(', ')}]`;

const SPEC = 'variables.spec';
const POD_SC = `${SPEC}.?securityContext`;
const CONTAINERS = 'variables.containers';
const NAME = (c: string): string => `${c}.?name.orValue('')`;

/** `P(singular, plural, n)`: the singular when the count is 1. */
const plural = (count: string, one: string, many: string): string => `(${count} == 1 ? ${lit(one)} : ${lit(many)})`;
/** `Q(list)`: each string in double quotes, joined by ", " (unescaped, like PSA). */
const quoted = (list: string): string => `${list}.map(q, '"' + q + '"').join(', ')`;
/** `C(list)` of a list of containers: `container "a"` / `containers "a", "b"`. */
const containerPhrase = (list: string): string =>
  `${plural(`size(${list})`, 'container', 'containers')} + ' ' + ${quoted(`${list}.map(n, ${NAME('n')})`)}`;
/** "pod", then `C(containers)`, then the extra setters (CEL strings, each with its condition), joined by " and ". */
function setters(pod: string | undefined, containers: string, extra: { when: string; text: string }[] = []): string {
  const parts = [
    ...(pod === undefined ? [] : [`(${pod} ? ['pod'] : [])`]),
    `(size(${containers}) > 0 ? [${containerPhrase(containers)}] : [])`,
    ...extra.map((e) => `(${e.when} ? [${e.text}] : [])`),
  ];
  return `(${parts.join(' +\n')}).join(' and ')`;
}
/** True when an optional holds a non-null value (an explicit null counts as absent, like psa.ts). */
const present = (optional: string): string => `(${optional}.orValue(null) != null)`;
/** `reason (detail)`. */
const reasonDetail = (reason: string, detail: string): string => `${reason} + ' (' +\n${detail} + ')'`;

/**
 * The variables that sort the list variable `name` in byte order (as PSA's sorted sets):
 * `<name>Ranks` (how many values are smaller) and `<name>Sorted`, the value of each rank in turn.
 * A list with repeats has no such order by rank and is kept as it is.
 */
function sortedVariables(name: string): CelVariable[] {
  const list = `variables.${name}`;
  return [
    { name: `${name}Ranks`, expression: `${list}.map(x, size(${list}.filter(y, y < x)))` },
    {
      name: `${name}Sorted`,
      expression:
        `${list}.all(x, ${list}.indexOf(x) == ${list}.lastIndexOf(x)) ?\n` +
        `${list}.map(x, ${list}[variables.${name}Ranks.indexOf(${list}.indexOf(x))]) : ${list}`,
    },
  ];
}

/** The distinct values of `value(c)` over the containers `items`, in walk order: each from the first container that has it. */
const distinctValues = (items: string, value: (c: string) => string): string =>
  `${items}.filter(c, ${NAME(`${items}.filter(d, ${value('d')} == ${value('c')})[0]`)} == ${NAME('c')}).map(c, ${value('c')})`;

/**
 * Variables flattening the per-container lists `values(c)` of the containers `items` into the
 * list variable `name`, each value kept in the first container that has it, then sorted
 * (`<name>Sorted`): `<name>Lists` (one list per container), `<name>Owners` (their names, to find
 * a container's position), `<name>Joined` (every kept value after a newline) and `<name>`.
 */
function flatSortedVariables(name: string, items: string, values: (c: string) => string): CelVariable[] {
  const lists = `variables.${name}Lists`;
  const index = `variables.${name}Owners.indexOf(${NAME('c')})`;
  return [
    { name: `${name}Lists`, expression: `${items}.map(c, ${values('c')})` },
    { name: `${name}Owners`, expression: `${items}.map(c, ${NAME('c')})` },
    {
      name: `${name}Joined`,
      expression: `${items}.map(c, ${lists}[${index}].filter(v, ${lists}.map(l, v in l).indexOf(true) == ${index}).map(v, '\\n' + v).join('')).join('')`,
    },
    { name, expression: `variables.${name}Joined == '' ? [] : variables.${name}Joined.substring(1).split('\\n')` },
    ...sortedVariables(name),
  ];
}

/** Allowed unless the pod runs Windows (`spec.os.name`), from policy v1.25. */
const unlessWindows = (expression: string): string => `${SPEC}.?os.?name.orValue('') == 'windows' ||\n(${expression})`;
/** Allowed when the pod runs in a user namespace (`spec.hostUsers: false`), from policy v1.35. */
const unlessUserNamespace = (expression: string): string => `${SPEC}.?hostUsers.orValue(true) == false ||\n(${expression})`;

// ---------------------------------------------------------------------------------------------
// The checks

interface CheckDefinition {
  shared: readonly Shared[];
  variables: CelVariable[];
  expression: string;
  messageExpression: string;
  reason: string;
}

const VALID_PROFILE_TYPES = litList(['RuntimeDefault', 'Localhost']);
/** A present profile (appArmorProfile, seccompProfile) whose type is not RuntimeDefault or Localhost. */
const badProfile = (profile: string): string =>
  `(${present(profile)} && !(${profile}.?type.orValue('') in ${VALID_PROFILE_TYPES}))`;

/**
 * The distinct values of a pod-level field and of the containers' fields, the pod's first:
 * `pod` says whether the pod's value counts, `podValue` is it, `containers` the containers whose
 * `value(c)` counts.
 */
const podAndContainerValues = (pod: string, podValue: string, containers: string, value: (c: string) => string): string =>
  `(${pod} ? [${podValue}] : []) +\n${distinctValues(containers, value)}.filter(t, !(${pod} && t == ${podValue}))`;

/** Pod-level and container profile checks (appArmorProfile, seccompProfile): who sets a bad type, and the sorted bad types. */
function profileVariables(field: string): CelVariable[] {
  const type = (sc: string): string => `${sc}.?${field}.?type.orValue('')`;
  return [
    { name: 'podBad', expression: badProfile(`${POD_SC}.?${field}`) },
    { name: 'badContainers', expression: `${CONTAINERS}.filter(c, ${badProfile(`c.?securityContext.?${field}`)})` },
    {
      name: 'badTypes',
      expression: podAndContainerValues('variables.podBad', type(POD_SC), 'variables.badContainers', (c) => type(`${c}.?securityContext`)),
    },
    ...sortedVariables('badTypes'),
  ];
}


function appArmorProfile(): CheckDefinition {
  const annotation = 'variables.metadata.annotations[k]';
  return {
    shared: ['metadata', 'spec', 'containers'],
    variables: [
      ...profileVariables('appArmorProfile'),
      {
        name: 'badAnnotations',
        expression:
          `variables.metadata.?annotations.orValue({}).filter(k, k.startsWith(${lit(APPARMOR_PREFIX)}) &&\n` +
          `!(${annotation} in ['', 'runtime/default'] || ${annotation}.startsWith('localhost/')))`,
      },
      { name: 'badEntries', expression: `variables.badAnnotations.map(k, k + '=' + strings.quote(${annotation}))` },
      ...sortedVariables('badEntries'),
      // The bad types, then the bad annotations as `key="value"` (the message quotes each).
      { name: 'badValues', expression: `variables.badTypesSorted + variables.badEntriesSorted` },
    ],
    expression: '!variables.podBad && size(variables.badContainers) == 0 && size(variables.badAnnotations) == 0',
    messageExpression: reasonDetail(
      plural('size(variables.badValues)', 'forbidden AppArmor profile', 'forbidden AppArmor profiles'),
      `${setters('variables.podBad', 'variables.badContainers', [
        { when: 'size(variables.badAnnotations) > 0', text: plural('size(variables.badAnnotations)', 'annotation', 'annotations') },
      ])} + ' must not set AppArmor profile type to ' + ${quoted('variables.badValues')}`,
    ),
    reason: 'forbidden AppArmor profile',
  };
}


/** Containers adding a capability that `allowed` (a CEL predicate on `a`) refuses, and those capabilities sorted (`addedCapsSorted`). */
function addVariables(allowed: string): CelVariable[] {
  const adds = (c: string): string => `${c}.?securityContext.?capabilities.?add.orValue([])`;
  return [
    { name: 'adding', expression: `${CONTAINERS}.filter(c, ${adds('c')}.exists(a, !(${allowed})))` },
    ...flatSortedVariables('addedCaps', 'variables.adding', (c) => `${adds(c)}.filter(a, !(${allowed}))`),
  ];
}

function capabilitiesBaseline(): CheckDefinition {
  return {
    shared: ['spec', 'containers'],
    variables: addVariables(`a in ${litList(BASELINE_CAPABILITY_LIST)}`),
    expression: 'size(variables.adding) == 0',
    messageExpression: reasonDetail(
      lit('non-default capabilities'),
      `${containerPhrase('variables.adding')} + ' must not include ' + ${quoted('variables.addedCapsSorted')} + ' in securityContext.capabilities.add'`,
    ),
    reason: 'non-default capabilities',
  };
}

function hostNamespaces(): CheckDefinition {
  return {
    shared: ['spec'],
    variables: [{ name: 'hostNamespaces', expression: `['hostNetwork', 'hostPID', 'hostIPC'].filter(f, ${SPEC}[?f].orValue(false) == true)` }],
    expression: 'size(variables.hostNamespaces) == 0',
    messageExpression: reasonDetail(lit('host namespaces'), `variables.hostNamespaces.map(f, f + '=true').join(', ')`),
    reason: 'host namespaces',
  };
}

function hostPathVolumes(): CheckDefinition {
  return {
    shared: ['spec'],
    variables: [{ name: 'badVolumes', expression: `${SPEC}.?volumes.orValue([]).filter(v, ${present('v.?hostPath')})` }],
    expression: 'size(variables.badVolumes) == 0',
    messageExpression: reasonDetail(
      lit('hostPath volumes'),
      `${plural('size(variables.badVolumes)', 'volume', 'volumes')} + ' ' + ${quoted(`variables.badVolumes.map(v, ${NAME('v')})`)}`,
    ),
    reason: 'hostPath volumes',
  };
}

function hostPorts(): CheckDefinition {
  // The API server sets hostPort = containerPort in the containers and init containers of
  // hostNetwork Pods (not templates) before admission; repeating it changes nothing in a cluster
  // and matches psa.ts on manifests.
  const defaulted = (c: string): string => `variables.hostNetworkPod && !(${NAME(c)} in variables.ephemeralNames)`;
  const ports = (c: string): string =>
    `${c}.?ports.orValue([]).map(p, p.?hostPort.orValue(0) != 0 ? p.hostPort : (${defaulted(c)} ? p.?containerPort.orValue(0) : 0))` +
    `.filter(n, n != 0).map(n, string(n))`;
  return {
    shared: ['spec', 'containers'],
    variables: [
      { name: 'hostNetworkPod', expression: `object.kind == 'Pod' && ${SPEC}.?hostNetwork.orValue(false) == true` },
      { name: 'ephemeralNames', expression: `${SPEC}.?ephemeralContainers.orValue([]).map(c, ${NAME('c')})` },
      { name: 'badContainers', expression: `${CONTAINERS}.filter(c, size(${ports('c')}) > 0)` },
      // Port numbers sort as strings, like PSA's ("10" < "100" < "20").
      ...flatSortedVariables('ports', 'variables.badContainers', ports),
    ],
    expression: 'size(variables.badContainers) == 0',
    messageExpression: reasonDetail(
      lit('hostPort'),
      `${containerPhrase('variables.badContainers')} + ' ' + ${plural('size(variables.badContainers)', 'uses', 'use')} + ' ' +\n` +
        `${plural('size(variables.portsSorted)', 'hostPort', 'hostPorts')} + ' ' + variables.portsSorted.join(', ')`,
    ),
    reason: 'hostPort',
  };
}

const PROBE_HANDLERS = ['livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle.?postStart', 'lifecycle.?preStop'];
const HOST_SLOTS = PROBE_HANDLERS.flatMap((h) => ['httpGet', 'tcpSocket'].map((a) => `${h}.?${a}.?host`));

function hostProbesAndHostLifecycle(): CheckDefinition {
  const slots = (c: string): string => `[${HOST_SLOTS.map((slot) => `${c}.?${slot}.orValue('')`).join(',\n')}]`;
  // A container's hosts without repeats: the slot list has a fixed length, so its indexes are a literal.
  const range = `[${HOST_SLOTS.map((_, i) => i).join(', ')}]`;
  const hosts = (l: string): string => `${range}.filter(i, ${l}[i] != '' && ${l}.indexOf(${l}[i]) == i).map(i, ${l}[i])`;
  return {
    shared: ['spec', 'containers'],
    variables: [
      { name: 'badContainers', expression: `${CONTAINERS}.filter(c, ${slots('c')}.exists(h, h != ''))` },
      { name: 'hostSlots', expression: `variables.badContainers.map(c, ${slots('c')})` },
      // The only check whose message sorts container names.
      { name: 'badNames', expression: `variables.badContainers.map(c, ${NAME('c')})` },
      ...sortedVariables('badNames'),
      ...flatSortedVariables('hosts', 'variables.badContainers', (c) =>
        hosts(`variables.hostSlots[variables.badNames.indexOf(${NAME(c)})]`),
      ),
    ],
    expression: 'size(variables.badContainers) == 0',
    messageExpression: reasonDetail(
      lit('probe or lifecycle host'),
      `${plural('size(variables.badNames)', 'container', 'containers')} + ' ' + ${quoted('variables.badNamesSorted')} + ' ' + ` +
        `${plural('size(variables.badNames)', 'uses', 'use')} + ' ' +\n` +
        `${plural('size(variables.hostsSorted)', 'probe or lifecycle host', 'probe or lifecycle hosts')} + ' ' + ${quoted('variables.hostsSorted')}`,
    ),
    reason: 'probe or lifecycle host',
  };
}

function privileged(): CheckDefinition {
  return {
    shared: ['spec', 'containers'],
    variables: [{ name: 'badContainers', expression: `${CONTAINERS}.filter(c, c.?securityContext.?privileged.orValue(false) == true)` }],
    expression: 'size(variables.badContainers) == 0',
    messageExpression: reasonDetail(
      lit('privileged'),
      `${containerPhrase('variables.badContainers')} + ' must not set securityContext.privileged=true'`,
    ),
    reason: 'privileged',
  };
}

function procMount(relaxUserNamespace: boolean): CheckDefinition {
  const value = (c: string): string => `${c}.?securityContext.?procMount.orValue('Default')`;
  const expression = 'size(variables.badContainers) == 0';
  return {
    shared: ['spec', 'containers'],
    variables: [
      { name: 'badContainers', expression: `${CONTAINERS}.filter(c, ${value('c')} != 'Default')` },
      { name: 'badValues', expression: distinctValues('variables.badContainers', value) },
      ...sortedVariables('badValues'),
    ],
    expression: relaxUserNamespace ? unlessUserNamespace(expression) : expression,
    messageExpression: reasonDetail(
      lit('procMount'),
      `${containerPhrase('variables.badContainers')} + ' must not set securityContext.procMount to ' + ${quoted('variables.badValuesSorted')}`,
    ),
    reason: 'procMount',
  };
}


function seLinuxOptions(allowedTypes: readonly string[]): CheckDefinition {
  const types = litList(allowedTypes);
  const options = (sc: string): string => `${sc}.?seLinuxOptions`;
  const type = (sc: string): string => `${options(sc)}.?type.orValue('')`;
  const bad = (sc: string): string =>
    `(${present(options(sc))} && (!(${type(sc)} in ${types}) || ${options(sc)}.?user.orValue('') != '' || ${options(sc)}.?role.orValue('') != ''))`;
  const setsField = (field: string): string =>
    `(variables.podBad && ${options(POD_SC)}.?${field}.orValue('') != '') || variables.badContainers.exists(c, ${options('c.?securityContext')}.?${field}.orValue('') != '')`;
  return {
    shared: ['spec', 'containers'],
    variables: [
      { name: 'podBad', expression: bad(POD_SC) },
      { name: 'badContainers', expression: `${CONTAINERS}.filter(c, ${bad('c.?securityContext')})` },
      {
        name: 'badTypes',
        expression: podAndContainerValues(
          `(variables.podBad && !(${type(POD_SC)} in ${types}))`,
          type(POD_SC),
          `variables.badContainers.filter(c, !(${type('c.?securityContext')} in ${types}))`,
          (c) => type(`${c}.?securityContext`),
        ),
      },
      ...sortedVariables('badTypes'),
      {
        name: 'problems',
        expression:
          `(size(variables.badTypes) > 0 ? [${plural('size(variables.badTypes)', 'type', 'types')} + ' ' + ${quoted('variables.badTypesSorted')}] : []) +\n` +
          `(${setsField('user')} ? ['user may not be set'] : []) +\n` +
          `(${setsField('role')} ? ['role may not be set'] : [])`,
      },
    ],
    expression: '!variables.podBad && size(variables.badContainers) == 0',
    messageExpression: reasonDetail(
      lit('seLinuxOptions'),
      `${setters('variables.podBad', 'variables.badContainers')} + ' set forbidden securityContext.seLinuxOptions: ' + variables.problems.join('; ')`,
    ),
    reason: 'seLinuxOptions',
  };
}

/** Before policy v1.19: the seccomp annotations of the pod and of each container, when present, name a valid profile. */
function seccompProfileAnnotations(): CheckDefinition {
  const annotations = 'variables.metadata.?annotations.orValue({})';
  const value = `${annotations}[k]`;
  return {
    shared: ['metadata', 'spec', 'containers'],
    variables: [
      {
        name: 'badKeys',
        expression:
          `([${lit(SECCOMP_POD_ANNOTATION)}] + ${CONTAINERS}.map(c, ${lit(SECCOMP_CONTAINER_PREFIX)} + ${NAME('c')}))\n` +
          `.filter(k, k in ${annotations} && !(${value} in ['runtime/default', 'docker/default'] || ${value}.startsWith('localhost/')))`,
      },
      { name: 'badEntries', expression: `variables.badKeys.map(k, k + '=' + strings.quote(${value}))` },
      ...sortedVariables('badEntries'),
    ],
    expression: 'size(variables.badKeys) == 0',
    messageExpression: reasonDetail(
      lit('seccompProfile'),
      `'forbidden ' + ${plural('size(variables.badEntries)', 'annotation', 'annotations')} + ' ' + variables.badEntriesSorted.join(', ')`,
    ),
    reason: 'seccompProfile',
  };
}

/** From policy v1.19 (baseline): a present seccompProfile must be RuntimeDefault or Localhost. */
function seccompProfileBaseline(): CheckDefinition {
  return {
    shared: ['spec', 'containers'],
    variables: profileVariables('seccompProfile'),
    expression: '!variables.podBad && size(variables.badContainers) == 0',
    messageExpression: reasonDetail(
      lit('seccompProfile'),
      `${setters('variables.podBad', 'variables.badContainers')} + ' must not set securityContext.seccompProfile.type to ' + ${quoted('variables.badTypesSorted')}`,
    ),
    reason: 'seccompProfile',
  };
}


function sysctls(allowed: readonly string[]): CheckDefinition {
  return {
    shared: ['spec'],
    variables: [
      {
        name: 'badNames',
        expression: `${POD_SC}.?sysctls.orValue([]).map(s, s.?name.orValue('')).filter(n, !(n in ${litList(allowed)}))`,
      },
    ],
    expression: 'size(variables.badNames) == 0',
    // PSA lists the names in spec order, repeats included, unquoted; an empty detail prints the reason alone.
    messageExpression: `variables.badNames.join(', ') == '' ? 'forbidden sysctls' : ${reasonDetail(lit('forbidden sysctls'), `variables.badNames.join(', ')`)}`,
    reason: 'forbidden sysctls',
  };
}

function windowsHostProcess(): CheckDefinition {
  const hostProcess = (sc: string): string => `${sc}.?windowsOptions.?hostProcess.orValue(false) == true`;
  return {
    shared: ['spec', 'containers'],
    variables: [
      { name: 'podBad', expression: hostProcess(POD_SC) },
      { name: 'badContainers', expression: `${CONTAINERS}.filter(c, ${hostProcess('c.?securityContext')})` },
    ],
    expression: '!variables.podBad && size(variables.badContainers) == 0',
    messageExpression: reasonDetail(
      lit('hostProcess'),
      `${setters('variables.podBad', 'variables.badContainers')} + ' must not set securityContext.windowsOptions.hostProcess=true'`,
    ),
    reason: 'hostProcess',
  };
}

function allowPrivilegeEscalation(relaxWindows: boolean): CheckDefinition {
  const expression = 'size(variables.badContainers) == 0';
  return {
    shared: ['spec', 'containers'],
    variables: [
      { name: 'badContainers', expression: `${CONTAINERS}.filter(c, c.?securityContext.?allowPrivilegeEscalation.orValue(true) != false)` },
    ],
    expression: relaxWindows ? unlessWindows(expression) : expression,
    messageExpression: reasonDetail(
      lit('allowPrivilegeEscalation != false'),
      `${containerPhrase('variables.badContainers')} + ' must set securityContext.allowPrivilegeEscalation=false'`,
    ),
    reason: 'allowPrivilegeEscalation != false',
  };
}

function capabilitiesRestricted(relaxWindows: boolean): CheckDefinition {
  const expression = 'size(variables.missingDrop) == 0 && size(variables.adding) == 0';
  return {
    shared: ['spec', 'containers'],
    variables: [
      { name: 'missingDrop', expression: `${CONTAINERS}.filter(c, !('ALL' in c.?securityContext.?capabilities.?drop.orValue([])))` },
      ...addVariables(`a == 'NET_BIND_SERVICE'`),
    ],
    expression: relaxWindows ? unlessWindows(expression) : expression,
    messageExpression: reasonDetail(
      lit('unrestricted capabilities'),
      `((size(variables.missingDrop) > 0 ? [${containerPhrase('variables.missingDrop')} + ' must set securityContext.capabilities.drop=["ALL"]'] : []) +\n` +
        `(size(variables.adding) > 0 ? [${containerPhrase('variables.adding')} + ' must not include ' + ${quoted('variables.addedCapsSorted')} + ' in securityContext.capabilities.add'] : [])).join('; ')`,
    ),
    reason: 'unrestricted capabilities',
  };
}


function restrictedVolumes(): CheckDefinition {
  const source = (v: string, k: string): string => `${k} != 'name' && ${v}[${k}] != null`;
  const known = litList(RESTRICTED_VOLUME_SOURCES);
  // Every type a volume can be named by, in byte order: the sorted set is this list filtered.
  const universe = litList([...RESTRICTED_VOLUME_SOURCES, 'unknown'].sort());
  return {
    shared: ['spec'],
    variables: [
      {
        // A volume without any source is an emptyDir (API defaulting); one with an allowed source passes.
        name: 'badVolumes',
        expression:
          `${SPEC}.?volumes.orValue([]).filter(v, v.exists(k, ${source('v', 'k')}) &&\n` +
          `!v.exists(k, ${source('v', 'k')} && k in ${litList(ALLOWED_VOLUME_SOURCE_LIST)}))`,
      },
      {
        name: 'badTypes',
        expression: `variables.badVolumes.map(v, ${known}.exists(t, t in v && v[t] != null) ? ${known}.filter(t, t in v && v[t] != null)[0] : 'unknown')`,
      },
      { name: 'typeSet', expression: `${universe}.filter(t, t in variables.badTypes)` },
    ],
    expression: 'size(variables.badVolumes) == 0',
    messageExpression: reasonDetail(
      lit('restricted volume types'),
      `${plural('size(variables.badVolumes)', 'volume', 'volumes')} + ' ' + ${quoted(`variables.badVolumes.map(v, ${NAME('v')})`)} + ' ' + ` +
        `${plural('size(variables.badVolumes)', 'uses', 'use')} + ' ' + ` +
        `${plural('size(variables.typeSet)', 'restricted volume type', 'restricted volume types')} + ' ' + ${quoted('variables.typeSet')}`,
    ),
    reason: 'restricted volume types',
  };
}

function runAsNonRoot(relaxUserNamespace: boolean): CheckDefinition {
  const own = 'c.?securityContext.?runAsNonRoot';
  const expression = '!variables.podFalse && size(variables.explicit) == 0 && size(variables.implicit) == 0';
  return {
    shared: ['spec', 'containers'],
    variables: [
      { name: 'podFalse', expression: `${POD_SC}.?runAsNonRoot.orValue(true) == false` },
      { name: 'explicit', expression: `${CONTAINERS}.filter(c, ${own}.orValue(true) == false)` },
      {
        // Containers that leave it unset while the pod does not set it to true.
        name: 'implicit',
        expression: `${POD_SC}.?runAsNonRoot.orValue(false) == true ? [] : ${CONTAINERS}.filter(c, ${own}.orValue(false) != true && ${own}.orValue(true) != false)`,
      },
    ],
    expression: relaxUserNamespace ? unlessUserNamespace(expression) : expression,
    messageExpression:
      `variables.podFalse || size(variables.explicit) > 0 ?\n` +
      `${reasonDetail(lit('runAsNonRoot != true'), `${setters('variables.podFalse', 'variables.explicit')} + ' must not set securityContext.runAsNonRoot=false'`)} :\n` +
      `${reasonDetail(lit('runAsNonRoot != true'), `'pod or ' + ${containerPhrase('variables.implicit')} + ' must set securityContext.runAsNonRoot=true'`)}`,
    reason: 'runAsNonRoot != true',
  };
}

function runAsUser(relaxUserNamespace: boolean): CheckDefinition {
  const expression = '!variables.podBad && size(variables.badContainers) == 0';
  return {
    shared: ['spec', 'containers'],
    variables: [
      { name: 'podBad', expression: `${POD_SC}.?runAsUser.orValue(1) == 0` },
      { name: 'badContainers', expression: `${CONTAINERS}.filter(c, c.?securityContext.?runAsUser.orValue(1) == 0)` },
    ],
    expression: relaxUserNamespace ? unlessUserNamespace(expression) : expression,
    messageExpression: reasonDetail(lit('runAsUser=0'), `${setters('variables.podBad', 'variables.badContainers')} + ' must not set runAsUser=0'`),
    reason: 'runAsUser=0',
  };
}

function seccompProfileRestricted(relaxWindows: boolean): CheckDefinition {
  const expression =
    `!variables.podBad && size(variables.badContainers) == 0 &&\n` +
    `(${present(`${POD_SC}.?seccompProfile`)} || size(variables.implicit) == 0)`;
  return {
    shared: ['spec', 'containers'],
    variables: [
      ...profileVariables('seccompProfile'),
      { name: 'implicit', expression: `${CONTAINERS}.filter(c, !${present('c.?securityContext.?seccompProfile')})` },
    ],
    expression: relaxWindows ? unlessWindows(expression) : expression,
    messageExpression:
      `variables.podBad || size(variables.badContainers) > 0 ?\n` +
      `${reasonDetail(lit('seccompProfile'), `${setters('variables.podBad', 'variables.badContainers')} + ' must not set securityContext.seccompProfile.type to ' + ${quoted('variables.badTypesSorted')}`)} :\n` +
      `${reasonDetail(lit('seccompProfile'), `'pod or ' + ${containerPhrase('variables.implicit')} + ' must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"'`)}`,
    reason: 'seccompProfile',
  };
}

/** The check's CEL at a policy minor, mirroring psa.ts's CATALOGUE (undefined when it does not run). */
function definition(id: PssCheckId, minor: number): CheckDefinition | undefined {
  switch (id) {
    case 'appArmorProfile':
      return appArmorProfile();
    case 'capabilities_baseline':
      return capabilitiesBaseline();
    case 'hostNamespaces':
      return hostNamespaces();
    case 'hostPathVolumes':
      return hostPathVolumes();
    case 'hostPorts':
      return hostPorts();
    case 'hostProbesAndHostLifecycle':
      return minor >= 34 ? hostProbesAndHostLifecycle() : undefined;
    case 'privileged':
      return privileged();
    case 'procMount':
      return procMount(minor >= 35);
    case 'seLinuxOptions':
      return seLinuxOptions(minor >= 31 ? SELINUX_TYPES_1_31 : SELINUX_TYPES_1_0);
    case 'seccompProfile_baseline':
      return minor >= 19 ? seccompProfileBaseline() : seccompProfileAnnotations();
    case 'sysctls':
      return sysctls(minor >= 37 ? SYSCTLS_1_37 : minor >= 32 ? SYSCTLS_1_32 : minor >= 29 ? SYSCTLS_1_29 : minor >= 27 ? SYSCTLS_1_27 : SYSCTLS_1_0);
    case 'windowsHostProcess':
      return windowsHostProcess();
    case 'allowPrivilegeEscalation':
      return minor >= 8 ? allowPrivilegeEscalation(minor >= 25) : undefined;
    case 'capabilities_restricted':
      return minor >= 22 ? capabilitiesRestricted(minor >= 25) : undefined;
    case 'procMount_restricted':
      return minor >= 35 ? procMount(false) : undefined;
    case 'restrictedVolumes':
      return restrictedVolumes();
    case 'runAsNonRoot':
      return runAsNonRoot(minor >= 35);
    case 'runAsUser':
      return minor >= 23 ? runAsUser(minor >= 35) : undefined;
    case 'seccompProfile_restricted':
      return minor >= 19 ? seccompProfileRestricted(minor >= 25) : undefined;
  }
}

const SHARED_ORDER: readonly Shared[] = ['metadata', 'spec', 'containers'];

/**
 * A Pod Security check as CEL at a policy minor: the variables (the pod template's `metadata`,
 * `spec` and `containers` first, as the check needs them), the validation and its messages.
 * Undefined when the check does not exist at that minor.
 */
export function pssCheckCel(id: PssCheckId, minor: number): PssCheckCel | undefined {
  const d = definition(id, minor);
  if (d === undefined) return undefined;
  const shared = SHARED_ORDER.filter((name) => d.shared.includes(name)).map((name) => ({ name, expression: SHARED[name] }));
  return { variables: [...shared, ...d.variables], expression: d.expression, messageExpression: d.messageExpression, reason: d.reason };
}
