/**
 * The `authorizer` of ValidatingAdmissionPolicies in the webhook, answered by the API server with
 * SubjectAccessReviews (`POST /apis/authorization.k8s.io/v1/subjectaccessreviews`), so that a
 * check gets the answer of the cluster's whole authorizer chain (RBAC, Node, webhook authorizers)
 * as it would inside the API server. See docs/admission.md ("Authorization checks").
 *
 * The CEL library's `Authorize` is synchronous and a SubjectAccessReview is not, so the policies
 * are evaluated in rounds (`SubjectAccessReviewAuthorizer.resolve`): each evaluation answers the
 * checks it can from what is known (the request's answers, then a short-lived cache) and records
 * the others, which get a pending decision (errored, never used for the final answer); the
 * recorded checks are then asked concurrently (a bounded number at a time, identical ones once),
 * and the policies evaluated again, until an evaluation needs nothing new. A check still unknown
 * after MAX_ROUNDS rounds of reviews, or whose review failed (403, 429, 5xx, no answer in time),
 * raises an error in its expression, so the policy's failurePolicy decides, as for any CEL error.
 *
 * `@kubernetes/client-node` takes about half a second to import: it is loaded by the first review.
 */
import { STATUS_CODES } from 'node:http';
import type { KubeConfig, Observable, RequestContext, ResponseContext, V1SubjectAccessReview } from '@kubernetes/client-node';
import { policyUsesAuthorizer, type AuthorizationDecision, type Authorize, type AuthzUser, type PathRequest, type ResourceRequest } from '../policy/cel-authz.js';
import type { LoadResult } from '../policy/vap.js';
import type { AdmissionUserInfo, PolicyAuthorizer } from './types.js';
import { statusMessage } from './namespaces.js';

/** Where SubjectAccessReviews are created. */
export const SUBJECT_ACCESS_REVIEW_PATH = '/apis/authorization.k8s.io/v1/subjectaccessreviews';
/** How long an answer is reused (allowed, denied or no opinion alike). */
export const DEFAULT_CACHE_TTL_MS = 10_000;
/** Most answers kept; past it the oldest is dropped. */
export const DEFAULT_CACHE_ENTRIES = 10_000;
/** Most reviews in flight at once, over all admission requests. */
export const DEFAULT_CONCURRENCY = 8;
/** Time budget of one review (the server's per-request budget, usually shorter, bounds it too). */
export const DEFAULT_REVIEW_TIMEOUT_MS = 5_000;
/** Most rounds of reviews per admission request. */
export const MAX_ROUNDS = 3;

// ---------------------------------------------------------------------------------------------
// Which policies use the authorizer

const usage = new WeakMap<object, boolean>();

/** True when a loaded policy's matchConditions, variables or validations use `authorizer` (computed once per load). */
export function policiesUseAuthorizer(loaded: Pick<LoadResult, 'policies'>): boolean {
  const known = usage.get(loaded);
  if (known !== undefined) return known;
  const uses = loaded.policies.some(policyUsesAuthorizer);
  usage.set(loaded, uses);
  return uses;
}

// ---------------------------------------------------------------------------------------------
// The review

/** `spec.resourceAttributes` of a SubjectAccessReview. */
export interface ResourceAttributes {
  namespace: string;
  verb: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  name: string;
}

/** `spec` of a SubjectAccessReview (authorization.k8s.io/v1). */
export interface SubjectAccessReviewSpec {
  user: string;
  groups: string[];
  uid?: string;
  extra?: Record<string, string[]>;
  resourceAttributes?: ResourceAttributes;
  nonResourceAttributes?: { path: string; verb: string };
}

/** `status` of a SubjectAccessReview. */
export interface SubjectAccessReviewStatus {
  allowed: boolean;
  denied?: boolean;
  reason?: string;
  evaluationError?: string;
}

/** The user a check is made for, in full: the request's user with its uid and extra, or a service account of `authorizer.serviceAccount` (none). */
export function reviewUser(user: AuthzUser): AdmissionUserInfo {
  const extra: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(user.extra ?? {})) extra[k] = [...v];
  return { username: user.name, uid: user.uid ?? '', groups: [...user.groups], extra };
}

/**
 * The spec of the review that asks `check` for `user`, with the attributes the CEL library gives
 * the API server's authorizer (apiserver `resourceCheckVal.Authorize`: version `*`). Extra keys
 * are sorted, so equal checks have equal specs.
 */
