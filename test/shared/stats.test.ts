import { createHash } from 'node:crypto';
import { escapeKey } from '../../shared/keys';
import type { RollupDoc } from '../../shared/rollup';
import { backfillRange, limitInput, rankInput, shareTreeInput, statsRange } from '../../shared/stats-input';
import { change, dailyTrend, missingDays, rankKeys, readableRollup, shareFunnel, shareSeries, shareTree, sumTotals, totalsWithChange } from '../../shared/stats';
import { previousPeriod } from '../../shared/time';
import { tokenAccepted } from '../../server/operators';

function doc(day: string, entries: number, scenes: Record<string, number>, extra: Partial<RollupDoc> = {}): RollupDoc {
  const counts = (n: number): { entries: number; users: number; newUsers: number } => ({ entries: n, users: Math.ceil(n / 2), newUsers: Math.floor(n / 3) });
  return {
    _id: day,
    totals: { entries, users: Math.ceil(entries / 2), newUsers: Math.floor(entries / 3), sessions: entries - 1, cold: 1, hot: entries - 1 },
    byBucket: { 'in-wechat': counts(entries) },
    byCategory: { Share: counts(entries) },
    byScene: Object.fromEntries(Object.entries(scenes).map(([k, n]) => [k, { ...counts(n), zh: 'z', en: 'e' }])),
    byChannel: { [escapeKey('poster.spring')]: counts(2) },
    byPage: {},
    shares: { intents: 4, sharers: 2, returnOpens: 3, openers: 2, newUsers: 1, returnRatio: 0.75, kFactor: 0.5, depth: { '1': 2, '2': 1 } },
    groups: { reached: 0, opens: 0, top: [] },
    lateEvents: 0,
    version: 'rollup-1',
    computedAt: new Date(0),
    ...extra,
  };
}

describe('periods and change', () => {
  test('the previous period has the same length and ends the day before', () => {
    expect(previousPeriod('2024-03-01', '2024-03-07')).toEqual({ from: '2024-02-23', to: '2024-02-29' });
    expect(previousPeriod('2024-01-01', '2024-01-01')).toEqual({ from: '2023-12-31', to: '2023-12-31' });
  });

  test('change is relative to the previous value, null from zero', () => {
    expect(change(15, 10)).toEqual({ value: 15, previous: 10, change: 0.5 });
    expect(change(5, 0)).toEqual({ value: 5, previous: 0, change: null });
    expect(change(0, 4).change).toBe(-1);
  });

  test('totals add up across days; daily users become user-days', () => {
    const sum = sumTotals([doc('2024-03-01', 10, {}), doc('2024-03-02', 4, {})]);
    expect(sum).toEqual({ entries: 14, userDays: 7, newUsers: 4, sessions: 12, cold: 2, hot: 12 });
    expect(totalsWithChange(sum, sumTotals([doc('2024-02-28', 7, {})])).entries).toEqual({ value: 14, previous: 7, change: 1 });
    // a range with no rollup at all (today, days to come) is no fall to nothing
    expect(totalsWithChange(null, sumTotals([doc('2024-02-28', 7, {})])).entries).toEqual({ value: 0, previous: 7, change: null });
  });
});

