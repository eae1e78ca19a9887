import { defineRule } from '../../../engine/rule.js';
import { asArray, asObject } from '../../../k8s/object.js';
import { containersOf, POD_BEARING_KINDS } from '../../../k8s/pod.js';
import { containerLabel } from '../../image/common.js';

const POD_GROUP = 'the root group (GID 0) as a supplementary group of every container of the pod';

export const rule = defineRule({
  id: 'run-as-root-group',
  title: 'Pod or container runs with the root group',
  severity: 'medium',
  target: 'pod',
  kinds: POD_BEARING_KINDS,
  controls: ['CMP-1', 'DEP-1'],
  frameworks: { nsa: ['Kubernetes Pod security'] },
  description:
    'A process whose primary or supplementary group is GID 0 can read and write every file that belongs to group root: in the image (many images make their application and configuration directories group-0 writable so that any UID can run them, so a compromised process can rewrite the application), and on mounted volumes, hostPath mounts of node files included, whatever the process\'s UID. `runAsUser` and `runAsNonRoot` do not prevent it. This rule reports what the manifest asks for explicitly: `runAsGroup: 0` on the pod (for the containers that do not set their own `runAsGroup`) or on a container, `fsGroup: 0`, and 0 in `supplementalGroups`. An unset `runAsGroup` (the image\'s group applies) is not reported, nor are Windows pods (`spec.os.name: windows`), which have no GIDs.',
  remediation:
    'Set `securityContext.runAsGroup`, `fsGroup` and `supplementalGroups` to non-zero GIDs (for example `runAsGroup: 10001` and `fsGroup: 10001`, matching the UID), or remove them. If the program needs files owned by group root in the image, change their group to the application\'s GID when the image is built (`COPY --chown=10001:10001`, or `chgrp`), and give volumes the application\'s `fsGroup` instead of 0.',
  *check({ spec, specPath }) {
    if (asObject(spec['os'])?.['name'] === 'windows') return;
    const podContext = asObject(spec['securityContext']);
    const contextPath = [...specPath, 'securityContext'];
    // Containers that set no runAsGroup of their own inherit the pod's.
    const inheriting: string[] = [];
    for (const { container, field, name, index, path } of containersOf(spec, specPath)) {
      const group = asObject(container['securityContext'])?.['runAsGroup'];
      if (group === 0) {
        const label = containerLabel(field, name, index);
        yield {
          path: [...path, 'securityContext', 'runAsGroup'],
          message: `${label} sets securityContext.runAsGroup: 0, so its processes run with the root group (GID 0) as their primary group`,
        };
      } else if (typeof group !== 'number') inheriting.push(containerLabel(field, name, index));
    }
    if (podContext === undefined) return;
    if (podContext['runAsGroup'] === 0 && inheriting.length > 0) {
      yield {
        path: [...contextPath, 'runAsGroup'],
        message: `pod sets securityContext.runAsGroup: 0, so ${inheriting.join(', ')} ${inheriting.length === 1 ? 'runs with the root group (GID 0) as its' : 'run with the root group (GID 0) as their'} primary group`,
      };
    }
    if (podContext['fsGroup'] === 0) {
      yield { path: [...contextPath, 'fsGroup'], message: `pod sets securityContext.fsGroup: 0, which adds ${POD_GROUP} and gives its volumes to group root` };
    }
    const supplemental = asArray(podContext['supplementalGroups']);
    const root = supplemental.indexOf(0);
    if (root !== -1) {
      yield { path: [...contextPath, 'supplementalGroups', root], message: `pod lists GID 0 in securityContext.supplementalGroups, which adds ${POD_GROUP}` };
    }
  },
});
