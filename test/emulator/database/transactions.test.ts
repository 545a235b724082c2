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
  const inside = await transaction.collection('accounts').where({ balance: db.command.gte(0) }).get();
  expect(inside.data.map((d: { _id: string }) => d._id).sort()).toEqual(['alice', 'bob']);
  await transaction.rollback();
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
