/**
 * Credential detection (src/k8s/secrets.ts): each pattern's true and false positives, the
 * placeholder and reference filters, the redacted fingerprint and when it is withheld (for every
 * value not recognised by the format of generated material), and the messages of the rules that report credentials. The expected values were
 * worked out by hand; the fake credentials were generated for these tests.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { knownRules, parseConfig } from '../src/engine/config.js';
import { scanTexts } from '../src/engine/scan.js';
import { RULES } from '../src/rules/index.js';
import {
  credentialKeyName,
  credentialName,
  describeCredential,
  fingerprint,
  isPlaceholder,
  isUserName,
  isWeakValue,
  looksRandom,
  scanArgs,
  scanBinaryValue,
  scanNamedValue,
  scanText,
  shannonEntropy,
  type CredentialKind,
} from '../src/k8s/secrets.js';

const AWS_ID = 'AKIAFXGPOVZ4GLRWHWZZ';
const AWS_SECRET = '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';
const GITHUB = 'ghp_CBmMC8pfhp2Wv71cPwFy0Bl1LRvytjjeCbR3';
const GITLAB = 'glpat-K0A1ZXHXDhP1kKHnBBy0';
const SLACK = 'xoxb-263594206564-2343594206574-FGqddMF8t08v8N7Oq4i57vs1';
const STRIPE = 'sk_live_3Lb48ktFRZMyu9RdoRMq92hF';
const PEM_BODY = [
  'MIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBALPB6/HQAZOi81UV',
  'Y4lslnTg5xQb9ouSpoVESXFDAJMg3kkQi0K2uSMKtCmXGg8Ul/FIeVkytWO17aq4',
  'DJNgMcTWBURPndJZ8RwWUNDjAfIv9UvpCSZgGqjULQ0YBKRh3nQfi2lGUs6oCg7H',
];
const PEM = ['-----BEGIN RSA PRIVATE KEY-----', ...PEM_BODY, '-----END RSA PRIVATE KEY-----'].join('\n');
const AZURE_KEY = '4CzAkXSKpfUocGhbLEkhc0gGlCwL8N4M2Gs2P2ZVT9+Mkn1VZw1kLZVkKVEthG6qKgPq19yU1tb2fcbENXkNgg==';
// {"alg":"HS256","typ":"JWT"} . {"sub":"1234567890","name":"ci"} . signature
const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6ImNpIn0.Zk3JxQ2v8s1TnLwQYbUoR4pE7aHcM9dVgK0iF6uB5yA';
// {"alg":"none"} . {"sub":"x"} . a fake signature: unsigned tokens are not credentials.
const JWT_NONE = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4IiwibmFtZSI6ImNpIn0.AAAAAAAAAAAAAAAAAAAAAAAAAAAA';

function kinds(list: readonly { kind: CredentialKind }[]): CredentialKind[] {
  return list.map((c) => c.kind);
}

describe('shannonEntropy', () => {
  it.each([
    ['', 0],
    ['aaaa', 0],
    ['abab', 1],
    ['abcd', 2],
    ['aabbccdd', 2],
    // p, a, w, o, r, d once (1/8 each: 3 bits), s twice (1/4: 2 bits): 6*3/8 + 2/4 = 2.75
    ['password', 2.75],
    ['0123456789abcdef', 4],
    // a twice, b once: -(2/3 log2 2/3 + 1/3 log2 1/3) = 0.9183
    ['aab', 0.9183],
  ])('%j has %d bits per character', (value, bits) => {
    expect(shannonEntropy(value)).toBeCloseTo(bits, 4);
  });

  it('counts characters, not UTF-16 units', () => {
    expect(shannonEntropy('🔑🔑')).toBe(0);
  });
});

describe('looksRandom (entropy threshold 3.5 bits, 16+ characters, letters and digits)', () => {
  it('accepts exactly 3.5 bits: 8 characters once (8 x 1/16 x 4) and 4 twice (4 x 1/8 x 3)', () => {
    expect(shannonEntropy('abcd1234wwxxyyzz')).toBe(3.5);
    expect(looksRandom('abcd1234wwxxyyzz')).toBe(true);
  });
  it('rejects 3.45 bits: 9 once, 2 twice, 1 three times', () => {
    expect(shannonEntropy('abcd1234wwwxxyyz')).toBeCloseTo(3.4528, 4);
    expect(looksRandom('abcd1234wwwxxyyz')).toBe(false);
  });
  it.each([
    ['0123456789abcdef0123456789abcdef', true], // hex: 4 bits
    [AWS_SECRET, true],
    ['550e8400-e29b-41d4-a716-446655440000', true], // UUID
    ['abcdefgh12', false], // too short
    ['aaaaaaaa11111111', false], // 1 bit
    ['abcdefghijklmnopqrst', false], // no digit
    ['12345678901234567890', false], // no letter
    ['correct horse battery staple 1', false], // spaces
  ])('%j → %s', (value, expected) => {
    expect(looksRandom(value)).toBe(expected);
  });
});

describe('credentialName (only the last word of a name counts, a number after it aside)', () => {
  it.each([
    ['DB_PASSWORD', 'password'],
    ['DB_PASSWORD_2', 'password'],
    ['DB_PASSWORD4', 'password'],
    ['ADMIN_PASSWORD_1', 'password'],
    ['API_KEY2', 'secret'],
    ['requirepass', 'password'], // Redis
    ['masterauth', 'password'],
    ['SECRET_KEY_BASE', 'secret'], // Rails, Phoenix
    ['_authToken', 'secret'], // .npmrc
    ['KEY_BASE', undefined],
    ['PASSWORD_2_FILE', undefined],
    ['TOKEN_2', 'secret'],
    ['V2', undefined],
    ['vault.hashicorp.com/agent-inject-secret-db-creds', undefined], // a Vault path
    ['vault.hashicorp.com/agent-inject-token', undefined],
    ['spring.datasource.password', 'password'],
    ['PGPASSWORD', 'password'],
    ['redisPass', 'password'],
    ['db_pwd', 'password'],
    ['ssl-passphrase', 'password'],
    ['clientSecret', 'secret'],
    ['GITHUB_TOKEN', 'secret'],
    ['API_KEY', 'secret'],
    ['api-key', 'secret'],
    ['AWSSecretAccessKey', 'secret'],
    ['SIGNING_KEY', 'secret'],
    ['GOOGLE_APPLICATION_CREDENTIALS', 'secret'],
    ['REDIS_AUTH', 'secret'],
    ['PASSWORD_FILE', undefined],
    ['POSTGRES_PASSWORD_FILE', undefined],
    ['TOKEN_TTL', undefined],
    ['SECRET_NAME', undefined],
    ['api-key-header', undefined],
    ['PASSWORD_MIN_LENGTH', undefined],
    ['CACHE_KEY', undefined],
    ['PUBLIC_KEY', undefined],
    ['KEY', undefined],
    ['bypass', undefined],
    ['compass', undefined],
    ['AUTH', undefined],
    ['checksum/secret', undefined], // Helm's checksum annotation
    ['TOKEN_SHA256', undefined],
    ['secret-version', undefined],
    ['LOG_LEVEL', undefined],
  ])('%s → %s', (name, expected) => {
    expect(credentialName(name)).toBe(expected);
  });
});

describe('credentialKeyName (ConfigMap and Secret keys may be file names)', () => {
  it.each([
    ['password.txt', 'password'],
    ['db-password.conf', 'password'],
    ['api-token.cfg', 'secret'],
    ['DB_PASSWORD', 'password'],
    ['tls.key', 'secret'],
    ['password.json', undefined],
    ['password.txt.bak', undefined],
    ['notes.txt', undefined],
  ])('%s → %s', (name, expected) => {
    expect(credentialKeyName(name)).toBe(expected);
  });
});

describe('isUserName', () => {
  it.each([
    ['username', true],
    ['DB_USER', true],
    ['apiUsername', true],
    ['node.session.auth.username', true],
    ['login', true],
    ['user-name', false],
    ['apiPassword', false],
  ])('%s → %s', (name, expected) => {
    expect(isUserName(name)).toBe(expected);
  });
});

describe('isPlaceholder', () => {
  it.each([
    '', '   ', 'changeme', 'change-me', 'CHANGE_ME', 'changeit', '<password>', '<your-api-key>', '${DB_PASSWORD}', '$(DB_PASSWORD)',
    '$DB_PASSWORD', '$1', '{{ .Values.password }}', '#{password}', '%s', 'example', 'my-example-key', 'sample-token', 'dummy',
    'placeholder', 'REPLACE_ME', 'redacted', 'your-password-here', 'xxx', 'xxxxxxxx', '********', '...', 'TODO', 'none', 'null',
    'true', 'false', '__PASSWORD__', '@DB_PASSWORD@', '%PASSWORD%', '/run/secrets/db/password', './secret.txt', 'file:/etc/key',
    'vault:secret/data/db#password', 'ref+vault://secret/db#password', 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:db',
    'projects/acme/secrets/db/versions/latest', 'op://vault/db/password', 'ENC[AES256_GCM,data:abc,iv:def]', 'aaaaaa', '000000',
  ])('%j is a placeholder', (value) => {
    expect(isPlaceholder(value)).toBe(true);
  });
  it.each(['hunter22', 'Sup3rS3cret!', 'admin123', 'password', 'admin', AWS_SECRET, 'Tr0ub4dor&3'])('%j is a literal', (value) => {
    expect(isPlaceholder(value)).toBe(false);
  });
});

/** A 24-character random value: still withheld, since nothing tells it from a value a person chose. */
const STRONG = 'Zq3vT9xLm2Pr8sKd4Wn7Yb1H';
const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

