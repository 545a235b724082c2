import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseInstant } from './clock/operations';
import { provideLocalSecrets } from './secrets';
import { startEmulator } from './server';
import { SERVICES } from './services';

const USAGE = `usage:
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

async function emulator(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      data: { type: 'string' },
      project: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      'no-timers': { type: 'boolean', default: false },
      clock: { type: 'string' },
    },
  });
  const port = Number(values.port ?? process.env.RUKOU_PORT ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a port number, got "${values.port}"`);
  const projectRoot = path.resolve(values.project ?? process.cwd());
  const dataDir = path.resolve(values.data ?? path.join(projectRoot, '.rukou'));
  const clock = values.clock === undefined ? undefined : parseInstant(values.clock);
  if (clock !== undefined && Number.isNaN(clock)) fail(`--clock is not an ISO 8601 day or time with its offset: ${values.clock}`);
  provideLocalSecrets(dataDir);
  const running = await startEmulator(
    { port, dataDir, projectRoot, verbose: values.verbose, timers: !values['no-timers'], clock },
    SERVICES,
  );
  process.stdout.write(`[rukou] emulator listening on ${running.url} (data in ${dataDir})\n`);
  const stop = (): void => {
    void running.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
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

const commands: Record<string, (args: string[]) => Promise<void>> = { emulator, invoke, trigger, clock };

const [command, ...rest] = process.argv.slice(2);
const run = command ? commands[command] : undefined;
if (!run) fail(command ? `unknown command "${command}"` : 'no command given');
run(rest).catch((error: unknown) => {
  process.stderr.write(`rukou: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
