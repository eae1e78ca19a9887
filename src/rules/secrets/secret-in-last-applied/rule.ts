import { defineRule } from '../../../engine/rule.js';
import { asObject, asString, isObject } from '../../../k8s/object.js';
import { LAST_APPLIED } from '../credentials.js';

/** Keys of a `data` / `stringData` map that hold a value. */
function filledKeys(value: unknown): string[] {
  const map = asObject(value);
  if (map === undefined) return [];
  return Object.keys(map).filter((k) => {
    const v = map[k];
    return typeof v === 'string' ? v !== '' : v !== null && v !== undefined;
  });
}

export const rule = defineRule({
  id: 'secret-in-last-applied',
  title: 'Secret data copied into an annotation',
  severity: 'high',
  target: 'object',
  kinds: ['Secret'],
  controls: ['STO-5', 'ACC-2'],
  frameworks: { nsa: ['Secrets'] },
  description:
    '`kubectl apply` (client-side) stores the whole manifest it applied in the `kubectl.kubernetes.io/last-applied-configuration` annotation. For a Secret that copies every key and value (base64 is an encoding, not encryption) into metadata, where tools treat it as harmless: `kubectl describe secret` hides `data` but prints annotations in full, and dashboards, GitOps diff views, event and inventory exporters and log shippers that redact `data` copy annotations as they are. The copy also keeps the old value after the Secret is rotated by anything other than `kubectl apply`.',
  remediation:
    'Create Secrets without client-side apply: `kubectl apply --server-side`, `kubectl create secret`, or a secret manager (External Secrets, Sealed Secrets, Secrets Store CSI driver). Remove the copy with `kubectl annotate secret <name> kubectl.kubernetes.io/last-applied-configuration-`, and rotate the values, since they have been exposed.',
  *check({ object }) {
    const annotations = asObject(asObject(object['metadata'])?.['annotations']);
    const text = asString(annotations?.[LAST_APPLIED]);
    if (text === undefined || text === '') return;
    const path = ['metadata', 'annotations', LAST_APPLIED];
    const name = asString(asObject(object['metadata'])?.['name']) ?? '';
    let applied: unknown;
    try {
      applied = JSON.parse(text);
    } catch {
      // Not JSON (hand-edited or truncated): report it only when it visibly carries data.
      if (/"(?:data|stringData)"\s*:\s*\{\s*"/.test(text)) {
        yield { path, message: `Secret "${name}": the last-applied-configuration annotation carries a copy of its data (keys and base64 values)` };
      }
      return;
    }
    if (!isObject(applied)) return;
    const keys = [...new Set([...filledKeys(applied['data']), ...filledKeys(applied['stringData'])])].sort();
    if (keys.length === 0) return;
    const shown = keys.slice(0, 5).map((k) => JSON.stringify(k)).join(', ') + (keys.length > 5 ? `, and ${keys.length - 5} more` : '');
    const plain = filledKeys(applied['stringData']).length > 0 ? ' (stringData: in clear text)' : ' (base64, not encrypted)';
    yield { path, message: `Secret "${name}": the last-applied-configuration annotation carries a copy of the values of ${shown}${plain}` };
  },
});
