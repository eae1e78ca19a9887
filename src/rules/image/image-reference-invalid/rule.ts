import { defineRule } from '../../../engine/rule.js';
import { parseImageReference } from '../../../k8s/image.js';
import { imageFromTrigger } from '../../../k8s/pod.js';
import { NONE, containerLabel } from '../common.js';

export const rule = defineRule({
  id: 'image-reference-invalid',
  title: 'Image reference that does not parse',
  severity: 'low',
  target: 'container',
  controls: ['DIST-6'],
  description:
    'The kubelet parses `image` with the Docker reference grammar (`[registry[:port]/]repository[:tag][@digest]`, lower-case repository, `sha256:` digests of 64 lower-case hex digits) and refuses anything else with InvalidImageName, so the pod never starts. Such a value is usually an unfilled placeholder (`<image_url>`, `${IMAGE}`), a URL, or a typo; and since its registry, tag and digest cannot be read, the other image rules (allowed registries, digest pinning, insecure registries) could not check it. A blank image that an ImageChange trigger of an OpenShift DeploymentConfig fills in from an image stream is not reported.',
  remediation:
    'Write `image` as a valid reference, for example `registry.example.com/shop/api:1.4.2` or `registry.example.com/shop/api@sha256:<64 hex digits>`: no scheme, no spaces, a lower-case repository; render templates before scanning.',
  check({ container, name, field, index, path, pod }) {
    const image = container['image'];
    // A missing or null image is the API's "Required value", not a reference to check.
    if (image === undefined || image === null) return NONE;
    // A DeploymentConfig's ImageChange trigger fills in a blank image (`""`, OpenShift's `" "` token).
    if (typeof image === 'string' && image.trim() === '' && imageFromTrigger(pod.spec, field, name)) return NONE;
    const label = containerLabel(field, name, index);
    if (typeof image !== 'string') {
      return [{ path: [...path, 'image'], message: `${label} has an image that is not a string` }];
    }
    const parsed = parseImageReference(image);
    if (parsed.ok) return NONE;
    return [{ path: [...path, 'image'], message: `${label} image ${JSON.stringify(image)} is not a valid image reference: ${parsed.error}` }];
  },
});
