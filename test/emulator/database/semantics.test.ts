/**
 * The rules both database paths follow (emulator/database/semantics.ts), checked against oracles
 * that are not the rules themselves: Buffer.compare of UTF-8 bytes for string order, the algebra
 * any total order obeys, and equality as the $group key map sees it.
 */
import fc from 'fast-check';
import type { Doc } from '../../../emulator/database/ejson';
import { compareStrings, compareValues, equalValues, KeyedMap, sortDocuments, sortKeys } from '../../../emulator/database/semantics';

const noNull = { noNullPrototype: true } as const;

/** Values as MongoDB holds them: every BSON type the SDK sends but the rare ones, nested. */
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -3, max: 3 }),
    fc.constantFrom(0.5, -0, NaN, Infinity, -Infinity),
    fc.constantFrom('', 'a', 'b', 'ab', '\uFF01', '\u{1F600}', '\uD7FF', '\uE000'),
    fc.constantFrom(new Date(0), new Date(1), new Date(-1)),
    fc.constantFrom(/a/, /a/i, /b/),
  ),
  node: fc.oneof(
    { depthSize: 'small' },
    tie('leaf'),
    fc.array(tie('node'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('x', 'y', 'z'), tie('node'), { maxKeys: 3, ...noNull }),
  ),
})).node;

const sign = (n: number): number => (n > 0 ? 1 : n < 0 ? -1 : 0);

describe('MongoDB’s order of values', () => {
  it('orders strings as their UTF-8 bytes do', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        expect(compareStrings(a, b)).toBe(sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))));
      }),
      { numRuns: 2000 },
    );
  });

  it('is a total order: antisymmetric, transitive, and its equality is equalValues', () => {
    fc.assert(
      fc.property(value, value, value, (a, b, c) => {
        expect(sign(compareValues(a, b)) + sign(compareValues(b, a))).toBe(0);
        expect(compareValues(a, a)).toBe(0);
        expect(equalValues(a, b)).toBe(compareValues(a, b) === 0);
        if (compareValues(a, b) <= 0 && compareValues(b, c) <= 0) expect(compareValues(a, c)).toBeLessThanOrEqual(0);
      }),
      { numRuns: 3000 },
    );
  });

  it('puts the types in MongoDB’s order, a missing value first', () => {
    const ascending = [undefined, null, NaN, -Infinity, 1, '', '\u{1F600}', {}, { a: 1 }, [], [1], false, true, new Date(0), /a/];
    for (let i = 1; i < ascending.length; i++) expect(compareValues(ascending[i - 1], ascending[i])).toBe(-1);
  });
});

describe('$group keys', () => {
  it('are the same key exactly when MongoDB finds the values equal', () => {
    fc.assert(
      fc.property(value, value, (a, b) => {
        const keys = new KeyedMap<string>();
        keys.set(a, 'a');
        expect(keys.get(b) === 'a').toBe(equalValues(a, b));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('$sort', () => {
  it('orders documents by their sort keys, ties in input order', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ v: value }, noNull), { maxLength: 8 }), fc.constantFrom(1, -1), (docs: Doc[], direction) => {
        const sorted = sortDocuments(docs, sortKeys({ v: direction }));
        expect(sorted).toHaveLength(docs.length);
        for (const doc of docs) expect(sorted).toContain(doc);
        for (let i = 1; i < sorted.length; i++) {
          const [before, after] = [sorted[i - 1].v, sorted[i].v];
          // a scalar's sort key is itself: adjacent keys never go against the direction, and equal ones keep their input order
          if (Array.isArray(before) || Array.isArray(after)) continue;
          const order = direction * compareValues(before, after);
          expect(order).toBeLessThanOrEqual(0);
          if (order === 0) expect(docs.indexOf(sorted[i - 1])).toBeLessThan(docs.indexOf(sorted[i]));
        }
      }),
    );
  });
});
