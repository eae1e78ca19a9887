import { globMatch } from '../../../engine/glob.js';
import { namespaceOf, type Inventory } from '../../../engine/inventory.js';
import { defineRule, type Resolution, type Violation } from '../../../engine/rule.js';
import { parseImageReference, registryMatcher, stringList, type ImageReference } from '../../../k8s/image.js';
import { asArray, asObject, asString, detach } from '../../../k8s/object.js';
import { containersOf, POD_BEARING_KINDS, type ContainerField } from '../../../k8s/pod.js';
import type { Path } from '../../../types.js';
import { containerLabel } from '../common.js';

const POLICIES = Symbol('image-signature-policy:policies');

/** The image patterns of one verification policy; `namespace` is set for a namespaced Kyverno Policy. */
interface Coverage {
  namespace?: string;
  patterns: string[];
}

function push(list: string[], glob: unknown): void {
  const text = asString(glob)?.trim();
  if (text !== undefined && text !== '') list.push(text);
}

/** Every image verification policy of the input: Kyverno verifyImages and ImageValidatingPolicy, Sigstore ClusterImagePolicy. */
function policies(inventory: Inventory): Coverage[] {
  return inventory.memo(POLICIES, () => {
    const out: Coverage[] = [];
    for (const kind of ['ClusterPolicy', 'Policy']) {
      for (const policy of inventory.byKind(kind)) {
        if (!policy.ref.apiVersion.startsWith('kyverno.io/')) continue;
        const patterns: string[] = [];
        for (const rule of asArray(asObject(policy.object['spec'])?.['rules'])) {
          for (const verify of asArray(asObject(rule)?.['verifyImages'])) {
            const v = asObject(verify);
            for (const ref of asArray(v?.['imageReferences'])) push(patterns, ref);
            push(patterns, v?.['image']); // the single-image form of Kyverno before 1.7
          }
        }
        if (patterns.length === 0) continue;
        // Not namespaceOf: `Policy` is also the kind of the (cluster-level) audit policy file.
        const namespace = kind === 'Policy' ? (policy.ref.namespace ?? 'default') : undefined;
        out.push(namespace === undefined ? { patterns } : { namespace, patterns });
      }
    }
    for (const policy of inventory.byKind('ImageValidatingPolicy')) {
      if (!policy.ref.apiVersion.startsWith('policies.kyverno.io/')) continue;
      const patterns: string[] = [];
      for (const ref of asArray(asObject(policy.object['spec'])?.['matchImageReferences'])) push(patterns, asObject(ref)?.['glob']);
      if (patterns.length > 0) out.push({ patterns });
    }
    for (const policy of inventory.byKind('ClusterImagePolicy')) {
      if (!policy.ref.apiVersion.startsWith('policy.sigstore.dev/')) continue;
      const patterns: string[] = [];
      for (const image of asArray(asObject(policy.object['spec'])?.['images'])) push(patterns, asObject(image)?.['glob']);
      if (patterns.length > 0) out.push({ patterns });
    }
    return out;
  });
}

/**
 * Globs filed by their literal prefix (up to the first `*` or `?`) in a trie, so that a name is
 * matched against the globs whose prefix it starts with: matching every glob of every policy
 * against every image is quadratic in an input of thousands of patterns and workloads.
 */
class GlobTrie {
  private readonly globs: string[] = [];
  /** By UTF-16 code unit, as `globMatch` reads them. */
  private readonly next = new Map<number, GlobTrie>();

  add(glob: string): void {
    let node: GlobTrie = this;
    for (let i = 0; i < glob.length; i++) {
      const c = glob.charCodeAt(i);
      if (c === 42 /* * */ || c === 63 /* ? */) break;
      let child = node.next.get(c);
      if (child === undefined) {
        child = new GlobTrie();
        node.next.set(c, child);
      }
      node = child;
    }
    node.globs.push(glob);
  }

  /** Whether some glob matches `name`. */
  matches(name: string): boolean {
    let node: GlobTrie | undefined = this;
    for (let i = 0; node !== undefined; i++) {
      if (node.globs.some((glob) => globMatch(glob, name))) return true;
      if (i === name.length) return false;
      node = node.next.get(name.charCodeAt(i));
    }
    return false;
  }
}

const MATCHERS = Symbol('image-signature-policy:matchers');

/** The patterns of the cluster-wide policies, and of the namespaced ones by namespace, in tries. */
function matchers(inventory: Inventory): { cluster: GlobTrie; byNamespace: Map<string, GlobTrie> } {
  return inventory.memo(MATCHERS, () => {
    const cluster = new GlobTrie();
    const byNamespace = new Map<string, GlobTrie>();
    for (const c of policies(inventory)) {
      let trie = cluster;
      if (c.namespace !== undefined) {
        trie = byNamespace.get(c.namespace) ?? new GlobTrie();
        byNamespace.set(c.namespace, trie);
      }
      for (const glob of c.patterns) trie.add(glob);
    }
    return { cluster, byNamespace };
  });
}

