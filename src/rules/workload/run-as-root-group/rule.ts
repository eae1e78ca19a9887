import { defineRule } from '../../../engine/rule.js';
import { asArray, asObject } from '../../../k8s/object.js';
import { POD_BEARING_KINDS } from '../../../k8s/pod.js';
import { idSettings, inheritors } from '../run-as-ids.js';

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
    const { containers, pod } = idSettings(spec, specPath, 'runAsGroup', (id) => id === 0);
    for (const { path, label } of containers) {
      yield { path, message: `${label} sets securityContext.runAsGroup: 0, so its processes run with the root group (GID 0) as their primary group` };
    }
    if (pod !== undefined) {
      yield { path: pod.path, message: `pod sets securityContext.runAsGroup: 0, so ${inheritors(pod.inheriting, 'runs with the root group (GID 0) as its', 'run with the root group (GID 0) as their')} primary group` };
    }
    if (podContext === undefined) return;
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
