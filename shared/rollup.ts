/**
 * The daily rollup: the document operators read (one per China day in `rollups_daily`), the
 * aggregation pipelines that compute it inside the database, and the maths that turns the
 * pipelines' answers into the document. Pure: no I/O. `server/rollup.ts` runs the pipelines.
 *
 * Definitions (the README repeats them for operators):
 * - an entry is an `enter` event (a cold or hot start of the Mini Program);
 * - `users` are distinct openids with an entry that day; a user is new on the day of their first
 *   entry ever (`users.firstDay`, which `track` copies onto every event it stores as `firstDay`),
 *   so `newUsers` of a key are the new users with an entry under it;
 * - every event counts on the China day of its event time (`at`: the phone's time corrected for its
 *   clock, `shared/time.ts`), whenever it arrived;
 * - a session starts at a user's first entry of the day and at every entry that comes 30 minutes
 *   or more after that user's previous entry of the same day (event time, `shared/session.ts`);
 * - a late event is an event counted for the day but written after the day ended (Beijing time);
 *   the daily run re-rolls each of the days before that received events after its rollup, which is
 *   how they get counted.
 */
import { sceneInfo } from './scenes';
import { SESSION_GAP_MS } from './session';
import { chinaDayEnd, MAX_EVENT_AGE_MS, DAY_MS } from './time';

/** Bumped whenever the rollup's definitions or shape change: documents say which code wrote them. */
export const ROLLUP_VERSION = 'rollup-2';
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
  byChannel: Record<string, Counts>;
  /** Keys are entry paths. */
  byPage: Record<string, Counts>;
  shares: ShareStats;
  groups: GroupStats;
  lateEvents: number;
  version: string;
  computedAt: Date;
}

export type Dimension = 'bucket' | 'category' | 'scene' | 'channel' | 'page';
export const DIMENSIONS: readonly Dimension[] = ['bucket', 'category', 'scene', 'channel', 'page'];

/** The only event fields a pipeline ever groups by: callers name a dimension, never a field. */
const DIMENSION_FIELDS: Record<Dimension, string> = { bucket: 'bucket', category: 'category', scene: 'scene', channel: 'channel', page: 'path' };

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
  collection: 'events' | 'users' | 'groups' | 'rollups_daily' | 'revisions';
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
  late: { late: number }[];
}

const enteredOn = (day: string): Stage => ({ $match: { day, type: 'enter' } });

/**
 * 1 for an event of a user who was new on `day`, else 0: read from the event's own `firstDay`, so
 * that no pipeline needs a $lookup into `users` for every row it groups per user. (The rollup first
 * applies the day's first-day revisions to its events, so that the field is right.)
 */
const isNewOn = (day: string): Stage => ({ $cond: [{ $eq: ['$firstDay', day] }, 1, 0] });

/**
 * Totals of a day. Entries are read in event-time order, which the index on (day, type, at)
 * gives the database without sorting the day's entries in memory, so that $group pushes each
 * user's times in order and the session count is one pass of $reduce over them. (Cutting time into
 * 30-minute buckets counts sessions exactly without any order, but needs a group per user and
 * bucket and a search for each bucket's predecessor: measured twice as slow.)
 */
