import { defineRule, type Violation } from '../../../engine/rule.js';
import { asArray, asObject, asString, detach, isObject } from '../../../k8s/object.js';
import type { JsonObject, JsonValue, Path } from '../../../types.js';
import { celImagePrefixes, type CelSource } from './cel.js';

/** Who can publish the look-alike image an open-ended prefix admits. */
type Reach = 'host' | 'namespace' | 'repository';

const WHO: Readonly<Record<Reach, string>> = {
  host: 'another registry host, which anyone who registers a look-alike domain controls',
  namespace: 'another namespace of the registry, which anyone who can create one there controls',
  repository: 'a sibling repository, which anyone with push rights in that namespace can create',
};

/** The first path component names a registry (distribution/reference's rule); otherwise the name is Docker Hub's. */
function isHost(component: string): boolean {
  return component === 'localhost' || component.includes('.') || component.includes(':') || component !== component.toLowerCase();
}

/**
 * What a literal image prefix admits beyond what it names, or undefined when it is closed: it ends
 * with `/`, `:` or `@`, holds a tag, a registry port or a digest, lies under Docker Hub's `library/`
 * (only Docker publishes there), or holds what no image reference has (a `*` the engine compares
 * literally, a space, a `://` scheme), so that it admits nothing at all.
 */
function opening(prefix: string): { reach: Reach; lookalike: string } | undefined {
  if (/[\s*?@]|\/\/|[/:]$/.test(prefix)) return undefined;
  if (prefix.slice(prefix.lastIndexOf('/') + 1).includes(':')) return undefined;
  const joint = /[a-z0-9]$/i.test(prefix) ? '-' : '';
  const slash = prefix.indexOf('/');
  if (slash === -1) {
    if (isHost(prefix)) return { reach: 'host', lookalike: `${prefix}${prefix.endsWith('.') ? '' : '.'}evil.io/app` };
    // A Docker Hub name: namespaces there are letters and digits only.
    return { reach: 'namespace', lookalike: `${prefix}evil/app` };
  }
  const first = prefix.slice(0, slash);
  const hub = !isHost(first) || first === 'docker.io' || first === 'index.docker.io';
  const path = isHost(first) ? prefix.slice(slash + 1) : prefix;
  if (hub && path.startsWith('library/')) return undefined;
  if (!path.includes('/')) return { reach: 'namespace', lookalike: `${prefix}${hub ? '' : joint}evil/app` };
  return { reach: 'repository', lookalike: `${prefix}${joint}evil` };
}

/** What an entry does for the images it matches: admits them, or waives a control for them. */
interface Effect {
  every: string;
  also: (image: string) => string;
}

const ADMITS: Effect = { every: 'admits every image, so the policy restricts nothing', also: (image) => `admits ${image}` };

function waives(control: string): Effect {
  return { every: `waives ${control} for every image`, also: (image) => `waives ${control} for ${image}` };
}

/** The violation for one entry whose literal prefix is `prefix`, if that prefix is open-ended. */
function check(owner: string, entry: string, prefix: string, path: Path, effect: Effect = ADMITS): Violation | undefined {
  const what = `${owner} ${JSON.stringify(entry)}`;
  if (prefix === '') return { path, message: detach(`${what} ${effect.every}`) };
  const open = opening(prefix);
  if (open === undefined) return undefined;
  const message = detach(`${what} is an open-ended prefix: it also ${effect.also(JSON.stringify(open.lookalike))}, from ${WHO[open.reach]}`);
  // A sibling repository needs push rights next to the intended one: an insider's bypass, not anyone's.
  return open.reach === 'repository' ? { path, message, severity: 'low' } : { path, message };
}

/** Kyverno value patterns that restrict a field: `image` and its equality anchor, not conditions or negations. */
const IMAGE_KEYS = new Set(['image', '=(image)']);

