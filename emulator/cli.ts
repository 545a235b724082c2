import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { parseDuration, parseInstant } from './clock/operations';
import { startProblem } from './clock/state';
import { lockDataDir, processRuns, takenOver } from './lock';
import { readKept, writeWhole } from './files';
import { isJsonObject } from './json-object';
import { EXIT, isCommand, overview, parseCommand, usageError, help, type CommandName } from './cli-usage';
import { loadProject } from './project';
import { provideLocalOperator, provideLocalSecrets } from './secrets';
import { EMULATOR_HEADER, VERSION } from './signature';
import type { EmulatorOptions } from './server';

const DEFAULT_PORT = 8787;

/** The emulator a client command talks to, and where that URL came from (said when nothing answers there). */
interface Target {
  url: string;
  from: string;
}

/** RUKOU_PORT, when set (an empty value is not set), checked: a port number or a usage error. */
function envPort(command: CommandName): number | undefined {
  const value = process.env.RUKOU_PORT;
  if (!value) return undefined;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) usageError(command, `RUKOU_PORT must be a port number (0 to 65535), got "${value}"`);
  return port;
}

/** --url, else RUKOU_URL, else RUKOU_PORT on 127.0.0.1, else port 8787. */
function target(command: CommandName, url: string | undefined): Target {
  const { RUKOU_URL } = process.env;
  const RUKOU_PORT = envPort(command);
  const chosen: Target =
    url !== undefined
      ? { url, from: '--url' }
      : RUKOU_URL
        ? { url: RUKOU_URL, from: 'RUKOU_URL' }
        : RUKOU_PORT !== undefined
          ? { url: `http://127.0.0.1:${RUKOU_PORT}`, from: `RUKOU_PORT=${RUKOU_PORT}` }
          : { url: `http://127.0.0.1:${DEFAULT_PORT}`, from: 'the default' };
  let parsed: URL;
  try {
    parsed = new URL(chosen.url);
  } catch {
    usageError(command, `${chosen.from} is not a URL: "${chosen.url}" (an emulator's is http://127.0.0.1:8787)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') usageError(command, `${chosen.from} is not an http URL: "${chosen.url}"`);
  return { url: chosen.url.replace(/\/+$/, ''), from: chosen.from };
}

/** Says that nothing usable answers at the target, and how to point rukou elsewhere; exits 3. */
function unreachable(emulator: Target, what: string): never {
  process.stderr.write(
    `rukou: ${what}; ${emulator.from === 'the default' ? 'the default URL, as no --url, RUKOU_URL or RUKOU_PORT is set' : `the URL came from ${emulator.from}`}.\n` +
      'Start one with `npm start` in the project\'s folder, or point rukou at yours: --url http://127.0.0.1:<port>, or RUKOU_URL=http://127.0.0.1:<port>, or RUKOU_PORT=<port>.\n',
  );
  process.exit(EXIT.unreachable);
}

/** An emulator's answer: its HTTP status and its JSON. */
interface Answer {
  status: number;
  body: unknown;
}

/** The longest wait a Node timer holds (2^31 − 1 ms, about 24.8 days): past it, it fires at once. */
const MAX_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** How long rukou waits for an answer to show that an emulator is there: RUKOU_TIMEOUT seconds, else 30. */
function presenceTimeoutMs(command: CommandName): number {
  const value = process.env.RUKOU_TIMEOUT;
  if (!value) return 30_000;
  const seconds = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || seconds <= 0 || seconds > MAX_TIMEOUT_SECONDS) {
    usageError(command, `RUKOU_TIMEOUT must be seconds in digits, above 0 and at most ${MAX_TIMEOUT_SECONDS} (such as 30 or 2.5), got "${value}"`);
  }
  return seconds * 1000;
}

interface Sent {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Gives up after this long without the whole answer; no limit when absent. */
  timeoutMs?: number;
}

/** What answered a request, as read: status, the emulator's header (undefined from anything else) and the body's text. */
interface Reply {
  status: number;
  signature: string | undefined;
  text: string;
}

/** The timeout of a request (`Sent.timeoutMs`) ran out. */
class NoAnswer extends Error {}

/**
 * One HTTP request, by node:http rather than fetch: fetch refuses ports it deems unsafe (1, 6000 …:
 * "bad port", though nothing was tried) and gives up on an answer after undici's 300 s, which a
 * long clock move can take.
 */
function send(url: string, { method = 'GET', headers = {}, body, timeoutMs }: Sent): Promise<Reply> {
  const transport = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        clearTimeout(timer);
        const signature = res.headers[EMULATOR_HEADER];
        resolve({ status: res.statusCode ?? 0, signature: typeof signature === 'string' ? signature : undefined, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            reject(new NoAnswer());
            req.destroy();
          }, timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(body);
  });
}

/**
 * What the emulator at `emulator` answers on `route` (JSON). Nothing there, no answer within
 * `timeoutMs`, or an answer without the emulator's header (package.json's version, sent with every
 * answer: signature.ts) or without JSON, is said so (exit 3).
 */
async function request(emulator: Target, route: string, sent: Sent = {}): Promise<Answer> {
  const reply = await send(`${emulator.url}${route}`, sent).catch((error: unknown) => {
    if (error instanceof NoAnswer) {
      return unreachable(emulator, `nothing answered at ${emulator.url} within ${(sent.timeoutMs ?? 0) / 1000} s (RUKOU_TIMEOUT=<seconds> waits longer): what listens there is not an emulator, or is stuck`);
    }
    const { code, message } = error as NodeJS.ErrnoException;
    return unreachable(emulator, `no emulator answers at ${emulator.url} (${code ?? message})`);
  });
  // another server's page would fill the screen: its first line, shortened, says enough
  const what = `${route}: ${reply.status} ${reply.text.trim().split('\n', 1)[0].slice(0, 80)}`;
  if (reply.signature === undefined) return unreachable(emulator, `what answers at ${emulator.url} is not a Rukou emulator (no ${EMULATOR_HEADER} header; ${what})`);
  try {
    return { status: reply.status, body: JSON.parse(reply.text) as unknown };
  } catch {
    return unreachable(emulator, `what answers at ${emulator.url} is not a Rukou emulator (${what})`);
  }
}

/**
 * Checks that an emulator answers at `emulator` (a reading of its clock) within RUKOU_TIMEOUT,
 * before a request that may take long: a function answers within its own timeout (after a cold
 * start's, at most 60 s each), a clock move once the timers on its way have run; neither has a
 * limit that rukou could wait for without cutting a legitimate answer short.
 */
async function checkPresent(command: CommandName, emulator: Target): Promise<void> {
  await request(emulator, '/__rukou/clock', { timeoutMs: presenceTimeoutMs(command) });
}

function post(emulator: Target, route: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return request(emulator, route, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** Some of what a call asked for was refused or failed: `track`'s rejected events, a channel call's failed rows (a count) or renewals (a list). */
const refusedSome = (result: Record<string, unknown>): boolean =>
  (Array.isArray(result.rejected) && result.rejected.length > 0) || (typeof result.failed === 'number' && result.failed > 0) || (Array.isArray(result.failed) && result.failed.length > 0);

/**
 * Whether an answer refuses: a status of 400 or more (the emulator's own `{code}`), the gateway's
 * `errCode`, a function's `{error: {code, message}}` result, or a part of the call refused (`refusedSome`).
 */
function refuses({ status, body }: Answer): boolean {
  if (status >= 400 || !isJsonObject(body)) return true;
  if ('errCode' in body) return true;
  const { result } = body;
  return isJsonObject(result) && (isJsonObject(result.error) || refusedSome(result));
}

/** Prints the answer as JSON; a refusal sets exit status 1. */
function print(answer: Answer): void {
  process.stdout.write(`${JSON.stringify(answer.body, null, 2)}\n`);
  if (refuses(answer)) process.exitCode = EXIT.refused;
}

const EMULATOR_OPTIONS = {
  port: { type: 'string' },
  data: { type: 'string' },
  project: { type: 'string' },
  verbose: { type: 'boolean', default: false },
  'no-timers': { type: 'boolean', default: false },
  clock: { type: 'string' },
} as const;

type EmulatorValues = { port?: string; data?: string; project?: string; verbose?: boolean; 'no-timers'?: boolean; clock?: string };

/** The file where a folder `dir`, or one of its parents, should be (`mkdir` said only EEXIST or ENOTDIR); none usually. */
function fileInTheWay(dir: string): string | undefined {
  for (let at = dir; path.dirname(at) !== at; at = path.dirname(at)) {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(at, { throwIfNoEntry: false });
    } catch {
      // ENOTDIR: a parent is a file, found further up
      continue;
    }
    if (stat) return stat.isDirectory() ? undefined : at;
  }
  return undefined;
}

function emulatorOptions(command: CommandName, values: EmulatorValues): EmulatorOptions {
  const port = values.port === undefined ? (envPort(command) ?? DEFAULT_PORT) : Number(values.port);
  if (!/^\d+$/.test(values.port ?? '0') || port > 65535) usageError(command, `--port must be a port number (0 to 65535), got "${values.port}"`);
  // an empty value (a variable that is not set) would be the current folder: the data written into the project
  for (const option of ['data', 'project'] as const) {
    if (values[option] === '') usageError(command, `--${option} must not be empty: name a folder`);
  }
  const projectRoot = path.resolve(values.project ?? process.cwd());
  if (!fs.statSync(projectRoot, { throwIfNoEntry: false })?.isDirectory()) usageError(command, `--project is not a folder: ${projectRoot}`);
  const dataDir = path.resolve(values.data ?? path.join(projectRoot, '.rukou'));
  const file = fileInTheWay(dataDir);
  // what the disk holds, not a wrong option: refused (exit 1) as a port taken is, before anything is written
  if (file !== undefined) throw new Error(`--data ${dataDir} is not a folder: ${file === dataDir ? 'it' : file} is a file (give --data a folder, or where to make one)`);
  const clock = values.clock === undefined ? undefined : parseInstant(values.clock);
  if (clock !== undefined && Number.isNaN(clock)) usageError(command, `--clock is not an ISO 8601 day or time with its offset: ${values.clock}`);
  const problem = clock === undefined ? undefined : startProblem(clock);
  if (problem) usageError(command, problem);
  return { port, dataDir, projectRoot, verbose: values.verbose ?? false, timers: !values['no-timers'], clock };
}

/** Starts the emulator in this process until SIGINT or SIGTERM; answers its URL. */
async function serve(options: EmulatorOptions): Promise<string> {
  // loaded here, not at the top: invoke, trigger, clock and --help then start in a tenth of the time
  const [{ startEmulator }, { SERVICES }] = await Promise.all([import('./server'), import('./services')]);
  const running = await startEmulator(options, SERVICES);
  process.stdout.write(`[rukou] emulator listening on ${running.url} (data in ${options.dataDir})\n`);
  const stop = (): void => {
    void running.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return running.url;
}

/**
 * Started through npm (`npm start`, `npx rukou`: npm sets npm_command), this process stops as
 * SIGTERM would stop it once the process that started it is gone. A plain `kill` of npm's process
 * ends npm and its shell but not this one, which ran on with parent 1, holding its port and its
 * data directory. Linux gives no signal for a parent's death that Node can ask for, so process.ppid
 * is read every second. Started directly (`node bin/rukou.js`), it is left alone: a script may
 * start it in the background and go.
 */
function stopWithWrapper(): void {
  if (process.env.npm_command === undefined) return;
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    process.stdout.write(`[rukou] the process that started this one (${parent}, npm ${process.env.npm_command}) is gone: stopping\n`);
    process.kill(process.pid, 'SIGTERM');
  }, 1000);
  watch.unref();
}

async function emulator(args: string[]): Promise<void> {
  const { values } = parseCommand('emulator', args, EMULATOR_OPTIONS);
  stopWithWrapper();
  await serve(emulatorOptions('emulator', values));
}

/** What a data directory holds of Rukou's (`--reset` deletes these; secrets.json, the share secret and the operator's token, stay). */
const DATA_ENTRIES = ['database', 'storage', 'storage-key', 'storage-scratch', 'wechat', 'clock.json', 'demo.json'];

/**
 * `<data>/demo.json`: `seeding` while the demo is being played in, by the `rukou start` whose
 * process is `pid`; `seeded` once it is all there.
 */
interface DemoState {
  state: 'seeding' | 'seeded';
  at: string;
  pid?: number;
}

function readDemo(dataDir: string): DemoState | undefined {
  const file = path.join(dataDir, 'demo.json');
  return readKept<DemoState>(file, `delete it, or start with --reset to seed the demo again`);
}

function writeDemo(dataDir: string, state: DemoState['state']): void {
  const demo: DemoState = { state, at: new Date().toISOString(), ...(state === 'seeding' ? { pid: process.pid } : {}) };
  writeWhole(path.join(dataDir, 'demo.json'), `${JSON.stringify(demo, null, 2)}\n`);
}

/** Resolves when `port` on 127.0.0.1 (where the emulator listens) can be listened on now; rejects with the listen's own EADDRINUSE when not. */
function portFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

/** The seeding was stopped by SIGINT or SIGTERM sent to `rukou start`: it exits as that signal would have ended it. */
class SeedingStopped extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`stopped by ${signal} while seeding the demo`);
  }
}

/**
 * Plays the demo into the data directory (dist/demo/seed.js, its own process with its own emulator),
 * showing its progress bar. SIGINT or SIGTERM meanwhile (Ctrl-C) is passed on to the seeder, which
 * stops its emulator before it exits, and this answers once it has: nothing is left running on the
 * data directory. The seeder also stops by itself if this process dies without a word (its IPC
 * channel closes).
 */
function seedDemo(options: EmulatorOptions, operator: string, seed: string | undefined): Promise<void> {
  const now = new Date(options.clock ?? Date.now()).toISOString();
  const args = [path.join(__dirname, 'demo', 'seed.js'), '--data', options.dataDir, '--project', options.projectRoot, '--operator', operator, '--now', now, ...(seed ? ['--seed', seed] : [])];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
    let stoppedBy: NodeJS.Signals | undefined;
    const stop = (signal: NodeJS.Signals): void => {
      stoppedBy = signal;
      child.kill(signal);
    };
    const onInterrupt = (): void => stop('SIGINT');
    const onTerminate = (): void => stop('SIGTERM');
    process.on('SIGINT', onInterrupt);
    process.on('SIGTERM', onTerminate);
    child.once('error', reject);
    child.once('exit', (code) => {
      process.off('SIGINT', onInterrupt);
      process.off('SIGTERM', onTerminate);
      if (stoppedBy) reject(new SeedingStopped(stoppedBy));
      else if (code === 0) resolve();
      else reject(new Error(`the demo's seeding stopped (exit ${code}): the next \`npm start\` deletes what it left and seeds again (\`npm start -- --empty\` starts without it)`));
    });
  });
}

