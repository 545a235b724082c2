import { runPipeline } from '../../emulator/database/aggregate';
import type { Doc } from '../../emulator/database/ejson';
import { escapeKey } from '../../shared/keys';
import { OPEN_WINDOW_MS, SEND_SETTLE_DAYS, sendsPipeline, sendStats, sumSends, totalOfSends, type SendCounts, type SendKind, type SendRow } from '../../shared/sends';
import { chinaDay } from '../../shared/time';

const DAY = '2024-05-20';
const SENT_AT = new Date('2024-05-20T12:00:00+08:00');
const at = (iso: string): Date => new Date(iso);
const hours = (n: number): Date => new Date(SENT_AT.getTime() + n * 3600_000);

const message = (_id: string, openid: string, templateId: string, fate: string, createdAt = SENT_AT): Doc => ({
  _id,
  openid,
  templateId,
  fate,
  createdAt,
  ...(fate === 'sent' ? { sentAt: createdAt, day: chinaDay(createdAt) } : {}),
});
const card = (_id: string, openid: string, rule: string, fate: string): Doc => ({ _id, openid, rule, title: 't', page: 'pages/index/index', fate, createdAt: SENT_AT, ...(fate === 'sent' ? { sentAt: SENT_AT, day: DAY } : {}) });
let n = 0;
const entry = (openid: string, time: Date, ids: { messageId?: string; cardId?: string }, type = 'enter'): Doc => ({ _id: `e${++n}`, type, openid, at: time, day: chinaDay(time), ...ids });

const collections: Record<string, Doc[]> = {
  messages: [
    message('m1', 'ann', 'T1', 'sent'),
    message('m2', 'bob', 'T1', 'sent'),
    message('m3', 'cai', 'T1', 'sent'),
    message('m4', 'dan', 'T1', 'no-quota'),
    message('m5', 'gil', 'T2', 'sent'),
    message('m6', 'fay', 'T1', 'refused'),
    // the day before, a minute to midnight: another day's send
    message('m7', 'ann', 'T1', 'sent', at('2024-05-19T23:59:00+08:00')),
    message('m8', 'hal', 'T1', 'sent'),
  ],
  cards: [card('c1', 'ann', 'keyword.price', 'sent'), card('c2', 'bob', 'default', 'refused'), card('c3', 'dan', 'default', 'sent'), card('c4', 'ann', 'keyword.price', 'failed')],
  events: [
    entry('ann', hours(1), { messageId: 'm1' }),
    entry('ann', hours(48), { messageId: 'm1' }),
    // a page view names no message in the store; if one did, it is no entry
    entry('ann', hours(2), { messageId: 'm1' }, 'page'),
    entry('bob', hours(25), { messageId: 'm2' }),
    // someone else's entry through bob's message credits nothing
    entry('eve', hours(1), { messageId: 'm2' }),
    // exactly 7 days after the send: past the window
    entry('cai', new Date(SENT_AT.getTime() + OPEN_WINDOW_MS), { messageId: 'm3' }),
    // no send was made: no-quota
    entry('dan', hours(1), { messageId: 'm4' }),
    entry('gil', hours(21), { messageId: 'm5' }),
    // an id that was never sent
    entry('ann', hours(1), { messageId: 'never-sent' }),
    // half a minute before the send, on a phone clock's error: an open all the same
    entry('hal', hours(-0.01), { messageId: 'm8' }),
    entry('ann', hours(0.2), { cardId: 'c1' }),
    entry('eve', hours(0.2), { cardId: 'c3' }),
  ],
  users: [
    { _id: 'ann', firstDay: '2024-05-01' },
    { _id: 'bob', firstDay: '2024-05-01' },
    { _id: 'gil', firstDay: '2024-05-21' },
    { _id: 'hal', firstDay: '2024-05-10' },
  ],
};

