import type { Report } from '../types.js';

/** The JSON report (`schemaVersion: 1`), as DESIGN.md's contract gives it. */
export function writeJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
