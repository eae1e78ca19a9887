/**
 * `mamori admission serve`: the admission webhook over HTTPS (src/admission/server.ts). Loads the
 * configuration and the rule catalog, starts the namespace label source (a watch in a cluster, a
 * file of Namespace objects, or none: every namespace gets the defaults), serves until SIGTERM or
 * SIGINT, then shuts down gracefully and resolves with the exit code.
 */
import { readFileSync } from 'node:fs';
import { checkPolicyNames, knownRules, loadConfig } from '../engine/config.js';
import { isSeverity } from '../engine/controls.js';
import { MamoriError } from '../errors.js';
import { loadText } from '../load/load.js';
import { RULES } from '../rules/index.js';
import { parsePssPolicy } from '../rules/pss/psa.js';
import type { KubeConfig } from '@kubernetes/client-node';
import type { NamespaceCacheLog } from '../admission/namespaces.js';
import { policiesUseAuthorizer, SubjectAccessReviewAuthorizer } from '../admission/authz.js';
import { Logger } from '../admission/log.js';
import { readPolicies } from '../policy/rules.js';
import { policyRuleId } from '../policy/vap-findings.js';
import type { LoadResult } from '../policy/vap.js';
import { DEFAULT_MODES, formatModePolicy, isFailurePolicy, MAX_IN_FLIGHT_BYTES_RANGE, parseByteSize, parseList, parseModePolicy, type AdmissionSection } from '../admission/modes.js';
import { Evaluator, type EvaluatorOptions } from '../admission/review.js';
import { AdmissionServer, DEFAULT_MAX_IN_FLIGHT_BYTES, DEFAULT_PORT, DEFAULT_TIMEOUT_MS } from '../admission/server.js';
import type { AdmissionSettings, NamespaceLabels, PolicyAuthorizer } from '../admission/types.js';
import { parseKubeMinor } from './scan.js';

/** Flags of `mamori admission serve`, as commander gives them. */
export interface AdmissionServeFlags {
  /** ValidatingAdmissionPolicy files or directories (repeatable). */
  policy?: string[];
  port?: string;
  host?: string;
  tlsCert?: string;
  tlsKey?: string;
  config?: string;
  pss?: string;
  failOn?: string;
  kubeVersion?: string;
  failurePolicy?: string;
  timeout?: string;
  /** Most bytes of request bodies held at once: bytes, or with a suffix Ki, Mi or Gi. */
  maxInFlightBytes?: string;
  exemptUsernames?: string;
  exemptNamespaces?: string;
  exemptRuntimeClasses?: string;
  defaultEnforce?: string;
  defaultWarn?: string;
  defaultAudit?: string;
  kubeconfig?: string;
  inCluster?: boolean;
  namespaceLabels?: string;
  /** How often the certificate files are checked, in milliseconds (tests shorten it). */
  certReloadInterval?: string;
  /** Who answers the policies' `authorizer` checks: `api` (SubjectAccessReviews) or `none`. */
  authorizer?: string;
}

/** Who answers the `authorizer` checks of ValidatingAdmissionPolicies in the webhook. */
export type AuthorizerSource = 'api' | 'none';

/**
 * The source of `authorizer` answers: the flag, else the configuration's value, else `api` when
 * the server has a cluster connection (a kubeconfig, or in-cluster, as the namespace watch) and
 * `none` without one.
 */
export function authorizerSource(flag: string | undefined, configured: string | undefined, connected: boolean): AuthorizerSource {
  const value = flag ?? configured;
  if (value === undefined) return connected ? 'api' : 'none';
  if (value !== 'api' && value !== 'none') throw new MamoriError('usage', `--authorizer must be api or none (got ${JSON.stringify(value)})`);
  return value;
}

/** How long shutdown waits for the namespace watch to stop. */
const NAMESPACE_STOP_MS = 5000;

/** Where the certificate and key are mounted in the generated Deployment. */
export const DEFAULT_TLS_CERT = '/etc/mamori/tls/tls.crt';
export const DEFAULT_TLS_KEY = '/etc/mamori/tls/tls.key';

function wholeNumber(text: string, flag: string, min: number, max: number): number {
  const value = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(value) || value < min || value > max) throw new MamoriError('usage', `${flag} must be a whole number from ${min} to ${max} (got ${JSON.stringify(text)})`);
  return value;
}

function byteSize(text: string, flag: string): number {
  const bytes = parseByteSize(text);
  if (bytes === undefined) throw new MamoriError('usage', `${flag} ${MAX_IN_FLIGHT_BYTES_RANGE} (got ${JSON.stringify(text)})`);
  return bytes;
}

/** Namespace labels from a YAML file of Namespace objects (to run outside a cluster). */
async function labelsFromFile(file: string): Promise<NamespaceLabels> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new MamoriError('io', `cannot read --namespace-labels: ${(cause as Error).message}`, { file, cause });
  }
  const loaded = loadText(file, text);
  const first = loaded.errors[0];
  if (first !== undefined) throw new MamoriError('parse', `--namespace-labels: ${first.message}`, first.line === undefined ? { file } : { file, line: first.line });
  const { StaticNamespaceLabels } = await import('../admission/namespaces.js');
  return StaticNamespaceLabels.fromNamespaces(loaded.objects.map((o) => o.object));
}

