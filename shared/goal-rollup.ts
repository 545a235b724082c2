/**
 * Goals in the daily rollup (`goals`): for each goal name, the day's goals, their value, the users
 * who reached one (converters) and how many were verified; and under each attribution model, by
 * each dimension's key, the goals and value credited to it, its converters, the users who entered
 * through it that day, the conversion rate, and the median time from the credited entry to the goal
 * with the bucket counts it is read from (`shared/goal-times.ts`). Pure: four pipelines as data and
 * what their rows make of the document; `server/rollup.ts` runs them after the day's others.
 *
 * Definitions (the README repeats them): a goal counts on the China day of its time; a key's
 * **converters** are the users with at least one goal of that name that day credited to it (under
 * that model); its **users** are the users with an entry through it that day, as `byScene` … count
 * them; **conversionRate** = converters / users (null when no one entered through it that day: a
 * first touch weeks before, say), so that a key's rate is of one day's visitors. A goal credited to
 * an entry of an earlier day still counts on its own day.
 *
 * Every pipeline reads the day's user-days, where `track` keeps each user's goals with their
 * credits and one row per (goal, model, dimension, key) they are credited to (`shared/day-goals.ts`):
 * the `$group` stages hold a group per key (per key and time bucket for the medians), never a
 * (user, key) pair, and every count is exact.
 */
import { GOAL_DIMENSIONS, GOAL_MODELS } from './goals';
import { escapeKey } from './keys';
import { addHistogram, medianSeconds } from './goal-times';
import type { GoalDimension, GoalModel } from './model';
import { num, type Pipeline, type Stage } from './rollup';

/** Goal names a day keeps, those with most goals first. */
export const MAX_GOAL_NAMES = 100;
/** (goal, model, dimension, key) rows a day reads, most goals first. */
export const MAX_GOAL_ROWS = 5000;
/** Keys a day keeps per goal, model and dimension, most goals first. */
export const TOP_GOAL_KEYS = 100;

/** Where a user-day counts its entries by each dimension's keys: who entered through a key. */
export const ENTRY_MAPS: Record<GoalDimension, string> = {
  bucket: 'byBucket',
  category: 'byCategory',
  scene: 'byScene',
  channel: 'byChannel',
  page: 'byPage',
  share: 'bySharer',
  group: 'groupOpens',
  message: 'byMessage',
  card: 'byCard',
};

export interface GoalRow {
  goals: number;
  /** Fen. */
  value: number;
  converters: number;
  users: number;
  conversionRate: number | null;
  medianSeconds: number | null;
  /** Goals by time bucket (`shared/goal-times.ts`): what medians over a range are read from. */
  times: Record<string, number>;
}

/** A model's keys by dimension (escaped, as every map's). */
export type GoalKeys = Partial<Record<GoalDimension, Record<string, GoalRow>>>;

export interface GoalDay {
  goals: number;
  value: number;
  converters: number;
  verified: number;
  first: GoalKeys;
  last: GoalKeys;
  lastNonDirect: GoalKeys;
}

type RowId = { n: string; m: GoalModel; d: GoalDimension; k: string };

/** What the four pipelines answer. */
export interface GoalOutputs {
  names: { _id: unknown; goals: number; value: number; verified: number; converters: number }[];
  keys: { _id: RowId; goals: number; value: number; converters: number }[];
  times: { _id: RowId; goals: number; times: { b: unknown; c: number }[] }[];
  users: { _id: { d: GoalDimension; k: string }; users: number }[];
}

/** The day's user-days that hold goals. */
const withGoals = (day: string): Stage => ({ $match: { day, goalCount: { $gt: 0 } } });
const byGoals: Stage = { $sort: { goals: -1, _id: 1 } };

/** Each goal name of the day: its goals, value, verified goals and converters. */
export function goalNamesPipeline(day: string): Pipeline {
  return {
    collection: 'user_days',
    stages: [
      withGoals(day),
      { $unwind: '$goalNames' },
      { $group: { _id: '$goalNames.n', goals: { $sum: '$goalNames.goals' }, value: { $sum: '$goalNames.value' }, verified: { $sum: '$goalNames.verified' }, converters: { $sum: 1 } } },
      byGoals,
      { $limit: MAX_GOAL_NAMES },
    ],
  };
}

/** Each (goal, model, dimension, key): its goals, value and converters. */
export function goalKeysPipeline(day: string): Pipeline {
  return {
    collection: 'user_days',
    stages: [
      withGoals(day),
      { $unwind: '$goalKeys' },
      { $group: { _id: { n: '$goalKeys.n', m: '$goalKeys.m', d: '$goalKeys.d', k: '$goalKeys.k' }, goals: { $sum: '$goalKeys.goals' }, value: { $sum: '$goalKeys.value' }, converters: { $sum: 1 } } },
      byGoals,
      { $limit: MAX_GOAL_ROWS },
    ],
  };
}

