import { RukouError } from '../shared/errors';
import type { StoredEvent } from '../shared/model';
import { uncountedDelta, userDayDeltas, userDayDoc, type UserDayDelta } from '../shared/user-days';
import { documentsOf, isDuplicateKey, updatedCount, type Database } from './pipeline';

/** Tries of one user-day against racing writes of the same user and day before the batch is refused (the tracker sends it again). */
const ATTEMPTS = 3;

/** Adds a new user-day holding the delta; false when it exists already (another write came first). */
async function add(db: Database, delta: UserDayDelta, now: Date): Promise<boolean> {
  try {
    await db.collection('user_days').add({ data: userDayDoc(delta, now) });
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}

/** Applies the delta's increments where the user-day counted none of its events; false when it did not apply. */
async function increment(db: Database, delta: UserDayDelta, now: Date): Promise<boolean> {
  const _ = db.command;
  const counters = Object.fromEntries(Object.entries(delta.counters).map(([path, n]) => [path, _.inc(n)]));
  const data = {
    ...counters,
    entries: _.inc(delta.entries),
    cold: _.inc(delta.cold),
    times: _.push({ each: delta.times, sort: 1 }),
    shareIntents: _.inc(delta.shareIntents),
    returns: _.inc(delta.returns),
    // the SDK types min() for numbers; the database compares days as strings, which sort as days
    firstDay: _.min(delta.firstDay as unknown as number),
    counted: _.push({ each: delta.counted }),
    at: now,
  };
  return updatedCount(await db.collection('user_days').where({ _id: delta._id, counted: _.nin(delta.counted) }).update({ data })) === 1;
}

/**
 * Counts a caller's new events into their user-days (`shared/user-days.ts`): for each day, one
 * `add` when the day is likely new to the user (`likelyNew`: after their latest entry), else one
 * conditional update of increments. When that does not apply — the day existed after all, or
 * some of the events were counted already (a batch sent again) — the user-day is read and what it
 * has not counted is applied, a few times at most. Each event is counted once, whatever happens.
 */
export async function countUserDays(db: Database, events: readonly StoredEvent[], likelyNew: (day: string) => boolean, now: Date): Promise<void> {
  for (let delta of userDayDeltas(events)) {
    if (likelyNew(delta.day) && (await add(db, delta, now))) continue;
    for (let attempt = 1; ; attempt++) {
      if (await increment(db, delta, now)) break;
      const stored = documentsOf<{ counted: string[] }>(await db.collection('user_days').where({ _id: delta._id }).field({ counted: true }).get(), 'user_days')[0];
      if (!stored) {
        if (await add(db, delta, now)) break;
      } else {
        const rest = uncountedDelta(events, delta.day, new Set(stored.counted));
        if (!rest) break;
        delta = rest;
      }
      if (attempt === ATTEMPTS) throw new RukouError('UPSTREAM', 'the day was being counted by other deliveries at the same time; send the batch again');
    }
  }
}
