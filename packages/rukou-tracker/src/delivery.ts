import { BATCH_EVENTS, positive, type TrackEvent } from './events';
import { callCloud, type Clock, type CloudOptions, type TrackerWx } from './host';
import type { Queue } from './queue';

/** Each a whole number of ms above 0, else its default (`positive`): 2 s, 5 min, 15 s. */
export interface DeliveryOptions {
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** A call that has not answered by then counts as failed (the server dedupes a late success). */
  requestTimeoutMs?: number;
}

export interface Delivery {
  /** Events not to send yet (an entry waiting for its group cloudID); in memory only, so a restart sends them as they are. */
  held: Set<string>;
  /** Called after every enqueue: sends when a batch is full or a waiting event is due (`dueAt`), else sets the timer for the first one due. */
  queued(): void;
  /** Send now (a first launch's entry, what earlier processes left), even during a backoff wait. */
  flush(): void;
}

/** The caller has no WeChat user (a Moments snapshot's single-page mode): true of the whole process. */
const NO_IDENTITY = 'NO_IDENTITY';
/** Whole-batch refusals that no retry can cure: the events are dropped and counted as rejected. */
const FINAL_REFUSALS = ['INVALID_INPUT', 'LIMIT_EXCEEDED', NO_IDENTITY];

/** What a share prefix is (the server's SHARE_PREFIX_LENGTH base64url characters, kept equal by a test): it goes into cards' paths as it is. */
export const SHARE_PREFIX = /^[\w-]{12}$/;

/** How long an entry may wait to be sent: the operator's `today` counts entries and is to be at most a minute behind, the call's own time included. */
export const ENTRY_DELAY_MS = 50_000;

/**
 * When an event must be on its way: a share at once (its card may be opened within seconds, and
 * the open must find the share recorded); a goal at once (the app may be killed or left for days
 * after a payment, and the operator's function may report the same goal meanwhile: the sooner the
 * visit's entry is stored with it, the surer its credit); the hide that ends a visit at once too, since WeChat
 * suspends the app 5 s later and may destroy it, and whatever waits goes with it, stay time and
 * page views included; an entry within `delay`; a page view, or the hide of a pause (a system
 * screen the app opened, from which the user comes back), never on its own: it rides along.
 */
const dueAt = (event: TrackEvent, delay: number): number => event.at + (event.type === 'page' || 'pause' in event ? Infinity : event.type === 'enter' ? delay : 0);

type Outcome = { done: Set<unknown>; rejected: Set<unknown>; code: unknown } | undefined;

/**
 * What an answer settles, whatever its shape (`Object()` turns null and primitives into objects
 * without fields, and nothing is converted to a string): the events it lists as accepted or
 * duplicates are done; those it rejects, or the whole batch on a final refusal, are dropped unless
 * also done. An answer that names none of the batch's events is a failure, and is retried.
 */
function readAnswer(result: unknown, sent: TrackEvent[], firstSeq: number): Outcome {
  const answer = Object(result) as Record<string, unknown>;
  const code = Object(answer.error).code;
  const list = (key: string): unknown[] => (Array.isArray(answer[key]) ? (answer[key] as unknown[]) : []);
  const done = new Set([...list('accepted'), ...list('duplicates')]);
  // no identity is this process's lot: what earlier launches recorded waits for one that has it
  const refused = code === NO_IDENTITY ? sent.filter((event) => event.seq >= firstSeq) : FINAL_REFUSALS.includes(code) ? sent : undefined;
  const rejected = new Set(refused ? refused.map((event) => event.id) : list('rejected').map((rejection) => Object(rejection).id));
  return sent.some((event) => done.has(event.id) || rejected.has(event.id)) ? { done, rejected, code } : undefined;
}

/**
 * Sends the queue to `track` (or the function `options` name, in their environment): one call at a
 * time, batched, retried with exponential backoff and jitter. Nothing here waits on the caller;
 * every send is a promise the UI never sees. Each answer
 * may carry the user's share prefix (the server's), handed to `onSharePrefix`. While `hidden()`,
 * the app is in the background, where WeChat suspends it 5 s later until it is shown again (its
 * timers stop): whatever is due at all is sent at once, even during a backoff wait; page views and
 * the hides of pauses alone wait, in storage, for the next send.
 */
export function createDelivery(queue: Queue, wx: TrackerWx, clock: Clock, options: DeliveryOptions & CloudOptions, onSharePrefix: (prefix: string) => void, hidden: () => boolean): Delivery {
  const held = new Set<string>();
  /** The call in flight is `queue.sending`: its ids, until it is answered. */
  const sending = queue.sending;
  let timer: unknown;
  let deadline: unknown;
  let again = false;
  let failures = 0;
  /** Set once track answered NO_IDENTITY: no call from this process can succeed, so none is made. */
  let silent = false;

  const wait = (ms: number): void => {
    clock.clearTimeout(timer);
    timer = clock.setTimeout(flush, ms);
  };
  /** Sends when a batch is full or an event is due (anything, once silent: it is counted at once), else sets the timer for the first one due. */
  const schedule = (): void => {
    const waiting = queue.peek(BATCH_EVENTS, held);
    const delay = hidden() ? 0 : ENTRY_DELAY_MS;
    // what is on its way is not due again: a pause's hide behind a share in flight would go alone after it
    const due = Math.min(...waiting.filter((event) => !sending.has(event.id)).map((event) => dueAt(event, delay))) - clock.now();
    if (silent || waiting.length === BATCH_EVENTS || due <= 0) flush();
    else if (due < Infinity) wait(due);
  };

  function answered(outcome: Outcome): void {
    clock.clearTimeout(deadline);
    sending.clear();
    if (!outcome) {
      failures++;
      const ceiling = Math.min(positive(options.retryMaxMs, 300_000), positive(options.retryBaseMs, 2000) * 2 ** (failures - 1));
      // "equal jitter": never sooner than half the step, so a fleet coming back online spreads out
      wait(ceiling / 2 + clock.random() * (ceiling / 2));
      return;
    }
    failures = 0;
    silent ||= outcome.code === NO_IDENTITY;
    queue.settle(outcome.done, outcome.rejected);
    if (again) flush();
    else schedule();
  }

  function flush(): void {
    clock.clearTimeout(timer);
    if (sending.size) {
      again = true;
      return;
    }
    // a process without identity leaves what earlier launches recorded to a later one
    const batch = queue.peek(BATCH_EVENTS, held, silent ? queue.firstSeq : 0);
    if (!batch.length) return;
    // what a process without identity records is counted at once, as the server would refuse it
    if (silent) return answered(readAnswer({ error: { code: NO_IDENTITY } }, batch, queue.firstSeq));
    again = false;
    for (const event of batch) sending.add(event.id);
    // a call that throws, fails, times out or answers what cannot be read: all the same, retried later
    new Promise((resolve, reject) => {
      deadline = clock.setTimeout(reject, positive(options.requestTimeoutMs, 15_000));
      // sentAt lets the server correct this phone's clock, which may be off by hours
      callCloud(wx, options, 'track', { v: 1, sentAt: clock.now(), events: batch }).then((response) => resolve(Object(response).result), reject);
    })
      .then((result) => {
        const prefix = Object(result).sharePrefix;
        // test() reads whatever it is given as text (["a…"] too): only a string may pass
        if (SHARE_PREFIX.test(prefix) && prefix === '' + prefix) onSharePrefix(prefix);
        return readAnswer(result, batch, queue.firstSeq);
      })
      .then(answered, () => answered(undefined));
  }

  return {
    held,
    queued() {
      if (hidden() || !(sending.size || failures)) schedule();
    },
    flush,
  };
}
