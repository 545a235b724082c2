/**
 * Sessions. A user's session starts at their first entry of the day and at every entry that comes
 * `SESSION_GAP_MS` or more after their previous entry of that day (event time). The tracker uses
 * the same gap to tell a real return from a pause (`packages/rukou-tracker/src/pauses.ts`, kept equal by a
 * test), the track plan to count a card once per session, and the rollup to count sessions.
 */
export const SESSION_GAP_MS = 30 * 60_000;

/** An entry of one day, as far as sessions need it: when (epoch ms), and the card it counts (or would count) as a share return. */
export interface SessionEntry {
  at: number;
  card?: string;
}

/**
 * Counts each card once per session, over one China day of a user: the stored entries (whose
 * cards are returns already counted) and the new ones, in event-time order. Answers, for each new
 * entry, whether its card was already returned through in its session: then it is an entry, not
 * another return. A session's stored returns are known before any new entry is counted, so an
 * offline phone's older entry through a card the session already returned through is the repeat,
 * whatever the order of arrival. (A late entry that joins two stored sessions into one does not
 * undo a return they already counted.)
 *
 * @example
 * countOncePerSession([{ at: t, card: 'X' }], [{ at: t - 60_000, card: 'X' }]) // → [true]
 */
export function countOncePerSession(known: readonly SessionEntry[], fresh: readonly SessionEntry[]): boolean[] {
  const repeats = fresh.map(() => false);
  const moments: (SessionEntry & { index: number })[] = [...known.map((entry) => ({ ...entry, index: -1 })), ...fresh.map((entry, index) => ({ at: entry.at, index }))].sort((a, b) => a.at - b.at);
  let cards = new Set<string>();
  let members: number[] = [];
  const close = (): void => {
    for (const index of members) {
      const card = fresh[index].card;
      if (card === undefined) continue;
      if (cards.has(card)) repeats[index] = true;
      else cards.add(card);
    }
  };
  let last = -Infinity;
  for (const moment of moments) {
    if (moment.at - last >= SESSION_GAP_MS) {
      close();
      cards = new Set();
      members = [];
    }
    last = moment.at;
    if (moment.index >= 0) members.push(moment.index);
    else if (moment.card !== undefined) cards.add(moment.card);
  }
  close();
  return repeats;
}
