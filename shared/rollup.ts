/**
 * The daily rollup: the document operators read (one per China day in `rollups_daily`), the
 * aggregation pipelines that compute it inside the database, and the maths that turns the
 * pipelines' answers into the document. Pure: no I/O. `server/rollup.ts` runs the pipelines.
 *
 * The pipelines read the day's user-days (`shared/user-days.ts`: one document per user and day,
 * kept by `track`), not its events: their groups hold keys, never (user, key) pairs, so that a
 * day of a million users stays within the cloud's 100 MB per `$group`, and counts stay exact.
 *
 * Definitions (the README repeats them for operators):
 * - an entry is an `enter` event (a cold or hot start of the Mini Program);
 * - `users` are distinct openids with an entry that day; a user is new on the day of their first
 *   entry ever (`users.firstDay`, which `track` copies onto its user-days as `firstDay`), so
 *   `newUsers` of a key are the new users with an entry under it;
 * - every event counts on the China day of its event time (`at`: the phone's time corrected for its
 *   clock, `shared/time.ts`), whenever it arrived;
 * - a session starts at a user's first entry of the day and at every entry that comes 30 minutes
 *   or more after that user's previous entry of the same day (event time, `shared/session.ts`);
 * - a late event is an event counted for the day but written after the day ended (Beijing time);
 *   the daily run re-rolls each of the days before that received events after its rollup, which is
 *   how they get counted.
 */
import type { GoalDay } from './goal-rollup';
import { unescapeKey } from './keys';
import { ratio } from './ratio';
import { sceneNames } from './scenes';
import type { RetentionSection, WaitingPart } from './retention';
import { sendsPipeline, sendStats, type SendCounts, type SendRow } from './sends';
import { SESSION_GAP_MS } from './session';
import { chinaDayEnd, MAX_EVENT_AGE_MS, DAY_MS } from './time';

/** Bumped whenever the rollup's definitions or shape change: documents say which code wrote them. */
export const ROLLUP_VERSION = 'rollup-6';
/** Keys kept per map (pages and channels are open-ended); the biggest by entries are kept. */
export const TOP_KEYS = 1000;
export const TOP_GROUPS = 20;
/**
 * The daily run also checks this many days before its day for events that arrived late: an event
 * time is at most 7 days before its arrival, so an event that arrived yesterday belongs at the
 * earliest to the 7th day before yesterday.
 */
export const LATE_DAYS = MAX_EVENT_AGE_MS / DAY_MS;
/**
 * A day's events written since `computedAt − WRITE_MARGIN_MS` make its rollup stale. The margin
 * covers an event that `track` stamped before the rollup started but stored after the rollup read
 * the day (a `track` run is over within its 10 s timeout).
 */
export const WRITE_MARGIN_MS = 60_000;
export const MAX_BACKFILL_DAYS = 92;

export interface Counts {
  entries: number;
  users: number;
  newUsers: number;
}

/** A channel's counts, or a channel kind's or group's: with the users whose first touch it was. */
export interface ChannelCounts extends Counts {
  /**
   * Users whose first entry ever (`users.first`, on `users.firstDay`) was that day and came
   * through it: each user is a first touch once, of one key. Absent from documents written before
   * `rollup-5`.
   */
  firstTouch?: number;
}

export interface SceneCounts extends Counts {
  zh: string;
  en: string;
}

export interface Totals extends Counts {
  sessions: number;
  cold: number;
  hot: number;
}

export interface ShareStats {
  /** `share` events: a user tapped share (WeChat does not say whether the card was sent). */
  intents: number;
  /** distinct users with a share event. */
  sharers: number;
  /** entries that were share returns (verified share, not the sharer, not a re-open). */
  returnOpens: number;
  /** distinct users with a share return. */
  openers: number;
  /** new users (first entry ever that day) with a share return that day. */
  newUsers: number;
  /** returnOpens / intents; 0 when there were no intents. */
  returnRatio: number;
  /** newUsers / sharers; 0 when there were no sharers. */
  kFactor: number;
  /** share returns by depth of the share they came through ("1": a root share's card …). */
  depth: Record<string, number>;
}

export interface GroupRank {
  groupId: string;
  opens: number;
  openers: number;
}

