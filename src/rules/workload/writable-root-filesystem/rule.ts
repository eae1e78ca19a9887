import { defineRule } from '../../../engine/rule.js';
import { asObject } from '../../../k8s/object.js';
import { imageFromTrigger } from '../../../k8s/pod.js';
import type { Path } from '../../../types.js';

export const rule = defineRule({
  id: 'writable-root-filesystem',
  title: 'Container root filesystem is writable',
  severity: 'low',
  target: 'container',
  controls: ['CMP-1'],
  frameworks: { cis: ['5.6.3'], nsa: ['Immutable container file systems'], kubescape: ['C-0017', 'C-0211'] },
  description:
    'An attacker who gets code execution in a container with a writable root filesystem can drop tools and payloads, replace the application\'s binaries or scripts and persist until the pod is replaced; with a read-only root filesystem the image stays exactly what was scanned and signed, and only the volumes the workload declares can be written. Init containers count. Ephemeral debug containers and Windows pods (which cannot use the field) are not checked. Incomplete objects that only patch a base elsewhere (a pod template without containers or with a container without an image, as in Kustomize strategic-merge patches) are not checked, since a field they leave out may be set in the base.',
  remediation:
    'Set `securityContext.readOnlyRootFilesystem: true` on the container and mount an `emptyDir` (with `sizeLimit`) at each path the program must write to, typically /tmp, caches and pid-file directories. `mamori fix` has no automatic fix for this: most images write somewhere at run time, and which paths need a volume only the workload\'s owner knows.',
  *check({ container, name, field, path, pod }) {
    if (field === 'ephemeralContainers') return;
    const securityContext = asObject(container['securityContext']);
    const value = securityContext?.['readOnlyRootFilesystem'];
    if (value === true) return;
    // A container without an image is part of a patch merged elsewhere (see isFragment), unless a
    // DeploymentConfig's ImageChange trigger sets it.
    if ((typeof container['image'] !== 'string' || container['image'] === '') && !imageFromTrigger(pod.spec, field, name)) return;
    if (asObject(pod.spec['os'])?.['name'] === 'windows') return;
    const kind = field === 'initContainers' ? 'init container' : 'container';
    let at: Path = path;
    if (value !== undefined) at = [...path, 'securityContext', 'readOnlyRootFilesystem'];
    else if (securityContext !== undefined) at = [...path, 'securityContext'];
    yield {
      path: at,
      message:
        value === undefined
          ? `${kind} "${name}" does not set securityContext.readOnlyRootFilesystem to true`
          : `${kind} "${name}" sets securityContext.readOnlyRootFilesystem to ${value === false ? 'false' : 'a value other than true'}`,
    };
  },
});
