/**
 * `$lookup`'s equality join (emulator/database/lookup.ts) answers as MongoDB 4.0 does: each
 * document's local values make the query its DocumentSourceLookUp builds (`$eq` for one value,
 * `$in` for several, an `$or` of `$eq` when a regular expression is among them; null when none),
 * and the joined documents are those the query matches, in natural order. Checked against that
 * query run by the corrected mingo over the whole collection, on generated collections with and
 * without an index on the foreign field and with a history of updates and re-inserts, through both
 * database paths; then through the real SDK, case by case; and its cost: what it reads of the
 * foreign collection is what its documents match, nothing when no document comes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import type { Doc } from '../../../emulator/database/ejson';
import { answeredBy, mingoQuery } from '../../../emulator/database/fallback';
import { localValues } from '../../../emulator/database/lookup';
import { DatabaseOperations, liveReader, type Reader } from '../../../emulator/database/operations';
import { withField } from '../../../emulator/database/semantics';
import { DatabaseState, type WriteOp } from '../../../emulator/database/state';
import type { RunningEmulator } from '../../helpers/emulator';
import { clear, insertEJSON, startDatabase, stats, type Database } from './sdk';

// Stored documents come from EJSON: never an object with a null prototype, which fast-check's records may otherwise give.
const record: typeof fc.record = ((shape: never, options?: object) => fc.record(shape, { ...options, noNullPrototype: true } as never)) as typeof fc.record;

describe('the values a document joins by (visitAllValuesAtPath)', () => {
  it.each([
    [{ a: 1 }, 'a', [1]],
    [{ a: [1, [2, 3], { b: 4 }] }, 'a', [1, [2, 3], { b: 4 }]],
    [{ a: [] }, 'a', [null]],
    [{}, 'a', [null]],
    [{ a: null }, 'a', [null]],
    [{ a: [{ b: 1 }, { b: [2, 3] }, { c: 4 }, 5, [{ b: 6 }]] }, 'a.b', [1, 2, 3]],
    [{ a: { b: [] } }, 'a.b', [null]],
    [{ a: [[1, 2], [3]] }, 'a.0', [1, 2]],
    [{ a: [[{ b: 1 }], [{ b: 2 }]] }, 'a.1.0.b', [2]],
    [{ a: [{ b: 1 }, { b: 2 }] }, 'a.1.b', [2]],
    [{ a: { 0: 'name' } }, 'a.0', ['name']],
    [{ 0: 'first part is a name' }, '0', ['first part is a name']],
    [{ a: 5 }, 'a.b', [null]],
  ])('%j at %s: %j', (doc, field, values) => {
    expect(localValues(doc, field.split('.'))).toEqual(values);
  });
});

describe('joined documents are those the query MongoDB builds matches, in natural order', () => {
  const DATES = [new Date(0), new Date(3_600_000)];
  const scalar = fc.constantFrom<unknown>(1, 2, 2.5, 0, -0, NaN, 'a', 'b', '', true, false, null, ...DATES, /a/, /a/i);
  const value = fc.oneof(
    { weight: 5, arbitrary: scalar },
    { weight: 2, arbitrary: fc.array(scalar, { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.array(fc.array(scalar, { maxLength: 2 }), { maxLength: 2 }) },
    { weight: 1, arbitrary: record({ w: scalar }) },
    { weight: 1, arbitrary: fc.array(record({ w: fc.oneof(scalar, fc.array(scalar, { maxLength: 2 })) }, { requiredKeys: [] }), { maxLength: 3 }) },
    // the same fields in either order: unequal in MongoDB
    { weight: 1, arbitrary: fc.constantFrom({ x: 1, y: 2 }, { y: 2, x: 1 }) },
  );
  const doc = (id: number): fc.Arbitrary<Doc> => fc.option(value, { nil: undefined, freq: 6 }).map((v) => (v === undefined ? { _id: id } : { _id: id, v }));
  const docs = (count: number): fc.Arbitrary<Doc[]> => fc.tuple(...Array.from({ length: count }, (_, id) => doc(id)));
  /** What happens to the foreign collection after it is loaded: a document rewritten (it keeps its place), or removed and added again (it goes last). */
  const change = fc.record({ id: fc.nat(7), readd: fc.boolean(), v: value });
  const spec = record({
    localField: fc.constantFrom('v', 'v.w', 'v.0', 'v.0.w', 'missing'),
    foreignField: fc.constantFrom('v', 'v.w', 'v.0', '_id'),
    as: fc.constantFrom('joined', 'v', 'n.joined'),
  });

  let dir: string;
  let state: DatabaseState;
  let operations: DatabaseOperations;
  let reader: Reader;
  const index = (field: string): { name: string; keys: { name: string; direction: '1' }[] } => ({ name: field, keys: [{ name: field, direction: '1' }] });
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rukou-lookup-'));
    // the same documents twice: `indexed` answers from its indexes, `scanned` has none
    const specs = [
      { name: 'local', rules: {}, indexes: [] },
      { name: 'indexed', rules: {}, indexes: [index('v'), index('v.w'), index('v.0')] },
      { name: 'scanned', rules: {}, indexes: [] },
    ];
    state = new DatabaseState(dir, specs, () => undefined);
    operations = new DatabaseOperations(state);
    reader = liveReader(state);
  });
  afterAll(() => {
    state.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const replace = (collection: string, contents: Doc[]): void => {
    const ops: WriteOp[] = [...state.collection(collection).docs.keys()].map((id) => ({ kind: 'delete', collection, id }));
    state.commit([...ops, ...contents.map((doc): WriteOp => ({ kind: 'put', collection, doc }))]);
  };

  /** MongoDB's query for one document's values (makeMatchStageFromInput), run by the corrected mingo over the collection in natural order. */
  function expected(lookup: { localField: string; foreignField: string; as: string }, from: string, input: Doc[]): Doc[] {
    const foreign = [...state.collection(from).candidates({})];
    return input.map((doc) => {
      const values = localValues(doc, lookup.localField.split('.'));
      const eq = (v: unknown): Doc => ({ [lookup.foreignField]: { $eq: v } });
      const query = values.length === 1 ? eq(values[0]) : values.some((v) => v instanceof RegExp) ? { $or: values.map(eq) } : { [lookup.foreignField]: { $in: values } };
      return withField(doc, lookup.as.split('.'), foreign.filter(mingoQuery(query)));
    });
  }

  it('through both paths, with and without an index, after updates and re-inserts', () => {
    let compiled = 0;
    fc.assert(
      fc.property(docs(5), docs(8), fc.array(change, { maxLength: 4 }), spec, (input, loaded, changes, lookup) => {
        replace('local', input);
        for (const from of ['indexed', 'scanned']) {
          replace(from, loaded);
          for (const { id, readd, v } of changes) {
            const doc = { _id: id, v };
            state.commit(readd ? [{ kind: 'delete', collection: from, id }, { kind: 'put', collection: from, doc }] : [{ kind: 'put', collection: from, doc }]);
          }
        }
        const want = expected(lookup, 'indexed', input);
        // both collections hold the same documents in the same order
        expect(expected(lookup, 'scanned', input)).toEqual(want);
        for (const from of ['indexed', 'scanned']) {
          const stage = { $lookup: { from, ...lookup } };
          const before = { ...answeredBy };
          expect(operations.aggregate(reader, 'local', [stage])).toEqual(want);
          expect(answeredBy.mingoStages).toBe(before.mingoStages);
          compiled += answeredBy.compiledStages - before.compiledStages;
          // a stage the compiled code does not take first: mingo runs the $lookup
          expect(operations.aggregate(reader, 'local', [{ $match: {} }, { $match: { $expr: true } }, stage])).toEqual(want);
          expect(answeredBy.mingoStages).toBe(before.mingoStages + 2);
        }
      }),
      { numRuns: 400 },
    );
    expect(compiled).toBe(800);
  });
});