export interface GroupStats {
  /** distinct groups with an entry from them. */
  reached: number;
  /** entries from a group. */
  opens: number;
  top: GroupRank[];
}

/** One document of `rollups_daily`: the contract the dashboard, the admin page and operators read. */
export interface RollupDoc {
  /** The China day, "YYYY-MM-DD". */
  _id: string;
  totals: Totals;
  byBucket: Record<string, Counts>;
  byCategory: Record<string, Counts>;
  /** Keys are scene ids as strings. */
  byScene: Record<string, SceneCounts>;
  byChannel: Record<string, ChannelCounts>;
  /**
   * The day's channels by kind (the registry's `wxacode` … and `unknown` for keys not in it) and by
   * group, as the registry (`channels`) was when the day was rolled up (`shared/channel-rollup.ts`):
   * a user who came through two channels of one kind or group is one user there. Absent from
   * documents written before `rollup-5`.
   */
  byChannelKind?: Record<string, ChannelCounts>;
  byChannelGroup?: Record<string, ChannelCounts>;
  /** Keys are entry paths. */
  byPage: Record<string, Counts>;
  shares: ShareStats;
  groups: GroupStats;
  /**
   * The subscription messages sent that day by template (escaped keys), with what they brought
   * back (`shared/sends.ts`); absent from documents written before `rollup-4`.
   */
  messages?: Record<string, SendCounts>;
  /** The service cards sent that day by rule (escaped keys); absent before `rollup-4`. */
  cards?: Record<string, SendCounts>;
  /**
   * The day's cohort and how it came back, and the day's reactivated users (`shared/retention.ts`):
   * the cohort's `days` and `returns` are written by the rollups of the days after. Absent from
   * documents written before `rollup-6`.
   */
  retention?: RetentionSection;
  /**
   * What the day counted for the cohorts of the 30 days before it that had no rollup when it was
   * rolled up, by cohort day: the cohort's own rollup, when it comes (a backfill of older days),
   * writes them into its `retention`. Kept until the day is rolled up again; absent when every
   * cohort had its rollup.
   */
  waitingParts?: Record<string, WaitingPart>;
  /**
   * The day's goals by name, and by model, dimension and key what was credited to each (names and
   * keys escaped; `shared/goal-rollup.ts`); absent before `rollup-6`.
   */
  goals?: Record<string, GoalDay>;
  lateEvents: number;
  version: string;
  computedAt: Date;
  /** Set when retention deleted the day's user-days: the rollup can no longer be computed again, and is kept as it is. */
  final?: true;
}

export type Dimension = 'bucket' | 'category' | 'scene' | 'channel' | 'page';
export const DIMENSIONS: readonly Dimension[] = ['bucket', 'category', 'scene', 'channel', 'page'];

export const MAP_OF: Record<Dimension, 'byBucket' | 'byCategory' | 'byScene' | 'byChannel' | 'byPage'> = {
  bucket: 'byBucket',
  category: 'byCategory',
  scene: 'byScene',
  channel: 'byChannel',
  page: 'byPage',
};

/** One stage with exactly one operator key, as CloudBase's aggregate accepts. */
export type Stage = Record<string, unknown>;
export interface Pipeline {
  collection: 'events' | 'user_days' | 'users' | 'rollups_daily' | 'revisions' | 'messages' | 'cards';
  stages: Stage[];
}

/** What each named pipeline of a day answers (the rows `aggregate().end()` gives back). */
export interface DayOutputs {
  totals: { entries: number; users: number; newUsers: number; sessions: number; cold: number }[];
  dimensions: Record<Dimension, { _id: unknown; entries: number; users: number; newUsers: number }[]>;
  shareIntents: { intents: number; sharers: number }[];
  shareReturns: { returnOpens: number; openers: number; newUsers: number }[];
  shareDepths: { _id: unknown; opens: number }[];
  groupTotals: { reached: number; opens: number }[];
  topGroups: { _id: unknown; opens: number; openers: number }[];
  messages: SendRow[];
  cards: SendRow[];
  late: { late: number }[];
}

/** The user-days of `day` with an entry: the users counted in totals and dimensions. */
const enteredOn = (day: string): Stage => ({ $match: { day, entries: { $gt: 0 } } });

