import type { Rule } from '../engine/rule.js';
import type { Report } from '../types.js';
import { writeHtml, writeHtmlChunks } from './html.js';
import { writeJson, writeJsonChunks } from './json.js';
import { writeJunit, writeJunitChunks } from './junit.js';
import { writePolicyReport, writePolicyReportChunks } from './policyreport.js';
import { writeSarif, writeSarifChunks } from './sarif.js';
import { writeText, writeTextChunks } from './text.js';

/** What every writer receives besides the report. */
export interface WriterOptions {
  /** ANSI colours (text format on a terminal only). */
  color: boolean;
  /** The whole rule catalog (SARIF lists every rule; reports link findings to their rule's docs). */
  rules: readonly Rule[];
  /** The working directory, to which file paths in reports are made relative. */
  cwd: string;
  /** The time of the scan (exception expiry, report headers); tests pass a fixed one. */
  now: Date;
  /**
   * The namespaces of the input's objects (`default` for a namespaced object that names none):
   * the PolicyReport writer gives each without results an empty report, which replaces the
   * failing report of an earlier scan once the namespace is clean.
   */
  namespaces?: Iterable<string>;
}

/** The output formats; `--format` values are this map's keys. */
export const WRITERS = {
  text: (report: Report, options: WriterOptions) => writeText(report, options),
  json: (report: Report) => writeJson(report),
  sarif: (report: Report, options: WriterOptions) => writeSarif(report, options),
  junit: (report: Report, options: WriterOptions) => writeJunit(report, options),
  html: (report: Report, options: WriterOptions) => writeHtml(report, options),
  policyreport: (report: Report, options: WriterOptions) => writePolicyReport(report, options),
} satisfies Record<string, (report: Report, options: WriterOptions) => string>;

/** The writers producing their output in pieces, for reports too large to hold as one string (the same bytes). */
export const STREAMING_WRITERS: Record<Format, (report: Report, options: WriterOptions) => Iterable<string>> = {
  text: (report: Report, options: WriterOptions) => writeTextChunks(report, options),
  json: (report: Report) => writeJsonChunks(report),
  sarif: (report: Report, options: WriterOptions) => writeSarifChunks(report, options),
  junit: (report: Report, options: WriterOptions) => writeJunitChunks(report, options),
  html: (report: Report, options: WriterOptions) => writeHtmlChunks(report, options),
  policyreport: (report: Report, options: WriterOptions) => writePolicyReportChunks(report, options),
};

export type Format = keyof typeof WRITERS;

/** True for a known `--format` value. */
export function isFormat(value: string): value is Format {
  return Object.hasOwn(WRITERS, value);
}

export { writeHtml, writeJson, writeJsonChunks, writeJunit, writePolicyReport, writeSarif, writeText };