/**
 * `npm start`: the emulator with every function and the dashboard; on a first run (no data yet)
 * the demo is seeded first, unless `--empty`; `--reset` deletes the data and starts over. Prints
 * the dashboard's URL and the operator's token and openid, and opens nothing.
 *
 * A seeding cut short (stopped, or its machine down) leaves `demo.json` saying `seeding`: the next
 * start deletes what it left, whose clock stands on a day of the demo's past, and seeds again (with
 * `--empty`, starts empty). While that seeding's `rukou start` still runs, a start on its data
 * directory refuses.
 */
async function start(args: string[]): Promise<void> {
  const { values } = parseCommand('start', args, { ...EMULATOR_OPTIONS, reset: { type: 'boolean', default: false }, empty: { type: 'boolean', default: false }, seed: { type: 'string' } });
  // the demo's random numbers take a 32-bit seed (demo/plan.ts): a larger one would draw a smaller one's demo
  if (values.seed !== undefined && !(/^\d+$/.test(values.seed) && Number(values.seed) <= 0xffffffff)) usageError('start', `--seed must be a whole number from 0 to 4294967295, got "${values.seed}"`);
  const options = emulatorOptions('start', values);
  stopWithWrapper();
  const demo = readDemo(options.dataDir);
  if (demo?.state === 'seeding' && demo.pid !== undefined && demo.pid !== process.pid && processRuns(demo.pid)) {
    process.stderr.write(`rukou: the demo is being seeded into ${options.dataDir} by \`rukou start\` (process ${demo.pid}): wait for it, or stop it (Ctrl-C) and start again\n`);
    process.exit(EXIT.refused);
  }
  // a project the emulator refuses (a config.json, a timeout), and a port taken, are said before anything is written or a minute of seeding, not after it
  loadProject(options.projectRoot);
  await portFree(options.port);
  // held while this deletes or writes anything there; the seeder's emulator, then this one's, take it in turn
  const lock = lockDataDir(options.dataDir);
  if (lock.tookOverFrom !== undefined) process.stdout.write(`[rukou] ${takenOver(options.dataDir, lock.tookOverFrom)}\n`);
  const cutShort = demo?.state === 'seeding';
  const held = DATA_ENTRIES.filter((entry) => fs.existsSync(path.join(options.dataDir, entry)));
  if (values.reset || cutShort) for (const entry of held) fs.rmSync(path.join(options.dataDir, entry), { recursive: true, force: true });
  if (values.reset && held.length > 0) process.stdout.write(`[rukou] --reset: the data in ${options.dataDir} is deleted (secrets.json stays: the share secret and the operator's token)\n`);
  if (cutShort && !values.reset) {
    process.stdout.write(`[rukou] the demo's seeding of ${demo.at} was cut short: its data is deleted, ${values.empty ? 'and the emulator starts empty (--empty)' : 'and the demo is seeded again'}\n`);
  }
  provideLocalSecrets(options.dataDir);
  const operator = provideLocalOperator(options.dataDir);
  const fresh = !fs.existsSync(path.join(options.dataDir, 'database'));
  lock.release();
  if (fresh && !values.empty) {
    writeDemo(options.dataDir, 'seeding');
    try {
      await seedDemo(options, operator.openid, values.seed);
    } catch (error) {
      if (!(error instanceof SeedingStopped)) throw error;
      process.stdout.write(`\n[rukou] stopped while seeding the demo (${error.signal}): the seeding and its emulator are stopped; the next \`npm start\` seeds it again (\`npm start -- --empty\` starts without it)\n`);
      process.exit(error.signal === 'SIGINT' ? 130 : 143);
    }
    writeDemo(options.dataDir, 'seeded');
    // the seeding left the clock where the demo ends: the data's clock resumes from there
    options.clock = undefined;
  }
  const url = await serve(options);
  process.stdout.write(
    [
      '',
      `  dashboard       ${url}/`,
      `  operator token  ${operator.token}   (sign in to the dashboard with it: kept in ${path.join(options.dataDir, 'secrets.json')})`,
      // with --url: run in another shell, where RUKOU_PORT may not be set, it still reaches this emulator
      `  operator openid ${operator.openid}   (npx rukou invoke admin --url ${url} --openid ${operator.openid} --data '{"action":"today"}')`,
      '',
      '',
    ].join('\n'),
  );
}

