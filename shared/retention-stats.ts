/**
 * Retention by entry point over a range of cohort days (`admin` `retention`), from the cohorts'
 * rollup documents (their `retention` sections, `shared/retention.ts`). Pure: `server/stats.ts`
 * reads, this computes.
 *
 * A cohort's day-N value is known once day D+N is rolled up (its rollup writes it into the
 * cohort's document), and "returned within N days" once each of the days D+1 … D+N is; a value not
 * known yet is `null`, and so is every value of a cohort without users (of the key). Over the range,
 * each value adds up the cohorts that know it: `users` of those cohorts came back, of `cohort`
 * users, at `rate`. Users add up across cohorts exactly (each
 * user is in one cohort); reactivated users are counted on each day they came back.
 *
 * @example
 * retentionStats({ from: '2024-05-01', to: '2024-05-07', by: 'channel', days: [1, 7, 30], limit: 20 }, docs, names)
 * // → { total: { users: 812, days: { '1': { users: 301, cohort: 812, rate: 0.3707 }, '7': …, '30': null }, returned: … }, keys: [{ key: 'poster-7', … }], cohorts: […], reactivated: … }
 */
import { escapeKey, unescapeKey } from './keys';
import { ratio } from './ratio';
import { RETURN_WINDOWS, type RetentionCounts, type RetentionDimension, type RetentionSection } from './retention';
import type { RollupDoc, SceneNames } from './rollup';
import { dayRange } from './time';
import { missingDays } from './stats';

/** Of the cohorts that know a value: how many came back, of how many, and the ratio. */
export interface RetentionValue {
  users: number;
  cohort: number;
  rate: number;
}

/** A cohort's numbers (or a key's, or a range's): its users, and each value asked for, `null` while not known. */
export interface RetentionRow {
  users: number;
  days: Record<string, RetentionValue | null>;
  returned: Record<string, RetentionValue | null>;
}

export interface RetentionAnswer {
  from: string;
  to: string;
  by: RetentionDimension | null;
  days: number[];
  returned: number[];
  /** Every cohort of the range together. */
  total: RetentionRow;
  /** The `limit` keys with the most users in the range's cohorts (most first, ties by key), each over the range. */
  keys: (RetentionRow & { key: string } & Partial<SceneNames>)[];
  /** Each cohort day with a rollup of this code, oldest first: its total and the same keys. */
  cohorts: (RetentionRow & { day: string; keys: (RetentionRow & { key: string })[] })[];
  /** Users back after more than 30 days without an entry, on the range's days: in all, by the `limit` keys of the entry that brought them back, and day by day. */
  reactivated: { users: number; keys: { key: string; users: number }[]; daily: { day: string; users: number }[] };
  /** Days of the range with no rollup. */
  missingDays: string[];
  /** Days of the range rolled up before retention was counted (`rollup-6`): backfill them (and the 30 days after) to count it. */
  daysToBackfill: string[];
}

export interface RetentionQuery {
  from: string;
  to: string;
  by: RetentionDimension | null;
  days: number[];
  limit: number;
}

/** A count's users under a key (all of them without one). */
const usersOf = (counts: RetentionCounts | undefined, by: RetentionDimension | null, key: string | undefined): number =>
  !counts ? 0 : by === null || key === undefined ? counts.users : (counts.by[by]?.[escapeKey(key)] ?? 0);

/** The users of a cohort who were back on day N, when known. */
function dayValue(section: RetentionSection, n: number, by: RetentionDimension | null, key: string | undefined): number | null {
  const counts = section.days?.[String(n)];
  return counts ? usersOf(counts, by, key) : null;
}

/** The users of a cohort who came back within N days (their first day back is one of them), when each of those days is rolled up. */
function withinValue(section: RetentionSection, n: number, by: RetentionDimension | null, key: string | undefined): number | null {
  let users = 0;
  for (let age = 1; age <= n; age++) {
    const counts = section.returns?.[String(age)];
    if (!counts) return null;
    users += usersOf(counts, by, key);
  }
  return users;
}

