import { defineRule } from '../../../engine/rule.js';
import { accountKey, automount, serviceAccountIndex, serviceAccountOf } from '../service-accounts.js';
import { completeWorkloads } from '../fragments.js';

export const rule = defineRule({
  id: 'automount-service-account-token',
  title: 'ServiceAccount token auto-mounted',
  severity: 'low',
  target: 'inventory',
  controls: ['ACC-3'],
  frameworks: { cis: ['5.1.6'], nsa: ['Protecting Pod service account tokens'], kubescape: ['C-0034', 'C-0190'] },
  description:
    'Unless told otherwise Kubernetes mounts an API token of the pod\'s ServiceAccount into every container. Most applications never call the Kubernetes API, yet anyone who gets code execution or a file-read bug in them can take the token and act as the ServiceAccount, with whatever RBAC grants it now or later. Effective value: the pod\'s `automountServiceAccountToken`, else the ServiceAccount\'s when the input has it, else true. Not reported when the pod or its ServiceAccount sets the field to true (a deliberate choice), or when a RoleBinding or ClusterRoleBinding of the input grants the pod\'s own (non-default) ServiceAccount something, since the workload then evidently uses the API; whether that grant is too broad is for the RBAC rules to judge. Incomplete objects that only patch a base elsewhere (a pod template without containers or with a container without an image, as in Kustomize strategic-merge patches) are not checked, since a field they leave out may be set in the base.',
  remediation:
    'Set `automountServiceAccountToken: false` on the pod spec, or on its ServiceAccount so that every pod using it inherits it. A workload that needs the API only sometimes can mount a projected serviceAccountToken volume with a short `expirationSeconds` instead.',
  *check({ inventory }) {
    const index = serviceAccountIndex(inventory);
    for (const workload of completeWorkloads(inventory)) {
      const { spec, specPath } = workload.pod;
      const account = serviceAccountOf(spec, specPath);
      const key = accountKey(workload.namespace, account.name);
      const object = index.accounts.get(key);
      const token = automount(spec, object);
      if (!token.mounted || token.by !== 'default') continue;
      if (account.name !== 'default' && index.bound.has(key)) continue;
      yield {
        target: workload.loaded,
        path: specPath,
        message: `pod gets an API token of ServiceAccount "${account.name}" mounted automatically: automountServiceAccountToken is not set on the pod${object === undefined ? '' : ' nor on the ServiceAccount'}${account.name === 'default' ? '' : ', and no RoleBinding or ClusterRoleBinding in the input grants that ServiceAccount anything'}`,
      };
    }
  },
});
