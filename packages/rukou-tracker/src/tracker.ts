/**
 * Rukou's Mini Program tracker: every cold and hot entry, page views, hides with their stay time,
 * shares and the goals the app reports (`goal()`), sent to the `track` cloud function in batches
 * through a queue that survives kills.
 * It wraps the App, Page and Component options you already have instead of patching `App`, `Page`
 * or `Component` globally, and nothing it does can make your handlers fail.
 *
 * A hot show is an entry only when it is a real return: the enter options changed, or the app was
 * in the background for the session gap or longer. Otherwise it is a pause (`./pauses`): no entry,
 * no page view, and the visit's stay time goes on; the hide says which system screen caused it.
 *
 * A batch goes when an entry has waited 50 s (the operator's `today` is at most a minute behind),
 * at once for a share, a goal and the hide that ends a visit (WeChat suspends the app 5 s later), or
 * when 50 events wait; page views and the hides of pauses ride along (`./delivery`).
 *
 * @example
 * // tracking.ts: one tracker, which app.ts and every page import
 * import { createTracker } from 'rukou-tracker';
 * export const tracker = createTracker({ wx });
 *
 * // app.ts
 * App(tracker.app({ onLaunch() { wx.cloud.init({ env: 'your-env-id', traceUser: false }); } }));
 *
 * // pages/detail/detail.ts
 * Page(tracker.page({
 *   onShareAppMessage() { return { title: 'Look at this', path: '/pages/detail/detail?id=7' }; },
 * }));
 * // the card's path becomes /pages/detail/detail?id=7&rk_sh=<fresh share id>
 *
 * // a page built with Component: its share handlers are in `methods`
 * Component(tracker.component({ methods: { onShareAppMessage() { return { title: 'Look' }; } } }));
 *
 * // after a payment: the order number makes it one goal, whoever else reports it
 * tracker.goal('order_paid', { id: order.outTradeNo, value: order.totalFee });
 */
import { createDelivery, type DeliveryOptions } from './delivery';
import { enterPayload, groupCloudId, isGroupEntry, readEnterOptions } from './entry';
import { newId, positive, type EventBody, type TrackEvent } from './events';
import { systemClock, type Clock, type CloudOptions, type EnterOptions, type TrackerWx } from './host';
import { PAUSE_WINDOW_MS, SESSION_GAP_MS, signature, watchSystemScreens } from './pauses';
import { createQueue, type QueueCounts } from './queue';
import { shareToChat, shareToTimeline, type ChatShare, type ShareRecord, type SharedPage, type TimelineShare } from './share';

export type { EnterOptions, TrackerWx, Clock, CloudOptions } from './host';
export type { TrackEvent } from './events';
export type { QueueCounts } from './queue';
export type { ChatShare, TimelineShare } from './share';

/** How long an entry waits for its group cloudID before it is sent without one. */
const GROUP_INFO_WAIT_MS = 5000;
/** Where the share prefix `track` issued to this user is kept. */
const PREFIX_KEY = 'rukou:prefix';

export interface TrackerOptions extends DeliveryOptions, CloudOptions {
  wx: TrackerWx;
  /** Time and randomness (default `Date.now`, the platform's timers, `Math.random`): a test's own clock. */
  clock?: Clock;
  /** Events kept at most (default 500; `positive`); beyond it the oldest are dropped and counted. */
  maxQueue?: number;
}

interface AppHooks {
  onShow?(options: EnterOptions): void;
  onHide?(): void;
}

interface ShareHooks {
  onShareAppMessage?(event: never): ChatShare | Promise<ChatShare | void> | void;
  onShareTimeline?(): TimelineShare | void;
}

interface PageHooks extends ShareHooks {
  onShow?(): void;
}

/** A page built with `Component`: WeChat calls its share handlers from `methods`, its show from `pageLifetimes`. */
interface ComponentHooks {
  methods?: ShareHooks & Record<string, unknown>;
  pageLifetimes?: { show?(): void };
}

