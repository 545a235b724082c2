/** Each day's share of entries for one key, as the overview's stacked charts draw it (no DOM: unit-tested under node). */

/** What of a day of `overview`'s trend the shares need. */
export interface DayOfEntries {
  missing: boolean;
  entries: number;
}

/**
 * The percentage (one decimal) of each day's entries that `key` had, by `pick` (a day's entries by
 * bucket or category); null, a gap in the chart, for a day without a rollup or without entries: a
 * day with nothing to share out is not a day of 0% for every key.
 */
export function dayShares<D extends DayOfEntries>(trend: readonly D[], pick: (day: D) => Record<string, number>, key: string): (number | null)[] {
  return trend.map((day) => (day.missing || day.entries === 0 ? null : Math.round(((pick(day)[key] ?? 0) / day.entries) * 1000) / 10));
}

/** A point drawn with its own dot: a line without symbols draws nothing for a day between two gaps. */
export interface MarkedPoint {
  value: number;
  symbol: 'circle';
  symbolSize: number;
}

/** The points of a line, each one between two gaps (or a gap and the end) given a dot so that its day is seen. */
export function markIsolated(points: readonly (number | null)[]): (number | null | MarkedPoint)[] {
  return points.map((value, i) => (value !== null && (points[i - 1] ?? null) === null && (points[i + 1] ?? null) === null ? { value, symbol: 'circle', symbolSize: 6 } : value));
}
