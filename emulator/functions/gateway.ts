import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseInstant } from '../clock/operations';
import { CLOCK_YEARS, inClockYears } from '../clock/state';
import { isPlainObject } from '../database/values';
import { BackendError, invalidParam, sdkErrCode } from '../errors';
import { parseJson, readParams, Refusal, sendJson } from '../http';
import type { AdminAction, Route } from '../server';
import type { InvocationIdentity } from './protocol';
import type { FunctionRuntime, Outcome } from './runtime';

/**
 * What a Mini Program sees from wx.cloud.callFunction: `{result}`, or `{errCode, errMsg}`.
 *
 * The codes are the ones the cloud answers clients with (wx-server-sdk's error table):
 * -504002 "functions execute fail" when the function throws, is stopped at its time limit or its
 * process dies, with the function's own error text after "errMsg:" the way client logs show it
 * ("errCode: -504002 functions execute fail | errMsg: Error: …"); the time-limit text follows
 * SCF's "Invoking task timed out after N seconds". An unknown function answers -501000 with
 * "FunctionName parameter could not be found.", as clients report it for undeployed functions.
 */
export type ClientAnswer = { result: unknown } | { errCode: number; errMsg: string };

export const FUNCTIONS_EXECUTE_FAIL = sdkErrCode('FUNCTIONS_EXECUTE_FAIL');
/** The backend's code for a request body past its limit (docs.cloudbase.net, error code EXCEED_MAX_PAYLOAD_SIZE); wx-server-sdk's table lacks it, so it shows as -501001. */
export const PAYLOAD_TOO_LARGE = 'EXCEED_MAX_PAYLOAD_SIZE';
export const FUNCTION_NOT_FOUND = -501000;
/** -501007 "invalid parameters" (wx-server-sdk's table), for a request the gateway cannot read. */
export const INVALID_PARAMETERS = sdkErrCode('INVALID_PARAM');

export function clientAnswer(outcome: Outcome): ClientAnswer {
  switch (outcome.kind) {
    case 'ok':
      return { result: JSON.parse(outcome.response) as unknown };
    case 'not_found':
      return { errCode: FUNCTION_NOT_FOUND, errMsg: `FunctionName parameter could not be found. (${outcome.message})` };
    case 'too_large':
      return { errCode: sdkErrCode(PAYLOAD_TOO_LARGE), errMsg: `${PAYLOAD_TOO_LARGE}: ${outcome.message}` };
    default:
      return { errCode: FUNCTIONS_EXECUTE_FAIL, errMsg: `functions execute fail | errMsg: ${outcome.message}` };
  }
}

/**
 * How the gateway and the trigger route refuse what they cannot read (a path, a method, a body):
 * `{errCode, errMsg}` with HTTP 200 like every answer of theirs, since callFunction's callers
 * see the errCode, never a status; the errCode is the SDK's for the refusal's code (-501007).
 */
export function refuseAsClient(res: ServerResponse, refusal: Refusal): void {
  sendJson(res, 200, { errCode: sdkErrCode(refusal.code), errMsg: refusal.message });
}

/** The SOURCEs of wx.cloud.callFunction from a Mini Program: on a phone, and in WeChat DevTools. */
const MINI_PROGRAM_SOURCES: ReadonlySet<string> = new Set(['wx_client', 'wx_devtools']);

/**
 * The event a function receives for a Mini Program's call: its data plus `userInfo: {appId,
 * openId}`, the caller as getWXContext() tells it, which the platform writes over any `userInfo`
 * the client sent (WeChat's cloud function guide, "获取小程序用户信息": event 会被注入一个 userInfo
 * 对象，其中含有 openId 字段和 appId 字段; reference/wechat-platform.md §H.1). A field is left out
 * when the caller has none: without an OPENID (a Moments snapshot) the event has `userInfo:
 * {appId}`, the shape WeChat's invokecloudfunction documentation shows for a call with no user.
 * Data that is not an object (an array, a string, a number) has nowhere to carry it; what the
 * cloud does with such data is not documented, so it reaches the function as sent, and the
 * function must refuse it. Missing data is `{}`, as the client SDK sends it.
 */
export function clientEvent(data: unknown, identity: InvocationIdentity): unknown {
  const event = data ?? {};
  if (!MINI_PROGRAM_SOURCES.has(identity.source) || !isPlainObject(event)) return event;
  const userInfo: { appId?: string; openId?: string } = {};
  if (identity.appid) userInfo.appId = identity.appid;
  if (identity.openid) userInfo.openId = identity.openid;
  return { ...event, userInfo };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text ? text : undefined;
}

