/**
 * Shared types of the admission webhook (src/admission/*): the AdmissionReview wire format
 * (admission.k8s.io/v1, specs/admission-and-cel.md A.1 and A.2), namespace modes and the
 * decisions the server logs and counts.
 */
import type { Authorize } from '../policy/cel-authz.js';
import type { JsonObject, PssPolicy, Severity } from '../types.js';

/** Labels of namespaces, as seen by the webhook (a watch cache in a cluster, or a fixed map). */
export interface NamespaceLabels {
  labels(namespace: string): Readonly<Record<string, string>> | undefined;
  readonly synced: boolean;
}

/** The three modes of a namespace, as Pod Security Admission has them. */
export type AdmissionMode = 'enforce' | 'warn' | 'audit';

/** The modes in the order they are evaluated and reported. */
export const ADMISSION_MODES: readonly AdmissionMode[] = ['enforce', 'warn', 'audit'];

/**
 * What one mode of a namespace checks: the Pod Security rules at a level and version, or the
 * whole catalog (rules that judge one object alone) at the configured Pod Security policy.
 */
export type ModePolicy = { kind: 'pss'; policy: PssPolicy } | { kind: 'catalog' };

/** The policy of each mode for one namespace, and what went wrong reading its labels. */
export interface NamespaceModes {
  enforce: ModePolicy;
  warn: ModePolicy;
  audit: ModePolicy;
  /** Label errors (invalid level or version); the fallbacks of PSA were applied. */
  errors: string[];
}

/** Exemptions as Pod Security Admission has them: exact string matches. */
export interface Exemptions {
  usernames: readonly string[];
  namespaces: readonly string[];
  runtimeClasses: readonly string[];
}

/** What the API server does when the webhook fails or answers too late; the server's answer follows it. */
export type FailurePolicy = 'Fail' | 'Ignore';

/** `group/version/kind` of the object under review (`request.kind`). */
export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** `group/version/resource` (`request.resource`). */
export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

/** The operations of an AdmissionRequest. */
export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

/**
 * The requesting user (`request.userInfo`, authentication.k8s.io/v1 UserInfo), as the API server
 * authenticated it; absent fields are empty.
 */
export interface AdmissionUserInfo {
  username: string;
  uid: string;
  groups: string[];
  /** Extra attributes of the authenticator (scopes, the pod of a bound token...): key → values. */
  extra: Record<string, string[]>;
}

/**
 * Answers the `authorizer` checks of ValidatingAdmissionPolicies from outside the process (the
 * API server, through SubjectAccessReviews: authz.ts). `Authorize` is synchronous and the answers
 * are not, so `resolve` runs `evaluate` (the policies' evaluation) as many times as it takes to
 * learn every answer it asks for, and resolves with the last result.
 */
export interface PolicyAuthorizer {
  resolve<T>(evaluate: (authorize: Authorize) => T, signal?: AbortSignal): Promise<T>;
}

/** An AdmissionRequest, checked: only the fields mamori reads. */
export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource: GroupVersionResource | undefined;
  subResource: string;
  name: string;
  namespace: string;
  operation: AdmissionOperation;
  /** `userInfo.username` (exemptions and logs go by it). */
  username: string;
  /** The whole `userInfo`: `request.userInfo` in CEL, and the user of `authorizer` checks. */
  userInfo: AdmissionUserInfo;
  /** The object (CREATE, UPDATE), or undefined (DELETE, and CONNECT without options). */
  object: JsonObject | undefined;
  oldObject: JsonObject | undefined;
  dryRun: boolean;
}

/** The API server's Status of a denial. */
export interface AdmissionStatus {
  code: number;
  reason: string;
  message: string;
}

/** An AdmissionResponse (admission.k8s.io/v1). */
export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: AdmissionStatus;
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
  patchType?: 'JSONPatch';
  patch?: string;
}

/** The AdmissionReview the webhook answers with. */
export interface AdmissionReviewResponse {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

/**
 * How a review ended, for logs and metrics:
 * - `allow`: evaluated, nothing to report; `warn`: allowed with warnings; `deny`: refused;
 * - `exempt`: exempt namespace, user or RuntimeClass; `skip`: nothing to evaluate (DELETE,
 *   CONNECT, an ignored subresource, an update that changes nothing PSA evaluates);
 * - `patch`: the mutating endpoint returned a patch;
 * - `fail-open` / `fail-closed`: the webhook could not decide and answered per its failure policy.
 */
export type Verdict = 'allow' | 'warn' | 'deny' | 'exempt' | 'skip' | 'patch' | 'fail-open' | 'fail-closed';

/** What a review decided, without any object content: what the log line and the metrics record. */
export interface Decision {
  uid: string;
  operation: string;
  kind: string;
  namespace: string;
  name: string;
  user: string;
  verdict: Verdict;
  /** Rule ids that made the verdict (denying, warning, auditing or patched), sorted, unique. */
  rules: string[];
  dryRun: boolean;
  /** Why the review failed open or closed, when it did. */
  error?: string;
}

/** A review's answer and what it decided. */
export interface ReviewOutcome {
  review: AdmissionReviewResponse;
  decision: Decision;
}

/** Settings of the webhook that do not change per request. */
export interface AdmissionSettings {
  /** Modes of namespaces without labels (and of all namespaces until labels are synced). */
  defaults: { enforce: ModePolicy; warn: ModePolicy; audit: ModePolicy };
  exemptions: Exemptions;
  /** For `catalog` modes: findings at or above this severity deny (enforce). */
  failOn: Severity;
  failurePolicy: FailurePolicy;
}
