import { defineFlagRule, deferTo, requireBool } from '../define.js';
import { anonymousSection, AUTHENTICATION_CONFIGURATION } from '../../../k8s/control-plane/apiserver-config.js';
import { flagValue } from '../../../k8s/control-plane/flags.js';

const CONSEQUENCE = 'requests without credentials are served as system:anonymous, limited only by what RBAC grants system:anonymous and system:unauthenticated';

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
    'With anonymous authentication on (the default), every request without credentials is served as user system:anonymous in group system:unauthenticated. Whatever RBAC grants those subjects, by default discovery, version and health endpoints, and by mistake sometimes much more, is open to anyone who can reach the API server port. With `--authentication-config` and no `--anonymous-auth`, the AuthenticationConfiguration scanned with the manifest decides: without an `anonymous` section the default of the flag (true) still applies; when the file is not in the input, an info finding says it was not checked.',
  remediation:
    'Set `--anonymous-auth=false` on kube-apiserver, or, from Kubernetes 1.32, restrict anonymous access to the health endpoints with an `anonymous` section (`enabled: true` plus `conditions` on `/livez`, `/readyz`, `/healthz`) in the `--authentication-config` file.',
  configKinds: [AUTHENTICATION_CONFIGURATION],
  evaluate: (flags) => {
    const flag = flagValue(flags, '--anonymous-auth');
    const config = flagValue(flags, '--authentication-config');
    if (flag !== undefined || config === undefined) return requireBool(flags, '--anonymous-auth', true, false, CONSEQUENCE);
    // The API server refuses --anonymous-auth next to an `anonymous` section; without one the flag's default (true) applies.
    return deferTo(
      config,
      AUTHENTICATION_CONFIGURATION,
      (object) => {
        const anonymous = anonymousSection(object);
        if (anonymous?.absent === true) {
          return { fail: true, message: `the ${AUTHENTICATION_CONFIGURATION} of the input has no anonymous section, so --anonymous-auth applies, and it is not set (default true); ${CONSEQUENCE}` };
        }
        if (anonymous?.enabled === true && !anonymous.restricted) {
          return { fail: true, message: `the ${AUTHENTICATION_CONFIGURATION} of the input enables anonymous access without conditions; ${CONSEQUENCE}` };
        }
        return undefined;
      },
      `the ${AUTHENTICATION_CONFIGURATION} of the input disables or restricts anonymous access`,
    );
  },
});
