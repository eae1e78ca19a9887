import { describe, expect, it } from 'vitest';
import { scanTexts } from '../src/engine/scan.js';
import { RULES } from '../src/rules/index.js';
import type { Finding } from '../src/types.js';

// stateful-workload-no-backup: how the Velero Schedules that include every namespace decide a
// workload's verdict, and the order of the reasons in its message.

/** The rule's findings over YAML documents. */
function scan(docs: readonly string[]): Finding[] {
  const report = scanTexts([{ file: 'backup.yaml', text: docs.join('---\n') }], { rules: RULES.filter((r) => r.id === 'stateful-workload-no-backup') });
  expect(report.errors).toEqual([]);
  return report.findings;
}

/** A Velero Schedule: `spec` lines after `template:` go under it, the others under `spec`. */
const schedule = (name: string, template: readonly string[], spec: readonly string[] = []): string =>
  `apiVersion: velero.io/v1\nkind: Schedule\nmetadata: {name: ${name}, namespace: velero}\nspec:\n${spec.map((l) => `  ${l}\n`).join('')}  template:\n${['ttl: 720h', ...template].map((l) => `    ${l}\n`).join('')}`;

/** A StatefulSet with one claim template, `data`: its namespace, labels and claim template labels (flow mappings). */
const statefulSet = (name: string, namespace: string, labels = '{}', claimLabels = '{}'): string =>
  `apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: ${name}, namespace: ${namespace}, labels: ${labels}}\nspec:\n  template: {spec: {containers: [{name: db, image: registry.example.com/db:1.0}]}}\n  volumeClaimTemplates: [{metadata: {name: data, labels: ${claimLabels}}}]\n`;

/** The message of the finding on a workload, if any. */
const messageOf = (findings: readonly Finding[], name: string): string | undefined => findings.find((f) => f.object.name === name)?.message;

const uncovered = (name: string, namespace: string, why: string): string =>
  `StatefulSet "${name}" in namespace "${namespace}" keeps data in PersistentVolumeClaims ("data") that no backup schedule covers: ${why}`;

describe('Velero Schedules of every namespace, by what decides their verdict', () => {
  it('passes over a paused schedule for a later one that covers, and orders the reasons by the first schedule giving each', () => {
    const findings = scan([
      schedule('paused', [], ['paused: true']),
      schedule('web', ['labelSelector: {matchLabels: {app: web}}']),
      schedule('all', ['excludedNamespaces: [kube-system]']),
      statefulSet('db', 'shop'),
      statefulSet('etcd', 'kube-system'),
    ]);
    expect(findings.map((f) => f.message)).toEqual([uncovered('etcd', 'kube-system', 'the 3 Velero Schedules are paused or select other labels or do not include its namespace')]);
  });

  it('leaves out the namespaces a schedule excludes, by name or all with *', () => {
    const findings = scan([
      schedule('most', ['excludedNamespaces: [shop, web]']),
      schedule('none', ['excludedNamespaces: ["*"]', 'labelSelector: {matchLabels: {app: db}}']),
      statefulSet('db', 'shop', '{app: db}'),
      statefulSet('cache', 'web'),
      statefulSet('queue', 'jobs'),
    ]);
    expect(findings.map((f) => f.message)).toEqual([
      uncovered('db', 'shop', 'the 2 Velero Schedules do not include its namespace'),
      uncovered('cache', 'web', 'the 2 Velero Schedules do not include its namespace'),
    ]);
  });

  it('covers a workload when any of orLabelSelectors matches any of its label sets', () => {
    const findings = scan([
      schedule('or', ['orLabelSelectors: [{matchLabels: {app: db}}, {matchExpressions: [{key: tier, operator: In, values: [data, cache]}]}]']),
      statefulSet('db', 'shop', '{app: db}'),
      statefulSet('redis', 'shop', '{tier: cache}'),
      statefulSet('web', 'shop', '{app: web, tier: front}'),
    ]);
    expect(findings.map((f) => f.message)).toEqual([uncovered('web', 'shop', 'the Velero Schedule velero/or selects other labels')]);
  });

  it('matches a selector against the labels of the claim templates too, and then asks for volume data', () => {
    const findings = scan([
      schedule('daily', ['labelSelector: {matchLabels: {backup: daily}}']),
      schedule('files', ['labelSelector: {matchLabels: {backup: files}}', 'snapshotVolumes: false']),
      statefulSet('db', 'shop', '{app: db}', '{backup: daily}'),
      statefulSet('logs', 'shop', '{app: logs}', '{backup: files}'),
      statefulSet('cache', 'shop', '{app: cache}'),
    ]);
    expect(findings.map((f) => f.message)).toEqual([
      uncovered('logs', 'shop', 'the 2 Velero Schedules select other labels or leave out volume data'),
      uncovered('cache', 'shop', 'the 2 Velero Schedules select other labels'),
    ]);
  });
});
