import type { TrackAnswer, TrackEvent } from './events';
import type { Clock, TrackerWx } from './host';
import type { Queue } from './queue';

export interface DeliveryOptions {
  functionName: string;
  /** Send as soon as this many events wait. */
  batchSize: number;
  /** Otherwise send this long after the first waiting event. */
  flushDelayMs: number;
  /** Events per call: the `track` function takes at most 50. */
  maxBatch: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** A call that has not answered by then counts as failed (the server dedupes a late success). */
  requestTimeoutMs: number;
}

export interface Delivery {
  /** Events not to send yet (an entry waiting for its group cloudID); in memory only, so a restart sends them as they are. */
  held: Set<string>;
  /** Called after every enqueue: send when a batch is full, else within the flush delay. */
  queued(): void;
  /** Send now (app hide, a share, a replay), even during a backoff wait. */
  flush(): void;
}

/** Whole-batch refusals that no retry can cure: the events are dropped and counted as rejected. */
const FINAL_REFUSALS = ['INVALID_INPUT', 'LIMIT_EXCEEDED'];

const SHARE_PREFIX = /^[\w-]{1,24}$/;

type Outcome = { done: Set<string>; rejected: Set<string> } | undefined;

function readAnswer(result: unknown, sent: TrackEvent[]): Outcome {
  if (!result || typeof result !== 'object') return undefined;
  const refusal = (result as { error?: { code?: string } }).error;
  if (refusal) return FINAL_REFUSALS.includes(String(refusal.code)) ? { done: new Set(), rejected: new Set(sent.map((event) => event.id)) } : undefined;
  const answer = result as Partial<TrackAnswer>;
  if (!Array.isArray(answer.accepted) || !Array.isArray(answer.duplicates) || !Array.isArray(answer.rejected)) return undefined;
  const done = new Set([...answer.accepted, ...answer.duplicates]);
  const rejected = new Set(answer.rejected.map((rejection) => String(rejection.id)));
  return sent.some((event) => done.has(event.id) || rejected.has(event.id)) ? { done, rejected } : undefined;
}

/**
 * Sends the queue to `track`: one call at a time, batched, retried with exponential backoff and
 * jitter. Nothing here waits on the caller; every send is a promise the UI never sees. Each answer
 * may carry the user's share prefix (the server's), handed to `onSharePrefix`.
 */
export function createDelivery(queue: Queue, wx: TrackerWx, clock: Clock, options: DeliveryOptions, onSharePrefix: (prefix: string) => void): Delivery {
  const held = new Set<string>();
  let timer: unknown;
  let inFlight = false;
  let again = false;
  let failures = 0;

  const cancel = (): void => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
  };
  const wait = (ms: number): void => {
    cancel();
    timer = clock.setTimeout(() => {
      timer = undefined;
      flush();
    }, ms);
  };
  const waiting = (): number => queue.peek(options.batchSize, held).length;

  function send(batch: TrackEvent[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timeout = clock.setTimeout(() => reject(new Error('track timed out')), options.requestTimeoutMs);
      const settle = (done: () => void): void => {
        clock.clearTimeout(timeout);
        done();
      };
      try {
        // sentAt lets the server correct this phone's clock, which may be off by hours
        wx.cloud.callFunction({ name: options.functionName, data: { v: 1, sentAt: clock.now(), events: batch } }).then(
          (response) => settle(() => resolve(response?.result)),
          (error: unknown) => settle(() => reject(error)),
        );
      } catch (error) {
        settle(() => reject(error));
      }
    });
  }

  function answered(outcome: Outcome): void {
    inFlight = false;
    if (!outcome) {
      failures++;
      const ceiling = Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** (failures - 1));
      // "equal jitter": never sooner than half the step, so a fleet coming back online spreads out
      wait(ceiling / 2 + clock.random() * (ceiling / 2));
      return;
    }
    failures = 0;
    queue.settle(outcome.done, outcome.rejected);
    if (again || waiting() >= options.batchSize) flush();
    else if (waiting() > 0) wait(options.flushDelayMs);
  }

  function flush(): void {
    cancel();
    if (inFlight) {
      again = true;
      return;
    }
    const batch = queue.peek(options.maxBatch, held);
    if (batch.length === 0) return;
    inFlight = true;
    again = false;
    send(batch).then(
      (result) => {
        const prefix = (result as { sharePrefix?: unknown } | undefined)?.sharePrefix;
        if (typeof prefix === 'string' && SHARE_PREFIX.test(prefix)) onSharePrefix(prefix);
        answered(readAnswer(result, batch));
      },
      () => answered(undefined),
    );
  }

  return {
    held,
    queued() {
      if (inFlight || failures > 0) return;
      if (waiting() >= options.batchSize) flush();
      else if (timer === undefined) wait(options.flushDelayMs);
    },
    flush,
  };
}
