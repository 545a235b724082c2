/**
 * The one error hierarchy of Rukou. Every refusal a caller can see carries a stable `code`
 * (the contract: clients and tests branch on it) and a message that says what was wrong and
 * what to do. Messages may improve; codes never change meaning.
 */
export const ERROR_CODES = {
  INVALID_INPUT: 'the input does not match the contract',
  NO_IDENTITY: 'the caller has no WeChat identity',
  NOT_OPERATOR: 'the caller is not an operator',
  NOT_WECHAT: 'the call did not come from WeChat (its message push)',
  NOT_FOUND: 'the thing asked for does not exist',
  CONFLICT: 'the thing exists already, or changed since it was read',
  LIMIT_EXCEEDED: 'a documented limit was exceeded',
  UPSTREAM: 'WeChat or the database refused the request',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * The shape every function answers a refusal with: `field` is the dotted path of the one input
 * field at fault (`"from"`, `"options.query"`), absent when the refusal is not about one field.
 * Nothing else travels: numbers a caller needs (a limit, a count) are in the message, and no
 * library's own error objects ever reach a caller.
 */
export interface Refusal {
  code: ErrorCode;
  message: string;
  field?: string;
}

export class RukouError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'RukouError';
  }

  toJSON(): Refusal {
    return this.field === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, field: this.field };
  }
}

export class ValidationError extends RukouError {
  constructor(message: string, field?: string) {
    super('INVALID_INPUT', message, field);
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

export class NotWeChatError extends RukouError {
  constructor(message = 'Only WeChat\'s message push may call this function: route its pushes here in the console (云开发 → 设置 → 其他设置 → 消息推送).') {
    super('NOT_WECHAT', message);
    this.name = 'NotWeChatError';
  }
}

/** A key that is taken, or a write conditional on a version that is no longer the stored one. */
export class ConflictError extends RukouError {
  constructor(message: string, field?: string) {
    super('CONFLICT', message, field);
    this.name = 'ConflictError';
  }
}

export class LimitError extends RukouError {
  constructor(message: string, field?: string) {
    super('LIMIT_EXCEEDED', message, field);
    this.name = 'LimitError';
  }
}

export function isRukouError(error: unknown): error is RukouError {
  return error instanceof RukouError;
}
