/**
 * The database's wire protocol (`POST /admin`, `database.*`) fuzzed with raw requests, as the SDK
 * sends them (canonical EJSON texts) but with one parameter broken, since the SDK itself checks
 * what it sends: documents with `$` and `.` and NUL in field names, nested past 100 levels, of
 * the wrong type, not EJSON, with wrappers that hold no value (`{"$date": "garbage"}`), duplicate
 * ids, queries, orders, projections, updates and pipeline stages of every shape, odd collection
 * names, transactions that are not open.
 *
 * The oracle: every answer is HTTP 200 with the backend's `{code, message, requestId}` and a code
 * the SDK maps (never SYS_ERR, the emulator's own fault, and never a JavaScript engine's error
 * text passed off as the database's), or the correct result, checked against a model of the
 * collection `fuzz` that only the suite writes: an insert answers the ids it stored and a read
 * gives back each document as bson's own relaxed EJSON gives it back (so as the SDK reads it),
 * counts, reads by id, updates and removes by id do what the model says. A refused request
 * writes nothing (the log does not grow), a batch with one bad document included.
 */
import { EJSON } from 'bson';
import fc from 'fast-check';
import { FIXTURE_PROJECT, startEmulator, type RunningEmulator } from '../helpers/emulator';
import { fuzz, send, wireVerdict, type HttpAnswer, type Verdict } from './harness';
import { anyValue, cleanText, Deep, Huge, jsonText, notOfType, oddKey, oddText, received } from './values';

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ project: FIXTURE_PROJECT, timers: false });
  for (const name of ['fuzz', 'scratch']) await wire({ action: 'database.addCollection', collectionName: name });
});

afterAll(async () => {
  await emulator?.stop();
});

const sendWire = (params: unknown): Promise<HttpAnswer> => send(emulator, { method: 'POST', path: '/admin', headers: { 'content-type': 'application/json' }, body: jsonText(params) });

/** A wire request whose answer the oracle reads: a success, or the backend's refusal, held to its shape. */
const wire = async (params: unknown): Promise<Record<string, unknown>> => {
  const answer = await sendWire(params);
  wireVerdict(answer);
  return JSON.parse(answer.text) as Record<string, unknown>;
};

/** What the collection `fuzz` holds, by `_id` as stored: the documents as the SDK reads them back; its ids also in a list, to pick one. */
class Model extends Map<string, unknown> {
  readonly ids: string[] = [];

  override set(key: string, value: unknown): this {
    if (!this.has(key)) this.ids.push(key);
    return super.set(key, value);
  }

  override delete(key: string): boolean {
    const index = this.ids.indexOf(key);
    if (index >= 0) this.ids.splice(index, 1);
    return super.delete(key);
  }
}
const model = new Model();
const idKey = (id: unknown): string => JSON.stringify(id);

/** Field names a document may have (MongoDB refuses a `$` prefix, a `.` and NUL): odd ones included. */
const fieldName = fc.oneof(
  { weight: 4, arbitrary: cleanText(12, 1).filter((name) => !name.startsWith('$') && !name.includes('.')) },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'a b', '首', '😀', 'x'.repeat(200), 'a$', '\u2028') },
);
/** A value as the SDK would send it from JavaScript: numbers of every kind (-0, NaN, ±Infinity), any text, dates at the ends of their range. */
const value: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.oneof(
      fc.integer(),
      fc.double(),
      fc.maxSafeInteger(),
      oddText(24),
      fc.boolean(),
      fc.constant(null),
      fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true }),
      fc.constantFrom(/^a/i, /x.y/ms, /\d+/, /首/u),
    ),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.array(fc.tuple(fieldName, tie('value')), { maxLength: 4 }).map((entries) => Object.fromEntries(entries)),
  ),
})).value;

