import { defineRule } from '../../../engine/rule.js';
import { asObject, asString } from '../../../k8s/object.js';

export const rule = defineRule({
  id: 'legacy-service-account-token',
  title: 'Long-lived ServiceAccount token Secret',
  severity: 'medium',
  target: 'object',
  kinds: ['Secret'],
  controls: ['ACC-3'],
  frameworks: { nsa: ['Protecting Pod service account tokens'] },
  description:
    'A Secret of type `kubernetes.io/service-account-token` makes the token controller write a ServiceAccount token into it that never expires and is not bound to any pod. Anyone who can read Secrets in the namespace (or an etcd backup) gets a credential that keeps working until the Secret is deleted, unlike the short-lived, pod-bound tokens that the TokenRequest API has issued to pods since Kubernetes 1.22. Such Secrets are no longer created automatically (since 1.24) and unused ones are cleaned up, so one in a manifest is an explicit request for a permanent credential.',
  remediation:
    'Delete the Secret. Pods get short-lived tokens automatically or through a projected `serviceAccountToken` volume with `expirationSeconds`; a client outside the cluster should request one with `kubectl create token <serviceaccount> --duration=...` (the TokenRequest API) or, better, authenticate through the cloud provider\'s workload identity or OIDC.',
  *check({ object }) {
    if (object['type'] !== 'kubernetes.io/service-account-token') return;
    const metadata = asObject(object['metadata']);
    const name = asString(metadata?.['name']) ?? '';
    const account = asString(asObject(metadata?.['annotations'])?.['kubernetes.io/service-account.name']);
    const carriesToken = asObject(object['data'])?.['token'] !== undefined || asObject(object['stringData'])?.['token'] !== undefined;
    yield {
      path: ['type'],
      message: `Secret "${name}" requests a non-expiring token of ServiceAccount ${account === undefined ? '(none named)' : `"${account}"`}${carriesToken ? ', and the manifest already holds a token value' : ''}`,
    };
  },
});
