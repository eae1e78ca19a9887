import * as crypto from 'node:crypto';
import { isAbsolute, normalize, relative, resolve, sep } from 'node:path';
import type { Finding } from '../types.js';

/** SHA-256 in hex: the one-shot `crypto.hash` (Node 20.12 and later) where there is one, a few times faster on short texts. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;
const sha256Hex =
  oneShot !== undefined ? (text: string): string => oneShot('sha256', text, 'hex') : (text: string): string => crypto.createHash('sha256').update(text).digest('hex');

/** A file path as the fingerprint sees it: relative to the working directory, with `/`. */
function canonicalFile(file: string, cwd: string): string {
  if (file === '' || file.startsWith('<')) return file; // stdin and texts in memory
  const path = isAbsolute(file) ? relative(cwd, file) : normalize(relative(cwd, resolve(cwd, file)));
  return path.split(sep).join('/');
}

/** Canonical forms of the files seen last (`path.relative` is most of a fingerprint's cost; reports hold few files). */
const canonical = new Map<string, string>();
let canonicalCwd = '';

function cachedFile(file: string, cwd: string): string {
  if (!isAbsolute(cwd)) return canonicalFile(file, cwd); // resolved against process.cwd(), which may change
  if (cwd !== canonicalCwd || canonical.size >= 10_000) {
    canonical.clear();
    canonicalCwd = cwd;
  }
  let out = canonical.get(file);
  if (out === undefined) canonical.set(file, (out = canonicalFile(file, cwd)));
  return out;
}

/**
 * A finding's identity across runs: its rule, file, object and field path, never its line or
 * message, so moving lines or rewording a message keeps it. Used by SARIF `partialFingerprints`
 * and by baselines. The file counts as a path relative to `cwd`, however it was written
 * (`./k8s/web.yaml`, `k8s/web.yaml` or absolute). 32 hex characters (128 bits of SHA-256).
 */
export function fingerprint(finding: Finding, cwd: string = process.cwd()): string {
  const { object } = finding;
  const parts = [finding.ruleId, cachedFile(finding.location?.file ?? '', cwd), object.apiVersion, object.kind, object.namespace ?? '', object.name, finding.path];
  return sha256Hex(parts.join('\u0000')).slice(0, 32);
}
