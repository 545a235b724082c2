import type { RetentionCounts, RetentionSection } from '../../shared/retention';
import { retentionStats, type RetentionQuery } from '../../shared/retention-stats';
import type { RollupDoc } from '../../shared/rollup';

const names = (scene: number): { zh: string; en: string } => ({ zh: `场景${scene}`, en: `Scene ${scene}` });
const counts = (users: number, channel: Record<string, number> = {}): RetentionCounts => ({ users, by: { channel } });
/** Returns of ages 1 … n, each as given (the rest of the ages not rolled up yet). */
const returnsUpTo = (n: number, each: RetentionCounts): Record<string, RetentionCounts> => Object.fromEntries(Array.from({ length: n }, (_, i) => [String(i + 1), each]));
const query = (over: Partial<RetentionQuery> = {}): RetentionQuery => ({ from: '2024-05-01', to: '2024-05-04', by: 'channel', days: [1, 7], limit: 20, ...over });

/** 05-01: every value known; 05-02: days 1 … 3 rolled up; 05-03: no rollup; 05-04: a rollup of older code, which later days wrote into. */
const DOCS: Pick<RollupDoc, '_id' | 'retention'>[] = [
  {
    _id: '2024-05-01',
    retention: {
      cohort: counts(10, { 'a%2Eb': 6, door: 4 }),
      days: { '1': counts(4, { 'a%2Eb': 3, door: 1 }), '7': counts(2, { 'a%2Eb': 2 }) },
      returns: { ...returnsUpTo(30, counts(0)), '1': counts(4, { 'a%2Eb': 3, door: 1 }), '5': counts(1, { door: 1 }), '20': counts(2, { door: 2 }) },
      reactivated: counts(3, { door: 3 }),
    },
  },
  {
    _id: '2024-05-02',
    retention: { cohort: counts(5, { door: 5 }), days: { '1': counts(1, { door: 1 }) }, returns: returnsUpTo(3, counts(1, { door: 1 })), reactivated: counts(1, { 'a%2Eb': 1 }) },
  },
  { _id: '2024-05-04', retention: { days: { '1': counts(1) } } as unknown as RetentionSection },
];

describe('retention over a range of cohorts', () => {
  it('adds up each value over the cohorts that know it; a value no cohort knows yet is null', () => {
    const answer = retentionStats(query(), DOCS, names);
    expect(answer.total).toEqual({
      users: 15,
      days: { '1': { users: 5, cohort: 15, rate: 0.3333 }, '7': { users: 2, cohort: 10, rate: 0.2 } },
      returned: { '7': { users: 5, cohort: 10, rate: 0.5 }, '30': { users: 7, cohort: 10, rate: 0.7 } },
    });
    expect(answer.cohorts.map((cohort) => [cohort.day, cohort.users, cohort.days['7'], cohort.returned['7']])).toEqual([
      ['2024-05-01', 10, { users: 2, cohort: 10, rate: 0.2 }, { users: 5, cohort: 10, rate: 0.5 }],
      ['2024-05-02', 5, null, null],
    ]);
    expect(answer).toMatchObject({ missingDays: ['2024-05-03'], daysToBackfill: ['2024-05-04'], days: [1, 7], returned: [7, 30] });
  });

  it('a key knows a value only from cohorts it has users in, and an empty cohort knows none', () => {
    // 05-01 knows day 7 but has no `late` users and no users at all on 05-02; `late` came on 05-03, whose day 7 is not known yet
    const docs: Pick<RollupDoc, '_id' | 'retention'>[] = [
      { _id: '2024-05-01', retention: { cohort: counts(2, { door: 2 }), days: { '1': counts(1, { door: 1 }), '7': counts(1, { door: 1 }) }, returns: returnsUpTo(30, counts(0)), reactivated: counts(0) } },
      { _id: '2024-05-02', retention: { cohort: counts(0), days: { '1': counts(0), '7': counts(0) }, returns: returnsUpTo(30, counts(0)), reactivated: counts(0) } },
      { _id: '2024-05-03', retention: { cohort: counts(3, { late: 3 }), days: { '1': counts(2, { late: 2 }) }, returns: returnsUpTo(1, counts(2, { late: 2 })), reactivated: counts(0) } },
    ];
    const answer = retentionStats(query({ to: '2024-05-03' }), docs, names);
    expect(answer.keys.map(({ key, days, returned }) => [key, days['1'], days['7'], returned['7']])).toEqual([
      ['late', { users: 2, cohort: 3, rate: 0.6667 }, null, null],
      ['door', { users: 1, cohort: 2, rate: 0.5 }, { users: 1, cohort: 2, rate: 0.5 }, { users: 0, cohort: 2, rate: 0 }],
    ]);
    expect(answer.total.days['7']).toEqual({ users: 1, cohort: 2, rate: 0.5 });
    expect(answer.cohorts[1]).toMatchObject({ day: '2024-05-02', users: 0, days: { '1': null, '7': null }, returned: { '7': null, '30': null } });
  });

  it('breaks each value down by the keys with the most users, keys as they were sent', () => {
    const answer = retentionStats(query(), DOCS, names);
    expect(answer.keys.map(({ key, users, days, returned }) => [key, users, days['1']?.users, returned['30']?.users])).toEqual([
      ['door', 9, 2, 4],
      ['a.b', 6, 3, 3],
    ]);
    expect(answer.cohorts[1].keys.map(({ key, users }) => [key, users])).toEqual([
      ['door', 5],
      ['a.b', 0],
    ]);
    expect(answer.reactivated).toEqual({ users: 4, keys: [{ key: 'door', users: 3 }, { key: 'a.b', users: 1 }], daily: [{ day: '2024-05-01', users: 3 }, { day: '2024-05-02', users: 1 }] });
    expect(retentionStats(query({ limit: 1 }), DOCS, names).keys.map(({ key }) => key)).toEqual(['door']);
  });

  it('without a dimension answers the totals only; scenes are named', () => {
    expect(retentionStats(query({ by: null }), DOCS, names)).toMatchObject({ by: null, keys: [], reactivated: { keys: [] } });
    const scenes = retentionStats(query({ by: 'scene' }), [{ _id: '2024-05-01', retention: { cohort: { users: 1, by: { scene: { '1008': 1 } } }, days: {}, returns: {}, reactivated: counts(0) } }], names);
    expect(scenes.keys).toEqual([{ key: '1008', zh: '场景1008', en: 'Scene 1008', users: 1, days: { '1': null, '7': null }, returned: { '7': null, '30': null } }]);
  });
});
