/**
 * A simulated Mini Program runtime for one user's phone: storage that survives a kill and keeps
 * WeChat's limits, timers the test advances by hand, the App/Page lifecycle, enter options, group
 * info, share cards built the way WeChat builds them, and `wx.cloud.callFunction` that reaches a
 * backend as this user (the emulator's client gateway in the delivery suites), with a switch to go
 * offline and a count of answers to lose on the way back. Opened from a Moments snapshot, it runs in single-page mode, where calls carry no user.
 * Hidden for 5 s, the app is suspended until it is shown again, as WeChat does it. Pages are built
 * with `Page` or `Component`, and a Mini Program's own code can run on it (`launchProgram`).
 */
import http from 'node:http';
import { json } from 'node:stream/consumers';
import { createTracker, type Clock, type EnterOptions, type Tracker, type TrackerOptions, type TrackerWx } from '../../packages/rukou-tracker/src/tracker';

/**
 * WeChat's storage limits (reference §G.2): what one key may hold, and what all of a Mini
 * Program's keys may hold for one user, the app's own data included.
 */
export const STORAGE_ITEM_BYTES = 1024 * 1024;
export const STORAGE_BYTES = 10 * 1024 * 1024;
/**
 * WeChat stops a Mini Program's JS thread once it has been in the background this long (a hide,
 * a system screen it opened included) and runs it again when the app is shown: its timers do not
 * fire meanwhile, and answers to its calls are heard only then (WeChat's 运行机制: suspended 5 s
 * after entering the background, destroyed later).
 */
export const SUSPEND_AFTER_MS = 5000;

/** What a backend answers a function call, as the client gateway does. */
export interface GatewayAnswer {
  result?: unknown;
  errCode?: number;
  errMsg?: string;
}
/**
 * A call as a user (`openid`), or as nobody (`undefined`: single-page mode has no login state), to the
 * cloud environment `env` (the call's `config.env`, else the one `wx.cloud.init` chose, else none).
 */
export type Backend = (name: string, data: Record<string, unknown>, openid: string | undefined, env?: string) => Promise<GatewayAnswer>;

/**
 * The emulator's client gateway: `POST <url>/functions/<name>` as the user named by `x-wx-openid`,
 * if any; with `at`, each call runs at the instant (epoch ms) it answers as the call goes out
 * (`x-rukou-at`), else at the emulator's own time. Sent with node:http, not fetch: the demo's
 * seeding makes thousands of these calls, and fetch's web streams cost a tenth of its CPU.
 */
export function gateway(url: string, appid = 'wx0000000000000000', at?: () => number | undefined): Backend {
  return (name, data, openid) => {
    const instant = at?.();
    const body = JSON.stringify({ data });
    const headers = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'x-wx-appid': appid,
      ...(openid === undefined ? {} : { 'x-wx-openid': openid }),
      ...(instant === undefined ? {} : { 'x-rukou-at': new Date(instant).toISOString() }),
    };
    return new Promise((resolve, reject) => {
      http.request(`${url}/functions/${encodeURIComponent(name)}`, { method: 'POST', headers }, (response) => resolve(json(response) as Promise<GatewayAnswer>)).on('error', reject).end(body);
    });
  };
}

