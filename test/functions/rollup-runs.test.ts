/**
 * The daily timer's runs when a week of days needs rolling up and a run has time for only one:
 * `RUKOU_BACKFILL_SECONDS=0` makes every run stop after its first day, as a run at ten million
 * events a day does after one (a day then takes about half the 60 s timeout). Each run rolls the
 * next day and says which are left; the timer's next run, 20 minutes later, takes them up; the
 * messages, cards and retention wait until no day is left. Every rollup ends as the truth says.
 */
import cloud from 'wx-server-sdk';
import type { StoredEvent, UserDoc } from '../../shared/model';
import { addDays, chinaDayStart, dayRange } from '../../shared/time';
import { moveClock, startEmulator, useEmulatorFromThisProcess, type RunningEmulator } from '../helpers/emulator';
import { generateTrace, truthOf, userDaysOf } from '../helpers/rollup-trace';

const DAYS = ['2024-03-09', '2024-03-10', '2024-03-11', '2024-03-12'];
const YESTERDAY = DAYS[3];
const WEEK = dayRange(addDays(YESTERDAY, -7), YESTERDAY);
const trace = generateTrace({ days: DAYS, seed: 41 });
const MINUTE = 60_000;

let emulator: RunningEmulator;
let db: ReturnType<typeof cloud.database>;

/** The timer's `n`th run of the morning after YESTERDAY: 00:17, 00:37, 00:57 … Beijing time (cloudbaserc.json). */
const runTime = (n: number): string => new Date(chinaDayStart(addDays(YESTERDAY, 1)).getTime() + (17 + 20 * n) * MINUTE).toISOString();

interface RunAnswer {
  day: string;
  rolledUp: string[];
  unchanged: string[];
  left: string[];
  sendsRecounted: string[] | null;
  retention: { cutoff: string } | null;
}

async function fire(time: string): Promise<RunAnswer> {
  expect((await moveClock(emulator.url, { set: time })).status).toBe(200);
  const response = await fetch(`${emulator.url}/triggers/rollup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ time }) });
  const answer = (await response.json()) as { result?: RunAnswer };
  if (!answer.result) throw new Error(`the trigger failed: ${JSON.stringify(answer)}`);
  return answer.result;
}

/** Stores `added` as `track` leaves them: the events, and the user-days they fall on, counted from all of `events`. */
async function store(added: StoredEvent[], events: StoredEvent[], users: UserDoc[]): Promise<void> {
  for (let i = 0; i < added.length; i += 200) await db.collection('events').add({ data: added.slice(i, i + 200) });
  const touched = new Set(added.map((event) => `${event.openid} ${event.day}`));
  for (const { _id, ...fields } of userDaysOf(events, users).filter((doc) => touched.has(`${doc.openid} ${doc.day}`))) await db.collection('user_days').doc(_id).set({ data: fields });
}

async function totalsOf(day: string): Promise<unknown> {
  const answer = (await db.collection('rollups_daily').doc(day).get()) as unknown as { data: { totals: unknown } };
  return answer.data.totals;
}

beforeAll(async () => {
  emulator = await startEmulator({ timers: false, clock: new Date(Date.parse(runTime(0)) - 10 * MINUTE).toISOString(), env: { RUKOU_BACKFILL_SECONDS: '0' } });
  useEmulatorFromThisProcess(emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
  db = cloud.database();
  await store(trace.events, trace.events, trace.users);
  await db.collection('users').add({ data: trace.users });
});

afterAll(async () => {
  await emulator?.stop();
});

test('a run with time for one day rolls the oldest and leaves the rest, in order, to the timer\'s next runs; then the sends and retention', async () => {
  const runs: RunAnswer[] = [];
  for (let n = 0; n < WEEK.length; n++) runs.push(await fire(runTime(n)));
  expect(runs.map((run) => run.rolledUp)).toEqual(WEEK.map((day) => [day]));
  expect(runs.map((run) => run.left)).toEqual(WEEK.map((_, n) => WEEK.slice(n + 1)));
  expect(runs.map((run) => run.unchanged)).toEqual(WEEK.map((_, n) => WEEK.slice(0, n)));
  expect(runs.every((run) => run.day === YESTERDAY && run.sendsRecounted === null && run.retention === null)).toBe(true);

  const last = await fire(runTime(WEEK.length));
  expect(last).toMatchObject({ rolledUp: [], unchanged: WEEK, left: [], retention: { cutoff: addDays(YESTERDAY, 1 - 90) } });
  expect(last.sendsRecounted).toEqual(expect.arrayContaining(WEEK));
  for (const day of DAYS) expect(await totalsOf(day)).toEqual(truthOf(day, trace.events, trace.users).totals);
});

test('a run after the others rolls again only the day that events reached since its rollup', async () => {
  const late: StoredEvent[] = trace.lateEvents.filter((event) => event.day === DAYS[1]).map((event) => ({ ...event, serverAt: new Date(runTime(WEEK.length + 1)) }));
  expect(late.length).toBeGreaterThan(0);
  expect((await moveClock(emulator.url, { set: runTime(WEEK.length + 1) })).status).toBe(200);
  await store(late, [...trace.events, ...late], trace.users);
  const run = await fire(runTime(WEEK.length + 2));
  expect(run).toMatchObject({ rolledUp: [DAYS[1]], left: [] });
  expect(await totalsOf(DAYS[1])).toEqual(truthOf(DAYS[1], [...trace.events, ...late], trace.users).totals);
});
