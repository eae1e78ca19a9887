import { namespaceOf, type Inventory } from '../../../engine/inventory.js';
import { defineRule, type Violation } from '../../../engine/rule.js';
import { parseImageReference, registryMatcher, stringList } from '../../../k8s/image.js';
import { asString, detach } from '../../../k8s/object.js';
import { containersOf, POD_BEARING_KINDS } from '../../../k8s/pod.js';
import type { LoadedObject } from '../../../load/types.js';
import type { Path } from '../../../types.js';
import { containerLabel, namesSome } from '../common.js';

const SERVICE_ACCOUNTS = Symbol('image-pull-secrets:service-accounts');

/** ServiceAccounts of the input by `namespace\0name`, built once per inventory. */
function serviceAccounts(inventory: Inventory): Map<string, LoadedObject> {
  return inventory.memo(SERVICE_ACCOUNTS, () => {
    const map = new Map<string, LoadedObject>();
    for (const sa of inventory.byKind('ServiceAccount')) {
      const key = `${inventory.namespaceOf(sa) ?? 'default'}\u0000${sa.ref.name}`;
      if (!map.has(key)) map.set(key, sa);
    }
    return map;
  });
}

export const rule = defineRule({
  id: 'image-pull-secrets',
  title: 'Private registry image without pull credentials',
  severity: 'medium',
  target: 'pod',
  kinds: POD_BEARING_KINDS,
  context: ['ServiceAccount', 'Namespace'],
  controls: ['DIST-6'],
  description:
    'A pod that pulls from a private registry needs credentials of its own: `imagePullSecrets` on the pod or on its ServiceAccount. Without them it starts only because a node already cached the image (pulled earlier with someone else\'s credentials, which `IfNotPresent` never rechecks) or because the node itself holds registry credentials that every pod on it then shares; either way the registry cannot tell who pulled what, and access to the artifacts is not restricted per workload. The rule does nothing until `privateRegistries` lists registries (same pattern syntax as `image-registry`); list only registries that need pod-level credentials, not those that nodes authenticate to with a kubelet credential provider (ECR, Artifact Registry, ACR). A pod is reported when neither it nor its ServiceAccount has `imagePullSecrets` and that ServiceAccount is in the input, or it is the `default` ServiceAccount of a namespace whose Namespace object is in the input (Kubernetes creates it without pull secrets). A ServiceAccount that is not in the input may have pull secrets in the cluster, so pods using one are not reported.',
  remediation:
    'Create a `kubernetes.io/dockerconfigjson` Secret for the registry in the pod\'s namespace and reference it from the pod (`spec.imagePullSecrets: [{ name: registry-credentials }]`) or from its ServiceAccount (`imagePullSecrets` of the ServiceAccount), and keep `imagePullPolicy: Always` where cached images must not be reused without credentials.',
  options: { privateRegistries: [] },
  *check({ loaded, spec, specPath }, ctx) {
    const registries = stringList(ctx.options['privateRegistries']);
    if (registries.length === 0) return;
    if (namesSome(spec['imagePullSecrets'])) return;
    const matcher = registryMatcher(registries);
    const paths: Path[] = [];
    let first = '';
    let registry = '';
    for (const c of containersOf(spec, specPath)) {
      const image = asString(c.container['image']);
      if (image === undefined) continue;
      const parsed = parseImageReference(image);
      const matched = parsed.ok ? matcher.match(parsed.ref) : undefined;
      if (matched === undefined) continue;
      if (paths.length === 0) [first, registry] = [`${containerLabel(c.field, c.name, c.index)} image ${JSON.stringify(image)}`, matched];
      paths.push([...c.path, 'image']);
    }
    if (paths.length === 0) return;
    const namespace = detach(namespaceOf(loaded) ?? 'default');
    const written = asString(spec['serviceAccountName']) || asString(spec['serviceAccount']) || '';
    const saName = detach(written === '' ? 'default' : written);
    const key = `${namespace}\u0000${saName}`;
    const more = paths.length > 1 ? ` (and ${paths.length - 1} more container${paths.length > 2 ? 's' : ''})` : '';
    const found = `${first}${more} is pulled from the private registry ${JSON.stringify(registry)}, but the pod has no imagePullSecrets and`;
    // Decided once the ServiceAccounts and Namespaces of the whole input are known: at most one of these is kept.
    const violations: Violation[] = [
      {
        path: paths[0] ?? specPath,
        message: `${found} its ServiceAccount ${JSON.stringify(saName)} has none either`,
        unless: (inventory) => {
          const sa = serviceAccounts(inventory).get(key);
          return sa === undefined || namesSome(sa.object['imagePullSecrets']);
        },
      },
    ];
    if (saName === 'default') {
      violations.push({
        path: paths[0] ?? specPath,
        message: `${found} it runs as the "default" ServiceAccount of namespace ${JSON.stringify(namespace)}, which Kubernetes creates without pull secrets`,
        unless: (inventory) => serviceAccounts(inventory).has(key) || inventory.namespace(namespace) === undefined,
      });
    }
    for (const violation of violations) {
      if (paths.length > 1) violation.paths = paths.slice(1);
      yield violation;
    }
  },
});
