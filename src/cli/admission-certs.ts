import { resolve } from 'node:path';
import {
  DEFAULT_CA_DAYS,
  DEFAULT_CERT_DAYS,
  KEY_SIZES,
  generateCertificates,
  serviceDnsNames,
  writeCertificates,
  type KeySize,
} from '../admission/certs.js';
import { MamoriError } from '../errors.js';
import { EXIT } from './exit.js';
import { writeStdout } from './output.js';

/** The flags of `mamori admission certs` (numbers as commander passes them: strings). */
export interface AdmissionCertsFlags {
  /** Directory to write ca.crt, tls.crt and tls.key into (created if missing). */
  out: string;
  /** The webhook's Service name (default `mamori-webhook`). */
  service?: string | undefined;
  /** The webhook's namespace (default `mamori-system`). */
  namespace?: string | undefined;
  /** Validity of the serving certificate in days (default 365). */
  days?: string | undefined;
  /** Validity of the CA in days (default 3650). */
  caDays?: string | undefined;
  /** RSA key size: 2048 (default), 3072 or 4096. */
  keySize?: string | undefined;
  /** The cluster's DNS domain (default `cluster.local`). */
  clusterDomain?: string | undefined;
  /** Replace existing files. */
  force?: boolean | undefined;
}

export const DEFAULT_SERVICE = 'mamori-webhook';
export const DEFAULT_NAMESPACE = 'mamori-system';
export const DEFAULT_TLS_SECRET = 'mamori-webhook-tls';

function wholeNumber(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^[0-9]{1,9}$/.test(value.trim())) throw new MamoriError('usage', `${flag} must be a whole number (got ${JSON.stringify(value)})`);
  return Number(value.trim());
}

/** Quotes a path for the shell command printed as a hint (printed only, never run). */
function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

const day = (date: Date): string => date.toISOString().slice(0, 10);

/**
 * `mamori admission certs`: writes a CA (ca.crt) and a serving certificate for the webhook Service
 * (tls.crt, tls.key) into a directory, and prints the caBundle. Returns the exit code.
 */
export function runAdmissionCerts(flags: AdmissionCertsFlags): number {
  if (flags.out.trim() === '') throw new MamoriError('usage', '--out needs a directory');
  const service = flags.service ?? DEFAULT_SERVICE;
  const namespace = flags.namespace ?? DEFAULT_NAMESPACE;
  const clusterDomain = flags.clusterDomain ?? 'cluster.local';
  const days = wholeNumber(flags.days, '--days', DEFAULT_CERT_DAYS);
  const caDays = wholeNumber(flags.caDays, '--ca-days', DEFAULT_CA_DAYS);
  const keySize = wholeNumber(flags.keySize, '--key-size', 2048);
  if (!(KEY_SIZES as readonly number[]).includes(keySize)) throw new MamoriError('usage', `--key-size must be one of ${KEY_SIZES.join(', ')} (got ${keySize})`);

  const dnsNames = serviceDnsNames(service, namespace, clusterDomain);
  const certs = generateCertificates({
    commonName: `${service}.${namespace}.svc`,
    dnsNames,
    days,
    caDays,
    keySize: keySize as KeySize,
  });
  const dir = resolve(flags.out);
  const [caPath, certPath, keyPath] = writeCertificates(dir, certs, { force: flags.force ?? false });
  const caBundle = Buffer.from(certs.caCert, 'utf8').toString('base64');
  const lines = [
    `wrote ${caPath}  (CA "mamori-webhook-ca", valid until ${day(certs.caNotAfter)}; its private key is not kept)`,
    `wrote ${certPath}  (serving certificate for ${dnsNames.join(', ')}; valid until ${day(certs.notAfter)})`,
    `wrote ${keyPath}  (private key, mode 0600)`,
    '',
    `\`mamori admission manifests --certs ${shellQuote(dir)}\` puts the Secret and the caBundle into the manifests; or by hand:`,
    '',
    'Create the TLS secret the webhook mounts:',
    `  kubectl -n ${namespace} create secret tls ${DEFAULT_TLS_SECRET} --cert=${shellQuote(certPath ?? '')} --key=${shellQuote(keyPath ?? '')}`,
    '',
    `caBundle of the Validating- and MutatingWebhookConfiguration (base64 of ${caPath}):`,
    `  ${caBundle}`,
    '',
  ];
  writeStdout(lines.join('\n'));
  return EXIT.clean;
}