/**
 * 1 for a user-day of a user who was new on `day`, else 0: read from its own `firstDay`, so that no
 * pipeline needs a $lookup into `users`. (The rollup first applies the day's first-day revisions
 * to its user-days, so that the field is right.)
 */
export const isNewOn = (day: string): Stage => ({ $cond: [{ $eq: ['$firstDay', day] }, 1, 0] });

/**
 * Sessions of one user-day: one pass of $reduce over its entry times, which `track` keeps in
 * ascending order (`$push` with `$sort`), so no stage sorts anything.
 */
export const sessionsOf = {
  $reduce: {
    input: '$times',
    initialValue: { n: 0, last: null },
    in: {
      n: {
        $add: ['$$value.n', { $cond: [{ $or: [{ $eq: ['$$value.last', null] }, { $gte: [{ $subtract: ['$$this', '$$value.last'] }, SESSION_GAP_MS] }] }, 1, 0] }],
      },
      last: '$$this',
    },
  },
};

/** Totals of a day: one group, whatever the number of users. */
export function totalsPipeline(day: string): Pipeline {
  return {
    collection: 'user_days',
    stages: [
      enteredOn(day),
      { $project: { entries: 1, cold: 1, isNew: isNewOn(day), sessions: sessionsOf } },
      {
        $group: {
          _id: null,
          entries: { $sum: '$entries' },
          users: { $sum: 1 },
          newUsers: { $sum: '$isNew' },
          sessions: { $sum: '$sessions.n' },
          cold: { $sum: '$cold' },
        },
      },
      { $project: { _id: 0 } },
    ],
  };
}

/**
 * The counters of one of a user-day's maps, a row each (`{isNew, kv: {k, v}}`): what a key's
 * group adds up. Each user-day has a key once, so a key's rows count its users exactly.
 */
const rowsOf = (day: string, map: string, match: Stage = enteredOn(day)): Stage[] => [
  match,
  { $project: { isNew: isNewOn(day), kv: { $objectToArray: `$${map}` } } },
  { $unwind: '$kv' },
];

/** Entries, users and new users per key of one dimension, biggest first. Keys come escaped, as the user-days store them. */
export function dimensionPipeline(day: string, dimension: Dimension): Pipeline {
  const map = MAP_OF[dimension];
  if (!map) throw new RangeError(`unknown dimension "${String(dimension)}"`);
  return {
    collection: 'user_days',
    stages: [
      ...rowsOf(day, map),
      { $group: { _id: '$kv.k', entries: { $sum: '$kv.v' }, users: { $sum: 1 }, newUsers: { $sum: '$isNew' } } },
      { $sort: { entries: -1, _id: 1 } },
      { $limit: TOP_KEYS },
    ],
  };
}

export function shareIntentsPipeline(day: string): Pipeline {
  return {
    collection: 'user_days',
    stages: [{ $match: { day, shareIntents: { $gt: 0 } } }, { $group: { _id: null, intents: { $sum: '$shareIntents' }, sharers: { $sum: 1 } } }, { $project: { _id: 0 } }],
  };
}

const returnedOn = (day: string): Stage => ({ $match: { day, returns: { $gt: 0 } } });

export function shareReturnsPipeline(day: string): Pipeline {
  return {
    collection: 'user_days',
    stages: [
      returnedOn(day),
      { $group: { _id: null, returnOpens: { $sum: '$returns' }, openers: { $sum: 1 }, newUsers: { $sum: isNewOn(day) } } },
      { $project: { _id: 0 } },
    ],
  };
}

export function shareDepthsPipeline(day: string): Pipeline {
  return {
    collection: 'user_days',
    stages: [...rowsOf(day, 'returnDepths', returnedOn(day)), { $group: { _id: '$kv.k', opens: { $sum: '$kv.v' } } }, { $sort: { _id: 1 } }, { $limit: TOP_KEYS }],
  };
}

/** Each group chat of the day: its entries (opens) and the users who came from it (openers). */
const groupOpens = (day: string): Stage[] => [
  ...rowsOf(day, 'groupOpens'),
  { $group: { _id: '$kv.k', opens: { $sum: '$kv.v' }, openers: { $sum: 1 } } },
];