export function subjectAccessReviewSpec(user: AdmissionUserInfo, check: ResourceRequest | PathRequest): SubjectAccessReviewSpec {
  const spec: SubjectAccessReviewSpec = { user: user.username, groups: [...user.groups] };
  if (user.uid !== '') spec.uid = user.uid;
  const extraKeys = Object.keys(user.extra).sort();
  if (extraKeys.length > 0) spec.extra = Object.fromEntries(extraKeys.map((k) => [k, [...(user.extra[k] ?? [])]]));
  if (check.kind === 'path') {
    spec.nonResourceAttributes = { path: check.path, verb: check.verb };
  } else {
    spec.resourceAttributes = {
      namespace: check.namespace, verb: check.verb, group: check.apiGroup, version: '*', resource: check.resource, subresource: check.subresource, name: check.name,
    };
  }
  return spec;
}

/**
 * The decision of a review's status, as the API server's authorizer returned it: allowed → Allow,
 * denied → Deny, otherwise no opinion; an evaluationError makes the decision errored
 * (`Decision.errored()`), whatever it is.
 */
export function decisionOfStatus(status: SubjectAccessReviewStatus): AuthorizationDecision {
  const decision = status.allowed === true ? 'Allow' : status.denied === true ? 'Deny' : 'NoOpinion';
  const reason = status.reason ?? '';
  return status.evaluationError !== undefined && status.evaluationError !== '' ? { decision, reason, error: status.evaluationError } : { decision, reason };
}

/** What a review gave: the decision, or why there is none. */
type Answer = { decision: AuthorizationDecision } | { failure: string };

/** The decision of a check not asked yet: errored, never used for the final answer. */
const PENDING: AuthorizationDecision = { decision: 'NoOpinion', reason: '', error: 'the SubjectAccessReview of this check is pending' };

/** The error a check raises when it has no answer, so its expression fails and failurePolicy applies. */
export function unansweredMessage(why: string): string {
  return `authorization check could not be answered: ${why}`;
}

// ---------------------------------------------------------------------------------------------
// Cache and limits

/** Answers by review spec, each for `ttlMs`; at most `maxEntries`, the oldest dropped first. */
class AnswerCache {
  readonly #entries = new Map<string, { decision: AuthorizationDecision; expires: number }>();
  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number,
  ) {}

  get(key: string): AuthorizationDecision | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expires <= this.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.decision;
  }

  set(key: string, decision: AuthorizationDecision): void {
    if (this.ttlMs <= 0 || this.maxEntries <= 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, { decision, expires: this.now() + this.ttlMs });
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
  }
}

/** At most `limit` holders at once; the others wait in order. */
class Limiter {
  #active = 0;
  readonly #waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  /** Resolves true once held; false if `signal` aborted first (nothing is then held). */
  acquire(signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    if (this.#active < this.limit) {
      this.#active++;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      const grant = (): void => {
        signal.removeEventListener('abort', onAbort);
        this.#active++;
        resolve(true);
      };
      const onAbort = (): void => {
        const i = this.#waiting.indexOf(grant);
        if (i >= 0) this.#waiting.splice(i, 1);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(grant);
    });
  }

  release(): void {
    this.#active--;
    this.#waiting.shift()?.();
  }
}

/** One review in flight, shared by every request waiting for the same check. */
interface Flight {
  promise: Promise<Answer>;
  controller: AbortController;
  waiters: number;
}

/** Resolves when `signal` aborts; `cancel` removes the listener. */
function whenAborted(signal: AbortSignal): { promise: Promise<never>; cancel: () => void } {
  let cancel = (): void => undefined;
  const promise = new Promise<never>((_, reject) => {
    const onAbort = (): void => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    cancel = () => signal.removeEventListener('abort', onAbort);
  });
  // A rejection nobody awaits (the answer came first) must not surface as unhandled.
  promise.catch(() => undefined);
  return { promise, cancel };
}


// ---------------------------------------------------------------------------------------------
// The authorizer

/** One log entry of the authorizer; `fields` never hold credentials. */
export type AuthorizerLog = (level: 'warn' | 'error', message: string, fields: Readonly<Record<string, string | number>>) => void;

/** Options of `SubjectAccessReviewAuthorizer`. */
export interface SubjectAccessReviewAuthorizerOptions {
  /** The connection (see `loadKubeConfig` of namespaces.ts). */
  kubeConfig: KubeConfig;
  /** How long an answer is reused (default DEFAULT_CACHE_TTL_MS; 0 disables the cache). */
  cacheTtlMs?: number | undefined;
  /** Most answers kept (default DEFAULT_CACHE_ENTRIES). */
  cacheEntries?: number | undefined;
  /** Most reviews in flight at once (default DEFAULT_CONCURRENCY). */
  concurrency?: number | undefined;
  /** Time budget of one review (default DEFAULT_REVIEW_TIMEOUT_MS). */
  reviewTimeoutMs?: number | undefined;
  /** Rounds of reviews per request (default MAX_ROUNDS). */
  maxRounds?: number | undefined;
  /** Where failures are logged (default: nowhere). */
  log?: AuthorizerLog | undefined;
  /** The clock of the cache, in milliseconds (default Date.now). */
  now?: (() => number) | undefined;
}

