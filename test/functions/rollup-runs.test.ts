/**
 * The daily timer's runs when a run has time for only a part of what is to roll up:
 * `RUKOU_BACKFILL_SECONDS=0` makes every run stop after one step (one aggregation), as a run at ten
 * million events a day stops after a dozen (a day's steps then take most of the 60 s timeout).
 * Each run stores what it computed of the day it stopped in (`rollup_parts`) and says which days
 * are left; the next runs go on from there; the messages, cards and retention wait until no day is
 * left. Every rollup ends as a second emulator, with time for everything in one run, computes it.
 */
import cloud from 'wx-server-sdk';
import { RequestCounter, type Database } from '../../server/pipeline';
import { rollupDays } from '../../server/rollup';
import type { StoredEvent, UserDoc } from '../../shared/model';
import { addDays, chinaDayStart, dayRange } from '../../shared/time';
import { findDocuments } from '../fuzz/harness';
import { emulatorNow, moveClock, startEmulator, useEmulatorFromThisProcess, type RunningEmulator } from '../helpers/emulator';
import { generateTrace, truthOf, userDaysOf } from '../helpers/rollup-trace';

const DAYS = ['2024-03-09', '2024-03-10', '2024-03-11', '2024-03-12'];
const YESTERDAY = DAYS[3];
const WEEK = dayRange(addDays(YESTERDAY, -7), YESTERDAY);
const trace = generateTrace({ days: DAYS, seed: 41 });
/** The timer's first run of the morning after YESTERDAY: 00:17 Beijing time (cloudbaserc.json). */
const MORNING = new Date(chinaDayStart(addDays(YESTERDAY, 1)).getTime() + 17 * 60_000).toISOString();
/** More runs than any morning here needs: eight days of about twenty steps. */
const MOST_RUNS = 400;

let budgeted: RunningEmulator;
let whole: RunningEmulator;

interface RunAnswer {
  day: string;
  rolledUp: string[];
  unchanged: string[];
  left: string[];
  sendsRecounted: string[] | null;
  retention: { cutoff: string } | null;
}