export interface Tracker {
  /** Your App options, with entries and hides recorded. */
  app<T extends AppHooks>(options: T): T & Required<AppHooks>;
  /** Your Page options, with views recorded and shares carrying a fresh `rk_sh`. */
  page<T extends PageHooks>(options: T): T & Required<Pick<PageHooks, 'onShow'>>;
  /** Your Component options of a page, with views recorded (`pageLifetimes.show`) and shares (`methods`) carrying a fresh `rk_sh`. */
  component<T extends ComponentHooks>(options: T): T & { methods: ShareHooks; pageLifetimes: { show(): void } };
  /**
   * Reports a goal the user reached: `name` of letters, digits, `_` and `-` (`order_paid`), `id`
   * the goal's own key (the order number: reported again, here or by your cloud function, it counts
   * once), `value` an integer in fen. Stored at once and sent at once, like a share.
   *
   * @example
   * tracker.goal('order_paid', { id: order.outTradeNo, value: order.totalFee });
   */
  goal(name: string, options: { id: string; value?: number }): void;
  /** Sends what is queued now, rather than when it is due (an entry 50 s after it happened, or at the hide). */
  flush(): void;
  counts(): QueueCounts;
}

/** The tracker must never break the app: its own failures are swallowed. */
function safely(run: () => void): void {
  try {
    run();
  } catch {
    // a tracking failure costs an event, never the user's action
  }
}

