/**
 * The slice of the Mini Program platform the tracker uses. It is typed here, narrowly, instead of
 * with `WechatMiniprogram.Wx`, so that the same source compiles in the Mini Program (where the
 * real `wx` is checked against these shapes in `app.ts`) and in Node, where the tests drive it
 * with a simulated `wx`.
 */

/** What `wx.getEnterOptionsSync()` and `App.onShow` give. */
export interface EnterOptions {
  /** A number, except on some runtimes that give a string ("1168"). */
  scene: number | string;
  path: string;
  query?: Record<string, string>;
  shareTicket?: string;
  referrerInfo?: { appId?: string; extraData?: Record<string, unknown> };
  chatType?: number;
  apiCategory?: string;
}

export interface CloudIdCallbacks {
  success?: (result: { cloudID?: string }) => void;
  fail?: (error: { errMsg: string }) => void;
}

export interface TrackerWx {
  getStorageSync(key: string): unknown;
  setStorageSync(key: string, data: unknown): void;
  getEnterOptionsSync?(): EnterOptions;
  getGroupEnterInfo?(option: CloudIdCallbacks): void;
  getShareInfo(option: CloudIdCallbacks & { shareTicket: string; timeout?: number }): void;
  cloud: { callFunction(param: { name: string; data: Record<string, unknown>; config?: { env: string } }): Promise<{ result?: unknown }> };
}

/** Where the tracker's calls go, when Rukou's environment or function names are not the app's defaults. */
export interface CloudOptions {
  /**
   * The ID of the cloud environment Rukou is deployed in: every call names it, as
   * `wx.cloud.callFunction`'s `config.env`, which for that call overrides the environment
   * `wx.cloud.init` chose (Cloud.callFunction reference: "环境 ID，填写后将忽略 init 时指定的环境 ID").
   * Left out, calls go to the environment `wx.cloud.init` chose. Either way `wx.cloud.init` must have
   * run before the first call (your App's onLaunch), as for any cloud API.
   */
  env?: string;
  /** The function the calls go to, when Rukou's was deployed under another name. */
  functionName?: string;
}

/** `wx.cloud.callFunction` to `name` (or the options' `functionName`), in the options' environment if they name one. */
export const callCloud = (wx: TrackerWx, { env, functionName }: CloudOptions, name: string, data: Record<string, unknown>): Promise<{ result?: unknown }> =>
  wx.cloud.callFunction({ name: functionName || name, data, ...(env && { config: { env } }) });

/** Time and chance, injectable so that tests control every timer. */
export interface Clock {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  random(): number;
}

/** `Date.now` and `Math.random` need no `this`; the platform's timers are called as plain functions. */
export const systemClock: Clock = {
  now: Date.now,
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
  random: Math.random,
};
