import type { Report } from '../types.js';
import { writeJson } from './json.js';
import { writeText } from './text.js';

/** What every writer receives besides the report. */
export interface WriterOptions {
  color: boolean;
}

/** The output formats; `--format` values are this map's keys. */
export const WRITERS = {
  text: (report: Report, options: WriterOptions) => writeText(report, options),
  json: (report: Report) => writeJson(report),
} satisfies Record<string, (report: Report, options: WriterOptions) => string>;

export type Format = keyof typeof WRITERS;

/** True for a known `--format` value. */
export function isFormat(value: string): value is Format {
  return Object.hasOwn(WRITERS, value);
}

export { writeJson, writeText };
