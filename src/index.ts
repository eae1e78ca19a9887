/** mamori's library API. */
export type {
  ExceptionStatus,
  Finding,
  JsonObject,
  JsonValue,
  Location,
  ObjectRef,
  Path,
  PathSegment,
  Phase,
  PssLevel,
  PssPolicy,
  Report,
  ReportError,
  Severity,
  SuppressedFinding,
  Summary,
} from './types.js';
export { MamoriError, type MamoriErrorCode } from './errors.js';
export { asArray, asObject, asString, formatPath, isObject, objectRef } from './k8s/object.js';
export { CONTAINER_FIELDS, POD_BEARING_KINDS, containersOf, podSpecOf, type ContainerRef, type PodTemplate } from './k8s/pod.js';
export { loadInput, loadText, resolveInputs, type LoadedFile } from './load/load.js';
export { DEFAULT_LIMITS, type LoadLimits } from './load/limits.js';
export type { LoadedObject, SourceDocument } from './load/types.js';
export { defineRule, type Frameworks, type NsaSection, type OptionValue, type Rule, type RuleContext, type RuleSpec, type Target, type Violation } from './engine/rule.js';
export { Engine, scanObjects, scanPaths, scanTexts, type ScanOptions } from './engine/scan.js';
export { knownRules, loadConfig, parseConfig, type Config, type KnownRules } from './engine/config.js';
export { applyBaseline, readBaseline, writeBaseline, type Baseline } from './engine/baseline.js';
export { fingerprint, reportFingerprints } from './engine/fingerprint.js';
export { Inventory, type Workload } from './engine/inventory.js';
export { isClusterScoped } from './k8s/scope.js';
export { ruleInfo, ruleMarkdown, type RuleInfo } from './engine/catalog.js';
export {
  activePssChecks,
  evaluatePodSecurity,
  formatPssResults,
  parsePssPolicy,
  podSecurityDenial,
  podSecurityViolation,
  resolvePssMinor,
  PSS_LATEST_MINOR,
} from './rules/pss/psa.js';
export { WRITERS, writeHtml, writeJson, writeJunit, writePolicyReport, writeSarif, writeText, type Format, type WriterOptions } from './report/index.js';
export { RULES } from './rules/index.js';
export { compile as compileCel, evaluate as evaluateCel, type CelProgram, type CompileResult, type EvaluateResult } from './policy/cel.js';
export {
  evaluatePolicies,
  loadPolicies,
  OUT_OF_BUDGET,
  RUNTIME_CEL_COST_BUDGET,
  RUNTIME_CEL_COST_BUDGET_MATCH_CONDITIONS,
  SEVERITY_ANNOTATIONS,
  type EvaluationInput,
  type EvaluationResult,
  type LoadedPolicy,
  type LoadResult,
  type PolicySet,
} from './policy/vap.js';
export { NO_RBAC_AUTHORIZER, rbacAuthorizer, rbacObjects, type AuthorizationDecision, type Authorize, type AuthzUser } from './policy/cel-authz.js';
export { loadPolicyRules, policyRules, readPolicies } from './policy/rules.js';
export { SubjectAccessReviewAuthorizer } from './admission/authz.js';
export { exportPssPolicies, renderPolicyExport, type PssExportOptions } from './policy/export.js';
export { VERSION } from './version.js';
