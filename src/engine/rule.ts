import type { ContainerRef, PodTemplate } from '../k8s/pod.js';
import type { LoadedObject } from '../load/types.js';
import type { JsonObject, JsonValue, Path, PssLevel, Severity } from '../types.js';
import type { Inventory } from './inventory.js';

/** What a rule is evaluated on. */
export type Target = 'object' | 'pod' | 'container' | 'inventory';

/** The resolved Pod Security policy a scan evaluates. */
export interface PssContext {
  level: PssLevel;
  /** The version as the user wrote it: `latest` or `v1.<minor>`. */
  version: string;
  /** The policy minor version it resolves to (e.g. 37 for `latest`). */
  minor: number;
  /**
   * The Pod Security checks whose rules run in this scan (undefined: all of them). A restricted
   * check replaces its baseline counterpart only while its own rule runs.
   */
  running?: ReadonlySet<string>;
}

/** Everything a rule's check receives besides its target. */
export interface RuleContext {
  pss: PssContext;
  /** The rule's options: its defaults merged with the configuration's. */
  options: Readonly<Record<string, unknown>>;
}

/** One violation a rule reports; `path` is inside the target object. */
export interface Violation {
  path: Path;
  message: string;
  /**
   * This violation's severity when it differs from the rule's (a policy's Warn and Audit
   * bindings); a severity set for the rule in the configuration still wins.
   */
  severity?: Severity;
  /** Further offending fields of the same violation. */
  paths?: Path[];
  /**
   * For object, pod and container rules whose verdict depends on other objects (a LimitRange
   * default, a ServiceAccount, a NetworkPolicy): decided once the whole input is read, and the
   * violation is dropped when this returns true. It sees the objects of the kinds the rule lists
   * in `context`; capture only small values (names, labels), never the object.
   */
  unless?: (inventory: Inventory) => boolean;
  /**
   * Like `unless`, for a finding whose wording depends on other objects: decided once the input is
   * read, it returns the final message (with the further paths, when they depend on it too), or
   * null to drop the finding.
   */
  resolve?: (inventory: Inventory) => string | Resolution | null;
  /**
   * A safe automatic fix: JSON Patch operations (RFC 6902) on the object, paths from its root.
   * Called only when fixes are asked for (`mamori fix`, the mutating webhook), never in a plain
   * scan. A fix never changes what the workload runs (image, command, args, ports).
   */
  fix?: () => PatchOperation[];
}

/** One JSON Patch operation; `path` is a JSON Pointer from the object's root. */
export type PatchOperation =
  | { op: 'add' | 'replace' | 'test'; path: string; value: JsonValue }
  | { op: 'remove'; path: string };

/** A finding's final wording, and its further paths, as `Violation.resolve` decides them. */
export interface Resolution {
  message: string;
  /** Further offending fields; none when empty. */
  paths: Path[];
  /**
   * The finding points at the violation's `paths[at]` instead of its `path`: for a finding on the
   * first of several fields that only the whole input tells apart (the engine locates each field
   * the violation names while its file is read).
   */
  at?: number;
}

/** A violation of an inventory rule names the object it is about. */
export interface InventoryViolation extends Violation {
  target: LoadedObject;
}

export interface ObjectInput {
  object: JsonObject;
  loaded: LoadedObject;
  /** Path of the object root (always `[]`). */
  path: Path;
}
export interface PodInput extends ObjectInput, PodTemplate {
  kind: string;
}
export interface ContainerInput extends ContainerRef {
  object: JsonObject;
  loaded: LoadedObject;
  pod: PodTemplate;
  kind: string;
}
export interface InventoryInput {
  inventory: Inventory;
}

export interface TargetInputs {
  object: ObjectInput;
  pod: PodInput;
  container: ContainerInput;
  inventory: InventoryInput;
}
type TargetViolation<T extends Target> = T extends 'inventory' ? InventoryViolation : Violation;

/**
 * Sections of the NSA/CISA Kubernetes Hardening Guide (v1.2), by their titles in the guide: a
 * rule names the most specific section that asks for its control, so no section has two names.
 */
export type NsaSection =
  | 'Kubernetes Pod security'
  | 'Non-root containers and rootless container engines'
  | 'Immutable container file systems'
  | 'Building secure container images'
  | 'Pod security enforcement'
  | 'Protecting Pod service account tokens'
  | 'Hardening container environments'
  | 'Network separation and hardening'
  | 'Namespaces'
  | 'Network policies'
  | 'Resource policies'
  | 'Control plane hardening'
  | 'Etcd'
  | 'Kubeconfig files'
  | 'Worker node segmentation'
  | 'Encryption'
  | 'Secrets'
  | 'Authentication and authorization'
  | 'Authentication'
  | 'Role-based access control'
  | 'Audit logging and threat detection'
  | 'Kubernetes native audit logging configuration'
  | 'Seccomp: audit mode'
  | 'Upgrading and application security practices';

/** Frameworks a rule maps to, for reports and docs. */
export interface Frameworks {
  /** Pod Security Standards checks, as `<level>:<checkId>`. */
  pss?: string[];
  /** CIS Kubernetes Benchmark ids, e.g. `1.2.1`. */
  cis?: string[];
  /** Sections of the NSA/CISA Kubernetes Hardening Guide. */
  nsa?: NsaSection[];
  /** Kubescape control ids, e.g. `C-0017`. */
  kubescape?: string[];
}

/** The value types a rule option may have. */
export type OptionValue = string | number | boolean | readonly string[];

/** The shape every rule declares. */
export interface RuleSpec<T extends Target> {
  /** kebab-case, stable, equal to its folder name. */
  id: string;
  title: string;
  severity: Severity;
  target: T;
  /** Control ids from SEED-CONTROLS.md; the first decides the rule's phase. */
  controls: string[];
  frameworks?: Frameworks;
  description: string;
  remediation: string;
  /**
   * For `object` and `pod` targets: the kinds the rule is about. The engine gives it only objects
   * of these kinds, so rules cost nothing on the rest of the input.
   */
  kinds?: readonly string[];
  /**
   * The kinds this rule reads from the inventory (inventory rules, and `unless` predicates).
   * mamori keeps only objects of the kinds some rule needs once a file is scanned, so a scan of
   * 100k objects does not hold them all. An inventory rule without `context` keeps everything.
   */
  context?: readonly string[];
  /**
   * Which objects of the `context` kinds the rule reads, when it needs only a few of a common kind
   * (the control-plane static pods among every Pod of a cluster export): the others are not kept
   * for it. Without it every object of those kinds is kept.
   */
  keep?: (object: JsonObject) => boolean;
  /** Off unless the configuration turns it on. */
  optional?: boolean;
  /**
   * Option defaults, overridable in the configuration (`rules.<id>.options`). Each option's type
   * is that of its default (string, number, boolean, or list of strings); the configuration is
   * validated against it.
   */
  options?: Readonly<Record<string, OptionValue>>;
  check(input: TargetInputs[T], ctx: RuleContext): Iterable<TargetViolation<T>>;
}

/** A rule of any target, as the engine and the catalog handle it. */
export type Rule = {
  [T in Target]: RuleSpec<T>;
}[Target];

/** Declares a rule; the identity function that gives rule files their types. */
export function defineRule<T extends Target>(spec: RuleSpec<T>): RuleSpec<T> {
  return spec;
}
