import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { generateCertificates, serviceDnsNames } from '../src/admission/certs.js';
import { runAdmissionCerts } from '../src/cli/admission-certs.js';
import { MamoriError } from '../src/errors.js';

const DAY = 24 * 60 * 60 * 1000;
const mode = (path: string): number => statSync(path).mode & 0o777;

/** Runs `mamori admission certs` in-process; returns its exit code and stdout. */
function runCerts(flags: Parameters<typeof runAdmissionCerts>[0]): { code: number; out: string } {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  });
  try {
    return { code: runAdmissionCerts(flags), out };
  } finally {
    spy.mockRestore();
  }
}

function usageError(run: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(MamoriError);
  expect((caught as MamoriError).code).toBe('usage');
  expect((caught as MamoriError).message).toMatch(message);
}

describe('generateCertificates', () => {
  const now = new Date('2026-01-15T12:00:00Z');
  const certs = generateCertificates({
    commonName: 'web.shop.svc',
    dnsNames: serviceDnsNames('web', 'shop'),
    ipAddresses: ['10.0.0.7'],
    days: 30,
    now,
  });
  const ca = new X509Certificate(certs.caCert);
  const leaf = new X509Certificate(certs.cert);

  it('makes a CA and a serving certificate it signed, with the Service names as SANs', () => {
    expect(leaf.subjectAltName).toBe('DNS:web, DNS:web.shop, DNS:web.shop.svc, DNS:web.shop.svc.cluster.local, IP Address:10.0.0.7');
    expect(leaf.subject).toBe('CN=web.shop.svc\nO=mamori');
    expect(ca.subject).toBe('CN=mamori-webhook-ca\nO=mamori');
    expect(ca.issuer).toBe(ca.subject);
    expect(leaf.issuer).toBe(ca.subject);
    expect(ca.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(leaf.serialNumber).not.toBe(ca.serialNumber);
    expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']); // serverAuth
    expect(leaf.checkPrivateKey(createPrivateKey(certs.key))).toBe(true);
    expect(ca.checkPrivateKey(createPrivateKey(certs.caKey))).toBe(true);
    expect(createPrivateKey(certs.key).asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(certs.key.startsWith('-----BEGIN PRIVATE KEY-----\n')).toBe(true);
  });

  it('dates the certificates from 5 minutes before now: 30 days for the leaf, 3650 for the CA', () => {
    expect(new Date(leaf.validFrom).toISOString()).toBe('2026-01-15T11:55:00.000Z');
    expect(new Date(leaf.validTo).toISOString()).toBe('2026-02-14T12:00:00.000Z');
    expect(new Date(ca.validFrom).toISOString()).toBe('2026-01-15T11:55:00.000Z');
    expect(new Date(ca.validTo).toISOString()).toBe('2036-01-13T12:00:00.000Z');
    expect(certs.notAfter.toISOString()).toBe('2026-02-14T12:00:00.000Z');
    expect(certs.caNotAfter.toISOString()).toBe('2036-01-13T12:00:00.000Z');
  });

  it('sets the extensions a CA and a TLS server certificate need', () => {
    const caParsed = forge.pki.certificateFromPem(certs.caCert);
    const leafParsed = forge.pki.certificateFromPem(certs.cert);
    expect(caParsed.getExtension('basicConstraints')).toMatchObject({ critical: true, cA: true, pathLenConstraint: 0 });
    expect(caParsed.getExtension('keyUsage')).toMatchObject({ critical: true, keyCertSign: true, cRLSign: true });
    expect(leafParsed.getExtension('basicConstraints')).toMatchObject({ critical: true, cA: false });
    expect(leafParsed.getExtension('keyUsage')).toMatchObject({ critical: true, digitalSignature: true, keyEncipherment: true, keyCertSign: false });
    expect(leafParsed.getExtension('extKeyUsage')).toMatchObject({ serverAuth: true });
    expect(leafParsed.siginfo.algorithmOid).toBe(forge.pki.oids['sha256WithRSAEncryption']);
    // The leaf's authority key id is the CA's subject key id.
    const caSki = (caParsed.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier: string }).subjectKeyIdentifier;
    expect(caSki).toMatch(/^[0-9a-f]{40}$/);
    expect(new X509Certificate(certs.cert).toString()).toContain('BEGIN CERTIFICATE');
    const aki = leafParsed.getExtension('authorityKeyIdentifier') as { value: string };
    expect(forge.util.bytesToHex(aki.value)).toContain(caSki);
  });

  it('uses a fresh key and serial every time', () => {
    const again = generateCertificates({ commonName: 'web.shop.svc', dnsNames: ['web.shop.svc'], now });
    expect(again.key).not.toBe(certs.key);
    expect(new X509Certificate(again.cert).serialNumber).not.toBe(leaf.serialNumber);
    expect(new X509Certificate(again.cert).verify(ca.publicKey)).toBe(false);
  });

  it('offers 3072-bit keys', () => {
    const big = generateCertificates({ commonName: 'x', dnsNames: ['x'], keySize: 3072 });
    expect(createPrivateKey(big.key).asymmetricKeyDetails?.modulusLength).toBe(3072);
    expect(createPrivateKey(big.caKey).asymmetricKeyDetails?.modulusLength).toBe(3072);
  });

  it('refuses bad names, validities and key sizes', () => {
    usageError(() => serviceDnsNames('Mamori_Webhook', 'ns'), /not a valid Service name/);
    usageError(() => serviceDnsNames('1webhook', 'ns'), /not a valid Service name/);
    usageError(() => serviceDnsNames('a'.repeat(64), 'ns'), /not a valid Service name/);
    usageError(() => serviceDnsNames('web', 'Bad.NS'), /not a valid namespace name/);
    usageError(() => serviceDnsNames('web', 'ns', 'cluster..local'), /not a valid DNS domain/);
    usageError(() => generateCertificates({ commonName: 'x', dnsNames: ['x'], days: 0 }), /from 1 to 3650/);
    usageError(() => generateCertificates({ commonName: 'x', dnsNames: ['x'], days: 1.5 }), /whole number/);
    usageError(() => generateCertificates({ commonName: 'x', dnsNames: ['x'], days: 400, caDays: 365 }), /must cover/);
    usageError(() => generateCertificates({ commonName: 'x', dnsNames: [] }), /at least one DNS name/);
    usageError(() => generateCertificates({ commonName: 'x', dnsNames: ['bad name'] }), /not a valid DNS name/);
    usageError(() => generateCertificates({ commonName: 'x', dnsNames: ['x'], ipAddresses: ['999.1.1.1'] }), /not an IP address/);
    usageError(() => generateCertificates({ commonName: 'x', dnsNames: ['x'], keySize: 1024 as 2048 }), /key size/);
  });
});

describe('mamori admission certs', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'mamori-certs-'));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('writes ca.crt, tls.crt and tls.key (0600) into a new directory (0700), and prints the caBundle', () => {
    const out = join(root, 'deep', 'certs');
    const before = Date.now();
    const { code, out: printed } = runCerts({ out, service: 'mamori-webhook', namespace: 'mamori-system' });
    const after = Date.now();
    expect(code).toBe(0);
    expect(mode(join(out, 'ca.crt'))).toBe(0o644);
    expect(mode(join(out, 'tls.crt'))).toBe(0o644);
    expect(mode(join(out, 'tls.key'))).toBe(0o600);
    expect(mode(out)).toBe(0o700);

    const caPem = readFileSync(join(out, 'ca.crt'), 'utf8');
    const ca = new X509Certificate(caPem);
    const leaf = new X509Certificate(readFileSync(join(out, 'tls.crt')));
    expect(leaf.subjectAltName).toBe('DNS:mamori-webhook, DNS:mamori-webhook.mamori-system, DNS:mamori-webhook.mamori-system.svc, DNS:mamori-webhook.mamori-system.svc.cluster.local');
    expect(leaf.subject).toBe('CN=mamori-webhook.mamori-system.svc\nO=mamori');
    expect(leaf.issuer).toBe('CN=mamori-webhook-ca\nO=mamori');
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkPrivateKey(createPrivateKey(readFileSync(join(out, 'tls.key'))))).toBe(true);
    // Defaults: 365 days for the serving certificate, 3650 for the CA (to the second).
    const validTo = Date.parse(leaf.validTo);
    expect(validTo).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 365 * DAY);
    expect(validTo).toBeLessThanOrEqual(after + 365 * DAY);
    const caValidTo = Date.parse(ca.validTo);
    expect(caValidTo).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 3650 * DAY);
    expect(caValidTo).toBeLessThanOrEqual(after + 3650 * DAY);
    expect(Date.parse(leaf.validFrom)).toBeLessThanOrEqual(before - 5 * 60 * 1000);

    // The CA's private key is not written anywhere.
    expect(existsSync(join(out, 'ca.key'))).toBe(false);
    const lines = printed.split('\n');
    expect(lines[0]).toBe(`wrote ${join(out, 'ca.crt')}  (CA "mamori-webhook-ca", valid until ${new Date(caValidTo).toISOString().slice(0, 10)}; its private key is not kept)`);
    expect(lines[1]).toMatch(new RegExp(`^wrote ${join(out, 'tls.crt').replaceAll('.', '\\.')}  \\(serving certificate for mamori-webhook, `));
    expect(lines[2]).toBe(`wrote ${join(out, 'tls.key')}  (private key, mode 0600)`);
    expect(printed).toContain(`\`mamori admission manifests --certs ${out}\` puts the Secret and the caBundle into the manifests`);
    expect(printed).toContain(`kubectl -n mamori-system create secret tls mamori-webhook-tls --cert=${join(out, 'tls.crt')} --key=${join(out, 'tls.key')}`);
    const bundle = lines[lines.indexOf(lines.find((l) => l.startsWith('caBundle')) ?? '') + 1]?.trim();
    expect(bundle).toBe(Buffer.from(caPem).toString('base64'));
    expect(printed).not.toContain('PRIVATE KEY');
  });

  it('uses the default Service and namespace, and --days, --ca-days, --key-size, --cluster-domain', () => {
    const out = join(root, "it's certs");
    const { out: printed } = runCerts({ out, days: '10', caDays: '20', keySize: '3072', clusterDomain: 'corp.internal' });
    // Paths in the printed commands are quoted for a POSIX shell.
    expect(printed).toContain(`--cert='${root}/it'\\''s certs/tls.crt' --key='${root}/it'\\''s certs/tls.key'`);
    const leaf = new X509Certificate(readFileSync(join(out, 'tls.crt')));
    const ca = new X509Certificate(readFileSync(join(out, 'ca.crt')));
    expect(leaf.subjectAltName).toBe('DNS:mamori-webhook, DNS:mamori-webhook.mamori-system, DNS:mamori-webhook.mamori-system.svc, DNS:mamori-webhook.mamori-system.svc.corp.internal');
    const lifetime = (cert: X509Certificate): number => Date.parse(cert.validTo) - Date.parse(cert.validFrom);
    // notBefore is 5 minutes early.
    expect(lifetime(leaf)).toBe(10 * DAY + 5 * 60 * 1000);
    expect(lifetime(ca)).toBe(20 * DAY + 5 * 60 * 1000);
    expect(createPrivateKey(readFileSync(join(out, 'tls.key'))).asymmetricKeyDetails?.modulusLength).toBe(3072);
  });

  it('refuses to overwrite existing files unless --force, and never follows a symlink', () => {
    const out = join(root, 'certs');
    runCerts({ out });
    const first = ['ca.crt', 'tls.crt', 'tls.key'].map((f) => readFileSync(join(out, f), 'utf8'));
    usageError(() => runCerts({ out }), /refusing to overwrite .*ca\.crt, .*tls\.crt, .*tls\.key: pass --force/);
    expect(['ca.crt', 'tls.crt', 'tls.key'].map((f) => readFileSync(join(out, f), 'utf8'))).toEqual(first);

    // One file present is enough to refuse, and nothing is written.
    const partial = join(root, 'partial');
    runCerts({ out: partial });
    rmSync(join(partial, 'ca.crt'));
    rmSync(join(partial, 'tls.crt'));
    usageError(() => runCerts({ out: partial }), /refusing to overwrite .*tls\.key: pass --force to replace it$/);
    expect(existsSync(join(partial, 'ca.crt'))).toBe(false);

    // A symlink in place of tls.key: refused without --force; replaced (not followed) with it.
    const victim = join(root, 'victim.txt');
    writeFileSync(victim, 'keep me');
    rmSync(join(out, 'tls.key'));
    symlinkSync(victim, join(out, 'tls.key'));
    usageError(() => runCerts({ out }), /refusing to overwrite .*tls\.key/);
    const { code } = runCerts({ out, force: true });
    expect(code).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('keep me');
    expect(lstatSync(join(out, 'tls.key')).isSymbolicLink()).toBe(false);
    expect(mode(join(out, 'tls.key'))).toBe(0o600);
    expect(mode(join(out, 'ca.crt'))).toBe(0o644);
    const second = ['ca.crt', 'tls.crt', 'tls.key'].map((f) => readFileSync(join(out, f), 'utf8'));
    second.forEach((text, i) => expect(text).not.toBe(first[i]));
    const leaf = new X509Certificate(second[1] as string);
    expect(leaf.verify(new X509Certificate(second[0] as string).publicKey)).toBe(true);
    expect(leaf.checkPrivateKey(createPrivateKey(second[2] as string))).toBe(true);
  });

  it('sets exact modes whatever the umask', () => {
    const previous = process.umask(0o077);
    try {
      runCerts({ out: join(root, 'certs') });
    } finally {
      process.umask(previous);
    }
    expect(mode(join(root, 'certs', 'ca.crt'))).toBe(0o644);
    expect(mode(join(root, 'certs', 'tls.crt'))).toBe(0o644);
    expect(mode(join(root, 'certs', 'tls.key'))).toBe(0o600);
  });

  it('rejects bad flags with usage errors, and an unusable directory with an io error', () => {
    const out = join(root, 'certs');
    usageError(() => runCerts({ out, days: 'ten' }), /--days must be a whole number/);
    usageError(() => runCerts({ out, days: '0' }), /from 1 to 3650/);
    usageError(() => runCerts({ out, keySize: '1024' }), /--key-size must be one of 2048, 3072, 4096/);
    usageError(() => runCerts({ out, service: 'Web' }), /--service "Web" is not a valid Service name/);
    usageError(() => runCerts({ out, namespace: 'a_b' }), /--namespace "a_b" is not a valid namespace name/);
    usageError(() => runCerts({ out: ' ' }), /--out needs a directory/);
    expect(existsSync(out)).toBe(false);

    const file = join(root, 'file');
    writeFileSync(file, '');
    let caught: unknown;
    try {
      runCerts({ out: join(file, 'sub') });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MamoriError);
    expect((caught as MamoriError).code).toBe('io');
    expect((caught as MamoriError).message).toMatch(/cannot create the directory/);
  });

  it('reports a file it cannot write, naming what was already written, and leaves no temporary file', () => {
    const out = join(root, 'certs');
    runCerts({ out });
    rmSync(join(out, 'tls.key'));
    mkdirSync(join(out, 'tls.key')); // a directory where the key goes: renaming onto it fails, even as root
    let caught: unknown;
    try {
      runCerts({ out, force: true });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MamoriError);
    expect((caught as MamoriError).code).toBe('io');
    expect((caught as MamoriError).message).toMatch(/^cannot write .*tls\.key: .*\(already written: .*ca\.crt, .*tls\.crt\)$/);
    expect(readdirSync(out).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
  });
});

