/**
 * The operators' stats over a range of days, computed from daily rollup documents. Pure.
 *
 * Distinct users cannot be added across days (someone active on two days is one user, two
 * user-days), and raw events are purged after the retention period, so range answers say
 * `userDays` (the sum of daily users) where a day says `users`. `newUsers` does add up: everyone
 * is new on exactly one day.
 */
import type { GoalKeys } from './goal-rollup';
import { unescapeKey } from './keys';
import type { EnterEvent, GroupRecord } from './model';
import { ratio, ratioOrNull } from './ratio';
import { readableRetention } from './retention';
import { MAP_OF, type Counts, type Dimension, type Pipeline, type RollupDoc, type SceneNames, type ShareStats } from './rollup';


export const MAX_RANGE_DAYS = 366;

export interface RangeTotals {
  entries: number;
  userDays: number;
  newUsers: number;
  sessions: number;
  cold: number;
  hot: number;
}

export interface Change {
  value: number;
  previous: number;
  /** (value − previous) / previous, rounded to 4 places; null when previous is 0. */
  change: number | null;
}

export function sumTotals(docs: RollupDoc[]): RangeTotals {
  const sum: RangeTotals = { entries: 0, userDays: 0, newUsers: 0, sessions: 0, cold: 0, hot: 0 };
  for (const { totals } of docs) {
    sum.entries += totals.entries;
    sum.userDays += totals.users;
    sum.newUsers += totals.newUsers;
    sum.sessions += totals.sessions;
    sum.cold += totals.cold;
    sum.hot += totals.hot;
  }
  return sum;
}

export function change(value: number, previous: number): Change {
  return { value, previous, change: previous > 0 ? Math.round(((value - previous) / previous) * 10_000) / 10_000 : null };
}

/**
 * Each total against the previous period's. `current` null: no day of the range has a rollup (today,
 * days to come, days not rolled up yet), which is no fall to nothing: its values are 0 and every
 * change null.
 */
export function totalsWithChange(current: RangeTotals | null, previous: RangeTotals): Record<keyof RangeTotals, Change> {
  const keys = Object.keys(previous) as (keyof RangeTotals)[];
  return Object.fromEntries(keys.map((key) => [key, current ? change(current[key], previous[key]) : { value: 0, previous: previous[key], change: null }])) as Record<keyof RangeTotals, Change>;
}

/** The days of `days` that no document of `docs` (rollups, by `_id`) covers: not rolled up yet, or before the first event. */
export function missingDays(days: string[], docs: readonly { _id: string }[]): string[] {
  const rolled = new Set(docs.map((doc) => doc._id));
  return days.filter((day) => !rolled.has(day));
}

export interface TrendDay {
  day: string;
  /** No rollup for that day (not rolled up yet, or before the first event). */
  missing: boolean;
  entries: number;
  users: number;
  newUsers: number;
  byBucket: Record<string, number>;
  byCategory: Record<string, number>;
  byScene: Record<string, number>;
}

/** A map of a rollup with its keys as they were sent, not as the document stores them. */
const readable = <T>(map: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(map).map(([key, value]) => [unescapeKey(key), value]));

/** A rollup as `today` answers it: its share ratios null where their denominator is 0. */
export type ReadableRollup = Omit<RollupDoc, 'shares'> & { shares: Omit<ShareStats, 'returnRatio' | 'kFactor'> & { returnRatio: number | null; kFactor: number | null } };

