/**
 * The emulator's clock through its public faces: `--clock`, `GET`/`POST /__rukou/clock`, `rukou
 * clock`, and what moves with it: functions' Date (fixture `whoami`), serverDate and `_id`s, the
 * simulated WeChat's cloudID expiry, and timers (fixture project `timers`: `daily` at 00:00 and
 * `hourly` on the hour, Beijing time, each recording its runs). Every instant here is hours from
 * the machine's time, so no timer can fire on its own while a test runs.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import cloud from 'wx-server-sdk';
import { emulatorNow, FIXTURE_PROJECT, functionStats, invokeAs, moveClock, REPO_ROOT, startEmulator, tempDir, useEmulatorFromThisProcess, type RunningEmulator, type StartOptions } from '../../helpers/emulator';
import { until } from '../../helpers/until';
import { stats, type Database } from '../database/sdk';
import { issueCloudId } from '../openapi/helpers';

const run = promisify(execFile);
const CLI = path.join(REPO_ROOT, 'bin', 'rukou.js');
const TIMERS_PROJECT = path.join(REPO_ROOT, 'test', 'fixtures', 'timers');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface Run {
  _id: string;
  function: string;
  time: string;
  started: number;
  at: Date;
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    return { code: 0, ...(await run(process.execPath, [CLI, ...args])) };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** Why the emulator refused to start with `options`: its output as it exited. One that starts is stopped, and the test fails. */
async function refusedStart(options: StartOptions): Promise<string> {
  let started: RunningEmulator;
  try {
    started = await startEmulator(options);
  } catch (error) {
    return (error as Error).message;
  }
  await started.stop();
  throw new Error(`the emulator started with ${JSON.stringify(options)}`);
}

