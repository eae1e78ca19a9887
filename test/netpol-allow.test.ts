/**
 * NetworkPolicy rules and peers that open pods to a whole class of peers on every port
 * (`network-policy-allow-all`), the default deny they cancel (`namespace-default-deny-ingress`,
 * `namespace-default-deny-egress`), and Ingress catch-all rules served without TLS
 * (`ingress-without-tls`): the exact messages and paths.
 */
import { describe, expect, it } from 'vitest';
import { scanTexts } from '../src/engine/scan.js';
import { RULES } from '../src/rules/index.js';

const ALLOW_ALL = 'network-policy-allow-all';
const DENY_INGRESS = 'namespace-default-deny-ingress';
const DENY_EGRESS = 'namespace-default-deny-egress';

/** The findings of the named rules on one YAML text, as `ruleId path: message`. */
function findings(text: string, ids: readonly string[]): string[] {
  const report = scanTexts([{ file: 'in.yaml', text }], { rules: RULES.filter((r) => ids.includes(r.id)) });
  expect(report.errors).toEqual([]);
  return report.findings.map((f) => `${f.ruleId} ${f.path}: ${f.message}`);
}

const NAMESPACE = 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n';
const DENY_ALL = 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny-all, namespace: shop}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n';

/** A NetworkPolicy of namespace shop with this spec (flow style, indented by two). */
const policy = (name: string, spec: string): string => `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: ${name}, namespace: shop}\nspec:\n${spec}\n`;

/** The namespace, its deny-all and one more policy. */
const namespaceWith = (name: string, spec: string): string => [NAMESPACE, DENY_ALL, policy(name, spec)].join('---\n');

