/**
 * Metrics of the webhook in the Prometheus text exposition format 0.0.4:
 * - `mamori_admission_requests_total{operation,kind,verdict,endpoint}`: reviews answered;
 * - `mamori_admission_request_duration_seconds{endpoint}`: time from the request's headers to the
 *   end of its answer (histogram, 0.5 ms to 1 s);
 * - `mamori_admission_errors_total{reason}`: requests refused (400, 404, 405, 413, 415, 429), answers
 *   per the failure policy, TLS handshakes that failed, certificate reloads that failed;
 * - `mamori_admission_in_flight_requests`, `mamori_admission_in_flight_request_bytes` (bytes of
 *   request bodies held, against the server's limit), `mamori_admission_certificate_reloads_total`,
 *   and the process's resident memory and start time.
 * Label values that come from requests (kinds, operations) are checked and their number capped, so a
 * client cannot grow the metrics without bound.
 */

/** Buckets of the latency histogram, in seconds. */
export const DURATION_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/** Content type of the exposition format. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Most label sets one metric keeps; further ones are counted under `other`. */
const MAX_SERIES = 500;

/** A label value escaped for the exposition format. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labelText(names: readonly string[], values: readonly string[]): string {
  if (names.length === 0) return '';
  return `{${names.map((n, i) => `${n}="${escapeLabel(values[i] ?? '')}"`).join(',')}}`;
}

/** A number as the exposition format writes it. */
function num(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  if (Number.isNaN(value)) return 'NaN';
  return String(value);
}

abstract class Metric {
  readonly name: string;
  readonly help: string;
  readonly labels: readonly string[];
  protected readonly keys = new Map<string, string[]>();

  constructor(name: string, help: string, labels: readonly string[]) {
    this.name = name;
    this.help = help;
    this.labels = labels;
  }

  /** The series key of a label set, capped at MAX_SERIES distinct sets. */
  protected key(values: Readonly<Record<string, string>>): string {
    const list = this.labels.map((l) => values[l] ?? '');
    let key = list.join('\u0000');
    if (!this.keys.has(key)) {
      if (this.keys.size >= MAX_SERIES) {
        const other = this.labels.map(() => 'other');
        key = other.join('\u0000');
        if (!this.keys.has(key)) this.keys.set(key, other);
      } else this.keys.set(key, list);
    }
    return key;
  }

  protected header(type: string): string {
    return `# HELP ${this.name} ${this.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${this.name} ${type}\n`;
  }

  abstract render(): string;
}

/** A counter with labels. */
export class Counter extends Metric {
  private readonly values = new Map<string, number>();

  inc(labels: Readonly<Record<string, string>> = {}, by = 1): void {
    const key = this.key(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  /** The current value of a label set (0 when never counted). */
  get(labels: Readonly<Record<string, string>> = {}): number {
    return this.values.get(this.labels.map((l) => labels[l] ?? '').join('\u0000')) ?? 0;
  }

  render(): string {
    let out = this.header('counter');
    for (const [key, value] of this.values) out += `${this.name}${labelText(this.labels, this.keys.get(key) ?? [])} ${num(value)}\n`;
    return out;
  }
}

/** A gauge without labels, read when rendered. */
export class Gauge extends Metric {
  private readonly read: () => number;

  constructor(name: string, help: string, read: () => number) {
    super(name, help, []);
    this.read = read;
  }

  render(): string {
    return `${this.header('gauge')}${this.name} ${num(this.read())}\n`;
  }
}

/** A histogram with labels and fixed buckets. */
export class Histogram extends Metric {
  private readonly buckets: readonly number[];
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();

  constructor(name: string, help: string, labels: readonly string[], buckets: readonly number[]) {
    super(name, help, labels);
    this.buckets = buckets;
  }

  observe(labels: Readonly<Record<string, string>>, value: number): void {
    const key = this.key(labels);
    let s = this.series.get(key);
    if (s === undefined) {
      s = { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    // Counts per bucket (not cumulative); cumulated when rendered.
    const i = this.buckets.findIndex((b) => value <= b);
    if (i >= 0) s.counts[i] = (s.counts[i] ?? 0) + 1;
    s.sum += value;
    s.count += 1;
  }

  render(): string {
    let out = this.header('histogram');
    for (const [key, s] of this.series) {
      const values = this.keys.get(key) ?? [];
      let cumulative = 0;
      this.buckets.forEach((b, i) => {
        cumulative += s.counts[i] ?? 0;
        out += `${this.name}_bucket${labelText([...this.labels, 'le'], [...values, num(b)])} ${cumulative}\n`;
      });
      out += `${this.name}_bucket${labelText([...this.labels, 'le'], [...values, '+Inf'])} ${s.count}\n`;
      out += `${this.name}_sum${labelText(this.labels, values)} ${num(s.sum)}\n`;
      out += `${this.name}_count${labelText(this.labels, values)} ${s.count}\n`;
    }
    return out;
  }
}

/** A Kubernetes kind as a label value; anything else (a hostile or broken request) is `other`. */
export function kindLabel(kind: string): string {
  return /^[A-Za-z][A-Za-z0-9]{0,62}$/.test(kind) ? kind : 'other';
}

const OPERATIONS: ReadonlySet<string> = new Set(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);

/** The webhook's metrics. */
export class AdmissionMetrics {
  readonly requests = new Counter('mamori_admission_requests_total', 'Admission reviews answered, by operation, kind, verdict and endpoint.', ['operation', 'kind', 'verdict', 'endpoint']);
  readonly duration = new Histogram('mamori_admission_request_duration_seconds', 'Time from a review request\'s headers to the end of its answer, in seconds.', ['endpoint'], DURATION_BUCKETS);
  readonly errors = new Counter('mamori_admission_errors_total', 'Requests refused or answered per the failure policy, failed TLS handshakes and certificate reloads, by reason.', ['reason']);
  readonly certificateReloads = new Counter('mamori_admission_certificate_reloads_total', 'Serving certificate reloads, by result (success, failure).', ['result']);
  private inFlight = 0;
  /** Bytes of request bodies held, read from the server. */
  inFlightBytes: () => number = () => 0;
  private readonly gauges: Gauge[];
  private readonly startTime = Date.now() / 1000;

  constructor() {
    this.gauges = [
      new Gauge('mamori_admission_in_flight_requests', 'Requests being served.', () => this.inFlight),
      new Gauge('mamori_admission_in_flight_request_bytes', 'Bytes of request bodies held by the requests being served.', () => this.inFlightBytes()),
      new Gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', () => process.memoryUsage.rss()),
      new Gauge('process_start_time_seconds', 'Start time of the process since the Unix epoch in seconds.', () => this.startTime),
    ];
  }

  /** Counts a review answered. */
  review(endpoint: string, operation: string, kind: string, verdict: string): void {
    this.requests.inc({ operation: OPERATIONS.has(operation) ? operation : 'other', kind: kindLabel(kind), verdict, endpoint });
  }

  started(): void {
    this.inFlight++;
  }

  finished(): void {
    this.inFlight--;
  }

  /** The whole exposition. */
  render(): string {
    return [this.requests, this.duration, this.errors, this.certificateReloads, ...this.gauges].map((m) => m.render()).join('');
  }
}
