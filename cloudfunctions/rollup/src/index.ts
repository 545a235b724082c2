/**
 * Daily rollups. The timer (config.json: every 20 minutes from 00:17 to 02:57 Beijing time) rolls up
 * yesterday and re-rolls each of the seven days before it that received events since its rollup,
 * as many as fit in a run, leaving the rest to its next run; an operator may backfill up to 92 days per call.
 * Its timeout (cloudbaserc.json) is the platform's maximum, 60 s, on purpose: a run is billed for
 * the time it takes, not for its limit, and a run cut off stores nothing for the days it had left.
 * Each day costs time in proportion to its events, so a long backfill of busy days needs several calls:
 *
 * @example
 * // from an operator's Mini Program, `npx rukou invoke rollup --openid <operator>`, or HTTP access with an operator's bearer token
 * { "action": "backfill", "from": "2024-05-01", "to": "2024-05-31" }
 */
import { getCloud } from '../../../server/cloud';
import { serverConfig } from '../../../server/config';
import { handler, route } from '../../../server/handler';
import { payloadOf } from '../../../server/http-access';
import { requireOperator } from '../../../server/operators';
import { RequestCounter } from '../../../server/pipeline';
import { dailyRun } from '../../../server/rollup';
import { STATS_ACTIONS } from '../../../server/stats';
import { isTimerEvent } from '../../../server/timer';

const config = serverConfig();
const operatorActions = route({ backfill: STATS_ACTIONS.backfill });

export const main = handler(async (event) => {
  const db = getCloud().database();
  const counter = new RequestCounter();
  const timer = isTimerEvent(event);
  // peak memory is reported so that operators (and the benchmark) see how close a run is to the limit
  if (timer) return { ...(await dailyRun(db, timer, { eventDays: config.retentionDays, userDays: config.userDayRetentionDays }, config.rollupBudgetMs, counter)), peakMemoryMB: Math.round(process.resourceUsage().maxRSS / 1024) };
  await requireOperator(db, event, config, counter);
  const answer = await operatorActions(payloadOf(event), { db, counter, now: () => new Date(), rollupBudgetMs: config.rollupBudgetMs, retentionDays: config.retentionDays });
  return { ...(answer as object), databaseRequests: counter.count };
});
