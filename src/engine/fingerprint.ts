import { createHash } from 'node:crypto';
import type { Finding } from '../types.js';

/**
 * A finding's identity across runs: its rule, file, object and field path, never its line or
 * message, so moving lines or rewording a message keeps it. Used by SARIF `partialFingerprints`
 * and by baselines. 32 hex characters (128 bits of SHA-256).
 */
export function fingerprint(finding: Finding): string {
  const { object } = finding;
  const parts = [finding.ruleId, finding.location?.file ?? '', object.apiVersion, object.kind, object.namespace ?? '', object.name, finding.path];
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}
