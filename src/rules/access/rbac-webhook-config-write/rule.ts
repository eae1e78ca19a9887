import { defineClassRule } from '../define.js';

export const rule = defineClassRule({
  id: 'rbac-webhook-config-write',
  title: 'Binding grants writing admission webhooks, policies or APIServices',
  severity: 'high',
  controls: ['ACC-2', 'DEP-1'],
  frameworks: { cis: ['5.1.12'], nsa: ['Authentication and authorization'], kubescape: ['C-0281'] },
  classes: ['webhook-write'],
  subsumedBy: ['admin'],
  tier: 'any',
  description:
    'Writing MutatingWebhookConfigurations (or mutating admission policies) sends admitted objects to an endpoint of the subject\'s choice and lets it patch them: inject a container into every new pod, or read every Secret as it is written. Writing validating webhooks, ValidatingAdmissionPolicies or their bindings lets it delete or loosen the cluster\'s admission policy. Writing an APIService (`apiservices.apiregistration.k8s.io`) points an API group, such as `metrics.k8s.io` or a new one, at a Service of the subject\'s choice: the API server forwards every request for that group there, with the caller\'s identity in its headers. A grant limited by `resourceNames` to one webhook or APIService still allows rewriting its rules, `clientConfig` or `service`.',
  remediation:
    'Grant webhook and admission-policy writes to cluster administrators and the deployment pipeline only. Controllers that patch their own webhook\'s `caBundle` should get `update` with `resourceNames` naming it, and be treated as security-critical; consider a certificate injector whose own scope is audited.',
});