describe('trend and rankings', () => {
  test('every day of the range is a row; days without a rollup are marked missing', () => {
    const trend = dailyTrend(['2024-03-01', '2024-03-02', '2024-03-03'], [doc('2024-03-03', 3, { '1007': 3 }), doc('2024-03-01', 5, { '1089': 5 })]);
    expect(trend.map((row) => [row.day, row.missing, row.entries])).toEqual([
      ['2024-03-01', false, 5],
      ['2024-03-02', true, 0],
      ['2024-03-03', false, 3],
    ]);
    expect(trend[2].byScene).toEqual({ '1007': 3 });
  });

  test('the missing days of a range are those no rollup covers, in order; a rollup outside the range changes nothing', () => {
    const docs = [doc('2024-03-03', 3, {}), doc('2024-03-01', 5, {}), doc('2024-02-28', 1, {})];
    expect(missingDays(['2024-03-01', '2024-03-02', '2024-03-03', '2024-03-04'], docs)).toEqual(['2024-03-02', '2024-03-04']);
    expect(missingDays(['2024-03-01'], [])).toEqual(['2024-03-01']);
    expect(missingDays([], docs)).toEqual([]);
  });

  test('keys are summed over days, unescaped, ordered by entries then key, with their part of all entries', () => {
    const docs = [doc('2024-03-01', 10, { '1007': 6, '1089': 4 }), doc('2024-03-02', 10, { '1089': 6, '1001': 4 })];
    const top = rankKeys(docs, 'scene', 2, (scene) => ({ zh: `z${scene}`, en: `e${scene}` }));
    expect(top).toEqual([
      { key: '1089', entries: 10, userDays: 5, newUsers: 3, share: 0.5, zh: 'z1089', en: 'e1089' },
      { key: '1007', entries: 6, userDays: 3, newUsers: 2, share: 0.3, zh: 'z1007', en: 'e1007' },
    ]);
    expect(rankKeys(docs, 'channel', 10)).toEqual([{ key: 'poster.spring', entries: 4, userDays: 2, newUsers: 0, share: 0.2 }]);
  });

  test('the share funnel adds counts and recomputes its ratios', () => {
    const funnel = shareFunnel([doc('2024-03-01', 1, {}), doc('2024-03-02', 1, {})]);
    expect(funnel).toEqual({ intents: 8, sharerDays: 4, returnOpens: 6, openerDays: 4, newUsers: 2, returnRatio: 0.75, kFactor: 0.5, depth: { '1': 4, '2': 2 } });
  });

  test('returns of cards shared before the range, with no share in it: no per-share ratio, no K-factor (null, not 0)', () => {
    const shares = { intents: 0, sharers: 0, returnOpens: 3, openers: 2, newUsers: 2, returnRatio: 0, kFactor: 0, depth: { '2': 3 } };
    const quiet = doc('2024-04-03', 3, {}, { shares });
    expect(shareFunnel([quiet])).toMatchObject({ intents: 0, returnOpens: 3, newUsers: 2, returnRatio: null, kFactor: null });
    expect(shareSeries(['2024-04-03'], [quiet])).toEqual([{ day: '2024-04-03', missing: false, intents: 0, sharers: 0, returnOpens: 3, newUsers: 2, kFactor: null }]);
    expect(readableRollup(quiet).shares).toMatchObject({ returnOpens: 3, returnRatio: null, kFactor: null });
    expect(readableRollup(doc('2024-03-01', 1, {})).shares).toMatchObject({ returnRatio: 0.75, kFactor: 0.5 });
  });

  test("each day's funnel in order, its own K-factor, a day without a rollup missing", () => {
    const series = shareSeries(['2024-03-01', '2024-03-02', '2024-03-03'], [doc('2024-03-03', 1, {}), doc('2024-03-01', 1, {})]);
    expect(series).toEqual([
      { day: '2024-03-01', missing: false, intents: 4, sharers: 2, returnOpens: 3, newUsers: 1, kFactor: 0.5 },
      { day: '2024-03-02', missing: true, intents: 0, sharers: 0, returnOpens: 0, newUsers: 0, kFactor: null },
      { day: '2024-03-03', missing: false, intents: 4, sharers: 2, returnOpens: 3, newUsers: 1, kFactor: 0.5 },
    ]);
  });
});

