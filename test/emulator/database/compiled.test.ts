/**
 * The database answers queries and pipelines with compiled code where it can (match.ts,
 * expressions.ts, aggregate.ts) and with mingo elsewhere. These properties pin the compiled
 * answers to mingo's own on generated documents — missing fields, nulls, NaN and -0, Dates,
 * arrays and nested objects included — and on every pipeline the rollup and the stats run.
 */
import fc from 'fast-check';
import { Aggregator, Query } from 'mingo';
import { runPipeline } from '../../../emulator/database/aggregate';
import type { Doc } from '../../../emulator/database/ejson';
import { encode } from '../../../emulator/database/ejson';
import { compileMatcher } from '../../../emulator/database/match';
import { dayPipelines, DIMENSIONS, eventDaysBeforePipeline, type Pipeline } from '../../../shared/rollup';
import { generateTrace } from '../../helpers/rollup-trace';

// Stored documents and pipelines come from JSON: never an object with a null prototype, which
// fast-check's records may otherwise give.
const record: typeof fc.record = ((shape: never, options?: object) => fc.record(shape, { ...options, noNullPrototype: true } as never)) as typeof fc.record;
const dictionary = <T>(keys: fc.Arbitrary<string>, values: fc.Arbitrary<T>, options: { minKeys?: number; maxKeys?: number }): fc.Arbitrary<Record<string, T>> =>
  fc.dictionary(keys, values, { ...options, noNullPrototype: true });

const DATES = [new Date(0), new Date(1_800_000), new Date(3_600_000), new Date(1_710_000_000_000)];

const scalar = fc.oneof(
  fc.integer({ min: -2, max: 3 }),
  fc.constantFrom(0.5, -0, NaN, 1_800_000),
  fc.constantFrom('x', 'y', '', '10'),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(...DATES),
);
const value = fc.oneof({ weight: 6, arbitrary: scalar }, { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) }, { weight: 1, arbitrary: record({ x: scalar }) });
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
    fc.tuple(fc.constantFrom('$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$add', '$subtract', '$divide'), tie('node'), tie('node')).map(([op, x, y]) => ({ [op]: [x, y] })),
    fc.tuple(fc.constantFrom('$and', '$or'), fc.array(tie('node'), { maxLength: 3 })).map(([op, xs]) => ({ [op]: xs })),
    fc.tuple(tie('node'), tie('node'), tie('node')).map(([i, t, e]) => ({ $cond: [i, t, e] })),
    fc.tuple(tie('node'), tie('node')).map(([i, t]) => ({ $cond: { if: i, then: t, else: 0 } })),
    fc.tuple(fc.constantFrom('$floor', '$size'), tie('node')).map(([op, x]) => ({ [op]: x })),
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
);

const accumulator = fc.oneof(
  fc.constantFrom({ $sum: 1 }, { $sum: 0.5 }, { $count: {} }),
  fc.tuple(fc.constantFrom('$sum', '$max', '$min', '$push', '$addToSet', '$avg'), fc.oneof(path, expression)).map(([op, e]) => ({ [op]: e })),
);

const condition = fc.oneof(
  scalar,
  fc.tuple(fc.constantFrom('$eq', '$ne', '$gt', '$gte', '$lt', '$lte'), scalar).map(([op, v]) => ({ [op]: v })),
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
);

/** A copy that compares equal when the values are equal: two invalid Dates are (jest's equality says not, NaN ≠ NaN). */
function comparable(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid Date' : value;
  if (Array.isArray(value)) return value.map(comparable);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, comparable(v)]));
  return value;
}

/** mingo's answer or its error, and ours: the same documents in the same order with the same keys in the same order. */
function expectSameAsMingo(pipeline: Doc[], input: Doc[]): void {
  let expected: Doc[] | undefined;
  try {
    expected = new Aggregator(pipeline).run(input) as Doc[];
  } catch {
    expect(() => runPipeline(pipeline, input, {})).toThrow();
    return;
  }
  const actual = runPipeline(pipeline, input, {});
  expect(comparable(actual)).toStrictEqual(comparable(expected));
  expect(actual.map(encode)).toEqual(expected.map(encode));
}

describe('compiled queries and pipelines answer exactly as mingo', () => {
  it('a compiled query matches the documents mingo matches', () => {
    fc.assert(
      fc.property(query, docs, (q, input) => {
        const compiled = compileMatcher(q);
        if (!compiled) return;
        const mingo = new Query(q);
        for (const d of input) expect(compiled(d)).toBe(mingo.test(d));
      }),
      { numRuns: 500 },
    );
  });

  it('a pipeline of compiled stages gives mingo’s documents', () => {
    fc.assert(
      fc.property(fc.array(stage, { minLength: 1, maxLength: 4 }), docs, (pipeline, input) => {
        expectSameAsMingo(pipeline, input);
        // and document by document: mingo refusing one would hide the others' answers
        for (const d of input) expectSameAsMingo(pipeline, [d]);
      }),
      { numRuns: 1500 },
    );
  });

  it('edge values of arithmetic and comparison give mingo’s answers (signed zeros, NaN, Dates, null, mixed types)', () => {
    const edges = [-0, 0, NaN, null, 1, '1', DATES[1], true];
    const input = edges.map((c, i) => ({ _id: i, c }));
    // one document at a time: mingo refusing one (a string in $add) would hide the others' answers
    for (const doc of input) {
      for (const x of edges) {
        for (const op of ['$add', '$subtract', '$divide', '$eq', '$ne', '$gt', '$gte', '$lt', '$lte']) {
          expectSameAsMingo([{ $project: { z: { [op]: ['$c', x] } } }], [doc]);
          expectSameAsMingo([{ $project: { z: { [op]: [x, '$c'] } } }], [doc]);
        }
      }
    }
    expectSameAsMingo([{ $group: { _id: '$c', n: { $sum: 1 }, hi: { $max: '$c' }, lo: { $min: '$c' }, all: { $addToSet: '$c' } } }], input);
  });

  it('a $sort followed by $limit (or $skip and $limit) keeps mingo’s order among equal keys', () => {
    const sort = record({ a: fc.constantFrom(1, -1), c: fc.constantFrom(1, -1) }, { requiredKeys: ['c'] });
    fc.assert(
      fc.property(sort, fc.nat(6), fc.nat(3), fc.array(doc, { maxLength: 30 }), (spec, limit, skip, input) => {
        expectSameAsMingo([{ $sort: spec }, { $limit: limit }], input);
        expectSameAsMingo([{ $sort: spec }, { $skip: skip }, { $limit: limit }], input);
      }),
    );
  });

  it('every rollup pipeline gives mingo’s rows on a generated trace', () => {
    const days = ['2024-03-09', '2024-03-10'];
    const trace = generateTrace({ days, seed: 3, usersCount: 40, entriesPerDay: 400 });
    const events = [...trace.events, ...trace.lateEvents] as unknown as Doc[];
    for (const day of days) {
      const p = dayPipelines(day);
      const pipelines: Pipeline[] = [p.totals, p.shareIntents, p.shareReturns, p.shareDepths, p.groupTotals, p.topGroups, p.late, ...DIMENSIONS.map((d) => p.dimensions[d]), eventDaysBeforePipeline(days[1])];
      for (const pipeline of pipelines) expectSameAsMingo(pipeline.stages, events);
    }
  });
});
