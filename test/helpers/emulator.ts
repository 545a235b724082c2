import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { until } from './until';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const FIXTURE_PROJECT = path.join(REPO_ROOT, 'test', 'fixtures', 'project');

export interface RunningEmulator {
  url: string;
  port: number;
  dataDir: string;
  child: ChildProcess;
  /** Everything the emulator printed so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
  /** kill -9: no chance to flush or close anything. */
  crash(): Promise<void>;
}

export interface StartOptions {
  project?: string;
  dataDir?: string;
  verbose?: boolean;
  timers?: boolean;
  /** `--clock`: the instant (ISO) the emulator's clock starts at, instead of the machine's time. */
  clock?: string;
  env?: NodeJS.ProcessEnv;
  /** Options of Node's own for the emulator's process, V8's among them, which NODE_OPTIONS does not take. */
  nodeArgs?: string[];
}

/**
 * For suites that need "today": noon in Beijing, twelve hours from either midnight, so that the
 * day cannot change while a suite runs (`startEmulator({ clock: MIDDAY })`).
 */
export const MIDDAY = '2024-05-20T12:00:00+08:00';

export function tempDir(prefix = 'rukou-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * A project on disk of the given functions (folder name → its index.js, and its config.json when
 * given), with its cloudbaserc.json when given: what a suite starts the emulator on to see how it
 * reads a project. Answers its root.
 */
export function projectOf(functions: Record<string, { code: string; config?: unknown }>, cloudbaserc?: Record<string, unknown>): string {
  const root = tempDir('rukou-project-');
  for (const [name, { code, config }] of Object.entries(functions)) {
    const dir = path.join(root, 'cloudfunctions', name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), `{"name": "${name}", "main": "index.js"}\n`);
    fs.writeFileSync(path.join(dir, 'index.js'), code);
    if (config !== undefined) fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  }
  if (cloudbaserc) fs.writeFileSync(path.join(root, 'cloudbaserc.json'), JSON.stringify(cloudbaserc));
  return root;
}

/**
 * The machine's environment but its RUKOU_* variables: an emulator a suite or a bench starts fills
 * cloudbaserc.json's `{{env.X}}` from what the suite gives it, not from the shell it was run from
 * (RUKOU_BACKFILL_SECONDS=0 left there failed the rollup bench).
 */
export function withoutRukou(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('RUKOU_')));
}

/** Starts the built emulator (`rukou emulator --port 0`) as its own process, like a user would. */
export function startEmulator(options: StartOptions = {}): Promise<RunningEmulator> {
  const dataDir = options.dataDir ?? tempDir();
  const args = [path.join(REPO_ROOT, 'bin', 'rukou.js'), 'emulator', '--port', '0', '--data', dataDir, '--project', options.project ?? REPO_ROOT];
  if (options.verbose) args.push('--verbose');
  if (options.timers === false) args.push('--no-timers');
  if (options.clock !== undefined) args.push('--clock', options.clock);
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...args], { env: { ...withoutRukou(process.env), ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(output);
      if (match && !url) {
        url = match[1];
        resolve({
          url,
          port: Number(match[2]),
          dataDir,
          child,
          output: () => output,
          async stop() {
            if (child.exitCode === null) child.kill('SIGTERM');
            await exited;
          },
          async crash() {
            if (child.exitCode === null) child.kill('SIGKILL');
            await exited;
          },
        });
      }
    };
    let url = '';
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      if (!url) reject(new Error(`the emulator exited with ${code} before listening:\n${output}`));
    });
  });
}

/**
 * Points the real wx-server-sdk in this process at an emulator, with the environment the cloud
 * runtime would give (see README "The emulator"). The SDK reads these per call.
 */
export function useEmulatorFromThisProcess(url: string, identity: { OPENID?: string; APPID?: string } = {}): void {
  Object.assign(process.env, {
    TCB_CONTEXT_CNFG: JSON.stringify({ URL: `${url}/admin` }),
    TENCENTCLOUD_SECRETID: 'local',
    TENCENTCLOUD_SECRETKEY: 'local',
    SCF_NAMESPACE: 'rukou-local',
    TENCENTCLOUD: 'true',
    SILENCE: 'true',
    WX_CONTEXT_KEYS: 'WX_OPENID,WX_APPID',
    WX_OPENID: identity.OPENID ?? 'test-openid',
    WX_APPID: identity.APPID ?? 'wx0000000000000000',
  });
}

