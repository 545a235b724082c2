/** The overview's stacked shares: a day without a rollup, or without entries, is a gap (null), not 0% for every key. */
import { dayShares, markIsolated } from '../../dashboard/src/sections/day-shares';

const day = (date: string, byBucket: Record<string, number>, missing = false): { day: string; missing: boolean; entries: number; byBucket: Record<string, number> } => ({
  day: date,
  missing,
  entries: Object.values(byBucket).reduce((sum, entries) => sum + entries, 0),
  byBucket,
});

test('each day is its share of that day, one decimal; a day without a rollup or without entries is null', () => {
  const trend = [day('2024-11-26', { search: 1, share: 2 }), day('2024-11-27', {}, true), day('2024-11-28', {}), day('2024-11-29', { share: 4 })];
  expect(dayShares(trend, (d) => d.byBucket, 'search')).toEqual([33.3, null, null, 0]);
  expect(dayShares(trend, (d) => d.byBucket, 'share')).toEqual([66.7, null, null, 100]);
});

test('a day between two gaps (or a gap and the end) gets a dot of its own; days beside others are a line', () => {
  const dot = (value: number): { value: number; symbol: 'circle'; symbolSize: number } => ({ value, symbol: 'circle', symbolSize: 6 });
  expect(markIsolated([null, 40, null, 10, 20, null, 5])).toEqual([null, dot(40), null, 10, 20, null, dot(5)]);
  expect(markIsolated([7])).toEqual([dot(7)]);
  expect(markIsolated([0, null])).toEqual([dot(0), null]);
});
