import { defineRule } from '../../../engine/rule.js';
import { effectiveTag, parseImageReference } from '../../../k8s/image.js';
import { asString } from '../../../k8s/object.js';
import { NONE, containerLabel } from '../common.js';

export const rule = defineRule({
  id: 'image-digest',
  title: 'Image not pinned by digest',
  severity: 'low',
  target: 'container',
  controls: ['DIST-6', 'DEP-2'],
  frameworks: { nsa: ['Building secure container images'] },
  // Off by default: almost every public manifest references images by tag, and a release tag is
  // a deliberate choice that `image-latest-tag` and `image-pull-policy` already judge.
  optional: true,
  description:
    'A tag, even a release tag, is a name the registry resolves at pull time: whoever can push to the repository (a compromised CI job, a stolen token, the registry operator) can point it at other content, and nodes that pull later run it. A digest names the content itself; the runtime verifies what it pulls against it, signatures and vulnerability reports refer to it, and what was reviewed is what runs.',
  remediation:
    'Reference every image by digest: `registry.example.com/shop/api@sha256:<digest>` (the tag may stay before the `@` for readers: `api:1.4.2@sha256:<digest>`). Resolve digests in CI (`crane digest`, `docker buildx imagetools inspect`, Renovate or Dependabot digest pinning) or let an admission controller such as Kyverno `verifyImages` (mutateDigest) write them.',
  check({ container, name, field, index, path }) {
    const image = asString(container['image']);
    if (image === undefined) return NONE;
    const parsed = parseImageReference(image);
    if (!parsed.ok || parsed.ref.digest !== undefined) return NONE;
    const tag = JSON.stringify(effectiveTag(parsed.ref) ?? 'latest');
    return [{ path: [...path, 'image'], message: `${containerLabel(field, name, index)} image ${JSON.stringify(image)} is not pinned by digest: the registry resolves tag ${tag} at every pull` }];
  },
});