/** Counters of the authorizer since it started. */
export interface AuthorizerStats {
  /** Reviews sent to the API server. */
  sent: number;
  /** Reviews without an answer (an HTTP error, a network error, no answer in time). */
  failed: number;
  /** Checks answered from the cache. */
  cacheHits: number;
  /** Answers in the cache now (expired ones included until read). */
  cached: number;
}

/** Answers `authorizer` checks with SubjectAccessReviews of the API server (see the file comment). */
export class SubjectAccessReviewAuthorizer implements PolicyAuthorizer {
  readonly #kc: KubeConfig;
  readonly #cache: AnswerCache;
  readonly #limiter: Limiter;
  readonly #reviewTimeoutMs: number;
  readonly #maxRounds: number;
  readonly #log: AuthorizerLog | undefined;
  readonly #flights = new Map<string, Flight>();
  #api: Promise<(body: V1SubjectAccessReview, signal: AbortSignal) => Promise<V1SubjectAccessReview>> | undefined;
  #sent = 0;
  #failed = 0;
  #hits = 0;
  #lastFailure = '';
  #repeats = 0;

  constructor(options: SubjectAccessReviewAuthorizerOptions) {
    this.#kc = options.kubeConfig;
    const positive = (value: number | undefined, fallback: number, what: string, min = 1): number => {
      const v = value ?? fallback;
      if (!Number.isInteger(v) || v < min) throw new RangeError(`${what} must be a whole number of at least ${min} (got ${v})`);
      return v;
    };
    this.#cache = new AnswerCache(positive(options.cacheTtlMs, DEFAULT_CACHE_TTL_MS, 'cacheTtlMs', 0), positive(options.cacheEntries, DEFAULT_CACHE_ENTRIES, 'cacheEntries', 0), options.now ?? Date.now);
    this.#limiter = new Limiter(positive(options.concurrency, DEFAULT_CONCURRENCY, 'concurrency'));
    this.#reviewTimeoutMs = positive(options.reviewTimeoutMs, DEFAULT_REVIEW_TIMEOUT_MS, 'reviewTimeoutMs');
    this.#maxRounds = positive(options.maxRounds, MAX_ROUNDS, 'maxRounds');
    this.#log = options.log;
  }