/** A row from cohorts: each value over those that know it. */
function rowOf(sections: readonly RetentionSection[], query: RetentionQuery, key: string | undefined): RetentionRow {
  const sum = (value: (section: RetentionSection) => number | null): RetentionValue | null => {
    let users = 0;
    let cohort = 0;
    let known = false;
    for (const section of sections) {
      const size = usersOf(section.cohort, query.by, key);
      // a cohort with none of the key's users knows nothing of them, whatever its day-N holds
      const back = size === 0 ? null : value(section);
      if (back === null) continue;
      known = true;
      users += back;
      cohort += size;
    }
    return known ? { users, cohort, rate: ratio(users, cohort) } : null;
  };
  return {
    users: sections.reduce((n, section) => n + usersOf(section.cohort, query.by, key), 0),
    days: Object.fromEntries(query.days.map((n) => [String(n), sum((section) => dayValue(section, n, query.by, key))])),
    returned: Object.fromEntries(RETURN_WINDOWS.map((n) => [String(n), sum((section) => withinValue(section, n, query.by, key))])),
  };
}

/** A dimension's keys over counts, the most users first (ties by key), at most `limit`: keys as they were sent. */
function topKeys(counts: readonly RetentionCounts[], by: RetentionDimension, limit: number): { key: string; users: number }[] {
  const sums = new Map<string, number>();
  for (const { by: maps } of counts) for (const [escaped, n] of Object.entries(maps[by] ?? {})) sums.set(unescapeKey(escaped), (sums.get(unescapeKey(escaped)) ?? 0) + n);
  return [...sums.entries()]
    .sort(([ka, a], [kb, b]) => b - a || (ka < kb ? -1 : ka > kb ? 1 : 0))
    .slice(0, limit)
    .map(([key, users]) => ({ key, users }));
}

/** The answer of `admin` `retention` from the rollups of the range's days (any of them may be missing). */
export function retentionStats(query: RetentionQuery, docs: readonly Pick<RollupDoc, '_id' | 'retention'>[], sceneNames: (scene: number) => SceneNames): RetentionAnswer {
  const days = dayRange(query.from, query.to);
  const byDay = new Map(docs.map((doc) => [doc._id, doc]));
  // a document of older code may hold what later days wrote into it, but not its own cohort
  const counted = days.flatMap((day) => {
    const section = byDay.get(day)?.retention;
    return section?.cohort ? [{ day, section }] : [];
  });
  const sections = counted.map(({ section }) => section);
  const keys = query.by === null ? [] : topKeys(sections.map((section) => section.cohort), query.by, query.limit).map(({ key }) => key);
  const named = (key: string): Partial<SceneNames> => (query.by === 'scene' ? sceneNames(Number(key)) : {});
  const reactivatedKeys = query.by === null ? [] : topKeys(sections.map((section) => section.reactivated), query.by, query.limit);
  return {
    from: query.from,
    to: query.to,
    by: query.by,
    days: query.days,
    returned: [...RETURN_WINDOWS],
    total: rowOf(sections, query, undefined),
    keys: keys.map((key) => ({ key, ...named(key), ...rowOf(sections, query, key) })),
    cohorts: counted.map(({ day, section }) => ({ day, ...rowOf([section], query, undefined), keys: keys.map((key) => ({ key, ...rowOf([section], query, key) })) })),
    reactivated: {
      users: sections.reduce((n, section) => n + section.reactivated.users, 0),
      keys: reactivatedKeys,
      daily: counted.map(({ day, section }) => ({ day, users: section.reactivated.users })),
    },
    missingDays: missingDays(days, docs),
    daysToBackfill: days.filter((day) => byDay.has(day) && !byDay.get(day)?.retention?.cohort),
  };
}

