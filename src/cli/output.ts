import { closeSync, openSync, writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { MamoriError } from '../errors.js';
import { EXIT } from './exit.js';

const STDOUT = 1;

/**
 * Writes all of `text` to `fd` before returning, so that a report piped to a slow reader arrives
 * whole and memory holds one piece at a time. A non-blocking pipe that is full is waited on.
 */
function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  for (let offset = 0; offset < bytes.length; ) {
    try {
      offset += writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

/**
 * Writes command output, whole or in pieces, to a file or to stdout. A failed write is one error
 * line and exit code 2; a reader of stdout that went away (`mamori scan | head`) ends the process
 * with exit code 2 and no message: the report was not delivered, so it cannot pass as clean, and
 * there is nobody left to read why.
 */
export function emit(text: string | Iterable<string>, output: string | undefined): void {
  const pieces = typeof text === 'string' ? [text] : text;
  // `-o -` is stdout, as `-` is stdin for the inputs.
  if (output === undefined || output === '-') {
    for (const piece of pieces) {
      try {
        writeAll(STDOUT, piece);
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code === 'EPIPE') process.exit(EXIT.error);
        throw new MamoriError('io', `cannot write the report to stdout: ${(cause as Error).message}`, { cause });
      }
    }
    return;
  }
  let fd: number | undefined;
  try {
    fd = openSync(output, 'w');
  } catch (cause) {
    throw cannotWrite(output, cause);
  }
  try {
    // Errors of the writer itself are not write errors: only the writes are caught.
    for (const piece of pieces) {
      try {
        writeAll(fd, piece);
      } catch (cause) {
        // `-o /dev/stdout` read by a pipe whose reader went away: as for stdout itself.
        if ((cause as NodeJS.ErrnoException).code === 'EPIPE') process.exit(EXIT.error);
        throw cannotWrite(output, cause);
      }
    }
  } finally {
    closeSync(fd);
  }
}

let watched = false;

/**
 * Writes the output of a command other than scan (a rule list, a diff, manifests) through
 * `process.stdout`. Its write errors arrive later, as events: a reader that went away ends the
 * process with exit code 2 and no message, as `emit` does; any other error is one line and exit 2.
 */
export function writeStdout(text: string): void {
  if (!watched) {
    watched = true;
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') process.stderr.write(`mamori: cannot write to stdout: ${error.message}\n`);
      process.exit(EXIT.error);
    });
  }
  process.stdout.write(text);
}

const cannotWrite = (file: string, cause: unknown): MamoriError =>
  new MamoriError('io', `cannot write the report: ${(cause as Error).message}`, { file, cause });

/**
 * Whether text written to stdout may be coloured. Asks the system rather than `process.stdout`,
 * whose creation would turn a piped stdout non-blocking under `emit`'s writes.
 */
export function useColor(flag: boolean, toFile: boolean): boolean {
  if (!flag || toFile) return false;
  if (process.env['NO_COLOR'] !== undefined && process.env['NO_COLOR'] !== '') return false;
  const force = process.env['FORCE_COLOR'];
  if (force !== undefined) return force !== '0' && force !== 'false';
  return isatty(STDOUT);
}