/** The spellings a policy may use for one image: as written, fully qualified, familiar, each with and without tag or digest. */
function spellings(image: string, ref: ImageReference): string[] {
  const names = [`${ref.registry}/${ref.repository}`];
  if (ref.registry === 'docker.io') {
    names.push(`index.docker.io/${ref.repository}`, ref.repository);
    if (ref.repository.startsWith('library/')) names.push(ref.repository.slice('library/'.length));
  }
  const suffixes = [''];
  if (ref.tag !== undefined) suffixes.push(`:${ref.tag}`);
  if (ref.digest !== undefined) suffixes.push(`@${ref.digest}`);
  if (ref.tag !== undefined && ref.digest !== undefined) suffixes.push(`:${ref.tag}@${ref.digest}`);
  const out = [image];
  for (const name of names) for (const suffix of suffixes) out.push(name + suffix);
  return out;
}

export const rule = defineRule({
  id: 'image-signature-policy',
  title: 'Image not covered by a signature verification policy',
  severity: 'medium',
  target: 'pod',
  kinds: POD_BEARING_KINDS,
  context: ['ClusterPolicy', 'Policy', 'ImageValidatingPolicy', 'ClusterImagePolicy'],
  controls: ['DIST-4', 'DEP-2'],
  frameworks: { cis: ['5.5.1'], kubescape: ['C-0236', 'C-0237', 'C-0289'] },
  description:
    'Signing images only protects the supply chain where something verifies the signature before the image runs: an admission policy (Kyverno `verifyImages` or `ImageValidatingPolicy`, Sigstore policy-controller `ClusterImagePolicy`) that checks each image against a key or a keyless identity. An image that no policy matches is admitted without any check, so a tampered or look-alike image from that repository runs. When the input holds such policies, the rule reports workload images that none of their image patterns match (patterns are compared liberally: `*` crosses `/`, Docker Hub spellings with and without `docker.io/` and `library/` are tried, and match/exclude scoping is not evaluated, so only clear gaps are reported; a namespaced Kyverno `Policy` covers its own namespace only). With the `signedRegistries` option (same syntax as `image-registry`) only images from those registries must be covered, and they are reported even when the input holds no policy. Without policies in the input and without the option the rule reports nothing, since the cluster may have policies the input does not show.',
  remediation:
    'Add the image\'s repository to a verification policy (for Kyverno: `spec.rules[].verifyImages[].imageReferences: ["registry.example.com/shop/*"]` with `attestors` holding the signing key or the keyless `subject` and `issuer`; for the Sigstore policy-controller: `spec.images[].glob` of a `ClusterImagePolicy` with its `authorities`), sign the image in CI (`cosign sign --yes registry.example.com/shop/api@sha256:<digest>`), or replace it with an image your pipeline signs.',
  options: { signedRegistries: [] },
  *check({ loaded, spec, specPath }, ctx) {
    const signed = stringList(ctx.options['signedRegistries']);
    const scope = signed.length === 0 ? undefined : registryMatcher(signed);
    // The images a policy must cover; which are, and so the finding's wording, is decided once the
    // policies of the whole input are known. Kept until then for every pod: only what the wording
    // needs, its label and path written when a finding is.
    const images: { image: string; field: ContainerField; name: string; index: number }[] = [];
    for (const c of containersOf(spec, specPath)) {
      const image = asString(c.container['image']);
      if (image === undefined) continue;
      const parsed = parseImageReference(image);
      if (!parsed.ok) continue;
      if (scope !== undefined && scope.match(parsed.ref) === undefined) continue;
      images.push({ image: detach(image), field: c.field, name: detach(c.name), index: c.index });
    }
    if (images.length === 0) return;
    const pathOf = (i: number): Path => {
      const { field, index } = images[i] as (typeof images)[number];
      return [...specPath, field, index, 'image'];
    };
    const namespace = detach(namespaceOf(loaded) ?? 'default');
    // One waiting violation per pod, on the first image; the resolution moves it to the first uncovered one.
    const resolve = (inventory: Inventory): Resolution | null => {
      const covers = policies(inventory);
      if (covers.length === 0 && signed.length === 0) return null;
      const { cluster, byNamespace } = matchers(inventory);
      const own = byNamespace.get(namespace);
      const found: number[] = [];
      images.forEach(({ image }, i) => {
        const parsed = parseImageReference(image);
        const names = parsed.ok ? spellings(image, parsed.ref) : [image];
        // Kyverno and Sigstore globs, matched liberally: `*` (and `**`) crosses `/`. Matching more
        // than the engines do can only hide a gap, never invent one.
        if (!names.some((n) => cluster.matches(n) || own?.matches(n) === true)) found.push(i);
      });
      const first = found[0];
      if (first === undefined) return null;
      const { image, field, name, index } = images[first] as (typeof images)[number];
      const more = found.length > 1 ? ` (and ${found.length - 1} more container${found.length > 2 ? 's' : ''})` : '';
      const why =
        covers.length === 0
          ? 'must be signed (signedRegistries) but the input holds no image verification policy'
          : 'is not matched by any image verification policy of the input, so its signature is never checked';
      const resolution: Resolution = { message: `${containerLabel(field, name, index)} image ${JSON.stringify(image)}${more} ${why}`, paths: found.slice(1).map(pathOf) };
      if (first > 0) resolution.at = first - 1;
      return resolution;
    };
    const violation: Violation = { path: pathOf(0), message: '', resolve };
    if (images.length > 1) violation.paths = images.slice(1).map((_, i) => pathOf(i + 1));
    yield violation;
  },
});
