import { createHash } from 'node:crypto';
import type { Outcome } from '../functions/runtime';

/**
 * How long WeChat waits for the push's answer before it counts the attempt failed, and how often
 * it tries again: 5 s and three retries (the server-URL rule the message-push guide keeps for
 * cloud functions, README, Platform sources §D.4).
 */
export const PUSH_WAIT_MS = 5_000;
export const PUSH_RETRIES = 3;
/** The function WeChat's message push reaches in a Rukou project (issue 10: "handles what WeChat pushes back" in `callback`). */
export const PUSH_FUNCTION = 'callback';
/**
 * The SOURCE a pushed invocation sees in getWXContext(). The cloud's is not documented; this
 * is the emulator's stand-in, and README says so.
 */
export const PUSH_SOURCE = 'wx_unknown';

/** How one try went: the function's answer, or why WeChat counted it failed. */
export interface PushAttempt {
  at: string;
  outcome: Outcome['kind'] | 'late';
  /** what the function answered, when it answered within PUSH_WAIT_MS */
  answer?: unknown;
  message?: string;
}

/** One push as WeChat sent it, and what became of it. */
export interface PushRecord {
  /** 1, 2, 3 … in the order pushes were made since the emulator started */
  seq: number;
  at: string;
  openid?: string;
  event: Record<string, unknown>;
  /**
   * pending: still being tried; delivered: the function answered 'success'; failed: every try
   * failed; undelivered: the project has no `callback` function, so WeChat had nowhere to push
   */
  status: 'pending' | 'delivered' | 'failed' | 'undelivered';
  attempts: PushAttempt[];
}

/** Runs the push function as WeChat would for `openid` of `appid`; undefined when the project has none. */
export type PushInvoker = ((event: Record<string, unknown>, identity: { openid?: string; appid: string }) => Promise<Outcome>) | undefined;

/** A Mini Program's original id (`gh_` + 12 hex), which WeChat's pushes carry as ToUserName (§D.4); stable per appid. */
export function originalId(appid: string): string {
  return `gh_${createHash('sha256').update(appid).digest('hex').slice(0, 12)}`;
}

/** The envelope every push shares (§D.4): who it is to and from, when, and its type. */
export function pushEnvelope(appid: string, openid: string, now: number, fields: Record<string, unknown>): Record<string, unknown> {
  return { ToUserName: originalId(appid), FromUserName: openid, CreateTime: Math.floor(now / 1000), ...fields };
}

/** `List` as WeChat's JSON has it (§D.4): an object for one item, an array for several. */
export function pushList(items: Record<string, unknown>[]): Record<string, unknown> | Record<string, unknown>[] {
  return items.length === 1 ? items[0] : items;
}

/**
 * WeChat's message push: each push invokes the project's `callback` function with the push JSON as
 * its event, and is tried again when the function does not answer 'success' within 5 s (it
 * throws, times out, answers anything else), up to three times. Pushes go out in the background;
 * the record (bounded, in memory) is what tests wait on.
 */
export class Pushes {
  private records: PushRecord[] = [];
  private seq = 0;
  private closed = false;

  constructor(
    private readonly invoke: PushInvoker,
    private readonly now: () => number,
    private readonly capacity = 1_000,
  ) {}

  /** Sends a push for `openid` of `appid` and answers its record at once; the tries go on after. */
  push(event: Record<string, unknown>, identity: { openid?: string; appid: string }): PushRecord {
    const record: PushRecord = { seq: ++this.seq, at: this.iso(), event, status: this.invoke ? 'pending' : 'undelivered', attempts: [] };
    if (identity.openid) record.openid = identity.openid;
    this.records.push(record);
    if (this.records.length > this.capacity) this.records.splice(0, this.records.length - this.capacity);
    if (this.invoke) void this.deliver(record, this.invoke, identity);
    return record;
  }

  private async deliver(record: PushRecord, invoke: NonNullable<PushInvoker>, identity: { openid?: string; appid: string }): Promise<void> {
    for (let attempt = 0; attempt <= PUSH_RETRIES && !this.closed; attempt++) {
      const tried: PushAttempt = { at: this.iso(), outcome: 'late' };
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), PUSH_WAIT_MS);
      });
      // a late answer is dropped: WeChat has hung up by then, and the function runs on regardless
      const outcome = await Promise.race([invoke(record.event, identity), late]);
      clearTimeout(timer);
      if (!outcome) tried.message = `no answer within ${PUSH_WAIT_MS / 1000} s`;
      else {
        tried.outcome = outcome.kind;
        if (outcome.kind === 'ok') tried.answer = JSON.parse(outcome.response) as unknown;
        else tried.message = outcome.message;
      }
      record.attempts.push(tried);
      if (tried.answer === 'success') {
        record.status = 'delivered';
        return;
      }
    }
    record.status = 'failed';
  }

  list(filter: { openid?: string; status?: string } = {}): PushRecord[] {
    return this.records.filter((r) => (!filter.openid || r.openid === filter.openid) && (!filter.status || r.status === filter.status));
  }

  clear(): number {
    const count = this.records.length;
    this.records = [];
    return count;
  }

  /** No try starts after this: the emulator is stopping. */
  close(): void {
    this.closed = true;
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }
}
