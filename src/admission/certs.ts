/**
 * Certificates for the admission webhook, for clusters without cert-manager: a private CA and a
 * serving certificate it signs for the webhook Service's DNS names.
 *
 * The CA's private key is returned to the caller but `writeCertificates` never writes it: it signs
 * this one serving certificate and is then discarded, so no file left on disk can mint another
 * certificate that the API server would trust for the webhook. Renewal is running the command again
 * and updating the webhook configurations' caBundle with the new ca.crt.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import forge from 'node-forge';
import { MamoriError } from '../errors.js';

/** RSA modulus sizes offered (node-forge has no ECDSA certificates). */
export const KEY_SIZES = [2048, 3072, 4096] as const;
export type KeySize = (typeof KEY_SIZES)[number];

/** What to certify. */
export interface CertificateOptions {
  /** Subject common name of the serving certificate (informational: clients match the SANs). */
  commonName: string;
  /** DNS subject alternative names; at least one DNS name or IP address is required. */
  dnsNames: readonly string[];
  /** IP address subject alternative names (IPv4 or IPv6). */
  ipAddresses?: readonly string[] | undefined;
  /** Validity of the serving certificate in days (default 365). */
  days?: number | undefined;
  /** Validity of the CA in days (default 3650); must cover the serving certificate. */
  caDays?: number | undefined;
  /** Common name of the CA (default `mamori-webhook-ca`). */
  caCommonName?: string | undefined;
  /** RSA key size for both keys (default 2048). */
  keySize?: KeySize | undefined;
  /** The issuing time (default: now); notBefore is set 5 minutes earlier to absorb clock skew. */
  now?: Date | undefined;
}

/** A CA and a serving certificate, PEM encoded. */
export interface GeneratedCertificates {
  /** The CA certificate: the webhook configurations' caBundle is its base64. */
  caCert: string;
  /** The CA's private key (PKCS#8); `writeCertificates` does not write it. */
  caKey: string;
  /** The serving certificate. */
  cert: string;
  /** The serving certificate's private key (PKCS#8). */
  key: string;
  /** The serving certificate's expiry. */
  notAfter: Date;
  /** The CA's expiry. */
  caNotAfter: Date;
}

export const DEFAULT_CERT_DAYS = 365;
export const DEFAULT_CA_DAYS = 3650;
/** Upper bounds, to catch a mistyped value rather than to enforce a policy. */
export const MAX_CERT_DAYS = 3650;
export const MAX_CA_DAYS = 36500;
const SKEW_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** A DNS-1123 label (namespace names, Service names are the stricter DNS-1035 form). */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

function isDnsName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  // A leading wildcard label is allowed in certificates.
  const labels = name.startsWith('*.') ? name.slice(2).split('.') : name.split('.');
  return labels.every((l) => l.length <= 63 && DNS_LABEL.test(l));
}

/** Checks a Service name (DNS-1035 label) and a namespace name (DNS-1123 label). */
export function checkServiceName(service: string, namespace: string, clusterDomain = 'cluster.local'): void {
  if (service.length > 63 || !DNS_1035_LABEL.test(service)) {
    throw new MamoriError('usage', `--service ${JSON.stringify(service)} is not a valid Service name (lower case letters, digits and '-', starting with a letter, at most 63 characters)`);
  }
  if (namespace.length > 63 || !DNS_LABEL.test(namespace)) {
    throw new MamoriError('usage', `--namespace ${JSON.stringify(namespace)} is not a valid namespace name (lower case letters, digits and '-', at most 63 characters)`);
  }
  if (!isDnsName(clusterDomain) || clusterDomain.startsWith('*.')) {
    throw new MamoriError('usage', `--cluster-domain ${JSON.stringify(clusterDomain)} is not a valid DNS domain`);
  }
}

/**
 * The names a Service answers to inside the cluster: NAME, NAME.NS, NAME.NS.svc and
 * NAME.NS.svc.<cluster domain>. The API server calls a webhook at NAME.NS.svc.
 */