export function groupTotalsPipeline(day: string): Pipeline {
  return {
    collection: 'user_days',
    stages: [...groupOpens(day), { $group: { _id: null, reached: { $sum: 1 }, opens: { $sum: '$opens' } } }, { $project: { _id: 0 } }],
  };
}

export function topGroupsPipeline(day: string): Pipeline {
  return { collection: 'user_days', stages: [...groupOpens(day), { $sort: { opens: -1, openers: -1, _id: 1 } }, { $limit: TOP_GROUPS }] };
}

/** Events counted for the day but written after it ended. */
export function latePipeline(day: string): Pipeline {
  return { collection: 'events', stages: [{ $match: { day, serverAt: { $gte: chinaDayEnd(day) } } }, { $count: 'late' }] };
}

/**
 * Whether a stored rollup may still count every event of its day: written by this code, and no
 * event of the day (and no revision from it, see `RevisionDoc`) written since it was computed.
 * Answers the instant from which writes must be counted to tell, or undefined when the rollup is
 * stale anyway.
 */
export function unchangedSince(doc: Pick<RollupDoc, 'version' | 'computedAt'>): Date | undefined {
  return doc.version === ROLLUP_VERSION ? new Date(new Date(doc.computedAt).getTime() - WRITE_MARGIN_MS) : undefined;
}

/** The last first-day revision written from each of these days since `since` (a group per day: a handful of rows). */
export function revisionsSincePipeline(days: readonly string[], since: Date): Pipeline {
  return {
    collection: 'revisions',
    stages: [{ $match: { fromDay: { $in: [...days] }, at: { $gte: since } } }, { $group: { _id: '$fromDay', last: { $max: '$at' } } }, { $limit: days.length }],
  };
}

/** The last change to the goals of each of these days' user-days since `since` (a group per day). */
export function goalChangesSincePipeline(days: readonly string[], since: Date): Pipeline {
  return {
    collection: 'user_days',
    stages: [{ $match: { day: { $in: [...days] }, goalsAt: { $gte: since } } }, { $group: { _id: '$day', last: { $max: '$goalsAt' } } }, { $limit: days.length }],
  };
}

/** Every pipeline a day's rollup runs: a fixed number, whatever the number of events. */
export function dayPipelines(day: string): { [K in Exclude<keyof DayOutputs, 'dimensions'>]: Pipeline } & { dimensions: Record<Dimension, Pipeline> } {
  return {
    totals: totalsPipeline(day),
    dimensions: Object.fromEntries(DIMENSIONS.map((d) => [d, dimensionPipeline(day, d)])) as Record<Dimension, Pipeline>,
    shareIntents: shareIntentsPipeline(day),
    shareReturns: shareReturnsPipeline(day),
    shareDepths: shareDepthsPipeline(day),
    groupTotals: groupTotalsPipeline(day),
    topGroups: topGroupsPipeline(day),
    messages: sendsPipeline('messages', day),
    cards: sendsPipeline('cards', day),
    late: latePipeline(day),
  };
}

/**
 * The days before `cutoff` that still have raw events, each with the time of its last write: a day
 * may be purged only when its rollup was computed after that write. Share events are the share
 * ledger (a card opened a year later is still credited), and groups' first entries their records:
 * both are kept.
 */
export function eventDaysBeforePipeline(cutoff: string): Pipeline {
  return {
    collection: 'events',
    stages: [
      { $match: { day: { $lt: cutoff }, type: { $ne: 'share' }, groupFirst: { $ne: true } } },
      { $group: { _id: '$day', events: { $sum: 1 }, lastWrite: { $max: '$serverAt' } } },
      { $sort: { _id: 1 } },
      { $limit: TOP_KEYS },
    ],
  };
}

/** The days before `cutoff` that still have user-days, each with the time of its last write. */
export function userDayDaysBeforePipeline(cutoff: string): Pipeline {
  return {
    collection: 'user_days',
    stages: [{ $match: { day: { $lt: cutoff } } }, { $group: { _id: '$day', lastWrite: { $max: '$at' } } }, { $sort: { _id: 1 } }, { $limit: TOP_KEYS }],
  };
}

