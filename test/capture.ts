// A test helper, not a test: captures what the code under test writes to stdout and stderr.
import { afterEach, beforeEach, vi } from 'vitest';

/** What a test's code wrote to stdout (`out`) and stderr (`err`); emptied before each test, and assignable to empty it mid-test. */
export interface Captured {
  out: string;
  err: string;
}

/** Replaces process.stdout.write and process.stderr.write for each test of the calling `describe`. */
export function captureStdio(): Captured {
  const io: Captured = { out: '', err: '' };
  beforeEach(() => {
    io.out = '';
    io.err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      io.out += String(chunk);
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      io.err += String(chunk);
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  return io;
}
