/**
 * The goals of a day's rollup from its pipelines' rows, and of `admin` `goals` over a range from
 * the days' rollups: converters and users per key, conversion rates, medians from time buckets,
 * the keys kept, and the input `admin` takes.
 */
import { goalSection, goalUsersPipeline, keysByDimension, TOP_GOAL_KEYS, type GoalDay, type GoalOutputs, type GoalRow } from '../../shared/goal-rollup';
import { goalStats } from '../../shared/goal-stats';
import { timeBucket } from '../../shared/goal-times';
import type { GoalDimension, GoalModel } from '../../shared/model';
import type { RollupDoc, SceneCounts } from '../../shared/rollup';
import { goalsInput } from '../../shared/stats-input';

const id = (n: string, m: GoalModel, d: GoalDimension, k: string) => ({ n, m, d, k });
const names = { zh: '名', en: 'name' };

describe('a day\'s goals section', () => {
  const out: GoalOutputs = {
    names: [{ _id: 'order_paid', goals: 3, value: 900, verified: 2, converters: 2 }],
    keys: [
      { _id: id('order_paid', 'last', 'channel', 'poster'), goals: 2, value: 600, converters: 1 },
      { _id: id('order_paid', 'first', 'share', 'o-s'), goals: 1, value: 300, converters: 1 },
      { _id: id('unknown_goal', 'last', 'scene', '1047'), goals: 1, value: 0, converters: 1 },
    ],
    times: [
      { _id: id('order_paid', 'last', 'channel', 'poster'), goals: 2, times: [{ b: timeBucket(60), c: 1 }, { b: timeBucket(120), c: 1 }] },
      { _id: id('order_paid', 'first', 'share', 'o-s'), goals: 1, times: [{ b: 3, c: 1 }] },
    ],
    users: [{ _id: { d: 'channel', k: 'poster' }, users: 4 }],
  };

  it('has each name\'s totals, and each key its converters over the users who entered through it, its median and its time buckets', () => {
    const section = goalSection(out);
    expect(Object.keys(section)).toEqual(['order_paid']);
    expect(section.order_paid).toMatchObject({ goals: 3, value: 900, converters: 2, verified: 2, lastNonDirect: {} });
    // two times: the mean of their buckets' middles, 61 s and 122 s
    expect(section.order_paid.last.channel?.poster).toEqual({ goals: 2, value: 600, converters: 1, users: 4, conversionRate: 0.25, medianSeconds: 92, times: { [timeBucket(60)]: 1, [timeBucket(120)]: 1 } });
    // nobody entered through the sharer's cards that day: the first touch was days before
    expect(section.order_paid.first.share?.['o-s']).toMatchObject({ users: 0, conversionRate: null, medianSeconds: 3 });
  });

  it('keeps the most credited keys of each goal, model and dimension', () => {
    const many: GoalOutputs = {
      names: [{ _id: 'paid', goals: 200, value: 0, verified: 0, converters: 200 }],
      keys: Array.from({ length: TOP_GOAL_KEYS + 5 }, (_, i) => ({ _id: id('paid', 'last', 'page', `p${String(i).padStart(3, '0')}`), goals: 300 - i, value: 0, converters: 1 })),
      times: [],
      users: [],
    };
    const kept = Object.keys(goalSection(many).paid.last.page ?? {});
    expect(kept).toHaveLength(TOP_GOAL_KEYS);
    expect(kept[0]).toBe('p000');
  });

  it('counts the users of the keys it keeps only, each dimension from its own map of the user-days', () => {
    expect(keysByDimension(out)).toEqual({ channel: ['poster'], share: ['o-s'], scene: ['1047'] });
    const stages = JSON.stringify(goalUsersPipeline('2024-05-20', { share: ['o-s'], group: ['G1'] })?.stages);
    expect(stages).toContain('"$bySharer"');
    expect(stages).toContain('"$groupOpens"');
    expect(stages).not.toContain('byScene');
    expect(goalUsersPipeline('2024-05-20', {})).toBeUndefined();
  });
});