/** The image patterns of a Kyverno pattern tree, skipping conditional `(…)`, global `<(…)` and negation `X(…)` anchors. */
function* kyvernoImages(node: JsonValue | undefined, path: Path): Generator<{ value: string; path: Path }> {
  if (Array.isArray(node)) {
    for (const [i, item] of node.entries()) yield* kyvernoImages(item, [...path, i]);
    return;
  }
  if (!isObject(node)) return;
  for (const [key, value] of Object.entries(node)) {
    if (IMAGE_KEYS.has(key) && typeof value === 'string') yield { value, path: [...path, key] };
    else if (typeof value === 'object' && value !== null && !/^(?:X|<)?\(/.test(key)) yield* kyvernoImages(value, [...path, key]);
  }
}

/** The `pattern` and `anyPattern` trees of a Kyverno validate rule, nested `foreach` included. */
function* kyvernoPatterns(validate: JsonValue | undefined, path: Path): Generator<{ tree: JsonValue; path: Path }> {
  const v = asObject(validate);
  if (v === undefined) return;
  if (v['pattern'] !== undefined) yield { tree: v['pattern'], path: [...path, 'pattern'] };
  for (const [i, tree] of asArray(v['anyPattern']).entries()) yield { tree, path: [...path, 'anyPattern', i] };
  for (const [i, each] of asArray(v['foreach']).entries()) yield* kyvernoPatterns(each, [...path, 'foreach', i]);
}

/**
 * The literal prefix of one alternative of a Kyverno image pattern when it ends in a `*`
 * wildcard; undefined for exact values, negations, conjunctions, variables, a leading wildcard
 * (no registry restriction at all) or a `?` first.
 */
function kyvernoPrefix(alternative: string): string | undefined {
  if (alternative.startsWith('!') || alternative.includes('&') || alternative.includes('{{')) return undefined;
  const at = alternative.search(/[*?]/);
  if (at <= 0 || alternative[at] !== '*') return undefined;
  return alternative.slice(0, at);
}

/**
 * The open-ended image prefixes of CEL validations (`list` under `holder`) and of the variables
 * (`holder.variables`) they read, each reported at the expression that holds it.
 */
function* celFindings(owner: string, holder: JsonObject | undefined, path: Path, list: string, nouns: [string, string]): Generator<Violation> {
  const [noun, variableNoun] = nouns;
  const validations: CelSource[] = [];
  for (const [i, raw] of asArray(holder?.[list]).entries()) {
    const expression = asString(asObject(raw)?.['expression']);
    if (expression !== undefined) validations.push({ expression, path: [...path, list, i, 'expression'], label: `${noun} #${i}` });
  }
  if (validations.length === 0) return;
  const variables = new Map<string, CelSource>();
  for (const [i, raw] of asArray(holder?.['variables']).entries()) {
    const name = asString(asObject(raw)?.['name']);
    const expression = asString(asObject(raw)?.['expression']);
    if (name !== undefined && expression !== undefined) variables.set(name, { expression, path: [...path, 'variables', i, 'expression'], label: `${variableNoun} ${JSON.stringify(name)}` });
  }
  for (const found of celImagePrefixes(validations, variables)) {
    const violation = check(`${owner} ${found.label} image ${found.kind}`, found.entry, found.prefix, found.path);
    if (violation !== undefined) yield violation;
  }
}

/** The allow lists of Gatekeeper's `K8sAllowedRepos` (`repos`, prefixes) and `K8sAllowedReposv2` (`allowedImages`, prefixes when they end in `*`). */
function* gatekeeperRepos(kind: string, name: string, parameters: JsonObject): Generator<Violation> {
  const v2 = kind === 'K8sAllowedReposv2';
  // Some hand-written templates of the same kind offer exact matching instead of prefixes.
  if ((!v2 && kind !== 'K8sAllowedRepos') || parameters['exactMatch'] === true) return;
  const field = v2 ? 'allowedImages' : 'repos';
  const owner = `${kind} ${JSON.stringify(name)} ${field} entry`;
  for (const [i, raw] of asArray(parameters[field]).entries()) {
    const entry = asString(raw);
    if (entry === undefined || (v2 && !entry.endsWith('*'))) continue;
    const found = check(owner, entry, v2 ? entry.slice(0, -1) : entry, ['spec', 'parameters', field, i]);
    if (found !== undefined) yield found;
  }
}

/**
 * The Gatekeeper library's constraint kinds whose templates take `exemptImages` (its shared
 * `exempt_container` library). Only these are read: each constraint kind is its own template's
 * CRD, so the engine cannot dispatch on the group (a rule without `kinds` would run on every object
 * of every scan), and in other templates (`K8sAllowedRepos`, hand-written ones) the field does
 * nothing or means what the template's own code says.
 */
const EXEMPTING_CONSTRAINTS = new Set([
  'K8sPSPAllowPrivilegeEscalationContainer',
  'K8sPSPAllowedUsers',
  'K8sPSPAppArmor',
  'K8sPSPCapabilities',
  'K8sPSPHostNetworkingPorts',
  'K8sPSPHostProbesLifecycle',
  'K8sPSPHostProcess',
  'K8sPSPPrivilegedContainer',
  'K8sPSPProcMount',
  'K8sPSPReadOnlyRootFilesystem',
  'K8sPSPSELinuxV2',
  'K8sPSPSeccomp',
  'K8sPSPSeccompV2',
  'K8sContainerEphemeralStorageLimit',
  'K8sContainerLimits',
  'K8sContainerRatios',
  'K8sContainerRequests',
  'K8sDisallowInteractiveTTY',
  'K8sDisallowedTags',
  'K8sImageDigests',
  'K8sRequiredResources',
  'K8sGpuActiveDeadline',
  'K8sGpuNodeTargeting',
  'K8sGpuResourceLimits',
  'K8sGpuSharedMemory',
  'K8sGpuWorkloadResources',
  'K8sNoUnsupportedGpu',
  'K8sRequiredGpuRuntimeClass',
  'K8sRequiredGpuToleration',
]);

/**
 * The open prefixes of a Gatekeeper library constraint's `exemptImages`: an entry ending in `*`
 * matches by prefix, any other exactly (`lib.exempt_container`); a lone `*` waives the constraint
 * for every image, which is its stated intent.
 */
function* gatekeeperExemptions(kind: string, name: string, parameters: JsonObject): Generator<Violation> {
  if (!EXEMPTING_CONSTRAINTS.has(kind)) return;
  const effect = waives(kind);
  const owner = `${kind} ${JSON.stringify(name)} exemptImages entry`;
  for (const [i, raw] of asArray(parameters['exemptImages']).entries()) {
    const entry = asString(raw);
    if (entry === undefined || entry === '*' || !entry.endsWith('*')) continue;
    const found = check(owner, entry, entry.slice(0, -1), ['spec', 'parameters', 'exemptImages', i], effect);
    if (found !== undefined) yield found;
  }
}

/** Kyverno's CEL policies shaped like a ValidatingAdmissionPolicy (`policies.kyverno.io`). */
const VALIDATING_POLICIES = new Set(['ValidatingPolicy', 'NamespacedValidatingPolicy']);

export const rule = defineRule({
  id: 'image-policy-loose-prefix',
  title: 'Admission policy allows images by an open-ended prefix',
  severity: 'medium',
  target: 'object',
  kinds: ['K8sAllowedRepos', 'K8sAllowedReposv2', ...EXEMPTING_CONSTRAINTS, 'ClusterPolicy', 'Policy', 'ValidatingAdmissionPolicy', ...VALIDATING_POLICIES],
  controls: ['DIST-6', 'DEP-1'],
  description:
    'An allow list of image sources at admission only keeps out what its entries do not match, and the common engines match by string prefix. Gatekeeper\'s `K8sAllowedRepos` admits an image when it starts with an entry of `repos`, so `registry.example.com/team` also admits `registry.example.com/team-evil/x`, `docker.io` admits `docker.io.evil.io/x` and `ubuntu` admits `ubuntuevil/x`; `K8sAllowedReposv2` entries ending in `*`, Kyverno image wildcards (`*` matches any characters, `/` included) and CEL `image.startsWith(...)` tests behave the same way. Anyone who can register such a domain or create such a namespace or repository publishes an image the policy lets through, and the allow list (the last check before a typosquatted or attacker-built image runs) no longer means what it says (Trivy KSV124 reports the same for `K8sAllowedRepos`). The same open end in an exemption waives a control for the look-alike images instead: in a Kyverno `podSecurity` exclusion (`ghcr.io/acme*` for the `Capabilities` control) that Pod Security control, in the `exemptImages` of a Gatekeeper library constraint (`K8sPSPCapabilities`, `K8sPSPPrivilegedContainer`, `K8sContainerLimits`, …) the whole constraint. The rule reads `spec.parameters.repos` of `K8sAllowedRepos`; `spec.parameters.allowedImages` entries ending in `*` of `K8sAllowedReposv2` (other entries match exactly); `spec.parameters.exemptImages` entries ending in `*` of the Gatekeeper library constraints whose templates take it (the pod security, container resource, tag, digest, interactive TTY and GPU constraints; other entries match exactly; constraints of other kinds are not read); in Kyverno `ClusterPolicy` and `Policy` rules, the `image` values (or `=(image)`) of `validate.pattern`, `anyPattern` and `foreach` trees (each `|` alternative) and the entries of `validate.podSecurity.exclude[].images`, when their first wildcard is a `*` after a literal prefix; and the CEL of `ValidatingAdmissionPolicy` and Kyverno `ValidatingPolicy` and `NamespacedValidatingPolicy` (any `policies.kyverno.io` version) `spec.validations[].expression` and of Kyverno `validate.cel.expressions[].expression`, with the variables they read: string literals passed to `startsWith` on an image (`c.image`, `image`, an element of `containers.map(c, c.image)`), directly or as the elements of a literal list the call ranges over, and anchored regexes that are only a literal prefix (`c.image.matches(r\'^registry\\.example\\.com/team\')`), where a true result admits the pod. A prefix is closed when it ends with `/`, `:` or `@`, holds a tag, a registry port or a digest, or lies under Docker Hub\'s `library/` (only Docker publishes official images). An empty prefix, or a `K8sAllowedReposv2` entry `*`, admits every image. A closed prefix can still be broad: `docker.io/` or `ghcr.io/` admits every public user of that registry, which this rule does not judge (list your own namespaces instead). Medium: the bypass needs the right to create pods and a published look-alike image; an open exemption is rated the same, as it needs the same and yields one waived control or constraint, not the whole policy. A prefix that only opens sibling repositories in its own namespace (`registry.example.com/team/app` admits `registry.example.com/team/app-evil`) is reported as low, since only those with push rights there can use it. Not reported: negated (`!`) and conditional Kyverno patterns and deny conditions; CEL deny lists (a `startsWith` negated, compared or counted), prefixes that are not literals (`params`, concatenations), regexes with classes, groups or alternatives, `matchConditions`, messages and audit annotations; patterns that start with a wildcard (an exclusion `*`, or an `exemptImages` entry `*`, waives the control for every image, which is its stated intent); Kyverno `ImageValidatingPolicy` `matchImageReferences` (an open glob verifies more images, it admits none unverified); and a `*` in `K8sAllowedRepos` (compared literally, it matches nothing).',
  remediation:
    'End every entry at a boundary: a registry, namespace or repository prefix with a trailing `/` (`registry.example.com/`, `registry.example.com/team/`, `docker.io/library/`), a single repository with `:` and `@` (`registry.example.com/team/app:` and `registry.example.com/team/app@`), or a full reference with its tag or digest. In `K8sAllowedReposv2`, a Gatekeeper `exemptImages` list, a Kyverno pattern or a Kyverno `podSecurity.exclude[].images` entry write `registry.example.com/team/*`, or list each image exactly (`registry.example.com/team/agent:1.4.2`, no `*`); in CEL write `c.image.startsWith(\'registry.example.com/team/\')` or, in a regex, end the literal with `/` (`^registry\\.example\\.com/team/`).',
  *check({ object }) {
    const apiVersion = asString(object['apiVersion']) ?? '';
    const kind = asString(object['kind']) ?? '';
    const name = asString(asObject(object['metadata'])?.['name']) ?? '';
    const spec = asObject(object['spec']);
    if (apiVersion.startsWith('constraints.gatekeeper.sh/')) {
      const parameters = asObject(spec?.['parameters']);
      if (parameters === undefined) return;
      yield* gatekeeperRepos(kind, name, parameters);
      yield* gatekeeperExemptions(kind, name, parameters);
      return;
    }
    // Kyverno's ValidatingPolicy has the layout of a ValidatingAdmissionPolicy.
    if ((apiVersion.startsWith('admissionregistration.k8s.io/') && kind === 'ValidatingAdmissionPolicy') || (apiVersion.startsWith('policies.kyverno.io/') && VALIDATING_POLICIES.has(kind))) {
      yield* celFindings(`${kind} ${JSON.stringify(name)}`, spec, ['spec'], 'validations', ['validation', 'variable']);
      return;
    }
    if (!apiVersion.startsWith('kyverno.io/')) return;
    for (const [i, raw] of asArray(spec?.['rules']).entries()) {
      const r = asObject(raw);
      const owner = `${kind} ${JSON.stringify(name)} rule ${JSON.stringify(asString(r?.['name']) ?? `#${i}`)}`;
      const validate = asObject(r?.['validate']);
      const at: Path = ['spec', 'rules', i, 'validate'];
      for (const { tree, path } of kyvernoPatterns(validate, at)) {
        for (const image of kyvernoImages(tree, path)) {
          for (const alternative of image.value.split('|')) {
            const entry = alternative.trim();
            const prefix = kyvernoPrefix(entry);
            const found = prefix === undefined ? undefined : check(`${owner} image pattern`, entry, prefix, image.path);
            if (found !== undefined) yield found;
          }
        }
      }
      yield* celFindings(owner, asObject(validate?.['cel']), [...at, 'cel'], 'expressions', ['CEL expression', 'CEL variable']);
      // podSecurity exclusions waive a control for the images they match (Kyverno wildcards, `/` included).
      for (const [j, exclusion] of asArray(asObject(validate?.['podSecurity'])?.['exclude']).entries()) {
        const control = asString(asObject(exclusion)?.['controlName']);
        const effect = waives(control === undefined ? 'its Pod Security control' : `the Pod Security control ${JSON.stringify(control)}`);
        for (const [k, rawImage] of asArray(asObject(exclusion)?.['images']).entries()) {
          const entry = asString(rawImage);
          const prefix = entry === undefined ? undefined : kyvernoPrefix(entry);
          const path: Path = [...at, 'podSecurity', 'exclude', j, 'images', k];
          const found = entry === undefined || prefix === undefined ? undefined : check(`${owner} podSecurity exclusion image`, entry, prefix, path, effect);
          if (found !== undefined) yield found;
        }
      }
    }
  },
});
