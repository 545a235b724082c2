/**
 * `$lookup`'s equality join (`from`, `localField`, `foreignField`, `as`), as MongoDB 4.0 runs it
 * (DocumentSourceLookUp::makeMatchStageFromInput, src/mongo/db/pipeline/document_source_lookup.cpp):
 * for each document, the values its `localField` reaches (document_path_support's
 * visitAllValuesAtPath: an array's elements, through arrays of embedded documents; none is null)
 * become a query of the foreign collection, `{foreignField: {$eq: value}}` for one and `$in` (or an
 * `$or` of `$eq`, regular expressions among them) for several, and the documents it matches are
 * joined as `as`. So a local array joins by any element and an empty one as null, null and missing
 * join the foreign documents whose field is null or missing, a foreign array matches by any
 * element or whole, numbers by value, Dates by time, embedded documents field by field in order
 * (the query's equality: semantics.queryEquals over paths.queryValues).
 *
 * Both database paths join here: the compiled step (aggregate.ts) and the corrected mingo
 * (fallback.ts), which mingo's own $lookup answered otherwise (no null for an empty array, field
 * order ignored, a dotted `as` written as one field) after hashing the whole foreign collection,
 * even for no document. Here each document's values are looked up in the index on `foreignField`
 * (or by `_id`), the way the cloud's MongoDB uses its index; only without one is the foreign
 * collection read, once, into buckets, when the first document needs them. The joined documents
 * come in the collection's natural order (first inserted first), the order MongoDB gives when it
 * scans the collection, and for one value when it reads an index.
 */
import type { Doc } from './ejson';
import { indexKey, type Scalar } from './indexes';
import { queryValues } from './paths';
import { isPlainObject, queryEquals, withField } from './semantics';
import { fieldPath } from './values';

/** The collection a `$lookup` joins from, as it reads it. */
export interface Foreign {
  /**
   * The documents that may hold one of `keys` at `field` (a superset), each once, in natural
   * order; null when no index narrows them.
   */
  keyed(field: string, keys: readonly Scalar[]): Doc[] | null;
  /** Every document, in natural order. */
  all(): Doc[];
}

/** The foreign collections of a pipeline by name; one that does not exist joins nothing. */
export type ForeignResolver = (name: string) => Foreign;

/** A collection held as an array (mingo's `collectionResolver`): no index, read whole when needed. */
export const arrayForeign = (docs: () => Doc[]): Foreign => ({ keyed: () => null, all: docs });

/** An equality `$lookup`'s specification, its paths split. */
export interface EqualityLookup {
  from: string;
  local: string[];
  foreignField: string;
  foreign: string[];
  as: string[];
}

const FIELDS = ['from', 'localField', 'foreignField', 'as'];

/** A path MongoDB takes (no empty part, none starting with `$`) and the emulator reads as a path (values.fieldPath). */
const pathOf = (text: unknown): string[] | null => {
  const path = typeof text === 'string' ? fieldPath(text) : null;
  return path && !path.some((part) => part.startsWith('$') || part.includes('\u0000')) ? path : null;
};

/**
 * The equality form of a `$lookup` specification, or null for any other (`let` and `pipeline`,
 * a missing or misspelt field, a path MongoDB refuses): those are mingo's, refusals included.
 */
export function equalityLookup(spec: unknown): EqualityLookup | null {
  if (!isPlainObject(spec) || Object.keys(spec).length !== FIELDS.length || !FIELDS.every((field) => Object.hasOwn(spec, field))) return null;
  const [local, foreign, as] = [pathOf(spec.localField), pathOf(spec.foreignField), pathOf(spec.as)];
  if (typeof spec.from !== 'string' || spec.from === '' || !local || !foreign || !as) return null;
  return { from: spec.from, local, foreignField: spec.foreignField as string, foreign, as };
}

/** A numeric part of a path reads an array's element at that position (getPositionalPathSpecification). */
const POSITION = /^\d+$/;

/** The values at the end of a path: an array's elements, or the value itself; missing gives none. */
function trailing(value: unknown, out: unknown[]): void {
  if (Array.isArray(value)) {
    for (const item of value) if (item !== undefined) out.push(item);
  } else if (value !== undefined) {
    out.push(value);
  }
}