describe('share tree', () => {
  const shares = [
    { _id: 'root', sharer: 'a', depth: 1, day: 'd' },
    { _id: 'b', sharer: 'b', depth: 2, day: 'd', parentShareId: 'root' },
    { _id: 'c', sharer: 'c', depth: 3, day: 'd', parentShareId: 'b' },
    { _id: 'orphan', sharer: 'x', depth: 3, day: 'd', parentShareId: 'gone' },
  ];
  test('children hang under their parent, with the opens each card brought', () => {
    const tree = shareTree('root', shares, [{ _id: 'root', opens: 2, openers: 1 }, { _id: 'c', opens: 5, openers: 3 }]);
    expect(tree?.opens).toBe(2);
    expect(tree?.children.map((n) => n.shareId)).toEqual(['b', 'orphan']);
    expect(tree?.children[0].children[0]).toMatchObject({ shareId: 'c', opens: 5, openers: 3, depth: 3 });
  });
  test('an unknown root is null', () => {
    expect(shareTree('nope', shares, [])).toBeNull();
  });
});

describe('operator inputs', () => {
  const range = { action: 'overview', from: '2024-03-01', to: '2024-03-07' };
  test('a valid range passes', () => {
    expect(statsRange(range)).toEqual(range);
  });
  test.each([
    [{ ...range, from: '2024-02-30' }, 'INVALID_INPUT'],
    [{ ...range, from: '2024-03-08' }, 'INVALID_INPUT'],
    [{ ...range, from: '2023-03-01' }, 'LIMIT_EXCEEDED'],
    [{ ...range, $where: 'sleep(1)' }, 'INVALID_INPUT'],
    [{ ...range, to: { $gt: '' } }, 'INVALID_INPUT'],
  ])('%j is refused with %s', (input, code) => {
    expect(() => statsRange(input)).toThrow(expect.objectContaining({ code }));
  });
  test('366 days is the cap for stats, 92 for a backfill', () => {
    expect(statsRange({ ...range, from: '2023-03-08', to: '2024-03-07' }).from).toBe('2023-03-08');
    expect(() => statsRange({ ...range, from: '2023-03-07', to: '2024-03-07' })).toThrow(expect.objectContaining({ code: 'LIMIT_EXCEEDED' }));
    expect(backfillRange({ action: 'backfill', from: '2024-01-01', to: '2024-04-01' }, '2024-05-20').to).toBe('2024-04-01');
    expect(() => backfillRange({ action: 'backfill', from: '2024-01-01', to: '2024-04-02' }, '2024-05-20')).toThrow(expect.objectContaining({ code: 'LIMIT_EXCEEDED' }));
  });
  test('a backfill rolls up only days that are over: yesterday is the last', () => {
    expect(backfillRange({ action: 'backfill', from: '2024-05-18', to: '2024-05-19' }, '2024-05-20')).toEqual({ action: 'backfill', from: '2024-05-18', to: '2024-05-19' });
    for (const to of ['2024-05-20', '2024-05-21', '2024-08-18']) {
      expect(() => backfillRange({ action: 'backfill', from: '2024-05-19', to }, '2024-05-20')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', field: 'to', message: expect.stringContaining('not over') }));
    }
  });
  test('an optional limit or dimension sent as null is as if it were not sent (the dimension was refused)', () => {
    expect(rankInput({ ...range, limit: null, dimension: null })).toMatchObject({ limit: null, dimension: null });
    expect(limitInput({ ...range, limit: null }).limit).toBeNull();
  });
  test('dimensions come from a fixed list; field names are refused', () => {
    expect(rankInput({ ...range, dimension: 'page' }).dimension).toBe('page');
    expect(() => rankInput({ ...range, dimension: 'openid' })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => limitInput({ ...range, dimension: 'scene' })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => limitInput({ ...range, limit: 1000 })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => shareTreeInput({ action: 'shareTree', rootShareId: { $ne: null } })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

describe('bearer tokens', () => {
  const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
  test('accepted only when the SHA-256 of the token is configured', () => {
    expect(tokenAccepted('s3cret-token', [sha('other'), sha('s3cret-token')])).toBe(true);
    expect(tokenAccepted('s3cret-tokeN', [sha('s3cret-token')])).toBe(false);
    expect(tokenAccepted(undefined, [sha('s3cret-token')])).toBe(false);
    expect(tokenAccepted('s3cret-token', [])).toBe(false);
  });
});