/** The instant of `x-rukou-at` (ISO 8601 with its offset), none without the header. */
function instantOf(req: IncomingMessage): number | undefined {
  const text = header(req, 'x-rukou-at');
  if (text === undefined) return undefined;
  const instant = parseInstant(text);
  if (!inClockYears(instant)) throw new Refusal(400, `x-rukou-at must be an ISO 8601 day or time with its offset in the clock's years (${CLOCK_YEARS}), such as "2024-06-01T08:00:00+08:00", got ${JSON.stringify(text)}`);
  return instant;
}

/**
 * `POST /functions/<name>` body `{"data": …}`, the caller named by x-wx-openid/appid/unionid/source;
 * a Mini Program's call (SOURCE wx_client, the default) gets the platform's `userInfo` (clientEvent).
 * With `x-rukou-at` the invocation starts at that instant (`InvokeRequest.at`): a call replayed at
 * the moment it was made, whatever the clock reads, which does not move.
 */
export function gatewayRoute(runtime: FunctionRuntime): Route {
  return {
    method: 'POST',
    prefix: '/functions/',
    async handle(req: IncomingMessage, res: ServerResponse, rest: string): Promise<void> {
      const name = decodeURIComponent(rest);
      const params = await readParams(req);
      const at = instantOf(req);
      const identity: InvocationIdentity = {
        openid: header(req, 'x-wx-openid'),
        appid: header(req, 'x-wx-appid'),
        unionid: header(req, 'x-wx-unionid'),
        source: header(req, 'x-wx-source') ?? 'wx_client',
      };
      const outcome = await runtime.invoke({ name, event: clientEvent(params.data, identity), identity, at });
      sendJson(res, 200, clientAnswer(outcome));
    },
    refuse: refuseAsClient,
  };
}

/**
 * `functions.invokeFunction`, what `cloud.callFunction` sends. When the call comes from inside a
 * running function (its WX_API_TOKEN comes back as wxCloudApiToken) the callee acts for the same
 * user, and its SOURCE is the caller's followed by ",scf" (getWXContext docs: A called by the Mini
 * Program sees wx_client, B called by A sees wx_client,scf). A call from outside any function
 * (a script with credentials) carries no user and the SOURCE "scf".
 */
export function invokeFunctionAction(runtime: FunctionRuntime, lookup: (token: unknown) => InvocationIdentity | undefined): AdminAction {
  return async ({ params }) => {
    const name = params.function_name;
    if (typeof name !== 'string' || name === '') throw invalidParam('function_name must name a cloud function');
    let event: unknown = {};
    if (typeof params.request_data === 'string' && params.request_data !== '') {
      event = parseJson(params.request_data, 'request_data');
    }
    const caller = lookup(params.wxCloudApiToken);
    const identity: InvocationIdentity = caller
      ? { openid: caller.openid, appid: caller.appid, unionid: caller.unionid, source: `${caller.source},scf` }
      : { source: 'scf' };
    const outcome = await runtime.invoke({ name, event, identity });
    switch (outcome.kind) {
      case 'ok':
        return { data: { response_data: outcome.response } };
      // wx-server-sdk turns a failed callFunction into errCode -1, errMsg "callFunction:fail <message>",
      // and keeps this code on error.code.
      case 'not_found':
        throw new BackendError('FUNCTION_NOT_FOUND', `FunctionName parameter could not be found: ${outcome.message}`);
      case 'too_large':
        throw new BackendError(PAYLOAD_TOO_LARGE, outcome.message);
      default:
        throw new BackendError('FUNCTIONS_EXECUTE_FAIL', outcome.message);
    }
  };
}

/**
 * `GET /__rukou/functions/stats`: what each invoked function's workers did (runtime.ts,
 * FunctionStats), so that a test can tell that no invocation failed and no worker was replaced.
 *
 * @example
 * GET /__rukou/functions/stats
 * → {"functions": {"track": {"invocations": {"ok": 12, "error": 0, "timeout": 0, "crashed": 0}, "workers": {"started": 1, "exited": 0}}}, "notFound": 0}
 */
export function functionStatsRoute(runtime: FunctionRuntime): Route {
  return {
    method: 'GET',
    prefix: '/__rukou/functions/stats',
    handle(_req, res) {
      sendJson(res, 200, runtime.stats());
      return Promise.resolve();
    },
  };
}
