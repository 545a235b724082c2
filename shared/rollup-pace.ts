/**
 * When a rollup call (a run of the daily timer, a backfill) stops: between two steps of its work,
 * each step one aggregation of a day's rollup, before the 60 s timeout that would cut it off inside
 * one and lose what it was doing. Pure.
 */

/** The steps a call has taken so far, and the slowest, in ms. */
export interface Pace {
  steps: number;
  slowestMs: number;
}

export const NO_STEPS: Pace = { steps: 0, slowestMs: 0 };

/** The pace after one more step that took `ms`. */
export const paced = (pace: Pace, ms: number): Pace => ({ steps: pace.steps + 1, slowestMs: Math.max(pace.slowestMs, ms) });

/**
 * Whether a call that must be done by `endBy` (epoch ms) starts another step at `now`: its first
 * always (a call always does something), any later one only if its slowest step so far would still
 * end in time. A step is one aggregation over one day's user-days: the slowest of a day takes about
 * as long as any other of that day, so a call ends at most one step past `endBy` (the first step of
 * a bigger day than those before it).
 */
export function mayStartStep(pace: Pace, now: number, endBy: number): boolean {
  return pace.steps === 0 || now + pace.slowestMs <= endBy;
}
