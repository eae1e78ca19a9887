import { defineRule } from '../../../engine/rule.js';
import { asObject, asString, isObject } from '../../../k8s/object.js';
import type { Path } from '../../../types.js';
import { containerLabel } from '../../image/common.js';

export const rule = defineRule({
  id: 'secret-in-env',
  title: 'Secret passed as environment variables',
  severity: 'low',
  target: 'container',
  controls: ['STO-5'],
  frameworks: { cis: ['5.4.1'], nsa: ['Secrets'], kubescape: ['C-0207'] },
  description:
    'Secret values given as environment variables (`env[].valueFrom.secretKeyRef`, `envFrom[].secretRef`) leak more easily than mounted files: every child process inherits them, they are readable in `/proc/<pid>/environ` by anything running as the same user, applications and crash reporters commonly dump the environment into logs and error reports, and `docker inspect` / `crictl inspect` on the node show them. They are also fixed at container start, so a rotated Secret needs a restart. A mounted Secret file is read only by the code that opens it, can be given mode 0400, and is updated in place.',
  remediation:
    'Mount the Secret as a volume (`volumes[].secret.secretName` with `defaultMode: 0400` or `0440`, plus a `volumeMounts[]` entry with `readOnly: true`) and have the application read the file (many images accept `*_FILE` variables, e.g. `POSTGRES_PASSWORD_FILE`). Where the application can only read env vars, keep `secretKeyRef` for the few keys it needs rather than `envFrom` of a whole Secret.',
  *check({ container, field, index, name, path }) {
    const env = container['env'];
    const envFrom = container['envFrom'];
    let first: Path | undefined;
    let others: Path[] | undefined;
    let items: string[] | undefined;
    if (Array.isArray(env)) {
      for (let i = 0; i < env.length; i++) {
        const entry = env[i];
        if (!isObject(entry)) continue;
        const ref = asObject(asObject(entry['valueFrom'])?.['secretKeyRef']);
        if (ref === undefined) continue;
        const at: Path = [...path, 'env', i, 'valueFrom', 'secretKeyRef'];
        if (first === undefined) first = at;
        else (others ??= []).push(at);
        (items ??= []).push(`${asString(entry['name']) ?? '?'} (${asString(ref['name']) ?? '?'}/${asString(ref['key']) ?? '?'})`);
      }
    }
    if (Array.isArray(envFrom)) {
      for (let i = 0; i < envFrom.length; i++) {
        const entry = envFrom[i];
        if (!isObject(entry)) continue;
        const ref = asObject(entry['secretRef']);
        if (ref === undefined) continue;
        const at: Path = [...path, 'envFrom', i, 'secretRef'];
        if (first === undefined) first = at;
        else (others ??= []).push(at);
        (items ??= []).push(`every key of Secret ${JSON.stringify(asString(ref['name']) ?? '?')} (envFrom)`);
      }
    }
    if (first === undefined || items === undefined) return;
    const shown = items.length > 6 ? `${items.slice(0, 6).join(', ')}, and ${items.length - 6} more` : items.join(', ');
    const violation = { path: first, message: `${containerLabel(field, name, index)} receives Secret values as environment variables: ${shown}` };
    yield others === undefined ? violation : { ...violation, paths: others };
  },
});
