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

/**
 * A refusal by MongoDB itself (a type it does not update, a limit it enforces), with its own text:
 * the cloud answers these as a failed database request, which wx-server-sdk shows as -502001.
 */
export const mongoRefusal = (message: string): BackendError => new BackendError('DATABASE_REQUEST_FAILED', message);

/**
 * The numbers wx-server-sdk shows for the backend's string codes (its TCB_ERR_CODE table,
 * src/config/error.config.ts in node_modules/wx-server-sdk/index.js); a code it does not know
 * shows as SYS_ERR. The client gateway answers with these, as callFunction's errCode.
 */
const SDK_ERR_CODE: ReadonlyMap<string, number> = new Map(Object.entries({
  SYS_ERR: -501001,
  SERVER_TIMEOUT: -501002,
  EXCEED_REQUEST_LIMIT: -501003,
  EXCEED_CONCURRENT_REQUEST_LIMIT: -501004,
  INVALIID_ENV: -501005,
  INVALID_COMMON_PARAM: -501006,
  INVALID_PARAM: -501007,
  INVALID_REQUEST_SOURCE: -501008,
  RESOURCE_NOT_INITIAL: -501009,
  DATABASE_REQUEST_FAILED: -502001,
  DATABASE_INVALID_OPERRATOR: -502002,
  DATABASE_PERMISSION_DENIED: -502003,
  DATABASE_COLLECTION_EXCEED_LIMIT: -502004,
  DATABASE_COLLECTION_NOT_EXIST: -502005,
  STORAGE_REQUEST_FAIL: -503001,
  STORAGE_EXCEED_AUTHORITY: -503002,
  STORAGE_FILE_NONEXIST: -503003,
  STORAGE_SIGN_PARAM_INVALID: -503004,
  FUNCTIONS_REQUEST_FAIL: -504001,
  FUNCTIONS_EXECUTE_FAIL: -504002,
}));

/** The errCode wx-server-sdk gives a backend code: `sdkErrCode('INVALID_PARAM')` is -501007. */
export const sdkErrCode = (code: string): number => SDK_ERR_CODE.get(code) ?? -501001;
