import { namespaceOf, type Inventory } from '../../../engine/inventory.js';
import { defineRule, type PatchOperation, type Violation } from '../../../engine/rule.js';
import { setField } from '../../../fix/ops.js';
import { POD_BEARING_KINDS } from '../../../k8s/pod.js';
import { isFragment } from '../fragments.js';
import { accountKey, projectsToken, serviceAccountIndex, serviceAccountOf } from '../service-accounts.js';

const PROJECTED = 'a projected serviceAccountToken volume gives it the token';

/**
 * Drops the finding when whether the input's ServiceAccount sets automountServiceAccountToken to
 * false equals `off`: the finding that says the token is auto-mounted goes when it does, the one
 * that says a projected volume gives it goes when it does not.
 */
function droppedWhenTurnedOff(key: string, off: boolean): (inventory: Inventory) => boolean {
  return (inventory) => (serviceAccountIndex(inventory).accounts.get(key)?.['automountServiceAccountToken'] === false) === off;
}

export const rule = defineRule({
  id: 'default-service-account',
  title: 'Workload uses the default ServiceAccount with a token',
  severity: 'medium',
  target: 'pod',
  kinds: POD_BEARING_KINDS,
  context: ['ServiceAccount'],
  controls: ['ACC-3'],
  frameworks: { cis: ['5.1.5'], nsa: ['Authentication and authorization'], kubescape: ['C-0189'] },
  description:
    'Every namespace has a `default` ServiceAccount, and every pod that names none runs as it. Its identity is shared by unrelated workloads, so a permission granted to it for one of them (a common shortcut) goes to all of them, and API audit logs cannot tell them apart. Reported only when the pod actually holds the identity, i.e. its token is mounted: automatically (`automountServiceAccountToken` not false on the pod, nor on the `default` ServiceAccount when the input has it) or through a projected serviceAccountToken volume. A pod that runs as `default` without any token has no Kubernetes identity to abuse and is not reported. Incomplete objects that only patch a base elsewhere (a pod template without containers or with a container without an image, as in Kustomize strategic-merge patches) are not checked, since a field they leave out may be set in the base.',
  remediation:
    'Create a ServiceAccount for the workload and set `spec.serviceAccountName` to it; grant that account only what the workload needs. If the workload never calls the Kubernetes API, also set `automountServiceAccountToken: false` (on the pod, or on the `default` ServiceAccount of the namespace).',
  *check({ object, loaded, spec, specPath }) {
    if (isFragment(spec)) return;
    const account = serviceAccountOf(spec, specPath);
    if (account.name !== 'default') return;
    const own = spec['automountServiceAccountToken'];
    const namespace = namespaceOf(loaded) ?? 'default';
    const message = (how: string): string =>
      `pod runs as the "default" ServiceAccount of namespace "${namespace}"${account.path === undefined ? ' (no serviceAccountName)' : ''} and ${how}`;
    if (typeof own === 'boolean') {
      // The pod decides: its token is mounted, or only a projected volume can give it one.
      const projected = !own && projectsToken(spec);
      if (!own && !projected) return;
      yield {
        path: account.path ?? [...specPath, 'automountServiceAccountToken'],
        message: message(projected ? PROJECTED : 'the pod sets automountServiceAccountToken: true'),
      };
      return;
    }
    // The pod leaves it to the "default" ServiceAccount, whose setting is known once the input is read.
    const key = accountKey(namespace, 'default');
    const path = account.path ?? specPath;
    const projected = projectsToken(spec);
    const mounted: Violation = { path, message: message('its token is auto-mounted'), unless: droppedWhenTurnedOff(key, true) };
    // Turning the mount off on the pod removes the identity it would abuse (a dedicated ServiceAccount
    // is the fuller remedy); with a projected token volume that would not make the finding go away.
    if (!projected) mounted.fix = (): PatchOperation[] => setField(object, [...specPath, 'automountServiceAccountToken'], false);
    yield mounted;
    if (projected) yield { path, message: message(PROJECTED), unless: droppedWhenTurnedOff(key, false) };
  },
});
