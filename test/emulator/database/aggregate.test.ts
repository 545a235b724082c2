import type { RunningEmulator } from '../../helpers/emulator';
import { clear, startDatabase, type Database } from './sdk';

let emulator: RunningEmulator;
let db: Database;

beforeAll(async () => {
  ({ emulator, db } = await startDatabase());
  await Promise.all([clear(db, 'events'), clear(db, 'products')]);
  await db.collection('events').add({
    data: [
      { _id: 'e1', day: '2024-05-01', type: 'entry', scene: 1007, openid: 'u1', items: ['p1', 'p2'], ms: 120 },
      { _id: 'e2', day: '2024-05-01', type: 'entry', scene: 1007, openid: 'u1', items: ['p2'], ms: 80 },
      { _id: 'e3', day: '2024-05-01', type: 'entry', scene: 1089, openid: 'u2', items: [], ms: 40 },
      { _id: 'e4', day: '2024-05-02', type: 'entry', scene: 1007, openid: 'u3', items: ['p1'], ms: 60 },
      { _id: 'e5', day: '2024-05-02', type: 'show', scene: 1089, openid: 'u3', items: ['p3'], ms: 10 },
    ],
  });
  await db.collection('products').add({
    data: [
      { _id: 'p1', title: 'tea', price: 12 },
      { _id: 'p2', title: 'cake', price: 30 },
      { _id: 'p3', title: 'bun', price: 5 },
    ],
  });
});
afterAll(() => emulator.stop());

const $ = () => db.command.aggregate;

it('groups with accumulators, then sorts', async () => {
  const { list } = await db
    .collection('events')
    .aggregate()
    .match({ type: 'entry' })
    .group({ _id: '$scene', entries: $().sum(1), users: $().addToSet('$openid'), avgMs: $().avg('$ms'), maxMs: $().max('$ms') })
    .sort({ entries: -1 })
    .end();
  expect(list).toHaveLength(2);
  expect(list[0]).toMatchObject({ _id: 1007, entries: 3, avgMs: (120 + 80 + 60) / 3, maxMs: 120 });
  expect([...list[0].users].sort()).toEqual(['u1', 'u3']);
  expect(list[1]).toMatchObject({ _id: 1089, entries: 1 });
});

it('counts distinct users per day in two group stages', async () => {
  const { list } = await db
    .collection('events')
    .aggregate()
    .group({ _id: { day: '$day', openid: '$openid' } })
    .group({ _id: '$_id.day', users: $().sum(1) })
    .sort({ _id: 1 })
    .end();
  expect(list).toEqual([
    { _id: '2024-05-01', users: 2 },
    { _id: '2024-05-02', users: 1 },
  ]);
});

it('projects with expressions and adds fields', async () => {
  const { list } = await db
    .collection('events')
    .aggregate()
    .match({ _id: 'e1' })
    .project({ _id: 0, seconds: $().divide(['$ms', 1000]), label: $().concat(['$type', '@', '$day']), itemCount: $().size('$items') })
    .addFields({ slow: $().gt(['$seconds', 0.1]) })
    .end();
  expect(list).toEqual([{ seconds: 0.12, label: 'entry@2024-05-01', itemCount: 2, slow: true }]);
});

it('counts, skips and limits', async () => {
  expect((await db.collection('events').aggregate().match({ day: '2024-05-01' }).count('n').end()).list).toEqual([{ n: 3 }]);
  const { list } = await db.collection('events').aggregate().sort({ ms: 1 }).skip(1).limit(2).project({ ms: 1 }).end();
  expect(list).toEqual([
    { _id: 'e3', ms: 40 },
    { _id: 'e4', ms: 60 },
  ]);
});

it('unwinds arrays and looks up another collection', async () => {
  const { list } = await db
    .collection('events')
    .aggregate()
    .unwind('$items')
    .lookup({ from: 'products', localField: 'items', foreignField: '_id', as: 'product' })
    .unwind('$product')
    .group({ _id: '$product.title', revenue: $().sum('$product.price'), sold: $().sum(1) })
    .sort({ revenue: -1 })
    .end();
  expect(list).toEqual([
    { _id: 'cake', revenue: 60, sold: 2 },
    { _id: 'tea', revenue: 24, sold: 2 },
    { _id: 'bun', revenue: 5, sold: 1 },
  ]);
});

