/**
 * Channels in the daily rollup, beyond the entries, users and new users of each key that
 * `shared/rollup.ts` counts: each key's first touches, and the day's channels by kind and by group.
 * Pure: the two pipelines as data, and what their rows add to the day's document.
 * `server/rollup.ts` runs them after the day's other pipelines.
 *
 * - A **first touch** of a channel on a day is a user whose first entry ever (`users.first`) came
 *   through it, that day being their first day (`users.firstDay`). It is read from `users`, not
 *   from the user-days: when an older entry arrives late, `track` moves the user's first touch
 *   and first day (`shared/revisions.ts`), and the users document is what says where a user came
 *   from first.
 * - **Kind** and **group** come from the operator's registry (`channels`, `ChannelDoc`), which the
 *   pipelines carry as literal lists (the channels that had an entry that day, at most
 *   `MAX_CHANNELS`): each key of a user-day is looked up there inside the database
 *   (`$indexOfArray`, then `$arrayElemAt`), so a user who came in through two channels of one
 *   group that day is one user of the group, exactly, and no group ever holds a (user, key) pair. A key the registry does not have is of kind `unknown` and of no
 *   group: it is counted, never dropped. Kinds and groups are the registry's when the day was
 *   rolled up: a channel regrouped later leaves the days already rolled up as they were.
 *
 * Only MongoDB 4.0 expressions (the cloud database's): no `$getField`, no `$function`.
 */
import { escapeKey, unescapeKey } from './keys';
import type { ChannelDoc } from './model';
import { isNewOn, num, TOP_KEYS, type ChannelCounts, type Counts, type DayOutputs, type Pipeline, type RollupDoc, type Stage } from './rollup';

/**
 * The most channels the rollup reads from the registry and carries into its pipelines: three
 * lists of 10,000 short strings are about 1.5 MB of a pipeline (MongoDB reads 16 MB), and each
 * key looked up is a scan of the list. Past it, a channel counts as an unknown key.
 */
export const MAX_CHANNELS = 10_000;

/** The kind of a key the registry does not have. */
export const UNKNOWN_KIND = 'unknown';

/** What the rollup reads of each registered channel. */
export type RegisteredChannel = Pick<ChannelDoc, '_id' | 'kind' | 'group'>;

/** What a row of the two pipelines counts: a key (first touches only), a kind or a group. */
export type ChannelDimension = 'key' | 'kind' | 'group';

/** What the two pipelines answer (the rows `aggregate().end()` gives back). */
export interface ChannelOutputs {
  /** Each kind and group of the day's channel keys, with its entries, distinct users and new users. */
  kindsAndGroups: { _id: { by: ChannelDimension; key: unknown }; entries: number; users: number; newUsers: number }[];
  /** The day's first touches by key (of the keys `byChannel` keeps), by kind and by group. */
  firstTouches: { _id: { by: ChannelDimension; key: unknown }; firstTouch: number }[];
}

/**
 * Rows either pipeline may answer: every registered channel's kind and group, `unknown`, and (first
 * touches) the keys the day keeps. No `$limit` cuts a row, so every number is exact.
 */
const MAX_ROWS = 2 * MAX_CHANNELS + 1 + TOP_KEYS;

/** The registry as the pipelines carry it: lists in one order, a channel's position the same in each. */
function registryLists(registry: readonly RegisteredChannel[]): { keys: string[]; escapedKeys: string[]; kinds: string[]; groups: (string | null)[] } {
  return {
    keys: registry.map((channel) => channel._id),
    // the user-days' map keys are escaped (shared/keys.ts): so is what they are looked up in
    escapedKeys: registry.map((channel) => escapeKey(channel._id)),
    kinds: registry.map((channel) => channel.kind),
    groups: registry.map((channel) => (channel.group ? channel.group : null)),
  };
}

/**
 * The kind and group of the registered channel at `position` (an expression: -1 for a key the
 * registry does not have). `$literal`, so that a group named like a field path stays a name.
 */
function classOf(lists: ReturnType<typeof registryLists>, position: unknown): { kind: Stage; group: Stage } {
  const known = (list: unknown[], otherwise: unknown): Stage => ({ $cond: [{ $lt: [position, 0] }, otherwise, { $arrayElemAt: [{ $literal: list }, position] }] });
  return { kind: known(lists.kinds, UNKNOWN_KIND), group: known(lists.groups, null) };
}

/**
 * One row per distinct kind (or group) among a user-day's channels, with the entries through all
 * of its channels: computed within the document, so that the `$group` after it holds a group per
 * kind or group, never per user.
 */
const distinctRows = (by: 'kind' | 'group'): Stage => ({
  $map: {
    // each value once, in the order met (a `$setUnion` would do, in an order MongoDB leaves open)
    input: { $reduce: { input: `$channels.${by}`, initialValue: [], in: { $cond: [{ $in: ['$$this', '$$value'] }, '$$value', { $concatArrays: ['$$value', ['$$this']] }] } } },
    as: 'class',
    in: {
      by,
      key: '$$class',
      entries: { $reduce: { input: '$channels', initialValue: 0, in: { $add: ['$$value', { $cond: [{ $eq: [`$$this.${by}`, '$$class'] }, '$$this.entries', 0] }] } } },
    },
  },
});

/** The rows that name something: a channel of no group, or a key the day's document does not keep, names nothing. */
const named = (rows: unknown): Stage => ({ $filter: { input: rows, as: 'row', cond: { $ne: ['$$row.key', null] } } });