/** Ids: new ones, numbers, and ids the model holds (a duplicate to insert, a document to read, update or remove). */
const knownId = fc.nat().map((pick) => (model.ids.length === 0 ? 'fz-none' : (JSON.parse(model.ids[pick % model.ids.length]) as unknown)));
const freshId = fc.oneof(fc.stringMatching(/^fz-[a-z0-9]{12}$/), fc.integer({ min: 1e9, max: 2e9 }));
const document = fc.tuple(fc.option(freshId, { nil: undefined }), fc.array(fc.tuple(fieldName.filter((name) => name !== '_id'), value), { maxLength: 5 })).map(([_id, entries]) => Object.fromEntries([...(_id === undefined ? [] : [['_id', _id]]), ...entries]));

/** Canonical EJSON, what the SDK sends. */
const canonical = (doc: unknown): string => EJSON.stringify(doc, { relaxed: false });
/** A document as the SDK reads it back: bson's relaxed encoding read back. */
const readBack = (doc: unknown): unknown => EJSON.parse(EJSON.stringify(doc, { relaxed: true }));

/** Documents that break one rule, and texts that are no document at all. */
const badDocumentText: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(document, fc.constantFrom('$x', '$', 'a.b', '.', 'a\u0000b', '\u0000'), value, fc.boolean()).map(([doc, name, v, nested]) => canonical({ ...doc, ...(nested ? { inner: { [name]: v } } : { [name]: v }) })),
  fc.tuple(document, fc.integer({ min: 100, max: 900 })).map(([doc, levels]) => canonical(doc).replace(/^\{/, `{"deep":${new Deep(levels, 'object').text},`)),
  fc.tuple(document, fc.oneof(fc.constant({ a: 1 }), fc.constant([1]), fc.boolean())).map(([doc, id]) => canonical({ ...doc, _id: id })),
  fc.constantFrom('[1]', '"x"', '5', 'null', '{', 'NaN', "{'a':1}", '{"a":1}}', ''),
  fc.constantFrom(
    '{"a":{"$date":"garbage"}}',
    '{"a":{"$date":{"$numberLong":"9000000000000000"}}}',
    '{"a":{"$date":{"$numberLong":"NaN"}}}',
    '{"a":{"$date":5}}',
    '{"a":{"$numberInt":"abc"}}',
    '{"a":{"$numberInt":"3000000000"}}',
    '{"a":{"$numberLong":"1e30"}}',
    '{"a":{"$numberDouble":{}}}',
    '{"a":{"$regularExpression":null}}',
    '{"a":{"$regularExpression":{"pattern":"(","options":""}}}',
    '{"a":{"$regularExpression":{"pattern":"a","options":"q"}}}',
    '{"a":{"$tcb_server_date":{"offset":{"$numberDouble":"NaN"}}}}',
    '{"a":{"$tcb_server_date":{"offset":"soon"}}}',
    '{"a":{"$tcb_server_date":null}}',
    '{"a":{"$oid":"zz"}}',
    '{"a":{"$binary":{"base64":"!!","subType":"00"}}}',
    '{"a":1e400}',
  ),
);

type Check = (answer: Record<string, unknown>) => Promise<void>;
interface Request {
  params: unknown;
  /** `refused`, or the check of a success; `either`: a documented refusal, or a success that passes `success` when there is one. */
  must: 'refuse' | 'succeed' | 'either';
  success?: Check;
}

const COLLECTIONS = fc.oneof({ weight: 8, arbitrary: fc.constant('fuzz') }, { weight: 1, arbitrary: fc.constantFrom('todos', 'writes', 'scratch') });
const badCollection = fc.oneof(notOfType('string', received), fc.constantFrom('', 'no-such-collection', '__proto__', 'constructor', 'fuzz ', 'FUZZ'), oddText(12));
/** The collections the suite's own addCollection calls created (as the wire carried their names): an odd name may be one of them. */
const created = new Set<string>();
const nameKey = (name: unknown): string => JSON.stringify(received(name)) ?? '';
/** What a request on an odd collection must do: be refused, unless an earlier input created it. */
const onOdd = (collectionName: unknown): Request['must'] => (created.has(nameKey(collectionName)) ? 'either' : 'refuse');

