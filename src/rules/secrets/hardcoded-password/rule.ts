import { defineRule } from '../../../engine/rule.js';
import { credentialViolations } from '../credentials.js';

export const rule = defineRule({
  id: 'hardcoded-password',
  title: 'Password or secret in plain text',
  severity: 'medium',
  target: 'object',
  controls: ['STO-5', 'ACC-2'],
  frameworks: { kubescape: ['C-0012'], nsa: ['Secrets'] },
  description:
    'A password, token or key is written as a literal: an env var or a ConfigMap key named like a credential (`DB_PASSWORD`, `API_KEY`, `clientSecret`), a `password=` line inside a configuration file held in a ConfigMap (application.properties, .env, JSON, YAML, XML), a `--password=` flag, a URL with `user:password@`, or an HTTP Basic/Bearer header. ConfigMaps, pod specs and annotations are not protected like Secrets: they are readable by everyone with `get` on the object, shown by `kubectl describe`, committed to Git and copied into CI logs. Placeholders (`changeme`, `${VAR}`, `$(VAR)`, `<password>`), file paths (`*_FILE`) and references are not reported.',
  remediation:
    'Move the value into a Secret (created by a secret manager, never committed) and mount it as a file: `volumes[].secret` with a `volumeMounts[]` entry, and point the application at the file (e.g. `POSTGRES_PASSWORD_FILE=/run/secrets/db/password`, Spring `configtree:`). If the application only reads env vars, use `env[].valueFrom.secretKeyRef`. Rotate the value, since it has been exposed.',
  *check({ object }) {
    yield* credentialViolations(object, 'password');
  },
});
