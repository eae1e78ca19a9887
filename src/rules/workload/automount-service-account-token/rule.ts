import { namespaceOf, type Inventory } from '../../../engine/inventory.js';
import { defineRule, type PatchOperation } from '../../../engine/rule.js';
import { setField } from '../../../fix/ops.js';
import { detach } from '../../../k8s/object.js';
import { POD_BEARING_KINDS } from '../../../k8s/pod.js';
import { isFragment } from '../fragments.js';
import { sharedFunction, type SharedFunctions } from '../../shared.js';
import { accountKey, isBound, serviceAccountIndex, serviceAccountOf } from '../service-accounts.js';

const MOUNTED: SharedFunctions<(inventory: Inventory) => string | null> = new WeakMap();

/**
 * The finding's message once the input is read, or null: when a binding of the input grants the
 * pod's ServiceAccount something (the `default` one included), or when the ServiceAccount sets
 * automountServiceAccountToken itself. The message says whether the ServiceAccount is in the input.
 */
function tokenMounted(namespace: string, account: string): (inventory: Inventory) => string | null {
  return (inventory) => {
    const index = serviceAccountIndex(inventory);
    const key = accountKey(namespace, account);
    const own = account !== 'default';
    if (isBound(index, namespace, account)) return null;
    const found = index.accounts.get(key);
    if (found !== undefined && typeof found['automountServiceAccountToken'] === 'boolean') return null;
    const head = `pod gets an API token of ServiceAccount "${account}" mounted automatically: automountServiceAccountToken is not set on the pod`;
    const tail = own ? ', and no RoleBinding or ClusterRoleBinding in the input grants that ServiceAccount anything' : '';
    return found === undefined ? `${head}${tail}` : `${head} nor on the ServiceAccount${tail}`;
  };
}

export const rule = defineRule({
  id: 'automount-service-account-token',
  title: 'ServiceAccount token auto-mounted',
  severity: 'low',
  target: 'pod',
  kinds: POD_BEARING_KINDS,
  context: ['ServiceAccount', 'RoleBinding', 'ClusterRoleBinding'],
  controls: ['ACC-3'],
  frameworks: { cis: ['5.1.6'], nsa: ['Protecting Pod service account tokens'], kubescape: ['C-0034', 'C-0190', 'C-0053', 'C-0261'] },
  description:
    'Unless told otherwise Kubernetes mounts an API token of the pod\'s ServiceAccount into every container. Most applications never call the Kubernetes API, yet anyone who gets code execution or a file-read bug in them can take the token and act as the ServiceAccount, with whatever RBAC grants it now or later. Effective value: the pod\'s `automountServiceAccountToken`, else the ServiceAccount\'s when the input has it, else true. Not reported when the pod or its ServiceAccount sets the field to true (a deliberate choice), or when a RoleBinding or ClusterRoleBinding of the input grants the pod\'s ServiceAccount something (as a ServiceAccount subject, as the user `system:serviceaccount:<namespace>:<name>`, or through the group `system:serviceaccounts:<namespace>`; a grant to every ServiceAccount of the cluster, `system:serviceaccounts`, says nothing about one workload and does not count), since the workload then evidently uses the API; whether that grant is too broad is for the RBAC rules to judge. A pod on the `default` ServiceAccount of a namespace where such a binding grants `default` something is left to `default-service-account`, which reports it without offering to turn its token off. Incomplete objects that only patch a base elsewhere (a pod template without containers or with a container without an image, as in Kustomize strategic-merge patches) are not checked, since a field they leave out may be set in the base.',
  remediation:
    'Set `automountServiceAccountToken: false` on the pod spec, or on its ServiceAccount so that every pod using it inherits it. A workload that needs the API only sometimes can mount a projected serviceAccountToken volume with a short `expirationSeconds` instead.',
  *check({ object, loaded, spec, specPath }, ctx) {
    // A pod that sets the field decides for itself: false mounts nothing, true is deliberate.
    if (typeof spec['automountServiceAccountToken'] === 'boolean' || isFragment(spec)) return;
    const account = serviceAccountOf(spec, specPath).name;
    const namespace = namespaceOf(loaded) ?? 'default';
    // Whether the ServiceAccount is in the input, and what it sets, is known once the input is read.
    const resolve = sharedFunction(MOUNTED, ctx, [namespace, account], () => tokenMounted(namespace, detach(account)));
    // The fix turns the mount off on the pod; a workload that calls the API with it breaks loudly.
    yield { path: specPath, message: '', resolve, fix: (): PatchOperation[] => setField(object, [...specPath, 'automountServiceAccountToken'], false) };
  },
});
