/**
 * No output of mamori ever contains a secret value. Manifests holding known secrets in every
 * place they hide (env values, command lines, ConfigMap data and binaryData, Secret data and
 * stringData, annotations, last-applied-configuration copies, a document that fails to parse)
 * are scanned with every rule of the catalog, optional ones included, and rendered by every
 * writer; no value, base64 form of a value, or 10-character piece of a long value may appear,
 * nor the fingerprint of any value but a credential recognised by the format of generated material.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { knownRules, parseConfig } from '../src/engine/config.js';
import { scanTexts } from '../src/engine/scan.js';
import { WRITERS } from '../src/report/index.js';
import { RULES } from '../src/rules/index.js';
import type { Report } from '../src/types.js';

/** Fake credentials generated for this test: none is or was ever valid. */
const SECRETS = {
  envPassword: 'Zq7!vRt2#mLp9x',
  urlPassword: 'Ur1-p4ss-W0rd-91',
  argPassword: 'ArgP4ss-8812kq',
  scriptPassword: 'Scr1pt-Pw-4471',
  awsId: 'AKIAFXGPOVZ4GLRWHWZZ',
  awsSecret: '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',
  githubToken: 'ghp_CBmMC8pfhp2Wv71cPwFy0Bl1LRvytjjeCbR3',
  propertiesPassword: 'Tr0ub4dor&3-props',
  jsonPassword: 'j50n-P4ss-77aa',
  binaryPassword: 'b1n-P4ss-0091zz',
  annotationToken: 'glpat-K0A1ZXHXDhP1kKHnBBy0',
  staleEnvPassword: 'r3d1s-Pa55-old',
  secretData: '3Lb48ktFRZMyu9RdoRMq92hF',
  secretStringData: '9pQ2-vR7x-Lm4k-Qz',
  weakSecret: 'changeme',
  brokenDocPassword: 'Br0ken-D0c-P4ss',
  pemLine: 'MIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBALPB6/HQAZOi81UV',
  initPassword: 'M1gr4te-Pw-2291',
  dsnPassword: 'Dsn-P4ss-8812',
  redisPassword: 'R3d1s-C0nf-55',
  registryLogin: 'ci:Reg1stry-Pw-31',
  npmToken: 'Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56',
  filePassword: 'F1le-P4ss-7730',
  shortPassword: 'hunter22',
  walkPassword: '1q2w3e4r5t6y7u8i9o0p',
  base64Password: Buffer.from('Summer2024!Summer2024!\n').toString('base64'),
} as const;

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/** Every form a value could leak in: itself, base64 (padded or not, URL-safe), JSON-escaped. */
function forms(value: string): string[] {
  const std = b64(value);
  const out = new Set([value, std, std.replace(/=+$/, ''), std.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''), JSON.stringify(value).slice(1, -1)]);
  // Pieces of long values: a prefix, a suffix or any middle slice of 10 characters.
  if (value.length >= 16) for (let i = 0; i + 10 <= value.length; i++) out.add(value.slice(i, i + 10));
  return [...out];
}

const PEM = ['-----BEGIN PRIVATE KEY-----', SECRETS.pemLine, 'Y4lslnTg5xQb9ouSpoVESXFDAJMg3kkQi0K2uSMKtCmXGg8Ul/FIeVkytWO17aq4', '-----END PRIVATE KEY-----'].join('\n');

const lastAppliedPod = JSON.stringify({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'reports', namespace: 'leaky' },
  spec: { containers: [{ name: 'reports', image: 'registry.example.com/reports:3', env: [{ name: 'REDIS_PASSWORD', value: SECRETS.staleEnvPassword }] }] },
});
const lastAppliedSecret = JSON.stringify({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'api', namespace: 'leaky' },
  type: 'Opaque',
  data: { 'api-key': b64(SECRETS.secretData) },
  stringData: { webhook: SECRETS.secretStringData },
});

