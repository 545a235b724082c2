/**
 * The cost bench's check that no entry or share was counted twice (`bench/cost/counted.ts`): a
 * user-day must count exactly its user's stored entries and shares of its day, each once.
 */
import type { Stored } from '../../bench/cost/check';
import { checkCounts, type CountedDay } from '../../bench/cost/counted';

const event = (eventId: string, type: string, day = '2024-05-20', openid = 'o-1'): Stored => ({ _id: `${openid}-${eventId}`, openid, eventId, type, day, at: new Date(0), serverAt: new Date(0) });
const events = [event('a', 'enter'), event('b', 'page'), event('c', 'share'), event('d', 'enter'), event('e', 'enter', '2024-05-21')];
const userDay = (changes: Partial<CountedDay> = {}): CountedDay => ({ _id: 'u', openid: 'o-1', day: '2024-05-20', entries: 2, shareIntents: 1, times: [0, 0], counted: ['a', 'c', 'd'], ...changes });
const nextDay: CountedDay = { _id: 'v', openid: 'o-1', day: '2024-05-21', entries: 1, shareIntents: 0, times: [0], counted: ['e'] };

test('user-days that count each stored entry and share once pass', () => {
  expect(checkCounts([userDay(), nextDay], events)).toEqual({ userDays: 2, entries: 3, shares: 1, countedTwice: 0, notCounted: 0, strangers: 0, miscounted: 0, ok: true });
});

test('an entry counted twice, one not counted, one counted on the wrong day or numbers that differ each fail it', () => {
  expect(checkCounts([userDay({ entries: 3, times: [0, 0, 0], counted: ['a', 'c', 'd', 'd'] }), nextDay], events)).toMatchObject({ countedTwice: 1, miscounted: 1, ok: false });
  expect(checkCounts([userDay({ counted: ['a', 'c'] }), nextDay], events)).toMatchObject({ notCounted: 1, ok: false });
  expect(checkCounts([userDay({ counted: ['a', 'c', 'd', 'e'] })], events)).toMatchObject({ strangers: 1, notCounted: 1, ok: false });
  expect(checkCounts([userDay({ shareIntents: 2 }), nextDay], events)).toMatchObject({ miscounted: 1, ok: false });
  expect(checkCounts([userDay({ times: [0] }), nextDay], events)).toMatchObject({ miscounted: 1, ok: false });
});
