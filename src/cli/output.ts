import { writeFileSync } from 'node:fs';
import { MamoriError } from '../errors.js';

/** Writes command output to a file, or to stdout. */
export function emit(text: string, output: string | undefined): void {
  if (output === undefined) {
    process.stdout.write(text);
    return;
  }
  try {
    writeFileSync(output, text);
  } catch (cause) {
    throw new MamoriError('io', `cannot write the report: ${(cause as Error).message}`, { file: output, cause });
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
