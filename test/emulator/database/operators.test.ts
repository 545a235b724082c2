import type { RunningEmulator } from '../../helpers/emulator';
import { clear, startDatabase, type Database } from './sdk';

let emulator: RunningEmulator;
let db: Database;

beforeAll(async () => {
  ({ emulator, db } = await startDatabase());
});
afterAll(() => emulator.stop());

const PEOPLE = [
  { _id: 'ann', name: 'Ann', age: 31, tags: ['a', 'b'], scores: [{ k: 'x', v: 9 }, { k: 'y', v: 2 }], city: { name: 'Shanghai' } },
  { _id: 'bob', name: 'bob', age: 17, tags: ['b'], scores: [{ k: 'x', v: 3 }], vip: true },
  { _id: 'cai', name: 'Cai', age: 45, tags: ['a', 'b', 'c'], scores: [], city: { name: 'Beijing' } },
  { _id: 'dee', name: 'Dee', age: 17, tags: [], vip: false },
];

describe('query operators', () => {
  beforeAll(async () => {
    await clear(db, 'todos');
    await db.collection('todos').add({ data: PEOPLE });
  });

  async function ids(query: Record<string, unknown>): Promise<string[]> {
    const { data } = await db.collection('todos').where(query).get();
    return data.map((d: { _id: string }) => d._id).sort();
  }

  it.each([
    ['eq', () => ({ age: db.command.eq(17) }), ['bob', 'dee']],
    ['neq', () => ({ age: db.command.neq(17) }), ['ann', 'cai']],
    ['lt', () => ({ age: db.command.lt(31) }), ['bob', 'dee']],
    ['lte', () => ({ age: db.command.lte(31) }), ['ann', 'bob', 'dee']],
    ['gt', () => ({ age: db.command.gt(31) }), ['cai']],
    ['gte', () => ({ age: db.command.gte(31) }), ['ann', 'cai']],
    ['in', () => ({ age: db.command.in([31, 45]) }), ['ann', 'cai']],
    ['nin', () => ({ age: db.command.nin([31, 45]) }), ['bob', 'dee']],
    ['and (chained)', () => ({ age: db.command.gt(20).and(db.command.lt(40)) }), ['ann']],
    ['and (top level)', () => db.command.and([{ age: 17 }, { vip: true }]), ['bob']],
    ['or (chained)', () => ({ age: db.command.lt(18).or(db.command.gt(40)) }), ['bob', 'cai', 'dee']],
    ['or (top level)', () => db.command.or([{ _id: 'ann' }, { vip: false }]), ['ann', 'dee']],
    ['nor', () => db.command.nor([{ age: 17 }, { _id: 'ann' }]), ['cai']],
    ['not', () => ({ age: db.command.not(db.command.gt(20)) }), ['bob', 'dee']],
    ['exists', () => ({ city: db.command.exists(true) }), ['ann', 'cai']],
    ['exists false', () => ({ vip: db.command.exists(false) }), ['ann', 'cai']],
    ['size', () => ({ tags: db.command.size(2) }), ['ann']],
    ['mod', () => ({ age: db.command.mod(15, 2) }), ['bob', 'dee']],
    ['all', () => ({ tags: db.command.all(['a', 'b']) }), ['ann', 'cai']],
    ['elemMatch', () => ({ scores: db.command.elemMatch({ k: 'x', v: db.command.gt(5) }) }), ['ann']],
    ['array contains', () => ({ tags: 'c' }), ['cai']],
    ['nested object (flattened to a dotted path by the SDK)', () => ({ city: { name: 'Beijing' } }), ['cai']],
    ['dotted path', () => ({ 'city.name': 'Shanghai' }), ['ann']],
    ['expr', () => db.command.expr(db.command.aggregate.gt(['$age', 40])), ['cai']],
  ])('%s', async (_name, query, expected) => {
    expect(await ids(query() as Record<string, unknown>)).toEqual(expected);
  });

  it('refuses an elemMatch of anything but a document, as MongoDB does (null failed with a TypeError, 5 matched)', async () => {
    for (const operand of [null, 5, 'x', [1]]) {
      await expect(db.collection('todos').where({ scores: db.command.elemMatch(operand as never) }).get()).rejects.toMatchObject({ errCode: -502001, message: expect.stringContaining('$elemMatch needs an Object') });
    }
  });

  it('refuses a size MongoDB refuses (expression_parser.cpp), in get, count, update, remove and $match alike (a break-it pass: -1 and 1.5 matched nothing)', async () => {
    const _ = db.command;
    for (const [size, error] of [[-1, '$size may not be negative'], [1.5, '$size must be a whole number'], [2 ** 31, '$size must be a whole number'], ['2', '$size needs a number']] as const) {
      const where = { scores: _.size(size as never) };
      const refused = { errCode: -502001, message: expect.stringContaining(error) };
      await expect(db.collection('todos').where(where).get()).rejects.toMatchObject(refused);
      await expect(db.collection('todos').where(where).count()).rejects.toMatchObject(refused);
      await expect(db.collection('todos').where(where).update({ data: { touched: true } })).rejects.toMatchObject(refused);
      await expect(db.collection('todos').where(where).remove()).rejects.toMatchObject(refused);
      await expect(db.collection('todos').aggregate().match(where).end()).rejects.toMatchObject({ message: expect.stringContaining(error) });
    }
    expect(await ids({ scores: _.size(0) })).toEqual(expect.any(Array));
  });

  it('mod matches numbers by their integer part, never strings, and refuses what MongoDB refuses (null failed with a TypeError)', async () => {
    await db.collection('todos').add({ data: { _id: 'str', age: '17' } });
    try {
      expect(await ids({ age: db.command.mod(10, 7) })).toEqual(['bob', 'dee']);
      expect(await ids({ age: db.command.mod(10.9, 7.5) })).toEqual(['bob', 'dee']);
      for (const [divisor, error] of [[0, 'divisor cannot be 0'], ['x', 'malformed mod, divisor not a number'], [null, 'malformed mod, divisor not a number']] as const) {
        await expect(db.collection('todos').where({ age: db.command.mod(divisor as never, 1) }).get()).rejects.toMatchObject({ errCode: -502001, message: expect.stringContaining(error) });
      }
    } finally {
      await db.collection('todos').doc('str').remove();
    }
  });

  it('matches db.RegExp with options, and a JavaScript RegExp', async () => {
    expect(await ids({ name: db.RegExp({ regexp: '^b', options: 'i' }) })).toEqual(['bob']);
    expect(await ids({ name: /^[A-C]/ })).toEqual(['ann', 'cai']);
    expect(await ids({ name: /^[a-c]/i })).toEqual(['ann', 'bob', 'cai']);
    expect((await db.collection('todos').where({ name: /a/i }).count()).total).toBe(2);
  });
});

