/**
 * One goal over a range of days (`admin` `goals`), by the keys of one dimension under one model,
 * from the days' rollups. Pure: `server/stats.ts` reads, this sums.
 *
 * Range numbers are sums of the days' numbers, as every range stat is: `converterDays` where a
 * day says `converters` (someone who converted on two days is two converter-days), `userDays`
 * where it says `users`; the conversion rate is converterDays / userDays. A key's users are those
 * of every day of the range that counts goals, credited that day or not: for bucket, category,
 * scene, channel and page from the day's own map (`byScene` …, as `topEntries` and `channels` sum
 * them); share, group, message and card keys have users in a day's goal rows only, which hold the
 * keys credited that day, so theirs are of the days each was credited. Goals and value add up
 * exactly (each goal is on one day). The median is read from the days' time buckets summed, by
 * the same rule as a day's (`shared/goal-times.ts`).
 *
 * @example
 * goalStats({ from, to, goal: 'order_paid', model: 'last', by: 'channel', limit: 20 }, rollups)
 * // → { totals: { goals: 31, value: 298000, converterDays: 29, verified: 30 }, keys: [{ key: 'poster-7', goals: 12, … }], … }
 */
import { conversionRate, type GoalRow } from './goal-rollup';
import { addHistogram, medianSeconds } from './goal-times';
import { escapeKey, unescapeKey } from './keys';
import type { GoalDimension, GoalModel } from './model';
import { MAP_OF, type Dimension, type RollupDoc, type SceneNames } from './rollup';
import { dayRange } from './time';
import { missingDays } from './stats';

export interface GoalsRequest {
  from: string;
  to: string;
  goal: string;
  model: GoalModel;
  by: GoalDimension;
  limit: number;
}

export interface GoalKeyStats {
  key: string;
  goals: number;
  value: number;
  converterDays: number;
  userDays: number;
  conversionRate: number | null;
  medianSeconds: number | null;
  zh?: string;
  en?: string;
}

export interface GoalsAnswer extends Omit<GoalsRequest, 'limit'> {
  totals: { goals: number; value: number; converterDays: number; verified: number };
  keys: GoalKeyStats[];
  /** Days of the range without a rollup. */
  missingDays: string[];
  /** Days whose rollup was written before goals were counted (`rollup-6`): backfill them to count theirs. */
  daysToBackfill: string[];
}

/** The version from which rollups count goals. */
const GOALS_SINCE = 6;
const countsGoals = (version: string): boolean => Number(/^rollup-(\d+)$/.exec(version)?.[1] ?? 0) >= GOALS_SINCE;

/** A day's goal of that name, its own property only (a name such as `constructor` is a name like any other). */
const goalOf = (doc: Pick<RollupDoc, 'goals'>, name: string) => (doc.goals && Object.hasOwn(doc.goals, name) ? doc.goals[name] : undefined);

/** The rollup map a dimension's users are read from over a range, when the rollup has one (`goalStats`). */
export const usersMapOf = (by: GoalDimension): (typeof MAP_OF)[Dimension] | undefined => (Object.hasOwn(MAP_OF, by) ? MAP_OF[by as Dimension] : undefined);

/** A day's rollup as `goalStats` reads it: the goal (`goals.<name>`) and, for a dimension with a map (`usersMapOf`), that map. */
export type GoalRangeDoc = Pick<RollupDoc, '_id' | 'version' | 'goals'> & Partial<Pick<RollupDoc, (typeof MAP_OF)[Dimension]>>;

export function goalStats(request: GoalsRequest, docs: readonly GoalRangeDoc[], sceneNames: (scene: number) => SceneNames): GoalsAnswer {
  const { from, to, goal, model, by, limit } = request;
  const totals = { goals: 0, value: 0, converterDays: 0, verified: 0 };
  const sums = new Map<string, Omit<GoalKeyStats, 'key' | 'conversionRate' | 'medianSeconds'> & { times: Record<string, number> }>();
  const map = usersMapOf(by);
  const counted = docs.filter((doc) => countsGoals(doc.version));
  for (const doc of docs) {
    const day = goalOf(doc, escapeKey(goal));
    if (!day) continue;
    totals.goals += day.goals;
    totals.value += day.value;
    totals.converterDays += day.converters;
    totals.verified += day.verified;
    for (const [escaped, row] of Object.entries<GoalRow>(day[model][by] ?? {})) {
      const key = unescapeKey(escaped);
      const sum = sums.get(key) ?? { goals: 0, value: 0, converterDays: 0, userDays: 0, times: {} };
      sum.goals += row.goals;
      sum.value += row.value;
      sum.converterDays += row.converters;
      if (!map) sum.userDays += row.users;
      addHistogram(sum.times, row.times);
      sums.set(key, sum);
    }
  }
  if (map) {
    for (const [key, sum] of sums) {
      const escaped = escapeKey(key);
      for (const doc of counted) {
        const counts = doc[map];
        if (counts && Object.hasOwn(counts, escaped)) sum.userDays += counts[escaped].users;
      }
    }
  }
  const keys = [...sums.entries()]
    .sort(([ka, a], [kb, b]) => b.goals - a.goals || (ka < kb ? -1 : ka > kb ? 1 : 0))
    .slice(0, limit)
    .map(([key, { times, ...sum }]) => ({
      key,
      ...sum,
      conversionRate: conversionRate(sum.converterDays, sum.userDays),
      medianSeconds: medianSeconds(times),
      ...(by === 'scene' ? sceneNames(Number(key)) : {}),
    }));
  return {
    from,
    to,
    goal,
    model,
    by,
    totals,
    keys,
    missingDays: missingDays(dayRange(from, to), docs),
    daysToBackfill: docs.filter((doc) => !countsGoals(doc.version)).map((doc) => doc._id),
  };
}
