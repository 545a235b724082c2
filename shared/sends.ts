/**
 * What subscription messages and service cards brought back: the counts of one day's sends, per
 * template (messages) or per card rule (cards), as the daily rollup stores them under `messages`
 * and `cards`, and their sums over a range for `admin`. Pure: the pipeline is data, which
 * `server/pipeline.ts` runs.
 *
 * Definitions (the README repeats them for operators):
 * - a send's **day** is the China day of its record's `createdAt`: when the operator's send (or
 *   the card's rule) made it. Every number of a send counts on that day, however late its opens
 *   come (a cohort): `opened / sent` is then a rate of one set of sends;
 * - an **open** of a message (card) is an entry whose `messageId` (`cardId`) is its id, by its own
 *   recipient (the entry's openid is the record's), of a record whose fate is `sent`, with an event
 *   time less than `OPEN_WINDOW_MS` after its `sentAt`. Nothing else is credited with that entry,
 *   and an entry naming an id never sent, or sent to someone else, credits nothing;
 * - a **return within 24 hours** is a sent record opened at least once less than 24 hours after
 *   its `sentAt`;
 * - a **new user** of a send is its recipient when their first day (`users.firstDay`, the day of
 *   their first entry ever) is the day of one of their opens of it, as the rollup's other new users
 *   are the day's new users with an entry under a key.
 *
 * An event time may be a little before `sentAt` (what is left of a phone clock's error): an open
 * has no lower bound, the id in its query proves it followed the send.
 *
 * @example
 * runPipeline(db, sendsPipeline('messages', '2024-05-20'), counter)    // rows per (template, fate)
 * sendStats(rows)        // { "<templateId>": { sent, fates, opened, opens, openRate, returns24h, newUsers } }
 * sumSends(rollups.map((doc) => doc.messages ?? {}))                    // the same over a range
 */
import { escapeKey, unescapeKey } from './keys';
import { ratio, ratioOrNull } from './ratio';
import type { Pipeline } from './rollup';
import { chinaDayEnd, chinaDayStart, DAY_MS, MAX_EVENT_AGE_MS } from './time';

export type SendKind = 'messages' | 'cards';
export const SEND_KINDS: readonly SendKind[] = ['messages', 'cards'];

/** How long after its send an entry through a message or card is its open. */
export const OPEN_WINDOW_MS = 7 * DAY_MS;
export const RETURN_WINDOW_MS = DAY_MS;
/**
 * The days before yesterday whose sends the daily run counts again: the last open of a day's send
 * happens before the end of its 7th day after, and may arrive up to 7 days after it happened
 * (`MAX_EVENT_AGE_MS`); a day's sends are final 14 days after it.
 */
export const SEND_SETTLE_DAYS = (OPEN_WINDOW_MS + MAX_EVENT_AGE_MS) / DAY_MS;
/** Rows one send pipeline answers at most: a row per (key, fate). */
export const MAX_SEND_ROWS = 10_000;
/** Keys a day keeps per kind, the most sent first (like the rollup's other maps). */
export const TOP_SEND_KEYS = 1000;

/** Each kind's record: the collection, its key, and the field of an entry that names it. */
const SOURCES: Record<SendKind, { key: string; entryField: 'messageId' | 'cardId' }> = {
  messages: { key: '$templateId', entryField: 'messageId' },
  cards: { key: '$rule', entryField: 'cardId' },
};

export interface SendCounts {
  /** Records whose fate is `sent`: WeChat took them. */
  sent: number;
  /** Every record of the day by its fate (`sent`, `no-quota`, `refused`, … for messages; `sent`, `refused`, `failed` for cards). */
  fates: Record<string, number>;
  /** Sent records opened at least once. */
  opened: number;
  /** Entries that were opens. */
  opens: number;
  /** opened / sent. */
  openRate: number;
  /** Sent records opened less than 24 hours after they were sent. */
  returns24h: number;
  /** Sent records whose recipient was new on the day of an open of it. */
  newUsers: number;
}

/** One row of `sendsPipeline`: a key's records of one fate. */
export interface SendRow {
  _id: { k?: unknown; f?: unknown };
  records: number;
  opened: number;
  opens: number;
  returns: number;
  newUsers: number;
}

/** A message or card record as `track` reads it to tell an open: its recipient, fate, send time, and its template or rule (`key`). */
export interface SentRecord {
  _id: string;
  openid: string;
  key: string;
  fate: string;
  sentAt?: Date;
}

/**
 * The template (or card rule) of the record an entry by `openid` at `at` opened, by the definition
 * above (its recipient, a record whose fate is `sent`, less than 7 days after `sentAt`), or
 * undefined when the entry is no open. `track` stores it on the entry, so that goals and their
 * conversion rates credit messages by template and cards by rule.
 */
export function openOf(record: SentRecord | undefined, openid: string, at: Date): string | undefined {
  if (!record || record.openid !== openid || record.fate !== 'sent' || record.sentAt === undefined) return undefined;
  return at.getTime() < new Date(record.sentAt).getTime() + OPEN_WINDOW_MS ? record.key : undefined;
}

const isSent = { $eq: ['$fate', 'sent'] };

/**
 * The sends of one day (records created on it) counted per key and fate, each with its opens
 * joined from `events` by the entries' `messageId` or `cardId` (indexed: one index lookup per
 * record) and its recipient's first day from `users` (by `_id`). It groups (key, fate) pairs, a
 * handful, never records: a day of a million sends stays far within the cloud's 100 MB per
 * `$group`. A `$lookup` joins into one record only the entries naming its id, which the tracker
 * never puts on a shared card (`rk_msg` and `rk_card` are stripped from shared paths).
 */
