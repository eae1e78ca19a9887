import { defineFlagRule, requirePlugin } from '../define.js';

export const rule = defineFlagRule({
  id: 'apiserver-always-pull-images',
  cis: '1.2.11',
  component: 'kube-apiserver',
  title: 'API server does not force image pulls',
  severity: 'low',
  controls: ['ACC-1', 'DIST-6'],
  kubescape: ['C-0123'],
  nsa: ['Control plane hardening'],
  description:
    'A pod that names an image already present on its node starts from the node\'s cache without any registry credential check. In a cluster shared by teams, a pod can therefore run a private image that another team pulled with its own pull secret. AlwaysPullImages forces the pull (and the credential check) for every container.',
  remediation:
    'Add `AlwaysPullImages` to `--enable-admission-plugins` on kube-apiserver (consider the registry load and availability it adds), or enforce `imagePullPolicy: Always` with an admission policy.',
  evaluate: (flags) =>
    requirePlugin(flags, 'AlwaysPullImages', true, "a pod can run any image cached on its node, including private images pulled with another tenant's credentials"),
});
