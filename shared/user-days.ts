/**
 * User-days (`user_days`, `UserDayDoc`): one document per user and China day, which `track` keeps
 * as it stores a batch, so that a day's rollup groups user-days (one per user) and keys, never
 * (user, key) pairs of events. At a million users and ten million events a day, the rollup's
 * `$group` stages then hold a group per key (a scene, a page, a group chat), far within the cloud's
 * 100 MB, and distinct users stay exact counts: each user-day has each of its keys once.
 *
 * A user-day counts the user's entries of the day (by bucket, category, scene, channel and entry
 * path, with their event times for sessions), the share returns among them (by the depth of the
 * card, with the card for sessions), the group chats they came from, and the user's share events.
 * Page views and hides are not counted: no rollup number reads them. It also holds what the next
 * batch of the day needs to plan: the ids counted (a batch sent again counts once), the day's
 * latest entry (what a share builds on), and copies of the user's first day and first entry time.
 * For retention (`shared/retention.ts`): the keys of the user's first touch (copied like the first
 * day), the keys of the day's earliest entry, and the user's previous day with an entry.
 *
 * @example
 * const count = emptyCount('2024-03-10');
 * countEvent(count, entry);
 * nextUserDay(stored, count, firsts, openid, now) // the document to add, or to write over `stored`
 */
import { entryKeys } from './entry-keys';
import { eventDocId } from './ids';
import { escapeKey } from './keys';
import type { EnterEvent, EntryKeys, ShareEvent, Touch, UserDayDoc } from './model';
import type { SessionEntry } from './session';

/** The `_id` of a user's day. */
export const userDayId = (openid: string, day: string): string => eventDocId(openid, `day:${day}`);

export const MAPS = ['byBucket', 'byCategory', 'byScene', 'byChannel', 'byPage', 'returnDepths', 'groupOpens'] as const;
type MapName = (typeof MAPS)[number];
/** Maps a user-day has once they count something: entries by sharer, by message template, by card rule. */
export const OPTIONAL_MAPS = ['bySharer', 'byMessage', 'byCard'] as const;
type OptionalMapName = (typeof OPTIONAL_MAPS)[number];

/** What a batch's new entries and shares of one day add to its user-day. */
export interface DayCount {
  day: string;
  counted: string[];
  entries: number;
  cold: number;
  times: Date[];
  cards: { at: Date; shareId: string }[];
  /** Counters by map, keys escaped. */
  maps: Record<MapName, Record<string, number>>;
  /** The same, of the maps a user-day has only once they count something. */
  optionalMaps: Record<OptionalMapName, Record<string, number>>;
  shareIntents: number;
  returns: number;
  /** The latest of these entries by event time. */
  latest?: Touch;
  /** The earliest of these entries by event time: its retention keys. */
  dayFirst?: EntryKeys & { at: Date };
}

/** The user's first day, first entry's time and first touch's keys, as the user-days copy them. */
export interface FirstCopies {
  firstDay: string;
  firstAt?: Date;
  firstKeys?: EntryKeys;
}

export function emptyCount(day: string): DayCount {
  const maps = Object.fromEntries(MAPS.map((name) => [name, {}])) as DayCount['maps'];
  const optionalMaps = Object.fromEntries(OPTIONAL_MAPS.map((name) => [name, {}])) as DayCount['optionalMaps'];
  return { day, counted: [], entries: 0, cold: 0, times: [], cards: [], maps, optionalMaps, shareIntents: 0, returns: 0 };
}

/** Own properties only: a key such as `constructor` is a count like any other, never what objects inherit. */
const increment = (map: Record<string, number>, key: string, n: number): void => {
  map[key] = (Object.hasOwn(map, key) ? map[key] : 0) + n;
};

/** Counts a new share event, or a new entry with the touch it makes, into its day's count. */
export function countEvent(count: DayCount, event: EnterEvent | ShareEvent, touch?: Touch): void {
  count.counted.push(event.eventId);
  if (event.type === 'share') {
    count.shareIntents += 1;
    return;
  }
  const add = (map: MapName | OptionalMapName, key: string | number | undefined): void => {
    if (key !== undefined) increment(Object.hasOwn(count.maps, map) ? count.maps[map as MapName] : count.optionalMaps[map as OptionalMapName], escapeKey(String(key)), 1);
  };
  count.entries += 1;
  if (event.cold) count.cold += 1;
  count.times.push(event.at);
  add('byBucket', event.bucket);
  add('byCategory', event.category);
  add('byScene', event.scene);
  add('byChannel', event.channel);
  add('byPage', event.path);
  add('groupOpens', event.groupId);
  // through someone else's card, a re-open aside: the same entries goals credit to a sharer (shared/attribution.ts)
  if (event.share?.sharer !== undefined && !event.share.self && !event.reopen) add('bySharer', event.share.sharer);
  add('byMessage', event.messageOpen);
  add('byCard', event.cardOpen);
  if (event.share?.isReturn) {
    count.returns += 1;
    count.cards.push({ at: event.at, shareId: event.share.shareId });
    add('returnDepths', event.share.depth ?? 'unknown');
  }
  if (touch && (!count.latest || touch.at.getTime() > count.latest.at.getTime())) count.latest = touch;
  if (touch && (!count.dayFirst || touch.at.getTime() < count.dayFirst.at.getTime())) count.dayFirst = { ...entryKeys(touch, event.openid), at: touch.at };
}

