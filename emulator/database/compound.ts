/**
 * A compound index's second field over the documents of one key of its first: what lets a query
 * that fixes the first field and bounds the second (`{day, serverAt: {$gte: …}}`) read only the
 * documents in its range, as MongoDB's scan of the (day, serverAt) index does, instead of the
 * whole day. Built when a query first asks, then kept cheaply: documents written later wait in a
 * list, and versions replaced are left in place (each hit is checked against the key's documents
 * as they are), until the two are many enough to sort again.
 */
import type { MapView } from './bigmap';
import type { Doc, DocId } from './ejson';
import { compareNumbers, compareStrings } from './semantics';

type Key = number | string;

/** A bound of a range: a number, a string or a Date, as MongoDB brackets them (a Date's range holds only Dates). */
export interface Bound {
  value: number | string | Date;
  inclusive: boolean;
}

export interface Bounds {
  low?: Bound;
  high?: Bound;
}

/** The keys of one type bracket, sorted, each with its document. */
interface Sorted {
  /** A number's or a Date's (its time) in a Float64Array, which the garbage collector does not scan. */
  keys: Key[] | Float64Array;
  docs: Doc[];
}

type Bracket = 'numbers' | 'strings' | 'dates';

const bracketOf = (value: unknown): Bracket | undefined =>
  typeof value === 'number' ? 'numbers' : typeof value === 'string' ? 'strings' : value instanceof Date ? 'dates' : undefined;

const keyOf = (value: number | string | Date): Key => (value instanceof Date ? value.getTime() : value);

const orderOf = (bracket: Bracket): ((a: Key, b: Key) => number) => (bracket === 'strings' ? (compareStrings as (a: Key, b: Key) => number) : (compareNumbers as (a: Key, b: Key) => number));

/** Writes waiting, as a share of the sorted documents, past which the next query sorts again. */
const RESORT_SHARE = 1 / 4;
const RESORT_MIN = 1024;
/**
 * Documents of a key looked at before sorting it (`mostlyWithin`): when more than 3 in 4 of them
 * are within the range, the range holds most of the key (`{day, entries: {$gt: 0}}`), which is
 * read whole without the sort. At ten million events the first such sort of a day's user-days,
 * in an emulator holding them, cost seconds of the first rollup step's SDK timeout.
 */
const SAMPLE = 64;

/** A range's bounds as keys of one type bracket, in that bracket's order. */
class KeyRange {
  readonly order: (a: Key, b: Key) => number;
  readonly low?: { key: Key; inclusive: boolean };
  readonly high?: { key: Key; inclusive: boolean };

  constructor(
    readonly bracket: Bracket,
    bounds: Bounds,
  ) {
    this.order = orderOf(bracket);
    if (bounds.low) this.low = { key: keyOf(bounds.low.value), inclusive: bounds.low.inclusive };
    if (bounds.high) this.high = { key: keyOf(bounds.high.value), inclusive: bounds.high.inclusive };
  }

  holds(key: Key): boolean {
    const above = this.low ? this.order(key, this.low.key) : 1;
    const below = this.high ? this.order(key, this.high.key) : -1;
    return (above > 0 || (above === 0 && this.low?.inclusive === true)) && (below < 0 || (below === 0 && this.high?.inclusive === true));
  }
}

