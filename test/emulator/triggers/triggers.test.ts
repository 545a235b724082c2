/**
 * Timer triggers through their public faces: POST /triggers/<name>, the `rukou trigger` and
 * `rukou invoke` commands against a running emulator, and the scheduler on the ticking clock (moves
 * of the clock are in test/emulator/clock/).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import cloud from 'wx-server-sdk';
import { FIXTURE_PROJECT, logOf, MIDDAY, projectOf, REPO_ROOT, startEmulator, useEmulatorFromThisProcess, type RunningEmulator } from '../../helpers/emulator';
import { until } from '../../helpers/until';

const run = promisify(execFile);
const CLI = path.join(REPO_ROOT, 'bin', 'rukou.js');

interface ClockAnswer {
  result: { event: Record<string, unknown>; wxContext: Record<string, unknown>; TZ: string | null };
  errCode?: number;
  errMsg?: string;
}

async function fire(url: string, name: string, body: unknown): Promise<ClockAnswer> {
  const response = await fetch(`${url}/triggers/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await response.json()) as ClockAnswer;
}

async function cli(args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, [CLI, ...args]);
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    return { code: failed.code, stdout: failed.stdout };
  }
}

describe('firing on demand', () => {
  let emulator: RunningEmulator;

  beforeAll(async () => {
    emulator = await startEmulator({ project: FIXTURE_PROJECT, verbose: true, timers: false });
  });

  afterAll(async () => {
    await emulator.stop();
  });

  test('POST /triggers/<name> runs the trigger as if the clock said `time`, as the timer, with no user', async () => {
    const { result: answer, lines } = await logOf(emulator, () => fire(emulator.url, 'clock', { time: '2024-06-01T16:30:00.000Z' }));
    expect(answer.result.event).toEqual({ Type: 'Timer', TriggerName: 'sundayHalfPastMidnight', Time: '2024-06-01T16:30:00Z' });
    expect(answer.result.wxContext).toEqual({ ENV: 'rukou-fixture', SOURCE: 'wx_trigger' });
    expect(answer.result.TZ).toBe('UTC');
    expect(lines).toContainEqual(expect.stringMatching(/^\[rukou\] trigger clock\/sundayHalfPastMidnight \d+\.\dms ok$/));
  });

  test('a function without a timer trigger, an unknown one and a bad time are refused', async () => {
    expect(await fire(emulator.url, 'whoami', {})).toMatchObject({ errCode: -501000, errMsg: expect.stringContaining('no timer trigger') });
    expect(await fire(emulator.url, 'nope', {})).toMatchObject({ errCode: -501000, errMsg: expect.stringContaining('"nope"') });
    expect(await fire(emulator.url, 'clock', { time: 'yesterday-ish' })).toMatchObject({ errCode: -501007 });
  });

  test('a time is ISO 8601 or refused: not whatever Date.parse reads ({"time": 5} fired the timer of 2001-05-01)', async () => {
    for (const time of [5, '5', [2024], '2024-06-01T16:30:00', '2024-02-30', '2024-06-01T24:00:00Z']) {
      expect(await fire(emulator.url, 'clock', { time })).toEqual({ errCode: -501007, errMsg: expect.stringContaining('ISO 8601') });
    }
    expect(await fire(emulator.url, 'clock', { time: '2024-06-01' })).toMatchObject({ result: { event: { Time: '2024-06-01T00:00:00Z' } } });
  });

  test('`rukou trigger` fires through the running emulator and prints the answer', async () => {
    const { code, stdout } = await cli(['trigger', 'clock', '--time', '2024-01-06T16:30:00Z', '--url', emulator.url]);
    expect(code).toBe(0);
    const answer = JSON.parse(stdout) as { result: { event: Record<string, unknown>; wxContext: Record<string, unknown> } };
    expect(answer.result.event).toEqual({ Type: 'Timer', TriggerName: 'sundayHalfPastMidnight', Time: '2024-01-06T16:30:00Z' });
    expect(answer.result.wxContext.SOURCE).toBe('wx_trigger');
  });

  test('`rukou invoke` runs a function as the given user; a failure exits non-zero', async () => {
    const ok = await cli(['invoke', 'whoami', '--openid', 'cli-user', '--appid', 'wxcli', '--data', '{"from":"cli"}', '--url', emulator.url]);
    expect(ok.code).toBe(0);
    const answer = JSON.parse(ok.stdout) as { result: { wxContext: Record<string, unknown>; event: unknown } };
    expect(answer.result.wxContext).toMatchObject({ OPENID: 'cli-user', APPID: 'wxcli', SOURCE: 'wx_client' });
    expect(answer.result.event).toEqual({ from: 'cli', userInfo: { appId: 'wxcli', openId: 'cli-user' } });
    const failed = await cli(['invoke', 'boom', '--openid', 'cli-user', '--url', emulator.url]);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ errCode: -504002 });
  });
});

describe('the ticking clock', () => {
  test('a running emulator fires each timer trigger on schedule with the scheduled instant, each second once', async () => {
    const emulator = await startEmulator({ project: FIXTURE_PROJECT, timers: true });
    try {
      useEmulatorFromThisProcess(emulator.url);
      cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
      const db = cloud.database();
      type Tick = { event: Record<string, string>; SOURCE: string };
      // tick's trigger fires every second and records each event it gets (its first run creates the collection)
      const ticks = async (): Promise<Tick[]> =>
        ((await (db.collection('ticks').orderBy('event.Time', 'asc').limit(1000).get() as Promise<unknown>).catch(() => ({ data: [] }))) as { data: Tick[] }).data;
      const seconds = (data: Tick[]): number[] => data.map((tick) => Date.parse(tick.event.Time));
      // wait for runs, not for a time
      let data: Tick[] = [];
      await until(async () => (data = await ticks()).length >= 3);
      // an instant does not wait for the run before it, so a run may still be writing when later
      // ones are stored: wait until every second from the first stored to the last is there
      const [first, last] = [seconds(data)[0], seconds(data)[data.length - 1]];
      await until(async () => {
        const stored = new Set(seconds((data = await ticks())));
        for (let second = first; second <= last; second += 1000) if (!stored.has(second)) return false;
        return true;
      });
      for (const tick of data) {
        expect(tick.event).toEqual({ Type: 'Timer', TriggerName: 'everySecond', Time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) });
        expect(tick.SOURCE).toBe('wx_trigger');
      }
      // each second of the span once: none twice, none skipped
      const times = seconds(data).filter((second) => second >= first && second <= last);
      expect(times.length).toBeGreaterThanOrEqual(3);
      for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBe(1000);
    } finally {
      await emulator.stop();
    }
  });
});

describe('a timer the emulator cannot evaluate', () => {
  test('SCF\'s L, W and # stop the start, naming the function\'s config.json and the trigger, with or without --no-timers', async () => {
    const root = projectOf({ monthEnd: { code: 'exports.main = async () => 1;\n' } });
    const dir = path.join(root, 'cloudfunctions', 'monthEnd');
    for (const config of ['0 0 2 L * * *', '0 0 2 15W * * *', '0 0 2 ? * 5#3 *']) {
      fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ triggers: [{ name: 'lastDay', type: 'timer', config }] }));
      for (const timers of [true, false]) {
        let output = '';
        try {
          await (await startEmulator({ project: root, timers })).stop();
        } catch (error) {
          output = (error as Error).message;
        }
        expect(output).toContain(`${path.join(dir, 'config.json')}, trigger "lastDay": invalid timer cron "${config}"`);
        expect(output).toContain('SCF\'s L, W and #');
      }
    }
  });
});

describe("a trigger WeChat would not take stops the start, naming the file and what is wrong (a break-it pass: two triggers of one name started, the second never firing, and \"1 bad name!\" was taken)", () => {
  /** A project of one function, `daily`, whose config.json holds `triggers`; what starting it said, or '' if it started. */
  async function startWith(triggers: { name: string; config: string }[]): Promise<{ file: string; said: string }> {
    const root = projectOf({ daily: { code: 'exports.main = async () => 1;\n', config: { triggers: triggers.map((trigger) => ({ ...trigger, type: 'timer' })) } } });
    const file = path.join(root, 'cloudfunctions', 'daily', 'config.json');
    try {
      // timers on, for the clock to show each timer's next instant; none falls within the test
      const emulator = await startEmulator({ project: root, clock: MIDDAY });
      const { next } = (await (await fetch(`${emulator.url}/__rukou/clock`)).json()) as { next: unknown[] };
      await emulator.stop();
      return { file, said: `started, ${next.length} timers` };
    } catch (error) {
      return { file, said: (error as Error).message };
    }
  }

  const RULE = '"name" must start with a letter and hold at most 60 letters, digits, - and _ (WeChat\'s rule for a timer\'s name)';

  test.each(['1 bad name!', 'bad name', '', '-daily', '_daily', '日报', 'a'.repeat(61)])('the name %j', async (name) => {
    const { file, said } = await startWith([{ name, config: '0 0 2 * * * *' }]);
    expect(said).toContain(`${file}, triggers[0]: ${RULE}; it is ${JSON.stringify(name).slice(0, 60)}`);
  });

  test('two triggers of one name', async () => {
    const { file, said } = await startWith([
      { name: 'daily', config: '0 0 2 * * * *' },
      { name: 'daily', config: '0 0 3 * * * *' },
    ]);
    expect(said).toContain(`${file}: two triggers are named "daily": WeChat takes no two timers of one function with the same name`);
  });

  test('two triggers of two names: WeChat takes one trigger a function, where only the first fired', async () => {
    const { file, said } = await startWith([
      { name: 'morning', config: '0 0 8 * * * *' },
      { name: 'evening', config: '0 0 20 * * * *' },
    ]);
    expect(said).toContain(`${file}: "triggers" holds 2 triggers ("morning", "evening"), where WeChat takes one a function`);
  });

  test('a name of 60 characters, a letter then letters, digits, - and _, starts', async () => {
    const { said } = await startWith([{ name: `d${'aily-_9'.repeat(8)}abc`, config: '0 0 2 * * * *' }]);
    expect(said).toBe('started, 1 timers');
  });
});
