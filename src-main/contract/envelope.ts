/** The one result shape every call settles with, whatever transport carried it. */

export const ERROR_CODES = [
  'unknown_call',
  'not_found',
  'conflict',
  /** The input is wrong (a field out of range, a missing file, a bad row): the message names it. */
  'bad_input',
  'cancelled',
  'unavailable',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface CallError {
  code: ErrorCode;
  /** A sentence a user can read; never a stack trace. */
  message: string;
  /** Where the problem is: field paths for invalid input, file:row for data. */
  issues?: { path: string; message: string }[];
}

export type Envelope<T> = { ok: true; value: T } | { ok: false; error: CallError };

/** Thrown by service code to settle a call with a typed error. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly issues: CallError['issues'];
  constructor(code: ErrorCode, message: string, issues?: CallError['issues']) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.issues = issues;
  }
}

export function ok<T>(value: T): Envelope<T> {
  return { ok: true, value };
}

export function fail(code: ErrorCode, message: string, issues?: CallError['issues']): Envelope<never> {
  return { ok: false, error: issues ? { code, message, issues } : { code, message } };
}

/** Rebuilds an AppError on the caller's side so `await` throws something typed. */
export function unwrap<T>(envelope: Envelope<T>): T {
  if (envelope.ok) return envelope.value;
  throw new AppError(envelope.error.code, envelope.error.message, envelope.error.issues);
}