/** The first index in `keys` whose key is not below `value` (`after`: not at or below it). */
function search(keys: ArrayLike<Key>, value: Key, order: (a: Key, b: Key) => number, after: boolean): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = order(keys[mid], value);
    if (c < 0 || (after && c === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class SecondKeys {
  private sorted: Record<Bracket, Sorted> | null = null;
  private sortedCount = 0;
  private added: Doc[] = [];
  private replaced = 0;

  /** `keysOf`: a document's keys in the second field (an array gives several). */
  constructor(private readonly keysOf: (doc: Doc) => unknown[]) {}

  add(doc: Doc): void {
    if (this.sorted) this.added.push(doc);
  }

  remove(): void {
    if (this.sorted) this.replaced += 1;
  }

  /**
   * The documents of `postings` (the first key's, as they are now) whose second field is within
   * `bounds`, a superset the matcher filters; null when they are not fewer than half of them
   * (reading the first key's documents as they are then costs less than gathering these).
   */
  within(postings: MapView<DocId, Doc>, bounds: Bounds): Map<DocId, Doc> | null {
    const bracket = bracketOf((bounds.low ?? bounds.high)?.value);
    if (!bracket) return null;
    const range = new KeyRange(bracket, bounds);
    if (!this.sorted || this.added.length + this.replaced > Math.max(RESORT_MIN, this.sortedCount * RESORT_SHARE)) {
      if (this.mostlyWithin(postings, range)) return null;
      this.sort(postings);
    }
    const { keys, docs } = (this.sorted as Record<Bracket, Sorted>)[bracket];
    const start = range.low ? search(keys, range.low.key, range.order, !range.low.inclusive) : 0;
    const end = range.high ? search(keys, range.high.key, range.order, range.high.inclusive) : keys.length;
    if (end - start + this.added.length > postings.size / 2) return null;
    const hits = new Map<DocId, Doc>();
    const take = (doc: Doc): void => {
      const id = doc._id as DocId;
      if (postings.get(id) === doc) hits.set(id, doc);
    };
    for (let i = start; i < end; i++) take(docs[i]);
    for (const doc of this.added) if (this.inRange(doc, range)) take(doc);
    return hits;
  }

  private inRange(doc: Doc, range: KeyRange): boolean {
    return this.keysOf(doc).some((value) => bracketOf(value) === range.bracket && range.holds(keyOf(value as number | string | Date)));
  }

  /**
   * Whether more than 3 in 4 of about `SAMPLE` of the key's documents are within `range`: those
   * whose position a multiplicative hash picks, so that a pattern in the order they were written
   * (a type every third event) cannot line up with the pick, as a fixed stride can.
   */
  private mostlyWithin(postings: MapView<DocId, Doc>, range: KeyRange): boolean {
    const step = Math.max(1, Math.floor(postings.size / SAMPLE));
    let looked = 0;
    let within = 0;
    let i = 0;
    for (const doc of postings.values()) {
      if ((Math.imul(++i, 0x9e3779b1) >>> 0) % step !== 0) continue;
      looked += 1;
      if (this.inRange(doc, range)) within += 1;
    }
    return within * 4 > looked * 3;
  }

  private sort(postings: MapView<DocId, Doc>): void {
    const gathered: Record<Bracket, { keys: Key[]; docs: Doc[] }> = { numbers: { keys: [], docs: [] }, strings: { keys: [], docs: [] }, dates: { keys: [], docs: [] } };
    for (const doc of postings.values()) {
      for (const value of this.keysOf(doc)) {
        const bracket = bracketOf(value);
        if (!bracket) continue;
        gathered[bracket].keys.push(keyOf(value as number | string | Date));
        gathered[bracket].docs.push(doc);
      }
    }
    const sortedOf = (bracket: Bracket): Sorted => {
      const { keys, docs } = gathered[bracket];
      const positions = bracket === 'strings' ? stringOrder(keys as string[]) : numberOrder(keys as number[]);
      const sorted: Sorted = { keys: bracket === 'strings' ? new Array<string>(keys.length) : new Float64Array(keys.length), docs: new Array<Doc>(keys.length) };
      for (let i = 0; i < positions.length; i++) {
        sorted.keys[i] = keys[positions[i]];
        sorted.docs[i] = docs[positions[i]];
      }
      return sorted;
    };
    this.sorted = { numbers: sortedOf('numbers'), strings: sortedOf('strings'), dates: sortedOf('dates') };
    this.sortedCount = postings.size;
    this.added = [];
    this.replaced = 0;
  }
}

/**
 * The positions of `keys` in compareStrings' order. Strings in a second field are mostly a few
 * values (a type, a fate) repeated: each distinct one is compared once.
 */
function stringOrder(keys: readonly string[]): number[] {
  const byKey = new Map<string, number[]>();
  keys.forEach((key, i) => {
    const positions = byKey.get(key);
    if (positions) positions.push(i);
    else byKey.set(key, [i]);
  });
  return [...byKey.keys()].sort(compareStrings).flatMap((key) => byKey.get(key) as number[]);
}

/** 16-bit digits: four passes of a least-significant-digit radix sort over a double's 64 bits. */
const DIGIT_BITS = 16;
const DIGITS = 1 << DIGIT_BITS;
/** Which of a double's two 32-bit words holds its low bits on this machine. */
const LOW = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;
const HIGH = 1 - LOW;

/**
 * The positions of `keys` in compareNumbers' order (NaN first, -0 beside 0), by a radix sort of
 * their bits: in linear time and in typed arrays, which the garbage collector does not scan. A
 * comparison sort of a day of ten million events' times took 28 s in an emulator holding them.
 */
function numberOrder(keys: readonly number[]): Uint32Array {
  const n = keys.length;
  const words = new Uint32Array(new Float64Array(keys).buffer);
  // each double's words made to compare as one unsigned integer: a negative's bits all flipped, a positive's sign bit set, NaN zero
  for (let i = 0; i < n; i++) {
    const low = 2 * i + LOW;
    const high = 2 * i + HIGH;
    if (Number.isNaN(keys[i])) {
      words[low] = 0;
      words[high] = 0;
    } else if (words[high] >>> 31 === 1) {
      words[low] = ~words[low];
      words[high] = ~words[high];
    } else {
      words[high] |= 0x80000000;
    }
  }
  let order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let next = new Uint32Array(n);
  const counts = new Uint32Array(DIGITS);
  for (let pass = 0; pass < 64 / DIGIT_BITS; pass++) {
    const word = pass < 2 ? LOW : HIGH;
    const shift = (pass % 2) * DIGIT_BITS;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(words[2 * i + word] >>> shift) & (DIGITS - 1)]++;
    // times within a few years share their top bits: a digit all keys share orders nothing
    if (n > 0 && counts[(words[word] >>> shift) & (DIGITS - 1)] === n) continue;
    let sum = 0;
    for (let d = 0; d < DIGITS; d++) {
      const count = counts[d];
      counts[d] = sum;
      sum += count;
    }
    for (let k = 0; k < n; k++) {
      const position = order[k];
      next[counts[(words[2 * position + word] >>> shift) & (DIGITS - 1)]++] = position;
    }
    [order, next] = [next, order];
  }
  return order;
}
