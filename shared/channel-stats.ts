/**
 * The operator's channels over a range of days (`admin` `channels`), from the daily rollups and the
 * registry (`channels`). Pure: `server/stats.ts` reads, this computes.
 *
 * Range numbers are sums of the days' numbers, as every range stat is: `userDays` where a day says
 * `users` (someone who came on two days is two user-days); `newUsers` and `firstTouch` add up
 * exactly, each user being new on one day and a first touch of one key. What each key is (its
 * name, kind, group, whether it is archived, its code or link) is the registry's now; the rollups'
 * kinds and groups are the registry's when each day was rolled up.
 *
 * `limit` cuts each list, never a count: each says how many it has in all (`keys`, `unknown.keys`,
 * `groups`, `firstTouchSeries.keys`, `dead.total`), counted exactly from the rollups and the
 * registry the answer is computed from, so that the counts cost no request of their own.
 *
 * @example
 * channelStats({ from: '2024-05-01', to: '2024-05-07', limit: 20, series: 5 }, rollups, registry)
 * // → { keys: 134, channels: [{ key: 'poster-7', entries: 31, …, channel: { name: '南京路店海报', kind: 'wxacode', … } }, … 20 rows], unknown: …, dead: … }
 */
import { escapeKey, unescapeKey } from './keys';
import type { ChannelDoc } from './model';
import { ratio } from './ratio';
import type { ChannelCounts, RollupDoc } from './rollup';
import { addDays, chinaDay, dayRange, daysBetween, FIRST_DAY } from './time';
import { missingDays } from './stats';

/** A channel is dead when it brought no entry in this many days: the 7 days ending on the range's last. */
export const DEAD_DAYS = 7;

/** A key's, kind's or group's numbers over the range. */
export interface ChannelSums {
  entries: number;
  userDays: number;
  newUsers: number;
  firstTouch: number;
}

/** What the answer shows of a registered channel: its registry document but the bookkeeping. */
export type RegistryEntry = Omit<ChannelDoc, '_id' | 'updatedAt' | 'v'>;

export interface ChannelRow extends ChannelSums {
  key: string;
  /** The key's part of all entries in the range. */
  share: number;
  /** The registry's channel of that key, or null for an unknown key. */
  channel: RegistryEntry | null;
}

export interface ChannelsAnswer {
  from: string;
  to: string;
  /** How many keys had an entry in the range: `channels` in all, before `limit` cut it. */
  keys: number;
  /** Every key with an entry in the range, registered or not, most entries first (ties by key), at most `limit`. */
  channels: ChannelRow[];
  /** The keys the registry does not have: how many, their entries, and the first `limit` of them. */
  unknown: { keys: number; entries: number; channels: ChannelRow[] };
  /** Every kind counted, and every kind the registry has, with how many channels it has of it. */
  byKind: (ChannelSums & { kind: string; channels: number })[];
  /** How many groups `byGroup` has in all, before `limit` cut it. */
  groups: number;
  /** Groups as `byKind`, most entries first, at most `limit`. */
  byGroup: (ChannelSums & { group: string; channels: number })[];
  /**
   * The `series` keys with the most first touches in the range, day by day, of the `keys` that
   * have any; `others`: every other key's, day by day.
   */
  firstTouchSeries: { days: string[]; keys: number; channels: { key: string; name?: string; firstTouch: number; daily: number[] }[]; others: number[] };
  /** Registry channels, not archived, created before `from`, with no entry from `from` to `to`: the oldest first, at most `limit`. */
  dead: { from: string; to: string; total: number; channels: (RegistryEntry & { key: string })[]; missingDays: string[] };
  /** Days of the range with no rollup. */
  missingDays: string[];
  /** Days of the range whose rollup was written before first touches, kinds and groups were counted (`rollup-5`): backfill them to count those. */
  daysToBackfill: string[];
}

export interface ChannelsRequest {
  from: string;
  to: string;
  limit: number;
  series: number;
}

/** The days `dead` looks at: the `DEAD_DAYS` days ending on `to` (in the calendar's first week, the days there are). */
export const deadWindow = (to: string): { from: string; to: string } => ({ from: daysBetween(FIRST_DAY, to) < DEAD_DAYS ? FIRST_DAY : addDays(to, 1 - DEAD_DAYS), to });

/** A map's counts of a key: its own property only, never what every object inherits (`constructor`). */
const countsOf = (map: Record<string, ChannelCounts> | undefined, key: string): ChannelCounts | undefined => (map && Object.hasOwn(map, key) ? map[key] : undefined);

const zero = (): ChannelSums => ({ entries: 0, userDays: 0, newUsers: 0, firstTouch: 0 });

/** One map of each rollup summed by key, keys unescaped; in a Map, where a key such as `constructor` is a key like any other. */
function summed(maps: (Record<string, ChannelCounts> | undefined)[]): Map<string, ChannelSums> {
  const sums = new Map<string, ChannelSums>();
  for (const map of maps) {
    for (const [escaped, counts] of Object.entries(map ?? {})) {
      const key = unescapeKey(escaped);
      const sum = sums.get(key) ?? zero();
      sum.entries += counts.entries;
      sum.userDays += counts.users;
      sum.newUsers += counts.newUsers;
      // documents written before rollup-5 have none: daysToBackfill names their days
      sum.firstTouch += counts.firstTouch ?? 0;
      sums.set(key, sum);
    }
  }
  return sums;
}