/** A rollup as an answer shows it: every map's keys as they were sent, not as the document stores them. */
export function readableRollup(doc: RollupDoc): ReadableRollup {
  const { shares } = doc;
  return {
    ...doc,
    // stored as 0 without a denominator (the document's plain numbers); answered as no ratio
    shares: { ...shares, returnRatio: ratioOrNull(shares.returnOpens, shares.intents), kFactor: ratioOrNull(shares.newUsers, shares.sharers) },
    byBucket: readable(doc.byBucket),
    byCategory: readable(doc.byCategory),
    byScene: readable(doc.byScene),
    byChannel: readable(doc.byChannel),
    ...(doc.byChannelKind ? { byChannelKind: readable(doc.byChannelKind) } : {}),
    ...(doc.byChannelGroup ? { byChannelGroup: readable(doc.byChannelGroup) } : {}),
    byPage: readable(doc.byPage),
    ...(doc.messages ? { messages: readable(doc.messages) } : {}),
    ...(doc.cards ? { cards: readable(doc.cards) } : {}),
    ...(doc.retention ? { retention: readableRetention(doc.retention) } : {}),
    ...(doc.goals ? { goals: readableGoals(doc.goals) } : {}),
  };
}

/** A rollup's goals with every key as it was sent. */
function readableGoals(goals: NonNullable<RollupDoc['goals']>): NonNullable<RollupDoc['goals']> {
  const keysOf = (keys: GoalKeys): GoalKeys => Object.fromEntries(Object.entries(keys).map(([dimension, map]) => [dimension, readable(map)]));
  return Object.fromEntries(Object.entries(goals).map(([name, day]) => [unescapeKey(name), { ...day, first: keysOf(day.first), last: keysOf(day.last), lastNonDirect: keysOf(day.lastNonDirect) }]));
}

const entriesOf = (map: Record<string, Counts>): Record<string, number> =>
  Object.fromEntries(Object.entries(map).map(([key, counts]) => [unescapeKey(key), counts.entries]));

/** One row per day of the range, in order, with entries by bucket, category and scene. */
export function dailyTrend(days: string[], docs: RollupDoc[]): TrendDay[] {
  const byDay = new Map(docs.map((doc) => [doc._id, doc]));
  return days.map((day) => {
    const doc = byDay.get(day);
    if (!doc) return { day, missing: true, entries: 0, users: 0, newUsers: 0, byBucket: {}, byCategory: {}, byScene: {} };
    return {
      day,
      missing: false,
      entries: doc.totals.entries,
      users: doc.totals.users,
      newUsers: doc.totals.newUsers,
      byBucket: entriesOf(doc.byBucket),
      byCategory: entriesOf(doc.byCategory),
      byScene: entriesOf(doc.byScene),
    };
  });
}

export interface RankedKey {
  key: string;
  entries: number;
  userDays: number;
  newUsers: number;
  /** This key's part of all entries in the range. */
  share: number;
  zh?: string;
  en?: string;
}

/** Keys of one dimension summed over the range, most entries first (ties by key). */
export function rankKeys(docs: RollupDoc[], dimension: Dimension, limit: number, sceneNames?: (scene: number) => SceneNames): RankedKey[] {
  const sums = new Map<string, { entries: number; userDays: number; newUsers: number }>();
  let all = 0;
  for (const doc of docs) {
    all += doc.totals.entries;
    for (const [escaped, counts] of Object.entries(doc[MAP_OF[dimension]] as Record<string, Counts>)) {
      const key = unescapeKey(escaped);
      const sum = sums.get(key) ?? { entries: 0, userDays: 0, newUsers: 0 };
      sum.entries += counts.entries;
      sum.userDays += counts.users;
      sum.newUsers += counts.newUsers;
      sums.set(key, sum);
    }
  }
  return [...sums.entries()]
    .sort(([ka, a], [kb, b]) => b.entries - a.entries || (ka < kb ? -1 : ka > kb ? 1 : 0))
    .slice(0, limit)
    .map(([key, sum]) => ({ key, ...sum, share: ratio(sum.entries, all), ...(dimension === 'scene' && sceneNames ? sceneNames(Number(key)) : {}) }));
}

export interface ShareFunnel {
  intents: number;
  sharerDays: number;
  returnOpens: number;
  openerDays: number;
  newUsers: number;
  /** returnOpens / intents over the range; null without intents (opens of cards shared before it may still come). */
  returnRatio: number | null;
  /** newUsers / sharerDays over the range; null without sharers. */
  kFactor: number | null;
  depth: Record<string, number>;
}