/** The documents of a get answer, as the SDK reads them. */
function listOf(answer: Record<string, unknown>): unknown[] {
  expect(answer).toEqual({ requestId: expect.any(String), data: { list: expect.any(Array) } });
  return ((answer.data as { list: string[] }).list).map((text) => EJSON.parse(text));
}

async function getById(id: unknown): Promise<unknown[]> {
  return listOf(await wire({ action: 'database.getDocument', collectionName: 'fuzz', query: canonical({ _id: id }) }));
}

const insert: fc.Arbitrary<Request> = fc.oneof(
  { weight: 6, arbitrary: fc.array(document, { minLength: 1, maxLength: 5 }).map((docs): Request => insertOf(docs)) },
  // one of the documents has an id already stored (when there is one)
  { weight: 1, arbitrary: fc.tuple(fc.array(document, { maxLength: 3 }), knownId).map(([docs, id]): Request => insertOf([...docs, { _id: id }])) },
  // one document that breaks a rule among good ones: refused whole, or (a wrapper the database may take) stored, readable, every one
  { weight: 3, arbitrary: fc.tuple(fc.array(document, { maxLength: 3 }), badDocumentText, fc.nat()).map(([docs, bad, at]): Request => {
    const data = docs.map(canonical);
    data.splice(at % (data.length + 1), 0, bad);
    return { params: { action: 'database.insertDocument', collectionName: 'fuzz', data }, must: 'either', success: async (answer) => {
      for (const id of (answer.data as { insertedIds: unknown[] }).insertedIds) {
        const [stored] = await getById(id);
        expect(stored).toEqual(expect.objectContaining({ _id: id }));
        model.set(idKey(id), stored);
      }
    } };
  }) },
  { weight: 1, arbitrary: fc.oneof(notOfType('array', received), fc.constant([]), fc.array(notOfType('string', received), { minLength: 1, maxLength: 2 })).map((data): Request => ({ params: { action: 'database.insertDocument', collectionName: 'fuzz', data }, must: 'refuse' })) },
  { weight: 1, arbitrary: fc.tuple(document, badCollection).map(([doc, collectionName]): Request => ({ params: { action: 'database.insertDocument', collectionName, data: [canonical(doc)] }, must: onOdd(collectionName) })) },
);
/** A document past 16 MiB: refused, and nothing written. Rare: it is 16 MiB on the wire. */
const tooBig = fc.constant<Request>({ params: { action: 'database.insertDocument', collectionName: 'fuzz', data: [canonical({ text: new Huge('x', 16 * 1024 * 1024 + 64).text })] }, must: 'refuse' });

/** A valid insert into `fuzz`: its ids, and each document read back as sent. */
function insertOf(docs: Record<string, unknown>[]): Request {
  const ids = docs.map((doc) => doc._id);
  const sentIds = ids.filter((id) => id !== undefined).map(idKey);
  const duplicate = sentIds.some((id, i) => model.has(id) || sentIds.indexOf(id) !== i);
  if (duplicate) return { params: { action: 'database.insertDocument', collectionName: 'fuzz', data: docs.map(canonical) }, must: 'refuse' };
  return {
    params: { action: 'database.insertDocument', collectionName: 'fuzz', data: docs.map(canonical) },
    must: 'succeed',
    success: async (answer) => {
      expect(answer).toEqual({ requestId: expect.any(String), data: { insertedIds: expect.any(Array) } });
      const inserted = (answer.data as { insertedIds: unknown[] }).insertedIds;
      expect(inserted.length).toBe(docs.length);
      for (const [index, doc] of docs.entries()) {
        if (ids[index] === undefined) expect(inserted[index]).toEqual(expect.stringMatching(/^[0-9a-f]{32}$/));
        else expect(inserted[index]).toEqual(ids[index]);
        const stored = readBack({ ...doc, _id: inserted[index] });
        expect(await getById(inserted[index])).toEqual([stored]);
        model.set(idKey(inserted[index]), stored);
      }
    },
  };
}

