import type { Phase, Severity } from '../types.js';

/** The control ids of SEED-CONTROLS.md, with the lifecycle phase each belongs to. */
export const CONTROLS: Readonly<Record<string, Phase>> = Object.fromEntries([
  ...['DEV-1', 'DEV-2', 'DEV-3', 'DEV-4'].map((id) => [id, 'develop']),
  ...['DIST-1', 'DIST-2', 'DIST-3', 'DIST-4', 'DIST-5', 'DIST-6'].map((id) => [id, 'distribute']),
  ...['DEP-1', 'DEP-2'].map((id) => [id, 'deploy']),
  ...['ACC-1', 'ACC-2', 'ACC-3', 'ACC-4', 'ACC-5'].map((id) => [id, 'runtime-access']),
  ...['CMP-1', 'CMP-2', 'CMP-3', 'CMP-4', 'CMP-5', 'CMP-6'].map((id) => [id, 'runtime-compute']),
  ...['STO-1', 'STO-2', 'STO-3', 'STO-4', 'STO-5', 'STO-6'].map((id) => [id, 'runtime-storage']),
  ...['NET-1', 'NET-2', 'NET-3'].map((id) => [id, 'network']),
  ...['OBS-1', 'OBS-2', 'OBS-3', 'OBS-4'].map((id) => [id, 'observability']),
]) as Record<string, Phase>;

/** The phase of a rule: that of its first control. */
export function phaseOf(controls: readonly string[]): Phase {
  return CONTROLS[controls[0] ?? ''] ?? 'develop';
}

/** Severities from worst to mildest. */
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

/** Rank of a severity: 0 for critical, 4 for info. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** True when `severity` is `threshold` or worse. */
export function atLeast(severity: Severity, threshold: Severity): boolean {
  return severityRank(severity) <= severityRank(threshold);
}

/** True for a known severity name. */
export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}
