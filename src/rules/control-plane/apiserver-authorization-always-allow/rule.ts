import { authorizationDelegated, authorizersShown, defineFlagRule } from '../define.js';
import { AUTHORIZATION_CONFIGURATION } from '../../../k8s/control-plane/apiserver-config.js';
import { flagList } from '../../../k8s/control-plane/flags.js';

const CONSEQUENCE = 'it allows whatever the other authorizers do not deny, and RBAC and Node never deny, so every caller is effectively cluster-admin';

export const rule = defineFlagRule({
  id: 'apiserver-authorization-always-allow',
  cis: '1.2.6',
  component: 'kube-apiserver',
  configKinds: [AUTHORIZATION_CONFIGURATION],
  title: 'API server authorizes every request',
  severity: 'critical',
  controls: ['ACC-2', 'ACC-1'],
  kubescape: ['C-0118'],
  nsa: ['Authentication and authorization'],
  description:
    'The AlwaysAllow authorizer allows every request; RBAC and Node never deny, they only fail to allow, so AlwaysAllow anywhere in the chain makes every authenticated user, every service account and (with anonymous authentication) every anonymous caller a cluster administrator. It is also the default when `--authorization-mode` is not given. With `--authorization-config`, the `type` of the authorizers of the AuthorizationConfiguration scanned with the manifest decides; when that file is not in the input, an info finding says it was not checked.',
  remediation:
    'Set `--authorization-mode=Node,RBAC` on kube-apiserver (without AlwaysAllow), or configure the authorizers in an `--authorization-config` file.',
  evaluate: (flags) => {
    const delegated = authorizationDelegated(flags, (types) =>
      types.includes('AlwaysAllow') ? { fail: true, message: `${authorizersShown(types)}: ${CONSEQUENCE}` } : { fail: false, message: authorizersShown(types) },
    );
    if (delegated !== undefined) return delegated;
    const modes = flagList(flags, '--authorization-mode');
    if (modes.length === 0) return { fail: true, message: '--authorization-mode is not set: the default AlwaysAllow authorizes every request' };
    const always = modes.find((m) => m.element === 'AlwaysAllow');
    if (always === undefined) return { fail: false, message: `--authorization-mode=${modes.map((m) => m.element).join(',')}` };
    return {
      fail: true,
      message: `--authorization-mode includes AlwaysAllow: ${CONSEQUENCE}`,
      path: always.occurrence.path,
    };
  },
});