/** Query texts of every shape: odd operators, odd values, not EJSON, not objects. */
const oddQuery = fc.oneof(
  fc.tuple(oddKey, anyValue).map(([key, v]) => jsonText({ [key]: v })),
  fc.tuple(fieldName, fc.constantFrom('$gt', '$in', '$nin', '$regex', '$exists', '$size', '$elemMatch', '$foo', '$where', '$expr', '$not', '$type', '$mod', '$all'), anyValue).map(([key, op, v]) => jsonText({ [key]: { [op]: v } })),
  fc.tuple(fc.constantFrom('$and', '$or', '$nor', '$expr', '$where', '$text', '$comment'), anyValue).map(([op, v]) => jsonText({ [op]: v })),
  fc.constantFrom('[1]', '"x"', '5', 'null', '{', '', '{"a":{"$regex":"("}}', '{"a":{"$in":5}}', '{"$and":[]}', '{"a":{"$gt":{"$numberDouble":"NaN"}}}', '{"a":{"$date":"x"}}'),
  notOfType('string', received),
);

const read: fc.Arbitrary<Request> = fc.oneof(
  { weight: 4, arbitrary: fc.oneof(knownId, freshId).map((id): Request => ({
    params: { action: 'database.getDocument', collectionName: 'fuzz', query: canonical({ _id: id }) },
    must: 'succeed',
    success: async (answer) => {
      const stored = model.get(idKey(id));
      expect(listOf(answer)).toEqual(stored === undefined ? [] : [stored]);
    },
  })) },
  { weight: 1, arbitrary: fc.constant<Request>({ params: { action: 'database.calculateDocument', collectionName: 'fuzz', query: '{}' }, must: 'succeed', success: async (answer) => expect(answer).toEqual({ requestId: expect.any(String), data: { total: model.size } }) }) },
  { weight: 4, arbitrary: fc.record({ action: fc.constantFrom('database.getDocument', 'database.calculateDocument'), collectionName: COLLECTIONS, query: oddQuery, order: fc.option(fc.oneof(oddQuery, fc.constantFrom('{"a":1}', '{"a":-1}', '{"a":0}', '{"a":"asc"}')), { nil: undefined }), projection: fc.option(oddQuery, { nil: undefined }), offset: fc.option(fc.oneof(fc.nat(5), anyValue), { nil: undefined }), limit: fc.option(fc.oneof(fc.nat(2000), anyValue), { nil: undefined }) }, { requiredKeys: ['action', 'collectionName', 'query'] }).map((params): Request => ({ params, must: 'either' })) },
  { weight: 1, arbitrary: fc.tuple(badCollection, oddQuery).map(([collectionName, query]): Request => ({ params: { action: 'database.getDocument', collectionName, query }, must: onOdd(collectionName) })) },
);