function run(kind: SendKind, day = DAY): SendRow[] {
  const pipeline = sendsPipeline(kind, day);
  return runPipeline(pipeline.stages, collections[pipeline.collection], { collectionResolver: (name: string) => collections[name] ?? [] }) as unknown as SendRow[];
}

describe('a day\'s sends, counted in the database', () => {
  test('messages: each entry credits only its own message, by its recipient, within 7 days; returns within 24 hours; new users', () => {
    expect(sendStats(run('messages'))).toEqual({
      T1: { sent: 4, fates: { 'no-quota': 1, refused: 1, sent: 4 }, opened: 3, opens: 4, openRate: 0.75, returns24h: 2, newUsers: 0 },
      T2: { sent: 1, fates: { sent: 1 }, opened: 1, opens: 1, openRate: 1, returns24h: 1, newUsers: 1 },
    });
  });

  test('cards: by rule, keys escaped as field names must be', () => {
    expect(sendStats(run('cards'))).toEqual({
      [escapeKey('keyword.price')]: { sent: 1, fates: { failed: 1, sent: 1 }, opened: 1, opens: 1, openRate: 1, returns24h: 1, newUsers: 0 },
      default: { sent: 1, fates: { refused: 1, sent: 1 }, opened: 0, opens: 0, openRate: 0, returns24h: 0, newUsers: 0 },
    });
  });

  test('a send counts on the day it was created, whenever its opens come', () => {
    expect(sendStats(run('messages', '2024-05-19'))).toEqual({ T1: { sent: 1, fates: { sent: 1 }, opened: 0, opens: 0, openRate: 0, returns24h: 0, newUsers: 0 } });
    expect(sendStats(run('messages', '2024-05-21'))).toEqual({});
  });
});

describe('sums', () => {
  const counts = (sent: number, opened: number): SendCounts => ({ sent, fates: { sent, 'no-quota': 1 }, opened, opens: opened * 2, openRate: 0, returns24h: opened, newUsers: 1 });

  test('over a range: keys as they were sent, every number added, the open rate of the sums', () => {
    const range = sumSends([{ [escapeKey('a.b')]: counts(4, 1), T2: counts(1, 1) }, { [escapeKey('a.b')]: counts(6, 4) }]);
    expect(range).toEqual({
      'a.b': { sent: 10, fates: { 'no-quota': 2, sent: 10 }, opened: 5, opens: 10, openRate: 0.5, returns24h: 5, newUsers: 2 },
      T2: { sent: 1, fates: { 'no-quota': 1, sent: 1 }, opened: 1, opens: 2, openRate: 1, returns24h: 1, newUsers: 1 },
    });
    expect(Object.keys(range)).toEqual(['a.b', 'T2']);
    expect(totalOfSends(range)).toEqual({ sent: 11, fates: { 'no-quota': 3, sent: 11 }, opened: 6, opens: 12, openRate: 0.5455, returns24h: 6, newUsers: 3 });
  });

  test('a key or a fate named like what objects inherit is a count like any other', () => {
    const day = sendStats([{ _id: { k: 'constructor', f: 'toString' }, records: 2, opened: 0, opens: 0, returns: 0, newUsers: 0 }]);
    expect(day.constructor).toEqual({ sent: 0, fates: { toString: 2 }, opened: 0, opens: 0, openRate: 0, returns24h: 0, newUsers: 0 });
    expect(totalOfSends({})).toEqual({ sent: 0, fates: {}, opened: 0, opens: 0, openRate: null, returns24h: 0, newUsers: 0 });
  });

  test('over a range, the open rate of a key nothing was sent to is not known (null), not 0', () => {
    const range = sumSends([{ T1: { ...counts(0, 0), fates: { 'no-quota': 2 } } }]);
    expect(range.T1).toMatchObject({ sent: 0, openRate: null });
    expect(totalOfSends(range).openRate).toBeNull();
  });

  test('a day\'s sends settle 14 days after it: 7 of window, 7 of late arrival', () => {
    expect(SEND_SETTLE_DAYS).toBe(14);
  });
});
