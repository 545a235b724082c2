/**
 * The database answers queries and pipelines with compiled code where it can (match.ts,
 * expressions.ts, aggregate.ts) and with mingo, corrected to MongoDB's semantics, elsewhere
 * (fallback.ts). The two paths may not disagree: these properties pin the compiled answers to the
 * fallback's own on generated documents (missing fields, nulls, NaN and -0, Dates, arrays, objects
 * with their fields in either order, strings beyond the BMP) and on every pipeline the rollup and
 * the stats run. Which answers are MongoDB's is checked elsewhere, against answers that do not
 * come from either path (semantics.test.ts, conformance.test.ts).
 */
import fc from 'fast-check';
import { runPipeline, type AggregateOptions } from '../../../emulator/database/aggregate';
import type { Doc } from '../../../emulator/database/ejson';
import { encode } from '../../../emulator/database/ejson';
import { answeredBy, mingoPipeline, mingoQuery } from '../../../emulator/database/fallback';
import { compileMatcher } from '../../../emulator/database/match';
import { channelPipelines, type RegisteredChannel } from '../../../shared/channel-rollup';
import type { EnterEvent, StoredEvent } from '../../../shared/model';
import { dayPipelines, dimensionPipeline, DIMENSIONS, eventDaysBeforePipeline, type DayOutputs, type Pipeline } from '../../../shared/rollup';
import { generateTrace, userDaysOf } from '../../helpers/rollup-trace';

// Stored documents and pipelines come from JSON: never an object with a null prototype, which
// fast-check's records may otherwise give.
const record: typeof fc.record = ((shape: never, options?: object) => fc.record(shape, { ...options, noNullPrototype: true } as never)) as typeof fc.record;
const dictionary = <T>(keys: fc.Arbitrary<string>, values: fc.Arbitrary<T>, options: { minKeys?: number; maxKeys?: number }): fc.Arbitrary<Record<string, T>> =>
  fc.dictionary(keys, values, { ...options, noNullPrototype: true });

const DATES = [new Date(0), new Date(1_800_000), new Date(3_600_000), new Date(1_710_000_000_000)];

const scalar = fc.oneof(
  fc.integer({ min: -2, max: 3 }),
  fc.constantFrom(0.5, -0, NaN, 1_800_000),
  fc.constantFrom('x', 'y', '', '10', '\uFF01', '\u{1F600}'),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(...DATES),
);
const value = fc.oneof(
  { weight: 6, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: record({ x: scalar }) },
  { weight: 1, arbitrary: fc.constant({}) },
  // the same fields in either order: unequal in MongoDB
  { weight: 1, arbitrary: fc.constantFrom({ x: 1, y: 2 }, { y: 2, x: 1 }) },
);
const times = fc.array(fc.oneof(fc.constantFrom(...DATES), fc.integer({ min: 0, max: 4 })), { maxLength: 5 });
const doc = record({ _id: fc.integer({ min: 0, max: 5 }), a: value, b: value, c: scalar, n: record({ x: value }, { requiredKeys: [] }), arr: fc.oneof(times, scalar) }, { requiredKeys: [] });
const docs = fc.array(doc, { maxLength: 12 });

const path = fc.constantFrom('$a', '$b', '$c', '$n.x', '$_id', '$missing');
const literal = scalar.filter((v) => typeof v !== 'string' || !v.startsWith('$'));

const expression: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  leaf: fc.oneof(path, literal),
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('leaf'),
    fc.tuple(fc.constantFrom('$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$add', '$subtract', '$divide', '$ifNull'), tie('node'), tie('node')).map(([op, x, y]) => ({ [op]: [x, y] })),
    fc.tuple(fc.constantFrom('$and', '$or'), fc.array(tie('node'), { maxLength: 3 })).map(([op, xs]) => ({ [op]: xs })),
    fc.tuple(tie('node'), tie('node'), tie('node')).map(([i, t, e]) => ({ $cond: [i, t, e] })),
    fc.tuple(tie('node'), tie('node')).map(([i, t]) => ({ $cond: { if: i, then: t, else: 0 } })),
    fc.tuple(fc.constantFrom('$floor', '$size'), tie('node')).map(([op, x]) => ({ [op]: x })),
    // arrays: an element, where a value is, whether it is there, two of them one after the other
    fc.tuple(fc.constantFrom('$arrayElemAt', '$indexOfArray', '$in', '$concatArrays'), tie('node'), tie('node')).map(([op, x, y]) => ({ [op]: [x, y] })),
    // a value as written, a text like a field path among them
    fc.oneof(value, fc.constantFrom('$a', '$$this')).map((v) => ({ $literal: v })),
    fc.tuple(tie('node'), tie('node')).map(([p, q]) => ({ p, q })),
  ),
})).node;

