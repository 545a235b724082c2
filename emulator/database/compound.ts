/**
 * A compound index's second field over the documents of one key of its first: what lets a query
 * that fixes the first field and bounds the second (`{day, serverAt: {$gte: …}}`) read only the
 * documents in its range, as MongoDB's scan of the (day, serverAt) index does, instead of the
 * whole day. Built when a query first asks, then kept cheaply: documents written later wait in a
 * list, and versions replaced are left in place (each hit is checked against the key's documents
 * as they are), until the two are many enough to sort again.
 */
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
  keys: Key[];
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

/** The first index in `keys` whose key is not below `value` (`after`: not at or below it). */
function search(keys: Key[], value: Key, order: (a: Key, b: Key) => number, after: boolean): number {
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
  within(postings: ReadonlyMap<DocId, Doc>, bounds: Bounds): Map<DocId, Doc> | null {
    const bracket = bracketOf((bounds.low ?? bounds.high)?.value);
    if (!bracket) return null;
    if (!this.sorted || this.added.length + this.replaced > Math.max(RESORT_MIN, this.sortedCount * RESORT_SHARE)) this.sort(postings);
    const { keys, docs } = (this.sorted as Record<Bracket, Sorted>)[bracket];
    const order = orderOf(bracket);
    const low = bounds.low && { key: keyOf(bounds.low.value), inclusive: bounds.low.inclusive };
    const high = bounds.high && { key: keyOf(bounds.high.value), inclusive: bounds.high.inclusive };
    const start = low ? search(keys, low.key, order, !low.inclusive) : 0;
    const end = high ? search(keys, high.key, order, high.inclusive) : keys.length;
    if (end - start + this.added.length > postings.size / 2) return null;
    const hits = new Map<DocId, Doc>();
    const take = (doc: Doc): void => {
      const id = doc._id as DocId;
      if (postings.get(id) === doc) hits.set(id, doc);
    };
    for (let i = start; i < end; i++) take(docs[i]);
    const inRange = (key: Key): boolean => {
      const above = low ? order(key, low.key) : 1;
      const below = high ? order(key, high.key) : -1;
      return (above > 0 || (above === 0 && low?.inclusive === true)) && (below < 0 || (below === 0 && high?.inclusive === true));
    };
    for (const doc of this.added) if (this.keysOf(doc).some((value) => bracketOf(value) === bracket && inRange(keyOf(value as number | string | Date)))) take(doc);
    return hits;
  }

  private sort(postings: ReadonlyMap<DocId, Doc>): void {
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
      const order = orderOf(bracket);
      const positions = Array.from(keys, (_, i) => i).sort((a, b) => order(keys[a], keys[b]));
      return { keys: positions.map((i) => keys[i]), docs: positions.map((i) => docs[i]) };
    };
    this.sorted = { numbers: sortedOf('numbers'), strings: sortedOf('strings'), dates: sortedOf('dates') };
    this.sortedCount = postings.size;
    this.added = [];
    this.replaced = 0;
  }
}
