import fc from 'fast-check';
import { BigMap } from '../../../emulator/database/bigmap';
import { Index } from '../../../emulator/database/indexes';

// a key's documents turn into a BigMap at the limit: at 3 here, not at 2^24
jest.mock('../../../emulator/database/bigmap', () => ({ ...jest.requireActual<object>('../../../emulator/database/bigmap'), MAP_LIMIT: 3 }));

type Step = { op: 'set'; key: number; value: string } | { op: 'delete'; key: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), key: fc.integer({ min: 0, max: 12 }), value: fc.string({ maxLength: 2 }) }),
  fc.record({ op: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 12 }) }),
);

describe('BigMap', () => {
  it('answers as a Map does, in its order, across a chain of Maps of three entries each', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const big = new BigMap<number, string>(3);
        const map = new Map<number, string>();
        for (const s of steps) {
          if (s.op === 'set') {
            expect(big.set(s.key, s.value)).toBe(big);
            map.set(s.key, s.value);
          } else {
            expect(big.delete(s.key)).toBe(map.delete(s.key));
          }
          expect(big.size).toBe(map.size);
          expect([...big]).toEqual([...map]);
        }
        expect([...big.keys()]).toEqual([...map.keys()]);
        expect([...big.values()]).toEqual([...map.values()]);
        for (let key = 0; key <= 12; key++) {
          expect(big.get(key)).toBe(map.get(key));
          expect(big.has(key)).toBe(map.has(key));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('goes on from a Map it is given, which comes first', () => {
    const big = new BigMap<number, string>(2, new Map([[1, 'a'], [2, 'b']]));
    big.set(3, 'c').set(1, 'A');
    expect([...big]).toEqual([[1, 'A'], [2, 'b'], [3, 'c']]);
  });

  it("holds a key's documents past the limit of one Map, in the order they were written", () => {
    const index = new Index({ name: 'day_1', keys: [{ name: 'day', direction: '1' }] });
    const written = new Map<string, { _id: string; day: string }>();
    const write = (id: string): void => {
      const doc = { _id: id, day: 'd' };
      if (written.has(id)) index.remove(id, written.get(id) as typeof doc);
      written.delete(id);
      index.add(id, doc);
      written.set(id, doc);
    };
    for (let i = 0; i < 8; i++) write(`e${i}`);
    write('e1');
    index.remove('e4', written.get('e4') as { _id: string; day: string });
    written.delete('e4');
    const [postings] = index.equal('d') as NonNullable<ReturnType<Index['equal']>>;
    expect(postings).toBeInstanceOf(BigMap);
    expect(postings.size).toBe(7);
    expect([...postings.keys()]).toEqual([...written.keys()]);
    expect([...postings.values()]).toEqual([...written.values()]);
  });

  it('holds more entries than one of its Maps may', () => {
    const big = new BigMap<number, number>(4);
    for (let i = 0; i < 10; i++) big.set(i, i * i);
    big.set(2, -1);
    expect(big.size).toBe(10);
    expect([...big.keys()]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(big.get(2)).toBe(-1);
    expect(big.get(9)).toBe(81);
  });
});
