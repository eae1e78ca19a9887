import { defineRule } from '../../../engine/rule.js';
import { imageName, parseImageReference, registryMatcher, stringList } from '../../../k8s/image.js';
import { asString } from '../../../k8s/object.js';
import { NONE, containerLabel } from '../common.js';

export const rule = defineRule({
  id: 'image-registry',
  title: 'Image from a registry outside the allow list',
  severity: 'high',
  target: 'container',
  controls: ['DIST-6', 'DEP-1'],
  frameworks: { nsa: ['Building secure container images'], kubescape: ['C-0078', 'C-0001'] },
  description:
    'Images from registries the organisation does not control skip its scanning, signing and retention, and run whatever their publisher (or whoever took over the publisher\'s account, or typo-squatted its name) pushed. An allow list of registries, or of repositories within one, keeps every workload on artifacts that went through the organisation\'s pipeline. The rule does nothing until `allowed` lists at least one entry. Entries are `host[:port][/path]`: the host must match whole (`registry.example.com` does not allow `registry.example.com.evil.io`, nor another port), `*` stands for part of one host label (`*.dkr.ecr.eu-west-1.amazonaws.com`), a path matches whole components (`registry.example.com/shop` allows `registry.example.com/shop/api`, not `registry.example.com/shop-x/api`), and Docker Hub is `docker.io` (`docker.io/library` for official images), the registry of every reference that names none.',
  remediation:
    'Mirror or rebuild the image into an allowed registry and change `image` to that reference (for example `registry.example.com/mirror/nginx:1.27.3`), or, if the registry is trusted, add it to `rules.image-registry.options.allowed` in `.mamori.yaml`.',
  options: { allowed: [] },
  check({ container, name, field, index, path }, ctx) {
    const allowed = stringList(ctx.options['allowed']);
    if (allowed.length === 0) return NONE;
    const image = asString(container['image']);
    if (image === undefined) return NONE;
    const parsed = parseImageReference(image);
    if (!parsed.ok) return NONE;
    const ref = parsed.ref;
    if (registryMatcher(allowed).match(ref) !== undefined) return NONE;
    const from = ref.registryExplicit ? imageName(ref) : `${imageName(ref)} (Docker Hub, implied)`;
    return [{ path: [...path, 'image'], message: `${containerLabel(field, name, index)} image ${JSON.stringify(image)} comes from ${from}, which no entry of the allowed registries matches` }];
  },
});