async function invoke(args: string[]): Promise<void> {
  const { values, positionals } = parseCommand(
    'invoke',
    args,
    { openid: { type: 'string' }, data: { type: 'string' }, url: { type: 'string' }, appid: { type: 'string' }, unionid: { type: 'string' } },
    1,
  );
  const [name] = positionals;
  if (!name) usageError('invoke', 'which function? (track, admin, rollup, messages, callback …)');
  if (values.openid === undefined) usageError('invoke', 'give --openid, the user to invoke as');
  if (values.openid === '') usageError('invoke', '--openid must not be empty: give the user to invoke as');
  let data: unknown = {};
  if (values.data !== undefined) {
    try {
      data = JSON.parse(values.data);
    } catch {
      usageError('invoke', `--data is not JSON: ${values.data}`);
    }
  }
  const emulator = target('invoke', values.url);
  await checkPresent('invoke', emulator);
  const headers: Record<string, string> = { 'x-wx-openid': values.openid };
  if (values.appid) headers['x-wx-appid'] = values.appid;
  if (values.unionid) headers['x-wx-unionid'] = values.unionid;
  print(await post(emulator, `/functions/${encodeURIComponent(name)}`, { data }, headers));
}

async function trigger(args: string[]): Promise<void> {
  const { values, positionals } = parseCommand('trigger', args, { time: { type: 'string' }, url: { type: 'string' } }, 1);
  const [name] = positionals;
  if (!name) usageError('trigger', 'which function? (rollup, admin, messages)');
  if (values.time !== undefined && Number.isNaN(parseInstant(values.time))) usageError('trigger', `--time is not an ISO 8601 day or time with its offset: ${values.time}`);
  const emulator = target('trigger', values.url);
  await checkPresent('trigger', emulator);
  // without --time the emulator fires at its own clock's time, which is not this machine's after a --clock
  print(await post(emulator, `/triggers/${encodeURIComponent(name)}`, values.time === undefined ? {} : { time: values.time }));
}

