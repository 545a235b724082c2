/**
 * One warm container of one cloud function: a process forked by the runtime that loads the
 * function's index.js as soon as it is set up (the cold start's initialization, which SCF times
 * apart from the invocation) and then runs one invocation at a time.
 *
 * Before each invocation it sets the environment the cloud runtime injects, because the real
 * wx-server-sdk reads identity and routing from process.env on every call (getWXContext() is
 * WX_CONTEXT_KEYS + WX_*, ENV is SCF_NAMESPACE, SOURCE is TCB_SOURCE; the endpoint comes from
 * TCB_CONTEXT_CNFG). The process starts with TZ=UTC, the cloud's function clock, and a TZ among
 * the function's envVariables replaces it, as it does in the cloud. The time is the
 * emulator's: Date is shifted by the clock's offset sent with the setup and with each invocation
 * (shifted-date.ts), installed before the function's code is loaded.
 */
import path from 'node:path';
import { shiftDate } from '../clock/shifted-date';
import type { FromWorker, InvocationIdentity, ToWorker, WorkerInvoke, WorkerSetup } from './protocol';

const setClockOffset = shiftDate();

type Main = (event: unknown, context: Record<string, unknown>) => unknown;

let setup: WorkerSetup | undefined;
let main: Main | undefined;

/** Keys listed in WX_CONTEXT_KEYS; WX_API_TOKEN must be listed too, or node-sdk never sends it back. */
const CONTEXT_KEYS = ['WX_OPENID', 'WX_APPID', 'WX_UNIONID', 'WX_API_TOKEN', 'WX_TRIGGER_API_TOKEN_V0'];
const PER_INVOCATION_KEYS = [...CONTEXT_KEYS, 'WX_CONTEXT_KEYS', 'TCB_SOURCE', 'TRIGGER_SRC'];

function send(message: FromWorker): void {
  process.send?.(message);
}

function applySetup(config: WorkerSetup): void {
  setup = config;
  setClockOffset(config.clockOffsetMs);
  Object.assign(process.env, config.envVariables, {
    SCF_NAMESPACE: config.envId,
    TCB_CONTEXT_CNFG: JSON.stringify({ URL: config.adminUrl }),
    // Any non-empty credentials: without them node-sdk crashes the process on an unawaited rejection.
    TENCENTCLOUD_SECRETID: 'rukou-local',
    TENCENTCLOUD_SECRETKEY: 'rukou-local',
    // Marks the process as running on Tencent Cloud, so node-sdk skips its metadata-server probe.
    TENCENTCLOUD: 'true',
    // Turns off node-sdk's 3 s slow-query timer, which would keep failed invocations alive.
    SILENCE: 'true',
  });
}

/** The initialization: the module's top-level code runs here, before any invocation's identity is set. */
function loadMain(config: WorkerSetup): FromWorker {
  try {
    const loaded = require(path.join(config.dir, 'index.js')) as { main?: Main };
    if (typeof loaded.main !== 'function') throw new Error(`${config.functionName}/index.js does not export main`);
    main = loaded.main;
    return { type: 'ready' };
  } catch (error) {
    return { type: 'initFailed', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}

function invocationEnvironment(identity: InvocationIdentity, apiToken: string, timer: boolean): Record<string, string> {
  const env: Record<string, string> = { TCB_SOURCE: identity.source, WX_API_TOKEN: apiToken };
  if (identity.openid) env.WX_OPENID = identity.openid;
  if (identity.appid) env.WX_APPID = identity.appid;
  if (identity.unionid) env.WX_UNIONID = identity.unionid;
  if (timer) {
    env.TRIGGER_SRC = 'timer';
    env.WX_TRIGGER_API_TOKEN_V0 = apiToken;
  }
  env.WX_CONTEXT_KEYS = CONTEXT_KEYS.filter((key) => key in env).join(',');
  return env;
}

/** The second argument of main, with the keys the SCF Node runtime passes. */
function contextFor(config: WorkerSetup, invocation: WorkerInvoke, env: Record<string, string>): Record<string, unknown> {
  return {
    function_name: config.functionName,
    function_version: '$LATEST',
    namespace: config.envId,
    request_id: invocation.requestId,
    time_limit_in_ms: config.timeoutSeconds * 1000,
    memory_limit_in_mb: config.memoryMB,
    environ: Object.entries({ SCF_NAMESPACE: config.envId, ...env })
      .map(([key, value]) => `${key}=${value}`)
      .join(';'),
    callbackWaitsForEmptyEventLoop: false,
  };
}

async function invoke(invocation: WorkerInvoke): Promise<void> {
  if (!setup || !main) throw new Error('the worker was asked to invoke before its function was loaded');
  setClockOffset(invocation.clockOffsetMs);
  for (const key of PER_INVOCATION_KEYS) delete process.env[key];
  const env = invocationEnvironment(invocation.identity, invocation.apiToken, invocation.timer);
  Object.assign(process.env, env);
  try {
    const result = await main(invocation.event, contextFor(setup, invocation, env));
    // The cloud hands results back as JSON text; what JSON has no text for (undefined, a function,
    // a Symbol: a handler returned instead of called) becomes null like an empty answer.
    send({ type: 'result', requestId: invocation.requestId, response: JSON.stringify(result) ?? 'null' });
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    send({ type: 'error', requestId: invocation.requestId, message, stack: error instanceof Error ? error.stack : undefined });
  }
}

process.on('message', (message: ToWorker) => {
  if (message.type === 'setup') {
    applySetup(message);
    send(loadMain(message));
  } else void invoke(message);
});
// The parent going away (emulator stopped or killed) must not leave orphaned workers behind.
process.on('disconnect', () => process.exit(0));
