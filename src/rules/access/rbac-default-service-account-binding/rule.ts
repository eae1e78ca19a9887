import { defineRule } from '../../../engine/rule.js';
import { RBAC_KINDS } from '../../../k8s/rbac.js';
import { bindingLabel } from '../permissions.js';
import { dangerList, reviewedBindings, roleRefLabel, subjectPath } from '../subjects.js';

export const rule = defineRule({
  id: 'rbac-default-service-account-binding',
  title: 'Binding grants a role to a default service account',
  severity: 'medium',
  target: 'inventory',
  context: RBAC_KINDS,
  controls: ['ACC-3', 'ACC-2'],
  frameworks: { cis: ['5.1.5'], nsa: ['Authentication and authorization'], kubescape: ['C-0189'] },
  description:
    'Every pod that sets no `serviceAccountName` runs as its namespace\'s `default` service account, and with the default token automount carries its token. Permissions bound to `default` therefore go to every such pod of the namespace, including ones added later by other teams or charts, and cannot be withdrawn from one workload without the others.',
  remediation:
    'Create a dedicated ServiceAccount for the workload that needs the permissions, set it in the pod template\'s `serviceAccountName`, and change the binding\'s subject to it. Leave the `default` service account without bindings (and with `automountServiceAccountToken: false`).',
  *check({ inventory }) {
    for (const { binding, analysed } of reviewedBindings(inventory)) {
      for (const subject of binding.subjects) {
        if (subject.kind !== 'ServiceAccount' || subject.name !== 'default') continue;
        const nsName = subject.namespace ?? 'default';
        const danger = dangerList(analysed);
        const what = danger === '' ? '' : `, including: ${danger}`;
        const where = binding.kind === 'ClusterRoleBinding' ? ' cluster-wide' : '';
        yield {
          target: binding.object,
          path: subjectPath(subject),
          message: `${bindingLabel(binding)} grants ${roleRefLabel(binding)} to ServiceAccount ${nsName}/default${where}: every pod of namespace "${nsName}" without a serviceAccountName gets it${what}`,
        };
      }
    }
  },
});
