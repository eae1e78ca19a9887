/**
 * Credential detection (src/k8s/secrets.ts): each pattern's true and false positives, the
 * placeholder and reference filters, the entropy threshold, and the redacted fingerprint. The
 * expected values were worked out by hand; the fake credentials were generated for these tests.
 */
import { describe, expect, it } from 'vitest';
import {
  credentialName,
  fingerprint,
  isPlaceholder,
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

describe('credentialName (only the last word of a name counts)', () => {
  it.each([
    ['DB_PASSWORD', 'password'],
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

describe('fingerprint', () => {
  it('has the redacted form sha256:<8 hex>… (<n> chars)', () => {
    expect(fingerprint('Sup3rS3cret!')).toMatch(/^sha256:[0-9a-f]{8}… \(12 chars\)$/);
  });
  it('is stable and tells values apart', () => {
    expect(fingerprint('Sup3rS3cret!')).toBe(fingerprint('Sup3rS3cret!'));
    expect(fingerprint('Sup3rS3cret!')).not.toBe(fingerprint('Sup3rS3cret?'));
  });
  it('counts characters, not bytes', () => {
    expect(fingerprint('pässwörd')).toMatch(/\(8 chars\)$/);
  });
  it('is not the plain SHA-256 that public tables list (sha256("password") starts 5e884898)', () => {
    expect(fingerprint('password')).not.toContain('5e884898');
    expect(fingerprint('admin')).not.toContain('8c6976e5');
  });
  it('never contains the value', () => {
    for (const v of ['abc', 'a1', AWS_ID, GITHUB]) expect(fingerprint(v)).not.toContain(v);
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
    expect(found[0]?.fingerprint.startsWith(`${marker} sha256:`)).toBe(true);
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
    const lf = scanText(text).map((c) => [c.kind, c.name, c.line, c.fingerprint]);
    expect(lf.map(([kind, name, line]) => [kind, name, line])).toEqual([
      ['password', 'spring.datasource.password', 2],
      ['password', 'DB_PASSWORD', 3],
    ]);
    expect(scanText(text.replace(/\n/g, '\r\n')).map((c) => [c.kind, c.name, c.line, c.fingerprint])).toEqual(lf);
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
    expect(conn[0]?.fingerprint).toBe(fingerprint('Pa55w0rd!'));
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

describe('isWeakValue', () => {
  it.each(['changeme', 'admin', 'Password', 'password123', '123456', 'xxxx', 'aaaaaaa', '<password>', 'replace-me', 'your-secret'])('%j is weak', (v) => {
    expect(isWeakValue(v)).toBe(true);
  });
  it.each(['', 'Sup3rS3cret!', 'j50n-P4ss', '0DPccerVuUZnRgkXdubxjN88gmFmeVtB'])('%j is not', (v) => {
    expect(isWeakValue(v)).toBe(false);
  });
});
