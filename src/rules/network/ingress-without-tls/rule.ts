import { defineRule } from '../../../engine/rule.js';
import { asArray, asObject, asString } from '../../../k8s/object.js';
import type { JsonObject, JsonValue } from '../../../types.js';

/** Annotations with which cloud ingress controllers terminate TLS without `spec.tls`. */
function tlsByAnnotation(annotations: JsonObject): boolean {
  const has = (key: string): boolean => (asString(annotations[key]) ?? '').trim() !== '';
  if (has('alb.ingress.kubernetes.io/certificate-arn')) return true;
  if (/HTTPS/i.test(asString(annotations['alb.ingress.kubernetes.io/listen-ports']) ?? '') && !/"HTTP"/i.test(asString(annotations['alb.ingress.kubernetes.io/listen-ports']) ?? '')) return true;
  if (has('networking.gke.io/managed-certificates') || has('ingress.gcp.kubernetes.io/pre-shared-cert')) return true;
  if (has('appgw.ingress.kubernetes.io/appgw-ssl-certificate')) return true;
  // GCE: no HTTP frontend at all.
  return asString(annotations['kubernetes.io/ingress.allow-http'])?.trim().toLowerCase() === 'false';
}

/**
 * Whether some TLS host covers a rule host: the same name, or `*.example.com` for a host one DNS
 * label below example.com (a wildcard stands for exactly one label). Looked up in sets: testing
 * every TLS host for every rule host is quadratic in an Ingress of thousands of hosts.
 */
function tlsCover(tlsHosts: readonly string[]): (host: string) => boolean {
  const exact = new Set(tlsHosts);
  const wildcards = new Set(tlsHosts.filter((t) => t.startsWith('*.')).map((t) => t.slice(1)));
  return (host) => {
    if (exact.has(host)) return true;
    const dot = host.indexOf('.');
    return dot > 0 && wildcards.has(host.slice(dot)) && !host.startsWith('*.');
  };
}

/** The host of an Ingress rule, lower-cased: '' for a rule without one (a catch-all), undefined for a rule or host of the wrong type. */
function hostOf(raw: JsonValue | undefined): string | undefined {
  const rule = asObject(raw);
  if (rule === undefined) return undefined;
  const host = rule['host'];
  if (host === undefined || host === null) return '';
  return typeof host === 'string' ? host.toLowerCase() : undefined;
}

export const rule = defineRule({
  id: 'ingress-without-tls',
  title: 'Ingress serves hosts without TLS',
  severity: 'medium',
  target: 'object',
  kinds: ['Ingress'],
  controls: ['NET-1', 'ACC-4'],
  frameworks: {
    nsa: ['Network separation and hardening'],
    kubescape: ['C-0263'],
  },
  description:
    'An Ingress publishes Services outside the cluster. Hosts that no `spec.tls` entry covers are served over plain HTTP, so passwords, session cookies and API tokens cross the network in clear text and can be read or altered by anyone on the path (public Wi-Fi, a compromised router, the cloud network). An Ingress without `spec.tls` serves all its hosts this way; one whose `tls[].hosts` miss a host in `rules[].host` serves that host without TLS (or with a certificate that does not match it), and a rule without `host` (a catch-all, matching every Host header and the bare address) or a `spec.defaultBackend` (which answers every request no rule matches) is served over plain HTTP unless a `tls` entry without `hosts` applies to every host. TLS terminated by cloud load balancers through annotations (AWS ALB certificate-arn, GKE managed or pre-shared certificates, Azure Application Gateway certificates, GCE `kubernetes.io/ingress.allow-http: "false"`) counts as TLS.',
  remediation:
    'Add a `spec.tls` entry whose `hosts` list every `spec.rules[].host` (a `*.example.com` entry covers one label below example.com) with a `secretName` holding the certificate, e.g. issued by cert-manager (`cert-manager.io/cluster-issuer` annotation), and give catch-all rules (without `host`) a host that a `tls` entry covers, or remove them and `spec.defaultBackend` (the controller\'s own default backend then answers unknown hosts); let the controller redirect HTTP to HTTPS (ingress-nginx does so by default once TLS is set).',
  *check({ object }) {
    const spec = asObject(object['spec']);
    if (spec === undefined) return;
    const metadata = asObject(object['metadata']);
    if (tlsByAnnotation(asObject(metadata?.['annotations']) ?? {})) return;
    const name = asString(metadata?.['name']) ?? '';
    const rules = asArray(spec['rules']);
    const hasBackend = asObject(spec['defaultBackend']) !== undefined || asObject(spec['backend']) !== undefined;
    if (rules.length === 0 && !hasBackend) return;
    const tls = asArray(spec['tls']).map(asObject).filter((t) => t !== undefined);
    if (tls.length === 0) {
      const named = rules.map(hostOf);
      const hosts = [...new Set(named.filter((h): h is string => h !== undefined && h !== ''))];
      const listed = hosts.length <= 3 ? hosts.join(', ') : `${hosts.slice(0, 3).join(', ')} and ${hosts.length - 3} more`;
      const catchAll = hasBackend || named.includes('');
      const served = hosts.length === 0 ? 'every host' : catchAll ? `${listed} and every other host` : listed;
      yield { path: ['spec'], message: `Ingress "${name}" serves ${served} over plain HTTP: it has no spec.tls` };
      return;
    }
    // A tls entry without hosts applies to every host the Ingress serves.
    if (tls.some((t) => asArray(t['hosts']).length === 0)) return;
    const covered = tlsCover(tls.flatMap((t) => asArray(t['hosts'])).filter((h): h is string => typeof h === 'string').map((h) => h.toLowerCase()));
    const reported = new Set<string>();
    const backend = asObject(spec['defaultBackend']) !== undefined ? 'defaultBackend' : asObject(spec['backend']) !== undefined ? 'backend' : undefined;
    // Requests that match no rule go to the default backend, whatever their Host header; a rule
    // without host, reported below, answers those first.
    if (backend !== undefined && !rules.some((raw) => hostOf(raw) === '')) {
      reported.add('');
      yield { path: ['spec', backend], message: `Ingress "${name}" serves spec.${backend} without TLS: it answers requests that match no rule over plain HTTP, for every host name no rule names (and for the bare address); the spec.tls entries cover only the hosts they list` };
    }
    for (const [i, raw] of rules.entries()) {
      const host = hostOf(raw);
      if (host === undefined || reported.has(host)) continue;
      if (host === '') {
        // A rule without host matches every request whatever its Host header; the TLS entries
        // name hosts, so requests for any other name, or for the bare address, come over plain HTTP.
        reported.add(host);
        yield { path: ['spec', 'rules', i], message: `Ingress "${name}" serves rules[${i}] without TLS: the rule has no host, so it answers over plain HTTP for every host name no other rule names (and for the bare address); the spec.tls entries cover only the hosts they list` };
        continue;
      }
      if (covered(host)) continue;
      reported.add(host);
      yield { path: ['spec', 'rules', i, 'host'], message: `Ingress "${name}" serves host ${host} without TLS: no spec.tls[].hosts entry covers it` };
    }
  },
});
