/**
 * Sessions. A user's session starts at their first entry of the day and at every entry that comes
 * `SESSION_GAP_MS` or more after their previous entry of that day (event time). The tracker uses
 * the same gap to tell a real return from a pause (`miniprogram/tracker/pauses.ts`, kept equal by a
 * test), the track plan to count a card once per session, and the rollup to count sessions.
 */
export const SESSION_GAP_MS = 30 * 60_000;

/** Cards remembered per session on the user's latest entry: a session that opens more may count an early one twice. */
export const MAX_SESSION_RETURNS = 20;

/** A stored entry of one day, as far as sessions need it: when (epoch ms), and the cards it counted as returns. */
export interface KnownEntry {
  at: number;
  cards: readonly string[];
}

/** A new entry of the same day: when (epoch ms), and the card it would count as a return. */
export interface NewEntry {
  at: number;
  card?: string;
}

export interface SessionCount {
  /** The card was already returned through in the session: an entry, not another return. */
  repeat: boolean;
  /** The cards returned through in the entry's session, once all of this day's entries are counted. */
  sessionCards: string[];
}

/**
 * Counts each card once per session, over one China day of a user: the stored entries (which keep
 * what they counted) and the new ones, in event-time order. A session's stored returns are known
 * before any new entry is counted, so an offline phone's older entry through a card the session
 * already returned through is the repeat, whatever the order of arrival. (A late entry that joins
 * two stored sessions into one does not undo a return they already counted.)
 *
 * @example
 * countOncePerSession([{ at: t, cards: ['X'] }], [{ at: t - 60_000, card: 'X' }]) // → [{ repeat: true, sessionCards: ['X'] }]
 */
export function countOncePerSession(known: readonly KnownEntry[], fresh: readonly NewEntry[]): SessionCount[] {
  const counts: SessionCount[] = fresh.map(() => ({ repeat: false, sessionCards: [] }));
  const moments = [...known.map((entry) => ({ at: entry.at, cards: entry.cards, index: -1 })), ...fresh.map((entry, index) => ({ at: entry.at, cards: [], index }))].sort(
    (a, b) => a.at - b.at,
  );
  let cards = new Set<string>();
  let members: number[] = [];
  const close = (): void => {
    for (const index of members) {
      const card = fresh[index].card;
      if (card === undefined) continue;
      if (cards.has(card)) counts[index].repeat = true;
      else cards.add(card);
    }
    const sessionCards = [...cards].slice(-MAX_SESSION_RETURNS);
    for (const index of members) counts[index].sessionCards = sessionCards;
  };
  let last = -Infinity;
  for (const moment of moments) {
    if (moment.at - last >= SESSION_GAP_MS) {
      close();
      cards = new Set();
      members = [];
    }
    last = moment.at;
    for (const card of moment.cards) cards.add(card);
    if (moment.index >= 0) members.push(moment.index);
  }
  close();
  return counts;
}
