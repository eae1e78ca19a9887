import type { Inventory } from '../../engine/inventory.js';
import { defineRule } from '../../engine/rule.js';
import type { Frameworks, RuleSpec } from '../../engine/rule.js';
import { RBAC_KINDS } from '../../k8s/rbac.js';
import type { Severity } from '../../types.js';
import { analysedBindings, classMessage, idleBind, isClusterTier, rolePath, type AnalysedBinding, type ClassMatch, type PermissionClass } from './permissions.js';

/** A finding's own severity, and a sentence appended to its message. */
export interface Adjustment {
  severity?: Severity;
  note?: string;
}

/** What a permission-class rule declares; its check comes from the shared binding analysis. */
export interface ClassRuleMeta {
  id: string;
  title: string;
  severity: Severity;
  controls: string[];
  frameworks: Frameworks;
  description: string;
  remediation: string;
  /** The classes the rule reports (one finding per binding, listing every class found). */
  classes: readonly PermissionClass[];
  /**
   * `cluster`: ClusterRoleBindings and RoleBindings in a privileged namespace; `namespace`:
   * RoleBindings elsewhere; `any`: both.
   */
  tier: 'cluster' | 'namespace' | 'any';
  /** Classes that, when the binding also grants them, another rule reports instead (the binding is skipped). */
  subsumedBy?: readonly PermissionClass[];
  /** Classes listed alongside when a reported class is found (the other half of an attack). */
  also?: readonly PermissionClass[];
  /** A finding's severity when it is not the rule's, and what the message adds, from what the binding (or the input) grants. */
  adjust?: (found: readonly ClassMatch[], analysed: AnalysedBinding, inventory: Inventory) => Adjustment | undefined;
}

/**
 * An `adjust` for the rules of `escalate-bind`: a binding whose only escalation is a `bind` that no
 * subject can use (`idleBind`) is reported at `severity`, saying why. Full control stays as is.
 */
export function idleBindAt(severity: Severity): NonNullable<ClassRuleMeta['adjust']> {
  return (found, analysed, inventory) => {
    if (found.some((m) => m.cls === 'admin')) return undefined;
    const note = idleBind(analysed, inventory);
    return note === undefined ? undefined : { severity, note };
  };
}

/** The namespaces whose RoleBindings count as cluster-wide grants by default (rbac-police's choice). */
export const DEFAULT_PRIVILEGED_NAMESPACES: readonly string[] = ['kube-system'];

/** The description sentence of every access rule with the `privilegedNamespaces` option. */
export const PRIVILEGED_NOTE =
  'Which RoleBindings count as cluster-wide is the `privilegedNamespaces` option (default `["kube-system"]`; add the namespaces of your CNI, ingress controller or GitOps controller); give the same list to every access rule that has this option (the `rbac-cluster-*` rules, `rbac-configmap-write`, `rbac-secrets-write`, `rbac-network-write`, `rbac-destructive-delete`, `rbac-dangerous-role`, `workload-powerful-service-account`) and to `rbac-namespace-admin-binding` and `rbac-namespace-sensitive-access`, which report the other namespaces.';

/** The `privilegedNamespaces` option as a list of strings. */
export function privilegedNamespaces(options: Readonly<Record<string, unknown>>): readonly string[] {
  const value = options['privilegedNamespaces'];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : DEFAULT_PRIVILEGED_NAMESPACES;
}

/** An inventory rule reporting, on each binding, the permission classes it grants in its tier. */
export function defineClassRule(meta: ClassRuleMeta): RuleSpec<'inventory'> {
  const { classes, tier, subsumedBy = [], also = [], adjust, ...rest } = meta;
  const spec: RuleSpec<'inventory'> = defineRule({
    ...rest,
    description: tier === 'any' ? rest.description : `${rest.description} ${PRIVILEGED_NOTE}`,
    target: 'inventory',
    context: RBAC_KINDS,
    *check({ inventory }, ctx) {
      const privileged = privilegedNamespaces(ctx.options);
      for (const analysed of analysedBindings(inventory)) {
        if (analysed.matches.size === 0) continue;
        if (tier !== 'any' && isClusterTier(analysed.binding, privileged) !== (tier === 'cluster')) continue;
        if (subsumedBy.some((c) => analysed.matches.has(c))) continue;
        const found: ClassMatch[] = [];
        for (const cls of classes) {
          const match = analysed.matches.get(cls);
          if (match !== undefined) found.push(match);
        }
        if (found.length === 0) continue;
        for (const cls of also) {
          const match = analysed.matches.get(cls);
          if (match !== undefined) found.push(match);
        }
        const { severity, note } = adjust?.(found, analysed, inventory) ?? {};
        const message = classMessage(analysed, found, privileged) + (note === undefined ? '' : `; ${note}`);
        yield { target: analysed.binding.object, path: rolePath(analysed.binding), message, ...(severity === undefined ? {} : { severity }) };
      }
    },
  });
  if (tier !== 'any') spec.options = { privilegedNamespaces: DEFAULT_PRIVILEGED_NAMESPACES };
  return spec;
}