export function shareFunnel(docs: RollupDoc[]): ShareFunnel {
  const funnel: ShareFunnel = { intents: 0, sharerDays: 0, returnOpens: 0, openerDays: 0, newUsers: 0, returnRatio: null, kFactor: null, depth: {} };
  // summed in a Map: on an object, a key such as "constructor" would start from an inherited value
  const depths = new Map<string, number>();
  for (const { shares } of docs) {
    funnel.intents += shares.intents;
    funnel.sharerDays += shares.sharers;
    funnel.returnOpens += shares.returnOpens;
    funnel.openerDays += shares.openers;
    funnel.newUsers += shares.newUsers;
    for (const [depth, opens] of Object.entries(shares.depth)) depths.set(depth, (depths.get(depth) ?? 0) + opens);
  }
  funnel.depth = Object.fromEntries(depths);
  funnel.returnRatio = ratioOrNull(funnel.returnOpens, funnel.intents);
  funnel.kFactor = ratioOrNull(funnel.newUsers, funnel.sharerDays);
  return funnel;
}

/** One day of the share funnel: what the K-factor over time is drawn from. */
export interface ShareDay {
  day: string;
  /** No rollup for that day. */
  missing: boolean;
  intents: number;
  sharers: number;
  returnOpens: number;
  newUsers: number;
  /** null on a day without sharers, or without a rollup. */
  kFactor: number | null;
}

/** The share funnel of each day of the range, in order (the day's own `kFactor`: new users by share returns / sharers). */
export function shareSeries(days: string[], docs: RollupDoc[]): ShareDay[] {
  const byDay = new Map(docs.map((doc) => [doc._id, doc]));
  return days.map((day) => {
    const shares = byDay.get(day)?.shares;
    if (!shares) return { day, missing: true, intents: 0, sharers: 0, returnOpens: 0, newUsers: 0, kFactor: null };
    return { day, missing: false, intents: shares.intents, sharers: shares.sharers, returnOpens: shares.returnOpens, newUsers: shares.newUsers, kFactor: ratioOrNull(shares.newUsers, shares.sharers) };
  });
}

/**
 * The root shares whose trees brought most share returns over a range, from raw events (so only
 * within the retention period): which tree to draw. One group per (root, opener), like the
 * groups' ranking.
 */
export function topSharesInRangePipeline(from: string, to: string, limit: number): Pipeline {
  return {
    collection: 'events',
    stages: [
      { $match: { type: 'enter', day: { $gte: from, $lte: to }, 'share.isReturn': true } },
      { $group: { _id: { r: '$share.rootShareId', o: '$openid' }, opens: { $sum: 1 } } },
      { $group: { _id: '$_id.r', opens: { $sum: '$opens' }, openers: { $sum: 1 } } },
      { $sort: { opens: -1, openers: -1, _id: 1 } },
      { $limit: limit },
    ],
  };
}

export interface ShareNode {
  shareId: string;
  sharer: string;
  depth: number;
  day: string;
  opens: number;
  openers: number;
  children: ShareNode[];
}

/**
 * The tree of shares under a root: each share with the returns its card brought and the shares
 * made by people who came through it. Shares whose parent is missing hang under the root.
 */
export function shareTree(
  rootShareId: string,
  shares: { _id: string; sharer: string; depth: number; day: string; parentShareId?: string }[],
  opens: { _id: unknown; opens: number; openers: number }[],
): ShareNode | null {
  const openCounts = new Map(opens.map((row) => [String(row._id), row]));
  const nodes = new Map<string, ShareNode>();
  for (const share of shares) {
    const counted = openCounts.get(share._id);
    nodes.set(share._id, { shareId: share._id, sharer: share.sharer, depth: share.depth, day: share.day, opens: counted?.opens ?? 0, openers: counted?.openers ?? 0, children: [] });
  }
  const root = nodes.get(rootShareId);
  if (!root) return null;
  for (const share of [...shares].sort((a, b) => a.depth - b.depth || (a._id < b._id ? -1 : 1))) {
    if (share._id === rootShareId) continue;
    const parent = (share.parentShareId && nodes.get(share.parentShareId)) || root;
    parent.children.push(nodes.get(share._id) as ShareNode);
  }
  return root;
}