/** Reads the emulator's clock, or moves it and prints the timers that fired on the way (see README, "The clock"). */
async function clock(args: string[]): Promise<void> {
  const { values } = parseCommand('clock', args, { set: { type: 'string' }, advance: { type: 'string' }, url: { type: 'string' } });
  if (values.set !== undefined && values.advance !== undefined) usageError('clock', 'give --set or --advance, not both');
  // read here as the emulator reads them, so that a typo is a usage error, not the emulator's refusal (or exit 3 with none running)
  if (values.set !== undefined && Number.isNaN(parseInstant(values.set))) usageError('clock', `--set is not an ISO 8601 day or time with its offset: ${values.set}`);
  if (values.advance !== undefined) {
    try {
      parseDuration(values.advance);
    } catch {
      usageError('clock', `--advance is not a duration: ${values.advance} (1d, 90m, 1d12h, 500ms: units w d h m s ms, each once, the largest first; or a number of ms)`);
    }
  }
  const emulator = target('clock', values.url);
  const move = values.set !== undefined ? { set: values.set } : values.advance !== undefined ? { advance: values.advance } : undefined;
  if (!move) return print(await request(emulator, '/__rukou/clock', { timeoutMs: presenceTimeoutMs('clock') }));
  await checkPresent('clock', emulator);
  print(await post(emulator, '/__rukou/clock', move));
}