const write: fc.Arbitrary<Request> = fc.oneof(
  // $set of a value never stored before, by id: updated exactly when the document exists
  // (but a field named __proto__, which the emulator refuses to update: README)
  { weight: 3, arbitrary: fc.tuple(fc.oneof(knownId, freshId), fieldName.filter((name) => name !== '_id'), fc.uuid()).map(([id, field, mark]): Request => ({
    params: { action: 'database.modifyDocument', collectionName: 'fuzz', query: canonical({ _id: id }), data: canonical({ $set: { [field]: mark } }), multi: false, merge: true, upsert: false },
    must: field === '__proto__' ? 'refuse' : 'succeed',
    success: async (answer) => {
      const stored = model.get(idKey(id)) as Record<string, unknown> | undefined;
      expect(answer).toEqual({ requestId: expect.any(String), data: { updated: stored ? 1 : 0 } });
      if (!stored) return;
      // a field already there keeps its place; a new one comes last
      const updated = Object.fromEntries([...Object.entries(stored).map(([key, old]): [string, unknown] => [key, key === field ? mark : old]), ...(Object.hasOwn(stored, field) ? [] : [[field, mark]])]);
      expect(await getById(id)).toEqual([updated]);
      model.set(idKey(id), updated);
    },
  })) },
  { weight: 2, arbitrary: fc.oneof(knownId, freshId).map((id): Request => ({
    params: { action: 'database.removeDocument', collectionName: 'fuzz', query: canonical({ _id: id }), multi: false },
    must: 'succeed',
    success: async (answer) => {
      expect(answer).toEqual({ requestId: expect.any(String), data: { deleted: model.has(idKey(id)) ? 1 : 0 } });
      model.delete(idKey(id));
      expect(await getById(id)).toEqual([]);
    },
  })) },
  // updates of every shape, on the collection nobody models
  { weight: 4, arbitrary: fc.record({
    action: fc.constantFrom('database.modifyDocument', 'database.modifyAndReturnDoc', 'database.removeDocument'),
    collectionName: fc.constant('scratch'),
    query: fc.oneof(oddQuery, fc.constant('{}')),
    data: fc.oneof(badDocumentText, oddQuery, fc.tuple(fc.constantFrom('$set', '$inc', '$unset', '$push', '$pull', '$addToSet', '$rename', '$min', '$max', '$mul', '$foo', '$'), fc.oneof(anyValue, fc.tuple(fieldName, anyValue).map(([k, v]) => ({ [k]: v })))).map(([op, v]) => jsonText({ [op]: v })), document.map(canonical)),
    multi: fc.option(anyValue, { nil: undefined }),
    merge: fc.option(anyValue, { nil: undefined }),
    upsert: fc.option(anyValue, { nil: undefined }),
  }, { requiredKeys: ['action', 'collectionName', 'query'] }).map((params): Request => ({ params, must: 'either' })) },
);

/** Pipeline stages of every shape; most names are the SDK's stages. */
const stage = fc.oneof(
  fc.record({ stageKey: fc.oneof(fc.constantFrom('$match', '$group', '$project', '$sort', '$limit', '$skip', '$count', '$addFields', '$unwind', '$lookup', '$bucket', '$sample', '$replaceRoot', '$sortByCount', '$facet', '$out', '$geoNear'), oddKey), stageValue: fc.oneof(oddQuery, fc.integer().map(String), fc.constantFrom('{"_id":"$a","n":{"$sum":1}}', '{"_id":null}', '"n"', '-1', '0', '{"a":{"$size":"$b"}}', '{"groupBy":"$a","boundaries":[0,0]}')) }),
  anyValue,
);
const aggregate: fc.Arbitrary<Request> = fc.oneof(
  { weight: 2, arbitrary: fc.oneof(knownId, freshId).map((id): Request => ({
    params: { action: 'database.aggregateDocuments', collectionName: 'fuzz', stages: [{ stageKey: '$match', stageValue: canonical({ _id: id }) }] },
    must: 'succeed',
    success: async (answer) => {
      const stored = model.get(idKey(id));
      expect(listOf(answer)).toEqual(stored === undefined ? [] : [stored]);
    },
  })) },
  { weight: 5, arbitrary: fc.record({ action: fc.constant('database.aggregateDocuments'), collectionName: COLLECTIONS, stages: fc.oneof(fc.array(stage, { maxLength: 4 }), notOfType('array', received)) }).map((params): Request => ({ params, must: 'either' })) },
);