describe('what a $lookup reads of the foreign collection', () => {
  let dir: string;
  let state: DatabaseState;
  let operations: DatabaseOperations;
  let reader: Reader;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rukou-lookup-'));
    state = new DatabaseState(
      dir,
      [
        { name: 'sends', rules: {}, indexes: [] },
        { name: 'entries', rules: {}, indexes: [{ name: 'messageId', keys: [{ name: 'messageId', direction: '1' }] }] },
        { name: 'plain', rules: {}, indexes: [] },
      ],
      () => undefined,
    );
    operations = new DatabaseOperations(state);
    reader = liveReader(state);
    const entries = Array.from({ length: 10_000 }, (_, n): Doc => (n % 1000 === 0 ? { _id: n, messageId: `m${n / 1000}`, n } : { _id: n, n }));
    state.commit([
      ...[0, 1, 2].map((n): WriteOp => ({ kind: 'put', collection: 'sends', doc: { _id: `m${n}`, day: n } })),
      ...entries.map((doc): WriteOp => ({ kind: 'put', collection: 'entries', doc })),
      ...entries.map((doc): WriteOp => ({ kind: 'put', collection: 'plain', doc })),
    ]);
  });
  afterAll(() => {
    state.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The documents the stage examined (the stats route's `examined`), and its answer. */
  const examined = (pipeline: Doc[]): { examined: number; rows: Doc[] } => {
    const before = state.examined;
    const rows = operations.aggregate(reader, 'sends', pipeline);
    return { examined: state.examined - before, rows };
  };
  const lookup = (from: string, forced = false): Doc[] => [
    { $match: { day: { $lt: 2 } } },
    ...(forced ? [{ $match: { $expr: true } }] : []),
    { $lookup: { from, localField: '_id', foreignField: 'messageId', as: 'through' } },
  ];

  it('through an index: the documents its documents match, whichever path runs it', () => {
    for (const forced of [false, true]) {
      const { examined: read, rows } = examined(lookup('entries', forced));
      expect(rows.map((row) => [row._id, (row.through as Doc[]).map((entry) => entry._id)])).toEqual([
        ['m0', [0]],
        ['m1', [1000]],
      ]);
      // the two sends the $match reads (of three), and one entry for each
      expect(read).toBe(3 + 2);
    }
  });

  it('nothing when no document comes, with an index or without', () => {
    for (const from of ['entries', 'plain', 'no_such_collection']) {
      for (const forced of [false, true]) {
        const none = [{ $match: { day: 99 } }, ...(forced ? [{ $match: { $expr: true } }] : []), { $lookup: { from, localField: '_id', foreignField: 'messageId', as: 'through' } }];
        expect(examined(none)).toEqual({ examined: 3, rows: [] });
      }
    }
  });

  it('without an index, the collection once for the whole stage, not once per document', () => {
    const { examined: read, rows } = examined(lookup('plain'));
    expect(rows.map((row) => (row.through as Doc[]).map((entry) => entry._id))).toEqual([[0], [1000]]);
    expect(read).toBe(3 + 10_000);
  });
});

describe('through the SDK', () => {
  let emulator: RunningEmulator;
  let db: Database;

  beforeAll(async () => {
    ({ emulator, db } = await startDatabase());
    // `events` has an index whose first field is `day` in the fixture project, `products` none: each lookup runs against both
    for (const name of ['todos', 'events', 'products']) await clear(db, name);
    const foreign = [
      '{"_id": "f1", "day": "a"}',
      '{"_id": "f2", "day": ["a", "b"]}',
      '{"_id": "f3", "day": null}',
      '{"_id": "f4"}',
      '{"_id": "f5", "day": []}',
      '{"_id": "f6", "day": {"$numberInt": "2"}}',
      '{"_id": "f7", "day": {"$numberDouble": "2.0"}}',
      '{"_id": "f8", "day": {"$numberLong": "2"}}',
      '{"_id": "f9", "day": {"$numberDecimal": "2"}}',
      '{"_id": "f10", "day": {"$date": {"$numberLong": "0"}}}',
      '{"_id": "f11", "day": {"x": 1, "y": 2}}',
      '{"_id": "f12", "day": {"y": 2, "x": 1}}',
      '{"_id": "f13", "day": [[1, 2]]}',
      '{"_id": "f14", "day": [1, 2]}',
      '{"_id": "f15", "day": true}',
      '{"_id": "f16", "day": "A"}',
    ];
    for (const name of ['events', 'products']) expect(await insertEJSON(emulator, name, foreign)).toMatchObject({ data: { insertedIds: expect.any(Array) } });
    await db.collection('todos').add({
      data: [
        { _id: 'l1', v: 'a' },
        { _id: 'l2', v: ['b', 'zz'] },
        { _id: 'l3' },
        { _id: 'l4', v: null },
        { _id: 'l5', v: [] },
        { _id: 'l6', v: 2 },
        { _id: 'l7', v: 2.5 },
        { _id: 'l8', v: new Date(0) },
        { _id: 'l9', v: 0 },
        { _id: 'l10', v: { x: 1, y: 2 } },
        { _id: 'l11', v: [[1, 2]] },
        { _id: 'l12', v: [2, 1] },
        { _id: 'l13', v: [{ w: 'a' }, { w: 'b' }, { w: 'a' }] },
        { _id: 'l14', v: true },
      ],
    });
  });
  afterAll(() => emulator.stop());

  /** Each local document's id and those of the documents it joined, and which path answered. */
  async function joins(from: string, localField: string, forced = false): Promise<{ joined: [string, string[]][]; mingoStages: number }> {
    const before = (await stats(emulator)).answeredBy;
    const start = forced ? db.collection('todos').aggregate().match({}).match(db.command.expr(true)) : db.collection('todos').aggregate();
    const { list } = await start.lookup({ from, localField, foreignField: 'day', as: 'joined' }).limit(100).end();
    const after = (await stats(emulator)).answeredBy;
    return { joined: list.map((row: { _id: string; joined: { _id: string }[] }) => [row._id, row.joined.map((doc) => doc._id)]), mingoStages: after.mingoStages - before.mingoStages };
  }

  it('matches arrays on either side by any element, null and missing (and an empty local array) with null and missing, numbers of every type by value, Dates by time, documents field by field in order', async () => {
    const want = [
      ['l1', ['f1', 'f2']],
      ['l2', ['f2']],
      ['l3', ['f3', 'f4']],
      ['l4', ['f3', 'f4']],
      // MongoDB 4.0 joins an empty array as null
      ['l5', ['f3', 'f4']],
      ['l6', ['f6', 'f7', 'f8', 'f9', 'f14']],
      ['l7', []],
      ['l8', ['f10']],
      ['l9', []],
      ['l10', ['f11']],
      // an array inside the local array is one value, matching an element or the whole of the foreign array
      ['l11', ['f13', 'f14']],
      // several values: each matching document once, in the collection's order
      ['l12', ['f6', 'f7', 'f8', 'f9', 'f14']],
      // embedded documents, which no foreign value equals
      ['l13', []],
      ['l14', ['f15']],
    ];
    for (const from of ['events', 'products']) {
      for (const forced of [false, true]) {
        const answer = await joins(from, 'v', forced);
        expect(answer.joined).toEqual(want);
        expect(answer.mingoStages > 0).toBe(forced);
      }
    }
    // through an array of embedded documents: each one's value
    for (const from of ['events', 'products']) expect((await joins(from, 'v.w')).joined.find(([id]) => id === 'l13')).toEqual(['l13', ['f1', 'f2']]);
  });

  it('gives the joined documents whole, the stored ones, with their values as stored', async () => {
    const { list } = await db.collection('todos').aggregate().match({ _id: 'l8' }).lookup({ from: 'events', localField: 'v', foreignField: 'day', as: 'joined' }).end();
    expect(list).toEqual([{ _id: 'l8', v: new Date(0), joined: [{ _id: 'f10', day: new Date(0) }] }]);
    const nested = await db.collection('todos').aggregate().match({ _id: 'l1' }).lookup({ from: 'events', localField: 'v', foreignField: 'day', as: 'n.joined' }).end();
    expect(nested.list).toEqual([{ _id: 'l1', v: 'a', n: { joined: [{ _id: 'f1', day: 'a' }, { _id: 'f2', day: ['a', 'b'] }] } }]);
  });

  it('keeps natural order: a document rewritten keeps its place, one removed and added again goes last', async () => {
    const joined = async (from: string): Promise<string[]> => {
      const { list } = await db
        .collection('todos')
        .aggregate()
        .match({ _id: 'l1' })
        .project({ k: db.command.aggregate.literal(['k', 'x']) })
        .lookup({ from, localField: 'k', foreignField: 'day', as: 'joined' })
        .end();
      return list[0].joined.map((doc: { _id: string }) => doc._id);
    };
    for (const from of ['events', 'products']) {
      await db.collection(from).add({ data: [{ _id: 'g1', day: 'k' }, { _id: 'g2', day: 'y' }, { _id: 'g3', day: 'x' }, { _id: 'g4', day: 'k' }] });
      // g2 moves to the key 'x' (to the end of its entries in the index on `day`) and keeps its place
      await db.collection(from).doc('g2').update({ data: { day: 'x' } });
      expect(await joined(from)).toEqual(['g1', 'g2', 'g3', 'g4']);
      await db.collection(from).doc('g1').remove();
      await db.collection(from).add({ data: { _id: 'g1', day: 'k' } });
      expect(await joined(from)).toEqual(['g2', 'g3', 'g4', 'g1']);
    }
  });

  it('joins nothing from a collection that does not exist, and reads nothing for no document', async () => {
    const { list } = await db.collection('todos').aggregate().match({ _id: 'l1' }).lookup({ from: 'no_such_collection', localField: 'v', foreignField: 'day', as: 'joined' }).end();
    expect(list).toEqual([{ _id: 'l1', v: 'a', joined: [] }]);
    const before = (await stats(emulator)).examined;
    const none = await db.collection('todos').aggregate().match({ _id: 'nobody' }).lookup({ from: 'products', localField: 'v', foreignField: 'day', as: 'joined' }).end();
    expect(none.list).toEqual([]);
    expect((await stats(emulator)).examined).toBe(before);
  });
});
