/**
 * The one error hierarchy of Rukou. Every refusal a caller can see carries a stable `code`
 * (the contract: clients and tests branch on it) and a message that says what was wrong and
 * what to do. Messages may improve; codes never change meaning.
 */
export const ERROR_CODES = {
  INVALID_INPUT: 'the input does not match the contract',
  NO_IDENTITY: 'the caller has no WeChat identity',
  NOT_OPERATOR: 'the caller is not an operator',
  NOT_FOUND: 'the thing asked for does not exist',
  LIMIT_EXCEEDED: 'a documented limit was exceeded',
  UPSTREAM: 'WeChat or the database refused the request',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class RukouError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'RukouError';
  }

  /** The shape every function answers a refusal with. */
  toJSON(): { code: ErrorCode; message: string; details?: unknown } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export class ValidationError extends RukouError {
  constructor(message: string, details?: unknown) {
    super('INVALID_INPUT', message, details);
    this.name = 'ValidationError';
  }
}

export class IdentityError extends RukouError {
  constructor(message = 'This function needs a WeChat user: call it from the Mini Program (no OPENID in the context).') {
    super('NO_IDENTITY', message);
    this.name = 'IdentityError';
  }
}

export class PermissionError extends RukouError {
  constructor(message = 'Only operators may do this: add your OPENID to the admins collection or RUKOU_OPERATORS.') {
    super('NOT_OPERATOR', message);
    this.name = 'PermissionError';
  }
}

export class LimitError extends RukouError {
  constructor(message: string, details?: unknown) {
    super('LIMIT_EXCEEDED', message, details);
    this.name = 'LimitError';
  }
}

export function isRukouError(error: unknown): error is RukouError {
  return error instanceof RukouError;
}