describe('fingerprint (shown only for credentials recognised by the format of generated material)', () => {
  it('is the SHA-256 over a mamori prefix and the value, 8 hex digits, with the length', () => {
    const hex = createHash('sha256').update(`mamori credential fingerprint v1\u0000${GITHUB}`).digest('hex').slice(0, 8);
    expect(fingerprint(GITHUB)).toBe(`sha256:${hex}… (40 chars)`);
    expect(scanNamedValue('X', GITHUB)[0]?.fingerprint).toBe(`ghp_… sha256:${hex}… (40 chars)`);
  });
  it('is stable and tells values apart', () => {
    expect(fingerprint(GITHUB)).toBe(fingerprint(GITHUB));
    expect(fingerprint(GITHUB)).not.toBe(fingerprint(`${GITHUB.slice(0, -1)}J`));
  });
  it('counts characters, not bytes', () => {
    expect(fingerprint(`${STRONG}ä`)).toMatch(/\(25 chars\)$/);
  });
  it('is not the plain SHA-256 that public tables list', () => {
    expect(fingerprint(GITHUB)).not.toContain(createHash('sha256').update(GITHUB).digest('hex').slice(0, 8));
  });
  it('never contains the value', () => {
    for (const v of [STRONG, AWS_SECRET, GITHUB]) expect(fingerprint(v)).not.toContain(v.slice(0, 8));
  });
  it.each([
    ['an AWS access key id', AWS_ID, 'AKIA… '],
    ['an AWS secret access key under its name', AWS_SECRET, ''],
    ['a GitLab token', GITLAB, 'glpat-… '],
    ['a JSON Web Token', JWT, ''],
  ])('is shown for %s', (_what, value, marker) => {
    const name = value === AWS_SECRET ? 'AWS_SECRET_ACCESS_KEY' : 'X';
    expect(scanNamedValue(name, value).map((c) => c.fingerprint)).toEqual([`${marker}${fingerprint(value)}`]);
  });
  it('is shown for a private key, over its body', () => {
    expect(scanNamedValue('tls.key', PEM).map((c) => c.fingerprint)).toEqual([fingerprint(PEM_BODY.join(''))]);
  });
  it.each([
    // Values a person chose, however long or random they look: a keyboard walk, a sequence, a
    // repeat, words of another script, base64 of text (padded or not, with a line break, URL-safe).
    'hunter22', 'Sup3rS3cret!', STRONG, '1q2w3e4r5t6y7u8i9o0p', '123456789012345678901234567890', 'Password123!Password123!Password123!',
    'мойсекретныйпароль2024', 'CorrectHorseBatteryStaple', b64('Summer2024!Summer2024!\n'), b64('hunter2hunter2hunter2hunter2').replace(/=+$/, ''),
    b64('пароль-пароль').replace(/\+/g, '-').replace(/\//g, '_'), '0123456789abcdef0123456789abcdef',
  ])('is withheld for the password %j', (value) => {
    const found = scanNamedValue('DB_PASSWORD', value);
    expect(found.map((c) => [c.kind, c.fingerprint])).toEqual([['password', undefined]]);
    expect(describeCredential(found[0]!)).toBe('a password (value withheld)');
  });
  it('is withheld for tokens named but not recognised by format, HTTP Basic and Bearer credentials and registry logins', () => {
    expect(scanNamedValue('API_TOKEN', STRONG).map((c) => [c.kind, c.fingerprint])).toEqual([['secret', undefined]]);
    expect(scanText('Authorization: Basic b3BzOlBhNTV3b3JkIQ==').map((c) => [c.kind, c.fingerprint])).toEqual([['basic-auth', undefined]]);
    expect(scanText(`Authorization: Bearer ${STRONG}`).map((c) => [c.kind, c.fingerprint])).toEqual([['bearer-token', undefined]]);
    expect(scanText(`{"auths": {"r.io": {"auth": "${b64('ci:Zq3vT9xLm2Pr8sKd4Wn7')}"}}}`).map((c) => [c.kind, c.fingerprint])).toEqual([['registry-auth', undefined]]);
    expect(scanText('DATABASE_URL=postgres://app:Zq3vT9xLm2Pr8sKd4Wn7@db/app').map((c) => [c.kind, c.fingerprint])).toEqual([['url-password', undefined]]);
  });
});

describe('format patterns (class key)', () => {
  it.each([
    ['AWS access key id', AWS_ID, 'aws-access-key-id', 'AKIA…'],
    ['AWS temporary key id', 'ASIAY34FZKBOKMUTVV7A', 'aws-access-key-id', 'ASIA…'],
    ['GitHub classic token', GITHUB, 'github-token', 'ghp_…'],
    ['GitHub fine-grained token', `github_pat_11ABCDEFG0${'x9Kq2LmN7pRt4VwY8zB3cD6fH1jK5nP0sU3vX7yA2bE4gJ8kM1qT6wZ9'}`, 'github-token', 'github_pat_…'],
    ['GitHub app token', 'ghs_16C7e42F292c6912E7710c838347Ae178B4a', 'github-token', 'ghs_…'],
    ['GitLab token', GITLAB, 'gitlab-token', 'glpat-…'],
    ['Slack bot token', SLACK, 'slack-token', 'xoxb-…'],
    ['Stripe live key', STRIPE, 'stripe-key', 'sk_live_…'],
  ])('%s', (_what, value, kind, marker) => {
    const found = scanNamedValue('VALUE', value);
    expect(kinds(found)).toEqual([kind]);
    expect(found[0]?.class).toBe('key');
    expect(found[0]?.fingerprint?.startsWith(`${marker} sha256:`)).toBe(true);
    expect(found[0]?.fingerprint).not.toContain(value.slice(0, marker.length));
  });

  it('a PEM private key, with its line inside a file', () => {
    const found = scanText(`# tls\n${PEM}\n`);
    expect(kinds(found)).toEqual(['private-key']);
    expect(found[0]?.line).toBe(2);
  });

  it('a PEM private key in base64, as kubeconfig client-key-data holds it', () => {
    const kubeconfig = `users:\n- name: admin\n  user:\n    client-certificate-data: ${Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64')}\n    client-key-data: ${Buffer.from(`${PEM}\n`).toString('base64')}\n`;
    const found = scanText(kubeconfig);
    expect(kinds(found)).toEqual(['private-key']);
    expect(found[0]?.line).toBe(5);
    expect(found[0]?.fingerprint).toBe(scanText(PEM)[0]?.fingerprint);
  });

  it('an AWS key pair in a credentials file: the secret key is found next to its id', () => {
    const found = scanText(`[default]\naws_access_key_id = ${AWS_ID}\naws_secret_access_key = ${AWS_SECRET}\n`);
    expect(kinds(found).sort()).toEqual(['aws-access-key-id', 'aws-secret-access-key']);
  });

  it('an AWS secret key under its usual name, alone', () => {
    expect(kinds(scanNamedValue('AWS_SECRET_ACCESS_KEY', AWS_SECRET))).toEqual(['aws-secret-access-key']);
  });

  it('a Google service-account key file, reported once (not also as a PEM key)', () => {
    const json = JSON.stringify({ type: 'service_account', project_id: 'p', private_key: `-----BEGIN PRIVATE KEY-----\n${PEM_BODY.join('\n')}\n-----END PRIVATE KEY-----\n`, client_email: 'a@p.iam.gserviceaccount.com' }, null, 2);
    expect(kinds(scanNamedValue('key.json', json))).toEqual(['gcp-service-account-key']);
  });

  it('Azure storage connection strings, but not the public Azurite key', () => {
    expect(kinds(scanNamedValue('STORAGE', `DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=${AZURE_KEY};EndpointSuffix=core.windows.net`))).toEqual(['azure-storage-key']);
    const azurite = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
    expect(scanNamedValue('STORAGE', `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${azurite};BlobEndpoint=http://azurite:10000/devstoreaccount1;`)).toEqual([]);
  });

  it('Azure Service Bus shared access keys and SAS URLs', () => {
    expect(kinds(scanNamedValue('BUS', 'Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=Qm9vTjJ1c2tXcmE3NHpYcVlMbW5CcGZ4VGh1ZzlLcz0='))).toEqual(['azure-shared-access-key']);
    expect(kinds(scanNamedValue('URL', 'https://acme.blob.core.windows.net/c/f?sv=2022-11-02&ss=b&srt=o&sp=r&se=2026-01-01&sig=J2hHk0nQ%2FyXz7Wv1pLmQe3rT8uYb5cVn6dFg4hJk9sA%3D'))).toEqual(['azure-sas-token']);
  });

  it('a Slack webhook URL', () => {
    expect(kinds(scanNamedValue('ALERT_URL', 'https://hooks.slack.com/services/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'))).toEqual(['slack-webhook']);
  });

  it('a signed JWT, but not an unsigned one', () => {
    expect(kinds(scanNamedValue('X', JWT))).toEqual(['jwt']);
    expect(scanNamedValue('X', JWT_NONE)).toEqual([]);
  });

  it.each([
    ['AWS documentation key', 'AKIAIOSFODNN7EXAMPLE'],
    ['AWS documentation secret', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
    ['masked GitHub token', 'ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'],
    ['Slack webhook template', 'https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX'],
    ['truncated PEM in docs', '-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----'],
    ['a certificate', '-----BEGIN CERTIFICATE-----\nMIIBszCCARygAwIBAgIUOyAm2Zf6wXkGq2ZtmXQ9M0L1R4wwDQYJKoZIhvcNAQEL\n-----END CERTIFICATE-----'],
    ['a git commit id', 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3'],
    ['an image digest', 'registry.example.com/app@sha256:7418ebf4a5d70c8cc7a70d2b4e2095d7b0375c60a6148424d67189bcb17b2200'],
    ['a Stripe test key', 'sk_test_3Lb48ktFRZMyu9RdoRMq92hF'],
  ])('no finding: %s', (_what, value) => {
    expect(scanNamedValue('VALUE', value)).toEqual([]);
  });
});

describe('named values (class password)', () => {
  it.each([
    ['DB_PASSWORD', 'Sup3rS3cret!', 'password'],
    ['ADMIN_PASSWORD', 'admin', 'password'],
    ['MYSQL_PASSWORD', 'password', 'password'],
    ['JWT_SECRET', '0123456789abcdef0123456789abcdef', 'secret'],
    ['MINIO_SECRET_KEY', 'minio123', 'secret'],
    ['API_TOKEN', 's3cr3t-T0ken!', 'secret'],
    ['CLIENT_SECRET', '550e8400-e29b-41d4-a716-446655440000', 'secret'],
  ])('%s=%s → %s', (name, value, kind) => {
    const found = scanNamedValue(name, value);
    expect(kinds(found)).toEqual([kind]);
    expect(found[0]?.class).toBe('password');
  });

  it.each([
    ['DB_PASSWORD', '${DB_PASSWORD}'],
    ['DB_PASSWORD', '$(DB_PASSWORD)'],
    ['DB_PASSWORD', 'changeme'],
    ['DB_PASSWORD', '<password>'],
    ['DB_PASSWORD', 'abc'], // under 4 characters: not a password anyone uses, often a flag
    ['POSTGRES_PASSWORD_FILE', '/run/secrets/db/password'],
    ['TLS_SECRET', 'my-tls-secret'], // a Secret's name
    ['CREDENTIALS', 'db-credentials-v2'], // a Secret's name with digits
    ['SESSION_SECRET', 'keyboardcat'], // letters only: not told apart from a word
    ['PROXY_AUTH', 'oauth2'], // a mode
    ['REQUIRE_PASSWORD', 'true'],
    ['TOKEN_TTL', '3600'],
    ['API_KEY', 'AKIAIOSFODNN7EXAMPLE'],
    ['DB_PASSWORD', '{ secretKeyRef: db }'],
  ])('no finding: %s=%s', (name, value) => {
    expect(scanNamedValue(name, value)).toEqual([]);
  });

  it('passwords in URLs, except templates and documentation hosts', () => {
    expect(kinds(scanNamedValue('DATABASE_URL', 'postgres://shop:Sup3rS3cret!@db:5432/shop'))).toEqual(['url-password']);
    expect(kinds(scanNamedValue('REDIS_URL', 'redis://:r3d1s-Pa55@redis:6379/0'))).toEqual(['url-password']);
    expect(kinds(scanNamedValue('URL', 'mysql://cms:Wq8!zL2#pV@mysql:3306/cms'))).toEqual(['url-password']);
    expect(scanNamedValue('DATABASE_URL', 'postgres://shop:$(DB_PASSWORD)@db:5432/shop')).toEqual([]);
    expect(scanNamedValue('DATABASE_URL', 'postgres://user:password@localhost/app')).toEqual([]);
    expect(scanNamedValue('DATABASE_URL', 'postgres://app:s3cret99@db.example.com/app')).toEqual([]);
    expect(scanNamedValue('DATABASE_URL', 'postgres://postgres:postgres@db/app')).toEqual([]); // password = user
    expect(scanNamedValue('UPSTREAM', 'http://10.0.0.1:8080/path')).toEqual([]);
  });

  it('HTTP authorization headers', () => {
    // "ops:Pa55word!" in base64
    expect(kinds(scanText('proxy_set_header Authorization "Basic b3BzOlBhNTV3b3JkIQ==";'))).toEqual(['basic-auth']);
    expect(kinds(scanText('Authorization: Bearer 0123456789abcdef0123456789abcdef'))).toEqual(['bearer-token']);
    expect(scanText('Authorization: Bearer $(TOKEN)')).toEqual([]);
  });
});

describe('whole files in ConfigMaps', () => {
  it('properties: a literal password with its line, a placeholder skipped', () => {
    const found = scanText('server.port=8080\nspring.datasource.username=app\nspring.datasource.password=Tr0ub4dor&3\napp.jwt.secret=${JWT_SECRET}\n');
    expect(found.map((c) => [c.kind, c.name, c.line])).toEqual([['password', 'spring.datasource.password', 3]]);
  });
  it('a file with CRLF line ends reads as the same file with LF', () => {
    const text = 'server.port=8080\nspring.datasource.password=Tr0ub4dor&3\nDB_PASSWORD: "h4rd-c0ded"\n';
    const lf = scanText(text).map((c) => [c.kind, c.name, c.line, c.identity]);
    expect(lf.map(([kind, name, line]) => [kind, name, line])).toEqual([
      ['password', 'spring.datasource.password', 2],
      ['password', 'DB_PASSWORD', 3],
    ]);
    expect(scanText(text.replace(/\n/g, '\r\n')).map((c) => [c.kind, c.name, c.line, c.identity])).toEqual(lf);
  });
  it('.env with export and quotes; comments are not values', () => {
    const found = scanText('# DB_PASSWORD=commented-out\nexport DB_PASSWORD="h4rd-c0ded"\nLOG_LEVEL=debug\n');
    expect(found.map((c) => [c.name, c.line])).toEqual([['DB_PASSWORD', 2]]);
  });
  it('nested YAML', () => {
    const found = scanText('datasource:\n  url: jdbc:mysql://db/app\n  password: hunter22 # rotate me\n  passwordFile: /etc/pw\n');
    expect(found.map((c) => [c.name, c.line])).toEqual([['password', 3]]);
  });
  it('YAML block scalars and nested mappings under credential names are not values', () => {
    expect(scanText('password: |\n  line\ntoken:\n  file: /x\n')).toEqual([]);
  });
  it('JSON on one line, XML, a connection string', () => {
    expect(kinds(scanText('{"db":{"user":"app","password":"j50n-P4ss"}}'))).toEqual(['password']);
    expect(kinds(scanText('<datasource>\n  <password>xml-P4ss!</password>\n</datasource>'))).toEqual(['password']);
    const conn = scanText('Server=db;Database=app;User Id=sa;Password=Pa55w0rd!;Encrypt=true');
    expect(conn.map((c) => c.name)).toEqual(['Password']);
    expect(conn[0]?.fingerprint).toBeUndefined(); // 9 characters: withheld
  });
  it('a value found twice on a line is reported once', () => {
    expect(scanText('PASSWORD=Pa55w0rd! # and again: --password=Pa55w0rd!')).toHaveLength(1);
  });
  it('text without credential words is skipped whole', () => {
    expect(scanText('worker_processes 4;\nevents { worker_connections 1024; }\n')).toEqual([]);
  });
});

describe('binaryData and command lines', () => {
  it('a keystore by its file name; text files decoded and scanned', () => {
    expect(kinds(scanBinaryValue('keystore.p12', 'MIIKXAIBAzCCChYGCSqGSIb3DQEHAaCCCgcEggoDMIIJ/zCCBWsGCSqGSIb3'))).toEqual(['keystore']);
    expect(kinds(scanBinaryValue('app.env', Buffer.from('DB_PASSWORD=b1n-P4ss\n').toString('base64')))).toEqual(['password']);
    expect(scanBinaryValue('logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]).toString('base64'))).toEqual([]);
  });
  it('flags with the value in the next argument or after =', () => {
    const found = scanArgs(['serve', '--db-password', 'hunter22', '--token=0123456789abcdef0123456789abcdef', '--password-file=/x', '-v']);
    expect(found.map((f) => [f.index, f.credential.kind])).toEqual([
      [2, 'password'],
      [3, 'secret'],
    ]);
  });
  it('a shell script in args', () => {
    const found = scanArgs(['/bin/sh', '-c', 'export PGPASSWORD="$(cat /run/secrets/pw)" && MYSQL_PWD=sh3ll-P4ss mysql -h db']);
    expect(found.map((f) => [f.index, f.credential.name])).toEqual([[2, 'MYSQL_PWD']]);
  });
});

describe('every credential of a multi-line value', () => {
  it('a URL password does not hide the passwords on the next lines', () => {
    const found = scanNamedValue('application.properties', 'sentry.dsn=https://4f2a9c:Sn7tRy-Pw41@sentry.shop.internal/12\nspring.datasource.password=Pr0dP4ssw0rd\nspring.rabbitmq.password=R4bb1tPw9\n');
    expect(found.map((c) => [c.kind, c.name, c.line])).toEqual([
      ['url-password', undefined, 1],
      ['password', 'spring.datasource.password', 2],
      ['password', 'spring.rabbitmq.password', 3],
    ]);
  });
  it('a token does not hide a password on another line, nor on its own line', () => {
    const yaml = scanNamedValue('app.yaml', `github:\n  token: ${GITHUB}\ndatabase:\n  password: Sup3rS3cretDb\n`);
    expect(yaml.map((c) => [c.kind, c.line])).toEqual([
      ['github-token', 2],
      ['password', 4],
    ]);
    const json = scanNamedValue('settings.json', `{"apiKey": "${STRIPE}", "db": {"password": "Jq8Ve3Wz"}}`);
    expect(json.map((c) => c.kind)).toEqual(['stripe-key', 'password']);
  });
  it('a one-line value: a URL password and a property', () => {
    expect(scanNamedValue('JAVA_OPTS', '-Ddb.url=postgres://app:Pw12345x@db/app -Ddb.password=Xyz12345').map((c) => [c.kind, c.name])).toEqual([
      ['url-password', undefined],
      ['password', 'db.password'],
    ]);
  });
  it('a credential is reported once: the same value twice, a URL under a password name', () => {
    expect(scanNamedValue('app.env', 'DB_PASSWORD=Pa55w0rd!\nexport DB_PASSWORD=Pa55w0rd!\n')).toHaveLength(1);
    expect(scanText('password: postgres://app:Pw12345x@db/app').map((c) => c.kind)).toEqual(['url-password']);
    expect(scanText('{"password": "postgres://app:Pw12345x@db/app"}').map((c) => c.kind)).toEqual(['url-password']);
    expect(scanNamedValue('DB_PASSWORD', 'postgres://app:Pw12345x@db/app').map((c) => c.kind)).toEqual(['url-password']);
  });
});

describe('spellings of configuration files and command lines', () => {
  it('Redis: --requirepass and --masterauth as arguments and inside a script', () => {
    const found = scanArgs(['redis-server', '--requirepass', 'Hq3Lm8Xz2', '--masterauth', 'Hq3Lm8Xz3']);
    expect(found.map((f) => [f.index, f.credential.kind, f.credential.name])).toEqual([
      [2, 'password', 'requirepass'],
      [4, 'password', 'masterauth'],
    ]);
    expect(scanArgs(['sh', '-c', 'redis-server /etc/redis.conf --requirepass Hq3Lm8Xz4 --port 6380']).map((f) => [f.index, f.credential.name])).toEqual([[2, 'requirepass']]);
    expect(scanNamedValue('REDIS_ARGS', '--requirepass "Hq3 Lm8Xz2"').map((c) => c.name)).toEqual(['requirepass']);
    expect(scanNamedValue('REDIS_ARGS', '--requirepass $(REDIS_PASSWORD)')).toEqual([]);
  });
  it('Redis: requirepass and masterauth lines of redis.conf, not comments or sentences', () => {
    const found = scanNamedValue('redis.conf', 'bind 0.0.0.0\nrequirepass Hq3Lm8Xz5\nmasterauth "Hq3Lm8Xz6"\n# requirepass foobared\nrequirepass must be set by the operator\n');
    expect(found.map((c) => [c.name, c.line])).toEqual([
      ['requirepass', 2],
      ['masterauth', 3],
    ]);
  });
  it('--name value inside a text needs a value that looks like a credential (not a metavariable or a word)', () => {
    expect(scanText('psql --password Pq8Wz3Lm9Kx -h db').map((c) => c.name)).toEqual(['password']);
    expect(scanText('usage: app --token TOKEN --password PASS --password-file /run/pw --api-key flag')).toEqual([]);
  });
  it('a Docker config.json: the base64 user:password of each registry', () => {
    // "ci:S3cr3tPass99", and "user:${PASSWORD}" (a template)
    const found = scanNamedValue('config.json', '{"auths": {"registry.corp.io": {"auth": "Y2k6UzNjcjN0UGFzczk5"}, "ghcr.io": {"auth": "dXNlcjoke1BBU1NXT1JEfQ=="}}}\n');
    expect(found.map((c) => [c.kind, c.label, c.line])).toEqual([['registry-auth', 'a registry login (user and password)', 1]]);
    expect(found[0]?.fingerprint).toBeUndefined();
  });
  it('.npmrc: tokens, passwords and logins of registries, not templates', () => {
    const npmrc = [
      '//registry.npmjs.org/:_authToken=Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56',
      `//npm.corp.io/:_password=${b64('hunter22')}`,
      `//npm2.corp.io/:_auth=${b64('ci:Npm-Pw-4471')}`,
      '//npm3.corp.io/:_authToken=${NPM_TOKEN}',
      '// a comment: _authToken=Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56xx',
    ].join('\n');
    expect(scanNamedValue('.npmrc', npmrc).map((c) => [c.kind, c.name, c.line])).toEqual([
      ['secret', '_authToken', 1],
      ['password', '_password', 2],
      ['registry-auth', undefined, 3],
    ]);
  });
  it('.netrc and .pgpass', () => {
    expect(scanNamedValue('.netrc', 'machine github.com login bot password Zq9Xw8Cv7Bn6\n').map((c) => [c.kind, c.line])).toEqual([['password', 1]]);
    const pgpass = scanNamedValue('.pgpass', '# host:port:db:user:password\ndb.internal:5432:app:appuser:Pq8Wz3Lm9Kx\n*:*:*:replicator:R3pl\\:1ca\n');
    expect(pgpass.map((c) => [c.kind, c.line])).toEqual([
      ['password', 2],
      ['password', 3],
    ]);
    // The password alone is judged, not the line around it: neither is strong enough for a fingerprint.
    expect(pgpass.map((c) => c.fingerprint)).toEqual([undefined, undefined]);
  });
  it('a ConfigMap key named like a password file holds the password when its value is one literal line', () => {
    expect(scanNamedValue('password.txt', 'Hq3Lm8Xz4').map((c) => c.kind)).toEqual(['password']);
    expect(scanNamedValue('db-password.conf', 'Hq3Lm8Xz5\n').map((c) => c.kind)).toEqual(['password']);
    expect(scanNamedValue('password.txt', 'two words')).toEqual([]);
    expect(scanNamedValue('password.txt', 'changeme')).toEqual([]);
    expect(scanNamedValue('password.json', '{"note": "kept elsewhere"}')).toEqual([]);
  });
  it('numbered names and SECRET_KEY_BASE', () => {
    expect(scanNamedValue('DB_PASSWORD_2', 'hunter22b').map((c) => c.kind)).toEqual(['password']);
    expect(scanNamedValue('DB_PASSWORD4', 'hunter22c').map((c) => c.kind)).toEqual(['password']);
    expect(scanNamedValue('SECRET_KEY_BASE', 'a8f5f167f44f4964e6c998dee827110c3b1b2c4d5e6f7a8b9c0d1e2f3a4b5c6d').map((c) => c.kind)).toEqual(['secret']);
    expect(scanText('SECRET_KEY_BASE=a8f5f167f44f4964e6c998dee827110c3b1b2c4d5e6f7a8b9c0d1e2f3a4b5c6d\nDB_PASSWORD_2=hunter22b\n').map((c) => c.name)).toEqual(['SECRET_KEY_BASE', 'DB_PASSWORD_2']);
  });
});

describe('references that look like credentials', () => {
  it('Vault Agent annotations name Vault paths', () => {
    expect(scanNamedValue('vault.hashicorp.com/agent-inject-secret-db-creds', 'kv/data/prod/db2')).toEqual([]);
    expect(scanNamedValue('vault.hashicorp.com/agent-inject-secret-config.txt', 'secret/data/app1/config')).toEqual([]);
  });
  it('GPG_KEY holds the fingerprint or id of a public key', () => {
    expect(scanNamedValue('GPG_KEY', 'A035C8C19219BA821ECEA86B64E628F8D684696D')).toEqual([]);
    expect(scanNamedValue('GPG_KEY', '0x64E628F8D684696D')).toEqual([]);
    expect(scanNamedValue('PGP_SIGNING_KEY', 'a035c8c19219ba821ecea86b64e628f8d684696da035c8c19219ba821ecea86b')).toEqual([]);
    // Not a fingerprint: a passphrase, or a value that is not 16, 40 or 64 hex digits.
    expect(scanNamedValue('GPG_PASSPHRASE', 'A035C8C19219BA821ECEA86B64E628F8D684696D').map((c) => c.kind)).toEqual(['password']);
    expect(scanNamedValue('GPG_KEY', 'Zq3vT9xLm2Pr8sKd4Wn7Yb1H').map((c) => c.kind)).toEqual(['secret']);
  });
});

describe('hostile input takes linear time (the patterns of the spellings above)', () => {
  const TIMEOUT = { timeout: 10_000 };
  const N = 300_000;
  it('--name value: unclosed quotes, runs of blanks, long names', TIMEOUT, () => {
    expect(scanText(' --token "'.repeat(N / 10))).toEqual([]);
    expect(scanText(`--password${' '.repeat(N)}-x`)).toEqual([]);
    expect(scanText(` --${'a-'.repeat(N / 2)}password Hq3Lm8Xz4`)).toHaveLength(1);
  });
  it('.npmrc: a run of `:_auth` before the `=`', TIMEOUT, () => {
    expect(scanText(`//h${':_auth'.repeat(N / 6)}x=1`)).toEqual([]);
  });
  it('Docker config: many `"auth": "` without a closing quote', TIMEOUT, () => {
    expect(scanText(`"auths" ${'"auth": "AAAAAAAAAAAA'.repeat(N / 20)}`)).toEqual([]);
  });
  it('redis.conf and .pgpass of many lines, a .pgpass line of many escapes', TIMEOUT, () => {
    expect(scanText('requirepass Hq3Lm8Xz5\n'.repeat(N / 22))).toHaveLength(1);
    expect(scanNamedValue('.pgpass', `a:1:b:c:${'\\:'.repeat(N / 2)}`)).toEqual([]);
  });
  it('a value that is an assignment: a long name without `=`, many `=`, blanks before a `:`', TIMEOUT, () => {
    expect(scanNamedValue('DB_PASSWORD', 'Ab1'.repeat(N / 3))).toHaveLength(1);
    expect(scanNamedValue('DB_PASSWORD', `a${'='.repeat(N)}`)).toHaveLength(1);
    expect(scanNamedValue('db-password.conf', `a${' '.repeat(N)}:x`)).toEqual([]);
  });
  it('.netrc: a line of many blanks after `machine`, a file of many tokens', TIMEOUT, () => {
    expect(scanText(`machine a${' '.repeat(N)}x`)).toEqual([]);
    expect(scanText(`machine${' \t'.repeat(N / 2)}password`)).toEqual([]);
    expect(scanNamedValue('.netrc', 'machine h.io login u password Hq3Lm8Xz4\n'.repeat(N / 40))).toHaveLength(1);
    expect(scanNamedValue('.netrc', `machine h.io ${'login '.repeat(N / 6)}`)).toEqual([]);
  });
});

/** The findings of the given rules on a manifest, as `ruleId: message`. */
function messages(yaml: string, ids: readonly string[]): string[] {
  const rules = RULES.filter((r) => ids.includes(r.id));
  const config = parseConfig({ rules: Object.fromEntries(ids.map((id) => [id, 'on'])) }, 'test', knownRules(RULES));
  return scanTexts([{ file: 'test.yaml', text: yaml }], { rules, config }).findings.map((f) => `${f.ruleId}: ${f.message}`);
}

describe('messages', () => {
  const CREDENTIAL_RULES = ['hardcoded-password', 'hardcoded-credential'];

  it('name init and ephemeral containers as other rules do, and withhold guessable values', () => {
    const pod = `apiVersion: v1
kind: Pod
metadata: { name: api, namespace: shop }
spec:
  initContainers:
    - name: migrate
      image: registry.example.com/migrate:1
      env: [{ name: DB_PASSWORD, value: "M1gr4te-Pw" }]
  containers:
    - name: api
      image: registry.example.com/api:1
      env: [{ name: API_TOKEN, value: "${STRONG}" }, { name: GITHUB_TOKEN, value: "${GITHUB}" }]
    - image: registry.example.com/sidecar:1
      args: ["--db-password", "S1dec4r-Pw"]
  ephemeralContainers:
    - name: debug
      image: registry.example.com/psql:16
      args: ["sh", "-c", "PGPASSWORD=D3bug-Pw-77 psql -h db"]
`;
    expect(messages(pod, CREDENTIAL_RULES).sort()).toEqual([
      `hardcoded-credential: env var "GITHUB_TOKEN" of container "api" holds a GitHub token in plain text: ${scanNamedValue('X', GITHUB)[0]?.fingerprint}`,
      'hardcoded-password: args[1] of container #1 under "db-password" holds a password in plain text (value withheld)',
      'hardcoded-password: args[2] of ephemeral container "debug" under "PGPASSWORD" holds a password in plain text (value withheld)',
      'hardcoded-password: env var "DB_PASSWORD" of init container "migrate" holds a password in plain text (value withheld)',
      'hardcoded-password: env var "API_TOKEN" of container "api" holds a secret token or key in plain text (value withheld)',
    ].sort());
  });

  it('report every password of a ConfigMap file, Redis configuration and registry logins', () => {
    const configMap = `apiVersion: v1
kind: ConfigMap
metadata: { name: app, namespace: shop }
data:
  application.properties: |
    sentry.dsn=https://4f2a9c:Sn7tRy-Pw41@sentry.shop.internal/12
    spring.datasource.password=Pr0dP4ssw0rd
  redis.conf: |
    requirepass Hq3Lm8Xz5
  config.json: '{"auths": {"registry.corp.io": {"auth": "Y2k6UzNjcjN0UGFzczk5"}}}'
  password.txt: Hq3Lm8Xz4
`;
    expect(messages(configMap, CREDENTIAL_RULES)).toEqual([
      'hardcoded-password: ConfigMap key "application.properties" (line 1) holds a password in a URL in plain text (value withheld)',
      'hardcoded-password: ConfigMap key "application.properties" (line 2) under "spring.datasource.password" holds a password in plain text (value withheld)',
      'hardcoded-password: ConfigMap key "redis.conf" (line 1) under "requirepass" holds a password in plain text (value withheld)',
      'hardcoded-password: ConfigMap key "config.json" holds a registry login (user and password) in plain text (value withheld)',
      'hardcoded-password: ConfigMap key "password.txt" holds a password in plain text (value withheld)',
    ]);
  });

  it('a rotated guessable password in last-applied-configuration is still told apart from the live one', () => {
    const applied = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x', env: [{ name: 'DB_PASSWORD', value: 'Old-Pw-1234' }] }] } });
    const pod = (value: string): string => `apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: shop
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '${applied}'
spec:
  containers: [{ name: c, image: x, env: [{ name: DB_PASSWORD, value: "${value}" }] }]
`;
    expect(messages(pod('New-Pw-5678'), ['hardcoded-password'])).toEqual([
      'hardcoded-password: the last-applied-configuration annotation (its copy of env var "DB_PASSWORD" of container "c") holds a password in plain text (value withheld)',
      'hardcoded-password: env var "DB_PASSWORD" of container "c" holds a password in plain text (value withheld)',
    ]);
    expect(messages(pod('Old-Pw-1234'), ['hardcoded-password'])).toEqual([
      'hardcoded-password: env var "DB_PASSWORD" of container "c" holds a password in plain text (value withheld)',
    ]);
  });

  it('password files by their format: .pgpass lines, .netrc entries across lines; a PGPASS literal is a password', () => {
    const manifests = `apiVersion: v1
kind: ConfigMap
metadata: { name: files, namespace: shop }
data:
  .pgpass: "db:5432:app:app:Pg-Pass-4471\\n"
  PGPASS: "Pg-Env-Pass-1"
  .netrc: |
    machine api.heroku.com
      login me@corp.internal
      password Zq7vR2pL9xW4mK3s
    macdef init
      password not-a-token
    
    default login anonymous password Anon-Pw-88
  notes.txt: |
    machine git.corp.io login ci password Git-Ci-Pw-22
---
apiVersion: v1
kind: Pod
metadata: { name: psql, namespace: shop }
spec:
  containers:
    - name: psql
      image: postgres:16
      env: [{ name: PGPASS, value: "S3cretPassw0rd!" }]
`;
    expect(messages(manifests, CREDENTIAL_RULES)).toEqual([
      'hardcoded-password: ConfigMap key ".pgpass" (line 1) holds a password in plain text (value withheld)',
      'hardcoded-password: ConfigMap key "PGPASS" holds a password in plain text (value withheld)',
      'hardcoded-password: ConfigMap key ".netrc" (line 3) holds a password in plain text (value withheld)',
      'hardcoded-password: ConfigMap key ".netrc" (line 7) holds a password in plain text (value withheld)',
      'hardcoded-password: ConfigMap key "notes.txt" (line 1) holds a password in plain text (value withheld)',
      'hardcoded-password: env var "PGPASS" of container "psql" holds a password in plain text (value withheld)',
    ]);
  });

  it('not credentials: one-line assignments in credential-named files, prose, command substitution, README lines', () => {
    const manifests = `apiVersion: v1
kind: ConfigMap
metadata: { name: quiet, namespace: shop }
data:
  db-password.conf: "password_file=/run/secrets/db"
  api-token.cfg: "token_path=/var/run/secrets/token"
  jwt-secret.conf: "algorithm=RS256"
  signing-key.txt: "algorithm: ES256"
  motd.txt: |
    Welcome to the bastion.
    default password policy applies to all accounts
    machine owners must rotate password quarterly
    machine learning password reset flows are documented
  README.txt: |
    requirepass is configured from the REDIS_PASSWORD variable
    masterauth follows
  entry.sh: |
    #!/bin/sh
    DB_PASSWORD=\`cat /run/secrets/db\`
    exec redis-server --requirepass \`cat /run/secrets/pw\`
---
apiVersion: v1
kind: Pod
metadata: { name: redis, namespace: shop }
spec:
  containers:
    - name: redis
      image: redis:7
      args: ["--requirepass", "\`cat /run/secrets/pw\`"]
      env: [{ name: DB_PASSWORD, value: "\`cat /run/secrets/db\`" }]
`;
    expect(messages(manifests, CREDENTIAL_RULES)).toEqual([]);
  });

  it('an assignment in a one-line credential-named file is read as one; redis.conf directives whatever their value', () => {
    const configMap = `apiVersion: v1
kind: ConfigMap
metadata: { name: loud, namespace: shop }
data:
  db-password.conf: "password=Pr0d-Db-Pw-9"
  redis.conf: "masterauth foobared"
  sentinel.conf: |
    requirepass foobared2
  README.txt: |
    masterauth Hq3Lm8Xz-5
`;
    expect(messages(configMap, CREDENTIAL_RULES)).toEqual([
      'hardcoded-password: ConfigMap key "db-password.conf" under "password" holds a password in plain text (value withheld)',
      'hardcoded-password: ConfigMap key "redis.conf" under "masterauth" holds a password in plain text (value withheld)',
      'hardcoded-password: ConfigMap key "sentinel.conf" (line 1) under "requirepass" holds a password in plain text (value withheld)',
      'hardcoded-password: ConfigMap key "README.txt" (line 1) under "masterauth" holds a password in plain text (value withheld)',
    ]);
  });

  it('weak-secret-value: typed Secrets of chosen passwords, not of generated material', () => {
    const secrets = `apiVersion: v1
kind: Secret
metadata: { name: chap-secret, namespace: storage }
type: kubernetes.io/iscsi-chap
stringData:
  node.session.auth.username: username
  node.session.auth.password: password
---
apiVersion: v1
kind: Secret
metadata: { name: storageos-secret, namespace: storage }
type: kubernetes.io/storageos
stringData:
  apiUsername: storageos
  apiPassword: storageos
---
apiVersion: v1
kind: Secret
metadata: { name: files, namespace: storage }
type: Opaque
stringData:
  password.txt: changeme
---
apiVersion: v1
kind: Secret
metadata: { name: deploy-key, namespace: ci }
type: kubernetes.io/ssh-auth
stringData:
  ssh-privatekey: changeme
`;
    expect(messages(secrets, ['weak-secret-value'])).toEqual([
      'weak-secret-value: Secret "chap-secret": key "node.session.auth.password" holds a well-known default or placeholder value; anyone can guess it',
      'weak-secret-value: Secret "storageos-secret": key "apiPassword" holds the same value as the user name; anyone can guess it',
      'weak-secret-value: Secret "files": key "password.txt" holds a well-known default or placeholder value; anyone can guess it',
    ]);
  });

  it('weak-secret-value: mutual CHAP keys, and a value that repeats its key', () => {
    const chap = `apiVersion: v1
kind: Secret
metadata: { name: chap, namespace: storage }
type: kubernetes.io/iscsi-chap
stringData:
  node.session.auth.username_in: target
  node.session.auth.password_in: target
  discovery.sendtargets.auth.password_in: password_in
  discovery.sendtargets.auth.password: k7#Qv9!mZp2w
  api-token: API-Token
  token-ttl: token-ttl
`;
    expect(messages(chap, ['weak-secret-value'])).toEqual([
      'weak-secret-value: Secret "chap": key "node.session.auth.password_in" holds the same value as the user name; anyone can guess it',
      'weak-secret-value: Secret "chap": key "discovery.sendtargets.auth.password_in" holds its own name as a placeholder value; anyone can guess it',
      'weak-secret-value: Secret "chap": key "api-token" holds its own name as a placeholder value; anyone can guess it',
    ]);
  });
});

describe('chosen values under token, secret and key names', () => {
  const env = (pairs: readonly (readonly [string, string])[]): string =>
    `apiVersion: v1\nkind: Pod\nmetadata: { name: p, namespace: app }\nspec:\n  containers:\n    - name: c\n      image: app:1.0\n      env:\n${pairs.map(([n, v]) => `        - { name: ${n}, value: ${JSON.stringify(v)} }`).join('\n')}\n`;

  it('reports long runs of letters and short passphrases, as under password names', () => {
    const text = env([['JWT_SECRET', 'mysupersecretjwtsigningkey'], ['SESSION_SECRET', 'keyboard cat'], ['API_TOKEN', 'letmeinplease'], ['APP_KEY', 'Correct Horse Battery Staple']]);
    expect(messages(text, ['hardcoded-password'])).toEqual([
      'hardcoded-password: env var "JWT_SECRET" of container "c" holds a secret token or key in plain text (value withheld)',
      'hardcoded-password: env var "SESSION_SECRET" of container "c" holds a secret token or key in plain text (value withheld)',
      'hardcoded-password: env var "API_TOKEN" of container "c" holds a secret token or key in plain text (value withheld)',
      'hardcoded-password: env var "APP_KEY" of container "c" holds a secret token or key in plain text (value withheld)',
    ]);
  });

  it('keeps out object names, modes, sentences and paths', () => {
    const text = env([
      ['TLS_SECRET', 'my-tls-secret'], ['API_KEY', 'disabled'], ['AUTH_TOKEN', 'see the vault entry for the value'], ['SIGNING_KEY', '/etc/keys/signing.pem'],
      ['CLIENT_SECRET', 'oauth2'], ['GITHUB_TOKEN', 'changeme please'], ['SMTP_AUTH', 'LOGIN PLAIN'], ['KAFKA_AUTH', 'SASL PLAIN'], ['CLIENT_SECRET_2', 'see vault'],
      ['AUTH_TOKEN_2', 'not set yet'], ['PROXY_AUTH', 'none required here'], ['EXISTING_SECRET', 'postgresqlcredentials'], ['DB_SECRET', 'postgresqlcredentials'],
    ]);
    expect(messages(text, ['hardcoded-password'])).toEqual([]);
  });
});

describe('isWeakValue', () => {
  it.each(['changeme', 'admin', 'Password', 'password123', '123456', 'xxxx', 'aaaaaaa', '<password>', 'replace-me', 'your-secret'])('%j is weak', (v) => {
    expect(isWeakValue(v)).toBe(true);
  });
  it.each(['', 'Sup3rS3cret!', 'j50n-P4ss', '0DPccerVuUZnRgkXdubxjN88gmFmeVtB'])('%j is not', (v) => {
    expect(isWeakValue(v)).toBe(false);
  });
});
