/**
 * Retention by entry point in the daily rollup: which first touches bring users who come back.
 * Pure: the two pipelines as data, and what their rows make of the day's document and of the
 * documents of the cohorts before it. `server/rollup.ts` runs them after the day's other pipelines.
 *
 * Definitions (the README repeats them for operators):
 * - the **cohort** of day D is the users whose first entry ever was on D (its time is `firstAt`), each
 *   under the keys of that first entry (`EntryKeys`: bucket, category, scene, channel, page, share,
 *   group, message, card);
 * - **day-N retention** (N in `RETENTION_DAYS`): of the cohort, the users with an entry, through
 *   any entry point, on day D+N (China days, event time);
 * - **returned within N days** (N in `RETURN_WINDOWS`): of the cohort, the users with an entry on
 *   any day from D+1 to D+N. Counted as each user's first day back (the day whose previous day
 *   with an entry is D, `prevDay`), by how many days after D it came: `returns`, summed by readers;
 * - **reactivated** on day X: users with an entry on X, not new, whose previous entry was more
 *   than `REACTIVATION_DAYS` days earlier (or past the user-days kept), under the keys of their
 *   earliest entry of X: the entry point that brought them back.
 *
 * Each day's rollup reads only its own user-days, which carry their cohort's keys and previous
 * day (`track` writes them): a user-day of day X whose first entry was on day X−k counts for the
 * cohort X−k at age k. The age is read from `firstAt`, which `track` moves on every user-day when
 * the first touch moves; `firstDay` is corrected on its own day only (by the revision, at rollup
 * time), which is all `newUsers` needs. The groups hold (age, dimension, key), never users. What day X counts for an
 * earlier cohort is written into that cohort's document (`retention.days.<N>`,
 * `retention.returns.<k>`), one field per (cohort, age) owned by day X alone: rolling X again
 * writes it again, and the cohort's own rollup leaves it as it is.
 *
 * Only MongoDB 4.0 expressions (the cloud database's).
 *
 * @example
 * const pipelines = retentionPipelines('2024-05-20');
 * const { section, cohorts } = retentionOf('2024-05-20', { cohorts: rows1, reactivated: rows2 });
 * // section: the day's own cohort and reactivated users; cohorts: what it writes into 2024-05-19 … 2024-04-20
 */
import { escapeKey, unescapeKey } from './keys';
import type { EntryKeys } from './model';
import { num, TOP_KEYS, type Pipeline, type Stage } from './rollup';
import { addDays, chinaDayEnd, chinaDayStart, DAY_MS, isChinaDay } from './time';

/** The days after its first day on which a cohort's retention is counted. */
export const RETENTION_DAYS = [1, 2, 3, 7, 14, 30] as const;
/** "Returned within N days": the windows counted. */
export const RETURN_WINDOWS = [7, 30] as const;
/** The oldest cohort a day counts for: the longest of both lists. */
export const MAX_AGE = 30;
/** A user back after more days than this without an entry is reactivated. */
export const REACTIVATION_DAYS = 30;
/**
 * Rows one pipeline answers at most, the biggest first: a row per (age, dimension, key), where a
 * dimension's keys are bounded by what entries carry (channels, pages); past it the smallest keys
 * of a day are left out.
 */
export const MAX_RETENTION_ROWS = 20_000;

export type RetentionDimension = keyof EntryKeys;
export const RETENTION_DIMENSIONS: readonly RetentionDimension[] = ['bucket', 'category', 'scene', 'channel', 'page', 'share', 'group', 'message', 'card'];
/** The one key of the `group` dimension: the entry came from a group chat. */
export const GROUP_KEY = 'group';

/** Users, in all and by each dimension's keys (escaped, `shared/keys.ts`), each map its `TOP_KEYS` biggest. */
export interface RetentionCounts {
  users: number;
  by: Partial<Record<RetentionDimension, Record<string, number>>>;
}

/** A rollup document's `retention` section. */
export interface RetentionSection {
  /** The day's cohort: its new users, by their first touch. */
  cohort: RetentionCounts;
  /** Day-N retention, by `N`: written by the rollup of the Nth day after (absent until then). */
  days: Record<string, RetentionCounts>;
  /** The cohort's users whose first day back came `k` days after, by `k` (1 … 30): written by the rollup of that day. */
  returns: Record<string, RetentionCounts>;
  /** The day's reactivated users, by the keys of their earliest entry of the day. */
  reactivated: RetentionCounts;
}

