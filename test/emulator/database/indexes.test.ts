import type { RunningEmulator } from '../../helpers/emulator';
import { clear, insertEJSON, startDatabase, stats, type Database } from './sdk';

let emulator: RunningEmulator;
let db: Database;

beforeAll(async () => {
  ({ emulator, db } = await startDatabase());
});
afterAll(() => emulator.stop());

describe('unique indexes', () => {
  beforeEach(async () => {
    await Promise.all([clear(db, 'users'), clear(db, 'orders')]);
    await db.collection('users').add({ data: [{ _id: 'a', openid: 'o-a' }, { _id: 'b', openid: 'o-b' }] });
  });

  const refusal = expect.objectContaining({ errCode: -502001, message: expect.stringMatching(/E11000 duplicate key error collection: users index: openid/) });

  it('refuses an insert that repeats a unique key, and writes nothing of its batch', async () => {
    await expect(db.collection('users').add({ data: { openid: 'o-a' } })).rejects.toEqual(refusal);
    await expect(db.collection('users').add({ data: [{ _id: 'c', openid: 'o-c' }, { _id: 'd', openid: 'o-c' }] })).rejects.toEqual(refusal);
    expect((await db.collection('users').count()).total).toBe(2);
  });

  it('refuses an update or a set that would repeat a unique key', async () => {
    await expect(db.collection('users').doc('b').update({ data: { openid: 'o-a' } })).rejects.toEqual(refusal);
    await expect(db.collection('users').doc('b').set({ data: { openid: 'o-a' } })).rejects.toEqual(refusal);
    await expect(db.collection('users').where({ _id: db.command.in(['a', 'b']) }).update({ data: { openid: 'same' } })).rejects.toEqual(refusal);
    expect((await db.collection('users').doc('b').get()).data.openid).toBe('o-b');
    expect((await db.collection('users').doc('a').get()).data.openid).toBe('o-a');
  });

  it('frees a key when its document moves off it or is removed', async () => {
    await db.collection('users').doc('a').update({ data: { openid: 'o-a2' } });
    await db.collection('users').add({ data: { _id: 'c', openid: 'o-a' } });
    await db.collection('users').doc('b').remove();
    await db.collection('users').add({ data: { _id: 'd', openid: 'o-b' } });
    expect((await db.collection('users').count()).total).toBe(3);
  });

  it('guards the whole compound key', async () => {
    await db.collection('orders').add({ data: [{ user: 'u1', product: 'p1' }, { user: 'u1', product: 'p2' }, { user: 'u2', product: 'p1' }] });
    await expect(db.collection('orders').add({ data: { user: 'u1', product: 'p2' } })).rejects.toMatchObject({
      errCode: -502001,
      message: expect.stringContaining('E11000 duplicate key error collection: orders index: user_product dup key: { user: "u1", product: "p2" }'),
    });
    expect((await db.collection('orders').count()).total).toBe(3);
  });

  // "For unique indexes, the unique constraint applies across separate documents in the collection
  // rather than within a single document" (https://www.mongodb.com/docs/manual/core/index-unique/):
  // each element of an array is a key of its own (a multikey index)
  it('takes each element of an array as a key: another document may not repeat one, the same document may', async () => {
    await db.collection('users').add({ data: { _id: 'm', openid: ['x', 'y'] } });
    await expect(db.collection('users').add({ data: { _id: 'n', openid: 'y' } })).rejects.toMatchObject({
      message: expect.stringContaining('E11000 duplicate key error collection: users index: openid dup key: { openid: "y" }'),
    });
    await expect(db.collection('users').add({ data: { _id: 'n', openid: ['o-a', 'w'] } })).rejects.toEqual(refusal);
    await db.collection('users').add({ data: { _id: 'z', openid: ['z', 'z'] } });
    await db.collection('users').doc('m').update({ data: { openid: ['x'] } });
    await db.collection('users').add({ data: { _id: 'n', openid: 'y' } });
    expect((await db.collection('users').count()).total).toBe(5);
  });

  it('keys a missing field as null, and prints the duplicate key as MongoDB does', async () => {
    await db.collection('users').add({ data: { _id: 'none1' } });
    await expect(db.collection('users').add({ data: { _id: 'none2' } })).rejects.toMatchObject({ message: expect.stringContaining('dup key: { openid: null }') });
    await expect(db.collection('users').add({ data: { _id: 'none2', openid: null } })).rejects.toMatchObject({ message: expect.stringContaining('dup key: { openid: null }') });
  });

  it('tells a Date from the string of its time', async () => {
    await db.collection('users').add({ data: [{ _id: 'd1', openid: new Date('2024-05-01T00:00:00.000Z') }, { _id: 'd2', openid: '2024-05-01T00:00:00.000Z' }] });
    expect((await db.collection('users').count()).total).toBe(4);
  });
});

