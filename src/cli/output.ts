import { closeSync, openSync, writeSync } from 'node:fs';
import { MamoriError } from '../errors.js';

/** Writes command output, whole or in pieces, to a file or to stdout. */
export function emit(text: string | Iterable<string>, output: string | undefined): void {
  const pieces = typeof text === 'string' ? [text] : text;
  if (output === undefined) {
    for (const piece of pieces) process.stdout.write(piece);
    return;
  }
  let fd: number | undefined;
  try {
    fd = openSync(output, 'w');
    for (const piece of pieces) writeSync(fd, piece);
  } catch (cause) {
    throw new MamoriError('io', `cannot write the report: ${(cause as Error).message}`, { file: output, cause });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Whether text written to stdout may be coloured. */
export function useColor(flag: boolean, toFile: boolean): boolean {
  if (!flag || toFile) return false;
  if (process.env['NO_COLOR'] !== undefined && process.env['NO_COLOR'] !== '') return false;
  const force = process.env['FORCE_COLOR'];
  if (force !== undefined) return force !== '0' && force !== 'false';
  return process.stdout.isTTY === true;
}
