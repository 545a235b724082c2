import { emulatorNow, type RunningEmulator } from '../../helpers/emulator';
import { clear, cloud, startDatabase, type Database } from './sdk';

let emulator: RunningEmulator;
let db: Database;

beforeAll(async () => {
  ({ emulator, db } = await startDatabase());
});
afterAll(() => emulator.stop());
beforeEach(() => clear(db, 'todos'));

interface SdkError {
  errCode: number;
  message: string;
}

async function failure(promise: Promise<unknown>): Promise<SdkError> {
  try {
    await promise;
  } catch (error) {
    return error as SdkError;
  }
  throw new Error('expected the call to fail');
}

describe('add and get', () => {
  it('adds one document with a generated _id and reads it back with its types', async () => {
    const at = new Date('2024-05-01T08:00:00.000Z');
    const added = await db.collection('todos').add({ data: { title: 'a', n: 1.5, done: false, at, tags: ['x'], nested: { deep: { v: null } } } });
    expect(added._id).toMatch(/^[0-9a-f]{32}$/);
    const { data } = await db.collection('todos').doc(added._id as string).get();
    expect(data).toEqual({ _id: added._id, title: 'a', n: 1.5, done: false, at, tags: ['x'], nested: { deep: { v: null } } });
    expect(data.at).toBeInstanceOf(Date);
  });

  it('adds a batch in one request and answers every _id in order', async () => {
    const added = await db.collection('todos').add({ data: [{ _id: 'b1', n: 1 }, { n: 2 }, { _id: 'b3', n: 3 }] });
    const ids = (added as unknown as { _ids: string[] })._ids;
    expect(ids).toHaveLength(3);
    expect(ids[0]).toBe('b1');
    expect(ids[2]).toBe('b3');
    expect((await db.collection('todos').count()).total).toBe(3);
  });

  it('refuses a duplicate _id (errCode -502001, E11000) and never overwrites', async () => {
    await db.collection('todos').add({ data: { _id: 'same', v: 'first' } });
    const error = await failure(db.collection('todos').add({ data: { _id: 'same', v: 'second' } }));
    expect(error.errCode).toBe(-502001);
    expect(error.message).toMatch(/duplicate key/);
    expect((await db.collection('todos').doc('same').get()).data.v).toBe('first');
  });

  it('writes nothing of a batch that holds a duplicate, inside the batch or against the collection', async () => {
    await db.collection('todos').add({ data: { _id: 'kept' } });
    expect((await failure(db.collection('todos').add({ data: [{ _id: 'new1' }, { _id: 'kept' }] }))).errCode).toBe(-502001);
    expect((await failure(db.collection('todos').add({ data: [{ _id: 'new2' }, { _id: 'new2' }] }))).errCode).toBe(-502001);
    const { data } = await db.collection('todos').get();
    expect(data.map((d: { _id: string }) => d._id)).toEqual(['kept']);
  });

  it('stamps db.serverDate() with the server clock, plus its offset', async () => {
    const before = await emulatorNow(emulator.url);
    const { _id } = await db.collection('todos').add({ data: { at: db.serverDate(), later: db.serverDate({ offset: 60_000 }) } });
    const after = await emulatorNow(emulator.url);
    const { data } = await db.collection('todos').doc(_id as string).get();
    expect(data.at).toBeInstanceOf(Date);
    expect(data.at.getTime()).toBeGreaterThanOrEqual(before);
    expect(data.at.getTime()).toBeLessThanOrEqual(after);
    expect(data.later.getTime() - data.at.getTime()).toBe(60_000);
  });

  it('answers -502005 for a collection that does not exist, until it is created', async () => {
    const name = `created_${Date.now()}`;
    const error = await failure(db.collection(name).get());
    expect(error.errCode).toBe(-502005);
    expect((await failure(db.collection(name).add({ data: { a: 1 } }))).errCode).toBe(-502005);
    await db.createCollection(name);
    await db.collection(name).add({ data: { _id: 'x', a: 1 } });
    expect((await db.collection(name).doc('x').get()).data).toEqual({ _id: 'x', a: 1 });
  });
});

