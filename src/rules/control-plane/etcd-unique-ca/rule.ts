import { defineRule } from '../../../engine/rule.js';
import { CIS_1_12 } from '../../../k8s/control-plane/cis.js';
import { cisState, executeTests } from '../../../k8s/control-plane/compare.js';
import { controlPlaneContainers, flagValue, nodePathOf } from '../../../k8s/control-plane/flags.js';
import { asObject } from '../../../k8s/object.js';
import type { LoadedObject } from '../../../load/types.js';
import type { JsonObject } from '../../../types.js';
import { etcdConfigFile, shown, subjectOf } from '../define.js';

const CIS = '2.7';

function literalState(commandLine: string, env: string): string {
  const check = CIS_1_12[CIS];
  if (check === undefined) return 'WARN';
  return cisState(executeTests(check.tests, { audit: commandLine, env }).pass, check.scored);
}

export const rule = defineRule({
  id: 'etcd-unique-ca',
  title: 'etcd trusts the cluster CA',
  severity: 'medium',
  target: 'inventory',
  context: ['Pod'],
  // Only the static pods of etcd and kube-apiserver, not every Pod of a cluster export.
  keep: (object) => {
    const spec = asObject(object['spec']);
    return spec !== undefined && controlPlaneContainers(object, spec, ['spec']).some((c) => c.component === 'etcd' || c.component === 'kube-apiserver');
  },
  controls: ['ACC-4', 'STO-2'],
  frameworks: { cis: [CIS], kubescape: ['C-0159'], nsa: ['Etcd'] },
  description:
    'etcd grants full read and write access to any client whose certificate its `--trusted-ca-file` accepts. When that is the same CA the API server uses for `--client-ca-file`, every client certificate of the cluster (kubelets, controllers, administrators, anything the CSR API signed) also opens etcd, bypassing authorization and audit. The check compares the host paths behind both flags when the API server and etcd manifests are scanned together.',
  remediation:
    'Give etcd its own CA (kubeadm uses `/etc/kubernetes/pki/etcd/ca.crt`): set `--trusted-ca-file` and `--peer-trusted-ca-file` on etcd to it, issue the API server\'s `--etcd-certfile` from it, and keep it out of the API server\'s `--client-ca-file`.',
  options: { cisLiteral: false },
  *check({ inventory }, ctx) {
    const cisLiteral = ctx.options['cisLiteral'] === true;
    const pods: { loaded: LoadedObject; spec: JsonObject }[] = [];
    const clientCAs = new Map<string, string>();
    for (const loaded of inventory.byKind('Pod')) {
      const spec = asObject(loaded.object['spec']);
      if (spec === undefined) continue;
      const containers = controlPlaneContainers(loaded.object, spec, ['spec']);
      if (containers.some((c) => c.component === 'etcd')) pods.push({ loaded, spec });
      for (const flags of containers) {
        if (flags.component !== 'kube-apiserver') continue;
        const ca = flagValue(flags, '--client-ca-file');
        if (ca !== undefined && ca.value.trim() !== '') clientCAs.set(nodePathOf(spec, flags.container, ca.value.trim()), loaded.ref.name);
      }
    }
    for (const { loaded, spec } of pods) {
      for (const flags of controlPlaneContainers(loaded.object, spec, ['spec'])) {
        if (flags.component !== 'etcd' || etcdConfigFile(flags) !== undefined) continue;
        const state = literalState(flags.commandLine, flags.envOutput);
        const trusted = flagValue(flags, '--trusted-ca-file');
        if (trusted === undefined || trusted.value.trim() === '' || trusted.value === 'true') {
          yield {
            target: loaded,
            path: trusted?.path ?? flags.addPath,
            message: `${subjectOf(flags)}: --trusted-ca-file is not set: etcd has no CA of its own to verify client certificates [CIS ${CIS} literal: ${state}, effective: FAIL]`,
          };
          continue;
        }
        const owner = clientCAs.get(nodePathOf(spec, flags.container, trusted.value.trim()));
        if (owner !== undefined) {
          yield {
            target: loaded,
            path: trusted.path,
            message: `${subjectOf(flags)}: ${shown(trusted)} is the file the API server "${owner}" uses for --client-ca-file: every client certificate of the cluster CA also gets full access to etcd [CIS ${CIS} literal: ${state}, effective: FAIL]`,
          };
        } else if (cisLiteral && state !== 'PASS') {
          yield { target: loaded, path: trusted.path, message: `${subjectOf(flags)}: kube-bench's CIS ${CIS} check gives ${state} [CIS ${CIS} literal: ${state}, effective: PASS]` };
        }
      }
    }
  },
});
