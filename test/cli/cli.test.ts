/**
 * `rukou` (bin/rukou.js) as a user meets it: every command's help, what a wrong command or option
 * says, where it looked when no emulator answers, and the exit status of each kind of answer
 * (README "The emulator": 0 done, 1 refused, 2 a wrong command or option, 3 no emulator).
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { FIXTURE_PROJECT, REPO_ROOT, startEmulator, tempDir, type RunningEmulator } from '../helpers/emulator';
import { until } from '../helpers/until';

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `rukou …` with RUKOU_URL and RUKOU_PORT unset unless `env` sets them. */
function rukou(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const base = { ...process.env };
  delete base.RUKOU_URL;
  delete base.RUKOU_PORT;
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(REPO_ROOT, 'bin', 'rukou.js'), ...args], { env: { ...base, ...env } }, (error, stdout, stderr) => {
      resolve({ status: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

/** A port nothing listens on: taken from the system, then let go. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const COMMANDS = ['start', 'emulator', 'invoke', 'trigger', 'clock'];

describe('help', () => {
  test.each([['--help'], ['-h'], ['help']])('rukou %s lists every command with its usage, on stdout, exit 0', async (flag) => {
    const run = await rukou([flag]);
    expect(run).toMatchObject({ status: 0, stderr: '' });
    for (const command of COMMANDS) expect(run.stdout).toContain(`  rukou ${command} `);
    expect(run.stdout).toContain('RUKOU_URL');
    expect(run.stdout).toContain('RUKOU_PORT');
  });

  test.concurrent.each(COMMANDS)('rukou %s --help, -h and rukou help <command> print its usage and options, exit 0', async (command) => {
    const runs = await Promise.all([rukou([command, '--help']), rukou([command, '-h']), rukou(['help', command])]);
    for (const run of runs) {
      expect(run).toMatchObject({ status: 0, stderr: '' });
      expect(run.stdout).toMatch(new RegExp(`^usage: rukou ${command} `));
      expect(run.stdout).toContain('--');
    }
    expect(runs[1].stdout).toBe(runs[0].stdout);
    expect(runs[2].stdout).toBe(runs[0].stdout);
  });

  test("rukou --version and -v print package.json's version, exit 0", async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(await rukou(['--version'])).toEqual({ status: 0, stdout: `${version}\n`, stderr: '' });
    expect(await rukou(['-v'])).toEqual({ status: 0, stdout: `${version}\n`, stderr: '' });
    // anything after it is a mistake the caller should hear of, as after any command
    expect(await rukou(['--version', 'extra'])).toMatchObject({ status: 2, stdout: '', stderr: expect.stringContaining('--version takes nothing after it, got "extra"') });
  });

  test('--help wins over a missing argument: rukou invoke --help needs no function', async () => {
    expect(await rukou(['invoke', '--help'])).toMatchObject({ status: 0, stdout: expect.stringContaining('--openid ID') });
  });
});

describe('a wrong command or option: the usage on stderr, exit 2', () => {
  test.concurrent.each([
    [[], 'which command?'],
    [['bogus'], 'unknown command "bogus"'],
    [['help', 'bogus'], 'unknown command "bogus"'],
    [['--bogus'], 'unknown command "--bogus"'],
  ])('rukou %j', async (args, message) => {
    const run = await rukou(args);
    expect(run).toMatchObject({ status: 2, stdout: '' });
    expect(run.stderr).toContain(`rukou: ${message}`);
    expect(run.stderr).toContain('usage: rukou <command>');
  });

  test.concurrent.each([
    [['start', '--bogus'], "unknown option --bogus"],
    [['emulator', '--bogus'], "unknown option --bogus"],
    [['start', '--seed', '-1'], '--seed takes a value that starts with "-" only as --seed=<value>'],
    [['start', '--seed', 'abc'], '--seed must be a whole number from 0 to 4294967295, got "abc"'],
    [['start', '--seed', '4294967296'], '--seed must be a whole number from 0 to 4294967295, got "4294967296"'],
    [['start', '--data', ''], '--data must not be empty: name a folder'],
    [['emulator', '--data', ''], '--data must not be empty: name a folder'],
    [['emulator', '--project', ''], '--project must not be empty: name a folder'],
    [['emulator', '--project', '/nonexistent/rukou-project'], '--project is not a folder: /nonexistent/rukou-project'],
    [['emulator', '--port'], "Option '--port <value>' argument missing"],
    [['emulator', '--port', 'abc'], '--port must be a port number (0 to 65535), got "abc"'],
    [['emulator', '--port', '70000'], '--port must be a port number (0 to 65535), got "70000"'],
    [['emulator', 'extra'], 'Unexpected argument'],
    [['emulator', '--clock', 'tomorrow'], '--clock is not an ISO 8601 day or time with its offset: tomorrow'],
    [['emulator', '--clock', '2100-01-01'], "--clock 2100-01-01T00:00:00.000Z is outside the clock's years, 1970-01-01T00:00:00.000Z to 2099-12-31T23:59:59.999Z"],
    [['invoke'], 'which function?'],
    [['invoke', 'admin'], 'give --openid'],
    [['invoke', 'admin', '--openid', ''], '--openid must not be empty'],
    [['invoke', 'admin', '--openid', 'o-a', '--openid', 'o-b'], '--openid is given more than once'],
    [['clock', '--url', 'http://127.0.0.1:8787', '--url=http://127.0.0.1:8788'], '--url is given more than once'],
    [['emulator', '--verbose', '--verbose'], '--verbose is given more than once'],
    [['invoke', 'admin', 'extra', '--openid', 'o-1'], 'unexpected argument "extra"'],
    [['invoke', 'admin', '--openid', 'o-1', '--data', '{'], '--data is not JSON: {'],
    [['invoke', 'admin', '--openid', 'o-1', '--url', 'nowhere'], '--url is not a URL: "nowhere"'],
    [['invoke', 'admin', '--openid', 'o-1', '--url', 'ftp://127.0.0.1:8787'], '--url is not an http URL'],
    [['invoke', 'admin', '--openid'], "Option '--openid <value>' argument missing"],
    [['trigger'], 'which function?'],
    [['trigger', 'rollup', '--time', '2024-05-20 00:17'], '--time is not an ISO 8601 day or time with its offset'],
    [['trigger', 'rollup', '--bogus'], "unknown option --bogus"],
    [['clock', '--set', '2024-05-20', '--advance', '1d'], 'give --set or --advance, not both'],
    [['clock', 'now'], 'Unexpected argument'],
    [['clock', '--set', 'yesterday'], '--set is not an ISO 8601 day or time with its offset: yesterday'],
    [['clock', '--set', '2024-05-20T12:00'], '--set is not an ISO 8601 day or time with its offset: 2024-05-20T12:00'],
    [['clock', '--advance', '1h1h'], '--advance is not a duration: 1h1h'],
    [['clock', '--advance', 'soon'], '--advance is not a duration: soon'],
  ])('rukou %j', async (args, message) => {
    const run = await rukou(args);
    expect(run).toMatchObject({ status: 2, stdout: '' });
    expect(run.stderr).toContain(`rukou ${args[0]}: `);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain(`usage: rukou ${args[0]} `);
  });

  test('a RUKOU_PORT that is no port number is named', async () => {
    for (const command of [['clock'], ['emulator', '--data', tempDir()]]) {
      const run = await rukou(command, { RUKOU_PORT: '87x' });
      expect(run).toMatchObject({ status: 2, stdout: '' });
      expect(run.stderr).toContain('RUKOU_PORT must be a port number (0 to 65535), got "87x"');
    }
  });
});

describe('no emulator at the URL: which URL, where it came from, how to change it; exit 3', () => {
  let port: number;
  beforeAll(async () => {
    port = await freePort();
  });

  test.each([
    ['--url', (p: number) => ({ args: ['--url', `http://127.0.0.1:${p}`], env: { RUKOU_URL: 'http://127.0.0.1:1', RUKOU_PORT: '1' } }), 'the URL came from --url'],
    ['RUKOU_URL', (p: number) => ({ args: [], env: { RUKOU_URL: `http://127.0.0.1:${p}/`, RUKOU_PORT: '1' } }), 'the URL came from RUKOU_URL'],
    ['RUKOU_PORT', (p: number) => ({ args: [], env: { RUKOU_PORT: String(p) } }), `the URL came from RUKOU_PORT=`],
  ])('from %s', async (_source, setup, from) => {
    const { args, env } = setup(port);
    for (const command of [['invoke', 'admin', '--openid', 'o-1'], ['trigger', 'rollup'], ['clock']]) {
      const run = await rukou([...command, ...args], env);
      expect(run).toMatchObject({ status: 3, stdout: '' });
      expect(run.stderr).toContain(`rukou: no emulator answers at http://127.0.0.1:${port} (ECONNREFUSED); ${from}`);
      expect(run.stderr).toContain('Start one with `npm start`');
      for (const setting of ['--url', 'RUKOU_URL=', 'RUKOU_PORT=']) expect(run.stderr).toContain(setting);
    }
  });

  /** A local server whose every answer is `answer`'s; closed after `work`. */
  async function withServer(answer: http.RequestListener, work: (url: string) => Promise<void>): Promise<void> {
    const server = http.createServer(answer).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      await work(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  }

  const CLIENT_COMMANDS = [['clock'], ['clock', '--advance', '1h'], ['invoke', 'admin', '--openid', 'o-1'], ['trigger', 'rollup']];

  test('a server answering JSON without the emulator\'s header is not taken for one', async () => {
    await withServer(
      (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'),
      async (url) => {
        for (const command of CLIENT_COMMANDS) {
          const run = await rukou([...command, '--url', url]);
          expect(run).toMatchObject({ status: 3, stdout: '' });
          expect(run.stderr).toContain(`rukou: what answers at ${url} is not a Rukou emulator (no x-rukou-emulator header; /__rukou/clock: 200 {})`);
        }
      },
    );
  });

  test('a server that never answers is given up after RUKOU_TIMEOUT seconds, naming the URL', async () => {
    await withServer(
      () => undefined,
      async (url) => {
        for (const command of CLIENT_COMMANDS) {
          const run = await rukou([...command, '--url', url], { RUKOU_TIMEOUT: '0.5' });
          expect(run).toMatchObject({ status: 3, stdout: '' });
          expect(run.stderr).toContain(`rukou: nothing answered at ${url} within 0.5 s (RUKOU_TIMEOUT=<seconds> waits longer)`);
        }
      },
    );
  });

  test('a RUKOU_TIMEOUT that is no number of seconds, or longer than a timer holds, is named', async () => {
    // 1e9 is a number, but not written in digits; 2147484 s is past the 2^31 − 1 ms a Node timer holds (it would fire at once)
    for (const value of ['0', 'soon', '-1', '1e9', '2147484']) {
      const run = await rukou(['clock'], { RUKOU_TIMEOUT: value });
      expect(run).toMatchObject({ status: 2, stdout: '' });
      expect(run.stderr).toContain(`RUKOU_TIMEOUT must be seconds in digits, above 0 and at most 2147483 (such as 30 or 2.5), got "${value}"`);
    }
  });

  test('port 1, which fetch refuses as a "bad port", is tried: the connection is refused', async () => {
    const run = await rukou(['clock', '--url', 'http://127.0.0.1:1']);
    expect(run).toMatchObject({ status: 3, stdout: '' });
    expect(run.stderr).toContain('rukou: no emulator answers at http://127.0.0.1:1 (ECONNREFUSED); the URL came from --url');
  });

  test('something that is not an emulator is told apart, on one line, its page shortened', async () => {
    const page = `<!DOCTYPE HTML>\n<html><body>${'<p>Error code: 404</p>'.repeat(40)}</body></html>\n`;
    const server = http.createServer((_req, res) => res.end(page)).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
      const run = await rukou(['clock', '--url', url]);
      expect(run).toMatchObject({ status: 3, stdout: '' });
      expect(run.stderr).toContain(`rukou: what answers at ${url} is not a Rukou emulator (no x-rukou-emulator header; /__rukou/clock: 200 <!DOCTYPE HTML>); the URL came from --url`);
      expect(run.stderr).not.toContain('Error code');
    } finally {
      server.close();
    }
  });
});

describe('against an emulator: the answer on stdout, exit 1 when it refuses', () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ timers: false, clock: '2024-05-20T12:00:00+08:00', env: { RUKOU_OPERATORS: 'o-operator' } });
  });
  afterAll(async () => {
    await emulator.stop();
  });

  const answer = (run: Run): unknown => JSON.parse(run.stdout);

  test('invoke: an answer exits 0', async () => {
    const run = await rukou(['invoke', 'admin', '--url', emulator.url, '--openid', 'o-operator', '--data', '{"action":"today"}']);
    expect(run).toMatchObject({ status: 0, stderr: '' });
    expect(answer(run)).toMatchObject({ result: { rollup: { _id: '2024-05-20', totals: { entries: 0 } } } });
  });

  test('invoke: a refusal (NOT_OPERATOR, INVALID_INPUT) exits 1 and prints it', async () => {
    const notOperator = await rukou(['invoke', 'admin', '--openid', 'o-someone'], { RUKOU_URL: emulator.url });
    expect(notOperator).toMatchObject({ status: 1, stderr: '' });
    expect(answer(notOperator)).toEqual({ result: { error: { code: 'NOT_OPERATOR', message: expect.stringContaining('RUKOU_OPERATORS') } } });
    const invalid = await rukou(['invoke', 'admin', '--openid', 'o-operator', '--data', '{"action":"overview","from":"2024-05-20"}'], { RUKOU_PORT: String(emulator.port) });
    expect(invalid).toMatchObject({ status: 1, stderr: '' });
    expect(answer(invalid)).toMatchObject({ result: { error: { code: 'INVALID_INPUT' } } });
  });

  test("invoke: track's rejected events exit 1, a batch all accepted 0", async () => {
    const batch = (id: string): string => JSON.stringify({ v: 1, events: [{ id, seq: 1, at: 1, type: 'page', path: 'pages/index/index' }] });
    const rejected = await rukou(['invoke', 'track', '--url', emulator.url, '--openid', 'o-user', '--data', batch('short')]);
    expect(rejected.status).toBe(1);
    expect(answer(rejected)).toMatchObject({ result: { accepted: [], rejected: [{ id: 'short', code: 'INVALID_INPUT', field: 'id' }] } });
    const accepted = await rukou(['invoke', 'track', '--url', emulator.url, '--openid', 'o-user', '--data', batch('page-0001')]);
    expect(accepted.status).toBe(0);
    expect(answer(accepted)).toMatchObject({ result: { accepted: ['page-0001'], rejected: [] } });
  });

  test("invoke: createChannels with a failed row exits 1, all rows created 0 (a break-it pass)", async () => {
    const rows = (...keys: string[]): string => JSON.stringify({ action: 'createChannels', rows: keys.map((key) => ({ key, name: `Poster ${key}`, kind: 'wxacode', page: 'pages/index/index' })) });
    const some = await rukou(['invoke', 'admin', '--url', emulator.url, '--openid', 'o-operator', '--data', rows('cli-poster-1', 'no spaces')]);
    expect(some.status).toBe(1);
    expect(answer(some)).toMatchObject({ result: { created: 1, failed: 1 } });
    const all = await rukou(['invoke', 'admin', '--url', emulator.url, '--openid', 'o-operator', '--data', rows('cli-poster-2')]);
    expect(all.status).toBe(0);
    expect(answer(all)).toMatchObject({ result: { created: 1, failed: 0 } });
  });

  test('invoke and trigger: an errCode (no such function) exits 1', async () => {
    for (const args of [['invoke', 'nothing', '--openid', 'o-1'], ['trigger', 'nothing']]) {
      const run = await rukou([...args, '--url', emulator.url]);
      expect(run.status).toBe(1);
      expect(answer(run)).toMatchObject({ errCode: -501000 });
    }
  });

  test('trigger: a timer run exits 0', async () => {
    const run = await rukou(['trigger', 'rollup', '--url', emulator.url, '--time', '2024-05-20T16:17:00Z']);
    expect(run).toMatchObject({ status: 0, stderr: '' });
    expect(answer(run)).toMatchObject({ result: { day: '2024-05-20' } });
  });

  test('every answer carries x-rukou-emulator, the version in package.json', async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const route of ['/__rukou/clock', '/nowhere', '/']) expect((await fetch(`${emulator.url}${route}`)).headers.get('x-rukou-emulator')).toBe(version);
  });

  test('clock: a reading exits 0, a move backwards 1', async () => {
    const reading = await rukou(['clock', '--url', emulator.url]);
    expect(reading.status).toBe(0);
    expect(answer(reading)).toMatchObject({ now: expect.stringMatching(/^2024-05-20T/), timers: 'off' });
    const back = await rukou(['clock', '--url', emulator.url, '--set', '2024-05-01']);
    expect(back.status).toBe(1);
    expect(answer(back)).toMatchObject({ code: 'CLOCK_BACKWARDS' });
  });

  test('emulator: a project with no function starts, and warns where it looked', async () => {
    const project = tempDir();
    const empty = await startEmulator({ timers: false, project });
    await empty.stop();
    expect(empty.output()).toContain(`[rukou] warning: no cloud function under ${path.join(project, 'cloudfunctions')}: a function is a folder there with its package.json`);
    expect(emulator.output()).not.toContain('no cloud function under');
  });

  test('emulator: a port already taken is named, exit 1', async () => {
    const run = await rukou(['emulator', '--port', String(emulator.port), '--data', tempDir()]);
    expect(run).toMatchObject({ status: 1, stdout: '' });
    expect(run.stderr).toContain(`rukou emulator: port ${emulator.port} is taken`);
    expect(run.stderr).toContain('--port N or RUKOU_PORT=N');
  });

  test('start: a port already taken is named before the demo is seeded, exit 1 (a break-it pass: it seeded a minute first)', async () => {
    const data = tempDir();
    const run = await rukou(['start', '--port', String(emulator.port), '--data', data]);
    expect(run).toMatchObject({ status: 1 });
    expect(run.stderr).toContain(`rukou start: port ${emulator.port} is taken`);
    expect(run.stdout).not.toContain('seeded');
    expect(fs.readdirSync(data)).toEqual([]);
  });
});