/** Entries, distinct users and new users of each channel kind and group of `day`, from its user-days with a channel. */
function kindsAndGroupsPipeline(day: string, registry: readonly RegisteredChannel[]): Pipeline {
  const lists = registryLists(registry);
  const { kind, group } = classOf(lists, '$$channel.at');
  return {
    collection: 'user_days',
    stages: [
      // the user-days with an entry, as the other pipelines read them, and a channel: one without gives no row, and most have none
      { $match: { day, entries: { $gt: 0 }, byChannel: { $ne: {} } } },
      {
        $project: {
          isNew: isNewOn(day),
          channels: { $map: { input: { $objectToArray: '$byChannel' }, as: 'kv', in: { at: { $indexOfArray: [{ $literal: lists.escapedKeys }, '$$kv.k'] }, entries: '$$kv.v' } } },
        },
      },
      { $project: { isNew: 1, channels: { $map: { input: '$channels', as: 'channel', in: { kind, group, entries: '$$channel.entries' } } } } },
      { $project: { isNew: 1, rows: named({ $concatArrays: [distinctRows('kind'), distinctRows('group')] }) } },
      { $unwind: '$rows' },
      { $group: { _id: { by: '$rows.by', key: '$rows.key' }, entries: { $sum: '$rows.entries' }, users: { $sum: 1 }, newUsers: { $sum: '$isNew' } } },
      { $sort: { entries: -1, _id: 1 } },
      { $limit: MAX_ROWS },
    ],
  };
}

/**
 * The first touches of `day` (users whose first day it is, `firstDay` is indexed) by the key of
 * their first entry's channel — only for `keys`, the channel keys the day's document keeps, so that
 * each of those is exact however many others there were — by its kind and by its group.
 */
function firstTouchesPipeline(day: string, registry: readonly RegisteredChannel[], keys: readonly string[]): Pipeline {
  const lists = registryLists(registry);
  const { kind, group } = classOf(lists, '$at');
  return {
    collection: 'users',
    stages: [
      { $match: { firstDay: day, 'first.channel': { $exists: true } } },
      { $project: { _id: 0, channel: '$first.channel', at: { $indexOfArray: [{ $literal: lists.keys }, '$first.channel'] } } },
      {
        $project: {
          rows: named([
            { by: 'key', key: { $cond: [{ $in: ['$channel', { $literal: [...keys] }] }, '$channel', null] } },
            { by: 'kind', key: kind },
            { by: 'group', key: group },
          ]),
        },
      },
      { $unwind: '$rows' },
      { $group: { _id: '$rows', firstTouch: { $sum: 1 } } },
      { $sort: { firstTouch: -1, _id: 1 } },
      { $limit: MAX_ROWS },
    ],
  };
}

/**
 * A day's two channel pipelines, once its other pipelines told its channel keys (`out`: their rows).
 * They carry only the registry's channels that had an entry that day, so that a key is looked up
 * among tens of keys rather than the whole registry (the whole registry on a day with as many
 * channel keys as its document keeps: its rows may not name them all), and count first touches for
 * the keys the document keeps. A first touch is an entry of that day: its key is among them too.
 */
export function channelPipelines(day: string, registry: readonly RegisteredChannel[], out: Pick<DayOutputs, 'dimensions'>): { kindsAndGroups: Pipeline; firstTouches: Pipeline } {
  const rows = out.dimensions.channel;
  const escaped = new Set(rows.map((row) => String(row._id)));
  const ofDay = rows.length < TOP_KEYS ? registry.filter((channel) => escaped.has(escapeKey(channel._id))) : registry;
  return {
    kindsAndGroups: kindsAndGroupsPipeline(day, ofDay),
    firstTouches: firstTouchesPipeline(day, ofDay, rows.map((row) => unescapeKey(String(row._id)))),
  };
}

/**
 * The day's document with its channels' first touches, and its channels by kind and by group. Map
 * keys are escaped as every map's are; groups keep the `TOP_KEYS` biggest by entries, as keys do.
 * A first touch comes with an entry through the same channel on the same day, so each is counted
 * under a key, kind or group the document has.
 */
export function withChannels(doc: RollupDoc, out: ChannelOutputs): RollupDoc {
  const touches: Record<ChannelDimension, Map<string, number>> = { key: new Map(), kind: new Map(), group: new Map() };
  for (const row of out.firstTouches) touches[row._id.by]?.set(escapeKey(String(row._id.key)), num(row.firstTouch));
  const counted = (map: Record<string, Counts>, by: ChannelDimension): Record<string, ChannelCounts> =>
    Object.fromEntries(Object.entries(map).map(([key, counts]) => [key, { ...counts, firstTouch: touches[by].get(key) ?? 0 }]));
  const rows = (by: ChannelDimension): [string, Counts][] =>
    out.kindsAndGroups
      .filter((row) => row._id.by === by)
      .map((row) => [escapeKey(String(row._id.key)), { entries: num(row.entries), users: num(row.users), newUsers: num(row.newUsers) }]);
  return {
    ...doc,
    byChannel: counted(doc.byChannel, 'key'),
    byChannelKind: counted(Object.fromEntries(rows('kind')), 'kind'),
    byChannelGroup: counted(Object.fromEntries(rows('group').slice(0, TOP_KEYS)), 'group'),
  };
}
