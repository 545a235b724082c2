/**
 * How far behind the operator's `today` the day's entries were: for each stored entry, from when
 * it happened to when `track` stored it, both on the server's clock (an event's time is the
 * phone's own time corrected by its batch's `sentAt`, so a wrong phone clock does not count). The
 * goal is a minute at most for a phone that was online all along; an offline phone's entries wait
 * for the network, however long that takes.
 */
import type { Day } from './day';
import type { Stored } from './check';

const MINUTE = 60_000;

export interface TodayDelays {
  entries: number;
  withinMinute: number;
  /** Later than a minute, from a phone that was offline at some time between the entry and its storing. */
  lateOffline: number;
  /** Later than a minute, from a phone online all along: what the goal forbids. */
  lateOnline: number;
  /** The longest wait of an entry from a phone online all along. */
  longestOnlineMs: number;
}

/** Each user's offline stretches, on the day's time line. */
function offlineStretches(day: Day): Map<string, [number, number][]> {
  const stretches = new Map<string, [number, number][]>();
  for (const step of day.steps) {
    const openid = day.users[step.user].openid;
    const own = stretches.get(openid) ?? [];
    if (step.kind === 'offline') own.push([step.at, Infinity]);
    if (step.kind === 'online' && own.length > 0) own[own.length - 1][1] = step.at;
    stretches.set(openid, own);
  }
  return stretches;
}

export function todayDelays(day: Day, stored: readonly Stored[]): TodayDelays {
  const offline = offlineStretches(day);
  const delays: TodayDelays = { entries: 0, withinMinute: 0, lateOffline: 0, lateOnline: 0, longestOnlineMs: 0 };
  for (const event of stored) {
    if (event.type !== 'enter') continue;
    const at = new Date(event.at).getTime();
    const storedAt = new Date(event.serverAt).getTime();
    const wasOffline = (offline.get(event.openid) ?? []).some(([from, to]) => from < storedAt && to > at);
    delays.entries++;
    if (storedAt - at <= MINUTE) delays.withinMinute++;
    else if (wasOffline) delays.lateOffline++;
    else delays.lateOnline++;
    if (!wasOffline) delays.longestOnlineMs = Math.max(delays.longestOnlineMs, storedAt - at);
  }
  return delays;
}