  get stats(): AuthorizerStats {
    return { sent: this.#sent, failed: this.#failed, cacheHits: this.#hits, cached: this.#cache.size };
  }

  /** Forgets every cached answer. */
  clearCache(): void {
    this.#cache.clear();
  }

  /**
   * Runs `evaluate` with an authorizer until it asks nothing new (see the file
   * comment) and resolves with its last result. Rejects with the abort reason when `signal`
   * aborts first; reviews nobody waits for any more are then cancelled.
   */
  async resolve<T>(evaluate: (authorize: Authorize) => T, signal?: AbortSignal): Promise<T> {
    const answers = new Map<string, Answer>();
    for (let round = 0; ; round++) {
      const final = round >= this.#maxRounds;
      const misses = new Map<string, SubjectAccessReviewSpec>();
      const result = evaluate(this.#authorizer(answers, misses, final));
      if (misses.size === 0 || final) return result;
      signal?.throwIfAborted();
      await Promise.all([...misses].map(async ([key, spec]) => {
        answers.set(key, await this.#answer(key, spec, signal));
      }));
    }
  }

  /** The `Authorize` of one evaluation: known answers, then the cache; the rest recorded as misses. */
  #authorizer(answers: Map<string, Answer>, misses: Map<string, SubjectAccessReviewSpec>, final: boolean): Authorize {
    return (user, check) => {
      const spec = subjectAccessReviewSpec(reviewUser(user), check);
      const key = JSON.stringify(spec);
      const known = answers.get(key);
      if (known !== undefined) {
        if ('failure' in known) throw new Error(unansweredMessage(known.failure));
        return known.decision;
      }
      const cached = this.#cache.get(key);
      if (cached !== undefined) {
        this.#hits++;
        // Kept for the request: a later round sees the same answer even if the cache entry expires.
        answers.set(key, { decision: cached });
        return cached;
      }
      misses.set(key, spec);
      if (final) throw new Error(unansweredMessage(`still unknown after ${this.#maxRounds} rounds of SubjectAccessReviews (each check depends on the answer of another)`));
      return PENDING;
    };
  }

  /** The answer to one check: the cache, a review in flight, or a new review. */
  async #answer(key: string, spec: SubjectAccessReviewSpec, signal: AbortSignal | undefined): Promise<Answer> {
    const cached = this.#cache.get(key);
    if (cached !== undefined) {
      this.#hits++;
      return { decision: cached };
    }
    let flight = this.#flights.get(key);
    // A review cancelled because its waiters gave up is not joined: a new one is sent.
    if (flight === undefined || flight.controller.signal.aborted) {
      const controller = new AbortController();
      const created: Flight = { controller, waiters: 0, promise: this.#review(key, spec, controller.signal) };
      flight = created;
      this.#flights.set(key, created);
      void created.promise.finally(() => {
        if (this.#flights.get(key) === created) this.#flights.delete(key);
      });
    }
    if (signal === undefined) return flight.promise;
    const current = flight;
    current.waiters++;
    const aborted = whenAborted(signal);
    try {
      return await Promise.race([current.promise, aborted.promise]);
    } finally {
      aborted.cancel();
      current.waiters--;
      // Nobody waits for this review any more: stop it (it may still be queued).
      if (current.waiters === 0 && signal.aborted) current.controller.abort();
    }
  }

  /** Sends one review (once a slot is free) and caches its answer. */
  async #review(key: string, spec: SubjectAccessReviewSpec, cancel: AbortSignal): Promise<Answer> {
    if (!(await this.#limiter.acquire(cancel))) return { failure: 'cancelled' };
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.#reviewTimeoutMs);
    const onCancel = (): void => controller.abort();
    cancel.addEventListener('abort', onCancel, { once: true });
    try {
      const create = await (this.#api ??= this.#client());
      this.#sent++;
      const review = await create({ apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec }, controller.signal);
      const status = review.status;
      if (status === undefined || typeof status.allowed !== 'boolean') return this.#failure('the API server answered without a status');
      const decision = decisionOfStatus(status);
      // An evaluation error (a webhook authorizer that failed, say) is not kept: it may pass.
      if (decision.error === undefined) this.#cache.set(key, decision);
      return { decision };
    } catch (error) {
      if (timedOut) return this.#failure(`no answer within ${this.#reviewTimeoutMs} ms`);
      if (cancel.aborted) return { failure: 'cancelled' };
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'number' && code >= 300) {
        const message = statusMessage((error as { body?: unknown }).body) ?? STATUS_CODES[code] ?? 'no message';
        return this.#failure(`HTTP ${code}: ${message}`, code);
      }
      return this.#failure((error as Error).message);
    } finally {
      clearTimeout(timer);
      cancel.removeEventListener('abort', onCancel);
      this.#limiter.release();
    }
  }

  /** Counts and logs a failed review (once while the same failure repeats, then every 100th). */
  #failure(reason: string, status?: number): Answer {
    this.#failed++;
    const failure = `SubjectAccessReview failed: ${reason}`;
    this.#repeats = failure === this.#lastFailure ? this.#repeats + 1 : 0;
    this.#lastFailure = failure;
    if (this.#repeats % 100 === 0) {
      const fields: Record<string, string | number> = { reason, ...(status === undefined ? {} : { status }), ...(this.#repeats > 0 ? { repeated: this.#repeats } : {}) };
      if (status === 403) this.#log?.('error', 'forbidden to create SubjectAccessReviews: RBAC must allow the webhook\'s ServiceAccount to create subjectaccessreviews.authorization.k8s.io; until then policies that use authorizer fail per their failurePolicy', fields);
      else this.#log?.('warn', 'a SubjectAccessReview failed: the policy check that needed it fails per the policy\'s failurePolicy', fields);
    }
    return { failure };
  }

  /** The API client, loaded on first use. */
  async #client(): Promise<(body: V1SubjectAccessReview, signal: AbortSignal) => Promise<V1SubjectAccessReview>> {
    const { AuthorizationV1Api, Observable } = await import('@kubernetes/client-node');
    const api = this.#kc.makeApiClient(AuthorizationV1Api);
    return (body, signal) => {
      const withSignal = {
        pre: (context: RequestContext): Observable<RequestContext> => {
          context.setSignal(signal);
          return new Observable(Promise.resolve(context));
        },
        post: (context: ResponseContext): Observable<ResponseContext> => new Observable(Promise.resolve(context)),
      };
      return api.createSubjectAccessReview({ body }, { middleware: [withSignal], middlewareMergeStrategy: 'append' });
    };
  }
}
