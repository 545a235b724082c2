/**
 * User-days (`user_days`): one small document per user and China day, which `track` keeps with
 * increments only, so that a day's rollup groups user-days (one per user) and keys, never
 * (user, key) pairs of events. At a million users and ten million events a day, the rollup's
 * `$group` stages then hold a group per key (a scene, a page, a group chat), within the cloud's
 * 100 MB, and distinct users stay exact counts: each user-day has each of its keys once.
 *
 * What a user-day counts: the user's entries of the day (by bucket, category, scene, channel and
 * entry path, with their event times for sessions), the share returns among them (by the depth of
 * the card, and whether the user is new), the group chats they came from, and the user's share
 * events. Page views and hides are not counted here: no rollup number reads them.
 *
 * Counting is made idempotent by `counted`, the ids of the events a user-day has counted: an
 * increment applies only when none of its events is among them, so a batch the phone sends again
 * (after a lost answer, or a crash between this write and the events') counts once.
 *
 * @example
 * const deltas = userDayDeltas(plan.events);
 * // one per day the batch has entries or shares on: add it as a new document, or apply its increments
 */
import { eventDocId } from './ids';
import { escapeKey } from './keys';
import type { EnterEvent, ShareEvent, StoredEvent } from './model';

/** One user's day. Keys of the maps are escaped (`shared/keys.ts`). */
export interface UserDayDoc {
  /** `userDayId(openid, day)`. */
  _id: string;
  openid: string;
  day: string;
  /** The user's first day as known by the writes so far (the smallest they said); a revision corrects it. */
  firstDay: string;
  entries: number;
  cold: number;
  /** The entries' event times, ascending: a day's sessions are counted from them. */
  times: Date[];
  byBucket: Record<string, number>;
  byCategory: Record<string, number>;
  byScene: Record<string, number>;
  byChannel: Record<string, number>;
  byPage: Record<string, number>;
  /** `share` events: taps on share. */
  shareIntents: number;
  /** Entries that were share returns, and how many by the depth of the card. */
  returns: number;
  returnDepths: Record<string, number>;
  /** Entries from each group chat, by openGId. */
  groupOpens: Record<string, number>;
  /** The `_id`s of the events counted. */
  counted: string[];
  /** When it was last written (server time). */
  at: Date;
}

/** What a batch adds to one user-day. */
export interface UserDayDelta {
  _id: string;
  openid: string;
  day: string;
  firstDay: string;
  counted: string[];
  entries: number;
  cold: number;
  times: Date[];
  /** Counters of the maps by their field path (`byScene.1007`, `returnDepths.2` …): what to add. */
  counters: Record<string, number>;
  shareIntents: number;
  returns: number;
}

/** The `_id` of a user's day. */
export const userDayId = (openid: string, day: string): string => eventDocId(openid, `day:${day}`);

type MapName = 'byBucket' | 'byCategory' | 'byScene' | 'byChannel' | 'byPage' | 'returnDepths' | 'groupOpens';

const isCounted = (event: StoredEvent): event is EnterEvent | ShareEvent => event.type === 'enter' || event.type === 'share';

/**
 * The user-day deltas of a caller's new events, one per day they fall on (entries and shares
 * only), with the smallest first day the events say.
 */
export function userDayDeltas(events: readonly StoredEvent[]): UserDayDelta[] {
  const byDay = new Map<string, UserDayDelta>();
  for (const event of events.filter(isCounted)) {
    let delta = byDay.get(event.day);
    if (!delta) {
      delta = { _id: userDayId(event.openid, event.day), openid: event.openid, day: event.day, firstDay: event.firstDay, counted: [], entries: 0, cold: 0, times: [], counters: {}, shareIntents: 0, returns: 0 };
      byDay.set(event.day, delta);
    }
    if (event.firstDay < delta.firstDay) delta.firstDay = event.firstDay;
    delta.counted.push(event._id);
    if (event.type === 'share') delta.shareIntents += 1;
    else countEntry(delta, event);
  }
  return [...byDay.values()];
}

function countEntry(delta: UserDayDelta, entry: EnterEvent): void {
  const add = (map: MapName, key: string | number | undefined): void => {
    if (key === undefined) return;
    const path = `${map}.${escapeKey(String(key))}`;
    delta.counters[path] = (delta.counters[path] ?? 0) + 1;
  };
  delta.entries += 1;
  if (entry.cold) delta.cold += 1;
  delta.times.push(entry.at);
  add('byBucket', entry.bucket);
  add('byCategory', entry.category);
  add('byScene', entry.scene);
  add('byChannel', entry.channel);
  add('byPage', entry.path);
  add('groupOpens', entry.groupId);
  if (entry.share?.isReturn) {
    delta.returns += 1;
    add('returnDepths', entry.share.depth ?? 'unknown');
  }
}

/** A new user-day holding exactly one delta, written at `at`. */
export function userDayDoc(delta: UserDayDelta, at: Date): UserDayDoc {
  const doc: UserDayDoc = {
    _id: delta._id,
    openid: delta.openid,
    day: delta.day,
    firstDay: delta.firstDay,
    entries: delta.entries,
    cold: delta.cold,
    times: [...delta.times].sort((a, b) => a.getTime() - b.getTime()),
    byBucket: {},
    byCategory: {},
    byScene: {},
    byChannel: {},
    byPage: {},
    shareIntents: delta.shareIntents,
    returns: delta.returns,
    returnDepths: {},
    groupOpens: {},
    counted: [...delta.counted],
    at,
  };
  for (const [path, n] of Object.entries(delta.counters)) {
    const dot = path.indexOf('.');
    // keys are escaped: the first dot ends the map's name, and the key holds none
    Object.defineProperty(doc[path.slice(0, dot) as MapName], path.slice(dot + 1), { value: n, enumerable: true, writable: true, configurable: true });
  }
  return doc;
}

/** The delta of a batch restricted to the events a user-day has not counted yet (after a lost answer). */
export function uncountedDelta(events: readonly StoredEvent[], day: string, counted: ReadonlySet<string>): UserDayDelta | undefined {
  return userDayDeltas(events.filter((event) => event.day === day && !counted.has(event._id)))[0];
}
