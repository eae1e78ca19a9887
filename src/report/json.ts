import type { Finding, ObjectRef, Report } from '../types.js';

/** `JSON.stringify(value, null, 2)` as it would appear nested at `depth` levels of indentation. */
function nested(value: unknown, depth: number): string {
  const text = JSON.stringify(value, null, 2);
  return depth === 0 ? text : text.replace(/\n/g, `\n${'  '.repeat(depth)}`);
}

const q = JSON.stringify;

/**
 * Writes findings as `JSON.stringify` would inside the report (depth 2), reusing the parts that
 * repeat: a rule's identity, an object's reference and a policy are the same for many findings.
 * The bytes are exactly those of `JSON.stringify(report, null, 2)`; a test holds it to that.
 */
class FindingWriter {
  private readonly heads = new Map<string, string>();
  private readonly objects = new WeakMap<ObjectRef, string>();
  private readonly policies = new WeakMap<object, string>();
  private readonly files = new Map<string, string>();

  write(f: Finding): string {
    let out = this.head(f);
    out += `      "object": ${this.object(f.object)},\n      "path": ${q(f.path)},\n      "message": ${q(f.message)}`;
    if (f.location !== undefined) {
      let file = this.files.get(f.location.file);
      if (file === undefined) {
        file = q(f.location.file);
        this.files.set(f.location.file, file);
      }
      out += `,\n      "location": {\n        "file": ${file},\n        "line": ${q(f.location.line)},\n        "column": ${q(f.location.column)}\n      }`;
    }
    if (f.paths !== undefined) out += `,\n      "paths": ${nested(f.paths, 3)}`;
    if (f.pss !== undefined) {
      let pss = this.policies.get(f.pss);
      if (pss === undefined) {
        pss = nested(f.pss, 3);
        this.policies.set(f.pss, pss);
      }
      out += `,\n      "pss": ${pss}`;
    }
    return `${out}\n    }`;
  }

  private head(f: Finding): string {
    const key = `${f.ruleId}\u0000${f.severity}\u0000${f.title}\u0000${f.phase}\u0000${f.controls.join('\u0000')}`;
    let head = this.heads.get(key);
    if (head === undefined) {
      head =
        `{\n      "ruleId": ${q(f.ruleId)},\n      "title": ${q(f.title)},\n      "severity": ${q(f.severity)},\n` +
        `      "controls": ${nested(f.controls, 3)},\n      "phase": ${q(f.phase)},\n`;
      this.heads.set(key, head);
    }
    return head;
  }

  private object(ref: ObjectRef): string {
    let text = this.objects.get(ref);
    if (text === undefined) {
      text = nested(ref, 3);
      this.objects.set(ref, text);
    }
    return text;
  }
}

/** Findings per piece: large enough to be fast, small enough to keep memory flat. */
const BATCH = 512;

/** The keys of a Finding in the order the engine creates them, which the fast writer relies on. */
const FINDING_KEYS = ['ruleId', 'title', 'severity', 'controls', 'phase', 'object', 'path', 'message', 'location', 'paths', 'pss'];
const REF_KEYS = ['apiVersion', 'kind', 'name', 'namespace'];

/** True when an object's own keys appear in this order (some may be absent). */
function ordered(value: object, keys: readonly string[]): boolean {
  let at = 0;
  for (const key in value) {
    const i = keys.indexOf(key, at);
    if (i === -1 || (value as Record<string, unknown>)[key] === undefined) return false;
    at = i + 1;
  }
  return true;
}

/**
 * The JSON report (`schemaVersion: 1`, the contract of DESIGN.md) in pieces, so a report of
 * 100,000 findings is written without ever holding it as one string. The pieces joined are
 * exactly `JSON.stringify(report, null, 2)` and a newline.
 */
export function* writeJsonChunks(report: Report): Generator<string> {
  const entries = Object.entries(report);
  const findings = new FindingWriter();
  yield '{\n';
  for (let i = 0; i < entries.length; i++) {
    const [key, value] = entries[i] as [string, unknown];
    const comma = i + 1 < entries.length ? ',' : '';
    if (Array.isArray(value) && value.length > 0) {
      const head = `{\n  ${JSON.stringify(key)}: [\n`;
      yield head.slice(2);
      for (let j = 0; j < value.length; j += BATCH) {
        const batch = value.slice(j, j + BATCH);
        const last = j + BATCH >= value.length;
        let text: string;
        if (key === 'findings' && batch.every((f: Finding) => ordered(f, FINDING_KEYS) && ordered(f.object, REF_KEYS))) {
          text = `    ${batch.map((f: Finding) => findings.write(f)).join(',\n    ')}`;
        } else {
          // Stringified as the only key of an object, a batch comes out indented exactly as in
          // the whole report; only its first two and last two lines need cutting.
          const whole = JSON.stringify({ [key]: batch }, null, 2);
          text = whole.slice(head.length, whole.length - '\n  ]\n}'.length);
        }
        yield `${text}${last ? '' : ','}\n`;
      }
      yield `  ]${comma}\n`;
    } else {
      yield `  ${JSON.stringify(key)}: ${nested(value, 1)}${comma}\n`;
    }
  }
  yield '}\n';
}

/** The JSON report as one string. */
export function writeJson(report: Report): string {
  return [...writeJsonChunks(report)].join('');
}