/** The server's settings from the flags and the configuration. */
export function admissionSettings(flags: AdmissionServeFlags, configFailOn: string | undefined, section: AdmissionSection = {}): AdmissionSettings & { timeoutMs: number; maxInFlightBytes: number } {
  const failurePolicy = flags.failurePolicy ?? section.failurePolicy ?? 'Fail';
  if (!isFailurePolicy(failurePolicy)) throw new MamoriError('usage', `--failure-policy must be Fail or Ignore (got ${JSON.stringify(failurePolicy)})`);
  const failOn = flags.failOn ?? (configFailOn === 'none' ? undefined : configFailOn) ?? 'low';
  if (!isSeverity(failOn)) throw new MamoriError('usage', `--fail-on must be one of critical, high, medium, low, info (got ${JSON.stringify(failOn)})`);
  return {
    // Flags first, then the configuration's `admission:` section, then the built-in defaults.
    defaults: {
      enforce: flags.defaultEnforce === undefined ? (section.defaults?.enforce ?? DEFAULT_MODES.enforce) : parseModePolicy(flags.defaultEnforce, '--default-enforce'),
      warn: flags.defaultWarn === undefined ? (section.defaults?.warn ?? DEFAULT_MODES.warn) : parseModePolicy(flags.defaultWarn, '--default-warn'),
      audit: flags.defaultAudit === undefined ? (section.defaults?.audit ?? DEFAULT_MODES.audit) : parseModePolicy(flags.defaultAudit, '--default-audit'),
    },
    // Exemptions add up: those of the flags and those of the configuration.
    exemptions: {
      usernames: [...parseList(flags.exemptUsernames), ...(section.exemptions?.usernames ?? [])],
      namespaces: [...parseList(flags.exemptNamespaces), ...(section.exemptions?.namespaces ?? [])],
      runtimeClasses: [...parseList(flags.exemptRuntimeClasses), ...(section.exemptions?.runtimeClasses ?? [])],
    },
    failOn,
    failurePolicy,
    timeoutMs: flags.timeout === undefined ? (section.timeoutMs ?? DEFAULT_TIMEOUT_MS) : wholeNumber(flags.timeout, '--timeout', 1, 30_000),
    maxInFlightBytes: flags.maxInFlightBytes === undefined ? (section.maxInFlightBytes ?? DEFAULT_MAX_IN_FLIGHT_BYTES) : byteSize(flags.maxInFlightBytes, '--max-in-flight-bytes'),
  };
}

