import type { TrackEvent } from './events';
import type { TrackerWx } from './host';

/** The outbox's index: the per-install sequence, the loss counters and the ids of the latest loss. */
export const STORAGE_KEY = 'rukou:tracker';
/**
 * The events themselves live under SLOTS more keys (`rukou:tracker0` …), each kept to SLOT_CHARS
 * characters of JSON: 1 MB in all of the 10 MB WeChat gives a Mini Program per user, which the app
 * shares, and far under its 1 MB per key (Platform sources §G.2). An enqueue rewrites one slot, never
 * the whole outbox.
 */
export const SLOTS = 16;
export const SLOT_CHARS = 65_536;

export interface QueueCounts {
  /** Events waiting to be acknowledged. */
  queued: number;
  /** Oldest events dropped to make room (the outbox's capacity or its storage budget). */
  dropped: number;
  /** Events the server refused: they would be refused forever, so they are not kept. */
  rejected: number;
}

export interface Queue {
  /**
   * The ids of the batch being sent. They are never dropped to make room (the outbox may hold a
   * batch more until it is answered), so that no event is both counted as lost and stored.
   */
  sending: Set<unknown>;
  /** The first sequence number of this launch: events below it were recorded by an earlier one. */
  firstSeq: number;
  nextSeq(): number;
  counts(): QueueCounts;
  push(event: TrackEvent): void;
  /** Replaces a queued event (an entry that got its group cloudID after it was queued). */
  update(event: TrackEvent): void;
  /**
   * The oldest events from sequence number `from` on, up to the first one still held back in this
   * process: what came after an entry waiting for its group (a share) must not overtake it.
   */
  peek(limit: number, held: ReadonlySet<string>, from?: number): TrackEvent[];
  /** Forgets acknowledged events and counts the refused ones. */
  settle(done: ReadonlySet<unknown>, rejected: ReadonlySet<unknown>): void;
}

/**
 * The outbox, written to storage on every change so that a kill loses nothing that was enqueued;
 * the next launch sends it again (the server dedupes by event id). A loss is written in two
 * steps that a kill may split: first the index, with the counters and the ids lost, then the
 * slots without those events; whatever a slot still holds of the ids in the index is forgotten
 * when it is read back, so an event is never both counted and sent. Storage that refuses a write
 * costs nothing but durability: the events stay in memory, are sent, and are written with the
 * next change. Closures rather than a class: their names minify, and the tracker's size is a budget.
 */
export function createQueue(wx: TrackerWx, capacity: number): Queue {
  const read = (key: string): unknown => {
    try {
      return wx.getStorageSync(key);
    } catch {
      // unreadable storage: start afresh rather than not track at all
    }
  };
  const write = (key: string, data: unknown): void => {
    try {
      wx.setStorageSync(key, data);
    } catch {
      // storage full or refused: kept in memory, written with the next change
    }
  };
  const index = Object(read(STORAGE_KEY));
  const gone: unknown[] = Array.isArray(index.gone) ? index.gone : [];
  let seq = index.seq | 0;
  let dropped = index.dropped | 0;
  let rejected = index.rejected | 0;
  const slots: TrackEvent[][] = [];
  /** Each slot's length as JSON, kept so that finding room costs no serialising. */
  const lengths: number[] = [];
  const measure = (k: number): number => (lengths[k] = JSON.stringify(slots[k]).length);
  const sending = new Set<unknown>();
  for (let k = 0; k < SLOTS; k++) {
    const saved = read(STORAGE_KEY + k);
    slots[k] = Array.isArray(saved) ? saved.filter((event) => event && event.id && !gone.includes(event.id)) : [];
    measure(k);
    for (const event of slots[k]) seq = Math.max(seq, (event.seq | 0) + 1);
  }

  const all = (): TrackEvent[] => ([] as TrackEvent[]).concat(...slots).sort((a, b) => (a.seq | 0) - (b.seq | 0));
  const save = (k: number): void => {
    measure(k);
    write(STORAGE_KEY + k, slots[k]);
  };
  /** The index goes first: it names the events being removed, so a kill before the slots are written loses no count. */
  const lose = (ids: string[], changed: Set<number>): void => {
    write(STORAGE_KEY, { seq, dropped, rejected, gone: ids });
    changed.forEach(save);
  };

  return {
    sending,
    firstSeq: seq,
    nextSeq: () => seq++,
    counts: () => ({ queued: all().length, dropped, rejected }),
    push(event) {
      const length = JSON.stringify(event).length + 1;
      const lost: string[] = [];
      const changed = new Set<number>();
      let room: number;
      for (;;) {
        room = lengths.findIndex((used) => used + length <= SLOT_CHARS);
        const [oldest, ...others] = all().filter((event) => !sending.has(event.id));
        if (!oldest || (room >= 0 && others.length + 1 < capacity)) break;
        const k = slots.findIndex((slot) => slot.includes(oldest));
        slots[k].splice(slots[k].indexOf(oldest), 1);
        measure(k);
        changed.add(k);
        lost.push(oldest.id);
      }
      if (lost.length) {
        dropped += lost.length;
        lose(lost, changed);
      }
      // what cannot make room (a batch in flight, or an event bigger than a slot) still goes somewhere
      room = Math.max(room, 0);
      slots[room].push(event);
      save(room);
    },
    update(event) {
      slots.forEach((slot, k) => {
        const at = slot.findIndex((queued) => queued.id === event.id);
        if (at >= 0) {
          slot[at] = event;
          save(k);
        }
      });
    },
    peek(limit, held, from = 0) {
      const after = all().filter((event) => !(event.seq < from));
      const stop = after.findIndex((event) => held.has(event.id));
      return after.slice(0, stop < 0 ? limit : Math.min(stop, limit));
    },
    settle(done, refused) {
      const lost: string[] = [];
      const changed = new Set<number>();
      slots.forEach((slot, k) => {
        slots[k] = slot.filter((event) => {
          if (refused.has(event.id) && !done.has(event.id)) lost.push(event.id);
          return !done.has(event.id) && !refused.has(event.id);
        });
        if (slots[k].length < slot.length) changed.add(k);
      });
      rejected += lost.length;
      // written even without a loss: the index carries the sequence on once its last events are gone
      lose(lost, changed);
    },
  };
}
