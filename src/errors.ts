/** The reasons mamori stops or reports an input as unreadable. */
export type MamoriErrorCode =
  | 'usage'
  | 'io'
  | 'parse'
  | 'not-kubernetes'
  | 'template'
  | 'binary'
  | 'encoding'
  | 'too-large'
  | 'too-deep'
  | 'alias-limit'
  | 'config'
  | 'rule-error'
  | 'unknown-rule'
  | 'baseline'
  | 'wrong-type';

/** The one error class of mamori; `code` says what went wrong, the message says where. */
export class MamoriError extends Error {
  readonly code: MamoriErrorCode;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;

  constructor(
    code: MamoriErrorCode,
    message: string,
    options: { file?: string; line?: number; column?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MamoriError';
    this.code = code;
    this.file = options.file;
    this.line = options.line;
    this.column = options.column;
  }
}

/**
 * Thrown when work runs past the deadline its caller set (the admission webhook's time budget):
 * the caller abandons its whole decision, so no partial result stands for it.
 */
export class DeadlineExceeded extends Error {
  constructor() {
    super('the evaluation ran past its deadline');
    this.name = 'DeadlineExceeded';
  }
}