describe('update operators', () => {
  beforeEach(async () => {
    await clear(db, 'todos');
    await db.collection('todos').add({ data: { _id: 'u', n: 10, m: 3, list: [1, 2, 3], set: ['a'], old: 'x', gone: 1, sub: { a: 1 } } });
  });

  async function updated(data: Record<string, unknown>): Promise<Record<string, unknown>> {
    await db.collection('todos').doc('u').update({ data });
    return (await db.collection('todos').doc('u').get()).data;
  }

  const _ = () => db.command;
  it.each([
    ['set (replaces the object)', () => ({ sub: _().set({ b: 2 }) }), { sub: { b: 2 } }],
    ['remove', () => ({ gone: _().remove() }), { gone: undefined }],
    ['inc', () => ({ n: _().inc(-4) }), { n: 6 }],
    ['mul', () => ({ m: _().mul(2.5) }), { m: 7.5 }],
    ['min', () => ({ n: _().min(4), m: _().min(100) }), { n: 4, m: 3 }],
    ['max', () => ({ n: _().max(4), m: _().max(100) }), { n: 10, m: 100 }],
    ['rename', () => ({ old: _().rename('renamed') }), { old: undefined, renamed: 'x' }],
    ['push', () => ({ list: _().push([4, 5]) }), { list: [1, 2, 3, 4, 5] }],
    ['push with position', () => ({ list: _().push({ each: [0], position: 1 }) }), { list: [1, 0, 2, 3] }],
    // push_node.cpp setValueForNewElement: a missing field is pushed onto as an empty array, modifiers and all
    ['push with sort and slice onto a missing field', () => ({ fresh: _().push({ each: [3, 1, 2], sort: 1, slice: 2 }) }), { fresh: [1, 2] }],
    ['push with slice 0 onto a missing field makes it empty', () => ({ fresh: _().push({ each: [3, 1, 2], slice: 0 }) }), { fresh: [] }],
    ['push with sort onto a missing field inside a missing object', () => ({ 'deep.er': _().push({ each: [9, 7, 8], sort: -1, slice: 1 }) }), { deep: { er: [9] } }],
    ['pop', () => ({ list: _().pop() }), { list: [1, 2] }],
    ['shift', () => ({ list: _().shift() }), { list: [2, 3] }],
    ['unshift', () => ({ list: _().unshift([-1, 0]) }), { list: [-1, 0, 1, 2, 3] }],
    ['addToSet', () => ({ set: _().addToSet('a') }), { set: ['a'] }],
    ['addToSet $each (the documented form)', () => ({ set: _().addToSet({ $each: ['a', 'b'] }) }), { set: ['a', 'b'] }],
    ['pull', () => ({ list: _().pull(_().gt(1)) }), { list: [1] }],
    ['pullAll', () => ({ list: _().pullAll([1, 3]) }), { list: [2] }],
    ['bit', () => ({ n: _().bit({ and: 2 }) }), { n: 2 }],
  ])('%s', async (_name, data, expected) => {
    const doc = await updated(data() as Record<string, unknown>);
    for (const [key, value] of Object.entries(expected)) {
      if (value === undefined) expect(doc).not.toHaveProperty(key);
      else expect(doc[key]).toEqual(value);
    }
  });

  it('sets the array element the query matched through the positional $', async () => {
    await db.collection('todos').where({ list: 2 }).update({ data: { 'list.$': 20 } });
    expect((await db.collection('todos').doc('u').get()).data.list).toEqual([1, 20, 3]);
  });

  it('applies several operators of one update together', async () => {
    const doc = await updated({ n: _().inc(1), list: _().push(9), 'sub.c': 3 });
    expect(doc).toMatchObject({ n: 11, list: [1, 2, 3, 9], sub: { a: 1, c: 3 } });
  });
});
