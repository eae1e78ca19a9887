import { defineFlagRule, requireBool } from '../define.js';
import { flagValue } from '../../../k8s/control-plane/flags.js';

export const rule = defineFlagRule({
  id: 'apiserver-anonymous-auth',
  cis: '1.2.1',
  component: 'kube-apiserver',
  title: 'API server accepts anonymous requests',
  severity: 'medium',
  controls: ['ACC-1', 'ACC-2'],
  kubescape: ['C-0113'],
  nsa: ['Authentication and authorization'],
  description:
    'With anonymous authentication on (the default), every request without credentials is served as user system:anonymous in group system:unauthenticated. Whatever RBAC grants those subjects, by default discovery, version and health endpoints, and by mistake sometimes much more, is open to anyone who can reach the API server port.',
  remediation:
    'Set `--anonymous-auth=false` on kube-apiserver, or, from Kubernetes 1.32, restrict anonymous access to the health endpoints with an `anonymous` section (`enabled: true` plus `conditions` on `/livez`, `/readyz`, `/healthz`) in the `--authentication-config` file.',
  evaluate: (flags) =>
    flagValue(flags, '--anonymous-auth') === undefined && flagValue(flags, '--authentication-config') !== undefined
      ? { fail: false, message: '--anonymous-auth is not set and --authentication-config is: the AuthenticationConfiguration file decides anonymous access' }
      : requireBool(flags, '--anonymous-auth', true, false, 'requests without credentials are served as system:anonymous, limited only by what RBAC grants system:anonymous and system:unauthenticated'),
});
