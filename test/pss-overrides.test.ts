// A restricted Pod Security check replaces its baseline counterpart only while its own rule runs,
// and a finding that fails the baseline check too keeps the baseline rule's severity.
import { describe, expect, it } from 'vitest';
import { knownRules, parseConfig } from '../src/engine/config.js';
import { scanTexts } from '../src/engine/scan.js';
import { RULES } from '../src/rules/index.js';

const POD = `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: app}
spec:
  containers:
    - name: c
      image: registry.example.com/app:1.2.3
      securityContext:
        capabilities: {add: [SYS_ADMIN]}
        seccompProfile: {type: Unconfined}
        procMount: Unmasked
  volumes: [{name: h, hostPath: {path: /etc}}]
`;

const PAIRS = [
  ['pss-capabilities-restricted', 'pss-capabilities-baseline'],
  ['pss-seccomp-profile-restricted', 'pss-seccomp-profile-baseline'],
  ['pss-restricted-volumes', 'pss-host-path-volumes'],
  ['pss-proc-mount-restricted', 'pss-proc-mount'],
] as const;

function run(ids: readonly string[], text = POD, configText?: Record<string, unknown>, pss?: string): string[] {
  const rules = RULES.filter((r) => ids.includes(r.id));
  const config = configText === undefined ? undefined : parseConfig(configText, '.mamori.yaml', knownRules(RULES));
  return scanTexts([{ file: 'pod.yaml', text }], { rules, config, pss })
    .findings.map((f) => `${f.ruleId} ${f.severity}`)
    .sort();
}

describe('restricted checks that replace baseline checks', () => {
  it('report the restricted rule only while both run', () => {
    expect(run(PAIRS.flat())).toEqual(['pss-capabilities-restricted high', 'pss-proc-mount-restricted high', 'pss-restricted-volumes high', 'pss-seccomp-profile-restricted medium']);
  });

  it.each(PAIRS)('run the baseline check when %s is not selected', (restricted, baseline) => {
    expect(run([baseline])).toEqual([expect.stringMatching(new RegExp(`^${baseline} `))]);
    expect(run(PAIRS.flat().filter((id) => id !== restricted)).filter((f) => f.startsWith(`${baseline} `))).toHaveLength(1);
  });

  it.each(PAIRS)('run the baseline check when %s is turned off in the configuration', (restricted, baseline) => {
    expect(run(PAIRS.flat(), POD, { rules: { [restricted]: 'off' } }).filter((f) => f.startsWith(`${baseline} `))).toHaveLength(1);
  });

  it('keep the baseline severity for a capability the baseline level forbids, and the restricted one otherwise', () => {
    expect(run(['pss-capabilities-restricted'])).toEqual(['pss-capabilities-restricted high']);
    const notDropped = POD.replace('capabilities: {add: [SYS_ADMIN]}', 'capabilities: {add: [NET_BIND_SERVICE]}');
    expect(run(['pss-capabilities-restricted'], notDropped)).toEqual(['pss-capabilities-restricted medium']);
    // A severity the user configures wins.
    expect(run(['pss-capabilities-restricted'], POD, { rules: { 'pss-capabilities-restricted': { severity: 'low' } } })).toEqual(['pss-capabilities-restricted low']);
  });

  it('leave the baseline level as it was', () => {
    expect(run(PAIRS.flat(), POD, undefined, 'baseline:latest')).toEqual(['pss-capabilities-baseline high', 'pss-host-path-volumes high', 'pss-proc-mount high', 'pss-seccomp-profile-baseline medium']);
  });
});