/** The session count of the rollup and a filter with a named variable, over `arr`. */
const arrayExpression = fc.oneof(
  fc.constant({ $reduce: { input: '$arr', initialValue: 0, in: { $add: ['$$value', { $cond: [{ $gte: ['$$this', 2] }, 1, 0] }] } } }),
  fc.constant({
    $reduce: {
      input: '$arr',
      initialValue: { n: 0, last: null },
      in: {
        n: { $add: ['$$value.n', { $cond: [{ $or: [{ $eq: ['$$value.last', null] }, { $gte: [{ $subtract: ['$$this', '$$value.last'] }, 1_800_000] }] }, 1, 0] }] },
        last: '$$this',
      },
    },
  }),
  fc.constant({ $size: { $filter: { input: '$arr', as: 'item', cond: { $gt: ['$$item', 1] } } } }),
  // the rollup's channels: each element through an expression, looked up in a list; each value once, in the order met
  fc.constant({ $map: { input: '$arr', as: 'item', in: { v: '$$item', at: { $indexOfArray: [{ $literal: [0, 1, 2, DATES[1]] }, '$$item'] }, n: { $add: ['$$item', 1] } } } }),
  fc.constant({ $reduce: { input: '$arr', initialValue: [], in: { $cond: [{ $in: ['$$this', '$$value'] }, '$$value', { $concatArrays: ['$$value', ['$$this']] }] } } }),
  fc.constant({ $filter: { input: { $map: { input: '$arr', as: 'item', in: { $arrayElemAt: [{ $literal: ['x', null, 'z'] }, '$$item'] } } }, as: 'row', cond: { $ne: ['$$row', null] } } }),
);

const accumulator = fc.oneof(
  fc.constantFrom({ $sum: 1 }, { $sum: 0.5 }, { $count: {} }),
  fc.tuple(fc.constantFrom('$sum', '$max', '$min', '$push', '$addToSet', '$avg'), fc.oneof(path, expression)).map(([op, e]) => ({ [op]: e })),
);

const condition = fc.oneof(
  scalar,
  fc.tuple(fc.constantFrom('$eq', '$ne', '$gt', '$gte', '$lt', '$lte'), scalar).map(([op, v]) => ({ [op]: v })),
  // an empty document: `byChannel: {$ne: {}}`
  fc.constantFrom('$eq', '$ne').map((op) => ({ [op]: {} })),
  record({ $gte: scalar, $lt: scalar }),
  fc.array(scalar, { maxLength: 3 }).map((vs) => ({ $in: vs })),
  fc.boolean().map((b) => ({ $exists: b })),
);
const field = fc.constantFrom('a', 'b', 'c', 'n.x', '_id', 'n');
const query: fc.Arbitrary<Doc> = fc.oneof(
  dictionary(field, condition, { maxKeys: 2 }),
  fc.array(dictionary(field, condition, { minKeys: 1, maxKeys: 2 }), { minLength: 1, maxLength: 2 }).map((clauses) => ({ $and: clauses })),
);

const stage: fc.Arbitrary<Doc> = fc.oneof(
  query.map((q) => ({ $match: q })),
  record({ _id: fc.oneof(path, fc.constant(null), record({ o: path, k: path }), expression), f: accumulator, g: accumulator }).map((spec) => ({ $group: spec })),
  fc.oneof(
    fc.constant({ _id: 0 }),
    record({ a: fc.constantFrom(0, false) }),
    record({ b: fc.constantFrom(1, true), a: fc.constant(1) }),
    record({ _id: fc.constantFrom(0, 1), z: fc.oneof(expression, arrayExpression), a: fc.constant(1) }),
  ).map((spec) => ({ $project: spec })),
  record({ a: fc.constantFrom(1, -1), b: fc.constantFrom(1, -1) }, { requiredKeys: ['a'] }).map((spec) => ({ $sort: spec })),
  fc.constantFrom({ $sort: { 'n.x': -1 } }, { $sort: { _id: 1 } }, { $limit: 2 }, { $skip: 1 }, { $count: 'n' }),
  // an equality join (from `others`, FOREIGN below, or a collection that does not exist), written over a field a later stage reads or beside them
  record({ from: fc.constantFrom('others', 'nothing'), localField: fc.constantFrom('a', 'b', 'c', 'n.x', '_id', 'missing'), foreignField: fc.constantFrom('a', 'c', 'n.x', '_id'), as: fc.constantFrom('j', 'a', 'n.j') }).map((spec) => ({ $lookup: spec })),
);

