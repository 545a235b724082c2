/**
 * The operators' function: stats, backfill, the service cards' rules and the channels (codes and
 * links), for operators only (an OPENID in `admins` or RUKOU_OPERATORS; over HTTP access, a bearer
 * token whose SHA-256 is in RUKOU_ADMIN_TOKEN_SHA256). Its timer (daily, 03:37 Beijing time) renews
 * the schemes and links about to expire.
 *
 * @example
 * // Mini Program admin page
 * wx.cloud.callFunction({ name: 'admin', data: { action: 'overview', from: '2024-05-01', to: '2024-05-07' } })
 * wx.cloud.callFunction({ name: 'admin', data: { action: 'createChannel', kind: 'wxacode', key: 'store-12', name: '南山店', page: 'pages/index/index' } })
 * // web dashboard, through HTTP access
 * fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ action: 'today' }) })
 */
import { caller, getCloud } from '../../../server/cloud';
import { serverConfig } from '../../../server/config';
import { handler, route } from '../../../server/handler';
import { CARD_ACTIONS } from '../../../server/cards';
import { CHANNEL_ACTIONS, renewDue, type ChannelsContext } from '../../../server/channels';
import { payloadOf } from '../../../server/http-access';
import { requireOperator } from '../../../server/operators';
import { RequestCounter } from '../../../server/pipeline';
import { STATS_ACTIONS, type StatsContext } from '../../../server/stats';
import { isTimerEvent } from '../../../server/timer';

const config = serverConfig();
const actions = route<StatsContext & ChannelsContext>({ ...STATS_ACTIONS, ...CARD_ACTIONS, ...CHANNEL_ACTIONS });

async function serve(event: Record<string, unknown>): Promise<unknown> {
  const db = getCloud().database();
  const now = (): Date => new Date();
  if (isTimerEvent(event)) return renewDue({ db, now });
  const counter = new RequestCounter();
  await requireOperator(db, event, config, counter);
  const appid = config.appid ?? caller().appid;
  return actions(payloadOf(event), { db, counter, now, rollupBudgetMs: config.rollupBudgetMs, retentionDays: config.retentionDays, ...(appid ? { appid } : {}) });
}

export const main = handler(serve);
