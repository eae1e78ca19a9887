import { defineRule } from '../../../engine/rule.js';
import { parseImageReference, registryHost, registryMatcher, registryPort, stringList } from '../../../k8s/image.js';
import { asString } from '../../../k8s/object.js';
import { NONE, containerLabel } from '../common.js';

const HTTP_SCHEME = /^http:\/\//i;
/** Hosts whose traffic never leaves the node. */
const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|\[(?:0*:)*:?0*1\])$/;

export const rule = defineRule({
  id: 'image-insecure-registry',
  title: 'Image pulled over plain HTTP or from an insecure registry',
  severity: 'high',
  target: 'container',
  controls: ['DIST-2'],
  description:
    'Container runtimes pull over HTTPS and verify the registry\'s certificate unless a node is configured to treat the registry as insecure (`insecure-registries`, a containerd `hosts.toml` with `http://` or `skip_verify`). Then anyone on the network path can read the pull credentials and, for images referenced by tag, serve other content that the node runs. The rule reports references to registries listed in the `insecureRegistries` option (same pattern syntax as `image-registry`: `host[:port][/path]`, `*` within one host label), references with an `http://` scheme (not a valid reference at all: the kubelet refuses it with InvalidImageName, and it shows the registry is meant to be reached over plain HTTP), and registries on port 80, which the runtimes reach only with a plain-HTTP configuration. It does not guess from IP addresses or other ports, nor from loopback registries (`localhost`, `127.0.0.1`, `[::1]`), whose traffic stays on the node: list such registries in `insecureRegistries` when they are insecure.',
  remediation:
    'Serve the registry over HTTPS with a certificate the nodes trust (a public CA, or the organisation\'s CA installed in the runtime\'s `certs.d`), remove it from the nodes\' insecure-registry configuration, write `image` without a scheme or port 80 (`registry.example.com/shop/api@sha256:<digest>`), and pin images by digest so that content is verified whatever the transport.',
  options: { insecureRegistries: [] },
  check({ container, name, field, index, path }, ctx) {
    const image = asString(container['image']);
    if (image === undefined) return NONE;
    const label = containerLabel(field, name, index);
    if (HTTP_SCHEME.test(image)) {
      return [{ path: [...path, 'image'], message: `${label} image ${JSON.stringify(image)} names a plain-HTTP registry with an http:// scheme, which is not a valid image reference` }];
    }
    const parsed = parseImageReference(image);
    if (!parsed.ok) return NONE;
    const ref = parsed.ref;
    const insecure = stringList(ctx.options['insecureRegistries']);
    const listed = insecure.length === 0 ? undefined : registryMatcher(insecure).match(ref);
    if (listed !== undefined) {
      return [{ path: [...path, 'image'], message: `${label} image ${JSON.stringify(image)} comes from ${ref.registry}, configured as an insecure registry (${JSON.stringify(listed)}): pulled over plain HTTP or without certificate verification` }];
    }
    if (registryPort(ref.registry) === '80' && !LOOPBACK.test(registryHost(ref.registry))) {
      return [{ path: [...path, 'image'], message: `${label} image ${JSON.stringify(image)} comes from ${ref.registry}, a registry on the plain-HTTP port 80` }];
    }
    return NONE;
  },
});
