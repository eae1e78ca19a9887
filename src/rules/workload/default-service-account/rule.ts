import { defineRule } from '../../../engine/rule.js';
import { accountKey, automount, projectsToken, serviceAccountIndex, serviceAccountOf } from '../service-accounts.js';
import { completeWorkloads } from '../fragments.js';

export const rule = defineRule({
  id: 'default-service-account',
  title: 'Workload uses the default ServiceAccount with a token',
  severity: 'medium',
  target: 'inventory',
  controls: ['ACC-3'],
  frameworks: { cis: ['5.1.5'], kubescape: ['C-0189'] },
  description:
    'Every namespace has a `default` ServiceAccount, and every pod that names none runs as it. Its identity is shared by unrelated workloads, so a permission granted to it for one of them (a common shortcut) goes to all of them, and API audit logs cannot tell them apart. Reported only when the pod actually holds the identity, i.e. its token is mounted: automatically (`automountServiceAccountToken` not false on the pod, nor on the `default` ServiceAccount when the input has it) or through a projected serviceAccountToken volume. A pod that runs as `default` without any token has no Kubernetes identity to abuse and is not reported. Incomplete objects that only patch a base elsewhere (a pod template without containers or with a container without an image, as in Kustomize strategic-merge patches) are not checked, since a field they leave out may be set in the base.',
  remediation:
    'Create a ServiceAccount for the workload and set `spec.serviceAccountName` to it; grant that account only what the workload needs. If the workload never calls the Kubernetes API, also set `automountServiceAccountToken: false` (on the pod, or on the `default` ServiceAccount of the namespace).',
  *check({ inventory }) {
    const index = serviceAccountIndex(inventory);
    for (const workload of completeWorkloads(inventory)) {
      const { spec, specPath } = workload.pod;
      const account = serviceAccountOf(spec, specPath);
      if (account.name !== 'default') continue;
      const token = automount(spec, index.accounts.get(accountKey(workload.namespace, 'default')));
      const projected = !token.mounted && projectsToken(spec);
      if (!token.mounted && !projected) continue;
      const how = projected
        ? 'a projected serviceAccountToken volume gives it the token'
        : token.by === 'pod'
          ? 'the pod sets automountServiceAccountToken: true'
          : 'its token is auto-mounted';
      yield {
        target: workload.loaded,
        path: account.path ?? (token.by === 'pod' ? [...specPath, 'automountServiceAccountToken'] : specPath),
        message: `pod runs as the "default" ServiceAccount of namespace "${workload.namespace}"${account.path === undefined ? ' (no serviceAccountName)' : ''} and ${how}`,
      };
    }
  },
});
