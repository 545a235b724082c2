import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseInstant } from './clock/operations';
import { provideLocalOperator, provideLocalSecrets } from './secrets';
import { startEmulator, type EmulatorOptions } from './server';
import { SERVICES } from './services';

const USAGE = `usage:
  rukou start [--reset] [--empty] [--seed N] [emulator options]   (npm start: the emulator, the dashboard and, on a first run, the demo)
  rukou emulator [--port N] [--data DIR] [--project DIR] [--verbose] [--no-timers] [--clock ISO]
  rukou invoke <function> --openid ID [--data JSON] [--url URL]
  rukou trigger <function> [--time ISO] [--url URL]
  rukou clock [--set ISO | --advance 1d] [--url URL]`;

const DEFAULT_PORT = 8787;
const defaultUrl = (): string => process.env.RUKOU_URL ?? `http://127.0.0.1:${process.env.RUKOU_PORT ?? DEFAULT_PORT}`;

function fail(message: string): never {
  process.stderr.write(`rukou: ${message}\n${USAGE}\n`);
  process.exit(2);
}

/** What the emulator answers at `url` (JSON); none running there is said so, with how to start one. */
async function request(url: string, init: RequestInit = {}): Promise<unknown> {
  const response = await fetch(url, init).catch(() => fail(`no emulator answers at ${new URL(url).origin}: start one with \`npm start\` (or give --url)`));
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    fail(`${url} answered ${response.status}: ${text}`);
  }
}

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<unknown> {
  return request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
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

function emulatorOptions(values: EmulatorValues): EmulatorOptions {
  const port = Number(values.port ?? process.env.RUKOU_PORT ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a port number, got "${values.port}"`);
  const projectRoot = path.resolve(values.project ?? process.cwd());
  const dataDir = path.resolve(values.data ?? path.join(projectRoot, '.rukou'));
  const clock = values.clock === undefined ? undefined : parseInstant(values.clock);
  if (clock !== undefined && Number.isNaN(clock)) fail(`--clock is not an ISO 8601 day or time with its offset: ${values.clock}`);
  return { port, dataDir, projectRoot, verbose: values.verbose ?? false, timers: !values['no-timers'], clock };
}

/** Starts the emulator in this process until SIGINT or SIGTERM; answers its URL. */
async function serve(options: EmulatorOptions): Promise<string> {
  provideLocalSecrets(options.dataDir);
  const running = await startEmulator(options, SERVICES);
  process.stdout.write(`[rukou] emulator listening on ${running.url} (data in ${options.dataDir})\n`);
  const stop = (): void => {
    void running.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return running.url;
}

async function emulator(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: EMULATOR_OPTIONS });
  await serve(emulatorOptions(values));
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
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as DemoState) : undefined;
}

function writeDemo(dataDir: string, state: DemoState['state']): void {
  fs.mkdirSync(dataDir, { recursive: true });
  const demo: DemoState = { state, at: new Date().toISOString(), ...(state === 'seeding' ? { pid: process.pid } : {}) };
  fs.writeFileSync(path.join(dataDir, 'demo.json'), `${JSON.stringify(demo, null, 2)}\n`);
}

/** A process with this id runs (one of another user's, which signals cannot reach, runs too). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
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
  const { values } = parseArgs({ args, options: { ...EMULATOR_OPTIONS, reset: { type: 'boolean', default: false }, empty: { type: 'boolean', default: false }, seed: { type: 'string' } } });
  const options = emulatorOptions(values);
  const demo = readDemo(options.dataDir);
  if (demo?.state === 'seeding' && demo.pid !== undefined && demo.pid !== process.pid && running(demo.pid)) {
    fail(`the demo is being seeded into ${options.dataDir} by \`rukou start\` (process ${demo.pid}): wait for it, or stop it (Ctrl-C) and start again`);
  }
  const cutShort = demo?.state === 'seeding';
  if (values.reset || cutShort) for (const entry of DATA_ENTRIES) fs.rmSync(path.join(options.dataDir, entry), { recursive: true, force: true });
  if (cutShort && !values.reset) {
    process.stdout.write(`[rukou] the demo's seeding of ${demo.at} was cut short: its data is deleted, ${values.empty ? 'and the emulator starts empty (--empty)' : 'and the demo is seeded again'}\n`);
  }
  provideLocalSecrets(options.dataDir);
  const operator = provideLocalOperator(options.dataDir);
  const fresh = !fs.existsSync(path.join(options.dataDir, 'database'));
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
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { openid: { type: 'string' }, data: { type: 'string' }, url: { type: 'string' }, appid: { type: 'string' }, unionid: { type: 'string' } },
  });
  const [name] = positionals;
  if (!name) fail('invoke needs the name of a function');
  if (!values.openid) fail('invoke needs --openid (the user to invoke as)');
  let data: unknown = {};
  if (values.data !== undefined) {
    try {
      data = JSON.parse(values.data);
    } catch {
      fail(`--data is not JSON: ${values.data}`);
    }
  }
  const headers: Record<string, string> = { 'x-wx-openid': values.openid };
  if (values.appid) headers['x-wx-appid'] = values.appid;
  if (values.unionid) headers['x-wx-unionid'] = values.unionid;
  const answer = await post(`${values.url ?? defaultUrl()}/functions/${encodeURIComponent(name)}`, { data }, headers);
  process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
  if (answer && typeof answer === 'object' && 'errCode' in answer) process.exitCode = 1;
}

async function trigger(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { time: { type: 'string' }, url: { type: 'string' } } });
  const [name] = positionals;
  if (!name) fail('trigger needs the name of a function');
  if (values.time !== undefined && Number.isNaN(parseInstant(values.time))) fail(`--time is not an ISO 8601 day or time with its offset: ${values.time}`);
  // without --time the emulator fires at its own clock's time, which is not this machine's after a --clock
  const answer = await post(`${values.url ?? defaultUrl()}/triggers/${encodeURIComponent(name)}`, values.time === undefined ? {} : { time: values.time });
  process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
  if (answer && typeof answer === 'object' && 'errCode' in answer) process.exitCode = 1;
}

/** Reads the emulator's clock, or moves it and prints the timers that fired on the way (see README, "The clock"). */
async function clock(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { set: { type: 'string' }, advance: { type: 'string' }, url: { type: 'string' } } });
  if (values.set !== undefined && values.advance !== undefined) fail('clock takes --set or --advance, not both');
  const url = `${values.url ?? defaultUrl()}/__rukou/clock`;
  const move = values.set !== undefined ? { set: values.set } : values.advance !== undefined ? { advance: values.advance } : undefined;
  const answer = move ? await post(url, move) : await request(url);
  process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
  if (answer && typeof answer === 'object' && 'code' in answer) process.exitCode = 1;
}

const commands: Record<string, (args: string[]) => Promise<void>> = { start, emulator, invoke, trigger, clock };

const [command, ...rest] = process.argv.slice(2);
const run = command ? commands[command] : undefined;
if (!run) fail(command ? `unknown command "${command}"` : 'no command given');
run(rest).catch((error: unknown) => {
  process.stderr.write(`rukou: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
