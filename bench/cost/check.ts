/**
 * The bench's check that the day lost nothing and counted nothing twice: every event the phones
 * made is stored exactly once in `events`, under the tracker's id, and nothing is left on a phone.
 * The phones' own accounts say what was made: a tracker numbers its events 0, 1, 2 … (`seq`) and
 * keeps every one until an answer settles it, so a phone whose outbox ends empty, with nothing
 * dropped or refused, sent every event it made at least once.
 */
import type cloud from 'wx-server-sdk';
import type { PlayedPhone } from './play';

export interface DeliveryCheck {
  /** Events the phones made. */
  made: number;
  /** Of those, stored once. */
  stored: number;
  /** Made but not stored (sent or not). */
  missing: number;
  /** Stored copies beyond the first of an event. */
  twice: number;
  /** Stored events no phone sent under that user. */
  strangers: number;
  /** Still queued, dropped or refused on the phones. */
  leftOnPhones: number;
  ok: boolean;
}

type Database = ReturnType<typeof cloud.database>;
/** What the checks read of a stored event. */
export interface Stored {
  _id: string;
  openid: string;
  eventId: string;
  type: string;
  /** Its China day, which its user-day is of. */
  day: string;
  at: Date;
  serverAt: Date;
}

/** Every document of `collection` with the `fields` asked (and `_id`), a page of 1,000 at a time, in `_id` order. */
export async function readAll<T extends { _id: string }>(db: Database, collection: string, fields: (keyof T & string)[]): Promise<T[]> {
  const _ = db.command;
  const all: T[] = [];
  for (let last = ''; ; ) {
    const page = (await db.collection(collection).where({ _id: _.gt(last) }).orderBy('_id', 'asc').field(Object.fromEntries(fields.map((field) => [field, true]))).limit(1000).get()) as unknown as { data: T[] };
    all.push(...page.data);
    if (page.data.length < 1000) return all;
    last = page.data[page.data.length - 1]._id;
  }
}

/** Every stored event's user, client id, type, day and times. */
export const storedEvents = (db: Database): Promise<Stored[]> => readAll<Stored>(db, 'events', ['openid', 'eventId', 'type', 'day', 'at', 'serverAt']);

export function checkDelivery(stored: readonly Stored[], phones: PlayedPhone[]): DeliveryCheck {
  const byUser = new Map<string, Map<string, number>>();
  for (const { openid, eventId } of stored) {
    const copies = byUser.get(openid) ?? new Map<string, number>();
    copies.set(eventId, (copies.get(eventId) ?? 0) + 1);
    byUser.set(openid, copies);
  }
  const check: DeliveryCheck = { made: 0, stored: 0, missing: 0, twice: 0, strangers: 0, leftOnPhones: 0, ok: false };
  for (const { openid, phone, counts } of phones) {
    const idOfSeq = new Map(phone.sentEvents().map((event) => [Number(event.seq), String(event.id)]));
    const made = idOfSeq.size === 0 ? 0 : Math.max(...idOfSeq.keys()) + 1;
    const copies = byUser.get(openid) ?? new Map<string, number>();
    const sent = new Set(idOfSeq.values());
    for (let seq = 0; seq < made; seq++) {
      const id = idOfSeq.get(seq);
      if (id !== undefined && copies.has(id)) check.stored++;
      else check.missing++;
    }
    for (const [id, count] of copies) {
      check.twice += count - 1;
      if (!sent.has(id)) check.strangers++;
    }
    check.made += made;
    check.leftOnPhones += counts.queued + counts.dropped + counts.rejected;
  }
  check.ok = check.missing === 0 && check.twice === 0 && check.strangers === 0 && check.leftOnPhones === 0 && check.stored === check.made;
  return check;
}