it('sorts by count, buckets and replaces the root', async () => {
  expect((await db.collection('events').aggregate().sortByCount('$scene').end()).list).toEqual([
    { _id: 1007, count: 3 },
    { _id: 1089, count: 2 },
  ]);
  const buckets = await db
    .collection('events')
    .aggregate()
    .bucket({ groupBy: '$ms', boundaries: [0, 50, 100, 1000], default: 'other', output: { n: $().sum(1) } })
    .end();
  expect(buckets.list).toEqual([
    { _id: 0, n: 2 },
    { _id: 50, n: 2 },
    { _id: 100, n: 1 },
  ]);
  const roots = await db.collection('events').aggregate().match({ _id: 'e5' }).replaceRoot({ newRoot: { who: '$openid', at: '$day' } }).end();
  expect(roots.list).toEqual([{ who: 'u3', at: '2024-05-02' }]);
});

// The SDK declares facet() but its aggregate builder has no such stage, so no request can carry
// one. When an SDK upgrade makes this fail, facet reaches the emulator: test it there (mingo runs it).
it('facet cannot be built by this SDK: it throws before any request', () => {
  expect(() => db.collection('events').aggregate().facet({ total: [{ $count: 'n' }] })).toThrow(TypeError);
});

it('refuses to aggregate a collection that does not exist', async () => {
  // aggregate().end() is the one SDK call that does not map the backend code to -502005: it answers -1.
  await expect(db.collection('no_such_collection').aggregate().match({ a: 1 }).end()).rejects.toMatchObject({
    errCode: -1,
    message: expect.stringMatching(/collection.aggregate:fail .*"no_such_collection" does not exist/),
  });
});

it('reads a date string with a space between the day and the time, as MongoDB 4.0 does, and refuses one it cannot read', async () => {
  const parse = (dateString: string): Promise<{ list: unknown[] }> =>
    db.collection('events').aggregate().match({ _id: 'e1' }).project({ _id: 0, at: $().dateFromString({ dateString, timezone: 'Asia/Shanghai' }) }).end();
  expect((await parse('2024-03-10 00:30:00')).list).toEqual([{ at: new Date('2024-03-09T16:30:00Z') }]);
  await expect(parse('not a date')).rejects.toMatchObject({ message: expect.stringContaining("Error parsing date string 'not a date'") });
});