const MANIFESTS = `apiVersion: v1
kind: Namespace
metadata:
  name: leaky
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: leaky
  annotations:
    ci.acme.io/github-token: ${SECRETS.githubToken}
    notifier.acme.io/token: ${SECRETS.annotationToken}
spec:
  selector:
    matchLabels: { app: api }
  template:
    metadata:
      labels: { app: api }
      annotations:
        debug.acme.io/db-password: "${SECRETS.envPassword}"
    spec:
      hostNetwork: true
      initContainers:
        - name: migrate
          image: registry.example.com/api:1.0
          command: ["/bin/sh", "-c", "MYSQL_PWD=${SECRETS.scriptPassword} mysql -h db < /sql/init.sql"]
          env:
            - { name: DB_PASSWORD_2, value: "${SECRETS.initPassword}" }
      containers:
        - name: api
          image: registry.example.com/api:1.0
          args: ["--db-password", "${SECRETS.argPassword}"]
          securityContext: { privileged: true }
          env:
            - { name: DB_PASSWORD, value: "${SECRETS.envPassword}" }
            - { name: DATABASE_URL, value: "postgres://api:${SECRETS.urlPassword}@db:5432/api" }
            - { name: AWS_ACCESS_KEY_ID, value: ${SECRETS.awsId} }
            - { name: AWS_SECRET_ACCESS_KEY, value: "${SECRETS.awsSecret}" }
            - { name: STRIPE_KEY, valueFrom: { secretKeyRef: { name: api, key: api-key } } }
          envFrom:
            - secretRef: { name: api }
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: api-config
  namespace: leaky
data:
  DB_PASSWORD: "${SECRETS.envPassword}"
  ADMIN_PASSWORD: ${SECRETS.shortPassword}
  ROOT_PASSWORD: "${SECRETS.walkPassword}"
  SMTP_PASSWORD: "${SECRETS.base64Password}"
  application.properties: |
    sentry.dsn=https://4f2a9c:${SECRETS.dsnPassword}@sentry.leaky.internal/12
    spring.datasource.password=${SECRETS.propertiesPassword}
  redis.conf: |
    requirepass ${SECRETS.redisPassword}
  config.json: '{"auths": {"registry.leaky.io": {"auth": "${b64(SECRETS.registryLogin)}"}}}'
  .npmrc: |
    //registry.npmjs.org/:_authToken=${SECRETS.npmToken}
  password.txt: ${SECRETS.filePassword}
  settings.json: '{"db": {"password": "${SECRETS.jsonPassword}"}}'
  tls.key: |
${PEM.split('\n').map((l) => `    ${l}`).join('\n')}
binaryData:
  app.env: ${b64(`DB_PASSWORD=${SECRETS.binaryPassword}\n`)}
---
apiVersion: v1
kind: Secret
metadata:
  name: api
  namespace: leaky
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '${lastAppliedSecret}'
type: Opaque
data:
  api-key: ${b64(SECRETS.secretData)}
  password: ${b64(SECRETS.weakSecret)}
stringData:
  webhook: ${SECRETS.secretStringData}
---
apiVersion: v1
kind: Pod
metadata:
  name: reports
  namespace: leaky
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '${lastAppliedPod}'
spec:
  containers:
    - name: reports
      image: registry.example.com/reports:3
      env:
        - name: REDIS_PASSWORD
          valueFrom: { secretKeyRef: { name: redis, key: password } }
`;

/** A document that does not parse, with a secret on the offending line. */
const BROKEN = `apiVersion: v1
kind: ConfigMap
metadata:
  name: broken
data:
  DB_PASSWORD: "${SECRETS.brokenDocPassword}
  other: [unclosed
`;

/** The same manifests as JSON, which the loader reads natively. */
function asJson(): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'json-config', namespace: 'leaky', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': lastAppliedSecret } },
    data: { DB_PASSWORD: SECRETS.envPassword, 'settings.json': JSON.stringify({ password: SECRETS.jsonPassword }) },
  });
}