const later = <T extends { at: Date }>(a: T | undefined, b: T | undefined): T | undefined => (!a ? b : !b ? a : new Date(b.at).getTime() > new Date(a.at).getTime() ? b : a);
const earlier = <T extends { at: Date }>(a: T | undefined, b: T | undefined): T | undefined => (!a ? b : !b ? a : new Date(b.at).getTime() < new Date(a.at).getTime() ? b : a);
const byTime = (a: Date, b: Date): number => a.getTime() - b.getTime();

/** The first touch's keys of the earlier first entry, the stored copy's or the given one's. */
function firstKeysOf(stored: UserDayDoc | undefined, firsts: FirstCopies): EntryKeys | undefined {
  const given = firsts.firstAt && firsts.firstKeys ? { at: new Date(firsts.firstAt), keys: firsts.firstKeys } : undefined;
  const kept = stored?.firstAt && stored.firstKeys ? { at: new Date(stored.firstAt), keys: stored.firstKeys } : undefined;
  return earlier(kept, given)?.keys;
}

/**
 * The user-day after a batch: `stored` (when there is one) plus the count, with the first-day
 * copies the plan knows (the earlier of the stored and the given), its version bumped. `prevDay`:
 * the user's previous day with an entry, when the plan sets it (the day's first entries, or an
 * earlier day's first entries in the same batch); else the stored one stays.
 */
export function nextUserDay(stored: UserDayDoc | undefined, count: DayCount, firsts: FirstCopies, openid: string, at: Date, prevDay?: string): UserDayDoc {
  const sum = (name: MapName | OptionalMapName, counts: Record<string, number>): Record<string, number> => {
    const map = { ...(stored?.[name] ?? {}) };
    for (const [key, n] of Object.entries(counts)) increment(map, key, n);
    return map;
  };
  const maps = Object.fromEntries(MAPS.map((name) => [name, sum(name, count.maps[name])])) as DayCount['maps'];
  const optional = Object.fromEntries(OPTIONAL_MAPS.map((name) => [name, sum(name, count.optionalMaps[name])]).filter(([, map]) => Object.keys(map).length > 0));
  const firstDay = stored && stored.firstDay < firsts.firstDay ? stored.firstDay : firsts.firstDay;
  const firstAts = [stored?.firstAt, firsts.firstAt].filter((value): value is Date => value !== undefined).map((value) => new Date(value));
  const doc: UserDayDoc = {
    _id: userDayId(openid, count.day),
    openid,
    day: count.day,
    firstDay,
    entries: (stored?.entries ?? 0) + count.entries,
    cold: (stored?.cold ?? 0) + count.cold,
    times: [...(stored?.times ?? []).map((time) => new Date(time)), ...count.times].sort(byTime),
    ...maps,
    ...optional,
    shareIntents: (stored?.shareIntents ?? 0) + count.shareIntents,
    returns: (stored?.returns ?? 0) + count.returns,
    cards: [...(stored?.cards ?? []), ...count.cards],
    counted: [...(stored?.counted ?? []), ...count.counted],
    // a count of shares only leaves the version as it was: see `UserDayWrite`
    v: (stored?.v ?? 0) + (stored && count.entries === 0 ? 0 : 1),
    at,
  };
  if (firstAts.length > 0) doc.firstAt = firstAts.sort(byTime)[0];
  const firstKeys = firstKeysOf(stored, firsts);
  if (firstKeys) doc.firstKeys = firstKeys;
  const latest = later(stored?.latest, count.latest);
  if (latest) doc.latest = latest;
  const dayFirst = earlier(stored?.dayFirst, count.dayFirst);
  if (dayFirst) doc.dayFirst = dayFirst;
  const previous = prevDay ?? stored?.prevDay;
  if (previous !== undefined) doc.prevDay = previous;
  return doc;
}

/**
 * A user-day's entries as sessions need them (`shared/session.ts`), leaving out those being
 * stored again (`except`: entries the user-day counted whose events a crash kept from being
 * stored), which must not meet themselves. An entry's time is recomputed at each delivery, so the
 * one left out is the nearest in time with the same card, not one at exactly that time.
 */
export function sessionEntriesOf(doc: UserDayDoc | undefined, except: readonly { at: Date; card?: string }[] = []): SessionEntry[] {
  if (!doc) return [];
  const cards = new Map<number, string[]>();
  for (const { at, shareId } of doc.cards) cards.set(new Date(at).getTime(), [...(cards.get(new Date(at).getTime()) ?? []), shareId]);
  const entries: SessionEntry[] = doc.times.map((time) => {
    const at = new Date(time).getTime();
    const card = cards.get(at)?.shift();
    return card === undefined ? { at } : { at, card };
  });
  for (const gone of except) {
    let nearest = -1;
    entries.forEach((entry, index) => {
      const distance = (i: number): number => Math.abs(entries[i].at - gone.at.getTime());
      if (entry.card === gone.card && (nearest < 0 || distance(index) < distance(nearest))) nearest = index;
    });
    if (nearest >= 0) entries.splice(nearest, 1);
  }
  return entries;
}
