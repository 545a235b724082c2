/**
 * Update operators MongoDB refuses: their texts for one document are in the conformance corpus
 * (conformance/mongodb/update-*.json); this suite pins what the corpus cannot, how a refusal
 * reaches the SDK and what a refused multi-document update leaves behind.
 */
import type { RunningEmulator } from '../../helpers/emulator';
import { clear, startDatabase, type Database } from './sdk';

let emulator: RunningEmulator;
let db: Database;

beforeAll(async () => {
  ({ emulator, db } = await startDatabase());
});
afterAll(() => emulator.stop());
beforeEach(() => clear(db, 'todos'));

async function failure(promise: Promise<unknown>): Promise<{ errCode: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { errCode: number; message: string };
  }
  throw new Error('expected the call to fail');
}

async function ns(): Promise<unknown[]> {
  const { data } = await db.collection('todos').orderBy('_id', 'asc').get();
  return data.map((doc: { n: unknown }) => doc.n);
}

it('answers a refused update as a failed database request, errCode -502001 with MongoDB’s text', async () => {
  await db.collection('todos').add({ data: { _id: 'a', n: 'str' } });
  const error = await failure(db.collection('todos').doc('a').update({ data: { n: db.command.inc(1) } }));
  expect(error.errCode).toBe(-502001);
  expect(error.message).toContain(`Cannot apply $inc to a value of non-numeric type. {_id: "a"} has the field 'n' of non-numeric type string`);
});

it('writes none of the documents of a multi-document update refused at one of them', async () => {
  await db.collection('todos').add({ data: [{ _id: 'a', k: 1, n: 1 }, { _id: 'b', k: 1, n: 'str' }, { _id: 'c', k: 1, n: 3 }] });
  const error = await failure(db.collection('todos').where({ k: 1 }).update({ data: { n: db.command.inc(1) } }));
  expect(error.message).toContain(`{_id: "b"} has the field 'n' of non-numeric type string`);
  // MongoDB would have updated 'a' (its updates are ordered, one document at a time): the README says so
  expect(await ns()).toEqual([1, 'str', 3]);
});

it('refuses an update of a top-level field named like what every JavaScript object inherits, as the SDK sends it, and writes nothing; set() writes one, and an embedded document updates through its dotted paths', async () => {
  // The SDK's UpdateSerializer keeps such a field beside its `$set`/`$inc` (mergeConditionAfterEncode
  // reads `condition[key]` through the prototype), so the backend receives a mixed document.
  await db.collection('todos').add({ data: { _id: 'b', n: 1 } });
  const _ = db.command;
  const replacement = await failure(db.collection('todos').doc('b').update({ data: { valueOf: 'v' } }));
  expect([replacement.errCode, replacement.message]).toEqual([-502001, expect.stringContaining("The dollar ($) prefixed field '$set' in '$set' is not valid for storage.")]);
  const operators = await failure(db.collection('todos').doc('b').update({ data: { n: _.inc(1), toString: _.inc(1) } }));
  expect([operators.errCode, operators.message]).toEqual([-502001, expect.stringContaining("The dollar ($) prefixed field '$inc' in '$inc' is not valid for storage.")]);
  expect((await db.collection('todos').doc('b').get()).data).toEqual({ _id: 'b', n: 1 });
  await db.collection('todos').doc('b').update({ data: { constructor: { x: 1 } } });
  expect((await db.collection('todos').doc('b').get()).data).toEqual({ _id: 'b', n: 1, constructor: { x: 1 } });
  await db.collection('todos').doc('b').set({ data: { toString: 'replaced' } });
  expect((await db.collection('todos').doc('b').get()).data).toEqual({ _id: 'b', toString: 'replaced' });
});

it('updates embedded fields named like what every JavaScript object inherits (constructor, valueOf …) as MongoDB updates any other field', async () => {
  await db.collection('todos').add({ data: { _id: 'a', m: { hits: 1 } } });
  const _ = db.command;
  const updates = { 'm.toLocaleString': _.inc(2), 'm.constructor': _.inc(1), 'm.valueOf': _.max(4), 'm.hasOwnProperty': _.push(['x']), 'isPrototypeOf.n': _.inc(1) };
  await db.collection('todos').doc('a').update({ data: updates });
  await db.collection('todos').doc('a').update({ data: { 'm.toLocaleString': _.inc(2), 'm.propertyIsEnumerable': _.remove(), 'm.__lookupGetter__': _.pull('x') } });
  const { data } = await db.collection('todos').doc('a').get();
  expect(data).toEqual({ _id: 'a', m: { hits: 1, toLocaleString: 4, constructor: 1, valueOf: 4, hasOwnProperty: ['x'] }, isPrototypeOf: { n: 1 } });
});
