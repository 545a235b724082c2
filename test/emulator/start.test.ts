/**
 * `rukou start` (what `npm start` runs), as a new user meets it: what it prints works as printed,
 * from another shell that knows nothing of its port; stopped while it seeds the demo, it leaves
 * nothing running, and the next start neither keeps the half-seeded data nor its clock in the past.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { invokeAs, REPO_ROOT } from '../helpers/emulator';
import { until } from '../helpers/until';

const run = promisify(execFile);
const DAY_MS = 86_400_000;

/** The environment of a shell that names no port or URL of Rukou's. */
function shellEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.RUKOU_PORT;
  delete env.RUKOU_URL;
  return env;
}

interface Started {
  child: ChildProcess;
  output(): string;
  /** Its exit code, or the signal that ended it. */
  exited: Promise<number | NodeJS.Signals | null>;
  /** Waits until it has printed a match of `pattern`, and answers the match; fails if it exits first. */
  printed(pattern: RegExp): Promise<RegExpExecArray>;
}

/** `rukou start` on `dataDir`, on any port, timers off, with `extra` options. */
function rukouStart(dataDir: string, ...extra: string[]): Started {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'rukou.js'), 'start', '--port', '0', '--data', dataDir, '--no-timers', ...extra], { env: shellEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  return {
    child,
    output: () => output,
    exited,
    printed: (pattern) =>
      Promise.race([
        until(() => pattern.test(output)).then(() => pattern.exec(output) as RegExpExecArray),
        exited.then((code) => {
          const match = pattern.exec(output);
          if (!match) throw new Error(`rukou start exited (${code}) before printing ${pattern}:\n${output}`);
          return match;
        }),
      ]),
  };
}

/**
 * The processes whose command line names `dataDir` (a unique temporary folder): `rukou start`, the
 * demo's seeder and the seeder's emulator all take it as `--data`. Read from Linux's /proc.
 */
function processesOn(dataDir: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(dataDir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** The first progress line of the demo's seeding: the seeder and its emulator are running. */
const SEEDING = /\[rukou\] seeding the demo \[/;

let dataDir: string;

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rukou-start-'));
});

afterEach(() => {
  // a test that failed may have left what it started running: its processes name its folder
  for (const pid of processesOn(dataDir)) process.kill(pid, 'SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('the operator command it prints reaches this emulator on any port, with no RUKOU_PORT in the shell', async () => {
  const started = rukouStart(dataDir, '--empty');
  try {
    const [, printed] = await started.printed(/\(npx rukou invoke (admin [^)]*)\)/);
    const args = printed.match(/'[^']*'|\S+/g)!.map((arg) => arg.replace(/^'|'$/g, ''));
    expect(args).toContain('--url');
    const { stdout } = await run(process.execPath, [path.join(REPO_ROOT, 'bin', 'rukou.js'), 'invoke', ...args], { env: shellEnv() });
    expect(JSON.parse(stdout)).toMatchObject({ result: { asOf: expect.any(String), rollup: { totals: { entries: 0 } } } });
  } finally {
    started.child.kill();
  }
});

test('stopped while it seeds the demo, it stops the seeding and its emulator; another start meanwhile refuses; the next one deletes what was left and seeds again', async () => {
  const first = rukouStart(dataDir);
  await first.printed(SEEDING);
  // rukou start, the seeder and the seeder's emulator
  expect(processesOn(dataDir)).toHaveLength(3);

  const meanwhile = rukouStart(dataDir);
  expect(await meanwhile.exited).toBe(1);
  expect(meanwhile.output()).toContain(`by \`rukou start\` (process ${first.child.pid})`);

  first.child.kill('SIGTERM');
  expect(await first.exited).toBe(143);
  await until(() => processesOn(dataDir).length === 0);
  expect(first.output()).toContain('the next `npm start` seeds it again');
  expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'demo.json'), 'utf8'))).toMatchObject({ state: 'seeding' });

  const next = rukouStart(dataDir);
  await next.printed(/the demo's seeding of \S+ was cut short: its data is deleted, and the demo is seeded again/);
  await next.printed(SEEDING);
  next.child.kill('SIGINT');
  expect(await next.exited).toBe(130);
  await until(() => processesOn(dataDir).length === 0);
}, 180_000);

test("after a seeding cut short, a start with --empty starts empty on the machine's clock, not on the demo's past day", async () => {
  const first = rukouStart(dataDir);
  await first.printed(SEEDING);
  first.child.kill('SIGINT');
  expect(await first.exited).toBe(130);
  await until(() => processesOn(dataDir).length === 0);
  // the seeding had set the data's clock back to the demo's first days
  const { offsetMs } = JSON.parse(fs.readFileSync(path.join(dataDir, 'clock.json'), 'utf8')) as { offsetMs: number };
  expect(offsetMs).toBeLessThan(-30 * DAY_MS);

  const empty = rukouStart(dataDir, '--empty');
  try {
    await empty.printed(/was cut short: its data is deleted, and the emulator starts empty/);
    const [, url, operator] = await empty.printed(/--url (http:\/\/\S+) --openid (\S+)/);
    const { result } = (await invokeAs(url, 'admin', { action: 'today' }, { openid: operator })) as { result: { asOf: string; rollup: { totals: { entries: number } } } };
    expect(Math.abs(Date.parse(result.asOf) - Date.now())).toBeLessThan(5 * 60_000);
    expect(result.rollup.totals.entries).toBe(0);
  } finally {
    empty.child.kill();
  }
  expect(await empty.exited).toBe(0);
}, 180_000);

test('--reset says it deleted the data, and starts over: the entries made before are gone', async () => {
  const first = rukouStart(dataDir, '--empty');
  const [, url, operator] = await first.printed(/--url (http:\/\/\S+) --openid (\S+)/);
  const at = Date.now();
  await invokeAs(url, 'track', { v: 1, sentAt: at, events: [{ id: 'before-reset', seq: 1, at, type: 'enter', cold: true, options: { scene: 1001, path: 'pages/index/index', query: {} } }] }, { openid: 'o-before-reset' });
  const before = (await invokeAs(url, 'admin', { action: 'today' }, { openid: operator })) as { result: { rollup: { totals: { entries: number } } } };
  expect(before.result.rollup.totals.entries).toBe(1);
  first.child.kill();
  expect(await first.exited).toBe(0);
  expect(first.output()).not.toContain('--reset');

  const reset = rukouStart(dataDir, '--reset', '--empty');
  try {
    const [, deleted] = await reset.printed(/--reset: the data in (\S+) is deleted \(secrets\.json stays/);
    expect(deleted).toBe(dataDir);
    const [, again, sameOperator] = await reset.printed(/--url (http:\/\/\S+) --openid (\S+)/);
    expect(sameOperator).toBe(operator);
    const { result } = (await invokeAs(again, 'admin', { action: 'today' }, { openid: operator })) as { result: { rollup: { totals: { entries: number } } } };
    expect(result.rollup.totals.entries).toBe(0);
  } finally {
    reset.child.kill();
  }
  expect(await reset.exited).toBe(0);
}, 180_000);
