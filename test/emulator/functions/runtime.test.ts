/**
 * The functions runtime through its public faces: the client gateway (POST /functions/<name>)
 * and cloud.callFunction inside a function, against the built emulator and the fixture project.
 */
import { until } from '../../helpers/until';
import { emulatorNow, FIXTURE_PROJECT, functionStats, invokeAs, logOf, startEmulator, type FunctionStats, type RunningEmulator } from '../../helpers/emulator';

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({
    project: FIXTURE_PROJECT,
    verbose: true,
    timers: false,
    // Neither the emulator's own TZ nor the machine's zone may reach functions: the cloud's function clock is UTC.
    env: { TZ: 'Asia/Shanghai', FIXTURE_FROM_ENV: 'rendered-from-env' },
    // nor the emulator's Node options
    nodeArgs: ['--no-memory-reducer'],
  });
});

afterAll(async () => {
  await emulator.stop();
});

interface WhoAmI {
  wxContext: Record<string, unknown>;
  event: Record<string, unknown>;
  context: { function_name: string; request_id: string; time_limit_in_ms: number };
  TZ: string | null;
  timezoneOffset: number;
  greeting: string;
  fromEnv: string;
  pid: number;
  execArgv: string[];
}

const whoami = async (user: Parameters<typeof invokeAs>[3], data: Record<string, unknown> = {}): Promise<WhoAmI> => {
  const answer = await invokeAs(emulator.url, 'whoami', data, user);
  if (!answer.result) throw new Error(`whoami failed: ${JSON.stringify(answer)}`);
  return answer.result as WhoAmI;
};

const pidOf = (answer: { result?: unknown }): number => (answer.result as { pid: number }).pid;
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/** How the stats of a function changed while `work` ran (GET /__rukou/functions/stats). */
async function statsChange(name: string, work: () => Promise<unknown>): Promise<FunctionStats> {
  const before = await functionStats(emulator.url, name);
  await work();
  const after = await functionStats(emulator.url, name);
  const minus = <T extends Record<string, number>>(a: T, b: T): T => Object.fromEntries(Object.keys(a).map((key) => [key, a[key] - b[key]])) as T;
  return { invocations: minus(after.invocations, before.invocations), workers: minus(after.workers, before.workers) };
}

/** What `work` answered, and the log lines of the function's invocations it made (never read as answers arrive: the log's pipe can lag). */
async function invokeLines<T>(name: string, work: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const { result, lines } = await logOf(emulator, work);
  return { result, lines: lines.filter((line) => line.startsWith(`[rukou] invoke ${name} `)) };
}