/** The collection `$lookup` stages join from: the resolver both paths are given. */
const foreignOptions = (others: Doc[]): AggregateOptions => ({ collectionResolver: (name: string) => (name === 'others' ? others : []) });

/** Count maps as the user-days hold them (keys JavaScript orders first among them), beside values $objectToArray refuses and arrays on a path. */
const countMap = dictionary(fc.constantFrom('k', 'pages/a', '1007', '10', '_x'), fc.oneof(fc.integer({ min: 1, max: 3 }), scalar), { maxKeys: 3 });
const unwindable = fc.oneof(value, countMap, fc.constantFrom({}, [], ''), fc.array(record({ x: value }), { maxLength: 2 }));
const rowDoc = record(
  { _id: fc.integer({ min: 0, max: 5 }), firstDay: fc.constantFrom('d', 'e'), a: unwindable, m: fc.oneof({ weight: 4, arbitrary: countMap }, { weight: 1, arbitrary: unwindable }), n: record({ x: unwindable }, { requiredKeys: [] }) },
  { requiredKeys: [] },
);
const toArray = fc.constantFrom<unknown>('$m', '$n.x', '$a', '$missing', ['$m'], { p: '$a', q: '$missing' }).map((arg) => ({ $objectToArray: arg }));
const unwindPath = fc.constantFrom('$kv', '$a', '$m', '$n.x', '$a.x', '$missing');
const unwindSpec = fc.oneof(
  unwindPath,
  record({ path: unwindPath, includeArrayIndex: fc.constantFrom('i', '_id', 'a', 'n.i'), preserveNullAndEmptyArrays: fc.boolean() }, { requiredKeys: ['path'] }),
);
/** The rollup's rows of a map ($project of $objectToArray, $unwind), then what may read them. */
const rowsPipeline: fc.Arbitrary<Doc[]> = fc
  .tuple(
    fc.option(toArray, { nil: undefined }),
    unwindSpec,
    fc.constantFrom<Doc[]>(
      [],
      [{ $group: { _id: '$kv.k', n: { $sum: '$kv.v' }, users: { $sum: 1 }, newUsers: { $sum: '$isNew' } } }],
      [{ $unwind: '$kv.v' }],
      [{ $project: { _id: 0, kv: 1, i: 1 } }],
      [{ $sort: { _id: -1 } }, { $limit: 3 }],
    ),
  )
  .map(([kv, spec, after]) => [...(kv ? [{ $project: { isNew: { $cond: [{ $eq: ['$firstDay', 'd'] }, 1, 0] }, kv, a: 1, n: 1 } }] : []), { $unwind: spec }, ...after]);

/** A copy that compares equal when the values are equal: two invalid Dates are (jest's equality says not, NaN ≠ NaN). */
function comparable(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid Date' : value;
  if (Array.isArray(value)) return value.map(comparable);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, comparable(v)]));
  return value;
}

/**
 * A day's messages and cards to some of the users (every fifth refused), each named by a few of
 * its recipient's entries and one of someone else's (copies of theirs), as the sends pipelines
 * join them.
 */
function sendsOf(openids: string[], days: string[], events: StoredEvent[]): { messages: Doc[]; cards: Doc[]; entries: Doc[] } {
  const sends: { messages: Doc[]; cards: Doc[]; entries: Doc[] } = { messages: [], cards: [], entries: [] };
  const entries = events.filter((event) => event.type === 'enter');
  openids.slice(0, 20).forEach((openid, i) => {
    for (const day of days) {
      const kind = i % 2 === 0 ? 'messages' : 'cards';
      const _id = `${kind}-${day}-${i}`;
      const createdAt = new Date(`${day}T12:00:00+08:00`);
      const fate = i % 5 === 0 ? 'refused' : 'sent';
      sends[kind].push({ _id, openid, ...(kind === 'messages' ? { templateId: `T${i % 3}` } : { rule: `r${i % 3}` }), fate, createdAt, ...(fate === 'sent' ? { sentAt: createdAt } : {}) });
      const naming = [...entries.filter((entry) => entry.openid === openid).slice(0, i % 4), entries[i]];
      naming.forEach((entry, k) => sends.entries.push({ ...entry, _id: `${_id}-${k}`, [kind === 'messages' ? 'messageId' : 'cardId']: _id }));
    }
  });
  return sends;
}