describe('queries on indexed fields do not scan the collection', () => {
  const DAYS = 30;
  const PER_DAY = 100;
  const base = Date.UTC(2024, 4, 1);
  const dayOf = (d: number): string => `2024-05-${String(d + 1).padStart(2, '0')}`;

  beforeAll(async () => {
    await clear(db, 'events');
    const docs = [];
    for (let d = 0; d < DAYS; d++) {
      for (let i = 0; i < PER_DAY; i++) {
        docs.push({ day: dayOf(d), type: i % 4 === 0 ? 'share' : 'entry', at: new Date(base + d * 86_400_000 + i * 60_000), share: { rootShareId: `root-${i % 10}` }, n: i });
      }
    }
    for (let i = 0; i < docs.length; i += 1000) await db.collection('events').add({ data: docs.slice(i, i + 1000) });
  });

  /** Runs a read and answers how many documents the emulator examined for it. */
  async function examined(read: () => Promise<unknown>): Promise<number> {
    const before = (await stats(emulator)).examined;
    await read();
    return (await stats(emulator)).examined - before;
  }

  it('equality on the first field of a compound index examines only that day (a day this small, whatever the second)', async () => {
    const read = () => db.collection('events').where({ day: dayOf(3), type: 'share' }).count();
    expect((await read()).total).toBe(PER_DAY / 4);
    expect(await examined(read)).toBe(PER_DAY);
  });

  it('equality on the first field alone of a compound index examines only that day', async () => {
    const read = () => db.collection('events').where({ day: dayOf(3), n: db.command.lt(10) }).count();
    expect((await read()).total).toBe(10);
    expect(await examined(read)).toBe(PER_DAY);
  });

  it('$in examines only the listed days', async () => {
    const read = () => db.collection('events').where({ day: db.command.in([dayOf(0), dayOf(29)]) }).count();
    expect((await read()).total).toBe(2 * PER_DAY);
    expect(await examined(read)).toBe(2 * PER_DAY);
  });

  it('a date range examines only the documents in range', async () => {
    const from = new Date(base + 10 * 86_400_000);
    const to = new Date(base + 12 * 86_400_000);
    const read = () => db.collection('events').where({ at: db.command.gte(from).and(db.command.lt(to)) }).count();
    expect((await read()).total).toBe(2 * PER_DAY);
    expect(await examined(read)).toBe(2 * PER_DAY);
  });

  it('a string range, a nested path and _id use their indexes too', async () => {
    const range = () => db.collection('events').where({ day: db.command.gt(dayOf(27)) }).count();
    expect((await range()).total).toBe(2 * PER_DAY);
    expect(await examined(range)).toBe(2 * PER_DAY);
    const nested = () => db.collection('events').where({ share: { rootShareId: 'root-3' } }).count();
    expect((await nested()).total).toBe(DAYS * 10);
    expect(await examined(nested)).toBe(DAYS * 10);
    const some = (await db.collection('events').where({ day: dayOf(1) }).limit(3).get()).data.map((d: { _id: string }) => d._id);
    expect(await examined(() => db.collection('events').where({ _id: db.command.in(some) }).get())).toBe(3);
  });

  it('an aggregation whose first stage is $match uses the index', async () => {
    const read = () => db.collection('events').aggregate().match({ day: dayOf(5) }).group({ _id: '$type', n: db.command.aggregate.sum(1) }).end();
    const { list } = await read();
    expect(list.sort((a: { _id: string }, b: { _id: string }) => a._id.localeCompare(b._id))).toEqual([
      { _id: 'entry', n: 75 },
      { _id: 'share', n: 25 },
    ]);
    expect(await examined(read)).toBe(PER_DAY);
  });

  it('a field without an index is scanned (the control)', async () => {
    const read = () => db.collection('events').where({ n: 7 }).count();
    expect((await read()).total).toBe(DAYS);
    expect(await examined(read)).toBe(DAYS * PER_DAY);
  });

  it('keys no null or missing value: a query for null reads the collection, and finds both', async () => {
    const _ = db.command;
    await db.collection('events').add({ data: [{ day: dayOf(0), n: -1 }, { day: dayOf(0), n: -2, share: { rootShareId: null } }, { day: dayOf(0), n: -3, share: {} }] });
    const read = () => db.collection('events').where({ 'share.rootShareId': null }).count();
    expect((await read()).total).toBe(3);
    expect(await examined(read)).toBe(DAYS * PER_DAY + 3);
    expect((await db.collection('events').where({ 'share.rootShareId': _.in([null, 'root-3']) }).count()).total).toBe(DAYS * 10 + 3);
    const rooted = () => db.collection('events').where({ 'share.rootShareId': 'root-3' }).count();
    expect(await examined(rooted)).toBe(DAYS * 10);
    await db.collection('events').where({ n: _.lt(0) }).remove();
  });

  it('answers the same through the index as through a scan after updates move documents', async () => {
    await db.collection('events').where({ day: dayOf(7), n: db.command.lt(10) }).update({ data: { day: dayOf(8) } });
    expect((await db.collection('events').where({ day: dayOf(7) }).count()).total).toBe(PER_DAY - 10);
    expect((await db.collection('events').where({ day: dayOf(8) }).count()).total).toBe(PER_DAY + 10);
    const scanned = (await db.collection('events').where({ day: db.command.in([dayOf(8)]), n: db.command.gte(0) }).count()).total;
    expect(scanned).toBe(PER_DAY + 10);
  });

  it('holds a number of another BSON type under its value, which MongoDB finds equal: a Decimal128 too', async () => {
    await insertEJSON(emulator, 'events', ['{"day": {"$numberDecimal": "7"}}', '{"day": {"$numberLong": "7"}}', '{"day": {"$numberDouble": "7.5"}}']);
    const read = () => db.collection('events').where({ day: 7 }).count();
    expect((await read()).total).toBe(2);
    expect(await examined(read)).toBe(2);
    const range = () => db.collection('events').where({ day: db.command.gt(7) }).count();
    expect((await range()).total).toBe(1);
    expect(await examined(range)).toBe(1);
  });
});