function scanAll(): Report {
  // Every rule on, optional ones included.
  const config = parseConfig({ rules: Object.fromEntries(RULES.map((r) => [r.id, 'on'])) }, 'test', knownRules(RULES));
  return scanTexts(
    [
      { file: 'leaky.yaml', text: MANIFESTS },
      { file: 'broken.yaml', text: BROKEN },
      { file: 'leaky.json', text: asJson() },
    ],
    { rules: RULES, config },
  );
}

describe('redaction: no output contains a secret value', () => {
  const report = scanAll();
  // Each output beside the same writer's output for the report with the findings' own text
  // blanked: rule metadata (SARIF describes every rule, the HTML report the rules it shows, and a
  // description may name a weak value such as "changeme") is in both, so only occurrences beyond
  // those count as leaks.
  const outputs: [string, string, string][] = [];
  const blank = <F extends { message: string; path: string; object: { name: string }; paths?: string[] }>(f: F): F => {
    const { paths: _paths, ...rest } = f;
    return { ...rest, message: 'x', path: 'x', object: { ...f.object, name: 'x' } } as F;
  };
  const empty = { ...report, findings: report.findings.map(blank), suppressed: report.suppressed.map(blank), errors: report.errors.map((e) => ({ ...e, message: 'x' })) };
  for (const [format, write] of Object.entries(WRITERS)) {
    for (const color of [false, true]) {
      const options = { color, rules: RULES, cwd: process.cwd(), now: new Date(0) };
      outputs.push([`${format}${color ? ' (color)' : ''}`, write(report, options), write(empty, options)]);
    }
  }
  const count = (text: string, form: string): number => text.split(form).length - 1;

  it('the fixtures are read (the broken document as an error) and the secrets rules find the leaks', () => {
    expect(report.errors.some((e) => e.file === 'broken.yaml')).toBe(true);
    const ids = new Set(report.findings.map((f) => f.ruleId));
    for (const id of ['hardcoded-credential', 'hardcoded-password', 'secret-in-last-applied', 'secret-in-env', 'weak-secret-value']) {
      if (RULES.some((r) => r.id === id)) expect(ids).toContain(id);
    }
  });

  /** The fingerprint mamori would compute for a value (first 8 hex digits). */
  const digest = (value: string): string => createHash('sha256').update(`mamori credential fingerprint v1\u0000${value}`).digest('hex').slice(0, 8);
  const reported = report.findings.filter((f) => f.ruleId === 'hardcoded-password' || f.ruleId === 'hardcoded-credential');

  it('every credential placed in the fixtures is reported', () => {
    const at = (path: string): boolean => reported.some((f) => f.path.includes(path));
    for (const path of ['initContainers[0].env[0]', 'ADMIN_PASSWORD', 'application.properties', 'redis.conf', 'config.json', '.npmrc', 'password.txt']) expect(at(path), path).toBe(true);
    // The DSN's password and the property after it, in the same file.
    expect(reported.filter((f) => f.path.includes('application.properties')).map((f) => /\(line \d\)/.exec(f.message)?.[0])).toEqual(['(line 1)', '(line 2)']);
  });

  it('a message ends with a fingerprint and a length for a recognised format, or says the value is withheld', () => {
    for (const f of reported) {
      if (f.ruleId === 'hardcoded-credential') expect(f.message).toMatch(/ in plain text: (?:\S+… )?sha256:[0-9a-f]{8}… \(\d+ chars\)$/);
      else expect(f.message).toMatch(/ in plain text \(value withheld\)$/);
    }
  });

  it('no output holds the fingerprint of a value not recognised by the format of generated material', () => {
    // Credentials recognised by their format are generated material: their fingerprints are shown.
    const formats = new Set(['awsId', 'awsSecret', 'githubToken', 'annotationToken', 'pemLine']);
    const leaks: string[] = [];
    for (const [name, value] of Object.entries(SECRETS)) {
      if (formats.has(name)) continue;
      for (const [format, text] of outputs) if (text.includes(digest(value))) leaks.push(`${format}: ${name}`);
    }
    expect(leaks).toEqual([]);
    // The check can see a fingerprint: those of recognised formats are shown.
    for (const value of [SECRETS.awsSecret, SECRETS.githubToken]) {
      for (const [format, text] of outputs) expect(text.includes(digest(value)), format).toBe(true);
    }
  });

  for (const [name, value] of Object.entries(SECRETS)) {
    it(`${name} appears in no output`, () => {
      const leaks: string[] = [];
      for (const [format, text, metadata] of outputs) {
        for (const form of forms(value)) {
          if (count(text, form) <= count(metadata, form)) continue;
          // Name the rule whose finding carries it, to point at the culprit.
          const culprits = [...report.findings, ...report.suppressed]
            .filter((f) => JSON.stringify(f).includes(form))
            .map((f) => f.ruleId);
          const errors = report.errors.filter((e) => JSON.stringify(e).includes(form)).map((e) => `error in ${e.file}`);
          leaks.push(`${format}: ${JSON.stringify(form)} via ${[...new Set([...culprits, ...errors])].join(', ') || 'report metadata'}`);
        }
      }
      expect(leaks).toEqual([]);
    });
  }
});

