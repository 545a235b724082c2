/**
 * Rukou's Mini Program tracker: every cold and hot entry, page views, hides with their stay time
 * and shares, sent to the `track` cloud function in batches through a queue that survives kills.
 * It wraps the App and Page options you already have instead of patching `App`/`Page` globally,
 * and nothing it does can make your handlers fail.
 *
 * @example
 * // app.ts
 * import { createTracker } from './tracker/index';
 * export const tracker = createTracker({ wx });
 * App(tracker.app({ onLaunch() { wx.cloud.init({ traceUser: false }); } }));
 *
 * // pages/detail/detail.ts
 * Page(tracker.page({
 *   onShareAppMessage() { return { title: 'Look at this', path: '/pages/detail/detail?id=7' }; },
 * }));
 * // the card's path becomes /pages/detail/detail?id=7&rk_sh=<fresh share id>
 */
import { createDelivery, type DeliveryOptions } from './delivery';
import { enterPayload, groupCloudId, isGroupEntry, readEnterOptions } from './entry';
import { newId, type EventBody, type TrackEvent } from './events';
import { systemClock, type Clock, type EnterOptions, type TrackerWx } from './host';
import { createQueue, type QueueCounts } from './queue';
import { shareToChat, shareToTimeline, type ChatShare, type ShareRecord, type SharedPage, type TimelineShare } from './share';

export type { EnterOptions, TrackerWx, Clock } from './host';
export type { TrackEvent } from './events';
export type { QueueCounts } from './queue';
export type { ChatShare, TimelineShare } from './share';

export interface TrackerOptions extends Partial<DeliveryOptions> {
  wx: TrackerWx;
  clock?: Clock;
  /** Events kept at most; beyond it the oldest are dropped and counted. */
  maxQueue?: number;
  /** How long an entry waits for its group cloudID before it is sent without one. */
  groupInfoTimeoutMs?: number;
}

interface AppHooks {
  onShow?(options: EnterOptions): void;
  onHide?(): void;
}

interface PageHooks {
  onShow?(): void;
  onShareAppMessage?(event: never): ChatShare | Promise<ChatShare | void> | void;
  onShareTimeline?(): TimelineShare | void;
}

export interface Tracker {
  /** Your App options, with entries and hides recorded. */
  app<T extends AppHooks>(options: T): T & Required<AppHooks>;
  /** Your Page options, with views recorded and shares carrying a fresh `rk_sh`. */
  page<T extends PageHooks>(options: T): T & Required<Pick<PageHooks, 'onShow'>>;
  /** Send what is queued now. */
  flush(): void;
  counts(): QueueCounts;
}

const DELIVERY_DEFAULTS: DeliveryOptions = {
  functionName: 'track',
  batchSize: 20,
  flushDelayMs: 5000,
  retryBaseMs: 2000,
  retryMaxMs: 300_000,
  requestTimeoutMs: 15_000,
};

/** The tracker must never break the app: its own failures are swallowed. */
function safely(run: () => void): void {
  try {
    run();
  } catch {
    // a tracking failure costs an event, never the user's action
  }
}

export function createTracker(options: TrackerOptions): Tracker {
  const { wx } = options;
  const clock = options.clock || systemClock;
  const queue = createQueue(wx, options.maxQueue || 500);
  const delivery = createDelivery(queue, wx, clock, { ...DELIVERY_DEFAULTS, ...options });
  const groupInfoTimeoutMs = options.groupInfoTimeoutMs ?? 5000;
  let shownAt: number | undefined;
  let launched = false;

  function record(body: EventBody): TrackEvent {
    const event = { id: newId(clock), seq: queue.nextSeq(), at: clock.now(), ...body } as TrackEvent;
    queue.push(event);
    return event;
  }

  function enter(lifecycle: EnterOptions | undefined): void {
    const cold = !launched;
    launched = true;
    shownAt = clock.now();
    const current = readEnterOptions(wx, lifecycle);
    if (!current) return;
    const event = record({ type: 'enter', cold, options: enterPayload(current) });
    if (isGroupEntry(current)) holdForGroup(event, current);
    if (cold && queue.size() > 1) delivery.flush();
    else delivery.queued();
  }

  /** The entry waits (queued, persisted, not sent) until its cloudID arrives or the wait times out. */
  function holdForGroup(event: TrackEvent, current: EnterOptions): void {
    delivery.held.add(event.id);
    let released = false;
    const release = (group: string | undefined): void => {
      if (released) return;
      released = true;
      delivery.held.delete(event.id);
      if (group && event.type === 'enter') queue.update({ ...event, group });
      delivery.queued();
    };
    const timeout = clock.setTimeout(() => release(undefined), groupInfoTimeoutMs);
    void groupCloudId(wx, current).then((group) => {
      clock.clearTimeout(timeout);
      release(group);
    });
  }

  function share(record_: ShareRecord): void {
    record({ type: 'share', ...record_ });
    // the recipient may open the card within seconds: the share must be on the server first
    delivery.flush();
  }

  return {
    app(appOptions) {
      const { onShow, onHide } = appOptions;
      return {
        ...appOptions,
        onShow(this: unknown, lifecycle: EnterOptions) {
          safely(() => enter(lifecycle));
          return onShow?.call(this, lifecycle);
        },
        onHide(this: unknown) {
          safely(() => {
            if (shownAt !== undefined) record({ type: 'hide', stayMs: Math.max(0, Math.round(clock.now() - shownAt)) });
            shownAt = undefined;
            delivery.flush();
          });
          return onHide?.call(this);
        },
      };
    },

    page(pageOptions) {
      const { onShow, onShareAppMessage, onShareTimeline } = pageOptions;
      const wrapped = {
        ...pageOptions,
        onShow(this: SharedPage) {
          safely(() => {
            record({ type: 'page', path: String(this.route ?? '') });
            delivery.queued();
          });
          return onShow?.call(this);
        },
      };
      if (onShareAppMessage) {
        wrapped.onShareAppMessage = function (this: SharedPage, event: never) {
          const own = onShareAppMessage.call(this, event) ?? undefined;
          let answer: ChatShare | Promise<ChatShare | void> | undefined = own;
          safely(() => {
            const shared = shareToChat(own, this, newId(clock));
            share(shared.record);
            answer = shared.content;
          });
          return answer;
        };
      }
      if (onShareTimeline) {
        wrapped.onShareTimeline = function (this: SharedPage) {
          const own = onShareTimeline.call(this) ?? undefined;
          let answer: TimelineShare | undefined = own;
          safely(() => {
            const shared = shareToTimeline(own, this, newId(clock));
            share(shared.record);
            answer = shared.content;
          });
          return answer;
        };
      }
      return wrapped;
    },

    flush: () => safely(() => delivery.flush()),
    counts: () => queue.counts(),
  };
}