describe('doc().get() when the document is missing', () => {
  it('rejects by default (throwOnNotFound)', async () => {
    const error = await failure(db.collection('todos').doc('missing').get());
    expect(error.message).toMatch(/document with _id missing does not exist/);
  });

  it('answers data: null with throwOnNotFound: false', async () => {
    const lenient: Database = cloud.database({ throwOnNotFound: false } as Parameters<typeof cloud.database>[0]);
    const result = await lenient.collection('todos').doc('missing').get();
    expect(result.data).toBeNull();
  });
});

describe('update, set, remove', () => {
  it('merges nested objects on update instead of replacing them', async () => {
    await db.collection('todos').add({ data: { _id: 'm', profile: { name: 'a', age: 3, city: { name: 'x', zip: 1 } }, keep: true } });
    const result = await db.collection('todos').doc('m').update({ data: { profile: { age: 4, city: { zip: 2 } } } });
    expect(result.stats.updated).toBe(1);
    expect((await db.collection('todos').doc('m').get()).data).toEqual({ _id: 'm', profile: { name: 'a', age: 4, city: { name: 'x', zip: 2 } }, keep: true });
  });

  it('counts only documents that changed', async () => {
    await db.collection('todos').add({ data: [{ _id: 'u1', g: 1, v: 1 }, { _id: 'u2', g: 1, v: 2 }, { _id: 'u3', g: 2, v: 1 }] });
    const result = await db.collection('todos').where({ g: 1 }).update({ data: { v: 1 } });
    expect(result.stats.updated).toBe(1);
  });

  it('replaces the whole document on set, and creates it when missing', async () => {
    await db.collection('todos').add({ data: { _id: 's', a: 1, b: { c: 2 } } });
    const replaced = await db.collection('todos').doc('s').set({ data: { b: { d: 3 } } });
    expect(replaced.stats.updated).toBe(1);
    expect((await db.collection('todos').doc('s').get()).data).toEqual({ _id: 's', b: { d: 3 } });
    const created = await db.collection('todos').doc('fresh').set({ data: { z: 1 } });
    expect(created._id).toBe('fresh');
    expect(created.stats).toEqual({ updated: 0, created: 1 });
    expect((await db.collection('todos').doc('fresh').get()).data).toEqual({ _id: 'fresh', z: 1 });
  });

  it('updates every match of a where, and removes by where and by doc', async () => {
    await db.collection('todos').add({ data: [{ _id: 'r1', g: 'a' }, { _id: 'r2', g: 'a' }, { _id: 'r3', g: 'b' }] });
    expect((await db.collection('todos').where({ g: 'a' }).update({ data: { seen: true } })).stats.updated).toBe(2);
    expect((await db.collection('todos').where({ seen: true }).count()).total).toBe(2);
    expect((await db.collection('todos').where({ g: 'a' }).remove()).stats.removed).toBe(2);
    expect((await db.collection('todos').doc('r3').remove()).stats.removed).toBe(1);
    expect((await db.collection('todos').count()).total).toBe(0);
  });

  it('stamps serverDate inside an update', async () => {
    await db.collection('todos').add({ data: { _id: 'd', at: new Date(0) } });
    const before = await emulatorNow(emulator.url);
    await db.collection('todos').doc('d').update({ data: { at: db.serverDate() } });
    const after = await emulatorNow(emulator.url);
    const { data } = await db.collection('todos').doc('d').get();
    expect(data.at.getTime()).toBeGreaterThanOrEqual(before);
    expect(data.at.getTime()).toBeLessThanOrEqual(after);
  });
});