describe('select-all policies that cancel a default deny', () => {
  const allowCluster = namespaceWith('allow-cluster', '  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {}}]}]\n  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0}}]}]');

  it('reports an ingress namespaceSelector: {} peer (every pod of every namespace, no outside source) and an egress ipBlock 0.0.0.0/0 (the metadata endpoint included)', () => {
    expect(findings(allowCluster, [ALLOW_ALL, DENY_INGRESS, DENY_EGRESS])).toEqual([
      `${DENY_EGRESS} metadata.name: NetworkPolicy "allow-cluster" selects every pod of namespace "shop" and its egress[0].to[0] peer allows 0.0.0.0/0 on every port (any IPv4 address, including the cloud metadata endpoint 169.254.169.254 and the internet), which cancels any default deny egress`,
      `${DENY_INGRESS} metadata.name: NetworkPolicy "allow-cluster" selects every pod of namespace "shop" and its ingress[0].from[0] peer (namespaceSelector: {}) allows every pod of every namespace on every port, which cancels any default deny ingress for traffic from inside the cluster (the peer admits no source outside it)`,
      `${ALLOW_ALL} spec.ingress[0].from[0].namespaceSelector: NetworkPolicy "allow-cluster" ingress[0] allows namespaceSelector: {} on every port: any pod of any namespace may connect to every pod of namespace "shop" (the peer admits no source outside the cluster)`,
      `${ALLOW_ALL} spec.egress[0].to[0].ipBlock.cidr: NetworkPolicy "allow-cluster" egress[0] allows 0.0.0.0/0 on every port: every pod of namespace "shop" may connect to any IPv4 address, including the cloud metadata endpoint 169.254.169.254 and the internet`,
    ]);
  });

  it('says what an except of the metadata address still allows', () => {
    const text = namespaceWith('allow-internet', '  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [169.254.0.0/16, 10.0.0.0/8]}}]}]');
    expect(findings(text, [ALLOW_ALL, DENY_EGRESS])).toEqual([
      `${DENY_EGRESS} metadata.name: NetworkPolicy "allow-internet" selects every pod of namespace "shop" and its egress[0].to[0] peer allows 0.0.0.0/0 except 169.254.0.0/16, 10.0.0.0/8 on every port (any IPv4 address outside the excepted ranges, the internet included, but not the cloud metadata endpoint 169.254.169.254), which cancels any default deny egress`,
      `${ALLOW_ALL} spec.egress[0].to[0].ipBlock.cidr: NetworkPolicy "allow-internet" egress[0] allows 0.0.0.0/0 except 169.254.0.0/16, 10.0.0.0/8 on every port: every pod of namespace "shop" may connect to any IPv4 address outside the excepted ranges, the internet included, but not the cloud metadata endpoint 169.254.169.254`,
    ]);
  });

  it('keeps the metadata endpoint in when the except ranges miss it, and names IPv6 by its family', () => {
    const text = namespaceWith('allow-world', '  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]}, {to: [{ipBlock: {cidr: "::/0"}}]}]');
    expect(findings(text, [ALLOW_ALL])).toEqual([
      `${ALLOW_ALL} spec.egress[0].to[0].ipBlock.cidr: NetworkPolicy "allow-world" egress[0] allows 0.0.0.0/0 except 10.0.0.0/8 on every port: every pod of namespace "shop" may connect to any IPv4 address outside the excepted ranges, including the cloud metadata endpoint 169.254.169.254 and the internet`,
      `${ALLOW_ALL} spec.egress[1].to[0].ipBlock.cidr: NetworkPolicy "allow-world" egress[1] allows ::/0 on every port: every pod of namespace "shop" may connect to any IPv6 address, including EC2's IPv6 metadata endpoint fd00:ec2::254 and the internet`,
    ]);
  });

  it('says whether an IPv6 block keeps EC2\'s IPv6 metadata endpoint', () => {
    const text = namespaceWith('allow-v6', '  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{to: [{ipBlock: {cidr: "::/0", except: ["fd00:ec2::254/128"]}}]}, {to: [{ipBlock: {cidr: "::/0", except: ["fd00::/8", "2001:db8::/32"]}}]}, {to: [{ipBlock: {cidr: "::/0", except: ["fe80::/10", "::ffff:169.254.169.254/128"]}}]}]');
    expect(findings(text, [ALLOW_ALL]).map((f) => f.slice(f.indexOf('may connect')))).toEqual([
      'may connect to any IPv6 address outside the excepted ranges, the internet included, but not EC2\'s IPv6 metadata endpoint fd00:ec2::254',
      'may connect to any IPv6 address outside the excepted ranges, the internet included, but not EC2\'s IPv6 metadata endpoint fd00:ec2::254',
      'may connect to any IPv6 address outside the excepted ranges, including EC2\'s IPv6 metadata endpoint fd00:ec2::254 and the internet',
    ]);
  });

  it('names the IPv4 block of a rule that lists both families, and the widest opening in the default-deny message', () => {
    const text = namespaceWith('allow-world', '  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{to: [{ipBlock: {cidr: "::/0"}}, {ipBlock: {cidr: 0.0.0.0/0}}]}]');
    expect(findings(text, [ALLOW_ALL, DENY_EGRESS])).toEqual([
      `${DENY_EGRESS} metadata.name: NetworkPolicy "allow-world" selects every pod of namespace "shop" and its egress[0].to[1] peer allows 0.0.0.0/0 on every port (any IPv4 address, including the cloud metadata endpoint 169.254.169.254 and the internet), which cancels any default deny egress`,
      `${ALLOW_ALL} spec.egress[0].to[0].ipBlock.cidr: NetworkPolicy "allow-world" egress[0] allows ::/0 on every port: every pod of namespace "shop" may connect to any IPv6 address, including EC2's IPv6 metadata endpoint fd00:ec2::254 and the internet`,
      `${ALLOW_ALL} spec.egress[0].to[1].ipBlock.cidr: NetworkPolicy "allow-world" egress[0] allows 0.0.0.0/0 on every port: every pod of namespace "shop" may connect to any IPv4 address, including the cloud metadata endpoint 169.254.169.254 and the internet`,
    ]);
  });

  it('keeps the messages of rules without peers', () => {
    const text = namespaceWith('allow-all', '  podSelector: {}\n  ingress: [{}]\n  egress: [{}]');
    expect(findings(text, [ALLOW_ALL, DENY_INGRESS, DENY_EGRESS])).toEqual([
      `${DENY_EGRESS} metadata.name: NetworkPolicy "allow-all" selects every pod of namespace "shop" and its egress[0] rule allows every destination on every port, which cancels any default deny egress`,
      `${DENY_INGRESS} metadata.name: NetworkPolicy "allow-all" selects every pod of namespace "shop" and its ingress[0] rule allows every source on every port, which cancels any default deny ingress`,
      `${ALLOW_ALL} spec.ingress[0]: NetworkPolicy "allow-all" ingress[0] has neither from nor ports: it allows every source on every port to every pod of namespace "shop"`,
      `${ALLOW_ALL} spec.egress[0]: NetworkPolicy "allow-all" egress[0] has neither to nor ports: it allows every pod of namespace "shop" to connect on every port to every destination, including the cloud metadata endpoint and the internet`,
    ]);
  });

  it('reports an ingress ipBlock of every address on a select-all policy as a cancelled default deny', () => {
    const text = namespaceWith('allow-world', '  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]}]');
    expect(findings(text, [ALLOW_ALL, DENY_INGRESS])).toEqual([
      `${DENY_INGRESS} metadata.name: NetworkPolicy "allow-world" selects every pod of namespace "shop" and its ingress[0].from[0] peer allows 0.0.0.0/0 except 10.0.0.0/8 on every port (any address outside the excepted ranges may connect), which cancels any default deny ingress`,
      `${ALLOW_ALL} spec.ingress[0].from[0].ipBlock.cidr: NetworkPolicy "allow-world" ingress[0] allows 0.0.0.0/0 except 10.0.0.0/8 on every port: any address outside the excepted ranges may connect to every pod of namespace "shop"`,
    ]);
  });

  it.each([
    ['a rule that lists ports', '  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {}}], ports: [{port: 8080}]}]\n  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{port: 443}]}]'],
    ['namespaceSelector: {} with a podSelector', '  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: prometheus}}}]}]'],
    ['a namespaceSelector with labels', '  podSelector: {}\n  ingress: [{from: [{namespaceSelector: {matchLabels: {team: shop}}}]}]'],
    ['podSelector: {} alone (the own namespace)', '  podSelector: {}\n  ingress: [{from: [{podSelector: {}}]}]'],
    ['egress to every pod of the cluster', '  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{to: [{namespaceSelector: {}}]}]'],
    ['an except wider than /8', '  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [0.0.0.0/1, 128.0.0.0/1]}}]}]'],
    ['a CIDR narrower than every address', '  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{to: [{ipBlock: {cidr: 203.0.113.0/24}}]}]'],
    ['rules of a direction not in policyTypes', '  podSelector: {}\n  policyTypes: [Ingress]\n  egress: [{}]'],
  ])('does not report %s', (_name, spec) => {
    expect(findings(namespaceWith('scoped', spec), [ALLOW_ALL, DENY_INGRESS, DENY_EGRESS])).toEqual([]);
  });

  it('judges egress only on select-all policies: a workload may be allowed every destination', () => {
    const text = policy('grafana', '  podSelector: {matchLabels: {app: grafana}}\n  policyTypes: [Ingress, Egress]\n  egress: [{}, {to: [{ipBlock: {cidr: 0.0.0.0/0}}]}]\n  ingress: [{from: [{namespaceSelector: {}}]}]');
    expect(findings(text, [ALLOW_ALL])).toEqual([
      `${ALLOW_ALL} spec.ingress[0].from[0].namespaceSelector: NetworkPolicy "grafana" ingress[0] allows namespaceSelector: {} on every port: any pod of any namespace may connect to the pods matching app=grafana (the peer admits no source outside the cluster)`,
    ]);
  });
});

