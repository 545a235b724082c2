/**
 * The cloud database's limits (emulator/database/limits.ts), each met through the real SDK the way
 * a cloud function meets it, and by a raw request where the SDK itself keeps to the limit: a page
 * of `get()`, the rows of an aggregate without `$limit`, a `$group` stage's memory and that of the
 * stages MongoDB also holds in memory, a sort of `get()`, a document's size and nesting, its field
 * names, a query's size (an `in` list), an answer's size, a batch insert and the collections of an
 * environment. Each refusal carries the errCode the SDK gives
 * the cloud's (-502001 for what MongoDB refuses) and writes nothing. The last suite checks the
 * size estimate against bson's own.
 */
import fs from 'node:fs';
import path from 'node:path';
import { calculateObjectSize } from 'bson';
import fc from 'fast-check';
import { runPipeline } from '../../../emulator/database/aggregate';
import { RequestCounter, runPipeline as runServerPipeline } from '../../../server/pipeline';
import type { Pipeline } from '../../../shared/rollup';
import type { Doc } from '../../../emulator/database/ejson';
import { answeredBy, mingoPipeline } from '../../../emulator/database/fallback';
import { AGGREGATE_MAX_ROWS, COLLECTIONS, DOCUMENT_BYTES, documentBytes, GROUP_MEMORY_BYTES, SORT_MEMORY_BYTES, withStageMemory } from '../../../emulator/database/limits';
import { FIXTURE_PROJECT, type RunningEmulator } from '../../helpers/emulator';
import { startDatabase, type Database } from './sdk';

let emulator: RunningEmulator;
let db: Database;
/** Collections this file creates, on top of the fixture's: the last suite counts them. */
const created: string[] = [];

async function collection(name: string): Promise<ReturnType<Database['collection']>> {
  await db.createCollection(name);
  created.push(name);
  return db.collection(name);
}

