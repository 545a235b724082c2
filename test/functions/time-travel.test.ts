/**
 * History delivered the way it happened (issue 8 §6): the emulator's clock is set to three past
 * days in turn and simulated users send their entries to the real `track` on each, with no
 * `sentAt`, so their event time is the server's time; then a week passes in one advance and the
 * real `rollup` fires on its own timer (every 20 minutes from 00:17 to 02:57 Beijing), in order:
 * each morning's first run rolls up the day before, the others find it done. Every day's rollup
 * document is checked, and when each was computed by the function's own clock.
 */
import cloud from 'wx-server-sdk';
import type { EnterEvent } from '../../shared/model';
import type { RollupDoc } from '../../shared/rollup';
import { addDays, chinaDayStart, dayRange } from '../../shared/time';
import { emulatorNow, invokeAs, moveClock, startEmulator, useEmulatorFromThisProcess, type ClockAnswer, type RunningEmulator } from '../helpers/emulator';

const APP = 'wx0000000000000000';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const [D1, D2, D3] = ['2024-03-09', '2024-03-10', '2024-03-11'];

let emulator: RunningEmulator;
let db: ReturnType<typeof cloud.database>;
let n = 0;

/** `hh:mm` Beijing time on `day`, as an ISO instant. */
const beijing = (day: string, hours: number, minutes = 0): string => new Date(chinaDayStart(day).getTime() + hours * HOUR + minutes * MINUTE).toISOString();
/** When the timer (0 17/20 0-2 * * * *) fires the morning after `day`: 00:17, 00:37 … 02:57 Beijing, as the timer event spells it; the first rolls `day` up. */
const rollupTimesOf = (day: string): string[] => Array.from({ length: 9 }, (_, n) => beijing(addDays(day, 1), 0, 17 + 20 * n).replace('.000Z', 'Z'));
const rollupTimeOf = (day: string): string => rollupTimesOf(day)[0];
/** The runs of the morning after `day`, as `firedRollups` lists them. */
const morningOf = (day: string): [string, string, string][] => rollupTimesOf(day).map((time) => ['rollup', time, day]);

async function enter(openid: string, scene: number, query: Record<string, string> = {}, cold = true): Promise<string> {
  const id = `travel-${String(++n).padStart(4, '0')}`;
  // `at` is the phone's clock: without sentAt the event time is the server's, whatever the phone says
  const event = { id, seq: n, at: Date.UTC(2030, 0, 1), type: 'enter', cold, options: { scene, path: 'pages/index/index', query } };
  const answer = (await invokeAs(emulator.url, 'track', { v: 1, events: [event] }, { openid, appid: APP })).result as { accepted: string[] };
  expect(answer.accepted).toEqual([id]);
  return id;
}

async function set(instant: string): Promise<ClockAnswer> {
  const moved = await moveClock(emulator.url, { set: instant });
  expect(moved.status).toBe(200);
  return moved;
}

/** The rollup timer's runs a move fired (the messages function's hourly retries fire too, and find nothing due). */
const rollupRuns = (moved: ClockAnswer): NonNullable<ClockAnswer['fired']> => (moved.fired ?? []).filter((fired) => fired.function === 'rollup');
const firedRollups = (moved: ClockAnswer): [string, string, string][] => rollupRuns(moved).map((fired) => [fired.function, fired.time, (fired.result as { day: string }).day]);
/** The hourly retries a move fired, each of which found nothing to retry. */
const idleRetries = (moved: ClockAnswer): number => (moved.fired ?? []).filter((fired) => fired.function === 'messages' && (fired.result as { retried: number }).retried === 0).length;

