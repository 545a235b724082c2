/**
 * The demo's seeding is deterministic: seeded twice from the same seed, ending on the same day, it
 * leaves the same rollups (all but when each was computed), whatever order its lanes' calls took.
 */
import cloud from 'wx-server-sdk';
import { useEmulatorFromThisProcess } from '../helpers/emulator';
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
}, 120_000);
