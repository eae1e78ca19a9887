import { defineRule } from '../../../engine/rule.js';
import { asObject, asString } from '../../../k8s/object.js';
import { formatSelector, parseSelectorMap, type LabelSelector } from '../../../k8s/selectors.js';
import type { LoadedObject } from '../../../load/types.js';
import type { JsonObject, Path } from '../../../types.js';

type Mode = 'STRICT' | 'PERMISSIVE' | 'DISABLE' | 'UNSET';
type Scope = 'mesh' | 'namespace' | 'workload';

interface PeerAuthentication {
  loaded: LoadedObject;
  name: string;
  namespace: string;
  scope: Scope;
  selector: LabelSelector;
  mode: Mode;
  /** Where the mode is, or where it would be added. */
  modePath: Path;
}

const MODES: ReadonlySet<string> = new Set(['STRICT', 'PERMISSIVE', 'DISABLE', 'UNSET']);

function isPeerAuthentication(object: JsonObject): boolean {
  const apiVersion = asString(object['apiVersion']) ?? '';
  return apiVersion === '' || apiVersion.startsWith('security.istio.io/');
}

function parse(loaded: LoadedObject, namespace: string, root: string): PeerAuthentication | undefined {
  const spec = asObject(loaded.object['spec']);
  const mtls = asObject(spec?.['mtls']);
  const raw = asString(mtls?.['mode']);
  const mode = raw === undefined ? 'UNSET' : raw.toUpperCase();
  // Istio rejects unknown modes: such an object never takes effect.
  if (!MODES.has(mode)) return undefined;
  // Istio's WorkloadSelector has matchLabels only; none (or none with labels) means the whole namespace.
  const selector = parseSelectorMap(asObject(spec?.['selector'])?.['matchLabels'], 'everything');
  if (selector.nothing) return undefined;
  const scope: Scope = !selector.everything ? 'workload' : namespace === root ? 'mesh' : 'namespace';
  const modePath: Path = raw !== undefined ? ['spec', 'mtls', 'mode'] : mtls !== undefined ? ['spec', 'mtls'] : spec !== undefined ? ['spec'] : ['metadata', 'name'];
  return { loaded, name: loaded.ref.name, namespace, scope, selector, mode: mode as Mode, modePath };
}

function scopeText(pa: PeerAuthentication): string {
  if (pa.scope === 'mesh') return `mesh-wide PeerAuthentication "${pa.name}"`;
  if (pa.scope === 'namespace') return `PeerAuthentication "${pa.name}" for namespace "${pa.namespace}"`;
  return `PeerAuthentication "${pa.name}" for workloads matching ${formatSelector(pa.selector)} in namespace "${pa.namespace}"`;
}

function effect(mode: Mode): string {
  return mode === 'DISABLE' ? 'mutual TLS is off and traffic is plaintext' : 'plaintext connections are accepted alongside mutual TLS';
}

/** The label that puts a namespace in the mesh, if any. */
function meshLabel(labels: JsonObject): string | undefined {
  if (asString(labels['istio-injection']) === 'enabled') return 'istio-injection';
  if (asString(labels['istio.io/rev']) !== undefined) return 'istio.io/rev';
  if (asString(labels['istio.io/dataplane-mode']) === 'ambient') return 'istio.io/dataplane-mode';
  return undefined;
}

