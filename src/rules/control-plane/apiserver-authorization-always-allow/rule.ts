import { authorizationDelegated, defineFlagRule } from '../define.js';
import { flagList } from '../../../k8s/control-plane/flags.js';

export const rule = defineFlagRule({
  id: 'apiserver-authorization-always-allow',
  cis: '1.2.6',
  component: 'kube-apiserver',
  title: 'API server authorizes every request',
  severity: 'critical',
  controls: ['ACC-2', 'ACC-1'],
  kubescape: ['C-0118'],
  nsa: ['Authentication and authorization'],
  description:
    'The AlwaysAllow authorizer allows every request; RBAC and Node never deny, they only fail to allow, so AlwaysAllow anywhere in the chain makes every authenticated user, every service account and (with anonymous authentication) every anonymous caller a cluster administrator. It is also the default when `--authorization-mode` is not given.',
  remediation:
    'Set `--authorization-mode=Node,RBAC` on kube-apiserver (without AlwaysAllow), or configure the authorizers in an `--authorization-config` file.',
  evaluate: (flags) => {
    const delegated = authorizationDelegated(flags);
    if (delegated !== undefined) return delegated;
    const modes = flagList(flags, '--authorization-mode');
    if (modes.length === 0) return { fail: true, message: '--authorization-mode is not set: the default AlwaysAllow authorizes every request' };
    const always = modes.find((m) => m.element === 'AlwaysAllow');
    if (always === undefined) return { fail: false, message: `--authorization-mode=${modes.map((m) => m.element).join(',')}` };
    return {
      fail: true,
      message: '--authorization-mode includes AlwaysAllow: it allows whatever the other authorizers do not deny, and RBAC and Node never deny, so every caller is effectively cluster-admin',
      path: always.occurrence.path,
    };
  },
});