const COMMANDS: Record<CommandName, (args: string[]) => Promise<void>> = { start, emulator, invoke, trigger, clock };

// a reader that stops early (`rukou invoke … | head`) closes the pipe: the rest is not wanted, and the command ends as it would have
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

const [command, ...rest] = process.argv.slice(2);
if (command === undefined) usageError(undefined, 'which command?');
if (command === '--help' || command === '-h' || command === 'help') {
  const [about] = rest;
  if (about !== undefined && !isCommand(about)) usageError(undefined, `unknown command "${about}"`);
  process.stdout.write(about === undefined ? overview() : help(about));
  process.exit(EXIT.ok);
}
if (command === '--version' || command === '-v') {
  if (rest.length > 0) usageError(undefined, `--version takes nothing after it, got "${rest[0]}"`);
  process.stdout.write(`${VERSION}\n`);
  process.exit(EXIT.ok);
}
if (!isCommand(command)) usageError(undefined, `unknown command "${command}"`);
COMMANDS[command](rest).catch((error: unknown) => {
  const { code, port } = error as { code?: string; port?: number };
  const message =
    code === 'EADDRINUSE'
      ? `port ${port} is taken, by another emulator (\`npm start\` in another shell?) or another program: give another with --port N or RUKOU_PORT=N, or stop that one`
      : error instanceof Error
        ? error.message
        : String(error);
  process.stderr.write(`rukou ${command}: ${message}\n`);
  process.exit(EXIT.refused);
});
