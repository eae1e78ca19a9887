import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { admissionManifests, renderManifests, WEBHOOK, type ManifestOptions, type TlsSource } from '../admission/manifests.js';
import type { FailurePolicy } from '../admission/types.js';
import { knownRules, loadConfig } from '../engine/config.js';
import { MamoriError } from '../errors.js';
import { RULES } from '../rules/index.js';
import { EXIT } from './exit.js';
import { writeStdout } from './output.js';

/** The options of `mamori admission manifests`, as commander gives them. */
export interface AdmissionManifestsFlags {
  namespace?: string;
  image?: string;
  replicas?: string;
  failurePolicy?: string;
  timeoutSeconds?: string;
  mode?: string;
  caBundle?: string;
  certs?: string;
  /** `true` when given without an issuer. */
  certManager?: string | boolean;
  priorityClass?: string;
  excludeNamespaces?: string;
  config?: string;
}

/** A ConfigMap holds at most 1 MiB; a configuration this large is a mistake anyway. */
const MAX_CONFIG_BYTES = 512 * 1024;
const MAX_PEM_BYTES = 256 * 1024;

function usage(message: string): never {
  throw new MamoriError('usage', message);
}

function readText(flag: string, file: string, max: number): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (cause) {
    throw new MamoriError('io', `${flag}: cannot read ${file}: ${(cause as Error).message}`, { file, cause });
  }
  if (bytes.length > max) throw new MamoriError('too-large', `${flag}: ${file} is larger than ${max} bytes`, { file });
  const text = bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes)) throw new MamoriError('encoding', `${flag}: ${file} is not UTF-8 text`, { file });
  return text;
}

function integer(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9]{1,6}$/.test(value.trim())) usage(`${flag} must be a whole number (got ${JSON.stringify(value)})`);
  return Number(value.trim());
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** The certificates of a PEM file; a file with a private key in it is refused, since caBundle is readable by everyone. */
function certificates(flag: string, file: string, pem: string, now: Date): X509Certificate[] {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) usage(`${flag}: ${file} holds a private key; give the CA certificate only (ca.crt)`);
  const blocks = pem.match(PEM_CERT) ?? [];
  if (blocks.length === 0) usage(`${flag}: ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return blocks.map((block, i) => {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(block);
    } catch (cause) {
      throw new MamoriError('parse', `${flag}: certificate ${i + 1} of ${file} does not parse: ${(cause as Error).message}`, { file, cause });
    }
    if (new Date(cert.validTo).getTime() <= now.getTime()) usage(`${flag}: certificate ${i + 1} of ${file} (${cert.subject.replace(/\n/g, ', ')}) expired on ${cert.validTo}`);
    return cert;
  });
}

/**
 * The directory `mamori admission certs` writes: ca.crt for caBundle, tls.crt and tls.key for the
 * Secret. Checked the way the API server will check them, so a mismatch fails here rather than
 * as an x509 error on every admission request.
 */
function fromCertsDir(dir: string, namespace: string, now: Date): TlsSource {
  const caFile = join(dir, 'ca.crt');
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  const caPem = readText('--certs', caFile, MAX_PEM_BYTES);
  const certPem = readText('--certs', certFile, MAX_PEM_BYTES);
  const keyPem = readText('--certs', keyFile, MAX_PEM_BYTES);
  const cas = certificates('--certs', caFile, caPem, now);
  // tls.crt may carry intermediates after the serving certificate: walk them up to the CA.
  const [leaf, ...chain] = certificates('--certs', certFile, certPem, now);
  if (leaf === undefined) usage(`--certs: ${certFile} holds no certificate`);
  const signedBy = (cert: X509Certificate, issuer: X509Certificate): boolean => cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  let current = leaf;
  for (let hops = 0; !cas.some((ca) => signedBy(current, ca)); hops++) {
    const next = chain.find((c) => c !== current && signedBy(current, c));
    if (next === undefined || hops > chain.length) usage(`--certs: ${certFile} is not signed by the CA in ${caFile}`);
    current = next;
  }
  const host = `${WEBHOOK.name}.${namespace}.svc`;
  if (leaf.checkHost(host) === undefined) {
    usage(`--certs: ${certFile} is not valid for ${host}, the name the API server dials (${leaf.subjectAltName ?? 'no subjectAltName'}); run \`mamori admission certs --namespace ${namespace}\``);
  }
  let publicKey: string;
  try {
    publicKey = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'pem' }).toString();
  } catch (cause) {
    throw new MamoriError('parse', `--certs: ${keyFile} is not a PEM private key: ${(cause as Error).message}`, { file: keyFile, cause });
  }
  if (publicKey !== leaf.publicKey.export({ type: 'spki', format: 'pem' }).toString()) usage(`--certs: ${keyFile} is not the key of ${certFile}`);
  return { kind: 'ca-bundle', caPem, secret: { certPem, keyPem } };
}