describe('a compound index: equality on its first field, a range on its second (day, at)', () => {
  const DAY = '2024-06-01';
  const start = Date.UTC(2024, 4, 31, 16);
  const minute = (i: number): Date => new Date(start + i * 60_000);
  const PER_DAY = 600;

  beforeAll(async () => {
    await clear(db, 'events');
    const docs = [];
    for (const day of [DAY, '2024-06-02']) for (let i = 0; i < PER_DAY; i++) docs.push({ day, type: i % 3 === 0 ? 'share' : 'entry', at: minute(i), n: i });
    await db.collection('events').add({ data: docs });
  });

  async function examined(read: () => Promise<unknown>): Promise<number> {
    const before = (await stats(emulator)).examined;
    await read();
    return (await stats(emulator)).examined - before;
  }

  /** The count of a query, and the count of the same with its range tested on a field no index holds (`n`, the minute): a scan. */
  async function againstScan(from: number, day: string | string[] = DAY): Promise<{ indexed: number; scanned: number; examined: number }> {
    const _ = db.command;
    const days = Array.isArray(day) ? _.in(day) : day;
    const indexed = () => db.collection('events').where({ day: days, at: _.gte(minute(from)) }).count();
    return {
      indexed: (await indexed()).total,
      scanned: (await db.collection('events').where({ n: _.gte(from) }).count()).total,
      examined: await examined(indexed),
    };
  }

  it('examines only the documents in the range, for one day or several', async () => {
    const _ = db.command;
    const shares = () => db.collection('events').where({ day: DAY, type: 'share' }).count();
    expect((await shares()).total).toBe(PER_DAY / 3);
    expect(await examined(shares)).toBe(PER_DAY / 3);
    const read = () => db.collection('events').where({ day: DAY, at: _.gte(minute(590)) }).count();
    expect((await read()).total).toBe(10);
    expect(await examined(read)).toBe(10);
    const between = () => db.collection('events').where({ day: DAY, at: _.gt(minute(100)).and(_.lte(minute(110))) }).count();
    expect((await between()).total).toBe(10);
    expect(await examined(between)).toBe(10);
    const exactly = () => db.collection('events').where({ day: DAY, at: minute(7) }).count();
    expect((await exactly()).total).toBe(1);
    expect(await examined(exactly)).toBe(1);
    const twoDays = () => db.collection('events').where({ day: _.in([DAY, '2024-06-02']), at: _.lt(minute(5)) }).count();
    expect((await twoDays()).total).toBe(10);
    expect(await examined(twoDays)).toBe(10);
  });

  it('a day of few documents asked beside a big one is read whole, and the big one by its range', async () => {
    const _ = db.command;
    await db.collection('events').add({ data: Array.from({ length: 5 }, (_unused, i) => ({ day: '2024-05-31', type: 'entry', at: minute(i - 10) })) });
    const week = () => db.collection('events').where({ day: _.in(['2024-05-29', '2024-05-31', DAY]), at: _.lt(minute(5)) }).count();
    expect((await week()).total).toBe(5 + 5);
    // the small day's 5 and the 5 of DAY's range, not the 600 of DAY
    expect(await examined(week)).toBe(10);
    await db.collection('events').where({ day: '2024-05-31' }).remove();
  });

  it('reads the whole day when the range holds most of it, and a range of another type finds nothing', async () => {
    const _ = db.command;
    const most = () => db.collection('events').where({ day: DAY, at: _.gte(minute(10)) }).count();
    expect((await most()).total).toBe(PER_DAY - 10);
    expect(await examined(most)).toBe(PER_DAY);
    // MongoDB brackets types: a Date's range holds no number, a number's no Date
    expect((await db.collection('events').where({ day: DAY, at: _.gte(0) }).count()).total).toBe(0);
  });

  it('orders numbers as MongoDB does: negatives, -0 beside 0, fractions, infinities, NaN below every number', async () => {
    const _ = db.command;
    const day = '2024-06-05';
    // some differ only in their low 32 bits: -1 - 2⁻⁴⁴ and -1 - 2⁻⁴⁵, 1 + 2⁻⁴⁵ and 1 + 2⁻⁴⁴
    const values = [-Infinity, -1e300, -2.5, -1 - 2 ** -44, -1 - 2 ** -45, -1, -0, 0, 1e-300, 0.5, 1, 1 + 2 ** -45, 1 + 2 ** -44, 2 ** 53, 1e300, Infinity, NaN];
    await db.collection('events').add({ data: Array.from({ length: 30 * values.length }, (_unused, i) => ({ day, v: values[i % values.length], n: i })) });
    for (const low of values.filter((value) => !Number.isNaN(value))) {
      for (const [op, test] of [['gte', (v: number) => v >= low], ['lt', (v: number) => v < low], ['eq', (v: number) => v === low]] as const) {
        const condition = op === 'eq' ? low : _[op](low);
        const expected = 30 * values.filter(test).length;
        const read = () => db.collection('events').where({ day, v: condition }).count();
        expect([op, low, (await read()).total]).toEqual([op, low, expected]);
        // NaN sorts below every number: a range with no low bound holds it (the matcher leaves it out); one holding more than half of the day reads it all
        const held = expected + (op === 'lt' ? 30 : 0);
        expect([op, low, await examined(read)]).toEqual([op, low, held * 2 > 30 * values.length ? 30 * values.length : held]);
      }
    }
  });

  it('answers as a scan does after documents are added, moved within and out of the day, and removed, few or many', async () => {
    const _ = db.command;
    // later documents, some in the range
    await db.collection('events').add({ data: [600, 601, 30].map((n) => ({ day: DAY, type: 'entry', at: minute(n), n })) });
    expect(await againstScan(595)).toMatchObject({ indexed: 7, scanned: 7 + 5 });
    // moved into the range, and out of it
    await db.collection('events').where({ day: DAY, n: 20 }).update({ data: { at: minute(599), n: 599 } });
    await db.collection('events').where({ day: DAY, n: 596 }).update({ data: { at: minute(1), n: 1 } });
    const moved = await againstScan(595);
    expect(moved.indexed).toBe(7);
    // out of the day, and removed
    await db.collection('events').where({ day: DAY, n: 597 }).update({ data: { day: '2024-06-03' } });
    await db.collection('events').where({ day: DAY, n: 598 }).remove();
    expect((await againstScan(595)).indexed).toBe(5);
    // more writes than are kept beside the sorted keys: sorted again
    await db.collection('events').add({ data: Array.from({ length: 1500 }, (_unused, i) => ({ day: DAY, type: 'entry', at: minute(1000 + i), n: 1000 + i })) });
    const many = await againstScan(2490);
    expect(many).toMatchObject({ indexed: 10, scanned: 10, examined: 10 });
    expect((await againstScan(0, [DAY])).indexed).toBe((await db.collection('events').where({ day: DAY, at: _.exists(true) }).count()).total);
  });
});
