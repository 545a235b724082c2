/**
 * The `channels` answer computed from rollups and the registry (shared/channel-stats.ts), on
 * documents written by hand: sums by key joined with the registry, unknown keys listed apart,
 * kinds and groups, the first-touch series, dead channels, and rollups older than first touches.
 */
import { channelStats, deadWindow, DEAD_DAYS, type ChannelsRequest } from '../../shared/channel-stats';
import { escapeKey } from '../../shared/keys';
import type { ChannelDoc } from '../../shared/model';
import type { ChannelCounts, RollupDoc } from '../../shared/rollup';

const counts = (entries: number, users: number, newUsers: number, firstTouch?: number): ChannelCounts => ({ entries, users, newUsers, ...(firstTouch === undefined ? {} : { firstTouch }) });

function rollup(day: string, byChannel: Record<string, ChannelCounts>, classes?: { kinds: Record<string, ChannelCounts>; groups: Record<string, ChannelCounts> }): RollupDoc {
  const entries = Object.values(byChannel).reduce((n, c) => n + c.entries, 0) + 10;
  return {
    _id: day,
    totals: { entries, users: 0, newUsers: 0, sessions: 0, cold: 0, hot: 0 },
    byBucket: {},
    byCategory: {},
    byScene: {},
    byChannel: Object.fromEntries(Object.entries(byChannel).map(([key, c]) => [escapeKey(key), c])),
    ...(classes ? { byChannelKind: classes.kinds, byChannelGroup: classes.groups } : {}),
    byPage: {},
    shares: { intents: 0, sharers: 0, returnOpens: 0, openers: 0, newUsers: 0, returnRatio: 0, kFactor: 0, depth: {} },
    groups: { reached: 0, opens: 0, top: [] },
    lateEvents: 0,
    version: classes ? 'rollup-5' : 'rollup-4',
    computedAt: new Date(`${day}T16:17:00Z`),
  };
}

const CREATED = new Date('2024-04-01T10:00:00+08:00');
function channel(key: string, kind: ChannelDoc['kind'], extra: Partial<ChannelDoc> = {}): ChannelDoc {
  return { _id: key, name: `name of ${key}`, kind, page: 'pages/index/index', tags: [], archived: false, envVersion: 'release', createdAt: CREATED, updatedAt: CREATED, v: 1, ...extra };
}

const REGISTRY: ChannelDoc[] = [
  channel('poster-1', 'wxacode', { group: 'store-A', fileID: 'cloud://env/codes/poster-1.png' }),
  channel('poster-2', 'wxacode', { group: 'store-A' }),
  // created inside the last 7 days: too young to be dead
  channel('link-1', 'urllink', { group: 'store-B', url: 'https://wxaurl.cn/abc', expiresAt: new Date('2024-06-01T00:00:00Z'), createdAt: new Date('2024-05-05T09:00:00+08:00') }),
  channel('poster-old', 'wxacode', { archived: true }),
  channel('toString', 'wxacode', { createdAt: new Date('2024-03-01T00:00:00+08:00') }),
];

const DOCS: RollupDoc[] = [
  // written before rollup-5: no first touches, no kinds or groups
  rollup('2024-05-01', { 'poster-1': counts(3, 2, 1) }),
  rollup('2024-05-03', { 'poster-1': counts(2, 2, 2, 1), 'poster-2': counts(1, 1, 1, 1), 'old.code': counts(4, 3, 2, 2), constructor: counts(1, 1, 0, 0) }, {
    kinds: { wxacode: counts(3, 2, 2, 2), unknown: counts(5, 4, 2, 2) },
    groups: { 'store-A': counts(3, 2, 2, 2) },
  }),
  rollup('2024-05-09', { 'poster-2': counts(1, 1, 0, 0) }, { kinds: { wxacode: counts(1, 1, 0, 0) }, groups: { 'store-A': counts(1, 1, 0, 0) } }),
];

const REQUEST: ChannelsRequest = { from: '2024-05-01', to: '2024-05-10', limit: 20, series: 5 };
/** What the answer shows of a channel: all but its key and bookkeeping. */
const view = ({ _id: _key, updatedAt: _updatedAt, v: _v, ...shown }: ChannelDoc): Record<string, unknown> => shown;