/** runPipeline's onFallback where the compiled path must answer alone. */
const leftToMingo = (what: string) => (): never => {
  throw new Error(`${what}: a stage was left to mingo`);
};

/** How many pipelines the compiled path answered whole: the comparisons below mean something only if it answers most. */
const runs = { pipelines: 0, wholeCompiled: 0 };

/**
 * The fallback's answer or its error, and the compiled path's: the same documents in the same
 * order with the same keys in the same order, or an error too. With `sameError`, the same error:
 * where a pipeline could fail in several places, each path names the first it meets. `options`:
 * the other collections, for `$lookup`.
 */
function expectSameAsFallback(pipeline: Doc[], input: Doc[], sameError = false, options: AggregateOptions = {}): void {
  let expected: Doc[] | undefined;
  try {
    expected = mingoPipeline(pipeline, input, options);
  } catch (error) {
    expect(() => runPipeline(pipeline, input, options)).toThrow(sameError ? (error as Error).message : undefined);
    return;
  }
  const before = answeredBy.mingoStages;
  const actual = runPipeline(pipeline, input, options);
  runs.pipelines++;
  if (answeredBy.mingoStages === before) runs.wholeCompiled++;
  expect(comparable(actual)).toStrictEqual(comparable(expected));
  expect(actual.map(encode)).toEqual(expected.map(encode));
}

