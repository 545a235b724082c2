import { createHash, timingSafeEqual } from 'node:crypto';
import { PermissionError } from '../shared/errors';
import { caller } from './cloud';
import type { ServerConfig } from './config';
import { isHttpAccess } from './http-access';
import type { Database, RequestCounter } from './pipeline';

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