describe('paging', () => {
  const N = 2500;
  beforeEach(async () => {
    const docs = Array.from({ length: N }, (_, i) => ({ _id: `p${String(i).padStart(5, '0')}`, n: (i * 7919) % N, even: i % 2 === 0 }));
    for (let i = 0; i < N; i += 1000) await db.collection('todos').add({ data: docs.slice(i, i + 1000) });
  });

  it('pages a sorted query over more than 1000 documents with skip and limit', async () => {
    const seen: number[] = [];
    for (let skip = 0; skip < N; skip += 1000) {
      const { data } = await db.collection('todos').orderBy('n', 'desc').skip(skip).limit(1000).get();
      seen.push(...data.map((d: { n: number }) => d.n));
    }
    expect(seen).toEqual(Array.from({ length: N }, (_, i) => N - 1 - i));
  });

  it('caps a page at 1000 and answers 100 when no limit is given', async () => {
    expect((await db.collection('todos').limit(5000).get()).data).toHaveLength(1000);
    expect((await db.collection('todos').get()).data).toHaveLength(100);
    expect((await db.collection('todos').where({ even: true }).count()).total).toBe(N / 2);
  });

  it('sorts on two fields and projects fields', async () => {
    const { data } = await db.collection('todos').orderBy('even', 'asc').orderBy('n', 'asc').limit(3).field({ n: true }).get();
    expect(data).toEqual([
      { _id: expect.any(String), n: expect.any(Number) },
      { _id: expect.any(String), n: expect.any(Number) },
      { _id: expect.any(String), n: expect.any(Number) },
    ]);
    const first = await db.collection('todos').where({ even: false }).orderBy('n', 'asc').limit(1).get();
    expect(data[0].n).toBe(first.data[0].n);
  });
});