describe('Ingress catch-all rules', () => {
  const ingress = (spec: string): string => `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: shop}\nspec:\n${spec}\n`;
  const backend = '{paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}';

  it('reports a rule without host when spec.tls lists hosts', () => {
    const text = ingress(`  tls: [{hosts: [shop.example.com], secretName: shop-tls}]\n  rules:\n    - {host: shop.example.com, http: ${backend}}\n    - {http: ${backend}}\n    - {host: "", http: ${backend}}`);
    expect(findings(text, ['ingress-without-tls'])).toEqual([
      'ingress-without-tls spec.rules[1]: Ingress "web" serves rules[1] without TLS: the rule has no host, so it answers over plain HTTP for every host name no other rule names (and for the bare address); the spec.tls entries cover only the hosts they list',
    ]);
  });

  it('reports a default backend when spec.tls lists hosts, unless a rule without host answers first', () => {
    const service = '{service: {name: fallback, port: {number: 80}}}';
    const text = ingress(`  defaultBackend: ${service}\n  tls: [{hosts: [shop.example.com], secretName: shop-tls}]\n  rules:\n    - {host: shop.example.com, http: ${backend}}`);
    expect(findings(text, ['ingress-without-tls'])).toEqual([
      'ingress-without-tls spec.defaultBackend: Ingress "web" serves spec.defaultBackend without TLS: it answers requests that match no rule over plain HTTP, for every host name no rule names (and for the bare address); the spec.tls entries cover only the hosts they list',
    ]);
    // A rule without host answers those requests first: it is what is reported.
    expect(findings(`${text}    - {http: ${backend}}\n`, ['ingress-without-tls'])).toEqual([
      'ingress-without-tls spec.rules[1]: Ingress "web" serves rules[1] without TLS: the rule has no host, so it answers over plain HTTP for every host name no other rule names (and for the bare address); the spec.tls entries cover only the hosts they list',
    ]);
    // extensions/v1beta1 named it spec.backend.
    expect(findings(ingress(`  backend: {serviceName: fallback, servicePort: 80}\n  tls: [{hosts: [shop.example.com]}]`), ['ingress-without-tls'])).toEqual([
      'ingress-without-tls spec.backend: Ingress "web" serves spec.backend without TLS: it answers requests that match no rule over plain HTTP, for every host name no rule names (and for the bare address); the spec.tls entries cover only the hosts they list',
    ]);
    expect(findings(ingress(`  defaultBackend: ${service}\n  tls: [{hosts: [shop.example.com]}, {secretName: default-tls}]`), ['ingress-without-tls'])).toEqual([]);
  });

  it('does not report it when a tls entry without hosts applies to every host', () => {
    const text = ingress(`  tls: [{hosts: [shop.example.com], secretName: shop-tls}, {secretName: default-tls}]\n  rules:\n    - {http: ${backend}}`);
    expect(findings(text, ['ingress-without-tls'])).toEqual([]);
  });

  it('names every other host when an Ingress without tls has a catch-all', () => {
    const text = ingress(`  rules:\n    - {host: shop.example.com, http: ${backend}}\n    - {http: ${backend}}`);
    expect(findings(text, ['ingress-without-tls'])).toEqual(['ingress-without-tls spec: Ingress "web" serves shop.example.com and every other host over plain HTTP: it has no spec.tls']);
  });
});
