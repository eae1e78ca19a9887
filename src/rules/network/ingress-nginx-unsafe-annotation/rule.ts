import { defineRule } from '../../../engine/rule.js';
import { asObject, asString } from '../../../k8s/object.js';

const PREFIX = 'nginx.ingress.kubernetes.io/';

/** Annotations whose whole value is NGINX configuration, with the advisories that name them ('' for none). */
const SNIPPETS: ReadonlyMap<string, string> = new Map([
  ['configuration-snippet', 'CVE-2021-25742, CVE-2023-5043'],
  ['server-snippet', 'CVE-2021-25742'],
  ['auth-snippet', ''],
  ['stream-snippet', ''],
  ['modsecurity-snippet', ''],
]);

/** Annotations whose value the controller copied into nginx.conf unescaped, with their advisory. */
const INJECTABLE: ReadonlyMap<string, string> = new Map([
  ['auth-url', 'CVE-2025-24514'],
  ['auth-tls-match-cn', 'CVE-2025-1097'],
  ['mirror-target', 'CVE-2025-1098'],
  ['mirror-host', 'CVE-2025-1098'],
  ['permanent-redirect', 'CVE-2023-5044'],
]);

/**
 * Characters that end an NGINX directive or open or close a block or a string; no URL or CN
 * pattern needs them.
 */
const BREAKOUT = /[\r\n;{}"'`]/g;
/**
 * Braces that are no break-out: NGINX's `${var}` syntax, and placeholders of unrendered
 * templates (`${CLUSTER_DOMAIN}` for envsubst, `{{ .Values.host }}` in Helm charts). A template
 * placeholder holds template syntax only: no line break, `;` or quote hides inside one.
 */
const PLACEHOLDER = /\$\{[A-Za-z_][A-Za-z0-9_]*\}|\{\{-?[ \t\w.$|()-]*-?\}\}/g;

/** How a message names each break-out character. */
const CHARACTER_NAMES: Readonly<Record<string, string>> = {
  '\r': 'a line break',
  '\n': 'a line break',
  ';': 'a semicolon',
  '{': 'a brace',
  '}': 'a brace',
  '"': 'a quote',
  "'": 'a quote',
  '`': 'a backtick',
};

/** Ingress classes of controllers other than ingress-nginx, which ignore its annotations. */
const OTHER_CONTROLLER = /traefik|^alb$|^gce|haproxy|kong|contour|istio|cilium|azure|application-gateway|ambassador|emissary|openshift|skipper|apisix|gloo|citrix|pomerium|envoy|caddy|^tyk/;

/** True when the Ingress names a class that is clearly not served by ingress-nginx. */
function otherController(spec: unknown, annotations: Readonly<Record<string, unknown>>): boolean {
  const name = (asString(asObject(spec)?.['ingressClassName']) ?? asString(annotations['kubernetes.io/ingress.class']) ?? '').toLowerCase();
  return name !== '' && !name.includes('nginx') && OTHER_CONTROLLER.test(name);
}

export const rule = defineRule({
  id: 'ingress-nginx-unsafe-annotation',
  title: 'Ingress injects configuration into ingress-nginx',
  severity: 'high',
  target: 'object',
  kinds: ['Ingress'],
  controls: ['NET-1', 'ACC-2'],
  frameworks: { kubescape: ['C-0059'] },
  description:
    'ingress-nginx renders every Ingress into the nginx.conf of its controller, and the controller\'s service account can read every Secret of the cluster in the default installation. Snippet annotations (`configuration-snippet`, `server-snippet`, `auth-snippet`, `stream-snippet`, `modsecurity-snippet` under `nginx.ingress.kubernetes.io/`) insert raw NGINX configuration, Lua included: whoever can create or edit an Ingress can read the controller\'s token and files and, through the token, every Secret (CVE-2021-25742, CVE-2023-5043), and can reroute other tenants\' traffic. Controllers since v1.9 refuse snippets unless `allow-snippet-annotations` is switched on, so an Ingress that uses them is also a sign that the switch is on. Some other annotations were copied into nginx.conf without escaping: `auth-url` (CVE-2025-24514), `auth-tls-match-cn` (CVE-2025-1097), `mirror-target` and `mirror-host` (CVE-2025-1098), `permanent-redirect` (CVE-2023-5044); they are reported when their value holds a character that breaks out of the directive (a line break, `;`, `{`, `}`, a quote or a backtick). Ingresses whose class names another controller (Traefik, AWS ALB, GCE, HAProxy, Kong, Contour, Istio, Cilium...) are not checked; a controller run with another `--annotations-prefix` is not recognised.',
  remediation:
    'Replace the snippet with the dedicated annotation or ConfigMap setting (headers: the `custom-headers` annotation, or `add-headers` in the controller ConfigMap set by an administrator; redirects: `permanent-redirect`; CORS, rate limits and external auth have their own annotations), then keep `allow-snippet-annotations: "false"` and `annotations-risk-level` at `High` or lower in the controller ConfigMap. Remove line breaks, `;`, braces and quotes from URL and CN annotations, and run a controller of at least v1.11.5 or v1.12.1 with `--enable-annotation-validation`.',
  *check({ object }) {
    const annotations = asObject(asObject(object['metadata'])?.['annotations']);
    if (annotations === undefined) return;
    if (otherController(object['spec'], annotations)) return;
    const name = asString(asObject(object['metadata'])?.['name']) ?? '';
    for (const [key, raw] of Object.entries(annotations)) {
      if (!key.startsWith(PREFIX)) continue;
      const value = asString(raw);
      if (value === undefined) continue;
      const short = key.slice(PREFIX.length);
      const advisories = SNIPPETS.get(short);
      if (advisories !== undefined) {
        if (value.trim() === '') continue;
        yield {
          path: ['metadata', 'annotations', key],
          message: `Ingress "${name}" sets ${key}: raw NGINX configuration that runs in the ingress-nginx controller, which can read the controller's service-account token and through it every Secret${advisories === '' ? '' : ` (${advisories})`}`,
        };
        continue;
      }
      const advisory = INJECTABLE.get(short);
      if (advisory === undefined) continue;
      const found = new Set((value.replace(PLACEHOLDER, '').match(BREAKOUT) ?? []).map((c) => CHARACTER_NAMES[c] ?? c));
      if (found.size === 0) continue;
      yield {
        path: ['metadata', 'annotations', key],
        message: `Ingress "${name}" sets ${key} to a value with ${[...found].join(', ')}, which can inject configuration into the ingress-nginx controller (${advisory})`,
      };
    }
  },
});
