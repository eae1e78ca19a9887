import { compileGlob, type Glob } from '../../../engine/glob.js';
import { defineRule } from '../../../engine/rule.js';
import { effectiveTag, parseImageReference, stringList } from '../../../k8s/image.js';
import { asString } from '../../../k8s/object.js';
import { NONE, containerLabel } from '../common.js';

const DIGIT = /[0-9]/;
const PATTERNS = new WeakMap<readonly string[], readonly Glob[]>();

/** The globs of the `mutableTags` option (`*` is any run of characters, `?` one), compiled once per list. */
function tagPatterns(list: readonly string[]): readonly Glob[] {
  let patterns = PATTERNS.get(list);
  if (patterns === undefined) {
    patterns = list.filter((t) => t !== '').map(compileGlob);
    PATTERNS.set(list, patterns);
  }
  return patterns;
}

export const rule = defineRule({
  id: 'image-pull-policy',
  title: 'Mutable image tag without imagePullPolicy Always',
  severity: 'medium',
  target: 'container',
  controls: ['DIST-6', 'DEP-1'],
  frameworks: { kubescape: ['C-0075'] },
  description:
    'With `imagePullPolicy: IfNotPresent` a node pulls a tag only if it has no copy of it, and with `Never` not at all. For a tag that moves (`latest`, `stable`, `alpine`, `main`, ...) each node then runs whichever build it cached first: replicas of one Deployment run different code, a fixed image re-pushed under the same tag never reaches nodes that hold the old one, and a pod can start from an image another tenant pulled with credentials it does not have. Kubernetes defaults the policy to `Always` only for `latest` or no tag, and to `IfNotPresent` for every other tag. A digest makes the policy irrelevant (the runtime checks the content), so images with a digest are never reported. A tag counts as mutable when it is `latest` or absent, when it contains no digit (it cannot name a version: Kubescape C-0075 uses the same test), when it matches the `mutableTags` option (`*` matches any run of characters and `?` one, e.g. `["main-*", "3"]`), or always when `allTagsMutable` is true.',
  remediation:
    'Pin the image by digest (`image: registry.example.com/shop/web@sha256:<digest>`), or use a release tag that is never re-pushed, or set `imagePullPolicy: Always` on the container (the kubelet then checks the registry at every start and downloads only changed layers).',
  options: { mutableTags: [], allTagsMutable: false },
  check({ container, name, field, index, path }, ctx) {
    const image = asString(container['image']);
    if (image === undefined) return NONE;
    const parsed = parseImageReference(image);
    if (!parsed.ok || parsed.ref.digest !== undefined) return NONE;
    const tag = effectiveTag(parsed.ref) ?? 'latest';
    const written = asString(container['imagePullPolicy']);
    const explicit = written !== undefined && written !== '';
    const policy = explicit ? written : tag === 'latest' ? 'Always' : 'IfNotPresent';
    if (policy !== 'IfNotPresent' && policy !== 'Never') return NONE;
    const mutable =
      tag === 'latest' ||
      !DIGIT.test(tag) ||
      ctx.options['allTagsMutable'] === true ||
      tagPatterns(stringList(ctx.options['mutableTags'])).some((glob) => glob.test(tag));
    if (!mutable) return NONE;
    const how = explicit ? `imagePullPolicy ${policy}` : `no imagePullPolicy (Kubernetes defaults it to IfNotPresent for tag ${JSON.stringify(tag)})`;
    const effect =
      policy === 'Never'
        ? 'each node runs whatever copy of the tag it already holds'
        : 'a node that already holds an older copy of the tag keeps running it';
    return [
      {
        path: [...path, explicit ? 'imagePullPolicy' : 'image'],
        message: `${containerLabel(field, name, index)} image ${JSON.stringify(image)} uses the mutable tag ${JSON.stringify(tag)} with ${how}: ${effect}`,
      },
    ];
  },
});
