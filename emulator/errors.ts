/**
 * An error the emulator answers on the wire. `code` is the backend's string code (the SDK maps
 * it, e.g. DATABASE_COLLECTION_NOT_EXIST → -502005); the server sends `{code, message}` with
 * HTTP 200, which is how the real backend reports failures.
 */
export class BackendError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'BackendError';
  }
}

export const invalidParam = (message: string): BackendError => new BackendError('INVALID_PARAM', message);