test('a reader that stops early (| head) ends nothing with a stack: the answer is cut, the exit is the answer\'s', async () => {
  const emulator = await startEmulator({ project: FIXTURE_PROJECT, timers: false });
  try {
    // an answer past a pipe's 64 KiB, so that rukou is still writing when head has gone (one argument may hold 128 KiB)
    const data = JSON.stringify({ pad: 'x'.repeat(120_000) });
    const script = `"${process.execPath}" "${path.join(REPO_ROOT, 'bin', 'rukou.js')}" invoke whoami --openid o-1 --url ${emulator.url} --data "$DATA" | head -c 1; echo " \${PIPESTATUS[0]}"`;
    const run = await new Promise<{ stdout: string; stderr: string }>((resolve) => execFile('bash', ['-c', script], { env: { ...process.env, DATA: data } }, (_error, stdout, stderr) => resolve({ stdout, stderr })));
    expect(run).toEqual({ stdout: '{ 0\n', stderr: '' });
  } finally {
    await emulator.stop();
  }
});

describe('one emulator per data directory', () => {
  test('a second emulator or start on it refuses, naming the first, and deletes nothing (--reset); the lock goes with the first', async () => {
    const first = await startEmulator({ timers: false });
    const { dataDir } = first;
    try {
      for (const args of [['emulator'], ['start', '--empty'], ['start', '--reset']]) {
        const run = await rukou([...args, '--port', '0', '--data', dataDir, '--no-timers']);
        expect(run.status).toBe(1);
        expect(run.stderr).toContain(`rukou ${args[0]}: the data directory ${dataDir} is in use by another emulator (process ${first.child.pid}, since `);
        expect(run.stderr).toContain('give this one another --data DIR');
      }
      expect(fs.existsSync(path.join(dataDir, 'database'))).toBe(true);
    } finally {
      await first.stop();
    }
    expect(fs.existsSync(path.join(dataDir, 'emulator.lock'))).toBe(false);
    const next = await startEmulator({ timers: false, dataDir });
    await next.stop();
    expect(next.output()).not.toContain('taken over');
  });

  test('the lock of an emulator killed with -9 is taken over, and said so', async () => {
    const killed = await startEmulator({ timers: false });
    await killed.crash();
    const next = await startEmulator({ timers: false, dataDir: killed.dataDir });
    await next.stop();
    expect(next.output()).toContain(`process ${killed.child.pid}, which no longer runs, had left ${killed.dataDir} locked`);
    expect(next.output()).toContain('taken over');
  });
});

/** Whether process `pid` runs. */
function runs(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('started through npm (npm start, npx rukou), it stops when npm is killed', () => {
  test.each([['emulator'], ['start', '--empty']])('rukou %s', async (...command) => {
    const dataDir = tempDir();
    // what npm start and npx do: a process of npm's, with npm_command set, runs rukou and waits for it
    const wrapper = spawn(
      process.execPath,
      ['-e', 'require("node:child_process").spawn(process.execPath, process.argv.slice(1), { stdio: "inherit" })', path.join(REPO_ROOT, 'bin', 'rukou.js'), ...command, '--port', '0', '--data', dataDir, '--no-timers'],
      { env: { ...process.env, npm_command: 'exec' }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    wrapper.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await until(() => output.includes('listening on'));
    const { pid } = JSON.parse(fs.readFileSync(path.join(dataDir, 'emulator.lock'), 'utf8')) as { pid: number };
    wrapper.kill('SIGKILL');
    await until(() => !runs(pid));
    await until(() => output.includes(`[rukou] the process that started this one (${wrapper.pid}, npm exec) is gone: stopping`));
    // it stopped as on SIGTERM: its lock deleted
    expect(fs.existsSync(path.join(dataDir, 'emulator.lock'))).toBe(false);
  });
});
