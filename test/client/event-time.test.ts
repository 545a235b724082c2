/**
 * When an event happened (issue 7 §2): a phone's events count on the day and in the sessions of
 * when they happened, however wrong its clock and however late they are delivered. Real tracker
 * code on a simulated phone, the real `track` and `rollup` through the emulator.
 */
import cloud from 'wx-server-sdk';
import type { EnterEvent } from '../../shared/model';
import { addDays, chinaDay, chinaDayStart } from '../../shared/time';
import { emulatorNow, MIDDAY, startEmulator, useEmulatorFromThisProcess, type RunningEmulator } from '../helpers/emulator';
import { gateway, SimulatedPhone } from './simulated-wx';

const APP = 'wx0000000000000000';
const HOUR = 3600_000;
const MINUTE = 60_000;
let emulator: RunningEmulator;
let db: ReturnType<typeof cloud.database>;

beforeAll(async () => {
  // today and yesterday are the emulator's: from noon, the day cannot change while the suite runs
  emulator = await startEmulator({ timers: false, clock: MIDDAY });
  useEmulatorFromThisProcess(emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
  db = cloud.database();
});

afterAll(async () => {
  await emulator?.stop();
});

test('a phone 3 hours fast, offline yesterday morning and afternoon, delivers today: yesterday\'s rollup has its entries, in 2 sessions', async () => {
  const today = chinaDay(Date.parse(MIDDAY));
  const yesterday = addDays(today, -1);
  const fast = 3 * HOUR;
  const morning = chinaDayStart(yesterday).getTime() + 9 * HOUR;
  const phone = new SimulatedPhone('o-fast', gateway(emulator.url, APP), {}, morning + fast);
  phone.online = false;

  // 09:00: from the pull-down bar; 09:10: a poster's code (same session); 15:00: again from the bar
  phone.launch({ scene: 1089, path: 'pages/index/index', query: {} });
  phone.openPage('pages/index/index', {});
  phone.hide();
  await phone.advance(10 * MINUTE);
  phone.show({ scene: 1047, path: 'pages/index/index', query: { scene: 'rk_ch%3Dposter7' } });
  phone.hide();
  await phone.advance(6 * HOUR - 10 * MINUTE);
  phone.show({ scene: 1089, path: 'pages/index/index', query: {} });
  phone.hide();
  // the phone comes back online today, its clock still 3 hours fast; WeChat destroyed the hidden
  // app long ago, and the user opens it again: the launch sends what the outbox kept
  await phone.advance((await emulatorNow(emulator.url)) + fast - phone.clock.now());
  phone.kill();
  phone.online = true;
  phone.launch({ scene: 1089, path: 'pages/index/index', query: {} });
  await phone.settle();
  expect(phone.tracker?.counts().queued).toBe(0);

  const enters = ((await db.collection('events').where({ openid: 'o-fast', type: 'enter', day: yesterday }).get()) as unknown as { data: EnterEvent[] }).data;
  const local = (event: EnterEvent): string => new Date(new Date(event.at).getTime() + 8 * HOUR).toISOString().slice(11, 16);
  expect(enters.map((event) => [event.day, local(event)]).sort()).toEqual([
    [yesterday, '09:00'],
    [yesterday, '09:10'],
    [yesterday, '15:00'],
  ]);
  // they arrived today
  expect(enters.map((event) => chinaDay(event.serverAt))).toEqual([today, today, today]);

  // the timer of 00:17 today rolls up yesterday
  const time = new Date(chinaDayStart(today).getTime() + 17 * MINUTE).toISOString();
  const response = await fetch(`${emulator.url}/triggers/rollup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ time }) });
  expect(((await response.json()) as { result: { day: string } }).result.day).toBe(yesterday);
  const [doc] = ((await db.collection('rollups_daily').where({ _id: yesterday }).get()) as unknown as { data: { totals: Record<string, number>; byChannel: Record<string, unknown>; lateEvents: number }[] }).data;
  expect(doc.totals).toEqual({ entries: 3, users: 1, newUsers: 1, sessions: 2, cold: 1, hot: 2 });
  // new yesterday, but first through the pull-down bar: the poster is not their first touch
  expect(doc.byChannel).toEqual({ poster7: { entries: 1, users: 1, newUsers: 1, firstTouch: 0 } });
  // all 9 events of the day (3 entries, their 3 page views, 3 hides) arrived after it ended
  expect(doc.lateEvents).toBe(9);
});

test('a phone whose clock was reset to 1970 has its events counted when they happened, not refused', async () => {
  const phone = new SimulatedPhone('o-reset', gateway(emulator.url, APP), {}, Date.UTC(1970, 0, 1, 0, 5));
  const before = await emulatorNow(emulator.url);
  phone.launch({ scene: 1001, path: 'pages/index/index', query: {} });
  phone.openPage('pages/index/index', {});
  await phone.advance(90_000);
  phone.hide();
  await phone.settle();
  expect(phone.tracker?.counts()).toEqual({ queued: 0, dropped: 0, rejected: 0 });
  const stored = ((await db.collection('events').where({ openid: 'o-reset' }).get()) as unknown as { data: { type: string; at: Date }[] }).data;
  expect(stored.map((event) => event.type).sort()).toEqual(['enter', 'hide', 'page']);
  // the entry went out at once (a first launch), the hide 90 s later by the phone's clock
  for (const event of stored) expect(new Date(event.at).getTime()).toBeGreaterThanOrEqual(before - 90_000 - 1000);
  expect(new Date(stored.find((event) => event.type === 'hide')!.at).getTime()).toBeGreaterThanOrEqual(before);
});
