import { defineRule } from '../../../engine/rule.js';
import { parseImageReference } from '../../../k8s/image.js';
import { asString } from '../../../k8s/object.js';
import { NONE, containerLabel } from '../common.js';

export const rule = defineRule({
  id: 'image-latest-tag',
  title: 'Image uses the latest tag or no tag',
  severity: 'medium',
  target: 'container',
  controls: ['DIST-6', 'DIST-3'],
  frameworks: { nsa: ['Building secure container images'] },
  description:
    'An image without a tag or digest is pulled as `latest`, a tag that the publisher moves with every push. What runs then depends on when each pod started: a rollback redeploys the same reference and gets the new code, a restart after a bad (or malicious) push runs it without any change to the manifest, and no one can say which build a finding, a vulnerability report or an incident refers to. Images referenced by digest are not reported, whatever their tag.',
  remediation:
    'Set `image` to a release tag (`nginx:1.27.3`), better still to a digest (`registry.example.com/shop/web@sha256:<digest>`, optionally with the tag before the `@` for readers), and update it through your release process.',
  check({ container, name, field, index, path }) {
    const image = asString(container['image']);
    if (image === undefined) return NONE;
    const parsed = parseImageReference(image);
    if (!parsed.ok || parsed.ref.digest !== undefined) return NONE;
    const tag = parsed.ref.tag;
    if (tag !== undefined && tag !== 'latest') return NONE;
    const what = tag === undefined ? 'has neither tag nor digest, so it pulls "latest"' : 'uses the mutable tag "latest" without a digest';
    return [{ path: [...path, 'image'], message: `${containerLabel(field, name, index)} image ${JSON.stringify(image)} ${what}` }];
  },
});
