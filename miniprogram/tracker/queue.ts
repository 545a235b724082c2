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

function load(wx: TrackerWx): Saved {
  try {
    const saved = wx.getStorageSync(STORAGE_KEY) as Partial<Saved> | '' | undefined;
    if (saved && typeof saved === 'object' && Array.isArray(saved.events)) {
      return { seq: Number(saved.seq) || 0, events: saved.events, dropped: Number(saved.dropped) || 0, rejected: Number(saved.rejected) || 0 };
    }
  } catch {
    // unreadable storage: start afresh rather than not track at all
  }
  return { seq: 0, events: [], dropped: 0, rejected: 0 };
}

/**
 * The outbox. Written to storage on every change, so a kill loses nothing that was enqueued; the
 * next launch finds the events and sends them again (the server dedupes by event id).
 */
export class Queue {
  private readonly state: Saved;

  constructor(
    private readonly wx: TrackerWx,
    private readonly capacity: number,
  ) {
    this.state = load(wx);
  }

  nextSeq(): number {
    return this.state.seq++;
  }

  get size(): number {
    return this.state.events.length;
  }

  counts(): QueueCounts {
    return { queued: this.state.events.length, dropped: this.state.dropped, rejected: this.state.rejected };
  }

  push(event: TrackEvent): void {
    this.state.events.push(event);
    const over = this.state.events.length - this.capacity;
    if (over > 0) {
      this.state.events.splice(0, over);
      this.state.dropped += over;
    }
    this.save();
  }

  /** Replaces a queued event (an entry that got its group cloudID after it was queued). */
  update(event: TrackEvent): void {
    const index = this.state.events.findIndex((queued) => queued.id === event.id);
    if (index >= 0) {
      this.state.events[index] = event;
      this.save();
    }
  }

  /** The oldest events, skipping those still held back in this process. */
  peek(limit: number, held: ReadonlySet<string>): TrackEvent[] {
    return this.state.events.filter((event) => !held.has(event.id)).slice(0, limit);
  }

  /** Forgets acknowledged events and counts the rejected ones. */
  settle(done: ReadonlySet<string>, rejected: ReadonlySet<string>): void {
    let refused = 0;
    this.state.events = this.state.events.filter((event) => {
      if (rejected.has(event.id)) refused++;
      return !done.has(event.id) && !rejected.has(event.id);
    });
    this.state.rejected += refused;
    this.save();
  }

  private save(): void {
    try {
      this.wx.setStorageSync(STORAGE_KEY, this.state);
    } catch {
      // storage full or refused: the events stay in memory and are still sent
    }
  }
}