/**
 * Each (goal, model, dimension, key) with its goals by time bucket: the same rows in the same order
 * as `goalKeysPipeline` (each counts the goals credited to the key), so both keep the same ones.
 */
export function goalTimesPipeline(day: string): Pipeline {
  return {
    collection: 'user_days',
    stages: [
      withGoals(day),
      { $unwind: '$goals' },
      { $project: { n: '$goals.name', c: { $objectToArray: '$goals.credit' } } },
      { $unwind: '$c' },
      { $project: { n: 1, m: '$c.k', b: '$c.v.b', kv: { $objectToArray: '$c.v.keys' } } },
      { $unwind: '$kv' },
      { $group: { _id: { n: '$n', m: '$m', d: '$kv.k', k: '$kv.v', b: '$b' }, c: { $sum: 1 } } },
      { $group: { _id: { n: '$_id.n', m: '$_id.m', d: '$_id.d', k: '$_id.k' }, goals: { $sum: '$c' }, times: { $push: { b: '$_id.b', c: '$c' } } } },
      byGoals,
      { $limit: MAX_GOAL_ROWS },
    ],
  };
}

/** The keys kept of each dimension: the users who entered through them are counted. */
export function keysByDimension(out: Pick<GoalOutputs, 'keys'>): Partial<Record<GoalDimension, string[]>> {
  const keys: Partial<Record<GoalDimension, Set<string>>> = {};
  for (const { _id } of out.keys) (keys[_id.d] ??= new Set()).add(_id.k);
  return Object.fromEntries(Object.entries(keys).map(([d, set]) => [d, [...set].sort()]));
}

/**
 * The users with an entry through each of `keys` that day (a user-day has each key once): only
 * the keys goals were credited to, carried as literal lists. Undefined when there are none.
 */
export function goalUsersPipeline(day: string, keys: Partial<Record<GoalDimension, string[]>>): Pipeline | undefined {
  const dimensions = GOAL_DIMENSIONS.filter((d) => (keys[d]?.length ?? 0) > 0);
  if (dimensions.length === 0) return undefined;
  const rows = dimensions.map((d) => ({
    $map: {
      input: { $filter: { input: { $objectToArray: { $ifNull: [`$${ENTRY_MAPS[d]}`, {}] } }, as: 'kv', cond: { $in: ['$$kv.k', { $literal: keys[d] }] } } },
      as: 'kv',
      in: { d, k: '$$kv.k' },
    },
  }));
  return {
    collection: 'user_days',
    stages: [
      { $match: { day, entries: { $gt: 0 } } },
      { $project: { rows: { $concatArrays: rows } } },
      { $unwind: '$rows' },
      { $group: { _id: '$rows', users: { $sum: 1 } } },
      { $limit: MAX_GOAL_ROWS },
    ],
  };
}

/** Converters over users, to 4 places; null when no one entered through the key. */
export const conversionRate = (converters: number, users: number): number | null => (users > 0 ? Math.round((converters / users) * 10_000) / 10_000 : null);

const emptyDay = (): GoalDay => ({ goals: 0, value: 0, converters: 0, verified: 0, first: {}, last: {}, lastNonDirect: {} });

/**
 * The day's `goals` section from the pipelines' rows: each goal name kept (escaped as map keys are:
 * a name may be `__proto__`), its keys the `TOP_GOAL_KEYS` most credited per model and dimension.
 */
export function goalSection(out: GoalOutputs): Record<string, GoalDay> {
  const section = new Map<string, GoalDay>();
  for (const row of out.names) section.set(escapeKey(String(row._id)), { ...emptyDay(), goals: num(row.goals), value: num(row.value), converters: num(row.converters), verified: num(row.verified) });
  const idOf = ({ n, m, d, k }: RowId): string => JSON.stringify([n, m, d, k]);
  const times = new Map(out.times.map((row) => [idOf(row._id), row.times.reduce<Record<string, number>>((histogram, { b, c }) => addHistogram(histogram, { [String(b)]: num(c) }), {})]));
  const users = new Map(out.users.map((row) => [JSON.stringify([row._id.d, row._id.k]), num(row.users)]));
  for (const row of out.keys) {
    const { n, m, d, k } = row._id;
    const day = section.get(escapeKey(n));
    if (!day || !GOAL_MODELS.includes(m)) continue;
    const map = (day[m][d] ??= {});
    if (Object.keys(map).length >= TOP_GOAL_KEYS) continue;
    const histogram = times.get(idOf(row._id)) ?? {};
    const entered = users.get(JSON.stringify([d, k])) ?? 0;
    map[k] = { goals: num(row.goals), value: num(row.value), converters: num(row.converters), users: entered, conversionRate: conversionRate(num(row.converters), entered), medianSeconds: medianSeconds(histogram), times: histogram };
  }
  return Object.fromEntries(section);
}