/** The client gateway: invoke a function as a given Mini Program user; with `at` (epoch ms), at that instant (`x-rukou-at`). */
export async function invokeAs(
  url: string,
  name: string,
  data: unknown,
  user: { openid: string; appid?: string; unionid?: string; source?: string },
  call: { at?: number } = {},
): Promise<{ result?: unknown; errCode?: number; errMsg?: string }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-wx-openid': user.openid };
  if (user.appid) headers['x-wx-appid'] = user.appid;
  if (user.unionid) headers['x-wx-unionid'] = user.unionid;
  if (user.source) headers['x-wx-source'] = user.source;
  if (call.at !== undefined) headers['x-rukou-at'] = new Date(call.at).toISOString();
  const response = await fetch(`${url}/functions/${encodeURIComponent(name)}`, { method: 'POST', headers, body: JSON.stringify({ data }) });
  return (await response.json()) as { result?: unknown; errCode?: number; errMsg?: string };
}

/** What `GET`/`POST /__rukou/clock` answer. */
export interface ClockAnswer {
  now: string;
  offsetMs: number;
  timers?: 'on' | 'off';
  next?: { function: string; trigger: string; time: string }[];
  fired?: ({ function: string; trigger: string; time: string } & { result?: unknown; errCode?: number; errMsg?: string })[];
  code?: string;
  message?: string;
}

/** The emulator's clock, epoch ms: what its functions and its database see as now. */
export async function emulatorNow(url: string): Promise<number> {
  const answer = (await (await fetch(`${url}/__rukou/clock`)).json()) as ClockAnswer;
  return Date.parse(answer.now);
}

/** Moves the emulator's clock (`{set: ISO}` or `{advance: ms | "1d"}`); answers once the timers on the way have run. */
export async function moveClock(url: string, move: { set: string } | { advance: number | string }): Promise<ClockAnswer & { status: number }> {
  const response = await fetch(`${url}/__rukou/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(move) });
  return { status: response.status, ...((await response.json()) as ClockAnswer) };
}

/** What one function's workers did (`GET /__rukou/functions/stats`); all zeros for a function not invoked yet. */
export interface FunctionStats {
  invocations: { ok: number; error: number; timeout: number; crashed: number };
  workers: { started: number; exited: number };
}

export async function functionStats(url: string, name: string): Promise<FunctionStats> {
  const answer = (await (await fetch(`${url}/__rukou/functions/stats`)).json()) as { functions: Record<string, FunctionStats> };
  return answer.functions[name] ?? { invocations: { ok: 0, error: 0, timeout: 0, crashed: 0 }, workers: { started: 0, exited: 0 } };
}

/** What the simulated WeChat hands `openid` who opens a card in `groupId` (`POST /__rukou/wechat/cloudid`), issued at `issuedAt` (epoch ms; the emulator's time by default). */
export async function issueGroupCloudId(url: string, request: { openid: string; appid: string; kind: 'groupEnterInfo' | 'shareInfo'; groupId: string; chatType?: number; issuedAt?: number }): Promise<{ cloudID: string; expiresAt: string }> {
  const response = await fetch(`${url}/__rukou/wechat/cloudid`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
  if (response.status !== 200) throw new Error(`the simulated WeChat issued no cloudID: ${response.status} ${await response.text()}`);
  return (await response.json()) as { cloudID: string; expiresAt: string };
}

let logMarks = 0;

/**
 * What `work` answered, and the lines the emulator logged (stdout, with `verbose`) while it ran. Its stdout reaches this
 * process through a pipe that can lag behind any HTTP answer, so both ends are marked with a call
 * whose line names it (an unknown function's `invoke <name> … not_found`), and each mark is waited
 * for: every line printed before a mark has arrived once the mark has.
 */
export async function logOf<T>(emulator: RunningEmulator, work: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const mark = async (): Promise<number> => {
    const name = `log-mark-${++logMarks}`;
    const line = `[rukou] invoke ${name} `;
    await invokeAs(emulator.url, name, {}, { openid: 'o-log-mark' });
    await until(() => emulator.output().includes(line));
    return emulator.output().indexOf(line);
  };
  const from = await mark();
  const result = await work();
  const to = await mark();
  return { result, lines: emulator.output().slice(from, to).split('\n').slice(1, -1) };
}