describe('compiled queries and pipelines answer exactly as the corrected mingo', () => {
  it('a compiled query matches the documents the fallback matches', () => {
    let compiledTests = 0;
    fc.assert(
      fc.property(query, docs, (q, input) => {
        const compiled = compileMatcher(q);
        if (!compiled) return;
        const fallback = mingoQuery(q);
        for (const d of input) {
          const before = answeredBy.compiledTests;
          expect(compiled(d)).toBe(fallback(d));
          compiledTests += answeredBy.compiledTests - before;
        }
      }),
      { numRuns: 500 },
    );
    expect(compiledTests).toBeGreaterThan(1000);
  });

  it('a pipeline of compiled stages gives the fallback’s documents', () => {
    const before = { ...runs };
    fc.assert(
      fc.property(fc.array(stage, { minLength: 1, maxLength: 4 }), docs, docs, (pipeline, input, others) => {
        const options = foreignOptions(others);
        expectSameAsFallback(pipeline, input, false, options);
        // and document by document: an error on one would hide the others' answers
        for (const d of input) expectSameAsFallback(pipeline, [d], false, options);
      }),
      { numRuns: 1500 },
    );
    expect(runs.wholeCompiled - before.wholeCompiled).toBeGreaterThan((runs.pipelines - before.pipelines) / 2);
  });

  it('edge values of arithmetic and comparison give the fallback’s answers (signed zeros, NaN, Dates, null, missing, mixed types)', () => {
    const edges = [-0, 0, NaN, null, 1, '1', DATES[1], true, [1, 2], { x: 1 }];
    const input: Doc[] = [...edges.map((c, i) => ({ _id: i, c })), { _id: edges.length }];
    // one document at a time: an error on one (a string in $add) would hide the others' answers
    for (const doc of input) {
      for (const x of [...edges, '$missing']) {
        for (const op of ['$add', '$subtract', '$divide', '$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$ifNull']) {
          // one operator on one document: one place to fail, so one error
          expectSameAsFallback([{ $project: { z: { [op]: ['$c', x] } } }], [doc], true);
          expectSameAsFallback([{ $project: { z: { [op]: [x, '$c'] } } }], [doc], true);
        }
      }
    }
    expectSameAsFallback([{ $group: { _id: '$c', n: { $sum: 1 }, hi: { $max: '$c' }, lo: { $min: '$c' }, all: { $addToSet: '$c' }, each: { $push: '$c' } } }], input);
    expectSameAsFallback([{ $sort: { c: 1 } }], input);
    expectSameAsFallback([{ $sort: { c: -1 } }], input);
  });

  it('a $sort followed by $limit (or $skip and $limit) keeps the fallback’s order among equal keys', () => {
    const sort = record({ a: fc.constantFrom(1, -1), c: fc.constantFrom(1, -1) }, { requiredKeys: ['c'] });
    fc.assert(
      fc.property(sort, fc.nat(6), fc.nat(3), fc.array(doc, { maxLength: 30 }), (spec, limit, skip, input) => {
        expectSameAsFallback([{ $sort: spec }, { $limit: limit }], input);
        expectSameAsFallback([{ $sort: spec }, { $skip: skip }, { $limit: limit }], input);
      }),
    );
  });

  it('$objectToArray and $unwind give the fallback’s rows, and leave the documents they read as they were', () => {
    const before = { ...runs };
    fc.assert(
      fc.property(rowsPipeline, fc.array(rowDoc, { maxLength: 8 }), (pipeline, input) => {
        const stored = input.map(encode);
        expectSameAsFallback(pipeline, input);
        for (const d of input) expectSameAsFallback(pipeline, [d]);
        // neither path writes into what it reads: the first stages read the stored documents themselves
        expect(input.map(encode)).toEqual(stored);
      }),
      { numRuns: 1500 },
    );
    expect(runs.wholeCompiled - before.wholeCompiled).toBeGreaterThan((runs.pipelines - before.pipelines) / 2);
  });

  it('edge values of $objectToArray and $unwind give the fallback’s answers (null, missing, "", {}, [], Dates, NaN, arrays on the path)', () => {
    const edges = [null, '', 0, NaN, false, {}, [], [null], [1, [2]], { x: 1 }, { x: [1, 2] }, { x: [] }, [{ x: 1 }, { x: [2] }], DATES[1], { '10': 1, b: 2, '2': 3 }];
    const input: Doc[] = [...edges.map((a, i) => ({ _id: i, a, z: 1 })), { _id: edges.length }];
    for (const doc of input) {
      // one document at a time: $objectToArray of a non-document is an error
      expectSameAsFallback([{ $project: { kv: { $objectToArray: '$a' } } }], [doc], true);
      for (const path of ['$a', '$a.x']) {
        for (const preserveNullAndEmptyArrays of [false, true]) {
          expectSameAsFallback([{ $unwind: { path, preserveNullAndEmptyArrays } }], [doc]);
          expectSameAsFallback([{ $unwind: { path, includeArrayIndex: 'i', preserveNullAndEmptyArrays } }], [doc]);
        }
      }
    }
  });

  it('an unwound row is its document with the one value replaced: the rest is shared, copied along the path only', () => {
    const doc: Doc = { _id: 1, times: [DATES[0]], n: { x: [1, 2], y: { z: 1 } }, kv: [{ k: 'a', v: 1 }, { k: 'b', v: 2 }] };
    const compiledOnly = (stages: Doc[]): Doc[] => runPipeline(stages, [doc], {}, leftToMingo('$unwind'));
    const rows = compiledOnly([{ $unwind: '$kv' }]);
    expect(rows).toHaveLength(2);
    rows.forEach((row, i) => {
      expect(row.kv).toBe((doc.kv as Doc[])[i]);
      expect(row.times).toBe(doc.times);
      expect(row.n).toBe(doc.n);
    });
    const nested = compiledOnly([{ $unwind: '$n.x' }]);
    expect(nested.map((row) => (row.n as Doc).x)).toEqual([1, 2]);
    for (const row of nested) {
      expect((row.n as Doc).y).toBe((doc.n as Doc).y);
      expect(row.kv).toBe(doc.kv);
    }
    // a document whose value is not an array is passed on as it is
    expect(compiledOnly([{ $unwind: '$_id' }])[0]).toBe(doc);
  });

  it('steps run with the $group after them a document at a time, failing where the fallback fails, and fall back where a stage cannot decide', () => {
    const input: Doc[] = [{ _id: 1, x: [1], y: 'text', a: [{ b: [1] }] }, { _id: 2, y: [1], a: [{ b: [2] }] }];
    // two places to fail: the second stage's error on the first document, met before the first stage's on the second, as MongoDB and mingo pass documents on
    expectSameAsFallback([{ $project: { s: { $size: '$x' }, y: 1 } }, { $project: { t: { $size: '$y' } } }, { $group: { _id: null, n: { $sum: 1 } } }], input, true);
    // a path through an array is the fallback's: it gets what the $project before it gave
    const before = answeredBy.mingoStages;
    expectSameAsFallback([{ $project: { a: 1 } }, { $unwind: '$a.b' }, { $group: { _id: '$a.b', n: { $sum: 1 } } }], input);
    expect(answeredBy.mingoStages).toBeGreaterThan(before);
  });

  // the messages' and cards' numbers are checked against hand counts in test/functions/message-stats.test.ts
  it('every pipeline of a day’s rollup over its user-days, events and sends is answered whole by the compiled path, stage by stage, with the fallback’s rows', () => {
    const days = ['2024-03-09', '2024-03-10'];
    const trace = generateTrace({ days, seed: 3, usersCount: 40, entriesPerDay: 400 });
    const events = [...trace.events, ...trace.lateEvents];
    const sends = sendsOf(trace.users.map((user) => user._id), days, events);
    const collections: Partial<Record<Pipeline['collection'], Doc[]>> = {
      events: [...events, ...sends.entries] as unknown as Doc[],
      user_days: userDaysOf(events, trace.users) as unknown as Doc[],
      users: trace.users as unknown as Doc[],
      messages: sends.messages,
      cards: sends.cards,
    };
    const options: AggregateOptions = { collectionResolver: (name: string) => collections[name as Pipeline['collection']] ?? [] };
    const answered = new Set<string>();
    for (const day of days) {
      const { dimensions, ...others } = dayPipelines(day);
      const pipelines: [string, Pipeline][] = [...Object.entries(others), ...Object.entries(dimensions), ['eventDaysBefore', eventDaysBeforePipeline(days[1])]];
      for (const [name, pipeline] of pipelines) {
        const input = collections[pipeline.collection] as Doc[];
        const stages = answeredBy.compiledStages;
        const rows = runPipeline(pipeline.stages, input, options, leftToMingo(name));
        expect(answeredBy.compiledStages - stages).toBe(pipeline.stages.length);
        if (rows.length > 0) answered.add(name);
        expectSameAsFallback(pipeline.stages, input, false, options);
      }
    }
    // each pipeline met documents on one day at least: its stages had values to compute
    expect([...answered].sort()).toEqual(['eventDaysBefore', ...Object.keys(dayPipelines(days[0])).filter((name) => name !== 'dimensions'), ...DIMENSIONS].sort());
  });

  it('the channel pipelines of a day’s rollup (kinds, groups, first touches) are answered whole by the compiled path, with the fallback’s rows', () => {
    const days = ['2024-03-09', '2024-03-10'];
    const trace = generateTrace({ days, seed: 3, usersCount: 40, entriesPerDay: 400 });
    // each user came first through their first entry's channel (tv$ad is not registered)
    const entries = trace.events.filter((e): e is EnterEvent => e.type === 'enter').sort((a, b) => a.at.getTime() - b.at.getTime());
    const users = trace.users.map((user) => ({ ...user, first: { ...user.first, channel: entries.find((e) => e.openid === user._id)?.channel } }));
    const registry: RegisteredChannel[] = [
      { _id: 'poster.spring', kind: 'wxacode', group: 'north' },
      { _id: 'qr-door', kind: 'wxacode', group: 'north' },
    ];
    const collections: Partial<Record<Pipeline['collection'], Doc[]>> = { user_days: userDaysOf(trace.events, users) as unknown as Doc[], users: users as unknown as Doc[] };
    const answered = new Set<string>();
    for (const day of days) {
      const channel = runPipeline(dimensionPipeline(day, 'channel').stages, collections.user_days as Doc[], {}) as DayOutputs['dimensions']['channel'];
      const dimensions = { ...Object.fromEntries(DIMENSIONS.map((d) => [d, []])), channel } as unknown as DayOutputs['dimensions'];
      for (const [name, pipeline] of Object.entries(channelPipelines(day, registry, { dimensions }))) {
        const input = collections[pipeline.collection] as Doc[];
        const stages = answeredBy.compiledStages;
        if (runPipeline(pipeline.stages, input, {}, leftToMingo(name)).length > 0) answered.add(name);
        expect(answeredBy.compiledStages - stages).toBe(pipeline.stages.length);
        expectSameAsFallback(pipeline.stages, input);
      }
    }
    expect([...answered].sort()).toEqual(['firstTouches', 'kindsAndGroups']);
  });
});