/** What a day's rollup writes into an earlier cohort's document: its own fields there. */
export interface CohortPart {
  cohortDay: string;
  age: number;
  /** Day-N retention, when `age` is one of `RETENTION_DAYS`. */
  day?: RetentionCounts;
  returns: RetentionCounts;
}

/** A cohort part kept in its day's own document while the cohort has no rollup (`RollupDoc.waitingParts`). */
export type WaitingPart = Omit<CohortPart, 'cohortDay'>;

/** Parts as `RollupDoc.waitingParts` keeps them: by cohort day. */
export const waitingPartsOf = (parts: readonly CohortPart[]): Record<string, WaitingPart> => Object.fromEntries(parts.map(({ cohortDay, ...part }) => [cohortDay, part]));

/** The days whose rollups count for the cohort of `day`, and so may keep parts waiting for it. */
export const daysCountingFor = (day: string): string[] => Array.from({ length: MAX_AGE }, (_, i) => addDays(day, i + 1));

/** One row of either pipeline: a key of a dimension (`total` for all) at an age, with its users and first returns. */
export interface RetentionRow {
  _id: { age?: unknown; by: unknown; key: unknown };
  users: number;
  back?: number;
}

export interface RetentionOutputs {
  cohorts: RetentionRow[];
  reactivated: RetentionRow[];
}

/** The row that counts everyone, whatever their keys. */
const TOTAL = 'total';

/**
 * One row per dimension the keys have (and one for the total): an object field that is missing
 * ranks below null, so `$gt: [key, null]` keeps exactly the keys that are there.
 */
function rowsOf(keys: string): Stage {
  const rows = [
    { by: TOTAL, key: TOTAL },
    ...RETENTION_DIMENSIONS.map((by) => ({ by, key: by === 'group' ? { $cond: [`${keys}.group`, GROUP_KEY, null] } : `${keys}.${by}` })),
  ];
  return { $filter: { input: rows, as: 'row', cond: { $gt: ['$$row.key', null] } } };
}

/** The cohort days a day counts for, youngest first: a cohort's position is its age. */
const cohortDays = (day: string): string[] => Array.from({ length: MAX_AGE + 1 }, (_, age) => addDays(day, -age));

/**
 * The day's user-days of the cohorts of the last `MAX_AGE` days (its own included), grouped by
 * (age, dimension, key): `users` with an entry that day, and `back`, those for whom it is their
 * first day back (their previous day is the cohort's). The age is how many whole days the first
 * entry lies before the day's last millisecond (China days are 24 hours, all year). Rows are kept
 * for the ages that count users (the cohort itself and `RETENTION_DAYS`) and for first returns.
 * User-days written before `track` copied first touches have no keys and are left out.
 */
function cohortsPipeline(day: string): Pipeline {
  const ages = [0, ...RETENTION_DAYS];
  const last = new Date(chinaDayEnd(day).getTime() - 1);
  return {
    collection: 'user_days',
    stages: [
      // the oldest cohort's start as an instant: near the calendar's first day it is no day one can write
      { $match: { day, entries: { $gt: 0 }, firstAt: { $gte: new Date(chinaDayStart(day).getTime() - MAX_AGE * DAY_MS), $lte: last }, firstKeys: { $exists: true } } },
      { $project: { age: { $floor: { $divide: [{ $subtract: [{ $literal: last }, '$firstAt'] }, DAY_MS] } }, prevDay: 1, keys: '$firstKeys' } },
      { $project: { age: 1, keys: 1, back: { $cond: [{ $eq: ['$prevDay', { $arrayElemAt: [{ $literal: cohortDays(day) }, '$age'] }] }, 1, 0] } } },
      { $project: { age: 1, back: 1, rows: rowsOf('$keys'), kept: { $or: [{ $in: ['$age', { $literal: ages }] }, { $eq: ['$back', 1] }] } } },
      { $match: { kept: true } },
      { $unwind: '$rows' },
      { $group: { _id: { age: '$age', by: '$rows.by', key: '$rows.key' }, users: { $sum: 1 }, back: { $sum: '$back' } } },
      { $sort: { users: -1, _id: 1 } },
      { $limit: MAX_RETENTION_ROWS },
    ],
  };
}