describe('channels over a range', () => {
  const answer = channelStats(REQUEST, DOCS, REGISTRY);
  const all = DOCS.reduce((n, doc) => n + doc.totals.entries, 0);

  test('every key with entries, summed over the days, joined with its registry channel; unknown keys with none', () => {
    expect(answer.channels.map((row) => [row.key, row.entries, row.userDays, row.newUsers, row.firstTouch])).toEqual([
      ['poster-1', 5, 4, 3, 1],
      ['old.code', 4, 3, 2, 2],
      ['poster-2', 2, 2, 1, 1],
      ['constructor', 1, 1, 0, 0],
    ]);
    expect(answer.channels[0]).toMatchObject({ share: Math.round((5 / all) * 10_000) / 10_000, channel: view(REGISTRY[0]) });
    expect(answer.channels[0].channel).toMatchObject({ name: 'name of poster-1', kind: 'wxacode', group: 'store-A', archived: false, fileID: 'cloud://env/codes/poster-1.png' });
    expect(answer.channels[1].channel).toBeNull();
  });

  test('unknown keys are counted and listed apart, never dropped', () => {
    expect(answer.unknown).toEqual({ keys: 2, entries: 5, channels: [answer.channels[1], answer.channels[3]] });
  });

  test('by kind and by group: the days’ exact numbers, with how many registry channels each has', () => {
    expect(answer.byKind).toEqual([
      { kind: 'unknown', entries: 5, userDays: 4, newUsers: 2, firstTouch: 2, channels: 0 },
      { kind: 'wxacode', entries: 4, userDays: 3, newUsers: 2, firstTouch: 2, channels: 4 },
      { kind: 'urllink', entries: 0, userDays: 0, newUsers: 0, firstTouch: 0, channels: 1 },
    ]);
    expect(answer.byGroup).toEqual([
      { group: 'store-A', entries: 4, userDays: 3, newUsers: 2, firstTouch: 2, channels: 2 },
      { group: 'store-B', entries: 0, userDays: 0, newUsers: 0, firstTouch: 0, channels: 1 },
    ]);
  });

  test('first touches day by day: the keys with most, the rest as others', () => {
    const series = channelStats({ ...REQUEST, series: 2 }, DOCS, REGISTRY).firstTouchSeries;
    expect(series.days).toHaveLength(10);
    const on = (values: Record<number, number>): number[] => series.days.map((_, i) => values[i] ?? 0);
    expect(series.channels).toEqual([
      { key: 'old.code', firstTouch: 2, daily: on({ 2: 2 }) },
      { key: 'poster-1', name: 'name of poster-1', firstTouch: 1, daily: on({ 2: 1 }) },
    ]);
    expect(series.others).toEqual(on({ 2: 1 }));
  });

  test('dead: registry channels, not archived, created before the last 7 days, with no entry in them', () => {
    expect(deadWindow('2024-05-10')).toEqual({ from: '2024-05-04', to: '2024-05-10' });
    // in the calendar's first week, the days there are
    expect(deadWindow('0000-01-05')).toEqual({ from: '0000-01-01', to: '0000-01-05' });
    expect(DEAD_DAYS).toBe(7);
    expect(answer.dead).toEqual({
      from: '2024-05-04',
      to: '2024-05-10',
      total: 2,
      // the oldest first; poster-2 had an entry on 05-09, link-1 is younger than the window, poster-old is archived
      channels: [{ key: 'toString', ...view(REGISTRY[4]) }, { key: 'poster-1', ...view(REGISTRY[0]) }],
      missingDays: ['2024-05-04', '2024-05-05', '2024-05-06', '2024-05-07', '2024-05-08', '2024-05-10'],
    });
    expect(channelStats({ ...REQUEST, limit: 1 }, DOCS, REGISTRY).dead).toMatchObject({ total: 2, channels: [{ key: 'toString' }] });
  });

  test('dead: a window with no rollup at all calls nobody dead (nothing is known of it)', () => {
    const future = channelStats({ ...REQUEST, from: '2099-12-30', to: '2099-12-31' }, DOCS, REGISTRY).dead;
    expect(future).toMatchObject({ total: 0, channels: [] });
    expect(future.missingDays).toHaveLength(7);
  });

  test('a range shorter than the window: its numbers are its own days’, dead looks at the 7 days', () => {
    const short = channelStats({ ...REQUEST, from: '2024-05-10' }, DOCS, REGISTRY);
    expect(short.channels).toEqual([]);
    expect(short.missingDays).toEqual(['2024-05-10']);
    expect(short.dead.channels.map((row) => row.key)).toEqual(['toString', 'poster-1']);
  });

  test('days without a rollup, and days rolled up before first touches were counted, are named', () => {
    expect(answer.missingDays).toEqual(['2024-05-02', '2024-05-04', '2024-05-05', '2024-05-06', '2024-05-07', '2024-05-08', '2024-05-10']);
    expect(answer.daysToBackfill).toEqual(['2024-05-01']);
  });

  test('limit cuts each list, never a sum nor a count: each list says how many it has in all', () => {
    expect(answer).toMatchObject({ keys: 4, groups: 2, firstTouchSeries: { keys: 3 } });
    const one = channelStats({ ...REQUEST, limit: 1, series: 1 }, DOCS, REGISTRY);
    expect(one.keys).toBe(4);
    expect(one.channels.map((row) => row.key)).toEqual(['poster-1']);
    expect(one.unknown).toMatchObject({ keys: 2, entries: 5, channels: [{ key: 'old.code' }] });
    expect(one.groups).toBe(2);
    expect(one.byGroup).toHaveLength(1);
    expect(one.byKind).toHaveLength(3);
    expect(one.firstTouchSeries).toMatchObject({ keys: 3, channels: [{ key: 'old.code' }] });
    expect(one.dead).toMatchObject({ total: 2, channels: [{ key: 'toString' }] });
  });
});