export function totalsPipeline(day: string): Pipeline {
  const sessionStarts = {
    $reduce: {
      input: '$times',
      initialValue: { n: 0, last: null },
      in: {
        n: {
          $add: [
            '$$value.n',
            { $cond: [{ $or: [{ $eq: ['$$value.last', null] }, { $gte: [{ $subtract: ['$$this', '$$value.last'] }, SESSION_GAP_MS] }] }, 1, 0] },
          ],
        },
        last: '$$this',
      },
    },
  };
  return {
    collection: 'events',
    stages: [
      enteredOn(day),
      { $sort: { at: 1 } },
      { $group: { _id: '$openid', entries: { $sum: 1 }, cold: { $sum: { $cond: ['$cold', 1, 0] } }, isNew: { $max: isNewOn(day) }, times: { $push: '$at' } } },
      { $project: { entries: 1, cold: 1, isNew: 1, sessions: sessionStarts } },
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

/** Entries, users and new users per key of one dimension, biggest first. */
export function dimensionPipeline(day: string, dimension: Dimension): Pipeline {
  const field = DIMENSION_FIELDS[dimension];
  if (!field) throw new RangeError(`unknown dimension "${String(dimension)}"`);
  return {
    collection: 'events',
    stages: [
      enteredOn(day),
      { $group: { _id: { o: '$openid', k: `$${field}` }, entries: { $sum: 1 }, isNew: { $max: isNewOn(day) } } },
      { $group: { _id: '$_id.k', entries: { $sum: '$entries' }, users: { $sum: 1 }, newUsers: { $sum: '$isNew' } } },
      { $sort: { entries: -1, _id: 1 } },
      { $limit: TOP_KEYS },
    ],
  };
}

export function shareIntentsPipeline(day: string): Pipeline {
  return {
    collection: 'events',
    stages: [
      { $match: { day, type: 'share' } },
      { $group: { _id: '$openid', n: { $sum: 1 } } },
      { $group: { _id: null, intents: { $sum: '$n' }, sharers: { $sum: 1 } } },
      { $project: { _id: 0 } },
    ],
  };
}

const shareReturnsOn = (day: string): Stage => ({ $match: { day, type: 'enter', 'share.isReturn': true } });

export function shareReturnsPipeline(day: string): Pipeline {
  return {
    collection: 'events',
    stages: [
      shareReturnsOn(day),
      { $group: { _id: '$openid', opens: { $sum: 1 }, isNew: { $max: isNewOn(day) } } },
      { $group: { _id: null, returnOpens: { $sum: '$opens' }, openers: { $sum: 1 }, newUsers: { $sum: '$isNew' } } },
      { $project: { _id: 0 } },
    ],
  };
}

export function shareDepthsPipeline(day: string): Pipeline {
  return {
    collection: 'events',
    stages: [shareReturnsOn(day), { $group: { _id: '$share.depth', opens: { $sum: 1 } } }, { $sort: { _id: 1 } }, { $limit: TOP_KEYS }],
  };
}

function groupOpens(day: string): Stage[] {
  return [
    { $match: { day, type: 'enter', groupId: { $exists: true } } },
    { $group: { _id: { g: '$groupId', o: '$openid' }, opens: { $sum: 1 } } },
    { $group: { _id: '$_id.g', opens: { $sum: '$opens' }, openers: { $sum: 1 } } },
  ];
}

export function groupTotalsPipeline(day: string): Pipeline {
  return {
    collection: 'events',
    stages: [...groupOpens(day), { $group: { _id: null, reached: { $sum: 1 }, opens: { $sum: '$opens' } } }, { $project: { _id: 0 } }],
  };
}

export function topGroupsPipeline(day: string): Pipeline {
  return { collection: 'events', stages: [...groupOpens(day), { $sort: { opens: -1, openers: -1, _id: 1 } }, { $limit: TOP_GROUPS }] };
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
    late: latePipeline(day),
  };
}

/**
 * The days before `cutoff` that still have raw events, each with the time of its last write: a day
 * may be purged only when its rollup was computed after that write. Share events are the share
 * ledger (a card opened a year later is still credited) and are kept.
 */
export function eventDaysBeforePipeline(cutoff: string): Pipeline {
  return {
    collection: 'events',
    stages: [{ $match: { day: { $lt: cutoff }, type: { $ne: 'share' } } }, { $group: { _id: '$day', events: { $sum: 1 }, lastWrite: { $max: '$serverAt' } } }, { $sort: { _id: 1 } }, { $limit: TOP_KEYS }],
  };
}

/** The days a retention pass may purge: rolled up after their last event was written. */
export function purgeableDays(eventDays: { _id: unknown; lastWrite: Date }[], rolledUp: { _id: string; computedAt: Date }[]): string[] {
  const computed = new Map(rolledUp.map((doc) => [doc._id, new Date(doc.computedAt).getTime()]));
  return eventDays
    .filter((row) => {
      const at = computed.get(String(row._id));
      return at !== undefined && at >= new Date(row.lastWrite).getTime();
    })
    .map((row) => String(row._id));
}

/** How the empty key is stored: a field needs a name, and `%` alone is no other key's escape. */
const EMPTY_KEY = '%';
/** JavaScript takes `o["__proto__"] = …` for setting the prototype: the key would vanish on the way. */
const PROTO_KEY = '__proto__';
/** `%` (the escape itself), `.` and `$` (a field path, an operator), control characters and lone surrogates. */
const ESCAPED = /[%.$\p{Cc}\p{Cs}]/gu;
const ESCAPE = /%(?:u([0-9A-F]{4})|([0-9A-F]{2}))/g;

/**
 * Map keys (channel keys, page paths, scene ids…) are field names of the stored document, read by
 * the database and by operators in the cloud console, and any string must come back from one
 * exactly. A key is stored percent-escaped where it must be, and only there (see README): `%` is
 * `%25`, `.` `%2E`, `$` `%24`, a control character `%00`…`%1F`, `%7F`…`%9F` (no field name holds a
 * NUL; `track` refuses them, events stored before may have them), a lone surrogate `%uD800` (UTF-8
 * cannot hold it), the first `_` of `__proto__` `%5F`, and the empty key is `%` alone.
 *
 * @example
 * escapeKey('poster.spring') // → 'poster%2Espring'
 * escapeKey('__proto__') // → '%5F_proto__'
 * unescapeKey(escapeKey(key)) === key // for every string
 */
export function escapeKey(key: string): string {
  if (key === '') return EMPTY_KEY;
  const escaped = key.replace(ESCAPED, (char) => {
    const code = char.charCodeAt(0);
    return code > 0xff ? `%u${code.toString(16).toUpperCase()}` : `%${code.toString(16).toUpperCase().padStart(2, '0')}`;
  });
  return escaped === PROTO_KEY ? `%5F${escaped.slice(1)}` : escaped;
}

export function unescapeKey(key: string): string {
  if (key === EMPTY_KEY) return '';
  return key.replace(ESCAPE, (_, wide: string | undefined, narrow: string | undefined) => String.fromCharCode(parseInt(wide ?? narrow ?? '', 16)));
}

/** 0 when the denominator is 0: an empty day has no ratio, and the document stays plain numbers. */
export function ratio(numerator: number, denominator: number): number {
  return denominator > 0 ? Math.round((numerator / denominator) * 10_000) / 10_000 : 0;
}

const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

export interface SceneNames {
  zh: string;
  en: string;
}

/** Chinese and English names from the scene catalog; an id no list prints keeps a readable name. */
export function catalogSceneNames(scene: number): SceneNames {
  const info = sceneInfo(scene);
  return info ? { zh: info.nameZh, en: info.nameEn } : { zh: `未知场景 ${scene}`, en: `Unknown scene ${scene}` };
}

/**
 * A dimension's rows as a map of escaped key → counts. Every key is kept, the empty one too; rows
 * without a key (entries with no channel) are not a key. Built by `Object.fromEntries`, which
 * defines each key as the map's own property whatever its name.
 */
function countsMap(rows: DayOutputs['dimensions'][Dimension]): Record<string, Counts> {
  return Object.fromEntries(
    rows
      .filter((row) => row._id !== null && row._id !== undefined)
      .map((row) => [escapeKey(String(row._id)), { entries: num(row.entries), users: num(row.users), newUsers: num(row.newUsers) }]),
  );
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
    byScene[key] = { ...counts, ...sceneNames(Number(key)) };
  }
  const depth: Record<string, number> = {};
  for (const row of out.shareDepths) depth[row._id === null || row._id === undefined ? 'unknown' : String(row._id)] = num(row.opens);
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
      top: out.topGroups.map((row) => ({ groupId: String(row._id), opens: num(row.opens), openers: num(row.openers) })),
    },
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