/** visitAllValuesAtPathHelper: the part at `from` is a field name, even a numeric one. */
function visit(doc: Doc, path: readonly string[], from: number, out: unknown[]): void {
  let value = Object.hasOwn(doc, path[from]) ? doc[path[from]] : undefined;
  let at = from + 1;
  // consecutive numeric parts read positions in arrays ("a.0.1.b" of arrays in an array)
  while (at < path.length && Array.isArray(value) && POSITION.test(path[at]) && Number(path[at]) <= 0xffffffff) value = value[Number(path[at++])];
  if (at === path.length) return trailing(value, out);
  // the rest of the path in each embedded document of an array, not in an array inside it
  if (Array.isArray(value)) {
    for (const item of value) if (isPlainObject(item)) visit(item, path, at, out);
  } else if (isPlainObject(value)) {
    visit(value, path, at, out);
  }
}

/**
 * The values a document's `localField` joins by, null when it reaches none.
 *
 * @example
 * localValues({ a: [{ b: 1 }, { b: [2, 3] }, { c: 4 }] }, ['a', 'b']) // [1, 2, 3]
 * localValues({ a: [] }, ['a']) // [null]: an empty array joins as missing
 * localValues({ a: [[1, 2]] }, ['a']) // [[1, 2]]: an array inside an array is one value
 */
export function localValues(doc: Doc, path: readonly string[]): unknown[] {
  const out: unknown[] = [];
  visit(doc, path, 0, out);
  return out.length > 0 ? out : [null];
}

/** Whether a foreign document matches `{field: {$eq: value}}` for one of the values. */
function holds(doc: Doc, path: readonly string[], values: readonly unknown[]): boolean {
  for (const found of queryValues(doc, path)) for (const value of values) if (queryEquals(found, value)) return true;
  return false;
}

/**
 * A foreign collection without an index on the field, read once: the positions (in natural order)
 * of the documents holding each key there (indexKey, a Date by its time), and of those holding a
 * value no key stands for (an embedded document, an array, a regular expression …). Equal values
 * have equal keys, so a value's bucket holds every document that may match it.
 */
class Buckets {
  private readonly byKey = new Map<unknown, number[]>();
  private readonly byTime = new Map<number, number[]>();
  private readonly others: number[] = [];

  constructor(
    readonly docs: Doc[],
    path: readonly string[],
  ) {
    docs.forEach((doc, position) => {
      for (const value of queryValues(doc, path)) {
        const bucket = this.bucket(value, true) as number[];
        // a document holding the same key twice is in its bucket once
        if (bucket[bucket.length - 1] !== position) bucket.push(position);
      }
    });
  }

  private bucket(value: unknown, make: boolean): number[] | undefined {
    const key = indexKey(value);
    if (key === undefined) return this.others;
    const [map, k] = key instanceof Date ? [this.byTime as Map<unknown, number[]>, key.getTime()] : [this.byKey, key];
    let bucket = map.get(k);
    if (!bucket && make) map.set(k, (bucket = []));
    return bucket;
  }

  /** The positions that may match one of the values, in natural order. */
  positions(values: readonly unknown[]): number[] {
    const buckets = values.map((value) => this.bucket(value, false) ?? []);
    if (buckets.length === 1) return buckets[0];
    return [...new Set(buckets.flat())].sort((a, b) => a - b);
  }
}

/**
 * What an equality `$lookup` makes of each document: a copy with the matching documents of
 * `foreign` (the stored documents themselves, in natural order) at `as`, a path of embedded
 * documents made where needed (semantics.withField, as the server's setNestedField).
 *
 * @example
 * const join = joiner(equalityLookup({ from: 'events', localField: '_id', foreignField: 'messageId', as: 'through' })!, foreign);
 * join({ _id: 'm1' }) // { _id: 'm1', through: [ ...the events whose messageId is 'm1' ] }
 */
export function joiner(lookup: EqualityLookup, foreign: Foreign): (doc: Doc) => Doc {
  let buckets: Buckets | undefined;
  return (doc) => {
    const values = localValues(doc, lookup.local);
    const keys = values.map(indexKey);
    let candidates = keys.every((key) => key !== undefined) ? foreign.keyed(lookup.foreignField, keys as Scalar[]) : null;
    if (!candidates) {
      buckets ??= new Buckets(foreign.all(), lookup.foreign);
      const { docs } = buckets;
      candidates = buckets.positions(values).map((position) => docs[position]);
    }
    return withField(doc, lookup.as, candidates.filter((candidate) => holds(candidate, lookup.foreign, values)));
  };
}
