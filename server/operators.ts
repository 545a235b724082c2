import { createHash, timingSafeEqual } from 'node:crypto';
import { isRukouError, PermissionError, ValidationError, type ErrorCode } from '../shared/errors';
import { isRecord } from '../shared/input';
import { caller } from './cloud';
import type { ServerConfig } from './config';
import type { Database, RequestCounter } from './pipeline';

/**
 * The event a function receives through CloudBase HTTP access (the "integration request"):
 * https://cloud.tencent.com/document/product/876/41776. Only `httpMethod` and `headers` are known
 * to have their shape (isHttpAccess checks them); the rest is read with care.
 */
export interface HttpAccessEvent {
  path?: unknown;
  httpMethod: string;
  headers: Record<string, unknown>;
  queryStringParameters?: unknown;
  body?: unknown;
  isBase64Encoded?: unknown;
  requestContext?: unknown;
}

export function isHttpAccess(event: Record<string, unknown>): event is Record<string, unknown> & HttpAccessEvent {
  return typeof event.httpMethod === 'string' && isRecord(event.headers);
}

/** The HTTP status HTTP access answers each refusal with (README: 4xx, 500 for UPSTREAM). */
const HTTP_STATUS: Record<ErrorCode, number> = { INVALID_INPUT: 400, NO_IDENTITY: 401, NOT_OPERATOR: 403, NOT_WECHAT: 403, NOT_FOUND: 404, CONFLICT: 409, LIMIT_EXCEEDED: 400, UPSTREAM: 500 };

/**
 * What a function answers HTTP access: an integration response, so that a refusal is a real 4xx
 * (500 for UPSTREAM) with the same `{error}` body a Mini Program gets, and a result is a 200.
 * Anything that is not a RukouError still throws: a function failure.
 */
export async function httpResponse(work: () => Promise<unknown>): Promise<unknown> {
  const json = (statusCode: number, body: unknown): unknown => ({ statusCode, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(body), isBase64Encoded: false });
  try {
    return json(200, await work());
  } catch (error) {
    if (!isRukouError(error)) throw error;
    return json(HTTP_STATUS[error.code], { error: error.toJSON() });
  }
}

const BODY_EXAMPLE = '{"action":"overview","from":"2024-05-01","to":"2024-05-07"}';

/** The JSON body of an HTTP access request: the same `{action, …}` a Mini Program sends. */
export function httpPayload(event: HttpAccessEvent): Record<string, unknown> {
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

function bearerToken(headers: Record<string, unknown>): string | undefined {
  const value = Object.entries(headers).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
  const match = typeof value === 'string' ? /^Bearer\s+(\S+)$/i.exec(value) : null;
  return match?.[1];
}

/** Compares the token's digest with every accepted digest, in constant time and without stopping early. */
export function tokenAccepted(token: string | undefined, acceptedSha256: readonly string[]): boolean {
  if (!token) return false;
  const digest = createHash('sha256').update(token).digest();
  let accepted = false;
  for (const hex of acceptedSha256) {
    if (timingSafeEqual(digest, Buffer.from(hex, 'hex'))) accepted = true;
  }
  return accepted;
}

export interface Operator {
  /** `openid:<openid>` or `token` (HTTP access): written into logs, never a secret. */
  who: string;
}

function refuse(reason: string, details: Record<string, unknown>, message?: string): never {
  console.warn(JSON.stringify({ refused: 'NOT_OPERATOR', reason, ...details }));
  throw new PermissionError(message);
}

/**
 * Lets operators through and refuses everyone else (logged): a bearer token over HTTP access,
 * otherwise the caller's OPENID listed in RUKOU_OPERATORS or in the `admins` collection.
 */
export async function requireOperator(db: Database, event: Record<string, unknown>, config: ServerConfig, counter: RequestCounter): Promise<Operator> {
  const who = caller();
  if (isHttpAccess(event)) {
    if (tokenAccepted(bearerToken(event.headers), config.adminTokenSha256)) return { who: 'token' };
    refuse('no accepted bearer token over HTTP access', { path: event.path, source: who.source }, 'Only operators may do this: send "Authorization: Bearer <token>" with a token whose SHA-256 is in RUKOU_ADMIN_TOKEN_SHA256.');
  }
  if (!who.openid) refuse('no OPENID and not HTTP access', { source: who.source });
  if (config.operators.has(who.openid)) return { who: `openid:${who.openid}` };
  counter.count += 1;
  const found = (await db.collection('admins').where({ _id: who.openid }).limit(1).get()) as { data?: unknown[] };
  if (found.data && found.data.length > 0) return { who: `openid:${who.openid}` };
  return refuse('OPENID is not an operator', { openid: who.openid, source: who.source });
}
