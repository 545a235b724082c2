/**
 * The bench's check that no event was counted twice: what the rollup adds up is the user-days, not
 * the events, so a retry that stored its events once but counted them again in the user-day (the
 * answer lost after the user-day's write) would pass the delivery check and still inflate every
 * number. For each user-day: its counted ids are distinct, and are exactly the user's stored
 * entries and shares of that day; its entries, entry times and share taps are as many.
 */
import type cloud from 'wx-server-sdk';
import { readAll, type Stored } from './check';

type Database = ReturnType<typeof cloud.database>;

/** What the check reads of a user-day. */
export interface CountedDay {
  _id: string;
  openid: string;
  day: string;
  entries: number;
  shareIntents: number;
  times: unknown[];
  counted: string[];
}

export interface CountCheck {
  userDays: number;
  entries: number;
  shares: number;
  /** Ids a user-day holds more than once. */
  countedTwice: number;
  /** Stored entries and shares no user-day of their user and day counted. */
  notCounted: number;
  /** Ids counted that are no stored entry or share of that user and day. */
  strangers: number;
  /** User-days whose entries, entry times or share taps differ from their stored events. */
  miscounted: number;
  ok: boolean;
}

/** Every user-day's counts and counted ids. */
export const storedUserDays = (db: Database): Promise<CountedDay[]> => readAll<CountedDay>(db, 'user_days', ['openid', 'day', 'entries', 'shareIntents', 'times', 'counted']);

export function checkCounts(userDays: readonly CountedDay[], events: readonly Stored[]): CountCheck {
  const key = (openid: string, day: string): string => `${openid} ${day}`;
  const stored = new Map<string, { entries: Set<string>; shares: Set<string> }>();
  for (const event of events) {
    if (event.type !== 'enter' && event.type !== 'share') continue;
    const own = stored.get(key(event.openid, event.day)) ?? { entries: new Set<string>(), shares: new Set<string>() };
    (event.type === 'enter' ? own.entries : own.shares).add(event.eventId);
    stored.set(key(event.openid, event.day), own);
  }
  const check: CountCheck = { userDays: userDays.length, entries: 0, shares: 0, countedTwice: 0, notCounted: 0, strangers: 0, miscounted: 0, ok: false };
  const seen = new Set<string>();
  for (const userDay of userDays) {
    const own = stored.get(key(userDay.openid, userDay.day)) ?? { entries: new Set<string>(), shares: new Set<string>() };
    seen.add(key(userDay.openid, userDay.day));
    const counted = new Set(userDay.counted);
    check.countedTwice += userDay.counted.length - counted.size;
    for (const id of counted) if (!own.entries.has(id) && !own.shares.has(id)) check.strangers++;
    for (const id of [...own.entries, ...own.shares]) if (!counted.has(id)) check.notCounted++;
    if (userDay.entries !== own.entries.size || userDay.times.length !== own.entries.size || userDay.shareIntents !== own.shares.size) check.miscounted++;
    check.entries += userDay.entries;
    check.shares += userDay.shareIntents;
  }
  for (const [where, own] of stored) if (!seen.has(where)) check.notCounted += own.entries.size + own.shares.size;
  check.ok = check.countedTwice === 0 && check.notCounted === 0 && check.strangers === 0 && check.miscounted === 0;
  return check;
}