describe('identity', () => {
  test('cold then warm start are visible in the log, one line per invocation with ms and outcome', async () => {
    const { lines } = await invokeLines('whoami', async () => {
      await whoami({ openid: 'first' });
      await whoami({ openid: 'second' });
    });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\[rukou\] invoke whoami \d+\.\dms ok cold$/);
    expect(lines[1]).toMatch(/^\[rukou\] invoke whoami \d+\.\dms ok warm$/);
  });

  test('two users in a row each see their own OPENID, on the same warm worker', async () => {
    const alice = await whoami({ openid: 'alice', appid: 'wxapp1', unionid: 'union-a' });
    const bob = await whoami({ openid: 'bob', appid: 'wxapp1' });
    expect(alice.wxContext).toMatchObject({ OPENID: 'alice', APPID: 'wxapp1', UNIONID: 'union-a' });
    expect(bob.wxContext.OPENID).toBe('bob');
    // Nothing of alice's invocation leaks into bob's.
    expect(bob.wxContext).not.toHaveProperty('UNIONID');
    expect(bob.pid).toBe(alice.pid);
  });

  test('two users at once run in two workers and each sees its own OPENID', async () => {
    const users = ['carol', 'dave', 'erin', 'frank'];
    // each waits for the others to arrive: all four run at once, however slowly they are dispatched
    const answers = await Promise.all(users.map((openid) => whoami({ openid }, { meet: { id: 'four-users', of: users.length } })));
    expect(answers.map((a) => a.wxContext.OPENID)).toEqual(users);
    expect(new Set(answers.map((a) => a.pid)).size).toBe(users.length);
  });

  test('database writes made by concurrent users each carry that user\'s OPENID', async () => {
    const users = ['pat', 'quinn', 'rosa'];
    const before = await emulatorNow(emulator.url);
    const answers = await Promise.all(users.map((openid) => whoami({ openid }, { db: true })));
    const after = await emulatorNow(emulator.url);
    const stored = answers.map((a) => (a as WhoAmI & { stored: { openid: string; at: string } }).stored);
    expect(stored.map((doc) => doc.openid)).toEqual(users);
    // serverDate is the emulator's clock while the writes ran
    for (const doc of stored) {
      expect(Date.parse(doc.at)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(doc.at)).toBeLessThanOrEqual(after);
    }
  });

  test('the per-invocation environment: TZ=UTC, ENV, SOURCE, envVariables, context', async () => {
    const answer = await whoami({ openid: 'gina' }, { hello: 'world' });
    // set, not left out: without TZ a function would run in the zone of the machine (its /etc/localtime)
    expect(answer.TZ).toBe('UTC');
    expect(answer.execArgv).toEqual([]);
    expect(answer.timezoneOffset).toBe(0);
    expect(answer.wxContext).toMatchObject({ ENV: 'rukou-fixture', SOURCE: 'wx_client', OPENID: 'gina' });
    expect(answer.event).toEqual({ hello: 'world', userInfo: { openId: 'gina' } });
    expect(answer.greeting).toBe('hello');
    expect(answer.fromEnv).toBe('rendered-from-env');
    expect(answer.context).toMatchObject({ function_name: 'whoami', time_limit_in_ms: 30_000, request_id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const http = await whoami({ openid: '', source: 'wx_http' });
    expect(http.wxContext.SOURCE).toBe('wx_http');
    expect(http.wxContext).not.toHaveProperty('OPENID');
  });

  test('a function whose envVariables set TZ runs in that zone, as in the cloud', async () => {
    const answer = (await invokeAs(emulator.url, 'beijing', {}, { openid: 'gina' })).result as WhoAmI;
    expect(answer.TZ).toBe('Asia/Shanghai');
    expect(answer.timezoneOffset).toBe(-480);
    // and the next function in UTC again: the zone is the function's, not the machine's or another's
    expect((await whoami({ openid: 'gina' })).timezoneOffset).toBe(0);
  });

  test('a Mini Program\'s call carries the platform\'s userInfo, the caller of getWXContext(), over any the client sent', async () => {
    const answer = await whoami({ openid: 'kim', appid: 'wxapp3' }, { n: 1, userInfo: { appId: 'wx-forged', openId: 'someone-else', extra: true } });
    expect(answer.event).toEqual({ n: 1, userInfo: { appId: 'wxapp3', openId: 'kim' } });
    expect(answer.wxContext).toMatchObject({ APPID: 'wxapp3', OPENID: 'kim' });
    const devtools = await whoami({ openid: 'kim', appid: 'wxapp3', source: 'wx_devtools' });
    expect(devtools.event).toEqual({ userInfo: { appId: 'wxapp3', openId: 'kim' } });
  });

  test('userInfo without an OPENID is {appId}; no data is {}; data that is not an object, and other sources, arrive as sent', async () => {
    expect((await whoami({ openid: '', appid: 'wxapp3' }, { n: 2 })).event).toEqual({ n: 2, userInfo: { appId: 'wxapp3' } });
    const event = async (data: unknown, user: Parameters<typeof invokeAs>[3] = { openid: 'kim', appid: 'wxapp3' }): Promise<unknown> =>
      ((await invokeAs(emulator.url, 'whoami', data, user)).result as WhoAmI).event;
    expect(await event(undefined)).toEqual({ userInfo: { appId: 'wxapp3', openId: 'kim' } });
    expect(await event(['a', 1])).toEqual(['a', 1]);
    expect(await event('text')).toBe('text');
    expect(await event(7)).toBe(7);
    const http = { httpMethod: 'POST', path: '/whoami', headers: {}, body: '{}' };
    expect(await event(http, { openid: '', source: 'wx_http' })).toEqual(http);
  });

  test('an unknown function answers -501000', async () => {
    const answer = await invokeAs(emulator.url, 'no-such-function', {}, { openid: 'x' });
    expect(answer.errCode).toBe(-501000);
    expect(answer.errMsg).toContain('no-such-function');
  });
});

describe('cloud.callFunction inside a function', () => {
  test('the callee acts for the same user, and its SOURCE shows the chain', async () => {
    const answer = (await invokeAs(emulator.url, 'relay', { target: 'whoami', data: { via: 'relay' } }, { openid: 'henry', appid: 'wxapp2' })).result as {
      mine: Record<string, unknown>;
      theirs: WhoAmI;
    };
    expect(answer.mine).toMatchObject({ OPENID: 'henry', SOURCE: 'wx_client' });
    expect(answer.theirs.wxContext).toMatchObject({ OPENID: 'henry', APPID: 'wxapp2', SOURCE: 'wx_client,scf', ENV: 'rukou-fixture' });
    expect(answer.theirs.event).toEqual({ via: 'relay' });
  });

  test('two users relaying at once keep their identities apart', async () => {
    const answers = await Promise.all(
      ['ivy', 'jack'].map(async (openid) => (await invokeAs(emulator.url, 'relay', { target: 'whoami', data: { holdMs: 200 } }, { openid })).result as { theirs: WhoAmI }),
    );
    expect(answers.map((a) => a.theirs.wxContext.OPENID)).toEqual(['ivy', 'jack']);
  });

  test('a callee that throws reaches the caller as FUNCTIONS_EXECUTE_FAIL with its message', async () => {
    type Failed = { error: { code: string; errCode: number; errMsg: string } };
    const answer = (await invokeAs(emulator.url, 'relay', { target: 'boom' }, { openid: 'kate' })).result as Failed;
    // The SDK reports any failed callFunction as errCode -1 and keeps the backend's code.
    expect(answer.error).toEqual({ code: 'FUNCTIONS_EXECUTE_FAIL', errCode: -1, errMsg: 'callFunction:fail Error: boom: the fixture failed on purpose' });
    const missing = (await invokeAs(emulator.url, 'relay', { target: 'nope' }, { openid: 'kate' })).result as Failed;
    expect(missing.error).toMatchObject({ code: 'FUNCTION_NOT_FOUND', errMsg: expect.stringContaining('"nope"') });
  });
});

describe('the 6 MiB a synchronous invocation carries each way (SCF quota limits)', () => {
  const MIB6 = 6 * 1024 * 1024;

  test('an event past it is refused before the function runs; an answer past it fails the call, though the function ran', async () => {
    const change = await statsChange('whoami', async () => {
      const refused = await invokeAs(emulator.url, 'whoami', { pad: 'x'.repeat(MIB6) }, { openid: 'max' });
      expect(refused).toEqual({ errCode: -501001, errMsg: expect.stringMatching(/^EXCEED_MAX_PAYLOAD_SIZE: the call's event is \d+ bytes of JSON, past the 6291456 \(6 MiB\)/) });
      const failed = await invokeAs(emulator.url, 'whoami', { answerBytes: MIB6 }, { openid: 'max' });
      expect(failed).toEqual({ errCode: -504002, errMsg: expect.stringMatching(/^functions execute fail \| errMsg: the function's answer is \d+ bytes of JSON, past the 6291456/) });
      const within = await invokeAs(emulator.url, 'whoami', { answerBytes: MIB6 - 4096 }, { openid: 'max' });
      expect((within.result as { padding: string }).padding).toHaveLength(MIB6 - 4096);
    });
    expect(change.invocations).toMatchObject({ ok: 1, error: 1 });
  });

  test('through cloud.callFunction and HTTP access alike', async () => {
    const relayed = (await invokeAs(emulator.url, 'relay', { target: 'whoami', data: { answerBytes: MIB6 } }, { openid: 'max' })).result as { error: { code: string; errMsg: string } };
    expect(relayed.error).toMatchObject({ code: 'FUNCTIONS_EXECUTE_FAIL', errMsg: expect.stringContaining("the function's answer is") });
    const response = await fetch(`${emulator.url}/http/whoami`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pad: 'x'.repeat(MIB6) }) });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ code: 'EXCEED_MAX_PAYLOAD_SIZE', message: expect.stringContaining("the call's event is") });
  });
});

describe('failures', () => {
  test('a thrown error answers -504002 with its message, and the worker survives warm', async () => {
    const {
      result: [failed, next],
      lines,
    } = await invokeLines('boom', async () => [
      await invokeAs(emulator.url, 'boom', {}, { openid: 'liam' }),
      await invokeAs(emulator.url, 'boom', { throw: false }, { openid: 'liam' }),
    ]);
    expect(failed.errCode).toBe(-504002);
    expect(failed.errMsg).toMatch(/^functions execute fail \| errMsg: Error: boom: the fixture failed on purpose$/);
    expect(next.result).toEqual({ pid: expect.any(Number) });
    expect(alive(pidOf(next))).toBe(true);
    expect(lines.at(-1)).toMatch(/ ok warm$/);
  });

  test('an answer JSON has no text for (a function, a Symbol) answers null, as undefined does, and the emulator serves on', async () => {
    for (const answer of ['function', 'symbol']) expect(await invokeAs(emulator.url, 'boom', { answer }, { openid: 'liam' })).toMatchObject({ result: null });
    expect((await invokeAs(emulator.url, 'boom', { throw: false }, { openid: 'liam' })).result).toEqual({ pid: expect.any(Number) });
  });

  test('the timeout from cloudbaserc.json is enforced by killing the worker', async () => {
    const { result: timedOut, lines } = await invokeLines('slow', async () => {
      // On the monotonic clock: the limit's timer is armed after this instant, so the answer cannot come sooner.
      const started = performance.now();
      // An hour's sleep: answered at all within the test's time, it was cut at the limit, not awaited.
      const answer = await invokeAs(emulator.url, 'slow', { ms: 3_600_000 }, { openid: 'mia' });
      return { answer, took: performance.now() - started };
    });
    expect(timedOut.took).toBeGreaterThanOrEqual(1000);
    expect(timedOut.answer.errCode).toBe(-504002);
    expect(timedOut.answer.errMsg).toContain('timed out after 1 seconds');
    expect(lines).toEqual([expect.stringMatching(/ timeout cold$/)]);
    // The next invocation gets a fresh worker (cold again) and finishes in time.
    const next = await invokeLines('slow', () => invokeAs(emulator.url, 'slow', { ms: 10 }, { openid: 'mia' }));
    expect(next.result.result).toMatchObject({ slept: 10 });
    expect(next.lines).toEqual([expect.stringMatching(/ ok cold$/)]);
  });

  test("a cold start's loading is timed apart from the function's timeout, as SCF's initialization is", async () => {
    // heavy takes 1.5 s to load and has a 1 s timeout: the load counts against the 60 s initialization timeout only
    const { result: answers, lines } = await invokeLines('heavy', async () => [
      await invokeAs(emulator.url, 'heavy', {}, { openid: 'ivy' }),
      await invokeAs(emulator.url, 'heavy', {}, { openid: 'ivy' }),
    ]);
    expect(answers.map((answer) => answer.errCode ?? 'ok')).toEqual(['ok', 'ok']);
    // the same process, loaded once
    expect(answers[1].result).toEqual(answers[0].result);
    expect(lines.map((line) => line.replace(/^.* \d+\.\dms /, ''))).toEqual(['ok cold', 'ok warm']);
  });

  test('code that throws while loading fails the invocation with its error, and the next one starts cold again', async () => {
    const before = await functionStats(emulator.url, 'broken');
    const change = await statsChange('broken', async () => {
      const { result: answers, lines } = await invokeLines('broken', async () => [
        await invokeAs(emulator.url, 'broken', {}, { openid: 'ivy' }),
        await invokeAs(emulator.url, 'broken', {}, { openid: 'ivy' }),
      ]);
      for (const answer of answers) {
        expect(answer.errCode).toBe(-504002);
        expect(answer.errMsg).toContain('Error: broken: the fixture fails to load on purpose');
      }
      expect(lines.map((line) => line.replace(/^.* \d+\.\dms /, ''))).toEqual(['error cold', 'error cold']);
      // a killed worker's exit is heard after the call is answered
      await until(async () => (await functionStats(emulator.url, 'broken')).workers.exited === before.workers.exited + 2);
    });
    expect(change).toEqual({ invocations: { ok: 0, error: 2, timeout: 0, crashed: 0 }, workers: { started: 2, exited: 2 } });
  });

  test('a worker that dies is replaced and its caller answered with an error', async () => {
    const {
      result: [before, died, after],
      lines,
    } = await invokeLines('crash', async () => [
      await invokeAs(emulator.url, 'crash', {}, { openid: 'noah' }),
      await invokeAs(emulator.url, 'crash', { exit: true }, { openid: 'noah' }),
      await invokeAs(emulator.url, 'crash', {}, { openid: 'noah' }),
    ]);
    expect(died.errCode).toBe(-504002);
    expect(died.errMsg).toContain('exited (code 3)');
    expect(alive(pidOf(before))).toBe(false);
    expect(after.result).toEqual({ pid: expect.any(Number) });
    expect(pidOf(after)).not.toBe(pidOf(before));
    expect(lines.map((line) => line.replace(/^.* \d+\.\dms /, ''))).toEqual(['ok cold', 'crashed warm', 'ok cold']);
  });

  test('GET /__rukou/functions/stats counts invocations by how they ended, and the workers started and lost', async () => {
    // each function warm first, so that the counts below are this test's whatever ran before it
    await invokeAs(emulator.url, 'boom', { throw: false }, { openid: 'pia' });
    await invokeAs(emulator.url, 'crash', {}, { openid: 'pia' });
    await invokeAs(emulator.url, 'slow', { ms: 1 }, { openid: 'pia' });
    const boom = await statsChange('boom', async () => {
      await invokeAs(emulator.url, 'boom', {}, { openid: 'pia' });
      await invokeAs(emulator.url, 'boom', { throw: false }, { openid: 'pia' });
    });
    expect(boom).toEqual({ invocations: { ok: 1, error: 1, timeout: 0, crashed: 0 }, workers: { started: 0, exited: 0 } });
    const crash = await statsChange('crash', async () => {
      await invokeAs(emulator.url, 'crash', { exit: true }, { openid: 'pia' });
      await invokeAs(emulator.url, 'crash', {}, { openid: 'pia' });
    });
    expect(crash).toEqual({ invocations: { ok: 1, error: 0, timeout: 0, crashed: 1 }, workers: { started: 1, exited: 1 } });
    const slow = await statsChange('slow', async () => {
      await invokeAs(emulator.url, 'slow', { ms: 3_600_000 }, { openid: 'pia' });
      await invokeAs(emulator.url, 'slow', { ms: 1 }, { openid: 'pia' });
    });
    expect(slow).toEqual({ invocations: { ok: 1, error: 0, timeout: 1, crashed: 0 }, workers: { started: 1, exited: 1 } });
  });

  test('under heavy concurrency a function runs at most 8 workers and every caller is answered', async () => {
    // the first eight wait for each other, so eight run at once; the last four wait for a worker to come free
    const answers = await Promise.all(Array.from({ length: 12 }, () => invokeAs(emulator.url, 'whoami', { meet: { id: 'eight-at-once', of: 8 } }, { openid: 'olga' })));
    expect(answers.every((a) => a.result !== undefined)).toBe(true);
    expect(new Set(answers.map(pidOf)).size).toBe(8);
  });
});
