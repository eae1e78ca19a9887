/**
 * Credential detection for the secrets rules: recognises credentials by their format (private
 * keys, cloud and SaaS tokens) and by the name they are stored under (`password=...`), and
 * describes them only by a redacted fingerprint, and only when they are generated material that
 * cannot be guessed from it (recognised by their format). Nothing here ever returns a value or a piece of one longer than a public kind marker such
 * as `AKIA`.
 *
 * Precision comes first: placeholders (`changeme`, `<password>`, `${VAR}`, `$(VAR)`, `{{ }}`,
 * `example`, `xxx`...), references (file paths, secret-manager URIs, Vault paths, Kubernetes
 * object names, key fingerprints) and documentation keys are not credentials.
 */
import { LINE_TERMINATOR } from '../text.js';
import { createHash, createHmac, randomBytes } from 'node:crypto';

/**
 * `key`: recognised by its format, so almost certainly a live credential (private keys, cloud
 * and API tokens). `password`: recognised by the name it is stored under, or by its place in a
 * URL, an HTTP header or a registry login.
 */
export type CredentialClass = 'key' | 'password';

/** What a detected credential is. */
export type CredentialKind =
  | 'private-key'
  | 'aws-access-key-id'
  | 'aws-secret-access-key'
  | 'gcp-service-account-key'
  | 'azure-storage-key'
  | 'azure-shared-access-key'
  | 'azure-sas-token'
  | 'github-token'
  | 'gitlab-token'
  | 'slack-token'
  | 'slack-webhook'
  | 'stripe-key'
  | 'jwt'
  | 'url-password'
  | 'basic-auth'
  | 'registry-auth'
  | 'bearer-token'
  | 'keystore'
  | 'password'
  | 'secret';

const KINDS: Readonly<Record<CredentialKind, { label: string; class: CredentialClass }>> = {
  'private-key': { label: 'a private key', class: 'key' },
  'aws-access-key-id': { label: 'an AWS access key id', class: 'key' },
  'aws-secret-access-key': { label: 'an AWS secret access key', class: 'key' },
  'gcp-service-account-key': { label: 'a Google Cloud service-account key', class: 'key' },
  'azure-storage-key': { label: 'an Azure storage account key', class: 'key' },
  'azure-shared-access-key': { label: 'an Azure shared access key', class: 'key' },
  'azure-sas-token': { label: 'an Azure shared access signature', class: 'key' },
  'github-token': { label: 'a GitHub token', class: 'key' },
  'gitlab-token': { label: 'a GitLab access token', class: 'key' },
  'slack-token': { label: 'a Slack token', class: 'key' },
  'slack-webhook': { label: 'a Slack webhook URL', class: 'key' },
  'stripe-key': { label: 'a Stripe live secret key', class: 'key' },
  jwt: { label: 'a JSON Web Token', class: 'key' },
  'url-password': { label: 'a password in a URL', class: 'password' },
  'basic-auth': { label: 'HTTP Basic credentials', class: 'password' },
  'registry-auth': { label: 'a registry login (user and password)', class: 'password' },
  'bearer-token': { label: 'an HTTP bearer token', class: 'password' },
  keystore: { label: 'a binary keystore', class: 'password' },
  password: { label: 'a password', class: 'password' },
  secret: { label: 'a secret token or key', class: 'password' },
};

const NONE: readonly Credential[] = Object.freeze([]);

/** One credential found in a value; it carries at most a fingerprint, never the value. */
export interface Credential {
  kind: CredentialKind;
  /** What it is, for messages: "an AWS access key id". */
  label: string;
  class: CredentialClass;
  /**
   * Redacted identity of the value, e.g. `AKIA… sha256:1a2b3c4d… (20 chars)`, for a credential
   * recognised by the format of generated material (class `key`); undefined for any other value,
   * which a person may have chosen, for then even a fingerprint and a length give it away.
   */
  fingerprint: string | undefined;
  /**
   * Tells values apart within one run (an HMAC under a key drawn when the process starts): for
   * comparing two credentials, never shown, and meaningless in another run.
   */
  identity: string;
  /** The property or variable name it was found under, when the text names it. */
  name?: string;
  /** 1-based line inside a multi-line value. */
  line?: number;
}

/**
 * What messages say instead of a fingerprint. Only a credential recognised by the format of
 * generated material gets one (`make`); any value a person may have chosen is withheld whatever
 * its form, since a fingerprint and a length let a reader test guesses against it.
 */
export const VALUE_WITHHELD = 'value withheld';

/**
 * Hashed ahead of the value, so a fingerprint cannot be looked up in public tables of SHA-256
 * digests. The prefix is public, so it does not stop a dictionary search: that is why only
 * generated material, beyond such a search, gets a fingerprint.
 */
const FINGERPRINT_DOMAIN = 'mamori credential fingerprint v1\u0000';

/**
 * A redacted, stable identity for a generated credential: the first 8 hex digits of a SHA-256
 * over the value (behind a mamori-specific prefix) and its length, e.g. `sha256:1a2b3c4d… (32 chars)`.
 * Enough to tell two findings apart, or see that two places hold the same value, across runs;
 * never the value or any part of it. Shown only for credentials recognised by the format of
 * generated material (class `key`): 32 bits of digest and the exact length single out a value a
 * person chose among the candidates of a dictionary within seconds.
 */
export function fingerprint(value: string): string {
  const hex = createHash('sha256').update(FINGERPRINT_DOMAIN + value, 'utf8').digest('hex').slice(0, 8);
  return `sha256:${hex}… (${[...value].length} chars)`;
}

/** The key of `identity`: drawn anew by every process, so identities are not comparable across runs. */
const IDENTITY_KEY = randomBytes(32);

function identity(value: string): string {
  return createHmac('sha256', IDENTITY_KEY).update(value, 'utf8').digest('base64');
}

/** Shannon entropy of a string in bits per character (0 for a repeated character, 4 for 16 equally used ones). */
export function shannonEntropy(value: string): number {
  if (value.length === 0) return 0;
  const counts = new Map<string, number>();
  let n = 0;
  for (const c of value) {
    counts.set(c, (counts.get(c) ?? 0) + 1);
    n++;
  }
  let h = 0;
  for (const count of counts.values()) {
    const p = count / n;
    h -= p * Math.log2(p);
  }
  return h;
}

/**
 * Words that, alone or inside a value, mark it as a placeholder for documentation or templates.
 * A `<...>` pair counts too (`hasAngleTag`); it is not written `<[^>]*>` here, which retries from
 * every `<` and takes quadratic time on a value of many `<` without a `>`.
 */
const PLACEHOLDER_WORDS =
  /change[-_ ]?me|changeit|example|sample|dummy|placeholder|replace|redacted|your[-_ ]?(?:own[-_ ]?)?(?:pass|secret|token|key|api)|fixme|todo|tbd|xxx|\*\*\*|\.\.\.|…|insert[-_ ]|\[[A-Z_ -]+\]|%[A-Z_]+%|__[A-Z_]+__|@[A-Z_]+@/i;

/** `/<[^>]*>/.test(value)` in linear time: a `<` with a `>` somewhere after it. */
function hasAngleTag(value: string): boolean {
  const open = value.indexOf('<');
  return open !== -1 && value.indexOf('>', open + 1) !== -1;
}