beforeAll(async () => {
  emulator = await startEmulator({ clock: beijing(D1, 9), env: { RUKOU_OPERATORS: 'o-op' } });
  useEmulatorFromThisProcess(emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
  db = cloud.database();
});

afterAll(async () => {
  await emulator?.stop();
});

test('entries sent on three past days land on those days; a week\'s advance fires seven daily rollups in order, each day\'s document right', async () => {
  // 2024-03-09, 09:00: two new users
  const sent: Record<string, string> = {};
  sent[await enter('o-a', 1047, { rk_ch: 'poster-1' })] = D1;
  sent[await enter('o-b', 1089)] = D1;

  // 2024-03-10, 09:00: on the way, yesterday's rollup ran at 00:17; o-a comes back, o-c is new
  expect(firedRollups(await set(beijing(D2, 9)))).toEqual(morningOf(D1));
  sent[await enter('o-a', 1089)] = D2;
  sent[await enter('o-c', 1047, { rk_ch: 'poster-1' })] = D2;

  // 2024-03-11: o-b at 09:00 and again at 10:00, a hot start an hour later (a second session); o-d is new
  expect(firedRollups(await set(beijing(D3, 9)))).toEqual(morningOf(D2));
  sent[await enter('o-b', 1007)] = D3;
  const hour = await set(beijing(D3, 10));
  expect([firedRollups(hour), idleRetries(hour), hour.fired?.length]).toEqual([[], 1, 1]);
  sent[await enter('o-b', 1089, {}, false)] = D3;
  sent[await enter('o-d', 1089)] = D3;

  // every event's time is when the server received it, on its day
  const events = ((await db.collection('events').where({ type: 'enter' }).limit(100).get()) as unknown as { data: EnterEvent[] }).data;
  expect(Object.fromEntries(events.map((event) => [event.eventId, event.day]))).toEqual(sent);
  for (const event of events) expect(new Date(event.at)).toEqual(new Date(event.serverAt));

  // a week: the timer fires nine times each morning, one run after the other; the first rolls up the day before, the others find nothing to do
  const week = await moveClock(emulator.url, { advance: '7d' });
  const days = dayRange(D3, addDays(D3, 6));
  expect(firedRollups(week)).toEqual(days.flatMap(morningOf));
  expect(idleRetries(week)).toBe(7 * 24);
  const rolled = rollupRuns(week).map((fired) => fired.result as { day: string; rolledUp: string[]; left: string[] });
  expect(rolled.map((run) => run.rolledUp.at(-1) ?? null)).toEqual(days.flatMap((day) => [day, ...Array<null>(8).fill(null)]));
  expect(rolled.every((run) => run.left.length === 0)).toBe(true);
  expect(Date.parse(week.now)).toBeGreaterThanOrEqual(Date.parse(beijing(addDays(D3, 7), 10)));

  const rollups = ((await db.collection('rollups_daily').where({ _id: db.command.in(dayRange(D1, days[6])) }).get()) as unknown as { data: RollupDoc[] }).data;
  const byDay = new Map(rollups.map((doc) => [doc._id, doc]));
  expect(byDay.get(D1)?.totals).toEqual({ entries: 2, users: 2, newUsers: 2, sessions: 2, cold: 2, hot: 0 });
  expect(byDay.get(D1)?.byChannel).toEqual({ 'poster-1': { entries: 1, users: 1, newUsers: 1, firstTouch: 1 } });
  expect(byDay.get(D2)?.totals).toEqual({ entries: 2, users: 2, newUsers: 1, sessions: 2, cold: 2, hot: 0 });
  expect(byDay.get(D2)?.byChannel).toEqual({ 'poster-1': { entries: 1, users: 1, newUsers: 1, firstTouch: 1 } });
  expect(byDay.get(D3)?.totals).toEqual({ entries: 3, users: 2, newUsers: 1, sessions: 3, cold: 2, hot: 1 });
  for (const day of days.slice(1)) expect(byDay.get(day)?.totals).toEqual({ entries: 0, users: 0, newUsers: 0, sessions: 0, cold: 0, hot: 0 });
  // each was computed by the function's clock during its own run: after its timer, before the next
  for (const day of [D1, D2, ...days]) {
    const computedAt = new Date(byDay.get(day)?.computedAt ?? NaN).getTime();
    expect(computedAt).toBeGreaterThanOrEqual(Date.parse(rollupTimeOf(day)));
    expect(computedAt).toBeLessThan(Date.parse(rollupTimeOf(addDays(day, 1))));
  }
  expect(await emulatorNow(emulator.url)).toBeGreaterThanOrEqual(Date.parse(week.now));
});
