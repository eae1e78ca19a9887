import { defineRule } from '../../../engine/rule.js';
import { asArray, asObject, asString } from '../../../k8s/object.js';
import { POD_BEARING_KINDS } from '../../../k8s/pod.js';
import type { Path } from '../../../types.js';

const SHOWN = 3;

/**
 * Loopback and unspecified addresses keep the traffic inside the pod or drop it (a sinkhole for
 * telemetry, a name for a sidecar): no name can be redirected to another host through them.
 */
function local(ip: string): boolean {
  if (/^127(\.\d{1,3}){3}$/.test(ip) || ip === '0.0.0.0') return true;
  const v6 = ip.toLowerCase();
  if (v6.startsWith('::ffff:')) return local(v6.slice(7));
  // Leading zeros of each group dropped: 0000:…:0001 and 0:…:1 are the same address.
  const compact = v6.replace(/(^|:)0+(?=[0-9a-f])/g, '$1');
  return compact === '::1' || compact === '::' || compact === '0:0:0:0:0:0:0:1' || compact === '0:0:0:0:0:0:0:0';
}

export const rule = defineRule({
  id: 'host-aliases',
  title: 'Pod overrides name resolution with hostAliases',
  severity: 'low',
  target: 'pod',
  kinds: POD_BEARING_KINDS,
  controls: ['NET-1', 'DEP-1'],
  description:
    'The kubelet writes every `hostAliases` entry into the /etc/hosts file of each container of the pod, and the resolver reads /etc/hosts before it asks DNS. A manifest change that maps a name to another address therefore redirects the pod\'s traffic without touching DNS: a registry, the API server\'s name, an identity provider or a payment endpoint can be pointed at a host that collects credentials or serves altered responses (TLS with certificate verification is the only defence left). The override is invisible to DNS logging and audit, and bypasses egress controls written for names (FQDN network policies, DNS-based firewalls), which see only the name the pod asks for. Legitimate uses exist (a legacy service without DNS), but names belong in DNS, where they are managed, logged and the same for every client. Entries that map names only to loopback or unspecified addresses (127.0.0.0/8, ::1, 0.0.0.0, ::) are not reported: they keep the traffic inside the pod or drop it.',
  remediation:
    'Remove `spec.hostAliases` and publish the names in DNS: a Service (an `ExternalName` Service, or a selector-less Service with an EndpointSlice for an external address), a CoreDNS `hosts` or `rewrite` entry managed by the cluster administrators, or the organisation\'s DNS. If an entry must stay, document why next to it and make sure the clients verify TLS certificates for that name.',
  *check({ spec, specPath }) {
    const entries = asArray(spec['hostAliases']);
    const mappings: string[] = [];
    const paths: Path[] = [];
    for (let i = 0; i < entries.length; i++) {
      const entry = asObject(entries[i]);
      const ip = asString(entry?.['ip']) ?? '';
      const names = asArray(entry?.['hostnames']).flatMap((h) => (typeof h === 'string' && h !== '' ? [JSON.stringify(h)] : []));
      if (names.length === 0 || local(ip.trim())) continue;
      mappings.push(`${names.join(', ')} to ${ip === '' ? 'an empty address' : ip}`);
      paths.push([...specPath, 'hostAliases', i]);
    }
    const [first, ...others] = paths;
    if (first === undefined) return;
    const shown = mappings.slice(0, SHOWN).join('; ') + (mappings.length > SHOWN ? `; and ${mappings.length - SHOWN} more` : '');
    const violation = { path: first, message: `pod sets hostAliases: the /etc/hosts file of every container maps ${shown}, ahead of DNS` };
    yield others.length > 0 ? { ...violation, paths: others } : violation;
  },
});
