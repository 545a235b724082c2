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

/** Whole-batch refusals that no retry can cure: the events are dropped and counted as rejected. */
const FINAL_REFUSALS = ['INVALID_INPUT', 'LIMIT_EXCEEDED'];

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
 * jitter. Nothing here waits on the caller; every send is a promise the UI never sees.
 */
export class Delivery {
  /** Events not to send yet (an entry waiting for its group cloudID); in memory only, so a restart sends them as they are. */
  readonly held = new Set<string>();
  private timer: unknown;
  private inFlight = false;
  private again = false;
  private failures = 0;

  constructor(
    private readonly queue: Queue,
    private readonly wx: TrackerWx,
    private readonly clock: Clock,
    private readonly options: DeliveryOptions,
  ) {}

  /** Called after every enqueue: send when a batch is full, else within the flush delay. */
  queued(): void {
    if (this.inFlight || this.failures > 0) return;
    if (this.queue.peek(this.options.batchSize, this.held).length >= this.options.batchSize) this.flush();
    else if (this.timer === undefined) this.wait(this.options.flushDelayMs);
  }

  /** Send now (app hide, a share, a replay), even during a backoff wait. */
  flush(): void {
    this.cancel();
    if (this.inFlight) {
      this.again = true;
      return;
    }
    const batch = this.queue.peek(this.options.maxBatch, this.held);
    if (batch.length === 0) return;
    this.inFlight = true;
    this.again = false;
    this.send(batch).then(
      (result) => this.answered(readAnswer(result, batch)),
      () => this.answered(undefined),
    );
  }

  private send(batch: TrackEvent[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timeout = this.clock.setTimeout(() => reject(new Error('track timed out')), this.options.requestTimeoutMs);
      const settle = (done: () => void): void => {
        this.clock.clearTimeout(timeout);
        done();
      };
      try {
        this.wx.cloud.callFunction({ name: this.options.functionName, data: { v: 1, events: batch } }).then(
          (response) => settle(() => resolve(response?.result)),
          (error: unknown) => settle(() => reject(error)),
        );
      } catch (error) {
        settle(() => reject(error));
      }
    });
  }

  private answered(outcome: Outcome): void {
    this.inFlight = false;
    if (!outcome) {
      this.failures++;
      const ceiling = Math.min(this.options.retryMaxMs, this.options.retryBaseMs * 2 ** (this.failures - 1));
      // "equal jitter": never sooner than half the step, so a fleet coming back online spreads out
      this.wait(ceiling / 2 + this.clock.random() * (ceiling / 2));
      return;
    }
    this.failures = 0;
    this.queue.settle(outcome.done, outcome.rejected);
    const waiting = this.queue.peek(this.options.batchSize, this.held).length;
    if (this.again || waiting >= this.options.batchSize) this.flush();
    else if (waiting > 0) this.wait(this.options.flushDelayMs);
  }

  private wait(ms: number): void {
    this.cancel();
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, ms);
  }

  private cancel(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
