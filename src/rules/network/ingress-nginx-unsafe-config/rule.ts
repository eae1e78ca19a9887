import { defineRule, type Violation } from '../../../engine/rule.js';
import { asObject, asString, detach } from '../../../k8s/object.js';
import type { JsonObject } from '../../../types.js';

const ALLOW_SNIPPETS = 'allow-snippet-annotations';
const RISK_LEVEL = 'annotations-risk-level';

/** ConfigMap names of the official chart and manifests (`<release>-ingress-nginx-controller`) and of Bitnami's chart. */
const CONTROLLER_NAME = /(?:ingress-nginx|nginx-ingress)-controller$/;

/** How the controller parses a bool setting (Go's strconv.ParseBool, true side). */
function isTrue(value: unknown): boolean {
  return value === true || (typeof value === 'string' && ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value));
}

/** True when the labels are those the chart and the static manifests put on the controller's objects. */
function controllerLabels(metadata: JsonObject | undefined): boolean {
  const labels = asObject(metadata?.['labels']);
  return asString(labels?.['app.kubernetes.io/name']) === 'ingress-nginx' && asString(labels?.['app.kubernetes.io/component']) === 'controller';
}

export const rule = defineRule({
  id: 'ingress-nginx-unsafe-config',
  title: 'ingress-nginx controller lets Ingresses inject configuration',
  severity: 'high',
  target: 'object',
  kinds: ['ConfigMap'],
  controls: ['NET-1', 'ACC-2'],
  frameworks: { kubescape: ['C-0059'] },
  description:
    'ingress-nginx renders every Ingress into the nginx.conf of its controller, and the controller\'s service account can read every Secret of the cluster in the default installation. Two settings of the controller ConfigMap decide whether Ingress authors may add `*-snippet` annotations, raw NGINX configuration (Lua included) that runs in the controller: `allow-snippet-annotations` (default `"false"` since controller v1.9; whoever can write an Ingress can then read the controller\'s token and through it every Secret, CVE-2021-25742) and `annotations-risk-level` (the riskiest level an annotation may have; the snippets are `Critical`, the default was `Critical` up to v1.11 and is `High` since v1.12). `allow-snippet-annotations: "true"` is reported as high; `annotations-risk-level: Critical` with it is reported in the same finding, and alone as medium, since `allow-snippet-annotations` still keeps snippets out. A ConfigMap is taken as the controller\'s when its name ends in `ingress-nginx-controller` or `nginx-ingress-controller` (the official chart and manifests, Bitnami\'s chart) or when it carries the labels `app.kubernetes.io/name: ingress-nginx` and `app.kubernetes.io/component: controller` (a controller started with `--configmap` naming another ConfigMap is not recognised: add the labels to it); the same keys in another application\'s ConfigMap are not reported. The `--enable-annotation-validation` switch is a controller flag, not a ConfigMap key, and is not read here.',
  remediation:
    'Set `allow-snippet-annotations: "false"` in the controller ConfigMap (Helm: `controller.allowSnippetAnnotations: false`) and remove `annotations-risk-level` or set it to `High` or lower (Helm: `controller.config.annotations-risk-level`). Replace the snippets Ingresses use with dedicated annotations (`custom-headers`, `permanent-redirect`, CORS, rate-limit and external-auth annotations), or have an administrator put what must stay global into the ConfigMap\'s own `http-snippet`, `server-snippet` or `location-snippet`. If some Ingresses truly need snippets, run a separate controller (its own IngressClass) for them, reachable only by trusted authors.',
  *check({ object }) {
    const data = asObject(object['data']);
    if (data === undefined) return;
    const metadata = asObject(object['metadata']);
    const name = detach(asString(metadata?.['name']) ?? '');
    if (!CONTROLLER_NAME.test(name) && !controllerLabels(metadata)) return;
    const snippets = isTrue(data[ALLOW_SNIPPETS]);
    const risk = asString(data[RISK_LEVEL]);
    // The controller compares the level case-insensitively.
    const critical = risk?.toLowerCase() === 'critical';
    if (!snippets && !critical) return;
    const exposure = 'raw NGINX configuration that runs in the ingress-nginx controller, which can read the controller\'s service-account token and through it every Secret (CVE-2021-25742)';
    let violation: Violation;
    if (snippets) {
      const gate =
        critical ? ` and ${RISK_LEVEL}: ${JSON.stringify(risk)}: every Ingress author may add *-snippet annotations,`
        : risk === undefined ? `: Ingress authors may add *-snippet annotations (controllers up to v1.11 accept them as is, later ones once ${RISK_LEVEL} is raised to Critical),`
        : `: Ingress authors may add *-snippet annotations (${RISK_LEVEL}: ${JSON.stringify(risk)} still refuses them on controllers that enforce risk levels, by default from v1.12),`;
      violation = { path: ['data', ALLOW_SNIPPETS], message: `ConfigMap "${name}" sets ${ALLOW_SNIPPETS}: ${JSON.stringify(String(data[ALLOW_SNIPPETS]))}${gate} ${exposure}` };
      if (critical) violation.paths = [['data', RISK_LEVEL]];
    } else {
      violation = {
        path: ['data', RISK_LEVEL],
        severity: 'medium',
        message: `ConfigMap "${name}" sets ${RISK_LEVEL}: ${JSON.stringify(risk)}, which admits the riskiest annotations, the *-snippet ones: ${exposure}; only ${ALLOW_SNIPPETS} (not "true" here) still keeps them out`,
      };
    }
    yield violation;
  },
});
