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
    'A password, token or key is written as a literal: an env var or a ConfigMap key named like a credential (`DB_PASSWORD`, `DB_PASSWORD_2`, `API_KEY`, `clientSecret`, `SECRET_KEY_BASE`, a `password.txt` file), every `password=` line inside a configuration file held in a ConfigMap (application.properties, .env, JSON, YAML, XML, redis.conf `requirepass`, .npmrc `_authToken`, .netrc entries, .pgpass lines), a registry login in a Docker `config.json`, a `--password=` or `--requirepass` flag, a URL with `user:password@`, or an HTTP Basic/Bearer header. ConfigMaps, pod specs and annotations are not protected like Secrets: they are readable by everyone with `get` on the object, shown by `kubectl describe`, committed to Git and copied into CI logs. Placeholders (`changeme`, `${VAR}`, `$(VAR)`, `` `cat file` ``, `<password>`), file paths (`*_FILE`) and references (Vault Agent paths, `GPG_KEY` fingerprints) are not reported. Under password names any other value of 4+ characters counts; under token, secret and key names, which often hold the name of a Secret or a mode, a value counts when it looks generated, mixes letters with digits or symbols (8+ characters), is a run of 12+ letters (not one ending in `secret` or `credentials`, which names a Secret), or is a passphrase of two to five words (`keyboard cat`; not a mode in capitals such as `LOGIN PLAIN`, nor a note such as `see vault`), and is not shaped like an object name (`tls-secret`, `db-credentials.v2`); names such as `existingSecret` hold the name of a Secret and are not read. Messages never show the value, nor a fingerprint or a length of it (`value withheld`): a value a person may have chosen, however long or random it looks, could be found from them by a dictionary search.',
  remediation:
    'Move the value into a Secret (created by a secret manager, never committed) and mount it as a file: `volumes[].secret` with a `volumeMounts[]` entry, and point the application at the file (e.g. `POSTGRES_PASSWORD_FILE=/run/secrets/db/password`, Spring `configtree:`). If the application only reads env vars, use `env[].valueFrom.secretKeyRef`. Rotate the value, since it has been exposed.',
  *check({ object }) {
    yield* credentialViolations(object, 'password');
  },
});