/** Whole values that are words, not credentials. */
const PLACEHOLDER_VALUES: ReadonlySet<string> = new Set([
  'token', 'key', 'apikey', 'api-key', 'api_key', 'credentials',
  'none', 'null', 'nil', 'undefined', 'true', 'false', 'yes', 'no', 'on', 'off', 'enabled', 'disabled', 'required',
  'optional', 'default', 'empty', 'unset', 'string', 'value', 'foo', 'bar', 'baz', 'foobar', 'test', 'testing',
  'secretkey', 'secret-key', 'accesskey', 'access-key', 'mypassword', 'my-password', 'mysecret', 'my-secret',
  'bearer', 'basic', 'token-here', 'n/a', 'na', '-',
]);
/** Template and shell expansions (`${VAR}`, `$(cmd)`, `` `cmd` ``): the value is filled in elsewhere. */
const TEMPLATE = /\$\{|\$\(|\{\{|\}\}|#\{|%\(|%[sdv]\b|^\$[A-Za-z_][A-Za-z0-9_]*$|^\$\d$|^\$[A-Za-z_]|^`/;
/** References to where a secret lives, rather than the secret. */
const REFERENCE =
  /^(?:\/|\.\.?\/|~\/|[A-Za-z]:\\|file:|vault:|ref\+|arn:aws[a-z-]*:(?:secretsmanager|ssm|kms)|projects\/[^/]+\/secrets\/|sm:\/\/|secret:\/\/|awssm:|awsssm:|gcpsm:|azurekeyvault:|akv:|op:\/\/|k8s:\/\/|kubernetes:\/\/|env:|ENC\[)/;

/** The public storage emulator (Azurite) key, printed in Microsoft's documentation. */
const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** True when a value is a placeholder, a template or a reference rather than a literal credential. */
export function isPlaceholder(value: string): boolean {
  const v = value.trim();
  if (v.length === 0 || v === AZURITE_KEY) return true;
  if (PLACEHOLDER_VALUES.has(v.toLowerCase())) return true;
  if (TEMPLATE.test(v) || REFERENCE.test(v) || PLACEHOLDER_WORDS.test(v) || hasAngleTag(v)) return true;
  // One character repeated, or only masking characters: `xxxxxx`, `******`, `000000`, `-----`.
  if (/^(.)\1*$/.test(v) || /^[xX*#.\-_0 ]+$/.test(v)) return true;
  return false;
}

/** Credential words a name may end with, and the kind of credential they announce. */
const PASSWORD_WORDS = /(?:password|passwd|passphrase|passcode)$/;
/** Password words of their own: short forms, and Redis' `requirepass` and `masterauth` directives. */
const PASSWORD_TOKENS: ReadonlySet<string> = new Set(['pass', 'pwd', 'pw', 'dbpass', 'pgpass', 'rootpass', 'adminpass', 'userpass', 'requirepass', 'masterauth']);
const SECRET_WORDS = /(?:secret|token|apikey|accesskey|secretkey|privatekey|masterkey|signingkey|encryptionkey|accountkey|credentials?|creds)$/;
/** Qualifiers that make a trailing `key` a credential (`API_KEY`, `SIGNING_KEY`), unlike `CACHE_KEY`. */
const KEY_QUALIFIERS: ReadonlySet<string> = new Set([
  'api', 'access', 'secret', 'private', 'client', 'auth', 'signing', 'sign', 'encryption', 'encrypt', 'crypt', 'cipher',
  'master', 'hmac', 'ssh', 'session', 'app', 'jwt', 'account', 'storage', 'shared', 'license', 'aes', 'subscription',
  'admin', 'service', 'webhook', 'write', 'read', 'ingest', 'sendgrid', 'mailgun', 'stripe', 'twilio', 'openai',
  'gpg', 'pgp', 'tls', 'ssl',
]);

/**
 * The words of a name: `DB_PASSWORD`, `spring.datasource.password`, `clientSecret`, `AWSSecretAccessKey`.
 * The second split starts only at the first capital of a run (`(?<![A-Z])`): a match can start
 * nowhere else, and retrying inside a long run of capitals without a lower-case letter after it
 * would take quadratic time.
 */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/(?<![A-Z])([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
}

/** Words that make a credential-looking name about something else (`existingSecret` names a Secret). */
const NOT_SECRET_WORDS: ReadonlySet<string> = new Set(['existing', 'checksum', 'hash', 'hashed', 'digest', 'sha1', 'sha256', 'sha512', 'md5', 'fingerprint', 'version', 'revision', 'rotation', 'expiry', 'expiration']);

/** Cheap pre-check before `credentialName`: could this name be a credential name at all? */
const NAME_HINT = /pass|pw|secret|token|key|cred|auth/i;

/**
 * Vault Agent Injector annotations: `agent-inject-secret-<file>` names a Vault path to render,
 * the others templates and settings; none holds a secret.
 */
const REFERENCE_NAME = /^vault\.hashicorp\.com\//;

/** A word without the digits it ends with (a loop: `/[0-9]+$/` retries from every digit of a run). */
function withoutCounter(word: string): string {
  let end = word.length;
  while (end > 0 && word.charCodeAt(end - 1) >= 48 && word.charCodeAt(end - 1) <= 57) end--;
  return word.slice(0, end);
}

/**
 * What a name announces: `password` for password-like names (`DB_PASSWORD`, `db.pass`,
 * `requirepass`), `secret` for tokens and keys (`API_KEY`, `clientSecret`, `GITHUB_TOKEN`,
 * `SECRET_KEY_BASE`), undefined otherwise. Only the last word counts, so `PASSWORD_FILE`,
 * `TOKEN_TTL`, `SECRET_NAME` and `api-key-header` name something else; a number after it is a
 * counter, not a word (`DB_PASSWORD_2`, `DB_PASSWORD4`).
 */
export function credentialName(name: string): 'password' | 'secret' | undefined {
  if (!NAME_HINT.test(name) || REFERENCE_NAME.test(name)) return undefined;
  const list = words(name);
  // `checksum/secret` (Helm), `token-sha256`, `secret-version`: a digest or a version of a secret, not one.
  if (list.some((w) => NOT_SECRET_WORDS.has(w))) return undefined;
  let last: string | undefined;
  while (last === '' || last === undefined) {
    const word = list.pop();
    if (word === undefined) return undefined;
    last = withoutCounter(word);
  }
  let before = list[list.length - 1];
  // iSCSI's mutual CHAP keys: `node.session.auth.password_in`, the target's password.
  if (last === 'in' && before === 'password') {
    last = before;
    before = list[list.length - 2];
  }
  if (PASSWORD_WORDS.test(last) || PASSWORD_TOKENS.has(last)) return 'password';
  if (SECRET_WORDS.test(last)) return 'secret';
  if (last === 'key' && before !== undefined && KEY_QUALIFIERS.has(before)) return 'secret';
  if (last === 'auth' && before !== undefined) return 'secret';
  // Rails' and Phoenix's `SECRET_KEY_BASE`, the key every session cookie is signed with.
  if (last === 'base' && before === 'key' && list[list.length - 2] === 'secret') return 'secret';
  return undefined;
}

/** Extensions of plain-text files: a ConfigMap or Secret key `password.txt` is the password file. */
const TEXT_FILE = /\.(?:txt|conf|cfg)$/i;

/**
 * `credentialName` for the key of a ConfigMap or a Secret, which may be the name of the file it is
 * mounted as: `db-password.conf`, `password.txt`.
 */
export function credentialKeyName(key: string): 'password' | 'secret' | undefined {
  return credentialName(key) ?? (TEXT_FILE.test(key) ? credentialName(key.replace(TEXT_FILE, '')) : undefined);
}

/** Names of user names: `username`, `DB_USER`, `apiUsername`, `login`, `node.session.auth.username_in`. */
export function isUserName(name: string): boolean {
  const list = words(name);
  let last = list.pop();
  // iSCSI's mutual CHAP keys: `node.session.auth.username_in`.
  if (last === 'in' && list[list.length - 1] === 'username') last = list.pop();
  return last === 'user' || last === 'username' || last === 'login';
}

/** An OpenPGP key id or fingerprint (16, 40 or 64 hex digits): public. */
const PGP_FINGERPRINT = /^(?:0x)?(?:[0-9A-Fa-f]{16}|[0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})$/;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A Kubernetes object name (`db-credentials`, `tls.crt`): a reference, not a secret. */
const OBJECT_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function charClasses(value: string): number {
  let classes = 0;
  if (/[a-z]/.test(value)) classes++;
  if (/[A-Z]/.test(value)) classes++;
  if (/[0-9]/.test(value)) classes++;
  if (/[^A-Za-z0-9]/.test(value)) classes++;
  return classes;
}

/**
 * True for values that look machine-generated: 16+ characters without spaces, at least 3.5 bits
 * of entropy per character and mixed letters and digits (hex, base64, base32 tokens); or UUIDs.
 */
export function looksRandom(value: string): boolean {
  if (UUID.test(value)) return true;
  if (value.length < 16 || /\s/.test(value)) return false;
  if (!/[0-9]/.test(value) || !/[A-Za-z]/.test(value)) return false;
  return shannonEntropy(value) >= 3.5;
}

/** Words of notes and settings written where a secret would go (`see vault`, `not set yet`, `none required here`). */
const NOTE_WORDS: ReadonlySet<string> = new Set(['see', 'not', 'no', 'none', 'set', 'unset', 'yet', 'required', 'here', 'vault', 'in', 'from', 'the', 'use', 'using', 'via', 'env', 'file', 'todo', 'tbd', 'fill', 'later', 'plain', 'login', 'disabled', 'enabled', 'empty', 'default', 'secret', 'secrets']);

/** Two to five words of letters and digits with single spaces: `keyboard cat`, not a sentence or a command line. */
const PASSPHRASE = /^[A-Za-z0-9!@#$%^&*_+=]+(?: [A-Za-z0-9!@#$%^&*_+=]+){1,4}$/;

/**
 * Whether a literal stored under a credential name is a credential. Passwords are chosen by
 * people, so any literal of 4+ characters counts; for tokens and keys (`*_SECRET`, `*_TOKEN`,
 * `*_KEY`) the value must look generated, be 8+ characters mixing letters with digits or
 * symbols, 12+ letters, or a passphrase of two to five words, and not be shaped like an object name, which keeps out the Secret and object names
 * (`tls-secret`, `db-credentials`) and modes (`oauth2`) that those names often hold.
 */
function isLiteralCredential(kind: 'password' | 'secret', value: string): boolean {
  if (isPlaceholder(value) || value.startsWith('{') || value.startsWith('[')) return false;
  if (kind === 'password') return value.length >= 4;
  if (UUID.test(value)) return true;
  if (value.length < 8) return false;
  // `keyboard cat`: a passphrase of a few words; not modes (`LOGIN PLAIN`) nor notes (`see vault`).
  if (/\s/.test(value)) return PASSPHRASE.test(value) && value !== value.toUpperCase() && !value.toLowerCase().split(' ').some((w) => NOTE_WORDS.has(w));
  if (OBJECT_NAME.test(value) && /[-.]/.test(value)) return false;
  if (looksRandom(value)) return true;
  // `mysupersecretsigningkey`: a long run of letters is a chosen phrase, not a mode; one ending in
  // `secret` or `credentials` names a Secret (`postgresqlcredentials`).
  if (/^[A-Za-z]{12,}$/.test(value)) return !/(?:secrets?|credentials?|creds)$/i.test(value);
  // `minio123`, `s3cr3t-K3y`: letters with digits, or three character classes.
  return (/[0-9]/.test(value) && /[A-Za-z]/.test(value)) || charClasses(value) >= 3;
}

/** Where a hit is and what it is called, and how to show it. */
interface HitOptions {
  /** A public kind marker shown before the fingerprint (`AKIA`). */
  marker?: string;
  name?: string;
  line?: number;
}

/**
 * A credential. Its fingerprint is shown only for a credential recognised by a format of
 * generated material (class `key`: private keys, cloud keys, API tokens, JWTs); for any other
 * value, which a person may have chosen, nothing about it is shown, not even its length.
 */
function make(kind: CredentialKind, secret: string, options: HitOptions): Credential {
  const info = KINDS[kind];
  const out: Credential = {
    kind,
    label: info.label,
    class: info.class,
    fingerprint: info.class !== 'key' ? undefined : options.marker === undefined ? fingerprint(secret) : `${options.marker}… ${fingerprint(secret)}`,
    identity: identity(secret),
  };
  if (options.name !== undefined) out.name = options.name;
  if (options.line !== undefined) out.line = options.line;
  return out;
}

/**
 * 1-based lines of offsets in one text: its line breaks are found once, then each offset by binary
 * search (counting from the start for every hit is quadratic in a value of many credentials).
 */
class LineIndex {
  private breaks: number[] | undefined;
  constructor(private readonly text: string) {}

  at(offset: number): { line: number } {
    let breaks = this.breaks;
    if (breaks === undefined) {
      breaks = [];
      for (let i = this.text.indexOf('\n'); i !== -1; i = this.text.indexOf('\n', i + 1)) breaks.push(i);
      this.breaks = breaks;
    }
    let low = 0;
    let high = breaks.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((breaks[middle] as number) < offset) low = middle + 1;
      else high = middle;
    }
    return { line: low + 1 };
  }
}

/** The line index of a text with line breaks, whose hits then carry their line; none for a one-line text. */
function lineIndex(text: string): LineIndex | undefined {
  return text.includes('\n') ? new LineIndex(text) : undefined;
}

/** Something in the text worth a closer look: a credential format or a credential word. */
const HINT = /pass|pw|secret|token|key|cred|auth|BEGIN|AKIA|ASIA|gh[pousr]_|github_pat_|glpat-|xox[baprs]-|_live_|eyJ|:\/\/|bearer|basic|sig=/i;

/** The armour that opens a PEM private key; `pemBlocks` finds the matching end. */
const PEM_BEGIN = /-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----/g;
/** Base64 of `-----BEGIN`, followed by the rest of the encoded block. */
const PEM_BASE64 = /LS0tLS1CRUdJTi[A-Za-z0-9+/]{40,}={0,2}/g;
const AWS_KEY_ID = /\b(AKIA|ASIA)[A-Z0-9]{16}\b/g;
const AWS_SECRET_NEAR = /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;
const GCP_TYPE = /"type"\s*:\s*"service_account"/;
const GCP_KEY = /"private_key"\s*:\s*"(-----BEGIN PRIVATE KEY-----[^"]*)"/g;
const AZURE_ACCOUNT_KEY = /AccountKey=([A-Za-z0-9+/]{86}==)/g;
const AZURE_SHARED_KEY = /SharedAccessKey=([A-Za-z0-9+/]{42,44}=)/g;
const AZURE_SAS = /[?&;]sig=([A-Za-z0-9%+/]{30,}(?:%3D|=){0,2})/gi;
const GITHUB = /\b(gh[pousr])_([A-Za-z0-9]{36,})\b|\b(github_pat)_([A-Za-z0-9_]{50,})\b/g;
const GITLAB = /\b(glpat)-([A-Za-z0-9_.-]{20,})/g;
const SLACK = /\b(xox[baprs])-([0-9]{6,}-[A-Za-z0-9-]{8,})/g;
const SLACK_WEBHOOK = /https:\/\/hooks\.slack\.com\/services\/(T[A-Z0-9]{6,}\/B[A-Z0-9]{6,}\/([A-Za-z0-9]{20,}))/g;
const STRIPE = /\b([rs]k_live)_([A-Za-z0-9]{20,})\b/g;
/** A JWT at a given offset (sticky); `jwtTokens` chooses the offsets. */
const JWT = /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{20,}/y;
const JWT_START = /\beyJ/g;
/** Characters of a JWT part (base64url). */
const JWT_PART = /[A-Za-z0-9_-]/;
const BASIC = /\bBasic\s+([A-Za-z0-9+/]{8,}={0,2})(?![A-Za-z0-9+/=])/g;
const BEARER = /\bBearer\s+([A-Za-z0-9._~+/-]{20,}={0,2})(?![A-Za-z0-9._~+/=-])/g;

/**
 * The PEM private-key blocks of a text, each from its `-----BEGIN <label>-----` to the first
 * `-----END <label>-----` after it: what `/-----BEGIN (<label>)-----([\s\S]*?)-----END \1-----/g`
 * matches, in linear time. That regex searches to the end of the text again from every BEGIN
 * that has no END, which is quadratic in a text of many BEGIN lines; here a label whose END is
 * missing after one BEGIN is known to be missing after every later one.
 */
function pemBlocks(text: string): { block: string; index: number }[] {
  const out: { block: string; index: number }[] = [];
  const missing = new Set<string>();
  const begin = PEM_BEGIN;
  begin.lastIndex = 0;
  for (let m = begin.exec(text); m !== null; m = begin.exec(text)) {
    const label = m[1] ?? '';
    const end = `-----END ${label}-----`;
    const at = missing.has(label) ? -1 : text.indexOf(end, m.index + m[0].length);
    if (at === -1) {
      missing.add(label);
      // As the regex does, look for the next BEGIN from the next character (it may overlap this one).
      begin.lastIndex = m.index + 1;
      continue;
    }
    out.push({ block: text.slice(m.index, at + end.length), index: m.index });
    begin.lastIndex = at + end.length;
  }
  return out;
}

/**
 * The JWTs of a text: what `text.matchAll(/\beyJ…/g)` with the `JWT` pattern finds, in linear
 * time. The header part runs to the end of its run of base64url characters, so when a match
 * fails from one `eyJ` it fails from every later `eyJ` of the same run (`eyJ-eyJ-eyJ-…`), which
 * the regex would each scan to the end of the run again.
 */
function jwtTokens(text: string): { token: string; index: number }[] {
  const out: { token: string; index: number }[] = [];
  const start = JWT_START;
  start.lastIndex = 0;
  let failedRunEnd = -1;
  for (let m = start.exec(text); m !== null; m = start.exec(text)) {
    if (m.index < failedRunEnd) continue;
    JWT.lastIndex = m.index;
    const jwt = JWT.exec(text);
    if (jwt === null) {
      let end = m.index;
      while (end < text.length && JWT_PART.test(text[end] ?? '')) end++;
      failedRunEnd = end;
      continue;
    }
    out.push({ token: jwt[0], index: m.index });
    start.lastIndex = m.index + jwt[0].length;
  }
  return out;
}

function decodeBase64Url(part: string): string | undefined {
  try {
    return Buffer.from(part.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
  } catch {
    return undefined;
  }
}

function isJwt(token: string): boolean {
  const [head] = token.split('.');
  const header = decodeBase64Url(head ?? '');
  if (header === undefined) return false;
  try {
    const parsed = JSON.parse(header) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return false;
    const alg = (parsed as Record<string, unknown>)['alg'];
    return typeof alg === 'string' && alg.toLowerCase() !== 'none';
  } catch {
    return false;
  }
}

/** A generated token body, as opposed to a placeholder (`ghp_xxxx…`, `T00000000/B00000000/XXXX`). */
function tokenBody(body: string): boolean {
  return !isPlaceholder(body) && shannonEntropy(body) >= 3;
}

/** A 40-character AWS secret access key candidate: base64 with mixed case, not hex. */
function awsSecretShape(value: string): boolean {
  return /^[A-Za-z0-9/+]{40}$/.test(value) && /[a-z]/.test(value) && /[A-Z]/.test(value) && !/^[0-9a-fA-F]+$/.test(value) && !isPlaceholder(value);
}

/** Collects hits, keeping one per value (the first, most specific kind wins). */
class Hits {
  readonly list: Credential[] = [];
  /** Raw values already reported, so a PEM inside a service-account key is not reported twice. */
  private readonly values = new Set<string>();
  private readonly named = new Set<string>();

  has(value: string): boolean {
    return this.values.has(value);
  }

  /** True when a value under this name was already found on this line (a connection string read two ways). */
  hasNamed(name: string, line: number | undefined): boolean {
    return this.named.has(`${name}\u0000${line ?? 0}`);
  }

  add(kind: CredentialKind, value: string, options: HitOptions = {}): void {
    if (this.values.has(value)) return;
    this.values.add(value);
    if (options.name !== undefined) this.named.add(`${options.name}\u0000${options.line ?? 0}`);
    this.list.push(make(kind, value, options));
  }
}

/** Credentials recognised by their format anywhere in `text`. */
function scanFormats(text: string, hits: Hits, lines: LineIndex | undefined): void {
  const at = (offset: number): { line?: number } => (lines === undefined ? {} : lines.at(offset));
  if (text.includes('service_account') && GCP_TYPE.test(text)) {
    for (const m of text.matchAll(GCP_KEY)) {
      const key = m[1] ?? '';
      if (key.replace(/\\n|\s/g, '').length > 120) hits.add('gcp-service-account-key', pemBody(key.replace(/\\n/g, '\n')), at(m.index));
    }
  }
  if (text.includes('PRIVATE KEY')) {
    for (const m of pemBlocks(text)) {
      const body = pemBody(m.block.replace(/\\n/g, '\n'));
      if (body.length >= 64 && !hits.has(body)) hits.add('private-key', body, at(m.index));
    }
  }
  if (text.includes('LS0tLS1CRUdJTi')) {
    // A PEM key in base64, as kubeconfig `client-key-data` and Secret-style data hold it.
    for (const m of text.matchAll(PEM_BASE64)) {
      const decoded = Buffer.from(m[0], 'base64').toString('utf8');
      if (!/-----BEGIN [A-Z ]*PRIVATE KEY(?: BLOCK)?-----/.test(decoded)) continue;
      const body = pemBody(decoded);
      if (body.length >= 64 && !hits.has(body)) hits.add('private-key', body, at(m.index));
    }
  }
  if (text.includes('AKIA') || text.includes('ASIA')) {
    for (const m of text.matchAll(AWS_KEY_ID)) {
      if (isPlaceholder(m[0])) continue;
      hits.add('aws-access-key-id', m[0], { marker: m[1] ?? '', ...at(m.index) });
      // The secret key usually sits next to its id (credentials files, connection strings).
      const from = Math.max(0, m.index - 400);
      const window = text.slice(from, m.index + m[0].length + 400);
      for (const s of window.matchAll(AWS_SECRET_NEAR)) {
        if (awsSecretShape(s[0])) hits.add('aws-secret-access-key', s[0], at(from + s.index));
      }
    }
  }
  if (text.includes('AccountKey=')) {
    for (const m of text.matchAll(AZURE_ACCOUNT_KEY)) if (m[1] !== AZURITE_KEY) hits.add('azure-storage-key', m[1] ?? '', at(m.index));
  }
  if (text.includes('SharedAccessKey=')) {
    for (const m of text.matchAll(AZURE_SHARED_KEY)) if (tokenBody(m[1] ?? '')) hits.add('azure-shared-access-key', m[1] ?? '', at(m.index));
  }
  if (/sig=/i.test(text) && /[?&;]sv=\d{4}-/.test(text)) {
    for (const m of text.matchAll(AZURE_SAS)) if (tokenBody(m[1] ?? '')) hits.add('azure-sas-token', m[1] ?? '', at(m.index));
  }
  for (const m of text.matchAll(GITHUB)) {
    const marker = m[1] ?? m[3] ?? '';
    if (tokenBody(m[2] ?? m[4] ?? '')) hits.add('github-token', m[0], { marker: `${marker}_`, ...at(m.index) });
  }
  if (text.includes('glpat-')) {
    for (const m of text.matchAll(GITLAB)) if (tokenBody(m[2] ?? '')) hits.add('gitlab-token', m[0], { marker: 'glpat-', ...at(m.index) });
  }
  if (text.includes('xox')) {
    for (const m of text.matchAll(SLACK)) if (tokenBody(m[2] ?? '')) hits.add('slack-token', m[0], { marker: `${m[1] ?? ''}-`, ...at(m.index) });
  }
  if (text.includes('hooks.slack.com')) {
    for (const m of text.matchAll(SLACK_WEBHOOK)) if (tokenBody(m[2] ?? '')) hits.add('slack-webhook', m[1] ?? '', at(m.index));
  }
  if (text.includes('_live_')) {
    for (const m of text.matchAll(STRIPE)) if (tokenBody(m[2] ?? '')) hits.add('stripe-key', m[0], { marker: `${m[1] ?? ''}_`, ...at(m.index) });
  }
  if (text.includes('eyJ')) {
    for (const m of jwtTokens(text)) if (isJwt(m.token)) hits.add('jwt', m.token, at(m.index));
  }
}

/** The base64 body of a PEM block, without armour, headers and line breaks. */
function pemBody(pem: string): string {
  return pem
    .split('\n')
    .filter((l) => !l.startsWith('-----') && !l.includes(':'))
    .join('')
    .replace(/[^A-Za-z0-9+/=]/g, '');
}

/** Characters that end the authority part of a URL (`user:password@host`). */
const AUTHORITY_END = /[\s/?"'<>`]/;

/**
 * `/^[\x20-\x7e]+:[\x20-\x7e]+$/.test(text)` (printable ASCII with a `:` neither first nor last)
 * in linear time: the regex retries from every `:` and is quadratic in a decoded text of many.
 */
function isUserPass(text: string): boolean {
  const colon = text.indexOf(':', 1);
  return colon !== -1 && colon < text.length - 1 && /^[\x20-\x7e]+$/.test(text);
}

/** The `user:password@` part of each URL of a text, with where its scheme starts. */
function* urlUserinfo(text: string): Generator<{ user: string; password: string; host: string; index: number }> {
  for (let i = text.indexOf('://'); i !== -1; i = text.indexOf('://', i + 3)) {
    // The authority runs from after `://` to the first character that ends it; a password
    // needs an `@` inside it.
    const from = i + 3;
    let end = from;
    while (end < text.length && end - from < 512 && !AUTHORITY_END.test(text[end] ?? ' ')) end++;
    const authority = text.slice(from, end);
    const atSign = authority.lastIndexOf('@');
    if (atSign <= 0) continue;
    const userinfo = authority.slice(0, atSign);
    const colon = userinfo.indexOf(':');
    if (colon === -1) continue;
    const password = userinfo.slice(colon + 1);
    const host = authority.slice(atSign + 1).replace(/:\d*$/, '').toLowerCase();
    if (password === '' || host === '' || !/^[a-z][a-z0-9+.-]{0,20}$/i.test(text.slice(Math.max(0, i - 21), i).replace(/^.*[^a-zA-Z0-9+.-]/, ''))) continue;
    yield { user: userinfo.slice(0, colon), password, host, index: i };
  }
}

/** Registry logins of a Docker config file (`config.json`, `.dockerconfigjson`): base64 of `user:password`. */
const DOCKER_AUTH = /"auth"\s*:\s*"([A-Za-z0-9+/]{8,}={0,2})"/g;

/** `user:password` in base64 (an HTTP Basic header, a registry or npm `auth`) that is not a placeholder. */
function addUserPass(hits: Hits, kind: 'basic-auth' | 'registry-auth', raw: string, where: { line?: number }): void {
  const decoded = decodeBase64Url(raw);
  if (decoded === undefined || !isUserPass(decoded)) return;
  const password = decoded.slice(decoded.indexOf(':') + 1);
  if (!isPlaceholder(password)) hits.add(kind, raw, where);
}

/** Passwords in URLs, HTTP authorization headers and registry logins. */
function scanUrlsAndHeaders(text: string, hits: Hits, lines: LineIndex | undefined): void {
  const at = (offset: number): { line?: number } => (lines === undefined ? {} : lines.at(offset));
  for (const { user, password, host, index } of urlUserinfo(text)) {
    // `scheme://user:password@host` is how documentation writes a URL template.
    if (isPlaceholder(password) || password === user || /^(?:password|passwd|pass|pwd|secret)$/i.test(password) || /(^|\.)example\.(com|org|net)$|\.example$|\.invalid$/.test(host)) continue;
    if (hits.has(password)) continue;
    hits.add('url-password', password, at(index));
  }
  if (/basic|bearer/i.test(text)) {
    for (const m of text.matchAll(BASIC)) addUserPass(hits, 'basic-auth', m[1] ?? '', at(m.index));
    for (const m of text.matchAll(BEARER)) {
      const token = m[1] ?? '';
      if (!hits.has(token) && (looksRandom(token) || isJwt(token)) && !isPlaceholder(token)) hits.add(isJwt(token) ? 'jwt' : 'bearer-token', token, at(m.index));
    }
  }
  if (text.includes('"auths"')) for (const m of text.matchAll(DOCKER_AUTH)) addUserPass(hits, 'registry-auth', m[1] ?? '', at(m.index));
}

/** Line terminators, searched for one after the other. */
const LINE_TERMINATORS = new RegExp(LINE_TERMINATOR.source, 'g');

/**
 * `text.replace(/\s+#.*$/, '')` in linear time: cuts the text at the blanks before the first `#`
 * that follows a blank and has no line terminator after it. The regex retries from every blank
 * and every `#`, quadratic in a value of many blanks or many ` #` before a `\r`.
 */
function stripComment(text: string): string {
  let from = 0;
  const terminator = LINE_TERMINATORS;
  terminator.lastIndex = 0;
  for (let m = terminator.exec(text); m !== null; m = terminator.exec(text)) from = m.index + 1;
  for (let hash = text.indexOf('#', from); hash !== -1; hash = text.indexOf('#', hash + 1)) {
    if (hash === 0 || !/\s/.test(text[hash - 1] ?? '')) continue;
    let cut = hash - 1;
    while (cut > 0 && /\s/.test(text[cut - 1] ?? '')) cut--;
    return text.slice(0, cut);
  }
  return text;
}

/** Strips quotes, a trailing separator and (for unquoted values) a trailing comment. */
function cleanValue(raw: string, shell: boolean): string {
  let v = raw.trim();
  const q = v[0];
  if ((q === '"' || q === "'") && v.length > 1) {
    const end = v.indexOf(q, 1);
    return end === -1 ? v.slice(1) : v.slice(1, end);
  }
  v = stripComment(v).replace(/[,;]$/, '').trim();
  // `Password=x;Server=db` (a connection string): the value ends at the next parameter.
  if (/;\s*[A-Za-z][\w ]*=/.test(v)) v = v.slice(0, v.indexOf(';'));
  // `PASSWORD=secret command args` in a shell line: the value ends at the first blank.
  if (shell) v = v.split(/\s/)[0] ?? '';
  return v;
}

/** `name = value`, `name: value`, `export NAME=value`, `"name": "value"`, `--name=value`, `<name>value</name>`. */
const KV_LINE = /^[ \t]*(?:-[ \t]+)?(?:export[ \t]+|set[ \t]+)?["']?([A-Za-z_][A-Za-z0-9_.\-/]*)["']?([ \t]*[=:][ \t]*)(.*)$/;
const JSON_PAIR = /"([^"\\]{1,100})"\s*:\s*"((?:[^"\\]|\\.){1,500})"/g;
const FLAG = /(?:^|[\s"'[,])--?(?:D)?([A-Za-z][A-Za-z0-9_.-]*)=("[^"]*"|'[^']*'|[^\s"',\]]+)/g;
/** `--name value` in a command line written as one string: `redis-server --requirepass …`. */
const FLAG_SPACED = /(?:^|[\s"'[,])--([A-Za-z][A-Za-z0-9_.-]*)[ \t]+("[^"]*"|'[^']*'|[^\s"'-][^\s"']*)/g;
const XML = /<([A-Za-z][A-Za-z0-9_.:-]*)>([^<]{1,500})<\/\1>/g;
/** Shell assignments anywhere on a line: `... && MYSQL_PWD=secret mysql`. */
const SHELL_ASSIGN = /(?:^|[\s;&|(])([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|[^\s;&|"')]+)/g;
/** Parameters of connection strings and query strings: `;Password=...;`, `?password=...&`. */
const PARAM = /[;?&]([A-Za-z][A-Za-z0-9_.-]*)=([^;&\s"'#]+)/g;
/** Redis configuration (redis.conf): `requirepass <password>`, `masterauth <password>`. */
const REDIS_DIRECTIVE = /^[ \t]*(requirepass|masterauth)[ \t]+(.*)/i;
/** Redis' password options, which always take a value (`--requirepass <password>`). */
const REDIS_DIRECTIVE_NAME = /^(?:requirepass|masterauth)$/i;
/**
 * npm configuration (.npmrc): `//registry.npmjs.org/:_authToken=…`, `//host/:_password=<base64>`,
 * `//host/:_auth=<base64 of user:password>`. The run before the last `:` holds no `=`, so at most
 * one `:` of it is followed by a name and a `=`.
 */
const NPMRC = /^[ \t]*\/\/[^\s=]*:(_authToken|_auth|_password)[ \t]*=(.*)/;
/** A credential word somewhere in a line: only such lines are read for named values. */
const WORD = /pass|pw|secret|token|key|auth|cred/gi;

function decodeParam(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

interface NamedOptions {
  /** What the name announces, when the caller has decided it (`credentialKeyName`). */
  kind?: 'password' | 'secret';
  /**
   * Hold a password to the bar of a token (8+ characters mixing letters with digits or symbols):
   * for `--name value` in a text, where the word after a flag is as often a metavariable
   * (`--password PASS`) or prose as a value. Redis' `--requirepass` is always followed by its value.
   */
  strict?: boolean;
}

function addNamed(hits: Hits, name: string, value: string, line: number | undefined, options: NamedOptions = {}): void {
  const kind = options.kind ?? credentialName(name);
  if (kind === undefined) return;
  if (hits.has(value) || hits.hasNamed(name, line)) return;
  const where = { name, ...onLine(line) };
  if (/aws.?secret|secret.?access.?key/i.test(name) && awsSecretShape(value)) {
    hits.add('aws-secret-access-key', value, where);
    return;
  }
  if (!isLiteralCredential(kind, value) || (options.strict === true && !isLiteralCredential('secret', value))) return;
  // `PASSWORD=password`, `DB_PASSWORD: db-password`: the name repeated, a reference to a variable or key.
  if (words(value).join('') === words(name).join('')) return;
  // A URL with `user:password@` is judged by the URL scan, which reported its password or found it a template.
  if (value.includes('://') && urlUserinfo(value).next().done !== true) return;
  // `GPG_KEY=<40 hex digits>`: the fingerprint of a public key, which official images set to verify their downloads.
  if (kind === 'secret' && PGP_FINGERPRINT.test(value) && words(name).some((w) => w === 'gpg' || w === 'pgp')) return;
  hits.add(kind, value, where);
}

/** `{ line }`, or nothing for a one-line value. */
function onLine(line: number | undefined): { line?: number } {
  return line === undefined ? {} : { line };
}

/** A password that a file's format places (`.pgpass`, `.netrc`), when it is a literal. */
function addPassword(hits: Hits, value: string, line: number | undefined): void {
  if (isLiteralCredential('password', value)) hits.add('password', value, onLine(line));
}

/**
 * Names of PostgreSQL password files (`hostname:port:database:username:password` lines): `.pgpass`,
 * `app.pgpass`, a `pgpass` key mounted as one; read as such only when their lines have its fields.
 */
const PGPASS_FILE = /(?:^|[./])pgpass$/i;

/** The fields of a `.pgpass` line: split at `:`, with `\\:` and `\\\\` escaped. */
function pgpassFields(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i] ?? '';
    if (c === '\\' && i + 1 < line.length) field += line[++i] ?? '';
    else if (c === ':') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields;
}

/** The `hostname:port:database:username:password` lines of a text, with their 1-based numbers. */
function* pgpassLines(text: string): Generator<{ fields: string[]; number: number }> {
  let number = 0;
  for (const raw of text.split('\n')) {
    number++;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = pgpassFields(line);
    if (fields.length === 5) yield { fields, number };
  }
}

/** The passwords of a `.pgpass` file, each with its line when the text has several. */
function scanPgpass(text: string, hits: Hits, lines: boolean): void {
  for (const { fields, number } of pgpassLines(text)) addPassword(hits, fields[4] ?? '', lines ? number : undefined);
}

/** Names of `.netrc` files: `.netrc`, `netrc`, `_netrc` (Windows), `ci.netrc`. */
const NETRC_FILE = /(?:^|[./_])netrc$/i;

/**
 * `machine <host>` followed by a `login`, `password` or `account` token: a `.netrc` entry written
 * on one line, not prose that starts with the word.
 */
const NETRC_ENTRY = /^machine[ \t]+(\S+)[ \t]+(?:login|password|account)[ \t]/;
const NETRC_KEYWORDS: ReadonlySet<string> = new Set(['login', 'password', 'account']);

/**
 * The passwords of `.netrc` entries (netrc(5)): a file is a sequence of tokens, whatever its line
 * breaks, in which `machine <host>` or `default` opens an entry and `password` is followed by the
 * password; a `macdef` macro runs to the next empty line. `line` maps a 0-based line of the text
 * to what a hit carries.
 */
function scanNetrc(text: string, hits: Hits, line: (index: number) => number | undefined): void {
  let entry = false;
  let macro = false;
  let pending: string | undefined;
  text.split('\n').forEach((raw, index) => {
    const tokens = raw.trim().split(/\s+/).filter((t) => t !== '');
    if (macro) {
      macro = tokens.length > 0;
      return;
    }
    if (tokens[0]?.startsWith('#') === true) return;
    for (const token of tokens) {
      if (pending !== undefined) {
        if (pending === 'password' && entry) addPassword(hits, token, line(index));
        if (pending === 'machine') entry = true;
        pending = undefined;
      } else if (token === 'machine' || NETRC_KEYWORDS.has(token)) pending = token;
      else if (token === 'default') entry = true;
      else if (token === 'macdef') {
        // The macro's name ends the line; its body is the lines after it.
        macro = true;
        return;
      }
    }
  });
}

/** A one-line `.netrc` entry in any text: for a host (`api.example.io`, `localhost`) or with a login. */
function isNetrcEntry(head: string): boolean {
  const m = NETRC_ENTRY.exec(head);
  if (m === null) return false;
  const host = m[1] ?? '';
  return /[.:]/.test(host) || host === 'localhost' || /\slogin\s/.test(head);
}

/** An `.npmrc` line: a token, a password or a login in base64. */
function scanNpmrc(line: string, hits: Hits, number: number | undefined): void {
  const m = NPMRC.exec(line);
  if (m === null) return;
  const name = m[1] ?? '';
  const value = cleanValue(m[2] ?? '', false);
  if (name !== '_auth') addNamed(hits, name, value, number);
  else if (/^[A-Za-z0-9+/]+={0,2}$/.test(value)) addUserPass(hits, 'registry-auth', value, onLine(number));
}

/** What the name of a text says of its lines. */
interface TextContext {
  /**
   * A Redis configuration (`redis.conf`, any `*.conf`, a name with `redis`): a `requirepass` or
   * `masterauth` line is a directive whatever its value. In other texts it must hold a value
   * shaped like a token (8+ characters mixing letters with digits or symbols), for a README line
   * (`masterauth follows`) is not one.
   */
  redis: boolean;
}

const ANY_TEXT: TextContext = { redis: false };

/** Names of Redis configurations. */
const REDIS_CONF = /\.conf$|redis/i;

/** Named values on one line of configuration (YAML, properties, .env, INI, JSON, XML, shell, flags, redis.conf, .npmrc, .netrc). */
function scanLine(line: string, hits: Hits, number: number | undefined, context: TextContext): void {
  const head = line.trimStart();
  if (head.startsWith('//')) {
    if (line.includes(':_')) scanNpmrc(line, hits, number);
    return;
  }
  // Comment lines are documentation (`# password=...`); credentials recognised by format are
  // reported even there, by the format scan, but named values are not.
  if (head.startsWith('#') || head.startsWith(';') || head.startsWith('<!--')) return;
  // KV_LINE is anchored at both ends and no part of it matches a line terminator (`.` included),
  // so a line holding one (`\r`) cannot match; the regex would find that out in quadratic time.
  const kv = LINE_TERMINATOR.test(line) ? null : KV_LINE.exec(line);
  if (kv !== null) {
    const name = kv[1] ?? '';
    const rest = kv[3] ?? '';
    // YAML block scalars, nested mappings and anchors carry no literal on this line.
    const literal = !(rest === '' || /^[|>][-+0-9]*\s*$/.test(rest) || rest.startsWith('&') || rest.startsWith('*'));
    if (literal && NAME_HINT.test(name)) {
      const sep = kv[2] ?? '';
      addNamed(hits, name, cleanValue(rest, sep.trim() === '=' && !sep.includes(' ')), number);
    }
  } else if (head.startsWith('machine') && isNetrcEntry(head)) {
    scanNetrc(head, hits, () => number);
  } else {
    const redis = REDIS_DIRECTIVE.exec(head);
    // One value and nothing after it: a sentence that starts with the word is not a directive.
    const rest = redis?.[2]?.trim() ?? '';
    if (redis !== null && (rest.startsWith('"') || rest.startsWith("'") || !/\s/.test(rest))) {
      addNamed(hits, redis[1] ?? '', cleanValue(rest, true), number, { strict: !context.redis });
    }
  }
  if (line.includes('"')) {
    for (const m of line.matchAll(JSON_PAIR)) {
      const name = m[1] ?? '';
      if (NAME_HINT.test(name)) addNamed(hits, name, (m[2] ?? '').replace(/\\(.)/g, '$1'), number);
    }
  }
  if (line.includes('--')) {
    for (const m of line.matchAll(FLAG_SPACED)) {
      const name = m[1] ?? '';
      if (NAME_HINT.test(name)) addNamed(hits, name, cleanValue(m[2] ?? '', false), number, { strict: !REDIS_DIRECTIVE_NAME.test(name) });
    }
  }
  if (!line.includes('=')) {
    if (line.includes('</')) for (const m of line.matchAll(XML)) if (NAME_HINT.test(m[1] ?? '')) addNamed(hits, m[1] ?? '', (m[2] ?? '').trim(), number);
    return;
  }
  if (line.includes('-')) {
    for (const m of line.matchAll(FLAG)) if (NAME_HINT.test(m[1] ?? '')) addNamed(hits, m[1] ?? '', cleanValue(m[2] ?? '', false), number);
  }
  for (const m of line.matchAll(SHELL_ASSIGN)) if (NAME_HINT.test(m[1] ?? '')) addNamed(hits, m[1] ?? '', cleanValue(m[2] ?? '', false), number);
  if (/[;?&]/.test(line)) {
    for (const m of line.matchAll(PARAM)) if (NAME_HINT.test(m[1] ?? '')) addNamed(hits, m[1] ?? '', decodeParam(m[2] ?? ''), number);
  }
  if (line.includes('</')) for (const m of line.matchAll(XML)) if (NAME_HINT.test(m[1] ?? '')) addNamed(hits, m[1] ?? '', (m[2] ?? '').trim(), number);
}

/**
 * Named values inside a configuration text. Only the lines that hold a credential word are read,
 * so a large file without one (a Grafana dashboard, an nginx configuration) costs one regex scan.
 */
function scanAssignments(text: string, hits: Hits, lines: boolean, context: TextContext = ANY_TEXT): void {
  const word = WORD;
  word.lastIndex = 0;
  let lineNumber = 1;
  let counted = 0;
  for (let m = word.exec(text); m !== null; m = word.exec(text)) {
    const start = text.lastIndexOf('\n', m.index) + 1;
    let end = text.indexOf('\n', m.index);
    if (end === -1) end = text.length;
    if (lines) {
      for (let i = text.indexOf('\n', counted); i !== -1 && i < start; i = text.indexOf('\n', i + 1)) lineNumber++;
      counted = start;
    }
    // A CRLF text's line ends before its `\r`.
    const lineEnd = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    scanLine(text.slice(start, lineEnd), hits, lines ? lineNumber : undefined, context);
    word.lastIndex = end + 1;
  }
}

/**
 * Credentials in a whole text: a file held in a ConfigMap (application.properties, .env, JSON,
 * YAML, XML), a script in a container's args, an annotation. Hits carry their line.
 */
export function scanText(text: string): readonly Credential[] {
  if (!HINT.test(text)) return NONE;
  const hits = new Hits();
  const lines = lineIndex(text);
  scanFormats(text, hits, lines);
  scanUrlsAndHeaders(text, hits, lines);
  scanAssignments(text, hits, lines !== undefined);
  return hits.list;
}

/**
 * A value that is itself an assignment (`password_file=/run/secrets/db`, `algorithm: RS256`): a
 * name of letters (no digits, so not a password such as `Pa55=word`) and a value after it (not
 * the padding of base64, `YWJjZA==`). The classes of each part are disjoint, so it is linear.
 */
const ASSIGNMENT_VALUE = /^[A-Za-z][A-Za-z_.-]*[ \t]*(?:=[ \t]*[^=\s]|:[ \t]+\S)/;

/**
 * Credentials in a value stored under a name: an env var, a ConfigMap key (which may be the name
 * of the file it is mounted as: `password.txt`, `.pgpass`, `.netrc`), an annotation. The value's
 * format counts; a one-line value (a final line break aside) under a credential name is that
 * credential, unless its format said what it is or it is itself an assignment; and the value is
 * scanned as a file, every line of it.
 */
export function scanNamedValue(name: string, value: string): readonly Credential[] {
  const trimmed = value.trim();
  const oneLine = !trimmed.includes('\n');
  // A password file only when its lines have the fields of one: `PGPASS=<password>` is a password.
  const pgpass = PGPASS_FILE.test(name) && !pgpassLines(value).next().done;
  const netrc = NETRC_FILE.test(name);
  const named = !oneLine || pgpass || netrc ? undefined : (credentialName(name) ?? (/\s/.test(trimmed) ? undefined : credentialKeyName(name)));
  const kind = named !== undefined && ASSIGNMENT_VALUE.test(trimmed) ? undefined : named;
  if (!HINT.test(value) && kind === undefined && !pgpass) return NONE;
  const hits = new Hits();
  const lines = lineIndex(value);
  scanFormats(value, hits, lines);
  scanUrlsAndHeaders(value, hits, lines);
  if (pgpass) scanPgpass(value, hits, lines !== undefined);
  if (netrc) scanNetrc(value, hits, (index) => (lines === undefined ? undefined : index + 1));
  if (kind !== undefined && hits.list.length === 0) {
    addNamed(hits, name, trimmed, undefined, { kind });
    if (hits.list.length > 0) return hits.list;
  }
  scanAssignments(value, hits, lines !== undefined, REDIS_CONF.test(name) ? { redis: true } : ANY_TEXT);
  return hits.list;
}

/** Names of files that hold binary keystores (private keys under a password). */
const KEYSTORE_FILE = /\.(?:p12|pfx|jks|jceks|keystore|bcfks)$/i;

/**
 * Credentials in a `binaryData` entry (base64): keystores by file name, and the decoded bytes
 * scanned as text when they are text.
 */
export function scanBinaryValue(name: string, base64: string): readonly Credential[] {
  if (KEYSTORE_FILE.test(name)) {
    const hits = new Hits();
    hits.add('keystore', base64.replace(/\s/g, ''));
    return hits.list;
  }
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.includes(0)) return NONE;
  const text = bytes.toString('utf8');
  if (text.includes('\ufffd')) return NONE;
  return scanNamedValue(name, text);
}

/** A command line split into arguments: `--password`, `hunter2` pairs and `--password=hunter2`. */
export function scanArgs(args: readonly string[]): { index: number; credential: Credential }[] {
  const out: { index: number; credential: Credential }[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const next = args[i + 1];
    const flag = /^--?([A-Za-z][A-Za-z0-9_.-]*)$/.exec(arg);
    if (flag !== null && next !== undefined && !next.startsWith('-') && credentialName(flag[1] ?? '') !== undefined) {
      for (const credential of scanNamedValue(flag[1] ?? '', next)) out.push({ index: i + 1, credential });
      i++;
      continue;
    }
    for (const credential of scanText(arg)) out.push({ index: i, credential });
  }
  return out;
}

/**
 * A short description of a credential for a message: `an AWS access key id (AKIA… sha256:1a2b3c4d… (20 chars))`,
 * `a password (value withheld)`.
 */
export function describeCredential(c: Credential): string {
  return `${c.label} (${c.fingerprint ?? VALUE_WITHHELD})`;
}

/** Well-known default and placeholder passwords, compared case-insensitively. */
const WEAK: ReadonlySet<string> = new Set([
  'changeme', 'change-me', 'change_me', 'changeit', 'password', 'password1', 'password123', 'passw0rd', 'p@ssw0rd',
  'p@ssword', 'pass', 'pass123', 'admin', 'admin123', 'admin1234', 'administrator', 'root', 'toor', 'secret',
  'secret123', 'letmein', 'welcome', 'welcome1', 'qwerty', 'default', 'test', 'test123', 'guest', 'user', 'demo',
  'example', 'dummy', 'placeholder', 'replaceme', 'replace-me', 'todo', 'abc123', 'foobar', 'postgres', 'mysql',
  'redis', 'rabbitmq', 'elastic', 'minio123', 'minioadmin', 'none', 'null', '1234', '12345', '123456', '1234567',
  '12345678', '123456789', '1234567890', '0000', '000000', '111111',
]);

/** True for a well-known default or placeholder password (`changeme`, `admin`, `123456`, `xxxx`, `<password>`). */
export function isWeakValue(value: string): boolean {
  const v = value.trim();
  if (v === '') return false;
  if (WEAK.has(v.toLowerCase())) return true;
  if (/^(.)\1+$/.test(v) || /^[xX*]{3,}$/.test(v)) return true;
  return /^<[^>]+>$|change[-_ ]?me|replace[-_ ]?me|your[-_ ]?(?:pass|secret|token|key)/i.test(v);
}