describe('redaction: encryption keys', () => {
  const config = (keys: string[]): string =>
    `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - secretbox:\n          keys:\n${keys.map((k, i) => `            - {name: key${i + 1}, secret: "${k}"}`).join('\n')}\n`;
  const messages = (text: string): string[] =>
    scanTexts([{ file: 'enc.yaml', text }], { rules: RULES.filter((r) => r.id === 'encryption-invalid-key') }).findings.map((f) => f.message);

  it('names a key of random bytes by a SHA-256 behind a mamori prefix, and withholds a key of text', () => {
    // 16 random bytes (too short for secretbox): named by the digest of the prefix and the decoded bytes.
    const random = 'yc3AvZLR+adKwSF8NYRztA==';
    const bytes = Buffer.from(random, 'base64');
    const hex = createHash('sha256').update(Buffer.concat([Buffer.from('mamori encryption key fingerprint v1\u0000'), bytes])).digest('hex').slice(0, 12);
    const out = messages(config([random]));
    expect(out).toEqual([`resources[0] (secrets) secretbox: key "key1" (sha256:${hex}) is 16 bytes; secretbox needs 32 bytes: the API server rejects the file`]);
    // Not the plain SHA-256 of the key, which public tables could list.
    expect(out.join('')).not.toContain(createHash('sha256').update(bytes).digest('hex').slice(0, 12));
    // Keys whose bytes are text were typed: "password12345678", 32 digits, Cyrillic words. The
    // 32-byte key is valid for secretbox, and is reported as used twice.
    for (const text of ['password12345678', '12345678901234567890123456789012', 'парольпароль']) {
      const typed = Buffer.from(text).toString('base64');
      const withheld = messages(config([typed, typed]));
      const bytes = Buffer.byteLength(text);
      expect(withheld).toEqual([
        ...[1, 2].filter(() => bytes !== 32).map((i) => `resources[0] (secrets) secretbox: key "key${i}" (value withheld) is ${bytes} bytes; secretbox needs 32 bytes: the API server rejects the file`),
        'resources[0] (secrets) secretbox: key "key2" (value withheld) is also used in resources[0] (secrets) secretbox: one leaked key decrypts both',
      ]);
      for (const digest of [createHash('sha256').update(text).digest('hex'), createHash('sha256').update(`mamori encryption key fingerprint v1\u0000${text}`).digest('hex')]) {
        expect(withheld.join('')).not.toContain(digest.slice(0, 12));
      }
    }
  });
});
