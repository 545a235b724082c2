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
import { getCloud } from '../../../server/cloud';
import { serverConfig } from '../../../server/config';
import { handler, route } from '../../../server/handler';
import { CARD_ACTIONS } from '../../../server/cards';
import { httpPayload, httpResponse, isHttpAccess, requireOperator } from '../../../server/operators';
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

export const main = handler(async (event) => (isHttpAccess(event) ? httpResponse(() => serve(event)) : serve(event)));
