import { defineRule } from '../../../engine/rule.js';
import { isLevel, MODES, podSecurityLabels, PREFIX, shown, SYSTEM_NAMESPACES, versionMinor } from '../pod-security-labels.js';

export const rule = defineRule({
  id: 'namespace-pod-security',
  title: 'Namespace without Pod Security enforcement',
  severity: 'medium',
  target: 'object',
  kinds: ['Namespace'],
  controls: ['CMP-1', 'DEP-1'],
  frameworks: { cis: ['5.2.1'], nsa: ['Pod security enforcement'], kubescape: ['C-0192'] },
  options: { exemptNamespaces: SYSTEM_NAMESPACES },
  description:
    'Pod Security Admission checks the pods of a namespace only at the level its `pod-security.kubernetes.io/enforce` label names. Without the label the cluster default applies, which is `privileged` (nothing enforced) unless the API server was configured otherwise; `enforce: privileged` switches enforcement off explicitly. Either way a privileged pod, a hostPath mount of / or a pod in the host network is admitted. Invalid Pod Security labels are reported too: the API server rejects such a Namespace on creation, and where it already exists PSA falls back to `restricted` for an invalid enforce level, to `privileged` for an invalid audit or warn level and to `latest` for an invalid version. Namespaces listed in the option `exemptNamespaces` (Kubernetes\' own by default, which run node-level components) are not checked.',
  remediation:
    'Label the namespace `pod-security.kubernetes.io/enforce: restricted` (or `baseline` where a workload cannot meet restricted yet) with `pod-security.kubernetes.io/enforce-version: latest`, and fix invalid values: levels are privileged, baseline or restricted, versions are `latest` or `v1.<minor>` (quoted, e.g. "v1.34").',
  *check({ object, loaded }, { options }) {
    const exempt = options['exemptNamespaces'];
    if (Array.isArray(exempt) && exempt.includes(loaded.ref.name)) return;
    const { labels, at } = podSecurityLabels(object);
    const name = loaded.ref.name;
    const enforceKey = `${PREFIX}enforce`;
    const enforce = labels?.[enforceKey];
    if (enforce === undefined) {
      yield {
        path: at(enforceKey),
        message: `namespace "${name}" has no ${enforceKey} label, so only the cluster-wide default (privileged unless configured) applies to its pods`,
      };
    } else if (enforce === 'privileged') {
      yield { path: at(enforceKey), message: `namespace "${name}" enforces the privileged Pod Security level, which allows every pod` };
    }
    for (const mode of MODES) {
      const levelKey = `${PREFIX}${mode}`;
      const level = labels?.[levelKey];
      if (level !== undefined && !isLevel(level)) {
        const fallback = mode === 'enforce' ? 'restricted' : 'privileged';
        yield {
          path: at(levelKey),
          message: `namespace "${name}" has the invalid ${levelKey} value ${shown(level)}: must be one of privileged, baseline, restricted (the API server rejects the namespace; an existing one is treated as ${fallback})`,
        };
      }
      const versionKey = `${PREFIX}${mode}-version`;
      const version = labels?.[versionKey];
      if (version !== undefined && versionMinor(version) === undefined) {
        yield {
          path: at(versionKey),
          message: `namespace "${name}" has the invalid ${versionKey} value ${shown(version)}: must be "latest" or "v1.x" (the API server rejects the namespace; an existing one is treated as latest)`,
        };
      }
    }
  },
});
