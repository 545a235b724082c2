import type { TrackEvent } from './events';
import type { TrackerWx } from './host';

export const STORAGE_KEY = 'rukou:tracker';

/** What survives a kill: the unsent events, the per-install sequence and the loss counters. */
interface Saved {
  seq: number;
  events: TrackEvent[];
  dropped: number;
  rejected: number;
}

export interface QueueCounts {
  /** Events waiting to be acknowledged. */
  queued: number;
  /** Oldest events dropped because the queue was full. */
  dropped: number;
  /** Events the server rejected (they would be rejected forever, so they are not kept). */
  rejected: number;
}

export interface Queue {
  nextSeq(): number;
  size(): number;
  counts(): QueueCounts;
  push(event: TrackEvent): void;
  /** Replaces a queued event (an entry that got its group cloudID after it was queued). */
  update(event: TrackEvent): void;
  /** The oldest events, skipping those still held back in this process. */
  peek(limit: number, held: ReadonlySet<string>): TrackEvent[];
  /** Forgets acknowledged events and counts the rejected ones. */
  settle(done: ReadonlySet<unknown>, rejected: ReadonlySet<unknown>): void;
}

function load(wx: TrackerWx): Saved {
  try {
    const saved = wx.getStorageSync(STORAGE_KEY) as Partial<Saved> | '' | undefined;
    if (saved && Array.isArray(saved.events)) {
      return { seq: Number(saved.seq) || 0, events: saved.events, dropped: Number(saved.dropped) || 0, rejected: Number(saved.rejected) || 0 };
    }
  } catch {
    // unreadable storage: start afresh rather than not track at all
  }
  return { seq: 0, events: [], dropped: 0, rejected: 0 };
}

/**
 * The outbox. Written to storage on every change, so a kill loses nothing that was enqueued; the
 * next launch finds the events and sends them again (the server dedupes by event id). Closures
 * rather than a class: their names minify, and the tracker's size is a budget.
 */
export function createQueue(wx: TrackerWx, capacity: number): Queue {
  const state = load(wx);
  const save = (): void => {
    try {
      wx.setStorageSync(STORAGE_KEY, state);
    } catch {
      // storage full or refused: the events stay in memory and are still sent
    }
  };
  return {
    nextSeq: () => state.seq++,
    size: () => state.events.length,
    counts: () => ({ queued: state.events.length, dropped: state.dropped, rejected: state.rejected }),
    push(event) {
      const over = state.events.push(event) - capacity;
      if (over > 0) {
        state.events.splice(0, over);
        state.dropped += over;
      }
      save();
    },
    update(event) {
      const index = state.events.findIndex((queued) => queued.id === event.id);
      if (index >= 0) {
        state.events[index] = event;
        save();
      }
    },
    peek: (limit, held) => state.events.filter((event) => !held.has(event.id)).slice(0, limit),
    settle(done, rejected) {
      state.events = state.events.filter((event) => {
        if (rejected.has(event.id) && !done.has(event.id)) state.rejected++;
        return !done.has(event.id) && !rejected.has(event.id);
      });
      save();
    },
  };
}
