/**
 * How long rolling up a day will take, from its number of user-days: what lets one rollup call
 * (a run of the daily timer, a backfill) stop between days before its 60 s timeout rather than be
 * cut off inside one, which would store nothing of that day. Pure.
 */

/** A day a call rolled up: its user-days, and how long computing and storing it took, in ms. */
export interface DayPace {
  userDays: number;
  ms: number;
}

/**
 * The pace assumed, in ms per user-day, until a call has rolled up a day big enough to measure its
 * own: about 1.5× the slowest measured by `npm run bench -- rollup` on 2 cores (a million events,
 * 94,380 user-days: 0.046 ms each; ten million, 941,478: 0.028–0.042). The cloud's own pace,
 * which no emulator measures, replaces it as soon as a call has rolled up a big day, if slower.
 */
export const ASSUMED_MS_PER_USER_DAY = 0.07;
/** A day with fewer user-days says more about a day's fixed cost (its twenty-odd requests) than about the pace. */
export const PACE_SAMPLE_USER_DAYS = 10_000;

/**
 * The time a day of `userDays` user-days is expected to take, in ms: the slowest fixed cost seen on
 * a small day, plus its user-days at the slowest pace seen on a big one (or the assumed pace, if
 * slower).
 */
export function expectedDayMs(paces: readonly DayPace[], userDays: number): number {
  const big = paces.filter((pace) => pace.userDays >= PACE_SAMPLE_USER_DAYS);
  const small = paces.filter((pace) => pace.userDays < PACE_SAMPLE_USER_DAYS);
  const msPerUserDay = Math.max(ASSUMED_MS_PER_USER_DAY, ...big.map((pace) => pace.ms / pace.userDays));
  return Math.max(0, ...small.map((pace) => pace.ms)) + msPerUserDay * userDays;
}

/**
 * Whether a call that must be done by `endBy` (epoch ms) starts a day of `userDays` user-days at
 * `now`, having rolled up the days of `paces`: its first day always (a day too big for a call's
 * budget is rolled alone, in a call of its own), any later one only if expected to end in time.
 */
export function mayStartDay(paces: readonly DayPace[], userDays: number, now: number, endBy: number): boolean {
  return paces.length === 0 || now + expectedDayMs(paces, userDays) <= endBy;
}