describe('admin goals over a range', () => {
  const row = (goals: number, converters: number, users: number, seconds: number[]): GoalRow => {
    const times: Record<string, number> = {};
    for (const s of seconds) times[timeBucket(s)] = (times[timeBucket(s)] ?? 0) + 1;
    return { goals, value: goals * 100, converters, users, conversionRate: null, medianSeconds: null, times };
  };
  const day = (_id: string, keys: Record<string, GoalRow>, version = 'rollup-6'): Pick<RollupDoc, '_id' | 'version' | 'goals'> => {
    const goal: GoalDay = { goals: 3, value: 300, converters: 2, verified: 1, first: {}, last: { scene: keys }, lastNonDirect: {} };
    return { _id, version, goals: { paid: goal } };
  };

  const scenes = (users: Record<string, number>): Record<string, SceneCounts> => Object.fromEntries(Object.entries(users).map(([key, n]) => [key, { entries: n, users: n, newUsers: 0, zh: '', en: '' }]));

  it('sums the days by key: converter-days over user-days, the median of the summed buckets; names scenes; lists missing and older days', () => {
    const docs = [
      { ...day('2024-05-01', { '1047': row(2, 2, 4, [10, 12]), '1089': row(1, 1, 10, [5]) }), byScene: scenes({ '1047': 4, '1089': 10 }) },
      { ...day('2024-05-02', { '1047': row(1, 1, 1, [14]) }), byScene: scenes({ '1047': 1, '1089': 3 }) },
      // a day rolled up before goals were counted: its users would count against goals it has none of
      { _id: '2024-05-03', version: 'rollup-5', byScene: scenes({ '1047': 50 }) },
    ];
    const answer = goalStats({ from: '2024-05-01', to: '2024-05-04', goal: 'paid', model: 'last', by: 'scene', limit: 20 }, docs, () => names);
    expect(answer.totals).toEqual({ goals: 6, value: 600, converterDays: 4, verified: 2 });
    expect(answer.keys).toEqual([
      { key: '1047', goals: 3, value: 300, converterDays: 3, userDays: 5, conversionRate: 0.6, medianSeconds: 12, ...names },
      { key: '1089', goals: 1, value: 100, converterDays: 1, userDays: 13, conversionRate: 0.0769, medianSeconds: 5, ...names },
    ]);
    expect(answer.missingDays).toEqual(['2024-05-04']);
    expect(answer.daysToBackfill).toEqual(['2024-05-03']);
  });

  it("a key's user-days are of every day of the range, credited or not: an entry one day, its goal credited the next", () => {
    const docs = [
      { _id: '2024-05-01', version: 'rollup-6', goals: {}, byScene: scenes({ '1047': 1 }) },
      { ...day('2024-05-02', { '1047': row(1, 1, 0, [14]) }), byScene: scenes({ '1089': 1 }) },
    ];
    expect(goalStats({ from: '2024-05-01', to: '2024-05-02', goal: 'paid', model: 'last', by: 'scene', limit: 20 }, docs, () => names).keys).toEqual([
      { key: '1047', goals: 1, value: 100, converterDays: 1, userDays: 1, conversionRate: 1, medianSeconds: 14, ...names },
    ]);
  });

  it('share, group, message and card keys, which no rollup map holds, take the users of the days they were credited', () => {
    const credited = (keys: Record<string, GoalRow>): GoalDay => ({ goals: 1, value: 100, converters: 1, verified: 0, first: {}, last: { share: keys }, lastNonDirect: {} });
    const docs = [
      { _id: '2024-05-01', version: 'rollup-6', goals: { paid: credited({ 'o-ann': row(1, 1, 4, [5]) }) } },
      { _id: '2024-05-02', version: 'rollup-6', goals: { paid: credited({ 'o-ann': row(1, 1, 2, [5]) }) } },
    ];
    expect(goalStats({ from: '2024-05-01', to: '2024-05-02', goal: 'paid', model: 'last', by: 'share', limit: 20 }, docs, () => names).keys).toEqual([
      { key: 'o-ann', goals: 2, value: 200, converterDays: 2, userDays: 6, conversionRate: 0.3333, medianSeconds: 5 },
    ]);
  });

  it('a goal named like what objects inherit is a goal like any other, stored escaped; one no day has is none', () => {
    const docs = [{ _id: '2024-05-01', version: 'rollup-6', goals: {} }];
    for (const goal of ['constructor', 'toString', '__proto__', 'nothing']) expect(goalStats({ from: '2024-05-01', to: '2024-05-01', goal, model: 'first', by: 'page', limit: 5 }, docs, () => names)).toMatchObject({ totals: { goals: 0 }, keys: [] });
    const proto = goalSection({ names: [{ _id: '__proto__', goals: 1, value: 5, verified: 0, converters: 1 }], keys: [{ _id: id('__proto__', 'last', 'page', 'p'), goals: 1, value: 5, converters: 1 }], times: [], users: [] });
    expect(Object.keys(proto)).toEqual(['%5F_proto__']);
    expect(goalStats({ from: '2024-05-01', to: '2024-05-01', goal: '__proto__', model: 'last', by: 'page', limit: 5 }, [{ _id: '2024-05-01', version: 'rollup-6', goals: proto }], () => names)).toMatchObject({ totals: { goals: 1, value: 5 }, keys: [{ key: 'p', goals: 1 }] });
  });

  it('takes a range, a goal, a model and a dimension; refuses the rest naming the field', () => {
    const good = { action: 'goals', from: '2024-05-01', to: '2024-05-31', goal: 'order_paid', model: 'lastNonDirect', by: 'card' };
    expect(goalsInput(good)).toEqual(good);
    expect(goalsInput({ ...good, limit: null })).toMatchObject({ goal: 'order_paid' });
    const refusal = (input: unknown): unknown => {
      try {
        goalsInput(input);
      } catch (error) {
        return (error as { toJSON(): unknown }).toJSON();
      }
      return undefined;
    };
    expect(refusal({ ...good, model: 'linear' })).toMatchObject({ code: 'INVALID_INPUT', field: 'model' });
    expect(refusal({ ...good, by: 'channelGroup' })).toMatchObject({ code: 'INVALID_INPUT', field: 'by' });
    expect(refusal({ ...good, goal: 'goals.$x' })).toMatchObject({ code: 'INVALID_INPUT', field: 'goal' });
    expect(refusal({ ...good, goal: undefined })).toMatchObject({ code: 'INVALID_INPUT', field: 'goal' });
    expect(refusal({ ...good, extra: 1 })).toMatchObject({ code: 'INVALID_INPUT' });
    expect(refusal({ ...good, from: '2023-01-01' })).toMatchObject({ code: 'LIMIT_EXCEEDED' });
    expect(refusal({ ...good, to: '2024-04-30' })).toMatchObject({ code: 'INVALID_INPUT' });
  });
});
