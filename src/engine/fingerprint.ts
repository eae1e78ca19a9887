import { createHash } from 'node:crypto';
import { isAbsolute, normalize, relative, resolve, sep } from 'node:path';
import type { Finding } from '../types.js';

/** A file path as the fingerprint sees it: relative to the working directory, with `/`. */
function canonicalFile(file: string, cwd: string): string {
  if (file === '' || file.startsWith('<')) return file; // stdin and texts in memory
  const path = isAbsolute(file) ? relative(cwd, file) : normalize(relative(cwd, resolve(cwd, file)));
  return path.split(sep).join('/');
}

/**
 * A finding's identity across runs: its rule, file, object and field path, never its line or
 * message, so moving lines or rewording a message keeps it. Used by SARIF `partialFingerprints`
 * and by baselines. The file counts as a path relative to `cwd`, however it was written
 * (`./k8s/web.yaml`, `k8s/web.yaml` or absolute). 32 hex characters (128 bits of SHA-256).
 */
export function fingerprint(finding: Finding, cwd: string = process.cwd()): string {
  const { object } = finding;
  const parts = [finding.ruleId, canonicalFile(finding.location?.file ?? '', cwd), object.apiVersion, object.kind, object.namespace ?? '', object.name, finding.path];
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}