export function sendsPipeline(kind: SendKind, day: string): Pipeline {
  const { key, entryField } = SOURCES[kind];
  const opensOf = (windowMs: number, input: string, also: unknown[] = []): unknown => ({
    $filter: { input, as: 'e', cond: { $and: [...also, { $lt: ['$$e.at', { $add: ['$sentAt', windowMs] }] }] } },
  });
  return {
    collection: kind,
    stages: [
      { $match: { createdAt: { $gte: chinaDayStart(day), $lt: chinaDayEnd(day) } } },
      { $lookup: { from: 'events', localField: '_id', foreignField: entryField, as: 'through' } },
      {
        $project: {
          key,
          fate: 1,
          openid: 1,
          sentAt: 1,
          // only the recipient's entries open a sent record; the others credit nothing
          opens: opensOf(OPEN_WINDOW_MS, '$through', [isSent, { $eq: ['$$e.type', 'enter'] }, { $eq: ['$$e.openid', '$openid'] }]),
        },
      },
      { $lookup: { from: 'users', localField: 'openid', foreignField: '_id', as: 'user' } },
      {
        $project: {
          key: 1,
          fate: 1,
          opens: { $size: '$opens' },
          returned: { $cond: [{ $gt: [{ $size: opensOf(RETURN_WINDOW_MS, '$opens') }, 0] }, 1, 0] },
          isNew: { $cond: [{ $in: [{ $ifNull: [{ $arrayElemAt: ['$user.firstDay', 0] }, null] }, '$opens.day'] }, 1, 0] },
        },
      },
      {
        $group: {
          _id: { k: '$key', f: '$fate' },
          records: { $sum: 1 },
          opened: { $sum: { $cond: [{ $gt: ['$opens', 0] }, 1, 0] } },
          opens: { $sum: '$opens' },
          returns: { $sum: '$returned' },
          newUsers: { $sum: '$isNew' },
        },
      },
      { $limit: MAX_SEND_ROWS },
    ],
  };
}

const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

const emptyCounts = (): Omit<SendCounts, 'fates'> & { fates: Map<string, number> } => ({ sent: 0, fates: new Map(), opened: 0, opens: 0, openRate: 0, returns24h: 0, newUsers: 0 });

type Summing = ReturnType<typeof emptyCounts>;

/** A sum as a document holds it: fates an object, the open rate computed (0 without a send: a document stays plain numbers). */
const done = (sum: Summing): SendCounts => ({ ...sum, fates: Object.fromEntries([...sum.fates.entries()].sort()), openRate: ratio(sum.opened, sum.sent) });

/** A range's counts as `admin` answers them: an open rate without a send is not known, not 0. */
export type RangeSendCounts = Omit<SendCounts, 'openRate'> & { openRate: number | null };

const doneOverRange = (sum: Summing): RangeSendCounts => ({ ...done(sum), openRate: ratioOrNull(sum.opened, sum.sent) });

/** The most sent first (ties by key). */
function finish<T>(sums: Map<string, Summing>, limit: number, counts: (sum: Summing) => T): Record<string, T> {
  return Object.fromEntries(
    [...sums.entries()]
      .sort(([ka, a], [kb, b]) => b.sent - a.sent || (ka < kb ? -1 : ka > kb ? 1 : 0))
      .slice(0, limit)
      .map(([key, sum]) => [key, counts(sum)]),
  );
}

/**
 * A day's rows as a map of key → counts: keys escaped (`shared/keys.ts`) as field names must be,
 * which `admin` undoes; the `TOP_SEND_KEYS` most sent kept. Summed in Maps: a key or a fate such
 * as "constructor" is a count like any other.
 */
export function sendStats(rows: readonly SendRow[]): Record<string, SendCounts> {
  const sums = new Map<string, Summing>();
  for (const row of rows) {
    const key = escapeKey(String(row._id?.k ?? ''));
    const fate = String(row._id?.f ?? '');
    const sum = sums.get(key) ?? emptyCounts();
    sum.fates.set(fate, (sum.fates.get(fate) ?? 0) + num(row.records));
    if (fate === 'sent') sum.sent += num(row.records);
    sum.opened += num(row.opened);
    sum.opens += num(row.opens);
    sum.returns24h += num(row.returns);
    sum.newUsers += num(row.newUsers);
    sums.set(key, sum);
  }
  return finish(sums, TOP_SEND_KEYS, done);
}

/** Adds one day's counts of a key to a sum. */
function add(sum: Summing, counts: Omit<SendCounts, 'openRate'>): Summing {
  for (const [fate, n] of Object.entries(counts.fates)) sum.fates.set(fate, (sum.fates.get(fate) ?? 0) + n);
  sum.sent += counts.sent;
  sum.opened += counts.opened;
  sum.opens += counts.opens;
  sum.returns24h += counts.returns24h;
  sum.newUsers += counts.newUsers;
  return sum;
}

/** A range's counts, from its days' maps (escaped keys), keys as they were sent. Every send is on one day: the sums are exact. */
export function sumSends(days: readonly Record<string, SendCounts>[]): Record<string, RangeSendCounts> {
  const sums = new Map<string, Summing>();
  for (const map of days) for (const [escaped, counts] of Object.entries(map)) sums.set(unescapeKey(escaped), add(sums.get(unescapeKey(escaped)) ?? emptyCounts(), counts));
  return finish(sums, Infinity, doneOverRange);
}

/** Every key of a range together. */
export function totalOfSends(map: Record<string, RangeSendCounts>): RangeSendCounts {
  return doneOverRange(Object.values(map).reduce(add, emptyCounts()));
}