function database(emulator: RunningEmulator): ReturnType<typeof cloud.database> {
  useEmulatorFromThisProcess(emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
  return cloud.database();
}

async function runsOf(emulator: RunningEmulator): Promise<Run[]> {
  const answer = (await database(emulator).collection('runs').orderBy('started', 'asc').limit(1000).get()) as unknown as { data: Run[] };
  return answer.data;
}

describe('functions and the database see the emulator\'s time', () => {
  const START = '2024-06-01T12:00:00+08:00';
  let emulator: RunningEmulator;

  beforeAll(async () => {
    emulator = await startEmulator({ project: FIXTURE_PROJECT, timers: false, clock: START });
  });

  afterAll(async () => {
    await emulator.stop();
  });

  test('--clock starts the clock at its instant, and the ready output says so', async () => {
    const answer = (await (await fetch(`${emulator.url}/__rukou/clock`)).json()) as { now: string; offsetMs: number; timers: string; next: unknown[] };
    expect(Date.parse(answer.now)).toBeGreaterThanOrEqual(Date.parse(START));
    // years before the machine's time: the clock is not the machine's
    expect(answer.offsetMs).toBeLessThan(-365 * DAY);
    expect(answer).toMatchObject({ timers: 'off', next: [] });
    expect(emulator.output()).toContain('[rukou] the clock reads 2024-06-01T04:00:00');
  });

  test('a function\'s Date.now(), new Date(), Date() and Intl read the emulator\'s clock, and its serverDate and _id are stamped with it', async () => {
    const before = await emulatorNow(emulator.url);
    const answer = (await invokeAs(emulator.url, 'whoami', { db: true, holdMs: 20 }, { openid: 'o-clock' })).result as {
      clock: { now: number; date: string; text: string; isDate: boolean; day: string; dayParts: string };
      stored: { _id: string; at: string };
    };
    const after = await emulatorNow(emulator.url);
    for (const instant of [answer.clock.now, Date.parse(answer.clock.date), Date.parse(answer.stored.at)]) {
      expect(instant).toBeGreaterThanOrEqual(before);
      expect(instant).toBeLessThanOrEqual(after);
    }
    // Date() answers text to the second
    expect(Date.parse(answer.clock.text)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(Date.parse(answer.clock.text)).toBeLessThanOrEqual(after);
    expect(answer.clock.isDate).toBe(true);
    // so does Intl, which formats the time now when given no date
    expect(answer.clock.day).toBe(new Date(before).toISOString().slice(0, 10));
    expect(answer.clock.dayParts).toBe(answer.clock.day);
    // an id begins with the seconds of its insert, as the cloud's do
    const seconds = parseInt(answer.stored._id.slice(0, 8), 16);
    expect(seconds).toBeGreaterThanOrEqual(Math.floor(before / 1000));
    expect(seconds).toBeLessThanOrEqual(Math.floor(after / 1000));
  });

  test('$$NOW in a pipeline or a query and $currentDate in an update read the emulator\'s clock, one time for the whole request', async () => {
    const db = database(emulator) as Database;
    const _ = db.command;
    const $ = _.aggregate;
    await db.createCollection('now').catch(() => undefined);
    await db.collection('now').add({ data: [{ _id: 'a' }, { _id: 'b' }] });
    const before = await emulatorNow(emulator.url);
    // as written, answered by the compiled path, and with a leading {$match: {$expr: true}} that hands it all to mingo
    const answered = (await stats(emulator)).answeredBy;
    const compiled = (await db.collection('now').aggregate().project({ now: '$$NOW' }).limit(5).end()) as { list: { now: Date }[] };
    expect((await stats(emulator)).answeredBy).toMatchObject({ compiledStages: answered.compiledStages + 2, mingoStages: answered.mingoStages });
    const mingo = (await db.collection('now').aggregate().match(_.expr(true)).project({ now: '$$NOW' }).limit(5).end()) as { list: { now: Date }[] };
    const inQuery = (await db.collection('now').where(_.expr($.lt(['$$NOW', new Date(before + HOUR)]))).count()) as { total: number };
    const admin = await fetch(`${emulator.url}/admin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'database.modifyDocument', envName: 'rukou-local', collectionName: 'now', query: '{}', data: '{"$currentDate": {"date": true, "ms": {"$type": "timestamp"}}}', multi: true, merge: true, upsert: false }),
    });
    expect(await admin.json()).toMatchObject({ data: { updated: 2 } });
    const stamped = ((await db.collection('now').orderBy('_id', 'asc').get()) as { data: { date: Date; ms: number }[] }).data;
    const after = await emulatorNow(emulator.url);
    const times = [...compiled.list, ...mingo.list].map((row) => new Date(row.now).getTime());
    times.push(...stamped.flatMap((doc) => [new Date(doc.date).getTime(), doc.ms]));
    for (const time of times) {
      expect(time).toBeGreaterThanOrEqual(before);
      expect(time).toBeLessThanOrEqual(after);
    }
    expect(inQuery.total).toBe(2);
    // each request one time: both documents of a pipeline, both of an update
    expect(compiled.list[0].now).toEqual(compiled.list[1].now);
    expect(mingo.list[0].now).toEqual(mingo.list[1].now);
    expect(stamped[0].date).toEqual(stamped[1].date);
  });

  test('advance moves every face of the clock by the duration; the next invocation sees it', async () => {
    const before = await emulatorNow(emulator.url);
    const moved = await moveClock(emulator.url, { advance: '1d2h3m4s5ms' });
    expect(moved).toMatchObject({ status: 200, fired: [] });
    expect(Date.parse(moved.now)).toBeGreaterThanOrEqual(before + DAY + 2 * HOUR + 3 * 60_000 + 4_005);
    const after = await emulatorNow(emulator.url);
    const { clock } = (await invokeAs(emulator.url, 'whoami', {}, { openid: 'o-clock' })).result as { clock: { now: number } };
    expect(clock.now).toBeGreaterThanOrEqual(after);
    expect((await moveClock(emulator.url, { advance: 90_000 })).status).toBe(200);
    expect(await emulatorNow(emulator.url)).toBeGreaterThanOrEqual(after + 90_000);
  });

  test('set moves the clock to an instant; going back is refused and changes nothing', async () => {
    const moved = await moveClock(emulator.url, { set: '2024-06-10T09:30:00+08:00' });
    expect(moved.status).toBe(200);
    expect(Date.parse(moved.now)).toBeGreaterThanOrEqual(Date.parse('2024-06-10T01:30:00Z'));
    const back = await moveClock(emulator.url, { set: '2024-06-10T09:00:00+08:00' });
    expect(back).toMatchObject({ status: 409, code: 'CLOCK_BACKWARDS', message: expect.stringContaining('from the future') });
    expect(await emulatorNow(emulator.url)).toBeGreaterThanOrEqual(Date.parse('2024-06-10T01:30:00Z'));
  });

  test('a body that is not one move is refused with what to send', async () => {
    // a set that Date.parse alone would read: "5" is 2001, 02-30 is March 1st, a time without an offset is the machine's zone's
    const notIso = [{ set: '5' }, { set: '2030-02-30' }, { set: '2030-01-01T09:00:00' }, { set: 'Tue, 1 Jan 2030 00:00:00 GMT' }];
    const strays = [{ advance: '1d', x: 1 }, { advance: '1d', sett: '2030-01-01T00:00:00Z' }];
    for (const body of [{}, { set: 'tomorrow' }, { advance: -1 }, { advance: '1y' }, { advance: 1.5 }, { advance: '1d', set: '2030-01-01T00:00:00Z' }, ...notIso, ...strays]) {
      expect(await moveClock(emulator.url, body as { advance: string })).toMatchObject({ status: 400, code: 'INVALID_PARAM', message: expect.any(String) });
    }
    const response = await fetch(`${emulator.url}/__rukou/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"advance":' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'INVALID_PARAM', message: expect.stringContaining('"advance"') });
  });

  test('an advance of 0 is never refused: the clock stays where it has ticked to (it was a move back whenever the millisecond turned)', async () => {
    for (let i = 0; i < 300; i++) expect(await moveClock(emulator.url, { advance: 0 })).toMatchObject({ status: 200 });
  });

  test('a duration names each unit at most once, the largest first: "1h1h" is refused, not read as 2 h', async () => {
    const before = await emulatorNow(emulator.url);
    for (const advance of ['1h1h', '30m1h', '1d2d', '5ms5s']) {
      expect(await moveClock(emulator.url, { advance })).toMatchObject({ status: 400, code: 'INVALID_PARAM', message: expect.stringContaining('each once and in that order') });
    }
    expect(await emulatorNow(emulator.url)).toBeLessThan(before + HOUR);
  });

  test('a move past the clock\'s years (1970 to 2099) or to no instant at all is refused, and nothing is written', async () => {
    const kept = (): string => fs.readFileSync(path.join(emulator.dataDir, 'clock.json'), 'utf8');
    const before = kept();
    const post = async (body: string): Promise<{ status: number; code: string; message: string }> => {
      const response = await fetch(`${emulator.url}/__rukou/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      return { status: response.status, ...((await response.json()) as { code: string; message: string }) };
    };
    // past JavaScript's last date, past the cron's last year, and JSON's 1e400, which is Infinity
    for (const body of ['{"advance":8640000000000000}', '{"advance":"100000w"}', '{"set":"+275760-09-13T00:00:00Z"}', '{"set":"2100-01-01T00:00:00Z"}']) {
      expect(await post(body)).toEqual({ status: 400, code: 'INVALID_PARAM', message: expect.stringContaining('2099-12-31T23:59:59.999Z') });
    }
    expect(await post('{"advance":1e400}')).toEqual({ status: 400, code: 'INVALID_PARAM', message: expect.stringContaining('not a finite number') });
    expect(kept()).toBe(before);
    const reading = await fetch(`${emulator.url}/__rukou/clock`);
    expect(reading.status).toBe(200);
    expect(Date.parse(((await reading.json()) as { now: string }).now)).toBeLessThan(Date.parse('2025-01-01T00:00:00Z'));
    expect((await invokeAs(emulator.url, 'whoami', { db: true }, { openid: 'o-clock' })).result).toMatchObject({ stored: { at: expect.stringMatching(/^2024-/) } });
  });

  test('the simulated WeChat ages with the clock: a cloudID issued before a 6-minute advance has expired', async () => {
    const cloudID = await issueCloudId(emulator.url, { openid: 'o-clock', appid: 'wx0000000000000000', kind: 'shareInfo', groupId: 'g' });
    const opened = async (): Promise<unknown> => ((await invokeAs(emulator.url, 'opener', { op: 'getOpenData', list: [cloudID] }, { openid: 'o-clock' })).result as { list: unknown[] }).list[0];
    expect(await opened()).toMatchObject({ data: { openGId: expect.any(String) } });
    await moveClock(emulator.url, { advance: '6m' });
    expect(await opened()).toMatchObject({ errCode: -601006, errMsg: 'cloudID expired' });
  });
});

describe('a call at its own instant: the gateway\'s x-rukou-at', () => {
  const START = '2024-06-01T12:00:00+08:00';
  const AHEAD = Date.parse('2024-06-03T09:30:00+08:00');
  const BEHIND = Date.parse('2024-05-20T08:00:00+08:00');
  let emulator: RunningEmulator;

  interface Whoami {
    clock: { now: number; date: string };
    stored: { _id: string; at: string };
  }

  beforeAll(async () => {
    emulator = await startEmulator({ project: FIXTURE_PROJECT, timers: false, clock: START });
  });

  afterAll(async () => {
    await emulator.stop();
  });

  /** What `work` answered, and the longest any instant it saw can have ticked on: the time it took. */
  async function timed<T>(work: () => Promise<T>): Promise<{ answer: T; tookMs: number }> {
    const started = performance.now();
    const answer = await work();
    return { answer, tookMs: Math.ceil(performance.now() - started) };
  }

  test('the function, its serverDate and _id, and a function it calls read the instant, ahead of the clock or behind it; the clock does not move', async () => {
    const before = await emulatorNow(emulator.url);
    const { tookMs: allMs } = await timed(async () => {
      for (const at of [AHEAD, BEHIND]) {
        const { answer, tookMs } = await timed(async () => (await invokeAs(emulator.url, 'whoami', { db: true }, { openid: 'o-at' }, { at })).result as Whoami);
        for (const instant of [answer.clock.now, Date.parse(answer.clock.date), Date.parse(answer.stored.at)]) {
          expect(instant).toBeGreaterThanOrEqual(at);
          expect(instant).toBeLessThanOrEqual(at + tookMs);
        }
        const seconds = parseInt(answer.stored._id.slice(0, 8), 16);
        expect(seconds).toBeGreaterThanOrEqual(Math.floor(at / 1000));
        expect(seconds).toBeLessThanOrEqual(Math.floor((at + tookMs) / 1000));
        // cloud.callFunction from it: the callee starts at the caller's instant too
        const relayed = await timed(async () => (await invokeAs(emulator.url, 'relay', { target: 'whoami' }, { openid: 'o-at' }, { at })).result as { theirs: Whoami });
        expect(relayed.answer.theirs.clock.now).toBeGreaterThanOrEqual(at);
        expect(relayed.answer.theirs.clock.now).toBeLessThanOrEqual(at + relayed.tookMs);
      }
    });
    const after = await emulatorNow(emulator.url);
    expect(after).toBeGreaterThanOrEqual(before);
    expect(after).toBeLessThanOrEqual(before + allMs + 1000);
    // and a call without the header is at the clock's time
    const { clock } = (await invokeAs(emulator.url, 'whoami', {}, { openid: 'o-at' })).result as Whoami;
    expect(clock.now).toBeGreaterThanOrEqual(after);
    expect(clock.now).toBeLessThan(AHEAD);
  });

  test('two calls at once, a day apart, each read their own instant, and so do their database requests', async () => {
    const ats = [AHEAD, AHEAD + DAY];
    // `meet` holds each until both have arrived: they run at the same time
    const { answer, tookMs } = await timed(() => Promise.all(ats.map(async (at) => (await invokeAs(emulator.url, 'whoami', { db: true, meet: { id: 'two-instants', of: 2 } }, { openid: 'o-at' }, { at })).result as Whoami)));
    for (const [k, at] of ats.entries()) {
      expect(answer[k].clock.now).toBeGreaterThanOrEqual(at);
      expect(Date.parse(answer[k].stored.at)).toBeGreaterThanOrEqual(at);
      expect(Date.parse(answer[k].stored.at)).toBeLessThanOrEqual(at + tookMs);
    }
  });

  test('what a call asks of the simulated WeChat is answered at its instant: a cloudID issued then resolves, and five minutes on it has expired', async () => {
    const cloudID = await issueCloudId(emulator.url, { openid: 'o-at', appid: 'wx0000000000000000', kind: 'shareInfo', groupId: 'g', issuedAt: AHEAD });
    const opened = async (at: number): Promise<unknown> => ((await invokeAs(emulator.url, 'opener', { op: 'getOpenData', list: [cloudID] }, { openid: 'o-at' }, { at })).result as { list: unknown[] }).list[0];
    expect(await opened(AHEAD + 60_000)).toMatchObject({ data: { openGId: expect.any(String) } });
    expect(await opened(AHEAD + 6 * 60_000)).toMatchObject({ errCode: -601006, errMsg: 'cloudID expired' });
  });

  test('an x-rukou-at that is no instant of the clock\'s years is refused as the gateway refuses, and nothing runs', async () => {
    const ran = (await functionStats(emulator.url, 'whoami')).invocations.ok;
    for (const at of ['tomorrow', '5', '2024-06-01T09:00', '2024-02-30', '1969-12-31T23:59:59Z', '2100-01-01T00:00:00Z']) {
      const response = await fetch(`${emulator.url}/functions/whoami`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-wx-openid': 'o-at', 'x-rukou-at': at }, body: '{"data": {}}' });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ errCode: -501007, errMsg: expect.stringContaining(`x-rukou-at must be an ISO 8601 day or time with its offset in the clock's years (1970-01-01T00:00:00.000Z to 2099-12-31T23:59:59.999Z), such as "2024-06-01T08:00:00+08:00", got "${at}"`) });
    }
    expect((await functionStats(emulator.url, 'whoami')).invocations.ok).toBe(ran);
  });
});

test('`rukou clock` with no emulator at the URL says so and how to start one, whether it reads or moves', async () => {
  // a port nobody listens on: the one an emulator had before it stopped
  const stopped = await startEmulator({ project: FIXTURE_PROJECT, timers: false });
  await stopped.stop();
  for (const args of [[], ['--advance', '1h']]) {
    const answer = await cli(['clock', ...args, '--url', stopped.url]);
    expect(answer.code).toBe(3);
    expect(answer.stderr).toContain(`no emulator answers at ${stopped.url} (ECONNREFUSED); the URL came from --url.`);
    expect(answer.stderr).toContain('Start one with `npm start`');
  }
});

describe('timers fire as the clock passes them', () => {
  let emulator: RunningEmulator;

  afterEach(async () => {
    await emulator.stop();
  });

  test('advance fires every instant on the way in order, each run ended before the next began, with the clock standing at its instant', async () => {
    emulator = await startEmulator({ project: TIMERS_PROJECT, clock: '2024-06-01T22:10:00+08:00' });
    const reading = (await (await fetch(`${emulator.url}/__rukou/clock`)).json()) as { timers: string; next: unknown[] };
    expect(reading).toEqual({
      now: expect.any(String),
      offsetMs: expect.any(Number),
      timers: 'on',
      next: [
        { function: 'hourly', trigger: 'onTheHour', time: '2024-06-01T15:00:00Z' },
        { function: 'daily', trigger: 'midnight', time: '2024-06-01T16:00:00Z' },
      ],
    });

    // 23:00, then midnight: daily and hourly at the same instant, by name; then 01:00
    const moved = await moveClock(emulator.url, { advance: '3h' });
    expect(moved.fired?.map((fired) => [fired.function, fired.trigger, fired.time])).toEqual([
      ['hourly', 'onTheHour', '2024-06-01T15:00:00Z'],
      ['daily', 'midnight', '2024-06-01T16:00:00Z'],
      ['hourly', 'onTheHour', '2024-06-01T16:00:00Z'],
      ['hourly', 'onTheHour', '2024-06-01T17:00:00Z'],
    ]);
    // each entry carries what its run answered
    expect(moved.fired?.map((fired) => fired.result)).toEqual(moved.fired?.map((fired) => ({ function: fired.function, time: fired.time, started: expect.any(Number) })));
    expect(Date.parse(moved.now)).toBeGreaterThanOrEqual(Date.parse('2024-06-01T17:10:00Z'));

    const runs = await runsOf(emulator);
    expect(runs.map((r) => [r.function, r.time])).toEqual(moved.fired?.map((fired) => [fired.function, fired.time]));
    runs.forEach((r, i) => {
      // the clock stood at the instant when the run started, and had not reached the next one
      expect(r.started).toBeGreaterThanOrEqual(Date.parse(r.time));
      if (i + 1 < runs.length && runs[i + 1].time !== r.time) expect(r.started).toBeLessThan(Date.parse(runs[i + 1].time));
      // the run's write was stamped before the next run started: one after the other
      if (i + 1 < runs.length) expect(new Date(r.at).getTime()).toBeLessThanOrEqual(runs[i + 1].started);
      // and its _id carries the second it was written
      expect(parseInt(r._id.slice(0, 8), 16)).toBe(Math.floor(new Date(r.at).getTime() / 1000));
    });
  });

  test('each instant fires once: moves one after the other, at once, or to where the clock already is', async () => {
    emulator = await startEmulator({ project: TIMERS_PROJECT, clock: '2024-06-01T22:10:00+08:00' });
    // two moves at once run one after the other, whichever the emulator took first
    const both = await Promise.all([moveClock(emulator.url, { advance: '1h' }), moveClock(emulator.url, { advance: '1h' })]);
    expect(both.map((moved) => moved.fired?.map((f) => f.time)).sort((a, b) => (a?.length ?? 0) - (b?.length ?? 0))).toEqual([
      ['2024-06-01T15:00:00Z'],
      ['2024-06-01T16:00:00Z', '2024-06-01T16:00:00Z'],
    ]);
    expect((await moveClock(emulator.url, { advance: 0 })).fired).toEqual([]);
    expect((await moveClock(emulator.url, { advance: '1d' })).fired?.map((f) => f.function)).toEqual([...Array(23).fill('hourly'), 'daily', 'hourly']);
    const times = (await runsOf(emulator)).map((r) => `${r.function} ${r.time}`);
    expect(new Set(times).size).toBe(times.length);
    expect(times).toHaveLength(2 + 1 + 25);
  });

  test('a move that would fire more than 10,000 timer runs is refused before any fires, saying why and what to do', async () => {
    emulator = await startEmulator({ project: TIMERS_PROJECT, clock: '2024-06-01T22:10:00+08:00' });
    const before = await emulatorNow(emulator.url);
    // 60 weeks: 10,080 hourly runs and 420 daily ones
    const refused = await moveClock(emulator.url, { advance: '60w' });
    expect(refused).toMatchObject({ status: 400, code: 'TOO_MANY_TIMER_RUNS' });
    expect(refused.message).toContain('more than 10,000 timer runs');
    expect(refused.message).toContain('--no-timers');
    expect(await runsOf(emulator)).toEqual([]);
    expect(await emulatorNow(emulator.url)).toBeLessThan(before + HOUR);
    // what a refused move leaves is still to come
    expect((await moveClock(emulator.url, { advance: '1h' })).fired?.map((f) => f.time)).toEqual(['2024-06-01T15:00:00Z']);
  });

  test('with --no-timers the clock moves and nothing fires', async () => {
    emulator = await startEmulator({ project: TIMERS_PROJECT, clock: '2024-06-01T22:10:00+08:00', timers: false });
    expect(await moveClock(emulator.url, { advance: '2d' })).toMatchObject({ status: 200, fired: [] });
    expect(await runsOf(emulator)).toEqual([]);
  });

  test('stopping the emulator during a move leaves the clock at the last instant fired, answers that the move did not end, and a restart fires the rest', async () => {
    const dataDir = tempDir('rukou-clock-');
    emulator = await startEmulator({ project: TIMERS_PROJECT, dataDir, verbose: true, clock: '2024-06-01T22:10:00+08:00' });
    const target = Date.parse('2024-06-01T22:10:00+08:00') + 300 * DAY;
    // 300 days of hourly and daily runs: far more than run before the stop
    const answer = moveClock(emulator.url, { set: new Date(target).toISOString() });
    await until(async () => (await runsOf(emulator)).length >= 3);
    await emulator.stop();
    const stopped = await answer;
    expect(stopped).toMatchObject({ status: 503, code: 'EMULATOR_STOPPED', message: expect.stringContaining('stopped'), fired: expect.any(Array) });
    expect(emulator.output()).not.toMatch(/clock move .* ok/);
    const lastFired = Math.max(...(stopped.fired ?? []).map((fired) => Date.parse(fired.time)));
    expect(lastFired).toBeLessThan(target);

    emulator = await startEmulator({ project: TIMERS_PROJECT, dataDir });
    const reading = (await (await fetch(`${emulator.url}/__rukou/clock`)).json()) as { now: string; next: { function: string; time: string }[] };
    // the clock stands where the runs stopped (and has ticked since), the instants after it still to come
    expect(Date.parse(reading.now)).toBeGreaterThanOrEqual(lastFired);
    expect(Date.parse(reading.now)).toBeLessThan(target);
    expect(reading.next.find((next) => next.function === 'hourly')?.time).toBe(new Date(Math.floor(lastFired / HOUR) * HOUR + HOUR).toISOString().replace('.000Z', 'Z'));
  });

  test('a restart resumes the data\'s clock, and refuses a --clock before it', async () => {
    const dataDir = tempDir('rukou-clock-');
    emulator = await startEmulator({ project: TIMERS_PROJECT, dataDir, clock: '2024-06-01T22:10:00+08:00', timers: false });
    await moveClock(emulator.url, { set: '2024-06-05T00:00:00Z' });
    await emulator.stop();
    emulator = await startEmulator({ project: TIMERS_PROJECT, dataDir, timers: false });
    expect(await emulatorNow(emulator.url)).toBeGreaterThanOrEqual(Date.parse('2024-06-05T00:00:00Z'));
    expect(await emulatorNow(emulator.url)).toBeLessThan(Date.now() - 365 * DAY);
    await emulator.stop();
    await expect(startEmulator({ project: TIMERS_PROJECT, dataDir, clock: '2024-06-04T00:00:00Z' })).rejects.toThrow(/only moves forward/);
    emulator = await startEmulator({ project: TIMERS_PROJECT, dataDir, clock: '2024-06-06T00:00:00Z', timers: false });
    expect(await emulatorNow(emulator.url)).toBeGreaterThanOrEqual(Date.parse('2024-06-06T00:00:00Z'));
  });

  test('a --clock outside 1970 to 2099, or a kept clock.json on no date or torn, stops the start with what to do', async () => {
    const range = '1970-01-01T00:00:00.000Z to 2099-12-31T23:59:59.999Z';
    expect(await refusedStart({ project: TIMERS_PROJECT, clock: '2100-01-01T00:00:00Z', timers: false })).toContain(`--clock 2100-01-01T00:00:00.000Z is outside the clock's years, ${range}`);
    expect(await refusedStart({ project: TIMERS_PROJECT, clock: '1969-12-31T23:59:59Z', timers: false })).toContain(range);
    const dataDir = tempDir('rukou-clock-');
    const file = path.join(dataDir, 'clock.json');
    fs.writeFileSync(file, '{"offsetMs":8640000000000000}\n');
    const kept = await refusedStart({ project: TIMERS_PROJECT, dataDir, timers: false });
    expect(kept).toContain(`${file} puts the clock on no date`);
    expect(kept).toContain('delete it');
    expect(fs.readFileSync(file, 'utf8')).toBe('{"offsetMs":8640000000000000}\n');
    fs.writeFileSync(file, '{"offs');
    expect(await refusedStart({ project: TIMERS_PROJECT, dataDir, timers: false })).toContain(`${file} is damaged (Unterminated string in JSON`);
    fs.rmSync(dataDir, { recursive: true });
    emulator = await startEmulator({ project: TIMERS_PROJECT, clock: '2099-12-31T23:00:00Z', timers: false });
    expect(await emulatorNow(emulator.url)).toBeGreaterThanOrEqual(Date.parse('2099-12-31T23:00:00Z'));
  });

  test('`rukou clock` reads and moves the clock, printing the timers that fired; `rukou trigger` without --time fires at the clock\'s time', async () => {
    emulator = await startEmulator({ project: TIMERS_PROJECT, clock: '2024-06-01T22:10:00+08:00' });
    const read = await cli(['clock', '--url', emulator.url]);
    expect(read.code).toBe(0);
    expect(JSON.parse(read.stdout)).toMatchObject({ timers: 'on', next: [{ function: 'hourly', time: '2024-06-01T15:00:00Z' }, { function: 'daily' }] });
    const advanced = await cli(['clock', '--advance', '1h', '--url', emulator.url]);
    expect(advanced.code).toBe(0);
    expect(JSON.parse(advanced.stdout)).toMatchObject({ fired: [{ function: 'hourly', time: '2024-06-01T15:00:00Z', result: { function: 'hourly' } }] });
    const set = await cli(['clock', '--set', '2024-06-02T00:30:00+08:00', '--url', emulator.url]);
    expect(JSON.parse(set.stdout).fired.map((f: { function: string }) => f.function)).toEqual(['daily', 'hourly']);
    const back = await cli(['clock', '--set', '2024-06-01T00:00:00Z', '--url', emulator.url]);
    expect(back.code).toBe(1);
    expect(JSON.parse(back.stdout)).toMatchObject({ code: 'CLOCK_BACKWARDS' });

    const before = await emulatorNow(emulator.url);
    const fired = await cli(['trigger', 'hourly', '--url', emulator.url]);
    const { time } = JSON.parse(fired.stdout).result as { time: string };
    // the event's Time is whole seconds
    expect(Date.parse(time)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(Date.parse(time)).toBeLessThanOrEqual(await emulatorNow(emulator.url));
  });
});