/** The day's reactivated users (see above), by the keys of their earliest entry of the day. */
function reactivatedPipeline(day: string): Pipeline {
  return {
    collection: 'user_days',
    stages: [
      // `prevDay` is '' when no earlier day is kept, which sorts before every day
      { $match: { day, entries: { $gt: 0 }, firstAt: { $lt: chinaDayStart(day) }, prevDay: { $lt: addDays(day, -REACTIVATION_DAYS) }, dayFirst: { $exists: true } } },
      { $project: { rows: rowsOf('$dayFirst') } },
      { $unwind: '$rows' },
      { $group: { _id: { by: '$rows.by', key: '$rows.key' }, users: { $sum: 1 } } },
      { $sort: { users: -1, _id: 1 } },
      { $limit: MAX_RETENTION_ROWS },
    ],
  };
}

/** A day's two retention pipelines: over its own user-days only. */
export function retentionPipelines(day: string): Record<keyof RetentionOutputs, Pipeline> {
  return { cohorts: cohortsPipeline(day), reactivated: reactivatedPipeline(day) };
}

/** Counts from rows (one age's): the total, and each dimension's `TOP_KEYS` biggest keys, escaped. */
function countsOf(rows: readonly RetentionRow[], value: (row: RetentionRow) => number): RetentionCounts {
  const counts: RetentionCounts = { users: 0, by: {} };
  const byDimension = new Map<RetentionDimension, [string, number][]>();
  for (const row of rows) {
    const n = value(row);
    if (row._id.by === TOTAL) counts.users = n;
    else if (n > 0 && RETENTION_DIMENSIONS.includes(row._id.by as RetentionDimension)) {
      const by = row._id.by as RetentionDimension;
      byDimension.set(by, [...(byDimension.get(by) ?? []), [escapeKey(String(row._id.key)), n]]);
    }
  }
  for (const [by, keys] of byDimension) {
    const kept = keys.sort(([ka, a], [kb, b]) => b - a || (ka < kb ? -1 : ka > kb ? 1 : 0)).slice(0, TOP_KEYS);
    counts.by[by] = Object.fromEntries(kept);
  }
  return counts;
}

/**
 * What a day's retention rows make: its own section (the cohort and the reactivated users; `days`
 * and `returns` are the later days' to write) and its part of each earlier cohort's.
 */
export function retentionOf(day: string, out: RetentionOutputs): { section: RetentionSection; cohorts: CohortPart[] } {
  const atAge = (age: number): RetentionRow[] => out.cohorts.filter((row) => num(row._id.age) === age);
  // the cohorts of days one can write (none before the calendar's first)
  const ages = Array.from({ length: MAX_AGE }, (_, i) => i + 1).filter((age) => isChinaDay(addDays(day, -age)));
  const cohorts = ages.map((age): CohortPart => {
    const rows = atAge(age);
    const part: CohortPart = { cohortDay: addDays(day, -age), age, returns: countsOf(rows, (row) => num(row.back)) };
    if ((RETENTION_DAYS as readonly number[]).includes(age)) part.day = countsOf(rows, (row) => num(row.users));
    return part;
  });
  const section: RetentionSection = {
    cohort: countsOf(atAge(0), (row) => num(row.users)),
    days: {},
    returns: {},
    reactivated: countsOf(out.reactivated, (row) => num(row.users)),
  };
  return { section, cohorts };
}

/** Counts with their keys as they were sent. */
export function readableCounts(counts: RetentionCounts): RetentionCounts {
  const by = Object.fromEntries(Object.entries(counts.by).map(([dimension, keys]) => [dimension, Object.fromEntries(Object.entries(keys).map(([key, n]) => [unescapeKey(key), n]))]));
  return { users: counts.users, by };
}

/** A `retention` section as an answer shows it: every key as it was sent. */
export function readableRetention(section: RetentionSection): RetentionSection {
  const each = (map: Record<string, RetentionCounts> = {}): Record<string, RetentionCounts> => Object.fromEntries(Object.entries(map).map(([n, counts]) => [n, readableCounts(counts)]));
  return { cohort: readableCounts(section.cohort), days: each(section.days), returns: each(section.returns), reactivated: readableCounts(section.reactivated) };
}
