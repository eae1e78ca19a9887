/** Shared pieces of the rules about who a binding names (anonymous, every authenticated identity, default service accounts). */
import type { Inventory } from '../../engine/inventory.js';
import { isUnchangedDefaultBinding, rbacIndexOf, roleNote, type BindingRecord, type Subject } from '../../k8s/rbac.js';
import type { Path } from '../../types.js';
import { analysedBindings, describeClass, type AnalysedBinding } from './permissions.js';

/**
 * Every binding of the input except Kubernetes' own unchanged ones (`isUnchangedDefaultBinding`),
 * with its analysis when its role is known.
 */
export function* reviewedBindings(inventory: Inventory): Generator<{ binding: BindingRecord; analysed: AnalysedBinding | undefined }> {
  const byBinding = new Map<BindingRecord, AnalysedBinding>();
  for (const a of analysedBindings(inventory)) byBinding.set(a.binding, a);
  for (const binding of rbacIndexOf(inventory).bindings) {
    if (isUnchangedDefaultBinding(binding)) continue;
    yield { binding, analysed: byBinding.get(binding) };
  }
}

/** The path of a subject's name. */
export function subjectPath(subject: Subject): Path {
  return ['subjects', subject.index, 'name'];
}

/** `ClusterRole "view"` (or the roleRef as written when the role is not in the input), with `roleNote`. */
export function roleRefLabel(binding: BindingRecord): string {
  const ref = binding.roleRef;
  if (ref === undefined) return 'no valid roleRef';
  const note = binding.role === undefined ? ' (not in the input)' : roleNote(binding.role, binding);
  return `${ref.kind} "${ref.name}"${note}`;
}

/** The dangerous classes of an analysed binding, in words; empty when none or unknown. */
export function dangerList(analysed: AnalysedBinding | undefined): string {
  if (analysed === undefined) return '';
  const parts: string[] = [];
  for (const match of analysed.matches.values()) parts.push(describeClass(match));
  return parts.join('; ');
}


/** `cluster-wide` or `in namespace "x"`. */
export function bindingScope(binding: BindingRecord): string {
  return binding.kind === 'ClusterRoleBinding' ? 'cluster-wide' : `in namespace "${binding.namespace ?? 'default'}"`;
}