/** One request as the SDK would send it, straight to the wire: what the emulator does whatever the SDK asks. */
async function wire(params: Record<string, unknown>): Promise<{ data?: { list: string[] } }> {
  const response = await fetch(`${emulator.url}/admin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ envName: 'rukou-local', ...params }) });
  return (await response.json()) as { data?: { list: string[] } };
}

/**
 * What the SDK rejects with when the database refuses: errCode -502001 (DATABASE_REQUEST_FAILED) and
 * the refusal's text after its own prefix; `aggregate().end()` alone maps no code and answers -1.
 */
const refusal = (message: RegExp, errCode = -502001): object => expect.objectContaining({ errCode, message: expect.stringMatching(message) });

beforeAll(async () => {
  ({ emulator, db } = await startDatabase());
});
afterAll(() => emulator.stop());

describe('a page of get()', () => {
  beforeAll(async () => {
    const pages = await collection('limits_pages');
    const docs = Array.from({ length: 1200 }, (_, n) => ({ n }));
    for (let i = 0; i < docs.length; i += 600) await pages.add({ data: docs.slice(i, i + 600) });
  });

  it('holds 1000 documents at most and 100 without a limit, through the SDK', async () => {
    expect((await db.collection('limits_pages').limit(5000).get()).data).toHaveLength(1000);
    expect((await db.collection('limits_pages').get()).data).toHaveLength(100);
  });

  it('holds the same whatever the request asks: 1000 for a limit of 5000, 100 with none', async () => {
    const asked = await wire({ action: 'database.getDocument', collectionName: 'limits_pages', queryType: 'WHERE', query: '{}', limit: 5000 });
    expect(asked.data?.list).toHaveLength(1000);
    const unasked = await wire({ action: 'database.getDocument', collectionName: 'limits_pages', queryType: 'WHERE', query: '{}' });
    expect(unasked.data?.list).toHaveLength(100);
  });
});

describe('the rows of aggregate()…end()', () => {
  beforeAll(async () => {
    await (await collection('limits_rows')).add({ data: Array.from({ length: 25 }, (_, n) => ({ n })) });
  });

  it('are cut to 20 when the pipeline has no $limit, after every stage', async () => {
    const { list } = await db.collection('limits_rows').aggregate().sort({ n: 1 }).end();
    expect(list.map((row: { n: number }) => row.n)).toEqual(Array.from({ length: 20 }, (_, n) => n));
    expect((await db.collection('limits_rows').aggregate().group({ _id: '$n' }).end()).list).toHaveLength(20);
  });

  it('are all there with a $limit of its own', async () => {
    expect((await db.collection('limits_rows').aggregate().sort({ n: 1 }).limit(25).end()).list).toHaveLength(25);
  });

  it('are cut whatever the request sends', async () => {
    const answer = await wire({ action: 'database.aggregateDocuments', collectionName: 'limits_rows', stages: [{ stageKey: '$sort', stageValue: '{"n":1}' }] });
    expect(answer.data?.list).toHaveLength(20);
  });
});

describe('the rows of aggregate()…end() with a $limit', () => {
  const ROWS = AGGREGATE_MAX_ROWS + 50;
  beforeAll(async () => {
    const many = await collection('limits_many');
    const docs = Array.from({ length: ROWS }, (_, n) => ({ _id: `d${String(n).padStart(5, '0')}`, n: n % 7 }));
    for (let i = 0; i < docs.length; i += 1000) await many.add({ data: docs.slice(i, i + 1000) });
  });

  it('are cut to 10,000, the bound reported, however many the $limit asks', async () => {
    expect((await db.collection('limits_many').aggregate().sort({ n: 1, _id: 1 }).limit(2 * ROWS).end()).list).toHaveLength(AGGREGATE_MAX_ROWS);
  });

  it('reach Rukou\'s pipelines whole all the same: the runner asks past the bound in pages, each row once, in order', async () => {
    const counter = new RequestCounter();
    const pipeline = { collection: 'limits_many', stages: [{ $sort: { n: 1, _id: 1 } }, { $limit: 2 * ROWS }] } as unknown as Pipeline;
    const rows = await runServerPipeline<{ _id: string; n: number }>(db as never, pipeline, counter);
    expect(counter.count).toBe(2);
    expect(rows).toHaveLength(ROWS);
    expect(new Set(rows.map((row) => row._id)).size).toBe(ROWS);
    const order = [...rows].sort((a, b) => a.n - b.n || (a._id < b._id ? -1 : 1));
    expect(rows).toEqual(order);
    // a $limit of exactly two pages takes two requests; within the bound, one
    const exact = new RequestCounter();
    expect(await runServerPipeline(db as never, { ...pipeline, stages: [{ $sort: { n: 1, _id: 1 } }, { $limit: ROWS - 50 }] } as Pipeline, exact)).toHaveLength(ROWS - 50);
    expect(exact.count).toBe(1);
  });

  it('are not paged without an order of every row: the pages could repeat or miss one', async () => {
    const pipeline = { collection: 'limits_many', stages: [{ $sort: { n: 1 } }, { $limit: 2 * ROWS }] } as unknown as Pipeline;
    await expect(runServerPipeline(db as never, pipeline, new RequestCounter())).rejects.toThrow('without a $sort by _id last');
  });
});

describe('a $group stage', () => {
  // Keys of 128 × 2^16 characters = 8 MiB each, built inside the database from small documents:
  // 12 groups stay under 100 MiB, 13 go over.
  const KEY_DOUBLINGS = 16;
  beforeAll(async () => {
    const docs = Array.from({ length: 13 }, (_, n) => ({ n, s: `${String(n).padStart(3, '0')}${'k'.repeat(125)}` }));
    await (await collection('limits_groups')).add({ data: docs });
  });

  const groups = (count: number): Promise<{ list: { n: number }[] }> => {
    const $ = db.command.aggregate;
    const bigKey = $.reduce({ input: $.range([0, KEY_DOUBLINGS]), initialValue: '$s', in: $.concat(['$$value', '$$value']) });
    return db
      .collection('limits_groups')
      .aggregate()
      .match({ n: db.command.lt(count) })
      .group({ _id: bigKey, n: $.sum(1) })
      .project({ _id: 0, n: 1 })
      .limit(100)
      .end();
  };

  it('holds groups up to 100 MiB', async () => {
    expect(12 * (128 << KEY_DOUBLINGS)).toBeLessThan(GROUP_MEMORY_BYTES);
    expect((await groups(12)).list).toHaveLength(12);
  });

  it('is refused past 100 MiB, with MongoDB’s refusal', async () => {
    await expect(groups(13)).rejects.toEqual(refusal(/:fail Exceeded memory limit for \$group, but didn't allow external sort/, -1));
  });

  it('counts the groups of a stage the compiled code answers as mingo’s (a $push of 1 MiB strings, shared in memory)', () => {
    const megabyte = 'm'.repeat(1 << 20);
    const pipeline = [{ $group: { _id: null, all: { $push: '$s' } } }];
    const run = (count: number): Doc[] => withStageMemory(pipeline, Array.from({ length: count }, () => ({ s: megabyte })), (stages, docs) => runPipeline(stages, docs, {}));
    const [under] = run(99);
    expect(calculateObjectSize(under)).toBeLessThanOrEqual(GROUP_MEMORY_BYTES);
    expect(() => run(100)).toThrow(/Exceeded memory limit for \$group/);
  });
});

describe('the stages MongoDB holds in memory', () => {
  // documents of 8 MiB built inside the database from small ones (as for $group above): 12 hold
  // 96 MiB, under the 100 MiB of a stage; 13 hold 104 MiB, over it
  const $ = (): Database['command']['aggregate'] => db.command.aggregate;
  const big = (): unknown => $().reduce({ input: $().range([0, KEY_DOUBLINGS]), initialValue: '$s', in: $().concat(['$$value', '$$value']) });
  const KEY_DOUBLINGS = 16;
  const bigDocs = (count: number): ReturnType<Database['collection']> =>
    db.collection('limits_groups').aggregate().match({ n: db.command.lt(count) }).addFields({ big: big() });

  it('refuses a $sort of more than 100 MiB, and holds only what a $limit after it keeps', async () => {
    await expect(bigDocs(13).sort({ n: 1 }).project({ n: 1 }).limit(100).end()).rejects.toEqual(refusal(/:fail Sort exceeded memory limit of 104857600 bytes, but did not opt in to external sorting/, -1));
    expect((await bigDocs(12).sort({ n: 1 }).project({ n: 1 }).limit(100).end()).list).toHaveLength(12);
    expect((await bigDocs(13).sort({ n: -1 }).limit(1).project({ n: 1 }).end()).list).toEqual([{ _id: expect.anything(), n: 12 }]);
  });

  it('refuses $bucket and $sortByCount past 100 MiB as the $group they are, and $bucketAuto as the sort it does', async () => {
    const bucket = (count: number): Promise<{ list: unknown[] }> =>
      bigDocs(count).bucket({ groupBy: '$n', boundaries: [0, 100], output: { all: $().push('$big') } }).project({ n: $().size('$all') }).end();
    await expect(bucket(13)).rejects.toEqual(refusal(/Exceeded memory limit for \$group, but didn't allow external sort/, -1));
    expect((await bucket(12)).list).toEqual([{ _id: 0, n: 12 }]);
    await expect(bigDocs(13).sortByCount('$big').project({ count: 1 }).end()).rejects.toEqual(refusal(/Exceeded memory limit for \$group/, -1));
    await expect(bigDocs(13).bucketAuto({ groupBy: '$n', buckets: 1 }).end()).rejects.toEqual(refusal(/Sort exceeded memory limit of 104857600 bytes/, -1));
    expect((await bigDocs(12).bucketAuto({ groupBy: '$n', buckets: 1 }).end()).list).toHaveLength(1);
  });

  it('refuses a $lookup joining more than 100 MiB into a document, and a result document past 16 MiB', async () => {
    const lookup = (count: number): Promise<unknown> =>
      db
        .collection('limits_groups')
        .aggregate()
        .limit(1)
        .lookup({ from: 'limits_groups', pipeline: $().pipeline().match({ n: db.command.lt(count) }).addFields({ big: big() }).done(), as: 'joined' })
        .end();
    await expect(lookup(13)).rejects.toEqual(refusal(/Total size of documents in limits_groups matching pipeline's \$lookup stage exceeds 104857600 bytes/, -1));
    await expect(lookup(3)).rejects.toEqual(refusal(/BSONObj size: \d+ \(0x[0-9A-F]+\) is invalid. Size must be between 0 and 16793600\(16MB\) First element: /, -1));
  });

  it('holds each of these the same whoever answers the stage, the compiled code or mingo', () => {
    const megabyte = 'm'.repeat(1 << 20);
    const docs = (count: number): Doc[] => Array.from({ length: count }, (_, n) => ({ n, s: megabyte }));
    const sort = [{ $sort: { n: -1 } }];
    // what an equality $lookup joins into one document: `count` of the megabyte documents
    const joining = (count: number): [Doc[], Doc[]] => [[{ $lookup: { from: 'big', localField: 'k', foreignField: 'k', as: 'joined' } }], [{ k: count }]];
    const big = docs(100).map((doc, n): Doc => ({ ...doc, k: n < 99 ? [99, 100] : 100 }));
    const options = { collectionResolver: (name: string) => (name === 'big' ? big : []) };
    const run = {
      compiled: (stages: Doc[], input: Doc[]): Doc[] => withStageMemory(stages, input, (part, rows) => runPipeline(part, rows, options)),
      mingo: (stages: Doc[], input: Doc[]): Doc[] => withStageMemory(stages, input, (part, rows) => mingoPipeline(part, rows, options)),
    };
    expect(100 * (1 << 20)).toBeLessThanOrEqual(SORT_MEMORY_BYTES);
    for (const answer of Object.values(run)) {
      expect(answer(sort, docs(99))).toHaveLength(99);
      expect(() => answer(sort, docs(100))).toThrow(/Sort exceeded memory limit/);
      expect(answer([...sort, { $limit: 50 }], docs(100))).toHaveLength(50);
      expect(() => answer([{ $bucketAuto: { groupBy: '$n', buckets: 2 } }], docs(100))).toThrow(/Sort exceeded memory limit/);
      expect(() => answer([{ $bucket: { groupBy: '$n', boundaries: [0, 1000], output: { all: { $push: '$s' } } } }], docs(100))).toThrow(/Exceeded memory limit for \$group/);
      expect(answer(...joining(99))[0].joined).toHaveLength(99);
      expect(() => answer(...joining(100))).toThrow(/Total size of documents in big matching pipeline's \$lookup stage exceeds 104857600 bytes/);
    }
    // the compiled path joined those itself
    const before = answeredBy.mingoStages;
    expect(() => run.compiled(...joining(100))).toThrow(/\$lookup stage exceeds/);
    expect(answeredBy.mingoStages).toBe(before);
  });
});

describe('a sort of get()', () => {
  // three documents of 11.5 MB: 34.5 MB, past the 32 MiB a find sorts in memory
  beforeAll(async () => {
    for (const n of [1, 2, 3]) await db.collection('events').add({ data: { _id: `big${n}`, n, at: new Date(n), s: 'x'.repeat(11_500_000) } });
  });

  it('is refused past 32 MiB when no index gives the order, with the text the cloud answers', async () => {
    await expect(db.collection('events').orderBy('n', 'asc').field({ n: true }).get()).rejects.toEqual(
      refusal(/\(OperationFailed\) Executor error during find command :: caused by :: Sort operation used more than the maximum 33554432 bytes of RAM. Add an index, or specify a smaller limit./),
    );
  });

  it('holds only the documents of the page and those it skips', async () => {
    expect((await db.collection('events').orderBy('n', 'desc').limit(2).field({ n: true }).get()).data).toEqual([{ _id: 'big3', n: 3 }, { _id: 'big2', n: 2 }]);
    await expect(db.collection('events').orderBy('n', 'desc').skip(1).limit(2).field({ n: true }).get()).rejects.toEqual(refusal(/Sort operation used more than the maximum/));
  });

  it('is not held when an index gives the order, either way: _id, or an index’s leading keys', async () => {
    const ids = async (field: string, direction: string): Promise<string[]> => (await db.collection('events').orderBy(field, direction).field({ _id: true }).get()).data.map((doc: { _id: string }) => doc._id);
    expect(await ids('at', 'desc')).toEqual(['big3', 'big2', 'big1']);
    expect(await ids('_id', 'asc')).toEqual(['big1', 'big2', 'big3']);
  });
});

describe('a document', () => {
  beforeAll(() => collection('limits_docs'));

  it('is stored up to 16 MiB, refused past it, and an update may not grow it past it', async () => {
    const bytes = (length: number): number => calculateObjectSize({ _id: 'big', s: 'x'.repeat(length) });
    const fits = DOCUMENT_BYTES - bytes(0);
    expect(bytes(fits)).toBe(DOCUMENT_BYTES);
    await expect(db.collection('limits_docs').add({ data: { _id: 'big', s: 'x'.repeat(fits + 1) } })).rejects.toEqual(
      refusal(new RegExp(`object to insert too large. size in bytes: ${DOCUMENT_BYTES + 1}, max size: ${DOCUMENT_BYTES}`)),
    );
    expect((await db.collection('limits_docs').where({ _id: 'big' }).count()).total).toBe(0);
    await db.collection('limits_docs').add({ data: { _id: 'big', s: 'x'.repeat(fits) } });
    await expect(db.collection('limits_docs').doc('big').update({ data: { more: 1 } })).rejects.toEqual(refusal(/Resulting document after update is larger than 16777216/));
    expect((await db.collection('limits_docs').doc('big').field({ more: true }).get()).data).toEqual({ _id: 'big' });
  });

  /** `levels` levels of objects and arrays in turn, the outermost the document's field `a` (the document itself is one more). */
  const nested = (levels: number): unknown => {
    let value: unknown = {};
    for (let level = 1; level < levels; level++) value = level % 2 ? [value] : { a: value };
    return value;
  };

  it('is stored with 100 levels of nesting, the document itself the first, and refused with 101', async () => {
    await db.collection('limits_docs').add({ data: { _id: 'deep', a: nested(99) } });
    await expect(db.collection('limits_docs').add({ data: { _id: 'deeper', a: nested(100) } })).rejects.toEqual(
      refusal(/cannot insert document because it exceeds 100 levels of nesting/),
    );
    const _ = db.command;
    await expect(db.collection('limits_docs').doc('deep').update({ data: { b: _.set(nested(100)) } })).rejects.toEqual(refusal(/Document exceeds maximum nesting depth of 100/));
    await db.collection('limits_docs').doc('deep').update({ data: { b: _.set(nested(99)) } });
    expect(await db.collection('limits_docs').where({ _id: _.in(['deep', 'deeper']) }).count()).toMatchObject({ total: 1 });
  });

  it('may not have a field named with a $ prefix, a dot or a NUL, at any depth, whether added or updated', async () => {
    const add = (data: Doc): Promise<unknown> => db.collection('limits_docs').add({ data });
    await expect(add({ $bad: 1 })).rejects.toEqual(refusal(/The dollar \(\$\) prefixed field '\$bad' in '\$bad' is not valid for storage/));
    await expect(add({ ok: { list: [{ $bad: 1 }] } })).rejects.toEqual(refusal(/'\$bad' in 'ok\.list\.0\.\$bad'/));
    await expect(add({ 'a.b': 1 })).rejects.toEqual(refusal(/The dotted field 'a\.b' in 'a\.b' is not valid for storage/));
    await expect(add({ ok: { 'a\u0000b': 1 } })).rejects.toEqual(refusal(/field names cannot contain null bytes/));
    await add({ _id: 'named', price$: 1, nested: { fine_name: true } });
    const _ = db.command;
    await expect(db.collection('limits_docs').doc('named').update({ data: { nested: _.set({ 'x.y': 1 }) } })).rejects.toEqual(refusal(/The dotted field 'x\.y' in 'nested\.x\.y'/));
    expect((await db.collection('limits_docs').doc('named').get()).data).toEqual({ _id: 'named', price$: 1, nested: { fine_name: true } });
  });
});

describe('a query', () => {
  beforeAll(() => collection('limits_queries'));

  // `in` lists of strings of 8,500 characters: 1,900 of them make a query of about 16.2 MB,
  // 2,000 one of about 17 MB, past what MongoDB reads (16 MiB + 16 KiB).
  const ids = (count: number): string[] => Array.from({ length: count }, (_, i) => `${String(i).padStart(5, '0')}${'i'.repeat(8495)}`);

  it('may carry an in list as long as its query stays within 16 MiB + 16 KiB, whatever the count', async () => {
    const _ = db.command;
    expect((await db.collection('limits_queries').where({ _id: _.in(ids(1900)) }).get()).data).toEqual([]);
    await expect(db.collection('limits_queries').where({ _id: _.in(ids(2000)) }).get()).rejects.toEqual(refusal(/BSONObj size: \d+ \(0x[0-9A-F]+\) is invalid. Size must be between 0 and 16793600/));
    await expect(db.collection('limits_queries').where({ _id: _.in(ids(2000)) }).remove()).rejects.toEqual(refusal(/BSONObj size/));
  });
});

describe('an answer', () => {
  beforeAll(async () => {
    const answers = await collection('limits_answers');
    for (const id of ['a1', 'a2']) await answers.add({ data: { _id: id, s: id.repeat(4_500_000) } });
  });

  it('carries 16 MiB of documents at most: two of 9 MB are refused with the cloud’s text, one is read', async () => {
    await expect(db.collection('limits_answers').get()).rejects.toEqual(refusal(/查询结果超过单次回包大小限制，请缩小查询范围或添加查询条件/));
    await expect(db.collection('limits_answers').aggregate().sort({ _id: 1 }).limit(2).end()).rejects.toEqual(refusal(/查询结果超过单次回包大小限制/, -1));
    expect((await db.collection('limits_answers').limit(1).get()).data).toHaveLength(1);
    expect((await db.collection('limits_answers').field({ _id: true }).get()).data).toEqual([{ _id: 'a1' }, { _id: 'a2' }]);
  });

  it('counts BSON, not EJSON: a document of 9 MB of quotes (18 MB as JSON) that add stored is read back', async () => {
    await db.collection('limits_answers').add({ data: { _id: 'quotes', s: '"'.repeat(9_000_000) } });
    const { data } = await db.collection('limits_answers').doc('quotes').get();
    expect(data.s).toHaveLength(9_000_000);
  });
});

describe('a batch insert', () => {
  beforeAll(() => collection('limits_batches'));

  it('carries 100,000 documents at most, and a longer one writes nothing', async () => {
    const docs = Array.from({ length: 100_001 }, (_, n) => ({ n }));
    await expect(db.collection('limits_batches').add({ data: docs })).rejects.toEqual(refusal(/Write batch sizes must be between 1 and 100000. Got 100001 operations./));
    expect((await db.collection('limits_batches').count()).total).toBe(0);
  });
});

describe('the environment', () => {
  it('takes a name MongoDB takes: no $ or NUL, none in the system. namespace', async () => {
    for (const name of ['a$b', 'system.x', 'nul\u0000x']) {
      await expect(db.createCollection(name)).rejects.toMatchObject({ errMsg: expect.stringContaining('Invalid collection name') });
    }
    await expect(db.createCollection('limits_fine.name')).resolves.toBeDefined();
    created.push('limits_fine.name');
  });

  it('holds 100 collections: the next one is refused (DATABASE_COLLECTION_EXCEED_LIMIT)', async () => {
    const declared = Object.keys((JSON.parse(fs.readFileSync(path.join(FIXTURE_PROJECT, 'database', 'collections.json'), 'utf8')) as { collections: object }).collections).length;
    const existing = declared + created.length;
    for (let i = existing; i < COLLECTIONS; i++) await collection(`limits_spare_${i}`);
    // createCollection keeps the backend's code and maps no errCode (-1); the SDK's table maps the code to -502004
    await expect(db.createCollection('limits_one_too_many')).rejects.toMatchObject({ code: 'DATABASE_COLLECTION_EXCEED_LIMIT', errCode: -1, errMsg: expect.stringMatching(/at most 100 collections/) });
    await expect(db.collection('limits_one_too_many').count()).rejects.toMatchObject({ errCode: -502005 });
  });
});

describe('the size estimate', () => {
  // JSON.parse makes `__proto__` an own field, fast-check's records a prototype: leave it out
  const key = fc.string().filter((name) => name !== '__proto__');
  const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
    scalar: fc.oneof(fc.string({ unit: 'grapheme' }), fc.double(), fc.integer(), fc.constantFrom(-0, 2 ** 31, -(2 ** 31), 2 ** 53), fc.boolean(), fc.constant(null), fc.date({ noInvalidDate: true }), fc.constantFrom(/a/i, /b+/gm)),
    array: fc.array(tie('any'), { maxLength: 4 }),
    object: fc.dictionary(key, tie('any'), { maxKeys: 4, noNullPrototype: true }),
    any: fc.oneof({ depthSize: 'small' }, tie('scalar'), tie('array'), tie('object')),
  })).any;

  it('is the BSON size bson computes, for every kind of value a document holds', () => {
    fc.assert(
      fc.property(fc.dictionary(key, value, { noNullPrototype: true }), (doc) => {
        expect(documentBytes(doc)).toBe(calculateObjectSize(doc));
      }),
      { numRuns: 2000 },
    );
  });
});
