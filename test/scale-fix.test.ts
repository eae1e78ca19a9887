import { describe, expect, it } from 'vitest';
import { fixSources } from '../src/fix/apply.js';
import { DEFAULT_LIMITS } from '../src/load/limits.js';
import { RULES } from '../src/rules/index.js';

// `mamori fix` on documents whose fixes fail together: deciding which fixes to keep must take time
// linear in the document. The timeouts only catch hangs; the figures in the comments are those of
// the code that retried each fix alone on the whole document.
const TIMEOUT = 30_000;

/** A List of `count` pods, one container each; `container(i)` gives the lines of item i's container after its image. */
function podList(count: number, container: (i: number) => string = () => ''): string {
  let text = 'apiVersion: v1\nkind: List\nitems:\n';
  for (let i = 0; i < count; i++) {
    text += `- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: web-${i}\n    namespace: shop\n  spec:\n    containers:\n    - name: app\n      image: registry.example.com/web:1.0\n${container(i)}`;
  }
  return text;
}

describe('mamori fix, when the fixes of a document fail together', () => {
  it(
    'leaves a List that its fixes would grow past the document limit as it was, in one attempt',
    () => {
      // With the limit at 48 KiB, this List of 250 pods (40 KB) would grow to 104 KB: each of its
      // 1,500 fixes was then retried alone on the whole List, in each round: 141 s (8,000 pods
      // under the real 3 MiB limit: over 10 minutes).
      const count = 250;
      const list = podList(count);
      const single = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  containers:\n  - name: app\n    image: registry.example.com/web:1.0\n';
      const limits = { ...DEFAULT_LIMITS, maxDocumentBytes: 48 * 1024 };
      const run = fixSources(
        [
          { file: 'list.yaml', text: list },
          { file: 'pod.yaml', text: single },
        ],
        { rules: RULES, limits },
      );
      expect(run.initial.errors).toEqual([]);
      expect(run.files[0]?.after).toBe(list);
      // The document that fits is fixed.
      expect(run.files[1]?.after).toContain('runAsNonRoot: true');
      expect(run.fixed.every((f) => f.location?.file === 'pod.yaml')).toBe(true);
      expect(run.fixed).toHaveLength(6);
      expect(run.failed).toHaveLength(5 * count);
      expect(new Set(run.failed.map((f) => f.reason))).toEqual(
        new Set(['not edited: fixed, the document would be 103,673 bytes, over the limit of 49,152; split it into smaller documents']),
      );
      expect(run.failed.filter((f) => f.finding.object.name === `web-${count - 1}`).map((f) => f.finding.ruleId).sort()).toEqual([
        'automount-service-account-token',
        'pss-allow-privilege-escalation',
        'pss-capabilities-restricted',
        'pss-run-as-non-root',
        'pss-seccomp-profile-restricted',
      ]);
    },
    TIMEOUT,
  );

  it(
    'refuses the fixes of 400 containers that share one securityContext through an alias, and applies the others',
    () => {
      // The 2,400 fixes fail together, and each was retried alone on the whole List, in each
      // round: 280 s.
      const count = 400;
      const text = podList(count, (i) => (i === 0 ? '      securityContext: &restricted\n        privileged: true\n' : '      securityContext: *restricted\n'));
      const run = fixSources([{ file: 'list.yaml', text }], { rules: RULES });
      expect(run.initial.errors).toEqual([]);
      const anchored = 'not edited: the field carries a YAML anchor that aliases may share; fix it by hand';
      // Every container-level fix changes the one shared securityContext, which is not edited.
      expect(run.failed).toHaveLength(2 * count);
      expect(new Set(run.failed.map((f) => f.reason))).toEqual(new Set([anchored]));
      expect(new Set(run.failed.map((f) => f.finding.ruleId))).toEqual(new Set(['pss-privileged', 'pss-capabilities-restricted']));
      // The pod-level fixes are applied to every pod.
      expect(run.fixed).toHaveLength(4 * count);
      const after = run.files[0]?.after ?? '';
      expect(after.split('runAsNonRoot: true').length - 1).toBe(count);
      expect(after.slice(after.lastIndexOf('- apiVersion: v1'))).toBe(
        `- apiVersion: v1
  kind: Pod
  metadata:
    name: web-${count - 1}
    namespace: shop
  spec:
    containers:
    - name: app
      image: registry.example.com/web:1.0
      securityContext: *restricted
    automountServiceAccountToken: false
    securityContext:
      runAsNonRoot: true
      seccompProfile:
        type: RuntimeDefault
`,
      );
    },
    TIMEOUT,
  );

  it(
    'refuses the fixes of 400 containers to the securityContext they share when one of its places cannot be edited',
    () => {
      // Each fix removes the shared AppArmor profile: that empties the securityContext, which then
      // goes from every container that aliases it. One pod has a key that YAML 1.1 reads as `true`
      // (`on:`), so every such edit fails there, and each of the 1,200 fixes was retried alone on
      // the whole List, in each round: 128 s.
      const count = 400;
      const text = podList(count, (i) => (i === 0 ? '      securityContext: &unconfined\n        appArmorProfile: {type: Unconfined}\n' : '      securityContext: *unconfined\n')).replace(
        'name: web-7\n    namespace: shop\n  spec:\n',
        'name: web-7\n    namespace: shop\n  spec:\n    on: push\n',
      );
      const rules = RULES.filter((r) => ['pss-apparmor-profile', 'pss-run-as-non-root', 'automount-service-account-token'].includes(r.id));
      const run = fixSources([{ file: 'list.yaml', text }], { rules });
      expect(run.initial.errors).toEqual([]);
      const unreadable = 'not edited: key "true" not found where expected; fix it by hand';
      expect(run.failed).toHaveLength(count + 2);
      expect(new Set(run.failed.map((f) => f.reason))).toEqual(new Set([unreadable]));
      expect(run.failed.filter((f) => f.finding.ruleId === 'pss-apparmor-profile')).toHaveLength(count);
      expect(run.failed.filter((f) => f.finding.object.name === 'web-7').map((f) => f.finding.ruleId).sort()).toEqual([
        'automount-service-account-token',
        'pss-apparmor-profile',
        'pss-run-as-non-root',
      ]);
      expect(run.fixed).toHaveLength(2 * (count - 1));
      const after = run.files[0]?.after ?? '';
      expect(after.split('securityContext: *unconfined').length - 1).toBe(count - 1);
      expect(after.split('runAsNonRoot: true').length - 1).toBe(count - 1);
      expect(after.slice(0, after.indexOf('- apiVersion: v1', after.indexOf('web-0')))).toBe(
        `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata:
    name: web-0
    namespace: shop
  spec:
    containers:
    - name: app
      image: registry.example.com/web:1.0
      securityContext: &unconfined
        appArmorProfile: {type: Unconfined}
    automountServiceAccountToken: false
    securityContext:
      runAsNonRoot: true
`,
      );
    },
    TIMEOUT,
  );
});
