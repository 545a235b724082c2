/**
 * SecondKeys (emulator/database/compound.ts) by itself: what it answers for a key's documents and a
 * range, and how much of them it reads to answer. The database suites (indexes.test.ts) check the
 * same through the SDK, by the documents a query examines.
 */
import { SecondKeys } from '../../../emulator/database/compound';
import type { Doc, DocId } from '../../../emulator/database/ejson';

/** A key's documents, `n` of them, the second field's value of each given by `valueOf`. */
function postingsOf(n: number, valueOf: (i: number) => number): Map<DocId, Doc> {
  return new Map(Array.from({ length: n }, (_, i): [DocId, Doc] => [`d${i}`, { _id: `d${i}`, v: valueOf(i) }]));
}

/** SecondKeys over field `v`, counting the documents it reads the field of. */
function counted(): { seconds: SecondKeys; reads: () => number } {
  let reads = 0;
  const seconds = new SecondKeys((doc) => {
    reads += 1;
    return [doc.v];
  });
  return { seconds, reads: () => reads };
}

test('a range that holds most of a key is answered as the whole key, from a sample of it, without sorting it', () => {
  const postings = postingsOf(10_000, (i) => (i % 10 === 0 ? 0 : 1 + (i % 7)));
  const { seconds, reads } = counted();
  expect(seconds.within(postings, { low: { value: 0, inclusive: false } })).toBeNull();
  expect(reads()).toBeLessThan(200);
  // a narrow range sorts the key once, and answers exactly its documents
  const hits = seconds.within(postings, { low: { value: 7, inclusive: true } });
  expect([...(hits?.keys() ?? [])].sort()).toEqual([...postings.values()].filter((doc) => (doc.v as number) >= 7).map((doc) => doc._id).sort());
  expect(reads()).toBeGreaterThanOrEqual(10_000);
});

test('a pattern in the order the documents were written does not line up with the sample', () => {
  // every third document in the range: a fixed stride of a multiple of 3 would see only those
  for (const n of [9 * 64, 9 * 64 + 1, 3 * 1000, 27 * 64]) {
    const postings = postingsOf(n, (i) => (i % 3 === 0 ? 1 : 0));
    const hits = new SecondKeys((doc) => [doc.v]).within(postings, { low: { value: 1, inclusive: true } });
    expect(hits?.size).toBe(Math.ceil(n / 3));
  }
});