export function createTracker(options: TrackerOptions): Tracker {
  // said at once in DevTools, rather than as a destructuring of undefined in minified code
  if (!(options && options.wx)) throw TypeError('rukou-tracker: createTracker({ wx })');
  const { wx } = options;
  const clock = options.clock || systemClock;
  const queue = createQueue(wx, positive(options.maxQueue, 500));
  let prefix: string | undefined;
  safely(() => (prefix = (wx.getStorageSync(PREFIX_KEY) as string) || undefined));
  /** When the app last came to the foreground (undefined while hidden). */
  let shownAt: number | undefined;
  const delivery = createDelivery(
    queue,
    wx,
    clock,
    options,
    (issued) => {
      if (issued !== prefix) safely(() => wx.setStorageSync(PREFIX_KEY, (prefix = issued)));
    },
    () => shownAt === undefined,
  );
  let launched = false;
  /** The enter options of the current visit's entry. */
  let visit: string | undefined;
  let hiddenAt = 0;
  /** The visit's stay before `shownAt`: foreground time, and time in system screens it opened. */
  let stay = 0;
  /** A system screen the app just opened, and whether the app is hidden behind one. */
  let opening: { api: string; at: number } | undefined;
  let paused = false;
  /** The page WeChat shows right after a pause (until then) is no new view. */
  let skipViewUntil = 0;

  const opened = (api: string): void => void (opening = { api, at: clock.now() });
  watchSystemScreens(wx, opened);

  function record(body: EventBody): TrackEvent {
    const event = { id: newId(clock), seq: queue.nextSeq(), at: clock.now(), ...body } as TrackEvent;
    queue.push(event);
    delivery.queued();
    return event;
  }

  function enter(lifecycle: EnterOptions | undefined): void {
    const now = clock.now();
    const current = readEnterOptions(wx, lifecycle);
    const same = current && signature(current) === visit;
    if (launched && same && now - hiddenAt < SESSION_GAP_MS) {
      if (paused) stay += now - hiddenAt;
      shownAt = now;
      skipViewUntil = now + 1000;
      return;
    }
    const cold = !launched;
    launched = true;
    shownAt = now;
    stay = 0;
    if (!current) return;
    visit = signature(current);
    const event = record({ type: 'enter', cold, options: enterPayload(current) });
    if (isGroupEntry(current)) holdForGroup(event, current);
    // without a share prefix (a first launch) ask for one at once: cards shared before it credit no
    // one; a launch sends what earlier processes left at once (they may have been answered, unheard)
    if (!prefix || (cold && queue.counts().queued > 1)) delivery.flush();
  }

  function leave(): void {
    const now = clock.now();
    if (shownAt === undefined) return;
    stay += now - shownAt;
    shownAt = undefined;
    hiddenAt = now;
    const pause = opening && now - opening.at < PAUSE_WINDOW_MS ? opening.api : undefined;
    opening = undefined;
    paused = !!pause;
    record({ type: 'hide', stayMs: stay, ...(pause && { pause }) });
  }

  /** The entry waits (queued, persisted, not sent) until its cloudID arrives or the wait times out. */
  function holdForGroup(event: TrackEvent, current: EnterOptions): void {
    delivery.held.add(event.id);
    let released = false;
    const release = (group?: string): void => {
      if (released) return;
      released = true;
      delivery.held.delete(event.id);
      if (group) queue.update({ ...event, group } as TrackEvent);
      // a first launch asks for its share prefix at once; otherwise the entry is due like any other
      if (prefix) delivery.queued();
      else delivery.flush();
    };
    // the timer calls it with nothing: no group
    const timeout = clock.setTimeout(release, GROUP_INFO_WAIT_MS);
    void groupCloudId(wx, current).then((group) => {
      clock.clearTimeout(timeout);
      release(group);
    });
  }

  /** A fresh share id: the prefix `track` issued to this user, then a random part (without a prefix, the id is recorded for no one). */
  const shareId = (): string => (prefix || '') + newId(clock);

  /**
   * A page's share handler with the share recorded and `rk_sh` added to what it answers; the share
   * panel that follows hides the app: a pause named `api`.
   */
  function sharing<C, A>(own: (this: SharedPage, event: never) => C, make: (content: C, page: SharedPage, shareId: string) => { content: A; record: ShareRecord }, api: string) {
    return function (this: SharedPage, event?: never): C | A {
      const content = own.call(this, event as never);
      let answer: C | A = content;
      safely(() => {
        const shared = make(content, this, shareId());
        opened(api);
        // due at once (the card may be opened within seconds, and the open must find it); the share panel's hide sends it even during a backoff wait
        record({ type: 'share', ...shared.record });
        answer = shared.content;
      });
      return answer;
    };
  }

  /** The page's share handlers, those it has (WeChat offers the share menu item by their presence), wrapped. */
  function shares<T extends ShareHooks>(handlers: T): T {
    const { onShareAppMessage, onShareTimeline } = handlers;
    if (onShareAppMessage) handlers.onShareAppMessage = sharing(onShareAppMessage, shareToChat, 'share');
    if (onShareTimeline) handlers.onShareTimeline = sharing(onShareTimeline, shareToTimeline, 'shareTimeline');
    return handlers;
  }

  /**
   * A page's show with its view recorded first, except the show WeChat makes right after a pause.
   * The path is the page's `route` (Page reference: Page.prototype.route) or, on a page built with
   * `Component` that has none, the Component's own path `is` (the Component reference's instance
   * properties), which for a page is its route.
   */
  const viewing = (own?: () => void) =>
    function (this: SharedPage) {
      safely(() => {
        if (clock.now() < skipViewUntil) skipViewUntil = 0;
        else record({ type: 'page', path: String(this.route || this.is || '') });
      });
      return own && own.call(this);
    };

  return {
    app(given) {
      // none (or null) is no options of your own, as WeChat's App() takes {}
      const appOptions: typeof given = Object(given);
      const { onShow, onHide } = appOptions;
      return {
        ...appOptions,
        onShow(this: unknown, lifecycle: EnterOptions) {
          safely(() => enter(lifecycle));
          return onShow && onShow.call(this, lifecycle);
        },
        onHide(this: unknown) {
          safely(leave);
          return onHide && onHide.call(this);
        },
      };
    },

    page: (pageOptions) => shares({ ...pageOptions, onShow: viewing(Object(pageOptions).onShow) }),

    component(componentOptions) {
      const { pageLifetimes, methods } = Object(componentOptions);
      return {
        ...componentOptions,
        // pageLifetimes merge with those of behaviors, where a method of the same name would hide theirs
        pageLifetimes: { ...pageLifetimes, show: viewing(Object(pageLifetimes).show) },
        methods: shares({ ...methods }),
      };
    },

    // due at once (`./delivery`): the hide that may follow sends it even during a backoff wait
    goal: (name, options) => safely(() => record({ type: 'goal', name, goalId: options.id, value: options.value })),
    flush: () => safely(delivery.flush),
    counts: queue.counts,
  };
}
