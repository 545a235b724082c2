/**
 * The demo's seeding is deterministic: seeded twice from the same seed, ending on the same day, it
 * leaves the same rollups (all but when each was computed), whatever order its lanes' calls took.
 * Its paid orders are in them, some verified, and `admin` `goals` answers them by entry point.
 */
import cloud from 'wx-server-sdk';
import { APP } from '../../bench/cost/play';
import { invokeAs, useEmulatorFromThisProcess } from '../helpers/emulator';
import { seededEmulator, type SeededEmulator } from '../helpers/demo';

const NOW = '2026-03-15T06:00:00Z';
const seeded: SeededEmulator[] = [];

afterAll(async () => {
  await Promise.all(seeded.map((one) => one.stop()));
});

async function rollupsOf(url: string): Promise<Record<string, unknown>[]> {
  useEmulatorFromThisProcess(url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
  const { data } = (await cloud.database().collection('rollups_daily').orderBy('_id', 'asc').limit(1000).get()) as unknown as { data: Record<string, unknown>[] };
  return data.map(({ computedAt: _computedAt, ...rest }) => rest);
}

test('the same seed and day seed the same rollups', async () => {
  seeded.push(...(await Promise.all([seededEmulator({ days: 14, scale: 0.25, now: NOW }), seededEmulator({ days: 14, scale: 0.25, now: NOW })])));
  const [first, second] = [await rollupsOf(seeded[0].emulator.url), await rollupsOf(seeded[1].emulator.url)];
  expect(first.map((doc) => doc._id)).toEqual(Array.from({ length: 13 }, (_, k) => `2026-03-${String(2 + k).padStart(2, '0')}`));
  expect((first[12].totals as { entries: number }).entries).toBeGreaterThan(0);
  expect(second).toEqual(first);

  const orders = first.map((doc) => (doc.goals as Record<string, { goals: number; value: number }>).order_paid ?? { goals: 0, value: 0 });
  const goals = orders.reduce((sum, day) => sum + day.goals, 0);
  expect(goals).toBeGreaterThan(0);
  const { url } = seeded[0].emulator;
  const answer = await invokeAs(url, 'admin', { action: 'goals', from: first[0]._id, to: first[12]._id, goal: 'order_paid', model: 'last', by: 'category' }, { openid: seeded[0].operator, appid: APP });
  const result = answer.result as { totals: { goals: number; value: number; verified: number }; keys: { key: string; goals: number }[] };
  expect(result.totals.goals).toBe(goals);
  // most confirmed by the operator's function, not all
  expect(result.totals.verified).toBeGreaterThan(0);
  expect(result.totals.verified).toBeLessThan(goals);
  expect(result.totals.value).toBe(orders.reduce((sum, day) => sum + day.value, 0));
  expect(result.keys.length).toBeGreaterThan(1);
}, 120_000);