function isFailurePolicy(value: string): value is FailurePolicy {
  return value === 'Fail' || value === 'Ignore';
}

function certManagerSource(value: string | true): TlsSource {
  if (value === true) return { kind: 'cert-manager' };
  const slash = value.indexOf('/');
  if (slash < 0) return { kind: 'cert-manager', issuer: { kind: 'Issuer', name: value } };
  const kind = value.slice(0, slash);
  if (kind !== 'Issuer' && kind !== 'ClusterIssuer') usage(`--cert-manager takes NAME, Issuer/NAME or ClusterIssuer/NAME (got ${JSON.stringify(value)})`);
  return { kind: 'cert-manager', issuer: { kind, name: value.slice(slash + 1) } };
}

/** The options the flags ask for; reads and checks the files they name. */
export function manifestOptions(flags: AdmissionManifestsFlags, now = new Date()): ManifestOptions {
  const namespace = flags.namespace ?? WEBHOOK.namespace;
  const sources = [flags.caBundle !== undefined, flags.certs !== undefined, flags.certManager !== undefined && flags.certManager !== false].filter(Boolean).length;
  if (sources === 0) {
    usage('the API server must trust the webhook: give --certs DIR (from `mamori admission certs`), --ca-bundle FILE, or --cert-manager [ISSUER]');
  }
  if (sources > 1) usage('give only one of --certs, --ca-bundle and --cert-manager');
  let tls: TlsSource;
  if (flags.certs !== undefined) tls = fromCertsDir(flags.certs, namespace, now);
  else if (flags.caBundle !== undefined) {
    const caPem = readText('--ca-bundle', flags.caBundle, MAX_PEM_BYTES);
    certificates('--ca-bundle', flags.caBundle, caPem, now);
    tls = { kind: 'ca-bundle', caPem };
  } else tls = certManagerSource(typeof flags.certManager === 'string' ? flags.certManager : true);
  const options: ManifestOptions = { tls, namespace };
  if (flags.image !== undefined) options.image = flags.image;
  const replicas = integer('--replicas', flags.replicas);
  if (replicas !== undefined) options.replicas = replicas;
  const timeout = integer('--timeout-seconds', flags.timeoutSeconds);
  if (timeout !== undefined) options.timeoutSeconds = timeout;
  const { failurePolicy, mode } = flags;
  if (failurePolicy !== undefined) {
    if (!isFailurePolicy(failurePolicy)) usage(`--failure-policy must be Fail or Ignore (got ${JSON.stringify(failurePolicy)})`);
    options.failurePolicy = failurePolicy;
  }
  if (mode !== undefined) {
    if (mode !== 'validate' && mode !== 'mutate' && mode !== 'both') usage(`--mode must be validate, mutate or both (got ${JSON.stringify(mode)})`);
    options.mode = mode;
  }
  if (flags.priorityClass !== undefined) options.priorityClassName = flags.priorityClass;
  if (flags.excludeNamespaces !== undefined) {
    options.excludeNamespaces = flags.excludeNamespaces.split(',').map((s) => s.trim()).filter((s) => s !== '');
  }
  if (flags.config !== undefined) {
    const text = readText('--config', flags.config, MAX_CONFIG_BYTES);
    // The server would refuse a bad configuration at start, in a crash loop: refuse it here.
    loadConfig(flags.config, knownRules(RULES));
    options.config = text;
  }
  return options;
}

/** `mamori admission manifests`: prints the YAML that runs the webhook; returns the exit code. */
export function runAdmissionManifests(flags: AdmissionManifestsFlags): number {
  const { objects, notes } = admissionManifests(manifestOptions(flags));
  writeStdout(renderManifests(objects));
  for (const note of notes) process.stderr.write(`mamori: note: ${note}\n`);
  return EXIT.clean;
}