const byEntries = <T extends { entries: number }>([ka, a]: [string, T], [kb, b]: [string, T]): number => b.entries - a.entries || (ka < kb ? -1 : ka > kb ? 1 : 0);

function viewOf(doc: ChannelDoc): RegistryEntry {
  const view: Partial<ChannelDoc> = { ...doc };
  delete view._id;
  delete view.updatedAt;
  delete view.v;
  return view as RegistryEntry;
}

/** How many registry channels have each value of `of` (a kind, a group). */
function registeredBy(registry: readonly ChannelDoc[], of: (doc: ChannelDoc) => string | undefined): Map<string, number> {
  const counts = new Map<string, number>();
  for (const doc of registry) {
    const value = of(doc);
    if (value) counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return counts;
}

/** Sums by kind or group joined with how many registry channels each has (none counted is zeros), most entries first. */
function classRows(sums: Map<string, ChannelSums>, registered: Map<string, number>): [string, ChannelSums & { channels: number }][] {
  const names = new Set([...sums.keys(), ...registered.keys()]);
  return [...names].map((name): [string, ChannelSums & { channels: number }] => [name, { ...(sums.get(name) ?? zero()), channels: registered.get(name) ?? 0 }]).sort(byEntries);
}

/**
 * The channels of [from, to]: `docs` are the stored rollups of the range and of the days `dead`
 * looks at (`deadWindow(to)`), `registry` the operator's channels.
 */
export function channelStats(request: ChannelsRequest, docs: readonly RollupDoc[], registry: readonly ChannelDoc[]): ChannelsAnswer {
  const { from, to, limit, series } = request;
  const days = dayRange(from, to);
  const byDay = new Map(docs.map((doc) => [doc._id, doc]));
  const inRange = days.flatMap((day) => byDay.get(day) ?? []);
  const registered = new Map(registry.map((doc) => [doc._id, doc]));
  const all = inRange.reduce((n, doc) => n + doc.totals.entries, 0);

  const keys = [...summed(inRange.map((doc) => doc.byChannel))].sort(byEntries);
  const rowOf = ([key, sums]: [string, ChannelSums]): ChannelRow => {
    const doc = registered.get(key);
    return { key, ...sums, share: ratio(sums.entries, all), channel: doc ? viewOf(doc) : null };
  };
  const unknown = keys.filter(([key]) => !registered.has(key));

  const kinds = classRows(summed(inRange.map((doc) => doc.byChannelKind)), registeredBy(registry, (doc) => doc.kind));
  const groups = classRows(summed(inRange.map((doc) => doc.byChannelGroup)), registeredBy(registry, (doc) => doc.group));

  const firstTouchOn = (day: string, key: string): number => countsOf(byDay.get(day)?.byChannel, escapeKey(key))?.firstTouch ?? 0;
  const touching = keys.filter(([, sums]) => sums.firstTouch > 0);
  const followed = [...touching]
    .sort(([ka, a], [kb, b]) => b.firstTouch - a.firstTouch || (ka < kb ? -1 : 1))
    .slice(0, series)
    .map(([key, sums]) => {
      const name = registered.get(key)?.name;
      return { key, ...(name === undefined ? {} : { name }), firstTouch: sums.firstTouch, daily: days.map((day) => firstTouchOn(day, key)) };
    });
  const others = days.map((day, i) => {
    const every = Object.values(byDay.get(day)?.byChannel ?? {}).reduce((n, counts) => n + (counts.firstTouch ?? 0), 0);
    return every - followed.reduce((n, row) => n + row.daily[i], 0);
  });

  const window = deadWindow(to);
  const windowDays = dayRange(window.from, window.to);
  const brought = (key: string): boolean => windowDays.some((day) => (countsOf(byDay.get(day)?.byChannel, escapeKey(key))?.entries ?? 0) > 0);
  // a window without a single rollup says nothing of who scanned what: nobody is called dead on it
  const known = windowDays.some((day) => byDay.has(day));
  const dead = registry
    .filter((doc) => known && !doc.archived && chinaDay(new Date(doc.createdAt)) < window.from && !brought(doc._id))
    .sort((a, b) => new Date(a.createdAt).getTime() - new Date(b.createdAt).getTime() || (a._id < b._id ? -1 : 1));

  return {
    from,
    to,
    keys: keys.length,
    channels: keys.slice(0, limit).map(rowOf),
    unknown: { keys: unknown.length, entries: unknown.reduce((n, [, sums]) => n + sums.entries, 0), channels: unknown.slice(0, limit).map(rowOf) },
    byKind: kinds.map(([kind, sums]) => ({ kind, ...sums })),
    groups: groups.length,
    byGroup: groups.slice(0, limit).map(([group, sums]) => ({ group, ...sums })),
    firstTouchSeries: { days, keys: touching.length, channels: followed, others },
    dead: { ...window, total: dead.length, channels: dead.slice(0, limit).map((doc) => ({ key: doc._id, ...viewOf(doc) })), missingDays: missingDays(windowDays, docs) },
    missingDays: missingDays(days, docs),
    daysToBackfill: inRange.filter((doc) => doc.byChannelKind === undefined).map((doc) => doc._id),
  };
}
