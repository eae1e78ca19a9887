import { defineRule } from '../../../engine/rule.js';
import { isLevel, MODES, podSecurityLabels, PREFIX, rank, shown, SYSTEM_NAMESPACES, versionMinor } from '../pod-security-labels.js';

export const rule = defineRule({
  id: 'namespace-pod-security-weak',
  title: 'Namespace Pod Security labels weaker than intended',
  severity: 'low',
  target: 'object',
  kinds: ['Namespace'],
  controls: ['CMP-1'],
  frameworks: { cis: ['5.2.1'], nsa: ['Pod security enforcement'], kubescape: ['C-0192'] },
  options: { minimumVersion: 'v1.34', exemptNamespaces: SYSTEM_NAMESPACES },
  description:
    'Pod Security labels that enforce something, but less than the project means to. (1) An `enforce` level below the level this scan targets (`--pss`, restricted by default): mamori reports the violations, but the cluster admits them. (2) A `*-version` label pinned below the option `minimumVersion` (v1.34 by default, the policy version that added the hostProbesAndHostLifecycle check): the namespace is judged by an old rule set that misses checks every supported Kubernetes release runs. Pinning is useful during upgrades, but should not outlive them; set the option to `latest` to report every pinned version. (3) An `audit` or `warn` label set explicitly to a level weaker than `enforce`: Deployments and other templates are never enforced, only audited and warned about, so their violations go unreported until their pods fail to start (when `warn` is absent PSA already copies `enforce` into it, which is fine). The missing or privileged `enforce` label is reported by namespace-pod-security.',
  remediation:
    'Raise `pod-security.kubernetes.io/enforce` to the target level, set the `*-version` labels to `latest` (or to a version at least `minimumVersion`), and remove `audit` / `warn` labels weaker than `enforce` or raise them to it.',
  *check({ object, loaded }, { options, pss }) {
    const exempt = options['exemptNamespaces'];
    if (Array.isArray(exempt) && exempt.includes(loaded.ref.name)) return;
    const { labels, at } = podSecurityLabels(object);
    if (labels === undefined) return;
    const name = loaded.ref.name;
    const enforceKey = `${PREFIX}enforce`;
    const enforce = labels[enforceKey];
    if (isLevel(enforce) && enforce !== 'privileged' && rank(enforce) < rank(pss.level)) {
      yield { path: at(enforceKey), message: `namespace "${name}" enforces the ${enforce} Pod Security level, weaker than the target level ${pss.level}` };
    }
    const minimum = versionMinor(typeof options['minimumVersion'] === 'string' ? options['minimumVersion'] : undefined);
    for (const mode of MODES) {
      const versionKey = `${PREFIX}${mode}-version`;
      const version = labels[versionKey];
      const minor = versionMinor(version);
      if (minimum !== undefined && minor !== undefined && minor < minimum) {
        yield {
          path: at(versionKey),
          message: `namespace "${name}" pins ${versionKey} to ${shown(version)}, older than the minimum v1.${String(minimum)}: checks added since are not applied`,
        };
      }
      if (mode === 'enforce') continue;
      const levelKey = `${PREFIX}${mode}`;
      const level = labels[levelKey];
      if (isLevel(level) && isLevel(enforce) && rank(level) < rank(enforce)) {
        yield {
          path: at(levelKey),
          message: `namespace "${name}" sets ${levelKey} to ${level}, weaker than enforce (${enforce}): violations of pod templates such as Deployments go ${mode === 'audit' ? 'unaudited' : 'without warnings'}`,
        };
      }
    }
  },
});
