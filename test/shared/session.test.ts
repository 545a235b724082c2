import fc from 'fast-check';
import { countOncePerSession, SESSION_GAP_MS } from '../../shared/session';

const MINUTE = 60_000;
const T = Date.parse('2024-05-01T02:00:00Z');

describe('a card counts once per session', () => {
  it('new entries through the same card: the first is the return, the next in the session repeats, after the gap it returns again', () => {
    expect(countOncePerSession([], [{ at: T, card: 'X' }, { at: T + 5 * MINUTE, card: 'X' }, { at: T + 40 * MINUTE, card: 'X' }])).toEqual([false, true, false]);
  });

  it('a stored return later in the session makes an older new entry through the same card the repeat (an offline phone)', () => {
    expect(countOncePerSession([{ at: T + 20 * MINUTE, card: 'X' }], [{ at: T, card: 'X' }, { at: T + 10 * MINUTE, card: 'X' }, { at: T + 15 * MINUTE, card: 'Y' }])).toEqual([true, true, false]);
  });

  it('entries without a card count nothing but keep the session going', () => {
    expect(countOncePerSession([], [{ at: T, card: 'X' }, { at: T + 25 * MINUTE }, { at: T + 50 * MINUTE, card: 'X' }])).toEqual([false, false, true]);
  });

  it('is the definition for any entry times: each card returns once per run of entries less than the gap apart', () => {
    const entry = fc.record({ at: fc.integer({ min: 0, max: 48 }).map((step) => T + step * 5 * MINUTE), card: fc.constantFrom('X', 'Y', undefined), stored: fc.boolean() });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 30 }), (entries) => {
        const known = entries.filter((e) => e.stored).map((e) => ({ at: e.at, card: e.card }));
        const fresh = entries.filter((e) => !e.stored).map((e) => ({ at: e.at, card: e.card }));
        const counts = countOncePerSession(known, fresh);
        // sessions from all times; in each, the stored cards plus the fresh non-repeats are each card once
        const times = [...entries.map((e) => e.at)].sort((a, b) => a - b);
        const sessionOf = (at: number): number => times.filter((t, i) => t <= at && (i === 0 || t - times[i - 1] >= SESSION_GAP_MS)).length;
        const returned = new Map<string, number>();
        for (const k of known) if (k.card) returned.set(`${sessionOf(k.at)}:${k.card}`, 1);
        // the earliest new entry through a card in its session is the return
        const inTimeOrder = fresh.map((f, i) => ({ ...f, i })).sort((a, b) => a.at - b.at);
        for (const f of inTimeOrder) {
          if (!f.card) {
            expect(counts[f.i]).toBe(false);
            continue;
          }
          const key = `${sessionOf(f.at)}:${f.card}`;
          expect(counts[f.i]).toBe(returned.has(key));
          returned.set(key, 1);
        }
      }),
    );
  });
});