/** `mamori admission serve`: serves until SIGTERM or SIGINT; resolves with the exit code. */
export async function runAdmissionServe(flags: AdmissionServeFlags): Promise<number> {
  const logger = new Logger();
  const port = flags.port === undefined ? DEFAULT_PORT : wholeNumber(flags.port, '--port', 0, 65_535);
  const certPollMs = flags.certReloadInterval === undefined ? 2000 : wholeNumber(flags.certReloadInterval, '--cert-reload-interval', 10, 600_000);
  if (flags.namespaceLabels !== undefined && (flags.kubeconfig !== undefined || flags.inCluster === true)) {
    throw new MamoriError('usage', '--namespace-labels reads labels from a file; it cannot be combined with --kubeconfig or --in-cluster');
  }
  if (flags.kubeconfig !== undefined && flags.inCluster === true) throw new MamoriError('usage', '--kubeconfig and --in-cluster cannot be combined');
  const config = loadConfig(flags.config, knownRules(RULES));
  const settings = admissionSettings(flags, config.failOn, config.admission);
  const evaluatorOptions: EvaluatorOptions = { rules: RULES, config };
  if (flags.pss !== undefined) evaluatorOptions.pss = parsePssPolicy(flags.pss);
  else if (config.pss !== undefined) evaluatorOptions.pss = parsePssPolicy(config.pss);
  if (flags.kubeVersion !== undefined) evaluatorOptions.maxPssMinor = parseKubeMinor(flags.kubeVersion);
  const evaluator = new Evaluator(evaluatorOptions);
  // ValidatingAdmissionPolicies of the configuration and of --policy; the server does not start with an invalid one.
  const policyPaths = [...config.policies, ...(flags.policy ?? [])];
  let policies: LoadResult | undefined;
  if (policyPaths.length > 0) {
    const read = readPolicies(policyPaths, evaluatorOptions.maxPssMinor);
    const first = read.errors[0];
    if (first !== undefined) {
      throw new MamoriError('config', `${read.errors.length} problem(s) with the policies, first: ${first.message}`, first.line === undefined ? { file: first.file } : { file: first.file, line: first.line });
    }
    policies = read.loaded;
    checkPolicyNames(config, policies.policies.map((p) => policyRuleId(p.name)));
  }

  // The cluster connection (--kubeconfig, --in-cluster, or by default inside a pod), loaded once if needed.
  const inPod = (process.env['KUBERNETES_SERVICE_HOST'] ?? '') !== '';
  if (flags.inCluster === true && !inPod) throw new MamoriError('usage', '--in-cluster: not running in a pod (KUBERNETES_SERVICE_HOST is not set)');
  const connected = flags.namespaceLabels === undefined && (flags.kubeconfig !== undefined || flags.inCluster === true || inPod);
  let kubeConfig: KubeConfig | undefined;
  const connection = async (): Promise<KubeConfig> => {
    if (kubeConfig === undefined) {
      const { loadKubeConfig } = await import('../admission/namespaces.js');
      kubeConfig = await loadKubeConfig(flags.kubeconfig === undefined ? {} : { kubeconfig: flags.kubeconfig });
    }
    return kubeConfig;
  };
  // The policies' `authorizer` checks: SubjectAccessReviews of the API server, only when a policy uses them.
  const authorizer = authorizerSource(flags.authorizer, config.admission?.authorizer, connected);
  let policyAuthorizer: PolicyAuthorizer | undefined;
  if (authorizer === 'api' && policies !== undefined && policiesUseAuthorizer(policies)) {
    let kc: KubeConfig;
    try {
      kc = await connection();
    } catch (error) {
      if (error instanceof MamoriError && error.code === 'usage') throw new MamoriError('usage', `--authorizer api: no cluster to send SubjectAccessReviews to (${error.message}); use --authorizer none to answer authorizer checks offline`);
      throw error;
    }
    policyAuthorizer = new SubjectAccessReviewAuthorizer({
      kubeConfig: kc,
      log: (level, message, fields) => logger[level](message, { component: 'authorizer', ...fields }),
    });
  }

  // Namespace labels: a file; a watch over the connection; else none.
  let namespaces: NamespaceLabels;
  let stopNamespaces: (() => Promise<void>) | undefined;
  if (flags.namespaceLabels !== undefined) {
    namespaces = await labelsFromFile(flags.namespaceLabels);
  } else if (connected) {
    const { NamespaceLabelCache } = await import('../admission/namespaces.js');
    const kc = await connection();
    const log: NamespaceCacheLog = (level, message, fields = {}) => {
      const entries: Record<string, string | number | boolean | null> = { component: 'namespace-cache' };
      for (const [k, v] of Object.entries(fields)) entries[k] = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null ? v : JSON.stringify(v);
      logger[level](message, entries);
    };
    const cache = new NamespaceLabelCache({ kubeConfig: kc, log });
    void cache.start();
    namespaces = cache;
    stopNamespaces = () => cache.stop();
  } else {
    const { StaticNamespaceLabels } = await import('../admission/namespaces.js');
    namespaces = new StaticNamespaceLabels();
    logger.warn('no namespace labels: every namespace gets the defaults (use --kubeconfig, --in-cluster or --namespace-labels)');
  }

  if (typeof process.getuid === 'function' && process.getuid() === 0) logger.warn('running as root: the webhook needs no privileges; run it as a non-root user');

  const server = new AdmissionServer({
    certFile: flags.tlsCert ?? DEFAULT_TLS_CERT,
    keyFile: flags.tlsKey ?? DEFAULT_TLS_KEY,
    port,
    ...(flags.host === undefined ? {} : { host: flags.host }),
    context: { namespaces, settings, evaluator, requireReview: true, ...(policies === undefined ? {} : { policies }), ...(policyAuthorizer === undefined ? {} : { authorizer: policyAuthorizer }) },
    failurePolicy: settings.failurePolicy,
    timeoutMs: settings.timeoutMs,
    maxInFlightBytes: settings.maxInFlightBytes,
    logger,
    certPollMs,
  });
  try {
    await server.start();
  } catch (error) {
    await stopNamespaces?.();
    throw error;
  }
  logger.info('ready', {
    rules: evaluator.catalogRules.length,
    // What the server applies: the flags, else the configuration, else the built-in defaults.
    default_enforce: formatModePolicy(settings.defaults.enforce),
    default_warn: formatModePolicy(settings.defaults.warn),
    default_audit: formatModePolicy(settings.defaults.audit),
    namespace_labels: flags.namespaceLabels !== undefined ? 'file' : stopNamespaces !== undefined ? 'watch' : 'none',
    authorizer: policyAuthorizer !== undefined ? 'api' : policies !== undefined && policiesUseAuthorizer(policies) ? 'none' : 'unused',
  });
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const on = (sig: NodeJS.Signals): void => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(sig);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
  logger.info('signal received', { signal });
  await server.shutdown();
  if (stopNamespaces !== undefined) {
    // The watch must not hold the exit for long: the requests are answered already.
    let timer: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      stopNamespaces().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), NAMESPACE_STOP_MS);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    if (!stopped) logger.warn('the namespace watch did not stop in time', { waited_ms: NAMESPACE_STOP_MS });
  }
  return 0;
}
