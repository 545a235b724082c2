/**
 * The emulator's clock through its public faces: `--clock`, `GET`/`POST /__rukou/clock`, `rukou
 * clock`, and what moves with it: functions' Date (fixture `whoami`), serverDate and `_id`s, the
 * simulated WeChat's cloudID expiry, and timers (fixture project `timers`: `daily` at 00:00 and
 * `hourly` on the hour, Beijing time, each recording its runs). Every instant here is hours from
 * the machine's time, so no timer can fire on its own while a test runs.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import cloud from 'wx-server-sdk';
import { emulatorNow, FIXTURE_PROJECT, invokeAs, moveClock, REPO_ROOT, startEmulator, tempDir, useEmulatorFromThisProcess, type RunningEmulator } from '../../helpers/emulator';
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

async function cli(args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    return { code: 0, stdout: (await run(process.execPath, [CLI, ...args])).stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, stdout: failed.stdout };
  }
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

  test('a function\'s Date.now(), new Date() and Date() read the emulator\'s clock, and its serverDate and _id are stamped with it', async () => {
    const before = await emulatorNow(emulator.url);
    const answer = (await invokeAs(emulator.url, 'whoami', { db: true, holdMs: 20 }, { openid: 'o-clock' })).result as {
      clock: { now: number; date: string; text: string; isDate: boolean };
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
    // an id begins with the seconds of its insert, as the cloud's do
    const seconds = parseInt(answer.stored._id.slice(0, 8), 16);
    expect(seconds).toBeGreaterThanOrEqual(Math.floor(before / 1000));
    expect(seconds).toBeLessThanOrEqual(Math.floor(after / 1000));
  });

  test('advance moves every face of the clock by the duration; the next invocation sees it', async () => {
    const before = await emulatorNow(emulator.url);
    const moved = await moveClock(emulator.url, { advance: '1d2h' });
    expect(moved).toMatchObject({ status: 200, fired: [] });
    expect(Date.parse(moved.now)).toBeGreaterThanOrEqual(before + DAY + 2 * HOUR);
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
    for (const body of [{}, { set: 'tomorrow' }, { advance: -1 }, { advance: '1y' }, { advance: 1.5 }, { advance: '1d', set: '2030-01-01T00:00:00Z' }, ...notIso]) {
      expect(await moveClock(emulator.url, body as { advance: string })).toMatchObject({ status: 400, code: 'INVALID_PARAM', message: expect.any(String) });
    }
    const response = await fetch(`${emulator.url}/__rukou/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"advance":' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'INVALID_PARAM', message: expect.stringContaining('"advance"') });
  });

  test('an advance of 0 is never refused: the clock stays where it has ticked to (it was a move back whenever the millisecond turned)', async () => {
    for (let i = 0; i < 300; i++) expect(await moveClock(emulator.url, { advance: 0 })).toMatchObject({ status: 200 });
  });

  test('the clock goes no further than the year 9999 (an advance of 2^53 - 1 ms went past what a Date holds, and every reading then answered 500)', async () => {
    const before = await emulatorNow(emulator.url);
    for (const body of [{ advance: Number.MAX_SAFE_INTEGER }, { advance: '9007199254740991' }, { set: '+010000-01-01' }, { set: '+275760-09-13T00:00:00Z' }]) {
      expect(await moveClock(emulator.url, body as { advance: string })).toMatchObject({ status: 400, code: 'INVALID_PARAM', message: expect.stringContaining('cannot go past 9999-12-31T23:59:59.999Z') });
    }
    expect(await emulatorNow(emulator.url)).toBeGreaterThanOrEqual(before);
    expect(await emulatorNow(emulator.url)).toBeLessThan(before + 60_000);
  });

  test('the simulated WeChat ages with the clock: a cloudID issued before a 6-minute advance has expired', async () => {
    const cloudID = await issueCloudId(emulator.url, { openid: 'o-clock', appid: 'wx0000000000000000', kind: 'shareInfo', groupId: 'g' });
    const opened = async (): Promise<unknown> => ((await invokeAs(emulator.url, 'opener', { op: 'getOpenData', list: [cloudID] }, { openid: 'o-clock' })).result as { list: unknown[] }).list[0];
    expect(await opened()).toMatchObject({ data: { openGId: expect.any(String) } });
    await moveClock(emulator.url, { advance: '6m' });
    expect(await opened()).toMatchObject({ errCode: -601006, errMsg: 'cloudID expired' });
  });
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

  test('with --no-timers the clock moves and nothing fires', async () => {
    emulator = await startEmulator({ project: TIMERS_PROJECT, clock: '2024-06-01T22:10:00+08:00', timers: false });
    expect(await moveClock(emulator.url, { advance: '2d' })).toMatchObject({ status: 200, fired: [] });
    expect(await runsOf(emulator)).toEqual([]);
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