/** A database request sent as the wire carries it, where the SDK would not send it so. */
const wire = async (params: Record<string, unknown>): Promise<Record<string, unknown>> =>
  (await (await fetch(`${emulator.url}/admin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) })).json()) as Record<string, unknown>;

describe('a field named __proto__ (the SDK drops one, so these are sent as the wire carries them)', () => {
  const stored = async (): Promise<string> => ((await wire({ action: 'database.getDocument', collectionName: 'todos', query: '{"_id":"p1"}' })).data as { list: string[] }).list[0];
  const modify = (data: string, merge = true): Promise<Record<string, unknown>> => wire({ action: 'database.modifyDocument', collectionName: 'todos', query: '{"_id":"p1"}', data, multi: false, merge, upsert: false });
  const DOC = '{"_id":"p1","n":1,"a":{"__proto__":{"x":1},"y":2},"__proto__":"top"}';

  beforeEach(async () => {
    expect(await wire({ action: 'database.insertDocument', collectionName: 'todos', data: [DOC] })).toMatchObject({ data: { insertedIds: ['p1'] } });
  });

  it('is stored, and kept when an update or a set() copies the document (it was dropped)', async () => {
    expect(await stored()).toBe(DOC);
    expect(await modify('{"$set":{"n":2}}')).toMatchObject({ data: { updated: 1 } });
    expect(await stored()).toBe(DOC.replace('"n":1', '"n":2'));
    expect(await modify(DOC.replace('"_id":"p1",', '').replace('"n":1', '"n":3'), false)).toMatchObject({ data: { updated: 1 } });
    expect(await stored()).toBe(DOC.replace('"n":1', '"n":3'));
  });

  it('cannot be updated by an operator here, and the refusal says so (mingo skipped {$set: {__proto__}} without a word)', async () => {
    for (const data of ['{"$set":{"__proto__":"changed"}}', '{"$set":{"a.__proto__.x":2}}', '{"$inc":{"n":1},"$rename":{"n":"__proto__"}}']) {
      expect(await modify(data)).toMatchObject({ code: 'DATABASE_REQUEST_FAILED', message: expect.stringContaining('cannot update a field named __proto__') });
    }
    expect(await stored()).toBe(DOC);
  });

  it('is an output field of a $group like any other', async () => {
    const answer = await wire({ action: 'database.aggregateDocuments', collectionName: 'todos', stages: [{ stageKey: '$group', stageValue: '{"_id":null,"__proto__":{"$sum":"$n"}}' }] });
    expect(answer.data).toEqual({ list: ['{"_id":null,"__proto__":1}'] });
  });
});

describe('values of the other BSON types (sent as the wire carries them)', () => {
  const DOC = '{"_id":"t1","oid":{"$oid":"6b0c6312d6989a120f74e7fa"},"bin":{"$binary":{"base64":"aGk=","subType":"00"}},"n":1}';

  it('are kept when an update changes another field of their document (they became plain objects of their insides)', async () => {
    expect(await wire({ action: 'database.insertDocument', collectionName: 'todos', data: [DOC] })).toMatchObject({ data: { insertedIds: ['t1'] } });
    expect(await wire({ action: 'database.modifyDocument', collectionName: 'todos', query: '{"_id":"t1"}', data: '{"$set":{"n":2}}', multi: false, merge: true, upsert: false })).toMatchObject({ data: { updated: 1 } });
    const stored = (await wire({ action: 'database.getDocument', collectionName: 'todos', query: '{"_id":"t1"}' })).data as { list: string[] };
    expect(stored.list).toEqual([DOC.replace('"n":1', '"n":2')]);
  });
});

describe('an update operator whose operand is no document (sent as the wire carries it)', () => {

  it('is refused in MongoDB\'s words, and nothing changes (null was a TypeError, 5 did nothing, [1] set a field "0")', async () => {
    await wire({ action: 'database.insertDocument', collectionName: 'todos', data: ['{"_id":"m1","n":1}'] });
    for (const [data, type] of [['{"$unset":null}', 'null'], ['{"$inc":5}', 'int'], ['{"$inc":[1]}', 'array'], ['{"$set":"x"}', 'string']]) {
      const answer = await wire({ action: 'database.modifyDocument', collectionName: 'todos', query: '{"_id":"m1"}', data, multi: false, merge: true, upsert: false });
      expect(answer).toMatchObject({ code: 'DATABASE_REQUEST_FAILED', message: expect.stringContaining(`Modifiers operate on fields but we found type ${type} instead`) });
    }
    expect(((await wire({ action: 'database.getDocument', collectionName: 'todos', query: '{"_id":"m1"}' })).data as { list: string[] }).list).toEqual(['{"_id":"m1","n":1}']);
  });
});

describe("a field's object with `$` keys (sent as the wire carries it)", () => {
  const matched = async (query: string): Promise<Record<string, unknown>> => wire({ action: 'database.getDocument', collectionName: 'todos', query, limit: 10 });

  it('is operators when its first key is one, and then every key must be; otherwise a document to equal, as MongoDB reads it (valueOf first was a TypeError)', async () => {
    // no stored document has a field named $set (an insert refuses one), so a document to equal matches none
    await wire({ action: 'database.insertDocument', collectionName: 'todos', data: ['{"_id":"q2","t":2}'] });
    for (const [query, answer] of [
      ['{"t":{"valueOf":1,"$set":1}}', { data: { list: [] } }],
      ['{"t":{"valueOf":2}}', { data: { list: [] } }],
      ['{"t":{"a":1,"$gt":1}}', { data: { list: [] } }],
      ['{"t":{"$gt":1,"a":1}}', { code: 'DATABASE_INVALID_OPERRATOR', message: 'unknown operator: a' }],
      ['{"t":{"$not":{"$gt":1,"valueOf":1}}}', { code: 'DATABASE_INVALID_OPERRATOR', message: 'unknown operator: valueOf' }],
    ] as const) {
      expect({ query, answer: await matched(query) }).toMatchObject({ query, answer });
    }
  });
});

describe('a stage whose specification is not what it takes (sent as the wire carries it)', () => {
  it("is refused in MongoDB's words before it runs (mingo read fields of null: \"Cannot read properties of null (reading 'newRoot')\")", async () => {
    for (const [stageKey, stageValue, message] of [
      ['$replaceRoot', 'null', 'expected an object as specification for $replaceRoot stage, got null'],
      ['$replaceRoot', '{}', 'no newRoot specified for the $replaceRoot stage'],
      ['$addFields', 'null', '$addFields specification stage must be an object, got null'],
      ['$lookup', '1', 'the $lookup specification must be an Object, but found int'],
      ['$graphLookup', 'null', 'Argument to $graphLookup stage must be an object, but found type: null'],
      ['$bucketAuto', '{}', "$bucketAuto requires 'groupBy' and 'buckets' to be specified"],
      ['$redact', 'null', "$redact's expression should not return anything aside from the variables $$KEEP, $$DESCEND, and $$PRUNE, but returned null"],
    ]) {
      const answer = await wire({ action: 'database.aggregateDocuments', collectionName: 'todos', stages: [{ stageKey, stageValue }] });
      expect({ stageKey, stageValue, answer }).toMatchObject({ stageKey, stageValue, answer: { code: 'DATABASE_REQUEST_FAILED', message } });
    }
  });
});
