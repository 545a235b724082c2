import type { RunningEmulator } from '../../helpers/emulator';
import { clear, startDatabase, stats, type Database } from './sdk';

let emulator: RunningEmulator;
let db: Database;

beforeAll(async () => {
  ({ emulator, db } = await startDatabase());
});
afterAll(() => emulator.stop());
beforeEach(async () => {
  await clear(db, 'accounts');
  await db.collection('accounts').add({ data: [{ _id: 'alice', balance: 100 }, { _id: 'bob', balance: 0 }] });
});

const balance = async (id: string): Promise<number> => (await db.collection('accounts').doc(id).get()).data.balance;

it('commits every write of the callback together', async () => {
  const result = await db.runTransaction(async (transaction: Database) => {
    const from = (await transaction.collection('accounts').doc('alice').get()).data;
    await transaction.collection('accounts').doc('alice').update({ data: { balance: from.balance - 30 } });
    await transaction.collection('accounts').doc('bob').update({ data: { balance: db.command.inc(30) } });
    await transaction.collection('accounts').add({ data: { _id: 'carol', balance: 1 } });
    return 'moved';
  });
  expect(result).toBe('moved');
  expect([await balance('alice'), await balance('bob'), await balance('carol')]).toEqual([70, 30, 1]);
  expect((await stats(emulator)).openTransactions).toBe(0);
});

it('buffers writes until commit: outside readers do not see them, the transaction does', async () => {
  const transaction = await db.startTransaction();
  await transaction.collection('accounts').doc('alice').update({ data: { balance: 1 } });
  expect((await transaction.collection('accounts').doc('alice').get()).data.balance).toBe(1);
  expect(await balance('alice')).toBe(100);
  await transaction.commit();
  expect(await balance('alice')).toBe(1);
});

it('leaves no trace when the callback throws', async () => {
  await expect(
    db.runTransaction(async (transaction: Database) => {
      await transaction.collection('accounts').doc('alice').update({ data: { balance: 0 } });
      await transaction.collection('accounts').add({ data: { _id: 'ghost', balance: 5 } });
      throw new Error('changed my mind');
    }),
  ).rejects.toThrow('changed my mind');
  expect(await balance('alice')).toBe(100);
  expect((await db.collection('accounts').where({ _id: 'ghost' }).count()).total).toBe(0);
  expect((await stats(emulator)).openTransactions).toBe(0);
});

it('leaves no trace after an explicit rollback, which rejects with its reason', async () => {
  await expect(
    db.runTransaction(async (transaction: Database) => {
      await transaction.collection('accounts').doc('bob').update({ data: { balance: 999 } });
      await transaction.rollback('not enough funds');
    }),
  ).rejects.toBe('not enough funds');
  expect(await balance('bob')).toBe(0);
});

it('reads a snapshot: a write by someone else after the start is not seen', async () => {
  const transaction = await db.startTransaction();
  await db.collection('accounts').doc('bob').update({ data: { balance: 50 } });
  await db.collection('accounts').add({ data: { _id: 'late', balance: 7 } });
  expect((await transaction.collection('accounts').doc('bob').get()).data.balance).toBe(0);
  await expect(transaction.collection('accounts').doc('late').get()).rejects.toMatchObject({ message: expect.stringContaining('does not exist') });
  await transaction.rollback();
});

/** The clock of the emulator moved on, as POST /__rukou/clock moves it. */
async function advance(by: string): Promise<void> {
  await fetch(`${emulator.url}/__rukou/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ advance: by }) });
}

it('runs operations on one record only: a where() read and a batch add are refused, the transaction stays open', async () => {
  const transaction = await db.startTransaction();
  const refused = expect.objectContaining({ message: expect.stringContaining('a transaction runs operations on one record only') });
  await expect(transaction.collection('accounts').where({ balance: db.command.gte(0) }).get()).rejects.toEqual(refused);
  await expect(transaction.collection('accounts').add({ data: [{ _id: 'x1' }, { _id: 'x2' }] })).rejects.toEqual(refused);
  await transaction.collection('accounts').doc('bob').update({ data: { balance: 5 } });
  await transaction.collection('accounts').add({ data: { _id: 'x3', balance: 3 } });
  await transaction.commit();
  expect([await balance('bob'), await balance('x3')]).toEqual([5, 3]);
  expect((await db.collection('accounts').where({ _id: db.command.in(['x1', 'x2']) }).count()).total).toBe(0);
});

it('writes a where() update of a transaction’s collection at once, outside it: the SDK sends it (and remove) without the transaction', async () => {
  const transaction = await db.startTransaction();
  await transaction.collection('accounts').where({ _id: 'alice' }).update({ data: { balance: 1 } });
  expect(await balance('alice')).toBe(1);
  await transaction.rollback();
  expect(await balance('alice')).toBe(1);
});

it('retries the callback on a real write conflict, and the retry wins on fresh data', async () => {
  let attempts = 0;
  await db.runTransaction(async (transaction: Database) => {
    attempts++;
    const current = (await transaction.collection('accounts').doc('alice').get()).data.balance;
    if (attempts === 1) await db.collection('accounts').doc('alice').update({ data: { balance: db.command.inc(1000) } });
    await transaction.collection('accounts').doc('alice').update({ data: { balance: current + 1 } });
  });
  expect(attempts).toBe(2);
  expect(await balance('alice')).toBe(1101);
});

it('answers DATABASE_TRANSACTION_CONFLICT to the second of two transactions writing one document', async () => {
  const first = await db.startTransaction();
  const second = await db.startTransaction();
  await first.collection('accounts').doc('bob').update({ data: { balance: 1 } });
  await second.collection('accounts').doc('bob').update({ data: { balance: 2 } });
  await first.commit();
  await expect(second.commit()).rejects.toMatchObject({ code: 'DATABASE_TRANSACTION_CONFLICT' });
  expect(await balance('bob')).toBe(1);
  expect((await stats(emulator)).openTransactions).toBe(0);
});

it('refuses a duplicate _id inside a transaction', async () => {
  await expect(
    db.runTransaction(async (transaction: Database) => {
      await transaction.collection('accounts').add({ data: { _id: 'alice', balance: 1 } });
    }),
  ).rejects.toMatchObject({ errCode: -502001 });
  expect(await balance('alice')).toBe(100);
});

// last: it moves the emulator's clock on
it('refuses every operation of a transaction past its lifetime, its commit too, and writes nothing of it', async () => {
  const transaction = await db.startTransaction();
  await transaction.collection('accounts').doc('bob').update({ data: { balance: 9 } });
  await advance('11m');
  await expect(transaction.collection('accounts').doc('alice').get()).rejects.toMatchObject({ message: expect.stringMatching(/transaction .* expired/) });
  await expect(transaction.commit()).rejects.toMatchObject({ message: expect.stringMatching(/is not open/) });
  expect(await balance('bob')).toBe(0);
  expect((await stats(emulator)).openTransactions).toBe(0);
});
