/**
 * CloudBase HTTP access: the event a function receives for an HTTP request (the "integration
 * request", https://cloud.tencent.com/document/product/876/41776), and the answer it gives (the
 * "integration response"). Every function answers it this way (`handler`); `admin`, `messages`
 * and `rollup` serve operators through it with a bearer token (`requireOperator`).
 */
import { isRukouError, ValidationError, type ErrorCode } from '../shared/errors';
import { isRecord } from '../shared/input';

/** The integration request. Only `httpMethod` and `headers` are known to have their shape (isHttpAccess checks them); the rest is read with care. */
export interface HttpAccessEvent {
  path?: unknown;
  httpMethod: string;
  headers: Record<string, unknown>;
  queryStringParameters?: unknown;
  body?: unknown;
  isBase64Encoded?: unknown;
  requestContext?: unknown;
}

/** The integration response: its status, and its body as JSON text. */
export interface HttpAccessAnswer {
  statusCode: number;
  headers: { 'content-type': string };
  body: string;
  isBase64Encoded: false;
}

export function isHttpAccess(event: Record<string, unknown>): event is Record<string, unknown> & HttpAccessEvent {
  return typeof event.httpMethod === 'string' && isRecord(event.headers);
}

/** The HTTP status HTTP access answers each refusal with (README: 4xx, 500 for UPSTREAM). */
const HTTP_STATUS: Record<ErrorCode, number> = { INVALID_INPUT: 400, NO_IDENTITY: 401, NOT_OPERATOR: 403, NOT_WECHAT: 403, NOT_FOUND: 404, CONFLICT: 409, LIMIT_EXCEEDED: 400, UPSTREAM: 500 };

const json = (statusCode: number, body: unknown): HttpAccessAnswer => ({ statusCode, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(body), isBase64Encoded: false });

/**
 * What a function answers HTTP access: a refusal is a real 4xx (500 for UPSTREAM) with the same
 * `{error}` body a Mini Program gets, and a result is a 200. Anything that is not a RukouError
 * still throws: a function failure.
 */
export async function httpResponse(work: () => Promise<unknown>): Promise<HttpAccessAnswer> {
  try {
    return json(200, await work());
  } catch (error) {
    if (!isRukouError(error)) throw error;
    return json(HTTP_STATUS[error.code], { error: error.toJSON() });
  }
}

const BODY_EXAMPLE = '{"action":"overview","from":"2024-05-01","to":"2024-05-07"}';

/** The JSON body of an HTTP access request: the same `{action, …}` a Mini Program sends. Throws ValidationError (field `body`) for a body that is not a JSON object. */
function httpPayload(event: HttpAccessEvent): Record<string, unknown> {
  const body = event.body ?? '';
  if (typeof body !== 'string') throw new ValidationError(`The request body must be JSON text such as ${BODY_EXAMPLE}.`, 'body');
  const raw = event.isBase64Encoded === true || event.isBase64Encoded === 'true' ? Buffer.from(body, 'base64').toString('utf8') : body;
  if (raw.trim() === '') return isRecord(event.queryStringParameters) ? { ...event.queryStringParameters } : {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (isRecord(parsed)) return parsed;
  } catch {
    // answered below, like any body that is not a JSON object
  }
  throw new ValidationError(`The request body must be a JSON object such as ${BODY_EXAMPLE}.`, 'body');
}

/** The `{action, …}` an operator's call carries: an HTTP access request's JSON body, or the event itself. */
export function payloadOf(event: Record<string, unknown>): Record<string, unknown> {
  return isHttpAccess(event) ? httpPayload(event) : event;
}