const other: fc.Arbitrary<Request> = fc.oneof(
  fc.oneof(oddText(20), badCollection).map((collectionName): Request => ({ params: { action: 'database.addCollection', collectionName }, must: 'either', success: async () => void created.add(nameKey(collectionName)) })),
  fc.record({ action: fc.constantFrom('database.commitTransaction', 'database.abortTransaction'), transactionId: fc.oneof(fc.uuid(), anyValue) }).map((params): Request => ({ params, must: 'refuse' })),
  fc.tuple(fc.constantFrom('database.getDocument', 'database.insertDocument', 'database.modifyDocument', 'database.removeDocument'), fc.oneof(fc.uuid(), oddText(10).filter((id) => id !== ''))).map(([action, transactionId]): Request => ({ params: { action, collectionName: 'scratch', query: '{}', data: action === 'database.insertDocument' ? ['{}'] : '{"$set":{"a":1}}', transactionId }, must: 'refuse' })),
  // a transaction that is open: its writes are buffered until the commit, which the suite makes next
  fc.array(document, { minLength: 1, maxLength: 3 }).map((docs): Request => ({ params: { action: 'database.startTransaction' }, must: 'succeed', success: async (answer) => transactionOf(answer, docs) })),
  // an action that is not one, or no action
  fc.oneof(fc.constantFrom('database.nope', 'database.', 'functions.invoke', '', 'constructor', '__proto__', 'toString'), notOfType('string', received)).map((action): Request => ({ params: { action, collectionName: 'fuzz' }, must: 'refuse' })),
);

/** Inserts into `scratch` inside the transaction the answer opened, checks nothing shows before the commit, and commits. */
async function transactionOf(answer: Record<string, unknown>, docs: Record<string, unknown>[]): Promise<void> {
  expect(answer).toEqual({ requestId: expect.any(String), transactionId: expect.any(String) });
  const { transactionId } = answer as { transactionId: string };
  // one document an add: a transaction runs operations on one record only (Database.startTransaction)
  const ids: string[] = [];
  for (const doc of docs) {
    const fresh = Object.fromEntries(Object.entries(doc).filter(([name]) => name !== '_id'));
    const inserted = await wire({ action: 'database.insertDocument', collectionName: 'scratch', data: [canonical(fresh)], transactionId });
    ids.push(...(inserted.data as { insertedIds: string[] }).insertedIds);
  }
  expect(ids).toHaveLength(docs.length);
  const outside = await wire({ action: 'database.getDocument', collectionName: 'scratch', query: canonical({ _id: ids[0] }) });
  expect(listOf(outside)).toEqual([]);
  expect(await wire({ action: 'database.commitTransaction', transactionId })).toEqual({ requestId: expect.any(String) });
  const after = await wire({ action: 'database.getDocument', collectionName: 'scratch', query: canonical({ _id: ids[0] }) });
  expect(listOf(after)).toEqual([readBack({ ...docs[0], _id: ids[0] })]);
}

const request: fc.Arbitrary<Request> = fc.oneof(
  { weight: 100, arbitrary: insert },
  { weight: 80, arbitrary: read },
  { weight: 80, arbitrary: write },
  { weight: 40, arbitrary: aggregate },
  { weight: 20, arbitrary: other },
  { weight: 1, arbitrary: tooBig },
);

const READS = new Set(['database.getDocument', 'database.calculateDocument']);

fuzz(__filename, () => emulator, {
  name: 'POST /admin database.*',
  inputs: request,
  // the ids an input picks and what it must do depend on what earlier ones stored
  inOrder: true,
  shown: ({ params, must }) => ({ params, must }),
  mayWrite: ({ params, must }) => must !== 'refuse' && !READS.has(String((params as { action?: unknown }).action)),
  async send({ params, must, success }): Promise<Verdict> {
    const answer = await sendWire(params);
    const verdict = wireVerdict(answer);
    if (must !== 'either' && (verdict === 'refused') !== (must === 'refuse')) throw new Error(`the request must ${must === 'refuse' ? 'be refused' : 'succeed'}; the answer: ${answer.text.slice(0, 500)}`);
    if (verdict === 'answered') await success?.(JSON.parse(answer.text) as Record<string, unknown>);
    return verdict;
  },
});