async function fire(emulator: RunningEmulator): Promise<RunAnswer> {
  const response = await fetch(`${emulator.url}/triggers/rollup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ time: MORNING }) });
  const answer = (await response.json()) as { result?: RunAnswer };
  if (!answer.result) throw new Error(`the trigger failed: ${JSON.stringify(answer)}`);
  return answer.result;
}

/** The timer's runs until one leaves no day and has applied retention. */
async function runsUntilDone(emulator: RunningEmulator): Promise<RunAnswer[]> {
  const runs: RunAnswer[] = [];
  while (runs.length < MOST_RUNS) {
    runs.push(await fire(emulator));
    if (runs[runs.length - 1].retention) return runs;
  }
  throw new Error(`the rollup was not done after ${MOST_RUNS} runs`);
}

/** The SDK's database, at `emulator`. */
function databaseOf(emulator: RunningEmulator): ReturnType<typeof cloud.database> {
  useEmulatorFromThisProcess(emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
  return cloud.database();
}

/** Stores `added` as `track` leaves them: the events, and the user-days they fall on, counted from all of `events`. */
async function store(emulator: RunningEmulator, added: StoredEvent[], events: StoredEvent[], users: UserDoc[]): Promise<void> {
  const db = databaseOf(emulator);
  for (let i = 0; i < added.length; i += 200) await db.collection('events').add({ data: added.slice(i, i + 200) });
  const touched = new Set(added.map((event) => `${event.openid} ${event.day}`));
  for (const { _id, ...fields } of userDaysOf(events, users).filter((doc) => touched.has(`${doc.openid} ${doc.day}`))) await db.collection('user_days').doc(_id).set({ data: fields });
}

const rollups = async (emulator: RunningEmulator): Promise<Record<string, unknown>[]> =>
  (await findDocuments(emulator, 'rollups_daily', { _id: { $in: WEEK } })).map((doc): Record<string, unknown> => ({ ...doc, computedAt: undefined })).sort((a, b) => String(a._id).localeCompare(String(b._id)));

beforeAll(async () => {
  const clock = new Date(Date.parse(MORNING) - 10 * 60_000).toISOString();
  [budgeted, whole] = await Promise.all([startEmulator({ timers: false, clock, env: { RUKOU_BACKFILL_SECONDS: '0' } }), startEmulator({ timers: false, clock })]);
  for (const emulator of [budgeted, whole]) {
    await store(emulator, trace.events, trace.events, trace.users);
    await databaseOf(emulator).collection('users').add({ data: trace.users });
  }
});

afterAll(async () => {
  await Promise.all([budgeted?.stop(), whole?.stop()]);
});

test('each run takes one step; a day half done is stored and gone on with; days end whole and in order; then the sends and retention', async () => {
  const runs = await runsUntilDone(budgeted);
  expect(runs.flatMap((run) => run.rolledUp)).toEqual(WEEK);
  expect(runs.every((run) => run.day === YESTERDAY && run.rolledUp.length <= 1)).toBe(true);
  // an empty day's rollup alone is 19 aggregations: many more runs than days
  expect(runs.length).toBeGreaterThan(WEEK.length * 19);
  const done = runs[runs.length - 1];
  expect(done).toMatchObject({ left: [], retention: { cutoff: addDays(YESTERDAY, 1 - 90) } });
  expect(done.sendsRecounted).toEqual(expect.arrayContaining(WEEK.filter((day) => !done.rolledUp.includes(day))));
  for (const run of runs.slice(0, -1)) expect(run).toMatchObject({ sendsRecounted: null, retention: null });
  for (const [i, run] of runs.entries()) expect(run.left).toEqual(WEEK.filter((day) => !runs.slice(0, i + 1).some((r) => r.rolledUp.includes(day))));
  expect(await findDocuments(budgeted, 'rollup_parts', {})).toEqual([]);

  const wholeRun = await fire(whole);
  expect(wholeRun).toMatchObject({ rolledUp: WEEK, left: [] });
  expect(await rollups(budgeted)).toEqual(await rollups(whole));
  for (const day of DAYS) expect((await rollups(budgeted)).find((doc) => doc._id === day)?.totals).toEqual(truthOf(day, trace.events, trace.users).totals);
});

test('a day half done when the call stops is stored as a part, and the rollup it ends as counts from when it began', async () => {
  // late events for one day, written minutes after its rollup; the run that rolls it again starts more than WRITE_MARGIN_MS after them
  expect((await moveClock(budgeted.url, { advance: '5m' })).status).toBe(200);
  const arrival = new Date(await emulatorNow(budgeted.url));
  const late: StoredEvent[] = trace.lateEvents.filter((event) => event.day === DAYS[1]).map((event) => ({ ...event, serverAt: arrival }));
  expect(late.length).toBeGreaterThan(0);
  await store(budgeted, late, [...trace.events, ...late], trace.users);
  expect((await moveClock(budgeted.url, { advance: '2m' })).status).toBe(200);
  const first = await fire(budgeted);
  expect(first).toMatchObject({ rolledUp: [], left: [DAYS[1]], retention: null });
  const [part] = await findDocuments(budgeted, 'rollup_parts', {});
  expect(part).toMatchObject({ _id: DAYS[1], rows: { 'dimension-bucket': expect.any(Array) } });
  expect(Object.keys(part.rows as object)).toHaveLength(1);

  const runs = [first, ...(await runsUntilDone(budgeted))];
  expect(runs.flatMap((run) => run.rolledUp)).toEqual([DAYS[1]]);
  const [stored] = await findDocuments(budgeted, 'rollups_daily', { _id: DAYS[1] });
  expect(stored.totals).toEqual(truthOf(DAYS[1], [...trace.events, ...late], trace.users).totals);
  expect(stored.computedAt).toEqual(part.startedAt);
  expect(new Date(stored.computedAt as Date).getTime()).toBeLessThan(await emulatorNow(budgeted.url));
  expect(await findDocuments(budgeted, 'rollup_parts', {})).toEqual([]);
});

/** The SDK's database at `emulator`, calling `before(n)` before its n-th aggregation (from 1), which may throw as a failed request would. */
function aggregationsWatched(emulator: RunningEmulator, before: (n: number) => void): Database {
  const db = databaseOf(emulator);
  let n = 0;
  const collection = (name: string): ReturnType<Database['collection']> => {
    const real = db.collection(name);
    const aggregate = (): ReturnType<typeof real.aggregate> => {
      before((n += 1));
      return real.aggregate();
    };
    return Object.assign(Object.create(real) as typeof real, { aggregate });
  };
  return Object.assign(Object.create(db) as Database, { collection });
}

test('a call whose step fails keeps the steps before it for the next call, and fails with the step’s error', async () => {
  const day = DAYS[2];
  const stored = async (): Promise<Record<string, unknown>> => ({ ...(await findDocuments(whole, 'rollups_daily', { _id: day }))[0], computedAt: undefined });
  const before = await stored();
  const timedOut = new Error('errCode: -501001 | errMsg: request timeout');
  const failing = aggregationsWatched(whole, (n) => {
    if (n === 3) throw timedOut;
  });
  await expect(rollupDays(failing, [day], new RequestCounter(), () => new Date())).rejects.toBe(timedOut);
  const [part] = await findDocuments(whole, 'rollup_parts', { _id: day });
  expect(Object.keys(part.rows as object)).toHaveLength(2);

  let steps = 0;
  const counted = aggregationsWatched(whole, () => (steps += 1));
  expect((await rollupDays(counted, [day], new RequestCounter(), () => new Date())).written.map((doc) => doc._id)).toEqual([day]);
  // an empty day's rollup alone is 19 aggregations: two of them were the failed call's
  expect(steps).toBeGreaterThanOrEqual(17);
  let all = 0;
  await rollupDays(aggregationsWatched(whole, () => (all += 1)), [day], new RequestCounter(), () => new Date());
  expect(steps).toBe(all - 2);
  expect(await stored()).toEqual(before);
  expect(await findDocuments(whole, 'rollup_parts', {})).toEqual([]);
});
