/**
 * The operators' function: stats, backfill and the service cards' rules, for operators only (an OPENID in `admins` or
 * RUKOU_OPERATORS; over HTTP access, a bearer token whose SHA-256 is in RUKOU_ADMIN_TOKEN_SHA256).
 *
 * @example
 * // Mini Program admin page
 * wx.cloud.callFunction({ name: 'admin', data: { action: 'overview', from: '2024-05-01', to: '2024-05-07' } })
 * // web dashboard, through HTTP access
 * fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ action: 'today' }) })
 */
import { isRukouError } from '../../../shared/errors';
import { getCloud } from '../../../server/cloud';
import { serverConfig } from '../../../server/config';
import { handler, route } from '../../../server/handler';
import { httpPayload, isHttpAccess, requireOperator } from '../../../server/operators';
import { CARD_ACTIONS } from '../../../server/cards';
import { RequestCounter } from '../../../server/pipeline';
import { STATS_ACTIONS, type StatsContext } from '../../../server/stats';

const config = serverConfig();
const actions = route<StatsContext>({ ...STATS_ACTIONS, ...CARD_ACTIONS });

async function serve(event: Record<string, unknown>): Promise<unknown> {
  const db = getCloud().database();
  const counter = new RequestCounter();
  await requireOperator(db, event, config, counter);
  const payload = isHttpAccess(event) ? httpPayload(event) : event;
  return actions(payload, { db, counter, now: () => new Date(), backfillBudgetMs: config.backfillBudgetMs });
}

const STATUS: Record<string, number> = { INVALID_INPUT: 400, NO_IDENTITY: 401, NOT_OPERATOR: 403, NOT_FOUND: 404, LIMIT_EXCEEDED: 400 };

/** HTTP access answers an integration response, so that a refusal is a real 4xx for the dashboard. */
async function serveHttp(event: Record<string, unknown>): Promise<unknown> {
  const json = (statusCode: number, body: unknown): unknown => ({ statusCode, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(body), isBase64Encoded: false });
  try {
    return json(200, await serve(event));
  } catch (error) {
    if (!isRukouError(error)) throw error;
    return json(STATUS[error.code] ?? 500, { error: error.toJSON() });
  }
}

export const main = handler(async (event) => (isHttpAccess(event) ? serveHttp(event) : serve(event)));
