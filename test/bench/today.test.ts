/**
 * The cost bench's check of the operator's `today` (`bench/cost/today.ts`): an entry stored more
 * than a minute after it happened fails it, unless its phone was offline meanwhile.
 */
import { DAY, planDay } from '../../bench/cost/day';
import type { Stored } from '../../bench/cost/check';
import { todayDelays } from '../../bench/cost/today';

const day = planDay({ ...DAY, users: 200 });
const offline = day.steps.find((step) => step.kind === 'offline');
const online = day.steps.find((step) => step.kind === 'online' && step.user === offline?.user);
const offlineUser = day.users[offline?.user ?? 0].openid;
const onlineUser = day.users.find((user) => !day.steps.some((step) => step.kind === 'offline' && day.users[step.user] === user))?.openid ?? '';

const entry = (openid: string, at: number, waitMs: number, type = 'enter'): Stored => ({ _id: `${openid}-${at}`, openid, eventId: `e-${at}`, type, day: DAY.day, at: new Date(at), serverAt: new Date(at + waitMs) });

test('entries within a minute pass; a later one fails only if its phone was online all along', () => {
  const at = Number(offline?.at) + 1000;
  expect(online && online.at > at + 60_000).toBe(true);
  const delays = todayDelays(day, [
    entry(onlineUser, at, 50_000),
    entry(onlineUser, at, 60_000),
    entry(offlineUser, at, Number(online?.at) - at + 1000),
    entry(onlineUser, at, 10 * 60_000, 'page'),
  ]);
  expect(delays).toEqual({ entries: 3, withinMinute: 2, lateOffline: 1, lateOnline: 0, longestOnlineMs: 60_000 });
  expect(todayDelays(day, [entry(onlineUser, at, 61_000)])).toMatchObject({ lateOnline: 1, longestOnlineMs: 61_000 });
});
