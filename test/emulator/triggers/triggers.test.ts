/**
 * Timer triggers through their public faces: POST /triggers/<name>, the `rukou trigger` and
 * `rukou invoke` commands against a running emulator, and the wall-clock scheduler.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import cloud from 'wx-server-sdk';
import { FIXTURE_PROJECT, REPO_ROOT, startEmulator, useEmulatorFromThisProcess, type RunningEmulator } from '../../helpers/emulator';

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
    const answer = await fire(emulator.url, 'clock', { time: '2024-06-01T16:30:00.000Z' });
    expect(answer.result.event).toEqual({ Type: 'Timer', TriggerName: 'sundayHalfPastMidnight', Time: '2024-06-01T16:30:00Z' });
    expect(answer.result.wxContext).toEqual({ ENV: 'rukou-fixture', SOURCE: 'wx_trigger' });
    expect(answer.result.TZ).toBeNull();
    expect(emulator.output()).toMatch(/\[rukou\] trigger clock\/sundayHalfPastMidnight \d+\.\dms ok/);
  });

  test('a function without a timer trigger, an unknown one and a bad time are refused', async () => {
    expect(await fire(emulator.url, 'whoami', {})).toMatchObject({ errCode: -501000, errMsg: expect.stringContaining('no timer trigger') });
    expect(await fire(emulator.url, 'nope', {})).toMatchObject({ errCode: -501000, errMsg: expect.stringContaining('"nope"') });
    expect(await fire(emulator.url, 'clock', { time: 'yesterday-ish' })).toMatchObject({ errCode: -501007 });
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

describe('the wall clock', () => {
  test('a running emulator fires each timer trigger on schedule with the scheduled instant', async () => {
    const emulator = await startEmulator({ project: FIXTURE_PROJECT, timers: true });
    try {
      useEmulatorFromThisProcess(emulator.url);
      cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
      const db = cloud.database();
      // tick's trigger fires every second and records each event it gets.
      await new Promise((resolve) => setTimeout(resolve, 3500));
      const { data } = (await db.collection('ticks').orderBy('event.Time', 'asc').get()) as unknown as { data: { event: Record<string, string>; SOURCE: string }[] };
      expect(data.length).toBeGreaterThanOrEqual(2);
      for (const tick of data) {
        expect(tick.event).toEqual({ Type: 'Timer', TriggerName: 'everySecond', Time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) });
        expect(tick.SOURCE).toBe('wx_trigger');
      }
      const times = data.map((tick) => Date.parse(tick.event.Time));
      for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBe(1000);
    } finally {
      await emulator.stop();
    }
  });
});