/** The share records a share tree reads: one read's worth, the nearest the root. */
export const SHARE_TREE_RECORDS = 1000;

/** Returns through each of a tree's shares (`shareIds`, at most `SHARE_TREE_RECORDS`): one row per share id with opens and distinct openers. */
export function shareTreeOpensPipeline(rootShareId: string, shareIds: readonly string[]): Pipeline {
  return {
    collection: 'events',
    stages: [
      { $match: { type: 'enter', 'share.rootShareId': rootShareId, 'share.shareId': { $in: [...shareIds] }, 'share.isReturn': true } },
      { $group: { _id: { s: '$share.shareId', o: '$openid' }, opens: { $sum: 1 } } },
      { $group: { _id: '$_id.s', opens: { $sum: '$opens' }, openers: { $sum: 1 } } },
      { $limit: 1000 },
    ],
  };
}

/**
 * The groups that brought most entries over a range, from raw events (so only within the
 * retention period): daily top lists cannot be merged exactly.
 */
export function topGroupsInRangePipeline(from: string, to: string, limit: number): Pipeline {
  return {
    collection: 'events',
    stages: [
      { $match: { type: 'enter', day: { $gte: from, $lte: to }, groupId: { $exists: true } } },
      { $group: { _id: { g: '$groupId', o: '$openid' }, opens: { $sum: 1 } } },
      { $group: { _id: '$_id.g', opens: { $sum: '$opens' }, openers: { $sum: 1 } } },
      { $sort: { opens: -1, openers: -1, _id: 1 } },
      { $limit: limit },
    ],
  };
}

/**
 * Everything the raw events say about one group (so within the retention period): opens,
 * distinct openers, the verified shares whose cards reached it, first and last open.
 */
export function groupActivityPipeline(groupId: string): Pipeline {
  return {
    collection: 'events',
    stages: [
      { $match: { type: 'enter', groupId } },
      {
        $group: {
          _id: '$openid',
          opens: { $sum: 1 },
          shareIds: { $addToSet: { $cond: ['$share.verified', '$share.shareId', null] } },
          first: { $min: '$at' },
          last: { $max: '$at' },
        },
      },
      { $group: { _id: null, opens: { $sum: '$opens' }, openers: { $sum: 1 }, shareIds: { $push: '$shareIds' }, firstOpen: { $min: '$first' }, lastOpen: { $max: '$last' } } },
      { $project: { _id: 0 } },
    ],
  };
}

export interface GroupActivity {
  opens: number;
  openers: number;
  shareIds: string[];
  firstOpen: Date | null;
  lastOpen: Date | null;
}

/** A group's record from its earliest `groupFirst` entry (`EnterEvent.groupFirst`). */
export function groupRecord(first: Pick<EnterEvent, 'groupId' | 'openid' | 'at' | 'day' | 'chatType' | 'share'> & { groupId: string }): GroupRecord {
  const record: GroupRecord = { groupId: first.groupId, firstSeen: first.at, firstDay: first.day, firstOpener: first.openid };
  if (first.chatType !== undefined) record.chatType = first.chatType;
  if (first.share?.verified) record.firstShareId = first.share.shareId;
  return record;
}

/** The row of `groupActivityPipeline` (none when the group has no open left) as an answer. */
export function groupActivity(rows: { opens: number; openers: number; shareIds: (string | null)[][]; firstOpen: Date; lastOpen: Date }[]): GroupActivity {
  const row = rows[0];
  if (!row) return { opens: 0, openers: 0, shareIds: [], firstOpen: null, lastOpen: null };
  const shareIds = [...new Set(row.shareIds.flat().filter((id): id is string => typeof id === 'string'))].sort();
  return { opens: row.opens, openers: row.openers, shareIds, firstOpen: row.firstOpen, lastOpen: row.lastOpen };
}