export const rule = defineRule({
  id: 'mesh-mtls-not-strict',
  title: 'Istio mutual TLS not STRICT',
  severity: 'medium',
  target: 'inventory',
  context: ['PeerAuthentication', 'Namespace'],
  controls: ['NET-2', 'DEV-1'],
  frameworks: {
    nsa: ['Encryption'],
  },
  options: {
    /** Istio's root namespace: its PeerAuthentication without selector applies to the whole mesh. */
    rootNamespace: 'istio-system',
  },
  description:
    'A service mesh encrypts and authenticates pod-to-pod traffic only where PeerAuthentication is STRICT. PERMISSIVE (Istio\'s default, and the effect of a mesh-wide policy whose mode is unset) also accepts plaintext, so an attacker inside the cluster can call services without a workload identity, bypassing AuthorizationPolicies based on principals; DISABLE turns mutual TLS off. Policies apply by precedence: a workload policy (with `selector`) over the namespace policy (no selector) over the mesh-wide policy (no selector, in the root namespace `istio-system`); mode UNSET inherits from the next level; `portLevelMtls` overrides single ports and applies only with a selector. mamori reports each policy that sets PERMISSIVE or DISABLE, a mesh-wide policy left UNSET, ports weakened by portLevelMtls, and meshed namespaces (label `istio-injection=enabled`, `istio.io/rev` or `istio.io/dataplane-mode=ambient`) that inherit the PERMISSIVE default when the input holds the root namespace but no mesh-wide policy. Nothing is reported unless the input has PeerAuthentication objects.',
  remediation:
    'Set `spec.mtls.mode: STRICT` on the mesh-wide PeerAuthentication in `istio-system` (no selector), remove PERMISSIVE or DISABLE namespace and workload policies once clients have sidecars, and delete `portLevelMtls` entries that relax ports. During migration, keep PERMISSIVE only on the workloads that still receive plaintext, with a selector, and track it with an exception that expires.',
  *check({ inventory }, { options }) {
    const objects = inventory.byKind('PeerAuthentication').filter((o) => isPeerAuthentication(o.object));
    if (objects.length === 0) return;
    const root = typeof options['rootNamespace'] === 'string' ? options['rootNamespace'] : 'istio-system';
    const policies: PeerAuthentication[] = [];
    for (const loaded of objects) {
      const pa = parse(loaded, inventory.namespaceOf(loaded) ?? 'default', root);
      if (pa !== undefined) policies.push(pa);
    }
    const mesh = policies.filter((p) => p.scope === 'mesh');
    const namespaced = new Set(policies.filter((p) => p.scope === 'namespace').map((p) => p.namespace));
    // Inheritance from the mesh level can be judged only when the mesh configuration (the root namespace) is in the input.
    const meshDefault = mesh.length === 0 && (inventory.namespace(root) !== undefined || inventory.hasObjectsIn(root));
    for (const pa of policies) {
      if (pa.mode === 'PERMISSIVE' || pa.mode === 'DISABLE') {
        yield { target: pa.loaded, path: pa.modePath, message: `${scopeText(pa)} sets mTLS mode ${pa.mode}: ${effect(pa.mode)}` };
      } else if (pa.mode === 'UNSET' && pa.scope === 'mesh') {
        yield { target: pa.loaded, path: pa.modePath, message: `${scopeText(pa)} leaves the mTLS mode unset, so Istio's default PERMISSIVE applies to the mesh: ${effect('PERMISSIVE')}` };
      } else if (pa.mode === 'UNSET' && pa.scope === 'namespace' && meshDefault) {
        yield { target: pa.loaded, path: pa.modePath, message: `${scopeText(pa)} leaves the mTLS mode unset and "${root}" has no mesh-wide PeerAuthentication, so Istio's default PERMISSIVE applies: ${effect('PERMISSIVE')}` };
      }
      if (pa.scope !== 'workload') continue;
      const ports = asObject(asObject(pa.loaded.object['spec'])?.['portLevelMtls']);
      for (const [port, value] of Object.entries(ports ?? {})) {
        const mode = asString(asObject(value)?.['mode'])?.toUpperCase();
        if (mode !== 'PERMISSIVE' && mode !== 'DISABLE') continue;
        yield { target: pa.loaded, path: ['spec', 'portLevelMtls', port, 'mode'], message: `${scopeText(pa)} sets mTLS mode ${mode} on port ${port}: on that port ${effect(mode)}` };
      }
    }
    if (!meshDefault) return;
    for (const ns of inventory.byKind('Namespace')) {
      const name = ns.ref.name;
      if (name === root || namespaced.has(name)) continue;
      const labels = asObject(asObject(ns.object['metadata'])?.['labels']) ?? {};
      const label = meshLabel(labels);
      if (label === undefined) continue;
      yield {
        target: ns,
        path: ['metadata', 'labels', label],
        message: `namespace "${name}" is in the mesh (label ${label}) but neither a PeerAuthentication of its own nor a mesh-wide one in "${root}" sets STRICT: Istio's default PERMISSIVE applies, ${effect('PERMISSIVE')}`,
      };
    }
  },
});