/** A card's path as the recipient's enter options: WeChat splits the query for us. */
export function openedFrom(path: string, scene: number, extra: Partial<EnterOptions> = {}): EnterOptions & { query: Record<string, string> } {
  const [route, query = ''] = path.replace(/^\//, '').split('?');
  return { scene, path: route, query: Object.fromEntries(new URLSearchParams(query)), ...extra };
}

interface Timer {
  id: number;
  at: number;
  run: () => void;
}

/** Time that moves only when the test says so. `random` is seeded, so jitter is repeatable. */
export class ManualClock implements Clock {
  private current: number;
  private timers: Timer[] = [];
  private nextId = 1;
  constructor(
    private seed = 42,
    start = Date.UTC(2026, 4, 20, 2, 0, 0),
  ) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(run: () => void, ms: number): number {
    // Date.now() on a phone is whole milliseconds: timers fire on whole milliseconds too
    const timer = { id: this.nextId++, at: this.current + Math.max(0, Math.ceil(ms)), run };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }

  random(): number {
    // mulberry32: a tiny deterministic generator
    let t = (this.seed += 0x6d2b79f5);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** The delays of the timers now pending, from now. */
  pending(): number[] {
    return this.timers.map((timer) => timer.at - this.current).sort((a, b) => a - b);
  }

  /** Moves time forward, firing due timers in order; `between` runs after each (to let answers arrive). */
  async advance(ms: number, between: () => Promise<void> = flushMicrotasks): Promise<void> {
    const end = this.current + Math.ceil(ms);
    // what already happened (answers, callbacks) lands before time moves
    await between();
    for (;;) {
      const due = this.timers.filter((timer) => timer.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.timers = this.timers.filter((timer) => timer !== due);
      this.current = Math.max(this.current, due.at);
      due.run();
      await between();
    }
    this.current = end;
    await between();
  }

  clearAll(): void {
    this.timers = [];
  }
}

export const flushMicrotasks = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface PageDefinition {
  onLoad?(options: Record<string, string>): void;
  onShow?(): void;
  onShareAppMessage?(event: never): unknown;
  onShareTimeline?(): unknown;
  [key: string]: unknown;
}

/** The options of a page built with `Component`: its page handlers (`onLoad`, `onShow`, shares …) are in `methods`. */
export interface ComponentDefinition {
  data?: Record<string, unknown>;
  methods?: PageDefinition;
  lifetimes?: { created?(): void; attached?(): void };
  pageLifetimes?: { show?(): void; hide?(): void };
  [key: string]: unknown;
}

/**
 * An open page: for `Page`, the options with the instance fields WeChat sets (`route`, `options`);
 * for `Component`, its `methods` and data on an instance with the path `is` (the Component
 * reference's instance properties) and the `options` it was opened with, and no `route`, which the
 * reference does not promise.
 */
export type PageInstance = Record<string, unknown> & {
  route?: string;
  is?: string;
  options: Record<string, string>;
  data: Record<string, unknown>;
  onShareAppMessage?(event: { from: 'menu' | 'button' }): unknown;
  onShareTimeline?(): unknown;
};

/** What WeChat gives every module of a Mini Program: `wx`, the constructors, and the timers and clock of this phone. */
export interface MiniProgramGlobals {
  wx: TrackerWx;
  App(options: Record<string, unknown>): void;
  Page(options: PageDefinition): void;
  Component(options: ComponentDefinition): void;
  getApp(): unknown;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  Date: DateConstructor;
  Math: Math;
}

/**
 * A Mini Program's own code, as one process runs it: `run` evaluates app.js, then each page's module
 * inside `page(route, …)`, where its `Page` or `Component` call registers that route (WeChat knows a
 * page's module by its path).
 */
export type MiniProgramCode = (globals: MiniProgramGlobals, page: (route: string, evaluate: () => void) => void) => void;

/** The `wx` of the phone's process: what the tracker needs, `wx.cloud.init`, the system screens, and `wx.showShareMenu` (which does nothing here). */
export type PhoneWx = TrackerWx & {
  cloud: TrackerWx['cloud'] & { init(options?: { env?: string; traceUser?: boolean }): void };
  showShareMenu(options: object): void;
} & Record<SystemScreenApi, (options?: { success?(result: { errMsg: string }): void }) => void>;

/** An App's options as WeChat calls them: `onLaunch` at a cold start, then `onShow`; `onHide`. */
export interface AppDefinition {
  onLaunch?(options: EnterOptions): void;
  onShow?(options: EnterOptions): void;
  onHide?(): void;
  [key: string]: unknown;
}

/** How a page was registered: with `Page` or with `Component`. */
type Registration = { kind: 'page'; options: PageDefinition } | { kind: 'component'; options: ComponentDefinition };

/** What a share card shows: the recipient opens `path`. */
export interface Card {
  title?: string;
  path: string;
  imageUrl?: string;
}

/** WeChat's own test for a promise: anything with a `then` method. */
const isThenable = (value: unknown): value is Promise<unknown> => typeof (value as { then?: unknown } | null)?.then === 'function';

/** The card's fields that a share handler's content sets, over those of `base`. */
function cardOf(content: unknown, base: Card): Card {
  const { title, path, imageUrl } = content as Record<string, unknown>;
  const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
  return { title: text(title) ?? base.title, path: text(path) ?? base.path, imageUrl: text(imageUrl) ?? base.imageUrl };
}

export interface GroupAnswers {
  /** What `wx.getGroupEnterInfo` answers; absent: the API does not exist (an old base library). */
  groupEnterInfo?: () => Promise<{ cloudID: string } | { errMsg: string }>;
  /** What `wx.getShareInfo` answers for a shareTicket. */
  shareInfo?: (shareTicket: string) => Promise<{ cloudID: string } | { errMsg: string }>;
}

/** What `wx.requestSubscribeMessage` takes (§D.2). */
export interface SubscribeOptions {
  tmplIds?: string[];
  success?(answer: Record<string, unknown>): void;
  fail?(failure: Record<string, unknown>): void;
  complete?(result: Record<string, unknown>): void;
}

/** The system screens a Mini Program can open over itself, as WeChat shows them (reference §G.1). */
export const SYSTEM_SCREEN_APIS = [
  'previewImage',
  'previewMedia',
  'chooseImage',
  'chooseMedia',
  'chooseVideo',
  'chooseMessageFile',
  'scanCode',
  'makePhoneCall',
  'chooseLocation',
  'openLocation',
  'requestPayment',
  'openDocument',
  'openSetting',
  'requestSubscribeMessage',
  'openCustomerServiceChat',
] as const;
export type SystemScreenApi = (typeof SYSTEM_SCREEN_APIS)[number];

/**
 * One user's phone. `launch` starts the Mini Program process (a cold start), `show`/`hide` move
 * it between foreground and background, `kill` ends the process without warning: timers die,
 * answers in flight are lost, storage stays.
 *
 * Like WeChat, the phone hides the app (the top page's onHide, then App.onHide) whenever the app
 * opens a system screen (`wx.previewImage` …, the share panel), and shows it again when the screen
 * closes (App.onShow, then the top page's onShow), with the enter options of the entry that
 * started the visit; a hot show from the background shows the top page too.
 *
 * Like WeChat, the phone suspends the app `SUSPEND_AFTER_MS` after a hide unless it is shown
 * again first. While suspended, the app's own timers (`appClock`, which the tracker gets) and the
 * answers to its calls wait; the show runs them, in the order they came due, before App.onShow.
 * WeChat's own timers (a system screen closing, a share card's 3 s) run on.
 */
export class SimulatedPhone {
  /** Seeded by the user, so two phones never make the same ids (as two real phones would not). */
  readonly clock: ManualClock;
  /** The timers the Mini Program's own code sets (the global `setTimeout`): they wait while the app is suspended. */
  readonly appClock: Clock;
  /** Serialised like WeChat's storage: what is read back is a copy. Writes go through `writeStorage`. */
  readonly storage = new Map<string, string>();
  /** Every call made, in order, as sent, with the environment it went to (see `Backend`). */
  readonly calls: { name: string; data: Record<string, unknown>; env?: string }[] = [];
  online = true;
  /**
   * Answers lost on the way back: the next `lostAnswers` calls that reach the backend run there,
   * but the phone never hears their answer (the connection dropped after the request went out, as
   * on a weak signal) and fails them like a network error: the function ran, the phone cannot know.
   */
  lostAnswers = 0;
  /**
   * How long an answer takes to come back, on the phone's clock (0: at once). On a real phone a call
   * is out for tens to hundreds of milliseconds, long enough for the user to hide the app meanwhile;
   * the backend runs at once, and the answer reaches the app this much later.
   */
  networkMs = 0;
  /** false: an old base library without `wx.getEnterOptionsSync` (before 2.9.4). */
  enterOptionsSync = true;
  /** true: a runtime that gives `scene` as a string ("1168", §G.4), in both the lifecycle and the sync options. */
  sceneAsString = false;
  group: GroupAnswers = {};
  /** How long the user stays in a system screen before it closes. */
  systemScreenMs = 4000;
  /**
   * APIs that answer without opening a screen here: `requestSubscribeMessage` after the user ticked
   * "always keep this choice", a permission already granted. The app is not hidden.
   */
  readonly screenless = new Set<SystemScreenApi>();
  /**
   * What the user answers the subscription pop-up (`wx.requestSubscribeMessage`, §D.2), asked with
   * its tmplIds when the pop-up closes: the success object (`{errMsg: 'requestSubscribeMessage:ok',
   * <templateId>: 'accept' | …}`) or a failure (`{errCode, errMsg}`: 20004 main switch off, 10002
   * network …). By default the user accepts every template; a test against the emulator makes the
   * simulated WeChat record the answer and push it (POST /__rukou/wechat/subscribe).
   */
  subscribePopup: (tmplIds: string[]) => Promise<Record<string, unknown>> = async (tmplIds) => ({ errMsg: 'requestSubscribeMessage:ok', ...Object.fromEntries(tmplIds.map((id) => [id, 'accept'])) });
  tracker?: Tracker;
  /** The `wx` the running process sees, for the app's own calls (`phone.wx.previewImage(…)`, `phone.wx.cloud.init(…)`). */
  wx?: PhoneWx;
  /** The page stack, top last. */
  private pages: PageInstance[] = [];
  /** How WeChat shows and hides each open page: a `Page`'s handlers, or a `Component`'s `methods` and `pageLifetimes`. */
  private readonly lifecycles = new WeakMap<PageInstance, { show(): void; hide(): void }>();
  /** The pages the running program registered (`launchProgram`), by route. */
  private registered = new Map<string, Registration>();
  private app?: AppDefinition;
  private enter?: EnterOptions;
  /**
   * Launched from a Moments snapshot (scene 1154, `apiCategory: 'browseOnly'`, §G.3): single-page
   * mode, with no login state, so this process's cloud calls reach the backend without an openid.
   */
  private singlePage = false;
  private generation = 0;
  /** Suspends the hidden app when it fires; cleared by a show. */
  private suspension?: number;
  private suspendedNow = false;
  /** What came due while suspended (timers by handle, answers by a key of their own), in the order it came. */
  private readonly frozen = new Map<unknown, () => void>();
  /** Storage writes this process makes before it dies; undefined: no death planned. */
  private writesLeft?: number;
  private readonly inFlight = new Set<Promise<unknown>>();

  /** `clockStart`: what the phone's clock says when the test begins, right or wrong (phones' clocks are often off, reference §G.5). */
  constructor(
    readonly openid: string,
    private readonly backend: Backend,
    private readonly trackerOptions: Partial<TrackerOptions> = {},
    clockStart?: number,
  ) {
    this.clock = new ManualClock([...openid].reduce((hash, char) => Math.imul(hash, 31) + char.charCodeAt(0), 7), clockStart);
    this.appClock = {
      now: () => this.clock.now(),
      random: () => this.clock.random(),
      setTimeout: (run, ms) => {
        const handle: number = this.clock.setTimeout(() => this.whenRunning(run, handle), ms);
        return handle;
      },
      clearTimeout: (handle) => {
        this.clock.clearTimeout(handle);
        this.frozen.delete(handle);
      },
    };
  }

  /** Whether the app's JS thread is stopped (hidden for `SUSPEND_AFTER_MS`). */
  get suspended(): boolean {
    return this.suspendedNow;
  }

  /** Runs `run` now, or, while the app is suspended, when it is shown again. */
  private whenRunning(run: () => void, key: unknown = Symbol('answer')): void {
    if (this.suspendedNow) this.frozen.set(key, run);
    else run();
  }

  /**
   * The `wx` this process sees. A killed process's `wx` writes nothing and hears no answers.
   * `wx.cloud.init` sets the environment of later calls, only the first time (its reference: "多次调用时
   * 只有第一次生效"); a call's `config.env` overrides it for that call (Cloud.callFunction reference).
   */
  private createWx(): PhoneWx {
    const generation = this.generation;
    const alive = (): boolean => generation === this.generation && this.writesLeft !== 0;
    const caller = this.singlePage ? undefined : this.openid;
    let initialized: { env?: string } | undefined;
    const wx: Omit<PhoneWx, SystemScreenApi> = {
      getStorageSync: (key) => {
        const raw = this.storage.get(key);
        return raw === undefined ? '' : JSON.parse(raw);
      },
      setStorageSync: (key, data) => {
        if (!alive()) return;
        this.writeStorage(key, data);
        if (this.writesLeft !== undefined) this.writesLeft--;
      },
      getEnterOptionsSync: () => structuredClone(this.enter as EnterOptions),
      getShareInfo: ({ shareTicket, success, fail }) => {
        const answer = this.track(this.group.shareInfo?.(shareTicket) ?? Promise.resolve({ errMsg: 'getShareInfo:fail invalid shareTicket' }));
        void answer.then((result) => alive() && this.whenRunning(() => ('cloudID' in result ? success?.(result) : fail?.(result))));
      },
      showShareMenu: () => undefined,
      cloud: {
        init: (options = {}) => void (initialized ??= { env: options.env }),
        callFunction: ({ name, data, config }) => {
          if (!alive()) return new Promise(() => undefined);
          const env = config?.env ?? initialized?.env;
          this.calls.push({ name, data: structuredClone(data), ...(env === undefined ? {} : { env }) });
          // a call that never left the phone has no answer to lose
          const lost = this.online && this.lostAnswers > 0;
          if (lost) this.lostAnswers--;
          const call = this.online
            ? this.backend(name, structuredClone(data), caller, env)
            : Promise.reject({ errMsg: 'cloud.callFunction:fail request:fail network unreachable' });
          const answer = call.then((response) => {
            if (lost) throw { errMsg: 'cloud.callFunction:fail request:fail timeout' };
            if (response.errCode) throw { errMsg: response.errMsg ?? `cloud.callFunction:fail ${response.errCode}` };
            return { result: response.result, errMsg: 'cloud.callFunction:ok' };
          });
          this.track(answer);
          // a killed process never hears its answers, a suspended one hears them when it runs again
          const arrive = (run: () => void): void => void (this.networkMs > 0 ? this.clock.setTimeout(run, this.networkMs) : run());
          return new Promise((resolve, reject) =>
            answer.then(
              (value) => arrive(() => alive() && this.whenRunning(() => resolve(value))),
              (error) => arrive(() => alive() && this.whenRunning(() => reject(error))),
            ),
          );
        },
      },
    };
    if (!this.enterOptionsSync) delete wx.getEnterOptionsSync;
    for (const api of SYSTEM_SCREEN_APIS) {
      Object.defineProperty(wx, api, {
        configurable: true,
        enumerable: true,
        writable: true,
        value: api === 'requestSubscribeMessage' ? this.subscriptionPopup(alive) : (options: { success?(result: { errMsg: string }): void } = {}) => {
          if (!alive()) return;
          const succeed = (): void => options.success?.({ errMsg: `${api}:ok` });
          if (this.screenless.has(api)) succeed();
          else this.systemScreen(succeed);
        },
      });
    }
    if (this.group.groupEnterInfo) {
      const groupEnterInfo = this.group.groupEnterInfo;
      wx.getGroupEnterInfo = ({ success, fail }) => {
        void this.track(groupEnterInfo()).then((result) => alive() && this.whenRunning(() => ('cloudID' in result ? success?.(result) : fail?.(result))));
      };
    }
    return wx as PhoneWx;
  }

  /**
   * `wx.requestSubscribeMessage` as WeChat runs it: the pop-up hides the app (unless the user chose
   * "always keep this choice": `screenless`), and when it closes the answer goes to `success` or
   * `fail`, then `complete`; called with none of the three, it answers a promise instead (WeChat's
   * promise style), which resolves with the success object or rejects with the failure.
   */
  private subscriptionPopup(alive: () => boolean): (options?: SubscribeOptions) => Promise<Record<string, unknown>> | undefined {
    return (options = {}) => {
      const answered = new Promise<Record<string, unknown>>((resolve, reject) => {
        const ask = (): void => {
          void this.track(this.subscribePopup(options.tmplIds ?? [])).then((answer) => alive() && this.whenRunning(() => ('errCode' in answer ? reject(answer) : resolve(answer))));
        };
        if (this.screenless.has('requestSubscribeMessage')) ask();
        else this.systemScreen(ask);
      });
      if (!options.success && !options.fail && !options.complete) return answered;
      answered.then(
        (answer) => {
          options.success?.(answer);
          options.complete?.(answer);
        },
        (failure: Record<string, unknown>) => {
          options.fail?.(failure);
          options.complete?.(failure);
        },
      );
      return undefined;
    };
  }

  /** A cold start with these enter options, of an app made of `app` (no code of its own by default) wrapped by the tracker. */
  launch(options: EnterOptions, app: AppDefinition = {}): Tracker {
    this.startProcess(options);
    this.tracker = createTracker({ ...this.trackerOptions, wx: this.wx as TrackerWx, clock: this.appClock });
    this.app = this.tracker.app(app);
    this.coldStart(options);
    return this.tracker;
  }

  /**
   * A cold start of a Mini Program's own code (its app.js and pages' modules, which make their own
   * tracker), as WeChat runs it: every module gets this phone's `wx`, its timers and its clock, the
   * `App` call registers the app, each page's `Page` or `Component` call its route; then the app is
   * shown. Its pages open with `open`.
   */
  launchProgram(code: MiniProgramCode, options: EnterOptions): void {
    this.startProcess(options);
    this.tracker = undefined;
    this.registered = new Map();
    let loading: string | undefined;
    const register = (registration: Registration): void => {
      if (loading === undefined) throw new Error(`${registration.kind === 'page' ? 'Page' : 'Component'}() called outside a page's module`);
      this.registered.set(loading, registration);
    };
    const clock = this.clock;
    /** `Date` on this phone's clock: `Date.now()` and `new Date()` read it. */
    const PhoneDate = class extends Date {
      constructor(...args: ConstructorParameters<DateConstructor>) {
        super(...((args.length ? args : [clock.now()]) as [number]));
      }
      static now(): number {
        return clock.now();
      }
    } as DateConstructor;
    const globals: MiniProgramGlobals = {
      wx: this.wx as TrackerWx,
      App: (app) => void (this.app = app as AppDefinition),
      Page: (page) => register({ kind: 'page', options: page }),
      Component: (component) => register({ kind: 'component', options: component }),
      getApp: () => this.app,
      setTimeout: (run, ms) => this.appClock.setTimeout(run, ms),
      clearTimeout: (handle) => this.appClock.clearTimeout(handle),
      Date: PhoneDate,
      Math: Object.create(Math, { random: { value: () => clock.random() } }) as Math,
    };
    code(globals, (route, evaluate) => {
      loading = route;
      try {
        evaluate();
      } finally {
        loading = undefined;
      }
    });
    if (!this.app) throw new Error('the program called no App()');
    this.coldStart(options);
  }

  /** A new process: its `wx`, no pages yet. */
  private startProcess(options: EnterOptions): void {
    this.singlePage = Number(options.scene) === 1154 || options.apiCategory === 'browseOnly';
    this.wx = this.createWx();
    this.pages = [];
  }

  /** WeChat starts an app with `App.onLaunch`, then shows it. */
  private coldStart(options: EnterOptions): void {
    this.app?.onLaunch?.(structuredClone(options));
    this.show(options);
  }

  /** To the foreground: the first show after `launch` is the cold start, later ones are hot starts. */
  show(options: EnterOptions): void {
    this.clock.clearTimeout(this.suspension);
    this.suspendedNow = false;
    const due = [...this.frozen.values()];
    this.frozen.clear();
    for (const run of due) run();
    this.enter = this.sceneAsString ? { ...structuredClone(options), scene: String(options.scene) } : structuredClone(options);
    this.app?.onShow?.(structuredClone(this.enter));
    this.lifecycleOf(this.top())?.show();
  }

  hide(): void {
    this.lifecycleOf(this.top())?.hide();
    this.app?.onHide?.();
    this.clock.clearTimeout(this.suspension);
    this.suspension = this.clock.setTimeout(() => (this.suspendedNow = true), SUSPEND_AFTER_MS);
  }

  private top(): PageInstance | undefined {
    return this.pages[this.pages.length - 1];
  }

  private lifecycleOf(page: PageInstance | undefined): { show(): void; hide(): void } | undefined {
    return page && this.lifecycles.get(page);
  }

  /**
   * A system screen over the app: WeChat hides the app as the screen opens and shows it, with the
   * same enter options, when it closes `systemScreenMs` later (on the phone's clock).
   */
  private systemScreen(closed: () => void): void {
    const generation = this.generation;
    this.clock.setTimeout(() => this.hide(), 0);
    this.clock.setTimeout(() => {
      if (generation !== this.generation || !this.enter) return;
      this.show(this.enter);
      closed();
    }, this.systemScreenMs);
  }

  /** The user taps share on a page: the page's onShareAppMessage runs, then the share panel hides the app until a chat is picked. */
  shareFromMenu(page: PageInstance): unknown {
    const content = page.onShareAppMessage?.({ from: 'menu' });
    this.systemScreen(() => undefined);
    return content;
  }

  /** The process ends at once: no hide, no more timers, answers in flight lost. */
  kill(): void {
    this.generation++;
    this.writesLeft = undefined;
    this.suspendedNow = false;
    this.frozen.clear();
    this.clock.clearAll();
    this.tracker = undefined;
    this.app = undefined;
    this.pages = [];
  }

  /**
   * The process dies right after its next `writes` storage writes, in the middle of whatever it
   * is doing (a kill at any moment): from then on it writes nothing, calls nothing and hears
   * nothing, and `dead` is true; `kill()` clears up as usual.
   */
  killAfterWrites(writes: number): void {
    this.writesLeft = writes;
  }

  get dead(): boolean {
    return this.writesLeft === 0;
  }

  /**
   * A write as WeChat's setStorageSync makes it (§G.2): a value over 1 MB, or a write that would
   * take this Mini Program past 10 MB, throws WeChat's own error and changes nothing. Sizes are
   * the UTF-8 bytes of the key and of the value's JSON. The app's own data is written here too.
   */
  writeStorage(key: string, data: unknown): void {
    const raw = JSON.stringify(data);
    const bytes = Buffer.byteLength(raw);
    if (bytes > STORAGE_ITEM_BYTES) throw new Error('setStorageSync:fail exceed storage item max length');
    const old = this.storage.get(key);
    const freed = old === undefined ? 0 : Buffer.byteLength(key) + Buffer.byteLength(old);
    if (this.storageBytes() - freed + Buffer.byteLength(key) + bytes > STORAGE_BYTES) throw new Error('setStorageSync:fail exceed storage max size 10Mb');
    this.storage.set(key, raw);
  }

  /** Bytes held by the keys that start with `prefix` (by all keys without one). */
  storageBytes(prefix = ''): number {
    let bytes = 0;
    for (const [key, raw] of this.storage) if (key.startsWith(prefix)) bytes += Buffer.byteLength(key) + Buffer.byteLength(raw);
    return bytes;
  }

  /** Opens a page built with `Page`, wrapped by the tracker, as WeChat would: onLoad with the options, then onShow. */
  openPage(route: string, options: Record<string, string>, definition: PageDefinition = {}, wrapped = true): PageInstance {
    if (!this.tracker) throw new Error('launch the app first');
    // an app may build some pages without the tracker: WeChat shows them all the same
    return this.mount(route, options, { kind: 'page', options: wrapped ? (this.tracker.page(definition as Parameters<Tracker['page']>[0]) as PageDefinition) : definition });
  }

  /** Opens a page built with `Component`, wrapped by the tracker (`tracker.component`), as WeChat would. */
  openComponentPage(route: string, options: Record<string, string>, definition: ComponentDefinition = {}, wrapped = true): PageInstance {
    if (!this.tracker) throw new Error('launch the app first');
    return this.mount(route, options, { kind: 'component', options: wrapped ? (this.tracker.component(definition as Parameters<Tracker['component']>[0]) as ComponentDefinition) : definition });
  }

  /** Opens a page the running program registered (`launchProgram`), as its own code built it. */
  open(route: string, options: Record<string, string>): PageInstance {
    const registration = this.registered.get(route);
    if (!registration) throw new Error(`the program registered no page ${route}`);
    return this.mount(route, options, registration);
  }

  /**
   * A page as WeChat makes it: the top page hides, then the new one loads with the options and shows.
   * A `Component` page's instance has its `methods` and data; it is created and attached first, and
   * shows and hides through both its `methods` (`onShow`, `onHide`) and its `pageLifetimes`.
   */
  private mount(route: string, options: Record<string, string>, registration: Registration): PageInstance {
    const setData = function (this: PageInstance, data: Record<string, unknown>): void {
      Object.assign(this.data, data);
    };
    const definition = registration.options;
    const data = structuredClone((definition.data ?? {}) as Record<string, unknown>);
    let page: PageInstance;
    let lifecycle: { show(): void; hide(): void };
    if (registration.kind === 'page') {
      page = { ...registration.options, route, options, data, setData } as PageInstance;
      const own = page as PageDefinition & { onHide?(): void };
      lifecycle = { show: () => own.onShow?.call(page), hide: () => own.onHide?.call(page) };
    } else {
      const { methods = {}, lifetimes = {}, pageLifetimes = {} } = registration.options;
      page = { ...methods, is: route, options, data, setData } as PageInstance;
      const own = page as PageDefinition & { onHide?(): void };
      lifetimes.created?.call(page);
      lifetimes.attached?.call(page);
      lifecycle = {
        show: () => (own.onShow?.call(page), pageLifetimes.show?.call(page)),
        hide: () => (own.onHide?.call(page), pageLifetimes.hide?.call(page)),
      };
    }
    this.lifecycles.set(page, lifecycle);
    this.lifecycleOf(this.top())?.hide();
    this.pages.push(page);
    (page.onLoad as PageDefinition['onLoad'])?.call(page, options);
    lifecycle.show();
    return page;
  }

  /**
   * The card WeChat sends when the user shares `page`, built from what its onShareAppMessage
   * answers (§G.3). Anything but an object, a bare Promise (an `async` handler) among them, gives
   * the default card: the current page with its options. If an object has a `promise` that
   * resolves within 3 s of this phone's clock to content, that content's fields win; past 3 s, or
   * on reject, the object is used as it was answered.
   */
  async shareCard(page: PageInstance, from: 'menu' | 'button' = 'menu'): Promise<Card> {
    const query = Object.entries(page.options)
      .map(([key, value]) => `${key}=${value}`)
      .join('&');
    const current: Card = { path: `/${page.route ?? page.is}${query ? `?${query}` : ''}` };
    const answer = page.onShareAppMessage?.({ from });
    if (typeof answer !== 'object' || answer === null || isThenable(answer)) return current;
    const card = cardOf(answer, current);
    const promise = (answer as { promise?: unknown }).promise;
    if (!isThenable(promise)) return card;
    const late = await new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => resolve(undefined), 3000);
      const settle = (value: unknown): void => {
        this.clock.clearTimeout(timer);
        resolve(value);
      };
      promise.then(settle, () => settle(undefined));
    });
    return typeof late === 'object' && late !== null ? cardOf(late, card) : card;
  }

  /** Counts a platform call as in flight until it settles, for `settle`. */
  private track<T>(call: Promise<T>): Promise<T> {
    this.inFlight.add(call);
    const done = (): void => void this.inFlight.delete(call);
    call.then(done, done);
    return call;
  }

  /** Waits for every call in flight to be answered (or to fail). */
  async settle(): Promise<void> {
    // an answer can start the next call a few promise turns later: look again after each round
    do {
      await Promise.allSettled([...this.inFlight]);
      await flushMicrotasks();
    } while (this.inFlight.size > 0);
  }

  /** Advances time, letting each answer arrive before the next timer fires. */
  advance(ms: number): Promise<void> {
    return this.clock.advance(ms, () => this.settle());
  }

  /** The events sent so far, across every call. */
  sentEvents(): Record<string, unknown>[] {
    return this.calls.flatMap((call) => (call.data.events as Record<string, unknown>[]) ?? []);
  }
}
