/**
 * Structured logs of the webhook: one JSON object per line, on stderr by default. Each decision
 * gets one line with the request uid; no line ever holds object content (specs, annotations,
 * environment values) or anything secret: only identifiers, the verdict and the rule ids.
 */
import type { Decision } from './types.js';

/** Where log lines go: stderr, a file stream, or a test's collector. */
export interface LogSink {
  write(line: string): unknown;
}

/** A value a log field may hold. */
export type LogValue = string | number | boolean | null | readonly string[];

/** Longest string written in a log field; longer values (hostile names, say) are cut. */
const MAX_FIELD = 256;

function clean(value: LogValue): LogValue {
  if (typeof value === 'string') return value.length > MAX_FIELD ? `${value.slice(0, MAX_FIELD)}…` : value;
  if (Array.isArray(value)) return value.slice(0, 64).map((v: string) => (v.length > MAX_FIELD ? `${v.slice(0, MAX_FIELD)}…` : v));
  return value;
}

/** The webhook's logger. */
export class Logger {
  private readonly sink: LogSink;
  private readonly now: () => Date;

  constructor(sink: LogSink = process.stderr, now: () => Date = () => new Date()) {
    this.sink = sink;
    this.now = now;
  }

  private line(level: 'info' | 'warn' | 'error', msg: string, fields: Readonly<Record<string, LogValue>>): void {
    const record: Record<string, LogValue> = { time: this.now().toISOString(), level, msg };
    for (const [key, value] of Object.entries(fields)) if (!(key in record)) record[key] = clean(value);
    try {
      this.sink.write(`${JSON.stringify(record)}\n`);
    } catch {
      // A log line that cannot be written must not fail the request it describes.
    }
  }

  info(msg: string, fields: Readonly<Record<string, LogValue>> = {}): void {
    this.line('info', msg, fields);
  }

  warn(msg: string, fields: Readonly<Record<string, LogValue>> = {}): void {
    this.line('warn', msg, fields);
  }

  error(msg: string, fields: Readonly<Record<string, LogValue>> = {}): void {
    this.line('error', msg, fields);
  }

  /** The line of one admission decision. */
  decision(endpoint: string, decision: Decision, durationMs: number): void {
    const fields: Record<string, LogValue> = {
      endpoint,
      uid: decision.uid,
      operation: decision.operation,
      kind: decision.kind,
      namespace: decision.namespace,
      name: decision.name,
      user: decision.user,
      verdict: decision.verdict,
      rules: decision.rules,
      dry_run: decision.dryRun,
      duration_ms: Math.round(durationMs * 1000) / 1000,
    };
    if (decision.error !== undefined) fields['error'] = decision.error;
    this.line(decision.verdict === 'fail-open' || decision.verdict === 'fail-closed' ? 'error' : 'info', 'admission decision', fields);
  }
}

/** A logger that writes nothing (for embedding and benchmarks). */
export function silentLogger(): Logger {
  return new Logger({ write: () => true });
}