export function serviceDnsNames(service: string, namespace: string, clusterDomain = 'cluster.local'): string[] {
  checkServiceName(service, namespace, clusterDomain);
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.${clusterDomain}`];
}

function checkDays(value: number, max: number, what: string): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new MamoriError('usage', `${what} must be a whole number of days from 1 to ${max} (got ${value})`);
  }
  return value;
}

/** A positive 128-bit serial number, hex (RFC 5280: at most 20 octets, positive, unpredictable). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f | 0x40; // positive, and no leading zero octet to strip
  return bytes.toString('hex');
}

function keyPair(bits: KeySize): forge.pki.rsa.KeyPair {
  // node-forge delegates to node:crypto's generateKeyPairSync when it runs on Node.
  return forge.pki.rsa.generateKeyPair({ bits, e: 0x10001 });
}

function pkcs8(key: forge.pki.rsa.PrivateKey): string {
  return forge.pki.privateKeyInfoToPem(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(key)));
}

/** Generates a CA and a serving certificate signed by it (RSA, SHA-256). */
export function generateCertificates(options: CertificateOptions): GeneratedCertificates {
  const days = checkDays(options.days ?? DEFAULT_CERT_DAYS, MAX_CERT_DAYS, 'the serving certificate validity');
  const caDays = checkDays(options.caDays ?? DEFAULT_CA_DAYS, MAX_CA_DAYS, 'the CA validity');
  if (caDays < days) {
    throw new MamoriError('usage', `the CA validity (${caDays} days) must cover the serving certificate's (${days} days)`);
  }
  const keySize = options.keySize ?? 2048;
  if (!KEY_SIZES.includes(keySize)) throw new MamoriError('usage', `the key size must be one of ${KEY_SIZES.join(', ')} (got ${String(keySize)})`);
  const dnsNames = [...new Set(options.dnsNames)];
  const ipAddresses = [...new Set(options.ipAddresses ?? [])];
  for (const name of dnsNames) if (!isDnsName(name)) throw new MamoriError('usage', `${JSON.stringify(name)} is not a valid DNS name`);
  for (const ip of ipAddresses) if (isIP(ip) === 0) throw new MamoriError('usage', `${JSON.stringify(ip)} is not an IP address`);
  if (dnsNames.length + ipAddresses.length === 0) throw new MamoriError('usage', 'a serving certificate needs at least one DNS name or IP address');
  if (options.commonName.length === 0 || options.commonName.length > 64) throw new MamoriError('usage', 'the common name must have 1 to 64 characters');
  const caCommonName = options.caCommonName ?? 'mamori-webhook-ca';

  const now = (options.now ?? new Date()).getTime();
  const notBefore = new Date(now - SKEW_MS);
  const caNotAfter = new Date(now + caDays * DAY_MS);
  const notAfter = new Date(now + days * DAY_MS);
  const md = (): forge.md.MessageDigest => forge.md.sha256.create();

  const caKeys = keyPair(keySize);
  const ca = forge.pki.createCertificate();
  ca.publicKey = caKeys.publicKey;
  ca.serialNumber = serialNumber();
  ca.validity.notBefore = notBefore;
  ca.validity.notAfter = caNotAfter;
  const caName = [{ name: 'commonName', value: caCommonName }, { name: 'organizationName', value: 'mamori' }];
  ca.setSubject(caName);
  ca.setIssuer(caName);
  ca.setExtensions([
    // pathLenConstraint 0: this CA signs leaf certificates only.
    { name: 'basicConstraints', critical: true, cA: true, pathLenConstraint: 0 },
    { name: 'keyUsage', critical: true, keyCertSign: true, cRLSign: true, digitalSignature: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKeys.privateKey, md());

  const leafKeys = keyPair(keySize);
  const leaf = forge.pki.createCertificate();
  leaf.publicKey = leafKeys.publicKey;
  leaf.serialNumber = serialNumber();
  leaf.validity.notBefore = notBefore;
  leaf.validity.notAfter = notAfter;
  leaf.setSubject([{ name: 'commonName', value: options.commonName }, { name: 'organizationName', value: 'mamori' }]);
  leaf.setIssuer(ca.subject.attributes);
  leaf.setExtensions([
    { name: 'basicConstraints', critical: true, cA: false },
    { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [...dnsNames.map((value) => ({ type: 2, value })), ...ipAddresses.map((ip) => ({ type: 7, ip }))],
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
  ]);
  leaf.sign(caKeys.privateKey, md());

  // node-forge ends PEM lines with CRLF; files get plain LF.
  const lf = (pem: string): string => pem.replaceAll('\r\n', '\n');
  return {
    caCert: lf(forge.pki.certificateToPem(ca)),
    caKey: lf(pkcs8(caKeys.privateKey)),
    cert: lf(forge.pki.certificateToPem(leaf)),
    key: lf(pkcs8(leafKeys.privateKey)),
    notAfter,
    caNotAfter,
  };
}

/** The files `writeCertificates` writes, with their modes. */
export const CERT_FILES = [
  { name: 'ca.crt', mode: 0o644 },
  { name: 'tls.crt', mode: 0o644 },
  { name: 'tls.key', mode: 0o600 },
] as const;

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new MamoriError('io', `cannot check ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** Writes a file with an exact mode (not subject to the umask); `exclusive` fails if the path exists, even as a symlink. */
function writeExact(path: string, data: string, mode: number, exclusive: boolean): void {
  const fd = openSync(path, exclusive ? 'wx' : 'w', mode);
  try {
    fchmodSync(fd, mode);
    const buffer = Buffer.from(data, 'utf8');
    let offset = 0;
    while (offset < buffer.length) offset += writeSync(fd, buffer, offset, buffer.length - offset);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes ca.crt, tls.crt and tls.key (mode 0600) into `dir`, creating it (mode 0700) if needed.
 * Refuses, writing nothing, when one of the files exists, unless `force`; with `force` each file is
 * replaced by renaming a fresh file over it (a symlink in its place is replaced, never followed).
 * Returns the paths written, in order.
 */
export function writeCertificates(dir: string, certs: GeneratedCertificates, options: { force?: boolean } = {}): string[] {
  const force = options.force ?? false;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new MamoriError('io', `cannot create the directory ${dir}: ${(error as Error).message}`, { cause: error });
  }
  const contents: Record<(typeof CERT_FILES)[number]['name'], string> = { 'ca.crt': certs.caCert, 'tls.crt': certs.cert, 'tls.key': certs.key };
  const targets = CERT_FILES.map((f) => ({ ...f, path: join(dir, f.name), data: contents[f.name] }));
  if (!force) {
    const present = targets.filter((t) => exists(t.path)).map((t) => t.path);
    if (present.length > 0) {
      throw new MamoriError('usage', `refusing to overwrite ${present.join(', ')}: pass --force to replace ${present.length === 1 ? 'it' : 'them'}`);
    }
  }
  const written: string[] = [];
  for (const target of targets) {
    try {
      if (force) {
        const temp = join(dir, `.${target.name}.${randomBytes(6).toString('hex')}.tmp`);
        try {
          writeExact(temp, target.data, target.mode, true);
          renameSync(temp, target.path);
        } catch (error) {
          rmSync(temp, { force: true });
          throw error;
        }
      } else {
        writeExact(target.path, target.data, target.mode, true);
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'EEXIST' ? 'it appeared while writing (pass --force to replace it)' : (error as Error).message;
      throw new MamoriError('io', `cannot write ${target.path}: ${why}${written.length > 0 ? ` (already written: ${written.join(', ')})` : ''}`, { cause: error });
    }
    written.push(target.path);
  }
  return written;
}