describe('the serving certificate over TLS', () => {
  let root: string;
  let server: Server;
  let port: number;
  let caPem: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'mamori-tls-'));
    runCerts({ out: root, service: 'mamori-webhook', namespace: 'mamori-system' });
    caPem = readFileSync(join(root, 'ca.crt'), 'utf8');
    server = createServer({ cert: readFileSync(join(root, 'tls.crt')), key: readFileSync(join(root, 'tls.key')), minVersion: 'TLSv1.2' }, (_req, res) => {
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(root, { recursive: true, force: true });
  });

  /** GET / as a client that trusts only `ca`, asking for `servername`. */
  function get(servername: string, ca: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/', servername, ca, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('is accepted for every Service name by a client trusting only ca.crt', async () => {
    for (const name of ['mamori-webhook.mamori-system.svc', 'mamori-webhook', 'mamori-webhook.mamori-system', 'mamori-webhook.mamori-system.svc.cluster.local']) {
      await expect(get(name, caPem)).resolves.toBe('ok');
    }
  });

  it('is refused for another name', async () => {
    await expect(get('evil.example', caPem)).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    await expect(get('mamori-webhook.other-namespace.svc', caPem)).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  it('is refused by a client trusting another CA', async () => {
    const other = generateCertificates({ commonName: 'x', dnsNames: ['mamori-webhook.mamori-system.svc'] });
    await expect(get('mamori-webhook.mamori-system.svc', other.caCert)).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });
});
