import { namespaceOf, type Inventory } from '../../../engine/inventory.js';
import { defineRule } from '../../../engine/rule.js';
import { POD_BEARING_KINDS } from '../../../k8s/pod.js';
import { isFragment } from '../fragments.js';
import { sharedFunction, type SharedFunctions } from '../../shared.js';
import { accountKey, isBound, projectsToken, serviceAccountIndex, serviceAccountOf } from '../service-accounts.js';

const PROJECTED = 'a projected serviceAccountToken volume gives it the token';

const HOLDS: SharedFunctions<(inventory: Inventory) => string | null> = new WeakMap();

/** The finding's message: the pod runs as the "default" ServiceAccount, and how it gets its token. */
function message(namespace: string, named: boolean, how: string): string {
  return `pod runs as the "default" ServiceAccount of namespace "${namespace}"${named ? '' : ' (no serviceAccountName)'} and ${how}`;
}

/**
 * The finding's message once the input is read, for a pod that leaves automountServiceAccountToken
 * to the "default" ServiceAccount: its token is auto-mounted unless the input's ServiceAccount sets
 * the field to false; then only a projected serviceAccountToken volume gives it one, or nothing does
 * (null). The message says when a binding of the input grants the "default" ServiceAccount something.
 */
function tokenHeld(namespace: string, named: boolean, projected: boolean): (inventory: Inventory) => string | null {
  return (inventory) => {
    const index = serviceAccountIndex(inventory);
    const mounted = index.accounts.get(accountKey(namespace, 'default'))?.['automountServiceAccountToken'] !== false;
    if (!mounted && !projected) return null;
    const how = mounted ? 'its token is auto-mounted' : PROJECTED;
    return message(namespace, named, isBound(index, namespace, 'default') ? `${how}; a RoleBinding or ClusterRoleBinding of the input grants that ServiceAccount something` : how);
  };
}

export const rule = defineRule({
  id: 'default-service-account',
  title: 'Workload uses the default ServiceAccount with a token',
  severity: 'medium',
  target: 'pod',
  kinds: POD_BEARING_KINDS,
  context: ['ServiceAccount', 'RoleBinding', 'ClusterRoleBinding'],
  controls: ['ACC-3'],
  frameworks: { cis: ['5.1.5'], nsa: ['Authentication and authorization'], kubescape: ['C-0189'] },
  description:
    'Every namespace has a `default` ServiceAccount, and every pod that names none runs as it. Its identity is shared by unrelated workloads, so a permission granted to it for one of them (a common shortcut) goes to all of them, and API audit logs cannot tell them apart. Reported only when the pod actually holds the identity, i.e. its token is mounted: automatically (`automountServiceAccountToken` not false on the pod, nor on the `default` ServiceAccount when the input has it) or through a projected serviceAccountToken volume. A pod that runs as `default` without any token has no Kubernetes identity to abuse and is not reported. When a RoleBinding or ClusterRoleBinding of the input grants the `default` ServiceAccount something (naming it, as the user `system:serviceaccount:<namespace>:default`, or through the group `system:serviceaccounts:<namespace>`), the finding says so: every pod of the namespace that names no ServiceAccount holds that grant. Incomplete objects that only patch a base elsewhere (a pod template without containers or with a container without an image, as in Kustomize strategic-merge patches) are not checked, since a field they leave out may be set in the base.',
  remediation:
    'Create a ServiceAccount for the workload and set `spec.serviceAccountName` to it; grant that account only what the workload needs. If the workload never calls the Kubernetes API, also set `automountServiceAccountToken: false` (on the pod, or on the `default` ServiceAccount of the namespace).',
  *check({ loaded, spec, specPath }, ctx) {
    if (isFragment(spec)) return;
    const account = serviceAccountOf(spec, specPath);
    if (account.name !== 'default') return;
    const own = spec['automountServiceAccountToken'];
    const namespace = namespaceOf(loaded) ?? 'default';
    const named = account.path !== undefined;
    if (typeof own === 'boolean') {
      // The pod decides: its token is mounted, or only a projected volume can give it one.
      const projected = !own && projectsToken(spec);
      if (!own && !projected) return;
      yield {
        path: account.path ?? [...specPath, 'automountServiceAccountToken'],
        message: message(namespace, named, projected ? PROJECTED : 'the pod sets automountServiceAccountToken: true'),
      };
      return;
    }
    // The pod leaves it to the "default" ServiceAccount, whose setting is known once the input is read.
    // No automatic fix: the remedy is a dedicated ServiceAccount. Where no binding of the input grants
    // "default" anything, automount-service-account-token turns the token off, which clears this too.
    const projected = projectsToken(spec);
    const resolve = sharedFunction(HOLDS, ctx, [namespace, named, projected], () => tokenHeld(namespace, named, projected));
    yield { path: account.path ?? specPath, message: '', resolve };
  },
});