/** One pipeline as the wire carries it, with whatever stages the SDK would not build. */
async function raw(stages: Record<string, unknown>[]): Promise<{ code?: string; message?: string; data?: unknown }> {
  const body = { envName: 'rukou-local', action: 'database.aggregateDocuments', collectionName: 'events', stages: stages.map((stage) => ({ stageKey: Object.keys(stage)[0], stageValue: JSON.stringify(Object.values(stage)[0]) })) };
  const response = await fetch(`${emulator.url}/admin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return (await response.json()) as { code?: string; message?: string };
}

it('refuses a stage MongoDB 4.0 does not know, with its text', async () => {
  for (const stage of [{ $set: { b: 1 } }, { $unset: 'a' }, { $replaceWith: '$a' }, { $merge: { into: 'x' } }, { $unionWith: 'products' }, { $setWindowFields: { output: {} } }, { $densify: {} }, { $fill: {} }, { $documents: [] }, { $bogus: 1 }]) {
    const name = Object.keys(stage)[0];
    expect(await raw([{ $match: {} }, stage])).toMatchObject({ code: 'DATABASE_INVALID_OPERRATOR', message: `Unrecognized pipeline stage name: '${name}'` });
  }
  expect(await raw([{ $lookup: { from: 'products', pipeline: [{ $set: { b: 1 } }], as: 'p' } }])).toMatchObject({ message: "Unrecognized pipeline stage name: '$set'" });
});

it('refuses $out, which this SDK cannot build (out() throws before any request) and the reference does not document, rather than answer as if it wrote', async () => {
  expect(() => db.collection('events').aggregate().out('copies')).toThrow(TypeError);
  expect(await raw([{ $out: 'copies' }])).toMatchObject({ code: 'DATABASE_INVALID_OPERRATOR', message: expect.stringContaining('the emulator does not run $out') });
  expect(await raw([{ $geoNear: { near: [0, 0], distanceField: 'd' } }])).toMatchObject({ message: expect.stringContaining('the emulator does not run $geoNear') });
});

it('samples each document at most once, and refuses a size that is no number (it drew forever and took the emulator down)', async () => {
  const all = await db.collection('events').aggregate().sample({ size: 1e12 }).end();
  expect(all.list.map((doc: { _id: string }) => doc._id).sort()).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
  expect((await db.collection('events').aggregate().sample({ size: 2 }).end()).list).toHaveLength(2);
  for (const [spec, error] of [
    ['n', 'the $sample stage specification must be an object'],
    [{ size: 'n' }, 'size argument to $sample must be a number'],
    [{ size: -1 }, 'size argument to $sample must not be negative'],
    [{}, '$sample stage must specify a size'],
    [{ size: 1, seed: 2 }, 'unrecognized option to $sample: seed'],
  ] as const) {
    await expect(db.collection('events').aggregate().sample(spec as never).end()).rejects.toMatchObject({ message: expect.stringContaining(error) });
  }
  // still answering
  expect((await db.collection('events').aggregate().sample({ size: 1 }).end()).list).toHaveLength(1);
});

it('refuses a $group, $project or $addFields MongoDB 4.0 refuses, whether compiled or run by mingo (a break-it pass: {c: 1} grouped, {} projected)', async () => {
  const refused = async (stage: Record<string, unknown>, error: string): Promise<void> => {
    // sent as a raw pipeline stage, as the SDK's builder passes any object on
    const builder = db.collection('events').aggregate() as unknown as Record<string, (spec: unknown) => { end(): Promise<unknown> }>;
    const [name, spec] = Object.entries(stage)[0];
    await expect(builder[name.slice(1)](spec).end()).rejects.toMatchObject({ message: expect.stringContaining(error) });
  };
  await refused({ $group: { _id: null, c: 1 } }, "The field 'c' must be an accumulator object");
  await refused({ $group: { _id: null, c: {} } }, "The field 'c' must be an accumulator object");
  await refused({ $group: { _id: null, c: { $sum: 1, $max: 1 } } }, "The field 'c' must specify one accumulator");
  await refused({ $group: { _id: null, 'c.d': { $sum: 1 } } }, "the group aggregate field name 'c.d' cannot be used because $group's field names cannot contain '.'");
  await refused({ $group: { c: { $sum: 1 } } }, 'a group specification must include an _id');
  await refused({ $project: {} }, 'Invalid $project :: caused by :: specification must have at least one field');
  await refused({ $addFields: {} }, 'Invalid $addFields :: caused by :: specification must have at least one field');
  // each field a path the server's FieldPath takes (a break-it pass: "$bad" and "" were added, "a..b" projected)
  await refused({ $addFields: { $bad: 1 } }, "FieldPath field names may not start with '$'");
  await refused({ $addFields: { '': 1 } }, 'FieldPath cannot be constructed with empty string');
  await refused({ $project: { 'a..b': 1 } }, 'FieldPath field names may not be empty strings');
  const { list } = await db.collection('events').aggregate().group({ _id: null, c: $().sum(1) }).end();
  expect(list).toEqual([{ _id: null, c: expect.any(Number) }]);
});

it('refuses a $size of other than one argument, as the server does, not reading the list as an array (a break-it pass: ["$arr", 1, 2] answered 3)', async () => {
  for (const [args, n] of [[['$items', 1, 2], 3], [['$items', '$items'], 2], [[], 0]] as const) {
    await expect(db.collection('events').aggregate().match({ _id: 'e1' }).project({ n: $().size(args as never) }).end()).rejects.toMatchObject({ message: expect.stringContaining(`Expression $size takes exactly 1 arguments. ${n} were passed in.`) });
  }
  const { list } = await db.collection('events').aggregate().match({ _id: 'e1' }).project({ _id: 0, n: $().size([[1, 2]]) }).end();
  expect(list).toEqual([{ n: 2 }]);
});

it('refuses a $range past MongoDB\'s 100 MiB, as MongoDB does (one of 2e9 numbers took the emulator down)', async () => {
  await expect(db.collection('events').aggregate().project({ r: $().size($().range([0, 2e9])) }).end()).rejects.toMatchObject({
    message: expect.stringContaining('$range would use too much memory (32000000000 bytes) and cannot spill to disk. Memory limit: 104857600 bytes'),
  });
  const { list } = await db.collection('events').aggregate().match({ _id: 'e1' }).project({ _id: 0, r: $().range([0, 10, 3]) }).end();
  expect(list).toEqual([{ r: [0, 3, 6, 9] }]);
});