/**
 * The days a retention pass may purge: rolled up after their last write, or final (a day whose
 * user-days are past retention is never rolled up again, so a write after that, such as a goal
 * reported again months later, would otherwise keep the day forever).
 */
export function purgeableDays(days: { _id: unknown; lastWrite: Date }[], rolledUp: { _id: string; computedAt: Date; final?: boolean }[]): string[] {
  const rollups = new Map(rolledUp.map((doc) => [doc._id, doc]));
  return days
    .filter((row) => {
      const rollup = rollups.get(String(row._id));
      return rollup !== undefined && (rollup.final === true || new Date(rollup.computedAt).getTime() >= new Date(row.lastWrite).getTime());
    })
    .map((row) => String(row._id));
}

/** A number of a pipeline's row, 0 where the row has none (no row at all, for a day without events). */
export const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

export interface SceneNames {
  zh: string;
  en: string;
}

/** Chinese and English names from the scene catalog; an id no list prints keeps a readable name. */
export function catalogSceneNames(scene: number): SceneNames {
  // the names only (not `sceneInfo`, the whole catalog row): all that `rollup` and `admin` bundle of the catalog
  return sceneNames(scene) ?? { zh: `未知场景 ${scene}`, en: `Unknown scene ${scene}` };
}

/**
 * A dimension's rows as a map of escaped key → counts: the keys come escaped from the user-days
 * (`shared/keys.ts`), and stay so in the stored rollup. Built by `Object.fromEntries`, which
 * defines each key as the map's own property whatever its name.
 */
function countsMap(rows: DayOutputs['dimensions'][Dimension]): Record<string, Counts> {
  return Object.fromEntries(rows.map((row) => [String(row._id), { entries: num(row.entries), users: num(row.users), newUsers: num(row.newUsers) }]));
}

/** Turns the answers of a day's pipelines into its rollup document. */
export function buildRollup(day: string, out: DayOutputs, sceneNames: (scene: number) => SceneNames, computedAt: Date): RollupDoc {
  const totals = out.totals[0];
  const entries = num(totals?.entries);
  const cold = num(totals?.cold);
  const intents = out.shareIntents[0];
  const returns = out.shareReturns[0];
  const sharers = num(intents?.sharers);
  const shareNewUsers = num(returns?.newUsers);
  const byScene: Record<string, SceneCounts> = {};
  for (const [key, counts] of Object.entries(countsMap(out.dimensions.scene))) {
    byScene[key] = { ...counts, ...sceneNames(Number(unescapeKey(key))) };
  }
  const depth: Record<string, number> = {};
  for (const row of out.shareDepths) depth[unescapeKey(String(row._id))] = num(row.opens);
  return {
    _id: day,
    totals: { entries, users: num(totals?.users), newUsers: num(totals?.newUsers), sessions: num(totals?.sessions), cold, hot: entries - cold },
    byBucket: countsMap(out.dimensions.bucket),
    byCategory: countsMap(out.dimensions.category),
    byScene,
    byChannel: countsMap(out.dimensions.channel),
    byPage: countsMap(out.dimensions.page),
    shares: {
      intents: num(intents?.intents),
      sharers,
      returnOpens: num(returns?.returnOpens),
      openers: num(returns?.openers),
      newUsers: shareNewUsers,
      returnRatio: ratio(num(returns?.returnOpens), num(intents?.intents)),
      kFactor: ratio(shareNewUsers, sharers),
      depth,
    },
    groups: {
      reached: num(out.groupTotals[0]?.reached),
      opens: num(out.groupTotals[0]?.opens),
      top: out.topGroups.map((row) => ({ groupId: unescapeKey(String(row._id)), opens: num(row.opens), openers: num(row.openers) })),
    },
    messages: sendStats(out.messages),
    cards: sendStats(out.cards),
    lateEvents: num(out.late[0]?.late),
    version: ROLLUP_VERSION,
    computedAt,
  };
}

/** A rollup with its volatile field removed: two runs over the same events compare equal. */
export function rollupContent(doc: RollupDoc): Omit<RollupDoc, 'computedAt'> {
  const content: Partial<RollupDoc> = { ...doc };
  delete content.computedAt;
  return content as Omit<RollupDoc, 'computedAt'>;
}
